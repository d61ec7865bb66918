// SAM `Auth` blocks -> the authorizers of routing.yml's `apis` and each route's `auth`
// (docs/security.md). Pure: takes resolved property values.
import type { Authorizer } from '@esb/contracts';
import { versionText } from './resolver.js';

export interface ApiAuthModel {
  authorizers: Record<string, Authorizer>;
  defaultAuthorizer?: string;
  /** REST APIs: `Auth.ApiKeyRequired` makes every route need an API key. */
  apiKeyRequired?: boolean;
  /** HTTP APIs: scopes an authorizer asks for by default (`AuthorizationScopes` on the authorizer). */
  defaultScopes: Record<string, string[]>;
  /** REST APIs: whether the OPTIONS methods of `Cors` get the default authorizer / the API key too (SAM's default: yes). */
  preflightAuthorizer?: boolean;
  preflightApiKey?: boolean;
}

export type RouteAuthModel = {
  authorizer?: string;
  api_key_required?: boolean;
  scopes?: string[];
};

export class AuthConfigError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'AuthConfigError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** `arn:aws:lambda:<region>:<account>:function:<name>[:alias]` -> name. */
export function functionNameFromArn(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /:function:([A-Za-z0-9_-]+)(?::[^:]+)?$/.exec(value);
  return match ? match[1] : undefined;
}

function ttl(identity: Record<string, unknown>): number {
  const value = identity.ReauthorizeEvery;
  if (value === undefined) return 300;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3600) throw new AuthConfigError('Identity.ReauthorizeEvery', `must be 0..3600 seconds, not ${JSON.stringify(value)}`);
  return n;
}

function requestIdentitySources(identity: Record<string, unknown>, http: boolean): string[] {
  const prefix = http ? '$request' : 'method.request';
  return [
    ...strings(identity.Headers).map((h) => `${prefix}.header.${h}`),
    ...strings(identity.QueryStrings).map((q) => `${prefix}.querystring.${q}`),
    ...strings(identity.StageVariables).map((s) => `${http ? '$' : ''}stageVariables.${s}`),
    ...strings(identity.Context).map((c) => `${http ? '$' : ''}context.${c}`),
  ];
}

/** Said of a Cognito authorizer whose user pool the template makes. */
export const TEMPLATE_POOL_NOTE =
  'the user pool is made by this template, so its token issuer is known only when deployed on AWS; tokens are verified against the keys ESB_JWKS (or jwks in ~/.esb/config.yaml) gives for their issuer, and a token of an issuer without keys is taken unverified on a loopback gateway only (docs/security.md)';

/** A REST Cognito user pool authorizer from its pool ARNs (one or a list) and the token's header. */
export function cognitoAuthorizer(arns: unknown, header: string, validationExpression?: unknown): Extract<Authorizer, { type: 'cognito' }> {
  const issuers: string[] = [];
  let templatePools = false;
  for (const arn of Array.isArray(arns) ? arns : [arns]) {
    // arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>; a pool of the template resolves to no such ARN.
    const m = typeof arn === 'string' ? /^arn:aws[\w-]*:cognito-idp:([\w-]+):\d+:userpool\/([\w-]+)$/.exec(arn) : null;
    if (m) issuers.push(`https://cognito-idp.${m[1]}.amazonaws.com/${m[2]}`);
    else templatePools = true;
  }
  return {
    type: 'cognito',
    identity_source: `method.request.header.${header}`,
    issuers,
    template_pools: templatePools,
    ...(typeof validationExpression === 'string' ? { validation_expression: validationExpression } : {}),
  };
}

/**
 * Reads `Auth` of an Api (type rest) or HttpApi (type http). `warn` gets authorizer kinds esb
 * does not emulate (IAM), which are then left out.
 */
export function readApiAuth(auth: unknown, type: 'rest' | 'http', warn: (message: string) => void): ApiAuthModel {
  const model: ApiAuthModel = { authorizers: {}, defaultScopes: {} };
  if (auth === undefined) return model;
  if (!isRecord(auth)) throw new AuthConfigError('Auth', 'must be a map');
  if (auth.Authorizers !== undefined && !isRecord(auth.Authorizers)) throw new AuthConfigError('Auth.Authorizers', 'must be a map');
  for (const [name, raw] of Object.entries((auth.Authorizers as Record<string, unknown>) ?? {})) {
    const field = `Auth.Authorizers.${name}`;
    if (!isRecord(raw)) throw new AuthConfigError(field, 'must be a map');
    const identity = isRecord(raw.Identity) ? raw.Identity : {};
    if (raw.JwtConfiguration !== undefined) {
      if (type !== 'http') throw new AuthConfigError(`${field}.JwtConfiguration`, 'JWT authorizers belong to HTTP APIs (AWS::Serverless::HttpApi)');
      const jwt = raw.JwtConfiguration;
      if (!isRecord(jwt) || typeof jwt.issuer !== 'string' || !jwt.issuer) throw new AuthConfigError(`${field}.JwtConfiguration.issuer`, 'is required');
      model.authorizers[name] = {
        type: 'jwt',
        identity_source: typeof raw.IdentitySource === 'string' ? raw.IdentitySource : '$request.header.Authorization',
        issuer: jwt.issuer,
        audience: strings(jwt.audience),
      };
      if (raw.AuthorizationScopes !== undefined) model.defaultScopes[name] = strings(raw.AuthorizationScopes);
      continue;
    }
    if (raw.FunctionArn !== undefined) {
      const fn = functionNameFromArn(raw.FunctionArn);
      if (!fn) throw new AuthConfigError(`${field}.FunctionArn`, `${JSON.stringify(raw.FunctionArn)} is not the ARN of a function of this template (use !GetAtt Fn.Arn)`);
      const payloadType = type === 'rest' ? String(raw.FunctionPayloadType ?? 'TOKEN').toUpperCase() : 'REQUEST';
      if (payloadType === 'TOKEN') {
        model.authorizers[name] = {
          type: 'token',
          function: fn,
          identity_source: `method.request.header.${typeof identity.Header === 'string' ? identity.Header : 'Authorization'}`,
          ...(typeof identity.ValidationExpression === 'string' ? { validation_expression: identity.ValidationExpression } : {}),
          ttl_seconds: ttl(identity),
        };
      } else if (payloadType === 'REQUEST') {
        const version = type === 'http' ? (versionText(raw.AuthorizerPayloadFormatVersion) ?? '2.0') : '1.0';
        if (version !== '1.0' && version !== '2.0') throw new AuthConfigError(`${field}.AuthorizerPayloadFormatVersion`, `must be 1.0 or 2.0, not ${version}`);
        const sources = requestIdentitySources(identity, type === 'http');
        model.authorizers[name] = {
          type: 'request',
          function: fn,
          identity_sources: sources,
          // No identity source: API Gateway cannot cache (it has no key).
          ttl_seconds: sources.length ? ttl(identity) : 0,
          payload_format_version: version,
          simple_responses: raw.EnableSimpleResponses === true,
        };
      } else {
        throw new AuthConfigError(`${field}.FunctionPayloadType`, `must be TOKEN or REQUEST, not ${payloadType}`);
      }
      continue;
    }
    if (raw.UserPoolArn !== undefined && type === 'rest') {
      const az = cognitoAuthorizer(raw.UserPoolArn, typeof identity.Header === 'string' ? identity.Header : 'Authorization', identity.ValidationExpression);
      model.authorizers[name] = az;
      if (raw.AuthorizationScopes !== undefined) model.defaultScopes[name] = strings(raw.AuthorizationScopes);
      if (az.template_pools) warn(`${field}: ${TEMPLATE_POOL_NOTE}`);
      continue;
    }
    warn(`${field}: ${raw.UserPoolArn !== undefined ? 'Cognito user pool' : 'this'} authorizer is not emulated by esb; routes using it are served without authorization`);
  }
  if (auth.DefaultAuthorizer !== undefined) {
    const name = String(auth.DefaultAuthorizer);
    if (name !== 'AWS_IAM' && name !== 'NONE' && !(name in model.authorizers) && !isRecord((auth.Authorizers as Record<string, unknown>)?.[name])) {
      throw new AuthConfigError('Auth.DefaultAuthorizer', `"${name}" is not one of Auth.Authorizers`);
    }
    if (name in model.authorizers || name === 'AWS_IAM') model.defaultAuthorizer = name;
  }
  if (auth.ApiKeyRequired === true) model.apiKeyRequired = true;
  for (const [field, key] of [['AddDefaultAuthorizerToCorsPreflight', 'preflightAuthorizer'], ['AddApiKeyRequiredToCorsPreflight', 'preflightApiKey']] as const) {
    const v = auth[field];
    if (v === undefined) continue;
    if (v !== true && v !== false && v !== 'true' && v !== 'false') throw new AuthConfigError(`Auth.${field}`, `must be true or false, not ${JSON.stringify(v)}`);
    model[key] = v === true || v === 'true';
  }
  const plan = isRecord(auth.UsagePlan) ? auth.UsagePlan.CreateUsagePlan : undefined;
  if (plan === 'PER_API' || plan === 'SHARED') {
    warn(
      `Auth.UsagePlan: the API key SAM creates gets a value API Gateway generates, which esb cannot know; list the keys to accept in ESB_API_KEYS or api_keys of ~/.esb/config.yaml, or declare an AWS::ApiGateway::ApiKey with a Value in a usage plan of this API (docs/security.md)`,
    );
  }
  return model;
}

/**
 * The auth of the OPTIONS methods SAM adds to a REST API for `Cors`: the API's DefaultAuthorizer
 * (with its scopes) and `ApiKeyRequired`, each unless the API's `Auth` turns it off for preflights.
 */
export function corsPreflightAuthFor(api: ApiAuthModel): RouteAuthModel | undefined {
  // As an event's Auth that opts out of what the API's Auth turns off for preflights.
  return routeAuthFor(api, {
    ...(api.preflightAuthorizer === false ? { Authorizer: 'NONE' } : {}),
    ...(api.preflightApiKey === false ? { ApiKeyRequired: false } : {}),
  });
}

/** A route's auth from its API's auth and the event's own `Auth` (which wins). */
export function routeAuthFor(api: ApiAuthModel, eventAuth: unknown): RouteAuthModel | undefined {
  if (eventAuth !== undefined && !isRecord(eventAuth)) throw new AuthConfigError('Auth', 'must be a map');
  const own = (eventAuth as Record<string, unknown> | undefined) ?? {};
  let authorizer: string | undefined = api.defaultAuthorizer;
  if (own.Authorizer !== undefined) {
    const name = String(own.Authorizer);
    if (name === 'NONE') authorizer = undefined;
    else if (name === 'AWS_IAM') authorizer = 'AWS_IAM';
    else if (!(name in api.authorizers)) throw new AuthConfigError('Auth.Authorizer', `"${name}" is not one of the API's Auth.Authorizers`);
    else authorizer = name;
  }
  const apiKey = own.ApiKeyRequired !== undefined ? own.ApiKeyRequired === true : api.apiKeyRequired === true;
  const scopes = own.AuthorizationScopes !== undefined ? strings(own.AuthorizationScopes) : authorizer ? api.defaultScopes[authorizer] : undefined;
  const out: RouteAuthModel = {
    ...(authorizer ? { authorizer } : {}),
    ...(apiKey ? { api_key_required: true } : {}),
    ...(authorizer && scopes && scopes.length ? { scopes } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

/**
 * The auth SAM gives a method of a SAM API's DefinitionBody, as it rewrites the document
 * (docs/generate.md, "APIs"): `documented` is what the document's own `security` says. REST: a
 * method-level `security` naming an authorizer (the document's, one of Auth.Authorizers or
 * AWS_IAM) keeps it, `NONE` opts out, any other method gets the DefaultAuthorizer; every method
 * needs the API key with `Auth.ApiKeyRequired` unless its security says `api_key_false`; OPTIONS
 * follow AddDefaultAuthorizerToCorsPreflight and AddApiKeyRequiredToCorsPreflight. HTTP: a method
 * with a `security` of its own keeps it; the others but OPTIONS get the DefaultAuthorizer.
 */
export function definitionMethodAuth(
  api: ApiAuthModel,
  type: 'rest' | 'http',
  method: { security: unknown; isOptions: boolean; namesAuthorizer: (name: string) => boolean },
  documented: RouteAuthModel | undefined,
): RouteAuthModel | undefined {
  const names = Array.isArray(method.security) ? method.security.filter(isRecord).flatMap((r) => Object.keys(r)) : [];
  const out: RouteAuthModel = { ...documented };
  const withDefault = () => {
    const name = api.defaultAuthorizer!;
    out.authorizer = name;
    const scopes = api.defaultScopes[name];
    if (scopes?.length) out.scopes = scopes;
    else delete out.scopes;
  };
  if (type === 'http') {
    if (api.defaultAuthorizer && names.length === 0 && !method.isOptions) withDefault();
  } else {
    if (names.includes('NONE')) {
      delete out.authorizer;
      delete out.scopes;
    } else if (api.defaultAuthorizer && !names.some((n) => n === 'AWS_IAM' || method.namesAuthorizer(n)) && !(method.isOptions && api.preflightAuthorizer === false)) withDefault();
    if (api.apiKeyRequired && !names.includes('api_key_false') && !(method.isOptions && api.preflightApiKey === false)) out.api_key_required = true;
    if (names.includes('api_key_false')) delete out.api_key_required;
  }
  return Object.keys(out).length ? out : undefined;
}
