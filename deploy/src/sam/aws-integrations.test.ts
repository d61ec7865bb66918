import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FunctionModel, SamModel } from './model.js';
import { parseSamTemplate, type SamOptions } from './template.js';
import { templateErrorOf } from './testkit.js';

const read = (text: string, options: SamOptions = {}): SamModel => parseSamTemplate(text, { file: 't.yml', stackName: 'shop', ...options });
const failure = (text: string) => {
  const e = templateErrorOf(() => read(text));
  return [e.logicalId, e.field, e.reason];
};
const builtins = (m: SamModel) => m.functions.filter((f) => f.code?.kind === 'builtin');
const configOf = (f: FunctionModel) => JSON.parse(f.environment.ESB_AWS_INTEGRATION) as Record<string, unknown>;
/** A readLocalFile over these files (what the fs adapter gives, relative to the template's folder). */
const files = (byPath: Record<string, string>) => (rel: string) => {
  if (!Object.hasOwn(byPath, rel)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return byPath[rel];
};

// A raw REST API over a table, as the public apigw-rest-api-dynamodb pattern writes it; `methods` adds methods.
const cfnApi = (methods: string) => `
Resources:
  Notes:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: notes
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: notes}
  NotesResource:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: notes}
  NoteResource:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref NotesResource, PathPart: '{id}'}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: v1}
${methods}`;

const putNote = `
  PutNote:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NotesResource
      HttpMethod: POST
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration:
        Type: AWS
        Credentials: arn:aws:iam::123456789012:role/api
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:\${AWS::Region}:dynamodb:action/PutItem
        PassthroughBehavior: WHEN_NO_TEMPLATES
        TimeoutInMillis: 5500
        RequestTemplates:
          application/json: !Sub '{"TableName": "\${Notes}", "Item": {"id": {"S": "$context.requestId"}, "text": {"S": "$input.path(''$.text'')"}}}'
        IntegrationResponses:
          - StatusCode: 200
            ResponseTemplates: {application/json: '{"id": "$context.requestId"}'}
          - StatusCode: '400'
            SelectionPattern: 4\\d{2}
            ResponseParameters: {method.response.header.X-Reason: "'refused'"}
      MethodResponses: [{StatusCode: 200}, {StatusCode: 400}]`;

const getNote = `
  GetNote:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NoteResource
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters: {method.request.path.id: true}
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: arn:aws:apigateway:us-east-1:dynamodb:action/GetItem
        RequestParameters: {integration.request.path.id: method.request.path.id}
        RequestTemplates:
          application/json: '{"TableName": "notes", "Key": {"id": {"S": "$input.params(''id'')"}}}'
        IntegrationResponses:
          - StatusCode: 200
            ResponseTemplates:
              application/json: "#set($item = $input.path('$.Item')){\\"id\\": \\"$item.id.S\\", \\"text\\": \\"$item.text.S\\"}"`;

const corsOptions = `
  NoteOptions:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NoteResource
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'}}`;

describe('reading AWS integrations of REST APIs (docs/gateway.md, "AWS integrations (REST APIs)")', () => {
  it('serves an AWS::ApiGateway::Method of type AWS by a built-in function named after the method, with the method\'s own settings', () => {
    const m = read(cfnApi(putNote + getNote + corsOptions));
    expect(builtins(m).map((f) => [f.key, f.logicalId, f.resourceType, f.handler, f.code, f.timeout, f.memorySize])).toEqual([
      ['shop-PutNote', 'PutNote', 'AWS::ApiGateway::Method', 'aws-integration.handler', { kind: 'builtin', file: 'aws-integration.mjs' }, 6, 256],
      ['shop-GetNote', 'GetNote', 'AWS::ApiGateway::Method', 'aws-integration.handler', { kind: 'builtin', file: 'aws-integration.mjs' }, 29, 256],
      ['shop-NoteOptions', 'NoteOptions', 'AWS::ApiGateway::Method', 'aws-integration.handler', { kind: 'builtin', file: 'aws-integration.mjs' }, 29, 256],
    ]);
    expect(configOf(builtins(m)[0])).toEqual({
      service: 'dynamodb',
      action: 'PutItem',
      httpMethod: 'POST',
      requestTemplates: { 'application/json': '{"TableName": "notes", "Item": {"id": {"S": "$context.requestId"}, "text": {"S": "$input.path(\'$.text\')"}}}' },
      passthroughBehavior: 'WHEN_NO_TEMPLATES',
      requestParameters: {},
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': '{"id": "$context.requestId"}' }, responseParameters: {} },
        { statusCode: 400, selectionPattern: '4\\d{2}', responseTemplates: {}, responseParameters: { 'method.response.header.X-Reason': "'refused'" } },
      ],
      resourcePath: '/notes',
    });
    expect(configOf(builtins(m)[1])).toMatchObject({ action: 'GetItem', passthroughBehavior: 'WHEN_NO_MATCH', requestParameters: { 'integration.request.path.id': 'method.request.path.id' }, resourcePath: '/notes/{id}' });
    // Routes as any method's: the API key the method asks for, the stage of the API; the OPTIONS
    // MOCK (CORS as a REST API writes it) is served as any MOCK.
    expect(m.routes).toEqual([
      { path: '/notes', method: 'POST', function: 'shop-PutNote', api: 'Api', auth: { api_key_required: true } },
      { path: '/notes/{id}', method: 'GET', function: 'shop-GetNote', api: 'Api' },
      { path: '/notes/{id}', method: 'OPTIONS', function: 'shop-NoteOptions', api: 'Api' },
    ]);
    expect(m.apis.Api).toMatchObject({ type: 'rest', stage: 'v1' });
    // That OPTIONS MOCK has no integration response: API Gateway's answer to it is an error.
    expect(m.warnings).toEqual(['NoteOptions: OPTIONS /notes/{id}: no IntegrationResponses: API Gateway answers every call 500 {"message": "Internal server error"}, and so does esb']);
  });

  it('serves the OpenAPI form of a SAM Api, inline and through AWS::Include: responses by selection pattern, passthrough in any case', () => {
    const operation = (uri: string) => `
                x-amazon-apigateway-integration:
                  type: aws
                  httpMethod: POST
                  uri: ${uri}
                  credentials: arn:aws:iam::123456789012:role/api
                  passthroughBehavior: never
                  requestTemplates:
                    application/json: '{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:shop-Flow", "input": "$util.escapeJavaScript($input.json(''$''))"}'
                  responses:
                    default:
                      statusCode: '200'
                      responseTemplates: {application/json: "$util.parseJson($input.json('$.output'))"}
                    "4\\\\d{2}":
                      statusCode: '400'
                      responseParameters: {method.response.header.Access-Control-Allow-Origin: "'*'"}`;
    const template = (definition: string) => `
Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties: {Type: EXPRESS, Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
${definition}`;
    const inline = read(
      template(`      DefinitionBody:
        openapi: 3.0.1
        paths:
          /quotes/{id}:
            x-amazon-apigateway-any-method:${operation('!Sub "arn:aws:apigateway:${AWS::Region}:states:action/StartSyncExecution"')}`),
    );
    expect(builtins(inline).map((f) => [f.key, f.timeout])).toEqual([['shop-ApiAnyQuotesIdIntegration', 29]]);
    expect(configOf(builtins(inline)[0])).toMatchObject({
      service: 'states',
      action: 'StartSyncExecution',
      passthroughBehavior: 'NEVER',
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': "$util.parseJson($input.json('$.output'))" }, responseParameters: {} },
        { statusCode: 400, selectionPattern: '4\\d{2}', responseTemplates: {}, responseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'*'" } },
      ],
      resourcePath: '/quotes/{id}',
    });
    expect(inline.routes).toEqual([{ path: '/quotes/{id}', method: 'ANY', function: 'shop-ApiAnyQuotesIdIntegration', api: 'Api' }]);
    expect(inline.warnings).toEqual([]);

    const included = read(template(`      DefinitionBody:\n        Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./api.yaml}}`), {
      readLocalFile: files({ 'api.yaml': `openapi: 3.0.1\npaths:\n  /quotes:\n    post:${operation('{"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:states:action/StartSyncExecution"}').replace(/^ {10}/gm, '')}` }),
    });
    expect(included.warnings).toEqual([]);
    expect(included.routes).toEqual([{ path: '/quotes', method: 'POST', function: 'shop-ApiPostQuotesIntegration', api: 'Api' }]);
    expect(configOf(builtins(included)[0])).toMatchObject({ service: 'states', passthroughBehavior: 'NEVER' });
    // The state machine a request template names by ARN is checked as a fixed StateMachineArn is.
    const elsewhere = read(template(`      DefinitionBody:\n        paths:\n          /quotes:\n            post:${operation('arn:aws:apigateway:us-east-1:states:action/StartExecution').replace('shop-Flow', 'pricing')}`));
    expect(elsewhere.warnings).toEqual(['Api.DefinitionBody.paths["/quotes"].post: state machine "pricing" is not defined in this template; it is started once a deployed template defines it']);
  });

  it('serves SQS and SNS query integrations: a queue path, an action with its querystring parameters', () => {
    const m = read(`
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: '2.0'
        paths:
          /jobs:
            post:
              x-amazon-apigateway-integration:
                type: AWS
                uri: !Sub arn:aws:apigateway:\${AWS::Region}:sqs:path/\${AWS::AccountId}/\${Jobs.QueueName}
                requestParameters: {integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"}
                requestTemplates: {application/json: Action=SendMessage&MessageBody=$util.urlEncode($input.body)}
                responses: {default: {statusCode: 200}}
          /alerts:
            post:
              x-amazon-apigateway-integration:
                type: aws
                uri: arn:aws:apigateway:us-east-1:sns:action/Publish
                requestParameters:
                  integration.request.querystring.TopicArn: "'arn:aws:sns:us-east-1:123456789012:alerts'"
                  integration.request.querystring.Message: method.request.body
                responses: {default: {statusCode: 200}}
          /elsewhere:
            post:
              x-amazon-apigateway-integration: {type: aws, uri: 'arn:aws:apigateway:us-east-1:sqs:path/123456789012/other', responses: {default: {statusCode: 200}}}
`);
    expect(builtins(m).map((f) => [f.key, configOf(f).service, configOf(f).path ?? configOf(f).action])).toEqual([
      ['shop-ApiPostJobsIntegration', 'sqs', '123456789012/shop-Jobs'],
      ['shop-ApiPostAlertsIntegration', 'sns', 'Publish'],
      ['shop-ApiPostElsewhereIntegration', 'sqs', '123456789012/other'],
    ]);
    expect(configOf(builtins(m)[1]).requestParameters).toEqual({ 'integration.request.querystring.TopicArn': "'arn:aws:sns:us-east-1:123456789012:alerts'", 'integration.request.querystring.Message': 'method.request.body' });
    expect(m.routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /jobs', 'POST /alerts', 'POST /elsewhere']);
    expect(m.warnings).toEqual(['Api.Body.paths["/elsewhere"].post: queue "other" is not declared in this template; it receives the method\'s calls once a deployed template declares it']);
  });

  it('a template whose only routes are AWS integrations is served without a NO ROUTES warning', () => {
    const m = read(cfnApi(getNote));
    expect(m.routes).toHaveLength(1);
    expect(m.warnings).toEqual([]);
  });

  it('serves a Lambda custom integration (CloudFormation form): the function its URI names by ARN, reached as a proxy route\'s function is', () => {
    const m = read(`
Transform: AWS::Serverless-2016-10-31
${cfnApi(`
  Words:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: x
      Handler: index.handler
      Runtime: nodejs20.x
      Events:
        Things: {Type: IoTRule, Properties: {Sql: "SELECT * FROM 'words'"}}
  Upper:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NoteResource
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Words.Arn}/invocations
        RequestTemplates:
          application/json: '{"text": "$input.params(''id'')"}'
        IntegrationResponses:
          - StatusCode: 200
            ResponseTemplates: {application/json: '{"upper": "$input.path(''$.upper'')"}'}
          - StatusCode: 400
            SelectionPattern: 'empty: .*'
            ResponseTemplates: {application/json: '{"message": "$input.path(''$.errorMessage'')"}'}`)}`);
    expect(builtins(m).map((f) => f.key)).toEqual(['shop-Upper']);
    expect(configOf(builtins(m)[0])).toEqual({
      service: 'lambda',
      function: 'shop-Words',
      httpMethod: 'POST',
      requestTemplates: { 'application/json': '{"text": "$input.params(\'id\')"}' },
      passthroughBehavior: 'WHEN_NO_MATCH',
      requestParameters: {},
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': '{"upper": "$input.path(\'$.upper\')"}' }, responseParameters: {} },
        { statusCode: 400, selectionPattern: 'empty: .*', responseTemplates: { 'application/json': '{"message": "$input.path(\'$.errorMessage\')"}' }, responseParameters: {} },
      ],
      resourcePath: '/notes/{id}',
    });
    expect(m.routes).toEqual([{ path: '/notes/{id}', method: 'GET', function: 'shop-Upper', api: 'Api' }]);
    // Reached through the method: no UNREACHABLE warning for the function whose only event esb does not run.
    expect(m.warnings).toEqual(['event type IoTRule is not run by esb; skipped: Words.Things']);
  });

  it('serves a Lambda custom integration (OpenAPI form): the version or alias kept as the qualifier, a function of another template warned of, the invocation type a header parameter', () => {
    const m = read(`
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: x, Handler: index.handler, Runtime: nodejs20.x, AutoPublishAlias: live}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /orders:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub 'arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Orders.Arn}:live/invocations'
                requestParameters: {integration.request.header.X-Amz-Invocation-Type: "'Event'"}
                requestTemplates: {application/json: '{"order": $input.json(''$'')}'}
                passthroughBehavior: never
                responses: {default: {statusCode: '202', responseTemplates: {application/json: '{"accepted": true}'}}}
          /audit:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: GET
                uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:audit-Reader/invocations
                responses: {default: {statusCode: 200}, '.*not found.*': {statusCode: 404}}
`);
    expect(builtins(m).map((f) => [f.key, configOf(f).function, configOf(f).qualifier, configOf(f).httpMethod])).toEqual([
      ['shop-ApiPostOrdersIntegration', 'shop-Orders', 'live', 'POST'],
      ['shop-ApiGetAuditIntegration', 'audit-Reader', undefined, 'POST'],
    ]);
    expect(configOf(builtins(m)[0])).toMatchObject({ requestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" }, passthroughBehavior: 'NEVER' });
    expect(configOf(builtins(m)[1]).responses).toEqual([
      { statusCode: 200, responseTemplates: {}, responseParameters: {} },
      { statusCode: 404, selectionPattern: '.*not found.*', responseTemplates: {}, responseParameters: {} },
    ]);
    expect(m.routes.map((r) => `${r.method} ${r.path} ${r.function}`)).toEqual(['POST /orders shop-ApiPostOrdersIntegration', 'GET /audit shop-ApiGetAuditIntegration']);
    expect(m.warnings).toEqual([
      'Api.DefinitionBody.paths["/audit"].get: httpMethod GET: Lambda is invoked with POST, and esb invokes it so',
      'Api.DefinitionBody.paths["/audit"].get: function "audit-Reader" is not defined in this template; it is invoked once a deployed template defines it',
    ]);
    // A Lambda URI that names no function ARN is refused, naming the field.
    const bad = failure(cfnApi(`
  Bad:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NotesResource
      HttpMethod: POST
      Integration: {Type: AWS, Uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/words/invocations'}`));
    expect(bad).toEqual(['Bad', 'Integration.Uri', '"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/words/invocations" must be arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations']);
  });

  it('warns of services esb does not run, naming the service, and does not serve those methods', () => {
    const method = (id: string, uri: string, extra = '', verb = 'PUT') => `
  ${id}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NotesResource
      HttpMethod: ${verb}
      Integration: {Type: AWS, IntegrationHttpMethod: POST, Uri: '${uri}', IntegrationResponses: [{StatusCode: 200}]${extra}}`;
    const m = read(
      cfnApi(
        method('Translate', 'arn:aws:apigateway:us-east-1:translate:action/TranslateText') +
          method('Record', 'arn:aws:apigateway:us-east-1:kinesis:action/PutRecord', '', 'POST') +
          method('Upload', 'arn:aws:apigateway:us-east-1:s3:action/PutObject') +
          method('ByPath', 'arn:aws:apigateway:us-east-1:dynamodb:path/tables') +
          method('Converted', 'arn:aws:apigateway:us-east-1:events:action/PutEvents', ', ContentHandling: CONVERT_TO_TEXT'),
      ),
    );
    // Kinesis is served (docs/kinesis.md): its method gets the built-in function like the others.
    expect(m.routes.map((r) => r.function)).toEqual(['shop-Record', 'shop-Converted']);
    expect(configOf(builtins(m)[0])).toMatchObject({ service: 'kinesis', action: 'PutRecord' });
    const served = 'esb serves DynamoDB, Step Functions, EventBridge, SNS, SQS, Kinesis, S3 (path/ URIs) and Lambda custom integrations';
    expect(m.warnings).toEqual([
      `Translate: PUT /notes: AWS integration with translate is not emulated (${served}); the method is not served`,
      `Upload: PUT /notes: AWS integration with s3 action/ URIs is not emulated (${served}); the method is not served`,
      `ByPath: PUT /notes: AWS integration with dynamodb path/ URIs is not emulated (${served}); the method is not served`,
      'Converted: PUT /notes: ContentHandling "CONVERT_TO_TEXT" is not emulated; bodies pass as text',
    ]);
  });

  it('warns of a method without integration responses, and of a template velocityjs cannot parse (served: API Gateway fails such requests itself)', () => {
    const m = read(
      cfnApi(`
  Bare:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NotesResource
      HttpMethod: POST
      Integration:
        Type: AWS
        Uri: arn:aws:apigateway:us-east-1:dynamodb:action/Scan
        RequestTemplates: {application/json: '{"TableName": "\${AWS::Region}"}'}`),
    );
    expect(m.routes).toHaveLength(1);
    expect(m.warnings).toEqual([
      expect.stringMatching(/^Bare\.Integration\.RequestTemplates\.application\/json: not a Velocity template esb can run \(.+\); requests it applies to are answered 500 \{"message": "Internal server error"\}$/),
      'Bare: POST /notes: no IntegrationResponses: API Gateway answers every call 500 {"message": "Internal server error"}, and so does esb',
    ]);
  });

  it('fails naming the method or operation and the field of what API Gateway would refuse', () => {
    const integration = (fields: string) => cfnApi(`
  Bad:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NotesResource
      HttpMethod: POST
      Integration:
        Type: AWS
${fields}`);
    const uri = '        Uri: arn:aws:apigateway:us-east-1:dynamodb:action/PutItem\n';
    expect(failure(integration('        IntegrationResponses: []'))).toEqual(['Bad', 'Integration.Uri', 'is required: arn:aws:apigateway:<region>:<service>:action/<Action> or :path/<path>']);
    expect(failure(integration('        Uri: arn:aws:dynamodb:us-east-1:123456789012:table/notes'))[1]).toBe('Integration.Uri');
    expect(failure(integration(`${uri}        PassthroughBehavior: SOMETIMES`))).toEqual(['Bad', 'Integration.PassthroughBehavior', 'must be WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER (any case), not "SOMETIMES"']);
    expect(failure(integration(`${uri}        IntegrationResponses: {StatusCode: 200}`))[1]).toBe('Integration.IntegrationResponses');
    expect(failure(integration(`${uri}        IntegrationResponses: [{StatusCode: 200}, {StatusCode: ok}]`))).toEqual(['Bad', 'Integration.IntegrationResponses[1].StatusCode', 'must be an HTTP status code (100 to 599), not "ok"']);
    expect(failure(integration(`${uri}        IntegrationResponses: [{StatusCode: 400, SelectionPattern: '4(\\d'}]`))[1]).toBe('Integration.IntegrationResponses[0].SelectionPattern');
    expect(failure(integration(`${uri}        RequestParameters: {integration.request.body: method.request.body}`))[1]).toBe('Integration.RequestParameters.integration.request.body');
    expect(failure(integration(`${uri}        RequestParameters: {integration.request.header.X: $request.body}`))[2]).toMatch(/^must be a 'literal', method\.request\.path\|querystring\|header\.<name>, .* not "\$request\.body"$/);
    expect(failure(integration(`${uri}        IntegrationResponses: [{StatusCode: 200, ResponseParameters: {method.response.header.X: method.request.header.Y}}]`))[1]).toBe('Integration.IntegrationResponses[0].ResponseParameters.method.response.header.X');
    expect(failure(integration(`${uri}        RequestTemplates: {application/json: {a: 1}}`))[1]).toBe('Integration.RequestTemplates.application/json');
    expect(failure(integration(`${uri}        TimeoutInMillis: 10`))[1]).toBe('Integration.TimeoutInMillis');
    expect(failure(integration('        Uri: arn:aws:apigateway:us-east-1:dynamodb:action/Put-Item'))[1]).toBe('Integration.Uri');
    const openApi = templateErrorOf(() =>
      read(`
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        paths:
          /notes:
            get:
              x-amazon-apigateway-integration: {type: aws, uri: 'arn:aws:apigateway:us-east-1:dynamodb:action/Scan', responses: {default: {statusCode: twohundred}}}
`),
    );
    expect([openApi.logicalId, openApi.field]).toEqual(['Api', 'DefinitionBody.paths["/notes"].get.x-amazon-apigateway-integration.responses["default"].statusCode']);
  });

  it('serves HTTP, HTTP_PROXY and MOCK methods (an OPTIONS MOCK too) by the built-in function; a VPC link is warned of; a URL that is not http(s) is refused', () => {
    const method = (id: string, verb: string, integration: string) => `
  ${id}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref NoteResource
      HttpMethod: ${verb}
      Integration: ${integration}`;
    const m = read(
      cfnApi(
        method('Pass', 'ANY', "{Type: HTTP_PROXY, IntegrationHttpMethod: ANY, Uri: 'http://backend:8080/notes/{id}', ConnectionType: VPC_LINK, ConnectionId: abc, RequestParameters: {integration.request.path.id: method.request.path.id}, IntegrationResponses: [{StatusCode: 200}]}") +
          method('Shape', 'GET', "{Type: HTTP, IntegrationHttpMethod: GET, Uri: 'https://example.org/notes/{id}', IntegrationResponses: [{StatusCode: 200, ResponseTemplates: {application/json: '{}'}}, {StatusCode: 404, SelectionPattern: '404'}]}") +
          method('Fake', 'POST', "{Type: MOCK, RequestTemplates: {application/json: '{\"statusCode\": 200}'}, IntegrationResponses: [{StatusCode: 200}]}") +
          method('Cors', 'OPTIONS', "{Type: MOCK, IntegrationResponses: [{StatusCode: 200}]}"),
      ),
    );
    expect(m.routes.map((r) => `${r.method} ${r.path} ${r.function}`)).toEqual(['ANY /notes/{id} shop-Pass', 'GET /notes/{id} shop-Shape', 'POST /notes/{id} shop-Fake', 'OPTIONS /notes/{id} shop-Cors']);
    const [pass, shape, fake, cors] = builtins(m).map(configOf);
    expect(cors).toMatchObject({ service: 'mock', responses: [{ statusCode: 200 }] });
    expect(pass).toEqual({ service: 'http', url: 'http://backend:8080/notes/{id}', httpMethod: 'ANY', proxy: true, requestTemplates: {}, passthroughBehavior: 'WHEN_NO_MATCH', requestParameters: { 'integration.request.path.id': 'method.request.path.id' }, responses: [], resourcePath: '/notes/{id}' });
    expect(shape).toMatchObject({ service: 'http', url: 'https://example.org/notes/{id}', httpMethod: 'GET', responses: [{ statusCode: 200 }, { statusCode: 404, selectionPattern: '404' }] });
    expect(shape.proxy).toBeUndefined();
    expect(fake).toMatchObject({ service: 'mock', requestTemplates: { 'application/json': '{"statusCode": 200}' }, responses: [{ statusCode: 200 }] });
    expect(m.warnings).toEqual(['Pass: ANY /notes/{id}: the VPC link is not emulated; esb calls http://backend:8080/notes/{id} directly (a parameter naming the host can point it at a local service)']);
    expect(failure(cfnApi(method('Bad', 'GET', "{Type: HTTP_PROXY, Uri: 'backend/notes'}")))).toEqual(['Bad', 'Integration.Uri', 'must be the http:// or https:// URL the integration calls, not "backend/notes"']);
    // A private integration naming a listener by ARN: not served, the rest of the template is.
    const listener = read(cfnApi(method('Private', 'GET', "{Type: HTTP_PROXY, ConnectionType: VPC_LINK, Uri: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/b/c'}")));
    expect(listener.routes).toEqual([]);
    expect(listener.warnings).toEqual(['Private: GET /notes/{id}: the VPC link\'s target "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/b/c" is not a URL esb can call; the route is not served', 'Api: this API defines no route esb can serve']);
  });

  it('serves an HTTP API\'s HTTP_PROXY integrations (AWS::ApiGatewayV2::Integration and OpenAPI http_proxy); their own parameter mapping is a warning', () => {
    const m = read(`
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: front
      ProtocolType: HTTP
      Body:
        openapi: 3.0.1
        paths:
          /echo:
            post:
              x-amazon-apigateway-integration: {type: http_proxy, httpMethod: POST, uri: 'http://backend/echo', payloadFormatVersion: '1.0'}
  Raw:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: raw, ProtocolType: HTTP}
  Backend:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Raw, IntegrationType: HTTP_PROXY, IntegrationMethod: ANY, IntegrationUri: 'http://backend/{proxy}', PayloadFormatVersion: '1.0', RequestParameters: {overwrite:header.x-a: b}}
  Everything:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Raw, RouteKey: 'ANY /{proxy+}', Target: !Sub 'integrations/\${Backend}'}
`);
    expect(m.routes.map((r) => `${r.method} ${r.path} ${r.function}`).sort()).toEqual(['ANY /{proxy+} shop-Backend', 'POST /echo shop-ApiPostEchoIntegration']);
    expect(builtins(m).map(configOf).map((c) => [c.service, c.proxy, c.url, c.httpMethod]).sort()).toEqual([
      ['http', true, 'http://backend/echo', 'POST'],
      ['http', true, 'http://backend/{proxy}', 'ANY'],
    ]);
    expect(m.warnings).toEqual(['Backend: RequestParameters of an HTTP API are not applied; the request passes through as it came']);
  });

  it('keeps the warning for an HTTP API operation of type aws, which HTTP APIs do not have', () => {
    const m = read(`
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /notes:
            get:
              x-amazon-apigateway-integration: {type: aws, uri: 'arn:aws:apigateway:us-east-1:dynamodb:action/Scan'}
`);
    expect(builtins(m)).toEqual([]);
    expect(m.warnings).toContain('Api.Body.paths["/notes"].get: integration type "aws" is not emulated (only aws_proxy, a Lambda proxy integration, and http_proxy); the route is not served');
  });
});

// ------------------------------------------------------------------ the built-in function

interface Call {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}
type Handler = (event: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

describe('the built-in function (deploy/runtime/aws-integration.mjs), against a stub endpoint', () => {
  const calls: Call[] = [];
  let replies: Reply[] = [];
  let server: Server;
  const saved = { ...process.env };
  let logged: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const r = replies.shift() ?? { body: '{}' };
        res.writeHead(r.status ?? 200, { 'content-type': 'application/x-amz-json-1.0', ...r.headers }).end(r.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const service of ['DYNAMODB', 'SFN', 'EVENTBRIDGE', 'SNS', 'SQS', 'LAMBDA']) process.env[`AWS_ENDPOINT_URL_${service}`] = endpoint;
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKLOCAL', AWS_SECRET_ACCESS_KEY: 'secret' });
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise((done) => server.close(done));
  });
  beforeEach(() => {
    calls.length = 0;
    replies = [];
    logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    return () => logged.mockRestore();
  });

  /** The handler as a function instance loads it, with this integration. */
  async function handlerOf(config: Record<string, unknown>): Promise<Handler> {
    process.env.ESB_AWS_INTEGRATION = JSON.stringify({ httpMethod: 'POST', requestTemplates: {}, passthroughBehavior: 'WHEN_NO_MATCH', requestParameters: {}, responses: [{ statusCode: 200, responseTemplates: {}, responseParameters: {} }], resourcePath: '/notes/{id}', ...config });
    vi.resetModules();
    const runtime = '../../runtime/aws-integration.mjs';
    return ((await import(/* @vite-ignore */ runtime)) as { handler: Handler }).handler;
  }
  /** A REST API proxy event, as the gateway builds it. */
  const event = (o: { method?: string; body?: string | null; headers?: Record<string, string>; query?: Record<string, string>; path?: Record<string, string>; stageVariables?: Record<string, string>; authorizer?: unknown } = {}) => ({
    resource: '/notes/{id}',
    path: '/notes/n1',
    httpMethod: o.method ?? 'POST',
    headers: o.headers ?? { 'Content-Type': 'application/json' },
    multiValueHeaders: Object.fromEntries(Object.entries(o.headers ?? { 'Content-Type': 'application/json' }).map(([k, v]) => [k, [v]])),
    queryStringParameters: o.query ?? null,
    multiValueQueryStringParameters: o.query ? Object.fromEntries(Object.entries(o.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: o.path ?? { id: 'n1' },
    stageVariables: o.stageVariables ?? null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'notesapi',
      resourcePath: '/notes/{id}',
      httpMethod: o.method ?? 'POST',
      requestId: 'req-1',
      extendedRequestId: 'req-1',
      requestTime: '09/Apr/2015:12:34:56 +0000',
      requestTimeEpoch: 1428582896000,
      path: '/Prod/notes/n1',
      stage: 'Prod',
      identity: { sourceIp: '203.0.113.9', userAgent: 'curl/8.5' },
      authorizer: o.authorizer ?? null,
    },
    body: o.body === undefined ? '{"text": "hi"}' : o.body,
    isBase64Encoded: false,
  });
  const rendering = (template: string) => handlerOf({ service: 'dynamodb', action: 'PutItem', requestTemplates: { 'application/json': template } });
  /** What a request template renders for this event (the body the stub received). */
  const rendered = async (template: string, e = event()) => {
    const r = await (await rendering(template))(e);
    expect(r.statusCode, r.body).toBe(200);
    return calls[calls.length - 1].body;
  };

  it('calls DynamoDB with the rendered body, its JSON protocol target, and a SigV4 signature; answers with the response template', async () => {
    const handler = await handlerOf({
      service: 'dynamodb',
      action: 'PutItem',
      requestTemplates: { 'application/json': '{"TableName": "notes", "Item": {"id": {"S": "$context.requestId"}, "text": {"S": "$input.path(\'$.text\')"}}}' },
      responses: [{ statusCode: 201, responseTemplates: { 'application/json': '{"id": "$context.requestId"}' }, responseParameters: {} }],
    });
    const r = await handler(event());
    expect(r).toMatchObject({ statusCode: 201, body: '{"id": "req-1"}', headers: { 'content-type': 'application/json' } });
    const [call] = calls;
    expect(call).toMatchObject({ method: 'POST', url: '/', body: '{"TableName": "notes", "Item": {"id": {"S": "req-1"}, "text": {"S": "hi"}}}' });
    expect(call.headers).toMatchObject({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' });
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKLOCAL\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/);
  });

  it('gives templates $input, $util, $context and $stageVariables as API Gateway does', async () => {
    const e = event({
      body: JSON.stringify({ name: 'Ann "A" O\'Neil/é', items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }], nested: { k: 'v', n: [1, 2] }, nothing: null }),
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Id': 'from-header', 'User-Agent': 'curl/8.5' },
      query: { id: 'from-query', q: 'a b&c' },
      stageVariables: { table: 'notes-dev' },
      authorizer: { principalId: 'u1', claims: { sub: 'abc' } },
    });
    const lines = [
      '$input.json(\'$.items[0]\')|$input.json(\'$.name\')|$input.json(\'$.missing\')|$input.json(\'$.items[*].sku\')',
      '$input.path(\'$.nested\')|$input.path(\'$.items\').size()|$input.path(\'$.items[1].qty\')|$input.path(\'$.missing\')|$input.path(\'$.nothing\')|$input.path(\'$..sku\')',
      '#foreach($item in $input.path(\'$.items\'))$item.sku=$item.qty#if($foreach.hasNext),#end#end.',
      "$input.params('id')|$input.params('q')|$input.params('x-id')|$input.params().path.id|$input.params().querystring.q|$input.params().header.get('X-Id')|[$input.params('none')]",
      '$util.escapeJavaScript($input.path(\'$.name\'))|$util.urlEncode($input.params(\'q\'))|$util.urlDecode(\'a+b%26c\')|$util.base64Encode(\'hé\')|$util.base64Decode(\'aMOp\')|$util.parseJson(\'{"a": [1]}\').a[0]',
      '$context.requestId|$context.extendedRequestId|$context.httpMethod|$context.resourcePath|$context.path|$context.stage|$context.identity.sourceIp|$context.identity.userAgent|$context.requestTimeEpoch|$context.authorizer.claims.sub|$context.authorizer.principalId|$stageVariables.table',
      "#set($n = $input.path('$.name'))$n.length()|$n.replaceAll('[^A-Za-z]+', '-')|$util.escapeJavaScript($n).replaceAll(\"\\\\'\", \"'\")|$n.split(' ').size()|$n.matches('Ann.*')|$n.toUpperCase()|$input.body.length()",
    ];
    const out = (await rendered(lines.join('\n'), e)).split('\n');
    expect(out[0]).toBe('{"sku":"a","qty":1}|"Ann \\"A\\" O\'Neil/é"||["a","b"]');
    expect(out[1]).toBe('{k=v, n=[1, 2]}|2|2|||[a, b]');
    expect(out[2]).toBe('a=1,b=2.');
    expect(out[3]).toBe('n1|a b&c|from-header|n1|a b&c|from-header|[]');
    expect(out[4]).toBe('Ann \\"A\\" O\\\'Neil\\/\\u00E9|a+b%26c|a b&c|aMOp|hé|1');
    expect(out[5]).toBe('req-1|req-1|POST|/notes/{id}|/Prod/notes/n1|Prod|203.0.113.9|curl/8.5|1428582896000|abc|u1|notes-dev');
    expect(out[6]).toBe(`16|Ann-A-O-Neil-|Ann \\"A\\" O'Neil\\/\\u00E9|3|true|ANN "A" O'NEIL/É|${e.body!.length}`);
  });

  it('picks the request template by Content-Type and passes through or refuses as PassthroughBehavior says', async () => {
    const templates = { 'application/json': 'json:$input.body', 'application/x-www-form-urlencoded': 'form:$input.body' };
    const send = async (config: Record<string, unknown>, headers: Record<string, string>) => {
      calls.length = 0;
      const r = await (await handlerOf({ service: 'dynamodb', action: 'PutItem', ...config }))(event({ body: 'a=1', headers }));
      return r.statusCode === 200 ? calls[0].body : `${r.statusCode} ${r.body}`;
    };
    expect(await send({ requestTemplates: templates }, { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=utf-8' })).toBe('form:a=1');
    // No Content-Type: taken as application/json.
    expect(await send({ requestTemplates: templates }, {})).toBe('json:a=1');
    expect(await send({ requestTemplates: templates }, { 'content-type': 'text/plain' })).toBe('a=1');
    expect(await send({ requestTemplates: templates, passthroughBehavior: 'WHEN_NO_TEMPLATES' }, { 'content-type': 'text/plain' })).toBe('415 {"message":"Unsupported Media Type"}');
    expect(await send({ requestTemplates: {}, passthroughBehavior: 'WHEN_NO_TEMPLATES' }, { 'content-type': 'text/plain' })).toBe('a=1');
    expect(await send({ requestTemplates: {}, passthroughBehavior: 'NEVER' }, {})).toBe('415 {"message":"Unsupported Media Type"}');
    expect(await send({ requestTemplates: { 'application/json': '' }, passthroughBehavior: 'NEVER' }, {})).toBe('a=1');
    // $input.json over a body that is not JSON: API Gateway's 400.
    expect(await send({ requestTemplates: { 'application/json': "$input.json('$')" } }, {})).toMatch(/^400 \{"message":"Could not parse request body into json: .+"\}$/);
    // An empty body reads as {}.
    calls.length = 0;
    await (await rendering("$input.json('$')|$input.path('$.a')|"))(event({ body: null }));
    expect(calls[0].body).toBe('{}||');
  });

  it('answers with the integration response whose SelectionPattern matches the status, else the default; none: 500', async () => {
    const error = { status: 400, body: '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}' };
    const responses = [
      { statusCode: 200, responseTemplates: { 'application/json': '{"ok": true}' }, responseParameters: { 'method.response.header.X-Request': 'integration.response.header.x-amzn-requestid', 'method.response.header.Cache-Control': "'no-store'" } },
      { statusCode: 404, selectionPattern: '4\\d{2}', responseTemplates: { 'application/json': '{"error": "$input.path(\'$.message\')"}' }, responseParameters: { 'method.response.header.X-Error': 'integration.response.body.__type' } },
      { statusCode: 503, selectionPattern: '5\\d{2}', responseTemplates: {}, responseParameters: {} },
    ];
    const handler = await handlerOf({ service: 'dynamodb', action: 'GetItem', responses });
    replies = [{ body: '{}', headers: { 'x-amzn-requestid': 'ddb-1' } }, error, { status: 500, body: '{"message":"boom"}' }];
    expect(await handler(event())).toMatchObject({ statusCode: 200, body: '{"ok": true}', headers: { 'x-request': 'ddb-1', 'cache-control': 'no-store' } });
    expect(await handler(event())).toMatchObject({ statusCode: 404, body: '{"error": "Requested resource not found"}', headers: { 'x-error': 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' } });
    // No template: the service's body as it came, as JSON.
    expect(await handler(event())).toMatchObject({ statusCode: 503, body: '{"message":"boom"}', headers: { 'content-type': 'application/json' } });

    // A pattern must match the whole status; an error no pattern takes gets the default response (API Gateway's 200 with the error body).
    replies = [error];
    const only2xx = await handlerOf({ service: 'dynamodb', action: 'GetItem', responses: [{ statusCode: 200, responseTemplates: {}, responseParameters: {} }, { statusCode: 418, selectionPattern: '40', responseTemplates: {}, responseParameters: {} }] });
    expect(await only2xx(event())).toMatchObject({ statusCode: 200, body: error.body });
    replies = [error];
    const noDefault = await handlerOf({ service: 'dynamodb', action: 'GetItem', responses: [{ statusCode: 200, selectionPattern: '2\\d{2}', responseTemplates: {}, responseParameters: {} }] });
    expect(await noDefault(event())).toMatchObject({ statusCode: 500, body: '{"message":"Internal server error"}' });
    expect(String(logged.mock.calls.at(-1)?.[0])).toContain('no match for output mapping and no default output mapping configured; the service answered 400');
  });

  it('lets templates override: $context.responseOverride status and headers, $context.requestOverride headers; the response template is the one the caller accepts', async () => {
    const handler = await handlerOf({
      service: 'dynamodb',
      action: 'GetItem',
      requestTemplates: { 'application/json': '#set($context.requestOverride.header.X-Trace = "t-$context.requestId")#set($context.requestOverride.header.X-Amz-Target = "ignored"){}' },
      responses: [
        {
          statusCode: 200,
          responseTemplates: {
            'application/json': '#set($item = $input.path(\'$.Item\'))#if($item == "")#set($context.responseOverride.status = 404)#set($context.responseOverride.header.X-Missing = "yes"){"message": "not found"}#else{"id": "$item.id.S"}#end',
            'text/plain': 'id=$input.path(\'$.Item.id.S\')',
          },
          responseParameters: {},
        },
      ],
    });
    replies = [{ body: '{}' }, { body: '{"Item": {"id": {"S": "n1"}}}' }, { body: '{"Item": {"id": {"S": "n1"}}}' }];
    expect(await handler(event())).toMatchObject({ statusCode: 404, body: '{"message": "not found"}', headers: { 'x-missing': 'yes', 'content-type': 'application/json' } });
    expect(calls[0].headers).toMatchObject({ 'x-trace': 't-req-1', 'x-amz-target': 'DynamoDB_20120810.GetItem' });
    expect(await handler(event())).toMatchObject({ statusCode: 200, body: '{"id": "n1"}' });
    expect(await handler(event({ headers: { 'content-type': 'application/json', accept: 'text/plain, */*' } }))).toMatchObject({ statusCode: 200, body: 'id=n1', headers: { 'content-type': 'text/plain' } });
  });

  it('maps RequestParameters onto an SNS action and an SQS queue path (query protocol), and gives their XML answers in JSON form unless XML is asked for', async () => {
    const sns = await handlerOf({
      service: 'sns',
      action: 'Publish',
      requestParameters: {
        'integration.request.querystring.TopicArn': "'arn:aws:sns:us-east-1:123456789012:alerts'",
        'integration.request.querystring.Message': 'method.request.body',
        'integration.request.querystring.Subject': 'method.request.querystring.subject',
        'integration.request.querystring.Absent': 'method.request.header.x-absent',
        'integration.request.header.X-Stage': 'context.stage',
      },
      responses: [{ statusCode: 200, responseTemplates: { 'application/json': '{"id": "$input.path(\'$.PublishResponse.PublishResult.MessageId\')"}' }, responseParameters: {} }],
    });
    replies = [{ headers: { 'content-type': 'text/xml' }, body: '<?xml version="1.0"?><PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>' }];
    expect(await sns(event({ body: 'hello & bye', query: { subject: 'Hi' } }))).toMatchObject({ statusCode: 200, body: '{"id": "m-1"}' });
    const url = new URL(calls[0].url, 'http://x');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toEqual({ Action: 'Publish', TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts', Message: 'hello & bye', Subject: 'Hi' });
    expect(calls[0].headers).toMatchObject({ 'x-stage': 'Prod', 'content-type': 'application/x-www-form-urlencoded' });
    expect(calls[0].headers.authorization).toContain('/us-east-1/sns/aws4_request');

    const sqs = await handlerOf({
      service: 'sqs',
      path: '123456789012/jobs',
      requestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
      requestTemplates: { 'application/json': 'Action=SendMessage&MessageBody=$util.urlEncode($input.body)' },
    });
    const sent = '<?xml version="1.0" encoding="UTF-8"?>\n<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><SendMessageResult><MessageId>q-1</MessageId><MD5OfMessageBody>abc</MD5OfMessageBody></SendMessageResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></SendMessageResponse>';
    replies = [{ headers: { 'content-type': 'text/xml' }, body: sent }];
    const r = await sqs(event({ body: '{"job": 1}' }));
    expect(calls[1]).toMatchObject({ method: 'POST', url: '/123456789012/jobs', body: 'Action=SendMessage&MessageBody=%7B%22job%22%3A+1%7D' });
    expect(calls[1].headers.authorization).toContain('/sqs/aws4_request');
    expect(JSON.parse(r.body)).toEqual({ SendMessageResponse: { SendMessageResult: { MessageId: 'q-1', MD5OfMessageBody: 'abc' }, ResponseMetadata: { RequestId: 'r-2' } } });
    // An error answer: the Error itself, as the service's JSON form has it.
    replies = [{ status: 400, headers: { 'content-type': 'text/xml' }, body: '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>no &amp; such</Message><Detail/></Error><RequestId>r-3</RequestId></ErrorResponse>' }];
    expect(JSON.parse((await sqs(event())).body)).toEqual({ Error: { Type: 'Sender', Code: 'AWS.SimpleQueueService.NonExistentQueue', Message: 'no & such', Detail: '' }, RequestId: 'r-3' });
    // Asked for XML: XML it is.
    const xml = await handlerOf({ service: 'sqs', path: '123456789012/jobs', requestParameters: { 'integration.request.header.Accept': "'application/xml'" } });
    replies = [{ headers: { 'content-type': 'text/xml' }, body: sent }];
    expect((await xml(event())).body).toBe(sent);
  });

  it('starts Step Functions and puts events on EventBridge with their JSON protocols; the output is read with $util.parseJson', async () => {
    const sfn = await handlerOf({
      service: 'states',
      action: 'StartSyncExecution',
      requestTemplates: { 'application/json': '{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:flow", "input": "$util.escapeJavaScript($input.json(\'$\'))"}' },
      responses: [{ statusCode: 200, responseTemplates: { 'application/json': "#set($out = $util.parseJson($input.path('$.output'))){\"status\": \"$input.path('$.status')\", \"total\": $out.total, \"started\": $input.path('$.startDate')}" }, responseParameters: {} }],
    });
    replies = [{ body: '{"status":"SUCCEEDED","output":"{\\"total\\":12}","startDate":1733456789.5}' }];
    expect(await sfn(event({ body: '{"qty": 12}' }))).toMatchObject({ statusCode: 200, body: '{"status": "SUCCEEDED", "total": 12, "started": 1733456789.5}' });
    expect(JSON.parse(calls[0].body)).toEqual({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', input: '{"qty":12}' });
    expect(calls[0].headers).toMatchObject({ 'x-amz-target': 'AWSStepFunctions.StartSyncExecution', 'content-type': 'application/x-amz-json-1.0' });
    const events = await handlerOf({ service: 'events', action: 'PutEvents', requestTemplates: { 'application/json': '{"Entries": [{"Source": "notes", "DetailType": "NoteShared", "Detail": "$util.escapeJavaScript($input.json(\'$\'))"}]}' } });
    await events(event());
    expect(calls[1].headers).toMatchObject({ 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' });
    expect(JSON.parse(JSON.parse(calls[1].body).Entries[0].Detail)).toEqual({ text: 'hi' });
  });

  it('invokes a Lambda custom integration\'s function through the Invoke API and picks the response by a failed function\'s errorMessage', async () => {
    const handler = await handlerOf({
      service: 'lambda',
      function: 'shop-Words',
      requestTemplates: { 'application/json': '{"text": "$input.params(\'id\')"}' },
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': '{"upper": "$input.path(\'$.upper\')"}' }, responseParameters: { 'method.response.header.X-Length': 'integration.response.body.length' } },
        { statusCode: 404, selectionPattern: '.*not found.*', responseTemplates: { 'application/json': '{"message": "$input.path(\'$.errorMessage\')"}' }, responseParameters: {} },
      ],
    });
    const failed = (errorMessage: string) => ({ headers: { 'x-amz-function-error': 'Unhandled', 'content-type': 'application/json' }, body: JSON.stringify({ errorType: 'Error', errorMessage, trace: [] }) });
    replies = [{ body: '{"upper": "N1", "length": 2}' }, failed('note n1 not found'), failed('boom'), { body: '"nothing not found here"' }];
    // Success: the default response over the function's result.
    expect(await handler(event())).toMatchObject({ statusCode: 200, body: '{"upper": "N1"}', headers: { 'x-length': '2', 'content-type': 'application/json' } });
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/2015-03-31/functions/shop-Words/invocations', body: '{"text": "n1"}' });
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(calls[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKLOCAL\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
    // A failure: its errorMessage picks the response.
    expect(await handler(event())).toMatchObject({ statusCode: 404, body: '{"message": "note n1 not found"}' });
    // A failure no pattern takes: the default response (its template over the error document).
    expect(await handler(event())).toMatchObject({ statusCode: 200, body: '{"upper": ""}' });
    // A success is never matched against the patterns, whatever it says.
    expect(await handler(event())).toMatchObject({ statusCode: 200, body: '{"upper": ""}' });
  });

  it('passes the body through to a Lambda custom integration as API Gateway does, invokes asynchronously when a header parameter says Event, and answers 500 when Lambda refuses the call', async () => {
    const passthrough = await handlerOf({ service: 'lambda', function: 'shop-Words' });
    const error = { headers: { 'x-amz-function-error': 'Unhandled' }, body: '{"errorMessage":"empty: nothing to shout","errorType":"Error"}' };
    replies = [{ body: '{"upper": "HI"}' }, error];
    // No template: the body as it came, and the function's payload as it came.
    expect(await passthrough(event())).toMatchObject({ statusCode: 200, body: '{"upper": "HI"}', headers: { 'content-type': 'application/json' } });
    expect(calls[0].body).toBe('{"text": "hi"}');
    expect(await passthrough(event())).toMatchObject({ statusCode: 200, body: error.body });

    const async = await handlerOf({
      service: 'lambda',
      function: 'shop-Orders',
      requestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
      requestTemplates: { 'application/json': '{"order": $input.json(\'$\'), "id": "$context.requestId"}' },
      responses: [{ statusCode: 202, responseTemplates: { 'application/json': '{"accepted": "$context.requestId"}' }, responseParameters: {} }],
    });
    replies = [{ status: 202, body: '' }];
    expect(await async(event())).toMatchObject({ statusCode: 202, body: '{"accepted": "req-1"}' });
    expect(calls[2].headers['x-amz-invocation-type']).toBe('Event');
    expect(calls[2].headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type,');
    expect(JSON.parse(calls[2].body)).toEqual({ order: { text: 'hi' }, id: 'req-1' });

    // Lambda's own errors (no such function, a payload that is not JSON, throttling) reach no function: 500, the reason in the log.
    replies = [{ status: 404, headers: { 'x-amzn-errortype': 'ResourceNotFoundException' }, body: '{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:shop-Orders"}' }];
    expect(await async(event())).toMatchObject({ statusCode: 500, body: '{"message":"Internal server error"}' });
    expect(String(logged.mock.calls.at(-1)?.[0])).toBe('lambda shop-Orders (POST /notes/{id}): Lambda invocation failed with status 404: {"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:shop-Orders"}');
    // A failure no pattern takes and no default: 500, as for services.
    const noDefault = await handlerOf({ service: 'lambda', function: 'shop-Words', responses: [{ statusCode: 400, selectionPattern: 'empty: .*', responseTemplates: {}, responseParameters: {} }] });
    replies = [error, { headers: { 'x-amz-function-error': 'Unhandled' }, body: '{"errorMessage":"boom"}' }];
    expect(await noDefault(event())).toMatchObject({ statusCode: 400, body: error.body });
    expect(await noDefault(event())).toMatchObject({ statusCode: 500, body: '{"message":"Internal server error"}' });
    expect(String(logged.mock.calls.at(-1)?.[0])).toContain('no match for output mapping and no default output mapping configured');
  });

  it('bounds what a template may cost: #foreach items, ranges, the loops together, text size; such a request is a 500, quickly', async () => {
    const items = JSON.stringify({ items: Array.from({ length: 1001 }, (_, i) => i) });
    const cases: Array<[string, string, string]> = [
      ["#foreach($i in $input.path('$.items'))$i#end", items, 'a #foreach over 1001 items'],
      ['#foreach($i in [1..100000000])x#end', '{}', 'a range [1..100000000]'],
      ['#foreach($a in [1..999])#foreach($b in [1..999])#end#end', '{}', 'loops over more than 100000 items in all'],
      ['#set($s = "xxxxxxxxxxxxxxxx")#foreach($i in [1..40])#set($s = "$s$s")#end$s.length()', '{}', 'a text of more than'],
      ['#set($s = "xxxxxxxxxxxxxxxx")#foreach($i in [1..40])#set($s = $s + $s)#end', '{}', 'a text of more than'],
      ['#set($s = "xxxxxxxxxxxxxxxx")#foreach($i in [1..40])#set($s = $s.concat($s))#end', '{}', 'a text of more than'],
    ];
    for (const [template, body, reason] of cases) {
      const started = Date.now();
      const r = await (await rendering(template))(event({ body }));
      expect(r, template).toMatchObject({ statusCode: 500, body: '{"message":"Internal server error"}' });
      expect(String(logged.mock.calls.at(-1)?.[0]), template).toContain(reason);
      expect(Date.now() - started, template).toBeLessThan(3000);
    }
    // Within the bounds, a loop runs whole.
    expect(await rendered("#foreach($i in $input.path('$.items'))$i#end", event({ body: JSON.stringify({ items: Array.from({ length: 1000 }, () => 1) }) }))).toBe('1'.repeat(1000));
    expect(calls).toHaveLength(1);
  });

  it('MOCK: the status the request template names picks the integration response; nothing is called', async () => {
    const handler = await handlerOf({
      service: 'mock',
      requestTemplates: { 'application/json': '#if($input.params(\'q\') == \'gone\'){"statusCode": 410}#else{"statusCode": 200}#end' },
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': '{"ok": true, "id": "$input.params(\'id\')"}' }, responseParameters: { 'method.response.header.X-Mock': "'yes'" } },
        { statusCode: 410, selectionPattern: '410', responseTemplates: { 'application/json': '{"gone": true}' }, responseParameters: {} },
      ],
    });
    expect(await handler(event())).toMatchObject({ statusCode: 200, body: '{"ok": true, "id": "n1"}', headers: { 'x-mock': 'yes' } });
    expect(await handler(event({ query: { q: 'gone' } }))).toMatchObject({ statusCode: 410, body: '{"gone": true}' });
    expect(calls).toEqual([]);
  });

  it('HTTP: the rendered body to the URL (path parameters filled, slashes of a greedy one kept), unsigned; the answer through the response selected by its status', async () => {
    const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
    const handler = await handlerOf({
      service: 'http',
      url: `${endpoint}/items/{item}`,
      httpMethod: 'PUT',
      requestTemplates: { 'application/json': '{"text": "$input.path(\'$.text\')"}' },
      requestParameters: { 'integration.request.path.item': 'method.request.path.id', 'integration.request.querystring.v': "'2'", 'integration.request.header.X-Trace': 'context.requestId' },
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': '{"saved": $input.json(\'$.n\')}' }, responseParameters: { 'method.response.header.X-Etag': 'integration.response.header.etag' } },
        { statusCode: 400, selectionPattern: '4\\d\\d', responseTemplates: {}, responseParameters: {} },
      ],
    });
    replies = [{ body: '{"n": 3}', headers: { etag: 'e1', 'content-type': 'application/json' } }];
    expect(await handler(event({ path: { id: 'a b/c' } }))).toMatchObject({ statusCode: 200, body: '{"saved": 3}', headers: { 'x-etag': 'e1' } });
    expect(calls[0]).toMatchObject({ method: 'PUT', url: '/items/a%20b/c?v=2', body: '{"text": "hi"}' });
    expect(calls[0].headers['x-trace']).toBe('req-1');
    expect(calls[0].headers.authorization).toBeUndefined();
    replies = [{ status: 404, body: '{"error": "none"}', headers: { 'content-type': 'application/json' } }];
    expect(await handler(event())).toMatchObject({ statusCode: 400, body: '{"error": "none"}' });
  });

  it('HTTP_PROXY: the request passes through as it came (method, greedy path, query, headers, bytes) and the answer back (status, repeated headers, text or base64), REST and HTTP API events', async () => {
    const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
    const handler = await handlerOf({ service: 'http', proxy: true, url: `${endpoint}/api/{proxy}`, httpMethod: 'ANY', requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy', 'integration.request.header.X-Via': "'gw'" }, responses: [] });
    replies = [{ status: 201, body: 'made', headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] as unknown as string } }];
    const rest = event({ method: 'PATCH', path: { proxy: 'x/y z' }, query: { q: '1' }, headers: { 'X-Custom': 'c', Host: 'front' }, body: Buffer.from([1, 2, 255]).toString('base64') });
    const r = await handler({ ...rest, isBase64Encoded: true });
    expect(r).toEqual({ statusCode: 201, body: 'made', isBase64Encoded: false, multiValueHeaders: expect.objectContaining({ 'content-type': ['text/plain'], 'set-cookie': ['a=1', 'b=2'] }) });
    expect(calls[0]).toMatchObject({ method: 'PATCH', url: '/api/x/y%20z?q=1' });
    expect(calls[0].body.startsWith('\x01\x02')).toBe(true);
    expect(calls[0].headers).toMatchObject({ 'x-custom': 'c', 'x-via': 'gw' });
    expect(calls[0].headers.host).not.toBe('front');

    // Bytes that are not UTF-8 come back as base64.
    replies = [{ status: 200, body: Buffer.from([0xff, 0x00]) as unknown as string, headers: { 'content-type': 'application/octet-stream' } }];
    const v2 = { version: '2.0', rawPath: '/bin', rawQueryString: 'a=1&a=2', cookies: ['s=1'], headers: { accept: '*/*' }, pathParameters: { proxy: 'bin' }, requestContext: { http: { method: 'GET' } }, body: undefined, isBase64Encoded: false };
    const bin = await handler(v2);
    expect(bin).toMatchObject({ statusCode: 200, body: '/wA=', isBase64Encoded: true, cookies: [] });
    expect(calls[1]).toMatchObject({ method: 'GET', url: '/api/bin?a=1&a=2' });
    expect(calls[1].headers.cookie).toBe('s=1');
  });

  it('answers 500 when the service cannot be reached, the reason in the log', async () => {
    const handler = await handlerOf({ service: 'dynamodb', action: 'Scan' });
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:1';
    try {
      expect(await handler(event())).toMatchObject({ statusCode: 500, body: '{"message":"Internal server error"}' });
      expect(String(logged.mock.calls.at(-1)?.[0])).toMatch(/^dynamodb Scan \(POST \/notes\/\{id\}\): the call failed: /);
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.AWS_ENDPOINT_URL_SQS;
    }
  });
});
