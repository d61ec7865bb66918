import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FunctionModel, SamModel } from './model.js';
import { operationIntegrationName } from './service-integrations.js';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const read = (text: string): SamModel => parseSamTemplate(text, { file: 't.yml', stackName: 'shop' });

const errorOf = templateErrorOf;

const builtins = (m: SamModel) => m.functions.filter((f) => f.code?.kind === 'builtin');
const integrationOf = (f: FunctionModel) => JSON.parse(f.environment.ESB_SERVICE_INTEGRATION) as { subtype: string; parameters: Record<string, string> };

// The queue and bus both kinds of template below integrate with.
const queueAndBus = `
  Queue:
    Type: AWS::SQS::Queue
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}`;

// An HTTP API of raw resources: a Lambda route and the integrations `extra` adds.
const cfnApi = (extra: string) => `
Resources:${queueAndBus}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: x, Handler: index.handler, Runtime: nodejs20.x}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: api, ProtocolType: HTTP}
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties: {ApiId: !Ref Api, AuthorizerType: JWT, IdentitySource: [$request.header.Authorization], JwtConfiguration: {Issuer: https://issuer.example, Audience: [shop]}}
  FnIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: '2.0'}
  FnRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /orders
      Target: !Sub integrations/\${FnIntegration}
${extra}`;

const sendIntegration = (params: string, more = '') => `
  SendIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationSubtype: SQS-SendMessage
      CredentialsArn: arn:aws:iam::123456789012:role/api
      PayloadFormatVersion: '1.0'
      RequestParameters:
${params}
${more}`;

const submitRoute = `
  SubmitRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /submit, AuthorizationType: JWT, AuthorizerId: !Ref Jwt, Target: !Join [/, [integrations, !Ref SendIntegration]]}`;

// A SAM HttpApi whose OpenAPI definition has the operations `paths` gives.
const openApi = (paths: string, definition = '') => `
Transform: AWS::Serverless-2016-10-31
Resources:${queueAndBus}
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: x
      Handler: index.handler
      Runtime: nodejs20.x
      Events:
        Messages: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        info: {title: shop, version: '1'}
        paths:
${paths}
${definition}`;

describe('HTTP API direct service integrations (docs/gateway.md, "Service integrations")', () => {
  it('serves an AWS::ApiGatewayV2::Integration of SQS-SendMessage by a built-in function: parameters resolved, route with its auth, no warning', () => {
    const m = read(cfnApi(sendIntegration('        QueueUrl: !Ref Queue\n        MessageBody: $request.body\n        MessageGroupId: !Sub "${AWS::StackName}-orders"', '      TimeoutInMillis: 12500') + submitRoute));
    const [fn] = builtins(m);
    expect(fn).toMatchObject({ key: 'shop-SendIntegration', packageType: 'Zip', runtime: 'nodejs20.x', handler: 'service-integration.handler', code: { kind: 'builtin', file: 'service-integration.mjs' }, timeout: 13, memorySize: 128, events: [] });
    expect(integrationOf(fn)).toEqual({
      subtype: 'SQS-SendMessage',
      parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-Queue', MessageBody: '$request.body', MessageGroupId: 'shop-orders' },
    });
    expect(m.routes).toContainEqual({ path: '/submit', method: 'POST', function: 'shop-SendIntegration', api: 'Api', auth: { authorizer: 'Jwt' } });
    // The built-in function reads either payload: the API's Lambda route keeps 2.0.
    expect(m.apis.Api.payload_format_version).toBe('2.0');
    expect(m.warnings).toEqual([]);
  });

  it('serves EventBridge-PutEvents with the bus named by !GetAtt, !Ref or ${Bus} in a !Sub; the default timeout is 10 seconds', () => {
    const m = read(
      cfnApi(`
  PutIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationSubtype: EventBridge-PutEvents
      PayloadFormatVersion: '1.0'
      RequestParameters:
        EventBusName: !GetAtt Bus.Name
        Source: !Sub "\${Bus}.web"
        DetailType: Order
        Detail: $request.body.order
  PutRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /events, Target: integrations/PutIntegration}`),
    );
    const [fn] = builtins(m);
    expect(fn.timeout).toBe(10);
    expect(integrationOf(fn)).toEqual({ subtype: 'EventBridge-PutEvents', parameters: { EventBusName: 'orders', Source: 'orders.web', DetailType: 'Order', Detail: '$request.body.order' } });
    expect(m.routes).toContainEqual({ path: '/events', method: 'POST', function: 'shop-PutIntegration', api: 'Api' });
    expect(m.warnings).toEqual([]);
  });

  it('adds one function per integration, only once a route uses it; its timeout is TimeoutInMillis rounded up, at most 30 seconds', () => {
    const params = '        QueueUrl: !Ref Queue\n        MessageBody: $request.body';
    const second = `
  SubmitAgainRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: PUT /submit, Target: integrations/SendIntegration}`;
    expect(builtins(read(cfnApi(sendIntegration(params) + submitRoute + second))).map((f) => f.key)).toEqual(['shop-SendIntegration']);
    const unused = read(cfnApi(sendIntegration(params)));
    expect(builtins(unused)).toEqual([]);
    expect(unused.warnings).toEqual([]);
    // Longer than HTTP APIs allow: cut to their 30 seconds.
    expect(builtins(read(cfnApi(sendIntegration(params, '      TimeoutInMillis: 45000') + submitRoute)))[0].timeout).toBe(30);
  });

  it('serves OpenAPI integrations of a SAM HttpApi, keyed <stack>-<ApiId><Method><Path>Integration, with the operation\'s security', () => {
    const m = read(
      openApi(`          /submit:
            post:
              security: [{Jwt: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                integrationSubtype: SQS-SendMessage
                credentials: arn:aws:iam::123456789012:role/api
                payloadFormatVersion: '1.0'
                connectionType: INTERNET
                requestParameters:
                  QueueUrl: {Ref: Queue}
                  MessageBody: $request.body
          /events/{kind}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: AWS_PROXY
                integrationSubtype: EventBridge-PutEvents
                timeoutInMillis: 800
                requestParameters:
                  EventBusName: {Fn::GetAtt: [Bus, Arn]}
                  Source: web
                  DetailType: \${request.path.kind}
                  Detail: $request.body`,
        `        components:
          securitySchemes:
            Jwt:
              type: oauth2
              x-amazon-apigateway-authorizer: {type: jwt, identitySource: $request.header.Authorization, jwtConfiguration: {issuer: https://issuer.example, audience: [shop]}}`,
      ),
    );
    expect(builtins(m).map((f) => [f.key, f.timeout, integrationOf(f)])).toEqual([
      ['shop-ApiPostSubmitIntegration', 10, { subtype: 'SQS-SendMessage', parameters: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-Queue', MessageBody: '$request.body' } }],
      ['shop-ApiAnyEventsKindIntegration', 1, { subtype: 'EventBridge-PutEvents', parameters: { EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/orders', Source: 'web', DetailType: '${request.path.kind}', Detail: '$request.body' } }],
    ]);
    expect(m.routes).toEqual([
      { path: '/submit', method: 'POST', function: 'shop-ApiPostSubmitIntegration', api: 'Api', auth: { authorizer: 'Jwt' } },
      { path: '/events/{kind}', method: 'ANY', function: 'shop-ApiAnyEventsKindIntegration', api: 'Api' },
    ]);
    expect(m.warnings).toEqual([]);
  });

  it('serves OpenAPI integrations of an AWS::ApiGatewayV2::Api Body', () => {
    const m = read(`
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /:
            delete:
              x-amazon-apigateway-integration: {type: aws_proxy, integrationSubtype: SQS-PurgeQueue, payloadFormatVersion: '1.0', requestParameters: {QueueUrl: !GetAtt Queue.QueueUrl}}
          $default:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration: {type: aws_proxy, integrationSubtype: SQS-ReceiveMessage, requestParameters: {QueueUrl: !Ref Queue, MaxNumberOfMessages: 5}}
`);
    expect(builtins(m).map((f) => [f.key, integrationOf(f).parameters])).toEqual([
      ['shop-ApiDeleteRootIntegration', { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-Queue' }],
      ['shop-ApiAnyDefaultIntegration', { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-Queue', MaxNumberOfMessages: '5' }],
    ]);
    expect(m.routes.map((r) => `${r.method} ${r.path} ${r.function}`)).toEqual(['DELETE / shop-ApiDeleteRootIntegration', 'ANY $default shop-ApiAnyDefaultIntegration']);
    expect(m.warnings).toEqual([]);
  });

  it('fails naming a required parameter that is missing, or a bad one', () => {
    expect(errorOf(() => read(cfnApi(sendIntegration('        QueueUrl: !Ref Queue') + submitRoute))).message).toBe(
      't.yml: SendIntegration.RequestParameters.MessageBody: is required by SQS-SendMessage (a fixed value or a selection expression such as $request.body)',
    );
    expect(errorOf(() => read(cfnApi(sendIntegration('        QueueUrl: !Ref Queue\n        MessageBody: {a: 1}')))).field).toBe('RequestParameters.MessageBody');
    expect(errorOf(() => read(cfnApi(sendIntegration('        QueueUrl: !Ref Queue\n        MessageBody: x', '      TimeoutInMillis: soon')))).field).toBe('TimeoutInMillis');
    const noSource = errorOf(() =>
      read(
        openApi(`          /events:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                integrationSubtype: EventBridge-PutEvents
                requestParameters: {Detail: $request.body, DetailType: Order}`),
      ),
    );
    expect(noSource.logicalId).toBe('Api');
    expect(noSource.field).toBe('DefinitionBody.paths["/events"].post.x-amazon-apigateway-integration.requestParameters.Source');
    const noParameters = errorOf(() => read(openApi(`          /purge:\n            post:\n              x-amazon-apigateway-integration: {type: aws_proxy, integrationSubtype: SQS-PurgeQueue}`)));
    expect(noParameters.field).toBe('DefinitionBody.paths["/purge"].post.x-amazon-apigateway-integration.requestParameters.QueueUrl');
    const deleteWithoutHandle = errorOf(() => read(cfnApi(sendIntegration('        QueueUrl: !Ref Queue').replace('SQS-SendMessage', 'SQS-DeleteMessage'))));
    expect(deleteWithoutHandle.field).toBe('RequestParameters.ReceiptHandle');
  });

  it('warns of a parameter the subtype does not take, and of a queue the template does not declare', () => {
    const m = read(cfnApi(sendIntegration('        QueueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/elsewhere\n        MessageBody: $request.body\n        Subject: hi') + submitRoute));
    expect(integrationOf(builtins(m)[0]).parameters).toEqual({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/elsewhere', MessageBody: '$request.body' });
    expect(m.warnings).toEqual([
      expect.stringMatching(/^SendIntegration\.RequestParameters\.Subject: not a parameter of SQS-SendMessage \(it takes QueueUrl, MessageBody, .*\); ignored$/),
      'SendIntegration: queue "elsewhere" is not declared in this template; it receives the route\'s calls once a deployed template declares it',
    ]);
  });

  it('serves Kinesis-PutRecord (the mapped data, partition key from a header); still warns of subtypes it does not serve, and serves no route for them', () => {
    const m = read(
      cfnApi(`
  PutIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationSubtype: Kinesis-PutRecord, PayloadFormatVersion: '1.0', RequestParameters: {StreamName: clicks, Data: $request.body, PartitionKey: $request.header.x-user}}
  PutRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /clicks, Target: integrations/PutIntegration}
  ConfigIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationSubtype: AppConfig-GetConfiguration, PayloadFormatVersion: '1.0', RequestParameters: {Application: a, Environment: e, Configuration: c, ClientId: x}}
  ConfigRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /config, Target: integrations/ConfigIntegration}`),
    );
    expect(builtins(m).map((f) => integrationOf(f))).toEqual([{ subtype: 'Kinesis-PutRecord', parameters: { StreamName: 'clicks', Data: '$request.body', PartitionKey: '$request.header.x-user' } }]);
    expect(m.routes.map((r) => r.path).sort()).toEqual(['/clicks', '/orders']);
    expect(m.warnings).toEqual(['ConfigIntegration.IntegrationUri: integration subtype AppConfig-GetConfiguration (a direct AWS service integration) is not emulated; the route is not served']);
  });

  it('serves StepFunctions-StartExecution, -StartSyncExecution and -StopExecution in the CFN and OpenAPI forms; a machine elsewhere is a warning', () => {
    const machine = `
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties: {Type: EXPRESS, Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}}`;
    const cfn = read(
      cfnApi(`${machine}
  StartIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationSubtype: StepFunctions-StartExecution, PayloadFormatVersion: '1.0', RequestParameters: {StateMachineArn: !Ref Flow, Input: $request.body, Name: $request.header.x-name}}
  StopIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationSubtype: StepFunctions-StopExecution, PayloadFormatVersion: '1.0', RequestParameters: {ExecutionArn: $request.body.executionArn, Cause: stopped by the API}}
  ElsewhereIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationSubtype: StepFunctions-StartExecution, PayloadFormatVersion: '1.0', RequestParameters: {StateMachineArn: arn:aws:states:us-east-1:123456789012:stateMachine:adoptions}}
  StartRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /start, Target: integrations/StartIntegration}
  StopRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /stop, Target: integrations/StopIntegration}
  ElsewhereRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /adopt, Target: integrations/ElsewhereIntegration}`),
    );
    expect(builtins(cfn).map((f) => [f.key, integrationOf(f)])).toEqual([
      ['shop-StartIntegration', { subtype: 'StepFunctions-StartExecution', parameters: { StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:shop-Flow', Input: '$request.body', Name: '$request.header.x-name' } }],
      ['shop-StopIntegration', { subtype: 'StepFunctions-StopExecution', parameters: { ExecutionArn: '$request.body.executionArn', Cause: 'stopped by the API' } }],
      ['shop-ElsewhereIntegration', { subtype: 'StepFunctions-StartExecution', parameters: { StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:adoptions' } }],
    ]);
    expect(cfn.routes.map((r) => `${r.method} ${r.path} ${r.function}`)).toEqual(['GET /orders shop-Fn', 'POST /start shop-StartIntegration', 'POST /stop shop-StopIntegration', 'POST /adopt shop-ElsewhereIntegration']);
    expect(cfn.warnings).toEqual(['ElsewhereIntegration: state machine "adoptions" is not defined in this template; it is started once a deployed template defines it']);

    // As the public apigw-sfn pattern writes it: an HttpApi's OpenAPI operation.
    const openapi = read(
      openApi(`          /:
            post:
              x-amazon-apigateway-integration:
                integrationSubtype: StepFunctions-StartSyncExecution
                credentials: arn:aws:iam::123456789012:role/api
                requestParameters:
                  Input: $request.body
                  StateMachineArn: {Fn::GetAtt: [Flow, Arn]}
                payloadFormatVersion: '1.0'
                type: aws_proxy
                connectionType: INTERNET`) + machine,
    );
    expect(builtins(openapi).map((f) => [f.key, integrationOf(f)])).toEqual([
      ['shop-ApiPostRootIntegration', { subtype: 'StepFunctions-StartSyncExecution', parameters: { Input: '$request.body', StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:shop-Flow' } }],
    ]);
    expect(openapi.warnings).toEqual([]);
    expect(errorOf(() => read(cfnApi(sendIntegration('        Cause: no execution').replace('SQS-SendMessage', 'StepFunctions-StopExecution')))).field).toBe('RequestParameters.ExecutionArn');
    expect(errorOf(() => read(cfnApi(sendIntegration('        Input: $request.body').replace('SQS-SendMessage', 'StepFunctions-StartExecution')))).field).toBe('RequestParameters.StateMachineArn');
  });

  it('keeps keys within 64 characters and distinct from the template\'s functions', () => {
    expect(operationIntegrationName('Api', 'ANY', '/orders/{id}/items-list')).toBe('ApiAnyOrdersIdItemsListIntegration');
    const long = parseSamTemplate(cfnApi(sendIntegration('        QueueUrl: !Ref Queue\n        MessageBody: x') + submitRoute), { file: 't.yml', stackName: 'a-rather-long-stack-name-for-the-shop-application' });
    expect(builtins(long)[0].key).toMatch(/^a-rather-long-stack-name-for-the-shop-application-SendI-[0-9a-f]{8}$/);
    const clash = read(cfnApi(sendIntegration('        QueueUrl: !Ref Queue\n        MessageBody: x') + submitRoute).replace('Properties: {InlineCode: x,', 'Properties: {FunctionName: shop-SendIntegration, InlineCode: x,'));
    expect(builtins(clash)[0].key).toMatch(/^shop-SendIntegration-[0-9a-f]{8}$/);
    expect(clash.routes.find((r) => r.path === '/submit')?.function).toBe(builtins(clash)[0].key);
  });
});

// The built-in function itself, against a Step Functions endpoint that answers as the JSON protocol does.
describe('the built-in function for Step Functions (deploy/runtime/service-integration.mjs)', () => {
  const calls: Array<{ host: string; target: string; body: Record<string, unknown> }> = [];
  const answers: Record<string, { status: number; body: unknown }> = {
    StartExecution: { status: 200, body: { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flow:e1', startDate: 1733456789.123 } },
    StartSyncExecution: {
      status: 200,
      body: { executionArn: 'arn:aws:states:us-east-1:123456789012:express:flow:e2:x', stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', name: 'e2', startDate: 1733456789.5, stopDate: 1733456790.25, status: 'SUCCEEDED', input: '{}', output: '{"ok":true}' },
    },
    StopExecution: { status: 200, body: { stopDate: 1733456791 } },
  };
  let server: Server;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']).replace('AWSStepFunctions.', '');
        const body = JSON.parse(text || '{}') as Record<string, unknown>;
        calls.push({ host: String(req.headers.host), target, body });
        const answer = body.name === 'taken' ? { status: 400, body: { __type: 'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists', message: 'Execution Already Exists' } } : answers[target];
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    Object.assign(process.env, { AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise((done) => server.close(done));
  });

  /** The handler as a function instance loads it, with this integration. */
  async function handlerOf(subtype: string, parameters: Record<string, string>): Promise<(event: unknown) => Promise<{ statusCode: number; body: string }>> {
    process.env.ESB_SERVICE_INTEGRATION = JSON.stringify({ subtype, parameters });
    vi.resetModules();
    const runtime = '../../runtime/service-integration.mjs';
    return ((await import(/* @vite-ignore */ runtime)) as { handler: (event: unknown) => Promise<{ statusCode: number; body: string }> }).handler;
  }
  const request = (body: string | null, headers: Record<string, string> = {}) => ({ body, isBase64Encoded: false, headers, requestContext: { requestId: 'r1' } });
  const start = { StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', Input: '$request.body' };

  it('starts an execution with the request body (an empty one as {}) and answers 200 with StartExecution\'s JSON, its date in epoch seconds', async () => {
    calls.length = 0;
    const handler = await handlerOf('StepFunctions-StartExecution', { ...start, Name: '$request.header.x-name' });
    const r = await handler(request('{"order": 1}', { 'X-Name': 'first' }));
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:flow:e1","startDate":1733456789.123}');
    await handler(request(null));
    expect(calls.map((c) => [c.target, c.body])).toEqual([
      ['StartExecution', { stateMachineArn: start.StateMachineArn, name: 'first', input: '{"order": 1}' }],
      ['StartExecution', { stateMachineArn: start.StateMachineArn, input: '{}' }],
    ]);
  });

  it('calls StartSyncExecution on the endpoint itself (no sync- host prefix) and StopExecution', async () => {
    calls.length = 0;
    const sync = await (await handlerOf('StepFunctions-StartSyncExecution', start))(request('{"a": 1}'));
    expect(JSON.parse(sync.body)).toEqual({ ...(answers.StartSyncExecution.body as object), startDate: 1733456789.5, stopDate: 1733456790.25 });
    const stop = await (await handlerOf('StepFunctions-StopExecution', { ExecutionArn: '$request.body.executionArn', Error: 'Cancelled' }))(request('{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:flow:e1"}'));
    expect(stop).toMatchObject({ statusCode: 200, body: '{"stopDate":1733456791}' });
    expect(calls.map((c) => [c.host.startsWith('127.0.0.1:'), c.target, c.body])).toEqual([
      [true, 'StartSyncExecution', { stateMachineArn: start.StateMachineArn, input: '{"a": 1}' }],
      [true, 'StopExecution', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:flow:e1', error: 'Cancelled' }],
    ]);
  });

  it("answers Step Functions' refusals with 400 and the error, and a request that maps to nothing with 400", async () => {
    const taken = await (await handlerOf('StepFunctions-StartExecution', { ...start, Name: 'taken' }))(request('{}'));
    expect(taken.statusCode).toBe(400);
    expect(JSON.parse(taken.body)).toEqual({ __type: 'ExecutionAlreadyExists', message: 'Execution Already Exists' });
    const unmapped = await (await handlerOf('StepFunctions-StopExecution', { ExecutionArn: '$request.body.executionArn' }))(request('{}'));
    expect(unmapped).toMatchObject({ statusCode: 400, body: '{"message":"ExecutionArn is required by StepFunctions-StopExecution, and the request gave none"}' });
  });
});
