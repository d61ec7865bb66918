// WebSocket APIs of a template: AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET and its
// Stage, Routes, RouteResponses, Integrations, IntegrationResponses and Authorizers, read into
// routing.yml `websockets` (docs/generate.md, "WebSocket APIs"). Pure: property values come in
// resolved; the template reader supplies them.
import { WEBSOCKET_CONNECT, WEBSOCKET_DISCONNECT, type WebSocketApi, type WebSocketRoute } from '@esb/contracts';
import { readWebSocketAwsIntegration, type AwsIntegration } from './aws-integrations.js';
import { functionFromUri, integrationFunction, list, refId, type ApiReadContext, type RawApiResource } from './cfn-apis.js';
import { isRecord } from './resolver.js';

const API = 'AWS::ApiGatewayV2::Api';
const DEFAULT = '$default';
const DEFAULT_SELECTION = '$request.body.action';
/** What the gateway evaluates: `$request.body.<path>`, or text with `${request.body.<path>}` parts. */
const SELECTION = /^\$request\.body\.\S+$|\$\{request\.body\.[^}\s]+\}/;

/** The logical ids of the WebSocket APIs among `resources`. */
export function webSocketApiIds(resources: RawApiResource[]): Set<string> {
  return new Set(resources.filter((r) => r.type === API && String(r.props.ProtocolType ?? '').toUpperCase() === 'WEBSOCKET').map((r) => r.id));
}

/** Whether `r` is one of `apis` or a part of one (its ApiId names it). */
export function ofWebSocketApi(r: RawApiResource, apis: ReadonlySet<string>): boolean {
  return r.type === API ? apis.has(r.id) : apis.has(refId(r.props.ApiId) ?? '');
}

/** Templates keyed by what a TemplateSelectionExpression yields: the `$default` one, or the only one when the expression is `\$default`. */
function selectTemplate(ctx: ApiReadContext, id: string, field: string, templates: unknown, expression: unknown): unknown {
  // Not a map: left to the integration's checks, which name the field.
  if (!isRecord(templates)) return templates;
  const keys = Object.keys(templates);
  const fixed = expression === undefined || /^\\?\$default$/.test(String(expression));
  const key = keys.includes(DEFAULT) ? DEFAULT : fixed && keys.length === 1 ? keys[0] : undefined;
  const dropped = keys.filter((k) => k !== key);
  if (dropped.length) {
    ctx.warn(`${id}.${field}: esb does not evaluate TemplateSelectionExpression ${JSON.stringify(expression)}; ${key === undefined ? 'no template is used' : `the ${key} template is used`}, not ${dropped.join(', ')}`);
  }
  return key === undefined ? {} : { [key]: templates[key] };
}

/** An AWS::ApiGatewayV2::IntegrationResponse, its key read as AWS matches it. */
interface ResponseRead {
  logicalId: string;
  /** The regular expression of a `/<regex>/` key; undefined for `$default`. */
  pattern?: string;
  statusCode: number;
  templates?: Record<string, unknown>;
}

function readResponse(ctx: ApiReadContext, r: RawApiResource): ResponseRead {
  const key = r.props.IntegrationResponseKey;
  const templates = selectTemplate(ctx, r.id, 'ResponseTemplates', r.props.ResponseTemplates, r.props.TemplateSelectionExpression) as Record<string, unknown> | undefined;
  if (r.props.ResponseParameters !== undefined) ctx.warn(`${r.id}.ResponseParameters: a WebSocket message has no headers; not used`);
  if (key === DEFAULT) return { logicalId: r.id, statusCode: 200, templates };
  const m = typeof key === 'string' ? /^\/(.+)\/$/s.exec(key) : null;
  if (!m) return ctx.fail(r.id, 'IntegrationResponseKey', `${JSON.stringify(key)} must be "$default" or a /regular expression/ of status codes`);
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m[1]})$`);
  } catch (err) {
    return ctx.fail(r.id, 'IntegrationResponseKey', `is not a regular expression: ${(err as Error).message}`);
  }
  // The answer's status: the first code the pattern takes (400 for /4\d\d/), 2xx first.
  const codes = [...Array.from({ length: 400 }, (_, i) => 200 + i), ...Array.from({ length: 100 }, (_, i) => 100 + i)];
  return { logicalId: r.id, pattern: m[1], statusCode: codes.find((c) => re.test(String(c))) ?? 500, templates };
}

/** What a route's integration gives: a function, an AWS integration's config, a MOCK's answer; none of these: not served. */
interface IntegrationRead {
  fn?: string;
  aws?: AwsIntegration;
  mock?: { responseId?: string; text?: string };
}

/** The answer of a MOCK integration: its `$default` response (else the one for 200, else the only one) and that response's template. */
function mockOf(ctx: ApiReadContext, responses: ResponseRead[]): IntegrationRead['mock'] {
  const r = responses.find((x) => x.pattern === undefined) ?? responses.find((x) => new RegExp(`^(?:${x.pattern})$`).test('200')) ?? (responses.length === 1 ? responses[0] : undefined);
  if (!r) return {};
  const [key, text] = Object.entries(r.templates ?? {})[0] ?? [];
  if (text !== undefined && text !== null && typeof text !== 'string') ctx.fail(r.logicalId, `ResponseTemplates.${key}`, 'must be text');
  return { responseId: r.logicalId, ...(typeof text === 'string' ? { text } : {}) };
}

/** A route's `auth`: only `$connect` takes authorization in API Gateway; elsewhere it is warned of and dropped. */
function routeAuth(ctx: ApiReadContext, r: RawApiResource, apiId: string, api: WebSocketApi, key: string): WebSocketRoute['auth'] {
  const type = String(r.props.AuthorizationType ?? 'NONE').toUpperCase();
  const apiKey = r.props.ApiKeyRequired === true || r.props.ApiKeyRequired === 'true';
  if (type === 'NONE' && !apiKey) return undefined;
  if (key !== WEBSOCKET_CONNECT) {
    ctx.warn(`${r.id}: ${key}: ${type !== 'NONE' ? `AuthorizationType ${type}` : 'ApiKeyRequired'} applies to $connect only (as in API Gateway); not used`);
    return undefined;
  }
  const auth: NonNullable<WebSocketRoute['auth']> = {};
  if (type === 'CUSTOM') {
    const az = refId(r.props.AuthorizerId);
    if (az && api.authorizers?.[az]) auth.authorizer = az;
    else ctx.warn(`${r.id}: AuthorizerId ${JSON.stringify(r.props.AuthorizerId)} is not an emulated authorizer of ${apiId}; served without authorization`);
  } else if (type === 'AWS_IAM') auth.authorizer = 'AWS_IAM';
  else if (type !== 'NONE') ctx.warn(`${r.id}: AuthorizationType ${type} is not emulated; served without authorization`);
  if (apiKey) auth.api_key_required = true;
  return Object.keys(auth).length ? auth : undefined;
}

/** The template's WebSocket APIs by logical id; `resources`: its AWS::ApiGatewayV2 resources (those of HTTP APIs are left alone). */
export function readWebSocketApis(ctx: ApiReadContext, resources: RawApiResource[]): Map<string, WebSocketApi> {
  const ids = webSocketApiIds(resources);
  const mine = resources.filter((r) => ofWebSocketApi(r, ids));
  const byType = (t: string) => mine.filter((r) => r.type === `AWS::ApiGatewayV2::${t}`);
  const apis = new Map<string, WebSocketApi>();
  const apiOf = (r: RawApiResource) => apis.get(refId(r.props.ApiId)!)!;

  for (const r of byType('Api')) {
    const selection = r.props.RouteSelectionExpression ?? DEFAULT_SELECTION;
    if (typeof selection !== 'string' || selection === '') ctx.fail(r.id, 'RouteSelectionExpression', `must be $request.body.<field> (text), not ${JSON.stringify(selection)}`);
    if (!SELECTION.test(selection)) ctx.warn(`${r.id}.RouteSelectionExpression: ${JSON.stringify(selection)} selects by no $request.body.<field>; every message goes to the $default route`);
    apis.set(r.id, { stage: DEFAULT, stage_variables: {}, route_selection: selection, routes: [] });
  }
  for (const r of byType('Stage')) {
    const api = apiOf(r);
    if (typeof r.props.StageName === 'string') api.stage = r.props.StageName;
    if (isRecord(r.props.StageVariables)) api.stage_variables = Object.fromEntries(Object.entries(r.props.StageVariables).map(([k, v]) => [k, String(v)]));
  }
  for (const r of byType('Authorizer')) {
    const api = apiOf(r);
    const kind = String(r.props.AuthorizerType ?? '').toUpperCase();
    const fn = functionFromUri(r.props.AuthorizerUri);
    if (kind !== 'REQUEST' || !fn) {
      ctx.warn(`${r.id}: authorizer type ${kind || '(none)'} is not emulated; routes using it are served without authorization`);
      continue;
    }
    // API Gateway caches no WebSocket authorizer results; route.request.* is the WebSocket name of method.request.*.
    const sources = list(r.props.IdentitySource).map((s) => s.replace(/^route\.request\./, 'method.request.'));
    api.authorizers = { ...api.authorizers, [r.id]: { type: 'request', function: fn, identity_sources: sources, ttl_seconds: 0, payload_format_version: '1.0', simple_responses: false } };
  }

  const twoWay = new Set(byType('RouteResponse').map((r) => refId(r.props.RouteId)));
  const integrationIds = new Set(byType('Integration').map((r) => r.id));
  const responses = new Map<string, ResponseRead[]>();
  for (const r of byType('IntegrationResponse')) {
    const integration = refId(r.props.IntegrationId) ?? '';
    if (!integrationIds.has(integration)) {
      ctx.warn(`${r.id}: IntegrationId ${JSON.stringify(r.props.IntegrationId)} is not an AWS::ApiGatewayV2::Integration of this template; not used`);
      continue;
    }
    responses.set(integration, [...(responses.get(integration) ?? []), readResponse(ctx, r)]);
  }

  const integrations = new Map<string, IntegrationRead>();
  for (const r of byType('Integration')) {
    const itype = String(r.props.IntegrationType ?? '').toUpperCase();
    const own = responses.get(r.id) ?? [];
    if (String(r.props.ConnectionType ?? '').toUpperCase() === 'VPC_LINK') {
      ctx.warn(`${r.id}.ConnectionType: VPC_LINK integrations are not emulated; routes using it are not served`);
      integrations.set(r.id, {});
    } else if (itype === 'AWS_PROXY') {
      integrations.set(r.id, { fn: integrationFunction(ctx, `${r.id}.IntegrationUri`, r.props.IntegrationUri) });
    } else if (itype === 'AWS') {
      const requestTemplates = selectTemplate(ctx, r.id, 'RequestTemplates', r.props.RequestTemplates, r.props.TemplateSelectionExpression) as Record<string, unknown> | undefined;
      // No integration response: the service's answer as it is (one default response passes the body through).
      const aws = readWebSocketAwsIntegration(ctx, { logicalId: r.id, field: '', where: r.id, resourcePath: '' }, r.props, requestTemplates, own.length ? own : [{ logicalId: r.id, statusCode: 200 }]);
      integrations.set(r.id, aws ? { aws } : {});
    } else if (itype === 'MOCK') {
      integrations.set(r.id, { mock: mockOf(ctx, own) });
    } else {
      ctx.warn(`${r.id}.IntegrationType: ${itype || '(none)'} integrations are not emulated (only AWS_PROXY, AWS and MOCK); routes using it are not served`);
      integrations.set(r.id, {});
    }
  }

  const mockWarned = new Set<string>();
  for (const r of byType('Route')) {
    const apiId = refId(r.props.ApiId)!;
    const api = apiOf(r);
    const key = r.props.RouteKey;
    if (typeof key !== 'string' || key === '' || key.length > 128) ctx.fail(r.id, 'RouteKey', `${JSON.stringify(key)} must be $connect, $disconnect, $default or a value of the route selection expression (at most 128 characters)`);
    const target = typeof r.props.Target === 'string' ? /^integrations\/(.+)$/.exec(r.props.Target)?.[1] : undefined;
    const integration = target !== undefined ? integrations.get(target) : undefined;
    if (!integration || target === undefined) {
      ctx.warn(`${r.id}: ${key}: Target ${JSON.stringify(r.props.Target)} is not "integrations/<an AWS::ApiGatewayV2::Integration of this template>"; the route is not served`);
      continue;
    }
    const route: WebSocketRoute = { key, respond: twoWay.has(r.id) || r.props.RouteResponseSelectionExpression !== undefined };
    if (integration.aws) route.function = ctx.awsIntegrationFunction(target, r.id, { ...integration.aws, resourcePath: key });
    else if (integration.fn) route.function = integration.fn;
    else if (!integration.mock) continue;
    else if (route.respond && key !== WEBSOCKET_CONNECT && key !== WEBSOCKET_DISCONNECT && integration.mock.text !== undefined) {
      route.mock_response = integration.mock.text;
      if (/[$#]/.test(integration.mock.text) && !mockWarned.has(target)) {
        mockWarned.add(target);
        ctx.warn(`${integration.mock.responseId}.ResponseTemplates: the MOCK answer holds Velocity, which esb does not render; it is sent as written`);
      }
    }
    const auth = routeAuth(ctx, r, apiId, api, key);
    if (auth) route.auth = auth;
    if (isRecord(r.props.RequestModels) && Object.keys(r.props.RequestModels).length) ctx.warn(`${r.id}.RequestModels: messages are not validated against models; the route takes every message`);
    if (isRecord(r.props.RequestParameters) && Object.keys(r.props.RequestParameters).length) ctx.warn(`${r.id}.RequestParameters: required request parameters are not checked`);
    const at = api.routes.findIndex((x) => x.key === key);
    if (at >= 0) {
      ctx.warn(`route ${key} of ${apiId} is defined twice; ${r.id} wins`);
      api.routes[at] = route;
    } else api.routes.push(route);
  }
  for (const [id, api] of apis) if (api.routes.length === 0) ctx.warn(`${id}: this API defines no route esb can serve`);
  return apis;
}
