// The events are written as JSON text (v1EventJson, v2EventJson). Checked here against the
// straightforward way of building them, kept as the oracle: an object per event, as live API
// Gateway events show it, then JSON.stringify. Any request (repeated and odd header names,
// quotes and backslashes in values, percent-encoded paths and queries, binary bodies) gives
// valid JSON with the same content.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS } from '@esb/contracts';
import { buildV1Event, buildV2Event, decodePath, formatRequestTime, parseQuery, v1EventJson, v2EventJson, type GatewayRequest } from './events.js';
import { compileRouteTable, type RouteHit } from './routes.js';

function hitFor(type: 'rest' | 'http', format: '1.0' | '2.0', stageVariables: Record<string, string>, reqPath: string): RouteHit {
  const t = compileRouteTable(
    {
      routes: [{ method: 'ANY', path: '/{proxy+}', function: 'f', api: 'Api' }],
      apis: { Api: { type, stage: type === 'rest' ? 'prod' : '$default', stage_variables: stageVariables, binary_media_types: [], payload_format_version: format } },
    },
    EMPTY_FUNCTIONS,
  );
  return t.lookup('GET', reqPath) as RouteHit;
}

// ---- the oracle: objects, then JSON.stringify ----
const firstHeader = (raw: string[], lower: string) => {
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lower) return raw[i + 1];
  return undefined;
};
const bodyText = (req: GatewayRequest, base64: boolean) => (!req.body || req.body.length === 0 ? undefined : base64 ? req.body.toString('base64') : req.body.toString('utf8'));

function oracleV1(req: GatewayRequest, hit: RouteHit, base64Body: boolean): unknown {
  const api = hit.route.api;
  const headers = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.set(req.rawHeaders[i], req.rawHeaders[i + 1]);
    multi.set(req.rawHeaders[i], [...(multi.get(req.rawHeaders[i]) ?? []), req.rawHeaders[i + 1]]);
  }
  const qs = new Map<string, string>();
  const mqs = new Map<string, string[]>();
  for (const [k, v] of parseQuery(req.rawQueryString)) {
    qs.set(k, v);
    mqs.set(k, [...(mqs.get(k) ?? []), v]);
  }
  const path = api.type === 'rest' ? req.rawPath : decodePath(req.rawPath);
  const host = firstHeader(req.rawHeaders, 'host') ?? 'localhost';
  const body = bodyText(req, base64Body);
  const sv = Object.keys(api.stage_variables ?? {}).length ? api.stage_variables : null;
  return {
    resource: hit.route.resource,
    path,
    httpMethod: req.method,
    headers: headers.size ? Object.fromEntries(headers) : null,
    multiValueHeaders: multi.size ? Object.fromEntries(multi) : null,
    queryStringParameters: qs.size ? Object.fromEntries(qs) : null,
    multiValueQueryStringParameters: mqs.size ? Object.fromEntries(mqs) : null,
    pathParameters: hit.pathParameters,
    stageVariables: sv,
    requestContext: {
      accountId: '123456789012',
      apiId: api.apiId,
      resourceId: hit.route.resourceId,
      resourcePath: hit.route.resource,
      httpMethod: req.method,
      requestId: req.requestId,
      extendedRequestId: req.requestId,
      requestTime: formatRequestTime(req.timeEpoch),
      requestTimeEpoch: req.timeEpoch,
      path: api.stage !== '$default' ? `/${api.stage}${path}` : path,
      stage: api.stage,
      protocol: req.protocol,
      domainName: host,
      domainPrefix: host.split('.')[0],
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: firstHeader(req.rawHeaders, 'user-agent') ?? null,
        userArn: null,
      },
      authorizer: null,
    },
    body: body ?? null,
    isBase64Encoded: body !== undefined && base64Body,
  };
}

function oracleV2(req: GatewayRequest, hit: RouteHit, base64Body: boolean): unknown {
  const api = hit.route.api;
  const headers = new Map<string, string>();
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    else headers.set(name, headers.has(name) ? `${headers.get(name)},${value}` : value);
  }
  const qs = new Map<string, string>();
  for (const [k, v] of parseQuery(req.rawQueryString)) qs.set(k, qs.has(k) ? `${qs.get(k)},${v}` : v);
  const host = headers.get('host') ?? 'localhost';
  const path = decodePath(req.rawPath);
  const body = bodyText(req, base64Body);
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: hit.route.routeKey,
    rawPath: path,
    rawQueryString: req.rawQueryString,
    headers: Object.fromEntries(headers),
    requestContext: {
      accountId: '123456789012',
      apiId: api.apiId,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: { method: req.method, path, protocol: req.protocol, sourceIp: req.sourceIp, userAgent: headers.get('user-agent') ?? '' },
      requestId: req.requestId,
      routeKey: hit.route.routeKey,
      stage: api.stage,
      time: formatRequestTime(req.timeEpoch),
      timeEpoch: req.timeEpoch,
    },
    isBase64Encoded: body !== undefined && base64Body,
  };
  if (cookies.length) event.cookies = cookies;
  if (qs.size) event.queryStringParameters = Object.fromEntries(qs);
  if (hit.pathParameters) event.pathParameters = hit.pathParameters;
  if (Object.keys(api.stage_variables ?? {}).length) event.stageVariables = api.stage_variables;
  if (body !== undefined) event.body = body;
  return event;
}

// ---- requests ----
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/;
const headerName = fc.oneof(
  fc.constantFrom('Host', 'host', 'HOST', 'User-Agent', 'user-agent', 'Cookie', 'cookie', 'X-Multi', 'x-multi', 'Accept', 'Content-Type', 'X-Forwarded-For', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '10'),
  fc.stringMatching(TOKEN),
);
// What node:http hands over: latin1 text without control characters other than tab.
const headerValue = fc.oneof(
  fc.constantFrom('', 'a=1; b=2', ';;', ' c = 3 ;', 'api.example.com', 'a.b.c', '"quoted"', 'back\\slash', 'tab\there', 'ÿé', '{"json":true}'),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 24 }),
);
const queryPart = fc.oneof(
  fc.constantFrom('a', 'a', 'b', 'toString', '__proto__', '%2B', '+', 'a+b', '%E2%82%AC', '%zz', '%', '%C3', '"', '\\', 'x%22y'),
  fc.stringMatching(/^[\w.~%+-]{0,8}$/),
);
const query = fc.array(fc.tuple(queryPart, fc.option(queryPart, { nil: undefined })), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'));
const pathSegment = fc.oneof(fc.constantFrom('a', 'dog%20food', '%2F', '%E2%82%AC', '%zz', 'x"y', 'ü'), fc.stringMatching(/^[\w.~%-]{1,8}$/));

const request = fc.record({
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 40 }),
  query,
  segments: fc.array(pathSegment, { minLength: 1, maxLength: 4 }),
  body: fc.option(fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), fc.string({ maxLength: 40 }).map((t) => Buffer.from(t))), { nil: undefined }),
  base64Body: fc.boolean(),
  method: fc.constantFrom('GET', 'POST', 'DELETE'),
  stageVariables: fc.dictionary(fc.stringMatching(/^\w{1,6}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
});

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

const toGatewayRequest = (r: Generated): GatewayRequest => ({
  method: r.method,
  rawPath: `/${r.segments.join('/')}`,
  rawQueryString: r.query,
  rawHeaders: r.headers.flat(),
  body: r.body,
  sourceIp: '10.0.0.1',
  protocol: 'HTTP/1.1',
  requestId: 'c0ffee00-0000-4000-8000-000000000000',
  timeEpoch: Date.UTC(2026, 11, 4, 12, 0, 0),
});

describe('events as JSON text', () => {
  it('v1 (REST, and HTTP API payload 1.0): valid JSON with the same content as the object form', () => {
    fc.assert(
      fc.property(request, fc.constantFrom<'rest' | 'http'>('rest', 'http'), (r, type) => {
        const req = toGatewayRequest(r);
        const hit = hitFor(type, '1.0', r.stageVariables, req.rawPath);
        const text = v1EventJson(req, hit, { base64Body: r.base64Body });
        expect(JSON.parse(text)).toEqual(oracleV1(req, hit, r.base64Body));
      }),
      { numRuns: 400 },
    );
  });

  it('v2 (HTTP API payload 2.0): valid JSON with the same content as the object form', () => {
    fc.assert(
      fc.property(request, (r) => {
        const req = toGatewayRequest(r);
        const hit = hitFor('http', '2.0', r.stageVariables, req.rawPath);
        const text = v2EventJson(req, hit, { base64Body: r.base64Body });
        expect(JSON.parse(text)).toEqual(oracleV2(req, hit, r.base64Body));
      }),
      { numRuns: 400 },
    );
  });

  it('header names that are also Object.prototype names come through as headers, in both forms', () => {
    const req = toGatewayRequest({ headers: [['constructor', 'c'], ['toString', 't'], ['__proto__', 'p'], ['Host', 'h']], query: 'toString=1&__proto__=2', segments: ['x'], body: undefined, base64Body: false, method: 'GET', stageVariables: {} });
    const v1 = buildV1Event(req, hitFor('rest', '1.0', {}, '/x'), { base64Body: false });
    expect(Object.hasOwn(v1.headers!, '__proto__') && v1.headers!.__proto__).toBe('p');
    expect([v1.headers!.constructor, v1.headers!.toString, v1.multiValueHeaders!.constructor]).toEqual(['c', 't', ['c']]);
    expect(Object.hasOwn(v1.queryStringParameters!, '__proto__') && v1.queryStringParameters!.__proto__).toBe('2');
    const v2 = buildV2Event(req, hitFor('http', '2.0', {}, '/x'), { base64Body: false });
    expect([v2.headers.constructor, v2.headers.tostring, v2.queryStringParameters!.toString]).toEqual(['c', 't', '1']);
    expect(Object.hasOwn(v2.headers, '__proto__') && v2.headers.__proto__).toBe('p');
  });
});
