// Gateway speed: route lookup with 5,000 routes (target p50 < 5 µs), reload of a 5,000-route
// config (target < 200 ms), gateway RSS with 5,000 routes (target < 150 MB), and throughput of
// a bare fastify hello vs the gateway with an in-process trivial invoker at c=1 and c=32
// (autocannon, median of 3 runs), as absolute numbers and ratios.
// Run: node --conditions=esb-source --import tsx bench/src/gateway.bench.ts [--quick] [--only=lookup,reload,rss,throughput] [--runs N] [--duration S]
// Servers run in child processes so that autocannon does not share their event loop.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { stringify } from 'yaml';
import jsYaml from 'js-yaml';
import { FunctionsFile, RoutingFile, validate } from '@esb/contracts';
import type { Invoker } from '@esb/contracts';
import { buildGateway, compileRouteTable, PARSE_THREAD_IDLE_MS, startGateway } from '@esb/gateway';
import { createLogger } from '@esb/cli/log';
import { ESB_BIN, esbCode, startEsbAgent } from './lib/targets.js';
import { freePort, rssTree, sleep, startServer, waitFor } from './lib/servers.js';
import { openSync } from 'node:fs';
import { numberFlag } from './lib/args.js';

const SELF = fileURLToPath(import.meta.url);
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
// autocannon ships no types (dev dependency autocannon@8).
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; duration: number; pipelining: number }) => Promise<CannonResult>;
const ROUTES = 5000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => pct(xs, 50);

/** 5,000 routes over 1,000 services: static, {param}, two-param, ANY {proxy+}, and a POST. */
export function bigConfig(n = ROUTES): { functions: FunctionsFile; routing: RoutingFile } {
  const routes: RoutingFile['routes'] = [];
  const functions: Record<string, object> = {};
  for (let i = 0; routes.length < n; i++) {
    const fn = `fn${i}`;
    functions[fn] = { runtime: 'nodejs20.x', handler: 'index.handler', code: `/code/${fn}` };
    const api = i % 2 ? 'ServerlessHttpApi' : 'ServerlessRestApi';
    for (const [method, p] of [
      ['GET', `/svc${i}/items`],
      ['GET', `/svc${i}/items/{id}`],
      ['POST', `/svc${i}/items/{id}`],
      ['GET', `/svc${i}/items/{id}/parts/{part}`],
      ['ANY', `/svc${i}/{proxy+}`],
    ] as const) {
      if (routes.length < n) routes.push({ method, path: p, function: fn, api });
    }
  }
  return {
    functions: FunctionsFile.parse({ functions }),
    routing: RoutingFile.parse({ routes, apis: { ServerlessRestApi: { type: 'rest', stage: 'Prod' }, ServerlessHttpApi: { type: 'http' } } }),
  };
}

export const trivialInvoker = (): Invoker => {
  const payload = Buffer.from('{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"hello"}');
  return {
    has: () => true,
    invoke: async (_name, _p, ctx) => ({ requestId: ctx?.requestId ?? '', durationMs: 0, payload }),
  };
};

function lookupBench(iterations: number) {
  const { functions, routing } = bigConfig();
  const table = compileRouteTable(routing, functions);
  const paths: Array<[string, string]> = [];
  for (let k = 0; k < 1000; k++) {
    const i = (k * 7919) % 1000;
    const kind = k % 5;
    if (kind === 0) paths.push(['GET', `/svc${i}/items`]);
    else if (kind === 1) paths.push(['GET', `/svc${i}/items/abc${k}`]);
    else if (kind === 2) paths.push(['POST', `/svc${i}/items/abc${k}`]);
    else if (kind === 3) paths.push(['GET', `/svc${i}/items/a${k}/parts/p${k}`]);
    else paths.push(['DELETE', `/svc${i}/deep/path/${k}`]);
  }
  for (let w = 0; w < 20_000; w++) table.lookup(...paths[w % paths.length]);
  const times: number[] = [];
  let misses = 0;
  for (let w = 0; w < iterations; w++) {
    const [m, p] = paths[w % paths.length];
    const t0 = process.hrtime.bigint();
    const r = table.lookup(m, p);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!r.route) misses++;
  }
  // Batched: wall time of many lookups (no timer overhead per lookup).
  const t0 = performance.now();
  const batch = 200_000;
  for (let w = 0; w < batch; w++) table.lookup(...paths[w % paths.length]);
  const batchUs = ((performance.now() - t0) * 1000) / batch;
  if (misses) throw new Error(`${misses} lookups missed`);
  return { routes: table.routes.length, p50Us: pct(times, 50), p99Us: pct(times, 99), meanBatchedUs: batchUs };
}

async function reloadBench(runs: number) {
  const { functions, routing } = bigConfig();
  const fText = stringify(functions);
  const rText = stringify(routing);
  // Both files, minus file I/O: YAML parse (js-yaml, as the gateway) + zod validation + compile.
  // A reload re-reads only the file that changed (the watched end-to-end figure below).
  const times: number[] = [];
  const compileOnly: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const f = validate(FunctionsFile, jsYaml.load(fText), 'functions.yml');
    const r = validate(RoutingFile, jsYaml.load(rText), 'routing.yml');
    const t1 = performance.now();
    compileRouteTable(r, f);
    times.push(performance.now() - t0);
    compileOnly.push(performance.now() - t1);
  }
  // End to end through the watcher: atomic rename of routing.yml -> new table in service.
  const dir = await mkdtemp(path.join(tmpdir(), 'esb-bench-gw-'));
  const e2e: number[] = [];
  try {
    await writeFile(path.join(dir, 'functions.yml'), fText);
    await writeFile(path.join(dir, 'routing.yml'), rText);
    let resolveReload: (() => void) | undefined;
    const gw = await buildGateway({ invoker: trivialInvoker(), configDir: dir, log: pino({ level: 'silent' }), onReload: () => resolveReload?.() });
    for (let i = 0; i < Math.min(runs, 5); i++) {
      const next = { ...routing, routes: [...routing.routes, { method: 'GET' as const, path: `/extra${i}`, function: 'fn0', api: 'ServerlessRestApi' }] };
      await writeFile(path.join(dir, 'routing.yml.tmp'), stringify(next));
      const done = new Promise<void>((r) => (resolveReload = r));
      const t0 = performance.now();
      await rename(path.join(dir, 'routing.yml.tmp'), path.join(dir, 'routing.yml'));
      await done;
      e2e.push(performance.now() - t0);
    }
    await gw.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { parseValidateCompileMs: median(times), compileOnlyMs: median(compileOnly), watcherEndToEndMs: median(e2e), yamlBytes: fText.length + rText.length };
}

interface Child {
  proc: ChildProcess;
  url: string;
  rss(): Promise<number>;
  /** The child's CPU time (user + system) so far, µs. */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

function spawnServer(args: string[]): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = fork(SELF, args, { execArgv: [...esbCode().execArgv, '--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const rss = () =>
      new Promise<number>((ok) => {
        const on = (m: { rss?: number }) => {
          if (m.rss !== undefined) {
            proc.off('message', on);
            ok(m.rss);
          }
        };
        proc.on('message', on);
        proc.send({ rss: true });
      });
    const cpuUs = () =>
      new Promise<number>((ok) => {
        const on = (m: { cpuUs?: number }) => {
          if (m.cpuUs !== undefined) {
            proc.off('message', on);
            ok(m.cpuUs);
          }
        };
        proc.on('message', on);
        proc.send({ cpu: true });
      });
    const stop = () =>
      new Promise<void>((ok) => {
        proc.once('exit', () => ok());
        proc.kill('SIGTERM');
      });
    proc.once('message', (m: { ready?: string }) => (m.ready ? resolve({ proc, url: m.ready, rss, cpuUs, stop }) : reject(new Error('bad child message'))));
    proc.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
}

interface CannonRun {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** The server's CPU time per request over the run, µs (steadier than req/s on a shared machine). */
  cpuUsPerRequest: number;
}

async function cannon(server: Child, url: string, connections: number, duration: number): Promise<CannonRun> {
  const c0 = await server.cpuUs();
  const r = await autocannon({ url, connections, duration, pipelining: 1 });
  const cpu = (await server.cpuUs()) - c0;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, cpuUsPerRequest: cpu / Math.max(1, r.requests.total) };
}

async function throughputBench(duration: number, runs: number) {
  const targets = [
    { name: 'fastify hello (baseline)', args: ['--child', 'baseline'], path: '/hello/x' },
    { name: 'gateway, 5k routes, access log on', args: ['--child', 'gateway', 'info'], path: '/svc7/items/abc' },
    { name: 'gateway, 5k routes, access log off', args: ['--child', 'gateway', 'warn'], path: '/svc7/items/abc' },
    // The console's hooks on the API path (ring buffer, try-it capture) with a console page open.
    { name: 'gateway, log off, console page open', args: ['--child', 'gateway-console', 'warn'], path: '/svc7/items/abc' },
  ];
  const out: Array<{ name: string; c: number } & CannonRun> = [];
  const rss: Record<string, number> = {};
  // All servers up at once (idle ones cost nothing) and runs interleaved round-robin, so that
  // load from elsewhere on the machine hits every target alike and the ratios stay fair.
  const children = await Promise.all(targets.map((t) => spawnServer(t.args)));
  try {
    for (const c of [1, 32]) {
      const results: CannonRun[][] = targets.map(() => []);
      for (let i = 0; i < runs; i++) {
        for (let k = 0; k < targets.length; k++) {
          const url = children[k].url + targets[k].path;
          await autocannon({ url, connections: c, duration: 1, pipelining: 1 }); // back from idle first, as throughput.bench.ts
          results[k].push(await cannon(children[k], url, c, duration));
        }
      }
      targets.forEach((t, k) => {
        const rs = [...results[k]].sort((a, b) => a.rps - b.rps);
        const m = rs[Math.floor(rs.length / 2)];
        const cpu = results[k].map((r) => r.cpuUsPerRequest).sort((a, b) => a - b);
        out.push({ name: t.name, c, ...m, cpuUsPerRequest: cpu[Math.floor(cpu.length / 2)], errors: rs.reduce((s, r) => s + r.errors, 0), non2xx: rs.reduce((s, r) => s + r.non2xx, 0) });
      });
    }
    for (let k = 0; k < targets.length; k++) rss[targets[k].name] = (await children[k].rss()) / 1024 / 1024;
  } finally {
    await Promise.all(children.map((ch) => ch.stop()));
  }
  return { rows: out, rssAfterLoadMb: rss };
}

/**
 * The gateway as compose runs it: `esb gateway --agent-url` (the `esb` bin, compiled JavaScript
 * when the build is fresh) beside a real `esb agent`, on an empty CONFIG_DIR and on one of
 * 1,000 functions / 5,000 routes. RSS is read from /proc right after the config is in service
 * and again once the parse thread has ended (PARSE_THREAD_IDLE_MS), which is what a running
 * gateway keeps.
 */
async function rssBench() {
  const dir = await mkdtemp(path.join(tmpdir(), 'esb-bench-gw-rss-'));
  const empty = path.join(dir, 'empty');
  const big = path.join(dir, 'big');
  const logs = path.join(dir, 'logs');
  await Promise.all([empty, big, logs].map((d) => mkdir(d, { recursive: true })));
  const { functions, routing } = bigConfig();
  await writeFile(path.join(big, 'functions.yml'), stringify(functions));
  await writeFile(path.join(big, 'routing.yml'), stringify(routing));
  const agent = await startEsbAgent(big, logs);
  const measure = async (configDir: string, name: string) => {
    const port = await freePort();
    const server = startServer({
      name,
      cmd: process.execPath,
      args: [ESB_BIN, 'gateway', '--agent-url', agent.url, '--config-dir', configDir, '--port', String(port), '--host', '127.0.0.1'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
      logFile: path.join(logs, `${name}.log`),
    });
    try {
      await waitFor(`${name} /health`, async () => ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok ? true : undefined), 60_000, 50);
      const loadedMb = rssTree(server.pid).selfMb;
      await sleep(PARSE_THREAD_IDLE_MS + 2000);
      return { loadedMb, settledMb: rssTree(server.pid).selfMb };
    } finally {
      await server.stop();
    }
  };
  try {
    const e = await measure(empty, 'gateway-empty');
    const b = await measure(big, 'gateway-5k');
    return { emptyGatewayMb: e.settledMb, gateway5kRoutesMb: b.settledMb, gateway5kLoadedMb: b.loadedMb, emptyLoadedMb: e.loadedMb, from: esbCode().from };
  } finally {
    await agent.server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function child(mode: string, level: string) {
  if (mode === 'baseline') {
    const { startBaseline } = await import('./baseline-fastify.js');
    const { url } = await startBaseline(0);
    process.send?.({ ready: url });
  } else {
    const cfg = bigConfig();
    // esb dev's logger (pretty lines, batched), writing to /dev/null.
    const log = createLogger({ pretty: true, level, fd: openSync('/dev/null', 'w') }).child({ component: 'gateway' });
    if (mode === 'gateway-console') {
      const { createConsole, functionInfos, routeInfos } = await import('@esb/console');
      let table = () => compileRouteTable(cfg!.routing, cfg!.functions);
      const esbConsole = createConsole({
        sources: { deployments: async () => [], routes: () => routeInfos(table()), functions: () => functionInfos(table(), {}), gatewayUrl: () => '' },
      });
      const gw = await startGateway({ invoker: esbConsole.wrapInvoker(trivialInvoker()), host: '127.0.0.1', port: 0, log, initialConfig: cfg, console: esbConsole.plugin, onRequestDone: esbConsole.observe });
      table = gw.table;
      // An open console page: the stream is read and thrown away.
      const page = await fetch(`${gw.url}/_esb/events`);
      void page.body!.pipeTo(new WritableStream());
      process.send?.({ ready: gw.url });
    } else {
      const gw = await startGateway({ invoker: trivialInvoker(), host: '127.0.0.1', port: 0, log, initialConfig: cfg });
      process.send?.({ ready: gw.url });
    }
  }
  process.on('message', (m: { rss?: boolean; cpu?: boolean }) => {
    if (m.cpu) {
      const u = process.cpuUsage();
      process.send?.({ cpuUs: u.user + u.system });
    }
    if (m.rss) {
      globalThis.gc?.();
      process.send?.({ rss: process.memoryUsage().rss });
    }
  });
  process.on('SIGTERM', () => process.exit(0));
}

export async function runGatewayBench(opts: { quick?: boolean; only?: string[]; runs?: number; duration?: number } = {}) {
  const on = (part: string) => !opts.only || opts.only.includes(part);
  const lookup = on('lookup') ? lookupBench(opts.quick ? 20_000 : 200_000) : undefined;
  const reload = on('reload') ? await reloadBench(opts.quick ? 3 : 7) : undefined;
  const memory = on('rss') ? await rssBench() : undefined;
  const throughput = on('throughput') ? await throughputBench(opts.duration ?? (opts.quick ? 2 : 4), opts.runs ?? (opts.quick ? 1 : 3)) : undefined;
  return { lookup, reload, memory, throughput };
}

function report(r: Awaited<ReturnType<typeof runGatewayBench>>) {
  const f = (x: number, d = 2) => x.toFixed(d);
  const lines: string[] = [];
  if (r.lookup) lines.push(
    `route lookup, ${r.lookup.routes} routes: p50 ${f(r.lookup.p50Us)} µs, p99 ${f(r.lookup.p99Us)} µs (timer included), batched mean ${f(r.lookup.meanBatchedUs, 3)} µs  [target p50 < 5 µs: ${r.lookup.p50Us < 5 ? 'PASS' : 'FAIL'}]`);
  if (r.reload) lines.push(
    `reload, 5k routes (${(r.reload.yamlBytes / 1024).toFixed(0)} KiB YAML): parse+validate+compile ${f(r.reload.parseValidateCompileMs, 1)} ms (compile ${f(r.reload.compileOnlyMs, 1)} ms); rename -> new table in service ${f(r.reload.watcherEndToEndMs, 1)} ms  [target < 200 ms: ${r.reload.watcherEndToEndMs < 200 ? 'PASS' : 'FAIL'}]`);
  if (r.memory) lines.push(
    `RSS of esb gateway (${r.memory.from}), 5k routes: ${f(r.memory.gateway5kRoutesMb, 1)} MB settled, ${f(r.memory.gateway5kLoadedMb, 1)} MB right after loading (empty: ${f(r.memory.emptyGatewayMb, 1)} / ${f(r.memory.emptyLoadedMb, 1)} MB)  [target < 150 MB: ${r.memory.gateway5kRoutesMb < 150 ? 'PASS' : 'FAIL'}]`);
  if (!r.throughput) return lines.join('\n');
  lines.push(
    `RSS after load: ${Object.entries(r.throughput.rssAfterLoadMb).map(([k, v]) => `${k} ${f(v, 1)} MB`).join('; ')}`,
    'throughput (autocannon, median of runs):',
  );
  for (const c of [1, 32]) {
    const base = r.throughput.rows.find((x) => x.c === c && x.name.includes('baseline'))!;
    for (const row of r.throughput.rows.filter((x) => x.c === c)) {
      lines.push(`  c=${String(c).padEnd(2)} ${row.name.padEnd(36)} ${f(row.rps, 0).padStart(7)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  ratio ${f((row.rps / base.rps) * 100, 1)}%  CPU ${f(row.cpuUsPerRequest, 0)} µs/req${row.errors || row.non2xx ? `  errors ${row.errors} non2xx ${row.non2xx}` : ''}`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] === SELF) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) await child(process.argv[i + 1], process.argv[i + 2] ?? 'warn');
  else {
    const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
    const num = (flag: string) => numberFlag(process.argv, flag);
    const r = await runGatewayBench({ quick: process.argv.includes('--quick'), only, runs: num('--runs'), duration: num('--duration') });
    process.stdout.write(`${report(r)}\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}
