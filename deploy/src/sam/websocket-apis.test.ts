// WebSocket APIs of raw AWS::ApiGatewayV2 resources → routing.yml `websockets` (docs/generate.md, "WebSocket APIs").
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { ApiReadContext } from './cfn-apis.js';
import type { FunctionModel, SamModel } from './model.js';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';
import { readWebSocketApis } from './websocket-apis.js';

const read = (text: string): SamModel => parseSamTemplate(text, { file: 't.yml', stackName: 'chat' });
const failure = (text: string) => {
  const e = templateErrorOf(() => read(text));
  return [e.logicalId, e.field, e.reason];
};
const configOf = (m: SamModel, key: string) => JSON.parse((m.functions.find((f) => f.key === key) as FunctionModel).environment.ESB_AWS_INTEGRATION) as Record<string, unknown>;

const fn = (id: string) => `
  ${id}:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: "x", Handler: index.handler, Runtime: nodejs20.x}`;
const api = (props = 'RouteSelectionExpression: $request.body.action') => `
  Chat:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: chat, ProtocolType: WEBSOCKET, ${props}}`;
const proxy = (id: string, target: string) => `
  ${id}:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${target}.Arn}/invocations`;
const route = (id: string, key: string, integration: string, extra = '') => `
  ${id}:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Chat
      RouteKey: ${key}
      Target: !Join [/, [integrations, !Ref ${integration}]]${extra ? `\n      ${extra.trim().split('\n').join('\n      ')}` : ''}`;
const template = (...parts: string[]) => `Transform: AWS::Serverless-2016-10-31\nResources:${parts.join('')}\n`;

// The shape of the public apigw-websocket-api-lambda pattern: one function per route.
const lambdaChat = template(
  api(),
  fn('OnConnect'),
  fn('OnDisconnect'),
  fn('Send'),
  proxy('ConnectInteg', 'OnConnect'),
  proxy('DisconnectInteg', 'OnDisconnect'),
  proxy('SendInteg', 'Send'),
  route('ConnectRoute', '$connect', 'ConnectInteg', 'AuthorizationType: NONE'),
  route('DisconnectRoute', '$disconnect', 'DisconnectInteg'),
  route('SendRoute', 'sendmessage', 'SendInteg'),
  `
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    Properties: {ApiId: !Ref Chat}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Chat, StageName: prod, DeploymentId: !Ref Deployment, StageVariables: {table: chats, size: 3}}`,
);

describe('WebSocket APIs: Lambda proxy routes', () => {
  it('reads routes, stage and stage variables; no HTTP route, no warning', () => {
    const m = read(lambdaChat);
    expect(m.websockets).toEqual({
      Chat: {
        stage: 'prod',
        stage_variables: { table: 'chats', size: '3' },
        route_selection: '$request.body.action',
        routes: [
          { key: '$connect', function: 'chat-OnConnect', respond: false },
          { key: '$disconnect', function: 'chat-OnDisconnect', respond: false },
          { key: 'sendmessage', function: 'chat-Send', respond: false },
        ],
      },
    });
    expect(m.routes).toEqual([]);
    expect(m.apis).toEqual({});
    // Their functions count as reached: no UNREACHABLE, and no NO ROUTES for a WebSocket-only template.
    expect(m.warnings).toEqual([]);
  });

  it('takes a bare function ARN as IntegrationUri, defaults the route selection, and keeps a stage-less API at $default', () => {
    const m = read(
      template(
        api('ApiKeySelectionExpression: $request.header.x-api-key'),
        fn('Echo'),
        `
  EchoInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Chat, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Echo.Arn}`,
        route('EchoRoute', '$default', 'EchoInteg'),
      ),
    );
    expect(m.websockets.Chat).toMatchObject({ stage: '$default', route_selection: '$request.body.action', routes: [{ key: '$default', function: 'chat-Echo', respond: false }] });
    expect(m.warnings).toEqual([]);
  });

  it('marks a route two-way for a RouteResponse or a RouteResponseSelectionExpression', () => {
    const m = read(
      template(
        api(),
        fn('Echo'),
        proxy('EchoInteg', 'Echo'),
        route('EchoRoute', '$default', 'EchoInteg'),
        route('PingRoute', 'ping', 'EchoInteg', 'RouteResponseSelectionExpression: $default'),
        `
  EchoResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Chat, RouteId: !Ref EchoRoute, RouteResponseKey: $default}`,
      ),
    );
    expect(m.websockets.Chat.routes.map((r) => [r.key, r.respond])).toEqual([
      ['$default', true],
      ['ping', true],
    ]);
  });

  it('leaves HTTP APIs of the same template as they were', () => {
    const m = read(
      lambdaChat.replace(
        'Resources:',
        `Resources:
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: http, ProtocolType: HTTP}
  HttpInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Send.Arn, PayloadFormatVersion: '2.0'}
  HttpRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: GET /items, Target: !Join [/, [integrations, !Ref HttpInteg]]}
  HttpMock:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: MOCK}`,
      ),
    );
    expect(m.routes).toEqual([{ path: '/items', method: 'GET', function: 'chat-Send', api: 'Http' }]);
    expect(Object.keys(m.apis)).toEqual(['Http']);
    expect(m.websockets.Chat.routes).toHaveLength(3);
    expect(m.warnings).toEqual(['HttpMock: IntegrationType MOCK is not emulated (only AWS_PROXY and HTTP_PROXY); routes using it are not served']);
  });
});

// The shape of apigw-websocket-api-sqs-lambda: $default messages sent to a FIFO queue.
const sqsIntegration = (extra = '') => `
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: messages.fifo, FifoQueue: true}
  SqsInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS
      IntegrationMethod: POST
      CredentialsArn: arn:aws:iam::123456789012:role/api
      IntegrationUri: !Join ['', ['arn:aws:apigateway:', !Ref 'AWS::Region', ':sqs:path/', !Ref 'AWS::AccountId', /, !GetAtt Queue.QueueName]]
      PassthroughBehavior: NEVER
      TimeoutInMillis: 5000
      RequestParameters:
        integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        integration.request.header.X-Action: route.request.body.action
      RequestTemplates:
        $default: Action=SendMessage&MessageGroupId=$input.path('$.group')&MessageBody=$util.urlEncode($input.json('$'))
      TemplateSelectionExpression: \\$default${extra}`;

describe('WebSocket APIs: AWS service integrations', () => {
  it('serves an SQS integration with the built-in function: $default template as application/json, route.request sources, a pass-through default response', () => {
    const m = read(template(api(), sqsIntegration(), route('SqsRoute', '$default', 'SqsInteg')));
    expect(m.websockets.Chat.routes).toEqual([{ key: '$default', function: 'chat-SqsInteg', respond: false }]);
    const f = m.functions.find((x) => x.key === 'chat-SqsInteg')!;
    expect(f).toMatchObject({ code: { kind: 'builtin', file: 'aws-integration.mjs' }, timeout: 5 });
    expect(configOf(m, 'chat-SqsInteg')).toEqual({
      service: 'sqs',
      path: '123456789012/messages.fifo',
      httpMethod: 'POST',
      requestTemplates: { 'application/json': "Action=SendMessage&MessageGroupId=$input.path('$.group')&MessageBody=$util.urlEncode($input.json('$'))" },
      passthroughBehavior: 'NEVER',
      requestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'", 'integration.request.header.X-Action': 'method.request.body.action' },
      responses: [{ statusCode: 200, responseTemplates: {}, responseParameters: {} }],
      resourcePath: '$default',
    });
    expect(m.warnings).toEqual([]);
  });

  it('reads IntegrationResponses: $default → 200, /4\\d\\d/ → pattern 4\\d\\d and status 400, the $default template as application/json', () => {
    const m = read(
      template(
        api(),
        `
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: connections
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  PutInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS
      IntegrationMethod: POST
      IntegrationUri: !Sub arn:aws:apigateway:\${AWS::Region}:dynamodb:action/PutItem
      TemplateSelectionExpression: \\$default
      RequestTemplates:
        $default: !Sub '{"TableName": "\${Table}", "Item": {"id": {"S": "$context.connectionId"}}}'
  PutOk:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref Chat
      IntegrationId: !Ref PutInteg
      IntegrationResponseKey: $default
      TemplateSelectionExpression: \\$default
      ResponseTemplates: {$default: '{"saved": true}'}
  PutRefused:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref Chat
      IntegrationId: !Ref PutInteg
      IntegrationResponseKey: /4\\d\\d/
      ResponseTemplates: {only: '{"saved": false}'}`,
        route('ConnectRoute', '$connect', 'PutInteg'),
        route('SaveRoute', 'save', 'PutInteg'),
        `
  SaveResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Chat, RouteId: !Ref SaveRoute, RouteResponseKey: $default}`,
      ),
    );
    // One built-in function per route (its resourcePath is the route key), the second keyed apart.
    const [connect, save] = m.websockets.Chat.routes;
    expect(connect).toEqual({ key: '$connect', function: 'chat-PutInteg', respond: false });
    expect(save).toMatchObject({ key: 'save', respond: true });
    expect(save.function).toMatch(/^chat-PutInteg-[0-9a-f]{8}$/);
    const config = configOf(m, save.function!);
    expect(config).toMatchObject({
      service: 'dynamodb',
      action: 'PutItem',
      requestTemplates: { 'application/json': '{"TableName": "connections", "Item": {"id": {"S": "$context.connectionId"}}}' },
      resourcePath: 'save',
      responses: [
        { statusCode: 200, responseTemplates: { 'application/json': '{"saved": true}' }, responseParameters: {} },
        { statusCode: 400, selectionPattern: '4\\d\\d', responseTemplates: { 'application/json': '{"saved": false}' }, responseParameters: {} },
      ],
    });
    expect(configOf(m, 'chat-PutInteg').resourcePath).toBe('$connect');
    expect(m.warnings).toEqual([]);
  });

  it('serves Step Functions StartSyncExecution (apigw-websocket-api-sfn-sync): the machine is checked, the answer passes through', () => {
    const m = read(
      template(
        api(),
        `
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      Definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
  SfnInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS
      IntegrationMethod: POST
      IntegrationUri: !Sub arn:aws:apigateway:\${AWS::Region}:states:action/StartSyncExecution
      TemplateSelectionExpression: \\$default
      RequestTemplates:
        "$default": !Sub '{"input": "$util.escapeJavaScript($input.body)", "stateMachineArn": "\${Machine}"}'
  SfnResponse:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties: {ApiId: !Ref Chat, IntegrationId: !Ref SfnInteg, IntegrationResponseKey: $default}`,
        route('SfnRoute', '$default', 'SfnInteg'),
        `
  SfnRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties: {ApiId: !Ref Chat, RouteId: !Ref SfnRoute, RouteResponseKey: $default}`,
      ),
    );
    expect(m.websockets.Chat.routes).toEqual([{ key: '$default', function: 'chat-SfnInteg', respond: true }]);
    expect(configOf(m, 'chat-SfnInteg')).toMatchObject({ service: 'states', action: 'StartSyncExecution', responses: [{ statusCode: 200, responseTemplates: {} }] });
    expect(m.warnings).toEqual([]);
  });

  it('counts the function of a Lambda custom integration as reached', () => {
    const m = read(
      template(
        api(),
        fn('Worker'),
        `
  LambdaInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS
      IntegrationUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Worker.Arn}/invocations
      RequestTemplates: {$default: '{"message": $input.json(''$'')}'}`,
        route('WorkRoute', 'work', 'LambdaInteg'),
      ),
    );
    expect(configOf(m, 'chat-LambdaInteg')).toMatchObject({ service: 'lambda', function: 'chat-Worker', httpMethod: 'POST' });
    expect(m.warnings).toEqual([]);
  });

  it('warns of templates its selection expression chooses among, and uses the $default one', () => {
    const m = read(template(api(), sqsIntegration().replace('TemplateSelectionExpression: \\$default', 'TemplateSelectionExpression: $request.body.kind').replace('RequestTemplates:', 'RequestTemplates:\n        other: x'), route('SqsRoute', '$default', 'SqsInteg')));
    expect(m.warnings).toEqual(['SqsInteg.RequestTemplates: esb does not evaluate TemplateSelectionExpression "$request.body.kind"; the $default template is used, not other']);
    expect(Object.keys(configOf(m, 'chat-SqsInteg').requestTemplates as object)).toEqual(['application/json']);
  });

  it('fails on an IntegrationResponseKey that is neither $default nor /regex/, naming the response', () => {
    const text = template(
      api(),
      sqsIntegration(),
      route('SqsRoute', '$default', 'SqsInteg'),
      `
  Bad:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties: {ApiId: !Ref Chat, IntegrationId: !Ref SqsInteg, IntegrationResponseKey: '200'}`,
    );
    expect(failure(text)).toEqual(['Bad', 'IntegrationResponseKey', '"200" must be "$default" or a /regular expression/ of status codes']);
  });

  it('fails on a bad IntegrationUri with the integration and field', () => {
    const text = template(api(), sqsIntegration().replace(/IntegrationUri: .*/, 'IntegrationUri: sqs'), route('SqsRoute', '$default', 'SqsInteg'));
    expect(failure(text).slice(0, 2)).toEqual(['SqsInteg', 'IntegrationUri']);
  });
});

const mock = (id: string, responseTemplate?: string) => `
  ${id}:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: MOCK
      RequestTemplates: {"200": '{"statusCode": 200}'}
      TemplateSelectionExpression: '200'${
        responseTemplate === undefined
          ? ''
          : `
  ${id}Response:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref Chat
      IntegrationId: !Ref ${id}
      IntegrationResponseKey: /200/
      TemplateSelectionExpression: \\$default
      ResponseTemplates: {"200": '${responseTemplate}'}`
      }`;

describe('WebSocket APIs: MOCK integrations', () => {
  it('answers a two-way MOCK route with its response template; $connect and $disconnect simply succeed', () => {
    const m = read(
      template(
        api(),
        mock('ConnectMock', '{"hello": true}'),
        mock('DisconnectMock'),
        mock('PingMock', '{"pong": true}'),
        route('ConnectRoute', '$connect', 'ConnectMock', 'RouteResponseSelectionExpression: $default'),
        route('DisconnectRoute', '$disconnect', 'DisconnectMock'),
        route('PingRoute', 'ping', 'PingMock', 'RouteResponseSelectionExpression: $default'),
      ),
    );
    expect(m.websockets.Chat.routes).toEqual([
      { key: '$connect', respond: true },
      { key: '$disconnect', respond: false },
      { key: 'ping', respond: true, mock_response: '{"pong": true}' },
    ]);
    expect(m.functions).toEqual([]);
    expect(m.warnings).toEqual([]);
  });

  it('sends a MOCK answer holding Velocity as written, with a warning', () => {
    const m = read(template(api(), mock('PingMock', '{"at": $context.requestTimeEpoch}'), route('PingRoute', 'ping', 'PingMock', 'RouteResponseSelectionExpression: $default')));
    expect(m.websockets.Chat.routes).toEqual([{ key: 'ping', respond: true, mock_response: '{"at": $context.requestTimeEpoch}' }]);
    expect(m.warnings).toEqual(['PingMockResponse.ResponseTemplates: the MOCK answer holds Velocity, which esb does not render; it is sent as written']);
  });
});

const authorizer = (type = 'REQUEST') => `
  Authorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      Name: auth
      ApiId: !Ref Chat
      AuthorizerType: ${type}
      AuthorizerUri: !Sub arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Auth.Arn}/invocations
      IdentitySource: [route.request.querystring.token, route.request.header.Auth, stageVariables.key]`;

describe('WebSocket APIs: authorization', () => {
  it('reads a REQUEST authorizer on $connect, its identity sources as method.request.*, and counts its function as reached', () => {
    const m = read(
      template(
        api(),
        fn('OnConnect'),
        fn('Auth'),
        authorizer(),
        proxy('ConnectInteg', 'OnConnect'),
        route('ConnectRoute', '$connect', 'ConnectInteg', 'AuthorizationType: CUSTOM\nAuthorizerId: !Ref Authorizer\nApiKeyRequired: true'),
      ),
    );
    expect(m.websockets.Chat.authorizers).toEqual({
      Authorizer: {
        type: 'request',
        function: 'chat-Auth',
        identity_sources: ['method.request.querystring.token', 'method.request.header.Auth', 'stageVariables.key'],
        ttl_seconds: 0,
        payload_format_version: '1.0',
        simple_responses: false,
      },
    });
    expect(m.websockets.Chat.routes).toEqual([{ key: '$connect', function: 'chat-OnConnect', respond: false, auth: { authorizer: 'Authorizer', api_key_required: true } }]);
    expect(m.warnings).toEqual([]);
  });

  it('gives the API the keys of usage plans naming it (their throttles are a warning)', () => {
    const m = read(
      template(
        api(),
        fn('OnConnect'),
        proxy('ConnectInteg', 'OnConnect'),
        route('ConnectRoute', '$connect', 'ConnectInteg', 'ApiKeyRequired: true'),
        `
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true, Value: chat-key-0123456789abcdef}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Chat, Stage: prod}]
      Throttle: {RateLimit: 10, BurstLimit: 5}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}`,
      ),
    );
    expect(m.websockets.Chat).toMatchObject({ api_keys: ['chat-key-0123456789abcdef'], routes: [{ key: '$connect', auth: { api_key_required: true } }] });
    expect(m.warnings).toEqual(['Chat: usage plan throttles and quotas of WebSocket APIs are not enforced; their keys are']);
  });

  it('takes AWS_IAM on $connect', () => {
    const m = read(template(api(), fn('OnConnect'), proxy('ConnectInteg', 'OnConnect'), route('ConnectRoute', '$connect', 'ConnectInteg', 'AuthorizationType: AWS_IAM')));
    expect(m.websockets.Chat.routes[0].auth).toEqual({ authorizer: 'AWS_IAM' });
  });

  it('warns of authorization on a route other than $connect and drops it', () => {
    const m = read(template(api(), fn('Send'), proxy('SendInteg', 'Send'), route('SendRoute', 'send', 'SendInteg', 'AuthorizationType: AWS_IAM'), route('PingRoute', 'ping', 'SendInteg', 'ApiKeyRequired: true')));
    expect(m.websockets.Chat.routes.map((r) => r.auth)).toEqual([undefined, undefined]);
    expect(m.warnings).toEqual(['SendRoute: send: AuthorizationType AWS_IAM applies to $connect only (as in API Gateway); not used', 'PingRoute: ping: ApiKeyRequired applies to $connect only (as in API Gateway); not used']);
  });

  it('warns of an authorizer type it does not emulate; the route is served without it', () => {
    const m = read(
      template(api(), fn('OnConnect'), fn('Auth'), authorizer('JWT'), proxy('ConnectInteg', 'OnConnect'), route('ConnectRoute', '$connect', 'ConnectInteg', 'AuthorizationType: CUSTOM\nAuthorizerId: !Ref Authorizer')),
    );
    expect(m.websockets.Chat.routes[0]).toEqual({ key: '$connect', function: 'chat-OnConnect', respond: false });
    expect(m.warnings).toEqual([
      'Authorizer: authorizer type JWT is not emulated; routes using it are served without authorization',
      'ConnectRoute: AuthorizerId "Authorizer" is not an emulated authorizer of Chat; served without authorization',
    ]);
  });
});

describe('WebSocket APIs: what is not served', () => {
  it('warns of a Target that is no integration of this template, naming the route and field, like the HTTP reader', () => {
    const m = read(template(api(), fn('Send'), proxy('SendInteg', 'Send'), route('SendRoute', 'send', 'SendInteg'), route('LostRoute', 'lost', 'SendInteg').replace('!Join [/, [integrations, !Ref SendInteg]]', 'integrations/Nope')));
    expect(m.websockets.Chat.routes.map((r) => r.key)).toEqual(['send']);
    expect(m.warnings).toEqual(['LostRoute: lost: Target "integrations/Nope" is not "integrations/<an AWS::ApiGatewayV2::Integration of this template>"; the route is not served']);
  });

  it('warns of HTTP and VPC_LINK integrations; an API left without routes is warned of', () => {
    const m = read(
      template(
        api(),
        `
  HttpInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Chat, IntegrationType: HTTP_PROXY, IntegrationUri: 'https://example.com', IntegrationMethod: POST}
  LinkInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Chat, IntegrationType: HTTP_PROXY, ConnectionType: VPC_LINK, ConnectionId: abc, IntegrationUri: 'http://internal'}`,
        route('HttpRoute', '$default', 'HttpInteg'),
        route('LinkRoute', 'link', 'LinkInteg'),
      ),
    );
    expect(m.websockets.Chat.routes).toEqual([]);
    expect(m.warnings).toEqual([
      'HttpInteg.IntegrationType: HTTP_PROXY integrations are not emulated (only AWS_PROXY, AWS and MOCK); routes using it are not served',
      'LinkInteg.ConnectionType: VPC_LINK integrations are not emulated; routes using it are not served',
      'Chat: this API defines no route esb can serve',
    ]);
  });

  it('warns of request models and required parameters, which are not checked', () => {
    const m = read(template(api(), fn('Send'), proxy('SendInteg', 'Send'), route('SendRoute', 'send', 'SendInteg', 'ModelSelectionExpression: $request.body.action\nRequestModels: {send: orderModel}')));
    expect(m.warnings).toEqual(['SendRoute.RequestModels: messages are not validated against models; the route takes every message']);
  });

  it('fails on a missing RouteKey and a RouteSelectionExpression that is not text', () => {
    expect(failure(template(api(), fn('Send'), proxy('SendInteg', 'Send'), route('SendRoute', 'send', 'SendInteg').replace('RouteKey: send', 'RouteKey: [send]')))).toEqual([
      'SendRoute',
      'RouteKey',
      '["send"] must be $connect, $disconnect, $default or a value of the route selection expression (at most 128 characters)',
    ]);
    expect(failure(template(api('RouteSelectionExpression: [a]')))).toEqual(['Chat', 'RouteSelectionExpression', 'must be $request.body.<field> (text), not ["a"]']);
  });

  it('warns of a route selection expression that reads no message field', () => {
    const m = read(template(api('RouteSelectionExpression: $request.header.kind'), fn('Send'), proxy('SendInteg', 'Send'), route('SendRoute', '$default', 'SendInteg')));
    expect(m.warnings).toEqual(['Chat.RouteSelectionExpression: "$request.header.kind" selects by no $request.body.<field>; every message goes to the $default route']);
    expect(read(template(api('RouteSelectionExpression: "${request.body.type}-${request.body.action}"'), fn('Send'), proxy('SendInteg', 'Send'), route('SendRoute', '$default', 'SendInteg'))).warnings).toEqual([]);
  });
});

describe('readWebSocketApis (pure)', () => {
  it('reads only the WebSocket APIs among the resources it is given', () => {
    const warnings: string[] = [];
    const ctx: ApiReadContext = {
      functionKeys: new Set(['send']),
      warn: (m) => warnings.push(m),
      fail: (id, field, reason) => {
        throw new Error(`${id}.${field}: ${reason}`);
      },
      serviceFunction: () => 'svc',
      awsIntegrationFunction: (name) => `aws-${name}`,
    };
    const apis = readWebSocketApis(ctx, [
      { id: 'Http', type: 'AWS::ApiGatewayV2::Api', props: { ProtocolType: 'HTTP' } },
      { id: 'HttpRoute', type: 'AWS::ApiGatewayV2::Route', props: { ApiId: 'Http', RouteKey: 'GET /', Target: 'integrations/X' } },
      { id: 'Ws', type: 'AWS::ApiGatewayV2::Api', props: { ProtocolType: 'WEBSOCKET' } },
      { id: 'Integ', type: 'AWS::ApiGatewayV2::Integration', props: { ApiId: 'Ws', IntegrationType: 'AWS_PROXY', IntegrationUri: 'arn:aws:lambda:us-east-1:123456789012:function:send' } },
      { id: 'Route', type: 'AWS::ApiGatewayV2::Route', props: { ApiId: 'Ws', RouteKey: 'send', Target: 'integrations/Integ' } },
    ]);
    expect([...apis.keys()]).toEqual(['Ws']);
    expect(apis.get('Ws')!.routes).toEqual([{ key: 'send', function: 'send', respond: false }]);
    expect(warnings).toEqual([]);
  });
});

describe('the built-in function with a WebSocket message (deploy/runtime/aws-integration.mjs)', () => {
  it('renders the $default template for a message without headers, maps route.request sources, and passes the answer through', async () => {
    const calls: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls.push({ url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<SendMessageResponse/>');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const saved = { ...process.env };
    try {
      const m = read(template(api(), sqsIntegration(), route('SqsRoute', '$default', 'SqsInteg')));
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKLOCAL',
        AWS_SECRET_ACCESS_KEY: 'secret',
        ESB_AWS_INTEGRATION: m.functions.find((f) => f.key === 'chat-SqsInteg')!.environment.ESB_AWS_INTEGRATION,
      });
      vi.resetModules();
      const runtime = '../../runtime/aws-integration.mjs';
      const { handler } = (await import(/* @vite-ignore */ runtime)) as { handler: (e: unknown) => Promise<{ statusCode: number; body: string }> };
      const reply = await handler({
        body: '{"action": "send", "group": "g1", "text": "hi"}',
        isBase64Encoded: false,
        requestContext: { routeKey: '$default', eventType: 'MESSAGE', connectionId: 'conn-1', requestId: 'req-1', stage: 'prod', apiId: 'chat' },
      });
      // The service's answer as the built-in gives it (XML as JSON), no response template.
      expect(reply).toMatchObject({ statusCode: 200, body: '{"SendMessageResponse":""}' });
      expect(calls).toHaveLength(1);
      expect(calls[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(calls[0].headers['x-action']).toBe('send');
      expect(calls[0].body).toBe(`Action=SendMessage&MessageGroupId=g1&MessageBody=${encodeURIComponent('{"action":"send","group":"g1","text":"hi"}')}`);
    } finally {
      process.env = saved;
      await new Promise((done) => server.close(done));
    }
  });
});
