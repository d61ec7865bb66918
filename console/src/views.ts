// What each page shows, as plain data: built from the parts that hold the state (the
// controller's Deployments, the gateway's route table, the agent's pools, the recorder).
// Pure functions over structural types, so the console imports no other esb package.
import { percentile, type InvocationView, type Recorder } from './recorder.js';

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** One of the stack's Outputs, as the Deployment's status lists it. */
export interface OutputView {
  key: string;
  value?: string;
  /** Why esb has no value for it. */
  problem?: string;
  description?: string;
  exportName?: string;
}

export interface DeploymentView {
  namespace: string;
  name: string;
  env?: string;
  project?: string;
  template?: string;
  generation?: number;
  observedGeneration?: number;
  createdAt?: string;
  conditions: ConditionView[];
  functions?: number;
  routes?: number;
  resources?: number;
  outputs: OutputView[];
  /** The failing condition's message, with the file:line:column it names, if any. */
  lastError?: { condition: string; reason: string; message: string; location?: string; since?: string };
}

/** A Deployment as the controller's Store returns it. */
export interface StoredDeploymentLike {
  deployment: {
    metadata: { name: string; namespace?: string; generation?: number; creationTimestamp?: string };
    spec: { env?: string; project?: string; template?: string; artifact?: string };
    status?: {
      observedGeneration?: number;
      conditions?: ConditionView[];
      functions?: number;
      routes?: number;
      resources?: number;
      outputs?: OutputView[];
    };
  };
}

// Reasons that say "in progress", not "failed" (docs/controller.md).
const PROGRESS_REASONS = new Set(['Generating', 'BuildingImages', 'Applying', 'Provisioning', 'Pending', 'Progressing', 'Waiting']);

/** `path/to/file.yml:12:3` (or `:12`) inside a message. */
export function errorLocation(message: string): string | undefined {
  const m = /((?:[A-Za-z]:)?[^\s:'"()]+\.(?:ya?ml|json|js|mjs|cjs|ts|py)):(\d+)(?::(\d+))?/.exec(message);
  return m ? `${m[1]}:${m[2]}${m[3] ? `:${m[3]}` : ''}` : undefined;
}

export function deploymentView(stored: StoredDeploymentLike): DeploymentView {
  const { metadata, spec, status } = stored.deployment;
  const conditions = status?.conditions ?? [];
  const failed = conditions.find((c) => c.type !== 'Ready' && c.status === 'False' && !PROGRESS_REASONS.has(c.reason)) ??
    conditions.find((c) => c.type === 'Ready' && c.status === 'False' && !PROGRESS_REASONS.has(c.reason));
  return {
    namespace: metadata.namespace ?? 'default',
    name: metadata.name,
    env: spec.env,
    project: spec.project,
    template: spec.template ?? spec.artifact,
    generation: metadata.generation,
    observedGeneration: status?.observedGeneration,
    createdAt: metadata.creationTimestamp,
    conditions,
    functions: status?.functions,
    routes: status?.routes,
    resources: status?.resources,
    outputs: status?.outputs ?? [],
    lastError: failed
      ? { condition: failed.type, reason: failed.reason, message: failed.message, location: errorLocation(failed.message), since: failed.lastTransitionTime }
      : undefined,
  };
}

export interface RouteInfo {
  api: string;
  apiType: 'rest' | 'http' | 'websocket';
  stage?: string;
  method: string;
  path: string;
  /** `GET /pets/{id}`: what the gateway reports per request. */
  routeKey: string;
  function: string;
  authorizer?: string;
  apiKeyRequired?: boolean;
}

/** The gateway's compiled route table, as much of it as the Routes page shows. */
export interface RouteTableLike {
  routes: ReadonlyArray<{
    api: { id: string; type: 'rest' | 'http'; stage?: string };
    resource: string;
    method: string;
    routeKey: string;
    function: string;
    auth?: { authorizer?: string; api_key_required?: boolean };
  }>;
  functions: { functions: Record<string, { runtime?: string; handler?: string; memory_size?: number; timeout?: number; package_type?: string }> };
  /** WebSocket APIs: each route with a function shows as method `WEBSOCKET` at `/<stage>`. */
  websockets?: ReadonlyArray<{ id: string; config: { stage: string; routes: ReadonlyArray<{ key: string; function?: string; auth?: { authorizer?: string; api_key_required?: boolean } }> } }>;
}

export function routeInfos(table: RouteTableLike): RouteInfo[] {
  const websockets: RouteInfo[] = (table.websockets ?? []).flatMap((api) =>
    api.config.routes.flatMap((r) =>
      r.function === undefined
        ? []
        : [{ api: api.id, apiType: 'websocket' as const, stage: api.config.stage, method: 'WEBSOCKET', path: `/${api.config.stage}`, routeKey: r.key, function: r.function, authorizer: r.auth?.authorizer, apiKeyRequired: r.auth?.api_key_required }],
    ),
  );
  return [...httpRouteInfos(table), ...websockets];
}

function httpRouteInfos(table: RouteTableLike): RouteInfo[] {
  return table.routes.map((r) => ({
    api: r.api.id,
    apiType: r.api.type,
    stage: r.api.stage,
    method: r.method,
    path: r.resource,
    routeKey: r.routeKey,
    function: r.function,
    authorizer: r.auth?.authorizer,
    apiKeyRequired: r.auth?.api_key_required,
  }));
}

export interface PoolStatsLike {
  starting: number;
  idle: number;
  busy: number;
  waiting: number;
  invocations: number;
  coldStarts: number;
  /** Requests sent to a busy instance behind its current one, and of those the ones it gave back (docs/agent.md#queued-in-the-instance). */
  queuedInInstances?: number;
  recalledFromInstances?: number;
  initFailures: number;
  maxCapacity?: number;
}

export interface FunctionInfo extends Partial<PoolStatsLike> {
  name: string;
  runtime?: string;
  handler?: string;
  memoryMb?: number;
  timeoutS?: number;
  packageType?: string;
}

export function functionInfos(table: RouteTableLike, pools: Record<string, PoolStatsLike>): FunctionInfo[] {
  return Object.entries(table.functions.functions)
    .map(([name, fc]) => ({
      name,
      runtime: fc.runtime,
      handler: fc.handler,
      memoryMb: fc.memory_size,
      timeoutS: fc.timeout,
      packageType: fc.package_type,
      ...pools[name],
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface LatencyStats {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  /** Durations of the last requests, oldest first, for the sparkline. */
  spark: number[];
}

export const SPARK_POINTS = 60;

export function latencyStats(invocations: readonly InvocationView[]): LatencyStats {
  const durations = invocations.map((i) => i.durationMs);
  return {
    count: invocations.length,
    errors: invocations.filter((i) => i.status >= 500).length,
    p50: percentile(durations, 50),
    p95: percentile(durations, 95),
    spark: durations.slice(-SPARK_POINTS),
  };
}

export interface RouteView extends RouteInfo, LatencyStats {}

export interface FunctionTraffic extends LatencyStats {
  /** The latest invocations, newest first. */
  recent: InvocationView[];
}

export interface FunctionView extends FunctionInfo, FunctionTraffic {}

export const RECENT_INVOCATIONS = 25;

/** The key of a route's traffic: its function and route key (`hello GET /hello`). */
export const trafficKey = (fn: string, routeKey: string) => `${fn} ${routeKey}`;

/** Latency per route and per function, for those that had requests only (a 5,000-route table stays cheap). */
export interface Traffic {
  routes: Record<string, LatencyStats>;
  functions: Record<string, FunctionTraffic>;
}

export function traffic(recorder: Recorder): Traffic {
  const out: Traffic = { routes: {}, functions: {} };
  for (const fn of recorder.functionsWithTraffic()) {
    const all = recorder.invocationsOf(fn);
    out.functions[fn] = { ...latencyStats(all), recent: all.slice(-RECENT_INVOCATIONS).reverse() };
    const byRoute = new Map<string, InvocationView[]>();
    for (const inv of all) {
      let list = byRoute.get(inv.route);
      if (!list) byRoute.set(inv.route, (list = []));
      list.push(inv);
    }
    for (const [route, list] of byRoute) out.routes[trafficKey(fn, route)] = latencyStats(list);
  }
  return out;
}

const NO_TRAFFIC: FunctionTraffic = { count: 0, errors: 0, p50: 0, p95: 0, spark: [], recent: [] };

const NO_ROUTE_TRAFFIC: LatencyStats = { count: 0, errors: 0, p50: 0, p95: 0, spark: [] };

export function routeViews(routes: readonly RouteInfo[], t: Traffic): RouteView[] {
  return routes.map((r) => ({ ...r, ...(t.routes[trafficKey(r.function, r.routeKey)] ?? NO_ROUTE_TRAFFIC) }));
}

export function functionViews(functions: readonly FunctionInfo[], t: Traffic): FunctionView[] {
  return functions.map((f) => ({ ...f, ...(t.functions[f.name] ?? NO_TRAFFIC) }));
}
