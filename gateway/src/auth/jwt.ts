// HTTP API JWT authorizers: real signature verification against the issuer's JWKS (jose),
// with API Gateway's checks: iss, aud (or client_id), exp, nbf, and route scopes.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';

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

/** A Cognito user pool's token issuer: https://cognito-idp.<region>.amazonaws.com/<pool id>. */
const USER_POOL_ISSUER = /^https:\/\/cognito-idp\.[\w-]+\.amazonaws\.com\/[\w-]+$/;

export interface CognitoAuthorizerConfig {
  /** Issuers of the pools named by ARN. */
  issuers: string[];
  /** A pool of the template is among the authorizer's: any user pool issuer may be it. */
  template_pools: boolean;
}

export interface CognitoTrust {
  /** issuer -> JWKS URL or local JWKS file (ESB_JWKS). */
  jwksLocations?: Record<string, string>;
  /** Take a token of an issuer with no known keys without verifying it (a loopback gateway). */
  acceptUnverified: boolean;
}

/**
 * A Cognito user pool authorizer's check (docs/security.md, "Cognito user pools"): the token's
 * issuer must be one of the authorizer's pools; it is verified against that issuer's keys (the
 * configured JWKS, else the pool's own for a pool named by ARN). A pool of the template has an
 * issuer known only on AWS: its tokens are verified when keys are configured for their issuer,
 * else taken unverified (expiry and scopes still checked) if `acceptUnverified`.
 */
export async function verifyCognitoToken(header: string, config: CognitoAuthorizerConfig, routeScopes: string[], trust: CognitoTrust, jwks: JwksCache, nowMs: number): Promise<JwtOutcome> {
  const token = header.replace(/^Bearer\s+/i, '').trim();
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return { ok: false, status: 401, reason: 'malformed token' };
  }
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const named = config.issuers.includes(issuer);
  if (!named && !(config.template_pools && USER_POOL_ISSUER.test(issuer))) return { ok: false, status: 401, reason: `issuer ${JSON.stringify(issuer)} is not a user pool of this authorizer` };
  const location = trust.jwksLocations?.[issuer];
  if (location !== undefined || named) {
    const keys = location === undefined ? {} : /^https?:\/\//.test(location) ? { jwks_uri: location } : { jwks_file: location };
    return verifyJwt(token, { issuer, audience: [], ...keys }, routeScopes, jwks, nowMs);
  }
  if (!trust.acceptUnverified) return { ok: false, status: 401, reason: `no keys for issuer ${issuer}: set ESB_JWKS (docs/security.md)` };
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs) return { ok: false, status: 401, reason: 'token expired' };
  const scopes = tokenScopes(claims);
  if (routeScopes.length > 0 && !routeScopes.some((x) => scopes.includes(x))) return { ok: false, status: 403, reason: 'insufficient scopes' };
  return { ok: true, claims, scopes };
}

/** Claims as strings, as API Gateway hands them to functions: `list` writes an array, `number` a number named `key`; null claims are left out. */
function claimTexts(claims: JWTPayload, list: (items: unknown[]) => string, number: (key: string, n: number) => string = (_, n) => String(n)): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'number' ? number(k, v) : Array.isArray(v) ? list(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/**
 * A token's claims as an HTTP API hands them to the function (requestContext.authorizer.jwt.claims,
 * docs/security.md "JWT authorizers"): every value a string, numbers and booleans as their text,
 * arrays in API Gateway's bracketed form (`["admin", "ops"]` -> `"[admin ops]"`), objects as
 * JSON text; null claims are left out.
 */
export function httpApiClaims(claims: JWTPayload): Record<string, string> {
  return claimTexts(claims, (items) => `[${items.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}]`);
}

/**
 * A token's claims as a REST API's Cognito authorizer hands them to the function
 * (requestContext.authorizer.claims): every value a string, arrays joined with commas
 * (`cognito:groups` -> `"admin,ops"`), objects as JSON text, and the times `exp` and `iat` as
 * the authorizer writes them (`"Tue Apr 04 18:39:39 UTC 2023"`, from `Tue, 04 Apr 2023 18:39:39 GMT`).
 */
export function restCognitoClaims(claims: JWTPayload): Record<string, string> {
  return claimTexts(
    claims,
    (items) => items.join(','),
    (key, n) => {
      if (key !== 'exp' && key !== 'iat') return String(n);
      const [day, date, month, year, time] = new Date(n * 1000).toUTCString().split(' ');
      return `${day.slice(0, 3)} ${month} ${date} ${time} UTC ${year}`;
    },
  );
}
