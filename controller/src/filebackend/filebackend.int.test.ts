import { mkdtemp, readFile, rename, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentReconciler, type DeploySteps } from '../reconcile/deployment-reconciler.js';
import { WorkQueue } from '../reconcile/queue.js';
import { ReasonError } from '@esb/contracts';
import { FileSource } from './source.js';
import { FileStore } from './store.js';
import { until } from '@esb/contracts/testing';

// Steps that really read the template from disk and "apply" its single line into a map: enough
// to see which content reached CONFIG_DIR, with real files and real chokidar events.
function diskSteps(applied: Map<string, string>): DeploySteps {
  return {
    async inspect({ templatePath }) {
      const text = await readFile(templatePath!, 'utf8').catch(() => {
        throw new ReasonError(`${templatePath}: template not found`, 'TemplateNotFound');
      });
      return { digest: text, watchPaths: [templatePath!] };
    },
    async generate({ templatePath, outDir }) {
      const text = await readFile(templatePath, 'utf8');
      if (text.startsWith('broken')) throw new ReasonError(`${templatePath}:1:1: cannot parse`, 'InvalidTemplate');
      return { artifactPath: `${outDir}#${text.trim()}`, artifactDigest: 'sha256:x', warnings: [] };
    },
    async describeArtifact() {
      return { artifactDigest: 'sha256:x', counts: { functions: 1, routes: 1, resources: 0 } };
    },
    async buildImages() {
      return undefined;
    },
    async apply({ artifactPath }) {
      const [fn, version] = artifactPath.split('#')[1].split(':');
      applied.set(fn, version);
      return { message: 'ok' };
    },
    async provision() {
      return { message: 'ok' };
    },
  };
}

const manifest = (name: string, template: string) =>
  `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template: ${template}\n  env: prod\n`;

describe('file backend (real files, chokidar)', () => {
  let ws: string;
  let store: FileStore;
  let source: FileSource;
  let queue: WorkQueue;
  const applied = new Map<string, string>();

  beforeEach(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-fb-'));
    await mkdir(path.join(ws, 'deployments'));
    applied.clear();
    store = new FileStore({ deploymentsDir: path.join(ws, 'deployments'), statusDir: path.join(ws, '.esb/status') });
    // Pauses for a manifest read half-written: long enough for a slow test machine.
    source = new FileSource({ store, deploymentsDir: path.join(ws, 'deployments'), settleMs: [50, 100, 200, 400] });
    const reconciler = new DeploymentReconciler({
      store,
      steps: diskSteps(applied),
      workspace: ws,
      configDirFor: (p, e) => path.join(ws, '.esb/staging', p, e, 'config'),
      onWatchPaths: (req, paths) => source.watchPaths(req, paths),
    });
    queue = new WorkQueue(reconciler, { baseDelayMs: 100 });
    await source.start((req) => queue.add(req));
  });

  afterEach(async () => {
    await source.stop();
    await queue.stop();
    await rm(ws, { recursive: true, force: true });
  });

  const ready = async (name: string) =>
    (await store.readRecord({ namespace: 'default', name })).status?.conditions?.find((c) => c.type === 'Ready');

  it('deploys a dropped manifest, redeploys when the template changes, and keeps functions when the manifest is removed', async () => {
    await writeFile(path.join(ws, 'a.yml'), 'hello:A\n');
    await writeFile(path.join(ws, 'deployments', 'deploy-a.yaml'), manifest('deploy-a', '../a.yml'));
    await until(async () => (await ready('deploy-a'))?.status === 'True', 'deploy-a Ready');
    expect(applied.get('hello')).toBe('A');
    const record = await store.readRecord({ namespace: 'default', name: 'deploy-a' });
    expect(record).toMatchObject({ generation: 1, env: 'prod', manifest: path.join(ws, 'deployments', 'deploy-a.yaml') });
    // the user's file is never touched
    expect(await readFile(path.join(ws, 'deployments', 'deploy-a.yaml'), 'utf8')).toBe(manifest('deploy-a', '../a.yml'));

    await writeFile(path.join(ws, 'a.yml'), 'hello:A2\n');
    await until(() => applied.get('hello') === 'A2', 'hello applied from A2');

    await unlink(path.join(ws, 'deployments', 'deploy-a.yaml'));
    await new Promise((r) => setTimeout(r, 300));
    expect(applied.get('hello')).toBe('A2');
  });

  it('a manifest added while the folder gives no events is deployed at the next resync', async () => {
    await source.stop();
    source = new FileSource({ store, deploymentsDir: path.join(ws, 'deployments'), resyncMs: 200 });
    await source.start((req) => queue.add(req));
    // What a full inotify table looks like from here: the watcher is there but says nothing.
    await (source as unknown as { manifests: { close(): Promise<void> } }).manifests.close();
    await writeFile(path.join(ws, 'a.yml'), 'hello:A\n');
    await writeFile(path.join(ws, 'deployments', 'late.yaml'), manifest('late', '../a.yml'));
    await until(async () => (await ready('late'))?.status === 'True', 'late Ready');
    expect(applied.get('hello')).toBe('A');
  });

  it('bumps the generation when the spec changes', async () => {
    await writeFile(path.join(ws, 'a.yml'), 'hello:A\n');
    await writeFile(path.join(ws, 'b.yml'), 'hello:B\n');
    await writeFile(path.join(ws, 'deployments', 'app.yaml'), manifest('app', '../a.yml'));
    await until(() => applied.get('hello') === 'A', 'hello applied from A');
    await writeFile(path.join(ws, 'deployments', 'app.yaml'), manifest('app', '../b.yml'));
    await until(() => applied.get('hello') === 'B', 'hello applied from B');
    await until(async () => (await store.readRecord({ namespace: 'default', name: 'app' })).status?.observedGeneration === 2, 'generation 2 observed');
  });

  it('a manifest written in place in two parts deploys the whole one, with no failure recorded for the half', async () => {
    await writeFile(path.join(ws, 'a.yml'), 'hello:A\n');
    const full = manifest('halves', '../a.yml');
    const file = path.join(ws, 'deployments', 'halves.yaml');
    await writeFile(file, full.slice(0, full.indexOf('spec:')));
    await new Promise((r) => setTimeout(r, 10));
    await writeFile(file, full);
    await until(async () => (await ready('halves'))?.status === 'True', 'halves Ready');
    expect(applied.get('hello')).toBe('A');
    const record = await store.readRecord({ namespace: 'default', name: 'halves' });
    expect(record.recentErrors ?? []).toEqual([]);
    expect(record.generation).toBe(1);
  });

  it('a manifest replaced twice in quick succession (atomic renames) ends at the last one', async () => {
    await writeFile(path.join(ws, 'a.yml'), 'hello:A\n');
    await writeFile(path.join(ws, 'b.yml'), 'hello:B\n');
    const file = path.join(ws, 'deployments', 'twice.yaml');
    for (const template of ['../a.yml', '../b.yml']) {
      await writeFile(`${file}.tmp`, manifest('twice', template));
      await rename(`${file}.tmp`, file);
    }
    await until(async () => (await ready('twice'))?.status === 'True' && applied.get('hello') === 'B', 'twice Ready with B applied');
    await queue.idle();
    const record = await store.readRecord({ namespace: 'default', name: 'twice' });
    expect(applied.get('hello')).toBe('B');
    expect(record.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a manifest rewritten in place twice within 50 ms (chokidar reports one change) ends at the last one', async () => {
    for (const t of ['a', 'b', 'c']) await writeFile(path.join(ws, `${t}.yml`), `hello:${t.toUpperCase()}\n`);
    const file = path.join(ws, 'deployments', 'inplace.yaml');
    await writeFile(file, manifest('inplace', '../a.yml'));
    await until(() => applied.get('hello') === 'A', 'hello applied from A');
    // Two in-place writes back to back: chokidar drops a file's change events for 50 ms after one.
    await writeFile(file, manifest('inplace', '../b.yml'));
    await until(() => applied.get('hello') === 'B', 'hello applied from B', 5_000);
    await writeFile(file, manifest('inplace', '../c.yml'));
    await new Promise((r) => setTimeout(r, 20)); // the first change is read by now
    await writeFile(file, manifest('inplace', '../a.yml'));
    await until(() => applied.get('hello') === 'A', 'hello applied from the last write', 5_000);
  });

  it('a malformed manifest gets a status naming file and field; a broken template fails; others deploy', async () => {
    await writeFile(path.join(ws, 'good.yml'), 'good:1\n');
    await writeFile(path.join(ws, 'bad.yml'), 'broken\n');
    await writeFile(path.join(ws, 'deployments', 'bad-spec.yaml'), 'apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: bad-spec}\nspec: {env: prod}\n');
    await writeFile(path.join(ws, 'deployments', 'bad-template.yaml'), manifest('bad-template', '../bad.yml'));
    await writeFile(path.join(ws, 'deployments', 'good.yaml'), manifest('good', '../good.yml'));
    await until(async () => (await ready('good'))?.status === 'True', 'good Ready');
    const badSpec = await until(() => ready('bad-spec'), 'a Ready condition of bad-spec');
    expect(badSpec).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(badSpec.message).toContain(path.join(ws, 'deployments', 'bad-spec.yaml'));
    expect(badSpec.message).toContain('spec');
    const badTemplate = await until(() => ready('bad-template'), 'a Ready condition of bad-template');
    expect(badTemplate).toMatchObject({ status: 'False', reason: 'InvalidTemplate' });
    expect((await store.readRecord({ namespace: 'default', name: 'bad-template' })).recentErrors?.[0].message).toContain('cannot parse');
    expect(applied.get('good')).toBe('1');
  });
});

describe('FileStore status records (real files)', () => {
  it('a status patched while the generation is still being written lands after it; the last of quick patches is what the file holds', async () => {
    const ws = await mkdtemp(path.join(tmpdir(), 'esb-fs-'));
    try {
      await mkdir(path.join(ws, 'deployments'));
      await writeFile(path.join(ws, 'deployments', 'a.yaml'), manifest('a', '../a.yml'));
      const store = new FileStore({ deploymentsDir: path.join(ws, 'deployments'), statusDir: path.join(ws, '.esb/status') });
      const request = { namespace: 'default', name: 'a' };
      const stored = await store.get(request);
      expect(stored?.deployment.metadata.generation).toBe(1);
      const statuses = ['Generating', 'Applying', 'Ready'].map((reason) => ({ observedGeneration: 1, conditions: [{ type: 'Ready' as const, status: reason === 'Ready' ? ('True' as const) : ('False' as const), reason, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] }));
      await Promise.all(statuses.map((status) => store.patchStatus(request, status)));
      const record = await store.readRecord(request);
      expect(record).toMatchObject({ generation: 1, env: 'prod', status: statuses[2] });
      // A second store (a restart) reads the same record back.
      const again = new FileStore({ deploymentsDir: path.join(ws, 'deployments'), statusDir: path.join(ws, '.esb/status') });
      expect((await again.get(request))?.deployment.status).toEqual(statuses[2]);
      expect((await again.get(request))?.deployment.metadata.generation).toBe(1);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
