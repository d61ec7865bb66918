// The kind manifests, run for real without a cluster: `kubectl kustomize kind/` rendered, every
// pod of it started in the local Docker engine with the manifests' own image, args, env,
// volumes and securityContext (testing/pods-in-docker.ts reads them from the YAML), the
// controller pointed at a real API server through its service account mount, then Deployments
// applied through that API server and answered by the gateway container over HTTP.
// Runs when the kube test server is built and a Docker engine answers; ESB_KUBE_TESTS=1 (CI)
// never skips. Needs the esb image: built here by scripts/esb-image.sh (idempotent).
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { buildTestServer, cachedBinaries, kubeTestMode, startTestApiServer, type TestApiServer } from './testing/apiserver.js';
import { docker, dockerRunArgs, dockerRunsOf, type DockerRun, type K8sObject } from './testing/pods-in-docker.js';
import { until } from '@esb/contracts/testing';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const mode = kubeTestMode();
const dockerAnswers = await docker(['version', '--format', '{{.Server.Version}}']).then(
  () => true,
  () => false,
);
const strict = process.env.ESB_KUBE_TESTS === '1' || process.env.ESB_KUBE_TESTS === 'true';
const run = mode.run && (dockerAnswers || strict);
if (!run) {
  const line = '!'.repeat(100);
  console.warn(`\n${line}\nKIND-IN-DOCKER TEST SKIPPED: ${!mode.run ? mode.reason : 'no Docker engine answers (scripts/docker-up.sh)'}\n${line}\n`);
}

function exec(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${stderr || error.message}`, { cause: error }));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

const deployment = (namespace: string, name: string, template: string) =>
  stringify({ apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { name, namespace }, spec: { template } });

describe.skipIf(!run)('kind manifests run in Docker against a real API server', () => {
  const prefix = `esbkind${process.pid}`;
  const network = prefix;
  let dir: string;
  let api: TestApiServer;
  let runs: DockerRun[] = [];
  const ips = new Map<string, string>();
  let failed = false;

  const status = async (ns: string, name: string) => JSON.parse(await api.kubectl(['get', 'deployments.esb.dev', name, '-n', ns, '-o', 'json'])).status ?? {};
  const ready = (st: any) => (st.conditions ?? []).find((c: any) => c.type === 'Ready');
  const ipOf = (workload: string, i = 0) => ips.get(runs.filter((r) => r.workload === workload)[i]!.name)!;
  const gateway = () => `http://${ipOf('Deployment/esb-gateway')}:3000`;
  let leaderIndex = -1;
  const reconciles = async (i: number) => {
    const text = await (await fetch(`http://${ipOf('Deployment/esb-controller', i)}:8081/metrics`)).text();
    return Number(/^esb_controller_reconcile_total\{result="success"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  beforeAll(async () => {
    if (!dockerAnswers) throw new Error('ESB_KUBE_TESTS is set but no Docker engine answers: this test needs one (scripts/docker-up.sh)');
    const binaries = mode.run && mode.build ? await buildTestServer() : cachedBinaries()!;
    await exec(path.join(REPO, 'scripts/esb-image.sh'), [], { timeoutMs: 20 * 60_000 });
    const rendered = await exec(binaries.kubectl, ['kustomize', path.join(REPO, 'kind')]);
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject);

    dir = await mkdtemp(path.join(os.tmpdir(), 'esb-kind-docker-'));
    await chmod(dir, 0o755);
    await docker(['network', 'create', '--label', `dev.esb.test=${prefix}`, network]);
    const gatewayIp = (await docker(['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}'])).trim();

    // The API server listens on the network's gateway address with a certificate for it, as
    // kubernetes.default.svc would be reached from a pod.
    const cert = path.join(dir, 'apiserver.crt');
    const key = path.join(dir, 'apiserver.key');
    await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=kubernetes', '-addext', `subjectAltName=IP:${gatewayIp},DNS:kubernetes.default.svc`]);
    api = await startTestApiServer({ binaries, bindAddress: gatewayIp, tls: { certFile: cert, keyFile: key }, applyCrds: false, standInApis: true });
    await api.kubectl(['apply', '-f', '-'], objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => stringify(o)).join('---\n'));
    await api.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/deployments.esb.dev']);

    const saDir = async (ns: string) => {
      const d = path.join(dir, 'serviceaccount', ns);
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'token'), api.token);
      await cp(cert, path.join(d, 'ca.crt'));
      await writeFile(path.join(d, 'namespace'), ns);
      await chmod(path.join(dir, 'serviceaccount'), 0o755);
      await chmod(d, 0o755);
      for (const f of ['token', 'ca.crt', 'namespace']) await chmod(path.join(d, f), 0o644);
      return d;
    };
    await saDir('esb-system');
    const workspace = path.join(dir, 'workspace');
    await cp(path.join(REPO, 'examples'), workspace, { recursive: true });
    await cp(path.join(REPO, 'e2e', 'apps', 'custom-resources'), path.join(workspace, 'custom-resources'), { recursive: true });
    // A Java function, compiled here against esb's copy of the aws-lambda-java-core interfaces
    // without packaging them (Maven's provided scope): the image gives them, and a JRE 17.
    const javaApp = path.join(workspace, 'java-hello');
    await mkdir(path.join(javaApp, 'src', 'hello'), { recursive: true });
    await writeFile(
      path.join(javaApp, 'src', 'hello', 'Api.java'),
      'package hello;\nimport java.util.*;\nimport com.amazonaws.services.lambda.runtime.Context;\npublic class Api {\n' +
        '  public Map<String, Object> handle(Map<String, Object> event, Context context) {\n    Map<String, Object> out = new HashMap<>();\n    out.put("statusCode", 200);\n' +
        '    out.put("body", "{\\"function\\": \\"" + context.getFunctionName() + "\\", \\"java\\": \\"" + System.getProperty("java.specification.version") + "\\"}");\n    return out;\n  }\n}\n',
    );
    await exec('javac', ['--release', '17', '-sourcepath', path.join(REPO, 'agent', 'runtime', 'java-core'), '-implicit:none', '-d', path.join(javaApp, 'classes'), path.join(javaApp, 'src', 'hello', 'Api.java')]);
    await writeFile(
      path.join(javaApp, 'template.yaml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: classes/\n      Handler: hello.Api::handle\n      Runtime: java17\n      Events: {Get: {Type: Api, Properties: {Path: /java/hello, Method: get}}}\n',
    );
    await exec('chmod', ['-R', 'a+rX', workspace]);

    runs = dockerRunsOf(objects, {
      prefix,
      hostPaths: { '/esb/workspace': workspace },
      cluster: { host: gatewayIp, port: api.port, serviceAccountDir: (ns) => path.join(dir, 'serviceaccount', ns) },
    });
    expect(runs.map((r) => r.hostname).sort()).toEqual(['esb-agent-0', 'esb-agent-1', 'esb-controller-0', 'esb-controller-1', 'esb-gateway-0', 'esb-storage-0']);
    for (const r of runs) {
      await docker(dockerRunArgs(r, network, { 'dev.esb.test': prefix }));
      ips.set(r.name, (await docker(['inspect', r.name, '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`])).trim());
    }
    // Every container's readiness probe, as the kubelet would run it.
    for (const r of runs) {
      const probe = r.readiness;
      if (!probe || !('path' in probe)) continue;
      await until(async () => (await fetch(`http://${ips.get(r.name)}:${probe.port}${probe.path}`)).ok, `${r.name} ready (${probe.path})`, { timeoutMs: 180_000, everyMs: 250 });
    }
  }, 30 * 60_000);

  afterAll(async () => {
    if (failed || process.env.ESB_KIND_DOCKER_LOGS === '1') {
      for (const r of runs) process.stderr.write(`---- docker logs ${r.name}\n${await docker(['logs', '--tail', '40', r.name], { allowFail: true })}\n`);
    }
    const ids = (await docker(['ps', '-aq', '--filter', `label=dev.esb.test=${prefix}`], { allowFail: true })).split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', '-v', ...ids], { allowFail: true });
    const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=${prefix}-`], { allowFail: true })).split('\n').filter(Boolean);
    if (vols.length) await docker(['volume', 'rm', '-f', ...vols], { allowFail: true });
    await docker(['network', 'rm', network], { allowFail: true });
    await api?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  const track = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (error) {
      failed = true;
      throw error;
    }
  };

  it(
    'every container runs as the manifests say: user 10001, read-only root, the process runtime',
    track(async () => {
      for (const r of runs) {
        const info = JSON.parse(await docker(['inspect', r.name]))[0];
        expect(info.State.Running, `${r.name} running`).toBe(true);
        expect(info.Config.User).toBe('10001:10001');
        expect(info.HostConfig.ReadonlyRootfs).toBe(true);
      }
      const controller = runs.find((r) => r.hostname === 'esb-controller-0')!;
      expect(controller.args).toEqual(expect.arrayContaining(['--runtime', 'process', '--leader-elect']));
    }),
  );

  it(
    'one controller leads through the Lease, both are ready, and only the leader reconciles',
    track(async () => {
      const lease = await until(async () => JSON.parse(await api.kubectl(['get', 'leases.coordination.k8s.io', 'esb-controller', '-n', 'esb-system', '-o', 'json'])), 'the Lease', { timeoutMs: 60_000, everyMs: 250 });
      const holder: string = lease.spec.holderIdentity;
      expect(holder).toMatch(/^esb-controller-[01]_/);
      leaderIndex = Number(holder.slice('esb-controller-'.length, 'esb-controller-'.length + 1));
      for (const i of [0, 1]) {
        const base = `http://${ipOf('Deployment/esb-controller', i)}:8081`;
        // Ready once its first list is done, which may come a moment after the Lease.
        await until(async () => (await fetch(`${base}/readyz`)).status === 200, `controller ${i} ready`, { timeoutMs: 60_000, everyMs: 250 });
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        const leader = new RegExp(`^esb_controller_leader ${i === leaderIndex ? 1 : 0}$`, 'm');
        await until(async () => leader.test(await (await fetch(`${base}/metrics`)).text()), `controller ${i} leader gauge`, { timeoutMs: 60_000, everyMs: 250 });
      }
    }),
  );

  it(
    'a Deployment applied through the API server becomes Ready and its routes answer through the gateway container',
    track(async () => {
      await api.kubectl(['apply', '-f', '-'], deployment('default', 'deploy-a', 'a.yml'));
      const st = await until(async () => {
        const s = await status('default', 'deploy-a');
        const r = ready(s);
        if (r?.status === 'False' && !['Generating', 'BuildingImages', 'Applying', 'Provisioning'].includes(r.reason)) throw new Error(`Ready False ${r.reason}: ${r.message}`);
        return r?.status === 'True' ? s : undefined;
      }, 'deploy-a Ready', { timeoutMs: 180_000, everyMs: 250 });
      expect(st.configDir).toBe('/esb/state/config');
      expect(st.functions).toBe(3);

      const hello = await until(async () => {
        const res = await fetch(`${gateway()}/hello`);
        return res.ok ? res.json() : undefined;
      }, 'GET /hello through the gateway', { timeoutMs: 60_000, everyMs: 250 });
      expect(hello).toEqual({ version: 'A' });
      // DynamoDB through the storage StatefulSet, from a function run by an agent.
      const put = await fetch(`${gateway()}/items/k1`, { method: 'PUT', body: JSON.stringify({ v: 1 }), headers: { 'content-type': 'application/json' } });
      expect(put.status).toBeLessThan(300);
      const got = await fetch(`${gateway()}/items/k1`);
      expect(got.status).toBe(200);
      expect(await got.text()).toContain('k1');

      // Only the leader reconciled.
      expect(await reconciles(leaderIndex)).toBeGreaterThanOrEqual(1);
      expect(await reconciles(1 - leaderIndex)).toBe(0);

      const events = JSON.parse(await api.kubectl(['get', 'events.events.k8s.io', '-n', 'default', '-o', 'json'])).items;
      expect(events.some((e: any) => e.reason === 'Ready' && e.regarding.name === 'deploy-a' && /^esb-controller-[01]$/.test(e.reportingInstance))).toBe(true);
    }),
  );

  it(
    "custom resources: the controller invokes their functions through the gateway's Invoke API (signed), the agents' functions answer to the storage's S3 (a vendored cfn-response on https port 443 too), and what they answered reaches a function's environment",
    track(async () => {
      await api.kubectl(['apply', '-f', '-'], deployment('default', 'seeded', 'custom-resources/template.yaml'));
      await until(async () => ready(await status('default', 'seeded'))?.status === 'True', 'seeded Ready', { timeoutMs: 180_000, everyMs: 250 });
      const provisioned = (await status('default', 'seeded')).conditions.find((c: any) => c.type === 'Provisioned');
      expect(provisioned.message).toMatch(/4 custom resource\(s\) \(SeedTable created, PublishCatalog created, Guard created, Vendored created\)/);
      const products = (await (await fetch(`${gateway()}/products`)).json()) as Array<Record<string, string>>;
      expect(products.map((p) => [p.id, p.price, p.request])).toEqual([['p1', '25', 'Create'], ['p2', '40', 'Create']]);
      // The vendored cfn-response (https, port 443 written in) answers from an agent's container too.
      expect(await (await fetch(`${gateway()}/about`)).json()).toMatchObject({ seededCount: '2', catalogId: 'custom-resources-assetsbucket/catalog.json', vendoredEcho: 'hello, answered over a vendored cfn-response' });
    }),
  );

  it(
    'Python functions run in the agents (the image carries python3 + boto3)',
    track(async () => {
      await api.kubectl(['apply', '-f', '-'], deployment('default', 'deploy-b', 'b.yml'));
      await until(async () => ready(await status('default', 'deploy-b'))?.status === 'True', 'deploy-b Ready', { timeoutMs: 180_000, everyMs: 250 });
      const info = await until(async () => {
        const res = await fetch(`${gateway()}/b/info`);
        return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
      }, 'GET /b/info', { timeoutMs: 60_000, everyMs: 250 });
      expect(info).toMatchObject({ function: 'info', region: 'us-east-1' });
      // Same namespace: B's /hello replaces A's (last write wins within one namespace).
      expect(await (await fetch(`${gateway()}/hello`)).json()).toEqual({ version: 'B' });
    }),
  );

  it(
    'Java functions run in the agents (the image carries a JRE and esb\'s Java client compiled)',
    track(async () => {
      await api.kubectl(['apply', '-f', '-'], deployment('default', 'java-hello', 'java-hello/template.yaml'));
      await until(async () => ready(await status('default', 'java-hello'))?.status === 'True', 'java-hello Ready', { timeoutMs: 180_000, everyMs: 250 });
      const answer = await until(async () => {
        const res = await fetch(`${gateway()}/java/hello`);
        return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
      }, 'GET /java/hello', { timeoutMs: 60_000, everyMs: 250 });
      expect(answer).toEqual({ function: expect.stringMatching(/-Api$/), java: '17' });
    }),
  );

  it(
    'another namespace cannot take a route or function: refused with Ready False Conflict, the first namespace keeps serving',
    track(async () => {
      await api.kubectl(['apply', '-f', '-'], deployment('team2', 'deploy-b', 'b.yml'));
      const r = await until(async () => {
        const c = ready(await status('team2', 'deploy-b'));
        return c?.status === 'False' && c.reason === 'Conflict' ? c : undefined;
      }, 'team2/deploy-b refused', { timeoutMs: 120_000, everyMs: 250 });
      expect(r.message).toMatch(/function hello.*route GET \/hello.*namespace default by deployments.esb.dev default\/deploy-/);
      expect(await (await fetch(`${gateway()}/hello`)).json()).toEqual({ version: 'B' });
    }),
  );
});
