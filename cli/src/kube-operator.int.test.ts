// The controller as an operator, against the real API server (with the test-only stand-ins for
// coordination.k8s.io Leases and events.k8s.io Events): leader election, no hot loop on a
// failing reconcile, Ready re-checked against CONFIG_DIR after a lost volume, and every API call
// of the real `esb controller` process checked against the RBAC rules of the kind manifests
// (recorded by the API server's audit log). Same skip rule as kube.int.test.ts.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';
import { ControllerMetrics, createDeploySteps, createWorkerDeploySteps, DeploymentReconciler, startKubeController, WorkQueue, workspacePaths } from '@esb/controller';
import { createKubeSource, createKubeStore, LeaderElector } from '@esb/controller/kube';
import { buildTestServer, cachedBinaries, kubeTestMode, startTestApiServer, type TestApiServer } from '@esb/controller/testing';
import { until } from '@esb/contracts/testing';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mode = kubeTestMode();
if (!mode.run) {
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n${mode.reason}\n${line}\n`);
}

const manifest = (namespace: string, name: string, template: string, parameters?: Record<string, string>) =>
  stringify({ apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { name, namespace }, spec: { template, ...(parameters ? { parameters } : {}) } });

describe.skipIf(!mode.run)('the controller as an operator, against a real API server', { timeout: 180_000 }, () => {
  let api: TestApiServer;
  let dir: string;
  let workspace: string;
  let storage: EmbeddedStorage;
  const quiet = pino({ level: 'silent' });

  const status = async (ns: string, name: string) => JSON.parse(await api.kubectl(['get', 'deployments.esb.dev', name, '-n', ns, '-o', 'json']));
  const ready = (obj: any) => (obj.status?.conditions ?? []).find((c: any) => c.type === 'Ready');

  beforeAll(async () => {
    const binaries = mode.run && mode.build ? await buildTestServer() : cachedBinaries()!;
    dir = await mkdtemp(path.join(os.tmpdir(), 'esb-operator-'));
    api = await startTestApiServer({ binaries, standInApis: true });
    workspace = path.join(dir, 'workspace');
    await cp(path.join(REPO, 'examples'), workspace, { recursive: true });
    storage = await startEmbeddedStorage({ dataDir: path.join(dir, 'storage'), dynamodbPort: 0, s3Port: 0 });
  }, 15 * 60_000);

  afterAll(async () => {
    await storage?.close();
    await api?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leader election: one holder; a released Lease passes at once; a silent holder loses it after its duration; a leader that cannot renew steps down', async () => {
    const elector = (identity: string, timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void }) =>
      new LeaderElector({ kubeConfig: api.kubeConfig(), namespace: 'esb-system', name: 'le-test', identity, leaseDurationSeconds: 1, renewDeadlineMs: 600, retryPeriodMs: 100, timers });
    const holder = async () => JSON.parse(await api.kubectl(['get', 'leases.coordination.k8s.io', 'le-test', '-n', 'esb-system', '-o', 'json'])).spec;

    const a = elector('a');
    const lostA: string[] = [];
    expect(await a.acquire((r) => lostA.push(r))).toBe(true);
    expect((await holder()).holderIdentity).toBe('a');

    const b = elector('b');
    let bLeads = false;
    const bAcquired = b.acquire(() => {}).then((v) => (bLeads = v));
    // b keeps trying while a renews: a's Lease is renewed (renewTime moves) and b does not lead.
    const first = (await holder()).renewTime;
    await until(async () => (await holder()).renewTime !== first, 'a renewing');
    expect(bLeads).toBe(false);
    expect(a.isLeader).toBe(true);

    await a.release();
    await bAcquired;
    expect(bLeads).toBe(true);
    const bHolds = await holder();
    expect(bHolds).toMatchObject({ holderIdentity: 'b' });

    // b hangs (its timers stop firing): c takes over once the Lease is not renewed for its duration.
    let frozen = false;
    const freezable = { setTimeout: (fn: () => void, ms: number) => setTimeout(() => frozen || fn(), ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    await b.release();
    const b2 = elector('b2', freezable);
    expect(await b2.acquire(() => {})).toBe(true);
    frozen = true;
    const c = elector('c');
    expect(await c.acquire(() => {})).toBe(true);
    const cHolds = await holder();
    expect(cHolds, 'c holds').toMatchObject({ holderIdentity: 'c' });
    // A takeover from a silent holder is a transition (a release handed over may or may not count one).
    expect(cHolds.leaseTransitions).toBeGreaterThan(bHolds.leaseTransitions ?? 0);

    // Someone else writes the Lease under c: c cannot renew, and steps down after its renew deadline.
    const lostC: string[] = [];
    await c.release();
    const c2 = elector('c2');
    expect(await c2.acquire((r) => lostC.push(r))).toBe(true);
    await api.kubectl(['patch', 'leases.coordination.k8s.io', 'le-test', '-n', 'esb-system', '--type=merge', '-p', '{"spec":{"holderIdentity":"intruder","leaseDurationSeconds":3600}}']);
    await until(() => lostC.length > 0, 'c2 to step down');
    expect(lostC[0]).toMatch(/could not renew Lease esb-system\/le-test for 600 ms \(holder now: intruder\)/);
    expect(c2.isLeader).toBe(false);
    expect(lostA).toEqual([]);
    for (const e of [a, b, b2, c, c2]) await e.release();
  });

  it('a failing reconcile is retried by its backoff only: its own status patches do not re-run it, and its Event is one, counted', async () => {
    const ns = 'hotloop';
    const store = createKubeStore({ kubeConfig: api.kubeConfig(), workspace, namespace: ns });
    const source = createKubeSource({ kubeConfig: api.kubeConfig(), namespace: ns, resyncMs: 0 });
    // The failure of a pod without a Docker engine: image builds cannot connect.
    const steps = {
      ...createDeploySteps({ runtime: 'process', dynamodbEndpoint: storage.dynamodbEndpoint, s3Endpoint: storage.s3Endpoint }),
      buildImages: async () => {
        throw new Error('connect ENOENT /var/run/docker.sock');
      },
    };
    const metrics = new ControllerMetrics({ processMetrics: false });
    const reconciler = new DeploymentReconciler({ store, steps, workspace, configDirFor: () => path.join(dir, 'hotloop-state', 'config') });
    const calls: string[] = [];
    const counted = metrics.wrap({ reconcile: (r, s) => (calls.push(r.name), reconciler.reconcile(r, s)) });
    // A retry an hour away: any second reconcile of the failing key within this test came from a watch event.
    const queue = new WorkQueue(counted, { baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 });
    try {
      await source.start((r) => queue.add(r));
      await api.kubectl(['apply', '-f', '-'], manifest(ns, 'failing', 'a.yml'));
      const failed = await until(async () => {
        const obj = await status(ns, 'failing');
        return ready(obj)?.reason === 'ImageBuildFailed' ? obj : undefined;
      }, 'Ready False ImageBuildFailed');
      await queue.idle();
      const rvAfterFailure = failed.metadata.resourceVersion;
      // Sync point: a later object's event comes after the failure's status events on the watch.
      await api.kubectl(['apply', '-f', '-'], manifest(ns, 'sync', 'missing.yml'));
      await until(async () => ready(await status(ns, 'sync'))?.reason === 'TemplateNotFound', 'sync reconciled');
      await queue.idle();
      expect(calls.filter((n) => n === 'failing')).toHaveLength(1);
      expect(queue.failureCount({ namespace: ns, name: 'failing' })).toBe(1);
      expect((await status(ns, 'failing')).metadata.resourceVersion).toBe(rvAfterFailure);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^esb_controller_reconcile_total\{result="error"\} 1$/m);
      expect(text).toMatch(/^esb_controller_reconcile_total\{result="terminal"\} 1$/m);

      // A real spec change still reconciles at once (and fails again): its Event is the same one, count 2.
      await api.kubectl(['apply', '-f', '-'], manifest(ns, 'failing', 'a.yml', { Stage: 'two' }));
      await until(async () => calls.filter((n) => n === 'failing').length === 2, 'the spec change reconciled');
      await queue.idle();
      const events = JSON.parse(await api.kubectl(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json'])).items.filter((e: any) => e.regarding.name === 'failing');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ reason: 'ImageBuildFailed', type: 'Warning', series: { count: 2 } });
    } finally {
      await source.stop();
      await queue.stop();
    }
  });

  it('Ready is re-checked against CONFIG_DIR: a lost volume is deployed again when the controller restarts', async () => {
    const ns = 'selfheal';
    const configDir = path.join(dir, 'selfheal-state', 'config');
    // The steps as `esb controller` runs them: in worker threads (docs/apply.md "Off the serving loop").
    const steps = createWorkerDeploySteps({ runtime: 'process', dynamodbEndpoint: storage.dynamodbEndpoint, s3Endpoint: storage.s3Endpoint });
    const start = () =>
      startKubeController({
        paths: workspacePaths(workspace),
        steps,
        log: quiet,
        configDirFor: () => configDir,
        namespace: ns,
        kubeconfig: api.kubeconfigPath,
      });
    let running = await start();
    try {
      await api.kubectl(['apply', '-f', '-'], manifest(ns, 'deploy-a', 'a.yml'));
      await until(async () => ready(await status(ns, 'deploy-a'))?.status === 'True', 'deploy-a Ready');
      await running.queue.idle();
      expect(await readFile(path.join(configDir, 'functions.yml'), 'utf8')).toMatch(/hello/);
      await running.close();

      // The volume is lost (a pod rescheduled onto another node's empty hostPath, say).
      await rm(path.dirname(configDir), { recursive: true, force: true });
      running = await start();
      await until(() => existsSync(path.join(configDir, 'functions.yml')), 'CONFIG_DIR deployed again');
      await running.queue.idle();
      expect(await readFile(path.join(configDir, 'routing.yml'), 'utf8')).toMatch(/\/hello/);
      expect(ready(await status(ns, 'deploy-a'))).toMatchObject({ status: 'True', reason: 'Ready' });
    } finally {
      await running.close();
      await steps.close();
    }
  });

  it('every API call of `esb controller --leader-elect` is allowed by the RBAC of the kind manifests; SIGTERM with a watch open exits 0', async () => {
    const ns = 'rbac';
    const rendered = await new Promise<string>((resolve, reject) =>
      execFile(cachedBinaries()!.kubectl, ['kustomize', path.join(REPO, 'kind')], (e, out, err) => (e ? reject(new Error(err)) : resolve(out))),
    );
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as any);
    // A server of its own, recording every request (the audit log): only this controller and kubectl talk to it.
    const auditLog = path.join(dir, 'audit.log');
    const policy = path.join(dir, 'audit-policy.yaml');
    await writeFile(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n');
    const audited = await startTestApiServer({ binaries: cachedBinaries()!, standInApis: true, extraArgs: [`--audit-log-path=${auditLog}`, `--audit-policy-file=${policy}`] });
    const status = async (n: string, name: string) => JSON.parse(await audited.kubectl(['get', 'deployments.esb.dev', name, '-n', n, '-o', 'json']));

    const since = Date.now(); // before: the harness's own /readyz polls
    const child = spawn(process.execPath, [path.join(REPO, 'cli/bin/esb.js'), 'controller', '--backend', 'kube', '--runtime', 'process', '--workspace', workspace, '--leader-elect', '--leader-election-namespace', 'esb-system', '-n', ns], {
      env: {
        ...process.env,
        KUBECONFIG: audited.kubeconfigPath,
        CONFIG_DIR: path.join(dir, 'rbac-state', 'config'),
        AWS_ENDPOINT_URL_DYNAMODB: storage.dynamodbEndpoint,
        AWS_ENDPOINT_URL_S3: storage.s3Endpoint,
        AWS_ACCESS_KEY_ID: 'esb-local',
        AWS_SECRET_ACCESS_KEY: 'esb-local',
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await audited.kubectl(['apply', '-f', '-'], manifest(ns, 'deploy-a', 'a.yml'));
      await until(async () => ready(await status(ns, 'deploy-a'))?.status === 'True', `deploy-a Ready\n${stderr.slice(-2000)}`, 60_000);
      // A second Ready of the same object: its Event is patched (series), not created again.
      await audited.kubectl(['apply', '-f', '-'], manifest(ns, 'deploy-a', 'a.yml', { Stage: 'two' }));
      await until(async () => {
        const obj = await status(ns, 'deploy-a');
        return obj.status?.observedGeneration === 2 && ready(obj)?.status === 'True';
      }, 'generation 2 Ready', 60_000);
      await until(async () => JSON.parse(await audited.kubectl(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json'])).items.some((e: any) => e.series?.count === 2), 'the Ready Event counted twice');
    } finally {
      child.kill('SIGTERM');
      await exited;
      await audited.stop().catch(() => undefined);
    }
    expect(await exited).toBe(0);

    // Who the controller is in the manifests: the rules bound to its ServiceAccount.
    const sa = { kind: 'ServiceAccount', name: 'esb-controller', namespace: 'esb-system' };
    const boundTo = (b: any) => b.subjects?.some((s: any) => s.kind === sa.kind && s.name === sa.name && s.namespace === sa.namespace);
    const rules: Array<{ namespace?: string; rule: any }> = [];
    for (const b of objects.filter((o) => (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && boundTo(o))) {
      const role = objects.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && (o.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
      expect(role, `${b.kind} ${b.metadata.name} -> ${b.roleRef.kind} ${b.roleRef.name}`).toBeDefined();
      for (const rule of role.rules) rules.push({ namespace: b.kind === 'RoleBinding' ? b.metadata.namespace : undefined, rule });
    }
    const allowed = (e: any) =>
      rules.some(({ namespace, rule }) => {
        const ref = e.objectRef ?? {};
        const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
        return (
          (namespace === undefined || namespace === ref.namespace) &&
          rule.apiGroups.includes(ref.apiGroup ?? '') &&
          rule.resources.includes(resource) &&
          rule.verbs.includes(e.verb) &&
          (!rule.resourceNames || rule.resourceNames.includes(ref.name))
        );
      });

    // The controller's calls: our token (the test's kubectl uses it too, with its own user agent).
    const lines = (await readFile(auditLog, 'utf8')).split('\n').filter(Boolean);
    const calls = new Map<string, any>();
    for (const line of lines) {
      const e = JSON.parse(line);
      if (e.user?.username !== 'esb-test-admin' || String(e.userAgent ?? '').startsWith('kubectl') || Date.parse(e.requestReceivedTimestamp) < since) continue;
      calls.set(e.auditID, e);
    }
    const seen = new Set<string>();
    const denied: string[] = [];
    for (const e of calls.values()) {
      const ref = e.objectRef ?? {};
      const what = `${e.verb} ${ref.apiGroup ?? ''}/${ref.resource ?? e.requestURI}${ref.subresource ? `/${ref.subresource}` : ''}${ref.namespace ? ` in ${ref.namespace}` : ''}`;
      seen.add(what);
      if (!allowed(e)) denied.push(what);
    }
    expect(denied).toEqual([]);
    // The calls the rules exist for were all made (the recording works).
    for (const expected of [
      `list esb.dev/deployments in ${ns}`,
      `watch esb.dev/deployments in ${ns}`,
      `get esb.dev/deployments in ${ns}`,
      `patch esb.dev/deployments/status in ${ns}`,
      `create events.k8s.io/events in ${ns}`,
      `patch events.k8s.io/events in ${ns}`,
      'create coordination.k8s.io/leases in esb-system',
      'get coordination.k8s.io/leases in esb-system',
      'update coordination.k8s.io/leases in esb-system',
    ]) {
      expect([...seen]).toContain(expected);
    }
  });
});
