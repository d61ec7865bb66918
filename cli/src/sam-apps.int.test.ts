// SAM apps in the shapes people write (e2e/apps/<shape>/), each deployed unchanged with
// `esb deploy -t <shape>/template.yaml` into a running `esb dev` (process runtime, ephemeral
// ports) and every route exercised through the gateway: at the app's own stack host
// (http://<stack>.localhost) and, where paths overlap, on the merged bare host.
import http from 'node:http';
import https from 'node:https';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esb, esbWithInput } from '@esb/controller/testing';
import { until } from '@esb/contracts/testing';
import { secretArn, templateSecretSuffix } from '@esb/contracts';
import { NodeSha256 } from '@esb/gateway';
import { SignatureV4 } from '@smithy/signature-v4';
import { generateKeyPair, SignJWT } from 'jose';
import WebSocket from 'ws';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ListSubscriptionsByTopicCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { startDev, type RunningDev } from './dev.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APPS = path.join(REPO, 'e2e', 'apps');
const template = (shape: string) => path.join(APPS, shape, 'template.yaml');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

describe('public SAM app shapes, deployed unchanged (esb dev, process runtime)', () => {
  let ws: string;
  let dev: RunningDev;
  let port: number;

  /** One request to the gateway with the given Host (a stack host, or the bare one). */
  const request = (method: string, pathname: string, opts: { host?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent: false, headers: { host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  const at = (stack: string) => ({
    get: (p: string, headers?: Record<string, string>) => request('GET', p, { host: `${stack}.localhost:${port}`, headers }),
    send: (method: string, p: string, body?: string, headers?: Record<string, string>) => request(method, p, { host: `${stack}.localhost:${port}`, body, headers }),
  });

  const deploy = async (shape: string, ...extra: string[]) => {
    const r = await esb(['deploy', '-t', template(shape), '--workspace', ws, '--timeout', '90s', ...extra]);
    expect(r.stderr, r.stdout).toBe('');
    expect(r.code, r.stdout).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-sam-apps-'));
    // Code is copied under the workspace; a "type": "module" above it must not change how
    // CommonJS handlers load (a function's module type comes from its own folder).
    await writeFile(path.join(ws, 'package.json'), '{ "type": "module" }\n');
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, examples: false, log: pino({ level: 'silent' }) });
    port = Number(new URL(dev.info.gateway).port);
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('hello-node: the Node.js quick start (CommonJS handler requiring a sibling), stack named after its folder', async () => {
    const out = await deploy('hello-node');
    expect(out).toContain(`deployment default/hello-node-default written`);
    expect(out).toContain(`this stack alone: http://hello-node.localhost:${port}`);
    const r = await at('hello-node').get('/hello');
    expect(r.status, r.body).toBe(200);
    expect(r.json()).toEqual({ message: 'hello world', app: 'hello-node', function: 'hello-node-HelloWorldFunction' });
  }, 120_000);

  it('hello-python beside hello-node: both serve GET /hello at their own stack host; the bare host has the last one, and the take-over is said', async () => {
    const out = await deploy('hello-python');
    expect(out).toContain('warning: took over route GET /hello (was stack hello-node, deployment default/hello-node-default): last write wins');
    expect((await at('hello-python').get('/hello')).json()).toEqual({ message: 'hello world', app: 'hello-python', function: 'hello-python-HelloWorldFunction' });
    expect((await at('hello-node').get('/hello')).json()).toMatchObject({ app: 'hello-node' });
    expect((await request('GET', '/hello')).json()).toMatchObject({ app: 'hello-python' });
    // The path form of each stack's own API, printed for clients that cannot resolve *.localhost: plain fetch.
    expect(out).toContain(`from code that cannot resolve *.localhost: http://127.0.0.1:${port}/_aws/execute-api/hello-python`);
    const pathForm = await fetch(`http://127.0.0.1:${port}/_aws/execute-api/hello-node/Prod/hello`);
    expect(await pathForm.json()).toMatchObject({ app: 'hello-node' });
    const listed = await esb(['get', 'deployments', '--workspace', ws]);
    expect(listed.stdout).toMatch(/hello-node-default\s+default\s+True\s+Ready,TakenOver/);
    expect(listed.stdout).toMatch(/hello-python-default\s+default\s+True\s+Ready\s/);
    const described = await esb(['describe', 'deployment', 'hello-node-default', '--workspace', ws]);
    expect(described.stdout).toMatch(/Overridden\s+True\s+TakenOver/);
    // An unchanged re-deploy of hello-node is no new write: it takes nothing back, and says so.
    const again = await deploy('hello-node');
    expect(again).toMatch(/warning: default\/hello-python-default took over: [^\n]*route GET \/hello[^\n]*; served by it now \(last write wins\): deploy this template again with a change to take them back\n/);
    expect((await request('GET', '/hello')).json()).toMatchObject({ app: 'hello-python' });
  }, 120_000);

  it('hello-no-codeuri: no CodeUri (the template\'s folder), python3.8 accepted with a warning; a CodeUri that is one file is the whole package', async () => {
    const out = await deploy('hello-no-codeuri');
    expect(out).toContain('warning: HelloFunction: runtime python3.8 is deprecated by AWS Lambda');
    expect((await at('hello-no-codeuri').get('/hello')).json()).toEqual({ app: 'hello-no-codeuri', message: 'hello' });
    expect((await at('hello-no-codeuri').get('/echo/abc')).json()).toEqual({ app: 'hello-no-codeuri', echo: 'abc' });
    expect((await at('hello-no-codeuri').get('/package')).json()).toEqual({ package: ['time.mjs'] });
  }, 120_000);

  it('document-client: a CommonJS function of one file, no package.json, uses the SDK the runtime provides: the DynamoDB document client (lib-dynamodb) and the S3 uploader (lib-storage)', async () => {
    const out = await deploy('document-client');
    expect(out).not.toContain('warning');
    const app = at('document-client');
    const put = await app.send('POST', '/items', JSON.stringify({ id: 'i-1', name: 'lamp', tags: ['home', 'light'] }));
    expect([put.status, put.json()]).toEqual([201, { stored: 'i-1' }]);
    expect((await app.get('/items/i-1')).json()).toEqual({ id: 'i-1', name: 'lamp', tags: ['home', 'light'] });
    expect((await app.get('/items/none')).status).toBe(404);
    const s3 = new S3Client({ endpoint: dev.info.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'document-client-archivebucket', Prefix: 'items/' }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['items/i-1.json']);
  }, 120_000);

  it('scheduler-reminders: an API creates one-time EventBridge Scheduler schedules with client-scheduler in a group the template declares; each comes due, invokes the other function with its input and deletes itself; the template\'s own schedule is listed beside them', async () => {
    const out = await deploy('scheduler-reminders');
    expect(out).not.toContain('warning');
    expect(out).toContain('SCHEDULE scheduler-reminders-reminders/digest cron(0 8 * * ? *) Europe/Paris -> queue scheduler-reminders-DigestQueue');
    const app = at('scheduler-reminders');
    const created = await app.send('POST', '/reminders', JSON.stringify({ text: 'call alice', inSeconds: 2 }));
    expect(created.status, created.body).toBe(201);
    const { id, schedule } = created.json();
    expect(schedule).toBe(`arn:aws:scheduler:us-east-1:123456789012:schedule/scheduler-reminders-reminders/reminder-${id}`);
    const pending = (await app.get(`/reminders/${id}`)).json();
    expect(pending).toMatchObject({ text: 'call alice', sent: false, scheduled: true });
    expect((await app.get('/schedules')).json()).toEqual([
      { name: 'digest', state: 'ENABLED', target: 'arn:aws:sqs:us-east-1:123456789012:scheduler-reminders-DigestQueue' },
      { name: `reminder-${id}`, state: 'ENABLED', target: 'arn:aws:lambda:us-east-1:123456789012:function:scheduler-reminders-SendFunction' },
    ]);
    const sent = await until(
      async () => {
        const r = (await app.get(`/reminders/${id}`)).json();
        return r.sent && !r.scheduled ? r : undefined;
      },
      'the reminder sent by its schedule',
    );
    expect(Date.parse(sent.sentAt)).toBeGreaterThan(0);
    expect((await app.get('/schedules')).json().map((s: { name: string }) => s.name)).toEqual(['digest']);
    const logs = await esb(['logs', 'scheduler-reminders-SendFunction', '--workspace', ws]);
    expect(logs.stdout).toContain(`reminder ${id}: call alice`);
  }, 120_000);

  it("session-expiry: DynamoDB's time to live deletes expired sessions; a stream mapping filtered to DynamoDB's own deletes is told of each expiry, not of the API's deletes", async () => {
    const out = await deploy('session-expiry');
    expect(out).not.toContain('warning');
    const app = at('session-expiry');
    expect((await app.send('PUT', '/sessions/s-old', JSON.stringify({ user: 'ann', ttlSeconds: -60 }))).status).toBe(201);
    expect((await app.send('PUT', '/sessions/s-live', JSON.stringify({ user: 'bob' }))).status).toBe(201);
    expect((await app.send('PUT', '/sessions/s-closed', JSON.stringify({ user: 'cy' }))).status).toBe(201);
    expect((await app.send('DELETE', '/sessions/s-closed')).status).toBe(204);
    await until(async () => (await app.get('/sessions/s-old')).status === 404, 'the expired session deleted by time to live');
    const logs = await until(async () => {
      const r = await esb(['logs', 'session-expiry-OnExpiryFunction', '--workspace', ws]);
      return r.stdout.includes('session s-old of ann expired') ? r.stdout : undefined;
    }, 'the expiry told to the stream function');
    expect(logs).toContain('(dynamodb.amazonaws.com)');
    expect(logs).not.toContain('s-closed');
    expect((await app.get('/sessions/s-live')).json()).toEqual({ id: 's-live', user: 'bob' });
  }, 120_000);

  it("webhook-events: a rule sends each order's detail to a partner's webhook through an API destination, with the connection's API key, the path parameter and the query parameter (tried again while it answers 503), and to a ledger with an OAuth token its connection gets (what it fails goes to the target's dead-letter queue)", async () => {
    const received: Array<{ method?: string; url?: string; key?: string | string[]; body: string }> = [];
    const ledger: Array<{ authorization?: string; body: string }> = [];
    const tokenRequests: Array<{ authorization?: string; body: string }> = [];
    const webhook = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.url === '/oauth/token') {
          tokenRequests.push({ authorization: req.headers.authorization, body });
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 }));
        }
        if (req.url === '/ledger') {
          ledger.push({ authorization: req.headers.authorization, body });
          // The ledger fails on order o-3.
          return res.writeHead(req.headers.authorization !== 'Bearer tok-1' ? 401 : body.includes('"o-3"') ? 500 : 201).end();
        }
        received.push({ method: req.method, url: req.url, key: req.headers['x-api-key'], body });
        // Down for the first call: the rule's RetryPolicy tries again.
        res.writeHead(received.length === 1 ? 503 : 200).end('{}');
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(webhook.address() as { port: number }).port}`;
      const url = `${base}/hooks/*`;
      const out = await deploy('webhook-events', '--parameter-overrides', `ParameterKey=WebhookUrl,ParameterValue=${url}`, 'ParameterKey=WebhookApiKey,ParameterValue=k-123', `LedgerUrl=${base}/ledger`, `LedgerTokenUrl=${base}/oauth/token`, 'LedgerClientSecret=sec-9');
      expect(out).not.toContain('warning');
      expect(out).toMatch(/RULE {4}default\/webhook-events-OrderPlacedRule -> API destination webhook-events-PartnerWebhook/);
      const placed = await at('webhook-events').send('POST', '/announce', JSON.stringify({ id: 'o-1', total: 42 }));
      expect(placed.status, placed.body).toBe(202);
      const hit = await until(() => received[0], 'the webhook called');
      expect(hit).toEqual({ method: 'POST', url: '/hooks/orders?kind=placed', key: 'k-123', body: '{"id":"o-1","total":42}' });
      // It answered 503: the delivery was tried again a second later.
      expect(await until(() => received[1], 'the webhook called again')).toEqual(hit);
      expect(await until(() => ledger[0], 'the ledger called')).toEqual({ authorization: 'Bearer tok-1', body: '{"id":"o-1","total":42}' });
      expect((await at('webhook-events').send('POST', '/announce', JSON.stringify({ id: 'o-2', total: 7 }))).status).toBe(202);
      await until(() => ledger[1], 'the ledger called again');
      // One token for both: asked with the client's credentials and the connection's body parameters.
      expect(tokenRequests).toEqual([{ authorization: `Basic ${Buffer.from('shop-app:sec-9').toString('base64')}`, body: 'grant_type=client_credentials&scope=ledger.write' }]);
      // The ledger fails o-3: no retry (MaximumRetryAttempts 0), the entry goes to the dead-letter queue with EventBridge's attributes.
      expect((await at('webhook-events').send('POST', '/announce', JSON.stringify({ id: 'o-3', total: 1 }))).status).toBe(202);
      const sqs = new SQSClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'webhook-events-FailedLedgerEntries' }));
      const dead = await until(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }))).Messages?.[0], 'the failed ledger entry in the dead-letter queue', 30_000);
      sqs.destroy();
      expect(dead.Body).toBe('{"id":"o-3","total":1}');
      expect(Object.fromEntries(Object.entries(dead.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]))).toEqual({
        RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/webhook-events-OrderPlacedRule',
        TARGET_ARN: 'arn:aws:events:us-east-1:123456789012:api-destination/webhook-events-LedgerApi',
        ERROR_CODE: 'HTTP_500',
        ERROR_MESSAGE: 'answered 500',
        EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttemptsExhausted',
      });
      expect(ledger.filter((l) => l.body.includes('"o-3"'))).toHaveLength(1);
    } finally {
      webhook.closeAllConnections();
      await new Promise((r) => webhook.close(r));
    }
  }, 120_000);

  it('crud-python: a web backend over DynamoDB with boto3 (table keyed by the stack)', async () => {
    await deploy('crud-python');
    const app = at('crud-python');
    expect((await app.send('POST', '/items', JSON.stringify({ id: 'b', name: 'second' }))).status).toBe(201);
    expect((await app.send('POST', '/items', JSON.stringify({ id: 'a', name: 'first' }))).status).toBe(201);
    expect((await app.send('POST', '/items', JSON.stringify({ name: 'no id' }))).status).toBe(400);
    expect((await app.get('/items/a')).json()).toEqual({ id: 'a', name: 'first' });
    expect((await app.get('/items')).json()).toEqual([{ id: 'a', name: 'first' }, { id: 'b', name: 'second' }]);
    expect((await app.send('DELETE', '/items/a')).status).toBe(204);
    expect((await app.get('/items/a')).status).toBe(404);
  }, 120_000);

  it('legacy-node: nodejs14.x, CommonJS, aws-sdk v2 (built into the runtime, as on Lambda) reaching the embedded DynamoDB and S3 (presigned URL included)', async () => {
    const out = await deploy('legacy-node');
    expect(out).toContain('runtime nodejs14.x is deprecated by AWS Lambda');
    const app = at('legacy-node');
    expect((await app.send('PUT', '/notes/n1', 'remember the milk')).status).toBe(201);
    expect((await app.get('/notes/n1')).json()).toEqual({ noteId: 'n1', text: 'remember the milk' });
    expect((await app.get('/notes/none')).status).toBe(404);
    expect((await app.send('PUT', '/files/a.txt', 'file body')).status).toBe(201);
    const link = await app.get('/files/a.txt/url');
    expect(link.status, link.body).toBe(200);
    const url = new URL(link.json().url);
    expect(url.origin).toBe(new URL(dev.info.s3).origin);
    expect(await (await fetch(url)).text()).toBe('file body');
  }, 120_000);

  it('raw-rest: AWS::ApiGateway::RestApi/Resource/Method (AWS_PROXY), plain AWS::Lambda::Function (Code path and ZipFile), a TOKEN authorizer whose context arrives as strings', async () => {
    await deploy('raw-rest');
    const app = at('raw-rest');
    expect((await app.get('/books')).json()).toEqual([{ id: '1', title: 'Dune' }, { id: '2', title: 'Solaris' }]);
    expect((await app.get('/books/2')).json()).toEqual({ id: '2', title: 'Solaris' });
    expect((await app.get('/books/9')).status).toBe(404);
    expect((await app.get('/whoami')).status).toBe(401);
    const denied = await app.get('/whoami', { authorization: 'nope' });
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' });
    const me = await app.get('/whoami', { authorization: 'let-me-in' });
    expect(me.status, me.body).toBe(200);
    expect(me.json()).toEqual({ authorizer: { tier: '2', admin: 'true', team: 'books', principalId: 'reader' }, stage: 'v1' });
  }, 120_000);

  it("api-key: a method that needs an API key, the keys given to callers through usage plans whose throttle and quota hold; a key without Value gets a value of esb's, said at deploy", async () => {
    const out = await deploy('api-key');
    expect(out).toContain('warning: API key GeneratedKey has no Value');
    // esb's value for it, said in that warning, is a key the API takes.
    const generated = /GeneratedKey: ([0-9a-f]{40})/.exec(out)?.[1];
    expect(generated, out).toBeDefined();
    const app = at('api-key');
    expect((await app.get('/reports')).status).toBe(403);
    expect((await app.get('/reports', { 'x-api-key': 'retired-key-0b5e8d1c6a2f9e47' })).status).toBe(403);
    const partner = { 'x-api-key': 'api-key-partner-7f3a9c2e41d8' };
    const ok = await app.get('/reports', partner);
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json()).toEqual({ reports: ['daily', 'weekly'] });
    // The partner plan throttles GET /reports to bursts of 3 (refilled one per 100 s).
    expect([(await app.get('/reports', partner)).status, (await app.get('/reports', partner)).status]).toEqual([200, 200]);
    const throttled = await app.get('/reports', partner);
    expect([throttled.status, throttled.json()]).toEqual([429, { message: 'Too Many Requests' }]);
    // The trial plan allows 3 a day, one of them taken (Offset: 1).
    const trial = { 'x-api-key': 'trial-key-5c1e9a7b3d2f8e60' };
    expect([(await app.get('/reports', trial)).status, (await app.get('/reports', trial)).status]).toEqual([200, 200]);
    const capped = await app.get('/reports', trial);
    expect([capped.status, capped.json()]).toEqual([429, { message: 'Limit Exceeded' }]);
    expect((await app.get('/reports', { 'x-api-key': generated! })).status).toBe(200);
  }, 120_000);

  it("gateway-responses: the API's GatewayResponses and a raw AWS::ApiGateway::GatewayResponse shape the gateway's own answers", async () => {
    await deploy('gateway-responses');
    const app = at('gateway-responses');
    const ok = await app.get('/notes', { authorization: 'Bearer writer' });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json()).toEqual({ notes: ['first'], by: 'writer' });

    // UNAUTHORIZED: its own status, headers and template (context, error and stage variables).
    for (const headers of [undefined, { authorization: 'Bearer nobody' }]) {
      const denied = await app.get('/notes', headers);
      expect(denied.status, denied.body).toBe(401);
      expect(denied.headers['www-authenticate']).toBe('Bearer realm="notes"');
      expect(denied.headers['access-control-allow-origin']).toBe('*');
      expect(denied.headers['content-type']).toBe('application/json');
      expect(denied.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'Unauthorized', requestId: denied.headers['x-amzn-requestid'], app: 'notes' } });
    }
    // ACCESS_DENIED is not customized: DEFAULT_4XX's headers, API Gateway's own body.
    const forbidden = await app.get('/notes', { authorization: 'Bearer guest' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['access-control-allow-headers']).toBe('Content-Type,Authorization');
    expect(forbidden.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' });
    // DEFAULT_5XX: a header taken from the request, and the app's error shape.
    const broken = await app.get('/broken', { authorization: 'Bearer writer', origin: 'http://notes.example' });
    expect(broken.status).toBe(502);
    expect(broken.headers['access-control-allow-origin']).toBe('http://notes.example');
    expect(broken.json()).toEqual({ error: 'internal', message: 'Internal server error' });
    // MISSING_AUTHENTICATION_TOKEN, from the raw resource: 404 instead of 403.
    const missing = await app.get('/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error: 'no route for GET /v1/nowhere' });
  }, 120_000);

  it("cors-authorizer: SAM puts a REST API's DefaultAuthorizer and API key on the OPTIONS methods of its Cors, unless AddDefaultAuthorizerToCorsPreflight / AddApiKeyRequiredToCorsPreflight say no", async () => {
    await deploy('cors-authorizer');
    const app = at('cors-authorizer');
    const host = `cors-authorizer.localhost:${port}`;
    const key = { 'x-api-key': 'front-end-key-2d8f6a1c9e4b7305' };
    const preflight = (p: string, headers: Record<string, string> = {}) =>
      request('OPTIONS', p, { host, headers: { origin: 'http://app.example', 'access-control-request-method': 'GET', ...headers } });

    // A browser's preflight carries no token: the API's authorizer refuses it, as on AWS.
    const refused = await preflight('/items');
    expect([refused.status, refused.json()]).toEqual([401, { message: 'Unauthorized' }]);
    expect((await preflight('/prod/items/7', { 'access-control-request-method': 'PUT' })).status).toBe(401);
    expect((await preflight('/items', { authorization: 'Bearer someone' })).status).toBe(401);
    // With the token, the MOCK's answer: the headers as the template wrote them, the resource's methods.
    const allowed = await preflight('/prod/items/7', { authorization: 'Bearer reader', 'access-control-request-method': 'PUT' });
    expect([allowed.status, allowed.body]).toEqual([200, '{}']);
    expect(allowed.headers).toMatchObject({ 'access-control-allow-origin': 'http://app.example', 'access-control-allow-methods': 'OPTIONS,PUT', 'access-control-allow-headers': 'Content-Type,Authorization,X-Api-Key', 'access-control-max-age': '600' });
    expect((await app.get('/items')).status).toBe(401);
    const list = await app.get('/items', { authorization: 'Bearer reader' });
    expect([list.status, list.json()]).toEqual([200, { items: ['a', 'b'], path: '/items', by: 'reader' }]);

    // AddDefaultAuthorizerToCorsPreflight: false: no authorizer on the preflight, but the API key
    // still (AddApiKeyRequiredToCorsPreflight is true by default).
    const keyless = await preflight('/reports');
    expect([keyless.status, keyless.json()]).toEqual([403, { message: 'Forbidden' }]);
    const open = await preflight('/reports', key);
    expect([open.status, open.headers['access-control-allow-methods']]).toEqual([200, 'GET,OPTIONS']);
    expect((await app.get('/reports', key)).status).toBe(401);
    expect((await app.get('/reports', { ...key, authorization: 'Bearer reader' })).status).toBe(200);
  }, 120_000);

  it('request-validation: a body checked against the API\'s model (references between models included) and a required query parameter, before the function runs', async () => {
    await deploy('request-validation');
    const app = at('request-validation');
    const post = (body: string) => request('POST', '/vehicle', { host: `request-validation.localhost:${port}`, body, headers: { 'content-type': 'application/json' } });
    const ok = await post(JSON.stringify({ make: 'Volvo', model: 'XC40', year: 2022, color: 'blue', owner: { name: 'Ada' } }));
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json()).toEqual({ accepted: '2022 Volvo XC40' });
    for (const bad of [{ make: 'Volvo', model: 'XC40' }, { make: 'Volvo', model: 'XC40', year: 2009 }, { make: 'Volvo', model: 'XC40', year: 2022, color: 'pink' }, { make: 'Volvo', model: 'XC40', year: 2022, owner: {} }]) {
      const refused = await post(JSON.stringify(bad));
      // BAD_REQUEST_BODY as the template reshapes it: its status and body, the reason in it.
      expect(refused.status, JSON.stringify(bad)).toBe(422);
      expect(refused.json()).toEqual({ error: 'invalid vehicle', why: expect.stringMatching(/^\[.+\]$/) });
    }
    expect((await post('{"make": ')).status).toBe(422);
    const missing = await app.get('/vehicles?color=red');
    expect([missing.status, missing.json()]).toEqual([400, { message: 'Missing required request parameters: [make]' }]);
    const found = await app.get('/vehicles?make=Volvo');
    expect([found.status, found.json()]).toEqual([200, { make: 'Volvo', vehicles: [] }]);
  }, 120_000);

  it('log-subscriptions: a subscription filter on a function\'s log group sends every line to a collector; a CloudWatchLogs event with a JSON filter pattern sends only the ERROR lines to an alerter', async () => {
    await deploy('log-subscriptions');
    const items = [
      { level: 'INFO', message: 'order 1 placed' },
      { level: 'ERROR', message: 'order 2 failed' },
    ];
    const worked = await at('log-subscriptions').send('POST', '/work', JSON.stringify(items));
    expect(worked.status, worked.body).toBe(202);
    const got = async (fn: string, count: number) =>
      until(async () => {
        const lines = (await esb(['logs', fn, '--workspace', ws])).stdout.split('\n').filter((l) => l.includes('\tGOT ')).map((l) => l.slice(l.indexOf('\tGOT ') + 1));
        return lines.length >= count ? lines : undefined;
      }, `${fn} got ${count} line(s)`, { timeoutMs: 30_000 });
    const group = '/aws/lambda/log-subscriptions-WorkerFunction';
    expect((await got('log-subscriptions-CollectorFunction', 2)).sort()).toEqual([`GOT ${group} everything {"level":"ERROR","message":"order 2 failed"}`, `GOT ${group} everything {"level":"INFO","message":"order 1 placed"}`]);
    expect(await got('log-subscriptions-AlerterFunction', 1)).toEqual([`GOT ${group} AlerterFunctionErrors {"level":"ERROR","message":"order 2 failed"}`]);
    // LoggingConfig: JSON lines at WARN and up, in the log group it names, which the collector also reads.
    const more = [...items, { level: 'WARN', message: 'order 3 slow' }];
    expect((await at('log-subscriptions').send('POST', '/work-json', JSON.stringify(more))).status).toBe(202);
    const orders = (await got('log-subscriptions-CollectorFunction', 5)).filter((l) => l.startsWith('GOT /shop/orders orders ')).map((l) => JSON.parse(l.slice('GOT /shop/orders orders '.length)));
    expect(orders.map((o) => [o.level, o.message])).toEqual([
      ['ERROR', 'order 2 failed'],
      ['WARN', 'order 3 slow'],
      ['WARN', 'batch done:\norder 1 placed\norder 2 failed\norder 3 slow'],
    ]);
    // esb logs prints the function's JSON lines and Lambda's platform records; the multi-line message is one record.
    const printed = (await esb(['logs', 'log-subscriptions-JsonWorkerFunction', '--workspace', ws])).stdout;
    expect(printed).toMatch(/\t\{"time":"[^"]+","type":"platform\.start","record":\{"requestId":"[^"]+","version":"\$LATEST"\}\}\n/);
    expect(printed).toMatch(/\t\{"time":"[^"]+","type":"platform\.report","record":\{"requestId":"[^"]+","metrics":\{"durationMs":/);
    expect(printed).not.toContain('order 1 placed"');
    expect(printed).toContain('"level":"WARN","requestId"');
    // The log group it names, by its name (as sam logs --cw-log-group).
    const ordersLog = (await esb(['logs', '/shop/orders', '--workspace', ws])).stdout;
    expect(ordersLog).toContain('"message":"order 3 slow"');
    expect(ordersLog).toContain('"type":"platform.report"');
  }, 120_000);

  it("iam-api: routes with AWS_IAM authorization (a REST API's default, an HTTP API route's) take requests signed for execute-api and tell the function who signed; unsigned ones are refused; a route that opts out is open", async () => {
    await deploy('iam-api');
    const app = at('iam-api');
    const host = `iam-api.localhost:${port}`;
    const sign = async (method: string, p: string, body?: string) => {
      // The caller's own profile: on a loopback gateway a key esb does not know is let through, signed.
      const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDSERVICEA', secretAccessKey: 'service-a-secret' }, region: 'us-east-1', service: 'execute-api', sha256: NodeSha256 });
      return (await signer.sign({ method, protocol: 'http:', hostname: host, path: p, headers: { host }, ...(body ? { body } : {}) })).headers as Record<string, string>;
    };
    const unsigned = await app.get('/iam/whoami');
    expect([unsigned.status, unsigned.json()]).toEqual([403, { message: 'Missing Authentication Token' }]);
    const whoami = await app.get('/iam/whoami', await sign('GET', '/iam/whoami'));
    expect([whoami.status, whoami.json()]).toEqual([200, { path: '/iam/whoami', caller: { accessKey: 'AKIDSERVICEA', userArn: expect.stringMatching(/^arn:aws:iam::\d{12}:user\/AKIDSERVICEA$/) } }]);
    expect((await app.get('/iam/health')).status).toBe(200);
    const body = '{"id":1}';
    expect((await request('POST', '/iam/orders', { host, body })).status).toBe(403);
    const order = await request('POST', '/iam/orders', { host, body, headers: await sign('POST', '/iam/orders', body) });
    expect([order.status, order.json()]).toEqual([200, { path: '/iam/orders', caller: { accessKey: 'AKIDSERVICEA', userArn: expect.stringContaining(':user/AKIDSERVICEA') } }]);
  }, 120_000);

  it('function-url: FunctionUrlConfig and AWS::Lambda::Url, each function served at its own host; AWS_IAM asks for a signature; a function reaches another by the URL the template gave it', async () => {
    const out = await deploy('function-url');
    expect(out).toContain(`URL     http://function-url-webhookfunction.lambda-url.localhost:${port}/ (function function-url-WebhookFunction)`);
    expect(out).toContain(`URL     http://function-url-reportfunction.lambda-url.localhost:${port}/ (function function-url-ReportFunction, requests signed: AWS_IAM)`);
    expect(out).not.toContain('UNREACHABLE');
    const hook = await request('POST', '/github', { host: `function-url-webhookfunction.lambda-url.localhost:${port}`, body: '{"ref":"main"}', headers: { origin: 'https://dashboard.example' } });
    expect([hook.status, hook.json(), hook.headers['access-control-allow-origin']]).toEqual([202, { received: { ref: 'main' }, path: '/github', routeKey: '$default' }, 'https://dashboard.example']);
    const reportHost = `function-url-reportfunction.lambda-url.localhost:${port}`;
    const unsigned = await request('GET', '/', { host: reportHost });
    expect([unsigned.status, unsigned.json()]).toEqual([403, { Message: 'Forbidden' }]);
    const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDLOCALPROFILE', secretAccessKey: 'local-secret' }, region: 'us-east-1', service: 'lambda', sha256: NodeSha256 });
    const { headers } = await signer.sign({ method: 'GET', protocol: 'http:', hostname: reportHost, path: '/', headers: { host: reportHost } });
    const report = await request('GET', '/', { host: reportHost, headers: headers as Record<string, string> });
    expect([report.status, report.json()]).toEqual([200, { report: 'daily', method: 'GET' }]);
    // A function calls another's URL as the template gave it: it reaches the gateway, by that URL's Host, over TLS.
    const relayed = await request('POST', '/', { host: `function-url-relayfunction.lambda-url.localhost:${port}`, body: '{"ref":"dev"}' });
    expect([relayed.status, relayed.json()]).toEqual([200, { via: `https://function-url-webhookfunction.lambda-url.localhost:${port}/`, status: 202, answer: { received: { ref: 'dev' }, path: '/relayed', routeKey: '$default' } }]);
  }, 120_000);

  it('streaming-responses: function URLs in RESPONSE_STREAM mode write what streamifyResponse handlers write as they write it (HttpResponseStream status, headers and cookies; a piped 2 MB body); a failure mid-stream cuts the response short; InvokeWithResponseStream reads chunks and the error; a REST API streams its Lambda proxy integration; a custom runtime streams over the Runtime API', async () => {
    const out = await deploy('streaming-responses');
    expect(out).not.toContain('RESPONSE_STREAM');
    expect(out).not.toContain('UNREACHABLE');
    const urlHost = (fn: string) => `streaming-responses-${fn}.lambda-url.localhost:${port}`;
    /** A streamed answer read as it comes: `next()` waits for bytes not yet read, `rest()` for the end (or the cut). */
    const open = (host: string, pathname: string, headers: Record<string, string> = {}) =>
      new Promise<{ res: http.IncomingMessage; next(): Promise<string>; rest(): Promise<{ text: string; cut: boolean }> }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: pathname, agent: false, headers: { host, ...headers } }, (res) => {
          let text = '';
          let read = 0;
          let waiter: (() => void) | undefined;
          let cut = false;
          let done = false;
          res.on('data', (c: Buffer) => {
            text += c.toString('utf8');
            waiter?.();
          });
          res.on('end', () => ((done = true), waiter?.()));
          res.on('error', () => ((cut = true), (done = true), waiter?.()));
          res.on('aborted', () => (cut = true));
          const more = () => new Promise<void>((r) => (waiter = r));
          resolve({
            res,
            async next() {
              while (text.length === read && !done) await more();
              const fresh = text.slice(read);
              read = text.length;
              return fresh;
            },
            async rest() {
              while (!done) await more();
              return { text, cut };
            },
          });
        });
        req.on('error', reject);
        req.end();
      });

    // The head and the first part come while the function still waits for its gate: it opens
    // only when the test has read them, so they cannot have come with the end.
    const s3 = new S3Client({ endpoint: dev.info.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const story = await open(urlHost('storyfunction'), '/?gate=chapter-2');
    expect(story.res.statusCode).toBe(201);
    expect(story.res.headers).toMatchObject({ 'content-type': 'text/html', 'x-story': 'told in parts', 'set-cookie': ['chapter=1; Path=/'], 'transfer-encoding': 'chunked' });
    expect(await story.next()).toBe('<p>first part</p>');
    await s3.send(new PutObjectCommand({ Bucket: 'streaming-responses-gatebucket', Key: 'chapter-2', Body: 'open' }));
    expect(await story.rest()).toEqual({ text: '<p>first part</p><p>second part</p>', cut: false });
    s3.destroy();

    // A pipeline of 2 MB behind AWS_IAM, with the default content type.
    const pipeHost = urlHost('pipefunction');
    const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDLOCALPROFILE', secretAccessKey: 'local-secret' }, region: 'us-east-1', service: 'lambda', sha256: NodeSha256 });
    const { headers } = await signer.sign({ method: 'GET', protocol: 'http:', hostname: pipeHost, path: '/', headers: { host: pipeHost } });
    const pipe = await open(pipeHost, '/', headers as Record<string, string>);
    expect([pipe.res.statusCode, pipe.res.headers['content-type']]).toEqual([200, 'application/octet-stream']);
    const piped = await pipe.rest();
    expect([piped.text.length, piped.text.slice(0, 6), piped.cut]).toEqual([2 * 1024 * 1024, 'ababab', false]);

    // A failure after the first bytes: what was written arrives, then the response is cut short.
    const flaky = await open(urlHost('flakyfunction'), '/');
    expect(flaky.res.statusCode).toBe(200);
    expect(await flaky.rest()).toEqual({ text: 'this function streams ', cut: true });

    // The Lambda API: InvokeWithResponseStream gives the chunks, then the error; Invoke the whole response.
    const lambda = new LambdaClient({ endpoint: dev.info.gateway, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const events = async (payload: object) => {
      const r = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'streaming-responses-FlakyFunction', Payload: JSON.stringify(payload) }));
      const seen: unknown[] = [];
      for await (const e of r.EventStream!) {
        if (e.PayloadChunk) seen.push(Buffer.from(e.PayloadChunk.Payload!).toString('utf8'));
        if (e.InvokeComplete) seen.push(e.InvokeComplete);
      }
      return { status: r.StatusCode, contentType: r.ResponseStreamContentType, seen };
    };
    expect(await events({})).toEqual({ status: 200, contentType: 'application/octet-stream', seen: ['this ', 'function ', 'streams ', { ErrorCode: 'Error', ErrorDetails: 'a custom error mid-stream' }] });
    expect((await events({ keepGoing: true })).seen).toEqual(['this ', 'function ', 'streams ', 'and ends', {}]);
    const whole = await lambda.send(new InvokeCommand({ FunctionName: 'streaming-responses-FlakyFunction', Payload: JSON.stringify({ keepGoing: true }) }));
    expect([whole.FunctionError, Buffer.from(whole.Payload!).toString('utf8')]).toEqual([undefined, 'this function streams and ends']);
    lambda.destroy();

    // A REST API whose integration streams: the prelude's head, then each event line as written.
    const essay = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; parts: string[] }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/ask', agent: false, headers: { host: `streaming-responses.localhost:${port}`, 'content-type': 'application/json' } }, (res) => {
        const parts: string[] = [];
        res.on('data', (c: Buffer) => parts.push(c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, parts }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ message: 'streams arrive in parts' }));
    });
    expect([essay.status, essay.headers['content-type'], essay.headers['transfer-encoding'], essay.headers['apigw-requestid']]).toEqual([200, 'application/x-ndjson', 'chunked', undefined]);
    expect(essay.parts.join('').trim().split('\n').map((l) => JSON.parse(l))).toEqual([...['streams', 'arrive', 'in', 'parts'].map((text) => ({ type: 'delta', text })), { type: 'done' }]);

    // A custom runtime's chunked POST: streamed; its error trailers cut the response short.
    const custom = await open(urlHost('customruntimefunction'), '/');
    expect([custom.res.headers['content-type'], await custom.rest()]).toEqual(['text/plain', { text: 'streamed by a custom runtime', cut: false }]);
    const broken = await open(urlHost('customruntimefunction'), '/?fail=1');
    expect(await broken.rest()).toEqual({ text: 'streamed by a custom runtime', cut: true });
  }, 120_000);

  it('s3-events: an upload runs the function its bucket notifies (event names, key filter), a raw LambdaConfigurations too', async () => {
    const out = await deploy('s3-events');
    expect(out).not.toContain('UNREACHABLE');
    const s3 = new S3Client({ endpoint: dev.info.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const results = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: 's3-events-resultsbucket' }))).Contents ?? []).map((o) => o.Key).sort();
    const waitFor = async (key: string) => {
      for (let i = 0; i < 200 && !(await results()).includes(key); i++) await new Promise((r) => setTimeout(r, 50));
    };
    // Not taken by the filter: another prefix, another suffix.
    await s3.send(new PutObjectCommand({ Bucket: 's3-events-uploadsbucket', Key: 'other/a.txt', Body: 'no' }));
    await s3.send(new PutObjectCommand({ Bucket: 's3-events-uploadsbucket', Key: 'incoming/b.csv', Body: 'no' }));
    await s3.send(new PutObjectCommand({ Bucket: 's3-events-uploadsbucket', Key: 'incoming/hello world.txt', Body: 'hello from s3' }));
    await waitFor('processed/hello world.txt');
    expect(await results()).toEqual(['processed/hello world.txt']);
    const processed = await s3.send(new GetObjectCommand({ Bucket: 's3-events-resultsbucket', Key: 'processed/hello world.txt' }));
    expect(await processed.Body!.transformToString()).toBe('HELLO FROM S3');
    expect(processed.Metadata).toEqual({ event: 'ObjectCreated:Put', source: 's3-events-uploadsbucket' });
    // The raw notification: deletions from the audit bucket.
    await s3.send(new PutObjectCommand({ Bucket: 's3-events-auditbucket', Key: 'old.log', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 's3-events-auditbucket', Key: 'old.log' }));
    await waitFor('deleted/old.log');
    expect(await results()).toEqual(['deleted/old.log', 'processed/hello world.txt']);
    s3.destroy();
  }, 120_000);

  it("s3-notifications: a bucket's QueueConfigurations send S3's event to a queue a function reads (prefix filter), its TopicConfigurations publish deletions to a topic a queue subscribes to, and EventBridgeEnabled puts its events on the default bus, where a rule sends the created ones to a queue", async () => {
    const out = await deploy('s3-notifications');
    expect(out).not.toContain('warning');
    expect(out).toContain('NOTIFY  s3://s3-notifications-dropbucket (s3:ObjectCreated:* uploads/*) -> queue s3-notifications-JobsQueue');
    expect(out).toContain('NOTIFY  s3://s3-notifications-dropbucket (s3:ObjectRemoved:*) -> topic s3-notifications-RemovedTopic');
    expect(out).toContain('NOTIFY  s3://s3-notifications-dropbucket (s3:ObjectCreated:*, s3:ObjectRemoved:*) -> event bus default');
    const listed = JSON.parse(await deploy('s3-notifications', '--json')) as { notifications: Array<{ bucket: string; target: string }> };
    expect(listed.notifications.map((n) => n.target)).toEqual(['queue s3-notifications-JobsQueue', 'topic s3-notifications-RemovedTopic', 'event bus default']);
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const s3 = new S3Client({ endpoint: dev.info.s3, region: 'us-east-1', forcePathStyle: true, credentials });
    const sqs = new SQSClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials });
    const bucket = 's3-notifications-dropbucket';
    const receive = async (queue: string) => {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
      return ((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? []).map((m) => JSON.parse(m.Body!));
    };
    // Outside the queue's prefix, then inside it.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/skip.txt', Body: 'no' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/photo one.jpg', Body: 'hello' }));
    // EventBridge: both uploads, as S3 puts them on the bus.
    const created: any[] = [];
    await until(
      async () => {
        created.push(...(await receive('s3-notifications-CreatedEventsQueue')));
        return created.length >= 2 || undefined;
      },
      'two Object Created events in the rule\'s queue',
      30_000,
    );
    expect(created.map((e) => e.detail.object.key).sort()).toEqual(['other/skip.txt', 'uploads/photo one.jpg']);
    const photo = created.find((e) => e.detail.object.key === 'uploads/photo one.jpg');
    expect(photo).toMatchObject({ version: '0', 'detail-type': 'Object Created', source: 'aws.s3', account: '123456789012', region: 'us-east-1', resources: [`arn:aws:s3:::${bucket}`] });
    expect(photo.detail).toMatchObject({ version: '0', bucket: { name: bucket }, object: { size: 5, etag: expect.stringMatching(/^[0-9a-f]{32}$/) }, requester: '123456789012', reason: 'PutObject' });
    // The queue: S3's test message, sent when the deploy configured the notification, then only the upload under uploads/, read by the function.
    const results = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: 's3-notifications-resultsbucket' }))).Contents ?? []).map((o) => o.Key);
    await until(async () => (await results()).includes('jobs/uploads/photo one.jpg') || undefined, 'the function noted the upload its queue got', 30_000);
    expect(await results()).toEqual(['jobs/uploads/photo one.jpg', `tests/${bucket}`]);
    const test = await s3.send(new GetObjectCommand({ Bucket: 's3-notifications-resultsbucket', Key: `tests/${bucket}` }));
    expect(JSON.parse(await test.Body!.transformToString())).toEqual({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: expect.stringMatching(/Z$/), Bucket: bucket, RequestId: expect.any(String), HostId: expect.any(String) });
    const note = await s3.send(new GetObjectCommand({ Bucket: 's3-notifications-resultsbucket', Key: 'jobs/uploads/photo one.jpg' }));
    expect(JSON.parse(await note.Body!.transformToString())).toEqual({ eventName: 'ObjectCreated:Put', configurationId: 'DropBucketQueueNotification1', bucket, size: 5, queue: 'arn:aws:sqs:us-east-1:123456789012:s3-notifications-JobsQueue' });
    // The topic: S3's test message when the deploy configured it, then a deletion, published with S3's subject, reach the subscribed queue in SNS's envelope.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'uploads/photo one.jpg' }));
    const published: any[] = [];
    await until(
      async () => {
        published.push(...(await receive('s3-notifications-RemovedQueue')));
        return published.length >= 2 || undefined;
      },
      "the topic's test message and the deletion published to it",
      30_000,
    );
    expect(published.map((m) => JSON.parse(m.Message).Event ?? JSON.parse(m.Message).Records[0].eventName)).toEqual(['s3:TestEvent', 'ObjectRemoved:Delete']);
    expect(published[0]).toMatchObject({ Subject: 'Amazon S3 Notification' });
    const removed = published.slice(1);
    expect(removed[0]).toMatchObject({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:123456789012:s3-notifications-RemovedTopic', Subject: 'Amazon S3 Notification' });
    expect(JSON.parse(removed[0].Message).Records[0]).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectRemoved:Delete', s3: { configurationId: 'Removals', bucket: { name: bucket }, object: { key: 'uploads/photo+one.jpg' } } });
    s3.destroy();
    sqs.destroy();
  }, 120_000);

  it('cognito-auth: a Cognito user pool authorizer (pool made by the template) wants an ID token and hands its claims to the function', async () => {
    const out = await deploy('cognito-auth');
    expect(out).toContain('warning: NotesApi.Auth.Authorizers.CognitoAuth: the user pool is made by this template');
    const app = at('cognito-auth');
    expect((await app.get('/health')).status).toBe(200);
    expect((await app.get('/me')).status).toBe(401);
    const { privateKey } = await generateKeyPair('RS256');
    const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool';
    const idToken = (exp: number) => new SignJWT({ email: 'ada@example.test', 'cognito:groups': ['admin', 'ops'], token_use: 'id' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(issuer).setSubject('user-42').setExpirationTime(exp).sign(privateKey);
    // A loopback gateway takes a token of a pool it has no keys for unverified (docs/security.md).
    const me = await app.get('/me', { authorization: await idToken(Math.floor(Date.now() / 1000) + 600) });
    expect(me.status, me.body).toBe(200);
    expect(me.json()).toEqual({ user: 'user-42', email: 'ada@example.test', groups: 'admin,ops' });
    expect((await app.get('/me', { authorization: await idToken(Math.floor(Date.now() / 1000) - 60) })).status).toBe(401);
    expect((await app.get('/me', { authorization: 'not-a-token' })).status).toBe(401);
  }, 120_000);

  it('raw-http: AWS::ApiGatewayV2::Api quick create (Target) and Integration + Route', async () => {
    await deploy('raw-http');
    const app = at('raw-http');
    expect((await app.get('/pets/7')).json()).toEqual({ id: '7', routeKey: 'GET /pets/{id}', version: '2.0' });
    const added = await app.send('POST', '/pets', JSON.stringify({ name: 'rex' }));
    expect(added.status).toBe(201);
    expect(added.json()).toEqual({ added: { name: 'rex' }, version: '2.0' });
    expect((await app.get('/anything/else')).json()).toEqual({ caughtBy: 'quick', routeKey: '$default', path: '/anything/else' });
  }, 120_000);

  it("openapi: DefinitionBody through AWS::Include and inline, with a security scheme mapped to a TOKEN authorizer; the API's Auth.DefaultAuthorizer guards every other method of the definition, as SAM writes it, unless it says NONE", async () => {
    const out = await deploy('openapi');
    // Its OPTIONS mock has no integration responses: served as API Gateway serves it, a 500, and said at deploy.
    expect(out).toContain('paths["/books/{id}"].options: no responses: API Gateway answers every call 500');
    const app = at('openapi');
    // The preflight gets the default authorizer too (AddDefaultAuthorizerToCorsPreflight is on by default).
    expect((await app.send('OPTIONS', '/books/1')).status).toBe(401);
    expect((await app.get('/books')).status).toBe(401);
    expect((await app.get('/books', { authorization: 'Bearer other' })).status).toBe(403);
    expect((await app.get('/books', { authorization: 'Bearer reader' })).json()).toEqual([{ id: '1', title: 'Dune' }]);
    expect((await app.get('/hours')).json()).toEqual({ open: '9-17' });
    expect((await app.get('/books/1')).status).toBe(401);
    expect((await app.get('/books/1', { authorization: 'Bearer other' })).status).toBe(403);
    expect((await app.get('/books/1', { authorization: 'Bearer reader' })).json()).toEqual({ id: '1', title: 'Dune', reader: 'reader' });
    // The HTTP API's default Lambda authorizer (simple responses) on its definition's route.
    expect((await app.get('/status')).status).toBe(401);
    expect((await app.get('/status', { 'x-status-key': 'guess' })).status).toBe(403);
    expect((await app.get('/status', { 'x-status-key': 'open-sesame' })).json()).toEqual({ status: 'ok', version: '2.0' });
  }, 120_000);

  it('dynamodb-streams: an API writes orders; functions reading the table\'s stream (batched, one filtered to removals with partial batch responses) see every change with its old and new image', async () => {
    const out = await deploy('dynamodb-streams');
    expect(out).not.toContain('warning');
    const orders = at('dynamodb-streams');
    expect((await orders.send('PUT', '/orders/7', 'placed')).status).toBe(200);
    expect((await orders.send('PUT', '/orders/7', 'shipped')).status).toBe(200);
    expect((await orders.send('DELETE', '/orders/7')).status).toBe(204);
    const seen = await until(
      async () => {
        const r = (await orders.get('/audit')).json();
        return r.changes.length >= 3 && r.removals >= 1 ? r : undefined;
      },
      'three changes and one removal audited',
      60_000,
    );
    expect(seen.changes.map((c: any) => [c.event, c.order, c.old, c.new])).toEqual([
      ['INSERT', '7', null, 'placed'],
      ['MODIFY', '7', 'placed', 'shipped'],
      ['REMOVE', '7', 'shipped', null],
    ]);
    // The record names the stream of the template's table (what !GetAtt OrdersTable.StreamArn gives).
    expect(seen.changes[0].source).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/dynamodb-streams-OrdersTable');
    expect(seen.removals).toBe(1);
  }, 120_000);

  it('sqs-queue: an API puts orders on a queue (SDK v3, !Ref QueueUrl); a Python function takes them in batches with partial batch responses; what it cannot take moves to the dead-letter queue, which boto3 reads; a redrive sends it back', async () => {
    const out = await deploy('sqs-queue');
    expect(out).not.toContain('warning');
    const app = at('sqs-queue');
    const posted = await app.send('POST', '/orders', JSON.stringify([{ id: 1, item: 'book' }, { id: 2, item: 'pen' }, { id: 3, item: 'poison' }]));
    expect(posted.status, posted.body).toBe(202);
    expect(posted.json()).toEqual({ queued: 3, failed: 0 });
    const stored = await until(
      async () => {
        const r = (await app.get('/orders')).json();
        return r.orders.length >= 2 ? r.orders : undefined;
      },
      'two orders stored',
      60_000,
    );
    expect(stored.map((o: any) => [o.id, o.item, o.source, o.queue])).toEqual([
      ['1', 'book', 'api', 'arn:aws:sqs:us-east-1:123456789012:sqs-queue-OrdersQueue'],
      ['2', 'pen', 'api', 'arn:aws:sqs:us-east-1:123456789012:sqs-queue-OrdersQueue'],
    ]);
    // The poison order came back after its visibility timeout (2 s), failed again, and then
    // moved to the dead-letter queue (maxReceiveCount 2) instead of a third delivery.
    const dead = await until(
      async () => {
        const r = (await app.get('/dead-letters')).json();
        return r.deadLetters.length ? r.deadLetters : undefined;
      },
      'the poison order in the dead-letter queue',
      60_000,
    );
    expect(dead.map((d: any) => d.order)).toEqual([{ id: 3, item: 'poison' }]);
    expect(Number(dead[0].receives)).toBeGreaterThanOrEqual(2);
    expect((await app.get('/orders')).json().orders.map((o: any) => o.id)).toEqual(['1', '2']);
    // A redrive (StartMessageMoveTask, as the console's "Start DLQ redrive" does) sends it back to
    // its queue: the function takes it twice more, and it lands in the dead-letter queue again.
    const sqs = new SQSClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const dlqArn = 'arn:aws:sqs:us-east-1:123456789012:sqs-queue-OrdersDeadLetterQueue';
    expect((await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }))).TaskHandle).toEqual(expect.any(String));
    const [task] = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results ?? [];
    expect(task).toMatchObject({ Status: 'COMPLETED', SourceArn: dlqArn, ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 });
    sqs.destroy();
    const again = await until(
      async () => {
        const r = (await app.get('/dead-letters')).json();
        return r.deadLetters.length ? r.deadLetters : undefined;
      },
      'the poison order back in the dead-letter queue after the redrive',
      60_000,
    );
    expect(again.map((d: any) => d.order)).toEqual([{ id: 3, item: 'poison' }]);
  }, 120_000);

  it('eventbridge-bus: an API publishes orders on a custom bus (SDK v3, !Ref bus); a rule sends their detail to a queue a Python function reads; big ones reach a function through an input transformer, which flags them on the default bus with boto3 for a CloudWatchEvent function; desks go through an SNS topic to its subscriber; every event is a line of a log group (esb logs)', async () => {
    const out = await deploy('eventbridge-bus');
    expect(out).not.toContain('warning');
    expect(out).toMatch(/RULE {4}eventbridge-bus-orders\/eventbridge-bus-AuditRule -> queue eventbridge-bus-AuditQueue/);
    expect(out).toMatch(/RULE {4}eventbridge-bus-orders\/eventbridge-bus-DeskRule -> topic eventbridge-bus-ShippingTopic/);
    expect(out).toMatch(/RULE {4}eventbridge-bus-orders\/eventbridge-bus-LogAllRule -> log group \/aws\/events\/eventbridge-bus-orders/);
    const app = at('eventbridge-bus');
    const posted = await app.send('POST', '/bus/orders', JSON.stringify([{ id: 1, item: 'book', total: 20 }, { id: 2, item: 'desk', total: 250 }]));
    expect(posted.status, posted.body).toBe(202);
    expect(posted.json()).toEqual({ published: 2, failed: 0 });
    const orders = await until(
      async () => {
        const r = (await app.get('/bus/orders')).json();
        return r.orders.length >= 5 ? r.orders : undefined;
      },
      'two audits, one big order and its flag, one desk shipped through the topic',
      60_000,
    );
    expect(orders).toEqual([
      { id: 'audit-1', item: 'book', total: '20' },
      { id: 'audit-2', item: 'desk', total: '250' },
      { id: 'big-2', total: '250', rule: 'eventbridge-bus-BigOrderFunctionBigOrder', note: 'order 2 is big' },
      { id: 'notified-2', source: 'shop.review', account: '123456789012', bus: 'default' },
      { id: 'shipped-2', item: 'desk', topic: 'eventbridge-bus-ShippingTopic' },
    ]);
    // Every event of the bus is a line of the log group, read as a function's log is.
    const logged = await until(
      async () => {
        const r = await esb(['logs', '/aws/events/eventbridge-bus-orders', '--workspace', ws]);
        const events = r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line.split('\t')[2]));
        return events.length >= 2 ? events : undefined;
      },
      'two events in the log group',
      30_000,
    );
    expect(logged.map((e: any) => [e['detail-type'], e.detail.id]).sort()).toEqual([
      ['OrderPlaced', 1],
      ['OrderPlaced', 2],
    ]);
    // A bad entry fails alone, as PutEvents reports it; nothing more arrives.
    const bad = await app.send('POST', '/bus/orders', 'null');
    expect(bad.status, bad.body).toBe(202);
    expect(bad.json()).toEqual({ published: 0, failed: 1 });
  }, 120_000);

  it('sns-fanout: an API publishes orders to a topic (SDK v3, !Ref topic ARN); a filtered subscription takes the books, an SqsSubscription everything through its queue, and a raw subscription fills an audit queue boto3 reads; an e-mail subscription fills an inbox (esb logs); a subscription made at run time (Subscribe) gets the messages its filter takes until Unsubscribe', async () => {
    const out = await deploy('sns-fanout');
    expect(out).not.toContain('warning');
    // The summary names where messages go, and where to publish from outside.
    expect(out).toMatch(/TOPIC {3}arn:aws:sns:us-east-1:123456789012:sns-fanout-OrdersTopic -> function sns-fanout-BooksFunction \(filtered\)/);
    expect(out).toMatch(/EventBridge and SNS: http:\/\/127\.0\.0\.1:\d+ /);
    // The same for tools: an unchanged re-deploy with --json lists the subscriptions.
    const listed = JSON.parse(await deploy('sns-fanout', '--json')) as { subscriptions: Array<{ topicArn: string; target: string; filtered: boolean }> };
    expect(listed.subscriptions).toContainEqual({ topicArn: 'arn:aws:sns:us-east-1:123456789012:sns-fanout-OrdersTopic', target: 'function sns-fanout-BooksFunction', filtered: true });
    expect(listed.subscriptions).toContainEqual({ topicArn: 'arn:aws:sns:us-east-1:123456789012:sns-fanout-OrdersTopic', target: 'queue sns-fanout-AuditQueue', filtered: false });
    const app = at('sns-fanout');
    const posted = await app.send('POST', '/fanout/orders', JSON.stringify([{ id: 1, kind: 'book' }, { id: 2, kind: 'pen' }]));
    expect(posted.status, posted.body).toBe(202);
    const seen = await until(
      async () => {
        const r = (await app.get('/fanout/orders')).json();
        return r.orders.length >= 3 && r.audit.length >= 2 ? r : undefined;
      },
      'one book, two ledger lines and two audit messages',
      60_000,
    );
    expect(seen.orders).toEqual([
      { id: 'book-1', subject: 'order 1', kind: 'book' },
      { id: 'ledger-1', type: 'Notification', topic: 'OrdersTopic' },
      { id: 'ledger-2', type: 'Notification', topic: 'OrdersTopic' },
    ]);
    // Raw delivery: the bare message, its attributes as the queue message's own.
    expect(seen.audit).toEqual([
      { order: { id: 1, kind: 'book' }, kind: 'book' },
      { order: { id: 2, kind: 'pen' }, kind: 'pen' },
    ]);
    // The e-mail subscription's inbox: what the owner would have been sent, one line a message.
    expect(listed.subscriptions).toContainEqual({ topicArn: 'arn:aws:sns:us-east-1:123456789012:sns-fanout-OrdersTopic', target: 'inbox email:owner@example.com', filtered: false });
    const mail = await until(
      async () => {
        const lines = (await esb(['logs', 'email:owner@example.com', '--workspace', ws])).stdout.split('\n').filter(Boolean);
        return lines.length >= 2 ? lines.map((l) => l.split('\t')[2]).sort() : undefined;
      },
      'two e-mails in the inbox',
      30_000,
    );
    expect(mail).toEqual(['To: owner@example.com | Subject: order 1 | {"id":1,"kind":"book"}', 'To: owner@example.com | Subject: order 2 | {"id":2,"kind":"pen"}']);

    // Subscriptions made at run time (Subscribe), as an app or an operator adds them: an e-mail
    // filtered to pens, listed back, removed again.
    const sns = new SNSClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const TopicArn = 'arn:aws:sns:us-east-1:123456789012:sns-fanout-OrdersTopic';
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'pens@example.com', Attributes: { FilterPolicy: '{"kind":["pen"]}' }, ReturnSubscriptionArn: true }));
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions).toEqual([{ TopicArn, Protocol: 'email', SubscriptionArn, Owner: '123456789012', Endpoint: 'pens@example.com' }]);
    expect((await app.send('POST', '/fanout/orders', JSON.stringify([{ id: 3, kind: 'book' }, { id: 4, kind: 'pen' }]))).status).toBe(202);
    const pens = await until(
      async () => {
        const lines = (await esb(['logs', 'email:pens@example.com', '--workspace', ws])).stdout.split('\n').filter(Boolean);
        return lines.length ? lines.map((l) => l.split('\t')[2]) : undefined;
      },
      'the pen order in the runtime subscription\'s inbox',
      30_000,
    );
    expect(pens).toEqual(['To: pens@example.com | Subject: order 4 | {"id":4,"kind":"pen"}']);
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? []).toEqual([]);
    sns.destroy();
  }, 120_000);

  it('http-api-services: an OpenAPI body (AWS::Include) puts POST /events on EventBridge and a raw HTTP API sends POST /jobs to SQS, with no function of their own, as does a raw route added to the SAM HttpApi by its logical id; functions take it from there', async () => {
    const out = await deploy('http-api-services');
    expect(out).not.toContain('warning');
    const app = at('http-api-services');
    const put = await app.send('POST', '/events', JSON.stringify({ Detail: { id: 'e1' } }));
    expect(put.status, put.body).toBe(200);
    expect(put.json()).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    const sent = await request('POST', '/jobs', { host: `http-api-services.localhost:${port}`, body: JSON.stringify({ id: 'j1' }), headers: { 'x-priority': 'high' } });
    expect(sent.status, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ MessageId: expect.any(String), MD5OfMessageBody: expect.any(String) });
    // A raw route the template adds to its SAM HttpApi by logical id.
    const urgent = await app.send('POST', '/urgent-jobs', JSON.stringify({ id: 'j2' }));
    expect(urgent.status, urgent.body).toBe(200);
    const results = await until(
      async () => {
        const r = (await app.get('/results')).json();
        return r.results.length >= 3 ? r.results : undefined;
      },
      'the event and the jobs taken by their functions',
      60_000,
    );
    expect(results).toEqual([
      { id: 'event-e1', detailType: 'OrderPlaced', source: 'WebApp' },
      { id: 'job-j1', priority: 'high' },
      { id: 'job-j2', priority: 'urgent' },
    ]);
    // A request that lacks what the call needs is refused by the integration, as API Gateway does.
    const empty = await app.send('POST', '/events', '{}');
    expect(empty.status).toBe(400);
    expect(empty.json().message).toContain('Detail is required by EventBridge-PutEvents');
  }, 120_000);

  it('step-functions: POST /shop/orders starts a Standard machine (SAM Api event, DefinitionUri + DefinitionSubstitutions) that validates (Catch), charges (Retry), maps the lines, waits for an approver on a queue (.waitForTaskToken), saves to DynamoDB and announces on EventBridge, whose rule starts an Express machine; boto3 reads executions back; the failed executions\' status change events reach a queue through a rule; an HTTP API runs an Express machine synchronously', async () => {
    const out = await deploy('step-functions');
    expect(out).not.toContain('warning');
    expect(out).toMatch(/MACHINE arn:aws:states:us-east-1:123456789012:stateMachine:step-functions-OrderFlow \(STANDARD\)/);
    expect(out).toMatch(/RULE {4}default\/step-functions-AuditFlowOrderPaid -> state machine step-functions-AuditFlow/);
    const app = at('step-functions');
    const place = async (order: unknown) => {
      const r = await app.send('POST', '/shop/orders', JSON.stringify(order));
      expect(r.status, r.body).toBe(200);
      return r.json().executionArn as string;
    };
    const ended = (arn: string) =>
      until(
        async () => {
          const r = (await app.get(`/shop/executions?arn=${encodeURIComponent(arn)}`)).json();
          return r.status !== 'RUNNING' ? r : undefined;
        },
        `execution ${arn} ended`,
        60_000,
      );

    // A small order: validated, charged on the second attempt (the first is a TransientError), lined, saved, announced.
    const arnOfSucceeded = await place({ id: 'o1', flaky: true, items: [{ sku: 'pen', price: 2, qty: 3 }, { sku: 'ink', price: 4, qty: 1 }] });
    const small = await ended(arnOfSucceeded);
    expect(small.status, JSON.stringify(small)).toBe('SUCCEEDED');
    expect(small.output).toMatchObject({ id: 'o1', total: 10, charge: { chargeId: 'ch-o1', attempts: 2 }, lines: ['0. pen x3', '1. ink x1'] });
    expect(small.listed).toBe(true);
    expect(small.events.filter((t: string) => t === 'TaskFailed')).toHaveLength(1);
    expect(small.events).toEqual(expect.arrayContaining(['ExecutionStarted', 'MapStateEntered', 'ChoiceStateEntered', 'ExecutionSucceeded']));
    const saved = (await app.get('/shop/orders/o1')).json();
    expect(saved).toMatchObject({ id: 'o1', status: 'PAID', chargeId: 'ch-o1', lines: '["0. pen x3","1. ink x1"]' });
    // The OrderPaid event's rule started the Express audit machine, which wrote its own item.
    const audit = await until(async () => {
      const r = await app.get('/shop/orders/audit-o1');
      return r.status === 200 ? r.json() : undefined;
    }, 'the audit item of o1');
    expect(audit).toEqual({ id: 'audit-o1', status: 'PAID', source: 'shop.orders' });

    // A big order waits for the approver, who answers on the token it got through the queue.
    const big = await ended(await place({ id: 'o2', items: [{ sku: 'desk', price: 250, qty: 2 }] }));
    expect(big.status, JSON.stringify(big)).toBe('SUCCEEDED');
    expect(big.output.approval).toEqual({ approvedBy: 'approver', id: 'o2' });
    // Too big: the approver fails the task, the machine catches "Rejected", saves it and fails.
    const hugeArn = await place({ id: 'o3', items: [{ sku: 'car', price: 5000, qty: 1 }] });
    const huge = await ended(hugeArn);
    expect(huge).toMatchObject({ status: 'FAILED', error: 'OrderRejected', cause: 'the approver said no' });
    expect((await app.get('/shop/orders/o3')).json()).toMatchObject({ status: 'REJECTED', reason: 'order o3 is over 1000' });
    // No items: the function's InvalidOrder is caught and the machine fails with its message.
    const invalidArn = await place({ id: 'o4', items: [] });
    const invalid = await ended(invalidArn);
    expect(invalid).toMatchObject({ status: 'FAILED', error: 'InvalidOrder' });
    expect(JSON.parse(invalid.cause)).toMatchObject({ errorType: 'InvalidOrder', errorMessage: 'order o4 has no items' });
    // Their "Step Functions Execution Status Change" events reached the failed-orders queue through a rule on the default bus.
    const sqs = new SQSClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'step-functions-FailedOrdersQueue' }));
    const failures: any[] = [];
    await until(
      async () => {
        failures.push(...((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? []).map((m) => JSON.parse(m.Body!)));
        return failures.length >= 2 || undefined;
      },
      'two failed executions on the failed-orders queue',
      30_000,
    );
    sqs.destroy();
    expect(failures.map((f) => [f.source, f['detail-type'], f.detail.status, f.detail.error])).toEqual([
      ['aws.states', 'Step Functions Execution Status Change', 'FAILED', 'OrderRejected'],
      ['aws.states', 'Step Functions Execution Status Change', 'FAILED', 'InvalidOrder'],
    ]);
    expect(failures[0].detail).toMatchObject({ executionArn: hugeArn, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:step-functions-OrderFlow', cause: 'the approver said no', redriveCount: 0, redriveStatus: 'REDRIVABLE' });
    // RedriveExecution runs the invalid order again from the state it failed in (its Fail state: it fails again), counted.
    const sfn = new SFNClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    expect((await sfn.send(new RedriveExecutionCommand({ executionArn: invalidArn }))).redriveDate).toBeInstanceOf(Date);
    const again = await until(
      async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: invalidArn }));
        return d.status !== 'RUNNING' ? d : undefined;
      },
      'the redriven execution ended',
      30_000,
    );
    expect(again).toMatchObject({ status: 'FAILED', error: 'InvalidOrder', redriveCount: 1, redriveStatus: 'REDRIVABLE' });
    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: invalidArn, maxResults: 1000 }))).events!.map((h) => h.type);
    expect(history.slice(history.indexOf('ExecutionRedriven'))).toEqual(['ExecutionRedriven', 'FailStateEntered', 'ExecutionFailed']);
    await expect(sfn.send(new RedriveExecutionCommand({ executionArn: arnOfSucceeded }))).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
    sfn.destroy();

    // The HTTP API's StartSyncExecution answers the Express execution's end.
    const quote = await request('POST', '/quotes', { host: `step-functions.localhost:${port}`, body: JSON.stringify({ qty: 12, unit: 3 }) });
    expect(quote.status, quote.body).toBe(200);
    expect(quote.json()).toMatchObject({ status: 'SUCCEEDED' });
    expect(JSON.parse(quote.json().output)).toEqual({ qty: 12, price: '12 at 3 less 10%' });
  }, 180_000);

  it('lambda-destinations: asynchronous invocations through the Invoke API (InvocationType Event) send their records to the on-success function, the on-failure topic and the on-success bus, whose rule invokes a function', async () => {
    const out = await deploy('lambda-destinations');
    expect(out).not.toContain('warning');
    const app = at('lambda-destinations');
    const invoke = async (target: string, body: unknown) => {
      const r = await app.send('POST', `/destinations/${target}`, JSON.stringify(body));
      expect(r.status, r.body).toBe(200);
      expect(r.json()).toEqual({ status: 202 });
    };
    await invoke('order', { id: 'o1' });
    await invoke('order', { id: 'o2', decline: true });
    await invoke('audit', { id: 'a1' });
    const records = await until(
      async () => {
        const r = (await app.get('/destinations')).json();
        return r.length >= 3 ? r : undefined;
      },
      'three destination records',
      60_000,
    );
    expect(records).toEqual([
      { id: 'eventbridge-a1', condition: 'Success', function: 'lambda-destinations-AuditFunction', response: { audited: 'a1' } },
      { id: 'lambda-o1', condition: 'Success', function: 'lambda-destinations-OrderFunction', response: { accepted: 'o1' } },
      // No retries (MaximumRetryAttempts: 0): the failure is sent after the first attempt.
      { id: 'sns-o2', condition: 'RetriesExhausted', function: 'lambda-destinations-OrderFunction', response: expect.objectContaining({ errorType: 'Error', errorMessage: 'order o2 declined' }) },
    ]);
  }, 120_000);

  it('kinesis-streams: clicks put to a Kinesis stream reach a filtered, bisecting consumer shard by shard; a poison click is given up to the failure queue; a rule and an HTTP API (Kinesis-PutRecord) put clicks to the stream; a stream consumer mapping counts in order; GetRecords reads the shards', async () => {
    const out = await deploy('kinesis-streams');
    expect(out).not.toContain('warning');
    expect(out).toContain('STREAM  arn:aws:kinesis:us-east-1:123456789012:stream/clickstream (2 shards) -> function kinesis-streams-ConsumerFunction, function kinesis-streams-AuditFunction');
    expect(out).toContain('RULE    default/kinesis-streams-ToStreamRule -> stream clickstream');
    expect(out).toContain('STREAM  arn:aws:kinesis:us-east-1:123456789012:stream/kinesis-streams-ChangesStream (1 shard) -> function kinesis-streams-ChangesFunction');
    const app = at('kinesis-streams');
    const click = (id: string, user: string, kind = 'view') => ({ id, user, kind });
    const users = ['ana', 'bo', 'cy', 'di', 'ed', 'flo'];
    const clicks = users.flatMap((u, i) => [click(`c${i}a`, u), click(`c${i}b`, u, 'buy')]);
    const put = await app.send('POST', '/clicks', JSON.stringify({ clicks: [...clicks, click('skip', 'ana', 'ignore')] }));
    expect(put.status, put.body).toBe(200);
    const placed = put.json();
    expect(placed.failed).toBe(0);
    // Six users over two shards: both get records, sequence numbers grow within a shard.
    const shardsUsed = new Set(placed.records.map((r: { shard: string }) => r.shard));
    expect(shardsUsed).toEqual(new Set(['shardId-000000000000', 'shardId-000000000001']));

    const stored = await until(
      async () => {
        const items = (await app.get('/clicks')).json().filter((i: { id: string }) => !i.id.startsWith('audit-'));
        return items.length >= clicks.length ? items : undefined;
      },
      'the consumer to write every click',
      60_000,
    );
    // The filtered click never reached the function.
    expect(stored.map((i: { id: string }) => i.id).sort()).toEqual(clicks.map((c) => c.id).sort());
    for (const item of stored) {
      const r = placed.records[clicks.findIndex((c) => c.id === item.id)];
      expect([item.shard, item.sequence, item.source]).toEqual([r.shard, r.sequence, 'arn:aws:kinesis:us-east-1:123456789012:stream/clickstream']);
    }

    // The audit mapping (a stream consumer, two lanes a shard) saw each user's clicks in order.
    const audits = await until(
      async () => {
        const items = (await app.get('/clicks')).json().filter((i: { id: string }) => i.id.startsWith('audit-'));
        const counted = (u: string) => Number(items.find((a: { id: string }) => a.id === `audit-${u}`)?.clicks ?? 0);
        return users.every((u) => counted(u) === (u === 'ana' ? 3 : 2)) ? items : undefined;
      },
      'the audit consumer to count every click',
      60_000,
    );
    for (const [i, u] of users.entries()) expect(audits.find((a: { id: string }) => a.id === `audit-${u}`).order).toEqual(u === 'ana' ? [`c${i}a`, `c${i}b`, 'skip'] : [`c${i}a`, `c${i}b`]);

    // A poison click fails its batch: bisected down to it, retried once, then described to the queue; the click beside it is written.
    const poisoned = await app.send('POST', '/clicks', JSON.stringify({ clicks: [click('p1', 'gus', 'poison'), click('g1', 'gus')] }));
    expect(poisoned.status, poisoned.body).toBe(200);
    const poisonSeq = poisoned.json().records[0].sequence;
    const failed = await until(
      async () => {
        const r = (await app.get('/failed')).json();
        return r.length ? r : undefined;
      },
      'the failed batch record in the queue',
      60_000,
    );
    expect(failed).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'RetryAttemptsExhausted', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:kinesis-streams-ConsumerFunction', approximateInvokeCount: 2 }),
        responseContext: expect.objectContaining({ functionError: 'Unhandled' }),
        KinesisBatchInfo: expect.objectContaining({ shardId: poisoned.json().records[0].shard, startSequenceNumber: poisonSeq, endSequenceNumber: poisonSeq, batchSize: 1, streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clickstream' }),
      }),
    ]);
    await until(async () => ((await app.get('/clicks')).json().some((i: { id: string }) => i.id === 'g1') ? true : undefined), 'the good click beside the poison one');

    // An event on the default bus: the rule puts its detail to the stream, keyed by the user.
    expect((await app.send('POST', '/clicks/event', JSON.stringify(click('ev1', 'hal')))).json()).toEqual({ failed: 0 });
    const fromRule = await until(async () => (await app.get('/clicks')).json().find((i: { id: string }) => i.id === 'ev1'), 'the click the rule put to the stream');
    expect(fromRule).toMatchObject({ user: 'hal', kind: 'view' });

    // boto3 reads every shard back with GetRecords: every record, the filtered and poison ones too.
    const shards = (await app.get('/shards')).json();
    expect([shards.status, shards.retention]).toEqual(['ACTIVE', 25]);
    const all = Object.values(shards.shards as Record<string, Array<{ key: string; data: { id: string } }>>).flat();
    expect(all.map((r) => r.data.id).sort()).toEqual([...clicks.map((c) => c.id), 'skip', 'p1', 'g1', 'ev1'].sort());
    expect(all.find((r) => r.data.id === 'ev1')!.key).toBe('hal');

    // The HTTP API puts a click to the stream itself (Kinesis-PutRecord): the consumer writes it.
    const direct = await app.send('POST', '/http/clicks', JSON.stringify(click('h1', 'ivy')), { 'x-user': 'ivy' });
    expect(direct.status, direct.body).toBe(200);
    expect(direct.json()).toEqual({ ShardId: expect.stringMatching(/^shardId-00000000000[01]$/), SequenceNumber: expect.any(String), EncryptionType: 'NONE' });
    expect(await until(async () => (await app.get('/clicks')).json().find((i: { id: string }) => i.id === 'h1'), 'the click the HTTP API put to the stream')).toMatchObject({ user: 'ivy', kind: 'view' });

    // The orders table streams its changes to the second stream (KinesisStreamSpecification): both images, in order.
    for (const status of ['new', 'paid']) expect((await app.send('PUT', '/order-status/o-1', JSON.stringify({ status }))).status).toBe(200);
    const changes = await until(
      async () => {
        const items = (await app.get('/clicks')).json().filter((i: { id: string }) => i.id.startsWith('change-'));
        return items.length >= 2 ? items : undefined;
      },
      'the changes of the orders table',
      60_000,
    );
    expect(changes.map((c: { kind: string; user: string; source: string }) => [c.kind, c.user, c.source])).toEqual([
      ['INSERT ->new', 'o-1', 'kinesis-streams-OrdersTable'],
      ['MODIFY new>paid', 'o-1', 'kinesis-streams-OrdersTable'],
    ]);
  }, 240_000);

  it('firehose-s3: an API puts JSON events to a delivery stream (PutRecordBatch); its transformation function upper-cases them, drops some and fails what is not JSON; the objects land in the bucket as Firehose names them, the failed records under processing-failed/, the source records under the backup prefix; an SNS topic writes its raw messages through a second, GZIP stream and to a partner\'s HTTP endpoint, whose failures land in the bucket; a third reads a Kinesis stream', async () => {
    const out = await deploy('firehose-s3');
    expect(out).not.toContain('warning');
    expect(out).toContain('FIREHOSE arn:aws:firehose:us-east-1:123456789012:deliverystream/firehose-s3-DeliveryStream -> s3://firehose-s3-destination/ via function TransformationFunction');
    expect(out).toContain('TOPIC   arn:aws:sns:us-east-1:123456789012:firehose-s3-SNSTopic -> delivery stream firehose-s3-AuditDeliveryStream');
    const app = at('firehose-s3');
    expect((await app.get('/fh-stream')).json()).toEqual({ name: 'firehose-s3-DeliveryStream', arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/firehose-s3-DeliveryStream', status: 'ACTIVE', type: 'DirectPut', bucket: 'arn:aws:s3:::firehose-s3-destination' });
    const put = await app.send('POST', '/fh-events', JSON.stringify({ events: [{ id: 'e1', name: 'ana' }, { id: 'e2', name: 'bo', drop: true }, { id: 'e3', name: 'cy' }], raw: ['not json'] }));
    expect(put.status, put.body).toBe(200);
    expect(put.json()).toMatchObject({ failed: 0, ids: [expect.any(String), expect.any(String), expect.any(String), expect.any(String)] });
    const published = await app.send('POST', '/fh-notify', JSON.stringify({ message: 'order 7 shipped' }));
    expect(published.status, published.body).toBe(200);
    const clicked = await app.send('POST', '/fh-clicks', JSON.stringify({ clicks: [{ id: 'c1', user: 'ana' }, { id: 'c2', user: 'ana' }] }));
    expect(clicked.json(), clicked.body).toEqual({ failed: 0 });

    type Stored = { key: string; body: string };
    const objects: Stored[] = await until(
      async () => {
        const all: Stored[] = (await app.get('/fh-objects')).json();
        return ['processing-failed/', 'audit/', 'clicks/', 'source/', 'partner/'].every((p) => all.some((o) => o.key.startsWith(p))) && all.some((o) => /^\d{4}\//.test(o.key)) ? all : undefined;
      },
      'the delivery streams to write their objects',
      60_000,
    );
    const time = '\\d{4}/\\d{2}/\\d{2}/\\d{2}/';
    const suffix = (name: string, ext = '') => `${name}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}${ext.replace('.', '\\.')}`;
    const delivered = objects.filter((o) => /^\d{4}\//.test(o.key));
    expect(delivered).toHaveLength(1);
    expect(delivered[0].key).toMatch(new RegExp(`^${time}${suffix('firehose-s3-DeliveryStream')}$`));
    // The Ok records, transformed, one after the other as the function wrote them; the dropped one is gone.
    expect(delivered[0].body).toBe('{"id":"E1","name":"ANA"}\n{"id":"E3","name":"CY"}\n');
    const failed = objects.filter((o) => o.key.startsWith('processing-failed/'));
    expect(failed.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^processing-failed/${time}${suffix('firehose-s3-DeliveryStream')}$`))]);
    const failure = JSON.parse(failed[0].body);
    expect(failure).toMatchObject({ attemptsMade: 1, errorCode: 'Lambda.ProcessingFailedStatus', lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:TransformationFunction:$LATEST' });
    expect(Buffer.from(failure.rawData, 'base64').toString()).toBe('not json');
    // S3BackupMode Enabled: the source records as they came, before the function saw them.
    const source = objects.filter((o) => o.key.startsWith('source/'));
    expect(source.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^source/${time}${suffix('firehose-s3-DeliveryStream')}$`))]);
    expect(source[0].body).toBe('{"id":"e1","name":"ana"}{"id":"e2","name":"bo","drop":true}{"id":"e3","name":"cy"}not json');
    // The topic's raw message, a line, through the GZIP stream.
    const audit = objects.filter((o) => o.key.startsWith('audit/'));
    expect(audit.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^audit/${time}${suffix('firehose-s3-AuditDeliveryStream', '.gz')}$`))]);
    expect(audit[0].body).toBe('order 7 shipped\n');
    // The partner's HTTP endpoint does not resolve: the message lands under the failed prefix, as Firehose writes it.
    const partner = objects.filter((o) => o.key.startsWith('partner/'));
    expect(partner.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^partner/http-endpoint-failed/${time}${suffix('firehose-s3-PartnerDeliveryStream')}$`))]);
    const undelivered = JSON.parse(partner[0].body);
    expect(undelivered).toMatchObject({ errorCode: 'HttpEndpoint.RequestFailed', EndpointUrl: 'https://ingest.partner.example/firehose' });
    expect(Buffer.from(undelivered.rawData, 'base64').toString()).toBe('order 7 shipped\n');
    // The Kinesis stream's records, in the order they were put.
    const clicks = objects.filter((o) => o.key.startsWith('clicks/'));
    expect(clicks.map((o) => o.key)).toEqual([expect.stringMatching(new RegExp(`^clicks/${time}${suffix('firehose-s3-ClicksDeliveryStream')}$`))]);
    expect(clicks[0].body).toBe('{"id":"c1","user":"ana"}\n{"id":"c2","user":"ana"}\n');
  }, 180_000);

  it('secrets-config: a Node function reads a generated secret by its !Ref ARN at init (SDK v3, top-level await) and a generated JSON secret; a Python function reads the stack\'s SSM parameters by path (boto3); a function rotates a secret with PutSecretValue and reads AWSPREVIOUS; {{resolve:ssm}} and {{resolve:secretsmanager}} references in an environment are resolved; a redeploy regenerates nothing; parameters of type AWS::SSM::Parameter::Value<...> read Parameter Store as the stack deploys', async () => {
    // What an operator put in Parameter Store before: the template's SSM-typed parameters read it as the stack deploys.
    const ssm = new SSMClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await ssm.send(new PutParameterCommand({ Name: '/platform/name', Value: 'esb-local', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/platform/zones', Value: 'zone-a,zone-b', Type: 'StringList' }));
    ssm.destroy();
    const out = await deploy('secrets-config');
    expect(out).not.toContain('warning');
    const arnOf = (name: string) => secretArn(name, templateSecretSuffix(name));
    expect(out).toContain(`SECRET  ${arnOf('secretsconfig/MySecret')} (generated)`);
    expect(out).toContain(`SECRET  ${arnOf('WebhookSecret-secrets-config')} (given)`);
    expect(out).toContain('PARAM   /secrets-config/features (StringList)');
    expect(out).toMatch(/Secrets Manager and SSM: http:\/\/127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SSM\)/);
    const app = at('secrets-config');

    const read = await app.get('/cfg-secret');
    expect(read.status, read.body).toBe(200);
    const secret = read.json();
    // The ARN the template gave reaches the secret the provisioner made (its own random suffix).
    expect(secret).toMatchObject({ name: 'secretsconfig/MySecret', stages: ['AWSCURRENT'], dbName: 'secrets-config-DbSecret' });
    expect(secret.arn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:secretsconfig\/MySecret-[A-Za-z0-9]{6}$/);
    expect(secret.password).toHaveLength(30);
    expect(secret.password).not.toMatch(/["@/\\]/);
    expect(Object.keys(secret.db)).toEqual(['username', 'password']);
    expect(secret.db.username).toBe('admin');
    expect(secret.db.password).toMatch(/^[A-Za-z0-9]{20}$/);

    const config = await app.get('/cfg-config');
    expect(config.status, config.body).toBe(200);
    expect(config.json()).toEqual({
      values: { 'api/url': 'https://ServerlessRestApi.execute-api.us-east-1.amazonaws.com/Prod', 'db/host': 'db.internal', 'db/port': '5432', features: 'search,checkout' },
      features: ['search', 'checkout'],
      type: 'StringList',
      // {{resolve:...}} in its environment, from the provisioned parameters and the generated JSON secret.
      refs: { host: 'db.internal', url: 'postgres://admin@db.internal:5432/app', platform: 'esb-local', firstZone: 'zone-a' },
    });

    expect((await app.get('/cfg-rotate')).json()).toEqual({ current: 'whsec_initial', previous: null });
    const rotated = await app.send('POST', '/cfg-rotate', JSON.stringify({ value: 'whsec_rotated' }));
    expect(rotated.status, rotated.body).toBe(200);
    expect(rotated.json()).toEqual({ current: 'whsec_rotated', previous: 'whsec_initial' });

    // Deployed again (another parameter value, so the provisioner runs): the generated secrets
    // are not made again, the rotated one is not overwritten, the parameter follows the template.
    const again = await deploy('secrets-config', '--parameter-overrides', 'WebhookToken=whsec_other');
    expect(again).not.toContain('warning');
    expect((await app.get('/cfg-rotate')).json()).toEqual({ current: 'whsec_rotated', previous: 'whsec_initial' });
    const reread = await until(async () => {
      const r = await app.get('/cfg-secret');
      return r.status === 200 ? r.json() : undefined;
    }, 'the secret read again');
    expect([reread.password, reread.db.password]).toEqual([secret.password, secret.db.password]);
  }, 120_000);

  it('alb-lambda: an Application Load Balancer at <name>.elb.localhost: its rules forward by path and method to Lambda target groups (multi-value headers too), answer fixed responses and redirect; the HTTPS listener answers https; a failing function is a 502', async () => {
    const out = await deploy('alb-lambda');
    expect(out).toMatch(/2 functions, 0 routes/);
    expect(out).toContain(`ALB     http://shop-alb.elb.localhost:${port}/ (listeners HTTP:80, HTTPS:443, one port here)`);
    const lb = (method: string, p: string, headers: Record<string, string> = {}, body?: string) => request(method, p, { host: `shop-alb.elb.localhost:${port}`, headers, body });
    const hello = await lb('GET', '/hello?name=Ada%20L&x=1&x=2');
    expect([hello.status, hello.headers['set-cookie']]).toEqual([200, ['seen=1']]);
    const helloBody = hello.json();
    expect(helloBody).toMatchObject({ path: '/hello', method: 'GET', query: { name: 'Ada%20L', x: '2' }, proto: 'http', forwardedFor: '127.0.0.1', lbHost: 'shop-alb.elb.localhost' });
    expect(helloBody.targetGroup).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:targetgroup\/alb-lambda-hellotargetgroup\/[0-9a-f]{16}$/);

    const items = await lb('POST', '/api/items?a=1&a=2', { 'x-tag': 'a, b', 'content-type': 'application/octet-stream' }, 'hi');
    expect([items.status, items.headers['set-cookie'], items.json()]).toEqual([201, ['a=1', 'b=2'], { query: { a: ['1', '2'] }, tags: ['a, b'], base64: true, body: '6869' }]);
    expect((await lb('GET', '/api/items')).status).toBe(404);
    const missing = await lb('GET', '/nothing');
    expect([missing.status, missing.body]).toEqual([404, '404 Error!!! Page Not Found']);
    const maintenance = await lb('GET', '/hello', { 'x-maintenance': 'yes' });
    expect([maintenance.status, maintenance.json()]).toEqual([503, { message: 'down for maintenance' }]);
    const legacy = await lb('GET', '/old/page?version=legacy');
    expect([legacy.status, legacy.headers.location]).toEqual([302, `http://shop-alb.elb.localhost:${port}/v2/old/page?from=version=legacy`]);
    expect((await lb('GET', '/hello?fail=yes')).status).toBe(502);

    // https on the same port reaches the HTTPS listener, whose default action forwards.
    const ca = await readFile(path.join(ws, '.esb/staging/esb/default/config/tls/ca.pem'));
    const secure = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/anything', servername: 'shop-alb.elb.localhost', headers: { host: `shop-alb.elb.localhost:${port}` }, ca, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(secure)).toMatchObject({ path: '/anything', proto: 'https' });
  }, 120_000);

  it("nested-apps: an app of nested applications (AWS::Serverless::Application Location, AWS::CloudFormation::Stack TemplateURL) deploys whole: each service's functions, tables and routes from its own folder and Globals, parameters from the parent (another's output, a list), outputs read by the parent", async () => {
    const out = await deploy('nested-apps');
    expect(out).toMatch(/3 functions, 4 routes, 2 resources/);
    const app = at('nested-apps');
    expect((await app.get('/shop/config')).json()).toEqual({ usersTable: 'nested-apps-UsersService-UsersTable', ordersTable: 'nested-apps-OrdersService-OrdersTable', greeting: 'users of nested-apps-UsersService (dev)' });
    expect((await app.send('PUT', '/users/u1', JSON.stringify({ name: 'Ada' }))).status).toBe(201);
    expect((await app.get('/users/u1')).json()).toEqual({ id: 'u1', name: 'Ada' });
    const order = await app.send('POST', '/shop/orders', JSON.stringify({ id: 'o1', user: 'u1', currency: 'EUR' }));
    expect([order.status, order.json()]).toEqual([201, { id: 'o1', user: 'Ada', currency: 'EUR' }]);
    expect((await app.send('POST', '/shop/orders', JSON.stringify({ id: 'o2', user: 'u1', currency: 'JPY' }))).json()).toEqual({ message: 'currency JPY is not taken' });
    expect((await app.send('POST', '/shop/orders', JSON.stringify({ id: 'o3', user: 'nobody', currency: 'USD' }))).status).toBe(404);
    // A nested template's parameter checks hold: prod is allowed, test is not.
    const refused = await esb(['deploy', '-t', template('nested-apps'), '--workspace', ws, '--timeout', '60s', '--parameter-overrides', 'Stage=test']);
    expect(refused.code).toBe(1);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/users\/template\.yaml: Stage\S*: .*test/);
  }, 120_000);

  it("custom-resources: Lambda-backed custom resources seed a table (Python inline code with cfnresponse), publish a catalog (a raw function's ZipFile with cfn-response, run after what it depends on) guard the deploy (an ES module answering with fetch) and echo a greeting (a vendored cfn-response on https port 443); their answers reach a function's environment and a later one's properties; changed properties send Update; a FAILED answer fails the deploy, which the app survives", async () => {
    const out = await deploy('custom-resources');
    expect(out).toMatch(/4 custom resource\(s\) \(SeedTable created, PublishCatalog created, Guard created, Vendored created\)/);
    expect(out).toContain('CUSTOM  custom-resources/SeedTable (function custom-resources-SeedTableFunction)');
    const app = at('custom-resources');
    const product = (id: string, name: string, price: string, onSale: string, version: string, request: string, oldVersion: string) => ({ id, name, price, onSale, version, request, oldVersion });
    // Numbers and booleans reach the function as text, as CloudFormation sends them.
    expect((await app.get('/products')).json()).toEqual([product('p1', 'Kettle', '25', 'true', '1', 'Create', '-'), product('p2', 'Teapot', '40', 'false', '1', 'Create', '-')]);
    expect((await app.get('/catalog')).json()).toEqual({ version: '1', seeded: '2', seedId: 'seed-custom-resources-ProductsTable', names: ['Kettle', 'Teapot'] });
    expect((await app.get('/about')).json()).toEqual({
      seededCount: '2',
      catalogId: 'custom-resources-assetsbucket/catalog.json',
      catalogKey: 's3://custom-resources-assetsbucket/catalog.json',
      vendoredEcho: 'hello, answered over a vendored cfn-response', // https to port 443 written in, answered all the same
    });

    const updated = await deploy('custom-resources', '--parameter-overrides', 'CatalogVersion=2');
    expect(updated).toMatch(/SeedTable updated, PublishCatalog updated, Guard exists, Vendored exists/);
    expect((await app.get('/products')).json()).toEqual([product('p1', 'Kettle', '25', 'true', '2', 'Update', '1'), product('p2', 'Teapot', '40', 'false', '2', 'Update', '1')]);
    expect((await app.get('/catalog')).json()).toMatchObject({ version: '2' });

    const refused = await esb(['deploy', '-t', template('custom-resources'), '--workspace', ws, '--timeout', '90s', '--parameter-overrides', 'CatalogVersion=2', 'RefuseDeploy=yes']);
    expect(refused.code).toBe(1);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/CustomResourceFailed: custom resource "custom-resources\/Guard" \(Custom::Guard\) at http:\/\/\S+: the function answered FAILED: the guard refuses this deploy \(RefuseDeploy=yes\) \(not retried until/);
    expect((await app.get('/products')).json()).toHaveLength(2);
  }, 180_000);

  it('eventbridge-pipes: a queue piped through a filter and an enrichment function to a workflow; a table stream piped to a bus whose rule invokes a function; a Kinesis stream piped to a FIFO queue, grouped by partition key', async () => {
    const out = await deploy('eventbridge-pipes');
    expect(out).not.toContain('warning');
    // A pipe is a function with a mapping of its source: it shows as one.
    expect(out).toContain('STREAM  arn:aws:kinesis:us-east-1:123456789012:stream/eventbridge-pipes-ClickStream (1 shard) -> function eventbridge-pipes-ClicksPipe');
    const app = at('eventbridge-pipes');
    const post = async (p: string, body: unknown) => {
      const r = await app.send('POST', p, JSON.stringify(body));
      expect(r.status, r.body).toBe(200);
      return r.json();
    };
    const recorded = (prefix: string, n: number, what: string) =>
      until(
        async () => {
          const items = (await app.get('/pipe-records')).json().filter((i: { id: string }) => i.id.startsWith(prefix));
          return items.length >= n ? items : undefined;
        },
        what,
        60_000,
      );

    // Orders: the note is filtered out; the function prices the batch the template shaped; the workflow keeps each order.
    expect(await post('/pipe-orders', [{ type: 'order', id: 'o1', qty: 2 }, { type: 'note', id: 'n1', qty: 9 }, { type: 'order', id: 'o2', qty: 5 }])).toEqual({ sent: 3 });
    const orders = await recorded('order-', 2, 'the workflow to keep both orders');
    expect(orders).toEqual([
      { id: 'order-o1', qty: 2, total: 6, pricedBy: 'price-function', messageId: expect.stringMatching(/\S/) },
      { id: 'order-o2', qty: 5, total: 15, pricedBy: 'price-function', messageId: expect.stringMatching(/\S/) },
    ]);

    // Items: an insert reaches the bus as the template shaped it; a change is filtered out.
    await post('/pipe-items', [{ id: 'i1', name: 'lamp' }]);
    const [first] = await recorded('bus-', 1, 'the rule to get the new item');
    expect({ ...first, detail: JSON.parse(first.detail) }).toEqual({ id: 'bus-i1', source: 'app.items', detailType: 'ItemAdded', detail: { id: 'i1', name: 'lamp', pipe: 'eventbridge-pipes-ItemsPipe', eventName: 'INSERT' } });
    await post('/pipe-items', [{ id: 'i1', rename: 'desk lamp' }, { id: 'i2', name: 'chair' }]);
    const items = await recorded('bus-', 2, 'the rule to get the second item');
    expect(items.map((i: { detail: string }) => JSON.parse(i.detail))).toEqual([expect.objectContaining({ id: 'i1', name: 'lamp' }), expect.objectContaining({ id: 'i2', name: 'chair', eventName: 'INSERT' })]);

    // Clicks: the bot's is filtered out; each message is in its user's group, in order.
    expect(await post('/pipe-clicks', [{ id: 'c1', user: 'ana', kind: 'view' }, { id: 'c2', user: 'bo', kind: 'view' }, { id: 'c3', user: 'ana', kind: 'buy' }, { id: 'c4', user: 'crawler', kind: 'bot' }, { id: 'c5', user: 'bo', kind: 'buy' }])).toEqual({ failed: 0 });
    const clicks = await recorded('click-', 4, 'the reader to get the clicks through the FIFO queue');
    expect(clicks).toEqual([
      { id: 'click-c1', user: 'ana', group: 'ana', kind: 'view' },
      { id: 'click-c2', user: 'bo', group: 'bo', kind: 'view' },
      { id: 'click-c3', user: 'ana', group: 'ana', kind: 'buy' },
      { id: 'click-c5', user: 'bo', group: 'bo', kind: 'buy' },
    ]);
    const groups = (await app.get('/pipe-records')).json().filter((i: { id: string }) => i.id.startsWith('group-'));
    expect(groups).toEqual([
      { id: 'group-ana', clicks: ['c1', 'c3'] },
      { id: 'group-bo', clicks: ['c2', 'c5'] },
    ]);
  }, 180_000);

  it('rest-aws-integrations: a REST API whose methods call DynamoDB, Step Functions and EventBridge through Velocity mapping templates (OpenAPI and raw AWS::ApiGateway::Method), with no function between, and a Lambda custom integration', async () => {
    const out = await deploy('rest-aws-integrations');
    expect(out).not.toContain('warning');
    const app = at('rest-aws-integrations');
    const host = `rest-aws-integrations.localhost:${port}`;
    const post = (path: string, body: string, contentType = 'application/json') => request('POST', path, { host, body, headers: { 'content-type': contentType } });

    // PutItem: the note's id is the request's id ($context.requestId); GetItem flattens the item back.
    const created = await post('/notes-api/notes', JSON.stringify({ text: `Don't "panic" now` }));
    expect(created.status, created.body).toBe(201);
    const { id } = created.json();
    expect(id).toBe(created.headers['x-amzn-requestid']);
    const note = await app.get(`/notes-api/notes/${id}`);
    expect(note.status, note.body).toBe(200);
    expect(note.json()).toEqual({ id, text: `Don't "panic" now`, created: expect.any(Number) });
    const second = (await post('/notes-api/notes', JSON.stringify({ text: 'buy more milk' }))).json().id;

    // Scan, written out with #foreach; a header from the integration response's parameters.
    const listed = await app.get('/notes-api/notes');
    expect(listed.headers['cache-control']).toBe('no-store');
    expect(listed.json().count).toBe(2);
    expect(listed.json().notes.sort((a: { text: string }, b: { text: string }) => (a.text < b.text ? -1 : 1))).toEqual([
      { id, text: `Don't "panic" now` },
      { id: second, text: 'buy more milk' },
    ]);

    // A note that is not there: the response template sets 404 ($context.responseOverride).
    const missing = await app.get('/notes-api/notes/nope');
    expect([missing.status, missing.json()]).toEqual([404, { message: 'no note nope' }]);
    // DynamoDB refuses an item over 400 KB: its 400 takes the 4\d{2} integration response.
    const big = await post('/notes-api/notes', JSON.stringify({ text: 'x'.repeat(410_000) }));
    expect([big.status, big.json()]).toEqual([400, { message: 'Item size has exceeded the maximum allowed size' }]);
    // passthroughBehavior never: a body with no template for its type is refused.
    const plain = await post('/notes-api/notes', 'just text', 'text/plain');
    expect([plain.status, plain.json()]).toEqual([415, { message: 'Unsupported Media Type' }]);

    // StartSyncExecution of an Express machine that reads the note; its output through $util.parseJson.
    const summary = await app.get(`/notes-api/notes/${second}/summary`);
    expect(summary.status, summary.body).toBe(200);
    expect(summary.json()).toEqual({ id: second, words: 3, first: 'buy' });
    const noSummary = await app.get('/notes-api/notes/nope/summary');
    expect([noSummary.status, noSummary.json()]).toEqual([404, { message: 'no summary of nope', status: 'FAILED' }]);

    // PutEvents from the raw method; the bus's rule runs the function, which writes a note the API reads.
    const shared = await post('/notes-api/shares', JSON.stringify({ id: second, to: "Bob's team" }));
    expect(shared.status, shared.body).toBe(202);
    expect(shared.json()).toEqual({ eventId: expect.any(String), failed: 0 });
    const copy = await until(async () => {
      const r = await app.get(`/notes-api/notes/share-${second}`);
      return r.status === 200 ? r.json() : undefined;
    }, 'the note the NoteShared rule wrote');
    expect(copy).toMatchObject({ id: `share-${second}`, text: `${second} shared with Bob's team` });

    // DeleteItem with ReturnValues ALL_OLD: what was deleted, then 404.
    const deleted = await app.send('DELETE', `/notes-api/notes/${id}`);
    expect([deleted.status, deleted.json()]).toEqual([200, { deleted: id }]);
    expect((await app.send('DELETE', `/notes-api/notes/${id}`)).status).toBe(404);
    expect((await app.get(`/notes-api/notes/${id}`)).status).toBe(404);

    // A Lambda custom integration: the request template makes the function's event, the response
    // template its answer; a thrown "empty: ..." error is the 400 its selection pattern names.
    const words = await app.get("/notes-api/words/don't-panic");
    expect(words.status, words.body).toBe(200);
    expect(words.json()).toEqual({ text: "don't-panic", upper: "DON'T-PANIC", letters: 9 });
    expect(words.headers['x-letters']).toBe('9');
    const empty = await app.get('/notes-api/words/123');
    expect([empty.status, empty.json()]).toEqual([400, { message: 'empty: 123 has no letters' }]);
  }, 120_000);

  it('recursive-loop: a function that publishes to its own topic and one that sends to its own queue are stopped after 16 invocations, as Lambda stops them', async () => {
    await deploy('recursive-loop');
    const app = at('recursive-loop');
    expect((await app.send('POST', '/loops')).status).toBe(202);
    const counts = await until(
      async () => {
        const c = (await app.get('/loops')).json();
        return c.topic === 16 && c.queue === 16 ? c : undefined;
      },
      'both loops at 16 invocations',
      // An invocation that fails under load (a throttle) is retried a minute later, as Lambda does.
      150_000,
    );
    // Stopped, not slowed: a while later nothing more has run.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await app.get('/loops')).json()).toEqual(counts);
  }, 200_000);

  it('custom-runtime: provided.al2023 and provided.al2 functions run the bootstrap their code brings (one a file of CodeUri, one made by make) over the Runtime API', async () => {
    const out = await deploy('custom-runtime');
    expect(out).toMatch(/built 1: BuiltFunction makefile/);
    const app = at('custom-runtime');
    const hello = await app.get('/hello');
    expect(hello.status, hello.body).toBe(200);
    expect(hello.json()).toMatchObject({ greeting: 'hello from a custom runtime', handler: 'hello.handler', path: '/hello', taskRootHoldsMe: true });
    expect(hello.json().requestId).toMatch(/^[0-9a-f-]{36}$/);
    // An error the runtime posts is the function's error: the HTTP API answers 500.
    const failed = await app.get('/hello?fail=1');
    expect(failed.status).toBe(500);
    expect(failed.json()).toEqual({ message: 'Internal Server Error' });
    expect((await app.get('/built')).json()).toEqual({ builtBy: 'make' });
    expect((await app.get('/bash')).body).toMatch(/^bash answered [0-9a-f-]{36}$/);
  }, 180_000);

  it('rust-cargo: provided.al2023 functions built by SAM\'s rust-cargolambda builder (CodeUri: ., one binary of the project each, arm64 declared) answer over HTTP API routes', async () => {
    const out = await deploy('rust-cargo');
    expect(out).toMatch(/built 2: HelloFunction cargo [\d.]+ (KB|MB) [\d.]+s, EchoFunction cargo/);
    const app = at('rust-cargo');
    const hello = await app.get('/rust/hello');
    expect(hello.status, hello.body).toBe(200);
    // Built for this machine, where the process runtime runs it, whatever the template declares.
    expect(hello.json()).toMatchObject({ greeting: 'hello from Rust', arch: process.arch === 'x64' ? 'x86_64' : 'aarch64' });
    expect(hello.json().requestId).toMatch(/^[0-9a-f-]{36}$/);
    const echo = await request('POST', '/rust/echo', { host: `rust-cargo.localhost:${port}`, body: 'stressed', headers: { 'content-type': 'text/plain' } });
    expect([echo.status, echo.json()]).toEqual([200, { reversed: 'desserts' }]);
  }, 180_000);

  it("go-functions: a provided.al2023 function built by SAM's go1.x builder (its code folder a package of the module above) and a deprecated go1.x function whose Handler names its executable answer over HTTP API routes", async () => {
    const out = await deploy('go-functions');
    expect(out).toMatch(/built 2: HelloFunction go [\d.]+ (KB|MB) [\d.]+s, LegacyFunction go/);
    expect(out).toMatch(/LegacyFunction: runtime go1\.x is deprecated by AWS Lambda; esb runs it on the executable its Handler names/);
    const app = at('go-functions');
    const hello = await app.get('/go/hello');
    expect([hello.status, hello.json()]).toEqual([200, { greeting: 'hello from Go', path: '/go/hello', goos: 'linux', runtime: 'AWS_Lambda_provided.al2023' }]);
    const legacy = await app.get('/go/legacy');
    expect(legacy.status, legacy.body).toBe(200);
    expect(legacy.json()).toMatchObject({ handler: 'main', executable: expect.stringMatching(/\/main$/) });
  }, 180_000);

  it('monorepo: a template in infrastructure/ whose code (../src) and layer (../shared) lie beside it in the workspace; a code edit redeploys; paths out of the workspace are refused', async () => {
    const repo = path.join(ws, 'monorepo');
    await cp(path.join(APPS, 'monorepo'), repo, { recursive: true });
    const templateFile = path.join(repo, 'infrastructure', 'template.yaml');
    const r = await esb(['deploy', '-t', templateFile, '--workspace', ws, '--timeout', '90s']);
    expect(r.stderr, r.stdout).toBe('');
    expect(r.code, r.stdout).toBe(0);
    // SAM's rule: the stack is named after the folder of template.yaml.
    expect((await at('infrastructure').get('/orders/42')).json()).toEqual({ order: '42', total: '12.50' });

    // The controller watches ../src like any code folder.
    const handler = path.join(repo, 'src', 'orders', 'app.py');
    await writeFile(handler, (await readFile(handler, 'utf8')).replace('"order": order_id', '"order": order_id, "edited": True'));
    await until(async () => (await at('infrastructure').get('/orders/7')).json().edited === true, 'the edited handler answers', 60_000);

    // Climbing out of the workspace is refused, naming the file, the field and the folder.
    await writeFile(templateFile, (await readFile(templateFile, 'utf8')).replace('CodeUri: ../src/orders/', 'CodeUri: ../../../etc/'));
    const out = await esb(['deploy', '-t', templateFile, '--workspace', ws, '--timeout', '60s']);
    expect(out.code).not.toBe(0);
    expect(`${out.stdout}${out.stderr}`).toMatch(/template\.yaml.*OrdersFunction.*CodeUri.*"\.\.\/\.\.\/\.\.\/etc\/" escapes the workspace/);
    // The last good deploy still serves.
    expect((await at('infrastructure').get('/orders/8')).json()).toMatchObject({ order: '8', edited: true });
  }, 180_000);

  it('samconfig: `esb deploy` in the app folder, no flags, takes template.yaml and samconfig.toml as sam deploy does (stack_name, quoted parameter_overrides, --config-env, flags win)', async () => {
    const app = path.join(APPS, 'samconfig');
    const r = await esb(['deploy', '--workspace', ws, '--timeout', '90s'], {}, 120_000, app);
    expect(r.stderr, r.stdout).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('samconfig.toml: [default.global.parameters] + [default.deploy.parameters]');
    expect(r.stdout).toContain('deployment default/greeter-default written');
    expect((await at('greeter').get('/greet')).json()).toEqual({ greeting: 'hello there', stage: 'dev', audience: 'world' });

    const prod = await esb(['deploy', '--config-env', 'prod', '--parameter-overrides', 'Audience="from the flag"', '--workspace', ws, '--timeout', '90s'], {}, 120_000, app);
    expect(prod.code, prod.stdout + prod.stderr).toBe(0);
    expect((await at('greeter-prod').get('/greet')).json()).toEqual({ greeting: 'hi', stage: 'prod', audience: 'from the flag' });

    const missing = await esb(['deploy', '--config-env', 'staging', '--workspace', ws, '--timeout', '30s'], {}, 60_000, app);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`${path.join(app, 'samconfig.toml')}: no config env "staging" (it has default, prod)`);
  }, 180_000);

  it('guided-params: parameters without a Default are all named at once; `esb deploy --guided` asks for each (checked against its pattern, allowed values and bounds, asked again when refused), saves them to samconfig.toml, and the next `esb deploy` reads them; an env.json (--env-vars) sets declared variables', async () => {
    // A copy inside the workspace: --guided writes samconfig.toml beside the template.
    const app = path.join(ws, 'guided-params');
    await cp(path.join(APPS, 'guided-params'), app, { recursive: true });
    const bare = await esb(['deploy', '--workspace', ws, '--timeout', '60s'], {}, 90_000, app);
    expect(bare.code).not.toBe(0);
    expect(bare.stdout + bare.stderr).toContain('UploadBucketName.Default: no value: the parameter has no Default and no override was given (nor have NotificationEmail); give values with esb deploy --guided');

    const answers = ['', 'Uploads_Bucket', 'uploads-guided', '', 'not-an-email', 'me@example.com', 'staging', 'prod', '365', '30'];
    const guided = await esbWithInput(['deploy', '--guided', '--workspace', ws, '--timeout', '90s'], answers.map((a) => `${a}\n`).join(''), app);
    expect(guided.code, guided.stdout + guided.stderr).toBe(0);
    const asked = guided.stdout.split('\n');
    expect(asked).toContain('Stack Name [guided-params]: ');
    expect(asked).toContain('Parameter UploadBucketName (Name of the bucket uploads go to; lower-case letters, digits, dots and hyphens): ');
    expect(asked).toContain('  AllowedPattern: value "Uploads_Bucket" does not match [a-z0-9][a-z0-9.-]{1,61}[a-z0-9] (lower-case letters, digits, dots and hyphens)');
    expect(asked).toContain('  a value is needed: the parameter has no Default');
    expect(asked).toContain('  AllowedValues: value "staging" is not one of dev, prod');
    expect(asked).toContain('Parameter RetentionDays [7]: ');
    expect(asked).toContain('  MaxValue: value 365 is above 90');
    expect(asked).toContain('saved to samconfig.toml [default.deploy.parameters]');
    expect((await at('guided-params').get('/config')).json()).toEqual({ bucket: 'uploads-guided', note: 'notify me@example.com', stage: 'prod', retentionDays: 30 });
    const saved = await readFile(path.join(app, 'samconfig.toml'), 'utf8');
    expect(saved).toContain('[default.deploy.parameters]');
    expect(saved).toContain('stack_name = "guided-params"');
    expect(saved).toContain('parameter_overrides = "UploadBucketName=\\"uploads-guided\\" NotificationEmail=\\"me@example.com\\" Stage=\\"prod\\" RetentionDays=\\"30\\""');

    // Asked again, Enter keeps what samconfig holds; a comment of the user's stays.
    await writeFile(path.join(app, 'samconfig.toml'), `# mine, keep me\n${saved}`);
    const again = await esbWithInput(['deploy', '--guided', '--workspace', ws, '--timeout', '90s'], '\n\n\ndev\n\n', app);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('Parameter NotificationEmail (Who is told of each upload) [me@example.com]: ');
    const resaved = await readFile(path.join(app, 'samconfig.toml'), 'utf8');
    expect(resaved.startsWith('# mine, keep me\n')).toBe(true);
    expect(resaved).toContain('Stage=\\"dev\\"');

    // No flags: samconfig.toml's answers, no questions.
    const plain = await esb(['deploy', '--workspace', ws, '--timeout', '90s'], {}, 120_000, app);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('Parameter ');
    expect((await at('guided-params').get('/config')).json()).toEqual({ bucket: 'uploads-guided', note: 'notify me@example.com', stage: 'dev', retentionDays: 30 });

    // SAM CLI's env.json: declared variables change (every function's, then the function's own); an undeclared one is named.
    await writeFile(path.join(app, 'env.json'), JSON.stringify({ Parameters: { EMAIL: 'ops@example.com' }, ConfigFunction: { STAGE: 'from-env-json', RETENTION_DAYS: 3, UNDECLARED: 'x' } }));
    const withEnv = await esb(['deploy', '--env-vars', 'env.json', '--workspace', ws, '--timeout', '90s'], {}, 120_000, app);
    expect(withEnv.code, withEnv.stdout + withEnv.stderr).toBe(0);
    expect(withEnv.stdout).toContain("env vars: ConfigFunction.UNDECLARED not declared in the function's Environment.Variables; not set");
    expect((await at('guided-params').get('/config')).json()).toEqual({ bucket: 'uploads-guided', note: 'notify ops@example.com', stage: 'from-env-json', retentionDays: 3 });
    await writeFile(path.join(app, 'bad-env.json'), '{"ConfigFunction": {"STAGE": ["x"]}}');
    const bad = await esb(['deploy', '--env-vars', 'bad-env.json', '--workspace', ws, '--timeout', '30s'], {}, 60_000, app);
    expect([bad.code, bad.stderr]).toEqual([1, 'esb deploy: bad-env.json: ConfigFunction.STAGE: must be a string, number or boolean\n']);
  }, 240_000);

  it('http-integrations: REST methods that pass requests through to an HTTP backend (HTTP_PROXY, greedy path), reshape its answer (HTTP with templates and a selection pattern), answer by themselves (MOCK) and read and write a bucket (S3); an HTTP API that proxies (http_proxy)', async () => {
    // The backend an ALB would be on AWS: a plain HTTP server.
    const seen: Array<{ method: string; url: string; via?: string }> = [];
    const backend = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, via: req.headers['x-via'] as string | undefined });
        const url = new URL(req.url!, 'http://backend');
        const body = Buffer.concat(chunks).toString('utf8');
        const animal = /^\/animals\/(\w+)$/.exec(url.pathname);
        if (animal) {
          if (animal[1] !== 'cat') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"none"}');
          return void res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'backend-1' }).end(JSON.stringify({ name: 'cat', legs: 4, kind: url.searchParams.get('kind') }));
        }
        res.writeHead(url.pathname === '/echo' ? 200 : 201, [
          ['content-type', 'application/json'],
          ['x-custom', 'yes'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
        ]);
        res.end(JSON.stringify({ method: req.method, path: url.pathname, query: url.search, via: req.headers['x-via'] ?? null, body }));
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    try {
      const backendUrl = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
      const out = await deploy('http-integrations', '--parameter-overrides', `BackendUrl=${backendUrl}`);
      // Other stacks' routes of the same paths on the merged host are taken over, and said so; nothing else is warned of.
      expect(out.split('\n').filter((l) => l.startsWith('warning') && !l.includes('took over route'))).toEqual([]);
      const app = at('http-integrations');

      const proxied = await request('POST', '/backend/orders/7?x=1&x=2', { host: `http-integrations.localhost:${port}`, body: 'hello', headers: { 'content-type': 'text/plain' } });
      expect(proxied.status, proxied.body).toBe(201);
      expect(proxied.headers['x-custom']).toBe('yes');
      expect(proxied.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(proxied.json()).toEqual({ method: 'POST', path: '/orders/7', query: '?x=1&x=2', via: 'api-gateway', body: 'hello' });

      const cat = await app.get('/pets/cat');
      expect(cat.status, cat.body).toBe(200);
      expect(cat.json()).toEqual({ pet: 'cat', legs: 4, asked: 'GET' });
      expect(cat.headers['x-backend']).toBe('backend-1');
      expect(seen).toContainEqual({ method: 'GET', url: '/animals/cat?kind=pet', via: undefined });
      const dog = await app.get('/pets/dog');
      expect([dog.status, dog.json()]).toEqual([404, { message: 'no such pet' }]);

      expect([(await app.get('/status')).status, (await app.get('/status')).json()]).toEqual([200, { status: 'up', stage: 'Prod' }]);
      const down = await app.get('/status?down=yes');
      expect([down.status, down.json()]).toEqual([503, { status: 'down' }]);

      const put = await request('PUT', '/files/docs/a.txt', { host: `http-integrations.localhost:${port}`, body: 'text here', headers: { 'content-type': 'text/plain' } });
      expect([put.status, put.json()]).toEqual([200, { stored: 'docs/a.txt' }]);
      const s3 = new S3Client({ endpoint: dev.info.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const object = await s3.send(new GetObjectCommand({ Bucket: 'http-integrations-files', Key: 'docs/a.txt' }));
      expect([await object.Body!.transformToString(), object.ContentType]).toEqual(['text here', 'text/plain']);
      const got = await app.get('/files/docs/a.txt');
      expect([got.status, got.body, got.headers['content-type']]).toEqual([200, 'text here', 'text/plain']);
      const missing = await app.get('/files/nothing.txt');
      expect([missing.status, missing.json()]).toEqual([404, { message: 'no such file' }]);

      const echoed = await app.send('POST', '/echo', '{"a":1}');
      expect(echoed.status, echoed.body).toBe(200);
      expect(echoed.json()).toEqual({ method: 'POST', path: '/echo', query: '', via: null, body: '{"a":1}' });
    } finally {
      backend.close();
    }
  }, 180_000);

  it('esb invoke: a deployed function run once by its logical id (the stack from --stack-name or from the template.yaml of the folder), the event from a file, stdin or inline; its log on stderr; a failure exits 1 with the error document; a function with ReservedConcurrentExecutions 0 is throttled', async () => {
    await deploy('hello-node');
    await deploy('lambda-destinations');
    const hello = await esb(['invoke', 'HelloWorldFunction', '--stack-name', 'hello-node', '--workspace', ws]);
    expect(hello.code, hello.stderr).toBe(0);
    expect(JSON.parse(JSON.parse(hello.stdout).body)).toEqual({ message: 'hello world', app: 'hello-node', function: 'hello-node-HelloWorldFunction' });
    expect(hello.stderr).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/);
    expect(hello.stderr).toMatch(/\nREPORT RequestId: [0-9a-f-]{36}\tDuration: /);

    // In the app's folder: its template.yaml names the stack; the event from a file.
    const app = path.join(APPS, 'lambda-destinations');
    const eventFile = path.join(ws, 'order-event.json');
    await writeFile(eventFile, '{"id": "o-1"}');
    const accepted = await esb(['invoke', 'OrderFunction', '-e', eventFile, '--workspace', ws], {}, 60_000, app);
    expect([accepted.code, JSON.parse(accepted.stdout)]).toEqual([0, { accepted: 'o-1' }]);
    const declined = await esbWithInput(['invoke', 'OrderFunction', '-e', '-', '--workspace', ws], '{"id": "o-2", "decline": true}', app);
    expect(declined.code).toBe(1);
    expect(JSON.parse(declined.stdout)).toMatchObject({ errorType: 'Error', errorMessage: 'order o-2 declined' });
    // Its key works anywhere, the event inline.
    const byKey = await esb(['invoke', 'lambda-destinations-OrderFunction', '--event-json', '{"id": "o-3"}', '--workspace', ws]);
    expect([byKey.code, JSON.parse(byKey.stdout)]).toEqual([0, { accepted: 'o-3' }]);

    // ReservedConcurrentExecutions 0: Lambda throttles it.
    const paused = await esb(['invoke', 'PausedFunction', '--event-json', '{"id": "o-4"}', '--workspace', ws], {}, 60_000, app);
    expect([paused.code, paused.stdout]).toEqual([1, '']);
    expect(paused.stderr).toContain('lambda-destinations-PausedFunction: the Invoke API answered 429: ');
    expect(JSON.parse(paused.stderr.slice(paused.stderr.indexOf('{')))).toMatchObject({ __type: 'TooManyRequestsException', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });

    const missing = await esb(['invoke', 'NoSuchFunction', '--stack-name', 'hello-node', '--workspace', ws]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`esb invoke: no function NoSuchFunction (nor hello-node-NoSuchFunction) is deployed in ${ws}`);
    const notJson = await esb(['invoke', 'HelloWorldFunction', '--stack-name', 'hello-node', '--event-json', '{oops', '--workspace', ws]);
    expect([notJson.code, notJson.stderr]).toEqual([1, expect.stringContaining('esb invoke: --event-json: not JSON')]);
  }, 180_000);

  it('websocket-chat: a WebSocket API whose $connect runs a REQUEST authorizer and stores the connection, sendmessage posts to every connection through the Management API (SDK v3, https://${domainName}/${stage}), a two-way Python route asks GetConnection (boto3, an execute-api URL from !Sub), an AWS integration queues a message that a function answers on the sender\'s connection, another starts a workflow whose apigateway:invoke task answers, and $disconnect forgets it', async () => {
    const out = await deploy('websocket-chat');
    expect(out).not.toContain('warning');
    expect(out).toContain(`WEBSOCKET ws://websocket-chat.localhost:${port}/prod`);
    const host = `websocket-chat.localhost:${port}`;
    const connect = (query: string) =>
      new Promise<{ ws: WebSocket; next: () => Promise<string> }>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/prod?${query}`, { headers: { Host: host } });
        const inbox: string[] = [];
        const waiting: Array<(m: string) => void> = [];
        socket.on('message', (d) => {
          const w = waiting.shift();
          if (w) w(d.toString());
          else inbox.push(d.toString());
        });
        socket.once('open', () => resolve({ ws: socket, next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiting.push(r))) }));
        socket.once('unexpected-response', (_q, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
        socket.once('error', reject);
      });
    const db = new DynamoDBClient({ endpoint: dev.info.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const table = (await db.send(new ListTablesCommand({}))).TableNames!.find((t) => t.includes('ConnectionsTable'))!;
    const stored = async () => ((await db.send(new ScanCommand({ TableName: table }))).Items ?? []).map((i) => i.user!.S).sort();

    await expect(connect('token=nope&user=eve')).rejects.toThrow('handshake answered 403');
    await expect(connect('user=eve')).rejects.toThrow('handshake answered 401');
    const ana = await connect('token=letmein&user=ana');
    const bo = await connect('token=letmein&user=bo');
    expect(await stored()).toEqual(['ana', 'bo']);

    ana.ws.send(JSON.stringify({ action: 'sendmessage', data: 'hello' }));
    expect(await ana.next()).toBe('ana: hello');
    expect(await bo.next()).toBe('ana: hello');

    bo.ws.send(JSON.stringify({ action: 'whoami' }));
    const me = JSON.parse(await bo.next());
    expect(me).toMatchObject({ user: 'bo', sourceIp: '127.0.0.1', connectionId: expect.stringMatching(/=$/) });
    expect(Date.parse(me.connectedAt)).toBeGreaterThan(Date.now() - 120_000);

    ana.ws.send(JSON.stringify({ action: 'enqueue', text: 'later', room: 'r1' }));
    expect(JSON.parse(await ana.next())).toEqual({ queued: 'later', room: 'r1' });

    ana.ws.send(JSON.stringify({ action: 'workflow', topic: 'news' }));
    expect(JSON.parse(await ana.next())).toEqual({ workflow: 'news' });

    await new Promise((r) => (bo.ws.once('close', r), bo.ws.close()));
    await until(async () => ((await stored()).length === 1 ? true : undefined), '$disconnect to remove bo');
    expect(await stored()).toEqual(['ana']);
    ana.ws.close();
    db.destroy();
  }, 180_000);

  it('appsync-notes: a GraphQL API with an API key and IAM; Velocity resolvers on a DynamoDB table (create, get, list), a JavaScript pipeline resolver (delete), a direct Lambda resolver, a NONE data source, field-level auth directives, a subscription, an EventBridge rule targeting the API, and a Python function that calls the API through its GraphQLUrl signed for IAM', async () => {
    const out = await deploy('appsync-notes');
    expect(out).not.toContain('warning');
    const line = /GRAPHQL +(\S+) .*key (da2-[a-z0-9]{26})/.exec(out);
    expect(line, out).not.toBeNull();
    const [, url, key] = line!;
    expect(url).toBe(`http://appsync-notes.localhost:${port}/graphql`);
    const app = at('appsync-notes');
    const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = { 'x-api-key': key }) => {
      const r = await request('POST', '/graphql', { host: `appsync-notes.localhost:${port}`, body: JSON.stringify({ query, variables }), headers: { 'content-type': 'application/json', ...headers } });
      return { status: r.status, ...(r.body ? r.json() : {}) };
    };

    // A subscriber on the real-time endpoint (the GraphQL URL + /realtime, AppSync's protocol).
    const header = Buffer.from(JSON.stringify({ host: `appsync-notes.localhost:${port}`, 'x-api-key': key })).toString('base64');
    const sub = new WebSocket(`ws://127.0.0.1:${port}/graphql/realtime?header=${encodeURIComponent(header)}&payload=e30=`, 'graphql-ws', { headers: { host: `appsync-notes.localhost:${port}` } });
    const received: Array<Record<string, any>> = [];
    sub.on('message', (d) => received.push(JSON.parse(d.toString())));
    await new Promise((resolve, reject) => (sub.once('open', resolve), sub.once('error', reject)));
    sub.send(JSON.stringify({ type: 'connection_init' }));
    await until(() => received.some((m) => m.type === 'connection_ack'), 'connection_ack', 10_000);
    sub.send(JSON.stringify({ id: 'notes', type: 'start', payload: { data: JSON.stringify({ query: 'subscription { onCreateNote { id title } }', variables: {} }), extensions: { authorization: { host: `appsync-notes.localhost:${port}`, 'x-api-key': key } } } }));
    await until(() => received.some((m) => m.id === 'notes'), 'the answer to start', 10_000);
    expect(received.find((m) => m.id === 'notes')).toEqual({ id: 'notes', type: 'start_ack' });

    const created = await gql('mutation ($t: String!, $b: String) { createNote(title: $t, body: $b) { id title body createdAt } }', { t: 'first', b: 'one two three' });
    expect(created.errors).toBeUndefined();
    const note = created.data.createNote;
    await until(() => received.some((m) => m.type === 'data'), 'the createNote data message', 10_000);
    expect(received.find((m) => m.type === 'data')).toEqual({ id: 'notes', type: 'data', payload: { data: { onCreateNote: { id: note.id, title: 'first' } } } });
    sub.close();
    expect(note).toMatchObject({ title: 'first', body: 'one two three' });
    expect(Date.parse(note.createdAt)).toBeGreaterThan(Date.now() - 120_000);
    expect(note.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await gql('query ($id: ID!) { getNote(id: $id) { title body } }', { id: note.id })).data).toEqual({ getNote: { title: 'first', body: 'one two three' } });
    await gql('mutation { createNote(title: "second", body: "x") { id } }');
    const listed = await gql('{ listNotes { items { title } } }');
    expect(listed.data.listNotes.items.map((n: { title: string }) => n.title).sort()).toEqual(['first', 'second']);
    expect((await gql('{ wordCount(text: "a b c d") }')).data).toEqual({ wordCount: 4 });

    // The API key cannot read an IAM-only field; no key at all is refused.
    const denied = await gql('{ stats { count } }');
    expect(denied.data).toEqual({ stats: null });
    expect(denied.errors[0]).toMatchObject({ errorType: 'Unauthorized' });
    expect((await gql('{ wordCount(text: "x") }', {}, {})).status).toBe(401);

    // A pipeline resolver with a JavaScript function: deleted once, then an error the code raised.
    expect((await gql('mutation ($id: ID!) { deleteNote(id: $id) { title } }', { id: note.id })).data).toEqual({ deleteNote: { title: 'first' } });
    const again = await gql('mutation ($id: ID!) { deleteNote(id: $id) { title } }', { id: note.id });
    expect(again.errors[0]).toMatchObject({ errorType: 'NotFound', message: `no note ${note.id}` });

    // A function reaches the API at its GraphQLUrl (put on the gateway over https), signed for IAM.
    const report = await app.get('/notes-report');
    expect(report.status, report.body).toBe(200);
    const { url: seenUrl, answer } = report.json();
    expect(seenUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/appsync-api\/[a-z0-9]+\/graphql$/);
    expect(answer.errors).toBeUndefined();
    expect(answer.data.stats).toEqual({ count: 0, by: expect.stringMatching(/^arn:aws:/) });
    expect(answer.data.listNotes.items).toEqual([{ title: 'second' }]);

    // An event on the default bus becomes a note: the rule's AppSync target runs createNote.
    const events = new EventBridgeClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'app.notes', DetailType: 'NoteRequested', Detail: JSON.stringify({ title: 'from an event', body: 'bus' }) }] }));
    events.destroy();
    const titles = await until(async () => {
      const list = (await gql('{ listNotes { items { title body } } }')).data.listNotes.items as Array<{ title: string; body: string }>;
      return list.some((n) => n.title === 'from an event') ? list : undefined;
    }, 'the rule to create the note');
    expect(titles.find((n) => n.title === 'from an event')).toEqual({ title: 'from an event', body: 'bus' });
  }, 180_000);

  it('a template whose functions nothing reaches says so loudly, and is not a silent "Ready, 0 routes"', async () => {
    const dir = await mkdtemp(path.join(ws, 'broker-'));
    await writeFile(path.join(dir, 'index.js'), 'exports.handler = async () => {};\n');
    await writeFile(
      path.join(dir, 'template.yaml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Broker: {Type: AWS::AmazonMQ::Broker, Properties: {BrokerName: jobs}}\n  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: nodejs20.x\n      Events:\n        Jobs: {Type: MQ, Properties: {Broker: !GetAtt Broker.Arn, Queues: [jobs]}}\n',
    );
    const r = await esb(['deploy', '-t', path.join(dir, 'template.yaml'), '--workspace', ws, '--timeout', '90s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning: UNREACHABLE: no route reaches Worker (events of type MQ)');
    expect(r.stdout).toContain('warning: NO ROUTES: the template defines 1 function(s) but no route esb understands; not run: AWS::AmazonMQ::Broker');
  }, 120_000);
});
