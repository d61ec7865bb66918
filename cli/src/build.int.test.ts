// The compiled JavaScript (docs/design.md "Build"), end to end through the bin, in a sandbox copy
// of the packages with its own node_modules (so that building, editing and removing tsx there
// leave the repository alone): the bin runs dist/ without loading any TypeScript or tsx; a
// stale or missing build runs the sources instead (never old code) or, with ESB_RUN_FROM=dist,
// fails with a clear message; a worker thread started through workerEntry runs dist/ or the
// sources, as its caller does.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES: Record<string, string> = {
  crds: 'contracts',
  deploy: 'deploy',
  controller: 'controller',
  gateway: 'gateway',
  agent: 'agent',
  provisioner: 'provisioner',
  console: 'console',
  storage: 'storage',
  cli: 'cli',
};

let box: string;
let workspace: string;

/** Records every module the bin's main thread loads (a resolve/load hook, in its own thread). */
const TRACER = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
  import { appendFileSync } from 'node:fs';
  export async function load(url, context, next) {
    if (process.env.ESB_TRACE_FILE) appendFileSync(process.env.ESB_TRACE_FILE, url + '\\\\n');
    return next(url, context);
  }\`));
`;

async function esb(args: string[], env: Record<string, string> = {}, trace?: string) {
  const execArgv = trace ? ['--import', path.join(box, 'tracer.mjs')] : [];
  try {
    const r = await run(process.execPath, [...execArgv, path.join(box, 'cli', 'bin', 'esb.js'), ...args], {
      cwd: box,
      env: { ...process.env, ESB_RUN_FROM: '', ...(trace ? { ESB_TRACE_FILE: trace } : {}), ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const build = () => run(process.execPath, [path.join(box, 'scripts', 'build.mjs')], { cwd: box });
const setTsx = async (present: boolean) => {
  const link = path.join(box, 'node_modules', 'tsx');
  await rm(link, { force: true });
  if (present) await symlink(path.join(REPO, 'node_modules', 'tsx'), link);
};

beforeAll(async () => {
  box = await mkdtemp(path.join(tmpdir(), 'esb-build-'));
  workspace = path.join(box, 'ws');
  for (const folder of Object.keys(PACKAGES)) {
    await cp(path.join(REPO, folder), path.join(box, folder), { recursive: true, filter: (src) => !/\/(dist|node_modules|test)$/.test(src) });
  }
  await mkdir(path.join(box, 'scripts'));
  for (const file of ['build.mjs', 'vendor-loader.cjs']) await cp(path.join(REPO, 'scripts', file), path.join(box, 'scripts', file));
  await cp(path.join(REPO, 'package.json'), path.join(box, 'package.json'));
  // node_modules: the repository's libraries, but @esb/* pointing at the sandbox's packages.
  await mkdir(path.join(box, 'node_modules', '@esb'), { recursive: true });
  for (const entry of await readdir(path.join(REPO, 'node_modules'))) {
    if (entry === '@esb' || entry.startsWith('.')) continue;
    await symlink(path.join(REPO, 'node_modules', entry), path.join(box, 'node_modules', entry));
  }
  for (const [folder, name] of Object.entries(PACKAGES)) await symlink(path.join(box, folder), path.join(box, 'node_modules', '@esb', name));
  await writeFile(path.join(box, 'tracer.mjs'), TRACER);
  await mkdir(path.join(workspace, 'deployments'), { recursive: true });
  await writeFile(
    path.join(workspace, 'deployments', 'hello.yaml'),
    'apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: hello }\nspec: { template: ../template.yaml }\n',
  );
  await build();
}, 120_000);

afterAll(async () => {
  if (box) await rm(box, { recursive: true, force: true });
});

describe('the compiled JavaScript', () => {
  it('runs esb get deployments without tsx and without loading any TypeScript', async () => {
    await setTsx(false);
    const trace = path.join(box, 'trace-dist.txt');
    const r = await esb(['get', 'deployments', '--workspace', workspace], {}, trace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+ENV\s+READY/);
    expect(r.stdout).toMatch(/\nhello\s/);
    const loaded = (await readFile(trace, 'utf8')).trim().split('\n');
    expect(loaded).toContain(`file://${path.join(box, 'cli', 'dist', 'main.js')}`);
    expect(loaded.filter((u) => /\.[cm]?ts$/.test(u) || u.includes('/tsx/'))).toEqual([]);
    // Only what the command needs: no servers, clients, watchers or bundler.
    const heavy = ['fastify', '@aws-sdk', 'dockerode', '@kubernetes', 'esbuild', 'chokidar', 'pino', 'cron-parser'];
    expect(loaded.filter((u) => heavy.some((h) => u.includes(`/node_modules/${h}/`)))).toEqual([]);
  });

  it('loads the vendored libraries through the code cache the build wrote; a damaged cache is only slower', async () => {
    const vendor = path.join(box, 'crds', 'dist', 'vendor');
    // The contracts' schemas load zod, yaml and js-yaml; then the loader says what V8 did with each cache.
    const cacheUse = async () => {
      const script = `await import(${JSON.stringify(path.join(box, 'crds', 'dist', 'index.js'))}); const { createRequire } = await import('node:module'); console.log(JSON.stringify(createRequire(${JSON.stringify(path.join(vendor, 'x.js'))})('./load.cjs').cacheUse()));`;
      return JSON.parse((await run(process.execPath, ['--input-type=module', '-e', script], { cwd: box })).stdout) as Record<string, string>;
    };
    expect(await cacheUse()).toEqual({ zod: 'accepted', yaml: 'accepted', 'js-yaml': 'accepted' });
    const cacheFile = path.join(vendor, 'zod.v8-cache');
    const good = await readFile(cacheFile);
    try {
      await writeFile(cacheFile, Buffer.alloc(good.length, 7));
      expect((await cacheUse()).zod).toBe('rejected');
      await setTsx(false);
      const r = await esb(['get', 'deployments', '--workspace', workspace], { ESB_RUN_FROM: 'dist' });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/\nhello\s/);
    } finally {
      await writeFile(cacheFile, good);
    }
  });

  it('answers --version from the build', async () => {
    await setTsx(false);
    const { version } = JSON.parse(await readFile(path.join(box, 'cli', 'package.json'), 'utf8')) as { version: string };
    const r = await esb(['--version'], { ESB_RUN_FROM: 'dist' });
    expect(r).toMatchObject({ code: 0, stdout: `esb ${version}\n`, stderr: '' });
  });

  it('runs the sources, not the old build, once a source changed; ESB_RUN_FROM=dist then fails clearly', async () => {
    await setTsx(true);
    const main = path.join(box, 'cli', 'src', 'main.ts');
    const before = await readFile(main, 'utf8');
    await writeFile(main, before.replace('usage: esb <command>', 'usage (edited): esb <command>'));
    try {
      const fresh = await esb(['--help']);
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toContain('usage (edited): esb');

      const strict = await esb(['--help'], { ESB_RUN_FROM: 'dist' });
      expect(strict.code).toBe(1);
      expect(strict.stdout).toBe('');
      expect(strict.stderr).toMatch(/ESB_RUN_FROM=dist, but the build is older than the sources .*run `npm run build`/);

      // Rebuilt: dist again, with the edit.
      await build();
      const rebuilt = await esb(['--help'], { ESB_RUN_FROM: 'dist' });
      expect(rebuilt.stdout).toContain('usage (edited): esb');
    } finally {
      await writeFile(main, before);
      await build();
    }
  }, 60_000);

  it('notices a source file added after the build, even with an old modification time', async () => {
    await setTsx(true);
    const extra = path.join(box, 'crds', 'src', 'added-later.ts');
    await writeFile(extra, 'export const addedLater = 1;\n');
    await utimes(extra, new Date(2000, 0, 1), new Date(2000, 0, 1));
    try {
      const strict = await esb(['--version'], { ESB_RUN_FROM: 'dist' });
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/older than the sources/);
    } finally {
      await rm(extra);
    }
    expect((await esb(['--version'], { ESB_RUN_FROM: 'dist' })).code).toBe(0);
  });

  it('without a build runs the sources, or says what to do when they cannot run', async () => {
    const stamp = path.join(box, 'cli', 'dist', 'build-stamp.json');
    const saved = await readFile(stamp, 'utf8');
    await rm(stamp);
    try {
      await setTsx(true);
      const fallback = await esb(['get', 'deployments', '--workspace', workspace]);
      expect(fallback.code).toBe(0);
      expect(fallback.stdout).toMatch(/\nhello\s/);

      await setTsx(false);
      const broken = await esb(['--version']);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/^esb: the build is missing and the sources cannot run \(.*tsx.*\); run `npm run build`/);

      const strict = await esb(['--version'], { ESB_RUN_FROM: 'dist' });
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/there is no build/);
    } finally {
      await writeFile(stamp, saved);
      await setTsx(true);
    }
  });

  it('rejects an unknown ESB_RUN_FROM', async () => {
    const r = await esb(['--version'], { ESB_RUN_FROM: 'typescript' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ESB_RUN_FROM: "typescript" is not dist, source or auto/);
  });
});

describe('workerEntry', () => {
  // A worker module and its caller in the sandbox's contracts package: the caller starts the
  // worker through workerEntry; the worker imports @esb/contracts and says which file it got.
  const WORKER = `import { parentPort } from 'node:worker_threads';
import { workerEntry } from '@esb/contracts';
const resolved = import.meta.resolve('@esb/contracts');
parentPort!.postMessage({ self: import.meta.url, contracts: resolved, ok: typeof workerEntry === 'function' });
`;
  const CALLER = `import { Worker } from 'node:worker_threads';
import { workerEntry } from './index.js';
export function ask(): Promise<{ self: string; contracts: string }> {
  return new Promise((resolve, reject) => {
    const entry = workerEntry(import.meta.url, 'probe-worker');
    const worker = new Worker(entry.url, { argv: entry.argv });
    worker.once('message', (m) => { void worker.terminate(); resolve(m); });
    worker.once('error', reject);
  });
}
`;

  it('starts the compiled worker from dist and the source one (through ts-worker.mjs) from sources', async () => {
    await setTsx(true);
    const src = path.join(box, 'crds', 'src');
    await writeFile(path.join(src, 'probe-worker.ts'), WORKER);
    await writeFile(path.join(src, 'probe-caller.ts'), CALLER);
    try {
      await build();
      const asker = path.join(box, 'ask.mjs');
      await writeFile(asker, `const { ask } = await import(process.argv[2]); console.log(JSON.stringify(await ask()));\n`);
      const compiled = JSON.parse((await run(process.execPath, [asker, path.join(box, 'crds', 'dist', 'probe-caller.js')], { cwd: box })).stdout);
      expect(compiled.self).toBe(`file://${path.join(box, 'crds', 'dist', 'probe-worker.js')}`);
      expect(compiled.contracts).toBe(`file://${path.join(box, 'crds', 'dist', 'index.js')}`);

      const loader = `file://${path.join(box, 'crds', 'source-loader.mjs')}`;
      const sources = JSON.parse(
        (await run(process.execPath, ['--import', loader, asker, path.join(box, 'crds', 'src', 'probe-caller.ts')], { cwd: box })).stdout,
      );
      expect(sources.self).toBe(`file://${path.join(src, 'probe-worker.ts')}`);
      expect(sources.contracts).toBe(`file://${path.join(src, 'index.ts')}`);
    } finally {
      for (const f of ['probe-worker.ts', 'probe-caller.ts']) await rm(path.join(src, f), { force: true });
      await build();
    }
  }, 60_000);
});
