// EventBridge API destinations of a template (docs/eventbridge.md, "API destinations"):
// AWS::Events::Connection (how requests are authorized, and the parameters every request
// carries) and AWS::Events::ApiDestination (the endpoint and method), read into what a rule's
// target sends: the URL, the method, the headers and query parameters. Pure: property values
// come in resolved.
import type { EventRuleTarget } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { isRecord } from './resolver.js';

export const CONNECTION_TYPE = 'AWS::Events::Connection';
export const API_DESTINATION_TYPE = 'AWS::Events::ApiDestination';

type Ctx = Pick<ApiReadContext, 'fail' | 'warn'>;
export type HttpTarget = NonNullable<EventRuleTarget['http']>;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);

/** What a connection adds to every request: headers (its authorization among them) and query parameters. */
export interface ConnectionModel {
  headers: Record<string, string>;
  query: Record<string, string>;
  /** An OAUTH_CLIENT_CREDENTIALS connection's token request (the agent asks for the token). */
  oauth?: HttpTarget['oauth'];
}

/** `[{Key, Value}]` as a map; a wrong shape fails naming the field. */
function keyValues(ctx: Ctx, id: string, field: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (!Array.isArray(v)) ctx.fail(id, field, 'must be a list of {Key, Value}');
  const out: Record<string, string> = {};
  v.forEach((p, i) => {
    if (!isRecord(p) || typeof p.Key !== 'string' || (typeof p.Value !== 'string' && typeof p.Value !== 'number' && typeof p.Value !== 'boolean')) ctx.fail(id, `${field}[${i}]`, 'must be {Key, Value}');
    out[p.Key] = String(p.Value);
  });
  return out;
}

/** An AWS::Events::Connection, its properties resolved. */
export function readConnection(ctx: Ctx, id: string, props: Record<string, unknown>): ConnectionModel {
  const type = props.AuthorizationType;
  const auth = isRecord(props.AuthParameters) ? props.AuthParameters : ctx.fail(id, 'AuthParameters', 'must be a map with the parameters of the AuthorizationType');
  const headers: Record<string, string> = {};
  let oauth: ConnectionModel['oauth'];
  if (type === 'API_KEY') {
    const key = isRecord(auth.ApiKeyAuthParameters) ? auth.ApiKeyAuthParameters : ctx.fail(id, 'AuthParameters.ApiKeyAuthParameters', 'must be {ApiKeyName, ApiKeyValue} for API_KEY');
    if (typeof key.ApiKeyName !== 'string' || typeof key.ApiKeyValue !== 'string') ctx.fail(id, 'AuthParameters.ApiKeyAuthParameters', 'must be {ApiKeyName, ApiKeyValue} for API_KEY');
    headers[key.ApiKeyName] = key.ApiKeyValue;
  } else if (type === 'BASIC') {
    const basic = isRecord(auth.BasicAuthParameters) ? auth.BasicAuthParameters : ctx.fail(id, 'AuthParameters.BasicAuthParameters', 'must be {Username, Password} for BASIC');
    if (typeof basic.Username !== 'string' || typeof basic.Password !== 'string') ctx.fail(id, 'AuthParameters.BasicAuthParameters', 'must be {Username, Password} for BASIC');
    headers.Authorization = `Basic ${Buffer.from(`${basic.Username}:${basic.Password}`).toString('base64')}`;
  } else if (type === 'OAUTH_CLIENT_CREDENTIALS') {
    oauth = readOAuth(ctx, id, auth.OAuthParameters);
  } else {
    ctx.fail(id, 'AuthorizationType', `must be API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS, not ${JSON.stringify(type)}`);
  }
  const invocation = isRecord(auth.InvocationHttpParameters) ? auth.InvocationHttpParameters : {};
  Object.assign(headers, keyValues(ctx, id, 'AuthParameters.InvocationHttpParameters.HeaderParameters', invocation.HeaderParameters));
  const query = keyValues(ctx, id, 'AuthParameters.InvocationHttpParameters.QueryStringParameters', invocation.QueryStringParameters);
  if (invocation.BodyParameters !== undefined) ctx.warn(`${id}.AuthParameters.InvocationHttpParameters.BodyParameters: not applied; the request's body is the event (docs/eventbridge.md)`);
  return { headers, query, ...(oauth ? { oauth } : {}) };
}

/** OAuthParameters: where and how the token is asked for. */
function readOAuth(ctx: Ctx, id: string, given: unknown): NonNullable<ConnectionModel['oauth']> {
  const field = 'AuthParameters.OAuthParameters';
  const p = isRecord(given) ? given : ctx.fail(id, field, 'must be {AuthorizationEndpoint, ClientParameters, HttpMethod, OAuthHttpParameters} for OAUTH_CLIENT_CREDENTIALS');
  if (typeof p.AuthorizationEndpoint !== 'string' || !/^https?:\/\/\S+$/.test(p.AuthorizationEndpoint)) ctx.fail(id, `${field}.AuthorizationEndpoint`, `must be an http(s) URL, not ${JSON.stringify(p.AuthorizationEndpoint)}`);
  if (p.HttpMethod !== 'GET' && p.HttpMethod !== 'POST' && p.HttpMethod !== 'PUT') ctx.fail(id, `${field}.HttpMethod`, `must be GET, POST or PUT, not ${JSON.stringify(p.HttpMethod)}`);
  const client = isRecord(p.ClientParameters) ? p.ClientParameters : ctx.fail(id, `${field}.ClientParameters`, 'must be {ClientID, ClientSecret}');
  if (typeof client.ClientID !== 'string' || client.ClientID === '' || typeof client.ClientSecret !== 'string') ctx.fail(id, `${field}.ClientParameters`, 'must be {ClientID, ClientSecret}');
  const params = isRecord(p.OAuthHttpParameters) ? p.OAuthHttpParameters : {};
  return {
    endpoint: p.AuthorizationEndpoint,
    method: p.HttpMethod,
    client_id: client.ClientID,
    client_secret: client.ClientSecret,
    headers: keyValues(ctx, id, `${field}.OAuthHttpParameters.HeaderParameters`, params.HeaderParameters),
    query: keyValues(ctx, id, `${field}.OAuthHttpParameters.QueryStringParameters`, params.QueryStringParameters),
    body: keyValues(ctx, id, `${field}.OAuthHttpParameters.BodyParameters`, params.BodyParameters),
  };
}

/** An AWS::Events::ApiDestination, its properties resolved; `connection` is what its ConnectionArn names (undefined: not of this template). */
export function readApiDestination(ctx: Ctx, id: string, props: Record<string, unknown>, name: string, connection: ConnectionModel | undefined): HttpTarget {
  const url = props.InvocationEndpoint;
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) ctx.fail(id, 'InvocationEndpoint', `must be an http(s) URL, not ${JSON.stringify(url)}`);
  const method = props.HttpMethod;
  if (typeof method !== 'string' || !METHODS.has(method)) ctx.fail(id, 'HttpMethod', `must be one of ${[...METHODS].join(', ')}`);
  if (!connection) ctx.fail(id, 'ConnectionArn', 'must be the ARN of an AWS::Events::Connection of this template (!GetAtt Connection.Arn)');
  return { name, url, method: method as HttpTarget['method'], headers: { ...connection.headers }, query: { ...connection.query }, ...(connection.oauth ? { oauth: connection.oauth } : {}) };
}

/** A rule target's HttpParameters applied to its API destination: `*` in the URL filled in order, headers and query parameters added. */
export function withHttpParameters(ctx: Ctx, id: string, field: string, http: HttpTarget, given: unknown): HttpTarget {
  const p = given ?? {};
  if (!isRecord(p)) ctx.fail(id, field, 'must be a map of PathParameterValues, HeaderParameters and QueryStringParameters');
  const values = p.PathParameterValues === undefined ? [] : Array.isArray(p.PathParameterValues) && p.PathParameterValues.every((v) => typeof v === 'string') ? (p.PathParameterValues as string[]) : ctx.fail(id, `${field}.PathParameterValues`, 'must be a list of text');
  const wildcards = http.url.split('*').length - 1;
  if (values.length !== wildcards) ctx.fail(id, `${field}.PathParameterValues`, `gives ${values.length} value(s) for the ${wildcards} "*" of ${http.url}`);
  let i = 0;
  const url = http.url.replace(/\*/g, () => encodeURIComponent(values[i++]));
  const record = (v: unknown, f: string): Record<string, string> => {
    if (v === undefined) return {};
    if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string')) ctx.fail(id, `${field}.${f}`, 'must be a map of text');
    return v as Record<string, string>;
  };
  return { ...http, url, headers: { ...http.headers, ...record(p.HeaderParameters, 'HeaderParameters') }, query: { ...http.query, ...record(p.QueryStringParameters, 'QueryStringParameters') } };
}
