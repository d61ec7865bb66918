// Which AppSync API a real-time handshake is for (docs/appsync.md, "Subscriptions"), and how its
// callers authenticate: the API is read from its built-in function's ESB_APPSYNC in functions.yml.
import { APPSYNC_CONFIG_ENV, APPSYNC_PATH, AppSyncApi } from '@esb/contracts';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { decodeJwt } from 'jose';
import { authOf, buildApiSchema, subscribedMutations } from '@esb/contracts/appsync-schema';
import type { RouteTable } from '../routes.js';

/** The real-time path of an API: its GraphQL path + `/realtime`. */
export const REALTIME_SUFFIX = '/realtime';
const BY_ID = /^\/appsync-api\/([^/]+)\/graphql\/realtime\/?$/;

/** An API as the endpoint serves it. */
export interface ServedApi {
  api: AppSyncApi;
  schema: GraphQLSchema;
  /** Subscription field -> the mutations it gets (`@aws_subscribe`). */
  subscribed: Map<string, string[]>;
}

/** Whether a path is a real-time endpoint's (the bare one or by id). */
export function isRealtimePath(path: string): boolean {
  return path === `${APPSYNC_PATH}${REALTIME_SUFFIX}` || path === `${APPSYNC_PATH}${REALTIME_SUFFIX}/` || BY_ID.test(path);
}

const MAX_CACHED = 64;

/** APIs by their ESB_APPSYNC text, parsed and built once (a reload that changes the API is a new text). */
export class ApiCache {
  private readonly byText = new Map<string, ServedApi | Error>();

  constructor(private readonly warn: (message: string) => void) {}

  /** The API of a handshake's path on this table, or why there is none. */
  resolve(table: RouteTable, path: string): ServedApi | undefined {
    const byId = BY_ID.exec(path);
    if (!byId) {
      const hit = table.lookup('POST', APPSYNC_PATH);
      const text = hit.route ? table.functions.functions[hit.route.function]?.environment?.[APPSYNC_CONFIG_ENV] : undefined;
      const served = text ? this.load(text) : undefined;
      return served instanceof Error ? undefined : served;
    }
    let id: string;
    try {
      id = decodeURIComponent(byId[1]!);
    } catch {
      return undefined;
    }
    const quoted = JSON.stringify(id);
    for (const fn of Object.values(table.functions.functions)) {
      const text = fn.environment?.[APPSYNC_CONFIG_ENV];
      if (!text || !text.includes(quoted)) continue;
      const served = this.load(text);
      if (!(served instanceof Error) && served.api.api_id === id) return served;
    }
    return undefined;
  }

  private load(text: string): ServedApi | Error {
    let served = this.byText.get(text);
    if (served) return served;
    try {
      const api = AppSyncApi.parse(JSON.parse(text));
      const schema = buildApiSchema(api.schema);
      served = { api, schema, subscribed: subscribedMutations(schema) };
    } catch (err) {
      served = err instanceof Error ? err : new Error(String(err));
      this.warn(`AppSync real-time: an API's ${APPSYNC_CONFIG_ENV} is not served: ${served.message}`);
    }
    if (this.byText.size >= MAX_CACHED) this.byText.clear();
    this.byText.set(text, served);
    return served;
  }
}

export type AuthMode = AppSyncApi['auth'][number]['type'];
export type AuthOutcome = { ok: true; mode: AuthMode; groups?: string[] } | { ok: false; errorType: string; message: string };

const UNAUTHORIZED: AuthOutcome = { ok: false, errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' };

/**
 * A caller's auth headers checked against the API's modes, as the HTTP path checks them
 * (docs/appsync.md): a SigV4 Authorization (AWS_IAM, the signature not checked), `x-api-key` (one
 * of the API's keys), a JWT of a user pool or OIDC issuer (claims read, not verified). Lambda
 * authorizers are not run here: such a caller is refused.
 */
export function authenticate(api: AppSyncApi, rawHeaders: Record<string, unknown>): AuthOutcome {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawHeaders)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const has = (type: AuthMode) => api.auth.find((m) => m.type === type);
  const authorization = headers.authorization;
  const apiKey = headers['x-api-key'];
  if (authorization && /^AWS4-HMAC-SHA256\s/.test(authorization) && has('AWS_IAM')) return { ok: true, mode: 'AWS_IAM' };
  if (apiKey !== undefined && has('API_KEY')) return api.api_keys.includes(apiKey) ? { ok: true, mode: 'API_KEY' } : UNAUTHORIZED;
  if (authorization) {
    let claims: Record<string, unknown> | undefined;
    try {
      claims = decodeJwt(authorization.replace(/^Bearer\s+/i, ''));
    } catch {
      claims = undefined;
    }
    if (claims) {
      const issuer = String(claims.iss ?? '');
      const cognito = api.auth.find((m) => m.type === 'AMAZON_COGNITO_USER_POOLS' && (!m.user_pool_id || issuer.endsWith(`/${m.user_pool_id}`)));
      const oidc = api.auth.find((m) => m.type === 'OPENID_CONNECT' && issuer.replace(/\/$/, '') === m.issuer.replace(/\/$/, ''));
      const mode = cognito ?? oidc;
      if (mode) {
        if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return { ok: false, errorType: 'UnauthorizedException', message: 'Token has expired.' };
        if (mode.type === 'AMAZON_COGNITO_USER_POOLS' && mode.app_id_client_regex && !new RegExp(mode.app_id_client_regex).test(String(claims.client_id ?? claims.aud ?? ''))) return UNAUTHORIZED;
        if (mode.type === 'OPENID_CONNECT' && mode.client_id && !([] as unknown[]).concat(claims.aud ?? claims.client_id ?? []).includes(mode.client_id)) return UNAUTHORIZED;
        return { ok: true, mode: mode.type, groups: ([] as unknown[]).concat(claims['cognito:groups'] ?? []).map(String) };
      }
    }
    if (has('AWS_LAMBDA')) return { ok: false, errorType: 'UnauthorizedException', message: 'esb does not run Lambda authorizers for subscriptions.' };
    return UNAUTHORIZED;
  }
  return { ok: false, errorType: 'UnauthorizedException', message: 'Valid authorization header not provided.' };
}

/** Whether a caller of this mode may subscribe to this field: its auth directives, else its type's, else the default mode only. */
export function fieldAllowed(api: AppSyncApi, type: GraphQLObjectType, field: string, auth: { mode: AuthMode; groups?: string[] }): boolean {
  let rules = authOf(type.getFields()[field]?.astNode);
  if (!rules.length) rules = [type.astNode, ...(type.extensionASTNodes ?? [])].flatMap(authOf);
  if (!rules.length) rules = [{ mode: api.auth[0]!.type }];
  return rules.some((r) => r.mode === auth.mode && (!r.groups || r.groups.some((g) => auth.groups?.includes(g))));
}
