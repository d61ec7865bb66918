// The gateway's config parse thread (config-parse.ts): parses and validates one file per request
// and hands the document back one slice per `next` (the gateway asks for the next slice after a
// turn of its event loop, so requests are served between slices).
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { decodeConfigFile, sliceDocument, type ParseMessage } from './config-parse.js';

if (parentPort) {
  const port = parentPort;
  // On Linux a nice value belongs to a thread: the parse thread yields the CPU to the serving loop.
  try {
    setPriority(10);
  } catch {
    /* not permitted or not supported */
  }
  const documents = new Map<number, Generator<ParseMessage>>();
  const send = (id: number) => {
    const slices = documents.get(id);
    const step = slices?.next();
    if (!step || step.done) return void documents.delete(id);
    if (step.value.kind === 'done') documents.delete(id);
    port.postMessage(step.value);
  };
  port.on('message', (msg: { id: number; file: string; text: string } | { id: number; next: true }) => {
    if ('next' in msg) return send(msg.id);
    try {
      documents.set(msg.id, sliceDocument(msg.id, decodeConfigFile(msg.file, msg.text) as Record<string, unknown>));
    } catch (err) {
      port.postMessage({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err) } satisfies ParseMessage);
      return;
    }
    send(msg.id);
  });
}
