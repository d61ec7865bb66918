// The per-part benchmarks of the other parts (agent, generate, apply, provision, auth, and,
// when an engine answers, the Docker cold start against a bare `docker start` and the docker
// compose platform), each run in its
// own child process and gathered into rows. Their figures are compared with their targets (no
// external baseline exists for them). Run alone: node --conditions=esb-source --import tsx bench/src/parts.bench.ts [--quick]
// or any of them directly: node --conditions=esb-source --import tsx bench/src/<part>.bench.ts
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { DockerColdResult } from './docker-cold.bench.js';
import { benchResultLine, header, parseBenchResult, row, table, type BenchOutput, type Row, type Skip } from './lib/report.js';
import { machine } from './lib/stats.js';
import { BENCH_DIR, dockerAvailable, REPO, runPart } from './lib/targets.js';

/** docker-cold.bench.ts in a child (a script: BENCH_JSON=1 makes it print its result line). */
async function runDockerCold(quick: boolean): Promise<DockerColdResult> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=esb-source', '--conditions=esb-source', '--import', 'tsx', path.join(BENCH_DIR, 'src', 'docker-cold.bench.ts'), '--runs', quick ? '3' : '10'], {
      cwd: REPO,
      env: { ...process.env, BENCH_JSON: '1' },
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return parseBenchResult(stdout) as DockerColdResult;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const lines = (e.stderr || e.message).trim().split('\n');
    throw new Error(`docker-cold benchmark failed: ${lines.find((l) => /Error\b.*:/.test(l) && !/^\s+at /.test(l)) ?? lines.at(-1)}`);
  }
}

interface AgentR { warm: { n: number; p50: number; p90: number; p99: number; perSecond: number }; pythonCold: { n: number; p50: number; max: number }; nodeCold: { n: number; p50: number; max: number }; javaCold?: { n: number; p50: number; max: number; bareJvmP50: number; contextP50: number } }
interface GenerateR { renderMs: number; generateMs: number; renderCpuMs?: number; generateCpuMs?: number }
interface AuthR { p50NoAuthMs: number; p50CachedMs: number; addedP50Ms: number; authorizerInvocations: number }
interface ComposeR { buildMs: number; upMs: number; deployMs: number; deployReportedMs: number; coldMs: number; warm: { p50: number; p90: number; min: number; n: number }; downMs: number }
interface ProvisionR { tables: number; buckets: number; startMs: number; firstRunMs: number; secondRunMs: number }

export async function runParts(opts: { quick?: boolean; compose?: boolean; log?: (l: string) => void } = {}): Promise<BenchOutput> {
  const rows: Row[] = [];
  const skips: Skip[] = [];
  const raw: Record<string, unknown> = {};
  const attempt = async <T>(name: string, f: (r: T) => Row[]) => {
    try {
      const r = await runPart<T>(name, { quick: opts.quick });
      raw[name] = r;
      rows.push(...f(r));
      opts.log?.(`${name} bench done`);
    } catch (err) {
      skips.push({ bench: 'parts', subject: name, reason: String(err) });
    }
  };
  await attempt<AgentR>('agent', (r) => [
    row({ bench: 'parts', subject: 'agent (in-process), Node hello', metric: 'warm invoke p50', value: r.warm.p50, unit: 'ms', baseline: { name: 'target', value: 1 }, target: '< 1 ms', met: r.warm.p50 < 1, runs: r.warm.n, detail: `p90 ${r.warm.p90.toFixed(3)} / p99 ${r.warm.p99.toFixed(3)} ms, ${r.warm.perSecond.toFixed(0)}/s sequential` }),
    row({ bench: 'cold start', subject: 'agent (in-process), Python hello', metric: 'first invoke p50', value: r.pythonCold.p50, unit: 'ms', baseline: { name: 'target', value: 150 }, target: '< 150 ms', met: r.pythonCold.p50 < 150, runs: r.pythonCold.n, detail: `max ${r.pythonCold.max.toFixed(0)} ms` }),
    row({ bench: 'cold start', subject: 'agent (in-process), Node hello', metric: 'first invoke p50', value: r.nodeCold.p50, unit: 'ms', runs: r.nodeCold.n, detail: `max ${r.nodeCold.max.toFixed(0)} ms` }),
    ...(r.javaCold
      ? [
          row({ bench: 'cold start', subject: 'agent (in-process), Java hello', metric: 'first invoke p50', value: r.javaCold.p50, unit: 'ms', baseline: { name: 'bare JVM start', value: r.javaCold.bareJvmP50 }, runs: r.javaCold.n, detail: `max ${r.javaCold.max.toFixed(0)} ms; the JVM that fits java21 here` }),
          row({ bench: 'cold start', subject: 'agent (in-process), Java RequestHandler taking the Context', metric: 'first invoke p50', value: r.javaCold.contextP50, unit: 'ms', baseline: { name: 'bare JVM start', value: r.javaCold.bareJvmP50 }, runs: r.javaCold.n }),
        ]
      : []),
  ]);
  await attempt<GenerateR>('generate', (r) => [
    row({ bench: 'parts', subject: 'generate, 200 fns / 1,000 routes', metric: 'generate (wall)', value: r.generateMs, unit: 'ms', baseline: { name: 'target', value: 1000 }, target: '< 1 s', met: r.generateMs < 1000, detail: `render only ${r.renderMs.toFixed(0)} ms${r.generateCpuMs ? `; CPU ${r.generateCpuMs.toFixed(0)} ms` : ''}` }),
  ]);
  await attempt<Record<string, number>>('apply', (r) => [
    row({ bench: 'parts', subject: 'apply, 1,000 fns / 5,000 routes', metric: 'apply onto same-size CONFIG_DIR', value: r.images, unit: 'ms', baseline: { name: 'target', value: 500 }, target: '< 500 ms', met: r.images < 500, runs: 3, detail: `with code folders ${r.code?.toFixed(0)} ms; yaml-package artifact ${r.yaml?.toFixed(0)} ms` }),
  ]);
  await attempt<ProvisionR>('provision', (r) => [
    row({ bench: 'parts', subject: `provision, ${r.tables} tables + ${r.buckets} buckets`, metric: 'second run (all exist)', value: r.secondRunMs, unit: 'ms', baseline: { name: 'target', value: 1000 }, target: '< 1 s', met: r.secondRunMs < 1000, runs: 1, detail: `first run ${r.firstRunMs.toFixed(0)} ms; storage start ${r.startMs.toFixed(0)} ms` }),
  ]);
  await attempt<AuthR>('auth', (r) => [
    row({ bench: 'parts', subject: 'gateway authorizer, cached TOKEN decision', metric: 'added per request p50', value: r.addedP50Ms * 1000, unit: 'µs', baseline: { name: 'target', value: 200 }, target: '< 200 µs', met: r.addedP50Ms * 1000 < 200, detail: `no-auth path p50 ${(r.p50NoAuthMs * 1000).toFixed(1)} µs; authorizer invoked ${r.authorizerInvocations}x` }),
  ]);
  const docker = await dockerAvailable();
  if (!docker.ok) skips.push({ bench: 'parts', subject: 'docker cold start (vs bare docker start)', reason: docker.reason });
  else {
    try {
      const r = await runDockerCold(opts.quick ?? false);
      raw['docker-cold'] = r;
      const steps = (e: DockerColdResult['esb']['fresh']) => Object.entries(e.steps).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
      const esbRow = (label: string, e: DockerColdResult['esb']['fresh']) =>
        row({ bench: 'cold start', subject: `esb agent, docker, Python hello, ${label}`, metric: 'first invoke p50', value: e.total.p50, unit: 'ms', baseline: { name: 'bare docker start', value: r.bare.running.p50 }, target: '<= bare + 150 ms', met: e.withinTarget, runs: e.total.n, detail: `+${e.marginMs.toFixed(0)} ms; steps ${steps(e)} ms` });
      rows.push(
        row({ bench: 'cold start', subject: 'bare `docker start`, Python hello image', metric: 'start -> running p50', value: r.bare.running.p50, unit: 'ms', runs: r.bare.running.n, detail: `-> first TCP connect to the host ${r.bare.connected.p50.toFixed(0)} ms; -> python3 -c pass exited ${r.bare.exited.p50.toFixed(0)} ms` }),
        esbRow('new config', r.esb.fresh),
        esbRow('pre-created container', r.esb.spare),
      );
      opts.log?.('docker-cold bench done');
    } catch (err) {
      skips.push({ bench: 'parts', subject: 'docker cold start (vs bare docker start)', reason: String(err) });
    }
  }
  if (opts.compose === false) skips.push({ bench: 'parts', subject: 'compose', reason: 'disabled (--no-compose)' });
  else {
    if (!docker.ok) skips.push({ bench: 'parts', subject: 'compose', reason: docker.reason });
    else
      await attempt<ComposeR>('compose', (r) => [
        row({ bench: 'parts', subject: 'docker compose platform', metric: 'esb deploy -> Ready (new image)', value: r.deployMs, unit: 'ms', runs: 1, detail: `up -d --wait ${(r.upMs / 1000).toFixed(1)} s (build cached ${(r.buildMs / 1000).toFixed(1)} s); down ${(r.downMs / 1000).toFixed(1)} s` }),
        row({ bench: 'cold start', subject: 'docker compose, Node hello', metric: 'first request (container start)', value: r.coldMs, unit: 'ms', runs: 1 }),
        row({ bench: 'parts', subject: 'docker compose, Node hello', metric: 'warm request p50 (sequential)', value: r.warm.p50, unit: 'ms', runs: r.warm.n, detail: `p90 ${r.warm.p90.toFixed(1)} ms, min ${r.warm.min.toFixed(1)} ms` }),
      ]);
  }
  return { rows, skips, raw };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await runParts({ quick: process.argv.includes('--quick'), compose: !process.argv.includes('--no-compose'), log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${header(machine())}\n${table(out.rows, out.skips)}\n`);
  if (process.env.BENCH_JSON === '1') process.stdout.write(`${benchResultLine(out)}\n`);
}
