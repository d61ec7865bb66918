import { describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS } from '@esb/contracts';
import { buildV1Event, buildV2Event, edgeHeaders, formatRequestTime, isTextContentType, matchesMediaType, type GatewayRequest } from './events.js';
import { compileRouteTable, type RouteHit } from './routes.js';

const T = Date.UTC(2015, 3, 9, 12, 34, 56);
function hitFor(type: 'rest' | 'http', path: string, reqPath: string, method = 'GET') {
  const t = compileRouteTable(
    {
      routes: [{ method: 'ANY', path, function: 'f', api: 'Api' }],
      apis: { Api: { type, stage: type === 'rest' ? 'prod' : '$default', stage_variables: { env: 'test' }, binary_media_types: [] } },
    },
    EMPTY_FUNCTIONS,
  );
  return t.lookup(method, reqPath) as RouteHit;
}
const req = (over: Partial<GatewayRequest> = {}): GatewayRequest => ({
  method: 'GET',
  rawPath: '/pets/dog%20food',
  rawQueryString: 'a=1&a=2&b=x%20y&flag&plus=a+b&encodedPlus=a%2Bb',
  rawHeaders: ['Host', 'api.example.com', 'User-Agent', 'curl/8', 'X-Multi', 'one', 'X-Multi', 'two', 'Cookie', 'a=1; b=2'],
  body: undefined,
  sourceIp: '10.0.0.1',
  protocol: 'HTTP/1.1',
  requestId: 'req-1',
  timeEpoch: T,
  ...over,
});

// Path and query decoding follow live API Gateway events (published captures, us-west-2, 2026):
// a REST API keeps path and path parameters percent-encoded, an HTTP API decodes the path (rawPath
// included); both decode query values, `+` as a space.
describe('buildV1Event (REST proxy integration, the shape AWS documents)', () => {
  const ev = buildV1Event(req(), hitFor('rest', '/pets/{name}', '/pets/dog%20food'), { base64Body: false });
  it('has every top-level field', () => {
    expect(Object.keys(ev).sort()).toEqual(
      ['body', 'headers', 'httpMethod', 'isBase64Encoded', 'multiValueHeaders', 'multiValueQueryStringParameters', 'path', 'pathParameters', 'queryStringParameters', 'requestContext', 'resource', 'stageVariables'].sort(),
    );
    expect(ev).toMatchObject({ resource: '/pets/{name}', path: '/pets/dog%20food', httpMethod: 'GET', body: null, isBase64Encoded: false, pathParameters: { name: 'dog%20food' }, stageVariables: { env: 'test' } });
  });
  it('headers keep the client case; the single-value map holds the last value', () => {
    expect(ev.headers).toMatchObject({ Host: 'api.example.com', 'X-Multi': 'two' });
    expect(ev.multiValueHeaders).toMatchObject({ 'X-Multi': ['one', 'two'], Host: ['api.example.com'] });
  });
  it('query strings: last value and all values, decoded (`+` is a space, `%2B` a plus)', () => {
    expect(ev.queryStringParameters).toEqual({ a: '2', b: 'x y', flag: '', plus: 'a b', encodedPlus: 'a+b' });
    expect(ev.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], b: ['x y'], flag: [''], plus: ['a b'], encodedPlus: ['a+b'] });
    const none = buildV1Event(req({ rawQueryString: '' }), hitFor('rest', '/pets/{name}', '/pets/x'), { base64Body: false });
    expect(none.queryStringParameters).toBeNull();
    expect(none.multiValueQueryStringParameters).toBeNull();
  });
  it('requestContext', () => {
    expect(ev.requestContext).toMatchObject({
      accountId: '123456789012',
      resourcePath: '/pets/{name}',
      httpMethod: 'GET',
      requestId: 'req-1',
      extendedRequestId: 'req-1',
      requestTime: '09/Apr/2015:12:34:56 +0000',
      requestTimeEpoch: T,
      path: '/prod/pets/dog%20food',
      stage: 'prod',
      protocol: 'HTTP/1.1',
      domainName: 'api.example.com',
      identity: { sourceIp: '10.0.0.1', userAgent: 'curl/8' },
    });
    expect(ev.requestContext.apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(ev.requestContext.resourceId).toMatch(/^[a-z0-9]{6}$/);
  });
  it('body: text or base64', () => {
    const b = Buffer.from([0, 1, 2, 255]);
    expect(buildV1Event(req({ body: b }), hitFor('rest', '/{p+}', '/x'), { base64Body: true })).toMatchObject({ body: b.toString('base64'), isBase64Encoded: true });
    expect(buildV1Event(req({ body: Buffer.from('héllo') }), hitFor('rest', '/{p+}', '/x'), { base64Body: false })).toMatchObject({ body: 'héllo', isBase64Encoded: false });
  });
});

describe('buildV1Event for an HTTP API with payload format 1.0', () => {
  it('decodes the path and path parameters, as HTTP APIs do', () => {
    const ev = buildV1Event(req(), hitFor('http', '/pets/{name}', '/pets/dog%20food'), { base64Body: false });
    expect(ev).toMatchObject({ path: '/pets/dog food', pathParameters: { name: 'dog food' } });
    expect(ev.requestContext.path).toBe('/pets/dog food');
  });
});

describe('buildV2Event (HTTP API payload 2.0)', () => {
  const ev = buildV2Event(req(), hitFor('http', '/pets/{name}', '/pets/dog%20food'), { base64Body: false });
  it('fields', () => {
    expect(ev).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /pets/{name}',
      rawPath: '/pets/dog food',
      rawQueryString: 'a=1&a=2&b=x%20y&flag&plus=a+b&encodedPlus=a%2Bb',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { a: '1,2', b: 'x y', flag: '', plus: 'a b', encodedPlus: 'a+b' },
      pathParameters: { name: 'dog food' },
      stageVariables: { env: 'test' },
      isBase64Encoded: false,
    });
    expect(ev.body).toBeUndefined();
    expect('body' in ev).toBe(false);
  });
  it('headers are lower-case, comma-joined, without cookies', () => {
    expect(ev.headers).toEqual({ host: 'api.example.com', 'user-agent': 'curl/8', 'x-multi': 'one,two' });
  });
  it('requestContext', () => {
    expect(ev.requestContext).toMatchObject({
      accountId: '123456789012',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'GET', path: '/pets/dog food', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'curl/8' },
      requestId: 'req-1',
      routeKey: 'ANY /pets/{name}',
      stage: '$default',
      time: '09/Apr/2015:12:34:56 +0000',
      timeEpoch: T,
    });
  });
  it('omits absent optional fields', () => {
    const e = buildV2Event(req({ rawQueryString: '', rawHeaders: ['Host', 'h'] }), hitFor('http', '/x', '/x'), { base64Body: false });
    expect(Object.keys(e).sort()).toEqual(['headers', 'isBase64Encoded', 'rawPath', 'rawQueryString', 'requestContext', 'routeKey', 'stageVariables', 'version']);
  });
});

describe('edgeHeaders: what API Gateway adds at its edge', () => {
  const edge = { sourceIp: '10.0.0.1', port: 3000, proto: 'http' as const, rest: false };
  it('adds X-Forwarded-For/-Port/-Proto and a trace id when the client sent none', () => {
    expect(edgeHeaders(['Host', 'h', 'X-Amzn-Trace-Id', 'Root=1-a'], edge)).toEqual(['Host', 'h', 'X-Amzn-Trace-Id', 'Root=1-a', 'X-Forwarded-For', '10.0.0.1', 'X-Forwarded-Port', '3000', 'X-Forwarded-Proto', 'http']);
    expect(edgeHeaders(['Host', 'h'], { ...edge, traceId: 'Root=1-b' }).slice(-2)).toEqual(['X-Amzn-Trace-Id', 'Root=1-b']);
  });
  it("appends the source IP to the client's X-Forwarded-For and replaces its port and proto", () => {
    const out = edgeHeaders(['x-forwarded-for', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2', 'x-forwarded-proto', 'https', 'X-Forwarded-Port', '443', 'Accept', '*/*'], edge);
    expect(out).toEqual(['Accept', '*/*', 'X-Forwarded-For', '1.1.1.1, 2.2.2.2, 10.0.0.1', 'X-Forwarded-Port', '3000', 'X-Forwarded-Proto', 'http']);
  });
  it('drops hop-by-hop headers; a REST API also drops Content-Length, an HTTP API keeps it', () => {
    const client = ['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Content-Length', '2', 'Accept', '*/*'];
    expect(edgeHeaders(client, edge).slice(0, 4)).toEqual(['Content-Length', '2', 'Accept', '*/*']);
    expect(edgeHeaders(client, { ...edge, rest: true }).slice(0, 2)).toEqual(['Accept', '*/*']);
  });
});

describe('content types', () => {
  it('matchesMediaType handles exact, wildcard and parameters', () => {
    expect(matchesMediaType('image/png', ['image/*'])).toBe(true);
    expect(matchesMediaType('application/octet-stream; x=1', ['application/octet-stream'])).toBe(true);
    expect(matchesMediaType('text/plain', ['*/*'])).toBe(true);
    expect(matchesMediaType('text/plain', ['image/png'])).toBe(false);
    expect(matchesMediaType(undefined, ['*/*'])).toBe(false);
  });
  it('isTextContentType', () => {
    for (const t of ['text/plain', 'application/json; charset=utf-8', 'application/vnd.api+json', 'application/xml', undefined]) expect(isTextContentType(t)).toBe(true);
    for (const t of ['image/png', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data']) expect(isTextContentType(t)).toBe(false);
  });
  it('formatRequestTime', () => {
    expect(formatRequestTime(Date.UTC(2020, 2, 12, 19, 3, 58))).toBe('12/Mar/2020:19:03:58 +0000');
    // Formatted once a second: the same second, the next one, and back.
    expect(formatRequestTime(Date.UTC(2020, 2, 12, 19, 3, 58, 999))).toBe('12/Mar/2020:19:03:58 +0000');
    expect(formatRequestTime(Date.UTC(2020, 2, 12, 19, 3, 59, 0))).toBe('12/Mar/2020:19:03:59 +0000');
    expect(formatRequestTime(Date.UTC(2021, 0, 1, 0, 0, 0))).toBe('01/Jan/2021:00:00:00 +0000');
    expect(formatRequestTime(Date.UTC(2020, 2, 12, 19, 3, 58, 1))).toBe('12/Mar/2020:19:03:58 +0000');
  });
});
