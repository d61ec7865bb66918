// The kube backend against a real API server (etcd + upstream apiextensions-apiserver, built
// offline by scripts/kube-test-apiserver/build.sh), with crds/ applied. Skipped loudly when the
// server is not built and ESB_KUBE_TESTS is unset; never skipped with ESB_KUBE_TESTS=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Request } from '../reconcile/types.js';
import { createKubeSource, createKubeStore, type KubeSource, type KubeStore } from './index.js';
import { buildTestServer, kubeTestMode, startTestApiServer, type TestApiServer } from './testing/apiserver.js';

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
async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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

    // A status-only change is still a MODIFIED event (the reconciler's generation check makes it a no-op).
    await until(() => count('deploy-a') > before, 'status MODIFIED event');

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

  it('recordEvent fails soft on a server without core/v1 Events', async () => {
    await expect(store.recordEvent({ namespace: 'default', name: 'pre-existing' }, 'Normal', 'Applied', 'ok')).resolves.toBeUndefined();
    expect(warnings.some((w) => w.includes('event Applied not recorded'))).toBe(true);
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
