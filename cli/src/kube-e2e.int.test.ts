// The kube backend end to end, as a user drives it: a real API server (etcd + upstream
// apiextensions-apiserver, crds/ applied), `esb dev --backend kube` in-process, `kubectl apply -f`
// of Deployment manifests, HTTP through the gateway, and `esb deploy --kube` as a real
// subprocess. Skipped loudly when the server is not built and ESB_KUBE_TESTS is unset; never
// skipped with ESB_KUBE_TESTS=1.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '@esb/contracts';
import { EXAMPLES_DIR, startDev, type RunningDev } from './dev.js';
import { esb, eventually, buildTestServer, kubeTestMode, startTestApiServer, type TestApiServer } from '@esb/controller/testing';

const mode = kubeTestMode();
if (!mode.run) {
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n${mode.reason}\n${line}\n`);
}

const manifest = (name: string, template: string) =>
  `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  template: ${template}\n`;

describe.skipIf(!mode.run)('kube backend end to end: esb dev --backend kube, kubectl apply, esb deploy --kube', () => {
  let api: TestApiServer;
  let ws: string;
  let dev: RunningDev;
  let base: string;

  /** `kubectl get deployments.esb.dev NAME -o json`. */
  const getJson = async (name: string) => JSON.parse(await api.kubectl(['get', 'deployments.esb.dev', name, '-o', 'json']));

  /** Polls (kubectl) until the Ready condition of the current generation has `status`. */
  const ready = async (name: string, status: 'True' | 'False'): Promise<Condition & { generation: number }> => {
    const deadline = Date.now() + 30_000;
    let last: unknown;
    while (Date.now() < deadline) {
      const json = await getJson(name);
      last = json.status;
      const c = (json.status?.conditions ?? []).find((x: Condition) => x.type === 'Ready');
      if (c?.status === status && json.status.observedGeneration === json.metadata.generation && !/ing$/.test(c.reason)) return { ...c, generation: json.metadata.generation };
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${name}: Ready is not ${status} after 30 s; status: ${JSON.stringify(last)}`);
  };

  const apply = async (name: string, template: string) => {
    const file = path.join(ws, `${name}.yaml`);
    await writeFile(file, manifest(name, template));
    return api.kubectl(['apply', '-f', file]);
  };

  beforeAll(async () => {
    const binaries = mode.run && mode.build ? await buildTestServer() : undefined;
    api = await startTestApiServer({ binaries });
    ws = await mkdtemp(path.join(tmpdir(), 'esb-kube-e2e-'));
    await cp(EXAMPLES_DIR, path.join(ws, 'examples'), { recursive: true });
    dev = await startDev({
      backend: 'kube',
      kubeconfig: api.kubeconfigPath,
      namespace: 'default',
      workspace: ws,
      port: 0,
      dynamodbPort: 0,
      s3Port: 0,
      examples: false,
      log: pino({ level: 'silent' }),
    });
    base = dev.info.gateway;
  }, 15 * 60_000);

  afterAll(async () => {
    await dev?.close();
    await api?.stop();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('kubectl apply of A: Ready True (status and printer columns), GET /hello answers A', async () => {
    expect(await apply('deploy-a', 'examples/a.yml')).toContain('deployment.esb.dev/deploy-a created');
    const c = await ready('deploy-a', 'True');
    expect(c).toMatchObject({ reason: 'Ready', generation: 1 });
    expect(c.message).toMatch(/3 functions/);
    const table = await api.kubectl(['get', 'deployments.esb.dev']);
    expect(table).toMatch(/NAME\s+ENV\s+READY\s+REASON\s+AGE/);
    expect(table).toMatch(/deploy-a\s+default\s+True\s+Ready\s+\S+/);
    expect(JSON.parse(await eventually(`${base}/hello`, (s) => s === 200))).toEqual({ version: 'A' });
  }, 60_000);

  it('code hot reload: editing a handler under the kube-deployed template is reconciled and served', async () => {
    const before = (await getJson('deploy-a')).status.inputsDigest;
    const handler = path.join(ws, 'examples/src/a/hello.mjs');
    await writeFile(handler, (await readFile(handler, 'utf8')).replace("version: 'A'", "version: 'A2'"));
    expect(JSON.parse(await eventually(`${base}/hello`, (_s, body) => body.includes('A2')))).toEqual({ version: 'A2' });
    const after = await getJson('deploy-a');
    expect(after.metadata.generation).toBe(1); // no spec change: the path watcher enqueued it
    expect(after.status.inputsDigest).not.toBe(before);
  }, 60_000);

  it('kubectl apply of B: GET /hello answers B (last write wins), A\'s other routes stay', async () => {
    await apply('deploy-b', 'examples/b.yml');
    await ready('deploy-b', 'True');
    expect(JSON.parse(await eventually(`${base}/hello`, (_s, body) => body.includes('"B"')))).toEqual({ version: 'B' });
    expect((await fetch(`${base}/b/info`)).status).toBe(200);
    expect((await fetch(`${base}/files`)).status).toBe(200);
  }, 60_000);

  it('a broken template: Ready False with the parse error in the message; A and B still served', async () => {
    await writeFile(path.join(ws, 'examples/broken.yml'), 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n   Properties: [\n');
    await apply('deploy-broken', 'examples/broken.yml');
    const c = await ready('deploy-broken', 'False');
    expect(c.reason).toBe('InvalidTemplate');
    expect(c.message).toContain('broken.yml');
    expect(await api.kubectl(['get', 'deployments.esb.dev', 'deploy-broken'])).toMatch(/deploy-broken\s+default\s+False\s+InvalidTemplate/);
    expect(JSON.parse(await eventually(`${base}/hello`, (s) => s === 200))).toEqual({ version: 'B' });
    expect((await fetch(`${base}/files`)).status).toBe(200);
  }, 60_000);

  it('deleting a Deployment keeps its routes (no-delete rule)', async () => {
    await api.kubectl(['delete', 'deployments.esb.dev', 'deploy-b']);
    await expect(getJson('deploy-b')).rejects.toThrow(/NotFound/);
    await new Promise((r) => setTimeout(r, 1000)); // the watch's DELETED event reconciled meanwhile
    expect(JSON.parse(await eventually(`${base}/hello`, (s) => s === 200))).toEqual({ version: 'B' });
    expect((await fetch(`${base}/b/info`)).status).toBe(200);
    const routing = await readFile(path.join(dev.info.configDir, 'routing.yml'), 'utf8');
    expect(routing).toContain('/b/info');
  }, 60_000);

  it('esb deploy --kube (real CLI): creates the Deployment, updates its spec, reports a broken template', async () => {
    await mkdir(path.join(ws, 'examples/src/c'), { recursive: true });
    await writeFile(path.join(ws, 'examples/src/c/index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: process.env.MSG });\n');
    const template = path.join(ws, 'examples/c.yml');
    await writeFile(
      template,
      'Transform: AWS::Serverless-2016-10-31\nParameters:\n  Msg: { Type: String, Default: zero }\nResources:\n  CFn:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: c\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: src/c/\n      Environment: { Variables: { MSG: !Ref Msg } }\n      Events:\n        Get: { Type: Api, Properties: { Path: /c, Method: get } }\n' +
        "Outputs:\n  CUrl:\n    Description: the c endpoint\n    Value: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/c'\n    Export: { Name: c-url }\n  CMsg: { Value: !Ref Msg }\n",
    );

    // Create, with KUBECONFIG from the environment (namespace from the context: default).
    const created = await esb(['deploy', '--kube', '-t', template, '--workspace', ws, '--parameter-overrides', 'Msg=one'], { KUBECONFIG: api.kubeconfigPath });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('deployments.esb.dev/c-default created in namespace default');
    expect(created.stdout).toContain(`GET     ${base}/c`);
    expect(await eventually(`${base}/c`, (s) => s === 200)).toBe('one');
    const json = await getJson('c-default');
    expect(json.spec).toEqual({ template: 'examples/c.yml', env: 'default', project: 'esb', parameters: { Msg: 'one' }, stackName: 'c' });
    expect(json.status.conditions.find((c: Condition) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    // The stack's Outputs in the status, kept by the API server (the CRD declares them).
    expect(json.status.outputs).toEqual([
      { key: 'CUrl', value: expect.stringMatching(/^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/Prod\/c$/), description: 'the c endpoint', exportName: 'c-url' },
      { key: 'CMsg', value: 'one' },
    ]);

    // Update: --kubeconfig, --context and -n explicit; the spec is merge-patched (generation 2).
    const updated = await esb(['deploy', '--kube', '--kubeconfig', api.kubeconfigPath, '--context', 'esb-test', '-n', 'default', '-t', template, '--workspace', ws, '--parameter-overrides', 'Msg=two'], {
      KUBECONFIG: '/nonexistent',
    });
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('deployments.esb.dev/c-default updated');
    expect(await eventually(`${base}/c`, (_s, body) => body === 'two')).toBe('two');
    const second = await getJson('c-default');
    expect(second.metadata.generation).toBe(2);
    expect(second.status.outputs.find((o: { key: string }) => o.key === 'CMsg')).toEqual({ key: 'CMsg', value: 'two' });

    // A broken template: non-zero with the parse error; the others still served.
    const broken = await esb(['deploy', '--kube', '-t', path.join(ws, 'examples/broken.yml'), '--workspace', ws, '--timeout', '30s'], { KUBECONFIG: api.kubeconfigPath });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/broken-default failed: Generated InvalidTemplate: .*broken\.yml/);
    expect(await eventually(`${base}/c`, (s) => s === 200)).toBe('two');

    expect(await api.kubectl(['get', 'deployments.esb.dev'])).toMatch(/c-default\s+default\s+True\s+Ready/);
  }, 120_000);
});
