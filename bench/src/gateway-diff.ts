// The gateway's answers at a commit against the working tree's, byte for byte: the same raw
// requests (routes of REST and HTTP APIs, bodies, limits, CORS, authorizers, function errors,
// malformed requests, the gateway's own paths) go to both, and the raw responses, the events the
// function received and the log lines are compared once request ids, dates and ports are
// normalized. For changes to the gateway's request path that must not change behaviour.
// Run: node --conditions=esb-source --import tsx bench/src/gateway-diff.ts <commit>
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { apiOf, functionsOf, memoryLogger, routingOf } from '@esb/gateway/testing';
import { sleep } from './lib/servers.js';
import { REPO } from './lib/targets.js';
import { extract } from './gateway-steps.js';

if (!process.argv[2]) throw new Error('usage: gateway-diff.ts <commit>');
const BASE = path.join(extract(process.argv[2]), 'gateway', 'src');
const NEW = path.join(REPO, 'gateway', 'src');

async function start(dir: string) {
  const gw = await import(pathToFileURL(path.join(dir, 'index.ts')).href);
  const fake = await import(pathToFileURL(path.join(dir, 'testing/fake-invoker.ts')).href);
  const events: unknown[] = [];
  const { log, lines } = memoryLogger();
  const resp = async (e: any) => {
    events.push(e);
    const kind = e.pathParameters?.kind ?? 'echo';
    switch (kind) {
      case 'cookies': return { statusCode: 200, headers: { 'X-A': '1' }, multiValueHeaders: { 'X-M': ['a', 'b'] }, cookies: ['a=1', 'b=2'], body: 'hi' };
      case 'b64': return { statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: Buffer.from([1, 2, 3, 250]).toString('base64') };
      case 'nocontent': return { statusCode: 204, body: 'ignored' };
      case 'badheader': return { statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' };
      case 'throttled': throw new fake.FakeInvokeError('Throttled');
      case 'timeout': throw new fake.FakeInvokeError('Timeout');
      case 'unavailable': throw new fake.FakeInvokeError('Unavailable');
      case 'fail': throw new Error('boom');
      case 'rawbad': return new fake.RawPayload('not json');
      case 'slow': await sleep(400); return { statusCode: 200, body: 'late' };
      case 'str': return 'plain string';
      case 'status': return { statusCode: '201', body: 'created' };
      default: return { statusCode: 200, body: JSON.stringify({ kind, body: e.body ?? null, b64: e.isBase64Encoded }) };
    }
  };
  const invoker = new fake.FakeInvoker({
    resp,
    authz: (e: any) => ({ principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: e.authorizationToken === 'allow' ? 'Allow' : 'Deny', Resource: e.methodArn }] } }),
  });
  const routing = routingOf(
    [
      ['ANY', '/r/{kind}', 'resp', 'rest'],
      ['ANY', '/h/{kind}', 'resp', 'http'],
      ['POST', '/items', 'resp', 'rest'],
      ['GET', '/secure', 'resp', 'rest'],
      ['GET', '/keyed', 'resp', 'rest'],
      ['GET', '/', 'resp', 'http'],
    ],
    {
      rest: apiOf('rest', { binary_media_types: ['image/*'], stage_variables: { v: '1' }, cors: { allow_origins: ['http://a.example'], allow_methods: ['GET'], allow_headers: [], expose_headers: ['x-a'], allow_credentials: true }, authorizers: { tok: { type: 'token', function: 'authz', identity_source: 'method.request.header.Authorization', ttl_seconds: 0 } } }),
      http: apiOf('http', { cors: { allow_origins: ['*'], allow_methods: ['GET', 'POST'], allow_headers: ['content-type'], expose_headers: [], allow_credentials: false } }),
    },
  );
  (routing.routes[3] as any).auth = { authorizer: 'tok' };
  (routing.routes[4] as any).auth = { api_key_required: true };
  const g = await gw.startGateway({ invoker, host: '127.0.0.1', port: 0, log, bodyLimit: 1000, integrationTimeoutMs: 200, apiKeys: () => new Set(['k1']), initialConfig: { routing, functions: functionsOf('resp', 'authz') } });
  return { g, events, lines, port: Number(new URL(g.url).port) };
}

function send(port: number, raw: string | Buffer, waitMs = 700): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => undefined);
    s.write(raw);
    const t = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => { clearTimeout(t); resolve(Buffer.concat(chunks).toString('latin1')); });
  });
}

const norm = (t: string, port: number) =>
  t
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/Date: .*\r\n/g, 'Date: D\r\n')
    .replace(new RegExp(String(port), 'g'), 'PORT')
    .replace(/Root=1-[0-9a-f]{8}-[0-9a-f]{24}/g, 'TRACE')
    .replace(/"(requestTimeEpoch|timeEpoch)":\d+/g, '"$1":T')
    .replace(/\d\d\/\w\w\w\/\d{4}:\d\d:\d\d:\d\d \+0000/g, 'TIME')
    .replace(/"(durationMs|time)":[\d.]+/g, '"$1":0');

const req = (first: string, headers: string[] = [], body = '') => `${first}\r\nHost: localhost\r\n${headers.map((h) => h + '\r\n').join('')}Connection: close\r\n\r\n${body}`;
const CASES: Array<[string, string | Buffer]> = [
  ['get', req('GET /r/echo?a=1&a=2&b=x+y HTTP/1.1')],
  ['head', req('HEAD /r/echo HTTP/1.1')],
  ['root', req('GET / HTTP/1.1')],
  ['http api', req('GET /h/echo?x=%20 HTTP/1.1', ['Cookie: a=1; b=2'])],
  ['miss rest', req('GET /nope HTTP/1.1')],
  ['miss http', req('GET /h HTTP/1.1')],
  ['method miss', req('DELETE /secure HTTP/1.1')],
  ['post json', req('POST /items HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 7'], '{"a":1}')],
  ['post json charset', req('POST /items HTTP/1.1', ['Content-Type: application/json; charset=utf-8', 'Content-Length: 7'], '{"a":1}')],
  ['post image', req('POST /items HTTP/1.1', ['Content-Type: image/png', 'Content-Length: 4'], 'abcd')],
  ['post no ct', req('POST /items HTTP/1.1', ['Content-Length: 4'], 'abcd')],
  ['post chunked', req('POST /h/echo HTTP/1.1', ['Transfer-Encoding: chunked', 'Content-Type: application/octet-stream'], '4\r\nabcd\r\n0\r\n\r\n')],
  ['post empty', req('POST /items HTTP/1.1', ['Content-Length: 0'])],
  ['post empty ct', req('POST /items HTTP/1.1', ['Content-Type: text/plain', 'Content-Length: 0'])],
  ['too large CL', req('POST /items HTTP/1.1', ['Content-Type: text/plain', 'Content-Length: 2000'], 'x'.repeat(2000))],
  ['too large chunked', req('POST /items HTTP/1.1', ['Content-Type: text/plain', 'Transfer-Encoding: chunked'], `7d0\r\n${'x'.repeat(2000)}\r\n0\r\n\r\n`)],
  ['bad ct', req('POST /items HTTP/1.1', ['Content-Type: foo', 'Content-Length: 2'], 'ab')],
  ['bad ct2', req('POST /items HTTP/1.1', ['Content-Type: a/b; x', 'Content-Length: 2'], 'ab')],
  ['ct quoted', req('POST /items HTTP/1.1', ['Content-Type: text/plain; charset="utf-8"', 'Content-Length: 2'], 'ab')],
  ['get with body', req('GET /r/echo HTTP/1.1', ['Content-Length: 5'], 'hello')],
  ['delete ct cl0', req('DELETE /r/echo HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 0'])],
  ['options no preflight', req('OPTIONS /r/echo HTTP/1.1')],
  ['preflight http', req('OPTIONS /h/echo HTTP/1.1', ['Origin: http://x.example', 'Access-Control-Request-Method: POST', 'Access-Control-Request-Headers: x-y'])],
  ['preflight rest', req('OPTIONS /r/echo HTTP/1.1', ['Origin: http://a.example', 'Access-Control-Request-Method: GET'])],
  ['cors get rest', req('GET /r/cookies HTTP/1.1', ['Origin: http://a.example'])],
  ['cors get http', req('GET /h/echo HTTP/1.1', ['Origin: http://x.example'])],
  ['cors miss', req('GET /h HTTP/1.1', ['Origin: http://x.example'])],
  ['secure none', req('GET /secure HTTP/1.1')],
  ['secure deny', req('GET /secure HTTP/1.1', ['Authorization: deny'])],
  ['secure allow', req('GET /secure HTTP/1.1', ['Authorization: allow'])],
  ['keyed none', req('GET /keyed HTTP/1.1')],
  ['keyed ok', req('GET /keyed HTTP/1.1', ['x-api-key: k1'])],
  ['cookies', req('GET /r/cookies HTTP/1.1')],
  ['cookies http', req('GET /h/cookies HTTP/1.1')],
  ['b64 rest', req('GET /r/b64 HTTP/1.1', ['Accept: image/png'])],
  ['b64 rest no accept', req('GET /r/b64 HTTP/1.1')],
  ['b64 http', req('GET /h/b64 HTTP/1.1')],
  ['204', req('GET /r/nocontent HTTP/1.1')],
  ['bad header', req('GET /r/badheader HTTP/1.1')],
  ['throttled', req('GET /r/throttled HTTP/1.1')],
  ['timeout kind', req('GET /r/timeout HTTP/1.1')],
  ['unavailable', req('GET /r/unavailable HTTP/1.1')],
  ['fail', req('GET /r/fail HTTP/1.1')],
  ['rawbad', req('GET /r/rawbad HTTP/1.1')],
  ['slow 504', req('GET /r/slow HTTP/1.1')],
  ['str http', req('GET /h/str HTTP/1.1')],
  ['str rest', req('GET /r/str HTTP/1.1')],
  ['status string', req('GET /r/status HTTP/1.1')],
  ['head 404', req('HEAD /nope HTTP/1.1')],
  ['pct path', req('GET /r/%7Eecho HTTP/1.1')],
  ['bad pct', req('GET /r/%E0%A4%A HTTP/1.1')],
  ['hash', req('GET /r/a#b HTTP/1.1')],
  ['health', req('GET /health HTTP/1.1')],
  ['health q', req('GET /health?x=1 HTTP/1.1')],
  ['console', req('GET /_esb/x HTTP/1.1')],
  ['console bare', req('GET /_esb HTTP/1.1')],
  ['invoke', req('POST /2015-03-31/functions/resp/invocations HTTP/1.1', ['Content-Length: 2'], '{}')],
  ['propfind', req('PROPFIND /r/echo HTTP/1.1')],
  ['absolute', req('GET http://localhost/r/echo HTTP/1.1')],
  ['star', req('OPTIONS * HTTP/1.1')],
  ['dup slash', req('GET //r/echo HTTP/1.1')],
  ['http10', `GET /r/echo HTTP/1.0\r\n\r\n`],
  ['keepalive x2', `GET /r/echo HTTP/1.1\r\nHost: a\r\n\r\nGET /h/echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`],
  ['expect', req('POST /items HTTP/1.1', ['Content-Type: text/plain', 'Content-Length: 2', 'Expect: 100-continue'], 'ab')],
  ['xff', req('GET /r/echo HTTP/1.1', ['X-Forwarded-For: 1.2.3.4', 'X-Forwarded-Port: 9', 'x-amzn-trace-id: Root=abc'])],
  ['garbage', 'FOO BAR\r\n\r\n'],
  ['bad header line', 'GET /r/echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'],
  ['huge header', `GET /r/echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`],
  ['long path', req(`GET /r/${'a'.repeat(300)} HTTP/1.1`)],
];

const base = await start(BASE);
const next = await start(NEW);
let bad = 0;
for (const [name, raw] of CASES) {
  const n0 = next.events.length, b0 = base.events.length, nl = next.lines.length, bl = base.lines.length;
  const [a, b] = await Promise.all([send(base.port, raw), send(next.port, raw)]);
  await new Promise((r) => setTimeout(r, 20));
  const A = norm(a, base.port), B = norm(b, next.port);
  const ea = norm(JSON.stringify(base.events.slice(b0)), base.port), eb = norm(JSON.stringify(next.events.slice(n0)), next.port);
  const strip = (l: any) => { const { time, pid, hostname, ...rest } = l; if (rest.err?.stack) rest.err = { ...rest.err, stack: 'S' }; return rest; };
  const la = norm(JSON.stringify(base.lines.slice(bl).map(strip)), base.port), lb = norm(JSON.stringify(next.lines.slice(nl).map(strip)), next.port);
  const same = A === B && ea === eb && la === lb;
  if (!same) bad++;
  console.log(`${same ? 'same' : 'DIFF'}  ${name}  ${A.split('\r\n')[0]}`);
  if (A !== B) console.log('  base:', JSON.stringify(A), '\n  new: ', JSON.stringify(B));
  if (ea !== eb) console.log('  events base:', ea, '\n  events new: ', eb);
  if (la !== lb) console.log('  logs base:', la, '\n  logs new: ', lb);
}
await base.g.close();
await next.g.close();
console.log(bad ? `${bad} differ` : 'all same');
process.exitCode = bad ? 1 : 0;
