// The kube backend against a real API server (etcd + upstream apiextensions-apiserver, built
// offline by scripts/kube-test-apiserver/build.sh), with crds/ applied. Skipped loudly when the
// server is not built and ESB_KUBE_TESTS is unset; never skipped with ESB_KUBE_TESTS=1.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Request } from '../reconcile/types.js';
import { createKubeSource, createKubeStore, type KubeSource, type KubeStore } from './index.js';
import { buildTestServer, kubeTestMode, STAND_IN_CRDS_DIR, startTestApiServer, type TestApiServer } from './testing/apiserver.js';
import { until } from '@esb/contracts/testing';

const mode = kubeTestMode();
if (!mode.run) {
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n${mode.reason}\n${line}\n`);
}

const manifest = (name: string, template = './template-a.yml', extra = '') => `apiVersion: esb.dev/v1alpha1
kind: Deployment
metadata: { name: ${name}, namespace: default }
spec:
  template: ${template}
${extra}`;

/** Waits until `predicate` holds, polling. */
describe.skipIf(!mode.run)('kube backend against a real API server', () => {
  let api: TestApiServer;
  let store: KubeStore;
  let source: KubeSource;
  const enqueued: Request[] = [];
  const warnings: string[] = [];
  const count = (name: string) => enqueued.filter((r) => r.name === name && r.namespace === 'default').length;

  beforeAll(async () => {
    const binaries = mode.run && mode.build ? await buildTestServer() : undefined;
    api = await startTestApiServer({ binaries });
    store = createKubeStore({ kubeConfig: api.kubeConfig(), workspace: '/ws', namespace: 'default', onWarning: (m) => warnings.push(m) });
    source = createKubeSource({ kubeConfig: api.kubeConfig(), namespace: 'default', resyncMs: 0 });
  }, 15 * 60_000);

  afterAll(async () => {
    await source?.stop();
    await api?.stop();
  });

  it('the Source enqueues a created Deployment; the Store reads it with server-side defaults', async () => {
    await api.kubectl(['apply', '-f', '-'], manifest('pre-existing'));
    await source.start((r) => enqueued.push(r));
    expect(count('pre-existing')).toBe(1); // from the initial list

    await api.kubectl(['apply', '-f', '-'], manifest('deploy-a', './template-a.yml', '  parameters: { Stage: prod }'));
    await until(() => count('deploy-a') >= 1, 'deploy-a to be enqueued');

    const got = await store.get({ namespace: 'default', name: 'deploy-a' });
    expect(got).toBeDefined();
    expect(got!.baseDir).toBe('/ws');
    expect(got!.source).toBe('kube:default/deploy-a');
    expect(got!.deployment.spec).toEqual({ template: './template-a.yml', env: 'default', project: 'esb', parameters: { Stage: 'prod' } });
    expect(got!.deployment.metadata.generation).toBe(1);

    const names = (await store.list()).map((d) => d.deployment.metadata.name).sort();
    expect(names).toEqual(['deploy-a', 'pre-existing']);
  });

  it('the API server rejects what the CRD schema forbids (both template and artifact)', async () => {
    await expect(api.kubectl(['apply', '-f', '-'], manifest('bad', './t.yml', '  artifact: ./a.yml'))).rejects.toThrow(/oneOf|Invalid/i);
  });

  it('patchStatus writes status (visible to kubectl, printer columns) without bumping generation', async () => {
    const req = { namespace: 'default', name: 'deploy-a' };
    const before = count('deploy-a');
    await store.patchStatus(req, {
      observedGeneration: 1,
      configDir: '/ws/.esb/staging/esb/default/config',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: '2 functions', lastTransitionTime: '2026-11-25T10:00:00Z', observedGeneration: 1 }],
    });
    const json = JSON.parse(await api.kubectl(['get', 'deployments.esb.dev', 'deploy-a', '-o', 'json']));
    expect(json.metadata.generation).toBe(1);
    expect(json.status.observedGeneration).toBe(1);
    expect(json.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Applied' });

    const table = await api.kubectl(['get', 'deployments.esb.dev', 'deploy-a']);
    expect(table).toMatch(/NAME\s+ENV\s+READY\s+REASON\s+AGE/);
    expect(table).toMatch(/deploy-a\s+default\s+True\s+Applied\s+\S+/);
    // The short names (not `deployment`, which apps/v1 owns on a real cluster).
    expect(await api.kubectl(['get', 'esbdeploy', 'deploy-a'])).toMatch(/deploy-a\s+default\s+True/);
    expect(await api.kubectl(['api-resources', '--api-group=esb.dev'])).toMatch(/deployments\s+esbdeploy,esbd\s+esb.dev\/v1alpha1\s+true\s+Deployment/);

    // A status-only change (generation unchanged) enqueues nothing: a later object's ADDED event
    // comes after it on the same watch, so once that one is seen, the status event was filtered.
    await api.kubectl(['apply', '-f', '-'], manifest('sync-1'));
    await until(() => count('sync-1') >= 1, 'sync-1 enqueued');
    expect(count('deploy-a')).toBe(before);

    // Replaces the status: fields left out are removed.
    await store.patchStatus(req, { observedGeneration: 1, conditions: [] });
    const after = await store.get(req);
    expect(after!.deployment.status).toEqual({ observedGeneration: 1, conditions: [] });
    expect(after!.deployment.metadata.generation).toBe(1);
  });

  it('a spec change bumps generation and the watch enqueues again', async () => {
    const before = count('deploy-a');
    await api.kubectl(['patch', 'deployments.esb.dev', 'deploy-a', '--type=merge', '-p', '{"spec":{"env":"prod"}}']);
    await until(() => count('deploy-a') > before, 'deploy-a enqueued after spec change');
    const got = await store.get({ namespace: 'default', name: 'deploy-a' });
    expect(got!.deployment.metadata.generation).toBe(2);
    expect(got!.deployment.spec.env).toBe('prod');
  });

  it('patchStatus of a missing Deployment is a KubeApiError with status 404', async () => {
    await expect(store.patchStatus({ namespace: 'default', name: 'nope' }, { observedGeneration: 1 })).rejects.toMatchObject({ name: 'KubeApiError', status: 404 });
  });

  it('delete: the watch enqueues the key and get returns undefined', async () => {
    const before = count('deploy-a');
    await api.kubectl(['delete', 'deployments.esb.dev', 'deploy-a']);
    await until(() => count('deploy-a') > before, 'deploy-a enqueued after delete');
    expect(await store.get({ namespace: 'default', name: 'deploy-a' })).toBeUndefined();
  });

  it('recordEvent on a server without the Events API: one one-line warning, then Events are off', async () => {
    const before = warnings.length;
    for (let i = 0; i < 3; i++) await expect(store.recordEvent({ namespace: 'default', name: 'pre-existing' }, 'Warning', 'ApplyFailed', `try ${i}`)).resolves.toBeUndefined();
    const mine = warnings.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/serves no events.k8s.io\/v1 Events \(404\): Events are off/);
    expect(mine[0]).not.toContain('\n');
  });

  it('recordEvent where Events are served: one Event per (object, reason), repeats counted in its series', async () => {
    await api.kubectl(['apply', '-f', STAND_IN_CRDS_DIR]);
    await api.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/events.events.k8s.io']);
    const own: string[] = [];
    const events = createKubeStore({ kubeConfig: api.kubeConfig(), workspace: '/ws', namespace: 'default', onWarning: (m) => own.push(m) });
    await events.get({ namespace: 'default', name: 'pre-existing' }); // learns the uid for `regarding`
    const req = { namespace: 'default', name: 'pre-existing' };
    for (let i = 1; i <= 5; i++) await events.recordEvent(req, 'Warning', 'ProvisionFailed', `attempt ${i}: connect ECONNREFUSED`);
    await events.recordEvent(req, 'Normal', 'Ready', 'ready');
    expect(own).toEqual([]);
    const list = JSON.parse(await api.kubectl(['get', 'events.events.k8s.io', '-n', 'default', '-o', 'json'])).items as Array<Record<string, any>>;
    expect(list).toHaveLength(2);
    const failed = list.find((e) => e.reason === 'ProvisionFailed')!;
    expect(failed.series.count).toBe(5);
    expect(failed.note).toBe('attempt 5: connect ECONNREFUSED');
    expect(failed.regarding).toMatchObject({ apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', namespace: 'default', name: 'pre-existing' });
    expect(failed.regarding.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(failed.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(list.find((e) => e.reason === 'Ready')!.series).toBeUndefined();
  });

  it('a spec path outside the workspace (absolute, .., a symlink out) is InvalidSpec naming the field', async () => {
    const ws = await mkdtemp(path.join(os.tmpdir(), 'esb-ws-'));
    try {
      await symlink('/etc', path.join(ws, 'etc-link'));
      const confined = createKubeStore({ kubeConfig: api.kubeConfig(), workspace: ws, namespace: 'default' });
      const cases: Array<[string, string, RegExp]> = [
        ['abs', '/etc/passwd', /spec.template: "\/etc\/passwd" is absolute/],
        ['up', '../../../etc/passwd', /spec.template: "..\/..\/..\/etc\/passwd" leaves the workspace/],
        ['link', 'etc-link/passwd', /spec.template: "etc-link\/passwd" resolves \(through a symlink\) to \/etc\/passwd/],
      ];
      for (const [name, template, message] of cases) {
        await api.kubectl(['apply', '-f', '-'], manifest(`outside-${name}`, template));
        await expect(confined.get({ namespace: 'default', name: `outside-${name}` })).rejects.toMatchObject({ name: 'KubeInvalidDeploymentError', conditionReason: 'InvalidSpec', message: expect.stringMatching(message) });
      }
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  it('a dropped watch (API server restarted) reconnects with backoff and sees changes made while it was down', async () => {
    const logs: string[] = [];
    const own: Request[] = [];
    const src = createKubeSource({ kubeConfig: api.kubeConfig(), namespace: 'default', resyncMs: 0, backoff: { initialMs: 200, maxMs: 1000 }, onLog: (_l, m) => logs.push(m) });
    try {
      await src.start((r) => own.push(r));
      await api.restartApiServer(300);
      await api.kubectl(['apply', '-f', '-'], manifest('after-restart'));
      await until(() => own.some((r) => r.name === 'after-restart'), 'after-restart enqueued by the reconnected watch', 20_000);
      expect(logs.some((m) => /watch (closed|failed)/.test(m))).toBe(true);
      // The shared source reconnected too.
      await until(() => count('after-restart') >= 1, 'after-restart enqueued by the shared source', 20_000);
    } finally {
      await src.stop();
    }
  });

  it('a wrong token is refused (the server authenticates)', async () => {
    const kc = api.kubeConfig();
    kc.users[0] = { ...kc.users[0], token: 'wrong' };
    const bad = createKubeStore({ kubeConfig: kc, workspace: '/ws' });
    await expect(bad.get({ namespace: 'default', name: 'pre-existing' })).rejects.toMatchObject({ name: 'KubeApiError', status: 401 });
  });
});
