// `npm run bench`: every benchmark, one table, the same as JSON in bench/results/.
//   npm run bench                          all of them (about 10 minutes on 2 idle cores)
//   npm run bench -- --only throughput     one (throughput, deploy, build, deploy-stall, scale, parts; comma-separated)
//   npm run bench -- --quick               shorter runs, to check the harness (figures not for quoting)
// Options: --runs N (>= 3), --duration S (autocannon seconds per run), --no-docker, --no-peer,
// --no-variants (diagnostic throughput variants), --no-compose (the compose platform bench in parts).
// Targets are reported, not asserted: the exit code is non-zero only when a benchmark failed to run.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { buildArgs, runBuild } from './build.bench.js';
import { runDeploy, deployArgs } from './deploy.bench.js';
import { deployStallArgs, runDeployStall } from './deploy-stall.bench.js';
import { header, row, table, type BenchOutput, type Row, type RunReport, type Skip } from './lib/report.js';
import { machine, round } from './lib/stats.js';
import { BENCH_DIR, esbCode, REPO } from './lib/targets.js';
import { runParts } from './parts.bench.js';
import { runScale } from './scale.bench.js';
import { runThroughput, throughputArgs } from './throughput.bench.js';

const BENCHES = ['throughput', 'deploy', 'build', 'deploy-stall', 'scale', 'parts'] as const;
type BenchName = (typeof BENCHES)[number];

function parseOnly(argv: string[]): BenchName[] {
  const i = argv.indexOf('--only');
  if (i < 0) return [...BENCHES];
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const bad = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (bad.length || names.length === 0) throw new Error(`--only: "${argv[i + 1] ?? ''}": choose from ${BENCHES.join(', ')}`);
  return names as BenchName[];
}

/** Baselines that come from another benchmark of the same run (the peer's restart for deploy-to-serve, its cold start). */
export function linkAcrossBenches(rows: Row[]): Row[] {
  const find = (bench: string, subject: string, metric: string) => rows.find((r) => r.bench === bench && r.subject === subject && r.metric === metric);
  const peerRestart = find('deploy', 'serverless-offline', 'restart -> new code answers');
  const peerCold = find('cold start', 'serverless-offline, Node hello', 'first request after start');
  return rows.map((r) => {
    if (peerRestart && r.bench === 'deploy' && r.metric === 'deploy-to-serve p50') return row({ ...r, baseline: { name: 'serverless-offline restart', value: peerRestart.value }, ratio: undefined });
    if (peerCold && r.bench === 'cold start' && r.subject === 'esb process, Node hello') return row({ ...r, baseline: { name: 'serverless-offline', value: peerCold.value }, ratio: undefined });
    return r;
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: npm run bench -- [--only ${BENCHES.join(',')}] [--quick] [--runs 3] [--duration 5] [--no-docker] [--no-peer] [--no-variants] [--no-compose]\n`);
    return 0;
  }
  const only = parseOnly(argv);
  const quick = argv.includes('--quick');
  const log = (l: string) => process.stderr.write(`${l}\n`);
  // Servers run esb's compiled JavaScript, as `esb dev` does: build it first if the sources changed.
  if (!esbCode().fresh) {
    log('the build is missing or stale: npm run build');
    execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { stdio: ['ignore', 2, 2] });
  }
  const startedAt = new Date();
  const m = machine();
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  const title = header(m, [`commit ${commit ?? 'unknown'}, ${startedAt.toISOString()}, benchmarks: ${only.join(', ')}${quick ? ' (--quick: figures not for quoting)' : ''}; esb runs from its ${esbCode().from}`]);
  log(title);
  if (m.loadavg[0] > m.cpus) log(`warning: load average ${m.loadavg[0]} is above the core count (${m.cpus}): figures will be noisy`);

  const results: RunReport['results'] = {};
  const tOpts = throughputArgs(argv);
  const dOpts = deployArgs(argv);
  for (const name of only) {
    log(`\n== ${name} ==`);
    const t0 = performance.now();
    try {
      let out: BenchOutput;
      if (name === 'throughput') out = await runThroughput({ ...tOpts, log });
      else if (name === 'deploy') out = await runDeploy({ ...dOpts, log });
      else if (name === 'build') out = await runBuild({ ...buildArgs(argv), log });
      else if (name === 'deploy-stall') out = await runDeployStall({ ...deployStallArgs(argv), log });
      else if (name === 'scale') out = await runScale({ quick });
      else out = await runParts({ quick, compose: !argv.includes('--no-compose'), log });
      results[name] = out;
      log(`== ${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    } catch (err) {
      results[name] = { error: String(err) };
      log(`== ${name} FAILED: ${String(err)}`);
    }
  }

  const rows: Row[] = [];
  const skips: Skip[] = [];
  for (const [name, r] of Object.entries(results)) {
    if ('error' in r) skips.push({ bench: name, subject: '(whole benchmark)', reason: `failed: ${r.error.split('\n')[0]}` });
    else (rows.push(...r.rows), skips.push(...r.skips));
  }
  const linked = linkAcrossBenches(rows);
  const finishedAt = new Date();
  const end = loadavg().map((x) => round(x, 2)) as [number, number, number];
  const report: RunReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    commit,
    machine: m,
    loadavgEnd: end,
    options: { only, quick, runs: tOpts.runs, durationS: tOpts.durationS, deploys: dOpts.deploys },
    results,
  };
  process.stdout.write(`\n${title}\n${table(linked, skips)}\nload average at the end: ${end.join(' / ')}; ${report.durationS} s in all\n`);
  const dir = path.join(BENCH_DIR, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify({ ...report, rows: linked, skips }, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(path.join(dir, 'latest.json'), json);
  process.stdout.write(`written: ${path.relative(process.cwd(), file)} (and bench/results/latest.json)\n`);
  return Object.values(results).some((r) => 'error' in r) ? 1 : 0;
}

process.exitCode = await main();
