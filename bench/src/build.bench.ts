// The build step (docs/build.md) on a Node app with npm dependencies (fixtures/build-app: three
// functions sharing one code folder, the AWS SDK's DynamoDB clients as dependencies, typescript
// and vitest as dev dependencies): cold build (empty build folder; npm's cache as it is, and once
// with an empty npm cache), cached rebuild (nothing changed: a no-op), rebuild after a code change
// (dependencies reused). Then, on a running `esb dev` (process runtime, a child process): the
// app's deploy-to-serve and the size of the workspace's .esb/ (hard links counted once), and the
// TypeScript + esbuild app of e2e/apps: deploy-to-serve, and edit-to-serve (an edit to its
// source, rebuilt and served by the watching controller).
// Run alone: node --conditions=esb-source --import tsx bench/src/build.bench.ts [--runs 3] [--quick]
import { cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTemplate, formatBytes, parseTemplateFile, readTemplate } from '@esb/deploy';
import { benchResultLine, header, row, table, type BenchOutput, type Row } from './lib/report.js';
import { sleep, timedGet } from './lib/servers.js';
import { machine, median } from './lib/stats.js';
import { FIXTURES, REPO, firstOk, startEsbDev } from './lib/targets.js';

export interface BuildBenchOptions {
  runs: number;
  log?: (line: string) => void;
}

/** Bytes under `dir`, each inode once (the artifact hard-links the build output). */
export async function diskUsage(dir: string): Promise<{ bytes: number; files: number }> {
  const seen = new Set<string>();
  let bytes = 0;
  let files = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await lstat(p);
        const key = `${s.dev}:${s.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        bytes += s.size;
        files++;
      }
    }
  };
  await walk(dir);
  return { bytes, files };
}

async function timeBuild(app: string, buildDir: string, env?: NodeJS.ProcessEnv): Promise<{ ms: number; cached: boolean; bytes: number }> {
  const templatePath = path.join(app, 'template.yaml');
  const { text } = await readTemplate(templatePath);
  const t0 = performance.now();
  const model = parseTemplateFile(text, templatePath, { file: templatePath, stackName: 'build-app' });
  const result = await buildTemplate({ model, templateDir: app, buildDir, env });
  return { ms: performance.now() - t0, cached: result.units.every((u) => u.cached), bytes: result.units.reduce((n, u) => n + u.bytes, 0) };
}

/** Polls until `url` answers 200 with `marker` in its body; returns when. */
async function servesMarker(url: string, marker: string, timeoutMs = 180_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const r = await timedGet(url, 30_000).catch(() => undefined);
    if (r?.status === 200 && r.body.includes(marker)) return performance.now();
    await sleep(10);
  }
  throw new Error(`${url} did not answer with "${marker}" within ${timeoutMs / 1000} s`);
}

export async function runBuild(opts: BuildBenchOptions): Promise<BenchOutput> {
  const log = opts.log ?? (() => {});
  const work = await mkdtemp(path.join(tmpdir(), 'esb-bench-build-'));
  const rows: Row[] = [];
  try {
    const app = path.join(work, 'build-app');
    await cp(path.join(FIXTURES, 'build-app'), app, { recursive: true });
    const source = path.join(app, 'src', 'app.mjs');
    const original = await readFile(source, 'utf8');

    const cold: number[] = [];
    const cached: number[] = [];
    const changed: number[] = [];
    let built = 0;
    for (let i = 0; i < opts.runs; i++) {
      const buildDir = path.join(work, `build-${i}`);
      await writeFile(source, original);
      const c = await timeBuild(app, buildDir);
      cold.push(c.ms);
      built = c.bytes;
      const again = await timeBuild(app, buildDir);
      if (!again.cached) throw new Error('the second build of an unchanged app was not a cache hit');
      cached.push(again.ms);
      await writeFile(source, original.replace('ok: true', `ok: true, run: ${i}`));
      const edit = await timeBuild(app, buildDir);
      changed.push(edit.ms);
      log(`run ${i + 1}/${opts.runs}: cold ${c.ms.toFixed(0)} ms, cached ${again.ms.toFixed(1)} ms, after a code change ${edit.ms.toFixed(0)} ms (${formatBytes(c.bytes)} built)`);
      await rm(buildDir, { recursive: true, force: true });
    }
    await writeFile(source, original);
    // Truly cold: npm's cache empty too (downloads every package).
    const emptyCache = path.join(work, 'npm-cache');
    const coldest = await timeBuild(app, path.join(work, 'build-empty-cache'), { ...process.env, npm_config_cache: emptyCache });
    log(`cold with an empty npm cache: ${coldest.ms.toFixed(0)} ms`);
    await rm(emptyCache, { recursive: true, force: true });

    rows.push(
      row({ bench: 'build', subject: 'Node app, 3 fns sharing CodeUri, AWS SDK deps', metric: 'cold build (npm cache warm)', value: median(cold), unit: 'ms', runs: cold.length, detail: `${formatBytes(built)} built (production dependencies only)` }),
      row({ bench: 'build', subject: 'Node app, 3 fns sharing CodeUri, AWS SDK deps', metric: 'cold build (empty npm cache)', value: coldest.ms, unit: 'ms', runs: 1 }),
      row({ bench: 'build', subject: 'Node app, 3 fns sharing CodeUri, AWS SDK deps', metric: 'cached build (nothing changed)', value: median(cached), unit: 'ms', baseline: { name: 'cold build', value: median(cold) }, runs: cached.length }),
      row({ bench: 'build', subject: 'Node app, 3 fns sharing CodeUri, AWS SDK deps', metric: 'rebuild after a code change', value: median(changed), unit: 'ms', baseline: { name: 'cold build', value: median(cold) }, runs: changed.length, detail: 'same lockfile: node_modules reused' }),
    );

    // On a running esb dev: deploy-to-serve, .esb size, the TypeScript app.
    const workspace = path.join(work, 'ws');
    const dev = await startEsbDev({ workspace, runtime: 'process', logDir: work });
    try {
      const deploymentsDir = path.join(workspace, 'deployments');
      let t0 = performance.now();
      await dev.deploy('build-app', path.relative(deploymentsDir, path.join(app, 'template.yaml')));
      const served = await firstOk(`${dev.url}/bench-health`, 300_000, 20, dev.server);
      const appDeploy = served.at - t0;
      const esb = await diskUsage(path.join(workspace, '.esb'));
      const parts = await Promise.all(
        ['build', 'artifacts', 'config'].map(async (p) => {
          const d = path.join(workspace, '.esb', 'staging', 'esb', 'default', p);
          return `${p} ${formatBytes((await diskUsage(d)).bytes)}`;
        }),
      );
      log(`build-app: manifest -> served ${appDeploy.toFixed(0)} ms (build included); .esb ${formatBytes(esb.bytes)} (${parts.join(', ')})`);
      rows.push(
        row({ bench: 'build', subject: 'Node app, 3 fns sharing CodeUri, AWS SDK deps', metric: 'deploy-to-serve (cold build)', value: appDeploy, unit: 'ms', runs: 1 }),
        row({ bench: 'build', subject: 'Node app, 3 fns sharing CodeUri, AWS SDK deps', metric: 'size of .esb/ after deploy', value: esb.bytes / 1024 / 1024, unit: 'MB', runs: 1, detail: `${esb.files} files; ${parts.join(', ')} (hard links counted once)` }),
      );

      const ts = path.join(work, 'ts-esbuild');
      await cp(path.join(REPO, 'e2e', 'apps', 'ts-esbuild'), ts, { recursive: true });
      t0 = performance.now();
      await dev.deploy('ts-esbuild', path.relative(deploymentsDir, path.join(ts, 'template.yaml')));
      const tsServed = (await servesMarker(`${dev.url}/hello`, 'hello world')) - t0;
      const edits: number[] = [];
      const greeting = path.join(ts, 'hello-world', 'lib', 'greeting.ts');
      const text = await readFile(greeting, 'utf8');
      for (let i = 0; i < opts.runs; i++) {
        await sleep(500);
        t0 = performance.now();
        await writeFile(greeting, text.replace('`hello ${name}`', `\`edit-${i} \${name}\``));
        edits.push((await servesMarker(`${dev.url}/hello`, `edit-${i} world`)) - t0);
      }
      log(`ts-esbuild: manifest -> served ${tsServed.toFixed(0)} ms; edit -> served ${edits.map((x) => x.toFixed(0)).join(', ')} ms`);
      rows.push(
        row({ bench: 'build', subject: 'TypeScript app (esbuild), e2e/apps/ts-esbuild', metric: 'deploy-to-serve', value: tsServed, unit: 'ms', runs: 1, detail: 'manifest written -> GET /hello answers (esbuild bundle, apply, cold start)' }),
        row({ bench: 'build', subject: 'TypeScript app (esbuild), e2e/apps/ts-esbuild', metric: 'edit-to-serve p50', value: median(edits), unit: 'ms', runs: edits.length, detail: 'source saved -> the new bundle answers (watcher, rebuild, apply)' }),
      );
    } finally {
      await dev.server.stop();
    }
    return { rows, skips: [] };
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

export function buildArgs(argv: string[]): BuildBenchOptions {
  const i = argv.indexOf('--runs');
  return { runs: Math.max(1, i >= 0 ? Number(argv[i + 1]) : argv.includes('--quick') ? 1 : 3), log: (l) => process.stderr.write(`${l}\n`) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await runBuild(buildArgs(process.argv.slice(2)));
  process.stdout.write(`${header(machine())}\n${table(out.rows, out.skips)}\n`);
  if (process.env.BENCH_JSON === '1') process.stdout.write(`${benchResultLine(out)}\n`);
}
