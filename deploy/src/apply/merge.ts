// The merge of one deploy into the aggregate (docs/design.md, "Merge rules"): pure, no I/O.
// Order: existing, then incoming; last write wins; nothing is ever deleted.
import type { FunctionsFile, ResourcesFile, RoutingFile } from '@esb/contracts';

export interface RuntimeConfig {
  functions: FunctionsFile;
  routing: RoutingFile;
  resources: ResourcesFile;
}

export interface KeyedChanges {
  /** Keys the incoming side brought that did not exist. */
  added: string[];
  /** Keys the incoming side replaced with different content. */
  replaced: string[];
  /** Keys the incoming side replaced with identical content. */
  unchanged: string[];
  /** Existing keys the incoming side did not mention (kept as they were). */
  kept: string[];
}

export interface MergeReport {
  functions: KeyedChanges;
  /** Route keys as `METHOD /path`. */
  routes: KeyedChanges;
  apis: KeyedChanges;
  /** WebSocket APIs, by id. */
  websockets: KeyedChanges;
  /** Application Load Balancers, by name. */
  load_balancers: KeyedChanges;
  /** EventBridge rules, by `<bus>/<name>`. */
  rules: KeyedChanges;
  /** Step Functions state machines, by name. */
  state_machines: KeyedChanges;
  /** SNS subscriptions, by `<topic>/<id>`. */
  subscriptions: KeyedChanges;
  /** Firehose delivery streams, by name. */
  delivery_streams: KeyedChanges;
  /** S3 notifications to queues and topics, by `<bucket>/<id>`. */
  bucket_notifications: KeyedChanges;
  /** Buckets that send to EventBridge, by name. */
  eventbridge_buckets: KeyedChanges;
  defaults: {
    /** Dotted paths of default keys that were missing and were added. */
    added: string[];
    /** Dotted paths the incoming side set differently: the existing value was kept. */
    kept: string[];
  };
  resources: {
    dynamodb: KeyedChanges;
    s3: KeyedChanges;
    sqs: KeyedChanges;
    /** Kinesis data streams, by Name. */
    kinesis: KeyedChanges;
    /** Secrets Manager secrets and SSM parameters, by Name. */
    secrets: KeyedChanges;
    parameters: KeyedChanges;
    /** EventBridge Scheduler schedule groups by Name, schedules by `<GroupName>/<Name>`. */
    schedule_groups: KeyedChanges;
    schedules: KeyedChanges;
    layers: KeyedChanges;
    /** Custom resources, by `<stack>/<LogicalResourceId>`. */
    custom_resources: KeyedChanges;
    /** Unknown resource kinds in the incoming side, skipped. */
    skipped: string[];
  };
}

export interface MergeResult {
  merged: RuntimeConfig;
  report: MergeReport;
  warnings: string[];
}

/** The resource kinds apply knows how to merge, and the field that names one. */
export const RESOURCE_KEYS = { dynamodb: 'TableName', s3: 'BucketName', sqs: 'QueueName', kinesis: 'Name', secrets: 'Name', parameters: 'Name', schedule_groups: 'Name', schedules: 'Name', layers: 'Name', custom_resources: 'Name' } as const;
type Kind = keyof typeof RESOURCE_KEYS;

/** What names a resource of a kind: its key field; a schedule's name is unique in its group only. */
export function resourceKey(kind: Kind, r: Record<string, unknown>): string {
  return kind === 'schedules' ? `${typeof r.GroupName === 'string' ? r.GroupName : 'default'}/${String(r.Name)}` : String(r[RESOURCE_KEYS[kind]]);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Builds an object from entries as own properties (a key named `__proto__` stays a key). */
function fromEntries<V>(entries: Iterable<[string, V]>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Merges keyed items: a match is replaced in place, a new key appended. Duplicates inside
 * `incoming` apply in order (the last wins).
 */
function mergeKeyed<T>(existing: [string, T][], incoming: [string, T][]): { items: [string, T][]; changes: KeyedChanges } {
  const items = existing.slice();
  const index = new Map<string, number>();
  items.forEach(([k], i) => index.set(k, i));
  const original = new Map(existing);
  const touched: string[] = [];
  const seen = new Set<string>();
  for (const [k, v] of incoming) {
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, items.length);
      items.push([k, v]);
    } else {
      items[at] = [k, v];
    }
    if (!seen.has(k)) {
      seen.add(k);
      touched.push(k);
    }
  }
  const changes: KeyedChanges = { added: [], replaced: [], unchanged: [], kept: [] };
  for (const k of touched) {
    if (!original.has(k)) changes.added.push(k);
    else if (deepEqual(original.get(k), items[index.get(k)!][1])) changes.unchanged.push(k);
    else changes.replaced.push(k);
  }
  for (const [k] of existing) if (!seen.has(k)) changes.kept.push(k);
  return { items, changes };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Existing keys kept, missing keys added, recursively through objects. */
function fillMissing(existing: unknown, incoming: unknown, path: string, added: string[], kept: string[]): unknown {
  if (!isPlainObject(existing) || !isPlainObject(incoming)) {
    if (existing === undefined) {
      if (incoming !== undefined) added.push(path);
      return incoming;
    }
    if (incoming !== undefined && !deepEqual(existing, incoming)) kept.push(path);
    return existing;
  }
  const out = fromEntries(Object.entries(existing));
  for (const [k, v] of Object.entries(incoming)) {
    const p = path ? `${path}.${k}` : k;
    const has = Object.prototype.hasOwnProperty.call(existing, k) && existing[k] !== undefined;
    if (!has) {
      if (v === undefined) continue;
      if (isPlainObject(v) && Object.keys(v).length > 0) {
        // Record each leaf so the report says which keys came in.
        fillMissing({}, v, p, added, kept);
      } else added.push(p);
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    } else {
      Object.defineProperty(out, k, { value: fillMissing(existing[k], v, p, added, kept), enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

export function routeKey(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

function emptyChanges(): KeyedChanges {
  return { added: [], replaced: [], unchanged: [], kept: [] };
}

/** Merges `incoming` (one deploy) into `existing` (the aggregate). Pure: inputs are not modified. */
export function mergeConfig(existing: RuntimeConfig, incoming: RuntimeConfig): MergeResult {
  const warnings: string[] = [];

  // functions: replaced whole by name; defaults: existing kept, missing keys added.
  const fn = mergeKeyed(Object.entries(existing.functions.functions ?? {}), Object.entries(incoming.functions.functions ?? {}));
  const defaultsAdded: string[] = [];
  const defaultsKept: string[] = [];
  const defaults = fillMissing(existing.functions.defaults ?? {}, incoming.functions.defaults ?? {}, '', defaultsAdded, defaultsKept) as FunctionsFile['defaults'];
  // rules (`<bus>/<name>`), subscriptions (`<topic>/<id>`), state machines and delivery streams (by name): replaced whole, as functions are.
  const ru = mergeKeyed(Object.entries(existing.functions.rules ?? {}), Object.entries(incoming.functions.rules ?? {}));
  const su = mergeKeyed(Object.entries(existing.functions.subscriptions ?? {}), Object.entries(incoming.functions.subscriptions ?? {}));
  const sm = mergeKeyed(Object.entries(existing.functions.state_machines ?? {}), Object.entries(incoming.functions.state_machines ?? {}));
  const ds = mergeKeyed(Object.entries(existing.functions.delivery_streams ?? {}), Object.entries(incoming.functions.delivery_streams ?? {}));
  const functions: FunctionsFile = { ...existing.functions, defaults, functions: fromEntries(fn.items) };
  if (ru.items.length) functions.rules = fromEntries(ru.items);
  if (su.items.length) functions.subscriptions = fromEntries(su.items);
  if (sm.items.length) functions.state_machines = fromEntries(sm.items);
  if (ds.items.length) functions.delivery_streams = fromEntries(ds.items);
  // S3 notifications by `<bucket>/<id>`, replaced whole; buckets sending to EventBridge: a set.
  const bn = mergeKeyed(Object.entries(existing.functions.bucket_notifications ?? {}), Object.entries(incoming.functions.bucket_notifications ?? {}));
  if (bn.items.length) functions.bucket_notifications = fromEntries(bn.items);
  const eb = mergeKeyed((existing.functions.eventbridge_buckets ?? []).map((b) => [b, b] as [string, string]), (incoming.functions.eventbridge_buckets ?? []).map((b) => [b, b] as [string, string]));
  if (eb.items.length) functions.eventbridge_buckets = eb.items.map(([b]) => b);

  // routes: key (path, method), replaced in place or appended. apis and websockets: by id, load balancers by name, last wins.
  const rt = mergeKeyed(
    (existing.routing.routes ?? []).map((r) => [routeKey(r), r] as [string, RoutingFile['routes'][number]]),
    (incoming.routing.routes ?? []).map((r) => [routeKey(r), r] as [string, RoutingFile['routes'][number]]),
  );
  const ap = mergeKeyed(Object.entries(existing.routing.apis ?? {}), Object.entries(incoming.routing.apis ?? {}));
  const ws = mergeKeyed(Object.entries(existing.routing.websockets ?? {}), Object.entries(incoming.routing.websockets ?? {}));
  const routing: RoutingFile = { ...existing.routing, routes: rt.items.map(([, r]) => r), apis: fromEntries(ap.items) };
  if (ws.items.length) routing.websockets = fromEntries(ws.items);
  const lb = mergeKeyed(Object.entries(existing.routing.load_balancers ?? {}), Object.entries(incoming.routing.load_balancers ?? {}));
  if (lb.items.length) routing.load_balancers = fromEntries(lb.items);

  // resources: DynamoDB by TableName, S3 by BucketName, SQS by QueueName, Kinesis, secrets, parameters, schedule groups, layers and custom resources by Name, schedules by group and Name; unknown kinds skipped.
  const exRes = (existing.resources.resources ?? {}) as Record<string, unknown>;
  const inRes = (incoming.resources.resources ?? {}) as Record<string, unknown>;
  const resOut = fromEntries(Object.entries(exRes));
  const resReport: MergeReport['resources'] = { dynamodb: emptyChanges(), s3: emptyChanges(), sqs: emptyChanges(), kinesis: emptyChanges(), secrets: emptyChanges(), parameters: emptyChanges(), schedule_groups: emptyChanges(), schedules: emptyChanges(), layers: emptyChanges(), custom_resources: emptyChanges(), skipped: [] };
  for (const kind of Object.keys(RESOURCE_KEYS) as Kind[]) {
    const ex = (exRes[kind] as Record<string, unknown>[] | undefined) ?? [];
    const inc = inRes[kind] as Record<string, unknown>[] | undefined;
    if (inc === undefined) {
      resReport[kind].kept = ex.map((r) => resourceKey(kind, r));
      continue;
    }
    const merged = mergeKeyed(
      ex.map((r) => [resourceKey(kind, r), r] as [string, Record<string, unknown>]),
      inc.map((r) => [resourceKey(kind, r), r] as [string, Record<string, unknown>]),
    );
    resReport[kind] = merged.changes;
    Object.defineProperty(resOut, kind, { value: merged.items.map(([, r]) => r), enumerable: true, writable: true, configurable: true });
  }
  for (const kind of Object.keys(inRes)) {
    if (kind in RESOURCE_KEYS || inRes[kind] === undefined) continue;
    resReport.skipped.push(kind);
    warnings.push(`resources.yml: unknown resource kind "${kind}" skipped (apply has no merge key for it)`);
  }
  const resources: ResourcesFile = { ...existing.resources, resources: resOut as ResourcesFile['resources'] };

  const undeployed = (fn: string | undefined) => fn !== undefined && !Object.prototype.hasOwnProperty.call(functions.functions, fn);
  for (const [key, rule] of Object.entries(incoming.functions.rules ?? {})) {
    for (const t of rule.targets) if (undeployed(t.function)) warnings.push(`functions.yml: rule ${key} target ${t.id} points at function "${t.function}", which is not deployed`);
    for (const t of rule.targets) {
      if (t.state_machine !== undefined && !Object.prototype.hasOwnProperty.call(functions.state_machines ?? {}, t.state_machine)) warnings.push(`functions.yml: rule ${key} target ${t.id} points at state machine "${t.state_machine}", which is not deployed`);
    }
  }
  for (const [key, s] of Object.entries(incoming.functions.subscriptions ?? {})) {
    if (undeployed(s.function)) warnings.push(`functions.yml: subscription ${key} points at function "${s.function}", which is not deployed`);
  }
  for (const [key, d] of Object.entries(incoming.functions.delivery_streams ?? {})) {
    if (undeployed(d.destination.processor?.function)) warnings.push(`functions.yml: delivery stream ${key} is transformed by function "${d.destination.processor!.function}", which is not deployed`);
  }
  for (const r of incoming.routing.routes ?? []) {
    if (!Object.prototype.hasOwnProperty.call(functions.functions, r.function)) {
      warnings.push(`routing.yml: route ${routeKey(r)} points at function "${r.function}", which is not deployed`);
    }
  }
  for (const [id, api] of Object.entries(incoming.routing.websockets ?? {})) {
    for (const r of api.routes) if (undeployed(r.function)) warnings.push(`routing.yml: WebSocket route ${r.key} of ${id} points at function "${r.function}", which is not deployed`);
  }

  return {
    merged: { functions, routing, resources },
    report: {
      functions: fn.changes,
      routes: rt.changes,
      apis: ap.changes,
      websockets: ws.changes,
      load_balancers: lb.changes,
      rules: ru.changes,
      subscriptions: su.changes,
      state_machines: sm.changes,
      delivery_streams: ds.changes,
      bucket_notifications: bn.changes,
      eventbridge_buckets: eb.changes,
      defaults: { added: defaultsAdded, kept: defaultsKept },
      resources: resReport,
    },
    warnings,
  };
}
