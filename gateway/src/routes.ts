// The route table: compiled from routing.yml + functions.yml into find-my-way trees, looked
// up by the gateway's single catch-all route and swapped atomically on reload. Pure: no I/O.
//
// API Gateway rules: static segments beat {param}, which beats {proxy+}; ANY matches every
// method a route does not name itself; a greedy {proxy+} needs at least one segment; REST
// APIs ignore a trailing slash, HTTP APIs do not. Selection considers method and path
// together (HTTP API semantics, also used for REST). A miss answers as the API that owns
// the path would: REST 403 {"message":"Missing Authentication Token"}, HTTP 404 {"message":"Not Found"}.
import FindMyWay from 'find-my-way';
import type { ApiConfig, FunctionsFile, RoutingFile } from '../../crds/src/index.js';

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

export type ApiType = 'rest' | 'http';

/** An API of routing.yml with its defaults resolved. */
export interface ResolvedApi extends ApiConfig {
  id: string;
  /** The payload format the functions of this API receive. */
  payloadFormat: '1.0' | '2.0';
  /** A stable, API-Gateway-looking id (10 lower-case characters) for requestContext.apiId. */
  apiId: string;
}

export interface CompiledRoute {
  api: ResolvedApi;
  /** The route's resource path as written: `/pets/{id}`. */
  resource: string;
  /** The route's method as written (`ANY` included). */
  method: string;
  function: string;
  /** `GET /pets/{id}` (v2 routeKey). */
  routeKey: string;
  /** requestContext.resourceId: a stable 6-character id per resource. */
  resourceId: string;
  /** Names of the {param}s in order; the greedy one last, without its `+`. */
  paramNames: string[];
  greedy: boolean;
}

export interface RouteHit {
  route: CompiledRoute;
  pathParameters: Record<string, string> | null;
}

export interface RouteMiss {
  route: undefined;
  statusCode: 403 | 404;
  message: string;
  /** The API that owns the path (any method), if one does. */
  api?: ResolvedApi;
}

export interface RouteTable {
  lookup(method: string, path: string): RouteHit | RouteMiss;
  /** The API that owns a path whatever the method (CORS preflights, misses). */
  apiForPath(path: string): ResolvedApi | undefined;
  readonly apis: Readonly<Record<string, ResolvedApi>>;
  readonly routes: readonly CompiledRoute[];
  readonly functions: FunctionsFile;
  /** Routes skipped or suspicious, one sentence each (logged by the gateway). */
  readonly warnings: readonly string[];
}

export class RouteCompileError extends Error {
  constructor(
    readonly route: string,
    readonly reason: string,
  ) {
    super(`route ${route}: ${reason}`);
    this.name = 'RouteCompileError';
  }
}

const MISSING_TOKEN = { statusCode: 403 as const, message: 'Missing Authentication Token' };
const NOT_FOUND = { statusCode: 404 as const, message: 'Not Found' };

function shortId(text: string, length: number): string {
  // FNV-1a, base36: stable across runs so that ids in events do not change on reload.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  let x = h;
  while (out.length < length) {
    out += (x % 36).toString(36);
    x = Math.floor(x / 36) || Math.imul(h ^ out.length, 0x9e3779b1) >>> 0;
  }
  return out;
}

export function resolveApi(id: string, config: ApiConfig | undefined): ResolvedApi {
  const type: ApiType = config?.type ?? (/HttpApi/.test(id) ? 'http' : 'rest');
  const base: ApiConfig = config ?? {
    type,
    stage: type === 'rest' ? 'Prod' : '$default',
    stage_variables: {},
    binary_media_types: [],
  };
  const payloadFormat = type === 'rest' ? '1.0' : (base.payload_format_version ?? '2.0');
  return { ...base, id, payloadFormat, apiId: shortId(id, 10) };
}

interface ParsedPath {
  /** The find-my-way pattern. */
  pattern: string;
  paramNames: string[];
  greedy: boolean;
}

/** Turns `/pets/{id}/{proxy+}` into a find-my-way pattern with positional parameter names. */
export function parseRoutePath(path: string): ParsedPath {
  const segments = path.split('/').slice(1);
  const names: string[] = [];
  let greedy = false;
  const out: string[] = [];
  segments.forEach((seg, i) => {
    const m = /^\{([^{}]+)\}$/.exec(seg);
    if (m) {
      let name = m[1];
      if (name.endsWith('+')) {
        if (i !== segments.length - 1) throw new RouteCompileError(path, 'a greedy {name+} variable must be the last segment');
        name = name.slice(0, -1);
        greedy = true;
        out.push('*');
      } else {
        out.push(`:p${names.length}`);
      }
      if (!name) throw new RouteCompileError(path, 'empty path variable name');
      if (names.includes(name)) throw new RouteCompileError(path, `path variable {${name}} appears twice`);
      names.push(name);
      return;
    }
    if (/[{}]/.test(seg)) throw new RouteCompileError(path, `segment "${seg}" mixes text and a path variable`);
    if (seg.includes('*')) throw new RouteCompileError(path, `segment "${seg}" holds "*"`);
    out.push(seg.replace(/:/g, '::'));
  });
  return { pattern: `/${out.join('/')}`, paramNames: names, greedy };
}

interface Slot {
  specific: Partial<Record<Method, CompiledRoute>>;
  any?: CompiledRoute;
  /** Owner of the path for misses and preflights: the last route written for it. */
  api: ResolvedApi;
}

/** Compiles the routing and functions files into a lookup table. Never throws for bad routes: they are skipped with a warning. */
export function compileRouteTable(routing: RoutingFile, functions: FunctionsFile): RouteTable {
  const warnings: string[] = [];
  const apis: Record<string, ResolvedApi> = {};
  for (const [id, cfg] of Object.entries(routing.apis ?? {})) apis[id] = resolveApi(id, cfg);

  // One slot per find-my-way pattern; routes with different parameter names at the same
  // positions share it (API Gateway forbids such siblings; last write wins here).
  const slots = new Map<string, { parsed: ParsedPath; slot: Slot }>();
  const routes: CompiledRoute[] = [];
  for (const r of routing.routes ?? []) {
    const label = `${r.method} ${r.path}`;
    let parsed: ParsedPath;
    try {
      parsed = parseRoutePath(r.path);
    } catch (err) {
      warnings.push(`${(err as Error).message} (skipped)`);
      continue;
    }
    let api = apis[r.api];
    if (!api) {
      api = apis[r.api] = resolveApi(r.api, undefined);
      warnings.push(`route ${label}: api "${r.api}" is not in apis:, assuming a ${api.type} API with stage ${api.stage}`);
    }
    if (!functions.functions[r.function]) warnings.push(`route ${label}: function "${r.function}" is not in functions.yml (502 until it is deployed)`);
    const route: CompiledRoute = {
      api,
      resource: r.path,
      method: r.method,
      function: r.function,
      routeKey: label,
      resourceId: shortId(`${r.api} ${r.path}`, 6),
      paramNames: parsed.paramNames,
      greedy: parsed.greedy,
    };
    routes.push(route);
    // REST APIs ignore a trailing slash: `/pets` and `/pets/` are one resource.
    const patterns = [parsed.pattern];
    if (api.type === 'rest' && !parsed.greedy) {
      if (parsed.pattern.length > 1 && parsed.pattern.endsWith('/')) patterns.push(parsed.pattern.slice(0, -1));
      else if (parsed.pattern !== '/') patterns.push(`${parsed.pattern}/`);
    }
    for (const pattern of patterns) {
      let entry = slots.get(pattern);
      if (!entry) slots.set(pattern, (entry = { parsed, slot: { specific: {}, api } }));
      if (r.method === 'ANY') entry.slot.any = route;
      else entry.slot.specific[r.method as Method] = route;
      entry.slot.api = api;
    }
  }

  const byMethod = FindMyWay({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 8192 });
  const byPath = FindMyWay({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 8192 });
  const noop = () => undefined;
  for (const [pattern, { slot }] of slots) {
    byPath.on('GET', pattern, noop, slot);
    for (const m of METHODS) {
      const route = slot.specific[m] ?? slot.any;
      if (route) byMethod.on(m, pattern, noop, route);
    }
  }
  const onlyRest = Object.values(apis).length > 0 && Object.values(apis).every((a) => a.type === 'rest');

  function paramsOf(route: CompiledRoute, params: Record<string, string | undefined>): Record<string, string> | null {
    const names = route.paramNames;
    if (names.length === 0) return null;
    const out: Record<string, string> = {};
    const last = names.length - 1;
    for (let i = 0; i <= last; i++) {
      out[names[i]] = (route.greedy && i === last ? params['*'] : params[`p${i}`]) ?? '';
    }
    return out;
  }

  function apiForPath(path: string): ResolvedApi | undefined {
    const found = byPath.find('GET', path);
    if (!found) return undefined;
    if (found.params['*'] === '') return undefined;
    return (found.store as Slot).api;
  }

  function miss(path: string): RouteMiss {
    const api = apiForPath(path);
    if (api) return { route: undefined, ...(api.type === 'rest' ? MISSING_TOKEN : NOT_FOUND), api };
    return { route: undefined, ...(onlyRest ? MISSING_TOKEN : NOT_FOUND) };
  }

  return {
    lookup(method: string, path: string): RouteHit | RouteMiss {
      const found = byMethod.find(method as Method, path);
      // A greedy variable needs at least one character (`/{proxy+}` does not match `/`).
      if (!found || found.params['*'] === '') return miss(path);
      const route = found.store as CompiledRoute;
      return { route, pathParameters: paramsOf(route, found.params) };
    },
    apiForPath,
    apis,
    routes,
    functions,
    warnings,
  };
}
