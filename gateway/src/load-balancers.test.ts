// Application Load Balancers (docs/gateway.md "Application Load Balancers"): which listener and
// rule take a request, the event a Lambda target group sends, the answer, redirects.
import { describe, expect, it } from 'vitest';
import { LoadBalancer } from '@esb/contracts';
import { actionFor, albAnswer, albEvent, chooseTarget, listenerFor, redirectLocation, type AlbRequest } from './load-balancers.js';

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hello/abc';
const forward = (fn: string) => ({ type: 'forward' as const, target_groups: [{ arn: TG, function: fn, weight: 1, multi_value_headers: false }] });
const lb = LoadBalancer.parse({
  listeners: [
    {
      port: 80,
      protocol: 'HTTP',
      default_actions: [{ type: 'fixed-response', status_code: 404, message_body: 'none' }],
      rules: [
        { priority: 1, conditions: [{ field: 'http-header', header: 'x-maintenance', values: ['on', 'y*'] }], actions: [{ type: 'fixed-response', status_code: 503 }] },
        { priority: 2, conditions: [{ field: 'path-pattern', values: ['/api/*'] }, { field: 'http-request-method', values: ['POST'] }], actions: [forward('items')] },
        { priority: 3, conditions: [{ field: 'path-pattern', values: ['/hello', '/h?llo/*'] }], actions: [forward('hello')] },
        { priority: 4, conditions: [{ field: 'host-header', values: ['*.example.com'] }], actions: [forward('site')] },
        { priority: 5, conditions: [{ field: 'query-string', values: [{ key: 'v*', value: 'legacy' }, { value: 'old' }] }], actions: [{ type: 'redirect', status_code: 'HTTP_301', path: '/v2/#{path}' }] },
        { priority: 6, conditions: [{ field: 'source-ip', values: ['10.0.0.0/8', 'fd00::/8'] }], actions: [forward('internal')] },
      ],
    },
    { port: 443, protocol: 'HTTPS', default_actions: [forward('secure')] },
  ],
});
const request = (over: Partial<AlbRequest> = {}): AlbRequest => ({ method: 'GET', rawPath: '/', rawQueryString: '', rawHeaders: ['Host', 'shop.elb.localhost:3000'], host: 'shop.elb.localhost', sourceIp: '127.0.0.1', https: false, port: 3000, body: undefined, ...over });
const targetOf = (req: AlbRequest) => {
  const action = actionFor(listenerFor(lb, req.https)!, req);
  return action.type === 'forward' ? action.target_groups[0].function : action.type === 'fixed-response' ? action.status_code : action.type;
};

describe('load balancer rules', () => {
  it('takes the first rule by priority whose conditions all hold, else the default action; https reaches the HTTPS listener', () => {
    expect(targetOf(request({ rawPath: '/hello' }))).toBe('hello');
    expect(targetOf(request({ rawPath: '/hallo/x' }))).toBe('hello');
    expect(targetOf(request({ rawPath: '/Hello' }))).toBe(404); // paths are case-sensitive
    expect(targetOf(request({ rawPath: '/api/items', method: 'POST' }))).toBe('items');
    expect(targetOf(request({ rawPath: '/api/items', method: 'GET' }))).toBe(404);
    expect(targetOf(request({ rawPath: '/hello', rawHeaders: ['X-Maintenance', 'YES'] }))).toBe(503); // headers are not
    expect(targetOf(request({ host: 'www.example.com' }))).toBe('site');
    expect(targetOf(request({ rawQueryString: 'version=LEGACY' }))).toBe('redirect');
    expect(targetOf(request({ rawQueryString: 'x=old' }))).toBe('redirect');
    expect(targetOf(request({ sourceIp: '10.1.2.3' }))).toBe('internal');
    expect(targetOf(request({ sourceIp: 'fd00::1' }))).toBe('internal');
    expect(targetOf(request({ sourceIp: '11.1.2.3' }))).toBe(404);
    expect(targetOf(request({ https: true, rawPath: '/hello' }))).toBe('secure');
  });

  it('a weighted forward picks by weight', () => {
    const groups = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 3 },
      { name: 'c', weight: 0 },
    ];
    expect([0, 0.24, 0.25, 0.99].map((r) => chooseTarget(groups, () => r).name)).toEqual(['a', 'a', 'b', 'b']);
  });
});

describe('the event of a Lambda target group', () => {
  it('single-value: lower-case headers with the last value, the load balancer\'s own headers, the query string as received', () => {
    const req = request({ rawPath: '/hello', rawQueryString: 'name=Ada%20L&x=1&x=2&flag', rawHeaders: ['Host', 'shop.elb.localhost:3000', 'Accept', 'a', 'ACCEPT', 'b', 'X-Forwarded-For', '1.2.3.4'] });
    expect(albEvent(req, TG, false, 'Root=1-abc')).toEqual({
      requestContext: { elb: { targetGroupArn: TG } },
      httpMethod: 'GET',
      path: '/hello',
      queryStringParameters: { name: 'Ada%20L', x: '2', flag: '' },
      headers: { host: 'shop.elb.localhost:3000', accept: 'b', 'x-amzn-trace-id': 'Root=1-abc', 'x-forwarded-for': '1.2.3.4, 127.0.0.1', 'x-forwarded-port': '3000', 'x-forwarded-proto': 'http' },
      body: '',
      isBase64Encoded: false,
    });
  });

  it('multi-value: every value; a body that is not text goes base64', () => {
    const req = request({ method: 'POST', rawQueryString: 'a=1&a=2', rawHeaders: ['X-Tag', 'a', 'x-tag', 'b', 'Content-Type', 'application/octet-stream'], body: Buffer.from([0xff, 0x00]), https: true });
    const event = albEvent(req, TG, true, 't');
    expect(event).toMatchObject({ multiValueQueryStringParameters: { a: ['1', '2'] }, multiValueHeaders: { 'x-tag': ['a', 'b'], 'x-forwarded-proto': ['https'] }, body: '/wA=', isBase64Encoded: true });
    expect(event).not.toHaveProperty('headers');
    expect(albEvent(request({ method: 'POST', rawHeaders: ['Content-Type', 'application/json'], body: Buffer.from('{"a":1}') }), TG, false, 't')).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
  });
});

describe("the function's answer", () => {
  it('headers or multiValueHeaders, a base64 body, statusDescription as the status line', () => {
    expect(albAnswer(Buffer.from(JSON.stringify({ statusCode: 201, statusDescription: '201 Made', multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: 'aGk=', isBase64Encoded: true })))).toEqual({
      status: 201,
      reason: 'Made',
      headers: [
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ],
      body: Buffer.from('hi'),
    });
    expect(albAnswer(Buffer.from(JSON.stringify({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' })))).toEqual({ status: 200, headers: [['content-type', 'text/plain']], body: Buffer.from('ok') });
  });

  it('what a load balancer refuses (502): not JSON, no statusCode, over 1 MB', () => {
    expect(albAnswer(Buffer.from('hello'))).toEqual({ invalid: 'the answer is not JSON' });
    expect(albAnswer(Buffer.from('{"body":"x"}'))).toEqual({ invalid: 'statusCode undefined is not an HTTP status' });
    expect(albAnswer(Buffer.from(JSON.stringify({ statusCode: 200, body: 'x'.repeat(1024 * 1024) })))).toMatchObject({ invalid: expect.stringMatching(/at most 1 MB/) });
  });
});

describe('redirects', () => {
  it("fill #{...} from the request; a listener's port becomes the port served here; the default port of the protocol is left out", () => {
    const req = request({ rawPath: '/old/page', rawQueryString: 'version=legacy' });
    expect(redirectLocation({ type: 'redirect', status_code: 'HTTP_301', path: '/v2/#{path}', query: 'from=#{query}' }, req, lb, 'shop.elb.localhost:3000')).toBe('http://shop.elb.localhost:3000/v2/old/page?from=version=legacy');
    expect(redirectLocation({ type: 'redirect', status_code: 'HTTP_301', protocol: 'HTTPS', port: '443' }, req, lb, 'shop.elb.localhost:3000')).toBe('https://shop.elb.localhost:3000/old/page?version=legacy');
    expect(redirectLocation({ type: 'redirect', status_code: 'HTTP_302', protocol: 'HTTPS', host: 'example.com', port: '443', path: '/', query: '' }, req, lb, 'shop.elb.localhost:3000')).toBe('https://example.com/');
  });
});
