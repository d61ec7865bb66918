// Nested stacks of a template (docs/generate.md "Nested applications"): an
// AWS::Serverless::Application whose Location, or an AWS::CloudFormation::Stack whose
// TemplateURL, is a local template is read as a stack of its own (named <parent>-<LogicalId>,
// its Parameters given by the parent) and deployed with the parent, as `sam build` and
// `sam deploy` package and deploy it. Pure: what the parent resolved comes in.
import { posix } from 'node:path';
import type { CodeRef, FunctionModel, LayerModel, SamModel } from './model.js';
import { isRecord } from './resolver.js';

export const NESTED_STACK_TYPES: ReadonlySet<string> = new Set(['AWS::Serverless::Application', 'AWS::CloudFormation::Stack']);

/** Where a nested stack's template is: a local path (relative to the parent's folder), or why it is not read here. */
export type NestedLocation = { kind: 'local'; path: string; field: string } | { kind: 'remote'; what: string };

/** The template a nested stack names, from its resolved properties. */
export function nestedLocation(type: string, props: Record<string, unknown>): NestedLocation | { kind: 'missing'; field: string } {
  const field = type === 'AWS::Serverless::Application' ? 'Location' : 'TemplateURL';
  const location = props[field];
  if (location === undefined) return { kind: 'missing', field };
  if (isRecord(location)) return { kind: 'remote', what: `the Serverless Application Repository's ${String(location.ApplicationId ?? 'application')}` };
  if (typeof location !== 'string' || location === '') return { kind: 'missing', field };
  if (/^(https?|s3):\/\//i.test(location)) return { kind: 'remote', what: location };
  return { kind: 'local', path: location, field };
}

/** The parent's Parameters as the nested template's parameter overrides: text, lists joined by commas. */
export function nestedParameters(value: unknown, fail: (field: string, reason: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) return fail('Parameters', 'must be a map of parameter name -> value');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) out[k] = v.join(',');
    else fail(`Parameters.${k}`, `must be text or a list of text, not ${JSON.stringify(v)}`);
  }
  return out;
}

/** What a nested stack adds to its parent as it is (its own names carry its stack name; a name given twice is last-write-wins when applied). */
const ADDED_AS_THEY_ARE = ['tables', 'buckets', 'queues', 'streams', 'secrets', 'parameters', 'scheduleGroups', 'schedules', 'customResources', 'rules', 'subscriptions', 'stateMachines', 'deliveryStreams', 'bucketNotifications', 'eventBridgeBuckets'] as const satisfies ReadonlyArray<keyof SamModel>;

/**
 * The parent's model with a nested stack's model added: its code and local files as paths from
 * the parent's folder, its APIs renamed `<LogicalId><ApiId>` where the parent (or an earlier
 * nested stack) has an API of the same id, its warnings prefixed with the nested stack's id.
 */
export function withNestedModel(parent: SamModel, child: SamModel, childDir: string, id: string): SamModel {
  const rebased = new Map<CodeRef, CodeRef>();
  const rebase = (ref: CodeRef): CodeRef => {
    let out = rebased.get(ref);
    if (!out) {
      out = { ...ref, logicalId: ref.logicalId, uri: posix.normalize(posix.join(childDir, ref.uri)).replace(/\/+$/, '') || '.' };
      rebased.set(ref, out);
    }
    return out;
  };
  const functions: FunctionModel[] = child.functions.map((fn) => ({
    ...fn,
    ...(fn.code?.kind === 'ref' ? { code: { kind: 'ref' as const, ref: rebase(fn.code.ref) } } : {}),
    ...(fn.image?.kind === 'dockerfile' ? { image: { ...fn.image, context: rebase(fn.image.context) } } : {}),
  }));
  const layers: LayerModel[] = child.layers.map((l) => ({ ...l, content: rebase(l.content) }));

  const apiIds = new Map<string, string>();
  for (const api of Object.keys(child.apis)) apiIds.set(api, api in parent.apis ? `${id}${api}` : api);
  const websocketIds = new Map<string, string>();
  for (const ws of Object.keys(child.websockets)) websocketIds.set(ws, ws in parent.websockets ? `${id}${ws}` : ws);

  const merged: SamModel = { ...parent };
  for (const k of ADDED_AS_THEY_ARE) (merged as unknown as Record<string, unknown[]>)[k] = [...parent[k], ...child[k]];
  return {
    ...merged,
    functions: [...parent.functions, ...functions],
    layers: [...parent.layers, ...layers],
    loadBalancers: { ...parent.loadBalancers, ...child.loadBalancers },
    routes: [...parent.routes, ...child.routes.map((r) => ({ ...r, api: apiIds.get(r.api) ?? r.api }))],
    apis: { ...parent.apis, ...Object.fromEntries(Object.entries(child.apis).map(([k, v]) => [apiIds.get(k)!, v])) },
    websockets: { ...parent.websockets, ...Object.fromEntries(Object.entries(child.websockets).map(([k, v]) => [websocketIds.get(k)!, v])) },
    warnings: [...parent.warnings, ...child.warnings.map((w) => `${id}: ${w}`)],
    codeRefs: [...parent.codeRefs, ...child.codeRefs.map(rebase)],
    localFiles: [...parent.localFiles, ...child.localFiles.map((f) => posix.normalize(posix.join(childDir, f)))].filter((f, i, all) => all.indexOf(f) === i),
  };
}
