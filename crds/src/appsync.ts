// AWS AppSync GraphQL APIs (docs/appsync.md): a template's API is served by esb's built-in
// function deploy/runtime/appsync.mjs at `POST /graphql` of the stack's host; this is the
// configuration it is given (the `ESB_APPSYNC` variable, JSON), written when the template is read.
import { z } from 'zod';

/** The variable the built-in function reads its API from. */
export const APPSYNC_CONFIG_ENV = 'ESB_APPSYNC';
/** The path an AppSync API answers GraphQL at. */
export const APPSYNC_PATH = '/graphql';

/**
 * The path an API is also served at on the bare host, by its id: where a function's
 * `!GetAtt Api.GraphQLUrl` (`https://<id>.appsync-api.<region>.amazonaws.com/graphql`) is put on
 * the gateway (docs/appsync.md).
 */
export function appSyncApiPath(apiId: string): string {
  return `/appsync-api/${apiId}/graphql`;
}

/** An AppSync GraphQL URL: `https://<id>.appsync-api.<region>.amazonaws.com/graphql` (the scheme may be missing). */
export const APPSYNC_URL = /^((?:https?):\/\/)?([a-z0-9]+)\.appsync-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?::\d+)?\/graphql(?=[?#]|$)/;

/** The API an AppSync API ARN names (`arn:aws:appsync:<region>:<account>:apis/<id>`, what `!GetAtt Api.Arn` / `.GraphQLEndpointArn` give); undefined for anything else. */
export function appSyncApiIdOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:appsync:[a-z0-9-]*:\d{12}:apis\/([A-Za-z0-9]+)$/.exec(arn)?.[1];
}

/** How a caller may authenticate: the API's default mode first, then its additional ones. */
export const AppSyncAuthMode = z.discriminatedUnion('type', [
  z.object({ type: z.literal('API_KEY') }),
  z.object({ type: z.literal('AWS_IAM') }),
  /** A user pool's JWT in `Authorization` (its claims reach resolvers as `identity`). */
  z.object({ type: z.literal('AMAZON_COGNITO_USER_POOLS'), user_pool_id: z.string().optional(), app_id_client_regex: z.string().optional() }),
  z.object({ type: z.literal('OPENID_CONNECT'), issuer: z.string().min(1), client_id: z.string().optional() }),
  /** A Lambda authorizer: `{authorizationToken, requestContext}` in, `{isAuthorized, resolverContext, deniedFields, ttlOverride}` out. */
  z.object({ type: z.literal('AWS_LAMBDA'), function: z.string().min(1), identity_validation_expression: z.string().optional(), ttl_seconds: z.number().int().min(0).max(3600).default(300) }),
]);
export type AppSyncAuthMode = z.infer<typeof AppSyncAuthMode>;

export const AppSyncDataSource = z.discriminatedUnion('type', [
  /** Invoked through the Lambda Invoke API (AWS_ENDPOINT_URL_LAMBDA). */
  z.object({ type: z.literal('AWS_LAMBDA'), function: z.string().min(1) }),
  /** A table of the embedded DynamoDB (AWS_ENDPOINT_URL_DYNAMODB). */
  z.object({ type: z.literal('AMAZON_DYNAMODB'), table: z.string().min(1) }),
  /** A local resolver: the request's `payload` is the result. */
  z.object({ type: z.literal('NONE') }),
  /** An HTTP endpoint; `signing` signs requests with SigV4 (an AWS service's API). */
  z.object({ type: z.literal('HTTP'), endpoint: z.string().min(1), signing: z.object({ region: z.string(), service: z.string() }).optional() }),
  /** PutEvents on a bus of the template (AWS_ENDPOINT_URL_EVENTBRIDGE). */
  z.object({ type: z.literal('AMAZON_EVENTBRIDGE'), bus: z.string().min(1) }),
]);
export type AppSyncDataSource = z.infer<typeof AppSyncDataSource>;

/**
 * One step's code: a JavaScript resolver or function (`APPSYNC_JS`: an ES module exporting
 * `request(ctx)` and `response(ctx)`), or Velocity mapping templates. A step with neither, on a
 * Lambda data source, is a direct Lambda resolver.
 */
export const AppSyncCode = z.object({
  js: z.string().optional(),
  request_template: z.string().optional(),
  response_template: z.string().optional(),
});
export type AppSyncCode = z.infer<typeof AppSyncCode>;

/** A pipeline function (AWS::AppSync::FunctionConfiguration). */
export const AppSyncFunction = AppSyncCode.extend({
  data_source: z.string().min(1),
  /** Lambda batching of a direct resolver (BatchInvoke); 0: none. */
  max_batch_size: z.number().int().min(0).max(2000).default(0),
});
export type AppSyncFunction = z.infer<typeof AppSyncFunction>;

export const AppSyncResolver = AppSyncCode.extend({
  type_name: z.string().min(1),
  field_name: z.string().min(1),
  kind: z.enum(['UNIT', 'PIPELINE']).default('UNIT'),
  /** UNIT: the data source it calls. */
  data_source: z.string().optional(),
  /** PIPELINE: the functions it runs in order (their names); its own code runs before and after them. */
  functions: z.array(z.string().min(1)).default([]),
  max_batch_size: z.number().int().min(0).max(2000).default(0),
});
export type AppSyncResolver = z.infer<typeof AppSyncResolver>;

export const AppSyncApi = z.object({
  name: z.string().min(1),
  /** The API id `!GetAtt Api.ApiId` gives (also in `$ctx.request` and ARNs). */
  api_id: z.string().min(1),
  /** The schema in SDL, AppSync's directives and scalars included as written. */
  schema: z.string().min(1),
  /** The default mode first. */
  auth: z.array(AppSyncAuthMode).min(1),
  /** The values `x-api-key` may carry (the template's AWS::AppSync::ApiKey resources). */
  api_keys: z.array(z.string().min(1)).default([]),
  data_sources: z.record(z.string().min(1), AppSyncDataSource).default({}),
  functions: z.record(z.string().min(1), AppSyncFunction).default({}),
  resolvers: z.array(AppSyncResolver).default([]),
});
export type AppSyncApi = z.infer<typeof AppSyncApi>;
