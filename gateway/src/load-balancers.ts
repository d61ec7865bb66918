// Application Load Balancers with Lambda targets (docs/gateway.md "Application Load
// Balancers"), pure: which listener and rule take a request, the event a Lambda target group
// sends, what the function's answer becomes, and where a redirect action points.
import { BlockList, isIPv6 } from 'node:net';
import type { LoadBalancer, LoadBalancerAction, LoadBalancerCondition } from '@esb/contracts';
import { edgeHeaders, isTextContentType } from './events.js';

/** An ALB refuses a request body over 1 MB for a Lambda target (413) and a Lambda answer over 1 MB (502). */
export const MAX_LAMBDA_BODY_BYTES = 1024 * 1024;

type Listener = LoadBalancer['listeners'][number];

export interface AlbRequest {
  method: string;
  rawPath: string;
  rawQueryString: string;
  /** As received: names and values in order (node's rawHeaders). */
  rawHeaders: string[];
  /** The Host header without its port, lower case. */
  host: string;
  sourceIp: string;
  https: boolean;
  /** The port the request came to. */
  port: number;
  body: Buffer | undefined;
}

/** The listener a request reaches: the first HTTPS one over https, the first HTTP one over http, else the other kind (one port serves both here). */
export function listenerFor(lb: LoadBalancer, https: boolean): Listener | undefined {
  const want = https ? 'HTTPS' : 'HTTP';
  return lb.listeners.find((l) => l.protocol === want) ?? lb.listeners[0];
}

/** The action of the first rule (by priority) whose conditions all hold, else the listener's default. */
export function actionFor(listener: Listener, req: AlbRequest): LoadBalancerAction {
  for (const rule of listener.rules) if (rule.conditions.every((c) => holds(c, req))) return rule.actions[0];
  return listener.default_actions[0];
}

const patterns = new Map<string, RegExp>();
/** An ALB pattern: `*` any characters, `?` one; `caseless` for hosts, headers and query strings. */
function wildcard(pattern: string, caseless: boolean): RegExp {
  const key = `${caseless ? 'i' : 's'}${pattern}`;
  let re = patterns.get(key);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseless ? 'is' : 's');
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(key, re);
  }
  return re;
}

function holds(c: LoadBalancerCondition, req: AlbRequest): boolean {
  switch (c.field) {
    case 'path-pattern':
      return c.values.some((v) => wildcard(v, false).test(req.rawPath));
    case 'host-header':
      return c.values.some((v) => wildcard(v, true).test(req.host));
    case 'http-request-method':
      return c.values.includes(req.method);
    case 'http-header': {
      const values = headerValues(req.rawHeaders, c.header);
      return values.some((h) => c.values.some((v) => wildcard(v, true).test(h)));
    }
    case 'query-string': {
      const pairs = [...new URLSearchParams(req.rawQueryString)];
      return c.values.some((want) => pairs.some(([k, v]) => (want.key === undefined || wildcard(want.key, true).test(k)) && wildcard(want.value, true).test(v)));
    }
    case 'source-ip':
      return c.values.some((cidr) => inCidr(req.sourceIp, cidr));
  }
}

function headerValues(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) out.push(rawHeaders[i + 1]);
  return out;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const type = isIPv6(net) ? 'ipv6' : 'ipv4';
  if ((isIPv6(ip) ? 'ipv6' : 'ipv4') !== type) return false;
  const list = new BlockList();
  try {
    list.addSubnet(net, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
    return list.check(ip, type);
  } catch {
    return false;
  }
}

/** One of a forward action's target groups, by weight. */
export function chooseTarget<T extends { weight: number }>(groups: readonly T[], random = Math.random): T {
  const total = groups.reduce((n, g) => n + g.weight, 0);
  if (total <= 0) return groups[0];
  let pick = random() * total;
  for (const g of groups) {
    pick -= g.weight;
    if (pick < 0) return g;
  }
  return groups[groups.length - 1];
}

/**
 * The event a Lambda target group sends: headers in lower case with the load balancer's own
 * (x-forwarded-*, x-amzn-trace-id), the query string as received (not decoded), the body base64
 * unless it is text. Single-value mode keeps the last value of a repeated header or parameter.
 */
export function albEvent(req: AlbRequest, targetGroupArn: string, multiValue: boolean, traceId: string): Record<string, unknown> {
  // The client's headers with what an edge adds (API Gateway's edge does the same), names in lower case.
  const edge = edgeHeaders(req.rawHeaders, { sourceIp: req.sourceIp, port: req.port, proto: req.https ? 'https' : 'http', traceId: headerValues(req.rawHeaders, 'x-amzn-trace-id').length ? undefined : traceId, rest: false });
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < edge.length; i += 2) headers.push([edge[i]!.toLowerCase(), edge[i + 1]!]);
  const query: Array<[string, string]> = [];
  if (req.rawQueryString) {
    for (const part of req.rawQueryString.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      query.push(eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
    }
  }
  const contentType = headerValues(req.rawHeaders, 'content-type')[0];
  const encoded = headerValues(req.rawHeaders, 'content-encoding').length > 0;
  const binary = !!req.body && req.body.length > 0 && (encoded || !isTextContentType(contentType));
  const event: Record<string, unknown> = {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: req.method,
    path: req.rawPath,
  };
  if (multiValue) {
    event.multiValueQueryStringParameters = grouped(query);
    event.multiValueHeaders = grouped(headers);
  } else {
    event.queryStringParameters = Object.fromEntries(query);
    event.headers = Object.fromEntries(headers);
  }
  event.body = !req.body ? '' : binary ? req.body.toString('base64') : req.body.toString('utf8');
  event.isBase64Encoded = binary;
  return event;
}

function grouped(pairs: Array<[string, string]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of pairs) (Object.hasOwn(out, k) ? out[k] : (out[k] = [])).push(v);
  return out;
}

export type AlbAnswer = { status: number; reason?: string; headers: Array<[string, string]>; body: Buffer } | { invalid: string };

/** What the function answered, as the load balancer sends it on; an answer it refuses (not an object, no statusCode, over 1 MB) is why. */
export function albAnswer(payload: Buffer): AlbAnswer {
  if (payload.length > MAX_LAMBDA_BODY_BYTES) return { invalid: `the answer is ${payload.length} bytes; a load balancer takes at most 1 MB from Lambda` };
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { invalid: 'the answer is not JSON' };
  }
  if (!r || typeof r !== 'object' || Array.isArray(r)) return { invalid: 'the answer is not an object' };
  const status = Number(r.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return { invalid: `statusCode ${JSON.stringify(r.statusCode)} is not an HTTP status` };
  const headers: Array<[string, string]> = [];
  if (r.multiValueHeaders && typeof r.multiValueHeaders === 'object') {
    for (const [k, vs] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) for (const v of Array.isArray(vs) ? vs : [vs]) headers.push([k, String(v)]);
  } else if (r.headers && typeof r.headers === 'object') {
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) headers.push([k, String(v)]);
  }
  const text = typeof r.body === 'string' ? r.body : r.body === undefined || r.body === null ? '' : JSON.stringify(r.body);
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  // statusDescription ("200 OK") is the status line the load balancer sends.
  const described = typeof r.statusDescription === 'string' ? /^\d{3} ([^\r\n]+)$/.exec(r.statusDescription)?.[1] : undefined;
  return { status, ...(described ? { reason: described } : {}), headers, body };
}

/**
 * Where a redirect action sends the client: its parts, `#{protocol}`, `#{host}`, `#{port}`,
 * `#{path}` (without its leading slash) and `#{query}` filled from the request. Back to the load
 * balancer itself, a port of one of its listeners becomes the port this gateway serves it on
 * (one port, both schemes here).
 */
export function redirectLocation(action: Extract<LoadBalancerAction, { type: 'redirect' }>, req: AlbRequest, lb: LoadBalancer, hostHeader: string): string {
  const fill = (text: string) =>
    text
      .replace(/#\{protocol\}/g, req.https ? 'https' : 'http')
      .replace(/#\{host\}/g, req.host)
      .replace(/#\{port\}/g, String(req.port))
      .replace(/#\{path\}/g, req.rawPath.slice(1))
      .replace(/#\{query\}/g, req.rawQueryString);
  const protocol = fill(action.protocol ?? '#{protocol}').toLowerCase().replace(/:$/, '');
  const host = fill(action.host ?? '#{host}');
  let port = fill(action.port ?? '#{port}');
  // Back to this load balancer: its listeners are all on the port served here.
  if (host === req.host && lb.listeners.some((l) => String(l.port) === port)) port = String(req.port);
  const path = fill(action.path ?? '/#{path}');
  const query = fill(action.query ?? '#{query}');
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80');
  const hostPart = host === req.host && !action.port && !action.host ? hostHeader : `${host}${defaultPort ? '' : `:${port}`}`;
  return `${protocol}://${hostPart}${path.startsWith('/') ? path : `/${path}`}${query ? `?${query}` : ''}`;
}
