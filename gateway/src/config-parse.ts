// Parses and validates functions.yml / routing.yml for the gateway: inline for small files, on a
// worker thread for big ones, whose result comes back in slices so that no single step holds the
// event loop that serves requests for long (docs/gateway.md "Config and hot reload").
import { Worker } from 'node:worker_threads';
import { decodeRuntimeFile, FUNCTIONS_CODEC, ROUTING_CODEC, STACKS_CODEC, workerEntry } from '@esb/contracts';

/** Files at least this big are parsed on the worker thread. */
export const OFF_THREAD_BYTES = 128 * 1024;
/** Entries of a big top-level map or list per message from the worker. */
export const SLICE_ENTRIES = 200;

/** Decodes functions.yml, routing.yml or stacks.yml (by the file's name) with the runtime file codecs. */
export function decodeConfigFile(file: string, text: string): unknown {
  if (file.endsWith(FUNCTIONS_CODEC.name)) return decodeRuntimeFile(FUNCTIONS_CODEC, text, file);
  if (file.endsWith(STACKS_CODEC.name)) return decodeRuntimeFile(STACKS_CODEC, text, file);
  return decodeRuntimeFile(ROUTING_CODEC, text, file);
}

/** Thread -> gateway: a parsed document, its big top-level maps and lists in slices. */
export type ParseMessage =
  | { id: number; kind: 'entries'; key: string; entries: Array<[string, unknown]> }
  | { id: number; kind: 'items'; key: string; items: unknown[] }
  | { id: number; kind: 'done'; rest: Record<string, unknown> }
  | { id: number; kind: 'error'; message: string };

/** The thread side: one parsed document as a series of messages. */
export function* sliceDocument(id: number, doc: Record<string, unknown>): Generator<ParseMessage> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (Array.isArray(value) && value.length > SLICE_ENTRIES) {
      for (let i = 0; i < value.length; i += SLICE_ENTRIES) yield { id, kind: 'items', key, items: value.slice(i, i + SLICE_ENTRIES) };
    } else if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > SLICE_ENTRIES) {
      const entries = Object.entries(value);
      for (let i = 0; i < entries.length; i += SLICE_ENTRIES) yield { id, kind: 'entries', key, entries: entries.slice(i, i + SLICE_ENTRIES) };
    } else {
      rest[key] = value;
    }
  }
  yield { id, kind: 'done', rest };
}

interface Pending {
  doc: Record<string, unknown>;
  resolve(doc: unknown): void;
  reject(err: Error): void;
}

export interface ConfigParser {
  parse(file: string, text: string): unknown | Promise<unknown>;
  /** Whether the parse thread is running (it ends after `idleMs` without work). */
  threadRunning(): boolean;
  close(): Promise<void>;
}

/**
 * A parse thread with nothing to do ends after this long. After a big file its heap holds tens
 * of MB the gateway would otherwise keep for good; reloads come in bursts (a deploy writes
 * several files), and a burst finds the thread still running (docs/gateway.md).
 */
export const PARSE_THREAD_IDLE_MS = 10_000;

/** One parse thread and the documents it owes. */
interface ParseThread {
  worker: Worker;
  pending: Map<number, Pending>;
  idleEnd?: NodeJS.Timeout;
}

export function createConfigParser(opts: { offThreadBytes?: number; idleMs?: number } = {}): ConfigParser {
  const offThreadBytes = opts.offThreadBytes ?? OFF_THREAD_BYTES;
  const idleMs = opts.idleMs ?? PARSE_THREAD_IDLE_MS;
  let thread: ParseThread | undefined;
  let nextId = 1;

  const start = (): ParseThread => {
    const entry = workerEntry(import.meta.url, 'config-parse-worker');
    const w = new Worker(entry.url, { argv: entry.argv, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    const t: ParseThread = { worker: w, pending: new Map() };
    let failure: Error | undefined;
    w.on('message', (msg: ParseMessage) => {
      const p = t.pending.get(msg.id);
      if (!p) return;
      if (msg.kind === 'entries' || msg.kind === 'items') {
        if (msg.kind === 'entries') {
          const target = (p.doc[msg.key] ??= {}) as Record<string, unknown>;
          for (const [k, v] of msg.entries) target[k] = v;
        } else {
          const target = (p.doc[msg.key] ??= []) as unknown[];
          for (const item of msg.items) target.push(item);
        }
        // The next slice after a turn of the event loop: requests are served in between.
        setImmediate(() => w.postMessage({ id: msg.id, next: true }));
        return;
      }
      t.pending.delete(msg.id);
      if (msg.kind === 'done') p.resolve(Object.assign(p.doc, msg.rest));
      else p.reject(new Error(msg.message));
      if (t.pending.size === 0) {
        w.unref();
        t.idleEnd = setTimeout(() => {
          // Taken out of service first: a parse from now on starts a new thread.
          if (thread === t) thread = undefined;
          void w.terminate();
        }, idleMs);
        t.idleEnd.unref();
      }
    });
    w.on('error', (err) => (failure = err));
    w.on('exit', (code) => {
      clearTimeout(t.idleEnd);
      if (thread === t) thread = undefined;
      for (const [id, p] of t.pending) {
        t.pending.delete(id);
        p.reject(new Error(`the config parse thread ended: ${failure?.message ?? `exit code ${code}`}`));
      }
    });
    w.unref();
    return t;
  };

  return {
    parse(file, text) {
      if (Buffer.byteLength(text) < offThreadBytes) return decodeConfigFile(file, text);
      const t = (thread ??= start());
      clearTimeout(t.idleEnd);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        t.pending.set(id, { doc: {}, resolve, reject });
        t.worker.ref();
        t.worker.postMessage({ id, file, text });
      });
    },
    threadRunning: () => thread !== undefined,
    async close() {
      const t = thread;
      thread = undefined;
      if (t) {
        clearTimeout(t.idleEnd);
        await t.worker.terminate();
      }
    },
  };
}
