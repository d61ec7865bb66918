import { describe, expect, it } from 'vitest';
import { defaultBucketName, defaultFunctionKey, defaultStackName, mergeGlobals, parseSamTemplate } from './template.js';
import { parseTemplateText } from './yaml.js';
import { templateErrorOf } from './testkit.js';
import { derivedApiKey } from './api-keys.js';

const fnTemplate = (extra: string, props = '') => `
Transform: AWS::Serverless-2016-10-31
${extra}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "x"
      Handler: index.handler
      Runtime: python3.12
${props}
`;

function env(text: string, options = {}): Record<string, string> {
  return parseSamTemplate(text, { file: 't.yml', ...options }).functions[0].environment;
}

const errorOf = templateErrorOf;

describe('short tags', () => {
  it('turns every short tag into its long form', () => {
    const doc = parseTemplateText('a: !Ref X\nb: !GetAtt T.StreamArn\nc: !Sub [x, {}]\nd: !If [C, 1, 2]\ne: !Base64 {Ref: Y}\n', 'f.yml');
    expect(doc).toEqual({
      a: { Ref: 'X' },
      b: { 'Fn::GetAtt': ['T', 'StreamArn'] },
      c: { 'Fn::Sub': ['x', {}] },
      d: { 'Fn::If': ['C', 1, 2] },
      e: { 'Fn::Base64': { Ref: 'Y' } },
    });
  });
});

describe('intrinsics', () => {
  it('resolves !Sub with both forms, escapes and pseudo parameters', () => {
    const e = env(
      fnTemplate(
        'Parameters: {Name: {Type: String, Default: shop}}',
        `      Environment:
        Variables:
          A: !Sub "\${Name}-\${AWS::Region}-\${!Literal}"
          B: !Sub ["\${X}/\${AWS::AccountId}", {X: !Ref Name}]`,
      ),
      { region: 'eu-west-1', accountId: '111122223333' },
    );
    expect(e).toEqual({ A: 'shop-eu-west-1-${Literal}', B: 'shop/111122223333' });
  });

  it('applies overrides, AWS::NoValue and conditions', () => {
    const text = fnTemplate(
      `Parameters: {Env: {Type: String, Default: dev}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]`,
      `      Environment:
        Variables:
          ONLY_PROD: !If [IsProd, "1", !Ref AWS::NoValue]
          ENV: !Ref Env`,
    );
    expect(env(text)).toEqual({ ENV: 'dev' });
    expect(env(text, { parameterOverrides: { Env: 'prod' } })).toEqual({ ONLY_PROD: '1', ENV: 'prod' });
  });

  it('sets a variable left without a value to "", with a warning, as sam local does; a map as a value is an error', () => {
    const m = parseSamTemplate(fnTemplate('', `      Environment:
        Variables:
          ACCESS_KEY:
          REGION: eu-west-1`), { file: 't.yml' });
    expect(m.functions[0].environment).toEqual({ ACCESS_KEY: '', REGION: 'eu-west-1' });
    expect(m.warnings).toContain('Fn.Environment.Variables.ACCESS_KEY has no value: set to "" (as sam local sets it)');
    const err = errorOf(() => parseSamTemplate(fnTemplate('', '      Environment: {Variables: {NESTED: {a: 1}}}'), { file: 't.yml' }));
    expect([err.field, err.message]).toEqual(['Environment.Variables.NESTED', expect.stringContaining('must be a string')]);
  });

  it('reads DurableConfig into a durable function (ExecutionTimeout required, retention 14 days by default)', () => {
    const m = parseSamTemplate(fnTemplate('', `      DurableConfig:
        ExecutionTimeout: 900
        RetentionPeriodInDays: 7`), { file: 't.yml' });
    expect(m.functions[0].durable).toEqual({ execution_timeout: 900, retention_days: 7 });
    expect(m.warnings.filter((w) => w.includes('DurableConfig'))).toEqual([]);
    const byDefault = parseSamTemplate(fnTemplate('', '      DurableConfig: {ExecutionTimeout: 60}'), { file: 't.yml' });
    expect(byDefault.functions[0].durable).toEqual({ execution_timeout: 60, retention_days: 14 });
    const missing = errorOf(() => parseSamTemplate(fnTemplate('', '      DurableConfig: {RetentionPeriodInDays: 3}'), { file: 't.yml' }));
    expect([missing.field, missing.message]).toEqual(['DurableConfig.ExecutionTimeout', expect.stringContaining('is required')]);
    const tooLong = errorOf(() => parseSamTemplate(fnTemplate('', '      DurableConfig: {ExecutionTimeout: 40000000}'), { file: 't.yml' }));
    expect([tooLong.field, tooLong.message]).toEqual(['DurableConfig.ExecutionTimeout', expect.stringContaining('from 1 to 31622400')]);
    expect(parseSamTemplate(fnTemplate('', ''), { file: 't.yml' }).functions[0].durable).toBeUndefined();
  });

  it("resolves the CodeDeploy parts SAM makes for DeploymentPreference (hook functions' policies name them)", () => {
    const text = `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      InlineCode: "exports.handler = async () => 1"
      AutoPublishAlias: live
      DeploymentPreference:
        Type: AllAtOnce
  PreHook:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      InlineCode: "exports.handler = async () => 1"
      Environment:
        Variables:
          GROUP: !Sub 'deploymentgroup:\${ServerlessDeploymentApplication}/\${FnDeploymentGroup}'
`;
    const m = parseSamTemplate(text, { file: 'shop/template.yaml' });
    expect(m.functions.find((f) => f.logicalId === 'PreHook')?.environment).toEqual({ GROUP: 'deploymentgroup:shop-ServerlessDeploymentApplication/shop-FnDeploymentGroup' });
    // Without a DeploymentPreference SAM makes neither: an unknown name, as before.
    const err = errorOf(() => parseSamTemplate(text.replace(/      DeploymentPreference:\n        Type: AllAtOnce\n/, ''), { file: 'shop/template.yaml' }));
    expect(err.message).toContain('ServerlessDeploymentApplication');
  });

  it('names the resource and field of an unknown !Ref', () => {
    const err = errorOf(() => parseSamTemplate(fnTemplate('', '      Environment: {Variables: {T: !Ref Nope}}'), { file: 't.yml' }));
    expect(err.logicalId).toBe('Fn');
    expect(err.field).toBe('Environment.Variables.T');
    expect(err.message).toContain('Nope');
  });

  it('detects circular references between resource names', () => {
    const err = errorOf(() =>
      parseSamTemplate(
        `Resources:
  A: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub "\${B}-a"}}
  B: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub "\${A}-b"}}`,
        { file: 't.yml' },
      ),
    );
    expect(err.reason).toMatch(/circular reference: (A -> B -> A|B -> A -> B)/);
  });

  it('detects circular conditions', () => {
    const err = errorOf(() =>
      parseSamTemplate(`Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources:\n  X: {Type: AWS::S3::Bucket, Condition: A}\n`, { file: 't.yml' }),
    );
    expect(err.reason).toContain('circular reference');
  });

  it('does not resolve intrinsics inside resources esb skips, and lists them in one warning', () => {
    const m = parseSamTemplate(`Resources:\n  Q: {Type: AWS::KinesisAnalyticsV2::Application, Properties: {ApplicationName: !Ref Missing}}\n  R: {Type: AWS::Glue::Job}\n  Q2: {Type: AWS::KinesisAnalyticsV2::Application}\n  Role: {Type: AWS::IAM::Role}\n`, { file: 't.yml' });
    expect(m.warnings).toEqual(['skipped resources esb does not run: AWS::KinesisAnalyticsV2::Application (Q, Q2); AWS::Glue::Job (R)']);
  });

  it('says connectors apart from the skipped resources: they only grant IAM permissions, which esb does not enforce', () => {
    const connector = (id: string, extra = '') => `  ${id}:\n    Type: AWS::Serverless::Connector\n${extra}    Properties: {Source: {Id: Fn}, Destination: {Id: Table}, Permissions: [Read]}\n`;
    const m = parseSamTemplate(
      `Transform: AWS::Serverless-2016-10-31\nConditions:\n  Never: !Equals [a, b]\nResources:\n  Fn: {Type: AWS::Serverless::Function, Properties: {Runtime: nodejs20.x, Handler: a.h, CodeUri: src/, Events: {Get: {Type: HttpApi}}}}\n  Table: {Type: AWS::Serverless::SimpleTable}\n  R: {Type: AWS::Glue::Job}\n${connector('ReadConn')}${connector('WriteConn')}${connector('Off', '    Condition: Never\n')}`,
      { file: 't.yml' },
    );
    expect(m.warnings).toEqual(['skipped resources esb does not run: AWS::Glue::Job (R)', 'connectors ReadConn, WriteConn: IAM permissions only, not enforced here']);
  });
});

describe('functions', () => {
  it('keys by FunctionName, else <stack>-<LogicalId>; a duplicate FunctionName gets the latter, with a warning', () => {
    const m = parseSamTemplate(
      `Resources:
  A: {Type: AWS::Serverless::Function, Properties: {FunctionName: same, InlineCode: x, Handler: i.h, Runtime: nodejs20.x}}
  B: {Type: AWS::Serverless::Function, Properties: {FunctionName: same, InlineCode: x, Handler: i.h, Runtime: nodejs20.x}}
  C: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: i.h, Runtime: nodejs20.x}}`,
      { file: 't.yml' },
    );
    expect(m.functions.map((f) => f.key)).toEqual(['same', 't-B', 't-C']);
    expect(m.warnings[0]).toContain('share the name "same"');
  });

  it('merges Globals: maps merge, lists add up, the function wins', () => {
    expect(mergeGlobals({ a: 1, env: { X: '1', Y: '1' }, l: [1] }, { a: 2, env: { Y: '2' }, l: [2] })).toEqual({ a: 2, env: { X: '1', Y: '2' }, l: [1, 2] });
    expect(mergeGlobals({ Ref: 'A' }, { 'Fn::Sub': 'b' })).toEqual({ 'Fn::Sub': 'b' });
  });

  it('reads EventInvokeConfig.MaximumRetryAttempts as the retries of asynchronous invocations (0-2), MaximumEventAgeInSeconds as how long a throttled one is tried (60-21600)', () => {
    const m = parseSamTemplate(fnTemplate('', '      EventInvokeConfig: {MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60}'), { file: 't.yml' });
    expect(m.functions[0].asyncRetries).toBe(0);
    expect(m.functions[0].asyncMaxEventAge).toBe(60);
    const age = errorOf(() => parseSamTemplate(fnTemplate('', '      EventInvokeConfig: {MaximumEventAgeInSeconds: 30}'), { file: 't.yml' }));
    expect([age.field, age.reason]).toEqual(['EventInvokeConfig.MaximumEventAgeInSeconds', 'must be an integer from 60 to 21600 (got 30)']);
    expect(parseSamTemplate(fnTemplate('', ''), { file: 't.yml' }).functions[0].asyncRetries).toBeUndefined();
    const e = errorOf(() => parseSamTemplate(fnTemplate('', '      EventInvokeConfig: {MaximumRetryAttempts: 3}'), { file: 't.yml' }));
    expect([e.field, e.reason]).toEqual(['EventInvokeConfig.MaximumRetryAttempts', 'must be an integer from 0 to 2 (got 3)']);
  });

  it("reads LoggingConfig (the function's or Globals.Function's, a raw function's too), with levels only for JSON as Lambda requires", () => {
    const logging = (text: string) => parseSamTemplate(text, { file: 't.yml' }).functions.map((f) => f.logging);
    expect(logging(fnTemplate('', '      LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: DEBUG, SystemLogLevel: WARN, LogGroup: /shop/app}'))).toEqual([
      { format: 'JSON', application_level: 'DEBUG', system_level: 'WARN', log_group: '/shop/app' },
    ]);
    expect(logging(fnTemplate('Globals:\n  Function:\n    LoggingConfig: {LogFormat: JSON}'))).toEqual([{ format: 'JSON' }]);
    expect(logging(fnTemplate('', '      LoggingConfig: {LogGroup: /custom}'))).toEqual([{ format: 'Text', log_group: '/custom' }]);
    expect(logging(fnTemplate('', ''))).toEqual([undefined]);
    const raw = `Resources:\n  F: {Type: AWS::Lambda::Function, Properties: {Code: {ZipFile: x}, Handler: i.h, Runtime: nodejs20.x, LoggingConfig: {LogFormat: JSON}}}`;
    expect(logging(raw)).toEqual([{ format: 'JSON' }]);
    const refused = (config: string) => {
      const e = errorOf(() => parseSamTemplate(fnTemplate('', `      LoggingConfig: ${config}`), { file: 't.yml' }));
      return [e.field, e.reason];
    };
    expect(refused('{ApplicationLogLevel: DEBUG}')).toEqual(['LoggingConfig.ApplicationLogLevel', 'can only be set with LogFormat JSON, as Lambda requires']);
    expect(refused('{LogFormat: JSON, SystemLogLevel: ERROR}')).toEqual(['LoggingConfig.SystemLogLevel', 'must be one of DEBUG, INFO, WARN (got "ERROR")']);
    expect(refused('{LogFormat: Xml}')).toEqual(['LoggingConfig.LogFormat', 'must be Text or JSON (got "Xml")']);
    expect(refused('{LogGroupName: x}')).toEqual(['LoggingConfig.LogGroupName', 'is not a LoggingConfig property (LogFormat, ApplicationLogLevel, SystemLogLevel, LogGroup)']);
  });

  it("reads Tracing (the function's or Globals.Function's) and a raw function's TracingConfig.Mode; Disabled is none", () => {
    const tracing = (text: string) => parseSamTemplate(text, { file: 't.yml' }).functions.map((f) => f.tracing);
    expect(tracing(fnTemplate('', '      Tracing: Active'))).toEqual(['Active']);
    expect(tracing(fnTemplate('Globals:\n  Function:\n    Tracing: Active'))).toEqual(['Active']);
    expect(tracing(fnTemplate('Globals:\n  Function:\n    Tracing: Active', '      Tracing: PassThrough'))).toEqual(['PassThrough']);
    expect(tracing(fnTemplate('Globals:\n  Function:\n    Tracing: Active', '      Tracing: Disabled'))).toEqual([undefined]);
    expect(tracing(fnTemplate('', ''))).toEqual([undefined]);
    const raw = (config: string) => `Resources:\n  F: {Type: AWS::Lambda::Function, Properties: {Code: {ZipFile: x}, Handler: i.h, Runtime: nodejs20.x${config}}}`;
    expect(tracing(raw(', TracingConfig: {Mode: Active}'))).toEqual(['Active']);
    expect(tracing(raw(''))).toEqual([undefined]);
    const bad = errorOf(() => parseSamTemplate(fnTemplate('', '      Tracing: true'), { file: 't.yml' }));
    expect([bad.field, bad.reason]).toEqual(['Tracing', 'must be Active or PassThrough (or Disabled) (got true)']);
    const badRaw = errorOf(() => parseSamTemplate(raw(', TracingConfig: {Mode: Disabled}'), { file: 't.yml' }));
    expect([badRaw.field, badRaw.reason]).toEqual(['TracingConfig.Mode', 'must be Active or PassThrough (got "Disabled")']);
  });

  it("reads AWS::SSM::Parameter::Value<...> parameters from Parameter Store's values (a list type split), and names the parameter when it cannot", () => {
    const text = fnTemplate(
      `Parameters:
  Engine: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /db/engine}
  Zones: {Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: /net/zones}`,
      '      Environment: {Variables: {ENGINE: !Ref Engine, ZONE: !Select [1, !Ref Zones]}}',
    );
    const m = parseSamTemplate(text, { file: 't.yml', ssmParameterValues: { '/db/engine': 'MySQL', '/net/zones': 'a, b' } });
    expect(m.functions[0].environment).toMatchObject({ ENGINE: 'MySQL', ZONE: 'b' });
    const missing = errorOf(() => parseSamTemplate(text, { file: 't.yml', ssmParameterValues: { '/db/engine': 'MySQL' } }));
    expect([missing.logicalId, missing.field, missing.reason]).toEqual(['Zones', 'Type', 'AWS::SSM::Parameter::Value<List<String>>: Parameter Store has no parameter /net/zones']);
    const offline = errorOf(() => parseSamTemplate(text, { file: 't.yml' }));
    expect([offline.logicalId, offline.reason]).toEqual(['Engine', expect.stringContaining('esb reads Parameter Store when it deploys')]);
  });

  it('maps concurrency settings to scaling', () => {
    const m = parseSamTemplate(fnTemplate('', '      ReservedConcurrentExecutions: 4\n      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 2}'), { file: 't.yml' });
    expect(m.functions[0].scaling).toEqual({ max_capacity: 4, min_capacity: 2 });
    // 0 disables the function: every invocation is throttled.
    const off = parseSamTemplate(fnTemplate('', '      ReservedConcurrentExecutions: 0'), { file: 't.yml' });
    expect([off.functions[0].scaling, off.warnings]).toEqual([{ max_capacity: 0 }, []]);
  });

  it('rejects a CodeUri that escapes the template folder, and S3 locations', () => {
    const base = (uri: string) => `Resources:\n  F: {Type: AWS::Serverless::Function, Properties: {CodeUri: ${uri}, Handler: a.b, Runtime: python3.12}}`;
    expect(errorOf(() => parseSamTemplate(base('src/../../x'), { file: 't.yml' })).field).toBe('CodeUri');
    expect(errorOf(() => parseSamTemplate(base('/etc'), { file: 't.yml', templateDir: '/srv/app' })).reason).toContain('escapes');
    expect(parseSamTemplate(base('/srv/app/src/'), { file: 't.yml', templateDir: '/srv/app' }).codeRefs[0].uri).toBe('src');
    expect(errorOf(() => parseSamTemplate(base('s3://bucket/key.zip'), { file: 't.yml' })).reason).toContain('S3');
  });

  it('accepts a CodeUri above the template inside a wider code root (the workspace), and nothing past it', () => {
    const base = (uri: string) => `Resources:\n  F: {Type: AWS::Serverless::Function, Properties: {CodeUri: ${uri}, Handler: a.b, Runtime: python3.12}}`;
    const scope = { file: 'infra/t.yml', templateDir: '/ws/repo/infra', codeRoot: '/ws' };
    expect(parseSamTemplate(base('../src/'), scope).codeRefs[0].uri).toBe('../src');
    expect(parseSamTemplate(base('/ws/lib'), scope).codeRefs[0].uri).toBe('../../lib');
    expect(errorOf(() => parseSamTemplate(base('../../../etc'), scope)).reason).toBe('"../../../etc" escapes the workspace /ws');
    expect(errorOf(() => parseSamTemplate(base('/etc'), scope)).reason).toBe('"/etc" escapes the workspace /ws');
    // A root that does not hold the template's folder widens nothing.
    expect(errorOf(() => parseSamTemplate(base('../src'), { ...scope, codeRoot: '/elsewhere' })).reason).toBe('"../src" escapes the template\'s folder');
  });

  it('turns event Auth blocks into route auth, and names the field of an unknown authorizer', () => {
    const m = parseSamTemplate(
      `Globals:
  Api:
    Auth:
      Authorizers:
        MyAuth: {FunctionArn: !GetAtt Fn.Arn}
${fnTemplate(
  '',
  `      Events:
        E:
          Type: Api
          Properties: {Path: /x, Method: post, Auth: {Authorizer: MyAuth, ApiKeyRequired: true}}`,
)}`,
      { file: 't.yml' },
    );
    expect(m.routes).toEqual([{ path: '/x', method: 'POST', function: 't-Fn', api: 'ServerlessRestApi', auth: { authorizer: 'MyAuth', api_key_required: true } }]);
    expect(m.apis.ServerlessRestApi.authorizers).toEqual({ MyAuth: { type: 'token', function: 't-Fn', identity_source: 'method.request.header.Authorization', ttl_seconds: 300 } });
    const err = errorOf(() =>
      parseSamTemplate(fnTemplate('', `      Events:\n        E:\n          Type: Api\n          Properties: {Path: /x, Method: post, Auth: {Authorizer: Missing}}`), { file: 't.yml' }),
    );
    expect(err.field).toBe('Events.E.Properties.Auth.Authorizer');
  });

  it("puts a SAM API's Auth on the methods of its DefinitionBody as SAM does: DefaultAuthorizer unless a method names another or NONE, ApiKeyRequired unless api_key_false, preflights as Auth says", () => {
    const uri = '!Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"';
    const op = (extra = '') => `{${extra}x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: ${uri}}}`;
    const rest = parseSamTemplate(
      fnTemplate(
        '',
        `  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: TokenAuth
        ApiKeyRequired: true
        AddDefaultAuthorizerToCorsPreflight: false
        Authorizers:
          TokenAuth: {FunctionArn: !GetAtt Fn.Arn, Identity: {Header: AuthorizationToken}}
          Other: {FunctionArn: !GetAtt Fn.Arn, FunctionPayloadType: REQUEST, Identity: {Headers: [X-Other]}}
      DefinitionBody:
        swagger: '2.0'
        paths:
          /hello:
            get: ${op()}
            post: ${op('security: [{Other: []}], ')}
            options: ${op()}
          /open:
            get: ${op('security: [{NONE: []}, {api_key_false: []}], ')}
          /signed:
            get: ${op('security: [{AWS_IAM: []}], ')}`,
      ),
      { file: 't.yml' },
    );
    expect(Object.fromEntries(rest.routes.map((r) => [`${r.method} ${r.path}`, r.auth]))).toEqual({
      'GET /hello': { authorizer: 'TokenAuth', api_key_required: true },
      'POST /hello': { authorizer: 'Other', api_key_required: true },
      'OPTIONS /hello': { api_key_required: true },
      'GET /open': undefined,
      'GET /signed': { authorizer: 'AWS_IAM', api_key_required: true },
    });
    expect(Object.keys(rest.apis.Api.authorizers ?? {})).toEqual(['TokenAuth', 'Other']);

    const http = parseSamTemplate(
      fnTemplate(
        '',
        `  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt: {JwtConfiguration: {issuer: "https://issuer.example.test", audience: [app]}, IdentitySource: $request.header.Authorization, AuthorizationScopes: [orders/read]}
          Lambda: {FunctionArn: !GetAtt Fn.Arn, AuthorizerPayloadFormatVersion: '2.0', EnableSimpleResponses: true, Identity: {Headers: [X-Key]}}
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /orders:
            get: ${op()}
            post: ${op('security: [{Lambda: []}], ')}
            options: ${op()}`,
      ),
      { file: 't.yml' },
    );
    expect(Object.fromEntries(http.routes.map((r) => [`${r.method} ${r.path}`, r.auth]))).toEqual({
      'GET /orders': { authorizer: 'Jwt', scopes: ['orders/read'] },
      'POST /orders': { authorizer: 'Lambda' },
      'OPTIONS /orders': undefined,
    });
  });

  it('gives an API the values of the enabled keys a usage plan (or StageKeys) ties to it, and a derived value to a key without one', () => {
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `      Events:
        E:
          Type: Api
          Properties: {Path: /x, Method: get, Auth: {ApiKeyRequired: true}}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref ServerlessRestApi, Stage: Prod, Throttle: {/x/get: {RateLimit: 1, BurstLimit: 2}}}]
      Throttle: {RateLimit: 10}
      Quota: {Limit: 500, Period: WEEK, Offset: 20}
  Known:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true, Value: !Sub "\${AWS::StackName}-key-0123456789abcdef"}
  KnownInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Known, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Legacy:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: "true", Value: legacy-key-0123456789abcdef, StageKeys: [{RestApiId: !Ref ServerlessRestApi, StageName: Prod}]}
  Disabled:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Value: disabled-key-0123456789abcdef}
  DisabledInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Disabled, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Generated:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true}
  GeneratedInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Generated, KeyType: API_KEY, UsagePlanId: !Ref Plan}`,
      ),
      { file: 't.yml' },
    );
    // A key without a Value gets one made from the stack's and the key's names, the same every time.
    const generated = derivedApiKey('t/', 'Generated');
    expect(generated).toMatch(/^[0-9a-f]{40}$/);
    expect(generated).not.toBe(derivedApiKey('other/', 'Generated'));
    expect(m.apis.ServerlessRestApi.api_keys).toEqual(['t-key-0123456789abcdef', 'legacy-key-0123456789abcdef', generated]);
    expect(m.apis.ServerlessRestApi.usage_plans).toEqual([
      { id: 't/Plan', keys: ['t-key-0123456789abcdef', generated], throttle: { rate_limit: 10, burst_limit: 10 }, method_throttle: { '/x/GET': { rate_limit: 1, burst_limit: 2 } }, quota: { limit: 500, period: 'WEEK', offset: 20 } },
    ]);
    expect(m.warnings).toEqual([expect.stringMatching(new RegExp(`^API key Generated has no Value: API Gateway would generate one; esb's, .*: Generated: ${generated}\\. Give the key a Value`))]);
    const short = errorOf(() => parseSamTemplate(fnTemplate('', `  K:\n    Type: AWS::ApiGateway::ApiKey\n    Properties: {Enabled: true, Value: short}`), { file: 't.yml' }));
    expect([short.logicalId, short.field]).toEqual(['K', 'Value']);
    const stray = errorOf(() => parseSamTemplate(fnTemplate('', `  PK:\n    Type: AWS::ApiGateway::UsagePlanKey\n    Properties: {KeyId: Nope, KeyType: API_KEY, UsagePlanId: Nope}`), { file: 't.yml' }));
    expect([stray.logicalId, stray.field]).toEqual(['PK', 'KeyId']);
    const planError = (props: string) => {
      const e = errorOf(() => parseSamTemplate(fnTemplate('', `  P:\n    Type: AWS::ApiGateway::UsagePlan\n    Properties: ${props}`), { file: 't.yml' }));
      return [e.logicalId, e.field, e.reason];
    };
    expect(planError('{Quota: {Limit: 10, Period: YEAR}}')).toEqual(['P', 'Quota.Period', 'must be DAY, WEEK or MONTH, got "YEAR"']);
    expect(planError('{Quota: {Limit: 10, Period: DAY, Offset: 10}}')).toEqual(['P', 'Quota.Offset', 'must be below Quota.Limit (10)']);
    expect(planError('{Throttle: {RateLimit: fast}}')).toEqual(['P', 'Throttle.RateLimit', 'must be a number of requests per second, got "fast"']);
    expect(planError('{ApiStages: [{ApiId: !Ref ServerlessRestApi, Throttle: {GET /x: {RateLimit: 1}}}]}')).toEqual(['P', 'ApiStages[0].Throttle.GET /x', expect.stringContaining('"/resource/METHOD"')]);
  });

  it('reads gateway responses of a SAM Api, of its OpenAPI definition and of AWS::ApiGateway::GatewayResponse, and names a bad one', () => {
    const api = (props: string, extra = '') =>
      fnTemplate(
        '',
        `      Events:
        E: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: get}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
${props}${extra}`,
      );
    const m = parseSamTemplate(
      api(
        `      DefinitionBody:
        openapi: '3.0.1'
        paths: {}
        x-amazon-apigateway-gateway-responses:
          THROTTLED: {statusCode: '503', responseParameters: {gatewayresponse.header.Retry-After: "'1'"}}
          DEFAULT_5XX: {responseTemplates: {application/json: '{"from": "definition"}'}}
      GatewayResponses:
        DEFAULT_5XX:
          ResponseParameters: {Headers: {Access-Control-Allow-Origin: method.request.header.Origin}}
        UNAUTHORIZED:
          StatusCode: 401
          ResponseParameters: {Headers: {WWW-Authenticate: "'Bearer'"}}
          ResponseTemplates: {application/json: '{"message": $context.error.messageString}'}`,
        `
  NotFound:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: MISSING_AUTHENTICATION_TOKEN
      StatusCode: '404'
      ResponseParameters: {gatewayresponse.header.X-Reason: "'no such route'"}`,
      ),
      { file: 't.yml' },
    );
    expect(m.apis.Api.gateway_responses).toEqual({
      THROTTLED: { status_code: 503, headers: { 'Retry-After': "'1'" }, templates: {} },
      DEFAULT_5XX: { headers: { 'Access-Control-Allow-Origin': 'method.request.header.Origin' }, templates: {} },
      UNAUTHORIZED: { status_code: 401, headers: { 'WWW-Authenticate': "'Bearer'" }, templates: { 'application/json': '{"message": $context.error.messageString}' } },
      MISSING_AUTHENTICATION_TOKEN: { status_code: 404, headers: { 'X-Reason': "'no such route'" }, templates: {} },
    });

    const where = (props: string, extra = '') => {
      const e = errorOf(() => parseSamTemplate(api(props, extra), { file: 't.yml' }));
      return [e.logicalId, e.field, e.reason];
    };
    expect(where('      GatewayResponses: {DEFAULT_4xx: {}}')).toEqual(['Api', 'GatewayResponses.DEFAULT_4xx', expect.stringContaining('is not a gateway response type')]);
    expect(where('      GatewayResponses: {DEFAULT_4XX: {StatusCode: 4000}}')).toEqual(['Api', 'GatewayResponses.DEFAULT_4XX.StatusCode', expect.stringContaining('HTTP status code')]);
    expect(where("      GatewayResponses: {DEFAULT_4XX: {ResponseParameters: {Headers: {X-A: '*'}}}}")).toEqual(['Api', 'GatewayResponses.DEFAULT_4XX.ResponseParameters.Headers.X-A', expect.stringContaining('quoted literal')]);
    expect(where("      GatewayResponses: {DEFAULT_4XX: {ResponseTemplates: {application/json: '#if('}}}")).toEqual(['Api', 'GatewayResponses.DEFAULT_4XX.ResponseTemplates.application/json', expect.stringContaining('not a valid Velocity template')]);
    expect(where('', `
  R:
    Type: AWS::ApiGateway::GatewayResponse
    Properties: {RestApiId: !Ref Api, ResponseType: NOPE}`)).toEqual(['R', 'ResponseType', expect.stringContaining('"NOPE" is not a gateway response type')]);
    expect(where('', `
  R:
    Type: AWS::ApiGateway::GatewayResponse
    Properties: {RestApiId: !Ref Api, ResponseType: DEFAULT_4XX, ResponseParameters: {method.response.header.X: "'1'"}}`)).toEqual(['R', 'ResponseParameters.method.response.header.X', expect.stringContaining('gatewayresponse.header.')]);

    const http = parseSamTemplate(
      fnTemplate('', `      Events:
        E: {Type: HttpApi, Properties: {ApiId: !Ref H, Path: /x, Method: get}}
  H:
    Type: AWS::Serverless::HttpApi
    Properties: {GatewayResponses: {DEFAULT_4XX: {}}}`),
      { file: 't.yml' },
    );
    expect(http.apis.H.gateway_responses).toBeUndefined();
    expect(http.warnings).toContain('H.GatewayResponses: gateway responses apply to REST APIs only; not used');
  });

  it('reads request validation of SAM events, OpenAPI operations and raw methods, models inlined, and names a bad one', () => {
    const sam = parseSamTemplate(
      fnTemplate(
        '',
        `      Events:
        Add: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /pets, Method: post, RequestModel: {Model: Pet, ValidateBody: true}}}
        Find:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /pets
            Method: get
            RequestModel: {Model: Pet, ValidateParameters: true}
            RequestParameters: [{method.request.querystring.kind: {Required: true}}, method.request.header.X-Opt]
        Loose: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /loose, Method: post, RequestModel: {Model: Pet}}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Models:
        Pet: {type: object, required: [name], properties: {name: {type: string}, tag: {$ref: "https://apigateway.amazonaws.com/restapis/x/models/Tag"}}}
        Tag: {$schema: "http://json-schema.org/draft-04/schema#", type: string}`,
      ),
      { file: 't.yml' },
    );
    const bySam = Object.fromEntries(sam.routes.map((r) => [`${r.method} ${r.path}`, r.validation]));
    expect(bySam).toEqual({
      'POST /pets': { parameters: [], body: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, tag: { type: 'string' } } } },
      'GET /pets': { parameters: ['method.request.querystring.kind'] },
      'POST /loose': undefined,
    });

    const openapi = parseSamTemplate(
      fnTemplate(
        '',
        `  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        swagger: '2.0'
        x-amazon-apigateway-request-validators:
          all: {validateRequestBody: true, validateRequestParameters: true}
          params: {validateRequestBody: false, validateRequestParameters: true}
        x-amazon-apigateway-request-validator: all
        definitions:
          Order: {type: object, required: [sku]}
        paths:
          /orders/{id}:
            parameters: [{name: id, in: path, required: true}]
            put:
              parameters: [{in: body, name: order, schema: {$ref: '#/definitions/Order'}}, {name: X-Trace, in: header, required: false}]
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub "arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations"}
            get:
              x-amazon-apigateway-request-validator: params
              parameters: [{name: q, in: query, required: true}]
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub "arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations"}`,
      ),
      { file: 't.yml' },
    );
    expect(Object.fromEntries(openapi.routes.map((r) => [`${r.method} ${r.path}`, r.validation]))).toEqual({
      'PUT /orders/{id}': { parameters: ['method.request.path.id'], body: { type: 'object', required: ['sku'] } },
      'GET /orders/{id}': { parameters: ['method.request.path.id', 'method.request.querystring.q'] },
    });

    const raw = parseSamTemplate(
      fnTemplate(
        '',
        `  Rest: {Type: AWS::ApiGateway::RestApi, Properties: {Name: r}}
  Res: {Type: AWS::ApiGateway::Resource, Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: items}}
  Validator: {Type: AWS::ApiGateway::RequestValidator, Properties: {RestApiId: !Ref Rest, ValidateRequestBody: true, ValidateRequestParameters: true}}
  ItemModel: {Type: AWS::ApiGateway::Model, Properties: {RestApiId: !Ref Rest, Name: Item, ContentType: application/json, Schema: '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "required": ["id"]}'}}
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref Res
      HttpMethod: POST
      AuthorizationType: NONE
      RequestValidatorId: !GetAtt Validator.RequestValidatorId
      RequestModels: {application/json: !Ref ItemModel}
      RequestParameters: {method.request.header.X-Api-Version: true, method.request.querystring.dry: false}
      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub "arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations"}`,
      ),
      { file: 't.yml' },
    );
    expect(raw.routes.map((r) => r.validation)).toEqual([{ parameters: ['method.request.header.X-Api-Version'], body: { type: 'object', required: ['id'] } }]);

    const where = (events: string, models = 'Pet: {type: object}') => {
      const e = errorOf(() => parseSamTemplate(fnTemplate('', `      Events:\n        E: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: post, ${events}}}\n  Api:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: v1, Models: {${models}}}`), { file: 't.yml' }));
      return [e.logicalId, e.field, e.reason];
    };
    expect(where('RequestModel: {Model: Nope, ValidateBody: true}')).toEqual(['Fn', 'Events.E.Properties.RequestModel.Model', '"Nope" is not in the API\'s Models']);
    expect(where('RequestModel: {Model: Pet, ValidateBody: true}', 'Pet: {type: thing}')).toEqual(['Fn', 'Events.E.Properties.RequestModel.Model', expect.stringContaining('is not a valid JSON Schema (draft 4)')]);
    expect(where('RequestModel: {Model: Pet, ValidateBody: true}', 'Pet: {$ref: "#/definitions/Pet"}')).toEqual(['Fn', 'Events.E.Properties.RequestModel.Model', 'models Pet -> Pet refer to each other; recursive models are not supported']);
    expect(where('RequestParameters: [querystring.q]')).toEqual(['Fn', 'Events.E.Properties.RequestParameters[0]', expect.stringContaining('method.request.querystring|header|path.<name>')]);
  });

  it('reads function URLs (FunctionUrlConfig, AWS::Lambda::Url), their GetAtt FunctionUrl, and names a bad one', () => {
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `      FunctionUrlConfig: {AuthType: NONE, Cors: {AllowOrigins: ['*'], MaxAge: 60}, InvokeMode: RESPONSE_STREAM}
      Environment: {Variables: {SELF: !GetAtt FnUrl.FunctionUrl, OTHER: !GetAtt OtherUrl.FunctionUrl}}
  Other: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: index.handler, Runtime: python3.12}}
  OtherUrl: {Type: AWS::Lambda::Url, Properties: {TargetFunctionArn: !Ref Other, AuthType: AWS_IAM}}`,
      ),
      { file: 't.yml' },
    );
    expect(m.functions.map((f) => [f.key, f.url])).toEqual([
      ['t-Fn', { auth_type: 'NONE', invoke_mode: 'RESPONSE_STREAM', cors: { allow_origins: ['*'], allow_methods: [], allow_headers: [], expose_headers: [], allow_credentials: false, max_age: 60 } }],
      ['t-Other', { auth_type: 'AWS_IAM', invoke_mode: 'BUFFERED' }],
    ]);
    expect(m.functions[0].environment).toEqual({ SELF: 'https://t-fn.lambda-url.us-east-1.on.aws/', OTHER: 'https://t-other.lambda-url.us-east-1.on.aws/' });
    expect(m.warnings).toEqual([]);
    const bad = errorOf(() => parseSamTemplate(fnTemplate('', '      FunctionUrlConfig: {AuthType: COGNITO}'), { file: 't.yml' }));
    expect([bad.logicalId, bad.field]).toEqual(['Fn', 'FunctionUrlConfig.AuthType']);
    const stray = errorOf(() => parseSamTemplate(fnTemplate('', '  U: {Type: AWS::Lambda::Url, Properties: {TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:elsewhere, AuthType: NONE}}'), { file: 't.yml' }));
    expect([stray.logicalId, stray.field]).toEqual(['U', 'TargetFunctionArn']);
  });

  it('adds raw API Gateway routes, methods and authorizers that name a SAM API by its logical id to that API, as SAM makes it the raw API of that id', () => {
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `      Events:
        Own: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /own, Method: get}}
  Http:
    Type: AWS::Serverless::HttpApi
  Queue:
    Type: AWS::SQS::Queue
  FnIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: '2.0'}
  FnRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: 'GET /fn', Target: !Sub 'integrations/\${FnIntegration}', AuthorizationType: CUSTOM, AuthorizerId: !Ref KeyAuthorizer}
  KeyAuthorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties: {ApiId: !Ref Http, Name: key, AuthorizerType: REQUEST, AuthorizerUri: !Sub 'arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations', IdentitySource: [$request.header.x-key], AuthorizerPayloadFormatVersion: '2.0', EnableSimpleResponses: true}
  SqsIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationSubtype: SQS-SendMessage, RequestParameters: {QueueUrl: !Ref Queue, MessageBody: $request.body}, PayloadFormatVersion: '1.0'}
  SqsRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: 'POST /sqs', Target: !Join [/, [integrations, !Ref SqsIntegration]]}
  Rest:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: items}
  ItemsGet:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: !Ref Rest, ResourceId: !Ref Items, HttpMethod: GET, AuthorizationType: NONE, Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub 'arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations'}}`,
      ),
      { file: 't.yml', stackName: 's' },
    );
    const routes = Object.fromEntries(m.routes.map((r) => [`${r.api} ${r.method} ${r.path}`, r]));
    expect(Object.keys(routes).sort()).toEqual(['Http GET /fn', 'Http GET /own', 'Http POST /sqs', 'Rest GET /items']);
    expect(routes['Http GET /fn']).toMatchObject({ function: 's-Fn', auth: { authorizer: 'KeyAuthorizer' } });
    expect(routes['Rest GET /items']).toMatchObject({ function: 's-Fn' });
    expect(Object.keys(m.apis.Http.authorizers ?? {})).toEqual(['KeyAuthorizer']);
    expect(Object.keys(m.apis).sort()).toEqual(['Http', 'Rest']);
    expect(m.warnings).toEqual([]);
  });

  it('reads AWS_IAM authorization (signed requests only) from a raw Method, an OpenAPI sigv4 scheme and x-amazon-apigateway-auth', () => {
    const uri = 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:t-Fn/invocations';
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: '3.0.1'
        components: {securitySchemes: {sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}}}
        paths:
          /signed:
            get: {security: [{sigv4: []}], x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '${uri}'}}
          /also:
            get: {x-amazon-apigateway-auth: {type: AWS_IAM}, x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '${uri}'}}
          /open:
            get: {x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '${uri}'}}
  Rest: {Type: AWS::ApiGateway::RestApi, Properties: {Name: r}}
  Res: {Type: AWS::ApiGateway::Resource, Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: raw}}
  Raw: {Type: AWS::ApiGateway::Method, Properties: {RestApiId: !Ref Rest, ResourceId: !Ref Res, HttpMethod: GET, AuthorizationType: AWS_IAM, Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: '${uri}'}}}`,
      ),
      { file: 't.yml' },
    );
    expect(Object.fromEntries(m.routes.map((r) => [`${r.method} ${r.path}`, r.auth]))).toEqual({ 'GET /signed': { authorizer: 'AWS_IAM' }, 'GET /also': { authorizer: 'AWS_IAM' }, 'GET /open': undefined, 'GET /raw': { authorizer: 'AWS_IAM' } });
    expect(m.warnings.join('\n')).not.toMatch(/AWS_IAM|sigv4/);
  });

  it('marks REST Lambda proxy integrations whose responseTransferMode is STREAM (OpenAPI and AWS::ApiGateway::Method), and says when it cannot', () => {
    const uri = 'arn:aws:apigateway:us-east-1:lambda:path/2021-11-15/functions/arn:aws:lambda:us-east-1:123456789012:function:t-Fn/response-streaming-invocations';
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /ask:
            post: {x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '${uri}', responseTransferMode: STREAM}}
          /plain:
            post: {x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '${uri}', responseTransferMode: BUFFERED}}
          /odd:
            post: {x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '${uri}', responseTransferMode: SOMETIMES}}
  Rest: {Type: AWS::ApiGateway::RestApi, Properties: {Name: r}}
  Res: {Type: AWS::ApiGateway::Resource, Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: talk}}
  Talk: {Type: AWS::ApiGateway::Method, Properties: {RestApiId: !Ref Rest, ResourceId: !Ref Res, HttpMethod: GET, AuthorizationType: NONE, Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: '${uri}', ResponseTransferMode: STREAM}}}`,
      ),
      { file: 't.yml' },
    );
    expect(Object.fromEntries(m.routes.map((r) => [`${r.method} ${r.path}`, r.response_stream]))).toEqual({ 'POST /ask': true, 'POST /plain': undefined, 'POST /odd': undefined, 'GET /talk': true });
    expect(m.warnings.filter((w) => w.includes('responseTransferMode'))).toEqual(['Api.DefinitionBody.paths["/odd"].post: responseTransferMode "SOMETIMES" is neither BUFFERED nor STREAM; the response is buffered']);
  });

  it('reads S3 events (SAM Type: S3, a bucket\'s LambdaConfigurations) and names a bad one', () => {
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `      Events:
        Up: {Type: S3, Properties: {Bucket: !Ref Src, Events: [s3:ObjectCreated:Put, s3:ObjectCreated:Post], Filter: {S3Key: {Rules: [{Name: Prefix, Value: in/}, {Name: suffix, Value: .jpg}]}}}}
  Src: {Type: AWS::S3::Bucket}
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: audit-logs
      NotificationConfiguration:
        LambdaConfigurations: [{Event: s3:ObjectRemoved:*, Function: !GetAtt Fn.Arn}, {Id: Gone, Event: s3:ObjectRemoved:Delete, Function: !GetAtt Fn.Arn, Filter: {S3Key: {Rules: [{Name: suffix, Value: .log}]}}}]`,
      ),
      { file: 't.yml' },
    );
    expect(m.functions[0].events).toEqual([
      { type: 's3', name: 'FnUp', bucket: 't-src', events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:Post'], prefix: 'in/', suffix: '.jpg' },
      { type: 's3', name: 'LogsNotification1', bucket: 'audit-logs', events: ['s3:ObjectRemoved:*'] },
      { type: 's3', name: 'Gone', bucket: 'audit-logs', events: ['s3:ObjectRemoved:Delete'], suffix: '.log' },
    ]);
    expect(m.warnings).toEqual([]);
    const where = (props: string) => {
      const e = errorOf(() => parseSamTemplate(fnTemplate('', `      Events:\n        Up: {Type: S3, Properties: ${props}}\n  Src: {Type: AWS::S3::Bucket}`), { file: 't.yml' }));
      return [e.field, e.reason];
    };
    expect(where('{Bucket: elsewhere, Events: s3:ObjectCreated:*}')).toEqual(['Events.Up.Properties.Bucket', '"elsewhere" is not an AWS::S3::Bucket of this template (SAM requires one)']);
    expect(where('{Bucket: !Ref Src, Events: ObjectCreated}')).toEqual(['Events.Up.Properties.Events', expect.stringContaining('s3:ObjectCreated:*')]);
    expect(where('{Bucket: !Ref Src, Events: s3:ObjectCreated:*, Filter: {S3Key: {Rules: [{Name: middle, Value: x}]}}}')).toEqual(['Events.Up.Properties.Filter.S3Key.Rules[0]', expect.stringContaining('prefix|suffix')]);
  });

  it("reads a bucket's QueueConfigurations, TopicConfigurations and EventBridgeConfiguration, warns of a destination esb does not run and names a bad one", () => {
    const bucket = (nc: string, more = '') => `Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Gone: {Type: AWS::SNS::Topic}
  Up:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
${nc}
${more}`;
    const m = parseSamTemplate(
      bucket(`        EventBridgeConfiguration: {EventBridgeEnabled: true}
        QueueConfigurations:
          - {Event: 's3:ObjectCreated:*', Queue: !GetAtt Jobs.Arn, Filter: {S3Key: {Rules: [{Name: prefix, Value: in/}]}}}
          - {Id: Elsewhere, Event: 's3:ObjectCreated:Put', Queue: 'arn:aws:sqs:us-east-1:123456789012:other-jobs'}
          - {Event: 's3:ObjectCreated:*', Queue: !GetAtt Lake.Arn}
        TopicConfigurations:
          - {Id: Removed, Event: 's3:ObjectRemoved:*', Topic: !Ref Gone}`, '  Lake: {Type: AWS::Kinesis::Firehose}'),
      { file: 't.yml', stackName: 't' },
    );
    expect(m.bucketNotifications).toEqual([
      { name: 'UpQueueNotification1', bucket: 't-up', events: ['s3:ObjectCreated:*'], prefix: 'in/', queue: 't-Jobs' },
      { name: 'Elsewhere', bucket: 't-up', events: ['s3:ObjectCreated:Put'], queue: 'other-jobs' },
      { name: 'Removed', bucket: 't-up', events: ['s3:ObjectRemoved:*'], topic: 't-Gone' },
    ]);
    expect(m.eventBridgeBuckets).toEqual(['t-up']);
    expect(m.warnings.filter((w) => w.includes('NotificationConfiguration'))).toEqual([
      'Up.NotificationConfiguration.QueueConfigurations[1].Queue: queue "other-jobs" is not declared in this template; it receives S3 events once a deployed template declares it',
      expect.stringMatching(/^Up\.NotificationConfiguration\.QueueConfigurations\[2\]\.Queue: ".*" is not an SQS queue \(!GetAtt Queue\.Arn\); its S3 events are not sent \(docs\/agent\.md "S3 events"\)$/),
    ]);
    // Disabled, or only Lambda: no EventBridge.
    expect(parseSamTemplate(bucket('        EventBridgeConfiguration: {EventBridgeEnabled: false}'), { file: 't.yml', stackName: 't' }).eventBridgeBuckets).toEqual([]);
    const where = (nc: string) => {
      const e = errorOf(() => parseSamTemplate(bucket(nc), { file: 't.yml', stackName: 't' }));
      return [e.logicalId, e.field, e.reason];
    };
    expect(where('        QueueConfigurations: {Event: s3:ObjectCreated:*}')).toEqual(['Up', 'NotificationConfiguration.QueueConfigurations', 'must be a list']);
    expect(where('        QueueConfigurations: [{Event: ObjectCreated, Queue: !GetAtt Jobs.Arn}]')).toEqual(['Up', 'NotificationConfiguration.QueueConfigurations[0].Event', expect.stringContaining('s3:ObjectCreated:*')]);
    expect(where('        TopicConfigurations: [{Event: s3:ObjectCreated:*}]')).toEqual(['Up', 'NotificationConfiguration.TopicConfigurations[0].Topic', 'must be the ARN of an SNS topic (!Ref Topic)']);
    expect(where('        TopicConfigurations: [{Event: s3:ObjectCreated:*, Topic: !Ref Gone, Filter: {S3Key: {Rules: [{Name: middle, Value: x}]}}}]')).toEqual(['Up', 'NotificationConfiguration.TopicConfigurations[0].Filter.S3Key.Rules[0]', expect.stringContaining('prefix|suffix')]);
    expect(where('        QueueConfigurations: [{Id: A, Event: s3:ObjectCreated:*, Queue: !GetAtt Jobs.Arn}]\n        TopicConfigurations: [{Id: A, Event: s3:ObjectCreated:*, Topic: !Ref Gone}]')).toEqual(['Up', 'NotificationConfiguration.TopicConfigurations[0].Id', '"A" is the id of another notification of this bucket']);
    expect(where("        QueueConfigurations: [{Event: s3:ObjectCreated:*, Queue: 'arn:aws:sqs:us-east-1:123456789012:jobs.fifo'}]")).toEqual(['Up', 'NotificationConfiguration.QueueConfigurations[0].Queue', '"jobs.fifo" is a FIFO queue; S3 sends its events to standard queues only']);
    expect(where('        EventBridgeConfiguration: {EventBridgeEnabled: maybe}')).toEqual(['Up', 'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', 'must be true or false, not "maybe"']);
  });

  it('an HttpApi event without Path and Method is the API\'s $default route', () => {
    const m = parseSamTemplate(fnTemplate('', `      Events:\n        Catch: {Type: HttpApi}`), { file: 't.yml' });
    expect(m.routes).toEqual([{ path: '$default', method: 'ANY', function: 't-Fn', api: 'ServerlessHttpApi' }]);
  });

  it('rejects an event linked to an API of the wrong type', () => {
    const err = errorOf(() =>
      parseSamTemplate(
        `Resources:
  Http: {Type: AWS::Serverless::HttpApi}
  F:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: x, Handler: a.b, Runtime: python3.12, Events: {E: {Type: Api, Properties: {RestApiId: !Ref Http, Path: /x, Method: get}}}}`,
        { file: 't.yml' },
      ),
    );
    expect(err.field).toBe('Events.E.Properties.RestApiId');
  });
});

describe('SAM generated references', () => {
  it('accepts !Ref Fn.Alias and events naming the implicit API', () => {
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `      Environment: {Variables: {ALIAS: !Ref Fn.Alias}}
      Events:
        E: {Type: Api, Properties: {RestApiId: !Ref ServerlessRestApi, Path: /a, Method: get}}`,
      ),
      { file: 't.yml' },
    );
    expect(m.functions[0].environment.ALIAS).toBe('arn:aws:lambda:us-east-1:123456789012:function:t-Fn:live');
    expect(m.routes[0].api).toBe('ServerlessRestApi');
  });

  it("names an API's stage through MyApi.Stage, ${MyApi.Stage} and the stage resources SAM generates", () => {
    const m = parseSamTemplate(
      `Transform: AWS::Serverless-2016-10-31
Parameters: {Env: {Type: String, Default: dev}}
Globals: {Api: {StageName: v2}}
Resources:
  Api: {Type: AWS::Serverless::Api, Properties: {StageName: !Ref Env}}
  Http: {Type: AWS::Serverless::HttpApi}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: x
      Handler: index.handler
      Runtime: python3.12
      Environment:
        Variables:
          STAGE: !Ref Api.Stage
          URL: !Sub "https://\${Api}.execute-api.\${AWS::Region}.amazonaws.com/\${Api.Stage}"
          GENERATED: !Ref ApidevStage
          IMPLICIT: !Ref ServerlessRestApi.Stage
          HTTP: !Ref Http.Stage
          HTTP_GENERATED: !Ref HttpApiGatewayDefaultStage
          DEPLOYMENT: !Ref Api.Deployment
      Events:
        E: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: get}}
        I: {Type: Api, Properties: {Path: /i, Method: get}}`,
      { file: 't.yml' },
    );
    expect(m.functions[0].environment).toEqual({
      STAGE: 'dev',
      URL: 'https://Api.execute-api.us-east-1.amazonaws.com/dev',
      GENERATED: 'dev',
      IMPLICIT: 'v2',
      HTTP: '$default',
      HTTP_GENERATED: '$default',
      DEPLOYMENT: 'ApiDeployment',
    });
  });

  it('reads payload format versions YAML made numbers (2.0 -> 2)', () => {
    const m = parseSamTemplate(
      fnTemplate(
        '',
        `      Events:
        E: {Type: HttpApi, Properties: {ApiId: !Ref H, Path: /x, Method: get, PayloadFormatVersion: 2.0}}
  H:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: A
        Authorizers: {A: {FunctionArn: !GetAtt Fn.Arn, AuthorizerPayloadFormatVersion: 2.0, EnableSimpleResponses: true, Identity: {Headers: [Authorization]}}}`,
      ),
      { file: 't.yml' },
    );
    expect(m.apis.H.authorizers?.A).toMatchObject({ type: 'request', payload_format_version: '2.0', simple_responses: true });
    expect(m.warnings).toEqual([]);
  });
});

describe('names', () => {
  it('derives valid bucket names', () => {
    expect(defaultBucketName('My_Stack', 'Uploads__Bucket')).toBe('my-stack-uploads-bucket');
    expect(defaultBucketName('x'.repeat(80), 'B')).toHaveLength(63);
    expect(defaultBucketName('-', 'a')).toBe('a00');
  });
});

describe('shapes of public SAM apps', () => {
  it('takes the template\'s folder when CodeUri is missing, as SAM packages it', () => {
    const m = parseSamTemplate(`Resources:\n  Fn: {Type: AWS::Serverless::Function, Properties: {Handler: app.handler, Runtime: python3.12}}\n`, { file: 'app/template.yaml' });
    expect(m.functions[0].code).toEqual({ kind: 'ref', ref: { logicalId: 'Fn', field: 'CodeUri', uri: '.', kind: 'dir' } });
  });

  it('accepts runtimes Lambda retired, with a warning naming what runs them', () => {
    const m = parseSamTemplate(
      `Resources:\n  N: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: i.h, Runtime: nodejs12.x}}\n  P: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: i.h, Runtime: python3.7}}\n  Q: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: i.h, Runtime: python3.12}}\n`,
      { file: 't.yml', nodeVersion: '20.1.0' },
    );
    expect(m.functions.map((f) => f.runtime)).toEqual(['nodejs12.x', 'python3.7', 'python3.12']);
    expect(m.warnings).toEqual([
      "N: runtime nodejs12.x is deprecated by AWS Lambda; esb runs it on Node.js 20.1.0 (the process runtime's node) or the esb-runtime:nodejs image (Docker)",
      "P: runtime python3.7 is deprecated by AWS Lambda; esb runs it on the process runtime's python3 (the first on PATH with boto3, or ESB_PYTHON) or the esb-runtime:python3 image (Docker)",
    ]);
  });

  it('takes Java functions: a .jar or .zip CodeUri is a package, a folder is code (or a Maven project), inline code is refused, java8 is retired', () => {
    const m = parseSamTemplate(
      `Globals: {Function: {Runtime: java21}}\nResources:\n  J: {Type: AWS::Serverless::Function, Properties: {CodeUri: target/app.jar, Handler: com.example.App::handleRequest}}\n  Z: {Type: AWS::Serverless::Function, Properties: {CodeUri: target/sourceCode.zip, Handler: com.example.App}}\n  D: {Type: AWS::Serverless::Function, Properties: {CodeUri: HelloWorldFunction, Handler: helloworld.App::handleRequest, Runtime: java8}}\n`,
      { file: 't.yml' },
    );
    expect(m.functions.map((f) => [f.runtime, f.code])).toEqual([
      ['java21', { kind: 'ref', ref: { logicalId: 'J', field: 'CodeUri', uri: 'target/app.jar', kind: 'zip' } }],
      ['java21', { kind: 'ref', ref: { logicalId: 'Z', field: 'CodeUri', uri: 'target/sourceCode.zip', kind: 'zip' } }],
      ['java8', { kind: 'ref', ref: { logicalId: 'D', field: 'CodeUri', uri: 'HelloWorldFunction', kind: 'dir' } }],
    ]);
    expect(m.warnings).toEqual(['D: runtime java8 is deprecated by AWS Lambda; esb runs it on the best-fitting JDK of the machine (process runtime), as java8.al2 would']);
    const inline = errorOf(() => parseSamTemplate(`Resources:\n  I: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: A::h, Runtime: java17}}\n`, { file: 't.yml' }));
    expect(inline.message).toBe('t.yml: I.InlineCode: a java17 function runs compiled classes, which inline code cannot give (Lambda takes inline code for Node.js and Python only)');
  });

  it('names the stack after the folder of template.yaml / template.yml, else after the file', () => {
    expect(defaultStackName('/apps/hello-world/template.yaml')).toBe('hello-world');
    expect(defaultStackName('apps\\\\sam app\\\\template.yml')).toBe('sam-app');
    expect(defaultStackName('/apps/x/orders.yaml')).toBe('orders');
    expect(defaultStackName('template.yaml')).toBe('template');
  });

  it('keeps the later value of a key written twice in one mapping, as SAM CLI reads YAML, with a warning naming the line', () => {
    const m = parseSamTemplate(
      'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Handler: old.handler\n      Runtime: python3.12\n      Handler: app.handler\n',
      { file: 'app/template.yaml' },
    );
    expect(m.functions[0].handler).toBe('app.handler');
    expect(m.warnings).toEqual(['app/template.yaml:8:7: key Handler written twice in one mapping; the later value is used, as SAM CLI does']);
    // Other syntax errors still fail, naming the position.
    expect(() => parseSamTemplate('Resources:\n  Fn: [\n', { file: 'bad.yaml' })).toThrow(/^bad\.yaml:3:1: /);
  });

  it('links an Api event to a raw RestApi as SAM does: the raw resources define the route, the event adds none', () => {
    const template = (path: string) =>
      fnTemplate(
        '',
        `      Events:
        Api: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: ${path}, Method: get}}
  Rest: {Type: AWS::ApiGateway::RestApi, Properties: {Name: r}}
  Items: {Type: AWS::ApiGateway::Resource, Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: items}}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub "arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Fn.Arn}/invocations"}`,
      );
    const m = parseSamTemplate(template('/items'), { file: 't.yml', stackName: 's' });
    expect(m.routes).toEqual([{ path: '/items', method: 'GET', function: 's-Fn', api: 'Rest' }]);
    expect(m.warnings).toEqual([]);
    const other = parseSamTemplate(template('/other'), { file: 't.yml', stackName: 's' });
    expect(other.routes.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /items']);
    expect(other.warnings).toEqual([expect.stringContaining('Fn.Events.Api: Rest is a raw API resource, whose own resources define its routes (SAM adds none for the event), and it has no GET /other')]);
  });

  it('reads DynamoDB stream events and EventSourceMappings of a stream; Kafka and MQ sources stay skipped; bad settings name the field', () => {
    const template = (event: string, extra = '', stream = 'StreamSpecification: {StreamViewType: NEW_IMAGE}') =>
      fnTemplate(
        '',
        `      Events:
        Changes:
          Type: DynamoDB
          Properties: {${event}}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties: {AttributeDefinitions: [{AttributeName: id, AttributeType: S}], KeySchema: [{AttributeName: id, KeyType: HASH}], ${stream}}
${extra}`,
      );
    const m = parseSamTemplate(
      template(
        'Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST, BatchSize: 5, MaximumBatchingWindowInSeconds: 2, FunctionResponseTypes: [ReportBatchItemFailures], FilterCriteria: {Filters: [{Pattern: \'{"eventName": ["INSERT"]}\'}]}',
        `  Mapping: {Type: AWS::Lambda::EventSourceMapping, Properties: {FunctionName: !GetAtt Fn.Arn, EventSourceArn: !GetAtt Orders.StreamArn, StartingPosition: TRIM_HORIZON, Enabled: false}}
  Kafka: {Type: AWS::Lambda::EventSourceMapping, Properties: {FunctionName: !Ref Fn, EventSourceArn: "arn:aws:kafka:us-east-1:123456789012:cluster/c/abc", Topics: [t], StartingPosition: LATEST}}`,
      ),
      { file: 't.yml', stackName: 's' },
    );
    expect(m.functions[0].events).toEqual([
      { type: 'dynamodb', name: 'FnChanges', table: 's-Orders', batch_size: 5, batching_window_seconds: 2, maximum_retry_attempts: -1, maximum_record_age_seconds: -1, report_batch_item_failures: true, bisect_batch_on_function_error: false, enabled: true, filters: ['{"eventName": ["INSERT"]}'] },
      { type: 'dynamodb', name: 'Mapping', table: 's-Orders', batch_size: 100, batching_window_seconds: 0, maximum_retry_attempts: -1, maximum_record_age_seconds: -1, report_batch_item_failures: false, bisect_batch_on_function_error: false, enabled: false },
    ]);
    expect(m.warnings).toEqual(['skipped resources esb does not run: AWS::Lambda::EventSourceMapping (Kafka)']);

    // BisectBatchOnFunctionError and DestinationConfig.OnFailure are applied; ParallelizationFactor and tumbling windows are not.
    const failures = parseSamTemplate(
      template(
        'Stream: !GetAtt Orders.StreamArn, StartingPosition: TRIM_HORIZON, MaximumRetryAttempts: 2, BisectBatchOnFunctionError: true, DestinationConfig: {OnFailure: {Destination: !GetAtt Failed.Arn}}, ParallelizationFactor: 2, TumblingWindowInSeconds: 60',
        `  Failed: {Type: AWS::SQS::Queue, Properties: {QueueName: failed}}
  Mapping: {Type: AWS::Lambda::EventSourceMapping, Properties: {FunctionName: !Ref Fn, EventSourceArn: !GetAtt Orders.StreamArn, StartingPosition: LATEST, BisectBatchOnFunctionError: "false", DestinationConfig: {OnFailure: {Destination: "arn:aws:sns:us-east-1:123456789012:alarms"}}}}`,
      ),
      { file: 't.yml', stackName: 's' },
    );
    expect(failures.functions[0].events).toMatchObject([
      { name: 'FnChanges', maximum_retry_attempts: 2, bisect_batch_on_function_error: true, on_failure: { type: 'SQS', target: 'failed' } },
      { name: 'Mapping', bisect_batch_on_function_error: false, on_failure: { type: 'SNS', target: 'alarms' } },
    ]);
    expect(failures.warnings).toEqual(['Fn.Events.Changes.Properties.ParallelizationFactor, TumblingWindowInSeconds: not applied by esb (docs/agent.md, "DynamoDB streams")']);

    const fails = (event: string, stream?: string) => {
      const e = errorOf(() => parseSamTemplate(template(event, '', stream), { file: 't.yml', stackName: 's' }));
      return [e.field, e.reason];
    };
    expect(fails('Stream: !GetAtt Orders.StreamArn')).toEqual(['Events.Changes.Properties.StartingPosition', expect.stringContaining('TRIM_HORIZON, LATEST or AT_TIMESTAMP')]);
    expect(fails('Stream: !GetAtt Orders.Arn, StartingPosition: LATEST')).toEqual(['Events.Changes.Properties.Stream', expect.stringContaining('must be the stream ARN of a DynamoDB table')]);
    expect(fails('Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST', 'BillingMode: PAY_PER_REQUEST')).toEqual(['Events.Changes.Properties.Stream', 'table "s-Orders" has no StreamSpecification, so it has no stream']);
    expect(fails('Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST, BatchSize: 0')).toEqual(['Events.Changes.Properties.BatchSize', 'must be a whole number from 1 to 10000']);
    expect(fails('Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST, BisectBatchOnFunctionError: yes')).toEqual(['Events.Changes.Properties.BisectBatchOnFunctionError', 'must be true or false, not "yes"']);
    expect(fails('Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST, DestinationConfig: {OnFailure: {Destination: !GetAtt Fn.Arn}}')).toEqual([
      'Events.Changes.Properties.DestinationConfig.OnFailure.Destination',
      '"arn:aws:lambda:us-east-1:123456789012:function:s-Fn" is not the ARN of a queue or topic',
    ]);
    expect(fails(`Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST, FilterCriteria: {Filters: [{Pattern: '{"eventName": "INSERT"}'}]}`)).toEqual([
      'Events.Changes.Properties.FilterCriteria.Filters[0].Pattern',
      'eventName: must be a list of values or a nested pattern, not "INSERT"',
    ]);
  });

  it('reads SQS queues, their !Ref / !GetAtt values, SQS events and EventSourceMappings of a queue; bad settings name the field', () => {
    const template = (event: string, queues = '') =>
      fnTemplate(
        '',
        `      Environment:
        Variables: {URL: !Ref Jobs, ARN: !GetAtt Jobs.Arn, NAME: !GetAtt Jobs.QueueName, FIFO_URL: !GetAtt Orders.QueueUrl}
      Events:
        Work:
          Type: SQS
          Properties: {${event}}
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 30, RedrivePolicy: {deadLetterTargetArn: !GetAtt JobsDlq.Arn, maxReceiveCount: "3"}, KmsMasterKeyId: alias/aws/sqs}
  JobsDlq: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs-dlq, MessageRetentionPeriod: 1209600}}
  Orders: {Type: AWS::SQS::Queue, Properties: {FifoQueue: true, ContentBasedDeduplication: true}}
  Policy: {Type: AWS::SQS::QueuePolicy, Properties: {Queues: [!Ref Jobs], PolicyDocument: {}}}
${queues}`,
      );
    const m = parseSamTemplate(
      template(
        'Queue: !GetAtt Jobs.Arn, BatchSize: 25, MaximumBatchingWindowInSeconds: 1, FunctionResponseTypes: [ReportBatchItemFailures], ScalingConfig: {MaximumConcurrency: 5}',
        `  Mapping: {Type: AWS::Lambda::EventSourceMapping, Properties: {FunctionName: !GetAtt Fn.Arn, EventSourceArn: !GetAtt Orders.Arn, Enabled: false}}
  Elsewhere: {Type: AWS::Lambda::EventSourceMapping, Properties: {FunctionName: !Ref Fn, EventSourceArn: "arn:aws:sqs:us-east-1:123456789012:shared-jobs", FilterCriteria: {Filters: [{Pattern: '{"body": {"kind": ["a"]}}'}]}}}`,
      ),
      { file: 't.yml', stackName: 's' },
    );
    expect(m.queues).toEqual([
      { QueueName: 's-Jobs', VisibilityTimeout: 30, RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:jobs-dlq', maxReceiveCount: 3 } },
      { QueueName: 'jobs-dlq', MessageRetentionPeriod: 1209600 },
      { QueueName: 's-Orders.fifo', FifoQueue: true, ContentBasedDeduplication: true },
    ]);
    expect(m.functions[0].environment).toEqual({
      URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/s-Jobs',
      ARN: 'arn:aws:sqs:us-east-1:123456789012:s-Jobs',
      NAME: 's-Jobs',
      FIFO_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/s-Orders.fifo',
    });
    expect(m.functions[0].events).toEqual([
      { type: 'sqs', name: 'FnWork', queue: 's-Jobs', batch_size: 25, batching_window_seconds: 1, report_batch_item_failures: true, maximum_concurrency: 5, enabled: true },
      { type: 'sqs', name: 'Mapping', queue: 's-Orders.fifo', batch_size: 10, batching_window_seconds: 0, report_batch_item_failures: false, enabled: false },
      { type: 'sqs', name: 'Elsewhere', queue: 'shared-jobs', batch_size: 10, batching_window_seconds: 0, report_batch_item_failures: false, enabled: true, filters: ['{"body": {"kind": ["a"]}}'] },
    ]);
    expect(m.warnings).toEqual(['Elsewhere.EventSourceArn: queue "shared-jobs" is not declared in this template; it is read once a deployed template declares it']);

    const fails = (event: string, queues = '') => {
      const e = errorOf(() => parseSamTemplate(template(event, queues), { file: 't.yml', stackName: 's' }));
      return [e.logicalId, e.field, e.reason];
    };
    expect(fails('Queue: !Ref Jobs')).toEqual(['Fn', 'Events.Work.Properties.Queue', 'must be the ARN of an SQS queue (!GetAtt Queue.Arn), not "https://sqs.us-east-1.amazonaws.com/123456789012/s-Jobs"']);
    expect(fails('Queue: !GetAtt Jobs.Arn, BatchSize: 11')).toEqual(['Fn', 'Events.Work.Properties.BatchSize', 'must be at most 10 unless MaximumBatchingWindowInSeconds is at least 1']);
    expect(fails('Queue: !GetAtt Jobs.Arn, ScalingConfig: {MaximumConcurrency: 1}')).toEqual(['Fn', 'Events.Work.Properties.ScalingConfig.MaximumConcurrency', 'must be a whole number from 2 to 1000']);
    expect(fails('Queue: !GetAtt Jobs.Arn', '  Bad: {Type: AWS::SQS::Queue, Properties: {QueueName: bad.fifo}}')).toEqual(['Bad', 'FifoQueue', expect.stringContaining('must have a name ending in .fifo')]);
    expect(fails('Queue: !GetAtt Jobs.Arn', '  Bad: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 50000}}')).toEqual(['Bad', 'VisibilityTimeout', expect.stringContaining('43200')]);
    expect(fails('Queue: !GetAtt Jobs.Arn', '  Bad: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {deadLetterTargetArn: x, maxReceiveCount: 3}}}')).toEqual(['Bad', 'RedrivePolicy.deadLetterTargetArn', expect.stringContaining('must be the ARN of an SQS queue')]);
    expect(fails('Queue: !GetAtt Jobs.Arn', '  Bad: {Type: AWS::SQS::Queue, Properties: {QueueName: "has space"}}')).toEqual(['Bad', 'QueueName', expect.stringContaining('is not a valid queue name')]);
  });

  it('reads where asynchronous invocations go: DeadLetterQueue / DeadLetterConfig and SQS OnFailure destinations as failure queues, OnSuccess and other OnFailure destinations (SNS, EventBridge, Lambda) as destinations', () => {
    const template = (fnProps: string, raw = '') =>
      fnTemplate(
        '',
        `${fnProps}
  Dlq: {Type: AWS::SQS::Queue}
  Failures: {Type: AWS::SQS::Queue, Properties: {QueueName: failures}}
  Topic: {Type: AWS::SNS::Topic}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: results}}
  Next:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: x, Handler: index.handler, Runtime: nodejs20.x}
${raw}`,
      );
    const m = parseSamTemplate(
      template(
        `      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dlq.Arn}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
          OnSuccess: {Type: SNS, Destination: !Ref Topic}`,
        `  Raw:
    Type: AWS::Lambda::Function
    Properties: {Handler: index.handler, Runtime: nodejs20.x, Code: {ZipFile: "x"}, DeadLetterConfig: {TargetArn: !GetAtt Dlq.Arn}}`,
      ),
      { file: 't.yml', stackName: 's' },
    );
    const [fn, raw] = ['Fn', 'Raw'].map((id) => m.functions.find((f) => f.logicalId === id)!);
    expect(fn.asyncRetries).toBe(1);
    expect(fn.asyncFailureQueues).toEqual([
      { kind: 'dlq', queue: 's-Dlq' },
      { kind: 'destination', queue: 'failures' },
    ]);
    expect(raw.asyncFailureQueues).toEqual([{ kind: 'dlq', queue: 's-Dlq' }]);
    expect(fn.asyncDestinations).toEqual({ on_success: { type: 'SNS', target: 's-Topic' } });
    expect(m.warnings).toEqual([]);
    const destinations = (config: string) => parseSamTemplate(template(`      EventInvokeConfig:\n        DestinationConfig: ${config}`), { file: 't.yml', stackName: 's' }).functions[0].asyncDestinations;
    expect(destinations('{OnSuccess: {Type: Lambda, Destination: !GetAtt Next.Arn}, OnFailure: {Type: EventBridge, Destination: !GetAtt Bus.Arn}}')).toEqual({ on_success: { type: 'Lambda', target: 's-Next' }, on_failure: { type: 'EventBridge', target: 'results' } });
    // SAM takes the type from the ARN when Type is left out.
    expect(destinations('{OnSuccess: {Destination: !GetAtt Failures.Arn}, OnFailure: {Destination: !Ref Topic}}')).toEqual({ on_success: { type: 'SQS', target: 'failures' }, on_failure: { type: 'SNS', target: 's-Topic' } });
    const wrong = (config: string) => {
      const e = errorOf(() => parseSamTemplate(template(`      EventInvokeConfig:\n        DestinationConfig: ${config}`), { file: 't.yml', stackName: 's' }));
      return [e.field, e.reason];
    };
    expect(wrong('{OnSuccess: {Type: Lambda, Destination: !Ref Topic}}')).toEqual(['EventInvokeConfig.DestinationConfig.OnSuccess.Destination', '"arn:aws:sns:us-east-1:123456789012:s-Topic" is not the ARN of a function']);
    expect(wrong('{OnFailure: {Type: S3, Destination: !Ref Topic}}')).toEqual(['EventInvokeConfig.DestinationConfig.OnFailure.Type', 'must be SQS, SNS, EventBridge or Lambda, not "S3"']);
    expect(wrong('{OnFailure: {Type: SQS}}')).toEqual(['EventInvokeConfig.DestinationConfig.OnFailure.Destination', expect.stringContaining('must be the ARN of')]);

    const sns = parseSamTemplate(template('      DeadLetterQueue: {Type: SNS, TargetArn: !Ref Topic}'), { file: 't.yml', stackName: 's' });
    expect(sns.functions[0].asyncFailureQueues).toBeUndefined();
    expect(sns.warnings).toContain('Fn.DeadLetterQueue.TargetArn: "arn:aws:sns:us-east-1:123456789012:s-Topic" is not an SQS queue; only SQS targets are applied (docs/agent.md, "Asynchronous invocations")');
    const e = errorOf(() => parseSamTemplate(template('      DeadLetterQueue: {Type: Kinesis, TargetArn: x}'), { file: 't.yml', stackName: 's' }));
    expect([e.field, e.reason]).toEqual(['DeadLetterQueue.Type', 'must be SQS or SNS']);
  });

  it('keys long function names within 64 characters, still distinct', () => {
    const a = defaultFunctionKey('a-very-long-stack-name-for-an-application', 'AnEvenLongerLogicalIdOfAFunction1');
    const b = defaultFunctionKey('a-very-long-stack-name-for-an-application', 'AnEvenLongerLogicalIdOfAFunction2');
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
  });
});

describe('EventBridge rules', () => {
  const parse = (text: string) => parseSamTemplate(text, { file: 't.yml', stackName: 's' });
  const failure = (text: string) => {
    const e = errorOf(() => parse(text));
    return [e.logicalId, e.field, e.reason];
  };
  // A function that puts events on a custom bus, a queue, and the rule resources under test.
  const template = (resources: string, fnProps = '') =>
    fnTemplate(
      '',
      `      Environment:
        Variables: {BUS: !Ref Orders, BUS_ARN: !GetAtt Orders.Arn, BUS_NAME: !GetAtt Orders.Name, BUS_SUB: !Sub "\${Orders}"}
${fnProps}
  Orders: {Type: AWS::Events::EventBus, Properties: {Name: orders}}
  OrdersPolicy: {Type: AWS::Events::EventBusPolicy, Properties: {EventBusName: !Ref Orders, StatementId: all, Statement: {}}}
  Jobs: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs.fifo, FifoQueue: true}}
  Topic: {Type: AWS::SNS::Topic}
${resources}`,
    );
  const onOrder = (props: string) => `  OnOrder:
    Type: AWS::Events::Rule
    Properties:
${props
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}`;

  it('reads AWS::Events::Rule on a custom bus: patterns as maps or JSON text, function and queue targets, what they send, state; buses and rules resolve to names and ARNs', () => {
    const m = parse(
      template(`${onOrder(`EventBusName: !Ref Orders
EventPattern: {source: [shop.orders], detail: {total: [{numeric: [">", 100]}]}}
Targets:
  - {Id: ToFn, Arn: !GetAtt Fn.Arn, InputPath: $.detail}
  - {Id: ToQueue, Arn: !GetAtt Jobs.Arn, SqsParameters: {MessageGroupId: orders}, InputTransformer: {InputPathsMap: {id: $.detail.id}, InputTemplate: '{"order": <id>}'}}
  - {Id: Fixed, Arn: !GetAtt Fn.Arn, Input: '{"kind": "fixed"}'}`)}
  Paused:
    Type: AWS::Events::Rule
    Properties:
      Name: paused-rule
      EventBusName: !GetAtt Orders.Arn
      State: DISABLED
      EventPattern: '{"source": ["shop.refunds"]}'
      Targets: [{Id: T, Arn: !GetAtt Fn.Arn}]
  OnDefault:
    Type: AWS::Events::Rule
    Properties:
      State: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
      EventPattern: {source: [aws.s3]}
      Targets: [{Id: T, Arn: !Sub "arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:\${Fn}"}]
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "x"
      Handler: index.handler
      Runtime: python3.12
      Environment:
        Variables: {RULE: !Ref OnOrder, RULE_ARN: !GetAtt OnOrder.Arn, DEFAULT_RULE_ARN: !GetAtt OnDefault.Arn}`),
    );
    expect(m.rules).toEqual([
      {
        bus: 'orders',
        name: 's-OnOrder',
        pattern: '{"source":["shop.orders"],"detail":{"total":[{"numeric":[">",100]}]}}',
        enabled: true,
        targets: [
          { id: 'ToFn', function: 's-Fn', input_path: '$.detail' },
          { id: 'ToQueue', queue: 'jobs.fifo', input_transformer: { paths: { id: '$.detail.id' }, template: '{"order": <id>}' }, message_group_id: 'orders' },
          { id: 'Fixed', function: 's-Fn', input: '{"kind": "fixed"}' },
        ],
      },
      { bus: 'orders', name: 'paused-rule', pattern: '{"source": ["shop.refunds"]}', enabled: false, targets: [{ id: 'T', function: 's-Fn' }] },
      { bus: 'default', name: 's-OnDefault', pattern: '{"source":["aws.s3"]}', enabled: true, targets: [{ id: 'T', function: 's-Fn' }] },
    ]);
    expect(m.functions[0].environment).toEqual({
      BUS: 'orders',
      BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/orders',
      BUS_NAME: 'orders',
      BUS_SUB: 'orders',
    });
    expect(m.functions[1].environment).toEqual({
      RULE: 's-OnOrder',
      RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/orders/s-OnOrder',
      DEFAULT_RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/s-OnDefault',
    });
    // EventBusPolicy is quiet; buses, rules and topics are not "skipped".
    expect(m.warnings).toEqual([]);
  });

  it('drops targets it does not emulate with a warning, and a rule left without targets; reads a target\'s RetryPolicy and DeadLetterConfig', () => {
    const m = parse(
      template(`${onOrder(`EventBusName: !Ref Orders
EventPattern: {source: [shop.orders]}
Targets:
  - {Id: ToBuild, Arn: "arn:aws:codebuild:us-east-1:123456789012:project/build"}
  - {Id: ToFn, Arn: !GetAtt Fn.Arn, RetryPolicy: {MaximumRetryAttempts: 3}, DeadLetterConfig: {Arn: !GetAtt Jobs.Arn}}`)}
  OnlyBatch:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop]}
      Targets: [{Id: T, Arn: "arn:aws:batch:us-east-1:123456789012:job-queue/q"}]
  Archive: {Type: AWS::Events::Archive, Properties: {SourceArn: !GetAtt Orders.Arn}}`),
    );
    expect(m.rules.map((r) => [r.name, r.targets.map((t) => t.id)])).toEqual([['s-OnOrder', ['ToFn']]]);
    expect(m.rules[0].targets[0]).toMatchObject({ retry_policy: { maximum_retry_attempts: 3, maximum_event_age_seconds: 86400 }, dead_letter_queue: 'jobs.fifo' });
    const receivers = 'only Lambda functions, SQS queues, SNS topics, Step Functions state machines, Kinesis streams, Firehose delivery streams, CloudWatch Logs log groups, AppSync APIs and API destinations receive events (docs/eventbridge.md)';
    expect(m.warnings).toEqual([
      'Archive: AWS::Events::Archive is not emulated; events are not archived, so there is nothing to replay (docs/eventbridge.md)',
      `OnOrder: Targets[0] (ToBuild): CodeBuild project targets are not emulated; ${receivers}`,
      `OnlyBatch: Targets[0] (T): Batch job queue targets are not emulated; ${receivers}`,
      'OnlyBatch: the rule has no target esb emulates; it is not run',
    ]);
  });

  it('publishes events to SNS topics and writes them to CloudWatch Logs log groups (by !Ref, !GetAtt or ARN); a log group is named by its LogGroupName, else <stack>-<LogicalId>', () => {
    const m = parse(
      template(`${onOrder(`EventPattern: {source: [shop.orders]}
Targets:
  - {Id: ToTopic, Arn: !Ref Topic, InputPath: $.detail}
  - {Id: ToNamed, Arn: !GetAtt Named.Arn}
  - {Id: ToUnnamed, Arn: !GetAtt Unnamed.Arn}
  - {Id: ToArn, Arn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/raw:*"}`)}
  Named: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /aws/events/orders}}
  Unnamed: {Type: AWS::Logs::LogGroup}
  Echo:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: nodejs20.x, Environment: {Variables: {GROUP: !Ref Named, GROUP_ARN: !GetAtt Unnamed.Arn}}}`),
    );
    expect(m.rules.find((r) => r.name === 's-OnOrder')!.targets).toEqual([
      { id: 'ToTopic', topic: 's-Topic', input_path: '$.detail' },
      { id: 'ToNamed', log_group: '/aws/events/orders' },
      { id: 'ToUnnamed', log_group: 's-Unnamed' },
      { id: 'ToArn', log_group: '/aws/events/raw' },
    ]);
    expect(m.functions.find((f) => f.logicalId === 'Echo')!.environment).toEqual({ GROUP: '/aws/events/orders', GROUP_ARN: 'arn:aws:logs:us-east-1:123456789012:log-group:s-Unnamed:*' });
    expect(m.warnings).toEqual([]);
  });

  it('puts events to a Kinesis stream target, keyed by KinesisParameters.PartitionKeyPath, and to a Firehose delivery stream; a key path that is not a JSONPath is an error', () => {
    const m = parse(
      template(`  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {Name: clicks, ShardCount: 1}
${onOrder(`EventPattern: {source: [shop.orders]}
Targets:
  - {Id: ToStream, Arn: !GetAtt Clicks.Arn, InputPath: $.detail, KinesisParameters: {PartitionKeyPath: $.detail.customer}}
  - {Id: Plain, Arn: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"}
  - {Id: ToFirehose, Arn: !GetAtt ToS3.Arn, InputPath: $.detail}`)}
  Sink: {Type: AWS::S3::Bucket, Properties: {BucketName: sink}}
  ToS3: {Type: AWS::KinesisFirehose::DeliveryStream, Properties: {DeliveryStreamName: clicks-to-s3, ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Sink.Arn}}}`),
    );
    expect(m.rules.map((r) => r.targets)).toEqual([
      [
        { id: 'ToStream', stream: 'clicks', input_path: '$.detail', partition_key_path: '$.detail.customer' },
        { id: 'Plain', stream: 'clicks' },
        { id: 'ToFirehose', delivery_stream: 'clicks-to-s3', input_path: '$.detail' },
      ],
    ]);
    expect(m.warnings).toEqual([]);
    expect(() =>
      parse(template(onOrder(`EventPattern: {source: [shop.orders]}
Targets: [{Id: S, Arn: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks", KinesisParameters: {PartitionKeyPath: customer}}]`))),
    ).toThrow('OnOrder.Targets[0].KinesisParameters.PartitionKeyPath: must be a JSONPath of the event ($.detail.id)');
  });

  it('runs an AppSync API target: its GraphQLEndpointArn and AppSyncParameters.GraphQLOperation; an AppSync target without an operation is an error', () => {
    const api = `  Api: {Type: AWS::AppSync::GraphQLApi, Properties: {Name: notes, AuthenticationType: AWS_IAM}}
  Schema: {Type: AWS::AppSync::GraphQLSchema, Properties: {ApiId: !GetAtt Api.ApiId, Definition: "type Query { a: Int } type Mutation { add(t: String!): Int }"}}
`;
    const m = parse(
      template(`${api}${onOrder(`EventPattern: {source: [shop.orders]}
Targets:
  - {Id: ToApi, Arn: !GetAtt Api.GraphQLEndpointArn, InputPath: $.detail, AppSyncParameters: {GraphQLOperation: "mutation A($t: String!) { add(t: $t) }"}}`)}`),
    );
    expect(m.rules.map((r) => r.targets)).toEqual([[{ id: 'ToApi', graphql_api: expect.stringMatching(/^[a-z0-9]{26}$/), input_path: '$.detail', graphql_operation: 'mutation A($t: String!) { add(t: $t) }' }]]);
    expect(() => parse(template(`${api}${onOrder(`EventPattern: {source: [shop.orders]}
Targets: [{Id: ToApi, Arn: !GetAtt Api.GraphQLEndpointArn}]`)}`))).toThrow('OnOrder.Targets[0].AppSyncParameters.GraphQLOperation: is required for an AppSync target: the mutation to run for each event');
  });

  it('sends to an API destination: its endpoint and method, the connection\'s authorization and parameters, the target\'s HttpParameters; what is missing fails naming the field', () => {
    const dest = (endpoint: string, target: string, auth = "AuthorizationType: API_KEY\n      AuthParameters: {ApiKeyAuthParameters: {ApiKeyName: x-api-key, ApiKeyValue: s3cret}, InvocationHttpParameters: {QueryStringParameters: [{Key: source, Value: esb}]}}") =>
      template(`  Hooks:
    Type: AWS::Events::Connection
    Properties:
      ${auth}
  Webhook:
    Type: AWS::Events::ApiDestination
    Properties:
      ConnectionArn: !GetAtt Hooks.Arn
      InvocationEndpoint: ${endpoint}
      HttpMethod: POST
      InvocationRateLimitPerSecond: 10
${onOrder(`EventBusName: !Ref Orders
EventPattern: {source: [shop]}
Targets:
  - ${target}`)}`);
    const m = parse(dest('https://hooks.example.com/orders/*', "{Id: Hook, Arn: !GetAtt Webhook.Arn, RoleArn: r, InputPath: $.detail, HttpParameters: {PathParameterValues: [new], HeaderParameters: {x-from: esb}}}"));
    expect(m.rules[0].targets).toEqual([
      { id: 'Hook', input_path: '$.detail', http: { name: 's-Webhook', url: 'https://hooks.example.com/orders/new', method: 'POST', headers: { 'x-api-key': 's3cret', 'x-from': 'esb' }, query: { source: 'esb' } } },
    ]);
    expect(m.warnings).toEqual([]);
    const basic = parse(dest('https://hooks.example.com/in', '{Id: Hook, Arn: !GetAtt Webhook.Arn}', 'AuthorizationType: BASIC\n      AuthParameters: {BasicAuthParameters: {Username: ann, Password: pw}}'));
    expect(basic.rules[0].targets[0].http?.headers).toEqual({ Authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` });
    const oauth = parse(
      dest(
        'https://hooks.example.com/in',
        '{Id: Hook, Arn: !GetAtt Webhook.Arn}',
        "AuthorizationType: OAUTH_CLIENT_CREDENTIALS\n      AuthParameters: {OAuthParameters: {AuthorizationEndpoint: https://auth.example.com/token, HttpMethod: POST, ClientParameters: {ClientID: c, ClientSecret: s}, OAuthHttpParameters: {BodyParameters: [{Key: grant_type, Value: client_credentials, IsValueSecret: 'false'}], HeaderParameters: [{Key: x-tenant, Value: shop}]}}}",
      ),
    );
    expect(oauth.warnings).toEqual([]);
    expect(oauth.rules[0].targets[0].http?.oauth).toEqual({ endpoint: 'https://auth.example.com/token', method: 'POST', client_id: 'c', client_secret: 's', headers: { 'x-tenant': 'shop' }, query: {}, body: { grant_type: 'client_credentials' } });
    expect(failure(dest('https://hooks.example.com/in', '{Id: Hook, Arn: !GetAtt Webhook.Arn}', 'AuthorizationType: OAUTH_CLIENT_CREDENTIALS\n      AuthParameters: {OAuthParameters: {AuthorizationEndpoint: token, HttpMethod: POST, ClientParameters: {ClientID: c, ClientSecret: s}}}'))).toEqual([
      'Hooks',
      'AuthParameters.OAuthParameters.AuthorizationEndpoint',
      'must be an http(s) URL, not "token"',
    ]);
    expect(failure(dest('https://hooks.example.com/orders/*', '{Id: Hook, Arn: !GetAtt Webhook.Arn}'))).toEqual(['OnOrder', 'Targets[0].HttpParameters.PathParameterValues', 'gives 0 value(s) for the 1 "*" of https://hooks.example.com/orders/*']);
    expect(failure(dest('ftp://x', '{Id: Hook, Arn: !GetAtt Webhook.Arn}'))).toEqual(['Webhook', 'InvocationEndpoint', 'must be an http(s) URL, not "ftp://x"']);
  });

  it('makes a scheduled rule a rule with a schedule: every target it has, each with its input fields', () => {
    const m = parse(
      template(`  Nightly:
    Type: AWS::Events::Rule
    Properties:
      Name: nightly
      ScheduleExpression: cron(0 3 * * ? *)
      State: DISABLED
      Targets:
        - {Id: Run, Arn: !GetAtt Fn.Arn, Input: '{"mode": "full"}'}
        - {Id: Queue, Arn: !GetAtt Jobs.Arn, InputTransformer: {InputPathsMap: {t: $.time}, InputTemplate: '"run at <t>"'}}`),
    );
    expect(m.rules).toEqual([
      {
        bus: 'default',
        name: 'nightly',
        schedule: 'cron(0 3 * * ? *)',
        enabled: false,
        targets: [
          { id: 'Run', function: 's-Fn', input: '{"mode": "full"}' },
          { id: 'Queue', queue: 'jobs.fifo', input_transformer: { paths: { t: '$.time' }, template: '"run at <t>"' } },
        ],
      },
    ]);
    expect(m.functions[0].events).toEqual([]);
    expect(m.warnings).toEqual([]);
    const e = errorOf(() => parse(template(`  Both:
    Type: AWS::Events::Rule
    Properties: {ScheduleExpression: rate(1 hour), EventPattern: {source: [x]}, Targets: [{Id: Run, Arn: !GetAtt Fn.Arn}]}`)));
    expect([e.logicalId, e.field, e.reason]).toEqual(['Both', 'ScheduleExpression', 'a rule has an EventPattern or a ScheduleExpression, not both']);
  });

  it('reads SAM EventBridgeRule and CloudWatchEvent events as rules targeting the function', () => {
    const m = parse(
      template(
        '',
        `      Events:
        OnOrder:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Orders
            Pattern: {source: [shop.orders]}
            InputPath: $.detail
        Named:
          Type: EventBridgeRule
          Properties:
            RuleName: named-rule
            Pattern: '{"source": ["shop"]}'
            State: DISABLED
            Target: {Id: MyTarget}
            RetryPolicy: {MaximumRetryAttempts: 1}
        Classic:
          Type: CloudWatchEvent
          Properties:
            Pattern: {source: [aws.ec2]}
            Enabled: false
            Input: '{"a": 1}'`,
      ),
    );
    expect(m.rules).toEqual([
      { bus: 'orders', name: 's-FnOnOrder', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'FnOnOrderLambdaTarget', function: 's-Fn', input_path: '$.detail' }] },
      { bus: 'default', name: 'named-rule', pattern: '{"source": ["shop"]}', enabled: false, targets: [{ id: 'MyTarget', function: 's-Fn', retry_policy: { maximum_retry_attempts: 1, maximum_event_age_seconds: 86400 } }] },
      { bus: 'default', name: 's-FnClassic', pattern: '{"source":["aws.ec2"]}', enabled: false, targets: [{ id: 'FnClassicLambdaTarget', function: 's-Fn', input: '{"a": 1}' }] },
    ]);
    expect(m.warnings.filter((w) => !w.startsWith('skipped'))).toEqual([]);
  });

  it('names the field of a bad pattern, bus, target or event', () => {
    const rule = (props: string) => template(onOrder(props));
    expect(failure(rule('EventPattern: {source: shop}\nTargets: [{Id: T, Arn: !GetAtt Fn.Arn}]'))).toEqual(['OnOrder', 'EventPattern', 'source: must be a list of values or a nested pattern, not "shop"']);
    expect(failure(rule("EventPattern: '{source'\nTargets: [{Id: T, Arn: !GetAtt Fn.Arn}]"))).toEqual(['OnOrder', 'EventPattern', expect.stringContaining('not JSON')]);
    expect(failure(rule('Targets: [{Id: T, Arn: !GetAtt Fn.Arn}]'))).toEqual(['OnOrder', 'EventPattern', 'missing: a rule needs an EventPattern or a ScheduleExpression']);
    expect(failure(rule('EventBusName: "bad bus!"\nEventPattern: {source: [a]}'))).toEqual(['OnOrder', 'EventBusName', expect.stringContaining('is not the name or ARN of an event bus')]);
    expect(failure(rule('EventPattern: {source: [a]}\nTargets: [{Id: T, Arn: !GetAtt Fn.Arn, Input: "not json"}]'))).toEqual(['OnOrder', 'Targets[0].Input', expect.stringContaining('must be JSON text')]);
    expect(failure(rule('EventPattern: {source: [a]}\nTargets: [{Id: T, Arn: !GetAtt Fn.Arn, InputPath: detail}]'))).toEqual(['OnOrder', 'Targets[0].InputPath', expect.stringContaining('starting with "$"')]);
    expect(failure(rule('EventPattern: {source: [a]}\nTargets: [{Id: T, Arn: !GetAtt Fn.Arn, Input: "{}", InputPath: $.detail}]'))).toEqual(['OnOrder', 'Targets[0].InputPath', expect.stringContaining('one of Input, InputPath and InputTransformer')]);
    expect(failure(rule('EventPattern: {source: [a]}\nTargets: [{Id: T, Arn: !GetAtt Fn.Arn, InputTransformer: {InputPathsMap: {id: detail.id}, InputTemplate: "<id>"}}]'))).toEqual(['OnOrder', 'Targets[0].InputTransformer.InputPathsMap.id', expect.stringContaining('starting with "$"')]);
    expect(failure(rule('EventPattern: {source: [a]}\nState: PAUSED'))).toEqual(['OnOrder', 'State', expect.stringContaining('must be ENABLED, DISABLED')]);
    expect(failure(rule('EventBusName: !Ref Orders\nScheduleExpression: rate(1 hour)'))).toEqual(['OnOrder', 'ScheduleExpression', 'schedules run on the default event bus only, not on "orders"']);
    expect(failure(template('  Bad: {Type: AWS::Events::EventBus, Properties: {Name: "no spaces"}}'))).toEqual(['Bad', 'Name', expect.stringContaining('is not a valid event bus name')]);
    expect(failure(template('', '      Events: {E: {Type: EventBridgeRule, Properties: {EventBusName: !Ref Orders}}}'))).toEqual(['Fn', 'Events.E.Properties.Pattern', 'missing: the events that invoke the function']);
  });

  it('keeps the later of two rules with one name on one bus, with a warning', () => {
    const m = parse(
      template(`  First: {Type: AWS::Events::Rule, Properties: {Name: same, EventPattern: {source: [a]}, Targets: [{Id: T, Arn: !GetAtt Fn.Arn}]}}
  Second: {Type: AWS::Events::Rule, Properties: {Name: same, EventPattern: {source: [b]}, Targets: [{Id: T, Arn: !GetAtt Fn.Arn}]}}`),
    );
    expect(m.rules.map((r) => r.pattern)).toEqual(['{"source":["b"]}']);
    expect(m.warnings).toContain('rule same of event bus default is defined twice; Second wins');
  });
});

describe('SNS topics and subscriptions', () => {
  const parse = (text: string) => parseSamTemplate(text, { file: 't.yml', stackName: 's' });
  const failure = (text: string) => {
    const e = errorOf(() => parse(text));
    return [e.logicalId, e.field, e.reason];
  };
  // A function, a queue, topics named by esb and by the template, and the resources under test.
  const template = (resources: string, fnProps = '') =>
    fnTemplate(
      '',
      `${fnProps}
  Queue: {Type: AWS::SQS::Queue}
  Plain: {Type: AWS::SNS::Topic, Properties: {DisplayName: Plain, KmsMasterKeyId: alias/aws/sns, Tags: [{Key: a, Value: b}]}}
  Orders: {Type: AWS::SNS::Topic, Properties: {TopicName: orders}}
${resources}`,
    );
  const ARN = 'arn:aws:sns:us-east-1:123456789012';

  it('names topics (TopicName, else <stack>-<LogicalId>; .fifo for a FIFO topic) and resolves !Ref to the ARN, TopicName and TopicArn; ignores what esb does not use', () => {
    const m = parse(
      template(
        `  Jobs: {Type: AWS::SNS::Topic, Properties: {FifoTopic: true, ContentBasedDeduplication: true}}
  Steps: {Type: AWS::SNS::Topic, Properties: {TopicName: steps.fifo, FifoTopic: 'true', DataProtectionPolicy: {Name: p}}}
  PlainPolicy: {Type: AWS::SNS::TopicPolicy, Properties: {Topics: [!Ref Plain], PolicyDocument: {Statement: []}}}`,
        `      Environment:
        Variables:
          PLAIN: !Ref Plain
          PLAIN_NAME: !GetAtt Plain.TopicName
          ORDERS_ARN: !GetAtt Orders.TopicArn
          ORDERS_SUB: !Sub "\${Orders}|\${Orders.TopicName}"
          JOBS: !Ref Jobs
          JOBS_NAME: !GetAtt Jobs.TopicName
          STEPS: !Ref Steps`,
      ),
    );
    expect(m.functions[0].environment).toEqual({
      PLAIN: `${ARN}:s-Plain`,
      PLAIN_NAME: 's-Plain',
      ORDERS_ARN: `${ARN}:orders`,
      ORDERS_SUB: `${ARN}:orders|orders`,
      JOBS: `${ARN}:s-Jobs.fifo`,
      JOBS_NAME: 's-Jobs.fifo',
      STEPS: `${ARN}:steps.fifo`,
    });
    expect(m.subscriptions).toEqual([]);
    // Topics and TopicPolicy are neither skipped nor warned about.
    expect(m.warnings).toEqual([]);
  });

  it('names the field of a bad topic name, or a FIFO setting that does not match the name', () => {
    expect(failure(template('  Bad: {Type: AWS::SNS::Topic, Properties: {TopicName: "has space"}}'))).toEqual(['Bad', 'TopicName', expect.stringContaining('is not a valid topic name')]);
    expect(failure(template('  Bad: {Type: AWS::SNS::Topic, Properties: {TopicName: jobs.fifo}}'))).toEqual(['Bad', 'FifoTopic', expect.stringContaining('must have a name ending in .fifo')]);
    expect(failure(template('  Bad: {Type: AWS::SNS::Topic, Properties: {TopicName: jobs, FifoTopic: true}}'))).toEqual(['Bad', 'TopicName', expect.stringContaining('must have a name ending in .fifo')]);
    expect(failure(template('  Bad: {Type: AWS::SNS::Topic, Properties: {FifoTopic: maybe}}'))).toEqual(['Bad', 'FifoTopic', 'must be true or false, not "maybe"']);
  });

  it('reads AWS::SNS::Subscription of functions and queues: filter policies as maps or JSON text, their scope, raw delivery; email and sms as inboxes; other protocols are warnings', () => {
    const m = parse(
      template(
        `  ToFn:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !GetAtt Fn.Arn, FilterPolicy: {kind: [book], price: [{numeric: [">", 10]}]}}
  ToQueue:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Plain
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
      RawMessageDelivery: 'true'
      FilterPolicyScope: MessageBody
      FilterPolicy: '{"order": {"kind": [{"prefix": "bo"}]}}'
  ToMail: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref Orders, Protocol: email, Endpoint: someone@example.com}}
  ToPhone: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref Orders, Protocol: SMS, Endpoint: '+15550100'}}
  ToHook: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref Orders, Protocol: http, Endpoint: 'http://example.com/hook'}}
  Elsewhere:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: ${ARN}:other
      Protocol: lambda
      Endpoint: arn:aws:lambda:us-east-1:123456789012:function:other-fn:live
      RawMessageDelivery: true
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Queue.Arn}`,
        `      Environment:
        Variables: {SUBSCRIPTION: !Ref ToQueue}`,
      ),
    );
    expect(m.subscriptions).toEqual([
      { topic: 'orders', id: 'ToFn', function: 's-Fn', filter_policy: '{"kind":["book"],"price":[{"numeric":[">",10]}]}', filter_scope: 'MessageAttributes', raw: false },
      { topic: 's-Plain', id: 'ToQueue', queue: 's-Queue', filter_policy: '{"order": {"kind": [{"prefix": "bo"}]}}', filter_scope: 'MessageBody', raw: true },
      { topic: 'orders', id: 'ToMail', inbox: 'email:someone@example.com', filter_scope: 'MessageAttributes', raw: false },
      { topic: 'orders', id: 'ToPhone', inbox: 'sms:+15550100', filter_scope: 'MessageAttributes', raw: false },
      { topic: 'other', id: 'Elsewhere', function: 'other-fn', filter_scope: 'MessageAttributes', raw: false },
    ]);
    expect(m.functions[0].environment).toEqual({ SUBSCRIPTION: `${ARN}:s-Plain:ToQueue` });
    expect(m.warnings).toEqual([
      'ToHook: protocol http subscriptions are not emulated; only Lambda functions, SQS queues, Firehose delivery streams and email or sms inboxes receive messages (docs/sns.md)',
      'Elsewhere.Endpoint: function "other-fn" is not defined in this template; it is invoked once a deployed template defines it',
      "Elsewhere.RawMessageDelivery: applies to SQS queues and delivery streams only; a function gets SNS's event (docs/sns.md)",
      'Elsewhere.RedrivePolicy: not emulated; a message that cannot be delivered is dropped, not sent to a dead-letter queue (docs/sns.md)',
    ]);
  });

  it('reads the inline Subscription list of a topic as <Topic>Subscription<n>', () => {
    const m = parse(
      template(`  Inline:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - {Protocol: lambda, Endpoint: !GetAtt Fn.Arn}
        - {Protocol: sqs, Endpoint: !GetAtt Queue.Arn}
        - {Protocol: https, Endpoint: "https://example.com/hook"}
        - {Protocol: sqs, Endpoint: "arn:aws:sqs:us-east-1:123456789012:not-here"}`),
    );
    expect(m.subscriptions).toEqual([
      { topic: 's-Inline', id: 'InlineSubscription1', function: 's-Fn', filter_scope: 'MessageAttributes', raw: false },
      { topic: 's-Inline', id: 'InlineSubscription2', queue: 's-Queue', filter_scope: 'MessageAttributes', raw: false },
      { topic: 's-Inline', id: 'InlineSubscription4', queue: 'not-here', filter_scope: 'MessageAttributes', raw: false },
    ]);
    expect(m.warnings).toEqual([
      'Inline.Subscription[2]: protocol https subscriptions are not emulated; only Lambda functions, SQS queues, Firehose delivery streams and email or sms inboxes receive messages (docs/sns.md)',
      'Inline.Subscription[3].Endpoint: queue "not-here" is not declared in this template; it receives messages once a deployed template declares it',
    ]);
  });

  it('reads SAM Type: SNS events: a subscription of the function, or with SqsSubscription a queue SAM makes (or QueueArn names) read by the function', () => {
    const m = parse(
      template(
        '',
        `      Events:
        Books:
          Type: SNS
          Properties: {Topic: !Ref Orders, Region: eu-west-1, FilterPolicy: {kind: [book]}}
        Buffered:
          Type: SNS
          Properties:
            Topic: !Ref Orders
            FilterPolicyScope: MessageBody
            FilterPolicy: {total: [{numeric: [">=", 100]}]}
            SqsSubscription: true
        Tuned:
          Type: SNS
          Properties: {Topic: !Ref Plain, SqsSubscription: {BatchSize: 5, Enabled: false}}
        Given:
          Type: SNS
          Properties: {Topic: !Ref Plain, SqsSubscription: {QueueArn: !GetAtt Queue.Arn, QueueUrl: !Ref Queue}}`,
      ),
    );
    expect(m.queues).toEqual([{ QueueName: 's-Queue' }, { QueueName: 's-FnBufferedQueue' }, { QueueName: 's-FnTunedQueue' }]);
    expect(m.subscriptions).toEqual([
      { topic: 'orders', id: 'FnBooks', function: 's-Fn', filter_policy: '{"kind":["book"]}', filter_scope: 'MessageAttributes', raw: false },
      { topic: 'orders', id: 'FnBuffered', queue: 's-FnBufferedQueue', filter_policy: '{"total":[{"numeric":[">=",100]}]}', filter_scope: 'MessageBody', raw: false },
      { topic: 's-Plain', id: 'FnTuned', queue: 's-FnTunedQueue', filter_scope: 'MessageAttributes', raw: false },
      { topic: 's-Plain', id: 'FnGiven', queue: 's-Queue', filter_scope: 'MessageAttributes', raw: false },
    ]);
    const mapping = (name: string, queue: string, batch_size: number, enabled: boolean) => ({ type: 'sqs', name, queue, batch_size, batching_window_seconds: 0, report_batch_item_failures: false, enabled });
    expect(m.functions[0].events).toEqual([mapping('FnBuffered', 's-FnBufferedQueue', 10, true), mapping('FnTuned', 's-FnTunedQueue', 5, false), mapping('FnGiven', 's-Queue', 10, true)]);
    // SNS is not among the event types esb does not run.
    expect(m.warnings).toEqual([]);
  });

  it('names the field of a bad filter policy, topic, protocol, endpoint or SqsSubscription', () => {
    const subscription = (props: string) => template(`  Sub: {Type: AWS::SNS::Subscription, Properties: {${props}}}`);
    const event = (props: string) => template('', `      Events: {E: {Type: SNS, Properties: {${props}}}}`);
    expect(failure(subscription('TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !GetAtt Fn.Arn, FilterPolicy: {kind: book}'))).toEqual(['Sub', 'FilterPolicy', 'kind: must be a list of values or a nested pattern, not "book"']);
    expect(failure(subscription(`TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !GetAtt Fn.Arn, FilterPolicy: '{kind'`))).toEqual(['Sub', 'FilterPolicy', expect.stringContaining('not JSON')]);
    expect(failure(subscription('TopicArn: !GetAtt Queue.Arn, Protocol: lambda, Endpoint: !GetAtt Fn.Arn'))).toEqual(['Sub', 'TopicArn', 'must be the ARN of an SNS topic (!Ref Topic), not "arn:aws:sqs:us-east-1:123456789012:s-Queue"']);
    expect(failure(subscription('TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !Ref Fn'))).toEqual(['Sub', 'Endpoint', 'must be the ARN of a Lambda function (!GetAtt Function.Arn) for protocol lambda, not "s-Fn"']);
    expect(failure(subscription('TopicArn: !Ref Orders, Protocol: sqs, Endpoint: !Ref Queue'))).toEqual(['Sub', 'Endpoint', expect.stringContaining('must be the ARN of an SQS queue (!GetAtt Queue.Arn)')]);
    expect(failure(subscription('TopicArn: !Ref Orders, Protocol: pigeon, Endpoint: x'))).toEqual(['Sub', 'Protocol', expect.stringContaining('must be one of lambda, sqs, firehose, email')]);
    expect(failure(subscription('TopicArn: !Ref Orders, Protocol: sqs, Endpoint: !GetAtt Queue.Arn, FilterPolicyScope: Body'))).toEqual(['Sub', 'FilterPolicyScope', 'must be MessageAttributes or MessageBody, not "Body"']);
    expect(failure(subscription('TopicArn: !Ref Orders, Protocol: sqs, Endpoint: !GetAtt Queue.Arn, RawMessageDelivery: yes'))).toEqual(['Sub', 'RawMessageDelivery', 'must be true or false, not "yes"']);
    expect(failure(template('  Bad: {Type: AWS::SNS::Topic, Properties: {Subscription: [{Protocol: lambda, Endpoint: nope}]}}'))).toEqual(['Bad', 'Subscription[0].Endpoint', expect.stringContaining('must be the ARN of a Lambda function')]);
    expect(failure(event('FilterPolicy: {kind: [book]}'))).toEqual(['Fn', 'Events.E.Properties.Topic', 'missing: the ARN of the topic (!Ref Topic)']);
    expect(failure(event('Topic: !GetAtt Orders.TopicName'))).toEqual(['Fn', 'Events.E.Properties.Topic', 'must be the ARN of an SNS topic (!Ref Topic), not "orders"']);
    expect(failure(event('Topic: !Ref Orders, FilterPolicy: {price: [{numeric: [">"]}]}'))).toEqual(['Fn', 'Events.E.Properties.FilterPolicy', expect.stringContaining('numeric')]);
    expect(failure(event('Topic: !Ref Orders, SqsSubscription: {BatchSize: 0}'))).toEqual(['Fn', 'Events.E.Properties.SqsSubscription.BatchSize', 'must be a whole number from 1 to 10000']);
    expect(failure(event('Topic: !Ref Orders, SqsSubscription: {QueueArn: !Ref Queue}'))).toEqual(['Fn', 'Events.E.Properties.SqsSubscription.QueueArn', expect.stringContaining('must be the ARN of an SQS queue')]);
    expect(failure(event('Topic: !Ref Orders, SqsSubscription: 1'))).toEqual(['Fn', 'Events.E.Properties.SqsSubscription', expect.stringContaining('must be true or a map')]);
  });

  it('counts functions reached by subscriptions: no NO ROUTES warning for them', () => {
    const m = parse(template(`  ToFn: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref Orders, Protocol: lambda, Endpoint: !GetAtt Fn.Arn}}\n  Stream: {Type: AWS::KinesisAnalyticsV2::Application}`));
    expect(m.warnings).toEqual(['skipped resources esb does not run: AWS::KinesisAnalyticsV2::Application (Stream)']);
  });

  it('keeps the later of two subscriptions with one id on one topic, with a warning', () => {
    const m = parse(
      template(
        '  FnBooks: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref Orders, Protocol: sqs, Endpoint: !GetAtt Queue.Arn}}',
        '      Events: {Books: {Type: SNS, Properties: {Topic: !Ref Orders}}}',
      ),
    );
    expect(m.subscriptions).toEqual([{ topic: 'orders', id: 'FnBooks', queue: 's-Queue', filter_scope: 'MessageAttributes', raw: false }]);
    expect(m.warnings).toEqual(['subscription FnBooks of topic orders is defined twice; FnBooks wins']);
  });
});

describe('AWS::Scheduler::Schedule', () => {
  const template = (schedule: string) => `
Resources:
  Job:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: x, Handler: index.handler, Runtime: nodejs20.x}
  Queue:
    Type: AWS::SQS::Queue
  Group:
    Type: AWS::Scheduler::ScheduleGroup
${schedule}`;
  const read = (schedule: string) => parseSamTemplate(template(schedule), { file: 't.yml', stackName: 'shop' });

  it('schedules and groups go to resources.yml for the storage\'s Scheduler: one-time, time zones, any target esb runs; !Ref and !GetAtt give names and ARNs', () => {
    const model = read(`
  Nightly:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: nightly-report
      GroupName: !Ref Group
      ScheduleExpression: cron(0 2 * * ? *)
      ScheduleExpressionTimezone: Europe/Paris
      FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 15}
      Target: {Arn: !GetAtt Job.Arn, RoleArn: arn:aws:iam::123456789012:role/x, Input: '{"report": "daily"}'}
  Once:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: at(2027-01-01T00:00:00)
      State: DISABLED
      ActionAfterCompletion: DELETE
      StartDate: '2026-12-01T00:00:00Z'
      FlexibleTimeWindow: {Mode: 'OFF'}
      Target: {Arn: !GetAtt Queue.Arn, RoleArn: r, Input: hello, SqsParameters: {MessageGroupId: g}}
  Job2:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: x
      Handler: index.handler
      Runtime: nodejs20.x
      Environment: {Variables: {SCHEDULE: !Ref Once, SCHEDULE_ARN: !GetAtt Nightly.Arn, GROUP_ARN: !GetAtt Group.Arn}}`);
    expect(model.scheduleGroups).toEqual([{ Name: 'shop-Group' }]);
    expect(model.schedules).toEqual([
      { Name: 'nightly-report', GroupName: 'shop-Group', ScheduleExpression: 'cron(0 2 * * ? *)', ScheduleExpressionTimezone: 'Europe/Paris', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 }, Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-Job', RoleArn: 'arn:aws:iam::123456789012:role/x', Input: '{"report": "daily"}' } },
      { Name: 'shop-Once', GroupName: 'default', ScheduleExpression: 'at(2027-01-01T00:00:00)', StartDate: '2026-12-01T00:00:00.000Z', State: 'DISABLED', FlexibleTimeWindow: { Mode: 'OFF' }, ActionAfterCompletion: 'DELETE', Target: { Arn: 'arn:aws:sqs:us-east-1:123456789012:shop-Queue', RoleArn: 'r', Input: 'hello', SqsParameters: { MessageGroupId: 'g' } } },
    ]);
    expect(model.functions.find((f) => f.key === 'shop-Job2')?.environment).toEqual({ SCHEDULE: 'shop-Once', SCHEDULE_ARN: 'arn:aws:scheduler:us-east-1:123456789012:schedule/shop-Group/nightly-report', GROUP_ARN: 'arn:aws:scheduler:us-east-1:123456789012:schedule-group/shop-Group' });
    expect(model.functions[0].events).toEqual([]);
    expect(model.warnings).toEqual([]);
  });

  it("a function's ScheduleV2 event is the Scheduler schedule SAM makes of it: named <stack>-<LogicalId><Event>, time zone and one-time kept; errors name the event's property", () => {
    const fn = (props: string) =>
      fnTemplate(
        '',
        `      Events:
        Morning:
          Type: ScheduleV2
          Properties: ${props}`,
      );
    const model = parseSamTemplate(fn("{ScheduleExpression: cron(0 8 ? * MON-FRI *), ScheduleExpressionTimezone: Asia/Tokyo, Input: {mode: am}, FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 5}}"), { file: 't.yml', stackName: 'shop' });
    expect(model.functions[0].events).toEqual([]);
    expect(model.schedules).toEqual([
      { Name: 'shop-FnMorning', GroupName: 'default', ScheduleExpression: 'cron(0 8 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Asia/Tokyo', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 }, Target: { Arn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-Fn', RoleArn: 'arn:aws:iam::123456789012:role/esb-scheduler', Input: '{"mode":"am"}' } },
    ]);
    expect(parseSamTemplate(fn("{ScheduleExpression: at(2027-01-01T09:00:00), Name: launch}"), { file: 't.yml', stackName: 'shop' }).schedules.map((s) => [s.Name, s.ScheduleExpression])).toEqual([['launch', 'at(2027-01-01T09:00:00)']]);
    const e = errorOf(() => parseSamTemplate(fn('{ScheduleExpression: rate(1 hour), ScheduleExpressionTimezone: Nowhere/Land}'), { file: 't.yml', stackName: 'shop' }));
    expect([e.logicalId, e.field]).toEqual(['Fn', 'Events.Morning.Properties.ScheduleExpressionTimezone']);
  });

  it('names the field of what the Scheduler would refuse; a target esb does not run is a warning and the schedule is left out', () => {
    const failure = (props: string) => errorOf(() => read(`
  Bad:
    Type: AWS::Scheduler::Schedule
    Properties: ${props}`)).message;
    expect(failure("{ScheduleExpression: every day, FlexibleTimeWindow: {Mode: 'OFF'}, Target: {Arn: !GetAtt Job.Arn, RoleArn: r}}")).toContain('Bad.ScheduleExpression');
    expect(failure("{ScheduleExpression: at(2026-02-30T00:00:00), Target: {Arn: !GetAtt Job.Arn, RoleArn: r}}")).toMatch(/Bad\.ScheduleExpression.*not a date and time/);
    expect(failure("{ScheduleExpression: rate(1 hour), ScheduleExpressionTimezone: Mars/Base, Target: {Arn: !GetAtt Job.Arn, RoleArn: r}}")).toContain('Bad.ScheduleExpressionTimezone');
    expect(failure("{ScheduleExpression: rate(1 hour), Target: {Arn: !GetAtt Job.Arn, RoleArn: r, Input: not json}}")).toMatch(/Bad\.Target\.Input.*well-formed JSON/);
    expect(failure("{ScheduleExpression: rate(1 hour), FlexibleTimeWindow: {Mode: FLEXIBLE}, Target: {Arn: !GetAtt Job.Arn, RoleArn: r}}")).toContain('Bad.FlexibleTimeWindow.MaximumWindowInMinutes');
    const model = read(`
  Ec2:
    Type: AWS::Scheduler::Schedule
    Properties: {ScheduleExpression: rate(1 hour), FlexibleTimeWindow: {Mode: 'OFF'}, Target: {Arn: 'arn:aws:scheduler:::aws-sdk:ec2:startInstances', RoleArn: r, Input: '{}'}}`);
    expect(model.schedules).toEqual([]);
    expect(model.warnings).toEqual([expect.stringMatching(/^Ec2: Target\.Arn "arn:aws:scheduler:::aws-sdk:ec2:startInstances" is not a target esb runs .* the schedule is left out/)]);
  });
});

describe('Kinesis data streams (docs/kinesis.md)', () => {
  const parse = (text: string) => parseSamTemplate(text, { file: 't.yml', stackName: 's' });
  const failure = (text: string) => {
    const e = errorOf(() => parse(text));
    return [e.logicalId, e.field, e.reason];
  };
  const streams = (resources: string, fnProps = '') => fnTemplate('', `${fnProps}\n${resources}`);

  it("reads a table's KinesisStreamSpecification (its changes go to the stream); a StreamArn that is not a stream's is an error naming the field", () => {
    const table = (spec: string) => `  Clicks: {Type: AWS::Kinesis::Stream, Properties: {Name: clicks, ShardCount: 1}}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      KinesisStreamSpecification: ${spec}`;
    const m = parse(streams(table('{StreamArn: !GetAtt Clicks.Arn, ApproximateCreationDateTimePrecision: MICROSECOND}')));
    expect(m.tables.map((t) => [t.TableName, t.KinesisStreamSpecification])).toEqual([['s-Orders', { StreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks', ApproximateCreationDateTimePrecision: 'MICROSECOND' }]]);
    expect(m.warnings).toEqual([]);
    expect(failure(streams(table('{StreamArn: arn:aws:sqs:us-east-1:123456789012:q}')))).toEqual(['Orders', 'KinesisStreamSpecification.StreamArn', 'must be the ARN of a Kinesis data stream (!GetAtt Stream.Arn)']);
    expect(failure(streams(table('{StreamArn: !GetAtt Clicks.Arn, ApproximateCreationDateTimePrecision: SECOND}')))).toEqual(['Orders', 'KinesisStreamSpecification.ApproximateCreationDateTimePrecision', 'must be MILLISECOND or MICROSECOND']);
  });

  it("reads a table's TimeToLiveSpecification (Enabled defaults to true); an attribute missing is an error naming the field", () => {
    const table = (spec: string) => `  Sessions:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      TimeToLiveSpecification: ${spec}`;
    expect(parse(streams(table('{AttributeName: expiresAt, Enabled: true}'))).tables[0].TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(parse(streams(table("{AttributeName: ttl, Enabled: 'false'}"))).tables[0].TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: false });
    expect(failure(streams(table('{Enabled: true}')))).toEqual(['Sessions', 'TimeToLiveSpecification.AttributeName', 'must name the attribute that holds the expiry time (epoch seconds)']);
  });

  it('reads AWS::Kinesis::Stream: Name (else <stack>-<LogicalId>), ShardCount, StreamModeDetails, RetentionPeriodHours; !Ref is the name, !GetAtt .Arn the ARN', () => {
    const m = parse(
      streams(
        `  Clicks: {Type: AWS::Kinesis::Stream, Properties: {Name: clicks, ShardCount: 2, RetentionPeriodHours: "48", StreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}, Tags: [{Key: a, Value: b}], DesiredShardLevelMetrics: [ALL]}}
  Orders: {Type: AWS::Kinesis::Stream, Properties: {StreamModeDetails: {StreamMode: ON_DEMAND}}}
  Plain: {Type: AWS::Kinesis::Stream}
  Sized: {Type: AWS::Kinesis::Stream, Properties: {StreamModeDetails: {StreamMode: PROVISIONED}, ShardCount: 64, MaxRecordSizeInKiB: 2048}}`,
        `      Environment:
        Variables: {NAME: !Ref Clicks, ARN: !GetAtt Clicks.Arn, DEFAULT: !Ref Plain, DEFAULT_ARN: !GetAtt Plain.Arn}`,
      ),
    );
    expect(m.streams).toEqual([
      { Name: 'clicks', ShardCount: 2, RetentionPeriodHours: 48 },
      { Name: 's-Orders', StreamModeDetails: { StreamMode: 'ON_DEMAND' } },
      { Name: 's-Plain' },
      { Name: 's-Sized', StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: 64 },
    ]);
    expect(m.functions[0].environment).toEqual({
      NAME: 'clicks',
      ARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
      DEFAULT: 's-Plain',
      DEFAULT_ARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s-Plain',
    });
    // Encryption, tags and metrics have no local meaning: no word; what esb does not know is a warning.
    expect(m.warnings).toEqual(['Sized.MaxRecordSizeInKiB: not applied by esb (docs/kinesis.md)']);

    const onDemand = parse(streams('  S: {Type: AWS::Kinesis::Stream, Properties: {StreamModeDetails: {StreamMode: ON_DEMAND}, ShardCount: 3}}'));
    expect(onDemand.streams).toEqual([{ Name: 's-S', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }]);
    expect(onDemand.warnings).toEqual(['S.ShardCount: an ON_DEMAND stream takes no ShardCount; it starts with 4 shards here (docs/kinesis.md)']);
  });

  it('names the stream and field of a bad stream', () => {
    const bad = (props: string) => failure(streams(`  S: {Type: AWS::Kinesis::Stream, Properties: ${props}}`));
    expect(bad('{ShardCount: 0}')).toEqual(['S', 'ShardCount', 'must be a whole number from 1 to 64']);
    expect(bad('{ShardCount: 65}')).toEqual(['S', 'ShardCount', 'must be a whole number from 1 to 64']);
    expect(bad('{ShardCount: 1.5}')).toEqual(['S', 'ShardCount', 'must be a whole number from 1 to 64']);
    expect(bad('{Name: "has space"}')).toEqual(['S', 'Name', '"has space" is not a valid stream name (1-128 of letters, digits, "_", "." and "-")']);
    expect(bad(`{Name: ${'x'.repeat(129)}}`)).toEqual(['S', 'Name', expect.stringContaining('is not a valid stream name')]);
    expect(bad('{RetentionPeriodHours: 23}')).toEqual(['S', 'RetentionPeriodHours', 'must be a whole number from 24 to 8760']);
    expect(bad('{RetentionPeriodHours: 8761}')).toEqual(['S', 'RetentionPeriodHours', 'must be a whole number from 24 to 8760']);
    expect(bad('{StreamModeDetails: {StreamMode: FAST}}')).toEqual(['S', 'StreamModeDetails.StreamMode', 'must be PROVISIONED or ON_DEMAND, not "FAST"']);
    expect(bad('{StreamModeDetails: {StreamMode: PROVISIONED}}')).toEqual(['S', 'ShardCount', 'missing: a PROVISIONED stream needs one']);
    expect(failure(streams('  A: {Type: AWS::Kinesis::Stream, Properties: {Name: one}}\n  B: {Type: AWS::Kinesis::Stream, Properties: {Name: one}}'))).toEqual(['B', 'Name', '"one" is the name of another stream of this template']);
    expect(failure(streams('  S: {Type: AWS::Kinesis::Stream}', '      Environment: {Variables: {X: !GetAtt S.StreamName}}'))).toEqual(['Fn', 'Environment.Variables.X', '!GetAtt S.StreamName: AWS::Kinesis::Stream has no attribute StreamName that esb knows']);
  });

  it('reads AWS::Kinesis::StreamConsumer: !Ref and .ConsumerARN give its ARN, .ConsumerName and .StreamARN; nothing is provisioned for it', () => {
    const m = parse(
      streams(
        `  Clicks: {Type: AWS::Kinesis::Stream, Properties: {Name: clicks, ShardCount: 1}}
  Fanout: {Type: AWS::Kinesis::StreamConsumer, Properties: {StreamARN: !GetAtt Clicks.Arn, ConsumerName: fanout}}`,
        '      Environment: {Variables: {REF: !Ref Fanout, ARN: !GetAtt Fanout.ConsumerARN, NAME: !GetAtt Fanout.ConsumerName, STREAM: !GetAtt Fanout.StreamARN}}',
      ),
    );
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks/consumer/fanout:1700000000';
    expect(m.functions[0].environment).toEqual({ REF: arn, ARN: arn, NAME: 'fanout', STREAM: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks' });
    expect(m.streams).toEqual([{ Name: 'clicks', ShardCount: 1 }]);
    expect(m.warnings).toEqual([]);

    const consumer = (props: string) => failure(streams(`  C: {Type: AWS::Kinesis::StreamConsumer, Properties: ${props}}`));
    expect(consumer('{StreamARN: "arn:aws:sqs:us-east-1:123456789012:q", ConsumerName: c}')).toEqual(['C', 'StreamARN', 'must be the ARN of a Kinesis stream (!GetAtt Stream.Arn), not "arn:aws:sqs:us-east-1:123456789012:q"']);
    expect(consumer('{StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/x"}')).toEqual(['C', 'ConsumerName', 'must be 1-128 of letters, digits, "_", "." and "-", not undefined']);
    const elsewhere = parse(streams('  C: {Type: AWS::Kinesis::StreamConsumer, Properties: {StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/shared", ConsumerName: c}}'));
    expect(elsewhere.warnings).toEqual(['C.StreamARN: stream "shared" is not declared in this template; its consumers read it once a deployed template declares it']);
  });

  it('reads Type: Kinesis events: every setting, with defaults', () => {
    const event = (props: string, extra = '') =>
      streams(
        `  Clicks: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 2}}
  Failed: {Type: AWS::SQS::Queue}
  Alarms: {Type: AWS::SNS::Topic, Properties: {TopicName: alarms}}
${extra}`,
        `      Events:
        Stream:
          Type: Kinesis
          Properties: {${props}}`,
      );
    const full = parse(
      event(
        `Stream: !GetAtt Clicks.Arn, StartingPosition: AT_TIMESTAMP, StartingPositionTimestamp: 1700000000.5, BatchSize: 500, MaximumBatchingWindowInSeconds: 5, Enabled: false,
            FilterCriteria: {Filters: [{Pattern: '{"data": {"kind": ["click"]}}'}]}, FunctionResponseTypes: [ReportBatchItemFailures], MaximumRetryAttempts: 3,
            MaximumRecordAgeInSeconds: 3600, BisectBatchOnFunctionError: true, ParallelizationFactor: "4", DestinationConfig: {OnFailure: {Type: SNS, Destination: !Ref Alarms}}`,
      ),
    );
    expect(full.functions[0].events).toEqual([
      {
        type: 'kinesis',
        name: 'FnStream',
        stream: 's-Clicks',
        starting_position: 'AT_TIMESTAMP',
        starting_position_timestamp: 1700000000.5,
        batch_size: 500,
        batching_window_seconds: 5,
        maximum_retry_attempts: 3,
        maximum_record_age_seconds: 3600,
        report_batch_item_failures: true,
        bisect_batch_on_function_error: true,
        parallelization_factor: 4,
        on_failure: { type: 'SNS', target: 'alarms' },
        filters: ['{"data": {"kind": ["click"]}}'],
        enabled: false,
      },
    ]);
    expect(full.warnings).toEqual([]);

    const plain = parse(event('Stream: !GetAtt Clicks.Arn, StartingPosition: TRIM_HORIZON, DestinationConfig: {OnFailure: {Destination: !GetAtt Failed.Arn}}'));
    expect(plain.functions[0].events).toEqual([
      {
        type: 'kinesis',
        name: 'FnStream',
        stream: 's-Clicks',
        starting_position: 'TRIM_HORIZON',
        batch_size: 100,
        batching_window_seconds: 0,
        maximum_retry_attempts: -1,
        maximum_record_age_seconds: -1,
        report_batch_item_failures: false,
        bisect_batch_on_function_error: false,
        parallelization_factor: 1,
        on_failure: { type: 'SQS', target: 's-Failed' },
        enabled: true,
      },
    ]);

    // Tumbling windows, metrics and the filter's KMS key are read, not applied.
    const unapplied = parse(event('Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST, TumblingWindowInSeconds: 60, MetricsConfig: {Metrics: [EventCount]}, KmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/k'));
    expect(unapplied.warnings).toEqual(['Fn.Events.Stream.Properties.TumblingWindowInSeconds, MetricsConfig, KmsKeyArn: not applied by esb (docs/kinesis.md)']);

    // A stream that is not the template's is read by its name, once a deployed template declares it; so is a queue of another template.
    const elsewhere = parse(event('Stream: "arn:aws:kinesis:us-east-1:123456789012:stream/shared", StartingPosition: LATEST, DestinationConfig: {OnFailure: {Destination: "arn:aws:sqs:us-east-1:123456789012:dlq"}}'));
    expect(elsewhere.functions[0].events).toMatchObject([{ stream: 'shared', on_failure: { type: 'SQS', target: 'dlq' } }]);
    expect(elsewhere.warnings).toEqual([
      'Fn.Events.Stream.Properties.Stream: stream "shared" is not declared in this template; it is read once a deployed template declares it',
      `Fn.Events.Stream.Properties.DestinationConfig.OnFailure.Destination: queue "dlq" is not declared in this template; it receives the failed batches' details once a deployed template declares it`,
    ]);
  });

  it('names the function, event and field of a bad Kinesis event', () => {
    const bad = (props: string) =>
      failure(
        streams(
          `  Clicks: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Bucket: {Type: AWS::S3::Bucket}`,
          `      Events:
        Stream:
          Type: Kinesis
          Properties: {${props}}`,
        ),
      );
    const at = (f: string) => `Events.Stream.Properties.${f}`;
    const ok = 'Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST';
    expect(bad('Stream: !GetAtt Clicks.Arn')).toEqual(['Fn', at('StartingPosition'), 'must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (a Kinesis stream mapping needs one)']);
    expect(bad('Stream: !GetAtt Clicks.Arn, StartingPosition: EARLIEST')).toEqual(['Fn', at('StartingPosition'), expect.stringContaining('must be TRIM_HORIZON, LATEST or AT_TIMESTAMP')]);
    expect(bad('Stream: !Ref Clicks, StartingPosition: LATEST')).toEqual(['Fn', at('Stream'), 'must be the ARN of a Kinesis stream or stream consumer (!GetAtt Stream.Arn, !Ref Consumer), not "s-Clicks"']);
    expect(bad('StartingPosition: LATEST')).toEqual(['Fn', at('Stream'), expect.stringContaining('must be the ARN of a Kinesis stream')]);
    expect(bad(`${ok}, BatchSize: 0`)).toEqual(['Fn', at('BatchSize'), 'must be a whole number from 1 to 10000']);
    expect(bad(`${ok}, BatchSize: 10001`)).toEqual(['Fn', at('BatchSize'), 'must be a whole number from 1 to 10000']);
    expect(bad(`${ok}, MaximumBatchingWindowInSeconds: 301`)).toEqual(['Fn', at('MaximumBatchingWindowInSeconds'), 'must be a whole number from 0 to 300']);
    expect(bad(`${ok}, MaximumRetryAttempts: -2`)).toEqual(['Fn', at('MaximumRetryAttempts'), 'must be a whole number from -1 to 10000']);
    expect(bad(`${ok}, MaximumRecordAgeInSeconds: 59`)).toEqual(['Fn', at('MaximumRecordAgeInSeconds'), 'must be -1 or from 60 to 604800']);
    expect(bad(`${ok}, MaximumRecordAgeInSeconds: 604801`)).toEqual(['Fn', at('MaximumRecordAgeInSeconds'), 'must be a whole number from -1 to 604800']);
    expect(bad(`${ok}, ParallelizationFactor: 11`)).toEqual(['Fn', at('ParallelizationFactor'), 'must be a whole number from 1 to 10']);
    expect(bad(`${ok}, BisectBatchOnFunctionError: maybe`)).toEqual(['Fn', at('BisectBatchOnFunctionError'), 'must be true or false, not "maybe"']);
    expect(bad(`${ok}, FunctionResponseTypes: [Everything]`)).toEqual(['Fn', at('FunctionResponseTypes'), 'must be [ReportBatchItemFailures] or empty']);
    expect(bad(`${ok}, FilterCriteria: {Filters: [{Pattern: '{"data": "x"}'}]}`)).toEqual(['Fn', at('FilterCriteria.Filters[0].Pattern'), expect.stringContaining('must be a list of values')]);
    expect(bad(`${ok}, StartingPositionTimestamp: 1700000000`)).toEqual(['Fn', at('StartingPositionTimestamp'), 'applies only with StartingPosition AT_TIMESTAMP']);
    expect(bad('Stream: !GetAtt Clicks.Arn, StartingPosition: AT_TIMESTAMP')).toEqual(['Fn', at('StartingPositionTimestamp'), 'missing: StartingPosition AT_TIMESTAMP reads from this time (seconds since 1970)']);
    expect(bad('Stream: !GetAtt Clicks.Arn, StartingPosition: AT_TIMESTAMP, StartingPositionTimestamp: soon')).toEqual(['Fn', at('StartingPositionTimestamp'), 'must be a time in seconds since 1970, not "soon"']);
    expect(bad(`${ok}, DestinationConfig: {OnFailure: {Destination: !GetAtt Bucket.Arn}}`)).toEqual(['Fn', at('DestinationConfig.OnFailure.Destination'), '"arn:aws:s3:::s-bucket" is not the ARN of a queue or topic']);
    expect(bad(`${ok}, DestinationConfig: {OnFailure: {Destination: !GetAtt Fn.Arn}}`)).toEqual(['Fn', at('DestinationConfig.OnFailure.Destination'), '"arn:aws:lambda:us-east-1:123456789012:function:s-Fn" is not the ARN of a queue or topic']);
    expect(bad(`${ok}, DestinationConfig: {OnFailure: {Type: Lambda, Destination: !GetAtt Fn.Arn}}`)).toEqual(['Fn', at('DestinationConfig.OnFailure.Type'), 'must be SQS or SNS, not "Lambda"']);
    expect(bad(`${ok}, DestinationConfig: {OnFailure: {Type: SQS, Destination: "arn:aws:sns:us-east-1:123456789012:t"}}`)).toEqual(['Fn', at('DestinationConfig.OnFailure.Destination'), '"arn:aws:sns:us-east-1:123456789012:t" is not the ARN of an SQS queue']);
    expect(bad(`${ok}, DestinationConfig: {OnFailure: {}}`)).toEqual(['Fn', at('DestinationConfig.OnFailure.Destination'), 'must be the ARN of a queue or topic (!GetAtt X.Arn, !Ref Topic)']);
    expect(bad(`${ok}, DestinationConfig: {OnSuccess: {Destination: "arn:aws:sqs:us-east-1:123456789012:q"}}`)).toEqual(['Fn', at('DestinationConfig.OnSuccess'), 'a stream mapping takes OnFailure only']);
    expect(bad(`${ok}, DestinationConfig: arn:aws:sqs:us-east-1:123456789012:q`)).toEqual(['Fn', at('DestinationConfig'), 'must be a map with OnFailure']);
  });

  it('reads a public SAM app: a stream, and a function reading it with Events Type: Kinesis (LATEST, BatchSize, bisecting, failures to a queue)', () => {
    const m = parse(`AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: Kinesis stream consumer
Resources:
  DataStream:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 1
      RetentionPeriodHours: 24
      StreamEncryption:
        EncryptionType: KMS
        KeyId: alias/aws/kinesis
  FailedRecordsQueue:
    Type: AWS::SQS::Queue
  ProcessorFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Policies:
        - KinesisStreamReadPolicy:
            StreamName: !Ref DataStream
        - SQSSendMessagePolicy:
            QueueName: !GetAtt FailedRecordsQueue.QueueName
      Environment:
        Variables:
          STREAM_NAME: !Ref DataStream
      Events:
        Stream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt DataStream.Arn
            StartingPosition: LATEST
            BatchSize: 10
            MaximumRetryAttempts: 2
            BisectBatchOnFunctionError: true
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt FailedRecordsQueue.Arn
Outputs:
  StreamArn:
    Value: !GetAtt DataStream.Arn
`);
    expect(m.streams).toEqual([{ Name: 's-DataStream', ShardCount: 1, RetentionPeriodHours: 24 }]);
    expect(m.queues).toEqual([{ QueueName: 's-FailedRecordsQueue' }]);
    expect(m.functions[0].environment).toEqual({ STREAM_NAME: 's-DataStream' });
    expect(m.functions[0].events).toEqual([
      {
        type: 'kinesis',
        name: 'ProcessorFunctionStream',
        stream: 's-DataStream',
        starting_position: 'LATEST',
        batch_size: 10,
        batching_window_seconds: 0,
        maximum_retry_attempts: 2,
        maximum_record_age_seconds: -1,
        report_batch_item_failures: false,
        bisect_batch_on_function_error: true,
        parallelization_factor: 1,
        on_failure: { type: 'SQS', target: 's-FailedRecordsQueue' },
        enabled: true,
      },
    ]);
    expect(m.warnings).toEqual([]);
  });

  it('reads a public CloudFormation app: AWS::Lambda::EventSourceMapping of a stream consumer (enhanced fan-out) reads the consumer\'s stream', () => {
    const m = parse(`AWSTemplateFormatVersion: '2010-09-09'
Resources:
  InputStream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: input-stream
      StreamModeDetails:
        StreamMode: ON_DEMAND
  StreamConsumer:
    Type: AWS::Kinesis::StreamConsumer
    Properties:
      StreamARN: !GetAtt InputStream.Arn
      ConsumerName: !Sub '\${AWS::StackName}-consumer'
  ConsumerFunction:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      Role: !GetAtt ConsumerRole.Arn
      Code:
        ZipFile: |
          exports.handler = async (event) => event.Records.length;
  ConsumerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt StreamConsumer.ConsumerARN
      FunctionName: !Ref ConsumerFunction
      StartingPosition: TRIM_HORIZON
      BatchSize: 100
      MaximumBatchingWindowInSeconds: 1
      ParallelizationFactor: 2
      FunctionResponseTypes: [ReportBatchItemFailures]
  DirectMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !Ref StreamConsumer
      FunctionName: !GetAtt ConsumerFunction.Arn
      StartingPosition: LATEST
Outputs:
  ConsumerArn:
    Value: !GetAtt StreamConsumer.ConsumerARN
`);
    expect(m.streams).toEqual([{ Name: 'input-stream', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }]);
    expect(m.functions[0].events).toEqual([
      {
        type: 'kinesis',
        name: 'Mapping',
        stream: 'input-stream',
        starting_position: 'TRIM_HORIZON',
        batch_size: 100,
        batching_window_seconds: 1,
        maximum_retry_attempts: -1,
        maximum_record_age_seconds: -1,
        report_batch_item_failures: true,
        bisect_batch_on_function_error: false,
        parallelization_factor: 2,
        enabled: true,
      },
      expect.objectContaining({ type: 'kinesis', name: 'DirectMapping', stream: 'input-stream', starting_position: 'LATEST' }),
    ]);
    expect(m.warnings).toEqual([]);

    const e = errorOf(() => parse(`Resources:
  Fn: {Type: AWS::Lambda::Function, Properties: {Handler: index.handler, Runtime: nodejs20.x, Code: {ZipFile: x}}}
  Mapping: {Type: AWS::Lambda::EventSourceMapping, Properties: {FunctionName: !Ref Fn, EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s", StartingPosition: LATEST, BatchSize: 0}}
`));
    expect([e.logicalId, e.field, e.reason]).toEqual(['Mapping', 'BatchSize', 'must be a whole number from 1 to 10000']);
  });
});
