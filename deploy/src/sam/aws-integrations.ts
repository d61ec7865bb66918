// REST API methods whose integration calls an AWS service, or invokes a Lambda function, with
// Velocity mapping templates (integration type AWS, docs/gateway.md "AWS integrations (REST
// APIs)"): esb serves each with a built-in function (deploy/runtime/aws-integration.mjs), so the
// gateway routes to it as to any function. This reads and checks the integration, in its
// CloudFormation form (AWS::ApiGateway::Method Integration) or its OpenAPI form
// (x-amazon-apigateway-integration), and describes that function; WebSocket routes' AWS
// integrations use it too (docs/generate.md, "WebSocket APIs"). Pure: property values come in resolved.
import { qualifierOf, stateMachineNameOf } from '@esb/contracts';
import { createRequire } from 'node:module';
import type { ApiReadContext } from './cfn-apis.js';
import { functionOfArn } from './delivery.js';
import type { FunctionModel } from './model.js';
import { isRecord } from './resolver.js';

/** The built-in handler's file under deploy/runtime/, and how Lambda names it. */
const AWS_INTEGRATION_CODE = { file: 'aws-integration.mjs', handler: 'aws-integration.handler', runtime: 'nodejs20.x' } as const;

/** The services esb runs, and the URI forms it serves for each. */
const SERVICES: Record<string, { name: string; forms: ReadonlyArray<'action' | 'path'> }> = {
  dynamodb: { name: 'DynamoDB', forms: ['action'] },
  states: { name: 'Step Functions', forms: ['action'] },
  events: { name: 'EventBridge', forms: ['action'] },
  sns: { name: 'SNS', forms: ['action', 'path'] },
  sqs: { name: 'SQS', forms: ['action', 'path'] },
  kinesis: { name: 'Kinesis', forms: ['action'] },
  s3: { name: 'S3', forms: ['path'] },
  lambda: { name: 'Lambda', forms: ['path'] },
};
const SERVED = 'DynamoDB, Step Functions, EventBridge, SNS, SQS, Kinesis, S3 (path/ URIs) and Lambda custom integrations';
/** The integration types served with mapping templates (HTTP_PROXY passes the request through). */
export type MappedIntegrationType = 'AWS' | 'HTTP' | 'HTTP_PROXY' | 'MOCK';
const PASSTHROUGH = ['WHEN_NO_MATCH', 'WHEN_NO_TEMPLATES', 'NEVER'] as const;
/** REST APIs' default integration timeout. */
const DEFAULT_TIMEOUT_MILLIS = 29_000;
const URI = /^arn:aws[\w-]*:apigateway:(.+?):([a-z0-9.-]+):(action|path)\/(.*)$/;
/** The path of a Lambda custom integration's URI: the Invoke API's, around the function's ARN. */
const LAMBDA_PATH = /^2015-03-31\/functions\/(.+)\/invocations$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
/** Where a request parameter may come from, and what an integration response header may take. */
const REQUEST_TARGET = /^integration\.request\.(header|querystring|path)\.[^\s]+$/;
const REQUEST_SOURCE = /^(?:'[^]*'|method\.request\.(?:path|querystring|multivaluequerystring|header|multivalueheader)\.[^\s]+|method\.request\.body(?:\.[^\s]+)?|context\.[A-Za-z0-9_.-]+|stageVariables\.[A-Za-z0-9_]+)$/;
const RESPONSE_TARGET = /^method\.response\.header\.[^\s]+$/;
const RESPONSE_SOURCE = /^(?:'[^]*'|integration\.response\.(?:header|multivalueheader)\.[^\s]+|integration\.response\.body(?:\.[^\s]+)?|context\.[A-Za-z0-9_.-]+|stageVariables\.[A-Za-z0-9_]+)$/;
const STATE_MACHINE_ARN = /arn:aws[\w-]*:states:[^:"\s]*:[^:"\s]*:stateMachine:[A-Za-z0-9_-]+/g;

// Loaded when a template has a mapping template to check: `esb deploy` imports this package to start.
const require = createRequire(import.meta.url);
const parseVelocity = (text: string): unknown => (require('velocityjs') as typeof import('velocityjs')).parse(text);

export interface IntegrationResponse {
  /** A regular expression the service's status code (Lambda: a failed function's errorMessage) must match whole; absent: the default response. */
  selectionPattern?: string;
  statusCode: number;
  /** Content type -> Velocity template. */
  responseTemplates: Record<string, string>;
  /** `method.response.header.X` -> `'literal'`, `integration.response.header.Y`, ... */
  responseParameters: Record<string, string>;
}

/** What the built-in function is configured with (ESB_AWS_INTEGRATION), and its timeout. */
export interface AwsIntegration {
  /** An AWS service, `http` (HTTP and HTTP_PROXY integrations) or `mock` (MOCK). */
  service: string;
  /** HTTP and HTTP_PROXY: the URL called, `{name}` filled from the path parameters. */
  url?: string;
  /** HTTP_PROXY: the request passes through to `url` and the answer back, no templates. */
  proxy?: true;
  /** `action/<Action>` of the URI. */
  action?: string;
  /** `path/<path>` of the URI (an SQS queue's `<account>/<name>`); none for Lambda. */
  path?: string;
  /** Lambda: the function invoked (its name). */
  function?: string;
  /** Lambda: the version or alias the URI names (esb runs one version; a durable function needs one named, docs/durable-functions.md). */
  qualifier?: string;
  httpMethod: string;
  requestTemplates: Record<string, string>;
  passthroughBehavior: (typeof PASSTHROUGH)[number];
  requestParameters: Record<string, string>;
  responses: IntegrationResponse[];
  /** The method's resource path (`/notes/{id}`). */
  resourcePath: string;
  timeoutSeconds: number;
}

/** Where an integration is written, for errors and warnings. */
export interface AwsIntegrationSite {
  logicalId: string;
  /** The integration's own field: `Integration` of a method, the OpenAPI operation's `...x-amazon-apigateway-integration`. */
  field: string;
  /** How warnings name the method (`GetNote: GET /notes/{id}`, `Api.DefinitionBody.paths["/notes"].get`). */
  where: string;
  resourcePath: string;
}

/** The integration as written, its fields named as the form spells them. */
interface Written {
  /** `websocket`: an AWS::ApiGatewayV2::Integration of a WebSocket API, its responses resources of their own. */
  form: 'cfn' | 'openapi' | 'websocket';
  type: MappedIntegrationType;
  connectionType?: unknown;
  uri: unknown;
  httpMethod: unknown;
  requestTemplates: unknown;
  passthroughBehavior: unknown;
  requestParameters: unknown;
  /** Each response with the field it is written at (in `logicalId` when it is a resource of its own); `pattern` undefined for the default. */
  responses: Array<{ logicalId?: string; field: string; patternField: string; pattern: unknown; statusCode: unknown; templates: unknown; parameters: unknown }>;
  timeoutInMillis: unknown;
  contentHandling: unknown;
}

type Ctx = Pick<ApiReadContext, 'warn' | 'fail'>;

/** An `AWS::ApiGateway::Method`'s `Integration` of type AWS, HTTP, HTTP_PROXY or MOCK; undefined (with a warning) for a service esb does not run. */
export function readCfnAwsIntegration(ctx: Ctx, site: AwsIntegrationSite, integration: Record<string, unknown>): AwsIntegration | undefined {
  const responses = integration.IntegrationResponses;
  if (responses !== undefined && !Array.isArray(responses)) ctx.fail(site.logicalId, `${site.field}.IntegrationResponses`, 'must be a list of responses (StatusCode, SelectionPattern, ResponseTemplates, ResponseParameters)');
  return read(ctx, site, {
    form: 'cfn',
    type: mappedType(integration.Type),
    connectionType: integration.ConnectionType,
    uri: integration.Uri,
    httpMethod: integration.IntegrationHttpMethod,
    requestTemplates: integration.RequestTemplates,
    passthroughBehavior: integration.PassthroughBehavior,
    requestParameters: integration.RequestParameters,
    responses: ((responses as unknown[] | undefined) ?? []).map((r, i) => {
      const field = `IntegrationResponses[${i}]`;
      if (!isRecord(r)) ctx.fail(site.logicalId, `${site.field}.${field}`, 'must be a map (StatusCode, SelectionPattern, ResponseTemplates, ResponseParameters)');
      const pattern = r.SelectionPattern === '' ? undefined : r.SelectionPattern;
      return { field, patternField: `${field}.SelectionPattern`, pattern, statusCode: r.StatusCode, templates: r.ResponseTemplates, parameters: r.ResponseParameters };
    }),
    timeoutInMillis: integration.TimeoutInMillis,
    contentHandling: integration.ContentHandling,
  });
}

/** An OpenAPI `x-amazon-apigateway-integration` of type aws, http, http_proxy or mock; undefined (with a warning) for a service esb does not run. */
export function readOpenApiAwsIntegration(ctx: Ctx, site: AwsIntegrationSite, integration: Record<string, unknown>): AwsIntegration | undefined {
  const responses = integration.responses;
  if (responses !== undefined && !isRecord(responses)) ctx.fail(site.logicalId, `${site.field}.responses`, 'must be a map of selection pattern ("default" for the default response) to response (statusCode, responseTemplates, responseParameters)');
  return read(ctx, site, {
    form: 'openapi',
    type: mappedType(integration.type),
    connectionType: integration.connectionType,
    uri: integration.uri,
    httpMethod: integration.httpMethod,
    requestTemplates: integration.requestTemplates,
    passthroughBehavior: integration.passthroughBehavior,
    requestParameters: integration.requestParameters,
    responses: Object.entries((responses as Record<string, unknown> | undefined) ?? {}).map(([key, r]) => {
      const field = `responses["${key}"]`;
      if (!isRecord(r)) ctx.fail(site.logicalId, `${site.field}.${field}`, 'must be a map (statusCode, responseTemplates, responseParameters)');
      return { field, patternField: field, pattern: key === 'default' ? undefined : key, statusCode: r.statusCode, templates: r.responseTemplates, parameters: r.responseParameters };
    }),
    timeoutInMillis: integration.timeoutInMillis,
    contentHandling: integration.contentHandling,
  });
}

/**
 * An HTTP API's HTTP_PROXY integration (an AWS::ApiGatewayV2::Integration, or an OpenAPI
 * `type: http_proxy`): the request passes through to the URL. HTTP APIs' own parameter mapping
 * (`overwrite:header.x`, ...) is a warning, not applied.
 */
export function readHttpApiProxyIntegration(ctx: Ctx, site: AwsIntegrationSite, w: { form: 'cfn' | 'openapi'; uri: unknown; httpMethod: unknown; connectionType: unknown; requestParameters: unknown; timeoutInMillis: unknown }): AwsIntegration | undefined {
  if (w.requestParameters !== undefined) ctx.warn(`${site.where}: ${w.form === 'cfn' ? 'RequestParameters' : 'requestParameters'} of an HTTP API are not applied; the request passes through as it came`);
  return read(ctx, site, { ...w, type: 'HTTP_PROXY', requestParameters: undefined, requestTemplates: undefined, passthroughBehavior: undefined, responses: [], contentHandling: undefined });
}

/**
 * A WebSocket API's AWS integration (docs/generate.md, "WebSocket APIs"): `requestTemplates` and
 * each response's `templates` hold the one template its selection expression picks, which
 * becomes the `application/json` one (the gateway passes messages as that type).
 */
export function readWebSocketAwsIntegration(
  ctx: Ctx,
  site: AwsIntegrationSite,
  integration: Record<string, unknown>,
  requestTemplates: Record<string, unknown> | undefined,
  responses: Array<{ logicalId: string; pattern?: string; statusCode: number; templates?: Record<string, unknown> }>,
): AwsIntegration | undefined {
  const params = integration.RequestParameters;
  // route.request.* is the WebSocket name of method.request.*.
  const requestParameters = isRecord(params) ? Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/^route\.request\./, 'method.request.') : v])) : params;
  const aws = read(ctx, site, {
    form: 'websocket',
    type: 'AWS',
    uri: integration.IntegrationUri,
    httpMethod: integration.IntegrationMethod,
    requestTemplates,
    passthroughBehavior: integration.PassthroughBehavior,
    requestParameters,
    responses: responses.map((r) => ({ logicalId: r.logicalId, field: '', patternField: 'IntegrationResponseKey', pattern: r.pattern, statusCode: r.statusCode, templates: r.templates, parameters: undefined })),
    timeoutInMillis: integration.TimeoutInMillis,
    // Messages pass as text: CONVERT_TO_TEXT is what esb does.
    contentHandling: String(integration.ContentHandlingStrategy ?? 'CONVERT_TO_TEXT').toUpperCase() === 'CONVERT_TO_TEXT' ? undefined : integration.ContentHandlingStrategy,
  });
  const asJson = (t: Record<string, string>) => Object.fromEntries(Object.values(t).slice(0, 1).map((text) => ['application/json', text]));
  return aws && { ...aws, requestTemplates: asJson(aws.requestTemplates), responses: aws.responses.map((r) => ({ ...r, responseTemplates: asJson(r.responseTemplates) })) };
}

function read(ctx: Ctx, site: AwsIntegrationSite, w: Written): AwsIntegration | undefined {
  const name = (cfnName: string, openApiName: string, webSocketName = cfnName) => (w.form === 'openapi' ? openApiName : w.form === 'websocket' ? webSocketName : cfnName);
  const path = (...parts: string[]) => parts.filter(Boolean).join('.');
  const at = (f: string) => path(site.field, f);
  const fail = (f: string, reason: string): never => ctx.fail(site.logicalId, at(f), reason);

  const uriField = name('Uri', 'uri', 'IntegrationUri');
  if (w.type !== 'AWS') return readHttpOrMock(ctx, site, w, name);
  if (typeof w.uri !== 'string') return fail(uriField, 'is required: arn:aws:apigateway:<region>:<service>:action/<Action> or :path/<path>');
  const m = URI.exec(w.uri);
  if (!m) return fail(uriField, `${JSON.stringify(w.uri)} is not arn:aws:apigateway:<region>:<service>:action/<Action> or :path/<path>`);
  const [, , service, form, rest] = m;
  const known = SERVICES[service];
  if (!known || !known.forms.includes(form as 'action' | 'path')) {
    ctx.warn(`${site.where}: AWS integration with ${known ? `${service} ${form}/ URIs` : service} is not emulated (esb serves ${SERVED}); the method is not served`);
    return undefined;
  }
  if (form === 'action' && !/^[A-Za-z]+$/.test(rest)) return fail(uriField, `${JSON.stringify(w.uri)} must end in action/<Action> (PutItem, StartExecution, ...)`);
  // A Lambda custom integration invokes the function its URI names by ARN (docs/gateway.md, "AWS integrations (REST APIs)").
  const lambdaArn = service === 'lambda' ? LAMBDA_PATH.exec(rest)?.[1] ?? '' : '';
  const fn = service === 'lambda' ? functionOfArn(lambdaArn) : undefined;
  const qualifier = fn !== undefined ? qualifierOf(lambdaArn) : undefined;
  if (service === 'lambda' && fn === undefined) return fail(uriField, `${JSON.stringify(w.uri)} must be arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations`);

  const httpMethod = w.httpMethod === undefined ? 'POST' : String(w.httpMethod).toUpperCase();
  const methodField = name('IntegrationHttpMethod', 'httpMethod', 'IntegrationMethod');
  if (!METHODS.has(httpMethod)) fail(methodField, `must be an HTTP method (POST for AWS integrations), not ${JSON.stringify(w.httpMethod)}`);
  if (fn !== undefined && httpMethod !== 'POST') ctx.warn(`${site.where}: ${methodField} ${httpMethod}: Lambda is invoked with POST, and esb invokes it so`);

  return {
    service,
    ...(fn !== undefined ? { function: fn, ...(qualifier ? { qualifier } : {}) } : form === 'action' ? { action: rest } : { path: rest }),
    httpMethod: fn !== undefined ? 'POST' : httpMethod,
    ...mapping(ctx, site, w, name, fn !== undefined ? 'lambda' : 'service'),
  };
}

type Namer = (cfnName: string, openApiName: string, webSocketName?: string) => string;

/** The templates, parameters, responses and timeout of an integration with mapping templates. */
function mapping(ctx: Ctx, site: AwsIntegrationSite, w: Written, name: Namer, kind: 'lambda' | 'service' | 'proxy'): Omit<AwsIntegration, 'service' | 'httpMethod'> {
  const lambda = kind === 'lambda';
  const path = (...parts: string[]) => parts.filter(Boolean).join('.');
  const at = (f: string) => path(site.field, f);
  const fail = (f: string, reason: string): never => ctx.fail(site.logicalId, at(f), reason);
  const passthroughField = name('PassthroughBehavior', 'passthroughBehavior');
  const passthrough = w.passthroughBehavior === undefined ? 'WHEN_NO_MATCH' : String(w.passthroughBehavior).toUpperCase();
  if (!(PASSTHROUGH as readonly string[]).includes(passthrough)) fail(passthroughField, `must be ${PASSTHROUGH.join(', ')} (any case), not ${JSON.stringify(w.passthroughBehavior)}`);

  const requestTemplates = templates(ctx, site, at(name('RequestTemplates', 'requestTemplates')), w.requestTemplates);
  const requestParameters = parameters(ctx, site, at(name('RequestParameters', 'requestParameters')), w.requestParameters, REQUEST_TARGET, REQUEST_SOURCE, {
    target: 'integration.request.header.<name>, integration.request.querystring.<name> or integration.request.path.<name>',
    source: "a 'literal', method.request.path|querystring|header.<name>, method.request.body[.<path>], context.<name> or stageVariables.<name>",
  });

  const responses: IntegrationResponse[] = [];
  for (const r of w.responses) {
    // A response of its own (WebSocket APIs) is named by its logical id.
    const rs = r.logicalId === undefined ? site : { ...site, logicalId: r.logicalId, field: '' };
    const rat = (f: string) => path(rs.field, r.field, f);
    const status = typeof r.statusCode === 'number' ? r.statusCode : typeof r.statusCode === 'string' && /^\d+$/.test(r.statusCode) ? Number(r.statusCode) : NaN;
    if (!Number.isInteger(status) || status < 100 || status > 599) ctx.fail(rs.logicalId, rat(name('StatusCode', 'statusCode')), `must be an HTTP status code (100 to 599), not ${JSON.stringify(r.statusCode)}`);
    const response: IntegrationResponse = {
      statusCode: status,
      responseTemplates: templates(ctx, rs, rat(name('ResponseTemplates', 'responseTemplates')), r.templates),
      responseParameters: parameters(ctx, rs, rat(name('ResponseParameters', 'responseParameters')), r.parameters, RESPONSE_TARGET, RESPONSE_SOURCE, {
        target: 'method.response.header.<name>',
        source: "a 'literal', integration.response.header.<name>, integration.response.body[.<path>], context.<name> or stageVariables.<name>",
      }),
    };
    if (r.pattern !== undefined) {
      const pattern = typeof r.pattern === 'string' ? r.pattern : ctx.fail(rs.logicalId, path(rs.field, r.patternField), `must be a regular expression (text) matched against ${lambda ? "the function's errorMessage" : "the service's status code"}`);
      try {
        new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        ctx.fail(rs.logicalId, path(rs.field, r.patternField), `is not a regular expression: ${(err as Error).message}`);
      }
      response.selectionPattern = pattern;
    }
    responses.push(response);
  }
  const defaults = responses.filter((r) => r.selectionPattern === undefined);
  if (responses.length === 0 && kind !== 'proxy') ctx.warn(`${site.where}: no ${name('IntegrationResponses', 'responses')}: API Gateway answers every call 500 {"message": "Internal server error"}, and so does esb`);
  else if (defaults.length > 1) ctx.warn(`${site.where}: ${defaults.length} default responses (no ${name('SelectionPattern', 'pattern', 'IntegrationResponseKey')}); the first is used`);

  if (w.contentHandling !== undefined) ctx.warn(`${site.where}: ${name('ContentHandling', 'contentHandling', 'ContentHandlingStrategy')} ${JSON.stringify(w.contentHandling)} is not emulated; bodies pass as text`);

  return {
    requestTemplates,
    passthroughBehavior: passthrough as AwsIntegration['passthroughBehavior'],
    requestParameters,
    responses,
    resourcePath: site.resourcePath,
    timeoutSeconds: timeoutSeconds(ctx, site, at(name('TimeoutInMillis', 'timeoutInMillis')), w.timeoutInMillis),
  };
}

/** HTTP, HTTP_PROXY and MOCK integrations (docs/gateway.md "HTTP and MOCK integrations"). */
function readHttpOrMock(ctx: Ctx, site: AwsIntegrationSite, w: Written, name: Namer): AwsIntegration | undefined {
  const fail = (f: string, reason: string): never => ctx.fail(site.logicalId, [site.field, f].filter(Boolean).join('.'), reason);
  if (w.type === 'MOCK') return { service: 'mock', httpMethod: 'POST', ...mapping(ctx, site, w, name, 'service') };
  const uriField = name('Uri', 'uri', 'IntegrationUri');
  const vpcLink = String(w.connectionType ?? 'INTERNET').toUpperCase() === 'VPC_LINK';
  if (typeof w.uri !== 'string' || !/^https?:\/\/[^\s/]+/.test(w.uri)) {
    // A private integration of an HTTP API names a load balancer's listener (or a Cloud Map service) by ARN: nothing esb can call.
    if (vpcLink) {
      ctx.warn(`${site.where}: the VPC link's target ${JSON.stringify(w.uri)} is not a URL esb can call; the route is not served`);
      return undefined;
    }
    return fail(uriField, `must be the http:// or https:// URL the integration calls, not ${JSON.stringify(w.uri)}`);
  }
  const methodField = name('IntegrationHttpMethod', 'httpMethod', 'IntegrationMethod');
  const httpMethod = w.httpMethod === undefined ? 'ANY' : String(w.httpMethod).toUpperCase();
  if (!METHODS.has(httpMethod) && httpMethod !== 'ANY') fail(methodField, `must be an HTTP method or ANY, not ${JSON.stringify(w.httpMethod)}`);
  if (vpcLink) ctx.warn(`${site.where}: the VPC link is not emulated; esb calls ${w.uri} directly (a parameter naming the host can point it at a local service)`);
  const base = { service: 'http', url: w.uri, httpMethod };
  if (w.type === 'HTTP') return { ...base, ...mapping(ctx, site, w, name, 'service') };
  // HTTP_PROXY: no templates and no integration responses, as API Gateway ignores them there.
  const { requestParameters, resourcePath, timeoutSeconds } = mapping(ctx, site, { ...w, requestTemplates: undefined, responses: [], contentHandling: undefined }, name, 'proxy');
  return { ...base, proxy: true, requestTemplates: {}, passthroughBehavior: 'WHEN_NO_MATCH', requestParameters, responses: [], resourcePath, timeoutSeconds };
}

/** An integration's type as written (any case); what is not one of the mapped types is AWS (the callers chose). */
function mappedType(type: unknown): MappedIntegrationType {
  const t = String(type ?? '').toUpperCase();
  return t === 'HTTP' || t === 'HTTP_PROXY' || t === 'MOCK' ? t : 'AWS';
}

/** Content type -> Velocity template; one velocityjs cannot parse is warned of. */
function templates(ctx: Ctx, site: AwsIntegrationSite, field: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) return ctx.fail(site.logicalId, field, 'must be a map of content type to Velocity template');
  const out: Record<string, string> = {};
  for (const [type, text] of Object.entries(value)) {
    // An empty template is written as null as often as "": both pass the body through.
    if (text === null) continue;
    if (typeof text !== 'string') ctx.fail(site.logicalId, `${field}.${type}`, 'must be text (a Velocity template)');
    try {
      parseVelocity(text);
    } catch (err) {
      // Velocity engines differ in what they let through: the method is kept, as API Gateway keeps it, and fails when run.
      const reason = (err as Error).message.split('\n').filter(Boolean).slice(-1)[0];
      ctx.warn(`${site.logicalId}.${field}.${type}: not a Velocity template esb can run (${reason}); requests it applies to are answered 500 {"message": "Internal server error"}`);
    }
    out[type] = text;
  }
  return out;
}

/** Parameter mappings (`target: source`), each checked against the forms API Gateway takes. */
function parameters(ctx: Ctx, site: AwsIntegrationSite, field: string, value: unknown, target: RegExp, source: RegExp, forms: { target: string; source: string }): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) return ctx.fail(site.logicalId, field, `must be a map of ${forms.target} to ${forms.source}`);
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!target.test(name)) ctx.fail(site.logicalId, `${field}.${name}`, `is not ${forms.target}`);
    if (typeof v !== 'string' || !source.test(v)) ctx.fail(site.logicalId, `${field}.${name}`, `must be ${forms.source}, not ${JSON.stringify(v)}`);
    out[name] = v;
  }
  return out;
}

/** TimeoutInMillis in whole seconds (Lambda's unit), rounded up. */
function timeoutSeconds(ctx: Ctx, site: AwsIntegrationSite, field: string, millis: unknown): number {
  if (millis === undefined) return Math.ceil(DEFAULT_TIMEOUT_MILLIS / 1000);
  const n = typeof millis === 'string' && millis.trim() !== '' ? Number(millis) : millis;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 50) ctx.fail(site.logicalId, field, `must be a whole number of milliseconds (50 or more), not ${JSON.stringify(millis)}`);
  return Math.ceil(n / 1000);
}

/** The queue an SQS `path/<account>/<queue>` integration sends to. */
export function awsIntegrationQueue(integration: AwsIntegration): string | undefined {
  if (integration.service !== 'sqs' || integration.path === undefined) return undefined;
  return /^\d{12}\/([A-Za-z0-9_.-]+)$/.exec(integration.path)?.[1];
}

/** The state machines a Step Functions integration's request templates name by ARN. */
export function awsIntegrationStateMachines(integration: AwsIntegration): string[] {
  if (integration.service !== 'states') return [];
  const names = new Set<string>();
  for (const text of Object.values(integration.requestTemplates)) {
    for (const arn of text.match(STATE_MACHINE_ARN) ?? []) {
      const name = stateMachineNameOf(arn);
      if (name !== undefined) names.add(name);
    }
  }
  return [...names];
}

/** The function a Lambda custom integration invokes. */
export function awsIntegrationTarget(integration: AwsIntegration): string | undefined {
  return integration.service === 'lambda' ? integration.function : undefined;
}

/** The built-in function that serves an integration, under `key`. */
export function awsIntegrationFunction(key: string, name: string, integration: AwsIntegration): FunctionModel {
  const { timeoutSeconds: timeout, ...config } = integration;
  return {
    key,
    logicalId: name,
    resourceType: 'AWS::ApiGateway::Method',
    packageType: 'Zip',
    runtime: AWS_INTEGRATION_CODE.runtime,
    handler: AWS_INTEGRATION_CODE.handler,
    code: { kind: 'builtin', file: AWS_INTEGRATION_CODE.file },
    timeout,
    // It stands in for API Gateway, whose bodies reach 10 MB: room to parse and render them.
    memorySize: 256,
    environment: { ESB_AWS_INTEGRATION: JSON.stringify(config) },
    scaling: {},
    layers: [],
    events: [],
  };
}
