// CORS as API Gateway applies the `Cors` / `CorsConfiguration` of a template (docs/gateway.md,
// "CORS"). Pure.
import type { Cors } from '@esb/contracts';

function allowedOrigin(cors: Cors, origin: string): string | undefined {
  const origins = cors.allow_origins ?? [];
  if (origins.includes(origin)) return origin;
  if (origins.includes('*')) return cors.allow_credentials ? origin : '*';
  return undefined;
}

/** Headers added to an actual (non-preflight) response for a request with an Origin. */
export function corsResponseHeaders(cors: Cors, origin: string): Record<string, string> {
  const allow = allowedOrigin(cors, origin);
  if (!allow) return {};
  const out: Record<string, string> = { 'access-control-allow-origin': allow };
  if (allow !== '*') out.vary = 'Origin';
  if (cors.allow_credentials) out['access-control-allow-credentials'] = 'true';
  if (cors.expose_headers?.length) out['access-control-expose-headers'] = cors.expose_headers.join(',');
  return out;
}

/** Headers of the 204 answer to a preflight (OPTIONS with Access-Control-Request-Method). */
export function preflightHeaders(cors: Cors, origin: string, requestHeaders: string | undefined): Record<string, string> {
  const out = corsResponseHeaders(cors, origin);
  delete out['access-control-expose-headers'];
  if (!out['access-control-allow-origin']) return out;
  const methods = cors.allow_methods?.length ? cors.allow_methods : ['*'];
  out['access-control-allow-methods'] = methods.join(',');
  const headers = cors.allow_headers?.length ? cors.allow_headers.join(',') : requestHeaders;
  if (headers) out['access-control-allow-headers'] = headers;
  if (cors.max_age !== undefined) out['access-control-max-age'] = String(cors.max_age);
  return out;
}

/** What SAM's `ANY` stands for in an allowed-methods list. */
const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/**
 * Headers of the OPTIONS method SAM adds to each resource of a REST API with `Cors` (a MOCK
 * integration answering 200): the values as the template wrote them, whatever the request's
 * Origin; without AllowMethods, the resource's methods and OPTIONS, sorted (all for ANY).
 */
export function restCorsOptionsHeaders(cors: Cors, resourceMethods: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (cors.allow_origins?.length) out['access-control-allow-origin'] = cors.allow_origins.join(',');
  const methods = cors.allow_methods?.length
    ? cors.allow_methods
    : resourceMethods.includes('ANY')
      ? ALL_METHODS
      : [...new Set([...resourceMethods, 'OPTIONS'])].sort();
  out['access-control-allow-methods'] = methods.join(',');
  if (cors.allow_headers?.length) out['access-control-allow-headers'] = cors.allow_headers.join(',');
  if (cors.max_age !== undefined) out['access-control-max-age'] = String(cors.max_age);
  if (cors.allow_credentials) out['access-control-allow-credentials'] = 'true';
  return out;
}
