// A REST API's gateway responses (docs/gateway.md, "Gateway responses"): the answers the
// gateway gives itself (a route it does not have, a caller it refuses, a function that failed
// or timed out) reshaped as the template says: status, headers and a body template. Compiled
// with the route table; applied only on those answers, never on a function's own response.
import type { GatewayResponse, GatewayResponseType } from '@esb/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { Compile, parse } from 'velocityjs';

export interface CompiledGatewayResponse {
  status?: number;
  headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** content type -> compiled body template */
  templates: ReadonlyMap<string, Compile>;
}
export type GatewayResponseTable = ReadonlyMap<GatewayResponseType, CompiledGatewayResponse>;

/** Compiles an API's gateway responses; a template that does not parse is left out, with a warning. */
export function compileGatewayResponses(apiId: string, config: Partial<Record<GatewayResponseType, GatewayResponse>>, warn: (message: string) => void): GatewayResponseTable {
  const table = new Map<GatewayResponseType, CompiledGatewayResponse>();
  for (const [type, r] of Object.entries(config) as Array<[GatewayResponseType, GatewayResponse]>) {
    const templates = new Map<string, Compile>();
    for (const [contentType, text] of Object.entries(r.templates)) {
      try {
        templates.set(contentType, new Compile(parse(text), { escape: false }));
      } catch (err) {
        warn(`api "${apiId}": gateway response ${type}, template for ${contentType}: ${(err as Error).message.split('\n').slice(-1)[0]} (not used)`);
      }
    }
    table.set(type, { status: r.status_code, headers: Object.entries(r.headers), templates });
  }
  return table;
}

/** What the gateway knows of the request when it answers it itself. */
export interface AnsweredRequest {
  headers: IncomingHttpHeaders;
  rawQueryString: string;
  pathParameters: Record<string, string> | null;
  stageVariables: Record<string, string>;
  /** `$context` of the templates and `context.*` header values (without `error`, added here). */
  context: Record<string, unknown>;
  /** Why the request failed validation (`$context.error.validationErrorString`). */
  validationErrorString?: string;
}

export interface GatewayAnswer {
  status: number;
  /** Headers the API sets on this answer (beside x-amzn-RequestId), content type included when a template made the body. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The answer of `type` (default `status` and JSON `body`) as the API customizes it, or
 * undefined when it customizes neither that type nor its class (DEFAULT_4XX / DEFAULT_5XX).
 */
export function customizedAnswer(table: GatewayResponseTable, type: GatewayResponseType, status: number, body: Buffer, request: AnsweredRequest): GatewayAnswer | undefined {
  const fallback = status >= 500 ? table.get('DEFAULT_5XX') : status >= 400 ? table.get('DEFAULT_4XX') : undefined;
  const own = table.get(type);
  const response = own ?? fallback;
  if (!response) return undefined;
  const message = messageOf(body);
  const context = { ...request.context, error: { message: message ?? '', messageString: JSON.stringify(message), responseType: type, validationErrorString: request.validationErrorString ?? '' } };
  const headers: Record<string, string> = {};
  for (const [name, expression] of response.headers) {
    const value = headerValue(expression, request, context);
    if (value !== undefined) headers[name] = value;
  }
  const template = pickTemplate(response.templates, request.headers.accept);
  let out = body;
  if (template) {
    const text = template[1].render({ context, stageVariables: request.stageVariables, util: UTIL });
    out = Buffer.from(text);
    headers['content-type'] = template[0];
  }
  return { status: own?.status ?? fallback?.status ?? status, headers, body: out };
}

/** The message of one of the gateway's JSON bodies (`{"message": ...}` or `{"Message": ...}`). */
function messageOf(body: Buffer): string | null {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const m = parsed.message ?? parsed.Message;
    return typeof m === 'string' ? m : null;
  } catch {
    return null;
  }
}

/** The template for the request's Accept, else application/json, else the first. */
function pickTemplate(templates: ReadonlyMap<string, Compile>, accept: string | undefined): [string, Compile] | undefined {
  if (templates.size === 0) return undefined;
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    const t = templates.get(type);
    if (t) return [type, t];
  }
  const json = templates.get('application/json');
  if (json) return ['application/json', json];
  return templates.entries().next().value;
}

function headerValue(expression: string, request: AnsweredRequest, context: Record<string, unknown>): string | undefined {
  if (expression.startsWith("'")) return expression.slice(1, -1);
  const dot = expression.indexOf('.', expression.startsWith('method.request.') ? 'method.request.'.length : 0);
  const source = expression.slice(0, dot);
  const name = expression.slice(dot + 1);
  switch (source) {
    case 'method.request.header': {
      const v = request.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(',') : v;
    }
    case 'method.request.querystring':
      return new URLSearchParams(request.rawQueryString).get(name) ?? undefined;
    case 'method.request.path':
      return request.pathParameters?.[name];
    case 'stageVariables':
      return Object.hasOwn(request.stageVariables, name) ? request.stageVariables[name] : undefined;
    case 'context': {
      let v: unknown = context;
      for (const key of name.split('.')) v = v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
      return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
    }
    default:
      return undefined;
  }
}

// $util of API Gateway's templates, the parts a gateway response can use.
const UTIL = {
  escapeJavaScript: (s: unknown) => JSON.stringify(String(s)).slice(1, -1).replace(/'/g, "\\'"),
  urlEncode: (s: unknown) => encodeURIComponent(String(s)),
  urlDecode: (s: unknown) => decodeURIComponent(String(s)),
  base64Encode: (s: unknown) => Buffer.from(String(s)).toString('base64'),
  base64Decode: (s: unknown) => Buffer.from(String(s), 'base64').toString('utf8'),
};
