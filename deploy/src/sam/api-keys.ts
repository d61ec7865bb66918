// API keys of a template: AWS::ApiGateway::ApiKey resources, and the usage plans
// (AWS::ApiGateway::UsagePlan + UsagePlanKey) or StageKeys that tie them to APIs. A key may call
// an API that requires keys when it is enabled and tied to that API (docs/security.md, "API keys").
// Pure: property values come in resolved (a `!Ref` to one of these resources is its logical id).
import type { ApiReadContext, RawApiResource } from './cfn-apis.js';

export const API_KEY_TYPES = new Set(['AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey']);

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isTrue = (v: unknown): boolean => v === true || v === 'true';
const refOf = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The values of the keys each API (by id) accepts; keys without a Value are warned about. */
export function readApiKeys(ctx: Pick<ApiReadContext, 'warn' | 'fail'>, resources: RawApiResource[]): Map<string, string[]> {
  const keys = new Map<string, { value?: string; enabled: boolean }>();
  const planApis = new Map<string, string[]>();
  const keyApis = new Map<string, Set<string>>();
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
      const apis = asList(r.props.ApiStages).map((st, i) => refOf((st as Record<string, unknown> | undefined)?.ApiId) ?? ctx.fail(r.id, `ApiStages[${i}].ApiId`, 'must name an API'));
      planApis.set(r.id, apis);
    }
  }
  for (const r of resources) {
    if (r.type !== 'AWS::ApiGateway::UsagePlanKey') continue;
    const keyId = refOf(r.props.KeyId) ?? ctx.fail(r.id, 'KeyId', 'must name an API key');
    const planId = refOf(r.props.UsagePlanId) ?? ctx.fail(r.id, 'UsagePlanId', 'must name a usage plan');
    if (!keys.has(keyId)) ctx.fail(r.id, 'KeyId', `"${keyId}" is not an AWS::ApiGateway::ApiKey of this template`);
    const apis = planApis.get(planId);
    if (!apis) ctx.fail(r.id, 'UsagePlanId', `"${planId}" is not an AWS::ApiGateway::UsagePlan of this template`);
    for (const api of apis) tie(keyId, api);
  }

  const byApi = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const [keyId, key] of keys) {
    const apis = keyApis.get(keyId);
    if (!apis || !key.enabled) continue;
    if (key.value === undefined) {
      unknown.push(keyId);
      continue;
    }
    for (const api of apis) byApi.set(api, [...(byApi.get(api) ?? []), key.value]);
  }
  if (unknown.length) {
    ctx.warn(
      `API key ${unknown.join(', ')} has no Value: API Gateway would generate one, which esb cannot know; give the key a Value, or list the keys to accept in ESB_API_KEYS or api_keys of ~/.esb/config.yaml (docs/security.md)`,
    );
  }
  return byApi;
}
