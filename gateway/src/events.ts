// API Gateway proxy events, built from a plain description of the HTTP request. Pure.
// v1: the REST API (and HTTP API payload 1.0) Lambda proxy event.
// v2: the HTTP API payload format 2.0.
import { LOCAL_ACCOUNT_ID } from '@esb/contracts';
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

let timeSecond = Number.NaN;
let timeText = '';
/** `09/Apr/2015:12:34:56 +0000`, the format of requestContext.requestTime / time (formatted once a second). */
export function formatRequestTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== timeSecond) {
    const d = new Date(second * 1000);
    timeText = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
    timeSecond = second;
  }
  return timeText;
}

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

/** The REST API (v1) proxy event. */
export function buildV1Event(req: GatewayRequest, hit: RouteHit, opts: EventOptions): V1Event {
  const { route } = hit;
  const api = route.api;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    headers[name] = raw[i + 1];
    (Object.hasOwn(multiValueHeaders, name) ? multiValueHeaders[name] : (multiValueHeaders[name] = [])).push(raw[i + 1]);
  }
  let qs: Record<string, string> | null = null;
  let mqs: Record<string, string[]> | null = null;
  for (const [k, v] of parseQuery(req.rawQueryString)) {
    (qs ??= {})[k] = v;
    // Own keys only: a query key like `toString` must not find Object.prototype's.
    mqs ??= {};
    (Object.hasOwn(mqs, k) ? mqs[k] : (mqs[k] = [])).push(v);
  }
  // A REST API passes the path on still percent-encoded; an HTTP API (payload 1.0 here) decodes it.
  const path = api.type === 'rest' ? req.rawPath : decodePath(req.rawPath);
  const stage = api.stage;
  const hasHeaders = raw.length > 0;
  const body = bodyOf(req, opts.base64Body);
  return {
    resource: route.resource,
    path,
    httpMethod: req.method,
    headers: hasHeaders ? headers : null,
    multiValueHeaders: hasHeaders ? multiValueHeaders : null,
    queryStringParameters: qs,
    multiValueQueryStringParameters: mqs,
    pathParameters: hit.pathParameters,
    stageVariables: Object.keys(api.stage_variables ?? {}).length ? { ...api.stage_variables } : null,
    requestContext: {
      accountId: opts.accountId ?? DEFAULT_ACCOUNT,
      apiId: api.apiId,
      resourceId: route.resourceId,
      resourcePath: route.resource,
      httpMethod: req.method,
      requestId: req.requestId,
      extendedRequestId: req.requestId,
      requestTime: formatRequestTime(req.timeEpoch),
      requestTimeEpoch: req.timeEpoch,
      path: stage && stage !== '$default' ? `/${stage}${path}` : path,
      stage,
      protocol: req.protocol,
      domainName: headerValue(raw, 'host') ?? 'localhost',
      domainPrefix: (headerValue(raw, 'host') ?? 'localhost').split('.')[0],
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: headerValue(raw, 'user-agent') ?? null,
        userArn: null,
      },
      authorizer: null,
    },
    body: body ?? null,
    isBase64Encoded: body !== undefined && opts.base64Body,
  };
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

/** The HTTP API payload format 2.0 event. */
export function buildV2Event(req: GatewayRequest, hit: RouteHit, opts: EventOptions): V2Event {
  const { route } = hit;
  const api = route.api;
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === 'cookie') {
      for (const c of value.split(';')) {
        const t = c.trim();
        if (t) (cookies ??= []).push(t);
      }
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  let qs: Record<string, string> | undefined;
  for (const [k, v] of parseQuery(req.rawQueryString)) {
    qs ??= {};
    qs[k] = k in qs ? `${qs[k]},${v}` : v;
  }
  const host = headers.host ?? 'localhost';
  const body = bodyOf(req, opts.base64Body);
  // HTTP APIs hand the path over decoded, in rawPath too (live events: `/a%20b` -> `/a b`).
  const path = decodePath(req.rawPath);
  const event: V2Event = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: req.rawQueryString,
    headers,
    requestContext: {
      accountId: opts.accountId ?? DEFAULT_ACCOUNT,
      apiId: api.apiId,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: req.method,
        path,
        protocol: req.protocol,
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: req.requestId,
      routeKey: route.routeKey,
      stage: api.stage,
      time: formatRequestTime(req.timeEpoch),
      timeEpoch: req.timeEpoch,
    },
    isBase64Encoded: body !== undefined && opts.base64Body,
  };
  if (cookies) event.cookies = cookies;
  if (qs) event.queryStringParameters = qs;
  if (hit.pathParameters) event.pathParameters = hit.pathParameters;
  if (Object.keys(api.stage_variables ?? {}).length) event.stageVariables = { ...api.stage_variables };
  if (body !== undefined) event.body = body;
  return event;
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
