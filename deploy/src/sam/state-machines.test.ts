import { describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { renderArtifact } from '../generate/render.js';
import type { SamModel } from './model.js';
import { parseSamTemplate, type SamOptions } from './template.js';
import { templateErrorOf } from './testkit.js';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine';
const FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function';

const read = (text: string, options: SamOptions = {}): SamModel => parseSamTemplate(text, { file: 't.yml', stackName: 'shop', ...options });
const failure = (text: string, options: SamOptions = {}) => {
  const e = templateErrorOf(() => read(text, options));
  return [e.logicalId, e.field, e.reason];
};
/** A readLocalFile over these files (what the fs adapter gives, relative to the template's folder). */
const files = (byPath: Record<string, string>) => (rel: string) => {
  if (!Object.hasOwn(byPath, rel)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return byPath[rel];
};

// A function and a table the machines' tasks use, then the resources under test.
const template = (resources: string, head = '') => `
Transform: AWS::Serverless-2016-10-31
${head}
Resources:
  Work:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: x, Handler: index.handler, Runtime: nodejs20.x}
  Orders:
    Type: AWS::Serverless::SimpleTable
${resources}`;

const passFlow = `{StartAt: Done, States: {Done: {Type: Pass, End: true}}}`;

describe('state machines (docs/step-functions.md)', () => {
  it('reads an inline Definition, Name and Type; !Ref is the ARN, !GetAtt gives Arn and Name; permissions, logs and traces are left alone quietly', () => {
    const m = read(
      template(`  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: order-flow
      Type: EXPRESS
      Definition:
        StartAt: Work
        States:
          Work: {Type: Task, Resource: !GetAtt Work.Arn, Next: Save}
          Save:
            Type: Task
            Resource: arn:aws:states:::dynamodb:putItem
            Parameters: {TableName: !Ref Orders, Item: {id: {S.$: $.id}}}
            End: true
      Role: !GetAtt FlowRole.Arn
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Orders}}]
      Logging: {Level: ALL, Destinations: [{CloudWatchLogsLogGroup: {LogGroupArn: !GetAtt Logs.Arn}}]}
      Tracing: {Enabled: true}
      Tags: {team: shop}
      PermissionsBoundary: arn:aws:iam::123456789012:policy/boundary
      AutoPublishAlias: live
      DeploymentPreference: {Type: ALL_AT_ONCE}
  Logs:
    Type: AWS::Logs::LogGroup
  Plain:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/x
      Definition: ${passFlow}
  Starter:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: x
      Handler: index.handler
      Runtime: nodejs20.x
      Environment:
        Variables: {FLOW: !Ref Flow, FLOW_ARN: !GetAtt Flow.Arn, FLOW_NAME: !GetAtt Flow.Name, PLAIN: !Sub "\${Plain}", PLAIN_NAME: !GetAtt Plain.Name, ROLE: !GetAtt FlowRole.Arn}`),
    );
    expect(m.stateMachines).toEqual([
      {
        name: 'order-flow',
        type: 'EXPRESS',
        definition: {
          StartAt: 'Work',
          States: {
            Work: { Type: 'Task', Resource: `${FN_ARN}:shop-Work`, Next: 'Save' },
            Save: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 'shop-Orders', Item: { id: { 'S.$': '$.id' } } }, End: true },
          },
        },
        schedules: [],
      },
      { name: 'shop-Plain', type: 'STANDARD', definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }, schedules: [] },
    ]);
    expect(m.functions.find((f) => f.logicalId === 'Starter')?.environment).toEqual({
      FLOW: `${ARN}:order-flow`,
      FLOW_ARN: `${ARN}:order-flow`,
      FLOW_NAME: 'order-flow',
      PLAIN: `${ARN}:shop-Plain`,
      PLAIN_NAME: 'shop-Plain',
      ROLE: 'arn:aws:iam::123456789012:role/FlowRole',
    });
    // The function's ARN in the definition names the function esb deploys.
    expect(m.functions[0].key).toBe('shop-Work');
    expect(m.warnings).toEqual([]);
  });

  it('reads DefinitionUri, a local JSON or YAML file, as written, and does DefinitionSubstitutions in its strings: values resolved, unknown ones left', () => {
    const json = JSON.stringify({
      Comment: 'calls ${WorkArn} with ${Unknown}',
      StartAt: 'Work',
      States: {
        Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${WorkArn}', 'Payload.$': '$' }, Next: 'Save' },
        Save: { Type: 'Task', Resource: '${PutItem}', Parameters: { TableName: '${Table}', Item: { n: { N: '${Limit}' } } }, Next: 'Ref' },
        Ref: { Type: 'Pass', Parameters: { Ref: 'left as written' }, End: true },
      },
    });
    const yaml = `StartAt: Wait\nStates:\n  Wait:\n    Type: Wait\n    Seconds: 5\n    Next: Notify\n  Notify:\n    Type: Task\n    Resource: \${WorkArn}\n    End: true\n`;
    const m = read(
      template(
        `  FromJson:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/flow.asl.json
      DefinitionSubstitutions:
        WorkArn: !GetAtt Work.Arn
        PutItem: !Sub arn:\${AWS::Partition}:states:::dynamodb:putItem
        Table: !Ref Orders
        Limit: !Ref Limit
  FromYaml:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: ./statemachine/../statemachine/flow.asl.yaml
      DefinitionSubstitutions: {WorkArn: !Sub "arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:\${Work}"}`,
        'Parameters: {Limit: {Type: Number, Default: 10}}',
      ),
      { readLocalFile: files({ 'statemachine/flow.asl.json': json, 'statemachine/flow.asl.yaml': yaml }) },
    );
    expect(m.stateMachines.map((s) => [s.name, s.definition])).toEqual([
      [
        'shop-FromJson',
        {
          Comment: `calls ${FN_ARN}:shop-Work with \${Unknown}`,
          StartAt: 'Work',
          States: {
            Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: `${FN_ARN}:shop-Work`, 'Payload.$': '$' }, Next: 'Save' },
            Save: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 'shop-Orders', Item: { n: { N: '10' } } }, Next: 'Ref' },
            Ref: { Type: 'Pass', Parameters: { Ref: 'left as written' }, End: true },
          },
        },
      ],
      ['shop-FromYaml', { StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 5, Next: 'Notify' }, Notify: { Type: 'Task', Resource: `${FN_ARN}:shop-Work`, End: true } } }],
    ]);
    // Read files are inputs of the template (its digest follows them).
    expect(m.localFiles).toEqual(['statemachine/flow.asl.json', 'statemachine/flow.asl.yaml']);
    expect(m.warnings).toEqual([]);
  });

  it('reads AWS::StepFunctions::StateMachine: DefinitionString built by !Sub or !Join, StateMachineName, StateMachineType, DefinitionSubstitutions', () => {
    // A state named like a field ("Next") is a state like any other.
    const m = read(
      template(`  Subbed:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: !Sub \${AWS::StackName}-subbed
      StateMachineType: EXPRESS
      DefinitionString: !Sub |
        {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "\${Work.Arn}", "Next": "Next"},
          "Next": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "Parameters": {"StateMachineArn": "\${Joined}", "Input": {"t": "\${!Literal}"}}, "End": true}}}
  Joined:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Join ['', ['{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "\${Target}", "End": true}}}']]
      DefinitionSubstitutions: {Target: !GetAtt Work.Arn}
      EncryptionConfiguration: {Type: AWS_OWNED_KEY}
      LoggingConfiguration: {Level: 'OFF'}`),
    );
    expect(m.stateMachines).toEqual([
      {
        name: 'shop-subbed',
        type: 'EXPRESS',
        definition: {
          StartAt: 'Work',
          States: {
            Work: { Type: 'Task', Resource: `${FN_ARN}:shop-Work`, Next: 'Next' },
            Next: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution', Parameters: { StateMachineArn: `${ARN}:shop-Joined`, Input: { t: '${Literal}' } }, End: true },
          },
        },
        schedules: [],
      },
      { name: 'shop-Joined', type: 'STANDARD', definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: `${FN_ARN}:shop-Work`, End: true } } }, schedules: [] },
    ]);
    expect(m.warnings).toEqual([]);
  });

  it('makes Schedule events schedules of the machine, ScheduleV2 events EventBridge Scheduler schedules, and EventBridgeRule / CloudWatchEvent events rules that start it; other event types are warnings', () => {
    const m = read(
      template(`  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: ${passFlow}
      Events:
        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour), Input: '{"mode": "hourly"}'}
        Nightly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: cron(0 3 * * ? *), Name: nightly-run, Input: {mode: nightly}, State: DISABLED}
        Off:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes), Enabled: false}
        OnOrder:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern: {source: [shop.orders]}
            InputPath: $.detail
        Named:
          Type: EventBridgeRule
          Properties:
            RuleName: named-rule
            Pattern: '{"source": ["shop"]}'
            Target: {Id: MyTarget}
            InputTransformer: {InputPathsMap: {id: $.detail.id}, InputTemplate: '{"order": <id>}'}
            RetryPolicy: {MaximumRetryAttempts: 1}
        Classic:
          Type: CloudWatchEvent
          Properties: {Pattern: {source: [aws.ec2]}, Input: '{"a": 1}', State: DISABLED}
        Queue:
          Type: SQS
          Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}`),
    );
    expect(m.stateMachines[0].schedules).toEqual([
      { name: 'Hourly', schedule: 'rate(1 hour)', input: '{"mode": "hourly"}', enabled: true },
      { name: 'Off', schedule: 'rate(5 minutes)', enabled: false },
    ]);
    // A ScheduleV2 event is the EventBridge Scheduler schedule SAM makes of it (docs/eventbridge.md).
    expect(m.schedules).toEqual([
      { Name: 'nightly-run', GroupName: 'default', ScheduleExpression: 'cron(0 3 * * ? *)', State: 'DISABLED', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:shop-Flow', RoleArn: 'arn:aws:iam::123456789012:role/esb-scheduler', Input: '{"mode":"nightly"}' } },
    ]);
    expect(m.rules).toEqual([
      { bus: 'orders', name: 'shop-FlowOnOrder', pattern: '{"source":["shop.orders"]}', enabled: true, targets: [{ id: 'FlowOnOrderStepFunctionsTarget', state_machine: 'shop-Flow', input_path: '$.detail' }] },
      { bus: 'default', name: 'named-rule', pattern: '{"source": ["shop"]}', enabled: true, targets: [{ id: 'MyTarget', state_machine: 'shop-Flow', input_transformer: { paths: { id: '$.detail.id' }, template: '{"order": <id>}' }, retry_policy: { maximum_retry_attempts: 1, maximum_event_age_seconds: 86400 } }] },
      { bus: 'default', name: 'shop-FlowClassic', pattern: '{"source":["aws.ec2"]}', enabled: false, targets: [{ id: 'FlowClassicStepFunctionsTarget', state_machine: 'shop-Flow', input: '{"a": 1}' }] },
    ]);
    expect(m.warnings).toEqual([
      'event type SQS is not run by esb; skipped: Flow.Queue',
    ]);
  });

  it('routes an Api event to a built-in function that starts an execution with the request body, on the implicit REST API or RestApiId, with its Auth', () => {
    const m = read(
      template(`  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        ApiKeyRequired: false
        Authorizers:
          Check: {FunctionArn: !GetAtt Work.Arn, Identity: {Header: Authorization}}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: checkout
      Definition: ${passFlow}
      Events:
        Start:
          Type: Api
          Properties: {Path: /checkout, Method: post}
        Admin:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: '/admin/{id}', Method: ANY, Auth: {Authorizer: Check}, UnescapeMappingTemplate: true}`),
    );
    const builtins = m.functions.filter((f) => f.code?.kind === 'builtin');
    expect(builtins.map((f) => [f.key, f.resourceType, f.handler, f.timeout, JSON.parse(f.environment.ESB_SERVICE_INTEGRATION)])).toEqual([
      ['shop-FlowStartIntegration', 'AWS::Serverless::StateMachine', 'service-integration.handler', 10, { subtype: 'StepFunctions-StartExecution', parameters: { StateMachineArn: `${ARN}:checkout`, Input: '$request.body' } }],
      ['shop-FlowAdminIntegration', 'AWS::Serverless::StateMachine', 'service-integration.handler', 10, { subtype: 'StepFunctions-StartExecution', parameters: { StateMachineArn: `${ARN}:checkout`, Input: '$request.body' } }],
    ]);
    expect(m.routes).toEqual([
      { path: '/checkout', method: 'POST', function: 'shop-FlowStartIntegration', api: 'ServerlessRestApi' },
      { path: '/admin/{id}', method: 'ANY', function: 'shop-FlowAdminIntegration', api: 'Api', auth: { authorizer: 'Check' } },
    ]);
    expect(m.apis.ServerlessRestApi).toMatchObject({ type: 'rest', stage: 'Prod' });
    expect(m.warnings).toEqual(["Flow.Events.Admin.Properties.UnescapeMappingTemplate: not applied; the execution's input is the request's body (docs/step-functions.md)"]);
  });

  it('starts machines from AWS::Events::Rule targets (!Ref or !GetAtt Arn) and schedules them from a scheduled rule; an AWS::Scheduler::Schedule targeting one is provisioned', () => {
    const m = read(
      template(`  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties: {StateMachineName: flow, Definition: ${passFlow}}
  OnOrder:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop.orders]}
      Targets:
        - {Id: ByRef, Arn: !Ref Flow, RoleArn: arn:aws:iam::123456789012:role/events, InputPath: $.detail}
        - {Id: ByArn, Arn: !GetAtt Flow.Arn, Input: '{"fixed": true}', RetryPolicy: {MaximumRetryAttempts: 2}}
        - {Id: Elsewhere, Arn: "${ARN}:other-flow"}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      Name: nightly
      ScheduleExpression: cron(0 2 * * ? *)
      Targets:
        - {Id: Run, Arn: !Ref Flow, Input: '{"report": "daily"}'}
        - {Id: Transformed, Arn: !Ref Flow, InputPath: $.detail}
        - {Id: Other, Arn: "${ARN}:other-flow"}
  Often:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: rate(10 minutes)
      FlexibleTimeWindow: {Mode: 'OFF'}
      Target: {Arn: !Ref Flow, RoleArn: arn:aws:iam::123456789012:role/scheduler, Input: '{"often": 1}'}`),
    );
    expect(m.rules).toEqual([
      {
        bus: 'default',
        name: 'shop-OnOrder',
        pattern: '{"source":["shop.orders"]}',
        enabled: true,
        targets: [
          { id: 'ByRef', state_machine: 'flow', input_path: '$.detail' },
          { id: 'ByArn', state_machine: 'flow', input: '{"fixed": true}', retry_policy: { maximum_retry_attempts: 2, maximum_event_age_seconds: 86400 } },
          { id: 'Elsewhere', state_machine: 'other-flow' },
        ],
      },
      {
        bus: 'default',
        name: 'nightly',
        schedule: 'cron(0 2 * * ? *)',
        enabled: true,
        targets: [
          { id: 'Run', state_machine: 'flow', input: '{"report": "daily"}' },
          { id: 'Transformed', state_machine: 'flow', input_path: '$.detail' },
          { id: 'Other', state_machine: 'other-flow' },
        ],
      },
    ]);
    expect(m.stateMachines[0].schedules).toEqual([]);
    // An AWS::Scheduler::Schedule is the Scheduler's, provisioned into the storage (docs/eventbridge.md).
    expect(m.schedules).toEqual([
      { Name: 'shop-Often', GroupName: 'default', ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', RoleArn: 'arn:aws:iam::123456789012:role/scheduler', Input: '{"often": 1}' } },
    ]);
    expect(m.warnings).toEqual([
      'OnOrder.Targets[2].Arn: state machine "other-flow" is not defined in this template; it is started once a deployed template defines it',
      'Nightly.Targets[2].Arn: state machine "other-flow" is not defined in this template; it is started once a deployed template defines it',
    ]);
  });

  it('says so for properties it does not apply, and a machine reaching functions is no NO ROUTES case', () => {
    const m = read(
      template(`  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties: {Definition: ${passFlow}, StateMachineTags: [], Events: {}}
  Stream:
    Type: AWS::KinesisAnalyticsV2::Application`),
    );
    expect(m.warnings).toEqual(['Flow.StateMachineTags, Events: not applied by esb (docs/step-functions.md)', 'skipped resources esb does not run: AWS::KinesisAnalyticsV2::Application (Stream)']);
  });

  it('names the resource and field of what it cannot read', () => {
    const machine = (props: string, type = 'AWS::Serverless::StateMachine') => template(`  Flow:\n    Type: ${type}\n    Properties:\n${props.replace(/^/gm, '      ')}`);
    const cfn = (props: string) => machine(props, 'AWS::StepFunctions::StateMachine');
    expect(failure(machine('Name: flow'))).toEqual(['Flow', 'Definition', 'missing: a state machine needs one of Definition, DefinitionUri']);
    expect(failure(cfn('RoleArn: r'))).toEqual(['Flow', 'Definition', 'missing: a state machine needs one of Definition, DefinitionString, DefinitionS3Location']);
    expect(failure(machine(`Definition: ${passFlow}\nDefinitionUri: flow.json`))).toEqual(['Flow', 'DefinitionUri', 'a state machine takes one of Definition, DefinitionUri, not Definition and DefinitionUri']);
    expect(failure(machine('DefinitionUri: {Bucket: b, Key: flow.json}'))).toEqual(['Flow', 'DefinitionUri', expect.stringContaining('S3 locations are not supported')]);
    expect(failure(machine('DefinitionUri: s3://b/flow.json'))).toEqual(['Flow', 'DefinitionUri', expect.stringContaining('S3 locations are not supported')]);
    expect(failure(cfn('DefinitionS3Location: {Bucket: b, Key: flow.json}'))).toEqual(['Flow', 'DefinitionS3Location', expect.stringContaining('S3 locations are not supported')]);
    expect(failure(machine('DefinitionUri: missing.json'), { readLocalFile: files({}) })).toEqual(['Flow', 'DefinitionUri', 'cannot read "missing.json": ENOENT']);
    expect(failure(machine('DefinitionUri: ../outside.json'))).toEqual(['Flow', 'DefinitionUri', `"../outside.json" escapes the template's folder`]);
    expect(failure(machine('DefinitionUri: flow.json'))).toEqual(['Flow', 'DefinitionUri', 'cannot read "flow.json" (no file access here)']);
    expect(failure(machine('DefinitionUri: flow.json'), { readLocalFile: files({ 'flow.json': '["a list"]' }) })).toEqual(['Flow', 'DefinitionUri', 'must be a state machine definition: a JSON object with StartAt and States']);
    expect(failure(cfn('DefinitionString: \'{"StartAt": "A", "States": \''))).toEqual(['Flow', 'DefinitionString', expect.stringMatching(/^is not JSON: /)]);
    expect(failure(cfn(`DefinitionString: ${passFlow}`))).toEqual(['Flow', 'DefinitionString', 'must be JSON text (a map goes in Definition)']);
    expect(failure(machine('Definition: {States: {A: {Type: Pass, End: true}}}'))).toEqual(['Flow', 'Definition', 'has no StartAt: the name of the state an execution starts in']);
    expect(failure(machine('Definition: {StartAt: A}'))).toEqual(['Flow', 'Definition', 'has no States: the map of state name -> state']);
    const huge = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Result: 'x'.repeat(1024 * 1024), End: true } } });
    expect(failure(machine('DefinitionUri: big.json'), { readLocalFile: files({ 'big.json': huge }) })).toEqual(['Flow', 'DefinitionUri', `is ${huge.length} bytes of JSON; Step Functions takes at most 1048576 (1 MB)`]);
    expect(failure(machine(`Name: "order flow"\nDefinition: ${passFlow}`))).toEqual(['Flow', 'Name', '"order flow" is not a valid state machine name (1-80 of letters, digits, "-", "_")']);
    expect(failure(cfn(`StateMachineName: ${'x'.repeat(81)}\nDefinition: ${passFlow}`))).toEqual(['Flow', 'StateMachineName', expect.stringContaining('is not a valid state machine name')]);
    expect(failure(machine(`Type: SYNC\nDefinition: ${passFlow}`))).toEqual(['Flow', 'Type', 'must be STANDARD or EXPRESS, not "SYNC"']);
    expect(failure(cfn(`StateMachineType: express\nDefinition: ${passFlow}`))).toEqual(['Flow', 'StateMachineType', 'must be STANDARD or EXPRESS, not "express"']);
    expect(failure(machine(`Definition: ${passFlow}\nDefinitionSubstitutions: {Arns: [a, b]}`))).toEqual(['Flow', 'DefinitionSubstitutions.Arns', 'must be a string, number or boolean, not ["a","b"]']);
    expect(failure(machine(`Definition: ${passFlow}\nEvents: {E: {Type: Schedule, Properties: {Schedule: every day}}}`))).toEqual(['Flow', 'Events.E.Properties.Schedule', 'must be rate(...) or cron(...)']);
    expect(failure(machine(`Definition: ${passFlow}\nEvents: {E: {Type: EventBridgeRule, Properties: {}}}`))).toEqual(['Flow', 'Events.E.Properties.Pattern', 'missing: the events that start the state machine']);
    expect(failure(machine(`Definition: ${passFlow}\nEvents: {E: {Type: Api, Properties: {Path: /x, Method: post, RestApiId: !Ref Work}}}`))).toEqual(['Flow', 'Events.E.Properties.RestApiId', 'must be a !Ref to an AWS::Serverless::Api of this template (got "shop-Work")']);
    expect(failure(machine(`Definition: ${passFlow}\nEvents: {E: {Type: Api, Properties: {Path: x, Method: post}}}`))).toEqual(['Flow', 'Events.E.Properties.Path', 'must be a path starting with "/"']);
    expect(failure(template(`  One:\n    Type: AWS::Serverless::StateMachine\n    Properties: {Name: same, Definition: ${passFlow}}\n  Two:\n    Type: AWS::StepFunctions::StateMachine\n    Properties: {StateMachineName: same, Definition: ${passFlow}}`))).toEqual([
      'Two',
      'StateMachineName',
      '"same" is the name of another state machine of this template',
    ]);
  });

  it('checks the states as the agent will run them, naming the state and field, and warns of tasks esb does not run', () => {
    const machine = (definition: string) => template(`  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition: ${definition}`);
    expect(failure(machine('{StartAt: A, States: {A: {Type: Pass, Next: B}, C: {Type: Succeed}}}'))).toEqual(['Flow', 'Definition', "is not a valid state machine: States.A.Next: no state named 'B'"]);
    expect(failure(machine('{StartAt: A, States: {A: {Type: Task, Resource: "${Missing}", End: true}}}'))).toEqual(['Flow', 'Definition', expect.stringContaining('States.A.Resource: must be an ARN')]);
    expect(failure(machine('{StartAt: A, States: {A: {Type: Choice, Choices: [{Variable: $.x, StringEquals: 1, Next: A}]}}}'))).toEqual(['Flow', 'Definition', expect.stringContaining('States.A.Choices[0].StringEquals')]);
    const m = read(machine('{StartAt: A, States: {A: {Type: Parallel, End: true, Branches: [{StartAt: B, States: {B: {Type: Task, Resource: "arn:aws:states:::ecs:runTask.sync", End: true}}}]}}}'));
    expect(m.warnings).toEqual(['Flow.Definition: States.A.Branches[0].States.B: esb does not emulate the integration ecs:runTask.sync; the task fails with States.TaskFailed when it runs (docs/step-functions.md "Tasks")']);
  });

  it('keeps generated names within 80 characters', () => {
    const m = read(template(`  Flow:\n    Type: AWS::StepFunctions::StateMachine\n    Properties: {Definition: ${passFlow}}`), { stackName: `shop.${'a'.repeat(90)}` });
    expect(m.stateMachines[0].name).toMatch(/^shop-a+-[0-9a-f]{8}$/);
    expect(m.stateMachines[0].name).toHaveLength(80);
  });
});

describe('rendering state machines', () => {
  const render = (text: string) => renderArtifact(read(text), { code: {} });

  it('writes state_machines into functions.yml and counts them; a template of state machines alone defines something esb runs', () => {
    const r = render(`
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: flow
      Definition: ${passFlow}
      Events:
        Hourly: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
        OnOrder: {Type: EventBridgeRule, Properties: {Pattern: {source: [shop]}}}`);
    const functions = FunctionsFile.parse(r.config.functions);
    expect(functions.state_machines).toEqual({ flow: { name: 'flow', type: 'STANDARD', definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }, schedules: [{ name: 'Hourly', schedule: 'rate(1 hour)', enabled: true }] } });
    expect(functions.rules?.['default/shop-FlowOnOrder'].targets).toEqual([{ id: 'FlowOnOrderStepFunctionsTarget', state_machine: 'flow' }]);
    expect(r.summary).toMatchObject({ functions: 0, rules: 1, stateMachines: 1 });
    expect(r.warnings).toEqual([]);
    const text = r.files.find((f) => f.path === 'shop/config/functions.yml');
    expect(text && 'content' in text ? text.content : '').toContain('state_machines:\n  flow:\n    name: flow\n    type: STANDARD\n');
  });

  it('writes no state_machines key and no count without state machines', () => {
    const r = render(template(''));
    expect(Object.keys(r.config.functions)).toEqual(['defaults', 'functions']);
    expect(r.summary).not.toHaveProperty('stateMachines');
  });
});
