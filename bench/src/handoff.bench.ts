// What one hand-off between two execution contexts costs on this machine: the floor under
// esb's gateway -> instance -> gateway hop. A 200-byte message goes back and forth 20,000 times
// over loopback TCP and a Unix socket (two processes, as the gateway and a function instance),
// and between a worker thread and the main thread (postMessage, Atomics), each with the two ends
// free to run on any core and pinned to one core (taskset). Baseline in the same run: the same
// ping-pong between two promises of one thread, where no one ever sleeps.
// Run: node --conditions=esb-source --import tsx bench/src/handoff.bench.ts [--round-trips 20000]
import { execFile, execFileSync, fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';

const SELF = fileURLToPath(import.meta.url);
const CASES = ['promise', 'tcp', 'unix socket', 'worker postMessage', 'worker Atomics'] as const;
type Case = (typeof CASES)[number];

interface Result {
  roundTripsPerSecond: number;
  /** CPU (user + system) of the whole process tree per round trip, µs. */
  cpuUsPerRoundTrip: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Times `n` round trips started by `kick` and counted by the returned `onEcho`; adds the peer's CPU. */
function timed(n: number, peerCpuMs: () => Promise<number>): { onEcho: () => boolean; done: Promise<Result> } {
  let count = 0;
  let t0 = 0;
  let c0 = 0;
  let finish!: (r: Result) => void;
  const done = new Promise<Result>((ok) => (finish = ok));
  return {
    done,
    onEcho: () => {
      if (count === 0) {
        t0 = performance.now();
        c0 = cpuMs();
      }
      if (++count <= n) return true;
      const ms = performance.now() - t0;
      const own = cpuMs() - c0;
      void peerCpuMs().then((peer) => finish({ roundTripsPerSecond: (n / ms) * 1000, cpuUsPerRoundTrip: ((own + peer) * 1000) / n }));
      return false;
    },
  };
}

async function socketCase(n: number, where: string | 0): Promise<Result> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((sock) => {
      sock.setNoDelay(true);
      const peerCpu = () =>
        new Promise<number>((ok) => {
          child.once('message', (m: { cpuMs: number }) => ok(m.cpuMs));
          child.send('cpu');
        });
      const t = timed(n, peerCpu);
      sock.on('data', (d) => (t.onEcho() ? sock.write(d) : undefined));
      t.done.then((r) => {
        child.kill();
        server.close();
        resolve(r);
      }, reject);
      sock.write(Buffer.alloc(200, 1));
    });
    let child: ReturnType<typeof fork>;
    server.listen(where, () => {
      const addr = server.address();
      child = fork(SELF, ['--echo', typeof addr === 'string' ? addr : String(addr!.port)], { execArgv: ['--conditions=esb-source', '--conditions=esb-source', '--import', 'tsx'] });
      child.once('exit', (code) => code && reject(new Error(`the echo process exited with ${code}`)));
    });
  });
}

/** The far end of a socket case: echoes everything, reports its CPU when asked. */
function echo(addr: string) {
  let c0 = 0;
  const sock = /^\d+$/.test(addr) ? net.connect(Number(addr), '127.0.0.1') : net.connect(addr);
  sock.setNoDelay(true);
  sock.once('data', () => (c0 = cpuMs()));
  sock.on('data', (d) => sock.write(d));
  process.on('message', () => process.send!({ cpuMs: cpuMs() - c0 }));
}

async function workerCase(n: number, atomics: boolean): Promise<Result> {
  // A worker's CPU is part of this process's, so cpuUsage() already counts both ends.
  const noPeer = async () => 0;
  if (!atomics) {
    const w = new Worker(WORKER_JS, { eval: true, workerData: { mode: 'postMessage' } });
    const t = timed(n, noPeer);
    w.on('message', (m) => (t.onEcho() ? w.postMessage(m) : undefined));
    w.postMessage('x'.repeat(200));
    const r = await t.done;
    await w.terminate();
    return r;
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(WORKER_JS, { eval: true, workerData: { mode: 'atomics', flag } });
  const t = timed(n, noPeer);
  for (;;) {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const wait = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync(flag, 0, 1);
    if (wait.async) await wait.value;
    if (!t.onEcho()) break;
  }
  const r = await t.done;
  await w.terminate();
  return r;
}

// The worker's side, as plain JS (workers do not inherit the tsx loader on Node 20).
const WORKER_JS = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.mode === 'postMessage') parentPort.on('message', (m) => parentPort.postMessage(m));
else for (const flag = workerData.flag; ; ) {
  Atomics.wait(flag, 0, 0); // sleeps until the main thread sets 1
  Atomics.store(flag, 0, 0);
  Atomics.notify(flag, 0);
}`;

async function promiseCase(n: number): Promise<Result> {
  const t = timed(n, async () => 0);
  const payload = 'x'.repeat(200);
  let echoed = await Promise.resolve(payload);
  while (t.onEcho()) echoed = await Promise.resolve(echoed);
  return t.done;
}

async function runCase(c: Case, n: number): Promise<Result> {
  if (c === 'promise') return promiseCase(n);
  if (c === 'tcp') return socketCase(n, 0);
  if (c === 'unix socket') {
    const sock = path.join(tmpdir(), `esb-handoff-${process.pid}.sock`);
    rmSync(sock, { force: true });
    try {
      return await socketCase(n, sock);
    } finally {
      rmSync(sock, { force: true });
    }
  }
  return workerCase(n, c === 'worker Atomics');
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  const n = Number(arg('--round-trips') ?? 20_000);
  const one = arg('--case') as Case | undefined;
  if (one) {
    process.stdout.write(`${JSON.stringify(await runCase(one, n))}\n`);
    return;
  }
  const pin = hasTaskset();
  const run = async (c: Case, pinned: boolean): Promise<Result> => {
    const node = [process.execPath, '--conditions=esb-source', '--conditions=esb-source', '--import', 'tsx', SELF, '--case', c, '--round-trips', String(n)];
    const [cmd, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
    const { stdout } = await promisify(execFile)(cmd, args, { timeout: 120_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Result;
  };
  const lines = [`hand-off ping-pong, 200 bytes, ${n} round trips (median of 3); CPU is both ends together`, `${'case'.padEnd(22)} ${'any core'.padStart(24)} ${pin ? 'one core (taskset -c 0)'.padStart(26) : ''}`];
  for (const c of CASES) {
    const cells: string[] = [];
    for (const pinned of pin ? [false, true] : [false]) {
      const rs: Result[] = [];
      for (let k = 0; k < 3; k++) rs.push(await run(c, pinned));
      rs.sort((a, b) => a.roundTripsPerSecond - b.roundTripsPerSecond);
      const m = rs[1];
      cells.push(`${Math.round(m.roundTripsPerSecond).toLocaleString('en-US').padStart(8)} rt/s ${m.cpuUsPerRoundTrip.toFixed(1).padStart(6)} µs CPU`);
    }
    lines.push(`${c.padEnd(22)} ${cells.map((x) => x.padStart(pin ? 24 : 24)).join('   ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[2] === '--echo') echo(process.argv[3]);
else await main();
