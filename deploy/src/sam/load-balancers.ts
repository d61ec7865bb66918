// Application Load Balancers with Lambda target groups (docs/gateway.md "Application Load
// Balancers"): AWS::ElasticLoadBalancingV2::LoadBalancer, Listener, ListenerRule and TargetGroup
// read into routing.yml `load_balancers`, which the gateway serves at <name>.elb.localhost. Pure:
// property values come in resolved.
import { createHash } from 'node:crypto';
import type { LoadBalancer, LoadBalancerAction, LoadBalancerCondition } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { functionFromUri } from './cfn-apis.js';
import { isRecord } from './resolver.js';

export const LOAD_BALANCER_TYPE = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
export const LISTENER_TYPE = 'AWS::ElasticLoadBalancingV2::Listener';
export const LISTENER_RULE_TYPE = 'AWS::ElasticLoadBalancingV2::ListenerRule';
export const TARGET_GROUP_TYPE = 'AWS::ElasticLoadBalancingV2::TargetGroup';
export const ELB_TYPES: ReadonlySet<string> = new Set([LOAD_BALANCER_TYPE, LISTENER_TYPE, LISTENER_RULE_TYPE, TARGET_GROUP_TYPE]);
/** The properties read of each (the others name networks and instances esb does not run). */
export const ELB_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  [LOAD_BALANCER_TYPE]: ['Name', 'Type'],
  [LISTENER_TYPE]: ['LoadBalancerArn', 'Port', 'Protocol', 'DefaultActions'],
  [LISTENER_RULE_TYPE]: ['ListenerArn', 'Priority', 'Conditions', 'Actions'],
  [TARGET_GROUP_TYPE]: ['Name', 'TargetType', 'Targets', 'TargetGroupAttributes'],
};
/** Read without a word: nothing of them changes what a request gets here. */
export const QUIET_ELB_TYPES: ReadonlySet<string> = new Set(['AWS::ElasticLoadBalancingV2::ListenerCertificate', 'AWS::ElasticLoadBalancingV2::TrustStore']);

type Ctx = Pick<ApiReadContext, 'fail' | 'warn'>;

/** A load balancer's or target group's name: its Name, else one made of the stack and logical id (at most 32 letters, digits and hyphens). */
export function elbName(stack: string, id: string, given: unknown): string {
  if (typeof given === 'string' && given !== '') return given;
  return `${stack}-${id}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').slice(0, 32).replace(/^-+|-+$/g, '') || 'lb';
}

/** The ARN `!Ref` gives (what rules, listeners and events name them by). */
export function elbArn(type: string, region: string, account: string, stack: string, id: string, name: string): string {
  const hash = createHash('sha256').update(`${stack}/${id}`).digest('hex').slice(0, 16);
  const prefix = `arn:aws:elasticloadbalancing:${region}:${account}`;
  if (type === LOAD_BALANCER_TYPE) return `${prefix}:loadbalancer/app/${name}/${hash}`;
  if (type === TARGET_GROUP_TYPE) return `${prefix}:targetgroup/${name}/${hash}`;
  if (type === LISTENER_TYPE) return `${prefix}:listener/app/${stack}/${hash}`;
  return `${prefix}:listener-rule/app/${stack}/${hash}`;
}

export interface ElbResource {
  id: string;
  type: string;
  arn: string;
  /** Name of a load balancer or target group. */
  name: string;
  props: Record<string, unknown>;
}

/** The load balancers (by lower-case name) of a template's resources, their listeners, rules and Lambda target groups. */
export function readLoadBalancers(ctx: Ctx, resources: readonly ElbResource[]): Record<string, LoadBalancer> {
  const byArn = new Map(resources.map((r) => [r.arn, r]));
  // A listener or rule of another stack's load balancer (a nested stack's, an imported one) is not served here.
  const named = (id: string, field: string, arn: unknown, type: string): ElbResource | undefined => {
    const found = typeof arn === 'string' ? byArn.get(arn) : undefined;
    if (found?.type === type) return found;
    ctx.warn(`${id}.${field}: ${JSON.stringify(arn)} is not a ${type.split('::').pop()} of this template; ${id} is not served`);
    return undefined;
  };

  const targets = new Map<string, { arn: string; function?: string; multi_value_headers: boolean }>();
  for (const tg of resources.filter((r) => r.type === TARGET_GROUP_TYPE)) {
    const attributes = Array.isArray(tg.props.TargetGroupAttributes) ? tg.props.TargetGroupAttributes : [];
    const multi = attributes.some((a) => isRecord(a) && a.Key === 'lambda.multi_value_headers.enabled' && String(a.Value) === 'true');
    const list = Array.isArray(tg.props.Targets) ? tg.props.Targets : [];
    let fn: string | undefined;
    if (tg.props.TargetType !== 'lambda') ctx.warn(`${tg.id}: target type ${String(tg.props.TargetType ?? 'instance')} is not run here (only Lambda targets); forwarding to it answers 503`);
    else {
      if (list.length > 1) ctx.fail(tg.id, 'Targets', 'a Lambda target group takes one function');
      const id = isRecord(list[0]) ? list[0].Id : undefined;
      fn = functionFromUri(id);
      if (list.length === 1 && fn === undefined) ctx.fail(tg.id, 'Targets[0].Id', `${JSON.stringify(id)} is not a function's ARN`);
    }
    targets.set(tg.arn, { arn: tg.arn, ...(fn ? { function: fn } : {}), multi_value_headers: multi });
  }

  const actions = (id: string, field: string, value: unknown): LoadBalancerAction[] => {
    if (!Array.isArray(value) || value.length === 0) ctx.fail(id, field, 'must be a list of actions');
    const sorted = value.map((a, i) => ({ a, i })).sort((x, y) => order(x.a, x.i) - order(y.a, y.i));
    const out: LoadBalancerAction[] = [];
    for (const { a, i } of sorted) {
      const at = `${field}[${i}]`;
      if (!isRecord(a)) ctx.fail(id, at, 'must be an action');
      const type = String(a.Type ?? '');
      if (type === 'forward') {
        const forward = isRecord(a.ForwardConfig) && Array.isArray(a.ForwardConfig.TargetGroups) ? a.ForwardConfig.TargetGroups : [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
        out.push({
          type: 'forward',
          target_groups: forward.map((g: unknown) => {
            const arn = isRecord(g) ? g.TargetGroupArn : undefined;
            let target = typeof arn === 'string' ? targets.get(arn) : undefined;
            if (!target) {
              if (typeof arn !== 'string' || arn === '') ctx.fail(id, `${at}.TargetGroupArn`, 'must name a target group');
              ctx.warn(`${id}.${at}.TargetGroupArn: ${JSON.stringify(arn)} is not a TargetGroup of this template; forwarding to it answers 503`);
              target = { arn, multi_value_headers: false };
            }
            return { ...target, weight: isRecord(g) && g.Weight !== undefined ? Number(g.Weight) : 1 };
          }),
        });
      } else if (type === 'fixed-response') {
        const c = isRecord(a.FixedResponseConfig) ? a.FixedResponseConfig : {};
        const status = Number(c.StatusCode);
        if (!Number.isInteger(status) || status < 200 || status > 599) ctx.fail(id, `${at}.FixedResponseConfig.StatusCode`, `must be 2XX, 4XX or 5XX, not ${JSON.stringify(c.StatusCode)}`);
        out.push({ type: 'fixed-response', status_code: status, ...(typeof c.ContentType === 'string' ? { content_type: c.ContentType } : {}), ...(typeof c.MessageBody === 'string' ? { message_body: c.MessageBody } : {}) });
      } else if (type === 'redirect') {
        const c = isRecord(a.RedirectConfig) ? a.RedirectConfig : {};
        if (c.StatusCode !== 'HTTP_301' && c.StatusCode !== 'HTTP_302') ctx.fail(id, `${at}.RedirectConfig.StatusCode`, `must be HTTP_301 or HTTP_302, not ${JSON.stringify(c.StatusCode)}`);
        const part = (k: string) => (c[k] === undefined ? {} : { [k.toLowerCase()]: String(c[k]) });
        out.push({ type: 'redirect', status_code: c.StatusCode, ...part('Protocol'), ...part('Port'), ...part('Host'), ...part('Path'), ...part('Query') });
      } else if (type === 'authenticate-cognito' || type === 'authenticate-oidc') {
        ctx.warn(`${id}.${at}: ${type} is not enforced here; the next action applies`);
      } else ctx.fail(id, `${at}.Type`, `"${type}" is not an action type (forward, fixed-response, redirect, authenticate-cognito, authenticate-oidc)`);
    }
    if (out.length === 0) ctx.fail(id, field, 'has no action esb runs');
    // A forward, fixed response or redirect ends the list: what follows is never reached.
    return out.slice(0, 1);
  };

  const out: Record<string, LoadBalancer> = {};
  const lbOf = new Map<string, LoadBalancer['listeners']>();
  for (const lb of resources.filter((r) => r.type === LOAD_BALANCER_TYPE)) {
    if (lb.props.Type !== undefined && lb.props.Type !== 'application') {
      ctx.warn(`${lb.id}: a ${String(lb.props.Type)} load balancer is not run here (only application ones)`);
      continue;
    }
    const key = lb.name.toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(key)) ctx.fail(lb.id, 'Name', `"${lb.name}" is not a load balancer name (1-32 letters, digits and hyphens, not starting or ending with one)`);
    if (key in out) ctx.fail(lb.id, 'Name', `"${lb.name}" is the name of another load balancer of this template`);
    out[key] = { listeners: [] };
    lbOf.set(lb.arn, out[key].listeners);
  }
  const listenerOf = new Map<string, LoadBalancer['listeners'][number]>();
  for (const l of resources.filter((r) => r.type === LISTENER_TYPE)) {
    const lb = named(l.id, 'LoadBalancerArn', l.props.LoadBalancerArn, LOAD_BALANCER_TYPE);
    const listeners = lb && lbOf.get(lb.arn);
    if (!listeners) continue;
    const protocol = String(l.props.Protocol ?? 'HTTP');
    if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
      ctx.warn(`${l.id}: protocol ${protocol} is not served (HTTP and HTTPS are)`);
      continue;
    }
    const port = Number(l.props.Port ?? (protocol === 'HTTPS' ? 443 : 80));
    if (!Number.isInteger(port) || port < 1 || port > 65535) ctx.fail(l.id, 'Port', `must be a port number, not ${JSON.stringify(l.props.Port)}`);
    const listener = { port, protocol: protocol as 'HTTP' | 'HTTPS', rules: [] as LoadBalancer['listeners'][number]['rules'], default_actions: actions(l.id, 'DefaultActions', l.props.DefaultActions) };
    listeners.push(listener);
    listenerOf.set(l.arn, listener);
  }
  for (const r of resources.filter((x) => x.type === LISTENER_RULE_TYPE)) {
    const listenerResource = named(r.id, 'ListenerArn', r.props.ListenerArn, LISTENER_TYPE);
    const listener = listenerResource && listenerOf.get(listenerResource.arn);
    if (!listener) continue;
    const priority = Number(r.props.Priority);
    if (!Number.isInteger(priority) || priority < 1 || priority > 50000) ctx.fail(r.id, 'Priority', `must be a whole number from 1 to 50000, not ${JSON.stringify(r.props.Priority)}`);
    if (listener.rules.some((x) => x.priority === priority)) ctx.fail(r.id, 'Priority', `${priority} is the priority of another rule of the listener`);
    listener.rules.push({ priority, conditions: conditions(ctx, r.id, r.props.Conditions), actions: actions(r.id, 'Actions', r.props.Actions) });
  }
  for (const lb of Object.values(out)) {
    for (const l of lb.listeners) l.rules.sort((a, b) => a.priority - b.priority);
    lb.listeners.sort((a, b) => a.port - b.port);
  }
  for (const [name, lb] of Object.entries(out)) if (lb.listeners.length === 0) ctx.warn(`load balancer ${name} has no listener esb serves`);
  return out;
}

function order(action: unknown, index: number): number {
  return isRecord(action) && action.Order !== undefined ? Number(action.Order) : 50001 + index;
}

const CONDITION_CONFIG: Record<string, string> = {
  'path-pattern': 'PathPatternConfig',
  'host-header': 'HostHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'source-ip': 'SourceIpConfig',
};

function conditions(ctx: Ctx, id: string, value: unknown): LoadBalancerCondition[] {
  if (!Array.isArray(value) || value.length === 0) ctx.fail(id, 'Conditions', 'a rule needs at least one condition');
  return value.map((c, i) => {
    const at = `Conditions[${i}]`;
    if (!isRecord(c)) ctx.fail(id, at, 'must be a condition');
    const field = String(c.Field ?? '');
    const strings = (v: unknown, where: string): string[] => {
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) ctx.fail(id, where, 'must be a list of values');
      return v as string[];
    };
    if (field in CONDITION_CONFIG) {
      const config = c[CONDITION_CONFIG[field]];
      const values = isRecord(config) ? config.Values : c.Values;
      return { field: field as 'path-pattern', values: strings(values, `${at}.${isRecord(config) ? `${CONDITION_CONFIG[field]}.` : ''}Values`) };
    }
    if (field === 'http-header') {
      const config = isRecord(c.HttpHeaderConfig) ? c.HttpHeaderConfig : {};
      if (typeof config.HttpHeaderName !== 'string' || config.HttpHeaderName === '') ctx.fail(id, `${at}.HttpHeaderConfig.HttpHeaderName`, 'must name a header');
      return { field: 'http-header', header: config.HttpHeaderName.toLowerCase(), values: strings(config.Values, `${at}.HttpHeaderConfig.Values`) };
    }
    if (field === 'query-string') {
      const config = isRecord(c.QueryStringConfig) ? c.QueryStringConfig : {};
      const values = Array.isArray(config.Values) ? config.Values : [];
      if (values.length === 0) ctx.fail(id, `${at}.QueryStringConfig.Values`, 'must be a list of {Key, Value}');
      return {
        field: 'query-string',
        values: values.map((v, j) => {
          if (!isRecord(v) || typeof v.Value !== 'string' || v.Value === '') ctx.fail(id, `${at}.QueryStringConfig.Values[${j}].Value`, 'must be text');
          return { ...(typeof v.Key === 'string' ? { key: v.Key } : {}), value: v.Value };
        }),
      };
    }
    return ctx.fail(id, `${at}.Field`, `"${field}" is not a condition field (path-pattern, host-header, http-request-method, http-header, query-string, source-ip)`);
  });
}
