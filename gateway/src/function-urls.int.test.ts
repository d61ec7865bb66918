// Function URLs (docs/gateway.md, "Function URLs"): each function with a URL is served at
// http://<label>.lambda-url.localhost:<port>/ as an HTTP API `$default` route, its CORS
// answered there, and AuthType AWS_IAM asking for SigV4-signed requests. Real HTTP.
import type { FunctionsFile } from '@esb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './server.js';
import { functionsOf } from './testing/config.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';
import { send, signedHeaders } from './testing/http.js';

const KEY = { accessKeyId: 'AKIDESBURLTEST01', secretAccessKey: 'url-secret-for-the-test' };
const echo = (e: { rawPath: string; routeKey: string; version: string; body?: string; requestContext: { http: { method: string } } }) => ({
  statusCode: 200,
  body: JSON.stringify({ path: e.rawPath, method: e.requestContext.http.method, routeKey: e.routeKey, version: e.version, body: e.body ?? null }),
});

function withUrls(): FunctionsFile {
  const functions = functionsOf('Hooks_Receiver', 'reports', 'plain');
  functions.functions.Hooks_Receiver.url = { auth_type: 'NONE', invoke_mode: 'BUFFERED', cors: { allow_origins: ['https://app.example'], allow_methods: ['POST'], allow_headers: [], expose_headers: [], allow_credentials: false } };
  functions.functions.reports.url = { auth_type: 'AWS_IAM', invoke_mode: 'BUFFERED' };
  return functions;
}

/** Signs as an AWS SDK signs a call to a function URL (service lambda). */
const signed = (host: string, method: string, path: string, body: string, credentials = KEY) =>
  signedHeaders({ host, method, path, body, credentials, service: 'lambda', headers: { 'content-type': 'application/json' } });

describe('function URLs on a loopback gateway', () => {
  const invoker = new FakeInvoker({ Hooks_Receiver: echo, reports: echo, plain: echo });
  let gw: RunningGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startGateway({ invoker, host: '127.0.0.1', port: 0, log: memoryLogger().log, initialConfig: { functions: withUrls() } });
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());

  it('serve every path and method of the function at its own host, as payload 2.0 $default', async () => {
    const host = `hooks-receiver.lambda-url.localhost:${port}`;
    const r = await send(port, host, 'POST', '/github/push?x=1', { 'content-type': 'application/json' }, '{"ref":"main"}');
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ path: '/github/push', method: 'POST', routeKey: '$default', version: '2.0', body: '{"ref":"main"}' });
    expect(invoker.calls.at(-1)?.name).toBe('Hooks_Receiver');
    // A function without a URL, or a label no function has: nothing there.
    expect((await send(port, `plain.lambda-url.localhost:${port}`, 'GET', '/')).status).toBe(404);
    expect((await send(port, `nobody.lambda-url.localhost:${port}`, 'GET', '/')).status).toBe(404);
  });

  it("answer CORS preflights with the URL's Cors", async () => {
    const r = await send(port, `hooks-receiver.lambda-url.localhost:${port}`, 'OPTIONS', '/github', { origin: 'https://app.example', 'access-control-request-method': 'POST' });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(r.headers['access-control-allow-methods']).toBe('POST');
  });

  it('refuse an unsigned request to an AWS_IAM URL; on loopback, any signature by a well-formed key passes', async () => {
    const host = `reports.lambda-url.localhost:${port}`;
    const before = invoker.calls.length;
    const unsigned = await send(port, host, 'POST', '/daily', { 'content-type': 'application/json' }, '{}');
    expect([unsigned.status, JSON.parse(unsigned.body)]).toEqual([403, { Message: 'Forbidden' }]);
    expect(invoker.calls.length).toBe(before);
    const ok = await send(port, host, 'POST', '/daily', await signed(host, 'POST', '/daily', '{}', { accessKeyId: 'AKIDSOMEPROFILE', secretAccessKey: 'whatever' }), '{}');
    expect(ok.status, ok.body).toBe(200);
  });
});

describe('function URLs on a gateway beyond loopback', () => {
  const invoker = new FakeInvoker({ Hooks_Receiver: echo, reports: echo });
  let gw: RunningGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startGateway({
      invoker,
      host: '0.0.0.0',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { functions: withUrls() },
      invokeApi: { open: false, accessKeys: new Map([[KEY.accessKeyId, KEY.secretAccessKey]]), tokens: new Set() },
    });
    port = Number(new URL(gw.url).port);
  });
  afterAll(() => gw.close());

  it('let an AWS_IAM URL through only with a valid signature by a configured key', async () => {
    const host = `reports.lambda-url.localhost:${port}`;
    const good = await send(port, host, 'POST', '/daily', await signed(host, 'POST', '/daily', '{"n":1}'), '{"n":1}');
    expect(good.status, good.body).toBe(200);
    const wrongSecret = await send(port, host, 'POST', '/daily', await signed(host, 'POST', '/daily', '{"n":1}', { ...KEY, secretAccessKey: 'not-the-secret' }), '{"n":1}');
    expect(wrongSecret.status).toBe(403);
    const unknownKey = await send(port, host, 'POST', '/daily', await signed(host, 'POST', '/daily', '{}', { accessKeyId: 'AKIDSOMEPROFILE', secretAccessKey: 'whatever' }), '{}');
    expect(unknownKey.status).toBe(403);
    // The body is part of what is signed.
    const tampered = await send(port, host, 'POST', '/daily', await signed(host, 'POST', '/daily', '{"n":1}'), '{"n":2}');
    expect(tampered.status).toBe(403);
    // A NONE URL needs nothing.
    expect((await send(port, `hooks-receiver.lambda-url.localhost:${port}`, 'GET', '/')).status).toBe(200);
  });
});
