// Servers under test run as child processes (their own process group, output to a log file so
// the harness never parses their logs on its event loop); the load generator (autocannon) runs
// in the harness process. Also: RSS of a process tree from /proc, timed HTTP GETs, free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { pct } from './stats.js';

export { freePort } from '@esb/contracts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface TimedResponse {
  status: number;
  ms: number;
  body: string;
}

/** One GET on a fresh socket (no keep-alive), timed from request to full body. */
export function timedGet(url: string, timeoutMs = 30_000): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Polls until `probe` returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** RSS in MB of `pid` and, separately, of all its descendants (from /proc; Linux only). */
export function rssTree(pid: number): { selfMb: number; childrenMb: number; children: number } {
  const rssOf = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      /* gone */
    }
  }
  const descendants: number[] = [];
  const frontier = [pid];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const [c, pp] of parent) if (pp === p) (descendants.push(c), frontier.push(c));
  }
  return { selfMb: rssOf(pid), childrenMb: descendants.reduce((s, p) => s + rssOf(p), 0), children: descendants.length };
}

export interface Server {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  /** The last lines of its output (for error messages). */
  tail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a child in its own process group with stdout+stderr into `logFile`. stop(): SIGTERM
 * to the child (graceful close), then SIGKILL to its group if it has not exited in `graceMs`.
 */
export function startServer(opts: { name: string; cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv; logFile: string; graceMs?: number }): Server {
  const fd = openSync(opts.logFile, 'a');
  const proc = spawn(opts.cmd, opts.args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  if (!proc.pid) throw new Error(`${opts.name}: could not start ${opts.cmd}`);
  const pid = proc.pid;
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
  const tail = async (n = 30) => {
    try {
      return (await readFile(opts.logFile, 'utf8')).split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = sleep(opts.graceMs ?? 10_000).then(() => 'timeout' as const);
    if ((await Promise.race([exit.then(() => 'exited' as const), timer])) === 'timeout') {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exit;
    }
    // Anything its group left behind (function instances that ignored the shutdown).
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* none left */
    }
  };
  return { name: opts.name, proc, pid, logFile: opts.logFile, tail, stop };
}

export interface LoadResult {
  connections: number;
  durationS: number;
  rps: number;
  requests: number;
  /** Latency percentiles in ms, from every response's own timing (µs resolution). */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  errors: number;
  non2xx: number;
}

interface AutocannonInstance extends Promise<{ requests: { total: number; average: number }; errors: number; timeouts: number; non2xx: number; duration: number }> {
  on(event: 'response', fn: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
}
type Autocannon = (o: { url: string; connections: number; duration: number; pipelining: number }) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** autocannon for `durationS` at `connections`; latencies collected per response (float ms). */
export async function load(url: string, connections: number, durationS: number): Promise<LoadResult> {
  const times: number[] = [];
  const inst = autocannon({ url, connections, duration: durationS, pipelining: 1 });
  inst.on('response', (_c, status, _b, rt) => {
    if (status >= 200 && status < 300) times.push(rt);
  });
  const r = await inst;
  const mean = times.reduce((s, x) => s + x, 0) / Math.max(1, times.length);
  return {
    connections,
    durationS,
    rps: r.requests.total / (r.duration || durationS),
    requests: r.requests.total,
    p50: pct(times, 50),
    p90: pct(times, 90),
    p99: pct(times, 99),
    mean,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}
