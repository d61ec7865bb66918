// The hop floor: bare fastify that, for each request, hands a frame the size of esb's API
// Gateway event to one other execution context and waits for a frame the size of the hello
// function's result before answering. No event is built and nothing is parsed: what is left is
// the cost of the hop itself (wake the other side, copy the bytes, wake this side), the part of
// esb's path that no gateway or agent code can remove.
//   unix:   one child Node process over a Unix socket, frames `u32 length | u32 id | payload`
//   worker: one worker thread, postMessage of a copied Uint8Array
//   design: the floor of esb's design rather than of the hop alone: plain node:http (no fastify),
//           and per request what any API-Gateway-compatible gateway with the function in another
//           process must do: route lookup, the REST API event built from the request
//           (the gateway's own builder), JSON out, over the Unix socket; the child parses the
//           event, calls a hello handler and sends its JSON result; this side parses it and
//           writes status, headers and body. No logging, no timeouts, no policies.
//   lambda: the design floor under Lambda's concurrency model, as esb serves it: as many child
//           processes as cores, each running one event at a time and answering each with its
//           own write, with at most as many more events queued in it behind the running one as
//           esb queues (QUEUE_PLACES, docs/agent.md#queued-in-the-instance), the others queued here. The floors above
//           let a child take and answer many events per read and write.
// Run alone: node --conditions=esb-source --import tsx bench/src/hop-floor.ts <port> unix|worker|design|lambda
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import http from 'node:http';
import Fastify from 'fastify';
import { RoutingFile, FunctionsFile } from '@esb/contracts';
import { v1EventJson, compileRouteTable, edgeHeaders, newTraceId } from '@esb/gateway';
import { QUEUE_PLACES } from '@esb/agent';
import { esbCode } from './lib/targets.js';

const SELF = fileURLToPath(import.meta.url);
const HEADER = 8;

/** The hello route's table: one REST API route, as esb's gateway compiles it. */
function helloRoutes() {
  return compileRouteTable(
    RoutingFile.parse({ routes: [{ method: 'GET', path: '/hello/node', function: 'bench-hello-node', api: 'ServerlessRestApi' }], apis: { ServerlessRestApi: { type: 'rest', stage: 'Prod' } } }),
    FunctionsFile.parse({ functions: { 'bench-hello-node': { runtime: 'nodejs20.x', handler: 'hello.handler', code: '/code' } } }),
  );
}

/** The event esb's gateway sends for `GET /hello/node` from autocannon (written by the gateway's own v1EventJson), as bytes. */
export function helloEvent(port: number): Buffer {
  const hit = helloRoutes().lookup('GET', '/hello/node');
  if (!hit.route) throw new Error('hop floor: the hello route does not resolve');
  // autocannon's request headers, then what the gateway adds at its edge (events.ts edgeHeaders).
  const rawHeaders = ['host', `127.0.0.1:${port}`, 'X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Port', String(port), 'X-Forwarded-Proto', 'http', 'X-Amzn-Trace-Id', `Root=1-${'0'.repeat(8)}-${'0'.repeat(24)}`];
  const event = v1EventJson(
    { method: 'GET', rawPath: '/hello/node', rawQueryString: '', rawHeaders, body: undefined, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', requestId: '00000000-0000-4000-8000-000000000000', timeEpoch: Date.now() },
    hit,
    { base64Body: false },
  );
  return Buffer.from(event);
}

/** What bench/fixtures/app/hello.mjs returns, as bytes. */
const HELLO = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' };
export const HELLO_RESULT = Buffer.from(JSON.stringify(HELLO));

function frame(id: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(id, 4);
  payload.copy(out, HEADER);
  return out;
}

/** Splits a byte stream into frames; calls `onFrame(id, payload)` for each complete one. */
function frameReader(onFrame: (id: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    while (buf.length >= HEADER) {
      const len = buf.readUInt32LE(0);
      if (buf.length < HEADER + len) break;
      onFrame(buf.readUInt32LE(4), buf.subarray(HEADER, HEADER + len));
      buf = buf.subarray(HEADER + len);
    }
    if (buf.length) pending = Buffer.from(buf);
  };
}

/** One round trip to the other side: send the event, resolve with the result. */
type Hop = (payload: Buffer) => Promise<Buffer>;

/** `design`: the child parses each event and calls the handler, all of a read at once ('design') or one at a time ('lambda'). */
async function unixHop(design?: 'design' | 'lambda', tag = ''): Promise<{ hop: Hop; close(): void }> {
  const sockPath = path.join(tmpdir(), `esb-hop-floor-${process.pid}${tag}.sock`);
  rmSync(sockPath, { force: true });
  const waiting = new Map<number, (b: Buffer) => void>();
  let nextId = 1;
  let child: ChildProcess | undefined;
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const server = net.createServer((s) => {
      server.close();
      resolve(s);
    });
    server.once('error', reject);
    server.listen(sockPath, () => {
      child = fork(SELF, ['--peer', sockPath, ...(design ? [design] : [])], { execArgv: esbCode().execArgv, stdio: 'inherit' });
      child.once('exit', (code) => reject(new Error(`hop floor: the peer process exited with ${code}`)));
    });
  });
  sock.setNoDelay(true);
  sock.on(
    'data',
    frameReader((id, payload) => {
      const done = waiting.get(id);
      waiting.delete(id);
      done?.(payload);
    }),
  );
  return {
    hop: (payload) =>
      new Promise((resolve) => {
        const id = nextId++ >>> 0;
        waiting.set(id, resolve);
        sock.write(frame(id, payload));
      }),
    close: () => {
      sock.destroy();
      child?.kill();
      rmSync(sockPath, { force: true });
    },
  };
}

/** bench/fixtures/app/hello.mjs's handler. */
const hello = async (_event: unknown) => HELLO;

/**
 * The child process's side: answers every event frame with the hello result, one write per batch
 * of frames. `design`: parses each event and calls the handler for its result. `lambda`: the
 * same, one event at a time, each result written as soon as it is ready, as esb's runtime
 * clients do.
 */
function peer(sockPath: string, design?: 'design' | 'lambda'): void {
  const sock = net.connect(sockPath);
  sock.setNoDelay(true);
  const send = (out: Buffer[]) => {
    if (out.length) sock.write(out.length === 1 ? out[0] : Buffer.concat(out));
  };
  if (design === 'lambda') {
    const events: Array<{ id: number; payload: Buffer }> = [];
    let running = false;
    const runAll = async () => {
      running = true;
      for (let e = events.shift(); e; e = events.shift()) {
        const result = await hello(JSON.parse(e.payload.toString('utf8')));
        sock.write(frame(e.id, Buffer.from(JSON.stringify(result))));
      }
      running = false;
    };
    const read = frameReader((id, payload) => void events.push({ id, payload: Buffer.from(payload) }));
    sock.on('data', (chunk: Buffer) => {
      read(chunk);
      if (!running) void runAll();
    });
    sock.on('close', () => process.exit(0));
    return;
  }
  sock.on('data', (chunk: Buffer) => {
    const out: Buffer[] = [];
    if (!design) {
      frameReader((id) => out.push(frame(id, HELLO_RESULT)))(chunk);
      send(out);
      return;
    }
    const calls: Array<Promise<void>> = [];
    frameReader((id, payload) => {
      const event: unknown = JSON.parse(payload.toString('utf8'));
      calls.push(hello(event).then((result) => void out.push(frame(id, Buffer.from(JSON.stringify(result))))));
    })(chunk);
    void Promise.all(calls).then(() => send(out));
  });
  sock.on('close', () => process.exit(0));
}

// The worker's side, as plain JS (workers do not inherit the tsx loader on Node 20).
const WORKER_JS = `
const { parentPort, workerData } = require('node:worker_threads');
const result = new Uint8Array(workerData.result);
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, payload: result }));`;

function workerHop(): { hop: Hop; close(): void } {
  const w = new Worker(WORKER_JS, { eval: true, workerData: { result: HELLO_RESULT } });
  const waiting = new Map<number, (b: Buffer) => void>();
  let nextId = 1;
  w.on('message', (m: { id: number; payload: Uint8Array }) => {
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.(Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength));
  });
  return {
    hop: (payload) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        w.postMessage({ id, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) });
      }),
    close: () => void w.terminate(),
  };
}

/**
 * Lambda's concurrency model over `count` one-at-a-time peers, as esb serves it: each has one
 * event running and at most QUEUE_PLACES queued behind it; the rest wait in one FIFO queue here
 * for the first place that frees.
 */
async function oneAtATimeHop(count: number): Promise<{ hop: Hop; close(): void }> {
  const peers = await Promise.all(Array.from({ length: count }, (_, i) => unixHop('lambda', `-${i}`)));
  // Places per peer: the running event and those queued behind it.
  const idle = Array.from({ length: 1 + QUEUE_PLACES }, () => peers).flat();
  const queue: Array<{ payload: Buffer; resolve: (b: Buffer) => void }> = [];
  const run = (peer: (typeof peers)[number], payload: Buffer, resolve: (b: Buffer) => void): void => {
    void peer.hop(payload).then((result) => {
      const next = queue.shift();
      if (next) run(peer, next.payload, next.resolve);
      else idle.push(peer);
      resolve(result);
    });
  };
  return {
    hop: (payload) =>
      new Promise((resolve) => {
        const peer = idle.pop();
        if (peer) run(peer, payload, resolve);
        else queue.push({ payload, resolve });
      }),
    close: () => peers.forEach((p) => p.close()),
  };
}

export type FloorKind = 'unix' | 'worker' | 'design' | 'lambda';

/** The design floor's front: node:http, the REST event per request, the result mapped to the response. */
async function startDesignFloor(port: number, host: string, lambda: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const side = lambda ? await oneAtATimeHop(availableParallelism()) : await unixHop('design');
  const routes = helloRoutes();
  let address: net.AddressInfo = { port, address: host, family: 'IPv4' };
  const server = http.createServer((req, res) => {
    const rawPath = req.url ?? '/';
    const hit = routes.lookup(req.method ?? 'GET', rawPath);
    if (!hit.route) {
      res.writeHead(404).end();
      return;
    }
    const sourceIp = req.socket.remoteAddress ?? '';
    const requestId = randomUUID();
    const now = Date.now();
    const event = v1EventJson(
      {
        method: req.method ?? 'GET',
        rawPath,
        rawQueryString: '',
        rawHeaders: edgeHeaders(req.rawHeaders, { sourceIp, port: address.port, proto: 'http', traceId: newTraceId(now), rest: true }),
        body: undefined,
        sourceIp,
        protocol: 'HTTP/1.1',
        requestId,
        timeEpoch: now,
      },
      hit,
      { base64Body: false },
    );
    void side.hop(Buffer.from(event)).then((bytes) => {
      const result = JSON.parse(bytes.toString('utf8')) as { statusCode: number; headers: Record<string, string>; body: string };
      res.writeHead(result.statusCode, { ...result.headers, 'content-length': Buffer.byteLength(result.body) }).end(result.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  address = server.address() as net.AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      side.close();
    },
  };
}

export async function startHopFloor(port: number, kind: FloorKind, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  if (kind === 'design' || kind === 'lambda') return startDesignFloor(port, host, kind === 'lambda');
  const event = helloEvent(port);
  const side = kind === 'unix' ? await unixHop() : workerHop();
  const app = Fastify({ logger: false });
  app.get('/hello/:name', async () => {
    await side.hop(event);
    return 'hello';
  });
  const url = await app.listen({ port, host });
  return {
    url,
    close: async () => {
      await app.close();
      side.close();
    },
  };
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === '--peer') peer(process.argv[3], process.argv[4] === 'design' || process.argv[4] === 'lambda' ? process.argv[4] : undefined);
  else {
    const kind: FloorKind = process.argv[3] === 'worker' || process.argv[3] === 'design' || process.argv[3] === 'lambda' ? process.argv[3] : 'unix';
    const { url } = await startHopFloor(Number(process.argv[2] ?? 0), kind);
    process.stdout.write(`READY ${url} (${kind}, event ${helloEvent(Number(process.argv[2] ?? 0)).length} bytes, result ${HELLO_RESULT.length} bytes)\n`);
  }
}
