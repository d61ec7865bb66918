// Property: whatever a client sends (methods, paths, query strings, headers, bodies), the gateway
// answers with a well-formed HTTP response and keeps serving: no crash, no hung request, no 500
// of its own. Real HTTP over raw sockets against gateways on loopback (routes, REST and HTTP
// APIs, a TOKEN authorizer, API keys, CORS, the open Invoke API) and beyond loopback (the Invoke
// API closed: random credentials). Bounded: a fixed number of runs and a per-request cap.
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './server.js';
import { apiOf, functionsOf, routingOf } from './testing/config.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

const RUNS = 250;
/** A request not answered within this long counts as hung (a liveness bound, not a speed check). */
const ANSWER_CAP_MS = 10_000;
const BODY_CAP = 4096;

const echo = (e: { path?: string; rawPath?: string; body?: string | null }) => ({ statusCode: 200, body: JSON.stringify({ path: e.path ?? e.rawPath, bodyLength: e.body?.length ?? 0 }) });
const invoker = new FakeInvoker({
  echo,
  // A TOKEN authorizer: allows "allow", denies the rest, with the method ARN it was given.
  authz: (e: { authorizationToken?: string; methodArn: string }) => ({
    principalId: 'fuzz',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: e.authorizationToken === 'allow' ? 'Allow' : 'Deny', Resource: e.methodArn }] },
  }),
});
invoker.record = false;

const routing = routingOf(
  [
    ['GET', '/items/{id}', 'echo', 'rest'],
    ['ANY', '/proxy/{proxy+}', 'echo', 'rest'],
    ['POST', '/items', 'echo', 'rest'],
    ['GET', '/secure', 'echo', 'rest'],
    ['GET', '/keyed', 'echo', 'rest'],
    ['ANY', '/h/{a}/{b}', 'echo', 'http'],
    ['GET', '$default', 'echo', 'http'],
  ],
  {
    rest: apiOf('rest', { binary_media_types: ['image/*'], authorizers: { tok: { type: 'token', function: 'authz', identity_source: 'method.request.header.Authorization', ttl_seconds: 0 } } }),
    http: apiOf('http', { cors: { allow_origins: ['*'], allow_methods: ['GET', 'POST'], allow_headers: ['content-type'], expose_headers: [], allow_credentials: false } }),
  },
);
routing.routes[3]!.auth = { authorizer: 'tok' };
routing.routes[4]!.auth = { api_key_required: true };

const tchar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~'.split(''));
const token = (max: number) => fc.array(tchar, { minLength: 1, maxLength: max }).map((a) => a.join(''));
/** Printable ASCII and a few others, never CR or LF (those would be a different framing, tested elsewhere). */
const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 200 }) },
);
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive']);

const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
  { weight: 1, arbitrary: token(12).map((t) => t.toUpperCase()) },
);
const segment = fc.oneof(
  fc.constantFrom('items', 'proxy', 'h', 'secure', 'keyed', '2015-03-31', 'functions', 'echo', 'authz', 'nope', 'invocations', '..', '.', '', '%2e%2e', '%00', '%ff', '%', '%zz', '{id}', 'health'),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=:@%/'.split('')), maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => encodeURIComponent(s)),
);
const randomPath = fc.array(segment, { minLength: 0, maxLength: 6 }).map((segs) => `/${segs.join('/')}`);
// Paths near the routes and the Invoke API, so that the requests reach their handlers.
const routedPath = fc.oneof(
  segment.map((s) => `/items/${s}`),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((segs) => `/proxy/${segs.join('/')}`),
  fc.tuple(segment, segment).map(([a, b]) => `/h/${a}/${b}`),
  fc.constantFrom('/items', '/secure', '/keyed', '/health'),
  fc.oneof(fc.constantFrom('echo', 'authz', 'nope', 'arn:aws:lambda:us-east-1:1:function:echo', 'echo:$LATEST'), segment).map((n) => `/2015-03-31/functions/${n}/invocations`),
);
const pathArb = fc.oneof(randomPath, routedPath, routedPath);
const queryArb = fc.option(
  fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), fc.boolean()), { maxLength: 5 }).map((pairs) =>
    pairs.map(([k, v, bare]) => (bare ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&'),
  ),
  { nil: undefined },
);
const headersArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom('authorization', 'x-api-key', 'content-type', 'origin', 'access-control-request-method', 'x-amz-invocation-type', 'x-amz-log-type', 'x-amz-client-context', 'x-forwarded-for', 'cookie', 'accept-encoding', 'x-amz-date'), token(20)),
    fc.oneof(headerValue, fc.constantFrom('allow', 'Bearer x', 'AWS4-HMAC-SHA256 Credential=a/b/c/lambda/aws4_request, SignedHeaders=host, Signature=00', 'Event', 'DryRun', 'Tail', 'application/json', 'image/png', '*')),
  ),
  { maxLength: 8 },
);
const bodyArb = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc.uint8Array({ maxLength: BODY_CAP }).map((a) => Buffer.from(a)),
);
const requestArb = fc.record({ method, path: pathArb, query: queryArb, headers: headersArb, body: bodyArb });
type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function serialize(r: FuzzRequest): Buffer {
  let head = `${r.method} ${r.path}${r.query !== undefined ? `?${r.query}` : ''} HTTP/1.1\r\nhost: fuzz.test\r\n`;
  for (const [k, v] of r.headers) if (!FRAMING.has(k.toLowerCase())) head += `${k}: ${v}\r\n`;
  head += `content-length: ${r.body.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), r.body]);
}

/** Sends one request on its own connection; resolves with the status and whether the answer framing is complete. */
function exchange(port: number, bytes: Buffer): Promise<{ status: number; raw: string } | { hung: true } | { error: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ hung: true });
    }, ANSWER_CAP_MS);
    s.on('data', (c: Buffer) => chunks.push(c));
    // A server that answers before reading a whole body and closes may reset the connection
    // (the unread bytes): the answer that arrived first is what counts.
    let failure: string | undefined;
    s.on('error', (e) => {
      failure = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    s.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(raw);
      resolve(m ? { status: Number(m[1]), raw } : { error: `${failure ?? 'closed'}, no status line in ${JSON.stringify(raw.slice(0, 80))}` });
    });
    s.end(bytes);
  });
}

/** The answer is complete: a head ending in CRLFCRLF and a body as long as its Content-Length says (or chunked to its end). */
function wellFormed(raw: string, method: string): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = raw.slice(0, end).toLowerCase();
  const body = raw.slice(end + 4);
  if (method === 'HEAD') return true;
  const cl = /\r\ncontent-length: (\d+)/.exec(head);
  if (cl) return body.length === Number(cl[1]);
  if (/\r\ntransfer-encoding: chunked/.test(head)) return body.endsWith('0\r\n\r\n');
  return true; // close-delimited
}

async function checkGateway(gw: RunningGateway): Promise<void> {
  const port = Number(new URL(gw.url.replace('0.0.0.0', '127.0.0.1')).port);
  await fc.assert(
    fc.asyncProperty(requestArb, async (r) => {
      const answer = await exchange(port, serialize(r));
      if ('hung' in answer) throw new Error('no answer (hung request)');
      if ('error' in answer) throw new Error(`no HTTP answer: ${answer.error}`);
      if (!answer.raw.includes('\r\n\r\n') || answer.raw.length < 12) throw new Error(`cut answer: ${JSON.stringify(answer.raw.slice(0, 200))}`);
      expect(wellFormed(answer.raw, r.method), answer.raw.slice(0, 200)).toBe(true);
      // Bad input is the client's error, never the gateway's.
      expect(answer.status, answer.raw.slice(0, 300)).toBeLessThan(500);
    }),
    { numRuns: RUNS },
  );
  const health = await fetch(`${gw.url.replace('0.0.0.0', '127.0.0.1')}/health`);
  expect(health.status).toBe(200);
}

describe('HTTP fuzz: the gateway answers every request, well-formed, and keeps serving', () => {
  let loopback: RunningGateway;
  let exposed: RunningGateway;
  beforeAll(async () => {
    const log = memoryLogger().log;
    const initialConfig = { routing, functions: functionsOf('echo', 'authz') };
    loopback = await startGateway({ invoker, host: '127.0.0.1', port: 0, log, initialConfig, apiKeys: () => new Set(['fuzz-key']) });
    exposed = await startGateway({ invoker, host: '0.0.0.0', port: 0, log, initialConfig });
  });
  afterAll(async () => {
    await loopback?.close();
    await exposed?.close();
  });

  it('on loopback: routes, authorizers, API keys, CORS and the open Invoke API', () => checkGateway(loopback), 300_000);
  it('beyond loopback: the Invoke API closed to random credentials', () => checkGateway(exposed), 300_000);
});
