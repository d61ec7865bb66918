// APIs written without SAM events: raw CloudFormation API Gateway resources (REST v1 and HTTP
// v2) and OpenAPI definitions with `x-amazon-apigateway-integration`. Pure: property values come
// in resolved; the template reader supplies them (see docs/generate.md, "APIs").
import type { Authorizer, RequestValidation, Route } from '@esb/contracts';
import { readOpenApiGatewayResponses, type GatewayResponses } from './gateway-responses.js';
import { cfnMethodValidation, openApiValidation, readCfnValidationResources } from './request-validation.js';
import { isRecord, versionText } from './resolver.js';
import { cognitoAuthorizer, definitionMethodAuth, TEMPLATE_POOL_NOTE, type ApiAuthModel } from './auth.js';
import { isServedSubtype, operationIntegrationName, readServiceIntegration, type ServiceIntegration } from './service-integrations.js';
import { readCfnAwsIntegration, readHttpApiProxyIntegration, readOpenApiAwsIntegration, type AwsIntegration } from './aws-integrations.js';

export const REST_TYPES = new Set(['AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Resource', 'AWS::ApiGateway::Method', 'AWS::ApiGateway::Authorizer', 'AWS::ApiGateway::Stage', 'AWS::ApiGateway::Deployment', 'AWS::ApiGateway::RequestValidator', 'AWS::ApiGateway::Model']);
/** AWS::ApiGatewayV2 resources: HTTP APIs, and WebSocket APIs (RouteResponse, IntegrationResponse and Model are theirs: sam/websocket-apis.ts). */
export const HTTP_TYPES = new Set(['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Integration', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Authorizer', 'AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::Deployment', 'AWS::ApiGatewayV2::RouteResponse', 'AWS::ApiGatewayV2::IntegrationResponse', 'AWS::ApiGatewayV2::Model']);
/** Resources that only grant or wire things esb does not check: read silently. */
export const QUIET_TYPES = new Set(['AWS::Lambda::Permission', 'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::Logs::LogGroup', 'AWS::SQS::QueuePolicy', 'AWS::Events::EventBusPolicy', 'AWS::SNS::TopicPolicy']);

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'ANY']);
const OPENAPI_METHODS: Record<string, string> = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  delete: 'DELETE',
  patch: 'PATCH',
  head: 'HEAD',
  options: 'OPTIONS',
  'x-amazon-apigateway-any-method': 'ANY',
};

export interface ApiRoute {
  path: string;
  method: Route['method'];
  function: string;
  auth?: Route['auth'];
  validation?: RequestValidation;
  /** A REST Lambda proxy integration whose responseTransferMode is STREAM. */
  responseStream?: true;
  /** Where it was defined, for warnings. */
  source: string;
}

/** API Gateway's response streaming (`responseTransferMode: STREAM`) of a REST API's Lambda proxy integration. */
function streamsResponse(ctx: ApiReadContext, where: string, mode: unknown, lambdaProxy: boolean): boolean {
  if (mode === undefined || String(mode).toUpperCase() === 'BUFFERED') return false;
  if (String(mode).toUpperCase() !== 'STREAM') ctx.warn(`${where}: responseTransferMode ${JSON.stringify(mode)} is neither BUFFERED nor STREAM; the response is buffered`);
  else if (!lambdaProxy) ctx.warn(`${where}: responseTransferMode STREAM is served for Lambda proxy integrations only; this one is buffered`);
  else return true;
  return false;
}

export interface ApiReadContext {
  /** The template's function keys, to tell a function of this template from another ARN. */
  functionKeys: ReadonlySet<string>;
  warn(message: string): void;
  fail(logicalId: string, field: string, reason: string): never;
  /**
   * Adds the built-in function that serves a direct service integration (docs/gateway.md,
   * "Service integrations"), named after `name` (`source`: where it is written); returns its key.
   */
  serviceFunction(name: string, source: string, integration: ServiceIntegration): string;
  /**
   * Adds the built-in function that serves a REST API method's (or a WebSocket route's) AWS
   * integration (docs/gateway.md, "AWS integrations (REST APIs)"), named after `name`; returns its key.
   */
  awsIntegrationFunction(name: string, source: string, integration: AwsIntegration): string;
}

/** The function an integration URI or ARN names: `...:function:<name>[:alias]...`. */
export function functionFromUri(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /:function:([A-Za-z0-9_-]+)/.exec(value);
  return m ? m[1] : undefined;
}

export function integrationFunction(ctx: ApiReadContext, where: string, uri: unknown, subtype?: unknown): string | undefined {
  const fn = functionFromUri(uri);
  if (!fn) {
    // HTTP APIs' direct service integrations (SQS-SendMessage, EventBridge-PutEvents, ...) are AWS_PROXY without a URI.
    if (typeof subtype === 'string') ctx.warn(`${where}: integration subtype ${subtype} (a direct AWS service integration) is not emulated; the route is not served`);
    else ctx.warn(`${where}: integration URI ${JSON.stringify(uri)} names no Lambda function; the route is not served`);
    return undefined;
  }
  if (!ctx.functionKeys.has(fn)) {
    ctx.warn(`${where}: integration points at function "${fn}", which this template does not define; the route is served only if another deploy provides it`);
  }
  return fn;
}

export const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

function ttl(v: unknown, fallback: number): number {
  const n = Number(v);
  return v === undefined || !Number.isInteger(n) || n < 0 || n > 3600 ? fallback : n;
}

// ------------------------------------------------------------------ OpenAPI

/**
 * Routes and authorizers of an OpenAPI (2.0 or 3.x) definition. `type` is the API's kind:
 * security schemes with `x-amazon-apigateway-authorizer` become that API's authorizers.
 */
export function readOpenApi(
  ctx: ApiReadContext,
  apiId: string,
  type: 'rest' | 'http',
  doc: unknown,
  field: string,
  /** A SAM API's `Auth`, which SAM writes into the document it is given (definitionMethodAuth). */
  samAuth?: ApiAuthModel,
): { routes: ApiRoute[]; authorizers: Record<string, Authorizer>; binaryMediaTypes: string[]; gatewayResponses: GatewayResponses } {
  const routes: ApiRoute[] = [];
  const authorizers: Record<string, Authorizer> = {};
  if (!isRecord(doc)) ctx.fail(apiId, field, 'must be an OpenAPI document (a map with paths)');
  const schemes = (isRecord(doc.components) && isRecord(doc.components.securitySchemes) ? doc.components.securitySchemes : isRecord(doc.securityDefinitions) ? doc.securityDefinitions : {}) as Record<string, unknown>;
  const apiKeySchemes = new Set<string>();
  /** `x-amazon-apigateway-authtype: awsSigv4`: routes using it take signed requests only (AWS_IAM). */
  const iamSchemes = new Set<string>();
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!isRecord(scheme)) continue;
    const at = `${apiId}.${field}: security scheme ${name}`;
    const az = scheme['x-amazon-apigateway-authorizer'];
    if (!isRecord(az)) {
      if (scheme['x-amazon-apigateway-authtype'] === 'awsSigv4') iamSchemes.add(name);
      else if (scheme.type === 'apiKey') apiKeySchemes.add(name);
      else ctx.warn(`${at}: no x-amazon-apigateway-authorizer; not emulated, routes using it are served without authorization`);
      continue;
    }
    const kind = String(az.type ?? '').toLowerCase();
    if (kind === 'cognito_user_pools' && type === 'rest') {
      authorizers[name] = cognitoAuthorizer(az.providerARNs, typeof scheme.name === 'string' ? scheme.name : 'Authorization');
      if (authorizers[name].type === 'cognito' && authorizers[name].template_pools) ctx.warn(`${at}: ${TEMPLATE_POOL_NOTE}`);
      continue;
    }
    if (kind === 'jwt') {
      const jwt = isRecord(az.jwtConfiguration) ? az.jwtConfiguration : {};
      if (typeof jwt.issuer !== 'string') ctx.fail(apiId, `${field}.securitySchemes.${name}.x-amazon-apigateway-authorizer.jwtConfiguration.issuer`, 'is required');
      authorizers[name] = { type: 'jwt', identity_source: list(az.identitySource)[0] ?? '$request.header.Authorization', issuer: jwt.issuer, audience: list(jwt.audience) };
      continue;
    }
    const fn = functionFromUri(az.authorizerUri);
    if (!fn) {
      ctx.warn(`${at}: authorizer type ${JSON.stringify(az.type)} without a Lambda authorizerUri is not emulated; routes using it are served without authorization`);
      continue;
    }
    if (kind === 'token') {
      const header = typeof scheme.name === 'string' ? scheme.name : 'Authorization';
      authorizers[name] = {
        type: 'token',
        function: fn,
        identity_source: `method.request.header.${header}`,
        ...(typeof az.identityValidationExpression === 'string' ? { validation_expression: az.identityValidationExpression } : {}),
        ttl_seconds: ttl(az.authorizerResultTtlInSeconds, 300),
      };
    } else if (kind === 'request') {
      const sources = list(az.identitySource);
      authorizers[name] = {
        type: 'request',
        function: fn,
        identity_sources: sources,
        ttl_seconds: sources.length ? ttl(az.authorizerResultTtlInSeconds, 300) : 0,
        payload_format_version: type === 'http' && (versionText(az.authorizerPayloadFormatVersion) ?? '2.0') === '2.0' ? '2.0' : '1.0',
        simple_responses: az.enableSimpleResponses === true,
      };
    } else {
      ctx.warn(`${at}: authorizer type ${JSON.stringify(az.type)} is not emulated; routes using it are served without authorization`);
    }
  }
  const security = (v: unknown): Route['auth'] | undefined => {
    if (!Array.isArray(v)) return undefined;
    const auth: NonNullable<Route['auth']> = {};
    for (const req of v) {
      if (!isRecord(req)) continue;
      for (const [name, scopes] of Object.entries(req)) {
        if (apiKeySchemes.has(name) || (samAuth !== undefined && name === 'api_key')) auth.api_key_required = true;
        else if ((iamSchemes.has(name) || (samAuth !== undefined && name === 'AWS_IAM')) && !auth.authorizer) auth.authorizer = 'AWS_IAM';
        else if ((name in authorizers || (samAuth !== undefined && name in samAuth.authorizers)) && !auth.authorizer) {
          auth.authorizer = name;
          if (Array.isArray(scopes) && scopes.length) auth.scopes = scopes.map(String);
        }
      }
    }
    return Object.keys(auth).length ? auth : undefined;
  };
  const topSecurity = doc.security;
  const paths = doc.paths;
  if (paths !== undefined && !isRecord(paths)) ctx.fail(apiId, `${field}.paths`, 'must be a map');
  for (const [path, ops] of Object.entries((paths as Record<string, unknown>) ?? {})) {
    if (!isRecord(ops)) continue;
    if (path !== '$default' && !/^\/\S*$/.test(path)) ctx.fail(apiId, `${field}.paths`, `"${path}" must start with "/"`);
    for (const [key, op] of Object.entries(ops)) {
      const method = OPENAPI_METHODS[key.toLowerCase()];
      if (!method || !isRecord(op)) continue;
      const where = `${apiId}.${field}.paths["${path}"].${key}`;
      const integration = op['x-amazon-apigateway-integration'];
      if (!isRecord(integration)) {
        ctx.warn(`${where}: no x-amazon-apigateway-integration; the route is not served`);
        continue;
      }
      const itype = String(integration.type ?? '').toLowerCase();
      // Mapping templates (AWS, HTTP, MOCK: an OPTIONS MOCK is how REST APIs write CORS) belong to
      // REST APIs; both kinds pass requests through (HTTP_PROXY).
      const mapped = type === 'rest' ? ['aws', 'http', 'http_proxy', 'mock'].includes(itype) : itype === 'http_proxy';
      if (itype !== 'aws_proxy' && !mapped) {
        ctx.warn(`${where}: integration type ${JSON.stringify(integration.type)} is not emulated (only aws_proxy, a Lambda proxy integration, ${type === 'rest' ? 'aws, http, http_proxy and mock' : 'and http_proxy'}); the route is not served`);
        continue;
      }
      const subtype = integration.integrationSubtype;
      const integrationField = `${field}.paths["${path}"].${key}.x-amazon-apigateway-integration`;
      const name = operationIntegrationName(apiId, method, path);
      const site = { logicalId: apiId, field: integrationField, where, resourcePath: path };
      const awsIntegration = !mapped
        ? undefined
        : type === 'rest'
          ? readOpenApiAwsIntegration(ctx, site, integration)
          : readHttpApiProxyIntegration(ctx, site, { form: 'openapi', uri: integration.uri, httpMethod: integration.httpMethod, connectionType: integration.connectionType, requestParameters: integration.requestParameters, timeoutInMillis: integration.timeoutInMillis });
      if (mapped && !awsIntegration) continue;
      // Subtypes belong to HTTP APIs: a REST API's is warned of as not emulated.
      const fn = awsIntegration
        ? ctx.awsIntegrationFunction(name, where, awsIntegration)
        : type === 'http' && isServedSubtype(subtype)
          ? ctx.serviceFunction(name, where, readServiceIntegration(ctx, { logicalId: apiId, field: integrationField, parametersField: 'requestParameters', timeoutField: 'timeoutInMillis' }, subtype, integration.requestParameters, integration.timeoutInMillis))
          : integrationFunction(ctx, where, integration.uri, subtype);
      if (!fn) continue;
      const route: ApiRoute = { path, method: method as Route['method'], function: fn, source: where };
      if (type === 'rest' && streamsResponse(ctx, where, integration.responseTransferMode, itype === 'aws_proxy')) route.responseStream = true;
      const iam = isRecord(op['x-amazon-apigateway-auth']) && String(op['x-amazon-apigateway-auth'].type).toUpperCase() === 'AWS_IAM';
      const documented = iam ? { ...security(op.security ?? topSecurity), authorizer: 'AWS_IAM' } : security(op.security ?? topSecurity);
      const auth = samAuth
        ? definitionMethodAuth(samAuth, type, { security: iam ? [{ AWS_IAM: [] }] : op.security, isOptions: method === 'OPTIONS', namesAuthorizer: (n) => n in authorizers || n in samAuth.authorizers || iamSchemes.has(n) }, documented)
        : documented;
      if (auth) route.auth = auth;
      const validation = type === 'rest' ? openApiValidation(ctx, apiId, `${field}.paths["${path}"].${key}`, doc, ops, op) : undefined;
      if (validation) route.validation = validation;
      routes.push(route);
    }
  }
  const binary = doc['x-amazon-apigateway-binary-media-types'];
  const responses = doc['x-amazon-apigateway-gateway-responses'];
  let gatewayResponses: GatewayResponses = {};
  if (responses !== undefined && type === 'http') ctx.warn(`${apiId}.${field}: x-amazon-apigateway-gateway-responses apply to REST APIs only; not used`);
  else if (responses !== undefined) gatewayResponses = readOpenApiGatewayResponses(ctx, apiId, responses, `${field}.x-amazon-apigateway-gateway-responses`);
  return { routes, authorizers, binaryMediaTypes: Array.isArray(binary) ? binary.map(String) : [], gatewayResponses };
}

// ------------------------------------------------------------------ AWS::ApiGateway (REST v1)

export interface RawApiResource {
  id: string;
  type: string;
  /** Resolved properties. */
  props: Record<string, unknown>;
}

export interface CfnApi {
  id: string;
  type: 'rest' | 'http';
  stage: string;
  routes: ApiRoute[];
  authorizers: Record<string, Authorizer>;
  binaryMediaTypes: string[];
  /** HTTP APIs: CorsConfiguration as written (the reader maps it). */
  cors?: unknown;
  payloadFormatVersion: '1.0' | '2.0';
  /** REST APIs: the definition's gateway responses. */
  gatewayResponses?: GatewayResponses;
  /**
   * A SAM API (AWS::Serverless::Api / HttpApi) the raw resources add to: SAM makes it the raw API
   * of the same logical id, so their routes and authorizers are that API's (the rest is SAM's).
   */
  sam?: boolean;
}

/** The SAM APIs of a template by logical id, which raw API resources may name as theirs. */
export type SamApiIds = ReadonlyMap<string, 'rest' | 'http'>;

/** A SAM API's entry for the raw resources that add to it. */
const samApi = (id: string, type: 'rest' | 'http'): CfnApi => ({ id, type, stage: type === 'rest' ? 'prod' : '$default', routes: [], authorizers: {}, binaryMediaTypes: [], payloadFormatVersion: type === 'rest' ? '1.0' : '2.0', sam: true });

/** The logical id a resolved `!Ref X` / `!GetAtt X.Attr` stands for ("X" or "X.Attr"). */
export const refId = (v: unknown): string | undefined => (typeof v === 'string' ? v.split('.')[0] : undefined);

/** A method's or route's authorizer (AuthorizationType one of `types`, AuthorizerId one of the API's); what is not emulated is warned of. */
function authorizerAuth(ctx: ApiReadContext, r: RawApiResource, api: CfnApi, types: string[]): Route['auth'] | undefined {
  const authType = String(r.props.AuthorizationType ?? 'NONE').toUpperCase();
  if (types.includes(authType)) {
    const az = refId(r.props.AuthorizerId);
    if (az && az in api.authorizers) {
      const scopes = r.props.AuthorizationScopes;
      return Array.isArray(scopes) && scopes.length ? { authorizer: az, scopes: scopes.map(String) } : { authorizer: az };
    }
    ctx.warn(`${r.id}: AuthorizerId ${JSON.stringify(r.props.AuthorizerId)} is not an emulated authorizer of ${api.id}; served without authorization`);
  } else if (authType === 'AWS_IAM') {
    // Signed requests only (docs/security.md "IAM authorization").
    return { authorizer: 'AWS_IAM' };
  } else if (authType !== 'NONE') {
    ctx.warn(`${r.id}: AuthorizationType ${authType} is not emulated; served without authorization`);
  }
  return undefined;
}

export function readRestApis(ctx: ApiReadContext, resources: RawApiResource[], definition: (api: RawApiResource) => unknown, samApis: SamApiIds = new Map()): CfnApi[] {
  const apis = new Map<string, CfnApi>();
  for (const [id, type] of samApis) if (type === 'rest') apis.set(id, samApi(id, type));
  const byType = (t: string) => resources.filter((r) => r.type === t);
  for (const r of byType('AWS::ApiGateway::RestApi')) {
    const api: CfnApi = { id: r.id, type: 'rest', stage: 'prod', routes: [], authorizers: {}, binaryMediaTypes: list(r.props.BinaryMediaTypes).map((t) => t.replace(/~1/g, '/')), payloadFormatVersion: '1.0' };
    const body = definition(r);
    if (body !== undefined) {
      const o = readOpenApi(ctx, r.id, 'rest', body, r.props.Body !== undefined ? 'Body' : 'BodyS3Location');
      api.routes.push(...o.routes);
      Object.assign(api.authorizers, o.authorizers);
      api.binaryMediaTypes.push(...o.binaryMediaTypes);
      api.gatewayResponses = o.gatewayResponses;
    }
    apis.set(r.id, api);
  }
  for (const r of [...byType('AWS::ApiGateway::Stage'), ...byType('AWS::ApiGateway::Deployment')]) {
    const api = apis.get(refId(r.props.RestApiId) ?? '');
    if (api && !api.sam && typeof r.props.StageName === 'string') api.stage = r.props.StageName;
  }
  for (const r of byType('AWS::ApiGateway::Authorizer')) {
    const api = apis.get(refId(r.props.RestApiId) ?? '');
    if (!api) continue;
    const kind = String(r.props.Type ?? '').toUpperCase();
    if (kind === 'COGNITO_USER_POOLS') {
      const header = /^method\.request\.header\.(.+)$/.exec(String(r.props.IdentitySource ?? ''))?.[1] ?? 'Authorization';
      const az = cognitoAuthorizer(r.props.ProviderARNs, header, r.props.IdentityValidationExpression);
      api.authorizers[r.id] = az;
      if (az.template_pools) ctx.warn(`${r.id}: ${TEMPLATE_POOL_NOTE}`);
      continue;
    }
    const fn = functionFromUri(r.props.AuthorizerUri);
    if ((kind !== 'TOKEN' && kind !== 'REQUEST') || !fn) {
      ctx.warn(`${r.id}: authorizer type ${kind || '(none)'} is not emulated; methods using it are served without authorization`);
      continue;
    }
    const sources = list(r.props.IdentitySource);
    api.authorizers[r.id] =
      kind === 'TOKEN'
        ? {
            type: 'token',
            function: fn,
            identity_source: sources[0] ?? 'method.request.header.Authorization',
            ...(typeof r.props.IdentityValidationExpression === 'string' ? { validation_expression: r.props.IdentityValidationExpression } : {}),
            ttl_seconds: ttl(r.props.AuthorizerResultTtlInSeconds, 300),
          }
        : { type: 'request', function: fn, identity_sources: sources, ttl_seconds: sources.length ? ttl(r.props.AuthorizerResultTtlInSeconds, 300) : 0, payload_format_version: '1.0', simple_responses: false };
  }
  const validationResources = readCfnValidationResources(resources);
  // Resource paths: PathPart under ParentId (the API's root, or another resource).
  const parts = new Map<string, { parent: string | undefined; part: string; api: string | undefined }>();
  for (const r of byType('AWS::ApiGateway::Resource')) {
    parts.set(r.id, { parent: typeof r.props.ParentId === 'string' ? r.props.ParentId : undefined, part: String(r.props.PathPart ?? ''), api: refId(r.props.RestApiId) });
  }
  const pathOf = (resourceId: string, method: string, seen: string[] = []): string => {
    // `!GetAtt Api.RootResourceId`: as the raw API's attribute, or a SAM API's (its id and -root).
    if (/\.RootResourceId$/.test(resourceId) || (resourceId.endsWith('-root') && apis.get(resourceId.slice(0, -5))?.sam)) return '/';
    const p = parts.get(resourceId);
    if (!p) return ctx.fail(method, 'ResourceId', `"${resourceId}" is neither an AWS::ApiGateway::Resource of this template nor !GetAtt <RestApi>.RootResourceId`);
    if (seen.includes(resourceId)) return ctx.fail(method, 'ResourceId', `resources ${[...seen, resourceId].join(' -> ')} form a cycle`);
    if (!p.parent) return ctx.fail(resourceId, 'ParentId', 'missing');
    const parent = pathOf(p.parent, method, [...seen, resourceId]);
    return `${parent === '/' ? '' : parent}/${p.part}`;
  };
  for (const r of byType('AWS::ApiGateway::Method')) {
    const api = apis.get(refId(r.props.RestApiId) ?? '');
    if (!api) {
      ctx.warn(`${r.id}: RestApiId ${JSON.stringify(r.props.RestApiId)} is neither an AWS::ApiGateway::RestApi nor an AWS::Serverless::Api of this template; the method is not served`);
      continue;
    }
    const method = String(r.props.HttpMethod ?? '').toUpperCase();
    if (!METHODS.has(method)) ctx.fail(r.id, 'HttpMethod', `unsupported method ${JSON.stringify(r.props.HttpMethod)}`);
    if (typeof r.props.ResourceId !== 'string') ctx.fail(r.id, 'ResourceId', 'missing');
    const path = pathOf(r.props.ResourceId, r.id);
    const integration = isRecord(r.props.Integration) ? r.props.Integration : {};
    const itype = String(integration.Type ?? '').toUpperCase();
    // An OPTIONS MOCK (how REST APIs write CORS) is served as any MOCK.
    const mapped = ['AWS', 'HTTP', 'HTTP_PROXY', 'MOCK'].includes(itype);
    if (itype !== 'AWS_PROXY' && !mapped) {
      ctx.warn(`${r.id}: ${method} ${path}: integration type ${itype || '(none)'} is not emulated (only AWS_PROXY, a Lambda proxy integration, AWS, HTTP, HTTP_PROXY and MOCK); the method is not served`);
      continue;
    }
    let fn: string | undefined;
    if (mapped) {
      const aws = readCfnAwsIntegration(ctx, { logicalId: r.id, field: 'Integration', where: `${r.id}: ${method} ${path}`, resourcePath: path }, integration);
      fn = aws && ctx.awsIntegrationFunction(r.id, r.id, aws);
    } else fn = integrationFunction(ctx, `${r.id}.Integration.Uri`, integration.Uri);
    if (!fn) continue;
    const route: ApiRoute = { path, method: method as Route['method'], function: fn, source: r.id };
    if (streamsResponse(ctx, `${r.id}: ${method} ${path}`, integration.ResponseTransferMode, itype === 'AWS_PROXY')) route.responseStream = true;
    const auth = authorizerAuth(ctx, r, api, ['CUSTOM', 'COGNITO_USER_POOLS']);
    if (auth) route.auth = auth;
    if (r.props.ApiKeyRequired === true || r.props.ApiKeyRequired === 'true') route.auth = { ...route.auth, api_key_required: true };
    const validation = cfnMethodValidation(ctx, api.id, r, validationResources);
    if (validation) route.validation = validation;
    api.routes.push(route);
  }
  return [...apis.values()].filter((a) => !a.sam || a.routes.length > 0 || Object.keys(a.authorizers).length > 0);
}

// ------------------------------------------------------------------ AWS::ApiGatewayV2 (HTTP APIs)

export function readHttpApis(ctx: ApiReadContext, resources: RawApiResource[], definition: (api: RawApiResource) => unknown, samApis: SamApiIds = new Map()): CfnApi[] {
  const apis = new Map<string, CfnApi>();
  for (const [id, type] of samApis) if (type === 'http') apis.set(id, samApi(id, type));
  const byType = (t: string) => resources.filter((r) => r.type === t);
  for (const r of byType('AWS::ApiGatewayV2::Api')) {
    const protocol = String(r.props.ProtocolType ?? 'HTTP').toUpperCase();
    if (protocol !== 'HTTP') {
      ctx.warn(`${r.id}: ProtocolType ${protocol} APIs are not emulated; skipped`);
      continue;
    }
    const api: CfnApi = { id: r.id, type: 'http', stage: '$default', routes: [], authorizers: {}, binaryMediaTypes: [], payloadFormatVersion: '2.0' };
    if (r.props.CorsConfiguration !== undefined) api.cors = r.props.CorsConfiguration;
    const body = definition(r);
    if (body !== undefined) {
      const o = readOpenApi(ctx, r.id, 'http', body, r.props.Body !== undefined ? 'Body' : 'BodyS3Location');
      api.routes.push(...o.routes);
      Object.assign(api.authorizers, o.authorizers);
    }
    // Quick create: Target (a function) and RouteKey (default $default).
    if (r.props.Target !== undefined) {
      const fn = integrationFunction(ctx, `${r.id}.Target`, r.props.Target);
      const key = parseRouteKey(ctx, r.id, 'RouteKey', r.props.RouteKey ?? '$default');
      if (fn) api.routes.push({ ...key, function: fn, source: `${r.id}.Target` });
    }
    apis.set(r.id, api);
  }
  for (const r of byType('AWS::ApiGatewayV2::Stage')) {
    const api = apis.get(refId(r.props.ApiId) ?? '');
    if (api && !api.sam && typeof r.props.StageName === 'string') api.stage = r.props.StageName;
  }
  for (const r of byType('AWS::ApiGatewayV2::Authorizer')) {
    const api = apis.get(refId(r.props.ApiId) ?? '');
    if (!api) continue;
    const kind = String(r.props.AuthorizerType ?? '').toUpperCase();
    const sources = list(r.props.IdentitySource);
    const authorizerFn = functionFromUri(r.props.AuthorizerUri);
    if (kind === 'JWT') {
      const jwt = isRecord(r.props.JwtConfiguration) ? r.props.JwtConfiguration : {};
      if (typeof jwt.Issuer !== 'string') ctx.fail(r.id, 'JwtConfiguration.Issuer', 'is required');
      api.authorizers[r.id] = { type: 'jwt', identity_source: sources[0] ?? '$request.header.Authorization', issuer: jwt.Issuer, audience: list(jwt.Audience) };
    } else if (kind === 'REQUEST' && authorizerFn) {
      api.authorizers[r.id] = {
        type: 'request',
        function: authorizerFn,
        identity_sources: sources,
        ttl_seconds: sources.length ? ttl(r.props.AuthorizerResultTtlInSeconds, 300) : 0,
        payload_format_version: versionText(r.props.AuthorizerPayloadFormatVersion) === '1.0' ? '1.0' : '2.0',
        simple_responses: r.props.EnableSimpleResponses === true,
      };
    } else {
      ctx.warn(`${r.id}: authorizer type ${kind || '(none)'} is not emulated; routes using it are served without authorization`);
    }
  }
  // `service`: a direct service integration, checked here; its function is added once a route uses it.
  const integrations = new Map<string, { fn?: string; service?: ServiceIntegration; proxy?: AwsIntegration; version?: string }>();
  for (const r of byType('AWS::ApiGatewayV2::Integration')) {
    const itype = String(r.props.IntegrationType ?? '').toUpperCase();
    if (itype === 'HTTP_PROXY') {
      const proxy = readHttpApiProxyIntegration(ctx, { logicalId: r.id, field: '', where: r.id, resourcePath: '/' }, { form: 'cfn', uri: r.props.IntegrationUri, httpMethod: r.props.IntegrationMethod, connectionType: r.props.ConnectionType, requestParameters: r.props.RequestParameters, timeoutInMillis: r.props.TimeoutInMillis });
      integrations.set(r.id, proxy ? { proxy } : {});
      continue;
    }
    if (itype !== 'AWS_PROXY') {
      ctx.warn(`${r.id}: IntegrationType ${itype || '(none)'} is not emulated (only AWS_PROXY and HTTP_PROXY); routes using it are not served`);
      integrations.set(r.id, {});
      continue;
    }
    const subtype = r.props.IntegrationSubtype;
    if (isServedSubtype(subtype)) {
      integrations.set(r.id, { service: readServiceIntegration(ctx, { logicalId: r.id, field: '', parametersField: 'RequestParameters', timeoutField: 'TimeoutInMillis' }, subtype, r.props.RequestParameters, r.props.TimeoutInMillis) });
      continue;
    }
    integrations.set(r.id, { fn: integrationFunction(ctx, `${r.id}.IntegrationUri`, r.props.IntegrationUri, subtype), version: versionText(r.props.PayloadFormatVersion) });
  }
  for (const r of byType('AWS::ApiGatewayV2::Route')) {
    const api = apis.get(refId(r.props.ApiId) ?? '');
    if (!api) {
      ctx.warn(`${r.id}: ApiId ${JSON.stringify(r.props.ApiId)} is neither an AWS::ApiGatewayV2::Api nor an AWS::Serverless::HttpApi of this template; the route is not served`);
      continue;
    }
    const key = parseRouteKey(ctx, r.id, 'RouteKey', r.props.RouteKey);
    const target = typeof r.props.Target === 'string' ? /^integrations\/(.+)$/.exec(r.props.Target)?.[1] : undefined;
    const integration = target ? integrations.get(target) : undefined;
    if (!integration) {
      ctx.warn(`${r.id}: ${r.props.RouteKey}: Target ${JSON.stringify(r.props.Target)} is not "integrations/<an AWS::ApiGatewayV2::Integration of this template>"; the route is not served`);
      continue;
    }
    if (integration.service && target) integration.fn ??= ctx.serviceFunction(target, target, integration.service);
    if (integration.proxy && target) integration.fn ??= ctx.awsIntegrationFunction(target, target, integration.proxy);
    if (!integration.fn) continue;
    // A service integration's version (1.0, as AWS requires) is left out: its built-in function
    // reads either, and the API's Lambda routes keep theirs.
    if (integration.version === '1.0') api.payloadFormatVersion = '1.0';
    const route: ApiRoute = { ...key, function: integration.fn, source: r.id };
    const auth = authorizerAuth(ctx, r, api, ['JWT', 'CUSTOM']);
    if (auth) route.auth = auth;
    api.routes.push(route);
  }
  return [...apis.values()].filter((a) => !a.sam || a.routes.length > 0 || Object.keys(a.authorizers).length > 0);
}

/** `GET /items/{id}`, `ANY /{proxy+}` or `$default`. */
function parseRouteKey(ctx: ApiReadContext, id: string, field: string, v: unknown): { path: string; method: Route['method'] } {
  if (v === '$default') return { path: '$default', method: 'ANY' };
  const m = typeof v === 'string' ? /^([A-Za-z]+)\s+(\/\S*)$/.exec(v.trim()) : null;
  if (!m || !METHODS.has(m[1].toUpperCase())) return ctx.fail(id, field, `${JSON.stringify(v)} must be "METHOD /path" or "$default"`);
  return { path: m[2], method: m[1].toUpperCase() as Route['method'] };
}
