// What a WebSocket API's integrations receive, as API Gateway builds it (docs/gateway.md,
// "WebSocket APIs"): the CONNECT, MESSAGE and DISCONNECT proxy events, the route a message
// selects, and the ids API Gateway hands out. Pure.
import { WEBSOCKET_DEFAULT } from '@esb/contracts';
import { randomBytes } from 'node:crypto';
import { formatRequestTime, parseQuery } from '../events.js';

/** What stays true of a connection for its whole life: every event of it repeats these. */
export interface ConnectionFacts {
  connectionId: string;
  apiId: string;
  stage: string;
  /** Where functions reach the gateway (their Management API calls go to https://<domainName>/<stage>). */
  domainName: string;
  connectedAt: number;
  sourceIp: string;
  userAgent?: string;
  /** What the $connect authorizer returned (principalId and context), repeated on every route. */
  authorizer?: Record<string, unknown>;
  stageVariables: Record<string, string>;
}

/** The handshake request, as the CONNECT event shows it. */
export interface HandshakeRequest {
  /** Node's rawHeaders: [name, value, ...]. */
  rawHeaders: string[];
  /** The query string without `?`. */
  rawQueryString: string;
}

/** API Gateway's connection ids: 16 characters of base64 ending in `=`, safe in a URL path once encoded. */
export function newConnectionId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

/** An extended request id / message id: 16 characters, as API Gateway's look. */
export function newShortId(): string {
  return randomBytes(12).toString('base64url');
}

function requestContext(c: ConnectionFacts, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', requestId: string, now: number, extra: Record<string, unknown>): Record<string, unknown> {
  const identity: Record<string, string> = { sourceIp: c.sourceIp };
  if (c.userAgent !== undefined) identity.userAgent = c.userAgent;
  return {
    routeKey,
    ...extra,
    eventType,
    extendedRequestId: newShortId(),
    requestTime: formatRequestTime(now),
    messageDirection: 'IN',
    stage: c.stage,
    connectedAt: c.connectedAt,
    requestTimeEpoch: now,
    identity,
    requestId,
    domainName: c.domainName,
    connectionId: c.connectionId,
    apiId: c.apiId,
    ...(c.authorizer ? { authorizer: c.authorizer } : {}),
  };
}

/** headers / multiValueHeaders as the CONNECT event carries them (last value wins in `headers`). */
export function headerMaps(rawHeaders: string[]): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function queryMaps(raw: string): { queryStringParameters?: Record<string, string>; multiValueQueryStringParameters?: Record<string, string[]> } {
  const pairs = parseQuery(raw);
  if (pairs.length === 0) return {};
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of pairs) {
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

export function connectEvent(c: ConnectionFacts, req: HandshakeRequest, requestId: string, now: number): Record<string, unknown> {
  return {
    ...headerMaps(req.rawHeaders),
    ...queryMaps(req.rawQueryString),
    requestContext: requestContext(c, '$connect', 'CONNECT', requestId, now, {}),
    isBase64Encoded: false,
    ...(Object.keys(c.stageVariables).length ? { stageVariables: c.stageVariables } : {}),
  };
}

export function messageEvent(c: ConnectionFacts, routeKey: string, body: Buffer, binary: boolean, requestId: string, now: number): Record<string, unknown> {
  return {
    requestContext: requestContext(c, routeKey, 'MESSAGE', requestId, now, { messageId: newShortId() }),
    body: binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: binary,
    ...(Object.keys(c.stageVariables).length ? { stageVariables: c.stageVariables } : {}),
  };
}

export function disconnectEvent(c: ConnectionFacts, host: string, statusCode: number, reason: string, requestId: string, now: number): Record<string, unknown> {
  const headers: Record<string, string> = { Host: host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) multiValueHeaders[k] = [v];
  return {
    headers,
    multiValueHeaders,
    requestContext: requestContext(c, '$disconnect', 'DISCONNECT', requestId, now, { disconnectStatusCode: statusCode, disconnectReason: reason }),
    isBase64Encoded: false,
  };
}

/** `$request.body.a.b` -> ['a', 'b']; undefined for anything else. */
function bodyPath(expr: string): string[] | undefined {
  const m = /^\$request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)$/.exec(expr.trim());
  return m ? m[1]!.split('.') : undefined;
}

function valueAt(root: unknown, path: string[]): string | undefined {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/**
 * The route key a message selects: the route selection expression evaluated on its body
 * (`$request.body.action`, or text with `${request.body.x}` parts). A body that is not a JSON
 * object, or a value that is missing, selects `$default`; so does a key no route has.
 */
export function selectRoute(expression: string, body: string | undefined, routeKeys: ReadonlySet<string>): string {
  let parsed: unknown;
  const parse = () => {
    if (parsed === undefined) {
      try {
        parsed = body === undefined ? null : JSON.parse(body);
      } catch {
        parsed = null;
      }
    }
    return parsed;
  };
  let key: string | undefined;
  const direct = bodyPath(expression);
  if (direct) key = valueAt(parse(), direct);
  else if (expression.includes('${')) {
    let missing = false;
    key = expression.replace(/\$\{request\.body\.([^}]+)\}/g, (_, p: string) => {
      const v = valueAt(parse(), p.split('.'));
      if (v === undefined) missing = true;
      return v ?? '';
    });
    if (missing) key = undefined;
  } else key = expression; // a constant expression selects itself
  return key !== undefined && routeKeys.has(key) ? key : WEBSOCKET_DEFAULT;
}
