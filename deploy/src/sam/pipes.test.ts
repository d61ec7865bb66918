import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FunctionModel, SamModel } from './model.js';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

// What pipes read from, as the public serverless-patterns apps declare it.
const RESOURCES = `
  Orders:
    Type: AWS::SQS::Queue
  Out:
    Type: AWS::SQS::Queue
    Properties: {QueueName: out.fifo, FifoQueue: true, ContentBasedDeduplication: true}
  Dlq:
    Type: AWS::SQS::Queue
  Users:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: users
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: plain
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {Name: clicks, ShardCount: 1}
  Copies:
    Type: AWS::Kinesis::Stream
    Properties: {Name: copies, ShardCount: 1}
  Enrich:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, InlineCode: "exports.handler = async (e) => e"}
  Sink:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, InlineCode: "exports.handler = async () => {}"}
  Express:
    Type: AWS::Serverless::StateMachine
    Properties: {Type: EXPRESS, Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}}
  Standard:
    Type: AWS::Serverless::StateMachine
    Properties: {Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}}
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: app-bus}
  Topic:
    Type: AWS::SNS::Topic
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: /pipes/orders}
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
`;
/** A template with these resources and the given pipes (YAML under Resources). */
const template = (pipes: string) => `Resources:${RESOURCES}${pipes}`;
const read = (pipes: string): SamModel => parseSamTemplate(template(pipes), { file: 't.yml', stackName: 'shop' });
const pipesOf = (m: SamModel) => m.functions.filter((f) => f.resourceType === 'AWS::Pipes::Pipe');
const configOf = (f: FunctionModel) => JSON.parse(f.environment.ESB_PIPE) as Record<string, any>;
/** The only pipe of a template: its function, configuration and mapping. */
const onlyPipe = (pipes: string) => {
  const m = read(pipes);
  const [fn] = pipesOf(m);
  expect(fn, m.warnings.join('\n')).toBeDefined();
  return { m, fn, config: configOf(fn), mapping: fn.events[0] as Record<string, unknown> };
};
const failure = (pipes: string) => {
  const e = templateErrorOf(() => read(pipes));
  return [e.logicalId, e.field, e.reason];
};
/** A pipe resource `P` with these properties (YAML flow map entries). */
const pipe = (props: string) => `
  P:
    Type: AWS::Pipes::Pipe
    Properties: {RoleArn: !GetAtt Role.Arn, ${props}}
`;

describe('reading AWS::Pipes::Pipe (docs/pipes.md)', () => {
  it('an SQS source: a built-in function with one SQS mapping (batch, window, filters), a Step Functions target', () => {
    const { m, fn, config, mapping } = onlyPipe(`
  OrdersPipe:
    Type: AWS::Pipes::Pipe
    Properties:
      Name: orders-pipe
      RoleArn: !GetAtt Role.Arn
      Description: orders to the workflow
      Source: !GetAtt Orders.Arn
      SourceParameters:
        SqsQueueParameters: {BatchSize: 5, MaximumBatchingWindowInSeconds: 2}
        FilterCriteria:
          Filters:
            - Pattern: '{"body": {"type": ["order"]}}'
      Target: !Ref Standard
      TargetParameters:
        StepFunctionStateMachineParameters: {InvocationType: FIRE_AND_FORGET}
      Tags: {team: a}
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      InlineCode: "x"
      Environment: {Variables: {PIPE: !Ref OrdersPipe, PIPE_ARN: !GetAtt OrdersPipe.Arn}}
`);
    expect(m.warnings).toEqual([]);
    expect(fn).toEqual({
      key: 'shop-OrdersPipe',
      logicalId: 'OrdersPipe',
      resourceType: 'AWS::Pipes::Pipe',
      packageType: 'Zip',
      runtime: 'nodejs20.x',
      handler: 'pipe.handler',
      code: { kind: 'builtin', file: 'pipe.mjs' },
      timeout: 300,
      memorySize: 256,
      environment: { ESB_PIPE: expect.any(String) },
      scaling: {},
      layers: [],
      events: [{ type: 'sqs', name: 'OrdersPipe', queue: 'shop-Orders', batch_size: 5, batching_window_seconds: 2, report_batch_item_failures: false, enabled: true, filters: ['{"body": {"type": ["order"]}}'] }],
    });
    expect(config).toEqual({
      name: 'orders-pipe',
      arn: 'arn:aws:pipes:us-east-1:123456789012:pipe/orders-pipe',
      source: { kind: 'sqs', arn: 'arn:aws:sqs:us-east-1:123456789012:shop-Orders' },
      target: { kind: 'states', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:shop-Standard', invocationType: 'FIRE_AND_FORGET' },
    });
    expect(m.functions.find((f) => f.logicalId === 'Reader')?.environment).toEqual({ PIPE: 'orders-pipe', PIPE_ARN: 'arn:aws:pipes:us-east-1:123456789012:pipe/orders-pipe' });
  });

  it('a DynamoDB stream source: its stream settings, AUTOMATIC_BISECT, the dead-letter queue; an event bus target with its parameters and template', () => {
    const { m, config, mapping } = onlyPipe(pipe(`
      Source: !GetAtt Users.StreamArn,
      SourceParameters: {
        DynamoDBStreamParameters: {StartingPosition: LATEST, BatchSize: 20, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: 120, OnPartialBatchItemFailure: AUTOMATIC_BISECT, DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}},
        FilterCriteria: {Filters: [{Pattern: '{"eventName": ["INSERT"]}'}]}},
      Target: !GetAtt Bus.Arn,
      TargetParameters: {
        EventBridgeEventBusParameters: {DetailType: UserAdded, Source: app.users, Resources: [!GetAtt Users.Arn, $.dynamodb.Keys.id.S], Time: $.body.at},
        InputTemplate: '{"id": <$.dynamodb.NewImage.id.S>, "pipe": "<aws.pipes.pipe-name>"}'}`));
    expect(m.warnings).toEqual([]);
    expect(mapping).toEqual({
      type: 'dynamodb',
      name: 'P',
      table: 'users',
      batch_size: 20,
      batching_window_seconds: 1,
      maximum_retry_attempts: 2,
      maximum_record_age_seconds: 120,
      report_batch_item_failures: false,
      bisect_batch_on_function_error: true,
      enabled: true,
      filters: ['{"eventName": ["INSERT"]}'],
      on_failure: { type: 'SQS', target: 'shop-Dlq' },
    });
    expect(config.source).toEqual({ kind: 'dynamodb', arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/1970-01-01T00:00:00.000' });
    expect(config.target).toEqual({
      kind: 'events',
      arn: 'arn:aws:events:us-east-1:123456789012:event-bus/app-bus',
      bus: 'app-bus',
      detailType: 'UserAdded',
      source: 'app.users',
      time: '$.body.at',
      resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/users', '$.dynamodb.Keys.id.S'],
      inputTemplate: '{"id": <$.dynamodb.NewImage.id.S>, "pipe": "<aws.pipes.pipe-name>"}',
    });
    // No Name: `<stack>-<LogicalId>`, as the function's key.
    expect(config.name).toBe('shop-P');
  });

  it('a Kinesis stream source (AT_TIMESTAMP, parallelization) with a Lambda enrichment and its template; Kinesis, SQS FIFO (dynamic group id), SNS and log group targets', () => {
    const kinesisSource = `Source: !GetAtt Clicks.Arn,
      SourceParameters: {KinesisStreamParameters: {StartingPosition: AT_TIMESTAMP, StartingPositionTimestamp: "1700000000", BatchSize: 50, ParallelizationFactor: 2, DeadLetterConfig: {Arn: !Ref Topic}}, FilterCriteria: {Filters: [{Pattern: '{"data": {"kind": ["click"]}}'}]}},
      Enrichment: !GetAtt Enrich.Arn,
      EnrichmentParameters: {InputTemplate: '{"user": <$.data.user>}'}`;
    const toKinesis = onlyPipe(pipe(`${kinesisSource}, Target: !GetAtt Copies.Arn, TargetParameters: {KinesisStreamParameters: {PartitionKey: $.user}}`));
    expect(toKinesis.m.warnings).toEqual([]);
    expect(toKinesis.mapping).toEqual({
      type: 'kinesis',
      name: 'P',
      stream: 'clicks',
      starting_position: 'AT_TIMESTAMP',
      starting_position_timestamp: 1700000000,
      batch_size: 50,
      batching_window_seconds: 0,
      maximum_retry_attempts: -1,
      maximum_record_age_seconds: -1,
      report_batch_item_failures: false,
      bisect_batch_on_function_error: false,
      parallelization_factor: 2,
      enabled: true,
      filters: ['{"data": {"kind": ["click"]}}'],
      on_failure: { type: 'SNS', target: 'shop-Topic' },
    });
    expect(toKinesis.config.enrichment).toEqual({ kind: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-Enrich', function: 'shop-Enrich', inputTemplate: '{"user": <$.data.user>}' });
    expect(toKinesis.config.target).toEqual({ kind: 'kinesis', arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/copies', stream: 'copies', partitionKey: '$.user' });

    const toFifo = onlyPipe(pipe(`${kinesisSource}, Target: !GetAtt Out.Arn, TargetParameters: {SqsQueueParameters: {MessageGroupId: $.partitionKey, MessageDeduplicationId: $.eventID}}`));
    expect(toFifo.config.target).toEqual({ kind: 'sqs', arn: 'arn:aws:sqs:us-east-1:123456789012:out.fifo', queue: 'out.fifo', account: '123456789012', messageGroupId: '$.partitionKey', messageDeduplicationId: '$.eventID' });
    const noGroup = read(pipe(`Source: !GetAtt Orders.Arn, Target: !GetAtt Out.Arn`));
    expect(noGroup.warnings).toEqual(['P.TargetParameters.SqsQueueParameters.MessageGroupId: missing; FIFO queue "out.fifo" refuses messages without one (docs/pipes.md)']);

    expect(onlyPipe(pipe(`Source: !GetAtt Orders.Arn, Target: !Ref Topic`)).config.target).toEqual({ kind: 'sns', arn: 'arn:aws:sns:us-east-1:123456789012:shop-Topic' });
    // A log group: by !GetAtt (its LogGroupName) or by its ARN.
    const logs = onlyPipe(pipe(`Source: !GetAtt Orders.Arn, Target: !GetAtt Logs.Arn, TargetParameters: {CloudWatchLogsParameters: {LogStreamName: $.body.id}, InputTemplate: 'Order <$.body.id> is <$.body.status>'}`));
    expect(logs.config.target).toEqual({ kind: 'logs', arn: 'arn:aws:logs:us-east-1:123456789012:log-group:/pipes/orders:*', logGroup: '/pipes/orders', logStreamName: '$.body.id', inputTemplate: 'Order <$.body.id> is <$.body.status>' });
    expect(onlyPipe(pipe(`Source: !GetAtt Orders.Arn, Target: "arn:aws:logs:us-east-1:123456789012:log-group:/pipes/x:*"`)).config.target).toMatchObject({ kind: 'logs', logGroup: '/pipes/x' });
  });

  it('Lambda targets (REQUEST_RESPONSE by default, FIRE_AND_FORGET) and an Express enrichment; the functions a pipe invokes count as reached', () => {
    const sync = onlyPipe(pipe(`Source: !GetAtt Orders.Arn, Enrichment: !Ref Express, Target: !GetAtt Sink.Arn`));
    expect(sync.config.enrichment).toEqual({ kind: 'states', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:shop-Express' });
    expect(sync.config.target).toEqual({ kind: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-Sink', function: 'shop-Sink', invocationType: 'REQUEST_RESPONSE' });
    const async = onlyPipe(pipe(`Source: !GetAtt Orders.Arn, Target: !Sub "\${Sink.Arn}:live", TargetParameters: {LambdaFunctionParameters: {InvocationType: FIRE_AND_FORGET}}`));
    expect(async.config.target).toMatchObject({ kind: 'lambda', function: 'shop-Sink', invocationType: 'FIRE_AND_FORGET' });
    // An Express machine as a target waits for its execution (REQUEST_RESPONSE).
    expect(onlyPipe(pipe(`Source: !GetAtt Orders.Arn, Target: !Ref Express`)).config.target).toEqual({ kind: 'states', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:shop-Express', invocationType: 'REQUEST_RESPONSE' });
    // A function whose only event esb does not run is reached by the pipe: no UNREACHABLE.
    const lone = `
  Lone:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, InlineCode: "x", Events: {Rule: {Type: IoTRule, Properties: {Sql: "SELECT 1"}}}}`;
    expect(read(lone).warnings.some((w) => w.startsWith('UNREACHABLE'))).toBe(true);
    expect(read(`${lone}${pipe('Source: !GetAtt Orders.Arn, Target: !GetAtt Lone.Arn')}`).warnings).toEqual(['event type IoTRule is not run by esb; skipped: Lone.Rule']);
  });

  it('DesiredState STOPPED: the mapping is off', () => {
    expect(onlyPipe(pipe(`DesiredState: STOPPED, Source: !GetAtt Orders.Arn, Target: !GetAtt Sink.Arn`)).mapping.enabled).toBe(false);
    expect(onlyPipe(pipe(`DesiredState: RUNNING, Source: !GetAtt Users.StreamArn, SourceParameters: {DynamoDBStreamParameters: {StartingPosition: TRIM_HORIZON}}, Target: !GetAtt Sink.Arn`)).mapping.enabled).toBe(true);
  });

  it('sources, enrichments and targets esb does not run are warnings naming the field and docs/pipes.md; the pipe is not run', () => {
    const cases: Array<[string, string[]]> = [
      [
        `Source: "arn:aws:mq:us-east-1:123456789012:broker:b:b-1", SourceParameters: {ActiveMQBrokerParameters: {QueueName: q, Credentials: {BasicAuth: s}}}, Target: !GetAtt Bus.Arn`,
        ['P.Source: Amazon MQ broker sources are not run by esb (it runs SQS queues, DynamoDB streams and Kinesis streams); the pipe is not run (docs/pipes.md)'],
      ],
      [`Source: "arn:aws:kafka:us-east-1:123456789012:cluster/c/1", Target: !GetAtt Sink.Arn`, ['P.Source: Amazon MSK sources are not run by esb (it runs SQS queues, DynamoDB streams and Kinesis streams); the pipe is not run (docs/pipes.md)']],
      [
        `Source: "smk://broker:9092", SourceParameters: {SelfManagedKafkaParameters: {TopicName: t}}, Target: !GetAtt Sink.Arn`,
        ['P.Source: Self-managed Apache Kafka sources are not run by esb (it runs SQS queues, DynamoDB streams and Kinesis streams); the pipe is not run (docs/pipes.md)'],
      ],
      [
        `Source: !GetAtt Orders.Arn, Enrichment: "arn:aws:events:us-east-1:123456789012:api-destination/d/1", EnrichmentParameters: {HttpParameters: {PathParameterValues: [$.body.zip]}}, Target: !GetAtt Sink.Arn`,
        [
          'P.EnrichmentParameters.HttpParameters: applies to API destinations and API Gateway only; not applied (docs/pipes.md)',
          'P.Enrichment: API destination enrichments are not run by esb (it runs Lambda functions and Express state machines); the pipe is not run (docs/pipes.md)',
        ],
      ],
      [
        `Source: !GetAtt Orders.Arn, Target: "arn:aws:batch:us-east-1:123456789012:job-queue/q", TargetParameters: {BatchJobParameters: {JobDefinition: d, JobName: n}}`,
        ['P.Target: Batch job queue targets are not run by esb (it runs Lambda functions, Step Functions state machines, SQS queues, SNS topics, event buses, Kinesis streams and CloudWatch Logs log groups); the pipe is not run (docs/pipes.md)'],
      ],
    ];
    for (const [props, warnings] of cases) {
      const m = read(pipe(props));
      expect(pipesOf(m), props).toEqual([]);
      expect(m.warnings, props).toEqual(warnings);
    }
  });

  it('pieces not applied are one warning each; what has no local meaning is accepted quietly', () => {
    const m = read(pipe(`Source: !GetAtt Orders.Arn, Target: !GetAtt Sink.Arn, KmsKeyIdentifier: alias/k, Description: d, Tags: {a: b},
      LogConfiguration: {CloudwatchLogsLogDestination: {LogGroupArn: !GetAtt Logs.Arn}, Level: TRACE, IncludeExecutionData: [ALL]},
      TargetParameters: {SqsQueueParameters: {MessageGroupId: g}},
      SourceParameters: {DynamoDBStreamParameters: {StartingPosition: LATEST}}`));
    expect(pipesOf(m)).toHaveLength(1);
    expect(m.warnings).toEqual([
      'P.SourceParameters.DynamoDBStreamParameters: the source is an SQS queue; not applied (docs/pipes.md)',
      'P.TargetParameters.SqsQueueParameters: the target is a function; not applied (docs/pipes.md)',
      'P.LogConfiguration: not applied; what the pipe does is in its function\'s log (docs/pipes.md)',
    ]);
    // Not a mapping setting of the source kind: refused, as CloudFormation refuses it.
    expect(failure(pipe(`Source: !GetAtt Orders.Arn, SourceParameters: {SqsQueueParameters: {BatchSize: 2, StartingPosition: LATEST}}, Target: !GetAtt Sink.Arn`))).toEqual([
      'P',
      'SourceParameters.SqsQueueParameters.StartingPosition',
      'not a setting of an SQS queue source (it takes BatchSize, MaximumBatchingWindowInSeconds)',
    ]);
  });

  it('errors name the pipe and the field', () => {
    const cases: Array<[string, string, string]> = [
      ['Target: !GetAtt Sink.Arn', 'Source', 'must be an ARN (!GetAtt X.Arn, !Ref X)'],
      ['Source: !GetAtt Orders.Arn', 'Target', 'must be an ARN (!GetAtt X.Arn, !Ref X)'],
      ['Source: !GetAtt Orders.Arn, Target: !GetAtt Sink.Arn, DesiredState: PAUSED', 'DesiredState', 'must be RUNNING or STOPPED, not "PAUSED"'],
      ['Name: "a pipe", Source: !GetAtt Orders.Arn, Target: !GetAtt Sink.Arn', 'Name', '"a pipe" is not a valid pipe name (1-64 of letters, digits, ".", "-", "_")'],
      ['Source: !GetAtt Orders.Arn, SourceParameters: {SqsQueueParameters: {BatchSize: 20}}, Target: !GetAtt Sink.Arn', 'SourceParameters.SqsQueueParameters.BatchSize', 'must be at most 10 unless MaximumBatchingWindowInSeconds is at least 1'],
      ['Source: !GetAtt Orders.Arn, SourceParameters: {FilterCriteria: {Filters: [{Pattern: "{\\"body\\": 1}"}]}}, Target: !GetAtt Sink.Arn', 'SourceParameters.FilterCriteria.Filters[0].Pattern', expect.any(String) as unknown as string],
      ['Source: !GetAtt Users.StreamArn, Target: !GetAtt Sink.Arn', 'SourceParameters.DynamoDBStreamParameters.StartingPosition', 'must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (a DynamoDB stream needs one)'],
      ['Source: !GetAtt Plain.StreamArn, SourceParameters: {DynamoDBStreamParameters: {StartingPosition: LATEST}}, Target: !GetAtt Sink.Arn', 'Source', 'table "plain" has no StreamSpecification, so it has no stream'],
      ['Source: !GetAtt Users.StreamArn, SourceParameters: {DynamoDBStreamParameters: {StartingPosition: LATEST, OnPartialBatchItemFailure: HALVE}}, Target: !GetAtt Sink.Arn', 'SourceParameters.DynamoDBStreamParameters.OnPartialBatchItemFailure', 'must be AUTOMATIC_BISECT, not "HALVE"'],
      ['Source: !GetAtt Users.StreamArn, SourceParameters: {DynamoDBStreamParameters: {StartingPosition: LATEST, DeadLetterConfig: {Arn: !GetAtt Sink.Arn}}}, Target: !GetAtt Sink.Arn', 'SourceParameters.DynamoDBStreamParameters.DeadLetterConfig.Arn', 'must be the ARN of an SQS queue or SNS topic, not "arn:aws:lambda:us-east-1:123456789012:function:shop-Sink"'],
      ['Source: !GetAtt Clicks.Arn, SourceParameters: {KinesisStreamParameters: {StartingPosition: LATEST, MaximumRetryAttempts: many}}, Target: !GetAtt Sink.Arn', 'SourceParameters.KinesisStreamParameters.MaximumRetryAttempts', 'must be a whole number from -1 to 10000'],
      ['Source: !GetAtt Orders.Arn, Target: !GetAtt Copies.Arn', 'TargetParameters.KinesisStreamParameters.PartitionKey', 'missing: a Kinesis target needs a partition key (text, or a JSON path of the event such as $.data.user)'],
      ['Source: !GetAtt Orders.Arn, Target: !GetAtt Sink.Arn, TargetParameters: {LambdaFunctionParameters: {InvocationType: SYNC}}', 'TargetParameters.LambdaFunctionParameters.InvocationType', 'must be REQUEST_RESPONSE or FIRE_AND_FORGET, not "SYNC"'],
      ['Source: !GetAtt Orders.Arn, Target: !Ref Standard', 'TargetParameters.StepFunctionStateMachineParameters.InvocationType', 'state machine "shop-Standard" is a STANDARD workflow, which a pipe starts with FIRE_AND_FORGET only (REQUEST_RESPONSE, the default, waits for an EXPRESS one)'],
      ['Source: !GetAtt Orders.Arn, Enrichment: !Ref Standard, Target: !GetAtt Sink.Arn', 'Enrichment', 'state machine "shop-Standard" is a STANDARD workflow; a pipe\'s enrichment must be an EXPRESS one (it runs synchronously)'],
      [`Source: !GetAtt Orders.Arn, Target: !GetAtt Sink.Arn, TargetParameters: {InputTemplate: "${'x'.repeat(8193)}"}`, 'TargetParameters.InputTemplate', 'has 8193 characters; at most 8192'],
      ['Source: !GetAtt Orders.Arn, Target: !GetAtt Bus.Arn, TargetParameters: {EventBridgeEventBusParameters: {Resources: a}}', 'TargetParameters.EventBridgeEventBusParameters.Resources', 'must be a list of ARNs (or JSON paths of the event)'],
    ];
    for (const [props, field, reason] of cases) expect(failure(pipe(props)), props).toEqual(['P', field, reason]);
  });

  it('sources and targets of other templates are kept with a warning', () => {
    const m = read(pipe(`Source: "arn:aws:sqs:us-east-1:123456789012:shared", Target: "arn:aws:lambda:us-east-1:123456789012:function:other-fn"`));
    expect(pipesOf(m)).toHaveLength(1);
    expect(m.warnings).toEqual([
      'P.Target: function "other-fn" is not defined in this template; it is invoked once a deployed template defines it',
      'P.Source: queue "shared" is not declared in this template; it is read once a deployed template declares it',
    ]);
  });
});

// ------------------------------------------------------------------ the built-in function

interface Call {
  service: string;
  action: string;
  path: string;
  body: any;
}
type Reply = { status?: number; headers?: Record<string, string>; body: unknown };
type Handler = (event: unknown) => Promise<unknown>;

/** What the stub answers each call with, by `<service>.<action>`, unless the test queued a reply. */
function defaultReply(call: Call): Reply {
  switch (`${call.service}.${call.action}`) {
    case 'sqs.SendMessage':
      return { body: { MessageId: `m-${Math.random()}`, MD5OfMessageBody: createHash('md5').update(call.body.MessageBody).digest('hex') } };
    case 'sns.Publish':
      return { headers: { 'content-type': 'text/xml' }, body: '<PublishResponse><PublishResult><MessageId>n-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>' };
    case 'events.PutEvents':
      return { body: { FailedEntryCount: 0, Entries: call.body.Entries.map((_: unknown, i: number) => ({ EventId: `e-${i}` })) } };
    case 'kinesis.PutRecords':
      return { body: { FailedRecordCount: 0, Records: call.body.Records.map((_: unknown, i: number) => ({ SequenceNumber: String(i), ShardId: 'shardId-000000000000' })) } };
    case 'states.StartExecution':
      return { body: { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:e', startDate: 1 } };
    case 'states.StartSyncExecution':
      return { body: { executionArn: 'arn:aws:states:us-east-1:123456789012:express:m:e:x', status: 'SUCCEEDED', output: call.body.input, startDate: 1, stopDate: 2 } };
    default:
      // Lambda: answers with what it was given.
      return { body: call.body };
  }
}

describe('the built-in function (deploy/runtime/pipe.mjs), against a stub endpoint', () => {
  const calls: Call[] = [];
  /** Replies the stub gives before its default ones, by service. */
  let replies: Record<string, Reply[]> = {};
  let server: Server;
  const saved = { ...process.env };
  let logged: string[] = [];

  let http2: Http2Server;

  beforeAll(async () => {
    const stub = (req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const lambda = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
        const form = new URLSearchParams(text);
        const [service, action] = lambda
          ? ['lambda', `Invoke:${decodeURIComponent(lambda[1])}:${req.headers['x-amz-invocation-type'] ?? 'RequestResponse'}`]
          : target.startsWith('AmazonSQS.') ? ['sqs', target.slice(10)]
          : target.startsWith('AWSEvents.') ? ['events', target.slice(10)]
          : target.startsWith('Kinesis_20131202.') ? ['kinesis', target.slice(17)]
          : target.startsWith('AWSStepFunctions.') ? ['states', target.slice(17)]
          : ['sns', form.get('Action') ?? '?'];
        const body = service === 'sns' ? Object.fromEntries(form) : text ? JSON.parse(text) : undefined;
        const call = { service, action, path: req.url ?? '', body };
        calls.push(call);
        const r = replies[service]?.shift() ?? defaultReply(call);
        const json = service === 'lambda' ? 'application/json' : `application/x-amz-json-${service === 'sqs' || service === 'states' ? '1.0' : '1.1'}`;
        res.writeHead(r.status ?? (action.endsWith(':Event') ? 202 : 200), { 'content-type': json, ...r.headers }).end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? null));
      });
    };
    server = createServer(stub);
    // client-kinesis talks HTTP/2 (h2c), as the storage's port takes it (docs/kinesis.md).
    http2 = createHttp2Server();
    http2.on('request', (req, res) => stub(req as unknown as IncomingMessage, res as unknown as ServerResponse));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    await new Promise<void>((done) => http2.listen(0, '127.0.0.1', done));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const s of ['SQS', 'SNS', 'EVENTBRIDGE', 'SFN', 'LAMBDA']) process.env[`AWS_ENDPOINT_URL_${s}`] = endpoint;
    process.env.AWS_ENDPOINT_URL_KINESIS = `http://127.0.0.1:${(http2.address() as AddressInfo).port}`;
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise((done) => server.close(done));
    await new Promise((done) => http2.close(done));
  });
  beforeEach(() => {
    calls.length = 0;
    replies = {};
    logged = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void logged.push(String(line)));
    return () => spy.mockRestore();
  });

  const PIPE = { name: 'orders', arn: 'arn:aws:pipes:us-east-1:123456789012:pipe/orders' };
  const SQS_SOURCE = { kind: 'sqs', arn: 'arn:aws:sqs:us-east-1:123456789012:orders' };
  const LOGS = { kind: 'logs', arn: 'arn:aws:logs:us-east-1:123456789012:log-group:/orders', logGroup: '/orders' };
  /** The handler as a function instance loads it, with this pipe. */
  async function handlerOf(config: Record<string, unknown>): Promise<Handler> {
    process.env.ESB_PIPE = JSON.stringify({ ...PIPE, source: SQS_SOURCE, ...config });
    vi.resetModules();
    const runtime = '../../runtime/pipe.mjs';
    return ((await import(/* @vite-ignore */ runtime)) as { handler: Handler }).handler;
  }
  const sqsRecord = (id: string, body: string, attributes: Record<string, string> = {}) => ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AID', ApproximateFirstReceiveTimestamp: '1700000000001', ...attributes },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: SQS_SOURCE.arn,
    awsRegion: 'us-east-1',
  });
  const kinesisRecord = (seq: string, data: unknown, key: string) => ({
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: key, sequenceNumber: seq, data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'), approximateArrivalTimestamp: 1700000000.5 },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/esb-function',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
  });
  const ddbRecord = (id: string, name: string) => ({
    eventID: `e-${id}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: { ApproximateCreationDateTime: 1700000000, Keys: { id: { S: id } }, NewImage: { id: { S: id }, name: { S: name } }, SequenceNumber: '1', SizeBytes: 20, StreamViewType: 'NEW_IMAGE' },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/1970-01-01T00:00:00.000',
  });
  /** The lines a log group target wrote for these records with this template. */
  const rendered = async (template: string | undefined, records: unknown[], source: Record<string, unknown> = SQS_SOURCE) => {
    await (await handlerOf({ source, target: { ...LOGS, ...(template !== undefined ? { inputTemplate: template } : {}) } }))({ Records: records });
    return logged.map((l) => l.replace(/^pipe orders -> log group \/orders: /, ''));
  };

  it('gives a Kinesis record flattened, as Pipes does; SQS and DynamoDB records as Lambda has them', async () => {
    const k = kinesisRecord('49', { user: 'ana' }, 'ana');
    const [flat] = await rendered(undefined, [k], { kind: 'kinesis', arn: k.eventSourceARN });
    expect(JSON.parse(flat)).toEqual({
      kinesisSchemaVersion: '1.0',
      partitionKey: 'ana',
      sequenceNumber: '49',
      data: k.kinesis.data,
      approximateArrivalTimestamp: 1700000000.5,
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: 'shardId-000000000000:49',
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/esb-function',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
    });
    const s = sqsRecord('m1', '{"id": 1}');
    logged = [];
    expect((await rendered(undefined, [s])).map((l) => JSON.parse(l))).toEqual([s]);
    const d = ddbRecord('u1', 'Ann');
    logged = [];
    expect((await rendered(undefined, [d], { kind: 'dynamodb', arn: d.eventSourceARN })).map((l) => JSON.parse(l))).toEqual([d]);
  });

  it('applies input templates per event: JSON paths into a JSON body or data, values quoted as JSON or bare inside strings and free text, the reserved variables', async () => {
    const body = { id: 7, name: 'Ann "A"', items: [{ sku: 'a' }, { sku: 'b' }], nested: { k: 'v' }, 'odd key': true };
    const records = [sqsRecord('m1', JSON.stringify(body))];
    const json = '{"id": <$.body.id>, "name": <$.body.name>, "quoted": "<$.body.name>!", "sku": <$.body.items[1].sku>, "skus": <$.body.items[*].sku>, "nested": <$.body.nested>, "inString": "n=<$.body.nested>", "missing": <$.body.none>, "missingInString": "[<$.body.none>]", "sender": "<$.attributes.SenderId>", "odd": <$.body[\'odd key\']>, "keep": "<b>", "money": "<$ 5 off>"}';
    expect(JSON.parse((await rendered(json, records))[0])).toEqual({ id: 7, name: 'Ann "A"', quoted: 'Ann "A"!', sku: 'b', skus: ['a', 'b'], nested: { k: 'v' }, inString: 'n={k:v}', missing: null, missingInString: '[]', sender: 'AID', odd: true, keep: '<b>', money: '<$ 5 off>' });
    logged = [];
    expect(await rendered('Order <$.body.id> for <$.body.name>: <$.body.nested> <$.body.none>.', records)).toEqual(['Order 7 for Ann "A": {k:v} .']);
    logged = [];
    const reserved = JSON.parse(
      (await rendered('{"arn": <aws.pipes.pipe-arn>, "name": <aws.pipes.pipe-name>, "source": <aws.pipes.source-arn>, "target": <aws.pipes.target-arn>, "enrichment": <aws.pipes.enrichment-arn>, "time": <aws.pipes.event.ingestion-time>, "event": <aws.pipes.event>, "json": <aws.pipes.event.json>}', records))[0],
    );
    expect(reserved).toEqual({ arn: PIPE.arn, name: 'orders', source: SQS_SOURCE.arn, target: LOGS.arn, enrichment: null, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), event: records[0], json: { ...records[0], body } });
    // A body that is not JSON is read as text; Kinesis data that is not JSON stays base64.
    logged = [];
    expect(await rendered('{"b": <$.body>, "x": <$.body.x>}', [sqsRecord('m2', 'plain text')])).toEqual(['{"b": "plain text", "x": null}']);
    logged = [];
    const k = kinesisRecord('1', 'not json', 'k');
    expect(await rendered('{"data": <$.data>}', [k], { kind: 'kinesis', arn: k.eventSourceARN })).toEqual([`{"data": "${k.kinesis.data}"}`]);
  });

  it('bounds what a template makes of one event: past 6 MB the batch fails, quickly', async () => {
    const big = sqsRecord('m1', JSON.stringify({ text: 'x'.repeat(200_000) }));
    const started = Date.now();
    await expect(rendered(`[${Array.from({ length: 40 }, () => '<aws.pipes.event.json>').join(',')}]`, [big])).rejects.toThrow('the input template made more than 6291456 characters of one event');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('enriches through a Lambda function with the batch (its template per event); the answer is the new batch; nothing back, no target', async () => {
    const handler = await handlerOf({
      enrichment: { kind: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-Enrich', function: 'shop-Enrich', inputTemplate: '{"id": <$.body.id>, "by": <aws.pipes.pipe-name>}' },
      target: { kind: 'states', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', invocationType: 'REQUEST_RESPONSE' },
    });
    replies = { lambda: [{ body: [{ id: 1, price: 3 }, { id: 2, price: 4 }, { id: 3, price: 5 }] }] };
    await handler({ Records: [sqsRecord('m1', '{"id": 1}'), sqsRecord('m2', '{"id": 2}')] });
    expect(calls.map((c) => [c.service, c.action, c.body])).toEqual([
      ['lambda', 'Invoke:shop-Enrich:RequestResponse', [{ id: 1, by: 'orders' }, { id: 2, by: 'orders' }]],
      ['states', 'StartSyncExecution', { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', input: '[{"id":1,"price":3},{"id":2,"price":4},{"id":3,"price":5}]' }],
    ]);
    // One value: a batch of one. An empty list or nothing: the target is not invoked.
    calls.length = 0;
    replies = { lambda: [{ body: { one: true } }, { body: [] }, { body: null }] };
    for (let i = 0; i < 3; i++) await handler({ Records: [sqsRecord('m1', '{"id": 1}')] });
    expect(calls.map((c) => [c.service, c.action])).toEqual([
      ['lambda', 'Invoke:shop-Enrich:RequestResponse'],
      ['states', 'StartSyncExecution'],
      ['lambda', 'Invoke:shop-Enrich:RequestResponse'],
      ['lambda', 'Invoke:shop-Enrich:RequestResponse'],
    ]);
    expect(JSON.parse(calls[1].body.input)).toEqual([{ one: true }]);
    // A function that fails fails the batch.
    replies = { lambda: [{ headers: { 'x-amz-function-error': 'Unhandled' }, body: { errorType: 'Error', errorMessage: 'no price' } }] };
    await expect(handler({ Records: [sqsRecord('m1', '{}')] })).rejects.toThrow('function shop-Enrich failed: {"errorType":"Error","errorMessage":"no price"}');
  });

  it('enriches through an Express state machine (StartSyncExecution); an execution that fails fails the batch', async () => {
    const handler = await handlerOf({
      source: { kind: 'kinesis', arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks' },
      enrichment: { kind: 'states', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:enrich' },
      target: { kind: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-Sink', function: 'shop-Sink', invocationType: 'FIRE_AND_FORGET' },
    });
    replies = { states: [{ body: { status: 'SUCCEEDED', output: '[{"user":"ana","score":2}]', executionArn: 'x', startDate: 1, stopDate: 2 } }] };
    await handler({ Records: [kinesisRecord('1', { user: 'ana' }, 'ana')] });
    expect(JSON.parse(calls[0].body.input)[0]).toMatchObject({ partitionKey: 'ana', sequenceNumber: '1' });
    expect(calls[1]).toMatchObject({ service: 'lambda', action: 'Invoke:shop-Sink:Event', body: [{ user: 'ana', score: 2 }] });
    replies = { states: [{ body: { status: 'FAILED', error: 'Boom', cause: 'it broke', executionArn: 'arn:x', startDate: 1, stopDate: 2 } }] };
    await expect(handler({ Records: [kinesisRecord('2', {}, 'bo')] })).rejects.toThrow('execution arn:x of arn:aws:states:us-east-1:123456789012:stateMachine:enrich ended FAILED: Boom (it broke)');
  });

  it('sends one SQS message per event with dynamic MessageGroupId and MessageDeduplicationId, one SNS message per event', async () => {
    const fifo = await handlerOf({
      source: { kind: 'kinesis', arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks' },
      target: { kind: 'sqs', arn: 'arn:aws:sqs:us-east-1:123456789012:out.fifo', queue: 'out.fifo', account: '123456789012', messageGroupId: '$.data.user', messageDeduplicationId: '$.sequenceNumber', inputTemplate: '{"user": <$.partitionKey>, "click": <$.data>}' },
    });
    await fifo({ Records: [kinesisRecord('10', { user: 'ana', page: '/' }, 'pk-ana'), kinesisRecord('11', { user: 'bo', page: '/x' }, 'pk-bo')] });
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      ['/', { QueueUrl: `${process.env.AWS_ENDPOINT_URL_SQS}/123456789012/out.fifo`, MessageBody: '{"user": "pk-ana", "click": {"user":"ana","page":"/"}}', MessageGroupId: 'ana', MessageDeduplicationId: '10' }],
      ['/', { QueueUrl: `${process.env.AWS_ENDPOINT_URL_SQS}/123456789012/out.fifo`, MessageBody: '{"user": "pk-bo", "click": {"user":"bo","page":"/x"}}', MessageGroupId: 'bo', MessageDeduplicationId: '11' }],
    ]);
    calls.length = 0;
    const topic = await handlerOf({ target: { kind: 'sns', arn: 'arn:aws:sns:us-east-1:123456789012:alerts' } });
    const records = [sqsRecord('m1', 'one'), sqsRecord('m2', 'two')];
    await topic({ Records: records });
    expect(calls.map((c) => [c.action, c.body.TopicArn, JSON.parse(c.body.Message)])).toEqual([
      ['Publish', 'arn:aws:sns:us-east-1:123456789012:alerts', records[0]],
      ['Publish', 'arn:aws:sns:us-east-1:123456789012:alerts', records[1]],
    ]);
  });

  it('puts one event per record on a bus: Source "Pipe <name>" and DetailType "Event from aws:<source>" unless set, the event as its detail; a detail that is no object fails the batch', async () => {
    const source = { kind: 'dynamodb', arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/users/stream/1970-01-01T00:00:00.000' };
    const plain = await handlerOf({ source, target: { kind: 'events', arn: 'arn:aws:events:us-east-1:123456789012:event-bus/app-bus', bus: 'app-bus' } });
    const records = Array.from({ length: 12 }, (_, i) => ddbRecord(`u${i}`, `n${i}`));
    await plain({ Records: records });
    // PutEvents takes 10 entries a call.
    expect(calls.map((c) => c.body.Entries.length)).toEqual([10, 2]);
    expect(calls[0].body.Entries[0]).toEqual({ EventBusName: 'app-bus', Source: 'Pipe orders', DetailType: 'Event from aws:dynamodb', Detail: JSON.stringify(records[0]) });

    calls.length = 0;
    const shaped = await handlerOf({
      source,
      target: { kind: 'events', arn: 'x', bus: 'app-bus', source: 'app.users', detailType: '$.eventName', resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/users', '$.dynamodb.Keys.id.S'], time: '2024-01-02T03:04:05Z', inputTemplate: '{"id": <$.dynamodb.NewImage.id.S>}' },
    });
    await shaped({ Records: [records[0]] });
    expect(calls[0].body.Entries).toEqual([{ EventBusName: 'app-bus', Source: 'app.users', DetailType: 'INSERT', Detail: '{"id": "u0"}', Resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/users', 'u0'], Time: 1704164645 }]);
    const text = await handlerOf({ source, target: { kind: 'events', arn: 'x', bus: 'app-bus', inputTemplate: 'user <$.dynamodb.Keys.id.S>' } });
    await expect(text({ Records: [records[0]] })).rejects.toThrow('an event bus takes a JSON object as the event\'s detail, and this event is "user u0"');
    replies = { events: [{ body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InvalidArgument', ErrorMessage: 'Detail is malformed.' }] } }] };
    await expect(plain({ Records: [records[0]] })).rejects.toThrow('PutEvents refused 1 event(s) on bus app-bus: InvalidArgument Detail is malformed.');
  });

  it('puts records to a Kinesis stream with a dynamic partition key; one it cannot make fails the batch', async () => {
    const handler = await handlerOf({ target: { kind: 'kinesis', arn: 'x', stream: 'copies', partitionKey: '$.body.user' } });
    await handler({ Records: [sqsRecord('m1', '{"user": "ana"}'), sqsRecord('m2', '{"user": 42}')] });
    expect(calls[0].body.StreamName).toBe('copies');
    expect(calls[0].body.Records.map((r: { PartitionKey: string; Data: string }) => [r.PartitionKey, JSON.parse(Buffer.from(r.Data, 'base64').toString()).messageId])).toEqual([
      ['ana', 'm1'],
      ['42', 'm2'],
    ]);
    await expect(handler({ Records: [sqsRecord('m3', '{}')] })).rejects.toThrow('the partition key $.body.user gives nothing for this event');
    // A value that is not a whole path is fixed text.
    const fixed = await handlerOf({ target: { kind: 'kinesis', arn: 'x', stream: 'copies', partitionKey: '$1-all' } });
    calls.length = 0;
    await fixed({ Records: [sqsRecord('m4', 'x')] });
    expect(calls[0].body.Records[0].PartitionKey).toBe('$1-all');
  });

  it('starts executions with the batch as a JSON list (FIRE_AND_FORGET: StartExecution); writes log group events to the log, naming the group and stream', async () => {
    const standard = await handlerOf({ target: { kind: 'states', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flow', invocationType: 'FIRE_AND_FORGET' } });
    const records = [sqsRecord('m1', '{"a": 1}')];
    await standard({ Records: records });
    expect(calls.map((c) => [c.action, JSON.parse(c.body.input)])).toEqual([['StartExecution', records]]);
    const logs = await handlerOf({ target: { ...LOGS, logStreamName: '$.body.a', inputTemplate: 'a is <$.body.a>' } });
    await logs({ Records: records });
    expect(logged).toEqual(['pipe orders -> log group /orders (stream 1): a is 1']);
  });
});
