import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from './app.js';
import { apiOf, functionsOf, routingOf } from './testing/config.js';
import { FakeInvokeError, FakeInvoker, RawPayload } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gateway (fastify inject, fake invoker)', () => {
  const invoker = new FakeInvoker({
    echo: (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) }),
    simple: () => ({ hello: 'world' }),
    str: () => 'plain',
    boom: () => {
      throw new Error('kaboom');
    },
    malformed: () => new RawPayload('not json at all'),
    noStatus: () => ({ body: 'x' }),
    slow: async () => {
      await sleep(300);
      return { statusCode: 200, body: 'late' };
    },
    fnTimeout: () => {
      throw new FakeInvokeError('Timeout', 'Task timed out after 3.00 seconds');
    },
    throttled: () => {
      throw new FakeInvokeError('Throttled');
    },
    unavailable: () => {
      throw new FakeInvokeError('Unavailable');
    },
    binary: () => ({ statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]).toString('base64'), isBase64Encoded: true }),
    cookies: () => ({ statusCode: 200, cookies: ['a=1', 'b=2'], body: 'c' }),
    noContent: () => ({ statusCode: 204, headers: { 'x-kept': 'yes' }, body: 'ignored' }),
    badHeaderValue: () => ({ statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' }),
    badHeaderName: () => ({ statusCode: 200, headers: { 'bad name': 'v' }, body: 'x' }),
  });
  const brokenInvoker = { has: () => true, invoke: () => Promise.reject(new Error('ECONNREFUSED')) };
  const { log, lines } = memoryLogger();
  let gw: Gateway;
  const routing = routingOf(
    [
      ['ANY', '/rest/{proxy+}', 'echo', 'Rest'],
      ['GET', '/rest/pets/{id}', 'echo', 'Rest'],
      ['POST', '/rest/binary', 'echo', 'Rest'],
      ['GET', '/rest/image', 'binary', 'Rest'],
      ['GET', '/rest/noimage', 'binary', 'Rest2'],
      ['GET', '/restonly/x', 'echo', 'Rest2'],
      ['GET', '/rest/boom', 'boom', 'Rest'],
      ['GET', '/rest/malformed', 'malformed', 'Rest'],
      ['GET', '/rest/nostatus', 'noStatus', 'Rest'],
      ['GET', '/rest/slow', 'slow', 'Rest'],
      ['GET', '/rest/timeout', 'fnTimeout', 'Rest'],
      ['GET', '/rest/throttled', 'throttled', 'Rest'],
      ['GET', '/rest/unavailable', 'unavailable', 'Rest'],
      ['GET', '/rest/ghost', 'ghost', 'Rest'],
      ['ANY', '/http/{proxy+}', 'echo', 'Http'],
      ['GET', '/http/simple', 'simple', 'Http'],
      ['GET', '/http/str', 'str', 'Http'],
      ['GET', '/http/cookies', 'cookies', 'Http'],
      ['GET', '/rest/nocontent', 'noContent', 'Rest'],
      ['GET', '/rest/badheadervalue', 'badHeaderValue', 'Rest'],
      ['GET', '/rest/badheadername', 'badHeaderName', 'Rest'],
      ['GET', '/http/image', 'binary', 'Http'],
      ['GET', '/http/boom', 'boom', 'Http'],
      ['GET', '/http/throttled', 'throttled', 'Http'],
      ['GET', '/http/badheader', 'badHeaderName', 'Http'],
      ['GET', '/v1/{x}', 'echo', 'Http10'],
    ],
    {
      Rest: apiOf('rest', { stage: 'prod', stage_variables: { color: 'blue' }, binary_media_types: ['image/*', 'application/octet-stream'], cors: { allow_origins: ['https://app.example'], allow_methods: ['GET', 'POST'], allow_headers: ['x-custom'], expose_headers: ['x-out'], max_age: 600, allow_credentials: true } }),
      Rest2: apiOf('rest'),
      Http: apiOf('http', { cors: { allow_origins: ['*'], allow_methods: [], allow_headers: [], expose_headers: [], allow_credentials: false } }),
      Http10: apiOf('http', { payload_format_version: '1.0' }),
    },
  );
  beforeAll(async () => {
    gw = await buildGateway({ invoker, initialConfig: { routing, functions: functionsOf(...Object.keys(invoker.handlers)) }, integrationTimeoutMs: 150, log });
  });
  afterAll(() => gw.close());
  const inject = (o: Record<string, unknown>) => gw.app.inject(o as any);

  it('serves the URL API Gateway gives, with the stage first, as the path without it when the route is of an API of that stage', async () => {
    const res = await inject({ method: 'GET', url: '/prod/rest/pets/42?q=1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ resource: '/rest/pets/{id}', path: '/rest/pets/42', pathParameters: { id: '42' }, requestContext: { stage: 'prod', path: '/prod/rest/pets/42' } });
    expect((await inject({ method: 'GET', url: '/Prod/restonly/x' })).json()).toMatchObject({ path: '/restonly/x', requestContext: { stage: 'Prod' } });
    // Another API's stage, or no API's: not a route.
    const before = invoker.calls.length;
    for (const url of ['/Prod/rest/pets/42', '/prod/restonly/x', '/staging/rest/pets/42']) expect([403, 404], url).toContain((await inject({ method: 'GET', url })).statusCode);
    expect(invoker.calls.length).toBe(before);
  });

  it('REST: builds the v1 event and maps the response; every response has x-amzn-RequestId', async () => {
    const res = await inject({ method: 'GET', url: '/rest/pets/42?q=1&q=2', headers: { 'X-Amzn-Trace-Id': 'Root=1-abc-def' } });
    expect(res.statusCode).toBe(200);
    const ev = res.json();
    expect(ev).toMatchObject({ resource: '/rest/pets/{id}', path: '/rest/pets/42', httpMethod: 'GET', pathParameters: { id: '42' }, stageVariables: { color: 'blue' }, multiValueQueryStringParameters: { q: ['1', '2'] } });
    expect(ev.requestContext).toMatchObject({ stage: 'prod', path: '/prod/rest/pets/42', requestId: res.headers['x-amzn-requestid'] });
    expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(invoker.calls.at(-1)!.context.traceId).toBe('Root=1-abc-def');
    expect(res.headers['x-amzn-trace-id']).toBeUndefined();
  });
  it('generates X-Amzn-Trace-Id when absent and passes it to the function and the event', async () => {
    const res = await inject({ method: 'GET', url: '/rest/pets/1' });
    const trace = invoker.calls.at(-1)!.context.traceId!;
    expect(trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(res.json().headers['X-Amzn-Trace-Id']).toBe(trace);
  });
  it('REST misses: 403 Missing Authentication Token; HTTP misses: 404 Not Found', async () => {
    const a = await inject({ method: 'DELETE', url: '/restonly/x' });
    expect([a.statusCode, a.json()]).toEqual([403, { message: 'Missing Authentication Token' }]);
    expect(a.headers['x-amzn-requestid']).toBeTruthy();
    const b = await inject({ method: 'GET', url: '/nothing-here' });
    expect([b.statusCode, b.json()]).toEqual([404, { message: 'Not Found' }]);
  });
  it('REST ignores a trailing slash; HTTP APIs do not', async () => {
    expect((await inject({ method: 'GET', url: '/restonly/x/' })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: '/http/simple/' })).json().routeKey).toBe('ANY /http/{proxy+}');
  });
  it('HTTP API: v2 event, simple responses, cookies', async () => {
    const ev = (await inject({ method: 'POST', url: '/http/a%2Fb/c?x=1&x=2', payload: '{"a":1}', headers: { 'content-type': 'application/json', cookie: 'k=v; m=n' } })).json();
    expect(ev).toMatchObject({ version: '2.0', routeKey: 'ANY /http/{proxy+}', rawPath: '/http/a/b/c', rawQueryString: 'x=1&x=2', cookies: ['k=v', 'm=n'], queryStringParameters: { x: '1,2' }, body: '{"a":1}', isBase64Encoded: false });
    expect(ev.requestContext.http).toMatchObject({ method: 'POST', path: '/http/a/b/c' });
    const s = await inject({ method: 'GET', url: '/http/simple' });
    expect([s.statusCode, s.headers['content-type'], s.body]).toEqual([200, 'application/json', '{"hello":"world"}']);
    expect((await inject({ method: 'GET', url: '/http/str' })).body).toBe('plain');
    expect((await inject({ method: 'GET', url: '/http/cookies' })).headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect((await inject({ method: 'GET', url: '/http/simple' })).headers['apigw-requestid']).toBeTruthy();
  });
  it('a 204 from the function goes out without body, Content-Length or Content-Type; HEAD gets headers only', async () => {
    const r = await inject({ method: 'GET', url: '/rest/nocontent' });
    expect([r.statusCode, r.body, r.headers['content-length'], r.headers['content-type'], r.headers['x-kept']]).toEqual([204, '', undefined, undefined, 'yes']);
    expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    const head = await inject({ method: 'HEAD', url: '/rest/pets/1' });
    expect([head.statusCode, head.body, Number(head.headers['content-length']) > 0]).toEqual([200, '', true]);
  });
  it('a header HTTP cannot carry (bad name or value) makes the result malformed: 502, logged', async () => {
    for (const url of ['/rest/badheadervalue', '/rest/badheadername']) {
      const r = await inject({ method: 'GET', url });
      expect([r.statusCode, r.json(), typeof r.headers['x-amzn-requestid']]).toEqual([502, { message: 'Internal server error' }, 'string']);
    }
    expect(lines.filter((l) => l.msg === 'malformed Lambda proxy response' && l.function?.startsWith('badHeader'))).toHaveLength(2);
  });
  it('HTTP API with payload format 1.0 gets the v1 event', async () => {
    const ev = (await inject({ method: 'GET', url: '/v1/7' })).json();
    expect(ev).toMatchObject({ resource: '/v1/{x}', httpMethod: 'GET', pathParameters: { x: '7' } });
    expect(ev.version).toBeUndefined();
  });
  it('binary bodies: REST by binary media types, HTTP for non-text types; base64 responses decoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251]);
    const rest = (await inject({ method: 'POST', url: '/rest/binary', payload: bytes, headers: { 'content-type': 'application/octet-stream' } })).json();
    expect([rest.isBase64Encoded, Buffer.from(rest.body, 'base64')]).toEqual([true, bytes]);
    const restText = (await inject({ method: 'POST', url: '/rest/binary', payload: 'abc', headers: { 'content-type': 'text/plain' } })).json();
    expect([restText.isBase64Encoded, restText.body]).toEqual([false, 'abc']);
    const http = (await inject({ method: 'POST', url: '/http/up', payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).json();
    expect([http.isBase64Encoded, Buffer.from(http.body, 'base64').toString()]).toEqual([true, 'a=1']);
    const img = await inject({ method: 'GET', url: '/rest/image' });
    expect(img.rawPayload).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]));
    const noBinaryTypes = await inject({ method: 'GET', url: '/rest/noimage' });
    expect(noBinaryTypes.body).toBe(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]).toString('base64'));
    expect((await inject({ method: 'GET', url: '/http/image' })).rawPayload).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]));
  });
  it.each([
    ['/rest/boom', 502, 'Internal server error'],
    ['/rest/malformed', 502, 'Internal server error'],
    ['/rest/nostatus', 502, 'Internal server error'],
    ['/rest/ghost', 502, 'Internal server error'],
    ['/rest/timeout', 502, 'Internal server error'],
    ['/rest/slow', 504, 'Endpoint request timed out'],
    // Lambda refused the invocation: an internal error to API Gateway.
    ['/rest/throttled', 500, 'Internal server error'],
    ['/http/throttled', 500, 'Internal Server Error'],
    ['/rest/unavailable', 503, 'Service Unavailable'],
    // An HTTP API answers a failed function with 500, worded in title case.
    ['/http/boom', 500, 'Internal Server Error'],
    ['/http/badheader', 500, 'Internal Server Error'],
  ])('%s -> %i', async (url, status, message) => {
    const res = await inject({ method: 'GET', url });
    expect([res.statusCode, res.json()]).toEqual([status, { message }]);
    expect(res.headers['x-amzn-requestid']).toBeTruthy();
  });
  it('agent unavailable (invoke rejects) -> 503', async () => {
    const g = await buildGateway({ invoker: brokenInvoker, initialConfig: { routing: routingOf([['GET', '/x', 'f']], { A: apiOf('http') }), functions: functionsOf('f') }, log: memoryLogger().log });
    const res = await g.app.inject({ method: 'GET', url: '/x' });
    expect([res.statusCode, res.json()]).toEqual([503, { message: 'Service Unavailable' }]);
    await g.close();
  });
  it('request body over 10 MB -> 413', async () => {
    const res = await inject({ method: 'POST', url: '/rest/binary', payload: Buffer.alloc(10 * 1024 * 1024 + 1), headers: { 'content-type': 'application/octet-stream' } });
    expect([res.statusCode, res.json()]).toEqual([413, { message: 'Request Entity Too Large' }]);
    expect(res.headers['x-amzn-requestid']).toBeTruthy();
    expect(lines.filter((l) => l.msg === 'request').at(-1)).toMatchObject({ status: 413, requestId: res.headers['x-amzn-requestid'] });
  });
  it('an invalid URL encoding -> 400 {"message":"Bad Request"} with a request id', async () => {
    const res = await inject({ method: 'GET', url: '/http/bad%ZZ' });
    expect([res.statusCode, res.json()]).toEqual([400, { message: 'Bad Request' }]);
    expect(res.headers['x-amzn-requestid']).toBeTruthy();
  });
  it('a body without content type reaches the function', async () => {
    const res = await inject({ method: 'POST', url: '/http/raw', payload: 'hello' });
    expect(res.json().body).toBe('hello');
  });
  it("CORS: a REST API's Cors is SAM's OPTIONS method (200 with the configured headers, any request); its functions' responses get none; an HTTP API answers preflights and marks responses", async () => {
    for (const headers of [{ origin: 'https://app.example', 'access-control-request-method': 'POST' }, {}]) {
      const pre = await inject({ method: 'OPTIONS', url: '/rest/pets/1', headers });
      expect(pre.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
      expect([pre.statusCode, pre.body]).toEqual([200, '{}']);
      expect(pre.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example', 'access-control-allow-methods': 'GET,POST', 'access-control-allow-headers': 'x-custom', 'access-control-max-age': '600', 'access-control-allow-credentials': 'true' });
    }
    // Under the stage too.
    expect((await inject({ method: 'OPTIONS', url: '/prod/rest/pets/1' })).statusCode).toBe(200);
    // A function that sets no CORS headers sends none, as through API Gateway: the browser would refuse it there too.
    const get = await inject({ method: 'GET', url: '/rest/pets/1', headers: { origin: 'https://app.example' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    // A REST API without Cors has no OPTIONS method: API Gateway's answer for a missing method.
    expect((await inject({ method: 'OPTIONS', url: '/restonly/x', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } })).statusCode).toBe(403);
    const http = await inject({ method: 'OPTIONS', url: '/http/anything', headers: { origin: 'https://x.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' } });
    expect(http.statusCode).toBe(204);
    expect(http.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': '*', 'access-control-allow-headers': 'authorization' });
  });
  it('GET /health', async () => {
    const res = await inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', routes: routing.routes.length });
  });
  it('integration timeouts: requests that outlive it get 504 in the order they came, the ones answered in time keep their answer', async () => {
    const [slow1, fast, slow2] = await Promise.all([inject({ method: 'GET', url: '/rest/slow' }), inject({ method: 'GET', url: '/rest/pets/5' }), inject({ method: 'GET', url: '/rest/slow' })]);
    expect([slow1.statusCode, slow1.json()]).toEqual([504, { message: 'Endpoint request timed out' }]);
    expect([slow2.statusCode, slow2.json()]).toEqual([504, { message: 'Endpoint request timed out' }]);
    expect(fast.statusCode).toBe(200);
    // The fast request's deadline was cancelled: nothing fires for it once the slow ones are done.
    await sleep(400);
    const fastLines = lines.filter((l) => l.msg === 'request' && l.requestId === fast.headers['x-amzn-requestid']);
    expect(fastLines.map((l) => l.status)).toEqual([200]);
  });
  it('request ids: a fresh UUID per request, the same in the header, the event and the access log', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const res = await inject({ method: 'GET', url: '/rest/pets/7' });
      const id = String(res.headers['x-amzn-requestid']);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.json().requestContext).toMatchObject({ requestId: id, extendedRequestId: id });
      expect(lines.filter((l) => l.msg === 'request' && l.requestId === id)).toHaveLength(1);
      ids.add(id);
    }
    expect(ids.size).toBe(50);
  });
  it('writes one access log line per request', async () => {
    const res = await inject({ method: 'GET', url: '/rest/pets/9' });
    const line = lines.filter((l) => l.msg === 'request').at(-1)!;
    expect(line).toMatchObject({ method: 'GET', path: '/rest/pets/9', route: 'GET /rest/pets/{id}', function: 'echo', status: 200, requestId: res.headers['x-amzn-requestid'] });
    expect(typeof line.durationMs).toBe('number');
  });
});

describe('gateway config from CONFIG_DIR', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-gw-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  it('missing files: starts with an empty table and warns that nothing is deployed', async () => {
    const { log, lines } = memoryLogger();
    const seen: unknown[] = [];
    const gw = await buildGateway({ invoker: new FakeInvoker(), configDir: dir, log, onFunctions: (f) => void seen.push(f) });
    expect(gw.table().routes).toHaveLength(0);
    expect(lines.some((l) => l.level === 40 && /nothing is deployed/.test(l.msg))).toBe(true);
    expect(seen).toEqual([{ defaults: { environment: {}, scaling: {} }, functions: {} }]);
    expect((await gw.app.inject({ method: 'GET', url: '/x' })).statusCode).toBe(404);
    await gw.close();
  });
  it('forwards each new functions.yml to onFunctions (the agent), routes follow routing.yml', async () => {
    const sub = await mkdtemp(join(dir, 'fwd-'));
    const seen: string[][] = [];
    const gw = await buildGateway({ invoker: new FakeInvoker({ g: () => 'g' }), configDir: sub, fsWatch: false, reloadIntervalMs: 60_000, log: memoryLogger().log, onFunctions: (f) => void seen.push(Object.keys(f.functions)) });
    await writeFile(join(sub, 'functions.yml'), 'functions:\n  g: {}\n');
    await writeFile(join(sub, 'routing.yml'), 'routes:\n  - {path: /g, method: GET, function: g, api: ServerlessHttpApi}\n');
    await gw.reload();
    expect(seen).toEqual([[], ['g']]);
    expect((await gw.app.inject({ method: 'GET', url: '/g' })).body).toBe('g');
    await writeFile(join(sub, 'routing.yml'), 'routes:\n  - {path: /g2, method: GET, function: g, api: ServerlessHttpApi}\n');
    await gw.reload();
    expect(seen).toHaveLength(2); // routing-only change: the agent is not bothered
    expect((await gw.app.inject({ method: 'GET', url: '/g2' })).statusCode).toBe(200);
    await gw.close();
  });
  it('a file that does not parse keeps the old table and logs the error', async () => {
    await writeFile(join(dir, 'routing.yml'), 'routes:\n  - {path: /a, method: GET, function: f, api: A}\napis:\n  A: {type: http}\n');
    await writeFile(join(dir, 'functions.yml'), 'functions:\n  f: {}\n');
    const { log, lines } = memoryLogger();
    const invoker = new FakeInvoker({ f: () => 'ok' });
    const gw = await buildGateway({ invoker, configDir: dir, log, fsWatch: false, reloadIntervalMs: 60_000 });
    expect((await gw.app.inject({ method: 'GET', url: '/a' })).body).toBe('ok');
    await writeFile(join(dir, 'routing.yml'), 'routes:\n  - {path: /b, method: FETCH, function: f, api: A}\n');
    await gw.reload();
    expect((await gw.app.inject({ method: 'GET', url: '/a' })).body).toBe('ok');
    const err = lines.find((l) => l.level === 50 && /reload failed/.test(l.msg));
    expect(err?.err).toMatch(/routing\.yml: routes\[0\]\.method/);
    await gw.close();
  });
  it('GET /health?stack= reports the digest of the stack it serves, once its routes are loaded', async () => {
    const sub = await mkdtemp(join(dir, 'served-'));
    const stacks = (digest: string, path: string) =>
      `stacks:\n  shop: {digest: "${digest}", routing: {routes: [{path: ${path}, method: GET, function: f, api: A}], apis: {A: {type: http}}}}\n`;
    await writeFile(join(sub, 'functions.yml'), 'functions:\n  f: {}\n');
    await writeFile(join(sub, 'routing.yml'), 'routes:\n  - {path: /v1, method: GET, function: f, api: A}\napis:\n  A: {type: http}\n');
    await writeFile(join(sub, 'stacks.yml'), stacks('sha256:one', '/v1'));
    const gw = await buildGateway({ invoker: new FakeInvoker({ f: () => 'ok' }), configDir: sub, log: memoryLogger().log, fsWatch: false, reloadIntervalMs: 60_000 });
    const health = async (q: string) => (await gw.app.inject({ method: 'GET', url: `/health${q}` })).json();
    expect(await health('?stack=shop')).toMatchObject({ status: 'ok', stack: { name: 'shop', digest: 'sha256:one' } });
    expect(await health('?stack=other')).toMatchObject({ stack: { name: 'other', digest: null } });
    expect(await health('?stack=__proto__')).toMatchObject({ stack: { name: '__proto__', digest: null } });
    expect(await health('')).not.toHaveProperty('stack');
    // A new deploy: apply renames routing.yml, then stacks.yml; the new digest comes with the new routes.
    await writeFile(join(sub, 'routing.yml'), 'routes:\n  - {path: /v2, method: GET, function: f, api: A}\napis:\n  A: {type: http}\n');
    await writeFile(join(sub, 'stacks.yml'), stacks('sha256:two', '/v2'));
    await gw.reload();
    expect(await health('?stack=shop')).toMatchObject({ stack: { digest: 'sha256:two' } });
    expect((await gw.app.inject({ method: 'GET', url: '/v2' })).body).toBe('ok');
    await gw.close();
  });
  it('a routing.yml with a YAML syntax error is reported at its line:column, not 0:0', async () => {
    const sub = await mkdtemp(join(dir, 'syntax-'));
    await writeFile(join(sub, 'functions.yml'), 'functions:\n  f: {}\n');
    await writeFile(join(sub, 'routing.yml'), 'routes:\n  - {path: /a, method: GET, function: f, api: A}\napis:\n  A: {type: http}\n');
    const { log, lines } = memoryLogger();
    const gw = await buildGateway({ invoker: new FakeInvoker({ f: () => 'ok' }), configDir: sub, log, fsWatch: false, reloadIntervalMs: 60_000 });
    await writeFile(join(sub, 'routing.yml'), 'routes:\n  - {path: /a, method: GET\n    function: f\n');
    await gw.reload();
    const err = lines.find((l) => l.level === 50 && /reload failed/.test(l.msg));
    expect(err?.err).toMatch(/routing\.yml:[1-9]\d*:[1-9]\d*: /);
    expect(err?.err).not.toMatch(/:0:0/);
    expect((await gw.app.inject({ method: 'GET', url: '/a' })).body).toBe('ok');
    await gw.close();
  });
});

describe('gateway: an HTTP API $default route (routing.yml path "$default", from an HttpApi event without Path/Method)', () => {
  it('takes what no route takes, with routeKey $default and no path parameters; other routes keep precedence', async () => {
    const invoker = new FakeInvoker({ echo: (event) => ({ statusCode: 200, body: JSON.stringify(event) }), pets: () => 'pets' });
    const routing = routingOf([['GET', '/pets', 'pets'], ['ANY', '$default', 'echo']], { ServerlessHttpApi: apiOf('http') });
    const gw = await buildGateway({ invoker, initialConfig: { routing, functions: functionsOf('echo', 'pets') }, log: memoryLogger().log });
    try {
      expect((await gw.app.inject({ method: 'GET', url: '/pets' })).body).toBe('pets');
      const res = await gw.app.inject({ method: 'PUT', url: '/any/where?x=1' });
      expect(res.statusCode).toBe(200);
      const ev = res.json();
      expect(ev).toMatchObject({ version: '2.0', routeKey: '$default', rawPath: '/any/where', rawQueryString: 'x=1' });
      expect(ev.requestContext).toMatchObject({ routeKey: '$default', http: { method: 'PUT', path: '/any/where' } });
      expect(ev.pathParameters).toBeUndefined();
      expect((await gw.app.inject({ method: 'POST', url: '/pets' })).json().routeKey).toBe('$default');
    } finally {
      await gw.close();
    }
  });
});

describe('gateway: the stage-prefixed URL of an API with a root route and a root {param} route (the Web Backend quick start)', () => {
  it('serves /Prod/ and /Prod as the root resource, /Prod/x and /x as {id}; a CORS preflight under the stage reaches the API', async () => {
    const invoker = new FakeInvoker({
      root: (event) => ({ statusCode: 200, body: JSON.stringify({ fn: 'root', path: (event as { path: string }).path }) }),
      byId: (event) => ({ statusCode: 200, body: JSON.stringify({ fn: 'byId', id: (event as { pathParameters: { id: string } }).pathParameters.id }) }),
    });
    const cors = { allow_origins: ['*'], allow_methods: [], allow_headers: [], expose_headers: [], allow_credentials: false };
    const routing = routingOf([['GET', '/', 'root'], ['GET', '/{id}', 'byId']], { ServerlessRestApi: apiOf('rest', { stage: 'Prod', cors }) });
    const gw = await buildGateway({ invoker, initialConfig: { routing, functions: functionsOf('root', 'byId') }, log: memoryLogger().log });
    try {
      const get = async (url: string) => (await gw.app.inject({ method: 'GET', url })).json();
      expect(await get('/Prod/')).toEqual({ fn: 'root', path: '/' });
      expect(await get('/Prod')).toEqual({ fn: 'root', path: '/' });
      expect(await get('/Prod/x')).toEqual({ fn: 'byId', id: 'x' });
      expect(await get('/')).toEqual({ fn: 'root', path: '/' });
      expect(await get('/x')).toEqual({ fn: 'byId', id: 'x' });
      // A segment that only starts like the stage is a path parameter.
      expect(await get('/Production')).toEqual({ fn: 'byId', id: 'Production' });
      const preflight = await gw.app.inject({ method: 'OPTIONS', url: '/Prod/x', headers: { origin: 'http://app.local', 'access-control-request-method': 'GET' } });
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      // No AllowMethods: the resource's own methods and OPTIONS, as SAM writes them.
      expect(preflight.headers['access-control-allow-methods']).toBe('GET,OPTIONS');
    } finally {
      await gw.close();
    }
  });
});
