// Custom resources of resources.yml (docs/provisioner.md "Custom resources") against the
// embedded storage (the answers and what each resource last answered live in its S3, the
// answers' values in its SSM) and a Lambda Invoke API whose functions answer by a real PUT to
// the presigned ResponseURL, as CloudFormation's functions do.
import http from 'node:http';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CustomResource, ResourcesFile } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';
import { startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';
import { CustomResourceError, ProvisionError, provision, type ProvisionOptions } from './index.js';

type Request = Record<string, any>;
/** A function of the stand-in Invoke API: gets the request, answers (or not), may throw. */
type Handler = (request: Request) => Promise<void>;

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const answer = async (request: Request, body: unknown) => {
  const res = await fetch(request.ResponseURL, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${res.status}`);
};
const success = (request: Request, data: Record<string, unknown> = {}, physicalResourceId = `id-${request.LogicalResourceId}`) =>
  answer(request, { Status: 'SUCCESS', PhysicalResourceId: physicalResourceId, StackId: request.StackId, RequestId: request.RequestId, LogicalResourceId: request.LogicalResourceId, Data: data });

describe('provision: custom resources', () => {
  const dirs = tempDirs();
  let storage: EmbeddedStorage;
  let lambda: http.Server;
  let lambdaEndpoint: string;
  let ssm: SSMClient;
  const handlers = new Map<string, Handler>();
  const requests: Array<{ fn: string; request: Request }> = [];
  /** Functions that answer 404 (not loaded yet) this many more times. */
  const notLoaded = new Map<string, number>();

  const resource = (id: string, fn: string, properties: Record<string, unknown> = {}): CustomResource => ({
    Name: `shop/${id}`,
    LogicalResourceId: id,
    ResourceType: `Custom::${id}`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop/0',
    FunctionName: fn,
    Properties: { ServiceToken: `arn:aws:lambda:us-east-1:123456789012:function:${fn}`, ...properties },
  });
  const run = (list: CustomResource[], extra: Partial<ProvisionOptions> = {}) => provision({ resources: { custom_resources: list } } as ResourcesFile, options(extra));
  const options = (extra: Partial<ProvisionOptions> = {}): ProvisionOptions => ({
    s3Endpoint: storage.s3Endpoint,
    sqsEndpoint: storage.sqsEndpoint,
    credentials,
    lambdaEndpoint,
    retry: { attempts: 2, baseDelayMs: 10 },
    // The waits for a late answer and a function not loaded yet, without the time.
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
    ...extra,
  });
  const parameter = async (name: string) => (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    return err as ProvisionError & { conditionReason?: string };
  };

  beforeAll(async () => {
    storage = await startEmbeddedStorage({ dataDir: await dirs.make('esb-custom-resources-'), dynamodbPort: 0, s3Port: 0 });
    ssm = new SSMClient({ endpoint: storage.sqsEndpoint, region: 'us-east-1', credentials });
    // The Lambda Invoke API as the gateway serves it: POST /2015-03-31/functions/<name>/invocations.
    lambda = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const fn = decodeURIComponent(/^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')?.[1] ?? '');
        const handler = handlers.get(fn);
        const pending = notLoaded.get(fn) ?? 0;
        if (!handler || pending > 0) {
          notLoaded.set(fn, pending - 1);
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }).end(JSON.stringify({ Type: 'User', message: `Function not found: ${fn}` }));
          return;
        }
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
        requests.push({ fn, request });
        try {
          await handler(request);
          res.writeHead(200, { 'content-type': 'application/json' }).end('null');
        } catch (err) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorType: (err as Error).name, errorMessage: (err as Error).message }));
        }
      });
    });
    await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
    lambdaEndpoint = `http://127.0.0.1:${(lambda.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    ssm?.destroy();
    await new Promise((resolve) => lambda?.close(resolve));
    await storage?.close();
    await dirs.removeAll();
  });
  beforeEach(() => {
    handlers.clear();
    requests.length = 0;
  });

  it("creates, then invokes nothing for the same properties, then sends Update with the old properties and the resource's id; what each answered is in SSM and in the next one's properties", async () => {
    handlers.set('seeder', (r) => success(r, { Count: String(r.ResourceProperties.Items.length), Items: r.ResourceProperties.Items }, `seed-${r.ResourceProperties.Table}`));
    handlers.set('publisher', (r) => success(r, { Key: `catalog-${r.ResourceProperties.Count}.json` }, r.PhysicalResourceId ?? 'catalog'));
    const list = (items: string[]) => [
      resource('Seed', 'seeder', { Table: 'products', Items: items }),
      resource('Publish', 'publisher', { Count: '{{resolve:ssm:/esb/custom-resources/shop/Seed/Data/Count}}', Seed: 'from {{resolve:ssm:/esb/custom-resources/shop/Seed/PhysicalResourceId}}' }),
    ];

    const first = await run(list(['a', 'b']));
    expect(first.customResources.map((r) => [r.name, r.status, r.physicalResourceId])).toEqual([
      ['shop/Seed', 'created', 'seed-products'],
      ['shop/Publish', 'created', 'catalog'],
    ]);
    const [seed, publish] = requests.map((r) => r.request);
    expect(seed).toMatchObject({ RequestType: 'Create', LogicalResourceId: 'Seed', ResourceType: 'Custom::Seed', StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop/0', ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:seeder', ResourceProperties: { Table: 'products', Items: ['a', 'b'] } });
    expect(seed.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seed).not.toHaveProperty('PhysicalResourceId');
    expect(seed).not.toHaveProperty('OldResourceProperties');
    // The ResponseURL is a presigned PUT of the storage's S3.
    expect(seed.ResponseURL).toMatch(new RegExp(`^${storage.s3Endpoint}/esb-custom-resources/responses/${seed.RequestId}\\?.*X-Amz-Signature=`));
    expect(publish.ResourceProperties).toMatchObject({ Count: '2', Seed: 'from seed-products' });
    expect(await parameter('/esb/custom-resources/shop/Seed/PhysicalResourceId')).toBe('seed-products');
    expect(await parameter('/esb/custom-resources/shop/Seed/Data/Count')).toBe('2');
    expect(await parameter('/esb/custom-resources/shop/Seed/Data/Items')).toBe('["a","b"]');
    expect(await parameter('/esb/custom-resources/shop/Publish/Data/Key')).toBe('catalog-2.json');

    requests.length = 0;
    const again = await run(list(['a', 'b']));
    expect(again.customResources.map((r) => [r.name, r.status, r.data])).toEqual([
      ['shop/Seed', 'exists', { Count: '2', Items: ['a', 'b'] }],
      ['shop/Publish', 'exists', { Key: 'catalog-2.json' }],
    ]);
    expect(requests).toEqual([]);

    const third = await run(list(['a', 'b', 'c']));
    expect(third.customResources.map((r) => r.status)).toEqual(['updated', 'updated']);
    const [update, publishAgain] = requests.map((r) => r.request);
    expect(update).toMatchObject({ RequestType: 'Update', PhysicalResourceId: 'seed-products', ResourceProperties: { Items: ['a', 'b', 'c'] }, OldResourceProperties: { Items: ['a', 'b'] } });
    // Its properties changed because what Seed answered changed: Update too, as CloudFormation does.
    expect(publishAgain).toMatchObject({ RequestType: 'Update', PhysicalResourceId: 'catalog', ResourceProperties: { Count: '3' }, OldResourceProperties: { Count: '2' } });
    expect(await parameter('/esb/custom-resources/shop/Publish/Data/Key')).toBe('catalog-3.json');
  });

  it('a FAILED answer fails the deploy with its reason, not retried (CustomResourceFailed), and nothing is kept: the next run creates again', async () => {
    let refuse = true;
    handlers.set('guard', (r) => (refuse ? answer(r, { Status: 'FAILED', Reason: 'quota exceeded', PhysicalResourceId: 'x', StackId: r.StackId, RequestId: r.RequestId, LogicalResourceId: r.LogicalResourceId }) : success(r)));
    const err = await failureOf(run([resource('Guard', 'guard')]));
    expect(err).toBeInstanceOf(CustomResourceError);
    expect(err.conditionReason).toBe('CustomResourceFailed');
    expect(err.message).toBe(`custom resource "shop/Guard" (Custom::Guard) at ${lambdaEndpoint}: the function answered FAILED: quota exceeded`);
    refuse = false;
    expect((await run([resource('Guard', 'guard')])).customResources[0].status).toBe('created');
    expect(requests.map((r) => r.request.RequestType)).toEqual(['Create', 'Create']);
  });

  it('a function that fails or returns without answering fails the resource at once (CloudFormation would wait an hour)', async () => {
    handlers.set('thrower', async () => {
      throw new TypeError('boom');
    });
    handlers.set('silent', async () => {});
    const thrown = await failureOf(run([resource('Thrower', 'thrower')]));
    expect(thrown.message).toBe(`custom resource "shop/Thrower" (Custom::Thrower) at ${lambdaEndpoint}: the function failed without answering: TypeError: boom`);
    expect(thrown.conditionReason).toBe('CustomResourceFailed');
    const silent = await failureOf(run([resource('Silent', 'silent')]));
    expect(silent.message).toMatch(/the function returned without sending an answer to the ResponseURL/);
  });

  it('a function that failed after answering SUCCESS counts as answered, as for CloudFormation', async () => {
    handlers.set('late-thrower', async (r) => {
      await success(r, { Done: 'yes' });
      throw new Error('after the answer');
    });
    expect((await run([resource('Late', 'late-thrower')])).customResources[0]).toMatchObject({ status: 'created', data: { Done: 'yes' } });
  });

  it('answers CloudFormation refuses are errors saying why: not JSON, no PhysicalResourceId, a bad Status, over 4096 bytes', async () => {
    handlers.set('text', (r) => answer(r, 'OK'));
    handlers.set('anonymous', (r) => answer(r, { Status: 'SUCCESS', Data: {} }));
    handlers.set('maybe', (r) => answer(r, { Status: 'MAYBE', PhysicalResourceId: 'p' }));
    handlers.set('huge', (r) => success(r, { Blob: 'x'.repeat(5000) }));
    expect((await failureOf(run([resource('Text', 'text')]))).message).toMatch(/the function's answer is not JSON: "OK"$/);
    expect((await failureOf(run([resource('Anonymous', 'anonymous')]))).message).toMatch(/the function's answer has no PhysicalResourceId$/);
    expect((await failureOf(run([resource('Maybe', 'maybe')]))).message).toMatch(/the function's answer has Status "MAYBE"; it must be SUCCESS or FAILED$/);
    const huge = await failureOf(run([resource('Huge', 'huge')]));
    expect(huge.message).toMatch(/the function's answer is 5\d{3} bytes; CloudFormation takes at most 4096$/);
    expect(huge.conditionReason).toBe('CustomResourceFailed');
  });

  it('a function the serving side has not loaded yet is asked again; one that never appears is a retried failure naming it', async () => {
    handlers.set('slow-start', (r) => success(r));
    notLoaded.set('slow-start', 3);
    expect((await run([resource('Slow', 'slow-start')])).customResources[0].status).toBe('created');
    const missing = await failureOf(run([resource('Missing', 'nowhere')]));
    expect(missing).not.toBeInstanceOf(CustomResourceError);
    expect(missing.message).toMatch(new RegExp(`^custom resource "shop/Missing" \\(Custom::Missing\\) at ${lambdaEndpoint}: invoking function nowhere: ResourceNotFoundException`));
  });

  it('without a Lambda endpoint they are not run: a warning naming them', async () => {
    handlers.set('seeder', (r) => success(r));
    const report = await run([resource('Seed', 'seeder')], { lambdaEndpoint: undefined });
    expect(report.customResources).toEqual([]);
    expect(report.warnings).toEqual(['custom resources not run (no Lambda endpoint to invoke their functions through; set AWS_ENDPOINT_URL_LAMBDA): shop/Seed']);
    expect(requests).toEqual([]);
  });
});
