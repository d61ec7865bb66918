// The gateway alone at several commits, side by side in one run: each commit's gateway/src and
// cli/src (esb's logger) are extracted to bench/.steps/<commit>/ and served by a child process
// (5,000 routes, a trivial in-process invoker, esb dev's pretty logger writing to /dev/null, as
// gateway.bench.ts), next to bare fastify. Runs are interleaved; each row gives req/s, the ratio
// to fastify in the same round, and the server's CPU time per request (steadier than req/s on
// a shared machine). Shows what each step of a change to the hot path buys.
// `--node-http` adds a bare node:http hello (one writeHead + end): the floor under any framework.
// Run: node --conditions=esb-source --import tsx bench/src/gateway-steps.ts [--runs 3] [--duration 3] [--c 32] [--level info] [--node-http] <commit> ...
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { BENCH_DIR, REPO } from './lib/targets.js';
import { bigConfig, trivialInvoker } from './gateway.bench.js';

const SELF = fileURLToPath(import.meta.url);
const STEPS_DIR = path.join(BENCH_DIR, '.steps');
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; duration: number; pipelining: number }) => Promise<{ requests: { average: number; total: number }; non2xx: number; errors: number }>;

interface Child {
  name: string;
  url: string;
  proc: ChildProcess;
  ask<T>(what: 'cpu'): Promise<T>;
}

/** gateway/src and cli/src of `commit`, extracted once. */
export function extract(commit: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', commit], { cwd: REPO, encoding: 'utf8' }).trim();
  const dir = path.join(STEPS_DIR, sha);
  if (!existsSync(path.join(dir, 'gateway', 'src', 'index.ts'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} gateway/src cli/src | tar -x -C ${JSON.stringify(dir)}`], { cwd: REPO });
  }
  return dir;
}

function spawnChild(name: string, args: string[]): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = fork(SELF, ['--child', ...args], { execArgv: ['--conditions=esb-source', '--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const ask = <T>(what: 'cpu') =>
      new Promise<T>((ok) => {
        const on = (m: { answer?: string; value?: T }) => {
          if (m.answer === what) {
            proc.off('message', on);
            ok(m.value as T);
          }
        };
        proc.on('message', on);
        proc.send({ ask: what });
      });
    proc.once('message', (m: { ready?: string }) => (m.ready ? resolve({ name, url: m.ready, proc, ask }) : reject(new Error('bad child message'))));
    proc.once('exit', (code) => reject(new Error(`${name}: child exited with ${code}`)));
  });
}

async function child(kind: string, dir: string | undefined, level: string) {
  let url: string;
  if (kind === 'fastify') {
    const { startBaseline } = await import('./baseline-fastify.js');
    url = (await startBaseline(0)).url;
  } else if (kind === 'node-http') {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 5 });
      res.end('hello');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  } else {
    const gateway = (await import(pathToFileURL(path.join(dir!, 'gateway', 'src', 'index.ts')).href)) as typeof import('@esb/gateway');
    const { createLogger } = (await import(pathToFileURL(path.join(dir!, 'cli', 'src', 'log.ts')).href)) as typeof import('@esb/cli/log');
    const log = createLogger({ pretty: true, level, fd: openSync('/dev/null', 'w') }).child({ component: 'gateway' });
    url = (await gateway.startGateway({ invoker: trivialInvoker(), host: '127.0.0.1', port: 0, log, initialConfig: bigConfig() })).url;
  }
  process.on('message', (m: { ask?: string }) => {
    if (m.ask === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ answer: 'cpu', value: u.user + u.system });
    }
  });
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ ready: url });
}

async function main(argv: string[]) {
  const opt = (flag: string, dflt: string) => {
    const i = argv.indexOf(flag);
    return i < 0 ? dflt : argv.splice(i, 2)[1];
  };
  const runs = Number(opt('--runs', '3'));
  const duration = Number(opt('--duration', '3'));
  const connections = Number(opt('--c', '32'));
  const level = opt('--level', 'info');
  const withNodeHttp = argv.includes('--node-http') ? (argv.splice(argv.indexOf('--node-http'), 1), true) : false;
  const commits = argv.filter((a) => !a.startsWith('--'));
  if (!commits.length) throw new Error('usage: gateway-steps.ts [--runs N] [--duration S] [--c N] [--level L] <commit> ...');
  const children = [await spawnChild('fastify', ['fastify'])];
  if (withNodeHttp) children.push(await spawnChild('node:http', ['node-http']));
  for (const c of commits) children.push(await spawnChild(c, ['gateway', extract(c), level]));
  const paths = children.map((ch) => (ch.name === 'fastify' ? '/hello/x' : ch.name === 'node:http' ? '/' : '/svc7/items/abc'));
  const rows = children.map(() => [] as Array<{ rps: number; ratio: number; cpuUs: number }>);
  try {
    for (let k = 0; k < children.length; k++) await autocannon({ url: children[k].url + paths[k], connections: 8, duration: 1, pipelining: 1 });
    for (let r = 0; r < runs; r++) {
      const round: Array<{ rps: number; cpuUs: number }> = [];
      for (let k = 0; k < children.length; k++) {
        const c0 = await children[k].ask<number>('cpu');
        const res = await autocannon({ url: children[k].url + paths[k], connections, duration, pipelining: 1 });
        const cpu = (await children[k].ask<number>('cpu')) - c0;
        if (res.non2xx || res.errors) process.stderr.write(`${children[k].name}: ${res.non2xx} non-2xx, ${res.errors} errors\n`);
        round.push({ rps: res.requests.average, cpuUs: cpu / Math.max(1, res.requests.total) });
      }
      round.forEach((x, k) => rows[k].push({ ...x, ratio: x.rps / round[0].rps }));
    }
  } finally {
    for (const ch of children) ch.proc.kill('SIGTERM');
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const lines = [`c=${connections}, ${runs} interleaved rounds of ${duration} s, LOG_LEVEL=${level}; medians (ratio: to fastify in the same round)`];
  children.forEach((ch, k) => {
    const rs = rows[k];
    lines.push(`${ch.name.padEnd(12)} ${med(rs.map((x) => x.rps)).toFixed(0).padStart(7)} req/s  ratio ${med(rs.map((x) => x.ratio)).toFixed(2)}  CPU ${med(rs.map((x) => x.cpuUs)).toFixed(0).padStart(4)} µs/req   (ratios ${rs.map((x) => x.ratio.toFixed(2)).join(' ')}; CPU ${rs.map((x) => x.cpuUs.toFixed(0)).join(' ')})`);
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] === SELF) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) await child(process.argv[i + 1], process.argv[i + 2], process.argv[i + 3] ?? 'info');
  else await main(process.argv.slice(2));
}
