// Route latency while a big template deploys: a warm route of a running `esb dev` (process
// runtime, a child process) is polled at a steady rate, once with nothing else happening and once
// while a 5,000-function template deploys (manifest written -> Deployment Ready -> its last route
// answers), in the same run. A deploy's heavy work (generate, apply, the gateway's reload) must not
// hold the serving loop (target: p99 < 50 ms during the deploy). See docs/apply.md.
// Run alone: node --conditions=esb-source --import tsx bench/src/deploy-stall.bench.ts [--functions 5000] [--rate 50] [--quick] [--cpu-prof DIR]
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { benchResultLine, header, row, table, type BenchOutput, type Row } from './lib/report.js';
import { sleep } from './lib/servers.js';
import { machine, pct } from './lib/stats.js';
import { DEPLOY_STALL_P99_TARGET_MS, FIXTURES, firstOk, startEsbDev } from './lib/targets.js';

export interface DeployStallOptions {
  /** Functions (one route each) in the big template. */
  functions: number;
  /** Requests per second to the warm route. */
  rate: number;
  /** Length of the idle poll, s. */
  idleS: number;
  /** Write a CPU profile of esb dev's main thread into this folder (to find what still stalls it). */
  cpuProfDir?: string;
  log?: (line: string) => void;
}

export function deployStallArgs(argv: string[]): DeployStallOptions {
  const num = (flag: string, dflt: number) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const quick = argv.includes('--quick');
  const prof = argv.indexOf('--cpu-prof');
  return { functions: num('--functions', quick ? 1000 : 5000), rate: num('--rate', 50), idleS: num('--idle', quick ? 3 : 8), ...(prof >= 0 ? { cpuProfDir: path.resolve(argv[prof + 1]) } : {}) };
}

/** A template of `n` Node functions sharing one code folder, one GET route each (/big/f<i>). */
export function bigTemplate(n: number, codeDir: string): string {
  const lines = ["AWSTemplateFormatVersion: '2010-09-09'", 'Transform: AWS::Serverless-2016-10-31', 'Resources:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  Fn${i}:`,
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      FunctionName: big-f${i}`,
      '      Runtime: nodejs20.x',
      `      CodeUri: ${codeDir}`,
      '      Handler: hello.handler',
      '      Events:',
      `        Get: { Type: Api, Properties: { Path: /big/f${i}, Method: get } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const WARM_TEMPLATE = [
  "AWSTemplateFormatVersion: '2010-09-09'",
  'Transform: AWS::Serverless-2016-10-31',
  'Resources:',
  '  Warm:',
  '    Type: AWS::Serverless::Function',
  '    Properties:',
  '      FunctionName: stall-warm',
  '      Runtime: nodejs20.x',
  '      CodeUri: app/',
  '      Handler: hello.handler',
  '      Events:',
  '        Get: { Type: Api, Properties: { Path: /warm, Method: get } }',
  '',
].join('\n');

/** GETs `url` every 1000/rate ms (open loop: a slow answer does not delay the next request) until stopped. */
function poll(url: string, rate: number): { stop(): Promise<{ ms: number[]; errors: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const ms: number[] = [];
  let errors = 0;
  const inflight = new Set<Promise<void>>();
  const one = () => {
    const p = new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.get(url, { agent, timeout: 60_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ms.push(performance.now() - t0);
          else errors++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const every = 1000 / rate;
  const start = performance.now();
  let sent = 0;
  // A drift-free schedule: request k goes at start + k * every.
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - start) / every) + 1;
    while (sent < due) (sent++, one());
  }, Math.max(1, Math.floor(every / 2)));
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      agent.destroy();
      return { ms, errors };
    },
  };
}

interface Status {
  ready?: { status: string; reason?: string; message?: string };
  observedGeneration?: number;
}

async function readStatus(file: string): Promise<Status | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const doc = (parseYaml(text) ?? {}) as { status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } };
  const status = doc.status ?? (doc as { observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> });
  return { observedGeneration: status.observedGeneration, ready: status.conditions?.find((c) => c.type === 'Ready') };
}

export async function runDeployStall(opts: DeployStallOptions): Promise<BenchOutput> {
  const log = opts.log ?? (() => {});
  const work = await mkdtemp(path.join(tmpdir(), 'esb-bench-stall-'));
  const workspace = path.join(work, 'ws');
  const templates = path.join(work, 'templates');
  await mkdir(templates, { recursive: true });
  await cp(path.join(FIXTURES, 'app'), path.join(templates, 'app'), { recursive: true });
  await writeFile(path.join(templates, 'warm.yml'), WARM_TEMPLATE);
  await writeFile(path.join(templates, 'big.yml'), bigTemplate(opts.functions, 'app/'));
  const dev = await startEsbDev({ workspace, runtime: 'process', logDir: work, ...(opts.cpuProfDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] } : {}) });
  const rows: Row[] = [];
  try {
    const deploymentsDir = path.join(workspace, 'deployments');
    await dev.deploy('warm', path.relative(deploymentsDir, path.join(templates, 'warm.yml')));
    const warmUrl = `${dev.url}/warm`;
    await firstOk(warmUrl, 60_000, 20, dev.server);
    const warmup = poll(warmUrl, opts.rate);
    await sleep(1000);
    await warmup.stop();
    await sleep(500);

    log(`idle: polling ${warmUrl} at ${opts.rate}/s for ${opts.idleS} s`);
    const idlePoll = poll(warmUrl, opts.rate);
    await sleep(opts.idleS * 1000);
    const idle = await idlePoll.stop();
    await sleep(500);

    log(`deploy: ${opts.functions} functions, polling ${warmUrl} at ${opts.rate}/s until Ready and /big/f${opts.functions - 1} answers`);
    const statusFile = path.join(workspace, '.esb', 'status', 'default', 'big.yaml');
    const during = poll(warmUrl, opts.rate);
    const t0 = performance.now();
    await dev.deploy('big', path.relative(deploymentsDir, path.join(templates, 'big.yml')));
    let readyAt: number | undefined;
    let failure: string | undefined;
    while (performance.now() - t0 < 600_000) {
      const s = await readStatus(statusFile);
      if (s?.ready?.status === 'True' && s.observedGeneration === 1) {
        readyAt = performance.now() - t0;
        break;
      }
      if (s?.ready?.status === 'False' && s.observedGeneration === 1 && s.ready.reason && !['Pending', 'Generating', 'BuildingImages', 'Applying', 'Provisioning'].includes(s.ready.reason)) {
        failure = `${s.ready.reason}: ${s.ready.message ?? ''}`;
        break;
      }
      await sleep(50);
    }
    if (failure || readyAt === undefined) {
      await during.stop();
      throw new Error(`the ${opts.functions}-function deploy did not become Ready: ${failure ?? 'timed out'}\n${await dev.server.tail()}`);
    }
    const served = await firstOk(`${dev.url}/big/f${opts.functions - 1}`, 120_000, 20, dev.server);
    const servedAt = served.at - t0;
    await sleep(500); // follow-up work (status write, resync) inside the window too
    const deploying = await during.stop();
    log(`deploy Ready after ${(readyAt / 1000).toFixed(1)} s, last route served after ${(servedAt / 1000).toFixed(1)} s`);

    const stat = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs), n: xs.length });
    const a = stat(idle.ms);
    const b = stat(deploying.ms);
    log(`idle:   p50 ${a.p50.toFixed(1)} p99 ${a.p99.toFixed(1)} max ${a.max.toFixed(1)} ms (${a.n} requests, ${idle.errors} errors)`);
    log(`deploy: p50 ${b.p50.toFixed(1)} p99 ${b.p99.toFixed(1)} max ${b.max.toFixed(1)} ms (${b.n} requests, ${deploying.errors} errors)`);
    const subject = `esb dev (process), warm route at ${opts.rate}/s`;
    const during_ = `during a ${opts.functions.toLocaleString('en-US')}-function deploy`;
    rows.push(
      row({ bench: 'deploy stall', subject, metric: `p50 ${during_}`, value: b.p50, unit: 'ms', baseline: { name: 'no deploy', value: a.p50 }, runs: b.n, detail: `${deploying.errors} errors` }),
      row({ bench: 'deploy stall', subject, metric: `p99 ${during_}`, value: b.p99, unit: 'ms', baseline: { name: 'no deploy', value: a.p99 }, target: `< ${DEPLOY_STALL_P99_TARGET_MS} ms`, met: b.p99 < DEPLOY_STALL_P99_TARGET_MS, runs: b.n }),
      row({ bench: 'deploy stall', subject, metric: `max ${during_}`, value: b.max, unit: 'ms', baseline: { name: 'no deploy', value: a.max }, runs: b.n }),
      row({ bench: 'deploy stall', subject: `esb dev (process), ${opts.functions.toLocaleString('en-US')} functions`, metric: 'manifest -> Ready', value: readyAt, unit: 'ms', runs: 1, detail: `last route served after ${servedAt.toFixed(0)} ms` }),
    );
    return { rows, skips: [], raw: { idle: a, deploying: b, idleErrors: idle.errors, deployErrors: deploying.errors, readyMs: readyAt, servedMs: servedAt } };
  } finally {
    await dev.server.stop();
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const out = await runDeployStall({ ...deployStallArgs(process.argv.slice(2)), log });
  process.stdout.write(`${header(machine())}\n${table(out.rows, out.skips)}\n`);
  if (process.env.BENCH_JSON === '1') process.stdout.write(`${benchResultLine(out)}\n`);
}
