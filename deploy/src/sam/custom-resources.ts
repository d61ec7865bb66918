// Lambda-backed custom resources of a template (docs/provisioner.md "Custom resources"):
// AWS::CloudFormation::CustomResource and Custom::<Name> read into resources.yml
// `custom_resources`, which provisioning runs by invoking the function their ServiceToken names.
// Pure: property values come in resolved.
import { CUSTOM_RESOURCE_TYPE_NAME, type CustomResource } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { functionFromUri } from './cfn-apis.js';
import { isRecord } from './resolver.js';

export const CUSTOM_RESOURCE_TYPE = 'AWS::CloudFormation::CustomResource';

export function isCustomResourceType(type: string): boolean {
  return type === CUSTOM_RESOURCE_TYPE || type.startsWith('Custom::');
}

type Ctx = Pick<ApiReadContext, 'fail' | 'warn'>;

/**
 * A custom resource, its properties resolved: undefined (with a warning) when its ServiceToken
 * is not a Lambda function (an SNS topic's custom resources are not run here).
 */
export function readCustomResource(ctx: Ctx, id: string, type: string, props: Record<string, unknown>, stack: { name: string; id: string }): CustomResource | undefined {
  if (!CUSTOM_RESOURCE_TYPE_NAME.test(type)) ctx.fail(id, 'Type', `"${type}" is not a custom resource type: Custom::<name> takes 1-60 letters, digits and _@-`);
  const token = props.ServiceToken;
  if (typeof token !== 'string' || token === '') ctx.fail(id, 'ServiceToken', 'a custom resource needs a ServiceToken (the ARN of the function that answers it)');
  const fn = functionFromUri(token);
  if (fn === undefined) {
    ctx.warn(`${id}: ServiceToken ${JSON.stringify(token)} is not a Lambda function (SNS-backed custom resources are not run); skipped`);
    return undefined;
  }
  let timeout: number | undefined;
  if (props.ServiceTimeout !== undefined) {
    timeout = Number(props.ServiceTimeout);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) ctx.fail(id, 'ServiceTimeout', `must be a whole number of seconds from 1 to 3600, not ${JSON.stringify(props.ServiceTimeout)}`);
  }
  return {
    Name: `${stack.name}/${id}`,
    LogicalResourceId: id,
    ResourceType: type,
    StackId: stack.id,
    FunctionName: fn,
    Properties: asSent(props) as Record<string, unknown>,
    ...(timeout !== undefined ? { ServiceTimeout: timeout } : {}),
  };
}

/** Properties as CloudFormation hands them to the function: numbers and booleans become strings. */
export function asSent(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(asSent);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asSent(v)]));
  return value;
}

/**
 * The custom resources in the order CloudFormation would create them: one that names another
 * (DependsOn, Ref, GetAtt or ${...} in a !Sub, in its raw properties) comes after it; otherwise
 * template order. A cycle is CloudFormation's error too.
 */
export function creationOrder(ctx: Ctx, resources: ReadonlyArray<{ id: string; raw: unknown; dependsOn: unknown }>): string[] {
  const ids = new Set(resources.map((r) => r.id));
  const needs = new Map<string, Set<string>>();
  for (const r of resources) {
    const found = new Set<string>();
    for (const d of Array.isArray(r.dependsOn) ? r.dependsOn : [r.dependsOn]) if (typeof d === 'string' && ids.has(d)) found.add(d);
    referencesIn(r.raw, ids, found);
    found.delete(r.id);
    needs.set(r.id, found);
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') ctx.fail(id, 'DependsOn', `custom resources depend on each other in a circle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const n of needs.get(id) ?? []) visit(n, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const r of resources) visit(r.id, []);
  return order;
}

function referencesIn(value: unknown, ids: ReadonlySet<string>, found: Set<string>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) if (ids.has(m[1])) found.add(m[1]);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) referencesIn(v, ids, found);
    return;
  }
  if (!isRecord(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'Ref' && typeof v === 'string' && ids.has(v)) found.add(v);
    else if (k === 'Fn::GetAtt') {
      const target = typeof v === 'string' ? v.split('.')[0] : Array.isArray(v) ? v[0] : undefined;
      if (typeof target === 'string' && ids.has(target)) found.add(target);
    }
    referencesIn(v, ids, found);
  }
}
