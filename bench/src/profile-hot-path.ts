// Where does a warm request's time go? Starts `esb dev` (process runtime) under `node
// --cpu-prof`, deploys the Node hello with NODE_OPTIONS=--cpu-prof for its instances, drives
// load with autocannon from this process, stops everything (profiles are written on exit) and
// prints self time by component and the top functions of each profile.
// Run: node --conditions=esb-source --import tsx bench/src/profile-hot-path.ts [--duration 10] [--connections 32] [--instances 2] [--quiet-logs] [--keep DIR]
//      node --conditions=esb-source --import tsx bench/src/profile-hot-path.ts --summarize DIR/cpuprofiles   (again, from kept profiles)
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { load, startServer, timedGet, waitFor, freePort } from './lib/servers.js';
import { FIXTURES, REPO, firstOk } from './lib/targets.js';
import { cp, writeFile } from 'node:fs/promises';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the system a frame belongs to (by its script URL). */
export function component(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, not attributed)';
  if (!url) return `native: ${fn || '(anonymous)'}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm: ${nm[1]}`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const own = /\/work\/main\/([^/]+\/(?:src|runtime\/[^/]+))\//.exec(url) ?? /\/(gateway|agent|controller|crds|provisioner)\/(src|runtime)\//.exec(url);
  if (own) return `esb: ${own[1]}${own[2] ? `/${own[2]}` : ''}`;
  return url.replace(/^file:\/\//, '');
}

/**
 * Self time by component and by function. `window` (µs on the monotonic clock, which V8's
 * profile timestamps and process.hrtime share on Linux) keeps only the samples of the load.
 */
/** Activities a sample is charged to: the first frame from the leaf up that matches one (so a socket write inside the Runtime API server counts as Runtime API). */
export const ACTIVITIES: Array<[string, RegExp]> = [
  ['logging (pino, esb log formatting, function log capture)', /node_modules\/(pino|sonic-boom|thread-stream)|cli\/src\/log\.ts|agent\/src\/(logs|lines)\.ts/],
  ['agent: Runtime API server (instance <-> agent HTTP)', /agent\/src\/(instance|http-server|runtime-api-server)\.ts/],
  ['agent: pool / invoke', /agent\/src\/(pool|agent|invoker|process-driver)\.ts/],
  ['gateway: event building, response mapping', /gateway\/src\//],
  ['fastify + its router (client HTTP)', /node_modules\/(fastify|find-my-way|light-my-request|@fastify|avvio)/],
  ['runtime client (bootstrap.mjs)', /agent\/runtime\/nodejs\//],
  ['controller, config watch, storage', /controller\/src\/|node_modules\/(chokidar|dynalite|s3rver|yaml|zod)/],
  ['node http (unattributed)', /^node:_http|node:net|node:internal\/stream/],
];

export function summarize(p: CpuProfile, top = 15, window?: [number, number]): { totalMs: number; byComponent: Array<[string, number]>; byFunction: Array<[string, number]>; byActivity: Array<[string, number]> } {
  const hits = new Map<number, number>();
  let t = p.startTime;
  let kept = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window[0] || t > window[1])) continue;
    hits.set(p.samples[i], (hits.get(p.samples[i]) ?? 0) + 1);
    kept++;
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const totalUs = kept ? last - first : 0;
  const perSample = totalUs / Math.max(1, kept) / 1000;
  const comp = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (!h) continue;
    const ms = h * perSample;
    const c = component(n.callFrame.url, n.callFrame.functionName);
    comp.set(c, (comp.get(c) ?? 0) + ms);
    const short = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(`${REPO}/`, '');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + ms);
  }
  const parent = new Map<number, number>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const act = new Map<string, number>();
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (!h || n.callFrame.functionName === '(idle)') continue;
    let label = n.callFrame.functionName === '(garbage collector)' ? 'GC' : 'other';
    const chain: string[] = [];
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) chain.push(byId.get(id)!.callFrame.url);
    // The last activity is the fallback: used only when no other one is on the stack.
    for (const [name, re] of label === 'GC' ? [] : ACTIVITIES.slice(0, -1)) {
      const at = chain.findIndex((u) => re.test(u));
      if (at >= 0 && (label === 'other' || at < chain.findIndex((u) => ACTIVITIES.find(([l]) => l === label)![1].test(u)))) label = name;
    }
    if (label === 'other' && chain.some((u) => ACTIVITIES.at(-1)![1].test(u))) label = ACTIVITIES.at(-1)![0];
    act.set(label, (act.get(label) ?? 0) + h * perSample);
  }
  const sort = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs: totalUs / 1000, byComponent: sort(comp).slice(0, top), byFunction: sort(fns).slice(0, top), byActivity: sort(act) };
}

function print(name: string, s: ReturnType<typeof summarize>, requests: number) {
  const busy = s.totalMs - (s.byComponent.find(([c]) => c === 'idle')?.[1] ?? 0);
  const lines = [`\n### ${name}: ${s.totalMs.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms busy, ${requests ? `${((busy * 1000) / requests).toFixed(0)} µs CPU per request` : ''}`];
  lines.push('busy time by activity (leaf-up attribution):');
  for (const [c, ms] of s.byActivity) lines.push(`  ${((ms / busy) * 100).toFixed(1).padStart(5)}% of busy  ${ms.toFixed(0).padStart(6)} ms  ${requests ? `${((ms * 1000) / requests).toFixed(0).padStart(5)} µs/req` : ''}  ${c}`);
  lines.push('self time by component:');
  for (const [c, ms] of s.byComponent) lines.push(`  ${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${c}`);
  lines.push('top functions (self):');
  for (const [f, ms] of s.byFunction) lines.push(`  ${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%  ${f}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function summarizeDir(profDir: string) {
  const { window, requests } = JSON.parse(await readFile(path.join(profDir, 'window.json'), 'utf8')) as { window: [number, number]; requests: number };
  for (const sub of ['esb-dev', 'function']) {
    for (const f of (await readdir(path.join(profDir, sub))).filter((x) => x.endsWith('.cpuprofile'))) {
      print(`${sub} — ${f}`, summarize(JSON.parse(await readFile(path.join(profDir, sub, f), 'utf8')) as CpuProfile, 15, window), requests);
    }
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--summarize') return summarizeDir(path.resolve(argv[1]));
  const opt = (flag: string, d: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : d);
  const duration = Number(opt('--duration', '10'));
  const connections = Number(opt('--connections', '32'));
  const keep = argv.includes('--keep') ? path.resolve(opt('--keep', 'profiles')) : undefined;
  const work = keep ?? (await mkdtemp(path.join(tmpdir(), 'esb-prof-')));
  const profDir = path.join(work, 'cpuprofiles');
  const devDir = path.join(profDir, 'esb-dev');
  const fnDir = path.join(profDir, 'function');
  await mkdir(devDir, { recursive: true });
  await mkdir(fnDir, { recursive: true });
  // Instances run as their own uid when esb is root (docs/security.md): they read the preload
  // and write their profiles here.
  await chmod(work, 0o755);
  await chmod(profDir, 0o755);
  await chmod(fnDir, 0o1777);
  // --cpu-prof is not allowed in NODE_OPTIONS: the instances get a preload that runs the same
  // V8 sampling profiler through node:inspector and writes it when the agent stops them (SIGTERM).
  const preload = path.join(work, 'cpu-profile-preload.cjs');
  await writeFile(
    preload,
    [
      "const inspector = require('node:inspector'); const fs = require('node:fs'); const path = require('node:path');",
      'const s = new inspector.Session(); s.connect(); s.post("Profiler.enable"); s.post("Profiler.start");',
      "process.on('SIGTERM', () => s.post('Profiler.stop', (err, r) => { if (!err) fs.writeFileSync(path.join(process.env.ESB_PROF_DIR, `instance-${process.pid}.cpuprofile`), JSON.stringify(r.profile)); process.exit(0); }));",
      '',
    ].join('\n'),
  );
  const ws = path.join(work, 'ws');
  await mkdir(path.join(ws, 'deployments'), { recursive: true });
  await cp(path.join(FIXTURES, 'app'), path.join(ws, 'app'), { recursive: true });
  await writeFile(
    path.join(ws, 'template.yml'),
    `AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  HelloNode:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: prof-hello-node\n      Runtime: nodejs20.x\n      CodeUri: app/\n      Handler: hello.handler\n      ReservedConcurrentExecutions: ${Number(opt('--instances', '2'))}\n      Environment:\n        Variables:\n          NODE_OPTIONS: "--require=${preload}"\n          ESB_PROF_DIR: ${fnDir}\n      Events:\n        Hello: { Type: Api, Properties: { Path: /hello/node, Method: get } }\n`,
  );
  const port = await freePort();
  const server = startServer({
    name: 'esb dev (profiled)',
    cmd: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${devDir}`, path.join(REPO, 'cli', 'bin', 'esb.js'), 'dev', '--workspace', ws, '--port', String(port), '--no-examples', '--dynamodb-port', '0', '--s3-port', '0', '--sqs-port', '0'],
    cwd: REPO,
    env: { ...process.env, ...(argv.includes('--quiet-logs') ? { LOG_LEVEL: 'warn' } : {}) },
    logFile: path.join(work, 'esb-dev.log'),
    graceMs: 20_000,
  });
  const url = `http://127.0.0.1:${port}`;
  let requests = 0;
  let window: [number, number] | undefined;
  try {
    await waitFor('esb dev', async () => ((await timedGet(`${url}/health`, 2000)).status === 200 && existsSync(path.join(ws, '.esb', 'dev.json')) ? true : undefined), 90_000, 50);
    await writeFile(path.join(ws, 'deployments', 'prof.yaml'), 'apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata:\n  name: prof\nspec:\n  template: ../template.yml\n  project: esb\n  env: default\n');
    await firstOk(`${url}/hello/node`, 90_000, 10, server);
    await load(`${url}/hello/node`, connections, 2); // warm-up
    const w0 = Number(process.hrtime.bigint() / 1000n);
    const r = await load(`${url}/hello/node`, connections, duration);
    window = [w0, Number(process.hrtime.bigint() / 1000n)];
    requests = r.requests + 0;
    process.stdout.write(`load: c=${connections} ${duration}s -> ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${r.requests} requests; profiles include warm-up and start)\n`);
  } finally {
    await server.stop();
  }
  for (const [label, dir] of [['esb dev process (gateway + agent + controller + storage)', devDir], ['function instance (Node runtime client + handler)', fnDir]] as const) {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of files) print(`${label} — ${f}`, summarize(JSON.parse(await readFile(path.join(dir, f), 'utf8')) as CpuProfile, 15, window), requests);
  }
  if (keep) await writeFile(path.join(profDir, 'window.json'), JSON.stringify({ window, requests }));
  if (keep) process.stdout.write(`\nprofiles kept in ${profDir} (open in Chrome DevTools > Performance, or speedscope)\n`);
  else await rm(work, { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
