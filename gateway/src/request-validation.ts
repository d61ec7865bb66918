// A REST method's request validation (docs/gateway.md, "Request validation"): the parameters
// the request must carry, then its body against the method's model (JSON Schema draft 4), as
// API Gateway checks them after authorization and before the function is called.
import { compileDraft4, type BodyCheck, type RequestValidation } from '@esb/contracts';
import type { IncomingHttpHeaders } from 'node:http';

export interface CompiledValidation {
  /** In API Gateway's order (by full name): where each one is and its name there. */
  parameters: ReadonlyArray<{ in: 'querystring' | 'header' | 'path'; name: string }>;
  body?: BodyCheck;
}

export interface ValidationFailure {
  type: 'BAD_REQUEST_PARAMETERS' | 'BAD_REQUEST_BODY';
  message: string;
  /** `$context.error.validationErrorString` */
  detail: string;
}

/** Compiles a route's validation; `checks` shares one checker among routes with the same model. */
export function compileValidation(v: RequestValidation, checks: Map<string, BodyCheck>): CompiledValidation {
  const parameters = [...v.parameters].sort().map((p) => {
    const [, where, name] = /^method\.request\.(querystring|header|path)\.(.+)$/.exec(p)!;
    return { in: where as 'querystring' | 'header' | 'path', name };
  });
  if (!v.body) return { parameters };
  const key = JSON.stringify(v.body);
  let body = checks.get(key);
  if (!body) checks.set(key, (body = compileDraft4(v.body)));
  return { parameters, body };
}

/** Why the request fails validation, or undefined when it passes. */
export function validationFailure(v: CompiledValidation, headers: IncomingHttpHeaders, rawQueryString: string, pathParameters: Record<string, string> | null, body: Buffer | undefined): ValidationFailure | undefined {
  if (v.parameters.length) {
    const query = v.parameters.some((p) => p.in === 'querystring') ? new URLSearchParams(rawQueryString) : undefined;
    const missing = v.parameters.filter((p) => (p.in === 'header' ? headers[p.name.toLowerCase()] === undefined : p.in === 'querystring' ? !query!.has(p.name) : pathParameters?.[p.name] === undefined)).map((p) => p.name);
    if (missing.length) return { type: 'BAD_REQUEST_PARAMETERS', message: `Missing required request parameters: [${missing.join(', ')}]`, detail: `Missing required request parameters: [${missing.join(', ')}]` };
  }
  if (v.body) {
    let value: unknown;
    try {
      value = body && body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
    } catch (err) {
      return { type: 'BAD_REQUEST_BODY', message: 'Invalid request body', detail: `[Invalid JSON: ${unquoted((err as Error).message)}]` };
    }
    if (!v.body(value)) {
      const e = v.body.errors?.[0];
      const why = e ? `${e.instancePath || '/'} ${e.message ?? 'is not valid'}` : 'does not match the model';
      return { type: 'BAD_REQUEST_BODY', message: 'Invalid request body', detail: `[${unquoted(why)}]` };
    }
  }
  return undefined;
}

/** The checker's wording (not API Gateway's), without quotes: a template may put it in a JSON string. */
const unquoted = (text: string) => text.replace(/["'\\]/g, '');
