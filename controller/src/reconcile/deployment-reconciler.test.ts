import { describe, expect, it } from 'vitest';
import { isTerminalReason, ReasonError, type Deployment } from '@esb/contracts';
import { DeploymentReconciler, type DeploySteps } from './deployment-reconciler.js';
import { MemoryStore } from './memory-store.js';

/** Whether the reason a reconcile threw with is terminal in the reason table. */
const terminal = (err: unknown) => isTerminalReason((err as ReasonError).conditionReason);

// A world of templates (path -> content) and a CONFIG_DIR per env, in memory: the fake steps
// behave like the real ones (generate reads the template, apply merges, provision records),
// and the tests assert the resulting state, not which calls were made.
class FakeWorld implements DeploySteps {
  templates = new Map<string, string>();
  configDirs = new Map<string, Map<string, string>>(); // configDir -> function -> template content
  provisioned = new Set<string>();
  generations = 0;
  failProvision: Error | undefined;

  async inspect(input: { templatePath?: string; parameters: Record<string, string>; env: string; project: string }) {
    const content = this.templates.get(input.templatePath!);
    if (content === undefined) throw new ReasonError(`${input.templatePath}: template not found`, 'TemplateNotFound');
    return { digest: `${content}|${JSON.stringify(input.parameters)}|${input.env}`, watchPaths: [input.templatePath!], generator: 'gen-1' };
  }
  buildDirs: string[] = [];
  async generate(input: { templatePath: string; outDir: string; buildDir?: string; progress?(message: string): Promise<void> }) {
    this.generations++;
    const content = this.templates.get(input.templatePath)!;
    this.lastApplied.set(`${input.outDir}/artifact.yml`, content);
    if (content.startsWith('broken')) throw new ReasonError(`${input.templatePath}:3:1: bad indentation`, 'InvalidTemplate');
    if (content.startsWith('unbuildable')) throw new ReasonError('Fn: esbuild build failed: app.ts:1:0: Unexpected end of file', 'BuildFailed');
    let built: string | undefined;
    if (content.startsWith('built')) {
      this.buildDirs.push(input.buildDir!);
      await input.progress?.('Fn (npm): building');
      await input.progress?.('Fn (npm): built in 1.00s (1.0 KB, 2 files)');
      built = 'built 1: Fn npm 1.0 KB 1.00s';
    }
    return { artifactPath: `${input.outDir}/artifact.yml#${content}`, artifactDigest: `sha256:${content}`, warnings: [], built };
  }
  async describeArtifact(artifactPath: string) {
    return { artifactDigest: `sha256:${artifactPath.split('#')[1]}`, counts: { functions: 1, routes: 1, resources: 0 } };
  }
  async buildImages() {
    return undefined;
  }
  async apply(input: { artifactPath: string; configDir: string }) {
    const content = input.artifactPath.split('#')[1];
    const dir = this.configDirs.get(input.configDir) ?? new Map<string, string>();
    dir.set(content.split(':')[0], content);
    this.configDirs.set(input.configDir, dir);
    // "name:version>value": a template whose stack has one Output, Url.
    const url = content.split('>')[1];
    return { message: 'applied', ...(url ? { outputs: [{ key: 'Url', value: url }] } : {}) };
  }
  async provision(input: { configDir: string }) {
    if (this.failProvision) throw this.failProvision;
    this.provisioned.add(input.configDir);
    return { message: 'nothing to provision' };
  }
  async verify(input: { artifactPath: string; configDir: string }) {
    const content = input.artifactPath.split('#')[1] ?? this.lastApplied.get(input.artifactPath);
    const dir = this.configDirs.get(input.configDir);
    return dir && [...dir.values()].some((v) => v.split(':')[0] === content?.split(':')[0]) ? undefined : `${input.configDir} lost what ${input.artifactPath} applied`;
  }
  /** artifact.yml path -> content last generated there (verify reads the artifact back). */
  lastApplied = new Map<string, string>();
}

function deployment(name: string, template: string, env = 'prod'): Deployment {
  return { apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: { template, env, project: 'esb' } };
}

const signal = new AbortController().signal;

function setup() {
  const store = new MemoryStore('/ws');
  const world = new FakeWorld();
  const watched = new Map<string, string[]>();
  const reconciler = new DeploymentReconciler({
    store,
    steps: world,
    workspace: '/ws',
    configDirFor: (project, env) => `/ws/.esb/staging/${project}/${env}/config`,
    onWatchPaths: (req, paths) => watched.set(req.name, paths),
    now: () => new Date('2026-11-25T10:00:00Z'),
  });
  return { store, world, reconciler, watched };
}

describe('DeploymentReconciler', () => {
  it('shows build progress in the Generated condition and the build summary once generated', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/b.yml', 'built:B');
    store.put(deployment('deploy-b', './b.yml'));
    const key = { namespace: 'default', name: 'deploy-b' };
    await reconciler.reconcile(key, signal);
    expect(world.buildDirs).toEqual(['/ws/.esb/staging/esb/prod/build/default-deploy-b']);
    const generated = store.statusHistory.map((h) => h.status.conditions?.find((c) => c.type === 'Generated')).map((c) => `${c?.status} ${c?.reason}: ${c?.message}`);
    expect(generated).toContain('Unknown Building: Fn (npm): building');
    expect(generated).toContain('Unknown Building: Fn (npm): built in 1.00s (1.0 KB, 2 files)');
    expect(generated.at(-1)).toBe('True Generated: 1 function, 1 route, 0 resources; built 1: Fn npm 1.0 KB 1.00s');
  });

  it('a failed build is terminal (BuildFailed): not retried until the inputs change', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/u.yml', 'unbuildable:U');
    store.put(deployment('deploy-u', './u.yml'));
    const key = { namespace: 'default', name: 'deploy-u' };
    await expect(reconciler.reconcile(key, signal)).rejects.toBeInstanceOf(ReasonError);
    const ready = store.status(key)!.conditions!.find((c) => c.type === 'Ready')!;
    expect([ready.status, ready.reason, ready.message]).toEqual(['False', 'BuildFailed', 'Fn: esbuild build failed: app.ts:1:0: Unexpected end of file']);
    await reconciler.reconcile(key, signal);
    expect(world.generations).toBe(1);
  });

  it('deploys a template: config applied, resources provisioned, Ready with counts and digests', async () => {
    const { store, world, reconciler, watched } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', './a.yml'));
    await reconciler.reconcile({ namespace: 'default', name: 'deploy-a' }, signal);

    expect(world.configDirs.get('/ws/.esb/staging/esb/prod/config')?.get('hello')).toBe('hello:A');
    expect(world.provisioned.has('/ws/.esb/staging/esb/prod/config')).toBe(true);
    const status = store.status({ namespace: 'default', name: 'deploy-a' })!;
    expect(status.observedGeneration).toBe(1);
    expect(status.artifactDigest).toBe('sha256:hello:A');
    // The generator the digest counts: `esb deploy` of another esb build computes the digest with it.
    expect(status).toMatchObject({ functions: 1, routes: 1, resources: 0, configDir: '/ws/.esb/staging/esb/prod/config', inputsDigest: 'hello:A|{}|prod', generator: 'gen-1' });
    expect(Object.fromEntries(status.conditions!.map((c) => [c.type, [c.status, c.reason]]))).toEqual({
      Generated: ['True', 'Generated'],
      ImagesReady: ['True', 'NotRequired'],
      Applied: ['True', 'Applied'],
      Provisioned: ['True', 'Provisioned'],
      Ready: ['True', 'Ready'],
    });
    // The template, and the CONFIG_DIR files whose loss must be noticed.
    expect(watched.get('deploy-a')).toEqual(['/ws/a.yml', ...['functions', 'routing', 'resources'].map((f) => `/ws/.esb/staging/esb/prod/config/${f}.yml`)]);
    expect(store.events.at(-1)).toMatchObject({ type: 'Normal', reason: 'Ready' });
  });

  it('reports progress condition by condition before Ready', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    await reconciler.reconcile({ namespace: 'default', name: 'deploy-a' }, signal);
    const readyReasons = store.statusHistory.map((h) => h.status.conditions!.find((c) => c.type === 'Ready')!.reason);
    expect(readyReasons).toEqual(['Generating', 'BuildingImages', 'Applying', 'Provisioning', 'Ready']);
  });

  it('applies without waiting for the progress writes before it, and writes Ready after all of them, in order', async () => {
    const { store, world } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    // A status store whose writes of progress (Ready=False) hang until released.
    const held: Array<() => void> = [];
    const slowStore = Object.assign(Object.create(store) as MemoryStore, {
      patchStatus: async (request: { namespace: string; name: string }, status: Parameters<MemoryStore['patchStatus']>[1]) => {
        if (status.conditions?.find((c) => c.type === 'Ready')?.status === 'False') await new Promise<void>((resolve) => held.push(resolve));
        await store.patchStatus(request, status);
      },
    });
    let appliedWhileHeld = -1;
    const steps = Object.assign(Object.create(world) as FakeWorld, {
      apply: async (input: Parameters<FakeWorld['apply']>[0]) => {
        appliedWhileHeld = held.length;
        return world.apply(input);
      },
    });
    const reconciler = new DeploymentReconciler({ store: slowStore, steps, workspace: '/ws', configDirFor: (p, e) => `/ws/.esb/staging/${p}/${e}/config` });
    const done = reconciler.reconcile({ namespace: 'default', name: 'deploy-a' }, signal);
    while (appliedWhileHeld < 0) {
      await new Promise((r) => setTimeout(r, 1));
      held.shift()?.(); // releasing one write at a time: the steps ran ahead of them
      if (appliedWhileHeld >= 0) break;
    }
    expect(appliedWhileHeld).toBeGreaterThan(0);
    while ((await Promise.race([done.then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 1))])) === 'waiting') held.shift()?.();
    const readyReasons = store.statusHistory.map((h) => h.status.conditions!.find((c) => c.type === 'Ready')!.reason);
    expect(readyReasons).toEqual(['Generating', 'BuildingImages', 'Applying', 'Provisioning', 'Ready']);
  });

  it("reports the stack's Outputs of the last successful deploy: a failed one keeps them, one without Outputs drops them", async () => {
    const { store, world, reconciler } = setup();
    const req = { namespace: 'default', name: 'deploy-a' };
    const outputsNow = () => store.status(req)?.outputs;
    world.templates.set('/ws/a.yml', 'hello:A>http://one');
    store.put(deployment('deploy-a', 'a.yml'));
    await reconciler.reconcile(req, signal);
    expect(outputsNow()).toEqual([{ key: 'Url', value: 'http://one' }]);
    world.templates.set('/ws/a.yml', 'broken:A>http://two');
    await reconciler.reconcile(req, signal).catch(() => {});
    expect(store.status(req)?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(outputsNow()).toEqual([{ key: 'Url', value: 'http://one' }]);
    world.templates.set('/ws/a.yml', 'hello:A');
    await reconciler.reconcile(req, signal);
    expect(store.status(req)?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(outputsNow()).toBeUndefined();
  });

  it("tells what an apply wrote into CONFIG_DIR (esb's own writes are not damage)", async () => {
    const { store, world } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    const written = [{ path: '/ws/.esb/staging/esb/prod/config/functions.yml', signature: '1:2:3' }];
    const steps = Object.assign(Object.create(world) as FakeWorld, { apply: async (input: Parameters<FakeWorld['apply']>[0]) => ({ ...(await world.apply(input)), written }) });
    const told: unknown[] = [];
    const reconciler = new DeploymentReconciler({ store, steps, workspace: '/ws', configDirFor: (p, e) => `/ws/.esb/staging/${p}/${e}/config`, onOwnWrites: (w) => told.push(w) });
    await reconciler.reconcile({ namespace: 'default', name: 'deploy-a' }, signal);
    expect(told).toEqual([written]);
  });

  it('does no work when neither the generation nor the inputs changed, and redeploys when the template changes', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    const req = { namespace: 'default', name: 'deploy-a' };
    await reconciler.reconcile(req, signal);
    const writes = store.statusHistory.length;
    await reconciler.reconcile(req, signal);
    expect(world.generations).toBe(1);
    expect(store.statusHistory.length).toBe(writes);

    world.templates.set('/ws/a.yml', 'hello:A2');
    await reconciler.reconcile(req, signal);
    expect(world.generations).toBe(2);
    expect(world.configDirs.get('/ws/.esb/staging/esb/prod/config')?.get('hello')).toBe('hello:A2');
  });

  it('A then B into one env: last write wins, earlier functions stay', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    world.templates.set('/ws/b.yml', 'hello:B');
    world.templates.set('/ws/c.yml', 'other:C');
    for (const [name, file] of [['a', 'a.yml'], ['c', 'c.yml'], ['b', 'b.yml']]) {
      store.put(deployment(name, file));
      await reconciler.reconcile({ namespace: 'default', name }, signal);
    }
    const config = world.configDirs.get('/ws/.esb/staging/esb/prod/config')!;
    expect(config.get('hello')).toBe('hello:B');
    expect(config.get('other')).toBe('other:C');
  });

  it('a broken template is a terminal failure in status, and other deployments are unaffected', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/bad.yml', 'broken');
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('bad', 'bad.yml'));
    store.put(deployment('good', 'a.yml'));
    expect(terminal(await reconciler.reconcile({ namespace: 'default', name: 'bad' }, signal).catch((e) => e))).toBe(true);
    await reconciler.reconcile({ namespace: 'default', name: 'good' }, signal);

    const bad = store.status({ namespace: 'default', name: 'bad' })!;
    expect(bad.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidTemplate', message: '/ws/bad.yml:3:1: bad indentation' });
    expect(bad.conditions!.find((c) => c.type === 'Generated')).toMatchObject({ status: 'False', reason: 'InvalidTemplate' });
    expect(store.status({ namespace: 'default', name: 'good' })!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');

    // Unchanged broken input: a later reconcile (resync) does no work.
    const generations = world.generations;
    await reconciler.reconcile({ namespace: 'default', name: 'bad' }, signal);
    expect(world.generations).toBe(generations);
  });

  it('a transient provisioning failure is retried (not terminal) and then succeeds', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    world.failProvision = new Error('http://127.0.0.1:4566: connect ECONNREFUSED');
    const req = { namespace: 'default', name: 'deploy-a' };
    const error = await reconciler.reconcile(req, signal).catch((e) => e);
    expect(terminal(error)).toBe(false);
    expect(store.status(req)!.conditions!.find((c) => c.type === 'Provisioned')).toMatchObject({ status: 'False', reason: 'ProvisionFailed' });
    world.failProvision = undefined;
    await reconciler.reconcile(req, signal);
    expect(store.status(req)!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
  });

  it('a missing template file fails terminally with its path, and is watched so that its appearance is noticed', async () => {
    const { store, reconciler, watched } = setup();
    store.put(deployment('ghost', 'missing.yml'));
    expect(terminal(await reconciler.reconcile({ namespace: 'default', name: 'ghost' }, signal).catch((e) => e))).toBe(true);
    const ready = store.status({ namespace: 'default', name: 'ghost' })!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'TemplateNotFound' });
    expect(ready.message).toContain('/ws/missing.yml');
    expect(watched.get('ghost')).toEqual(['/ws/missing.yml']);
  });

  it('a template removed and restored unchanged is Ready again without a spec change', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    const req = { namespace: 'default', name: 'deploy-a' };
    await reconciler.reconcile(req, signal);
    world.templates.delete('/ws/a.yml');
    await reconciler.reconcile(req, signal).catch(() => undefined);
    expect(store.status(req)!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'TemplateNotFound' });
    world.templates.set('/ws/a.yml', 'hello:A');
    await reconciler.reconcile(req, signal);
    expect(store.status(req)!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
  });

  it('an unchanged Ready Deployment whose CONFIG_DIR lost its content applies again', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    const req = { namespace: 'default', name: 'deploy-a' };
    await reconciler.reconcile(req, signal);
    world.configDirs.delete('/ws/.esb/staging/esb/prod/config'); // moved away, a new volume
    await reconciler.reconcile(req, signal);
    expect(world.configDirs.get('/ws/.esb/staging/esb/prod/config')?.get('hello')).toBe('hello:A');
    // Intact: nothing more to do.
    const generations = world.generations;
    await reconciler.reconcile(req, signal);
    expect(world.generations).toBe(generations);
  });

  it('deleting a Deployment keeps what it deployed', async () => {
    const { store, world, reconciler } = setup();
    world.templates.set('/ws/a.yml', 'hello:A');
    store.put(deployment('deploy-a', 'a.yml'));
    const req = { namespace: 'default', name: 'deploy-a' };
    await reconciler.reconcile(req, signal);
    store.delete(req);
    await reconciler.reconcile(req, signal);
    expect(world.configDirs.get('/ws/.esb/staging/esb/prod/config')?.get('hello')).toBe('hello:A');
  });
});
