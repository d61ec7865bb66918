// The route table: compiled from routing.yml + functions.yml into a segment trie, looked up
// by the gateway's single catch-all route and swapped atomically on reload. Pure: no I/O.
// (find-my-way was the first engine: registering a route costs it ~0.1 ms per method, so a
// 5,000-route table took 2.7 s to compile; this trie compiles it in ~10-30 ms, and expresses
// "a greedy variable needs a segment" and method-aware backtracking directly.)
//
// API Gateway rules: static segments beat {param}, which beats {proxy+}; ANY matches every
// method a route does not name itself; a greedy {proxy+} needs at least one segment; REST
// APIs ignore a trailing slash, HTTP APIs do not. Selection considers method and path
// together (HTTP API semantics, also used for REST). An HTTP API's `$default` route takes
// what no route takes (paths no API owns, and its own API's method misses). A miss answers
// as the API that owns the path would: REST 403 {"message":"Missing Authentication Token"},
// HTTP 404 {"message":"Not Found"}. Segments are matched decoded; path parameters go out as
// each kind of API delivers them (REST: still percent-encoded; HTTP: decoded).
import { nextSlice, SLICE_BUDGET_MS } from '@esb/contracts';
import type { ApiConfig, FunctionsFile, RouteAuth, RoutingFile, UsagePlan, WebSocketApi, WebSocketRoute } from '@esb/contracts';
import { compileGatewayResponses, type GatewayResponseTable } from './gateway-responses.js';
import { plansByKey } from './usage-plans.js';
import { compileValidation, type CompiledValidation } from './request-validation.js';
import type { BodyCheck } from '@esb/contracts';

export type ApiType = 'rest' | 'http';

/** An API of routing.yml with its defaults resolved. */
export interface ResolvedApi extends ApiConfig {
  id: string;
  /** The payload format the functions of this API receive. */
  payloadFormat: '1.0' | '2.0';
  /** A stable, API-Gateway-looking id (10 lower-case characters) for requestContext.apiId. */
  apiId: string;
  /** `api_keys` as a set: a key is looked up per request. */
  apiKeySet?: ReadonlySet<string>;
  /** `usage_plans` by key: the plan that limits a key on this API. */
  usagePlanOf?: ReadonlyMap<string, UsagePlan>;
  /** A function URL (set by the gateway, not read from routing.yml). */
  functionUrl?: boolean;
  /** A function URL with AuthType AWS_IAM: requests must be signed (set by the gateway, not read from routing.yml). */
  iamAuth?: boolean;
  /** A function URL in RESPONSE_STREAM mode: a response the function streams is written as it comes (set by the gateway). */
  responseStream?: boolean;
  /** REST APIs: `gateway_responses` compiled (the gateway's own answers as the API shapes them). */
  gatewayResponses?: GatewayResponseTable;
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
  /** Authorization of the route (API keys, authorizers), when it has any. */
  auth?: RouteAuth;
  /** REST: what the request must carry and match before the function is called. */
  validation?: CompiledValidation;
  /** REST, responseTransferMode STREAM: what the function streams is written as it comes. */
  responseStream?: boolean;
  /** The OPTIONS MOCK SAM adds for a REST API's `Cors` when it has authorization: its headers, answered once authorized (no function). */
  corsOptions?: Record<string, string>;
}

export interface RouteHit {
  route: CompiledRoute;
  pathParameters: Record<string, string> | null;
}

export interface RouteMiss {
  route: undefined;
  statusCode: 403 | 404;
  message: string;
  /** The API that owns the path (any method), or the table's only API. */
  api?: ResolvedApi;
}

export interface RouteTable {
  lookup(method: string, path: string): RouteHit | RouteMiss;
  /** The API that owns a path whatever the method (CORS preflights, misses). */
  apiForPath(path: string): ResolvedApi | undefined;
  /**
   * `/<stage>/rest` as API Gateway's URLs have it: the stage (of one of the table's APIs) and the
   * path without it (`/Prod` and `/Prod/` are `/`); undefined when the first segment is no stage.
   */
  withoutStage(path: string): { stage: string; path: string } | undefined;
  /** The resource a path is of: its API and the methods it has (`ANY` included as such). */
  resourceAt(path: string): { api: ResolvedApi; methods: string[] } | undefined;
  readonly apis: Readonly<Record<string, ResolvedApi>>;
  readonly routes: readonly CompiledRoute[];
  readonly functions: FunctionsFile;
  /** WebSocket APIs, in the order written (docs/gateway.md, "WebSocket APIs"). */
  readonly websockets: readonly ResolvedWebSocketApi[];
  /** Routes skipped or suspicious, one sentence each (logged by the gateway). */
  readonly warnings: readonly string[];
}

/** A WebSocket API as the gateway serves it: its routes by key. */
export interface ResolvedWebSocketApi {
  id: string;
  /** The API id events carry (stable, 10 characters, as for REST and HTTP APIs). */
  apiId: string;
  config: WebSocketApi;
  routes: ReadonlyMap<string, WebSocketRoute>;
  routeKeys: ReadonlySet<string>;
}

export function resolveWebSocketApi(id: string, config: WebSocketApi): ResolvedWebSocketApi {
  const routes = new Map(config.routes.map((r) => [r.key, r] as const));
  return { id, apiId: shortId(id, 10), config, routes, routeKeys: new Set(routes.keys()) };
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

/** An HTTP API's catch-all route key (routing.yml `path: $default`). */
export const DEFAULT_ROUTE = '$default';

const MISSING_TOKEN = { statusCode: 403 as const, message: 'Missing Authentication Token' };
const NOT_FOUND = { statusCode: 404 as const, message: 'Not Found' };

/** A stable, API-Gateway-looking id (10 characters) for an API key, for requestContext.identity.apiKeyId. */
export function apiKeyIdOf(key: string): string {
  return shortId(`api-key ${key}`, 10);
}

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

export function resolveApi(id: string, config: ApiConfig | undefined, warn: (message: string) => void = () => {}): ResolvedApi {
  const type: ApiType = config?.type ?? (/HttpApi/.test(id) ? 'http' : 'rest');
  const base: ApiConfig = config ?? {
    type,
    stage: type === 'rest' ? 'Prod' : '$default',
    stage_variables: {},
    binary_media_types: [],
  };
  const payloadFormat = type === 'rest' ? '1.0' : (base.payload_format_version ?? '2.0');
  const api: ResolvedApi = { ...base, id, payloadFormat, apiId: shortId(id, 10) };
  if (base.api_keys?.length) api.apiKeySet = new Set(base.api_keys);
  if (base.usage_plans?.length) api.usagePlanOf = plansByKey(base.usage_plans);
  if (type === 'rest' && base.gateway_responses && Object.keys(base.gateway_responses).length) api.gatewayResponses = compileGatewayResponses(id, base.gateway_responses, warn);
  return api;
}

interface ParsedPath {
  /** Segments: a literal, or {kind:'param'} / {kind:'greedy'}. */
  segments: Array<string | { kind: 'param' | 'greedy' }>;
  paramNames: string[];
  greedy: boolean;
}

const PARAM = { kind: 'param' as const };
const GREEDY = { kind: 'greedy' as const };

/** Splits a path into segments: `/` -> [], `/a/b` -> [a, b], `/a/` -> [a, '']. */
export function splitPath(path: string): string[] {
  return path.length <= 1 ? [] : path.slice(1).split('/');
}

/** Parses `/pets/{id}/{proxy+}` into literal and variable segments. */
export function parseRoutePath(path: string): ParsedPath {
  const raw = splitPath(path);
  const names: string[] = [];
  let greedy = false;
  const segments: ParsedPath['segments'] = [];
  raw.forEach((seg, i) => {
    const m = /^\{([^{}]+)\}$/.exec(seg);
    if (m) {
      let name = m[1];
      if (name.endsWith('+')) {
        if (i !== raw.length - 1) throw new RouteCompileError(path, 'a greedy {name+} variable must be the last segment');
        name = name.slice(0, -1);
        greedy = true;
        segments.push(GREEDY);
      } else segments.push(PARAM);
      if (!name) throw new RouteCompileError(path, 'empty path variable name');
      if (names.includes(name)) throw new RouteCompileError(path, `path variable {${name}} appears twice`);
      names.push(name);
      return;
    }
    if (/[{}]/.test(seg)) throw new RouteCompileError(path, `segment "${seg}" mixes text and a path variable`);
    segments.push(seg);
  });
  return { segments, paramNames: names, greedy };
}

interface Slot {
  specific: Partial<Record<string, CompiledRoute>>;
  any?: CompiledRoute;
  /** Owner of the path for misses and preflights: the last route written for it. */
  api: ResolvedApi;
}

/** A segment trie: literal children, one {param} child, and a greedy slot per node. */
interface TrieNode {
  statics?: Map<string, TrieNode>;
  param?: TrieNode;
  greedy?: Slot;
  end?: Slot;
}

/** `*` selects any route of a slot (path-only lookups). */
function pick(slot: Slot, method: string): CompiledRoute | undefined {
  if (method === '*') return slot.any ?? Object.values(slot.specific)[0];
  return slot.specific[method] ?? slot.any;
}

function decodeSegment(seg: string): string {
  if (!seg.includes('%')) return seg;
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

interface Found {
  slot: Slot;
  route: CompiledRoute;
  /** Indexes of the segments the {param}s hold, in order. */
  params: number[];
  /** Index of the first segment the greedy variable holds, or -1. */
  greedyFrom: number;
}

/** Backtracking match: static beats {param} beats {proxy+}; a slot without the method is skipped. */
function match(node: TrieNode, segs: string[], i: number, method: string, params: number[]): Found | undefined {
  if (i === segs.length) {
    const route = node.end && pick(node.end, method);
    return route ? { slot: node.end!, route, params, greedyFrom: -1 } : undefined;
  }
  const seg = segs[i];
  const child = node.statics?.get(seg);
  if (child) {
    const r = match(child, segs, i + 1, method, params);
    if (r) return r;
  }
  if (node.param && seg !== '') {
    params.push(i);
    const r = match(node.param, segs, i + 1, method, params);
    if (r) return r;
    params.pop();
  }
  // A greedy variable holds at least one character (`/{proxy+}` does not match `/`).
  if (node.greedy && !(i === segs.length - 1 && seg === '')) {
    const route = pick(node.greedy, method);
    if (route) return { slot: node.greedy, route, params, greedyFrom: i };
  }
  return undefined;
}

/** Compiles the routing and functions files into a lookup table. Never throws for bad routes: they are skipped with a warning. */
export function compileRouteTable(routing: RoutingFile, functions: FunctionsFile): RouteTable {
  const steps = compileSteps(routing, functions);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Route tables of more routes than this compile in slices (compileRouteTableInSlices). */
export const COMPILE_SLICE = 250;
/** Routes compiled between two looks at the clock. */
const ROUTES_PER_CHECK = 25;

/**
 * compileRouteTable in slices of at most SLICE_BUDGET_MS with the event loop free in between,
 * so a reload of thousands of routes never holds requests up for long (docs/gateway.md). The
 * budget is time, not a count: on a busy machine a slice of a fixed size takes several times longer.
 */
export async function compileRouteTableInSlices(routing: RoutingFile, functions: FunctionsFile): Promise<RouteTable> {
  if ((routing.routes?.length ?? 0) <= COMPILE_SLICE) return compileRouteTable(routing, functions);
  const steps = compileSteps(routing, functions);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= SLICE_BUDGET_MS) {
      await nextSlice();
      sliceStart = performance.now();
    }
  }
}

function* compileSteps(routing: RoutingFile, functions: FunctionsFile): Generator<void, RouteTable> {
  const warnings: string[] = [];
  const apis: Record<string, ResolvedApi> = {};
  for (const [id, cfg] of Object.entries(routing.apis ?? {})) apis[id] = resolveApi(id, cfg, (m) => warnings.push(m));

  const root: TrieNode = {};
  const routes: CompiledRoute[] = [];
  const place = (segments: ParsedPath['segments'], route: CompiledRoute) => {
    let node = root;
    let slotKey: 'end' | 'greedy' = 'end';
    for (const seg of segments) {
      if (seg === GREEDY) {
        slotKey = 'greedy';
        break;
      }
      if (seg === PARAM) node = node.param ??= {};
      else {
        const statics = (node.statics ??= new Map());
        let next = statics.get(seg as string);
        if (!next) statics.set(seg as string, (next = {}));
        node = next;
      }
    }
    // Routes with different parameter names at the same positions share a slot (API Gateway
    // forbids such siblings); per method, the last one written wins.
    const slot = (node[slotKey] ??= { specific: {}, api: route.api });
    if (route.method === 'ANY') slot.any = route;
    else slot.specific[route.method] = route;
    slot.api = route.api;
  };

  let catchAll: CompiledRoute | undefined;
  let compiled = 0;
  const bodyChecks = new Map<string, BodyCheck>();
  for (const r of routing.routes ?? []) {
    if (++compiled % ROUTES_PER_CHECK === 0) yield;
    const label = `${r.method} ${r.path}`;
    if (r.path === DEFAULT_ROUTE) {
      const api = (apis[r.api] ??= resolveApi(r.api, undefined));
      if (api.type !== 'http') {
        warnings.push(`route ${label}: only HTTP APIs have a $default route (api "${r.api}" is a ${api.type} API; skipped)`);
        continue;
      }
      if (!functions.functions[r.function]) warnings.push(`route ${label}: function "${r.function}" is not in functions.yml (502 until it is deployed)`);
      // Last write wins, as for any route: one $default serves the gateway.
      catchAll = { api, resource: DEFAULT_ROUTE, method: 'ANY', function: r.function, routeKey: DEFAULT_ROUTE, resourceId: shortId(`${r.api} ${DEFAULT_ROUTE}`, 6), paramNames: [], greedy: false, ...(r.auth ? { auth: r.auth } : {}) };
      routes.push(catchAll);
      continue;
    }
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
    let validation: CompiledValidation | undefined;
    if (r.validation && api.type === 'rest') {
      try {
        validation = compileValidation(r.validation, bodyChecks);
      } catch (err) {
        warnings.push(`route ${label}: request validation not used: ${(err as Error).message}`);
      }
    }
    const route: CompiledRoute = {
      api,
      resource: r.path,
      method: r.method,
      function: r.function,
      routeKey: label,
      resourceId: shortId(`${r.api} ${r.path}`, 6),
      paramNames: parsed.paramNames,
      greedy: parsed.greedy,
      ...(r.auth ? { auth: r.auth } : {}),
      ...(validation ? { validation } : {}),
      ...(r.response_stream ? { responseStream: true } : {}),
    };
    routes.push(route);
    place(parsed.segments, route);
    // REST APIs ignore a trailing slash: `/pets` and `/pets/` are one resource.
    if (api.type === 'rest' && !parsed.greedy && parsed.segments.length > 0) {
      const last = parsed.segments[parsed.segments.length - 1];
      place(last === '' ? parsed.segments.slice(0, -1) : [...parsed.segments, ''], route);
    }
  }
  const apiList = Object.values(apis);
  const onlyRest = apiList.length > 0 && apiList.every((a) => a.type === 'rest');
  const soleApi = apiList.length === 1 ? apiList[0] : undefined;

  const find = (method: string, segs: string[]): Found | undefined => match(root, segs, 0, method, []);
  /** Segments decoded for matching (`segs`) and as received (`raw`: REST path parameters). */
  const split = (path: string) => {
    const raw = splitPath(path);
    return { raw, segs: path.includes('%') ? raw.map(decodeSegment) : raw };
  };

  const apiForSegs = (segs: string[]): ResolvedApi | undefined => find('*', segs)?.slot.api ?? catchAll?.api;
  // An HTTP API's $default stage is not in its URLs.
  const stages = [...new Set(apiList.map((a) => a.stage).filter((st) => st && st !== '$default'))];

  return {
    lookup(method: string, path: string): RouteHit | RouteMiss {
      const { raw, segs } = split(path);
      const found = find(method, segs);
      if (!found) {
        const api = apiForSegs(segs);
        if (catchAll && api === catchAll.api) return { route: catchAll, pathParameters: null };
        if (api) return { route: undefined, ...(api.type === 'rest' ? MISSING_TOKEN : NOT_FOUND), api };
        // A table of one API (a stack host, usually) is that API's own URL: the miss is its.
        if (soleApi) return { route: undefined, ...(soleApi.type === 'rest' ? MISSING_TOKEN : NOT_FOUND), api: soleApi };
        return { route: undefined, ...(onlyRest ? MISSING_TOKEN : NOT_FOUND) };
      }
      const { route, params, greedyFrom } = found;
      let pathParameters: Record<string, string> | null = null;
      if (route.paramNames.length) {
        // REST APIs hand path parameters over still percent-encoded; HTTP APIs decode them.
        const values = route.api.type === 'rest' ? raw : segs;
        pathParameters = {};
        for (let i = 0; i < params.length; i++) pathParameters[route.paramNames[i]] = values[params[i]];
        if (greedyFrom >= 0) pathParameters[route.paramNames[params.length]] = values.slice(greedyFrom).join('/');
      }
      return { route, pathParameters };
    },
    apiForPath: (path) => apiForSegs(split(path).segs),
    withoutStage(path: string) {
      for (const stage of stages) {
        const end = stage.length + 1;
        if (path.startsWith(stage, 1) && (path.length === end || path.charCodeAt(end) === 47)) return { stage, path: path.length === end ? '/' : path.slice(end) };
      }
      return undefined;
    },
    resourceAt(path: string) {
      const slot = find('*', split(path).segs)?.slot;
      return slot && { api: slot.api, methods: [...Object.keys(slot.specific), ...(slot.any ? ['ANY'] : [])] };
    },
    apis,
    routes,
    functions,
    websockets: Object.entries(routing.websockets ?? {}).map(([id, cfg]) => resolveWebSocketApi(id, cfg)),
    warnings,
  };
}

/**
 * The OPTIONS MOCK of a REST API's `Cors` at `path` as a route of its own, with the API's preflight
 * authorization, so it is authorized as the resource's other methods are: a method of the resource
 * gives its path parameters and ids. Undefined when the API has no preflight authorization.
 */
export function corsOptionsHit(table: RouteTable, at: { api: ResolvedApi; methods: string[] }, path: string, headers: Record<string, string>): RouteHit | undefined {
  const auth = at.api.cors_preflight_auth;
  const method = at.methods[0];
  if (!auth || !method) return undefined;
  const found = table.lookup(method === 'ANY' ? 'GET' : method, path);
  if (!found.route) return undefined;
  const { validation: _validation, responseStream: _stream, ...route } = found.route;
  return { route: { ...route, method: 'OPTIONS', routeKey: `OPTIONS ${route.resource}`, function: '', auth, corsOptions: headers }, pathParameters: found.pathParameters };
}
