// AppSync GraphQL APIs → a built-in function (ESB_APPSYNC) at POST /graphql (docs/generate.md, "AppSync GraphQL APIs").
import { describe, expect, it } from 'vitest';
import { AppSyncApi, appSyncApiPath } from '@esb/contracts';
import { SAM_DEFAULT_RESOLVER_CODE, appSyncApiId, appSyncApiKey, appSyncFunctionId } from './appsync.js';
import type { FunctionModel, SamModel } from './model.js';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const read = (text: string, files: Record<string, string> = {}, stackName = 'notes'): SamModel =>
  parseSamTemplate(text, {
    file: 't.yml',
    stackName,
    readLocalFile: (rel) => {
      if (rel in files) return files[rel];
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    },
  });
const failure = (text: string, files: Record<string, string> = {}) => {
  const e = templateErrorOf(() => read(text, files));
  return [e.logicalId, e.field, e.reason];
};
const builtin = (m: SamModel, id = 'Api') => m.functions.find((f) => f.handler === 'appsync.handler' && f.logicalId === id) as FunctionModel;
const config = (m: SamModel, id = 'Api'): AppSyncApi => JSON.parse(builtin(m, id).environment.ESB_APPSYNC) as AppSyncApi;
const template = (...parts: string[]) => `Transform: AWS::Serverless-2016-10-31\nResources:${parts.join('')}\n`;
const indent = (text: string, n: number) => text.trim().split('\n').join(`\n${' '.repeat(n)}`);

const SCHEMA = `
type Note { id: ID! title: String }
type Query { getNote(id: ID!): Note  allNotes: [Note]  wordCount(text: String): Int  echo(text: String): String }
type Mutation { saveNote(id: ID!, title: String): Note  deleteNote(id: ID!): Note }
schema { query: Query mutation: Mutation }`;
const api = (props = 'AuthenticationType: API_KEY') => `
  Api:
    Type: AWS::AppSync::GraphQLApi
    Properties:
      Name: notes-api
      ${indent(props, 6)}`;
const schema = (props = `Definition: |\n  ${indent(SCHEMA, 2)}`) => `
  Schema:
    Type: AWS::AppSync::GraphQLSchema
    Properties:
      ApiId: !GetAtt Api.ApiId
      ${indent(props, 6)}`;
const part = (id: string, type: string, props: string) => `
  ${id}:
    Type: AWS::AppSync::${type}
    Properties:
      ApiId: !GetAtt Api.ApiId
      ${indent(props, 6)}`;
const fn = (id: string, extra = '') => `
  ${id}:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "x"
      Handler: index.handler
      Runtime: nodejs20.x${extra ? `\n      ${indent(extra, 6)}` : ''}`;
const table = `
  Notes:
    Type: AWS::Serverless::SimpleTable`;
const ddb = part('NotesSource', 'DataSource', 'Name: NotesTable\nType: AMAZON_DYNAMODB\nDynamoDBConfig: {TableName: !Ref Notes, AwsRegion: !Ref AWS::Region}');
const getNote = part('GetNote', 'Resolver', `TypeName: Query\nFieldName: getNote\nDataSourceName: !GetAtt NotesSource.Name\nRequestMappingTemplate: '{"version": "2017-02-28", "operation": "GetItem"}'\nResponseMappingTemplate: $util.toJson($ctx.result)`);

// The shape of the public appsync-dynamodb pattern: an API key, a DynamoDB data source, Velocity resolvers.
const notes = template(api(), part('Key', 'ApiKey', 'Description: test'), schema(), table, ddb, getNote, fn('Reader', 'Environment:\n  Variables:\n    URL: !GetAtt Api.GraphQLUrl\n    KEY: !GetAtt Key.ApiKey\n    ID: !GetAtt Api.ApiId\n    ARN: !Ref Api\n    REALTIME: !GetAtt Api.RealtimeUrl\n    SOURCE: !GetAtt NotesSource.DataSourceArn'));

describe('AWS::AppSync resources', () => {
  it('reads an API into a built-in function at POST /graphql of an HTTP API named after it', () => {
    const m = read(notes);
    const id = appSyncApiId('notes', 'Api');
    const key = appSyncApiKey('notes', 'Key');
    expect(config(m)).toEqual({
      name: 'notes-api',
      api_id: id,
      schema: `${SCHEMA.trim()}\n`,
      auth: [{ type: 'API_KEY' }],
      api_keys: [key],
      data_sources: { NotesTable: { type: 'AMAZON_DYNAMODB', table: 'notes-Notes' } },
      functions: {},
      resolvers: [{ type_name: 'Query', field_name: 'getNote', kind: 'UNIT', data_source: 'NotesTable', functions: [], max_batch_size: 0, request_template: '{"version": "2017-02-28", "operation": "GetItem"}', response_template: '$util.toJson($ctx.result)' }],
    });
    const f = builtin(m);
    expect(f).toMatchObject({ key: 'notes-Api', resourceType: 'AWS::AppSync::GraphQLApi', runtime: 'nodejs20.x', handler: 'appsync.handler', code: { kind: 'builtin', file: 'appsync.mjs' }, timeout: 30, memorySize: 512 });
    expect(m.routes).toEqual([
      { path: '/graphql', method: 'POST', function: 'notes-Api', api: 'Api' },
      { path: appSyncApiPath(id), method: 'POST', function: 'notes-Api', api: 'Api' },
    ]);
    expect(m.apis.Api).toEqual({
      type: 'http',
      stage: '$default',
      stage_variables: {},
      binary_media_types: [],
      payload_format_version: '2.0',
      cors: { allow_origins: ['*'], allow_methods: ['POST', 'OPTIONS'], allow_headers: ['content-type', 'x-api-key', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-user-agent'], expose_headers: [], allow_credentials: false },
    });
    expect(m.warnings).toEqual([]);
  });

  it('gives ids, URLs, ARNs and key values through !GetAtt and !Ref, stable per stack and logical id', () => {
    const env = read(notes).functions.find((f) => f.logicalId === 'Reader')!.environment;
    const id = appSyncApiId('notes', 'Api');
    expect(id).toMatch(/^[a-z0-9]{26}$/);
    expect(appSyncApiKey('notes', 'Key')).toMatch(/^da2-[a-z0-9]{26}$/);
    expect(env).toEqual({
      URL: `https://${id}.appsync-api.us-east-1.amazonaws.com/graphql`,
      KEY: appSyncApiKey('notes', 'Key'),
      ID: id,
      ARN: `arn:aws:appsync:us-east-1:123456789012:apis/${id}`,
      REALTIME: `wss://${id}.appsync-realtime-api.us-east-1.amazonaws.com/graphql`,
      SOURCE: `arn:aws:appsync:us-east-1:123456789012:apis/${id}/datasources/NotesTable`,
    });
    expect(read(notes).functions.find((f) => f.logicalId === 'Reader')!.environment).toEqual(env);
    expect(appSyncApiId('other', 'Api')).not.toBe(id);
    expect(appSyncApiKey('notes', 'Key2')).not.toBe(appSyncApiKey('notes', 'Key'));
    expect(() => read(template(api(), fn('F', 'Environment:\n  Variables:\n    X: !GetAtt Api.Nope')))).toThrow(/has no attribute Nope/);
  });

  it('reads every auth mode, the default first', () => {
    const m = read(
      template(
        api(`AuthenticationType: AWS_LAMBDA
LambdaAuthorizerConfig: {AuthorizerUri: !GetAtt Authorizer.Arn, IdentityValidationExpression: "^Bearer", AuthorizerResultTtlInSeconds: 60}
AdditionalAuthenticationProviders:
  - AuthenticationType: API_KEY
  - AuthenticationType: AWS_IAM
  - AuthenticationType: AMAZON_COGNITO_USER_POOLS
    UserPoolConfig: {UserPoolId: us-east-1_abc, AppIdClientRegex: ".*", AwsRegion: us-east-1}
  - AuthenticationType: OPENID_CONNECT
    OpenIDConnectConfig: {Issuer: "https://issuer.example", ClientId: web}`),
        schema(),
        fn('Authorizer'),
      ),
    );
    expect(config(m).auth).toEqual([
      { type: 'AWS_LAMBDA', function: 'notes-Authorizer', identity_validation_expression: '^Bearer', ttl_seconds: 60 },
      { type: 'API_KEY' },
      { type: 'AWS_IAM' },
      { type: 'AMAZON_COGNITO_USER_POOLS', user_pool_id: 'us-east-1_abc', app_id_client_regex: '.*' },
      { type: 'OPENID_CONNECT', issuer: 'https://issuer.example', client_id: 'web' },
    ]);
    // The authorizer counts as reached; an API_KEY mode without a key is said.
    expect(m.warnings).toEqual(['Api: this API has no resolver esb can serve; every field answers null', 'Api: API_KEY authorization without an AWS::AppSync::ApiKey of this API; no key is accepted']);
  });

  it('fails on auth it cannot read, naming the field', () => {
    expect(failure(template(api('AuthenticationType: MAGIC'), schema()))).toEqual(['Api', 'AuthenticationType', expect.stringContaining('must be API_KEY, AWS_IAM')]);
    expect(failure(template(api('AuthenticationType: API_KEY\nAdditionalAuthenticationProviders:\n  - AuthenticationType: OPENID_CONNECT'), schema()))).toEqual(['Api', 'AdditionalAuthenticationProviders[0].OpenIDConnectConfig.Issuer', expect.stringContaining('is required')]);
    expect(failure(template(api('AuthenticationType: AWS_LAMBDA\nLambdaAuthorizerConfig: {AuthorizerUri: not-an-arn}'), schema()))).toEqual(['Api', 'LambdaAuthorizerConfig.AuthorizerUri', expect.stringContaining("is not a function's ARN")]);
    expect(failure(template(api('AuthenticationType: AWS_LAMBDA\nLambdaAuthorizerConfig: {AuthorizerUri: !GetAtt A.Arn, AuthorizerResultTtlInSeconds: 4000}'), schema(), fn('A')))).toEqual(['Api', 'LambdaAuthorizerConfig.AuthorizerResultTtlInSeconds', expect.stringContaining('from 0 to 3600')]);
  });

  it('reads a schema from a local file, and rejects S3, missing files and invalid GraphQL', () => {
    const m = read(template(api(), schema('DefinitionS3Location: graphql/schema.graphql')), { 'graphql/schema.graphql': SCHEMA });
    expect(config(m).schema).toBe(SCHEMA);
    expect(m.localFiles).toEqual(['graphql/schema.graphql']);
    expect(failure(template(api(), schema('DefinitionS3Location: s3://bucket/schema.graphql')))).toEqual(['Schema', 'DefinitionS3Location', expect.stringContaining('S3 locations are not supported')]);
    expect(failure(template(api(), schema('DefinitionS3Location: nope.graphql')))).toEqual(['Schema', 'DefinitionS3Location', 'cannot read "nope.graphql": ENOENT']);
    expect(failure(template(api(), schema('Definition: "type Query {"')))).toEqual(['Api', 'Schema', expect.stringContaining('is not valid GraphQL')]);
    expect(failure(template(api(), schema('Definition: x\nDefinitionS3Location: y.graphql')))).toEqual(['Schema', 'DefinitionS3Location', 'and Definition exclude each other']);
  });

  it('serves no API without a schema, and warns of parts of another API', () => {
    const m = read(template(api(), `
  Stray:
    Type: AWS::AppSync::ApiKey
    Properties: {ApiId: abc}`));
    expect(m.functions).toEqual([]);
    expect(m.warnings).toEqual(['Stray: ApiId "abc" is not the ApiId of a GraphQL API of this template (!GetAtt <Api>.ApiId); not used', 'Api: no AWS::AppSync::GraphQLSchema gives this API a schema; not served']);
  });

  it('reads every served data source type, and warns of the others and their resolvers', () => {
    const m = read(
      template(
        api(),
        part('Key', 'ApiKey', ''),
        schema(),
        fn('Counter'),
        part('Lambda', 'DataSource', 'Name: Counter\nType: AWS_LAMBDA\nLambdaConfig: {LambdaFunctionArn: !GetAtt Counter.Arn}'),
        part('None', 'DataSource', 'Name: Local\nType: NONE'),
        part('Http', 'DataSource', 'Name: Sfn\nType: HTTP\nHttpConfig:\n  Endpoint: !Sub https://states.${AWS::Region}.amazonaws.com/\n  AuthorizationConfig: {AuthorizationType: AWS_IAM, AwsIamConfig: {SigningRegion: us-east-1, SigningServiceName: states}}'),
        part('Plain', 'DataSource', 'Name: Web\nType: HTTP\nHttpConfig: {Endpoint: "https://example.com"}'),
        `
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}`,
        part('Events', 'DataSource', 'Name: Orders\nType: AMAZON_EVENTBRIDGE\nEventBridgeConfig: {EventBusArn: !GetAtt Bus.Arn}'),
        part('Search', 'DataSource', 'Name: Search\nType: AMAZON_OPENSEARCH_SERVICE\nOpenSearchServiceConfig: {Endpoint: "https://x"}'),
        part('WordCount', 'Resolver', 'TypeName: Query\nFieldName: wordCount\nDataSourceName: !GetAtt Lambda.Name\nMaxBatchSize: 5'),
        part('AllNotes', 'Resolver', 'TypeName: Query\nFieldName: allNotes\nDataSourceName: !GetAtt Search.Name\nRequestMappingTemplate: "{}"'),
        `
  Counted:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "x"
      Handler: index.handler
      Runtime: nodejs20.x
      Events:
        Thing: {Type: IoTRule, Properties: {Sql: "SELECT * FROM 'x'"}}`,
        part('Counted2', 'DataSource', 'Name: Counted\nType: AWS_LAMBDA\nLambdaConfig: {LambdaFunctionArn: !GetAtt Counted.Arn}'),
      ),
    );
    expect(config(m).data_sources).toEqual({
      Counter: { type: 'AWS_LAMBDA', function: 'notes-Counter' },
      Local: { type: 'NONE' },
      Sfn: { type: 'HTTP', endpoint: 'https://states.us-east-1.amazonaws.com/', signing: { region: 'us-east-1', service: 'states' } },
      Web: { type: 'HTTP', endpoint: 'https://example.com' },
      Orders: { type: 'AMAZON_EVENTBRIDGE', bus: 'orders' },
      Counted: { type: 'AWS_LAMBDA', function: 'notes-Counted' },
    });
    // A direct Lambda resolver; the one on OpenSearch is not served.
    expect(config(m).resolvers).toEqual([{ type_name: 'Query', field_name: 'wordCount', kind: 'UNIT', data_source: 'Counter', functions: [], max_batch_size: 5 }]);
    // Counted is reached by its data source: no UNREACHABLE.
    expect(m.warnings).toEqual(['Search: AMAZON_OPENSEARCH_SERVICE data sources are not emulated (esb serves AWS_LAMBDA, AMAZON_DYNAMODB, NONE, HTTP, AMAZON_EVENTBRIDGE); resolvers using "Search" are not served', 'event type IoTRule is not run by esb; skipped: Counted.Thing']);
  });

  it('fails on data sources it cannot read, naming the field', () => {
    const with_ = (props: string) => failure(template(api(), schema(), part('Ds', 'DataSource', props)));
    expect(with_('Name: X\nType: AWS_LAMBDA\nLambdaConfig: {LambdaFunctionArn: nope}')).toEqual(['Ds', 'LambdaConfig.LambdaFunctionArn', expect.stringContaining("is not a function's ARN")]);
    expect(with_('Name: X\nType: AMAZON_DYNAMODB')).toEqual(['Ds', 'DynamoDBConfig', 'is required for a AMAZON_DYNAMODB data source']);
    expect(with_('Name: X\nType: HTTP\nHttpConfig: {Endpoint: ftp://x}')).toEqual(['Ds', 'HttpConfig.Endpoint', expect.stringContaining('must be an http(s):// URL')]);
    expect(with_('Name: X\nType: AMAZON_EVENTBRIDGE\nEventBridgeConfig: {EventBusArn: bus}')).toEqual(['Ds', 'EventBridgeConfig.EventBusArn', expect.stringContaining("is not an event bus's ARN")]);
    expect(with_('Type: NONE')).toEqual(['Ds', 'Name', 'is required (text)']);
    expect(with_('Name: X')).toEqual(['Ds', 'Type', expect.stringContaining('is required')]);
    expect(failure(template(api(), schema(), part('A', 'DataSource', 'Name: X\nType: NONE'), part('B', 'DataSource', 'Name: X\nType: NONE')))).toEqual(['B', 'Name', '"X" is the name of another data source of Api']);
  });

  it('reads pipeline resolvers: functions by FunctionId, JavaScript and Velocity code, local files', () => {
    const m = read(
      template(
        api(),
        part('Key', 'ApiKey', ''),
        schema(),
        table,
        ddb,
        part('Check', 'FunctionConfiguration', 'Name: check\nDataSourceName: !GetAtt NotesSource.Name\nRuntime: {Name: APPSYNC_JS, RuntimeVersion: 1.0.0}\nCodeS3Location: resolvers/check.js'),
        part('Save', 'FunctionConfiguration', 'Name: save\nDataSourceName: !GetAtt NotesSource.Name\nFunctionVersion: "2018-05-29"\nRequestMappingTemplateS3Location: vtl/save.req.vtl\nResponseMappingTemplate: $util.toJson($ctx.result)'),
        part('SaveNote', 'Resolver', 'TypeName: Mutation\nFieldName: saveNote\nKind: PIPELINE\nPipelineConfig:\n  Functions: [!GetAtt Check.FunctionId, !GetAtt Save.FunctionId]\nRuntime: {Name: APPSYNC_JS, RuntimeVersion: 1.0.0}\nCode: "export const request = () => ({}); export const response = (ctx) => ctx.prev.result;"'),
        fn('Reader', 'Environment:\n  Variables:\n    FID: !GetAtt Check.FunctionId\n    FARN: !GetAtt Save.FunctionArn'),
      ),
      { 'resolvers/check.js': 'export function request(ctx) { return {}; }', 'vtl/save.req.vtl': '{"operation": "PutItem"}' },
    );
    const c = config(m);
    expect(c.functions).toEqual({
      check: { data_source: 'NotesTable', max_batch_size: 0, js: 'export function request(ctx) { return {}; }' },
      save: { data_source: 'NotesTable', max_batch_size: 0, request_template: '{"operation": "PutItem"}', response_template: '$util.toJson($ctx.result)' },
    });
    expect(c.resolvers).toEqual([{ type_name: 'Mutation', field_name: 'saveNote', kind: 'PIPELINE', functions: ['check', 'save'], max_batch_size: 0, js: 'export const request = () => ({}); export const response = (ctx) => ctx.prev.result;' }]);
    const env = m.functions.find((f) => f.logicalId === 'Reader')!.environment;
    expect(env.FID).toBe(appSyncFunctionId('notes', 'Check'));
    expect(env.FARN).toBe(`arn:aws:appsync:us-east-1:123456789012:apis/${appSyncApiId('notes', 'Api')}/functions/${appSyncFunctionId('notes', 'Save')}`);
    expect(m.localFiles).toEqual(['resolvers/check.js', 'vtl/save.req.vtl']);
    expect(m.warnings).toEqual([]);
  });

  it('keys a function whose name another has by its logical id, and drops resolvers it cannot serve', () => {
    const m = read(
      template(
        api(),
        part('Key', 'ApiKey', ''),
        schema(),
        part('Local', 'DataSource', 'Name: Local\nType: NONE'),
        part('F1', 'FunctionConfiguration', 'Name: same\nDataSourceName: Local\nRequestMappingTemplate: "{}"'),
        part('F2', 'FunctionConfiguration', 'Name: same\nDataSourceName: Local\nRequestMappingTemplate: "{}"'),
        part('Echo', 'Resolver', 'TypeName: Query\nFieldName: echo\nKind: PIPELINE\nPipelineConfig: {Functions: [!GetAtt F1.FunctionId, !GetAtt F2.FunctionId]}'),
        part('Lost', 'Resolver', 'TypeName: Query\nFieldName: allNotes\nKind: PIPELINE\nPipelineConfig: {Functions: [abc]}'),
        part('Gone', 'Resolver', 'TypeName: Query\nFieldName: getNote\nDataSourceName: Elsewhere\nRequestMappingTemplate: "{}"'),
        part('Twice', 'Resolver', 'TypeName: Query\nFieldName: echo\nDataSourceName: Local\nRequestMappingTemplate: "{}"'),
      ),
    );
    const c = config(m);
    expect(Object.keys(c.functions)).toEqual(['same', 'F2']);
    expect(c.resolvers).toEqual([{ type_name: 'Query', field_name: 'echo', kind: 'UNIT', data_source: 'Local', functions: [], max_batch_size: 0, request_template: '{}' }]);
    expect(m.warnings).toEqual([
      'F2: Api has another function named "same"; this one is keyed "F2"',
      'Lost.PipelineConfig.Functions[0]: "abc" is not the FunctionId of a function of Api (!GetAtt <Function>.FunctionId); the resolver is not served',
      'Gone: data source "Elsewhere" is not one of Api; the resolver is not served',
      'resolver Query.echo of Api is defined twice; Twice wins',
    ]);
  });

  it('fails on resolvers it cannot read, naming the field', () => {
    const base = [api(), schema(), part('Local', 'DataSource', 'Name: Local\nType: NONE')];
    const with_ = (props: string, files: Record<string, string> = {}) => failure(template(...base, part('R', 'Resolver', props)), files);
    expect(with_('FieldName: echo\nDataSourceName: Local')).toEqual(['R', 'TypeName', expect.stringContaining('is required')]);
    expect(with_('TypeName: Query\nFieldName: echo')).toEqual(['R', 'DataSourceName', expect.stringContaining('is required for a UNIT resolver')]);
    expect(with_('TypeName: Query\nFieldName: echo\nDataSourceName: Local')).toEqual(['R', 'RequestMappingTemplate', expect.stringContaining('on a NONE data source')]);
    expect(with_('TypeName: Query\nFieldName: echo\nKind: BATCH')).toEqual(['R', 'Kind', 'must be UNIT or PIPELINE, not "BATCH"']);
    expect(with_('TypeName: Query\nFieldName: echo\nKind: PIPELINE')).toEqual(['R', 'PipelineConfig.Functions', expect.stringContaining('is required for a PIPELINE resolver')]);
    expect(with_('TypeName: Query\nFieldName: echo\nDataSourceName: Local\nCode: "x"')).toEqual(['R', 'Runtime.Name', expect.stringContaining('must be APPSYNC_JS')]);
    expect(with_('TypeName: Query\nFieldName: echo\nDataSourceName: Local\nRuntime: {Name: APPSYNC_JS}\nCode: "x"\nRequestMappingTemplate: "{}"')).toEqual(['R', 'Code', 'and mapping templates exclude each other']);
    expect(with_('TypeName: Query\nFieldName: echo\nDataSourceName: Local\nRuntime: {Name: APPSYNC_JS}\nCodeS3Location: s3://b/k.js')).toEqual(['R', 'CodeS3Location', expect.stringContaining('S3 locations are not supported')]);
    expect(with_('TypeName: Query\nFieldName: echo\nDataSourceName: Local\nRequestMappingTemplate: "{}"\nMaxBatchSize: 3000')).toEqual(['R', 'MaxBatchSize', expect.stringContaining('from 0 to 2000')]);
    expect(with_('TypeName: Query\nFieldName: nope\nDataSourceName: Local\nRequestMappingTemplate: "{}"')).toEqual(['R', 'FieldName', "Query.nope is not a field of Api's schema"]);
    expect(failure(template(...base, part('F', 'FunctionConfiguration', 'DataSourceName: Local')))).toEqual(['F', 'Name', 'is required (text)']);
  });

  it('reads other AppSync resources quietly or warns of them once', () => {
    const m = read(template(api(), part('Key', 'ApiKey', ''), schema(), part('Cache', 'ApiCache', 'Type: SMALL\nTtl: 60\nApiCachingBehavior: FULL_REQUEST_CACHING'), `
  Domain:
    Type: AWS::AppSync::DomainName
    Properties: {DomainName: api.example.com, CertificateArn: arn}
  Merged1:
    Type: AWS::AppSync::SourceApiAssociation
  Merged2:
    Type: AWS::AppSync::SourceApiAssociation
  Merged:
    Type: AWS::AppSync::GraphQLApi
    Properties: {Name: merged, ApiType: MERGED, AuthenticationType: API_KEY}`));
    expect(m.warnings).toEqual([
      'Merged1, Merged2: AWS::AppSync::SourceApiAssociation is not emulated; merged APIs are not emulated',
      'Merged: merged APIs (ApiType MERGED) are not emulated; not served',
      'Api: this API has no resolver esb can serve; every field answers null',
    ]);
  });

  it('warns when two APIs share /graphql of the stack host', () => {
    const second = template(api(), part('Key', 'ApiKey', ''), schema()) + `  Api2:
    Type: AWS::AppSync::GraphQLApi
    Properties: {Name: two, AuthenticationType: AWS_IAM}
  Schema2:
    Type: AWS::AppSync::GraphQLSchema
    Properties: {ApiId: !GetAtt Api2.ApiId, Definition: "type Query { a: Int }"}
`;
    const m = read(second);
    expect(m.routes.filter((r) => r.path === '/graphql').map((r) => r.api)).toEqual(['Api', 'Api2']);
    expect(m.warnings).toContain("GraphQL APIs Api, Api2 share /graphql of the stack's host: the last one answers there; each is served at /appsync-api/<ApiId>/graphql too");
  });

  it('gives a template with only AppSync no NO ROUTES warning', () => {
    const m = read(template(api(), part('Key', 'ApiKey', ''), schema(), fn('Counter'), part('Lambda', 'DataSource', 'Name: Counter\nType: AWS_LAMBDA\nLambdaConfig: {LambdaFunctionArn: !GetAtt Counter.Arn}'), part('Wc', 'Resolver', 'TypeName: Query\nFieldName: wordCount\nDataSourceName: Counter'), `
  Topic:
    Type: AWS::IoT::TopicRule`));
    expect(m.warnings.some((w) => w.startsWith('NO ROUTES'))).toBe(false);
  });
});

// The shape of SAM's GraphQLApi with JavaScript pipeline resolvers (appsync-dynamodb-singletable-js-resolver).
const samApi = (props: string) => `
  Graph:
    Type: AWS::Serverless::GraphQLApi
    Properties:
      ${indent(props, 6)}`;
const SAM_PROPS = `SchemaUri: ./graphql/schema.graphql
ApiKeys:
  TestKey:
    Description: test
Auth:
  Type: API_KEY
  Additional:
    - Type: AWS_LAMBDA
      LambdaAuthorizer: {AuthorizerUri: !GetAtt Authorizer.Arn}
DataSources:
  DynamoDb:
    Items:
      TableName: !Ref Notes
      TableArn: !GetAtt Notes.Arn
  Lambda:
    Counter:
      FunctionArn: !GetAtt Counter.Arn
Functions:
  getNote:
    Runtime: {Name: APPSYNC_JS, Version: 1.0.0}
    DataSource: Items
    CodeUri: ./graphql/getNote.js
  echo:
    Runtime: {Name: APPSYNC_JS, Version: 1.0.0}
    DataSource: NONE
    InlineCode: "export const request = (ctx) => ({payload: ctx.args}); export const response = (ctx) => ctx.result;"
  count:
    Name: counter
    DataSource: Counter
    Runtime: {Name: APPSYNC_JS, Version: 1.0.0}
    InlineCode: "x"
Resolvers:
  Query:
    getNote:
      Runtime: {Name: APPSYNC_JS, Version: 1.0.0}
      CodeUri: ./graphql/resolver.js
      Pipeline: [getNote]
    echoIt:
      FieldName: echo
      Runtime: {Name: APPSYNC_JS, Version: 1.0.0}
      Pipeline: [echo, count]
      MaxBatchSize: 10`;
const SAM_FILES = { 'graphql/schema.graphql': SCHEMA, 'graphql/getNote.js': 'export function request(ctx) {}', 'graphql/resolver.js': 'export function response(ctx) {}' };

describe('AWS::Serverless::GraphQLApi', () => {
  it('reads the API as SAM makes AppSync resources of it', () => {
    const m = read(template(samApi(SAM_PROPS), table, fn('Counter'), fn('Authorizer'), fn('Reader', 'Environment:\n  Variables:\n    KEY: !GetAtt GraphTestKey.ApiKey\n    URL: !GetAtt Graph.GraphQLUrl')), SAM_FILES);
    const c = config(m, 'Graph');
    expect(c).toEqual({
      name: 'Graph',
      api_id: appSyncApiId('notes', 'Graph'),
      schema: SCHEMA,
      auth: [{ type: 'API_KEY' }, { type: 'AWS_LAMBDA', function: 'notes-Authorizer', ttl_seconds: 300 }],
      api_keys: [appSyncApiKey('notes', 'GraphTestKey')],
      data_sources: { Items: { type: 'AMAZON_DYNAMODB', table: 'notes-Notes' }, Counter: { type: 'AWS_LAMBDA', function: 'notes-Counter' }, GraphNoneDataSource: { type: 'NONE' } },
      functions: {
        getNote: { data_source: 'Items', max_batch_size: 0, js: 'export function request(ctx) {}' },
        echo: { data_source: 'GraphNoneDataSource', max_batch_size: 0, js: 'export const request = (ctx) => ({payload: ctx.args}); export const response = (ctx) => ctx.result;' },
        counter: { data_source: 'Counter', max_batch_size: 0, js: 'x' },
      },
      resolvers: [
        { type_name: 'Query', field_name: 'getNote', kind: 'PIPELINE', functions: ['getNote'], max_batch_size: 0, js: 'export function response(ctx) {}' },
        // No code: SAM's default (the pipeline's last result).
        { type_name: 'Query', field_name: 'echo', kind: 'PIPELINE', functions: ['echo', 'counter'], max_batch_size: 10, js: SAM_DEFAULT_RESOLVER_CODE },
      ],
    });
    expect(builtin(m, 'Graph').resourceType).toBe('AWS::Serverless::GraphQLApi');
    expect(m.functions.find((f) => f.logicalId === 'Reader')!.environment.KEY).toBe(appSyncApiKey('notes', 'GraphTestKey'));
    expect(m.routes.map((r) => `${r.method} ${r.path} ${r.api}`)).toEqual(['POST /graphql Graph', `POST ${appSyncApiPath(c.api_id)} Graph`]);
    expect(m.warnings).toEqual([]);
  });

  it('takes a function of the template by Id, and a raw data source by name', () => {
    const m = read(
      template(
        samApi(`SchemaInline: "type Query { echo: String }"
Auth: {Type: AWS_IAM}
Functions:
  shared: {Id: !GetAtt Shared.FunctionId}
  mine: {DataSource: !GetAtt Raw.Name, Runtime: {Name: APPSYNC_JS, Version: 1.0.0}, InlineCode: "y"}
Resolvers:
  Query:
    echo: {Pipeline: [shared, mine]}`),
        `
  Raw:
    Type: AWS::AppSync::DataSource
    Properties: {ApiId: !GetAtt Graph.ApiId, Name: Raw, Type: NONE}
  Shared:
    Type: AWS::AppSync::FunctionConfiguration
    Properties: {ApiId: !GetAtt Graph.ApiId, Name: shared, DataSourceName: !GetAtt Raw.Name, Runtime: {Name: APPSYNC_JS, RuntimeVersion: 1.0.0}, Code: "x"}`,
      ),
    );
    expect(config(m, 'Graph').resolvers[0].functions).toEqual(['shared', 'mine']);
    expect(config(m, 'Graph').functions.mine.data_source).toBe('Raw');
  });

  it('fails as SAM does, naming the SAM field', () => {
    const with_ = (props: string) => failure(template(samApi(props)), SAM_FILES);
    expect(with_('Auth: {Type: API_KEY}')).toEqual(['Graph', 'SchemaUri', expect.stringContaining('is required')]);
    expect(with_('SchemaInline: "type Query { a: Int }"')).toEqual(['Graph', 'Auth', expect.stringContaining('is required')]);
    expect(with_('SchemaInline: "type Query { a: Int }"\nAuth: {Type: API_KEY}\nResolvers: {Query: {a: {Runtime: {Name: APPSYNC_JS}, InlineCode: x}}}')).toEqual(['Graph', 'Resolvers.Query.a.Pipeline', expect.stringContaining('SAM makes pipeline resolvers only')]);
    expect(with_('SchemaInline: "type Query { a: Int }"\nAuth: {Type: API_KEY}\nResolvers: {Query: {a: {Pipeline: [nope]}}}')).toEqual(['Graph', 'Resolvers.Query.a.Pipeline[0]', '"nope" is not a function of Functions']);
    expect(with_('SchemaInline: "type Query { a: Int }"\nAuth: {Type: API_KEY}\nFunctions: {f: {DataSource: NONE, Runtime: {Name: APPSYNC_JS}}}')).toEqual(['Graph', 'Functions.f.CodeUri', expect.stringContaining('is required')]);
    expect(with_('SchemaInline: "type Query { a: Int }"\nAuth: {Type: API_KEY}\nFunctions: {f: {DataSource: NONE, InlineCode: x}}')).toEqual(['Graph', 'Functions.f.Runtime.Name', expect.stringContaining('must be APPSYNC_JS')]);
    expect(with_('SchemaInline: "type Query { a: Int }"\nAuth: {Type: AWS_LAMBDA}')).toEqual(['Graph', 'Auth.LambdaAuthorizer.AuthorizerUri', expect.stringContaining("is not a function's ARN")]);
    expect(with_('SchemaInline: "type Query { a: Int }"\nAuth: {Type: API_KEY}\nFunctions: {f: {DataSource: NONE, Runtime: {Name: APPSYNC_JS}, InlineCode: x}}\nResolvers: {Query: {b: {Pipeline: [f]}}}')).toEqual(['Graph', 'Resolvers.Query.b.FieldName', "Query.b is not a field of Graph's schema"]);
    expect(with_('SchemaInline: "type Query { a: Int }"\nSchemaUri: x.graphql\nAuth: {Type: API_KEY}')).toEqual(['Graph', 'SchemaUri', 'and SchemaInline exclude each other']);
  });
});
