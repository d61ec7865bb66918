// The data plane's front over real HTTP: it answers as fastify's catch-all route does (app.inject
// goes through fastify), reads bodies with the same limit and errors, and leaves the gateway's own
// paths, encoded paths and unusual requests to fastify.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './server.js';
import { apiOf, functionsOf, routingOf } from './testing/config.js';
import { FakeInvokeError, FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const invoker = new FakeInvoker({
  fn: async (e: { pathParameters?: { kind?: string } | null; body?: string | null; isBase64Encoded: boolean; headers: Record<string, string> }) => {
    switch (e.pathParameters?.kind) {
      case 'cookies':
        return { statusCode: 200, headers: { 'X-A': '1' }, multiValueHeaders: { 'X-M': ['a', 'b'] }, cookies: ['a=1', 'b=2'], body: 'hi' };
      case 'b64':
        return { statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: Buffer.from([1, 2, 250]).toString('base64') };
      case 'nocontent':
        return { statusCode: 204, body: 'dropped' };
      case 'badheader':
        return { statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' };
      case 'throttled':
        throw new FakeInvokeError('Throttled');
      case 'slow':
        await sleep(500);
        return { statusCode: 200, body: 'late' };
      default:
        return { statusCode: 200, body: JSON.stringify({ kind: e.pathParameters?.kind, body: e.body ?? null, base64: e.isBase64Encoded, ct: e.headers['content-type'] ?? e.headers['Content-Type'] ?? null }) };
    }
  },
  authz: (e: { authorizationToken?: string; methodArn: string }) => ({
    principalId: 'p',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: e.authorizationToken === 'allow' ? 'Allow' : 'Deny', Resource: e.methodArn }] },
  }),
});

const routing = routingOf(
  [
    ['ANY', '/r/{kind}', 'fn', 'rest'],
    ['ANY', '/h/{kind}', 'fn', 'http'],
    ['GET', '/secure', 'fn', 'rest'],
  ],
  {
    rest: apiOf('rest', { binary_media_types: ['image/*'], stage_variables: { v: '1' }, cors: { allow_origins: ['http://a.example'], allow_methods: ['GET'], allow_headers: [], expose_headers: ['x-a'], allow_credentials: true }, authorizers: { tok: { type: 'token', function: 'authz', identity_source: 'method.request.header.Authorization', ttl_seconds: 0 } } }),
    http: apiOf('http', { cors: { allow_origins: ['*'], allow_methods: ['GET', 'POST'], allow_headers: ['content-type'], expose_headers: [], allow_credentials: false } }),
  },
);
routing.routes[2]!.auth = { authorizer: 'tok' };

/** Response headers the gateway sets (not node:http's framing, not per-request ids). */
const appHeaders = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive', 'transfer-encoding', 'x-amzn-requestid', 'apigw-requestid'].includes(k)));

describe('the data plane front', () => {
  const { log, lines } = memoryLogger();
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway({ invoker, host: '127.0.0.1', port: 0, log, bodyLimit: 1000, integrationTimeoutMs: 200, initialConfig: { routing, functions: functionsOf('fn', 'authz') } });
  });
  afterAll(() => gw.close());

  const cases: Array<{ name: string; method: string; url: string; headers?: Record<string, string>; body?: string | Buffer }> = [
    { name: 'REST GET with a query', method: 'GET', url: '/r/echo?a=1&a=2&b=x+y' },
    { name: 'HTTP API GET with cookies', method: 'GET', url: '/h/echo', headers: { cookie: 'a=1; b=2' } },
    { name: 'HEAD', method: 'HEAD', url: '/r/echo' },
    { name: 'REST miss', method: 'GET', url: '/nope' },
    { name: 'HTTP API miss with an Origin', method: 'GET', url: '/h', headers: { origin: 'http://x.example' } },
    { name: 'JSON body', method: 'POST', url: '/r/echo', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}' },
    { name: 'binary body (REST binary media type)', method: 'POST', url: '/r/echo', headers: { 'content-type': 'image/png' }, body: Buffer.from([0, 1, 255]) },
    { name: 'binary body (HTTP API)', method: 'PUT', url: '/h/echo', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 255]) },
    { name: 'body without content type', method: 'POST', url: '/h/echo', body: Buffer.from('abc') }, // (a string body would make fetch add one)
    { name: 'empty POST', method: 'POST', url: '/h/echo' },
    { name: 'CORS preflight', method: 'OPTIONS', url: '/h/echo', headers: { origin: 'http://x.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-y' } },
    { name: 'CORS on a response, multi-value headers and cookies', method: 'GET', url: '/r/cookies', headers: { origin: 'http://a.example' } },
    { name: 'HTTP API cookies', method: 'GET', url: '/h/cookies' },
    { name: 'base64 body back to bytes', method: 'GET', url: '/r/b64', headers: { accept: 'image/png' } },
    { name: '204 from the function', method: 'GET', url: '/r/nocontent' },
    { name: 'a header HTTP cannot carry: 502', method: 'GET', url: '/r/badheader' },
    { name: 'throttled: 500', method: 'GET', url: '/r/throttled' },
    { name: 'integration timeout: 504', method: 'GET', url: '/h/slow' },
    { name: 'authorizer denies: 403 with x-amzn-ErrorType', method: 'GET', url: '/secure', headers: { authorization: 'deny' } },
    { name: 'no token: 401', method: 'GET', url: '/secure' },
    { name: 'authorizer allows', method: 'GET', url: '/secure', headers: { authorization: 'allow' } },
  ];
  it.each(cases)('$name: the same answer over HTTP (the front) as through fastify (app.inject)', async ({ method, url, headers = {}, body }) => {
    const viaFront = await fetch(gw.url + url, { method, headers, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) });
    const frontBody = Buffer.from(await viaFront.arrayBuffer());
    const viaFastify = await gw.app.inject({ method: method as 'GET', url, headers, payload: body });
    expect(viaFront.status).toBe(viaFastify.statusCode);
    const frontHeaders: Record<string, string> = {};
    for (const [k, v] of viaFront.headers) frontHeaders[k] = k in frontHeaders ? `${frontHeaders[k]}, ${v}` : v; // set-cookie comes once per cookie
    expect(appHeaders(frontHeaders)).toEqual(appHeaders(Object.fromEntries(Object.entries(viaFastify.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]))));
    expect(frontBody.equals(viaFastify.rawPayload)).toBe(true);
    expect(viaFront.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  /** Raw bytes in, the raw answer and whether the server closed the connection. */
  const raw = (text: string) =>
    new Promise<{ answer: string; closed: boolean }>((resolve) => {
      const s = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
      let answer = '';
      s.on('data', (c) => (answer += c.toString('latin1')));
      s.on('error', () => undefined);
      const timer = setTimeout(() => {
        s.destroy();
        resolve({ answer, closed: false });
      }, 2000);
      s.on('close', () => {
        clearTimeout(timer);
        resolve({ answer, closed: true });
      });
      s.write(text);
    });

  it('a Content-Length over the body limit: 413 before reading, the connection closed, one access line', async () => {
    const { answer, closed } = await raw(`POST /r/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(100)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer.endsWith('{"message":"Request Entity Too Large"}')).toBe(true);
    expect(closed).toBe(true);
    const id = /x-amzn-requestid: (\S+)/.exec(answer)![1];
    expect(lines.filter((l) => l.requestId === id && l.msg === 'request')).toMatchObject([{ status: 413, error: 'FST_ERR_CTP_BODY_TOO_LARGE', path: '/r/echo' }]);
  });
  it('a streamed (chunked) body growing over the limit: 413, the function not run', async () => {
    const before = invoker.calls.length;
    const { answer, closed } = await raw(`POST /h/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n${'x'.repeat(2000)}\r\n0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
    expect(invoker.calls.length).toBe(before);
  });
  it('a body the client stops sending: the function is not run', async () => {
    const before = invoker.calls.length;
    const s = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
    s.on('error', () => undefined);
    s.write('POST /r/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n\r\nabc');
    await sleep(100);
    s.destroy();
    await sleep(100);
    expect(invoker.calls.length).toBe(before);
    expect((await fetch(`${gw.url}/h/echo`)).status).toBe(200); // still serving
  });
  it('leaves to fastify: /health, the Invoke API, /_esb/, encoded paths, other methods, content types it refuses', async () => {
    expect(await (await fetch(`${gw.url}/health`)).json()).toMatchObject({ status: 'ok', routes: 3 });
    const invoked = await fetch(`${gw.url}/2015-03-31/functions/fn/invocations`, { method: 'POST', body: JSON.stringify({ pathParameters: { kind: 'direct' }, headers: {} }) });
    expect(JSON.parse((await invoked.json()).body)).toMatchObject({ kind: 'direct' });
    expect([(await fetch(`${gw.url}/_esb/x`)).status]).toEqual([404]);
    // fastify decodes before matching; the function still sees the path parameter as REST delivers it
    expect(await (await fetch(`${gw.url}/h/%7Eecho`)).json()).toMatchObject({ kind: '~echo' });
    expect((await raw('GET /r/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).answer).toMatch(/^HTTP\/1\.1 400 [^]*\{"message":"Bad Request"\}$/);
    expect((await raw('PROPFIND /r/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).answer).toMatch(/^HTTP\/1\.1 404 /);
    expect((await fetch(`${gw.url}/r/echo`, { method: 'POST', headers: { 'content-type': 'nonsense' }, body: 'x' })).status).toBe(415);
  });
  it('a header HTTP cannot carry: the status line says 502 Bad Gateway, not the reason of the failed head', async () => {
    expect((await raw('GET /r/badheader HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).answer).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
  });
  it('keeps serving a kept-alive connection: two requests in one write, answered in order', async () => {
    const { answer } = await raw('GET /r/first HTTP/1.1\r\nHost: x\r\n\r\nGET /h/second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.indexOf('"kind":"first"')).toBeGreaterThan(0);
    expect(answer.indexOf('"kind":"second"')).toBeGreaterThan(answer.indexOf('"kind":"first"'));
  });

  it('once shutdown starts, a new request on a busy kept-alive connection gets fastify\'s 503; the one in flight finishes', async () => {
    const g = await startGateway({ invoker, host: '127.0.0.1', port: 0, log: memoryLogger().log, initialConfig: { routing, functions: functionsOf('fn', 'authz') } });
    const s = net.connect(Number(new URL(g.url).port), '127.0.0.1');
    let answer = '';
    s.on('data', (c) => (answer += c.toString('latin1')));
    const ended = new Promise((r) => s.on('close', r));
    s.write('GET /h/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    const closing = g.close();
    await sleep(50);
    const invoked = invoker.calls.length;
    s.write('GET /h/echo HTTP/1.1\r\nHost: x\r\n\r\n');
    await closing;
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 [^]*late[^]*HTTP\/1\.1 503 [^]*Service Unavailable/);
    expect(invoker.calls.length).toBe(invoked); // the second request reached no function
  });
});
