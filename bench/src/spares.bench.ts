// Cold starts with and without spare runtimes (docs/agent.md#spare-runtimes), the agent alone,
// process runtime, function users as `esb dev` chooses them (own uids as root). Two agents, one
// with spares off and one with the default, take turns: each round gives the Node and the
// Python hello a new code version on both, waits `--gap` ms (the replacement spare starts in
// that time), then times the first invoke. Reported: p50 of each and the ratio within the run,
// and the agent's CPU time per cold start.
// --gateway: the same through the gateway of two `esb dev` (ESB_SPARE_RUNTIMES=0 and the
// default), one deploy of `--rounds` Node and Python hellos each, then the first request of each
// function in turn, `--gap` ms apart (no deploy work in flight while a cold start is timed).
// Run: node --conditions=esb-source --import tsx bench/src/spares.bench.ts [--rounds 10] [--gap 400] [--gateway]
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { FunctionsFile } from '@esb/contracts';
import { AGENT_DEFAULTS, type Agent, createAgent, parseFunctionUsers } from '@esb/agent';
import { sleep, timedGet } from './lib/servers.js';
import { median } from './lib/stats.js';
import { type EsbDev, FIXTURES, firstOk, REPO, startEsbDev } from './lib/targets.js';
import { numberFlag } from './lib/args.js';

const FIX = path.join(REPO, 'agent', 'test', 'fixtures');

interface SparesBenchResult {
  load: number[];
  rows: Array<{ runtime: 'node' | 'python'; spares: number; p50: number; max: number; cpuMsPerColdStart: number; all: number[] }>;
}

/** Rows per runtime and spare setting from the timings keyed `<runtime>:<spares>` (CPU ms per key, when measured). */
function summarize(times: Map<string, number[]>, settings: number[], cpu?: Map<string, number>): SparesBenchResult {
  const rows: SparesBenchResult['rows'] = [];
  for (const runtime of ['node', 'python'] as const) {
    for (const spares of settings) {
      const key = `${runtime}:${spares}`;
      const all = times.get(key) ?? [];
      rows.push({ runtime, spares, p50: median(all), max: Math.max(...all), cpuMsPerColdStart: cpu ? (cpu.get(key) ?? 0) / all.length : Number.NaN, all });
    }
  }
  return { load: loadavg(), rows };
}

async function runSparesBench(opts: { rounds?: number; gapMs?: number } = {}): Promise<SparesBenchResult> {
  const rounds = opts.rounds ?? 10;
  const gap = opts.gapMs ?? 400;
  const logDir = await mkdtemp(path.join(tmpdir(), 'esb-bench-spares-'));
  const users = parseFunctionUsers('auto', 'bench', process.getuid?.() === 0);
  const settings = [0, AGENT_DEFAULTS.spareRuntimes];
  const agents: Agent[] = [];
  const fns = (gen: number) =>
    FunctionsFile.parse({
      functions: {
        node: { runtime: 'nodejs20.x', handler: 'index.hello', code: `${FIX}/node-esm`, digest: `node-${gen}` },
        python: { runtime: 'python3.11', handler: 'app.hello', code: `${FIX}/python`, layers: [{ name: 'l', path: `${FIX}/layer-py` }], digest: `py-${gen}` },
      },
    });
  const times = new Map<string, number[]>();
  const cpu = new Map<string, number>();
  try {
    for (const [i, spares] of settings.entries()) {
      agents.push(
        await createAgent({ runtime: 'process', logDir: path.join(logDir, String(i)), log: pino({ level: 'silent' }), pinoFunctionLogs: false, schedules: false, functionUsers: users, spareRuntimes: spares }),
      );
      agents[i]!.setFunctions(fns(0));
    }
    const payload = Buffer.from('{}');
    for (let round = 1; round <= rounds + 1; round++) {
      for (const fn of ['node', 'python'] as const) {
        // Alternate which agent goes first, so neither always meets the other's leftovers.
        const order = round % 2 ? [0, 1] : [1, 0];
        for (const i of order) {
          agents[i]!.setFunctions(fns(round));
          await sleep(gap);
          const c0 = process.cpuUsage();
          const t = performance.now();
          const r = await agents[i]!.invoke(fn, payload);
          const ms = performance.now() - t;
          const c = process.cpuUsage(c0);
          if (r.error) throw new Error(`${fn}: ${r.error.message}`);
          if (round === 1) continue; // the first round makes Python a recent key; not counted
          const key = `${fn}:${settings[i]}`;
          times.set(key, [...(times.get(key) ?? []), ms]);
          cpu.set(key, (cpu.get(key) ?? 0) + (c.user + c.system) / 1000);
        }
      }
    }
  } finally {
    await Promise.all(agents.map((a) => a.close()));
    await rm(logDir, { recursive: true, force: true });
  }
  return summarize(times, settings, cpu);
}

async function runSparesGatewayBench(opts: { rounds?: number; gapMs?: number } = {}): Promise<SparesBenchResult> {
  const rounds = opts.rounds ?? 10;
  const gap = opts.gapMs ?? 400;
  const work = await mkdtemp(path.join(tmpdir(), 'esb-bench-spares-gw-'));
  const settings = [0, AGENT_DEFAULTS.spareRuntimes];
  const devs: EsbDev[] = [];
  const fn = (id: string, runtime: string, route: string) =>
    `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: ${runtime}\n      CodeUri: app/\n      Handler: hello.handler\n      Events:\n        Hello: { Type: Api, Properties: { Path: ${route}, Method: get } }\n`;
  let template = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n" + fn('Probe', 'python3.11', '/probe');
  for (let k = 0; k <= rounds; k++) template += fn(`Node${k}`, 'nodejs20.x', `/n${k}`) + fn(`Python${k}`, 'python3.11', `/p${k}`);
  const times = new Map<string, number[]>();
  try {
    for (const [i, spares] of settings.entries()) {
      const dir = path.join(work, String(i));
      await mkdir(path.join(dir, 'templates'), { recursive: true });
      await cp(path.join(FIXTURES, 'app'), path.join(dir, 'templates', 'app'), { recursive: true });
      await writeFile(path.join(dir, 'templates', 'spares.yml'), template);
      const dev = await startEsbDev({ workspace: path.join(dir, 'ws'), runtime: 'process', logDir: dir, env: { ESB_SPARE_RUNTIMES: String(spares) } });
      devs.push(dev);
      await dev.deploy('spares', path.relative(path.join(dir, 'ws', 'deployments'), path.join(dir, 'templates', 'spares.yml')));
    }
    for (const dev of devs) await firstOk(`${dev.url}/probe`, 120_000, 50, dev.server);
    await sleep(2000); // the deploys' follow-up work is done
    for (let k = 0; k <= rounds; k++) {
      for (const route of ['n', 'p']) {
        for (const i of k % 2 ? [0, 1] : [1, 0]) {
          await sleep(gap);
          const r = await timedGet(`${devs[i]!.url}/${route}${k}`);
          if (r.status !== 200) throw new Error(`/${route}${k} answered ${r.status}: ${r.body.slice(0, 200)}`);
          if (k === 0) continue; // the first round makes Python a recent key; not counted
          const key = `${route === 'n' ? 'node' : 'python'}:${settings[i]}`;
          times.set(key, [...(times.get(key) ?? []), r.ms]);
        }
      }
    }
  } finally {
    await Promise.all(devs.map((d) => d.server.stop()));
    await rm(work, { recursive: true, force: true });
  }
  return summarize(times, settings);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => numberFlag(process.argv, name);
  const before = loadavg();
  const gateway = process.argv.includes('--gateway');
  const r = await (gateway ? runSparesGatewayBench : runSparesBench)({ rounds: arg('--rounds'), gapMs: arg('--gap') });
  const lines = [`spare runtimes, ${gateway ? 'first request through the gateway (esb dev)' : 'agent cold start'} (load average ${before.map((x) => x.toFixed(2)).join(' ')} before, ${r.load.map((x) => x.toFixed(2)).join(' ')} after)`];
  for (const runtime of ['node', 'python'] as const) {
    const [off, on] = r.rows.filter((x) => x.runtime === runtime);
    for (const x of [off!, on!]) {
      const cpu = Number.isNaN(x.cpuMsPerColdStart) ? '' : `, agent CPU ${x.cpuMsPerColdStart.toFixed(1)} ms/cold start`;
      lines.push(`  ${runtime} spares=${x.spares}: p50 ${x.p50.toFixed(1)} ms, max ${x.max.toFixed(1)} ms${cpu}; all ${x.all.map((v) => v.toFixed(0)).join(', ')}`);
    }
    lines.push(`  ${runtime}: with spares / without = ${(on!.p50 / off!.p50).toFixed(2)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
