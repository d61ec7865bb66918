// Lambda proxy results back to HTTP responses, as API Gateway maps them. Pure.

export interface HttpResponse {
  statusCode: number;
  /** Lower-case names; arrays for repeated headers (set-cookie). */
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export type MapResult = { ok: true; response: HttpResponse } | { ok: false; reason: string };

export interface MapOptions {
  /** '1.0' (REST, HTTP API 1.0): a statusCode is required. '2.0': the simple format is allowed. */
  format: '1.0' | '2.0';
  /**
   * REST APIs only turn an isBase64Encoded body back into bytes when the API has binary media
   * types matching the response's content type or the request's Accept header.
   */
  decodeBase64?: (contentType: string | undefined) => boolean;
}

const PROXY_RESULT_FIELDS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded', 'cookies', 'statusDescription']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function addHeader(headers: Record<string, string | string[]>, name: string, value: unknown): void {
  const key = name.toLowerCase();
  const text = String(value);
  const prev = headers[key];
  if (prev === undefined) headers[key] = text;
  else if (Array.isArray(prev)) prev.push(text);
  else headers[key] = [prev, text];
}

/** Maps the function's response payload; `{ok:false}` means 502 {"message":"Internal server error"}. */
export function mapResponse(payload: Buffer | string, opts: MapOptions): MapResult {
  let result: unknown;
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  try {
    result = text.length === 0 ? null : JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the function returned invalid JSON' };
  }

  if (opts.format === '2.0' && !(isObject(result) && 'statusCode' in result)) {
    // The simple format: any JSON value without a statusCode is a 200 application/json body.
    return {
      ok: true,
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: typeof result === 'string' ? result : (JSON.stringify(result) ?? ''),
      },
    };
  }
  if (!isObject(result)) return { ok: false, reason: 'the function result is not an object' };

  if (opts.format === '1.0') {
    // Checked in place: the field list is only built for the error (this runs on every response).
    for (const k in result) {
      if (PROXY_RESULT_FIELDS.has(k)) continue;
      const extra = Object.keys(result).filter((f) => !PROXY_RESULT_FIELDS.has(f));
      return { ok: false, reason: `unexpected field(s) ${extra.join(', ')} in the proxy result` };
    }
  }

  const statusCode = typeof result.statusCode === 'string' && /^\d+$/.test(result.statusCode) ? Number(result.statusCode) : result.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { ok: false, reason: `statusCode ${JSON.stringify(result.statusCode)} is not an HTTP status` };
  }
  const headers: Record<string, string | string[]> = {};
  if (result.headers !== undefined && result.headers !== null) {
    if (!isObject(result.headers)) return { ok: false, reason: 'headers is not an object' };
    for (const k in result.headers) {
      const v = result.headers[k];
      if (v !== null && v !== undefined) addHeader(headers, k, v);
    }
  }
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (!isObject(result.multiValueHeaders)) return { ok: false, reason: 'multiValueHeaders is not an object' };
    for (const [k, vs] of Object.entries(result.multiValueHeaders)) {
      if (!Array.isArray(vs)) return { ok: false, reason: `multiValueHeaders.${k} is not an array` };
      // A name in both maps: the multi-value list wins (it replaces the single value).
      delete headers[k.toLowerCase()];
      for (const v of vs) addHeader(headers, k, v);
    }
  }
  if (result.cookies !== undefined && result.cookies !== null) {
    if (!Array.isArray(result.cookies)) return { ok: false, reason: 'cookies is not an array' };
    for (const c of result.cookies) addHeader(headers, 'set-cookie', c);
  }
  let body: string | Buffer = '';
  if (result.body !== undefined && result.body !== null) {
    if (typeof result.body !== 'string') {
      if (opts.format === '1.0') return { ok: false, reason: 'body is not a string' };
      body = JSON.stringify(result.body);
    } else body = result.body;
  }
  if (result.isBase64Encoded === true && typeof body === 'string') {
    const ct = headers['content-type'];
    const contentType = Array.isArray(ct) ? ct[0] : ct;
    if (!opts.decodeBase64 || opts.decodeBase64(contentType)) body = Buffer.from(body, 'base64');
  }
  if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  return { ok: true, response: { statusCode, headers, body } };
}

/** Longest prelude of a streamed response read before giving up on it. */
export const MAX_PRELUDE_BYTES = 64 * 1024;

export type PreludeResult =
  | { ok: true; statusCode: number; headers: Record<string, string | string[]>; rest: Buffer }
  | { ok: false; reason: string };

/**
 * The head of a response streamed as application/vnd.awslambda.http-integration-response: a
 * JSON prelude ({statusCode, headers, cookies}), 8 NUL bytes, then the body. Bytes in, the
 * status, headers and the first body bytes out once the delimiter has come (undefined before).
 */
export class PreludeReader {
  private buf: Buffer = Buffer.alloc(0);

  push(bytes: Buffer): PreludeResult | undefined {
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    const at = this.buf.indexOf(DELIMITER);
    if (at < 0) return this.buf.length > MAX_PRELUDE_BYTES ? { ok: false, reason: `no prelude delimiter in the first ${MAX_PRELUDE_BYTES} bytes` } : undefined;
    return parsePrelude(this.buf.subarray(0, at), this.buf.subarray(at + DELIMITER.length));
  }

  /** Why a stream that ended before the delimiter has no head. */
  static readonly ENDED_INSIDE = 'the stream ended inside its prelude';
}

const DELIMITER = Buffer.alloc(8);

function parsePrelude(json: Buffer, rest: Buffer): PreludeResult {
  let prelude: unknown;
  try {
    prelude = JSON.parse(json.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the prelude is not JSON' };
  }
  if (!isObject(prelude)) return { ok: false, reason: 'the prelude is not an object' };
  const statusCode = prelude.statusCode ?? 200;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return { ok: false, reason: `bad statusCode ${JSON.stringify(statusCode)}` };
  const headers: Record<string, string | string[]> = {};
  if (prelude.headers !== undefined && !isObject(prelude.headers)) return { ok: false, reason: 'headers is not an object' };
  for (const [k, v] of Object.entries(prelude.headers ?? {})) if (v !== null && v !== undefined) addHeader(headers, k, v);
  if (prelude.cookies !== undefined) {
    if (!Array.isArray(prelude.cookies)) return { ok: false, reason: 'cookies is not an array' };
    for (const c of prelude.cookies) addHeader(headers, 'set-cookie', c);
  }
  return { ok: true, statusCode, headers, rest };
}
