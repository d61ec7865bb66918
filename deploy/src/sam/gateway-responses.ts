// Gateway responses of a REST API: how API Gateway's own answers (a missing route, a denied
// caller, a timed-out function) are customized. Three ways to write them, one result
// (`apis.<id>.gateway_responses`, docs/gateway.md "Gateway responses"):
//   SAM      AWS::Serverless::Api GatewayResponses: { TYPE: { StatusCode, ResponseParameters: { Headers }, ResponseTemplates } }
//   OpenAPI  x-amazon-apigateway-gateway-responses: { TYPE: { statusCode, responseParameters: { 'gatewayresponse.header.X' }, responseTemplates } }
//   raw      AWS::ApiGateway::GatewayResponse { RestApiId, ResponseType, StatusCode, ResponseParameters, ResponseTemplates }
// Pure: property values come in resolved. Bad values fail the deploy naming the field.
import { GATEWAY_RESPONSE_TYPES, type GatewayResponse, type GatewayResponseType } from '@esb/contracts';
import { createRequire } from 'node:module';
import type { ApiReadContext, RawApiResource } from './cfn-apis.js';
import { isRecord } from './resolver.js';

export const GATEWAY_RESPONSE_RESOURCE = 'AWS::ApiGateway::GatewayResponse';
export type GatewayResponses = Partial<Record<GatewayResponseType, GatewayResponse>>;
type Ctx = Pick<ApiReadContext, 'warn' | 'fail'>;

const TYPES: ReadonlySet<string> = new Set(GATEWAY_RESPONSE_TYPES);
// Loaded when a template has a template to check: `esb deploy` imports this package to start.
const require = createRequire(import.meta.url);
const parseVelocity = (text: string): unknown => (require('velocityjs') as typeof import('velocityjs')).parse(text);
// The values API Gateway accepts for a gateway response header.
const HEADER_VALUE = /^(?:'[^]*'|method\.request\.(?:header|querystring|path)\.[^\s.]+|stageVariables\.[A-Za-z0-9_]+|context\.[A-Za-z0-9_.]+)$/;
const HEADER_PARAMETER = 'gatewayresponse.header.';

interface Written {
  statusCode: unknown;
  /** header name -> value expression, as written */
  headers: Record<string, unknown>;
  templates: unknown;
}

/** `AWS::Serverless::Api` GatewayResponses (`field` names it in errors). */
export function readSamGatewayResponses(ctx: Ctx, apiId: string, value: unknown, field = 'GatewayResponses'): GatewayResponses {
  if (!isRecord(value)) ctx.fail(apiId, field, 'must be a map of gateway response types (DEFAULT_4XX, UNAUTHORIZED, ...)');
  const out: GatewayResponses = {};
  for (const [type, r] of Object.entries(value)) {
    const at = `${field}.${type}`;
    if (!isRecord(r)) ctx.fail(apiId, at, 'must be a map (StatusCode, ResponseParameters, ResponseTemplates)');
    const params = r.ResponseParameters ?? {};
    if (!isRecord(params)) ctx.fail(apiId, `${at}.ResponseParameters`, 'must be a map (Headers, Paths, QueryStrings)');
    const headers = params.Headers ?? {};
    if (!isRecord(headers)) ctx.fail(apiId, `${at}.ResponseParameters.Headers`, 'must be a map of header name to value');
    if (params.Paths !== undefined || params.QueryStrings !== undefined) ctx.warn(`${apiId}.${at}.ResponseParameters: only Headers apply to an answer; Paths and QueryStrings are not used`);
    out[checkedType(ctx, apiId, at, type)] = checked(ctx, apiId, at, { statusCode: r.StatusCode, headers, templates: r.ResponseTemplates }, 'StatusCode', 'ResponseParameters.Headers', 'ResponseTemplates');
  }
  return out;
}

/** An OpenAPI definition's `x-amazon-apigateway-gateway-responses`. */
export function readOpenApiGatewayResponses(ctx: Ctx, apiId: string, value: unknown, field: string): GatewayResponses {
  if (!isRecord(value)) ctx.fail(apiId, field, 'must be a map of gateway response types (DEFAULT_4XX, UNAUTHORIZED, ...)');
  const out: GatewayResponses = {};
  for (const [type, r] of Object.entries(value)) {
    const at = `${field}.${type}`;
    if (!isRecord(r)) ctx.fail(apiId, at, 'must be a map (statusCode, responseParameters, responseTemplates)');
    const headers = headerParameters(ctx, apiId, `${at}.responseParameters`, r.responseParameters);
    out[checkedType(ctx, apiId, at, type)] = checked(ctx, apiId, at, { statusCode: r.statusCode, headers, templates: r.responseTemplates }, 'statusCode', 'responseParameters', 'responseTemplates');
  }
  return out;
}

/** AWS::ApiGateway::GatewayResponse resources, by the API (logical id) they customize. */
export function readCfnGatewayResponses(ctx: Ctx, resources: RawApiResource[]): Map<string, GatewayResponses> {
  const byApi = new Map<string, GatewayResponses>();
  for (const r of resources) {
    if (r.type !== GATEWAY_RESPONSE_RESOURCE) continue;
    const api = typeof r.props.RestApiId === 'string' && r.props.RestApiId ? r.props.RestApiId : ctx.fail(r.id, 'RestApiId', 'must name a REST API (!Ref)');
    const type = checkedType(ctx, r.id, 'ResponseType', r.props.ResponseType);
    const headers = headerParameters(ctx, r.id, 'ResponseParameters', r.props.ResponseParameters);
    const responses = byApi.get(api) ?? {};
    if (responses[type]) ctx.warn(`${r.id}: ${api} has two ${type} gateway responses; this one wins`);
    responses[type] = checked(ctx, r.id, '', { statusCode: r.props.StatusCode, headers, templates: r.props.ResponseTemplates }, 'StatusCode', 'ResponseParameters', 'ResponseTemplates');
    byApi.set(api, responses);
  }
  return byApi;
}

function checkedType(ctx: Ctx, id: string, field: string, type: unknown): GatewayResponseType {
  if (typeof type !== 'string' || !TYPES.has(type)) ctx.fail(id, field, `${JSON.stringify(type)} is not a gateway response type; one of ${GATEWAY_RESPONSE_TYPES.join(', ')}`);
  return type as GatewayResponseType;
}

/** `{'gatewayresponse.header.X': value}` -> `{X: value}` (path and query string parameters do not shape an answer). */
function headerParameters(ctx: Ctx, id: string, field: string, params: unknown): Record<string, unknown> {
  if (params === undefined) return {};
  if (!isRecord(params)) ctx.fail(id, field, 'must be a map like {"gatewayresponse.header.Access-Control-Allow-Origin": "\'*\'"}');
  const headers: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (key.startsWith(HEADER_PARAMETER) && key.length > HEADER_PARAMETER.length) headers[key.slice(HEADER_PARAMETER.length)] = value;
    else if (/^gatewayresponse\.(path|querystring)\./.test(key)) ctx.warn(`${id}.${field}: ${key} does not shape an answer; only gatewayresponse.header.* are used`);
    else ctx.fail(id, `${field}.${key}`, 'must be gatewayresponse.header.<name>');
  }
  return headers;
}

function checked(ctx: Ctx, id: string, at: string, w: Written, statusField: string, headersField: string, templatesField: string): GatewayResponse {
  const field = (f: string) => (at ? `${at}.${f}` : f);
  const out: GatewayResponse = { headers: {}, templates: {} };
  if (w.statusCode !== undefined) {
    const code = typeof w.statusCode === 'number' ? w.statusCode : /^\d{3}$/.test(String(w.statusCode)) ? Number(w.statusCode) : NaN;
    if (!Number.isInteger(code) || code < 100 || code > 599) ctx.fail(id, field(statusField), `must be an HTTP status code (100-599), got ${JSON.stringify(w.statusCode)}`);
    out.status_code = code;
  }
  for (const [name, value] of Object.entries(w.headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) ctx.fail(id, field(`${headersField}.${name}`), 'is not a valid HTTP header name');
    if (typeof value !== 'string' || !HEADER_VALUE.test(value.trim())) {
      ctx.fail(id, field(`${headersField}.${name}`), `must be a quoted literal like "'*'" or method.request.header.<name>, method.request.querystring.<name>, method.request.path.<name>, stageVariables.<name>, context.<variable>; got ${JSON.stringify(value)}`);
    }
    out.headers[name] = value.trim();
  }
  if (w.templates !== undefined) {
    if (!isRecord(w.templates)) ctx.fail(id, field(templatesField), 'must be a map of content type to template');
    for (const [type, template] of Object.entries(w.templates)) {
      if (typeof template !== 'string') ctx.fail(id, field(`${templatesField}.${type}`), 'must be a string (a Velocity template)');
      try {
        parseVelocity(template);
      } catch (err) {
        ctx.fail(id, field(`${templatesField}.${type}`), `is not a valid Velocity template: ${(err as Error).message.split('\n').slice(-1)[0]}`);
      }
      out.templates[type] = template;
    }
  }
  return out;
}
