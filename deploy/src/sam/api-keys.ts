// API keys of a template: AWS::ApiGateway::ApiKey resources, and the usage plans
// (AWS::ApiGateway::UsagePlan + UsagePlanKey) or StageKeys that tie them to APIs. A key may call
// an API that requires keys when it is enabled and tied to that API; a usage plan's throttle and
// quota limit the keys in it (docs/security.md, "API keys" and "Usage plans").
// Pure: property values come in resolved (a `!Ref` to one of these resources is its logical id).
import { createHash } from 'node:crypto';
import type { Throttle, UsagePlan } from '@esb/contracts';
import type { ApiReadContext, RawApiResource } from './cfn-apis.js';
import { isRecord } from './resolver.js';

export const API_KEY_TYPES = new Set(['AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey']);

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isTrue = (v: unknown): boolean => v === true || v === 'true';
const refOf = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
type Ctx = Pick<ApiReadContext, 'warn' | 'fail'>;

/** What one API gets: the key values it accepts and the usage plans that limit them. */
export interface ApiKeysOfApi {
  keys: string[];
  plans: UsagePlan[];
}

interface PlanRead {
  id: string;
  /** API id -> the method throttles of the plan's stage entry for that API. */
  apis: Map<string, Record<string, Throttle>>;
  throttle?: Throttle;
  quota?: UsagePlan['quota'];
}

/**
 * The value esb gives a key without one (API Gateway would generate it): 40 hex characters made
 * from the stack's and the key's names, the same on every deploy (docs/security.md, "API keys").
 */
export function derivedApiKey(stackPrefix: string, keyId: string): string {
  return createHash('sha256').update(`esb api key\0${stackPrefix}${keyId}`).digest('hex').slice(0, 40);
}

/**
 * Each API's keys and usage plans; a key without a Value gets a derived one, said in a warning.
 * `planIdPrefix` makes a plan's id unique beyond its template (the stack name).
 */
export function readApiKeys(ctx: Ctx, resources: RawApiResource[], planIdPrefix = ''): Map<string, ApiKeysOfApi> {
  const keys = new Map<string, { value?: string; enabled: boolean }>();
  const plans = new Map<string, PlanRead>();
  const keyApis = new Map<string, Set<string>>();
  const keyPlans = new Map<string, string[]>();
  const tie = (keyId: string, apiId: string) => {
    let apis = keyApis.get(keyId);
    if (!apis) keyApis.set(keyId, (apis = new Set()));
    apis.add(apiId);
  };

  for (const r of resources) {
    if (r.type === 'AWS::ApiGateway::ApiKey') {
      const value = r.props.Value;
      if (value !== undefined && (typeof value !== 'string' || value.length < 20)) ctx.fail(r.id, 'Value', 'must be a string of at least 20 characters, as API Gateway requires');
      // API Gateway's default: a key is disabled unless Enabled says otherwise.
      keys.set(r.id, { value: value as string | undefined, enabled: isTrue(r.props.Enabled) });
      for (const [i, sk] of asList(r.props.StageKeys).entries()) {
        const api = refOf((sk as Record<string, unknown> | undefined)?.RestApiId);
        if (!api) ctx.fail(r.id, `StageKeys[${i}].RestApiId`, 'must name an API');
        tie(r.id, api);
      }
    } else if (r.type === 'AWS::ApiGateway::UsagePlan') {
      plans.set(r.id, readPlan(ctx, r, planIdPrefix));
    }
  }
  for (const r of resources) {
    if (r.type !== 'AWS::ApiGateway::UsagePlanKey') continue;
    const keyId = refOf(r.props.KeyId) ?? ctx.fail(r.id, 'KeyId', 'must name an API key');
    const planId = refOf(r.props.UsagePlanId) ?? ctx.fail(r.id, 'UsagePlanId', 'must name a usage plan');
    if (!keys.has(keyId)) ctx.fail(r.id, 'KeyId', `"${keyId}" is not an AWS::ApiGateway::ApiKey of this template`);
    const plan = plans.get(planId);
    if (!plan) ctx.fail(r.id, 'UsagePlanId', `"${planId}" is not an AWS::ApiGateway::UsagePlan of this template`);
    for (const api of plan.apis.keys()) tie(keyId, api);
    keyPlans.set(keyId, [...(keyPlans.get(keyId) ?? []), planId]);
  }

  const byApi = new Map<string, ApiKeysOfApi>();
  const of = (api: string) => byApi.get(api) ?? byApi.set(api, { keys: [], plans: [] }).get(api)!;
  const derived: string[] = [];
  const planKeys = new Map<string, string[]>();
  for (const [keyId, key] of keys) {
    const apis = keyApis.get(keyId);
    if (!apis || !key.enabled) continue;
    let value = key.value;
    if (value === undefined) {
      value = derivedApiKey(planIdPrefix, keyId);
      derived.push(`${keyId}: ${value}`);
    }
    for (const api of apis) of(api).keys.push(value);
    for (const planId of keyPlans.get(keyId) ?? []) planKeys.set(planId, [...(planKeys.get(planId) ?? []), value]);
  }
  for (const [planId, plan] of plans) {
    const values = planKeys.get(planId);
    if (!values) continue;
    for (const [api, methodThrottle] of plan.apis) {
      of(api).plans.push({ id: plan.id, keys: values, method_throttle: methodThrottle, ...(plan.throttle ? { throttle: plan.throttle } : {}), ...(plan.quota ? { quota: plan.quota } : {}) });
    }
  }
  if (derived.length) {
    ctx.warn(
      `API key ${derived.map((d) => d.slice(0, d.indexOf(':'))).join(', ')} has no Value: API Gateway would generate one; esb's, made from the stack's and the key's names (the same on every deploy): ${derived.join(', ')}. Give the key a Value for a key of your own (docs/security.md)`,
    );
  }
  return byApi;
}

function readPlan(ctx: Ctx, r: RawApiResource, planIdPrefix: string): PlanRead {
  const plan: PlanRead = { id: `${planIdPrefix}${r.id}`, apis: new Map() };
  for (const [i, st] of asList(r.props.ApiStages).entries()) {
    const at = `ApiStages[${i}]`;
    const api = refOf(isRecord(st) ? st.ApiId : undefined) ?? ctx.fail(r.id, `${at}.ApiId`, 'must name an API');
    const methods: Record<string, Throttle> = {};
    const written = (st as Record<string, unknown>).Throttle;
    if (written !== undefined) {
      if (!isRecord(written)) ctx.fail(r.id, `${at}.Throttle`, 'must be a map of "/resource/METHOD" to {RateLimit, BurstLimit}');
      for (const [method, t] of Object.entries(written)) {
        if (!/^\/\S*\/[A-Za-z*]+$/.test(method)) ctx.fail(r.id, `${at}.Throttle.${method}`, 'must be keyed "/resource/METHOD", like "/pets/GET"');
        const throttle = readThrottle(ctx, r.id, `${at}.Throttle.${method}`, t);
        if (throttle) methods[method.replace(/[A-Za-z*]+$/, (m) => m.toUpperCase())] = throttle;
      }
    }
    plan.apis.set(api, methods);
  }
  const throttle = readThrottle(ctx, r.id, 'Throttle', r.props.Throttle);
  if (throttle) plan.throttle = throttle;
  const q = r.props.Quota;
  if (q !== undefined) {
    if (!isRecord(q)) ctx.fail(r.id, 'Quota', 'must be a map (Limit, Period, Offset)');
    const limit = wholeNumber(ctx, r.id, 'Quota.Limit', q.Limit) ?? ctx.fail(r.id, 'Quota.Limit', 'is required');
    const period = String(q.Period ?? '').toUpperCase();
    if (period !== 'DAY' && period !== 'WEEK' && period !== 'MONTH') ctx.fail(r.id, 'Quota.Period', `must be DAY, WEEK or MONTH, got ${JSON.stringify(q.Period)}`);
    const offset = wholeNumber(ctx, r.id, 'Quota.Offset', q.Offset) ?? 0;
    if (offset > 0 && offset >= limit) ctx.fail(r.id, 'Quota.Offset', `must be below Quota.Limit (${limit})`);
    plan.quota = { limit, period, offset };
  }
  return plan;
}

/** `{RateLimit, BurstLimit}`: no RateLimit, no throttle; no BurstLimit, bursts of one second's rate. */
function readThrottle(ctx: Ctx, id: string, field: string, t: unknown): Throttle | undefined {
  if (t === undefined) return undefined;
  if (!isRecord(t)) ctx.fail(id, field, 'must be a map (RateLimit, BurstLimit)');
  const rate = t.RateLimit === undefined ? undefined : Number(t.RateLimit);
  if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0)) ctx.fail(id, `${field}.RateLimit`, `must be a number of requests per second, got ${JSON.stringify(t.RateLimit)}`);
  const burst = wholeNumber(ctx, id, `${field}.BurstLimit`, t.BurstLimit);
  if (rate === undefined) {
    if (burst !== undefined) ctx.warn(`${id}.${field}: BurstLimit without RateLimit does not limit anything`);
    return undefined;
  }
  return { rate_limit: rate, burst_limit: burst ?? Math.max(1, Math.ceil(rate)) };
}

function wholeNumber(ctx: Ctx, id: string, field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) ctx.fail(id, field, `must be a whole number, got ${JSON.stringify(v)}`);
  return n;
}
