// AppSync GraphQL APIs of a template (docs/generate.md, "AppSync GraphQL APIs"): raw
// AWS::AppSync::* resources and SAM's AWS::Serverless::GraphQLApi, read into the configuration
// of esb's built-in function deploy/runtime/appsync.mjs (`AppSyncApi`, crds/src/appsync.ts),
// which serves each API at `POST /graphql`. Pure: property values come in resolved.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { APPSYNC_CONFIG_ENV, AppSyncApi, busNameOf, type AppSyncAuthMode, type AppSyncCode, type AppSyncDataSource, type AppSyncFunction, type AppSyncResolver } from '@esb/contracts';
import type { ApiReadContext, RawApiResource } from './cfn-apis.js';
import { functionOfArn } from './delivery.js';
import type { FunctionModel } from './model.js';
import { isRecord } from './resolver.js';

export const GRAPHQL_API_TYPE = 'AWS::AppSync::GraphQLApi';
export const SAM_GRAPHQL_API_TYPE = 'AWS::Serverless::GraphQLApi';
const SCHEMA = 'AWS::AppSync::GraphQLSchema';
export const DATA_SOURCE_TYPE = 'AWS::AppSync::DataSource';
export const RESOLVER_TYPE = 'AWS::AppSync::Resolver';
export const FUNCTION_CONFIGURATION_TYPE = 'AWS::AppSync::FunctionConfiguration';
export const API_KEY_TYPE = 'AWS::AppSync::ApiKey';
/** What the reader takes: the API and its parts. */
export const APPSYNC_TYPES = new Set([GRAPHQL_API_TYPE, SAM_GRAPHQL_API_TYPE, SCHEMA, DATA_SOURCE_TYPE, RESOLVER_TYPE, FUNCTION_CONFIGURATION_TYPE, API_KEY_TYPE]);
/** Parts without meaning here: a custom domain (the API is on the stack's host), a cache (results are not cached). */
export const APPSYNC_QUIET_TYPES = new Set(['AWS::AppSync::DomainName', 'AWS::AppSync::DomainNameApiAssociation', 'AWS::AppSync::ApiCache']);
/** AppSync resources esb does not run, and why (warned once per type). */
export const APPSYNC_UNEMULATED_TYPES = new Map([
  ['AWS::AppSync::SourceApiAssociation', 'merged APIs are not emulated'],
  ['AWS::AppSync::Api', 'AppSync Events APIs are not emulated'],
  ['AWS::AppSync::ChannelNamespace', 'AppSync Events APIs are not emulated'],
]);

/** The built-in handler's file under deploy/runtime/, and how Lambda names it. */
const APPSYNC_CODE = { file: 'appsync.mjs', handler: 'appsync.handler', runtime: 'nodejs20.x' } as const;
/** SAM's resolver code when a resolver gives none: run the pipeline, answer its last result. */
export const SAM_DEFAULT_RESOLVER_CODE = `
export function request(ctx) {
    return {};
}

export function response(ctx) {
    return ctx.prev.result;
}
`;
const AUTH_TYPES = ['API_KEY', 'AWS_IAM', 'AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT', 'AWS_LAMBDA'];
const SERVED_SOURCES = ['AWS_LAMBDA', 'AMAZON_DYNAMODB', 'NONE', 'HTTP', 'AMAZON_EVENTBRIDGE'];
/** Services esb runs, by their signing names: an HTTP data source signed for another is warned of. */
const EMULATED_SERVICES = new Set(['states', 'dynamodb', 'events', 'sns', 'sqs', 'lambda', 'kinesis', 'firehose', 'secretsmanager', 'ssm', 's3', 'execute-api', 'appsync']);
/** Above this the variable nears Linux's limit on one environment string (128 KiB). */
const LARGE_CONFIG = 100_000;

// Loaded when a template has an API: `esb deploy` imports this package to start.
const require = createRequire(import.meta.url);

/** `n` lowercase letters and digits from a hash of `seed`: AppSync's ids look so. */
function idOf(seed: string, n = 26): string {
  const h = createHash('sha256').update(seed).digest();
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: n }, (_, i) => abc[h[i] % abc.length]).join('');
}

/** What `!GetAtt Api.ApiId` gives: stable across deploys of the stack. */
export function appSyncApiId(stack: string, logicalId: string): string {
  return idOf(`appsync-api/${stack}/${logicalId}`);
}

/** What `!GetAtt Fn.FunctionId` gives for an AWS::AppSync::FunctionConfiguration. */
export function appSyncFunctionId(stack: string, logicalId: string): string {
  return idOf(`appsync-function/${stack}/${logicalId}`);
}

/** An AWS::AppSync::ApiKey's value (`da2-` and 26 characters, as AppSync makes them), kept across deploys. */
export function appSyncApiKey(stack: string, logicalId: string): string {
  return `da2-${idOf(`appsync-api-key/${stack}/${logicalId}`)}`;
}

export interface AppSyncReadContext extends Pick<ApiReadContext, 'warn' | 'fail'> {
  stack: string;
  /** The template's function keys, to tell a function of this template from another ARN. */
  functionKeys: ReadonlySet<string>;
  /** The names of the template's tables. */
  tables: ReadonlySet<string>;
  /** A local file's text (a path relative to the template); fails naming `logicalId` and `field`. */
  readText(logicalId: string, field: string, location: string): string;
}

/** One API as read: its configuration and where each part is written. */
interface Draft {
  id: string;
  name: string;
  auth: AppSyncAuthMode[];
  schema?: string;
  apiKeys: string[];
  dataSources: Record<string, AppSyncDataSource>;
  /** Names of data sources of types esb does not serve (warned of where they are written). */
  unserved: Set<string>;
  functions: Record<string, AppSyncFunction>;
  /** FunctionId -> key in `functions`; undefined: a function esb does not serve. */
  functionIds: Map<string, string | undefined>;
  resolvers: Array<{ resolver: AppSyncResolver; from: string; fnRefs: Array<{ field: string; id: string }> }>;
}

const at = (base: string, f: string) => (base ? `${base}.${f}` : f);
const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** The template's GraphQL APIs by logical id; `resources`: its active AppSync resources (APPSYNC_TYPES), properties resolved. */
export function readAppSyncApis(ctx: AppSyncReadContext, resources: RawApiResource[]): Map<string, AppSyncApi> {
  const drafts = new Map<string, Draft>();
  const byApiId = new Map<string, Draft>();
  const of = (type: string) => resources.filter((r) => r.type === type);
  /** The API a part's ApiId names; undefined (with a warning) for another. */
  const apiOf = (r: RawApiResource): Draft | undefined => {
    const d = byApiId.get(String(r.props.ApiId));
    if (!d) ctx.warn(`${r.id}: ApiId ${JSON.stringify(r.props.ApiId)} is not the ApiId of a GraphQL API of this template (!GetAtt <Api>.ApiId); not used`);
    return d;
  };

  for (const r of resources.filter((x) => x.type === GRAPHQL_API_TYPE || x.type === SAM_GRAPHQL_API_TYPE)) {
    const sam = r.type === SAM_GRAPHQL_API_TYPE;
    const p = r.props;
    if (!sam && String(p.ApiType ?? 'GRAPHQL').toUpperCase() === 'MERGED') {
      ctx.warn(`${r.id}: merged APIs (ApiType MERGED) are not emulated; not served`);
      continue;
    }
    const name = p.Name === undefined ? r.id : text(p.Name);
    if (name === undefined || name === '') ctx.fail(r.id, 'Name', 'must be text');
    const d: Draft = { id: r.id, name, auth: sam ? samAuth(ctx, r.id, p.Auth) : rawAuth(ctx, r.id, p), apiKeys: [], dataSources: {}, unserved: new Set(), functions: {}, functionIds: new Map(), resolvers: [] };
    drafts.set(r.id, d);
    byApiId.set(appSyncApiId(ctx.stack, r.id), d);
  }

  for (const r of of(SCHEMA)) {
    const d = apiOf(r);
    if (!d) continue;
    const def = codeText(ctx, r.id, '', r.props, 'Definition', 'DefinitionS3Location');
    if (def === undefined) ctx.fail(r.id, 'Definition', 'is required (the schema in SDL), or DefinitionS3Location (a local file)');
    if (d.schema !== undefined) ctx.warn(`${r.id}: ${d.id} has another schema; this one wins`);
    d.schema = def;
  }
  for (const r of of(API_KEY_TYPE)) {
    const d = apiOf(r);
    if (d) d.apiKeys.push(appSyncApiKey(ctx.stack, r.id));
  }
  // SAM's data sources first: a raw function may name one, as a SAM function may name a raw one.
  const samSources = new Map<string, Map<string, string>>();
  for (const r of of(SAM_GRAPHQL_API_TYPE)) {
    const d = drafts.get(r.id);
    if (d) samSources.set(r.id, readSamSources(ctx, d, r.props));
  }
  for (const r of of(DATA_SOURCE_TYPE)) {
    const d = apiOf(r);
    if (d) addDataSource(ctx, d, r.id, '', r.props);
  }
  for (const r of of(FUNCTION_CONFIGURATION_TYPE)) {
    const d = apiOf(r);
    if (!d) continue;
    const name = text(r.props.Name);
    if (!name) ctx.fail(r.id, 'Name', 'is required (text)');
    addFunction(ctx, d, r.id, '', name, appSyncFunctionId(ctx.stack, r.id), dataSourceOf(ctx, d, r.id, 'DataSourceName', r.props.DataSourceName), { ...stepCode(ctx, r.id, '', r.props, 'Code', 'CodeS3Location', true), max_batch_size: batchSize(ctx, r.id, '', r.props.MaxBatchSize) });
  }
  for (const r of of(SAM_GRAPHQL_API_TYPE)) {
    const d = drafts.get(r.id);
    if (d) readSamSteps(ctx, d, r.props, samSources.get(r.id)!);
  }
  for (const r of of(RESOLVER_TYPE)) {
    const d = apiOf(r);
    if (d) readRawResolver(ctx, d, r);
  }

  const apis = new Map<string, AppSyncApi>();
  for (const d of drafts.values()) {
    if (d.schema === undefined) {
      ctx.warn(`${d.id}: no AWS::AppSync::GraphQLSchema gives this API a schema; not served`);
      continue;
    }
    const fields = schemaFields(ctx, d.id, d.schema);
    const resolvers: AppSyncResolver[] = [];
    const index = new Map<string, number>();
    for (const { resolver, from, fnRefs } of d.resolvers) {
      const steps = fnRefs.map(({ field, id }) => {
        if (!d.functionIds.has(id)) ctx.warn(`${from}.${field}: ${JSON.stringify(id)} is not the FunctionId of a function of ${d.id} (!GetAtt <Function>.FunctionId); the resolver is not served`);
        return d.functionIds.get(id);
      });
      // A step on a data source esb does not serve: warned of there.
      if (steps.some((s) => s === undefined)) continue;
      if (resolver.data_source !== undefined && !(resolver.data_source in d.dataSources)) {
        if (!d.unserved.has(resolver.data_source)) ctx.warn(`${from}: data source ${JSON.stringify(resolver.data_source)} is not one of ${d.id}; the resolver is not served`);
        continue;
      }
      const key = `${resolver.type_name}.${resolver.field_name}`;
      if (fields && !fields.has(key)) ctx.fail(...site(from), `${key} is not a field of ${d.id}'s schema`);
      const r = { ...resolver, functions: steps as string[] };
      const seen = index.get(key);
      if (seen !== undefined) {
        ctx.warn(`resolver ${key} of ${d.id} is defined twice; ${from} wins`);
        resolvers[seen] = r;
      } else {
        index.set(key, resolvers.length);
        resolvers.push(r);
      }
    }
    const parsed = AppSyncApi.safeParse({ name: d.name, api_id: appSyncApiId(ctx.stack, d.id), schema: d.schema, auth: d.auth, api_keys: d.apiKeys, data_sources: d.dataSources, functions: d.functions, resolvers });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.fail(d.id, issue.path.join('.'), issue.message);
    }
    if (resolvers.length === 0) ctx.warn(`${d.id}: this API has no resolver esb can serve; every field answers null`);
    if (d.auth.some((a) => a.type === 'API_KEY') && d.apiKeys.length === 0) ctx.warn(`${d.id}: API_KEY authorization without an AWS::AppSync::ApiKey of this API; no key is accepted`);
    apis.set(d.id, parsed.data);
  }
  if (apis.size > 1) ctx.warn(`GraphQL APIs ${[...apis.keys()].join(', ')} share /graphql of the stack's host: the last one answers there; each is served at /appsync-api/<ApiId>/graphql too`);
  return apis;
}

/** `Resolvers.Query.x` of a SAM API is written at the API: `[logicalId, field]` of a `from`. */
function site(from: string): [string, string] {
  const dot = from.indexOf('.');
  return dot < 0 ? [from, 'FieldName'] : [from.slice(0, dot), `${from.slice(dot + 1)}.FieldName`];
}

/** `Type.field` of every field of the schema's object types; undefined when it cannot be parsed here. */
function schemaFields(ctx: AppSyncReadContext, id: string, schema: string): Set<string> | undefined {
  let doc: { definitions: ReadonlyArray<{ kind: string; name?: { value: string }; fields?: ReadonlyArray<{ name: { value: string } }> }> };
  try {
    doc = (require('graphql') as typeof import('graphql')).parse(schema) as unknown as typeof doc;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    return ctx.fail(id, 'Schema', `is not valid GraphQL: ${(err as Error).message.split('\n')[0]}`);
  }
  const out = new Set<string>();
  for (const def of doc.definitions) {
    if ((def.kind === 'ObjectTypeDefinition' || def.kind === 'ObjectTypeExtension') && def.name) for (const f of def.fields ?? []) out.add(`${def.name.value}.${f.name.value}`);
  }
  return out;
}

// ------------------------------------------------------------------ auth

/** One mode: `type` and its config (named as `names` says), at `base`. */
function authMode(ctx: AppSyncReadContext, id: string, base: string, typeField: string, type: unknown, cfg: Record<string, unknown>, names: { lambda: string; oidc: string; pool: string }): AppSyncAuthMode {
  const t = typeof type === 'string' ? type.toUpperCase() : undefined;
  if (!t || !AUTH_TYPES.includes(t)) ctx.fail(id, at(base, typeField), `must be ${AUTH_TYPES.join(', ')}, not ${JSON.stringify(type)}`);
  const conf = (name: string): Record<string, unknown> => {
    const c = cfg[name];
    if (c === undefined) return {};
    if (!isRecord(c)) ctx.fail(id, at(base, name), 'must be a map');
    return c;
  };
  if (t === 'AMAZON_COGNITO_USER_POOLS') {
    const c = conf(names.pool);
    return { type: t, ...(text(c.UserPoolId) ? { user_pool_id: text(c.UserPoolId) } : {}), ...(text(c.AppIdClientRegex) ? { app_id_client_regex: text(c.AppIdClientRegex) } : {}) };
  }
  if (t === 'OPENID_CONNECT') {
    const c = conf(names.oidc);
    const issuer = text(c.Issuer);
    if (!issuer) ctx.fail(id, at(base, `${names.oidc}.Issuer`), 'is required (the issuer URL)');
    return { type: t, issuer, ...(text(c.ClientId) ? { client_id: text(c.ClientId) } : {}) };
  }
  if (t === 'AWS_LAMBDA') {
    const c = conf(names.lambda);
    const field = at(base, `${names.lambda}.AuthorizerUri`);
    const fn = typeof c.AuthorizerUri === 'string' ? functionOfArn(c.AuthorizerUri) : undefined;
    if (fn === undefined) ctx.fail(id, field, `${JSON.stringify(c.AuthorizerUri)} is not a function's ARN (!GetAtt Fn.Arn)`);
    if (!ctx.functionKeys.has(fn)) ctx.warn(`${id}.${field}: function "${fn}" is not defined in this template; it is invoked once a deployed template defines it`);
    const ttl = c.AuthorizerResultTtlInSeconds === undefined ? 300 : Number(c.AuthorizerResultTtlInSeconds);
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) ctx.fail(id, at(base, `${names.lambda}.AuthorizerResultTtlInSeconds`), `must be an integer from 0 to 3600, not ${JSON.stringify(c.AuthorizerResultTtlInSeconds)}`);
    return { type: t, function: fn, ...(text(c.IdentityValidationExpression) ? { identity_validation_expression: text(c.IdentityValidationExpression) } : {}), ttl_seconds: ttl };
  }
  return { type: t as 'API_KEY' | 'AWS_IAM' };
}

const RAW_NAMES = { lambda: 'LambdaAuthorizerConfig', oidc: 'OpenIDConnectConfig', pool: 'UserPoolConfig' };
const SAM_NAMES = { lambda: 'LambdaAuthorizer', oidc: 'OpenIDConnect', pool: 'UserPool' };

function rawAuth(ctx: AppSyncReadContext, id: string, p: Record<string, unknown>): AppSyncAuthMode[] {
  const modes = [authMode(ctx, id, '', 'AuthenticationType', p.AuthenticationType, p, RAW_NAMES)];
  const more = p.AdditionalAuthenticationProviders;
  if (more !== undefined && !Array.isArray(more)) ctx.fail(id, 'AdditionalAuthenticationProviders', 'must be a list');
  for (const [i, a] of ((more as unknown[] | undefined) ?? []).entries()) {
    const base = `AdditionalAuthenticationProviders[${i}]`;
    if (!isRecord(a)) ctx.fail(id, base, 'must be a map (AuthenticationType, ...)');
    modes.push(authMode(ctx, id, base, 'AuthenticationType', a.AuthenticationType, a, RAW_NAMES));
  }
  return modes;
}

function samAuth(ctx: AppSyncReadContext, id: string, auth: unknown): AppSyncAuthMode[] {
  if (!isRecord(auth)) return ctx.fail(id, 'Auth', 'is required (Type, and Additional modes)');
  const modes = [authMode(ctx, id, 'Auth', 'Type', auth.Type, auth, SAM_NAMES)];
  if (auth.Additional !== undefined && !Array.isArray(auth.Additional)) ctx.fail(id, 'Auth.Additional', 'must be a list');
  for (const [i, a] of ((auth.Additional as unknown[] | undefined) ?? []).entries()) {
    const base = `Auth.Additional[${i}]`;
    if (!isRecord(a)) ctx.fail(id, base, 'must be a map (Type, ...)');
    modes.push(authMode(ctx, id, base, 'Type', a.Type, a, SAM_NAMES));
  }
  return modes;
}

// ------------------------------------------------------------------ code

/** Inline text (`inline`) or a local file's (`file`); undefined when neither is given. */
function codeText(ctx: AppSyncReadContext, id: string, base: string, p: Record<string, unknown>, inline: string, file: string): string | undefined {
  if (p[inline] !== undefined && p[file] !== undefined) ctx.fail(id, at(base, file), `and ${inline} exclude each other`);
  if (p[inline] !== undefined) {
    if (typeof p[inline] !== 'string') ctx.fail(id, at(base, inline), 'must be text');
    return p[inline];
  }
  const loc = p[file];
  if (loc === undefined) return undefined;
  if (typeof loc !== 'string' || loc === '') ctx.fail(id, at(base, file), 'must be the path of a local file, relative to the template');
  if (/^s3:\/\//i.test(loc)) ctx.fail(id, at(base, file), `${JSON.stringify(loc)}: S3 locations are not supported; point it at a local file`);
  return ctx.readText(id, at(base, file), loc);
}

/** A resolver's or function's code: JavaScript (Runtime APPSYNC_JS), or Velocity templates (`vtl`: raw resources). */
function stepCode(ctx: AppSyncReadContext, id: string, base: string, p: Record<string, unknown>, inline: string, file: string, vtl: boolean): AppSyncCode {
  const js = codeText(ctx, id, base, p, inline, file);
  const request = vtl ? codeText(ctx, id, base, p, 'RequestMappingTemplate', 'RequestMappingTemplateS3Location') : undefined;
  const response = vtl ? codeText(ctx, id, base, p, 'ResponseMappingTemplate', 'ResponseMappingTemplateS3Location') : undefined;
  if (js !== undefined) {
    const runtime = isRecord(p.Runtime) ? p.Runtime.Name : undefined;
    if (runtime !== 'APPSYNC_JS') ctx.fail(id, at(base, 'Runtime.Name'), `must be APPSYNC_JS with ${inline} or ${file}, not ${JSON.stringify(runtime)}`);
    if (request !== undefined || response !== undefined) ctx.fail(id, at(base, inline), 'and mapping templates exclude each other');
  }
  return { ...(js !== undefined ? { js } : {}), ...(request !== undefined ? { request_template: request } : {}), ...(response !== undefined ? { response_template: response } : {}) };
}

function batchSize(ctx: AppSyncReadContext, id: string, base: string, v: unknown): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2000) ctx.fail(id, at(base, 'MaxBatchSize'), `must be an integer from 0 to 2000, not ${JSON.stringify(v)}`);
  return n;
}

// ------------------------------------------------------------------ data sources, functions, resolvers

/** A data source `p` (raw fields) of `d`, named `p.Name`. */
function addDataSource(ctx: AppSyncReadContext, d: Draft, id: string, base: string, p: Record<string, unknown>): void {
  const name = text(p.Name);
  if (!name) ctx.fail(id, at(base, 'Name'), 'is required (text)');
  if (name in d.dataSources || d.unserved.has(name)) ctx.fail(id, at(base, 'Name'), `"${name}" is the name of another data source of ${d.id}`);
  const type = String(p.Type ?? '').toUpperCase();
  const conf = (field: string): Record<string, unknown> => {
    if (!isRecord(p[field])) ctx.fail(id, at(base, field), `is required for a ${type} data source`);
    return p[field] as Record<string, unknown>;
  };
  let ds: AppSyncDataSource;
  if (type === 'AWS_LAMBDA') {
    const arn = conf('LambdaConfig').LambdaFunctionArn;
    const fn = typeof arn === 'string' ? functionOfArn(arn) : undefined;
    if (fn === undefined) return ctx.fail(id, at(base, 'LambdaConfig.LambdaFunctionArn'), `${JSON.stringify(arn)} is not a function's ARN (!GetAtt Fn.Arn)`);
    if (!ctx.functionKeys.has(fn)) ctx.warn(`${id}: function "${fn}" is not defined in this template; it is invoked once a deployed template defines it`);
    ds = { type, function: fn };
  } else if (type === 'AMAZON_DYNAMODB') {
    const c = conf('DynamoDBConfig');
    const table = text(c.TableName);
    if (!table) return ctx.fail(id, at(base, 'DynamoDBConfig.TableName'), 'is required (!Ref Table)');
    if (!ctx.tables.has(table)) ctx.warn(`${id}: table "${table}" is not declared in this template; resolvers find it once a deployed template declares it`);
    if (c.Versioned === true || c.Versioned === 'true' || c.DeltaSyncConfig !== undefined) ctx.warn(`${id}: versioned data sources (conflict detection, delta sync) are not emulated; items are written as they come`);
    ds = { type, table };
  } else if (type === 'NONE') ds = { type };
  else if (type === 'HTTP') {
    const c = conf('HttpConfig');
    const endpoint = text(c.Endpoint);
    if (!endpoint || !/^https?:\/\//i.test(endpoint)) return ctx.fail(id, at(base, 'HttpConfig.Endpoint'), `must be an http(s):// URL, not ${JSON.stringify(c.Endpoint)}`);
    const az = isRecord(c.AuthorizationConfig) ? c.AuthorizationConfig : undefined;
    const iam = az && isRecord(az.AwsIamConfig) ? az.AwsIamConfig : undefined;
    ds = { type, endpoint, ...(iam ? { signing: { region: String(iam.SigningRegion ?? ''), service: String(iam.SigningServiceName ?? '') } } : {}) };
    if (iam && !EMULATED_SERVICES.has(String(iam.SigningServiceName))) ctx.warn(`${id}: an HTTP data source signed for ${JSON.stringify(iam.SigningServiceName)}, a service esb does not emulate`);
  } else if (type === 'AMAZON_EVENTBRIDGE') {
    const arn = conf('EventBridgeConfig').EventBusArn;
    const bus = typeof arn === 'string' && /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\//.test(arn) ? busNameOf(arn) : undefined;
    if (!bus) return ctx.fail(id, at(base, 'EventBridgeConfig.EventBusArn'), `${JSON.stringify(arn)} is not an event bus's ARN (!GetAtt Bus.Arn)`);
    ds = { type, bus };
  } else {
    if (!type) ctx.fail(id, at(base, 'Type'), `is required (${SERVED_SOURCES.join(', ')}, ...)`);
    ctx.warn(`${id}: ${type} data sources are not emulated (esb serves ${SERVED_SOURCES.join(', ')}); resolvers using "${name}" are not served`);
    d.unserved.add(name);
    return;
  }
  d.dataSources[name] = ds;
}

/** The data source a step names, checked against `d`'s; undefined (warned) for one esb does not serve. */
function dataSourceOf(ctx: AppSyncReadContext, d: Draft, id: string, field: string, v: unknown): string | undefined {
  const name = text(v);
  if (!name) return ctx.fail(id, field, 'is required (!GetAtt DataSource.Name)');
  if (name in d.dataSources) return name;
  if (!d.unserved.has(name)) ctx.warn(`${id}: ${field} "${name}" is not a data source of ${d.id}; not served`);
  return undefined;
}

function addFunction(ctx: AppSyncReadContext, d: Draft, id: string, base: string, name: string, functionId: string, dataSource: string | undefined, fn: Omit<AppSyncFunction, 'data_source'>): void {
  if (dataSource === undefined) {
    d.functionIds.set(functionId, undefined);
    return;
  }
  // Names may repeat in AppSync (the id tells functions apart): a repeat is keyed by its logical id.
  let key = name;
  if (key in d.functions) {
    key = base ? `${id}.${base}` : id;
    ctx.warn(`${key}: ${d.id} has another function named "${name}"; this one is keyed "${key}"`);
  }
  d.functions[key] = { ...fn, data_source: dataSource };
  d.functionIds.set(functionId, key);
}

function readRawResolver(ctx: AppSyncReadContext, d: Draft, r: RawApiResource): void {
  const p = r.props;
  const type = text(p.TypeName);
  const field = text(p.FieldName);
  if (!type) ctx.fail(r.id, 'TypeName', 'is required (Query, Mutation, a type of the schema)');
  if (!field) ctx.fail(r.id, 'FieldName', 'is required');
  const kind = String(p.Kind ?? 'UNIT').toUpperCase();
  if (kind !== 'UNIT' && kind !== 'PIPELINE') ctx.fail(r.id, 'Kind', `must be UNIT or PIPELINE, not ${JSON.stringify(p.Kind)}`);
  const code = stepCode(ctx, r.id, '', p, 'Code', 'CodeS3Location', true);
  if (p.SyncConfig !== undefined) ctx.warn(`${r.id}.SyncConfig: conflict detection is not emulated`);
  const resolver: AppSyncResolver = { type_name: type, field_name: field, kind: kind as 'UNIT' | 'PIPELINE', functions: [], max_batch_size: batchSize(ctx, r.id, '', p.MaxBatchSize), ...code };
  const fnRefs: Draft['resolvers'][number]['fnRefs'] = [];
  if (kind === 'UNIT') {
    const ds = text(p.DataSourceName);
    if (!ds) ctx.fail(r.id, 'DataSourceName', 'is required for a UNIT resolver (!GetAtt DataSource.Name)');
    resolver.data_source = ds;
    if (code.js === undefined && code.request_template === undefined && d.dataSources[ds] !== undefined && d.dataSources[ds].type !== 'AWS_LAMBDA') ctx.fail(r.id, 'RequestMappingTemplate', `is required (or Code) on a ${d.dataSources[ds].type} data source; only a Lambda one takes none (a direct Lambda resolver)`);
  } else {
    const pc = isRecord(p.PipelineConfig) ? p.PipelineConfig.Functions : undefined;
    if (!Array.isArray(pc) || pc.length === 0) ctx.fail(r.id, 'PipelineConfig.Functions', 'is required for a PIPELINE resolver (a list of !GetAtt Function.FunctionId)');
    pc.forEach((f, i) => fnRefs.push({ field: `PipelineConfig.Functions[${i}]`, id: String(f) }));
  }
  d.resolvers.push({ resolver, from: r.id, fnRefs });
}

// ------------------------------------------------------------------ AWS::Serverless::GraphQLApi

// SAM's parts of an API, read as SAM makes AppSync resources of them.
const samMap = (ctx: AppSyncReadContext, id: string, field: string, v: unknown): Record<string, unknown> => {
  if (v === undefined) return {};
  if (!isRecord(v)) ctx.fail(id, field, 'must be a map');
  return v;
};
const samEntry = (ctx: AppSyncReadContext, id: string, field: string, v: unknown): Record<string, unknown> => {
  if (!isRecord(v)) ctx.fail(id, field, 'must be a map');
  return v;
};

/** Schema, keys and data sources; returns the data sources' names by relative id. */
function readSamSources(ctx: AppSyncReadContext, d: Draft, p: Record<string, unknown>): Map<string, string> {
  const id = d.id;
  const map = (field: string, v: unknown) => samMap(ctx, id, field, v);
  const entry = (field: string, v: unknown) => samEntry(ctx, id, field, v);
  if (p.SchemaInline !== undefined && p.SchemaUri !== undefined) ctx.fail(id, 'SchemaUri', 'and SchemaInline exclude each other');
  d.schema = codeText(ctx, id, '', p, 'SchemaInline', 'SchemaUri');
  if (d.schema === undefined) ctx.fail(id, 'SchemaUri', 'is required (a local file), or SchemaInline');
  for (const rel of Object.keys(map('ApiKeys', p.ApiKeys))) d.apiKeys.push(appSyncApiKey(ctx.stack, `${id}${rel}`));

  // Data sources by the relative id Functions name them with.
  const sources = new Map<string, string>();
  const ds = map('DataSources', p.DataSources);
  for (const [kind, type, config] of [['DynamoDb', 'AMAZON_DYNAMODB', 'DynamoDBConfig'], ['Lambda', 'AWS_LAMBDA', 'LambdaConfig']] as const) {
    for (const [rel, v] of Object.entries(map(`DataSources.${kind}`, ds[kind]))) {
      const base = `DataSources.${kind}.${rel}`;
      const s = entry(base, v);
      const name = text(s.Name) ?? rel;
      const props = kind === 'DynamoDb' ? { Name: name, Type: type, [config]: { TableName: s.TableName, Versioned: s.Versioned, DeltaSyncConfig: s.DeltaSync } } : { Name: name, Type: type, [config]: { LambdaFunctionArn: s.FunctionArn } };
      if (kind === 'DynamoDb' && s.TableName === undefined) ctx.fail(id, `${base}.TableName`, 'is required (!Ref Table)');
      if (kind === 'Lambda' && s.FunctionArn === undefined) ctx.fail(id, `${base}.FunctionArn`, "is required (the function's ARN)");
      addDataSource(ctx, d, id, base, props);
      sources.set(rel, name);
    }
  }
  for (const k of Object.keys(ds)) if (k !== 'DynamoDb' && k !== 'Lambda') ctx.warn(`${id}.DataSources.${k}: SAM makes DynamoDb and Lambda data sources only; not used`);
  return sources;
}

/** Functions and resolvers. */
function readSamSteps(ctx: AppSyncReadContext, d: Draft, p: Record<string, unknown>, sources: Map<string, string>): void {
  const id = d.id;
  const map = (field: string, v: unknown) => samMap(ctx, id, field, v);
  const entry = (field: string, v: unknown) => samEntry(ctx, id, field, v);

  // Functions by relative id: the FunctionId each stands for.
  const fnIds = new Map<string, string>();
  for (const [rel, v] of Object.entries(map('Functions', p.Functions))) {
    const base = `Functions.${rel}`;
    const f = entry(base, v);
    if (f.Id !== undefined) {
      // A function of the template's own resources, by its FunctionId.
      if (Object.keys(f).length > 1) ctx.fail(id, `${base}.Id`, 'excludes every other property');
      fnIds.set(rel, String(f.Id));
      continue;
    }
    if (f.InlineCode === undefined && f.CodeUri === undefined) ctx.fail(id, `${base}.CodeUri`, 'is required (a local file), or InlineCode');
    const source = text(f.DataSource);
    if (!source) ctx.fail(id, `${base}.DataSource`, 'is required (a data source of DataSources, NONE, or !GetAtt DataSource.Name)');
    const functionId = appSyncFunctionId(ctx.stack, `${id}${rel}`);
    fnIds.set(rel, functionId);
    addFunction(ctx, d, id, base, text(f.Name) ?? rel, functionId, dataSourceOf(ctx, d, id, `${base}.DataSource`, samSource(d, sources, source)), { ...stepCode(ctx, id, base, f, 'InlineCode', 'CodeUri', false), max_batch_size: batchSize(ctx, id, base, f.MaxBatchSize) });
  }

  for (const [type, fields] of Object.entries(map('Resolvers', p.Resolvers))) {
    for (const [rel, v] of Object.entries(map(`Resolvers.${type}`, fields))) {
      const base = `Resolvers.${type}.${rel}`;
      const r = entry(base, v);
      if (!Array.isArray(r.Pipeline)) ctx.fail(id, `${base}.Pipeline`, 'is required: SAM makes pipeline resolvers only (a list of Functions)');
      // No code: SAM's own (the pipeline's last result).
      const code = r.InlineCode === undefined && r.CodeUri === undefined ? { js: SAM_DEFAULT_RESOLVER_CODE } : stepCode(ctx, id, base, r, 'InlineCode', 'CodeUri', false);
      const fnRefs = r.Pipeline.map((name, i) => {
        const fid = fnIds.get(String(name));
        if (fid === undefined) ctx.fail(id, `${base}.Pipeline[${i}]`, `"${String(name)}" is not a function of Functions`);
        return { field: `Pipeline[${i}]`, id: fid };
      });
      const resolver: AppSyncResolver = { type_name: type, field_name: text(r.FieldName) ?? rel, kind: 'PIPELINE', functions: [], max_batch_size: batchSize(ctx, id, base, r.MaxBatchSize), ...code };
      d.resolvers.push({ resolver, from: `${id}.${base}`, fnRefs });
    }
  }
}

/** A SAM function's DataSource: a relative id of DataSources, NONE (SAM's `<Api>NoneDataSource`), else a data source's name. */
function samSource(d: Draft, sources: Map<string, string>, v: string): string {
  if (sources.has(v)) return sources.get(v)!;
  if (v.toLowerCase() !== 'none') return v;
  const name = `${d.id}NoneDataSource`;
  d.dataSources[name] ??= { type: 'NONE' };
  return name;
}

// ------------------------------------------------------------------ the built-in function

/** The functions an API invokes (Lambda data sources and authorizers): reached as a route's are. */
export function appSyncTargets(api: AppSyncApi): string[] {
  const out = new Set<string>();
  for (const a of api.auth) if (a.type === 'AWS_LAMBDA') out.add(a.function);
  for (const s of Object.values(api.data_sources)) if (s.type === 'AWS_LAMBDA') out.add(s.function);
  return [...out];
}

/** The built-in function that serves an API, under `key`. */
export function appSyncFunction(key: string, logicalId: string, resourceType: string, api: AppSyncApi, warn: (m: string) => void): FunctionModel {
  const config = JSON.stringify(api);
  if (config.length > LARGE_CONFIG) warn(`${logicalId}: the API's schema and code take ${Math.round(config.length / 1024)} KiB; an environment variable holds at most 128 KiB`);
  return {
    key,
    logicalId,
    resourceType,
    packageType: 'Zip',
    runtime: APPSYNC_CODE.runtime,
    handler: APPSYNC_CODE.handler,
    code: { kind: 'builtin', file: APPSYNC_CODE.file },
    timeout: 30,
    memorySize: 512,
    environment: { [APPSYNC_CONFIG_ENV]: config },
    scaling: {},
    layers: [],
    events: [],
  };
}
