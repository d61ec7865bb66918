// HTTP API JWT authorizers: real signature verification against the issuer's JWKS (jose),
// with API Gateway's checks: iss, aud (or client_id), exp, nbf, and route scopes.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** Asymmetric algorithms only: `none` and HS* (HS/RS key confusion) are refused outright. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface JwtAuthorizerConfig {
  issuer: string;
  audience: string[];
  jwks_uri?: string;
  jwks_file?: string;
}

export type JwtOutcome =
  | { ok: true; claims: JWTPayload; scopes: string[] }
  | { ok: false; status: 401 | 403 | 503; reason: string };

/** Caches one key set per JWKS location; jose refetches a remote set on an unknown `kid`. */
export class JwksCache {
  private readonly sets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(private readonly options: { cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number } = {}) {}

  keySet(config: JwtAuthorizerConfig): Promise<JWTVerifyGetKey> {
    const location = config.jwks_file ? `file:${config.jwks_file}` : (config.jwks_uri ?? `${config.issuer.replace(/\/$/, '')}/.well-known/jwks.json`);
    let set = this.sets.get(location);
    if (!set) {
      set = config.jwks_file
        ? readFile(config.jwks_file, 'utf8').then((text) => createLocalJWKSet(JSON.parse(text) as JSONWebKeySet))
        : Promise.resolve(
            createRemoteJWKSet(new URL(location), {
              cooldownDuration: this.options.cooldownMs ?? 30_000,
              cacheMaxAge: this.options.cacheMaxAgeMs ?? 10 * 60_000,
              timeoutDuration: this.options.timeoutMs ?? 5_000,
            }),
          );
      // A file that cannot be read is retried on the next request, not cached as broken.
      set.catch(() => this.sets.delete(location));
      this.sets.set(location, set);
    }
    return set;
  }
}

export function tokenScopes(claims: JWTPayload): string[] {
  const scope = claims.scope ?? claims.scp;
  if (Array.isArray(scope)) return scope.map(String);
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  return [];
}

/** Verifies `header` (the identity source value, `Bearer ` optional) for a route needing `scopes`. */
export async function verifyJwt(header: string | undefined, config: JwtAuthorizerConfig, routeScopes: string[], jwks: JwksCache, nowMs?: number): Promise<JwtOutcome> {
  if (!header) return { ok: false, status: 401, reason: 'no token' };
  const token = header.replace(/^Bearer\s+/i, '').trim();
  if (token.split('.').length !== 3) return { ok: false, status: 401, reason: 'malformed token' };
  let claims: JWTPayload;
  try {
    const keys = await jwks.keySet(config);
    ({ payload: claims } = await jwtVerify(token, keys, {
      issuer: config.issuer,
      algorithms: JWT_ALGORITHMS,
      currentDate: nowMs === undefined ? undefined : new Date(nowMs),
    }));
  } catch (err) {
    if (err instanceof errors.JWKSTimeout || (err instanceof Error && /fetch|ECONNREFUSED|ENOTFOUND|network/i.test(err.message) && !(err instanceof errors.JOSEError))) {
      return { ok: false, status: 401, reason: `JWKS unreachable: ${err.message}` };
    }
    return { ok: false, status: 401, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  // API Gateway accepts the audience in `aud` or, for access tokens, in `client_id`.
  if (config.audience.length > 0) {
    const auds = [...(Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : []), ...(typeof claims.client_id === 'string' ? [claims.client_id] : [])];
    if (!auds.some((a) => config.audience.includes(a))) return { ok: false, status: 401, reason: 'audience not allowed' };
  }
  const scopes = tokenScopes(claims);
  if (routeScopes.length > 0 && !routeScopes.some((s) => scopes.includes(s))) return { ok: false, status: 403, reason: 'insufficient scopes' };
  return { ok: true, claims, scopes };
}
