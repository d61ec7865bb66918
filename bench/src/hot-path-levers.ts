// What each lever of the gateway's lean hot path saves per request, before and after, in one
// process: the two ways of doing the same per-request work alternate in tight loops (5 rounds,
// median), CPU time per operation from process.cpuUsage. On a shared machine this is steadier
// than comparing servers under load, where run-to-run spread is larger than these savings.
// Run: node --conditions=esb-source --import tsx bench/src/hot-path-levers.ts [--ops 100000] [--rounds 5]
// (the cost of the yields every 500 calls is in both columns alike)
import { randomUUID } from 'node:crypto';
import { openSync } from 'node:fs';
import { pino } from 'pino';
import { createLogger } from '@esb/cli/log';
import { accessLog as accessLogOf, DeadlineQueue, formatRequestTime, newTraceId } from '@esb/gateway';
import { numberFlag } from './lib/args.js';

const arg = (flag: string, dflt: number) => numberFlag(process.argv, flag, dflt);
const OPS = arg('--ops', 100_000);
const ROUNDS = arg('--rounds', 5);

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * µs of CPU per call of `fn`. It yields to the event loop every 500 calls, so that the log's
 * 20 ms flushes run as they do under load (a line waits at most that long).
 */
async function time(fn: (i: number) => void): Promise<number> {
  const c0 = cpuUs();
  for (let i = 0; i < OPS; i++) {
    fn(i);
    if (i % 500 === 499) await new Promise<void>((r) => setImmediate(r));
  }
  return (cpuUs() - c0) / OPS;
}

interface Lever {
  name: string;
  before: [string, (i: number) => void];
  after: [string, (i: number) => void];
}

// esb dev's logger (pretty, batched), writing to /dev/null.
const log = createLogger({ pretty: true, level: 'info', fd: openSync('/dev/null', 'w') }).child({ component: 'gateway' });
const access = accessLogOf(log);
const entry = (i: number) => ({ method: 'GET', path: '/svc7/items/abc', route: 'GET /svc7/items/{id}', function: 'fn7', status: 200, durationMs: 0.42, requestId: `0b6a4a7e-7c1e-4d5f-9a3b-${String(i).padStart(12, '0')}` });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
const deadlines = new DeadlineQueue(29_000);
const noop = () => {};
let sink: unknown;

const LEVERS: Lever[] = [
  {
    name: 'per-request logger',
    before: ['pino child per request (fastify default)', (i) => (sink = log.child({ reqId: `req-${i}` }))],
    after: ['none (childLoggerFactory hands back the logger)', () => (sink = log)],
  },
  {
    name: 'access log line (pretty)',
    before: ['pino JSON line, parsed back and formatted', (i) => log.info(entry(i), 'request')],
    after: ['record formatted once (writeRecord)', (i) => access(entry(i))],
  },
  {
    name: 'integration timeout',
    before: ['setTimeout + clearTimeout per request', () => clearTimeout(setTimeout(noop, 29_000))],
    after: ['deadline queue add + cancel', () => deadlines.add(noop).cancel()],
  },
  {
    name: 'requestTime string',
    before: [
      'formatted per request',
      () => {
        const d = new Date(Date.now());
        sink = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
      },
    ],
    after: ['formatted once a second', () => (sink = formatRequestTime(Date.now()))],
  },
  {
    name: 'trace id',
    before: [
      'seconds hex + five slices per request',
      () => {
        const u = randomUUID();
        sink = `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(14, 18)}${u.slice(19, 23)}${u.slice(24, 28)}`;
      },
    ],
    after: ['seconds prefix cached, three slices', () => (sink = newTraceId(Date.now()))],
  },
];

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const lines = [`${OPS} operations x ${ROUNDS} interleaved rounds; CPU per operation (median)`];
for (const lever of LEVERS) {
  for (let w = 0; w < 2; w++) (await time(lever.before[1]), await time(lever.after[1])); // JIT warm-up
  const b: number[] = [];
  const a: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(await time(lever.before[1]));
    a.push(await time(lever.after[1]));
  }
  lines.push(`${lever.name.padEnd(26)} ${lever.before[0]}: ${med(b).toFixed(2)} µs -> ${lever.after[0]}: ${med(a).toFixed(2)} µs (saves ${(med(b) - med(a)).toFixed(2)} µs)`);
}
void sink;
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
