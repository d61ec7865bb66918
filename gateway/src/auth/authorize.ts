// Authorization of one request at the gateway, as API Gateway does it: API keys, Lambda TOKEN
// and REQUEST authorizers (IAM policy or simple responses, result cache keyed by identity),
// and JWT authorizers. Returns either what reaches the function in
// `requestContext.authorizer` or the exact response API Gateway would give.
import type { Authorizer, GatewayResponseType } from '@esb/contracts';
import { identityValue, identityValues, type IdentityInput } from './identity.js';
import { httpApiClaims, JwksCache, restCognitoClaims, verifyCognitoToken, verifyJwt } from './jwt.js';
import { evaluatePolicy, type PolicyDocument } from './policy.js';

export interface AuthRouteConfig {
  authorizer?: string;
  api_key_required?: boolean;
  scopes?: string[];
}

export interface AuthRequest extends IdentityInput {
  apiType: 'rest' | 'http';
  /** `arn:aws:execute-api:...` (REST: methodArn; HTTP: routeArn). */
  methodArn: string;
  /** The API's id (requestContext.apiId): each API's authorizers keep their own cached decisions. */
  apiId: string;
  /** The proxy event the function would get (v1 or v2): Lambda REQUEST authorizers receive it too. */
  event: Record<string, unknown>;
  /** The API's own keys (its template's, through a usage plan), accepted besides the configured ones. */
  apiKeys?: ReadonlySet<string>;
}

export type AuthOutcome =
  | { ok: true; authorizer?: Record<string, unknown> }
  | { ok: false; status: number; body: string; reason: string; type: GatewayResponseType };

/** Invokes an authorizer function: its response payload, or the error it threw. */
export type InvokeAuthorizer = (functionName: string, payload: Buffer) => Promise<{ payload: Buffer; error?: { kind: string; message: string } }>;

const UNAUTHORIZED = '{"message":"Unauthorized"}';
const FORBIDDEN = '{"message":"Forbidden"}';
const NOT_AUTHORIZED = '{"Message":"User is not authorized to access this resource"}';
const EXPLICITLY_DENIED = '{"Message":"User is not authorized to access this resource with an explicit deny"}';
const AUTHORIZER_FAILURE = '{"message":null}';

const deny = (status: number, body: string, reason: string, type: GatewayResponseType): AuthOutcome => ({ ok: false, status, body, reason, type });
const unauthorized = (reason: string) => deny(401, UNAUTHORIZED, reason, 'UNAUTHORIZED');
const misconfigured = (reason: string) => deny(500, AUTHORIZER_FAILURE, reason, 'AUTHORIZER_CONFIGURATION_ERROR');

interface CachedResponse {
  expiresAt: number;
  response: LambdaAuthorizerResponse;
}

interface LambdaAuthorizerResponse {
  principalId?: string;
  policyDocument?: PolicyDocument;
  context?: Record<string, string | number | boolean>;
  isAuthorized?: boolean;
}

export class AuthorizerResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthorizerResponseError';
  }
}

/** Validates what an authorizer function returned (garbage is a 500, as on AWS). */
export function parseAuthorizerResponse(payload: Buffer, simple: boolean): LambdaAuthorizerResponse {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new AuthorizerResponseError('authorizer response is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new AuthorizerResponseError('authorizer response is not an object');
  const response = value as Record<string, unknown>;
  if (response.context !== undefined) {
    if (!response.context || typeof response.context !== 'object' || Array.isArray(response.context)) throw new AuthorizerResponseError('context must be an object');
    if (!simple) {
      for (const [key, v] of Object.entries(response.context)) {
        if (!['string', 'number', 'boolean'].includes(typeof v)) throw new AuthorizerResponseError(`context.${key} must be a string, number or boolean`);
      }
    }
  }
  if (simple) {
    if (typeof response.isAuthorized !== 'boolean') throw new AuthorizerResponseError('simple response needs a boolean isAuthorized');
    return response as LambdaAuthorizerResponse;
  }
  const policy = response.policyDocument as PolicyDocument | undefined;
  if (!policy || typeof policy !== 'object' || policy.Statement === undefined) throw new AuthorizerResponseError('policyDocument with Statement is required');
  if (typeof response.principalId !== 'string' && typeof response.principalId !== 'number') throw new AuthorizerResponseError('principalId is required');
  return { ...(response as LambdaAuthorizerResponse), principalId: String(response.principalId) };
}

export interface AuthorizerEngineOptions {
  invoke: InvokeAuthorizer;
  /** Valid API keys (esb settings or --secret-env): `x-api-key` must be one of them. */
  apiKeys?: () => ReadonlySet<string>;
  now?: () => number;
  jwks?: JwksCache;
  /** Where an issuer's keys are, overriding `<issuer>/.well-known/jwks.json`: a URL or a local JWKS file (offline use). */
  jwksLocations?: Record<string, string>;
  /** Cognito tokens of an issuer with no known keys are taken unverified (a loopback gateway). */
  acceptUnverifiedCognito?: boolean;
}

export class AuthorizerEngine {
  private readonly cache = new Map<string, CachedResponse>();
  private readonly now: () => number;
  private readonly jwks: JwksCache;

  constructor(private readonly options: AuthorizerEngineOptions) {
    this.now = options.now ?? Date.now;
    this.jwks = options.jwks ?? new JwksCache();
  }

  /** Forget cached decisions (config reload). */
  clear(): void {
    this.cache.clear();
  }

  async authorize(route: AuthRouteConfig, authorizers: Record<string, Authorizer> | undefined, request: AuthRequest): Promise<AuthOutcome> {
    if (route.api_key_required) {
      const key = request.headers['x-api-key'];
      if (!key || !(this.options.apiKeys?.().has(key) || request.apiKeys?.has(key))) return deny(403, FORBIDDEN, 'missing or unknown API key', 'INVALID_API_KEY');
    }
    const name = route.authorizer;
    if (!name || name === 'NONE' || name === 'AWS_IAM') return { ok: true };
    const config = authorizers?.[name];
    if (!config) return misconfigured(`authorizer "${name}" is not defined for this API`);

    if (config.type === 'jwt') {
      const location = this.options.jwksLocations?.[config.issuer];
      const keys = location === undefined ? config : /^https?:\/\//.test(location) ? { ...config, jwks_uri: location } : { ...config, jwks_file: location };
      const outcome = await verifyJwt(identityValue(config.identity_source, request), keys, route.scopes ?? [], this.jwks, this.now());
      if (!outcome.ok) return outcome.status === 403 ? deny(403, FORBIDDEN, outcome.reason, 'ACCESS_DENIED') : unauthorized(outcome.reason);
      return { ok: true, authorizer: { jwt: { claims: httpApiClaims(outcome.claims), scopes: outcome.scopes.length ? outcome.scopes : null } } };
    }

    if (config.type === 'cognito') {
      const token = identityValue(config.identity_source, request);
      if (!token) return unauthorized('no token');
      if (config.validation_expression && !new RegExp(`^(?:${config.validation_expression})$`).test(token)) return unauthorized('token does not match the validation expression');
      const trust = { jwksLocations: this.options.jwksLocations, acceptUnverified: this.options.acceptUnverifiedCognito === true };
      const outcome = await verifyCognitoToken(token, config, route.scopes ?? [], trust, this.jwks, this.now());
      if (!outcome.ok) return outcome.status === 403 ? deny(403, FORBIDDEN, outcome.reason, 'ACCESS_DENIED') : unauthorized(outcome.reason);
      return { ok: true, authorizer: { claims: restCognitoClaims(outcome.claims) } };
    }

    // Lambda authorizers.
    let identity: string[] | undefined;
    let payload: Record<string, unknown>;
    const simple = config.type === 'request' && config.simple_responses && config.payload_format_version === '2.0';
    if (config.type === 'token') {
      const token = identityValue(config.identity_source, request);
      if (!token) return unauthorized('no token');
      if (config.validation_expression && !new RegExp(`^(?:${config.validation_expression})$`).test(token)) return unauthorized('token does not match the validation expression');
      identity = [token];
      payload = { type: 'TOKEN', authorizationToken: token, methodArn: request.methodArn };
    } else {
      identity = identityValues(config.identity_sources, request);
      if (!identity) return unauthorized('identity source missing');
      payload =
        config.payload_format_version === '2.0'
          ? { ...request.event, type: 'REQUEST', routeArn: request.methodArn, identitySource: identity }
          : { ...request.event, type: 'REQUEST', methodArn: request.methodArn };
    }

    // API Gateway caches the authorizer's response keyed by the identity (never when there is
    // no identity source to key on) and evaluates the cached policy against each request. Each
    // API has its own authorizers: two APIs' "TokenAuth" (of one stack or two) share nothing.
    const cacheKey = config.ttl_seconds > 0 && identity.length > 0 ? [request.apiId, config.function, name, ...identity].join('\u0000') : undefined;
    let response = cacheKey ? this.cached(cacheKey) : undefined;
    if (!response) {
      let result;
      try {
        result = await this.options.invoke(config.function, Buffer.from(JSON.stringify(payload)));
      } catch (err) {
        return misconfigured(`authorizer ${config.function} failed: ${String(err)}`);
      }
      if (result.error) {
        // A function that throws "Unauthorized" asks for a 401, as on AWS.
        const message = errorMessageOf(result.payload);
        if (message === 'Unauthorized') return unauthorized('authorizer said Unauthorized');
        return misconfigured(`authorizer ${config.function} failed: ${result.error.message}`);
      }
      try {
        response = parseAuthorizerResponse(result.payload, Boolean(simple));
      } catch (err) {
        return misconfigured(`authorizer ${config.function}: ${(err as Error).message}`);
      }
      if (cacheKey) this.cache.set(cacheKey, { response, expiresAt: this.now() + config.ttl_seconds * 1000 });
    }

    if (simple) {
      if (!response.isAuthorized) return deny(403, FORBIDDEN, 'authorizer said isAuthorized=false', 'ACCESS_DENIED');
      return { ok: true, authorizer: { lambda: response.context ?? {} } };
    }
    const decision = evaluatePolicy(response.policyDocument!, request.methodArn);
    if (decision !== 'Allow') {
      // HTTP APIs answer every deny alike; REST APIs say whether a statement denied.
      const body = request.apiType === 'http' ? FORBIDDEN : decision === 'ExplicitDeny' ? EXPLICITLY_DENIED : NOT_AUTHORIZED;
      return deny(403, body, decision === 'ExplicitDeny' ? 'policy denies this method' : 'policy does not allow this method', 'ACCESS_DENIED');
    }
    if (request.apiType === 'http') return { ok: true, authorizer: { lambda: { ...(response.context ?? {}), principalId: response.principalId } } };
    // A REST API hands the function its authorizer's context values as strings (true -> "true", 1 -> "1").
    const context: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(response.context ?? {})) context[k] = String(v);
    context.principalId = response.principalId;
    return { ok: true, authorizer: context };
  }

  private cached(key: string): LambdaAuthorizerResponse | undefined {
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.cache.delete(key);
      return undefined;
    }
    return hit.response;
  }
}

function errorMessageOf(payload: Buffer): string | undefined {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { errorMessage?: unknown };
    return typeof doc.errorMessage === 'string' ? doc.errorMessage : undefined;
  } catch {
    return undefined;
  }
}
