import { describe, expect, it } from 'vitest';
import type { Deployment } from '@esb/contracts';
import { DeploymentReconciler, type DeploySteps } from './deployment-reconciler.js';
import { MemoryStore } from './memory-store.js';
import { TerminalError } from './types.js';

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
    if (content === undefined) throw new TerminalError(`${input.templatePath}: template not found`, 'TemplateNotFound');
    return { digest: `${content}|${JSON.stringify(input.parameters)}|${input.env}`, watchPaths: [input.templatePath!] };
  }
  async generate(input: { templatePath: string; outDir: string }) {
    this.generations++;
    const content = this.templates.get(input.templatePath)!;
    if (content.startsWith('broken')) throw new TerminalError(`${input.templatePath}:3:1: bad indentation`, 'InvalidTemplate');
    return { artifactPath: `${input.outDir}/artifact.yml#${content}`, artifactDigest: `sha256:${content}`, warnings: [] };
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
    return { message: 'applied' };
  }
  async provision(input: { configDir: string }) {
    if (this.failProvision) throw this.failProvision;
    this.provisioned.add(input.configDir);
    return { message: 'nothing to provision' };
  }
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
    expect(status).toMatchObject({ functions: 1, routes: 1, resources: 0, configDir: '/ws/.esb/staging/esb/prod/config' });
    expect(Object.fromEntries(status.conditions!.map((c) => [c.type, [c.status, c.reason]]))).toEqual({
      Generated: ['True', 'Generated'],
      ImagesReady: ['True', 'NotRequired'],
      Applied: ['True', 'Applied'],
      Provisioned: ['True', 'Provisioned'],
      Ready: ['True', 'Ready'],
    });
    expect(watched.get('deploy-a')).toEqual(['/ws/a.yml']);
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
    await expect(reconciler.reconcile({ namespace: 'default', name: 'bad' }, signal)).rejects.toBeInstanceOf(TerminalError);
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
    expect(error).not.toBeInstanceOf(TerminalError);
    expect(store.status(req)!.conditions!.find((c) => c.type === 'Provisioned')).toMatchObject({ status: 'False', reason: 'ProvisionFailed' });
    world.failProvision = undefined;
    await reconciler.reconcile(req, signal);
    expect(store.status(req)!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
  });

  it('a missing template file fails terminally with its path', async () => {
    const { store, reconciler } = setup();
    store.put(deployment('ghost', 'missing.yml'));
    await expect(reconciler.reconcile({ namespace: 'default', name: 'ghost' }, signal)).rejects.toBeInstanceOf(TerminalError);
    expect(store.status({ namespace: 'default', name: 'ghost' })!.conditions!.find((c) => c.type === 'Ready')!.message).toContain('/ws/missing.yml');
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
