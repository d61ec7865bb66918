// API Gateway proxy events, built from a plain description of the HTTP request. Pure.
// v1: the REST API (and HTTP API payload 1.0) Lambda proxy event.
// v2: the HTTP API payload format 2.0.
import { LOCAL_ACCOUNT_ID, oncePerSecond } from '@esb/contracts';
import type { RouteHit } from './routes.js';

/** What the gateway knows about a request, independent of fastify. */
export interface GatewayRequest {
  method: string;
  /** The path as received, still URL-encoded, without the query string. */
  rawPath: string;
  /** The query string as received, without the `?`. */
  rawQueryString: string;
  /** Node's rawHeaders: [name, value, name, value, ...] with the client's case. */
  rawHeaders: string[];
  body: Buffer | undefined;
  sourceIp: string;
  /** `HTTP/1.1` */
  protocol: string;
  requestId: string;
  /** Epoch milliseconds of arrival. */
  timeEpoch: number;
}

export interface EventOptions {
  accountId?: string;
  /** Whether the body goes base64-encoded (decided by the caller from the content type). */
  base64Body: boolean;
}

const DEFAULT_ACCOUNT = LOCAL_ACCOUNT_ID;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `09/Apr/2015:12:34:56 +0000`, the format of requestContext.requestTime / time. */
export const formatRequestTime: (epochMs: number) => string = oncePerSecond((second) => {
  const d = new Date(second * 1000);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
});

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Decodes a path segment by segment (`%2F` stays a character of its segment). */
export function decodePath(rawPath: string): string {
  return rawPath.includes('%') ? rawPath.split('/').map(decode).join('/') : rawPath;
}

/** A query-string component: `+` is a space, then percent-decoding (live API Gateway events: `a+b` -> `a b`, `a%2Bb` -> `a+b`). */
function decodeQueryPart(text: string): string {
  return decode(text.includes('+') ? text.replace(/\+/g, ' ') : text);
}

/** Query pairs in order, decoded as API Gateway does for queryStringParameters. */
export function parseQuery(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    out.push(eq < 0 ? [decodeQueryPart(part), ''] : [decodeQueryPart(part.slice(0, eq)), decodeQueryPart(part.slice(eq + 1))]);
  }
  return out;
}

/** Hop-by-hop headers end at the gateway (live events never show them). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection']);

/**
 * The request headers the function sees, as live API Gateway events show them: the client's,
 * without hop-by-hop headers (and, for a REST API, without Content-Length), plus what the gateway
 * adds at its edge: `X-Forwarded-For` (the client's own list, if any, with the source IP
 * appended), `X-Forwarded-Port` and `X-Forwarded-Proto` (the gateway's, replacing the client's),
 * and `X-Amzn-Trace-Id` when the client sent none.
 */
export function edgeHeaders(clientRaw: readonly string[], edge: { sourceIp: string; port: number; proto: 'http' | 'https'; traceId?: string; rest: boolean }): string[] {
  const out: string[] = [];
  let forwardedFor: string | undefined;
  for (let i = 0; i < clientRaw.length; i += 2) {
    const lower = clientRaw[i].toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? clientRaw[i + 1] : `${forwardedFor}, ${clientRaw[i + 1]}`;
    else if (lower === 'x-forwarded-port' || lower === 'x-forwarded-proto' || HOP_BY_HOP.has(lower) || (edge.rest && lower === 'content-length')) continue;
    else out.push(clientRaw[i], clientRaw[i + 1]);
  }
  out.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${edge.sourceIp}` : edge.sourceIp);
  out.push('X-Forwarded-Port', String(edge.port), 'X-Forwarded-Proto', edge.proto);
  if (edge.traceId) out.push('X-Amzn-Trace-Id', edge.traceId);
  return out;
}

function headerValue(rawHeaders: string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === lowerName) return rawHeaders[i + 1];
  return undefined;
}

function bodyOf(req: GatewayRequest, base64: boolean): string | undefined {
  if (!req.body || req.body.length === 0) return undefined;
  return base64 ? req.body.toString('base64') : req.body.toString('utf8');
}

// The events are written as JSON text directly, the form the invoker sends: one copy of the
// event per request instead of an object and then its text (docs/gateway.md, "Request path").
// buildV1Event / buildV2Event parse it back for the callers that need an object (authorizers).

/** Printable ASCII without `"` or `\` is its own JSON text (most header values); the rest goes through JSON.stringify. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
/** A JSON string literal. */
const q = (text: string): string => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);

/** Above this many names, repeated names are found with a Map instead of by scanning back. */
const SCAN_LIMIT = 16;

/**
 * Names in order of first appearance, with every value of each, in order. `names[i]` and
 * `values[i]` belong together. Pairs come as [name, value, name, value, ...].
 */
function groupPairs(pairs: readonly string[]): { names: string[]; values: string[][] } {
  const names: string[] = [];
  const values: string[][] = [];
  if (pairs.length / 2 > SCAN_LIMIT) {
    const at = new Map<string, number>();
    for (let i = 0; i < pairs.length; i += 2) {
      const k = at.get(pairs[i]);
      if (k === undefined) {
        at.set(pairs[i], names.length);
        names.push(pairs[i]);
        values.push([pairs[i + 1]]);
      } else values[k].push(pairs[i + 1]);
    }
    return { names, values };
  }
  outer: for (let i = 0; i < pairs.length; i += 2) {
    for (let k = 0; k < names.length; k++) {
      if (names[k] === pairs[i]) {
        values[k].push(pairs[i + 1]);
        continue outer;
      }
    }
    names.push(pairs[i]);
    values.push([pairs[i + 1]]);
  }
  return { names, values };
}

/** `{"name":"value",...}`, each value made by `valueJson` from the name's values. */
function groupJson(g: { names: string[]; values: string[][] }, valueJson: (values: string[]) => string): string {
  let out = '{';
  for (let k = 0; k < g.names.length; k++) out += `${k ? ',' : ''}${q(g.names[k])}:${valueJson(g.values[k])}`;
  return `${out}}`;
}

const lastJson = (values: string[]) => q(values[values.length - 1]);
const allJson = (values: string[]) => {
  let out = '[';
  for (let i = 0; i < values.length; i++) out += `${i ? ',' : ''}${q(values[i])}`;
  return `${out}]`;
};
const commaJoinedJson = (values: string[]) => q(values.length === 1 ? values[0] : values.join(','));

/** `{"k":"v",...}` of a string record (path parameters, stage variables); undefined for none. */
function recordJson(record: Readonly<Record<string, string>> | null | undefined): string | undefined {
  if (!record) return undefined;
  let out = '';
  for (const k in record) if (Object.hasOwn(record, k)) out += `${out ? ',' : ''}${q(k)}:${q(record[k])}`;
  return `{${out}}`;
}

/** Stage variables as JSON, undefined when the stage has none (the events then say null or leave them out). */
function stageVariablesJson(api: RouteHit['route']['api']): string | undefined {
  const json = recordJson(api.stage_variables);
  return json === '{}' ? undefined : json;
}

/** Query pairs flattened as [name, value, ...] for groupPairs. */
function queryPairs(raw: string): string[] {
  const out: string[] = [];
  for (const [k, v] of parseQuery(raw)) out.push(k, v);
  return out;
}

export interface V1Event {
  resource: string;
  path: string;
  httpMethod: string;
  headers: Record<string, string> | null;
  multiValueHeaders: Record<string, string[]> | null;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string> | null;
  requestContext: Record<string, unknown>;
  body: string | null;
  isBase64Encoded: boolean;
}

/** The REST API (v1) proxy event as JSON text. */
export function v1EventJson(req: GatewayRequest, hit: RouteHit, opts: EventOptions): string {
  const { route } = hit;
  const api = route.api;
  const raw = req.rawHeaders;
  const headers = raw.length > 0 ? groupPairs(raw) : undefined;
  const query = req.rawQueryString ? groupPairs(queryPairs(req.rawQueryString)) : undefined;
  const hasQuery = query !== undefined && query.names.length > 0;
  // A REST API passes the path on still percent-encoded; an HTTP API (payload 1.0 here) decodes it.
  const path = api.type === 'rest' ? req.rawPath : decodePath(req.rawPath);
  const stage = api.stage;
  const host = headerValue(raw, 'host') ?? 'localhost';
  const userAgent = headerValue(raw, 'user-agent');
  const body = bodyOf(req, opts.base64Body);
  const method = q(req.method);
  const requestId = q(req.requestId);
  return (
    `{"resource":${q(route.resource)},"path":${q(path)},"httpMethod":${method}` +
    `,"headers":${headers ? groupJson(headers, lastJson) : 'null'}` +
    `,"multiValueHeaders":${headers ? groupJson(headers, allJson) : 'null'}` +
    `,"queryStringParameters":${hasQuery ? groupJson(query, lastJson) : 'null'}` +
    `,"multiValueQueryStringParameters":${hasQuery ? groupJson(query, allJson) : 'null'}` +
    `,"pathParameters":${recordJson(hit.pathParameters) ?? 'null'}` +
    `,"stageVariables":${stageVariablesJson(api) ?? 'null'}` +
    `,"requestContext":{"accountId":${q(opts.accountId ?? DEFAULT_ACCOUNT)},"apiId":${q(api.apiId)},"resourceId":${q(route.resourceId)}` +
    `,"resourcePath":${q(route.resource)},"httpMethod":${method},"requestId":${requestId},"extendedRequestId":${requestId}` +
    `,"requestTime":${q(formatRequestTime(req.timeEpoch))},"requestTimeEpoch":${req.timeEpoch}` +
    `,"path":${q(stage && stage !== '$default' ? `/${stage}${path}` : path)},"stage":${q(stage)},"protocol":${q(req.protocol)}` +
    `,"domainName":${q(host)},"domainPrefix":${q(host.split('.')[0])}` +
    `,"identity":{"accessKey":null,"accountId":null,"apiKey":null,"apiKeyId":null,"caller":null,"cognitoAuthenticationProvider":null` +
    `,"cognitoAuthenticationType":null,"cognitoIdentityId":null,"cognitoIdentityPoolId":null,"principalOrgId":null` +
    `,"sourceIp":${q(req.sourceIp)},"user":null,"userAgent":${userAgent === undefined ? 'null' : q(userAgent)},"userArn":null}` +
    `,"authorizer":null}` +
    `,"body":${body === undefined ? 'null' : q(body)},"isBase64Encoded":${body !== undefined && opts.base64Body}}`
  );
}

/** The REST API (v1) proxy event. */
export function buildV1Event(req: GatewayRequest, hit: RouteHit, opts: EventOptions): V1Event {
  return JSON.parse(v1EventJson(req, hit, opts)) as V1Event;
}

export interface V2Event {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
  requestContext: Record<string, unknown> & { http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string } };
  body?: string;
  isBase64Encoded: boolean;
}

/** The HTTP API payload format 2.0 event as JSON text. */
export function v2EventJson(req: GatewayRequest, hit: RouteHit, opts: EventOptions): string {
  const { route } = hit;
  const api = route.api;
  // Header names lower-cased, repeated ones joined with commas; Cookie headers become `cookies`.
  const raw = req.rawHeaders;
  const lower: string[] = [];
  let cookies = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'cookie') {
      for (const c of raw[i + 1].split(';')) {
        const t = c.trim();
        if (t) cookies += `${cookies ? ',' : ''}${q(t)}`;
      }
    } else lower.push(name, raw[i + 1]);
  }
  const headers = groupPairs(lower);
  const hostAt = headers.names.indexOf('host');
  const host = hostAt < 0 ? 'localhost' : headers.values[hostAt].join(',');
  const agentAt = headers.names.indexOf('user-agent');
  const userAgent = agentAt < 0 ? '' : headers.values[agentAt].join(',');
  const query = req.rawQueryString ? groupPairs(queryPairs(req.rawQueryString)) : undefined;
  const pathParameters = recordJson(hit.pathParameters);
  const stageVariables = stageVariablesJson(api);
  const body = bodyOf(req, opts.base64Body);
  // HTTP APIs hand the path over decoded, in rawPath too (live events: `/a%20b` -> `/a b`).
  const path = q(decodePath(req.rawPath));
  const routeKey = q(route.routeKey);
  return (
    `{"version":"2.0","routeKey":${routeKey},"rawPath":${path},"rawQueryString":${q(req.rawQueryString)}` +
    (cookies ? `,"cookies":[${cookies}]` : '') +
    `,"headers":${groupJson(headers, commaJoinedJson)}` +
    (query && query.names.length > 0 ? `,"queryStringParameters":${groupJson(query, commaJoinedJson)}` : '') +
    (pathParameters ? `,"pathParameters":${pathParameters}` : '') +
    (stageVariables ? `,"stageVariables":${stageVariables}` : '') +
    `,"requestContext":{"accountId":${q(opts.accountId ?? DEFAULT_ACCOUNT)},"apiId":${q(api.apiId)}` +
    `,"domainName":${q(host)},"domainPrefix":${q(host.split('.')[0])}` +
    `,"http":{"method":${q(req.method)},"path":${path},"protocol":${q(req.protocol)},"sourceIp":${q(req.sourceIp)},"userAgent":${q(userAgent)}}` +
    `,"requestId":${q(req.requestId)},"routeKey":${routeKey},"stage":${q(api.stage)}` +
    `,"time":${q(formatRequestTime(req.timeEpoch))},"timeEpoch":${req.timeEpoch}}` +
    (body !== undefined ? `,"body":${q(body)}` : '') +
    `,"isBase64Encoded":${body !== undefined && opts.base64Body}}`
  );
}

/** The HTTP API payload format 2.0 event. */
export function buildV2Event(req: GatewayRequest, hit: RouteHit, opts: EventOptions): V2Event {
  return JSON.parse(v2EventJson(req, hit, opts)) as V2Event;
}

/** Whether a content type matches one of the API's binary media types (`image/*`, `*\/*`, exact). */
export function matchesMediaType(contentType: string | undefined, patterns: readonly string[]): boolean {
  if (!contentType || patterns.length === 0) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  for (const p of patterns) {
    const pat = p.trim().toLowerCase();
    if (pat === '*/*' || pat === type) return true;
    if (pat.endsWith('/*') && type.startsWith(pat.slice(0, -1))) return true;
  }
  return false;
}

/** HTTP APIs base64-encode every body whose content type is not text-like. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type.endsWith('/json') ||
    type.endsWith('+json') ||
    type.endsWith('/xml') ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/yaml'
  );
}
