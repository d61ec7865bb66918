// Apply killed with SIGKILL at random moments: every file always parses and holds either the
// old or the new content; a later apply still succeeds (the stale lock is taken over).
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionsFile, parseYaml, ResourcesFile, RoutingFile, validate } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';
import { applyArtifact } from './apply.js';
import { codeFunction, writeArtifact } from './testkit.js';

const FILES = { 'functions.yml': FunctionsFile, 'routing.yml': RoutingFile, 'resources.yml': ResourcesFile } as const;
const children = new Set<ReturnType<typeof spawn>>();
const dirs = tempDirs();
// The children first: the folders are theirs to write in until they are gone.
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await dirs.removeAll();
});

function stack(version: string) {
  const hello = codeFunction('hello', `exports.version = '${version}';`);
  return {
    name: `stack-${version}`,
    functions: { hello: { ...hello.fn, environment: { VERSION: version } } },
    files: { ...hello.files, 'functions/hello/big.txt': version.repeat(20_000) },
    routes: Array.from({ length: 100 }, (_, i) => ({ path: `/r${i}`, method: 'GET', function: 'hello', api: `Api${version}` })),
    resources: { s3: [{ BucketName: 'bucket', LifecycleConfiguration: { Rules: [{ Id: version, ExpirationInDays: 1 }] } }] },
  };
}

describe('apply killed with SIGKILL at random moments', () => {
  it('never leaves a partial file, and a later apply takes over the stale lock', async () => {
    const work = await dirs.make('esb-crash-');
    const configDir = join(work, 'cfg');
    const a = await writeArtifact(join(work, 'a'), { stacks: [stack('A')] });
    const b = await writeArtifact(join(work, 'b'), { stacks: [stack('B')] });
    const worker = join(work, 'worker.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, 'crash-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: worker,
      logLevel: 'silent',
      // The sources, as every test runs them (docs/design.md "Build").
      conditions: ['esb-source'],
      // CommonJS dependencies (yaml) require() node built-ins. The alias keeps clear of the
      // bundled modules' own `import { createRequire }`, which esbuild hoists to the top level.
      banner: { js: "import { createRequire as createBannerRequire } from 'node:module'; const require = createBannerRequire(import.meta.url);" },
    });

    // The two states every file may be in, written by the same code into the same folder.
    const states: Record<string, Set<string>> = Object.fromEntries(Object.keys(FILES).map((f) => [f, new Set<string>()]));
    for (const art of [a, b]) {
      await applyArtifact({ artifactPath: art, configDir });
      for (const f of Object.keys(FILES)) states[f].add(await readFile(join(configDir, f), 'utf8'));
    }
    for (const f of ['functions.yml', 'routing.yml', 'resources.yml']) expect(states[f].size).toBe(2);

    // Both states parse (with a general YAML parser) and satisfy the contracts...
    for (const [f, schema] of Object.entries(FILES)) for (const text of states[f]) validate(schema, parseYaml(text, f), f);
    // ...so a file that is byte-equal to one of them parses too.
    const failures: string[] = [];
    let reads = 0;
    const check = async () => {
      for (const f of Object.keys(FILES)) {
        const text = await readFile(join(configDir, f), 'utf8');
        if (!states[f].has(text)) failures.push(`${f}: neither the old nor the new content (${text.length} bytes)`);
      }
      reads++;
    };
    let reading = true;
    const reader = (async () => {
      while (reading) {
        await check();
        await new Promise((r) => setTimeout(r, 2));
      }
    })();

    const started = Date.now();
    let killedWhileLocked = 0;
    let lateness = 0;
    const spawnWorker = async () => {
      const scratch = join(work, `warm-${Math.random().toString(16).slice(2)}`);
      const child = spawn(process.execPath, [worker, configDir, a, b, scratch], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.add(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
      });
      return child;
    };
    // The next workers start (and warm up) while the current one runs, so startup overlaps
    // the runs. On an idle 2-core machine the 50 kills take a few seconds; on a loaded one,
    // process startup dominates.
    const ahead = [spawnWorker(), spawnWorker()];
    for (let i = 0; i < 50; i++) {
      const child = await ahead.shift()!;
      if (i + ahead.length < 49) ahead.push(spawnWorker());
      const exited = new Promise((r) => child.once('exit', r));
      // The worker is warm already: go, then kill at a random moment of its applies.
      child.stdin!.write('go\n');
      const t = Date.now();
      await new Promise((r) => setTimeout(r, Math.random() * 50));
      lateness += Date.now() - t;
      child.kill('SIGKILL');
      await exited;
      children.delete(child);
      if ((await readdir(configDir)).includes('.deploy.lock')) killedWhileLocked++;
      await check();
    }
    reading = false;
    await reader;

    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(50);
    // The kills landed inside the critical section at least sometimes (the lock was left behind).
    expect(killedWhileLocked).toBeGreaterThan(0);

    // A later apply succeeds at once: the dead holder's lock is taken over, not waited for.
    const r = await applyArtifact({ artifactPath: a, configDir, lockTimeoutMs: 60_000 });
    expect(r.entries[0].changes.functions.added).toEqual([]);
    await check();
    expect(failures).toEqual([]);
    const left = [...(await readdir(configDir)), ...(await readdir(join(configDir, 'code')))];
    expect(left.filter((n) => n.endsWith('.tmp') || n === '.deploy.lock')).toEqual([]);
    console.log(`crash test: 50 kills (${killedWhileLocked} while holding the lock), ${reads} reads, ${Date.now() - started} ms, waited ${lateness} ms`);
  }, 60_000);
});
