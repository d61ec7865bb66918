import { describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS, type RoutingFile } from '@esb/contracts';
import { compileRouteTable, parseRoutePath, type RouteHit, type RouteMiss } from './routes.js';

const fns = (...names: string[]) => ({ ...EMPTY_FUNCTIONS, functions: Object.fromEntries(names.map((n) => [n, { timeout: 3, memory_size: 128, package_type: 'Zip' as const, environment: {}, scaling: {}, layers: [], events: [] }])) });
const api = (type: 'rest' | 'http', extra = {}) => ({ type, stage: type === 'rest' ? 'Prod' : '$default', stage_variables: {}, binary_media_types: [], ...extra });
function table(routes: Array<[string, string, string]>, type: 'rest' | 'http' = 'rest') {
  const routing: RoutingFile = { routes: routes.map(([method, path, fn]) => ({ method: method as 'GET', path, function: fn, api: 'Api' })), apis: { Api: api(type) } };
  return compileRouteTable(routing, fns(...routes.map((r) => r[2])));
}
const fnOf = (r: RouteHit | RouteMiss) => r.route?.function;

describe('compileRouteTable: precedence', () => {
  const t = table([
    ['GET', '/pets/{id}', 'param'],
    ['GET', '/pets/mine', 'static'],
    ['ANY', '/pets/{proxy+}', 'proxy'],
    ['ANY', '/{proxy+}', 'root'],
    ['POST', '/pets/{id}', 'post-param'],
  ]);
  it('static beats {param} beats {proxy+}', () => {
    expect(fnOf(t.lookup('GET', '/pets/mine'))).toBe('static');
    expect(fnOf(t.lookup('GET', '/pets/7'))).toBe('param');
    expect(fnOf(t.lookup('GET', '/pets/7/toys'))).toBe('proxy');
    expect(fnOf(t.lookup('GET', '/other/x'))).toBe('root');
  });
  it('a specific method beats ANY; ANY catches the other methods', () => {
    expect(fnOf(t.lookup('POST', '/pets/7'))).toBe('post-param');
    expect(fnOf(t.lookup('DELETE', '/pets/7'))).toBe('proxy');
    expect(fnOf(t.lookup('PATCH', '/x'))).toBe('root');
  });
  it('path parameters carry the template names, as received (REST); proxy holds the rest of the path', () => {
    expect((t.lookup('GET', '/pets/a%20b') as RouteHit).pathParameters).toEqual({ id: 'a%20b' });
    expect((t.lookup('GET', '/pets/1/2/3') as RouteHit).pathParameters).toEqual({ proxy: '1/2/3' });
    expect((t.lookup('GET', '/pets/mine') as RouteHit).pathParameters).toBeNull();
  });
  it('a greedy variable needs at least one segment', () => {
    const r = t.lookup('GET', '/');
    expect(r.route).toBeUndefined();
    expect((r as RouteMiss).statusCode).toBe(403);
  });
  it('backtracks from a static branch to a parameter', () => {
    const t2 = table([['GET', '/a/{x}/b', 'axb'], ['GET', '/a/s/c', 'asc']]);
    expect(fnOf(t2.lookup('GET', '/a/s/b'))).toBe('axb');
    expect((t2.lookup('GET', '/a/s/b') as RouteHit).pathParameters).toEqual({ x: 's' });
  });
  it('multiple params in one route keep their names', () => {
    const t2 = table([['GET', '/users/{userId}/orders/{order-id}', 'o']]);
    expect((t2.lookup('GET', '/users/u1/orders/o-2') as RouteHit).pathParameters).toEqual({ userId: 'u1', 'order-id': 'o-2' });
  });
});

describe('compileRouteTable: misses and trailing slashes', () => {
  it('REST: unknown path or method is 403 Missing Authentication Token', () => {
    const t = table([['GET', '/pets', 'p']]);
    expect(t.lookup('GET', '/nope')).toMatchObject({ statusCode: 403, message: 'Missing Authentication Token' });
    expect(t.lookup('POST', '/pets')).toMatchObject({ statusCode: 403, message: 'Missing Authentication Token' });
  });
  it('HTTP: unknown path or method is 404 Not Found', () => {
    const t = table([['GET', '/pets', 'p']], 'http');
    expect(t.lookup('GET', '/nope')).toMatchObject({ statusCode: 404, message: 'Not Found' });
    expect(t.lookup('DELETE', '/pets')).toMatchObject({ statusCode: 404 });
  });
  it('REST ignores a trailing slash, HTTP does not', () => {
    expect(fnOf(table([['GET', '/pets', 'p']]).lookup('GET', '/pets/'))).toBe('p');
    expect(fnOf(table([['GET', '/pets/{id}', 'p']]).lookup('GET', '/pets/1/'))).toBe('p');
    expect(fnOf(table([['GET', '/pets', 'p']], 'http').lookup('GET', '/pets/'))).toBeUndefined();
  });
  it('a path of no API: 404 unless every API is REST (403)', () => {
    const mixed = compileRouteTable(
      { routes: [{ method: 'GET', path: '/a', function: 'f', api: 'R' }, { method: 'GET', path: '/b', function: 'f', api: 'H' }], apis: { R: api('rest'), H: api('http') } },
      fns('f'),
    );
    expect(mixed.lookup('GET', '/zzz')).toMatchObject({ statusCode: 404 });
    expect(mixed.lookup('POST', '/a')).toMatchObject({ statusCode: 403 });
    expect(compileRouteTable({ routes: [], apis: {} }, fns()).lookup('GET', '/')).toMatchObject({ statusCode: 404 });
  });
  it('ANY covers methods outside the usual seven; named methods do not', () => {
    expect(fnOf(table([['ANY', '/x', 'x']]).lookup('PROPFIND', '/x'))).toBe('x');
    expect(table([['GET', '/x', 'x']]).lookup('PROPFIND', '/x').route).toBeUndefined();
  });
  it('matches literal segments decoded; %2F stays inside one segment; REST keeps parameters encoded, HTTP APIs decode them', () => {
    const routes: Array<[string, string, string]> = [['GET', '/café/{id}', 'c'], ['ANY', '/files/{proxy+}', 'f']];
    const rest = table(routes);
    expect((rest.lookup('GET', '/caf%C3%A9/a%2Fb') as RouteHit).pathParameters).toEqual({ id: 'a%2Fb' });
    expect((rest.lookup('GET', '/files/a/b%20c') as RouteHit).pathParameters).toEqual({ proxy: 'a/b%20c' });
    const http = table(routes, 'http');
    expect((http.lookup('GET', '/caf%C3%A9/a%2Fb') as RouteHit).pathParameters).toEqual({ id: 'a/b' });
    expect((http.lookup('GET', '/files/a/b%20c') as RouteHit).pathParameters).toEqual({ proxy: 'a/b c' });
  });
  it('an empty segment is not a {param}', () => {
    expect(table([['GET', '/a/{x}/b', 'x']], 'http').lookup('GET', '/a//b').route).toBeUndefined();
  });
});

describe('compileRouteTable: config', () => {
  it('resolves api defaults and payload format', () => {
    const t = compileRouteTable(
      {
        routes: [
          { method: 'GET', path: '/r', function: 'f', api: 'ServerlessRestApi' },
          { method: 'GET', path: '/h', function: 'f', api: 'ServerlessHttpApi' },
          { method: 'GET', path: '/h1', function: 'f', api: 'Legacy' },
        ],
        apis: { Legacy: api('http', { payload_format_version: '1.0' }) },
      },
      fns('f'),
    );
    expect(t.apis.ServerlessRestApi).toMatchObject({ type: 'rest', stage: 'Prod', payloadFormat: '1.0' });
    expect(t.apis.ServerlessHttpApi).toMatchObject({ type: 'http', stage: '$default', payloadFormat: '2.0' });
    expect(t.apis.Legacy.payloadFormat).toBe('1.0');
    expect(t.apis.ServerlessRestApi.apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(t.warnings.some((w) => w.includes('ServerlessRestApi'))).toBe(true);
  });
  it('skips invalid routes with a warning and warns about unknown functions', () => {
    const t = compileRouteTable(
      { routes: [{ method: 'GET', path: '/a/{p+}/b', function: 'f', api: 'A' }, { method: 'GET', path: '/ok', function: 'ghost', api: 'A' }], apis: { A: api('rest') } },
      fns('f'),
    );
    expect(t.routes).toHaveLength(1);
    expect(t.warnings.join('\n')).toMatch(/greedy/);
    expect(t.warnings.join('\n')).toMatch(/ghost/);
    expect(t.lookup('GET', '/a/x/b').route).toBeUndefined();
  });
  it('parseRoutePath splits literal and variable segments', () => {
    expect(parseRoutePath('/a:b/{x}/{rest+}')).toEqual({ segments: ['a:b', { kind: 'param' }, { kind: 'greedy' }], paramNames: ['x', 'rest'], greedy: true });
    expect(fnOf(table([['GET', '/v1:run', 'c']]).lookup('GET', '/v1:run'))).toBe('c');
  });
});

describe('compileRouteTable: an HTTP API $default route', () => {
  const routing: RoutingFile = {
    routes: [
      { method: 'GET', path: '/pets/{id}', function: 'pets', api: 'Http' },
      { method: 'ANY', path: '$default', function: 'fallback', api: 'Http' },
      { method: 'GET', path: '/legacy', function: 'legacy', api: 'Rest' },
    ],
    apis: { Http: api('http'), Rest: api('rest') },
  };
  const t = compileRouteTable(routing, fns('pets', 'fallback', 'legacy'));
  it('takes every request no route takes, without path parameters, with routeKey $default', () => {
    expect(fnOf(t.lookup('GET', '/pets/1'))).toBe('pets');
    const hit = t.lookup('POST', '/anything/at/all') as RouteHit;
    expect(hit.route.function).toBe('fallback');
    expect(hit.route.routeKey).toBe('$default');
    expect(hit.pathParameters).toBeNull();
    expect(fnOf(t.lookup('GET', '/'))).toBe('fallback');
    // A method miss on its own API's path goes to $default too.
    expect(fnOf(t.lookup('DELETE', '/pets/1'))).toBe('fallback');
  });
  it('leaves the misses of another API to that API', () => {
    const miss = t.lookup('POST', '/legacy') as RouteMiss;
    expect(miss.route).toBeUndefined();
    expect(miss.statusCode).toBe(403);
  });
  it('exists only in HTTP APIs: a REST $default is skipped with a warning', () => {
    const rest = compileRouteTable({ routes: [{ method: 'ANY', path: '$default', function: 'f', api: 'Rest' }], apis: { Rest: api('rest') } }, fns('f'));
    expect(rest.lookup('GET', '/x').route).toBeUndefined();
    expect(rest.warnings.join('\n')).toMatch(/only HTTP APIs have a \$default route/);
  });
});
