// The shapes every part of esb agrees on: the Deployment resource (deployment.ts) and the files of an
// artifact / CONFIG_DIR. One source for the shapes (docs/design.md, "Contracts"); the CRD's
// OpenAPI schema in crds/deployment.yaml is tested to accept and reject the same objects.
import { z } from 'zod';
import { KINESIS_STREAM_NAME, MAX_KINESIS_SHARDS } from './kinesis.js';
import { MAX_ADVANCED_PARAMETER_BYTES, MAX_PASSWORD_LENGTH, MAX_SECRET_VALUE_BYTES, PARAMETER_NAME, SECRET_NAME } from './secrets.js';
import { SCHEDULE_NAME } from './scheduler.js';
import { STATE_MACHINE_NAME } from './state-machines.js';
import { DELIVERY_STREAM_NAME } from './firehose.js';
import { LowerName, StringMap } from './deployment.js';

export * from './deployment.js';

// ---------------------------------------------------------------- functions.yml

export const Scaling = z.object({
  /** Instances at most (ReservedConcurrentExecutions); 0 throttles every invocation, as Lambda does. */
  max_capacity: z.number().int().min(0).optional(),
  min_capacity: z.number().int().min(0).optional(),
});

export const Layer = z.object({
  name: z.string().min(1),
  // Folder holding the layer's content (what Lambda puts under /opt). Relative to the
  // artifact root inside an artifact; absolute once applied into CONFIG_DIR.
  path: z.string().min(1),
});

export const ScheduleEvent = z.object({
  type: z.literal('schedule'),
  name: z.string().optional(),
  schedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'must be rate(...) or cron(...)'),
  input: z.string().optional(),
  enabled: z.boolean().default(true),
});

/** The function's own HTTPS endpoint (a Lambda function URL), served at `http://<host>.lambda-url.localhost` (docs/gateway.md, "Function URLs"). */
export const FunctionUrl = z.object({
  /** NONE: anyone; AWS_IAM: requests signed (SigV4, service lambda) by a configured access key. */
  auth_type: z.enum(['NONE', 'AWS_IAM']).default('NONE'),
  invoke_mode: z.enum(['BUFFERED', 'RESPONSE_STREAM']).default('BUFFERED'),
  // Cors is declared with the APIs, further down.
  cors: z.lazy(() => Cors).optional(),
});
export type FunctionUrl = z.infer<typeof FunctionUrl>;
/** Where function URLs are served: `<label>.lambda-url.localhost`. */
export const FUNCTION_URL_HOST_SUFFIX = '.lambda-url.localhost';
/** An Application Load Balancer is served at <name>.elb.localhost (docs/gateway.md "Application Load Balancers"). */
export const LOAD_BALANCER_HOST_SUFFIX = '.elb.localhost';
/**
 * The host label of a function's URL: its key, lower-cased, anything else than a-z, 0-9 and "-"
 * as "-". A DNS label holds at most 63 characters: a longer key keeps its first 54 and ends in
 * 8 hex digits of a hash of the whole key, so two long keys still get two labels.
 */
export function functionUrlLabel(functionKey: string): string {
  return withinDnsLabel(functionKey.toLowerCase().replace(/[^a-z0-9-]/g, '-'), functionKey);
}

/**
 * The path form of a stack's own API, `/_aws/execute-api/<label>/...` on any host (LocalStack's
 * shape, the stack's host label for the API id): for clients that cannot resolve `<label>.localhost`.
 */
export const STACK_PATH_PREFIX = '/_aws/execute-api/';

/** The host a stack's own API is served at, `<label>.localhost`: its name lower-cased, within 63 characters as above. */
export function stackHostLabel(stackName: string): string {
  return withinDnsLabel(stackName.toLowerCase(), stackName);
}

function withinDnsLabel(label: string, source: string): string {
  if (label.length <= 63) return label;
  // FNV-1a over the source: a stable short hash without a crypto import in the contracts.
  let h = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193) >>> 0;
  return `${label.slice(0, 54)}-${h.toString(16).padStart(8, '0')}`;
}

/** An S3 bucket notification to the function (SAM `Type: S3`, docs/agent.md "S3 events"). */
export const S3Event = z.object({
  type: z.literal('s3'),
  /** The notification's id (configurationId in the event). */
  name: z.string().min(1),
  bucket: z.string().min(1),
  /** `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `s3:ObjectRemoved:*`, ... */
  events: z.array(z.string().regex(/^s3:[A-Za-z]+:(\*|[A-Za-z]+)$/, 'must be like s3:ObjectCreated:* or s3:ObjectRemoved:Delete')).min(1),
  prefix: z.string().optional(),
  suffix: z.string().optional(),
});
export type S3Event = z.infer<typeof S3Event>;

/**
 * A bucket's notification to an SQS queue or an SNS topic (NotificationConfiguration
 * QueueConfigurations / TopicConfigurations; docs/agent.md "S3 events"): the queue gets S3's
 * event (`{"Records":[...]}`) as a message body, the topic as the message it publishes.
 */
export const BucketNotification = S3Event.omit({ type: true })
  .extend({
    /** The queue's name (the last part of its ARN). */
    queue: z.string().min(1).optional(),
    /** The topic's name (the last part of its ARN). */
    topic: z.string().min(1).optional(),
  })
  .refine((n) => (n.queue === undefined) !== (n.topic === undefined), 'a bucket notification names exactly one of queue or topic');
export type BucketNotification = z.infer<typeof BucketNotification>;

/** The key of a notification in functions.yml `bucket_notifications`: a configuration's id is unique in its bucket. */
export function bucketNotificationKey(n: { bucket: string; name: string }): string {
  return `${n.bucket}/${n.name}`;
}

/** What an object event in a bucket was (the embedded S3 server reports them). */
export interface ObjectEvent {
  bucket: string;
  key: string;
  /** `ObjectCreated:Put`, `ObjectCreated:Post`, `ObjectCreated:Copy`, `ObjectRemoved:Delete` */
  eventName: string;
  size?: number;
  eTag?: string;
  sourceIp?: string;
  /** ms since epoch */
  time: number;
}

/**
 * Where a stream mapping's batch goes once its retries are spent or its records are too old
 * (DestinationConfig.OnFailure): a queue or a topic gets Lambda's record of the failed batch
 * (the shard, the sequence numbers, not the records).
 */
export const StreamFailureDestination = z.object({ type: z.enum(['SQS', 'SNS']), target: z.string().min(1) });
export type StreamFailureDestination = z.infer<typeof StreamFailureDestination>;

/**
 * A DynamoDB stream read by the function (SAM `Type: DynamoDB`, `AWS::Lambda::EventSourceMapping`;
 * docs/agent.md "DynamoDB streams"): batches of the table's change records, in order.
 */
export const DynamoDBStreamEvent = z.object({
  type: z.literal('dynamodb'),
  /** The mapping's name (`<LogicalId><EventName>`, or the mapping's logical id). */
  name: z.string().min(1),
  table: z.string().min(1),
  batch_size: z.number().int().min(1).max(10_000).default(100),
  /** How long records gather before a batch that is not full goes (MaximumBatchingWindowInSeconds). */
  batching_window_seconds: z.number().min(0).max(300).default(0),
  /** -1: retried until the records are too old (maximum_record_age_seconds). */
  maximum_retry_attempts: z.number().int().min(-1).max(10_000).default(-1),
  /** -1: 24 hours, the stream's retention. */
  maximum_record_age_seconds: z.number().int().min(-1).max(604_800).default(-1),
  /** FunctionResponseTypes: ReportBatchItemFailures (`{batchItemFailures: [{itemIdentifier}]}`). */
  report_batch_item_failures: z.boolean().default(false),
  /** BisectBatchOnFunctionError: a failed batch is split in two and each half retried. */
  bisect_batch_on_function_error: z.boolean().default(false),
  on_failure: StreamFailureDestination.optional(),
  /** FilterCriteria patterns (JSON text); a record reaches the function when one matches. */
  filters: z.array(z.string()).optional(),
  enabled: z.boolean().default(true),
});
export type DynamoDBStreamEvent = z.infer<typeof DynamoDBStreamEvent>;

/**
 * An SQS queue read by the function (SAM `Type: SQS`, `AWS::Lambda::EventSourceMapping`;
 * docs/agent.md "SQS queues"): the agent polls the queue and invokes the function with batches
 * of its messages, deleting those the function took.
 */
export const SqsQueueEvent = z.object({
  type: z.literal('sqs'),
  /** The mapping's name (`<LogicalId><EventName>`, or the mapping's logical id). */
  name: z.string().min(1),
  /** The queue's name (QueueName of resources.yml `sqs`). */
  queue: z.string().min(1),
  batch_size: z.number().int().min(1).max(10_000).default(10),
  /** How long messages gather before a batch that is not full goes (MaximumBatchingWindowInSeconds). */
  batching_window_seconds: z.number().min(0).max(300).default(0),
  /** FunctionResponseTypes: ReportBatchItemFailures (`{batchItemFailures: [{itemIdentifier}]}`, the messageId). */
  report_batch_item_failures: z.boolean().default(false),
  /** FilterCriteria patterns (JSON text); a message that matches none is deleted without an invocation, as in Lambda. */
  filters: z.array(z.string()).optional(),
  /** ScalingConfig.MaximumConcurrency: batches of this mapping in flight at once. */
  maximum_concurrency: z.number().int().min(2).max(1000).optional(),
  enabled: z.boolean().default(true),
});
export type SqsQueueEvent = z.infer<typeof SqsQueueEvent>;

/**
 * A CloudWatch Logs subscription of the function (SAM `Type: CloudWatchLogs`,
 * `AWS::Logs::SubscriptionFilter`; docs/agent.md "Log subscriptions"): the lines of a log group
 * that match the filter pattern reach it in batches, gzipped and base64 in `awslogs.data`.
 */
export const LogSubscriptionEvent = z.object({
  type: z.literal('logs'),
  /** The subscription's name (`<LogicalId><EventName>`, or the filter's logical id). */
  name: z.string().min(1),
  /** A function's `/aws/lambda/<name>`, or a log group rules write to. */
  log_group: z.string().min(1).max(512),
  /** CloudWatch Logs' filter pattern; "" takes every line. */
  filter_pattern: z.string().max(1024).default(''),
  filter_name: z.string().min(1).max(512).optional(),
});
export type LogSubscriptionEvent = z.infer<typeof LogSubscriptionEvent>;

/**
 * A Kinesis data stream read by the function (SAM `Type: Kinesis`, `AWS::Lambda::EventSourceMapping`;
 * docs/kinesis.md): batches of each shard's records, in order, shards side by side.
 */
export const KinesisStreamEvent = z.object({
  type: z.literal('kinesis'),
  /** The mapping's name (`<LogicalId><EventName>`, or the mapping's logical id). */
  name: z.string().min(1),
  /** The stream's name (Name of resources.yml `kinesis`). */
  stream: z.string().min(1),
  /** StartingPosition: LATEST takes records put from now on; TRIM_HORIZON and AT_TIMESTAMP also the ones the stream still holds. */
  starting_position: z.enum(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']).default('LATEST'),
  /** StartingPositionTimestamp (seconds since epoch) of AT_TIMESTAMP. */
  starting_position_timestamp: z.number().optional(),
  batch_size: z.number().int().min(1).max(10_000).default(100),
  /** How long records gather before a batch that is not full goes (MaximumBatchingWindowInSeconds). */
  batching_window_seconds: z.number().min(0).max(300).default(0),
  /** -1: retried until the records are too old (maximum_record_age_seconds). */
  maximum_retry_attempts: z.number().int().min(-1).max(10_000).default(-1),
  /** -1: the stream's retention. */
  maximum_record_age_seconds: z.number().int().min(-1).max(604_800).default(-1),
  /** FunctionResponseTypes: ReportBatchItemFailures (`{batchItemFailures: [{itemIdentifier}]}`, the sequence number). */
  report_batch_item_failures: z.boolean().default(false),
  /** BisectBatchOnFunctionError: a failed batch is split in two and each half retried. */
  bisect_batch_on_function_error: z.boolean().default(false),
  /** ParallelizationFactor: batches of one shard in flight at once (records of one partition key stay in order). */
  parallelization_factor: z.number().int().min(1).max(10).default(1),
  on_failure: StreamFailureDestination.optional(),
  /** FilterCriteria patterns (JSON text, `data` matched against the decoded data when it is JSON); a record reaches the function when one matches. */
  filters: z.array(z.string()).optional(),
  enabled: z.boolean().default(true),
});
export type KinesisStreamEvent = z.infer<typeof KinesisStreamEvent>;

/** One record put to a Kinesis data stream (the storage reports each to the agent, docs/kinesis.md). */
export const KinesisRecord = z.object({
  stream: z.string(),
  shardId: z.string(),
  sequenceNumber: z.string(),
  partitionKey: z.string(),
  /** The data, base64. */
  data: z.string(),
  /** Seconds since epoch, with milliseconds. */
  approximateArrivalTimestamp: z.number(),
});
export type KinesisRecord = z.infer<typeof KinesisRecord>;
/** What one PutRecord or PutRecords stored: at most its 500 records. */
export const KinesisRecords = z.array(KinesisRecord).min(1).max(500);

/** What a table's stream records of each change (DynamoDB's StreamViewType). */
export const StreamViewType = z.enum(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']);
export type StreamViewType = z.infer<typeof StreamViewType>;

/** A DynamoDB attribute value as the wire format writes it (`{S: "x"}`, `{N: "1"}`, `{M: {...}}`, ...). */
export type AttributeValueJson = Record<string, unknown>;
const Item = z.record(z.string(), z.record(z.string(), z.unknown()));

/** One change of an item in a table whose stream is on (the embedded DynamoDB server reports them). */
export const StreamRecord = z.object({
  table: z.string(),
  /** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` */
  streamArn: z.string(),
  eventID: z.string(),
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({
    /** Seconds since epoch. */
    ApproximateCreationDateTime: z.number(),
    Keys: Item,
    NewImage: Item.optional(),
    OldImage: Item.optional(),
    SequenceNumber: z.string(),
    SizeBytes: z.number(),
    StreamViewType,
  }),
  /** Who made the change when it was not a caller: DynamoDB's time to live deleting an expired item. */
  userIdentity: z.object({ type: z.literal('Service'), principalId: z.literal('dynamodb.amazonaws.com') }).optional(),
});
export type StreamRecord = z.infer<typeof StreamRecord>;

/**
 * Where an EventBridge rule sends the events it matches (docs/eventbridge.md): a function of
 * functions.yml, invoked asynchronously, or a queue of resources.yml `sqs`. What is sent is the
 * event, or what `input`, `input_path` or `input_transformer` make of it.
 */
export const EventRuleTarget = z
  .object({
    id: z.string().min(1),
    function: z.string().min(1).optional(),
    queue: z.string().min(1).optional(),
    /** A state machine of functions.yml `state_machines`: the event (or what the input fields make of it) starts an execution. */
    state_machine: z.string().min(1).optional(),
    /** A Kinesis stream of resources.yml `kinesis`: the event (or what the input fields make of it) is put as a record (docs/kinesis.md). */
    stream: z.string().min(1).optional(),
    /** KinesisParameters.PartitionKeyPath: the record's partition key is the value at this JSONPath of the event (else the event's id). */
    partition_key_path: z.string().optional(),
    /**
     * An API destination (docs/eventbridge.md "API destinations"): the event (or what the input
     * fields make of it) is sent to this URL, with the connection's authorization and the
     * target's HttpParameters.
     */
    http: z
      .object({
        /** The API destination's name (for messages). */
        name: z.string().min(1),
        url: z.string().regex(/^https?:\/\//, 'must be an http(s) URL'),
        method: z.enum(['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']),
        headers: z.record(z.string(), z.string()).default({}),
        query: z.record(z.string(), z.string()).default({}),
        /**
         * An OAUTH_CLIENT_CREDENTIALS connection: the token is asked of `endpoint` with the
         * client's credentials (Basic) and the connection's OAuthHttpParameters, kept until it
         * expires, and asked again when the destination answers 401 or 407.
         */
        oauth: z
          .object({
            endpoint: z.string().regex(/^https?:\/\//, 'must be an http(s) URL'),
            method: z.enum(['GET', 'POST', 'PUT']),
            client_id: z.string().min(1),
            client_secret: z.string(),
            headers: z.record(z.string(), z.string()).default({}),
            query: z.record(z.string(), z.string()).default({}),
            body: z.record(z.string(), z.string()).default({}),
          })
          .optional(),
      })
      .optional(),
    /** A delivery stream of functions.yml `delivery_streams`: the event (or what the input fields make of it) is put as a record (docs/firehose.md). */
    delivery_stream: z.string().min(1).optional(),
    /** An AppSync API (its id, docs/appsync.md): the event (or what the input fields make of it) is the variables of `graphql_operation`. */
    graphql_api: z.string().min(1).optional(),
    /** An SNS topic (its name): the event (or what the input fields make of it) is published as the message its subscriptions get (docs/sns.md). */
    topic: z.string().min(1).optional(),
    /** A CloudWatch Logs log group (its name): the event (or what the input fields make of it) is a line of that log, read with `esb logs <group>`. */
    log_group: z.string().min(1).optional(),
    /** AppSyncParameters.GraphQLOperation: the mutation the API runs for each event. */
    graphql_operation: z.string().min(1).optional(),
    /** Input: this JSON text instead of the event. */
    input: z.string().optional(),
    /** InputPath: the part of the event at this JSONPath (`$.detail`). */
    input_path: z.string().optional(),
    /** InputTransformer: `<name>` in `template` replaced by the value at `paths[name]` of the event. */
    input_transformer: z.object({ paths: z.record(z.string(), z.string()).default({}), template: z.string() }).optional(),
    /** SqsParameters.MessageGroupId, for a FIFO queue. */
    message_group_id: z.string().optional(),
    /** RetryPolicy: how often and how long a delivery that failed is tried again (default 185 times, 24 hours). */
    retry_policy: z.object({ maximum_retry_attempts: z.number().int().min(0).max(185), maximum_event_age_seconds: z.number().int().min(60).max(86_400) }).optional(),
    /** DeadLetterConfig: the SQS queue (its name) an event goes to once its delivery is given up. */
    dead_letter_queue: z.string().min(1).optional(),
  })
  .refine((t) => [t.function, t.queue, t.state_machine, t.stream, t.delivery_stream, t.graphql_api, t.topic, t.log_group, t.http].filter((x) => x !== undefined).length === 1, 'a target names exactly one of function, queue, state_machine, stream, delivery_stream, graphql_api, topic, log_group or http')
  .refine((t) => (t.graphql_api === undefined) === (t.graphql_operation === undefined), 'graphql_api and graphql_operation go together')
  .refine((t) => [t.input, t.input_path, t.input_transformer].filter((x) => x !== undefined).length <= 1, 'a target takes at most one of input, input_path, input_transformer');
export type EventRuleTarget = z.infer<typeof EventRuleTarget>;

/** The fields that name where a rule's target (or a subscription) delivers, with what each is called. */
const TARGET_KINDS = [
  ['function', 'function'],
  ['queue', 'queue'],
  ['state_machine', 'state machine'],
  ['stream', 'stream'],
  ['delivery_stream', 'delivery stream'],
  ['graphql_api', 'GraphQL API'],
  ['topic', 'topic'],
  ['log_group', 'log group'],
  ['inbox', 'inbox'],
  ['bus', 'bus'],
] as const;

/** The fields of targetKindOf's argument: a target's where-to fields (an API destination's is an object). */
type TargetFields = Partial<Record<(typeof TARGET_KINDS)[number][0], string>> & { http?: { name: string } };

/** What a target delivers to, and its name: `['state machine', 'orders']`. */
export function targetKindOf(t: TargetFields): [kind: string, name: string] {
  for (const [field, kind] of TARGET_KINDS) if (t[field] !== undefined) return [kind, t[field]];
  if (t.http !== undefined) return ['API destination', t.http.name];
  return ['target', '?'];
}

/**
 * An EventBridge rule: the events put on its bus that match its pattern go to its targets; a
 * scheduled rule (ScheduleExpression, on the default bus) sends them the Scheduled Event on time.
 */
export const EventRule = z
  .object({
    bus: z.string().min(1).default('default'),
    name: z.string().min(1),
    /** EventPattern as JSON text (the syntax of FilterCriteria, docs/agent.md). */
    pattern: z.string().min(2).optional(),
    /** ScheduleExpression: rate(...) or cron(...), in UTC (docs/agent.md "Schedules"). */
    schedule: z.string().regex(/^(rate|cron)\(.+\)$/, 'must be rate(...) or cron(...)').optional(),
    enabled: z.boolean().default(true),
    targets: z.array(EventRuleTarget).min(1).max(5),
  })
  .refine((r) => (r.pattern === undefined) !== (r.schedule === undefined), 'a rule has a pattern or a schedule, one of them');
export type EventRule = z.infer<typeof EventRule>;

/** The key of a rule in functions.yml `rules`: a rule's name is unique on its bus. */
export function eventRuleKey(rule: { bus: string; name: string }): string {
  return `${rule.bus}/${rule.name}`;
}

/**
 * A subscription to an SNS topic (docs/sns.md): each message published to the topic that its
 * filter policy takes goes to a function of functions.yml, invoked asynchronously with SNS's
 * event, or to a queue of resources.yml `sqs`, as SNS's JSON envelope (or the bare message when
 * `raw`).
 */
export const TopicSubscription = z
  .object({
    /** The topic's name (the last part of its ARN). */
    topic: z.string().min(1),
    /** The subscription's name in the template (its logical id, or `<Function><Event>`). */
    id: z.string().min(1),
    function: z.string().min(1).optional(),
    queue: z.string().min(1).optional(),
    /** A delivery stream of functions.yml `delivery_streams` (protocol firehose, docs/firehose.md): each message is put as a record. */
    delivery_stream: z.string().min(1).optional(),
    /** An email, email-json or sms endpoint (`email:me@example.com`): each message is a line of that inbox's log, read with `esb logs <inbox>` (docs/sns.md). */
    inbox: z.string().regex(/^(email|email-json|sms):.+$/).optional(),
    /** FilterPolicy as JSON text. */
    filter_policy: z.string().min(2).optional(),
    /** What the filter policy is matched against. */
    filter_scope: z.enum(['MessageAttributes', 'MessageBody']).default('MessageAttributes'),
    /** RawMessageDelivery: a queue gets the message itself, its attributes as message attributes; a delivery stream the message itself. */
    raw: z.boolean().default(false),
  })
  .refine((t) => [t.function, t.queue, t.delivery_stream, t.inbox].filter((x) => x !== undefined).length === 1, 'a subscription names exactly one of function, queue, delivery_stream or inbox');
export type TopicSubscription = z.infer<typeof TopicSubscription>;

/** The key of a subscription in functions.yml `subscriptions`. */
export function topicSubscriptionKey(s: { topic: string; id: string }): string {
  return `${s.topic}/${s.id}`;
}

/** One message as a topic carries it: what Publish was given, with its id and time. */
export const TopicMessage = z.object({
  topic: z.string().min(1),
  messageId: z.string(),
  /** The message, or for MessageStructure json its text for each protocol (`default` at least). */
  message: z.string(),
  perProtocol: z.record(z.string(), z.string()).optional(),
  subject: z.string().optional(),
  /** ISO time with milliseconds, as SNS writes Timestamp. */
  timestamp: z.string(),
  attributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })).default({}),
  groupId: z.string().optional(),
  deduplicationId: z.string().optional(),
  /** The publisher's trace header (X-Amzn-Trace-Id): how far its chain of invocations has come. */
  traceHeader: z.string().optional(),
  /** Subscriptions of the topic made at run time (Subscribe), delivered besides functions.yml's (docs/sns.md). */
  subscriptions: z.array(TopicSubscription).max(10_000).optional(),
});
export type TopicMessage = z.infer<typeof TopicMessage>;
/** What one Publish or PublishBatch accepted: 1-10 messages. */
export const TopicMessages = z.array(TopicMessage).min(1).max(10);

/** One event as a bus carries it: what PutEvents was given, with its id, time, account and region. */
export const BusEvent = z.object({
  bus: z.string().min(1),
  event: z.object({
    version: z.literal('0'),
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.record(z.string(), z.unknown()),
  }),
});
export type BusEvent = z.infer<typeof BusEvent>;
/** What one PutEvents accepted, as the storage hands it to the agent: 1-10 events. */
export const BusEvents = z.array(BusEvent).min(1).max(10);

/**
 * A Step Functions state machine (docs/step-functions.md): its definition in the Amazon States
 * Language, with the template's substitutions done, run by the agent.
 */
export const StateMachine = z.object({
  /** The state machine's name (the last part of its ARN, STATE_MACHINE_NAME). */
  name: z.string().regex(STATE_MACHINE_NAME, '1-80 letters, digits, "-" and "_"'),
  type: z.enum(['STANDARD', 'EXPRESS']).default('STANDARD'),
  /** The definition as a JSON object (StartAt, States, ...). */
  definition: z.record(z.string(), z.unknown()),
  /** Schedules that start an execution (SAM Schedule / ScheduleV2 events, a rule's ScheduleExpression); `input` is its JSON text. */
  schedules: z.array(ScheduleEvent.omit({ type: true })).default([]),
});
export type StateMachine = z.infer<typeof StateMachine>;

/**
 * An Amazon Data Firehose delivery stream to S3 (docs/firehose.md), run by the agent: records
 * put to it (or to its Kinesis stream) are buffered, transformed by the processor function when
 * it has one, and written to the bucket as objects.
 */
export const DeliveryStream = z.object({
  /** The delivery stream's name (the last part of its ARN). */
  name: z.string().regex(DELIVERY_STREAM_NAME, '1-64 letters, digits, "_", "." and "-"'),
  /** DirectPut (PutRecord, PutRecordBatch, SNS subscriptions) or KinesisStreamAsSource (the records of a Kinesis stream of resources.yml `kinesis`). */
  source: z.discriminatedUnion('type', [z.object({ type: z.literal('direct') }), z.object({ type: z.literal('kinesis'), stream: z.string().min(1) })]).default({ type: 'direct' }),
  destination: z.object({
    /** The bucket's name (BucketName of resources.yml `s3`). */
    bucket: z.string().min(1),
    /** Prefix, `!{timestamp:...}` and `!{firehose:random-string}` evaluated; without a timestamp expression `yyyy/MM/dd/HH/` follows it. */
    prefix: z.string().max(1024).default(''),
    /** ErrorOutputPrefix: where records that failed go (`!{firehose:error-output-type}` is `processing-failed`). */
    error_output_prefix: z.string().max(1024).optional(),
    /** BufferingHints.IntervalInSeconds: a buffer is written this long after its first record. */
    buffer_seconds: z.number().int().min(0).max(900).default(300),
    /** BufferingHints.SizeInMBs: or once it holds this much. */
    buffer_mb: z.number().int().min(1).max(128).default(5),
    compression: z.enum(['UNCOMPRESSED', 'GZIP']).default('UNCOMPRESSED'),
    /** FileExtension: what object names end with (default `.gz` for GZIP, else nothing). */
    file_extension: z.string().optional(),
    /** The Lambda processor (ProcessingConfiguration): the function that transforms each batch. */
    processor: z
      .object({
        function: z.string().min(1),
        /** NumberOfRetries: more attempts of a failed invocation. */
        retries: z.number().int().min(0).max(300).default(3),
        /** BufferSizeInMBs: an invocation gets at most this much data. */
        buffer_mb: z.number().min(0.2).max(3).default(1),
      })
      .optional(),
    /**
     * HttpEndpointDestinationConfiguration: the records go to this endpoint as Firehose's HTTP
     * endpoint requests (docs/firehose.md "HTTP endpoints"); `bucket` (S3Configuration) then
     * gets what the endpoint did not take, or every record with `backup_all` (S3BackupMode AllData).
     */
    http: z
      .object({
        url: z.string().regex(/^https?:\/\//, 'must be an http(s) URL'),
        access_key: z.string().optional(),
        gzip: z.boolean().default(false),
        common_attributes: z.record(z.string(), z.string()).default({}),
        /** RetryOptions.DurationInSeconds: how long a batch the endpoint did not take is tried again. */
        retry_seconds: z.number().int().min(0).max(7200).default(300),
        backup_all: z.boolean().default(false),
      })
      .optional(),
    /** S3BackupMode Enabled: the source records, as they came (before the processor), also go to S3BackupConfiguration's bucket. */
    backup: z
      .object({
        bucket: z.string().min(1),
        prefix: z.string().max(1024).default(''),
        compression: z.enum(['UNCOMPRESSED', 'GZIP']).default('UNCOMPRESSED'),
      })
      .optional(),
  }),
});
export type DeliveryStream = z.infer<typeof DeliveryStream>;

/**
 * A function's LoggingConfig (docs/agent.md, "Log lines"): its log lines as text or JSON, the
 * lowest level of what its code logs (`application_level`) and of Lambda's own lines
 * (`system_level`), both JSON only, and the log group its lines go to.
 */
export const FunctionLogging = z.object({
  format: z.enum(['Text', 'JSON']).default('Text'),
  application_level: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']).optional(),
  system_level: z.enum(['DEBUG', 'INFO', 'WARN']).optional(),
  log_group: z.string().min(1).max(512).optional(),
});
export type FunctionLogging = z.infer<typeof FunctionLogging>;

/** A destination of asynchronous invocations: a queue, a topic, a bus or a function, by name. */
export const AsyncDestination = z.object({ type: z.enum(['SQS', 'SNS', 'EventBridge', 'Lambda']), target: z.string().min(1) });
export type AsyncDestination = z.infer<typeof AsyncDestination>;

export const FunctionConfig = z.object({
  // Docker runtime: the image to run. Process runtime: ignored.
  image: z.string().optional(),
  package_type: z.enum(['Zip', 'Image']).default('Zip'),
  runtime: z.string().optional(),
  handler: z.string().optional(),
  // Process runtime: the function's code folder (relative to the artifact root inside an
  // artifact, absolute once applied). Absent for image functions.
  code: z.string().optional(),
  timeout: z.number().positive().default(3),
  memory_size: z.number().int().min(128).max(10240).default(128),
  architectures: z.array(z.enum(['x86_64', 'arm64'])).optional(),
  environment: StringMap.default({}),
  scaling: Scaling.default({}),
  layers: z.array(Layer).default([]),
  events: z.array(z.discriminatedUnion('type', [ScheduleEvent, S3Event, DynamoDBStreamEvent, SqsQueueEvent, KinesisStreamEvent, LogSubscriptionEvent])).default([]),
  url: FunctionUrl.optional(),
  /**
   * Retries of a failed asynchronous invocation (S3 events, schedules): SAM's
   * EventInvokeConfig.MaximumRetryAttempts; absent: 2, as Lambda (docs/agent.md "Asynchronous invocations").
   */
  async_retries: z.number().int().min(0).max(2).optional(),
  /**
   * Seconds an asynchronous invocation of a throttled function is tried again for, from when it
   * came: EventInvokeConfig.MaximumEventAgeInSeconds; absent: 6 hours, as Lambda.
   */
  async_max_event_age: z.number().int().min(60).max(21_600).optional(),
  /**
   * Queues an asynchronous invocation goes to once its retries are spent (docs/agent.md
   * "Asynchronous invocations"): `dlq` gets the event itself, as Lambda's dead-letter queue
   * (SAM DeadLetterQueue, DeadLetterConfig); `destination` gets Lambda's invocation record
   * (EventInvokeConfig.DestinationConfig.OnFailure).
   */
  async_failure_queues: z.array(z.object({ kind: z.enum(['dlq', 'destination']), queue: z.string().min(1) })).optional(),
  /**
   * Where an asynchronous invocation's record goes once it is done (docs/agent.md "Asynchronous
   * invocations"), as EventInvokeConfig.DestinationConfig says: `on_success` when the function
   * returned, `on_failure` when its retries are spent (an SQS on-failure destination is in
   * async_failure_queues).
   */
  async_destinations: z.object({ on_success: AsyncDestination.optional(), on_failure: AsyncDestination.optional() }).optional(),
  /**
   * A durable function (SAM / Lambda DurableConfig; docs/durable-functions.md): an invocation starts
   * a durable execution, which ends as failed (TIMED_OUT) past `execution_timeout` seconds.
   */
  durable: z.object({ execution_timeout: z.number().int().min(1).max(31_622_400), retention_days: z.number().int().min(1).max(90).default(14) }).optional(),
  /**
   * X-Ray tracing (SAM Tracing, TracingConfig.Mode; absent: PassThrough): an Active function's
   * invocations are sampled (`Sampled=1` in their trace header) unless the caller decided
   * otherwise (docs/agent.md "Trace id").
   */
  tracing: z.enum(['Active', 'PassThrough']).optional(),
  /** LoggingConfig (docs/agent.md, "Log lines"): absent, plain text in `/aws/lambda/<name>` with every level. */
  logging: FunctionLogging.optional(),
  // Digest of everything that makes an instance (code, layers, image, env, config): the
  // agent replaces instances when it changes.
  digest: z.string().optional(),
});
export type FunctionConfig = z.infer<typeof FunctionConfig>;

export const FunctionDefaults = z.object({
  environment: StringMap.default({}),
  scaling: z
    .object({
      idle_timeout: z.number().min(0).optional(),
      acquire_timeout: z.number().min(0).optional(),
    })
    .default({}),
});

export const FunctionsFile = z.object({
  defaults: FunctionDefaults.default({ environment: {}, scaling: {} }),
  functions: z.record(z.string().min(1), FunctionConfig).default({}),
  /** EventBridge rules by `<bus>/<name>` (eventRuleKey); merged by that key, last write wins. */
  rules: z.record(z.string().min(1), EventRule).optional(),
  /** SNS topic subscriptions by `<topic>/<id>` (topicSubscriptionKey); merged by that key, last write wins. */
  subscriptions: z.record(z.string().min(1), TopicSubscription).optional(),
  /** Step Functions state machines by name; merged by name, last write wins. */
  state_machines: z.record(z.string().min(1), StateMachine).optional(),
  /** Firehose delivery streams by name (docs/firehose.md); merged by name, last write wins. */
  delivery_streams: z.record(z.string().min(1), DeliveryStream).optional(),
  /** S3 notifications to queues and topics by `<bucket>/<id>` (bucketNotificationKey); merged by that key, last write wins. */
  bucket_notifications: z.record(z.string().min(1), BucketNotification).optional(),
  /** Buckets that send their object events to the default event bus (EventBridgeConfiguration; docs/agent.md "S3 events"); merged as a set. */
  eventbridge_buckets: z.array(z.string().min(1)).optional(),
});
export type FunctionsFile = z.infer<typeof FunctionsFile>;

// ---------------------------------------------------------------- routing.yml

export const HttpMethod = z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'ANY']);

export const Cors = z.object({
  allow_origins: z.array(z.string()).default([]),
  allow_methods: z.array(z.string()).default([]),
  allow_headers: z.array(z.string()).default([]),
  expose_headers: z.array(z.string()).default([]),
  max_age: z.number().int().min(0).optional(),
  allow_credentials: z.boolean().default(false),
});
export type Cors = z.infer<typeof Cors>;

// Per-route authorization (docs/security.md). Kept open-ended (`passthrough`) so that
// the gateway can grow authorizer kinds without breaking older CONFIG_DIRs.
export const RouteAuth = z
  .object({
    authorizer: z.string().optional(),
    api_key_required: z.boolean().optional(),
    scopes: z.array(z.string()).optional(),
  })
  .passthrough();

// An API's authorizer (docs/security.md). `token` / `request`: a Lambda authorizer of a REST
// API (`request` also for HTTP APIs); `jwt`: an HTTP API JWT authorizer.
export const Authorizer = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('token'),
    function: z.string().min(1),
    /** Where the token is, e.g. `method.request.header.Authorization`. */
    identity_source: z.string().default('method.request.header.Authorization'),
    validation_expression: z.string().optional(),
    /** Result cache TTL in seconds (API Gateway's default 300; 0 turns caching off). */
    ttl_seconds: z.number().int().min(0).max(3600).default(300),
  }),
  z.object({
    type: z.literal('request'),
    function: z.string().min(1),
    /** e.g. `method.request.header.X-Key`, `$request.header.X-Key`, `method.request.querystring.q`. */
    identity_sources: z.array(z.string()).default([]),
    ttl_seconds: z.number().int().min(0).max(3600).default(300),
    /** HTTP APIs: the event payload sent to the authorizer. REST APIs always use 1.0. */
    payload_format_version: z.enum(['1.0', '2.0']).default('1.0'),
    /** HTTP APIs with payload 2.0: `{isAuthorized, context}` instead of an IAM policy. */
    simple_responses: z.boolean().default(false),
  }),
  z.object({
    /** A REST API's Cognito user pool authorizer (docs/security.md, "Cognito user pools"). */
    type: z.literal('cognito'),
    identity_source: z.string().default('method.request.header.Authorization'),
    /** The issuers of the user pools named by ARN; pools of the template itself (ids AWS makes) are not among them. */
    issuers: z.array(z.string()).default([]),
    /** Whether a pool of the template is one of them: then a token of any user pool issuer is taken. */
    template_pools: z.boolean().default(false),
    validation_expression: z.string().optional(),
  }),
  z.object({
    type: z.literal('jwt'),
    identity_source: z.string().default('$request.header.Authorization'),
    issuer: z.string().min(1),
    audience: z.array(z.string()).default([]),
    /** Where the issuer's keys are: a URL (default `<issuer>/.well-known/jwks.json`) or a local JWKS file (offline use). */
    jwks_uri: z.string().optional(),
    jwks_file: z.string().optional(),
  }),
]);
export type Authorizer = z.infer<typeof Authorizer>;

export type RouteAuth = z.infer<typeof RouteAuth>;

/** A REST method's request validation (docs/gateway.md, "Request validation"). */
export const RequestValidation = z.object({
  /** What the request must carry: `method.request.querystring.<name>`, `method.request.header.<name>`, `method.request.path.<name>`. */
  parameters: z.array(z.string().regex(/^method\.request\.(querystring|header|path)\.\S+$/, 'must be method.request.querystring|header|path.<name>')).default([]),
  /** The JSON Schema (draft 4, references inlined) the body must match; no schema: the body is not checked. */
  body: z.record(z.string(), z.unknown()).optional(),
});
export type RequestValidation = z.infer<typeof RequestValidation>;

export const Route = z.object({
  /** A resource path, or `$default`: an HTTP API's catch-all route (requests no other route takes). */
  path: z.string().regex(/^(\/[^\s]*|\$default)$/, 'must start with "/" and hold no spaces (or be "$default", the catch-all route of an HTTP API)'),
  method: HttpMethod,
  function: z.string().min(1),
  api: z.string().min(1),
  auth: RouteAuth.optional(),
  validation: RequestValidation.optional(),
  /** A REST API's Lambda proxy integration with responseTransferMode STREAM: what the function streams is written as it comes. */
  response_stream: z.literal(true).optional(),
});
export type Route = z.infer<typeof Route>;

/** What a REST API's gateway answers itself (not its functions), by kind (docs/gateway.md, "Gateway responses"). */
export const GATEWAY_RESPONSE_TYPES = [
  'ACCESS_DENIED',
  'API_CONFIGURATION_ERROR',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'AUTHORIZER_FAILURE',
  'BAD_REQUEST_BODY',
  'BAD_REQUEST_PARAMETERS',
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'EXPIRED_TOKEN',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
  'INVALID_API_KEY',
  'INVALID_SIGNATURE',
  'MISSING_AUTHENTICATION_TOKEN',
  'QUOTA_EXCEEDED',
  'REQUEST_TOO_LARGE',
  'RESOURCE_NOT_FOUND',
  'THROTTLED',
  'UNAUTHORIZED',
  'UNSUPPORTED_MEDIA_TYPE',
  'WAF_FILTERED',
] as const;
export const GatewayResponseType = z.enum(GATEWAY_RESPONSE_TYPES);
export type GatewayResponseType = z.infer<typeof GatewayResponseType>;

export const GatewayResponse = z.object({
  /** Replaces the answer's status (a DEFAULT_4XX / DEFAULT_5XX status applies to its whole class). */
  status_code: z.number().int().min(100).max(599).optional(),
  /** header -> value as API Gateway writes it: `'literal'`, `method.request.header.<name>`, `method.request.querystring.<name>`, `method.request.path.<name>`, `stageVariables.<name>` or `context.<variable>`. */
  headers: StringMap.default({}),
  /** content type -> body template (Velocity, with $context, $stageVariables and $util). */
  templates: StringMap.default({}),
});
export type GatewayResponse = z.infer<typeof GatewayResponse>;

/** Requests per second a key may make, with bursts up to `burst_limit` (a token bucket). */
export const Throttle = z.object({
  rate_limit: z.number().min(0),
  burst_limit: z.number().int().min(0),
});
export type Throttle = z.infer<typeof Throttle>;

/** A usage plan's limits for the keys in it, as they apply to one API (docs/security.md, "Usage plans"). */
export const UsagePlan = z.object({
  /** Shared by every API of the plan: its keys' throttle and quota count across them. */
  id: z.string().min(1),
  /** The values of the plan's keys (those esb knows). */
  keys: z.array(z.string().min(1)),
  throttle: Throttle.optional(),
  /** `/resource/METHOD` -> the throttle of that method instead of the plan's. */
  method_throttle: z.record(z.string().regex(/^\/\S*\/[A-Z*]+$/, 'must be "/resource/METHOD"'), Throttle).default({}),
  quota: z
    .object({
      limit: z.number().int().min(0),
      period: z.enum(['DAY', 'WEEK', 'MONTH']),
      /** Requests taken off the limit in the first period. */
      offset: z.number().int().min(0).default(0),
    })
    .optional(),
});
export type UsagePlan = z.infer<typeof UsagePlan>;

export const ApiConfig = z.object({
  type: z.enum(['rest', 'http']),
  stage: z.string().default('$default'),
  stage_variables: StringMap.default({}),
  binary_media_types: z.array(z.string()).default([]),
  cors: Cors.optional(),
  /**
   * REST APIs with `cors`: the authorization of the OPTIONS methods SAM adds, its DefaultAuthorizer
   * and API key unless `AddDefaultAuthorizerToCorsPreflight` / `AddApiKeyRequiredToCorsPreflight`
   * are false (docs/gateway.md, "CORS").
   */
  cors_preflight_auth: RouteAuth.optional(),
  payload_format_version: z.enum(['1.0', '2.0']).optional(),
  authorizers: z.record(z.string(), Authorizer).optional(),
  /** API keys of the template that may call this API (through a usage plan), besides the configured ones (docs/security.md). */
  api_keys: z.array(z.string().min(1)).optional(),
  /** The usage plans of those keys: throttles and quotas per key. */
  usage_plans: z.array(UsagePlan).optional(),
  /** REST APIs: the gateway's own answers (errors) as the template customizes them. */
  gateway_responses: z.partialRecord(GatewayResponseType, GatewayResponse).optional(),
});
export type ApiConfig = z.infer<typeof ApiConfig>;

/** The route keys API Gateway gives a WebSocket API's connection events. */
export const WEBSOCKET_CONNECT = '$connect';
export const WEBSOCKET_DISCONNECT = '$disconnect';
export const WEBSOCKET_DEFAULT = '$default';

/** One route of a WebSocket API (docs/gateway.md, "WebSocket APIs"). */
export const WebSocketRoute = z.object({
  /** `$connect`, `$disconnect`, `$default`, or a value the API's route selection expression yields. */
  key: z.string().min(1).max(128),
  /** The function invoked with the WebSocket proxy event (an AWS integration's built-in function too); none: a MOCK integration. */
  function: z.string().min(1).optional(),
  /** A two-way route (it has a route response): the integration's answer is sent back on the connection. */
  respond: z.boolean().default(false),
  /** A two-way MOCK route's answer, as its integration response template writes it. */
  mock_response: z.string().optional(),
  /** `$connect` only: the API's authorizer that must allow the connection (or `AWS_IAM`), and whether it needs an API key. */
  auth: RouteAuth.optional(),
});
export type WebSocketRoute = z.infer<typeof WebSocketRoute>;

/** A WebSocket API: served at ws://<host>/<stage> (docs/gateway.md, "WebSocket APIs"). */
export const WebSocketApi = z.object({
  stage: z.string().min(1).default('$default'),
  stage_variables: StringMap.default({}),
  /** `$request.body.<field>[.<field>...]`, or text with such `${...}` parts; a route key of what it yields, else `$default`. */
  route_selection: z.string().min(1).default('$request.body.action'),
  routes: z.array(WebSocketRoute).default([]),
  /** REQUEST authorizers (identity sources as `method.request.header.X` / `method.request.querystring.X`). */
  authorizers: z.record(z.string(), Authorizer).optional(),
  /** API keys of the template that may connect, besides the configured ones. */
  api_keys: z.array(z.string().min(1)).optional(),
});
export type WebSocketApi = z.infer<typeof WebSocketApi>;

/**
 * An Application Load Balancer whose target groups are Lambda functions (docs/gateway.md
 * "Application Load Balancers"): served at <name>.elb.localhost, its listeners' rules in
 * priority order, then their default actions.
 */
const LoadBalancerTarget = z.object({
  /** The target group's ARN (the event's requestContext.elb.targetGroupArn). */
  arn: z.string().min(1),
  /** The function registered in it; none: a target group without a Lambda target answers 503. */
  function: z.string().min(1).optional(),
  weight: z.number().int().min(0).max(999).default(1),
  /** The target group's lambda.multi_value_headers.enabled. */
  multi_value_headers: z.boolean().default(false),
});
export const LoadBalancerAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('forward'), target_groups: z.array(LoadBalancerTarget).min(1) }),
  z.object({ type: z.literal('fixed-response'), status_code: z.number().int().min(200).max(599), content_type: z.string().optional(), message_body: z.string().max(1024).optional() }),
  z.object({
    type: z.literal('redirect'),
    status_code: z.enum(['HTTP_301', 'HTTP_302']),
    protocol: z.string().optional(),
    port: z.string().optional(),
    host: z.string().optional(),
    path: z.string().optional(),
    query: z.string().optional(),
  }),
]);
export type LoadBalancerAction = z.infer<typeof LoadBalancerAction>;
export const LoadBalancerCondition = z.discriminatedUnion('field', [
  z.object({ field: z.enum(['path-pattern', 'host-header', 'http-request-method', 'source-ip']), values: z.array(z.string().min(1)).min(1) }),
  z.object({ field: z.literal('http-header'), header: z.string().min(1), values: z.array(z.string().min(1)).min(1) }),
  z.object({ field: z.literal('query-string'), values: z.array(z.object({ key: z.string().optional(), value: z.string().min(1) })).min(1) }),
]);
export type LoadBalancerCondition = z.infer<typeof LoadBalancerCondition>;
export const LoadBalancer = z.object({
  listeners: z
    .array(
      z.object({
        port: z.number().int().min(1).max(65535),
        protocol: z.enum(['HTTP', 'HTTPS']),
        rules: z.array(z.object({ priority: z.number().int().min(1).max(50000), conditions: z.array(LoadBalancerCondition).min(1), actions: z.array(LoadBalancerAction).min(1) })).default([]),
        default_actions: z.array(LoadBalancerAction).min(1),
      }),
    )
    .default([]),
});
export type LoadBalancer = z.infer<typeof LoadBalancer>;

export const RoutingFile = z.object({
  routes: z.array(Route).default([]),
  apis: z.record(z.string().min(1), ApiConfig).default({}),
  /** WebSocket APIs by id; merged by id, last write wins. */
  websockets: z.record(z.string().min(1), WebSocketApi).optional(),
  /** Application Load Balancers by name (lower case: their host label); merged by name, last write wins. */
  load_balancers: z.record(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, 'must be 1-32 lower-case letters, digits and hyphens'), LoadBalancer).optional(),
});
export type RoutingFile = z.infer<typeof RoutingFile>;

// ---------------------------------------------------------------- stacks.yml

// Each deployed stack's own routes (served alone at http://<stack>.localhost) and who owns each
// function, route, table and bucket of the merged files (docs/apply.md, "Stacks and owners").
const Owners = z.object({
  functions: StringMap.default({}),
  routes: StringMap.default({}),
  tables: StringMap.default({}),
  buckets: StringMap.default({}),
  queues: StringMap.default({}),
  rules: StringMap.default({}),
  subscriptions: StringMap.default({}),
  state_machines: StringMap.default({}),
  streams: StringMap.default({}),
  delivery_streams: StringMap.default({}),
  bucket_notifications: StringMap.default({}),
  secrets: StringMap.default({}),
  parameters: StringMap.default({}),
});

/**
 * One of a stack's Outputs as the deploy resolved it (docs/generate.md "Outputs and exports"):
 * its value, or why esb has none for it (`problem`), its Description and its Export.Name.
 */
export const StackOutput = z.object({
  value: z.string().optional(),
  problem: z.string().optional(),
  /**
   * When the value depends on a resource esb does not run (the `problem` names it): what stands
   * in for it where it is used, as a reference in the stack would give; an `!ImportValue` of its
   * export gets it, with a warning (docs/generate.md "Outputs and exports").
   */
  placeholder: z.string().optional(),
  description: z.string().optional(),
  export: z.string().min(1).optional(),
});
export type StackOutput = z.infer<typeof StackOutput>;

/** outputs.yml of an artifact's runtime config folder: the stack's Outputs by key, in template order. */
export const OutputsFile = z.object({
  outputs: z.record(z.string().min(1), StackOutput).default({}),
});
export type OutputsFile = z.infer<typeof OutputsFile>;

export const StackRecord = z.object({
  /** The Deployment (namespace/name) that last applied the stack, when known. */
  deployment: z.string().optional(),
  /** Absolute path of the template it was generated from, when known. */
  template: z.string().optional(),
  /** The digest of the artifact entry last applied: what a gateway that loaded it reports (docs/apply.md, "Stacks and owners"). */
  digest: z.string().optional(),
  /** The stack's Outputs; their Export names are what `!ImportValue` of other stacks reads (docs/apply.md, "Stacks and owners"). */
  outputs: z.record(z.string().min(1), StackOutput).optional(),
  routing: RoutingFile.default({ routes: [], apis: {} }),
});
export type StackRecord = z.infer<typeof StackRecord>;

export const StacksFile = z.object({
  stacks: z.record(z.string().min(1), StackRecord).default({}),
  /** kind -> key -> the stack that last deployed it. */
  owners: Owners.default({ functions: {}, routes: {}, tables: {}, buckets: {}, queues: {}, rules: {}, subscriptions: {}, state_machines: {}, streams: {}, delivery_streams: {}, bucket_notifications: {}, secrets: {}, parameters: {} }),
});
export type StacksFile = z.infer<typeof StacksFile>;

export const EMPTY_STACKS: StacksFile = { stacks: {}, owners: { functions: {}, routes: {}, tables: {}, buckets: {}, queues: {}, rules: {}, subscriptions: {}, state_machines: {}, streams: {}, delivery_streams: {}, bucket_notifications: {}, secrets: {}, parameters: {} } };

// ---------------------------------------------------------------- resources.yml (CloudFormation field names)

const KeySchemaElement = z.object({ AttributeName: z.string().min(1), KeyType: z.enum(['HASH', 'RANGE']) });
const AttributeDefinition = z.object({ AttributeName: z.string().min(1), AttributeType: z.enum(['S', 'N', 'B']) });
const Projection = z.object({
  ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']).optional(),
  NonKeyAttributes: z.array(z.string()).optional(),
});
const Throughput = z.object({ ReadCapacityUnits: z.number().int().min(1), WriteCapacityUnits: z.number().int().min(1) });
const SecondaryIndex = z.object({
  IndexName: z.string().min(1),
  KeySchema: z.array(KeySchemaElement).min(1).max(2),
  Projection: Projection.default({ ProjectionType: 'ALL' }),
  ProvisionedThroughput: Throughput.optional(),
});

export const DynamoTable = z.object({
  TableName: z.string().min(3).max(255),
  KeySchema: z.array(KeySchemaElement).min(1).max(2),
  AttributeDefinitions: z.array(AttributeDefinition).min(1),
  GlobalSecondaryIndexes: z.array(SecondaryIndex).optional(),
  LocalSecondaryIndexes: z.array(SecondaryIndex).optional(),
  BillingMode: z.enum(['PROVISIONED', 'PAY_PER_REQUEST']).optional(),
  ProvisionedThroughput: Throughput.optional(),
  StreamSpecification: z
    .object({ StreamViewType })
    .optional(),
  /** The Kinesis data stream the table's changes also go to (docs/kinesis.md, "From DynamoDB"). */
  KinesisStreamSpecification: z
    .object({ StreamArn: z.string().min(1), ApproximateCreationDateTimePrecision: z.enum(['MILLISECOND', 'MICROSECOND']).optional() })
    .optional(),
  /** Items whose attribute AttributeName (a Number, epoch seconds) is past are deleted (docs/provisioner.md "Time to live"). */
  TimeToLiveSpecification: z.object({ AttributeName: z.string().min(1).max(255), Enabled: z.boolean() }).optional(),
});
export type DynamoTable = z.infer<typeof DynamoTable>;

export const LifecycleRule = z.object({
  Id: z.string().optional(),
  Status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  Prefix: z.string().optional(),
  ExpirationInDays: z.number().int().min(1).optional(),
});

export const S3Bucket = z.object({
  BucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  LifecycleConfiguration: z.object({ Rules: z.array(LifecycleRule) }).optional(),
});
export type S3Bucket = z.infer<typeof S3Bucket>;

/** A queue name as SQS takes it: 1-80 letters, digits, `-` and `_`, `.fifo` at the end of a FIFO queue's. */
export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$|^[A-Za-z0-9_-]{1,75}\.fifo$/;

/** An SQS queue (AWS::SQS::Queue's properties; docs/provisioner.md). */
export const SqsQueue = z.object({
  QueueName: z.string().regex(QUEUE_NAME, 'must be 1-80 letters, digits, - or _ (a FIFO queue\'s ending in .fifo)'),
  FifoQueue: z.boolean().optional(),
  ContentBasedDeduplication: z.boolean().optional(),
  DelaySeconds: z.number().int().min(0).max(900).optional(),
  MaximumMessageSize: z.number().int().min(1024).max(1_048_576).optional(),
  MessageRetentionPeriod: z.number().int().min(60).max(1_209_600).optional(),
  ReceiveMessageWaitTimeSeconds: z.number().int().min(0).max(20).optional(),
  VisibilityTimeout: z.number().int().min(0).max(43_200).optional(),
  /** Messages received more than maxReceiveCount times move to the queue of deadLetterTargetArn. */
  RedrivePolicy: z.object({ deadLetterTargetArn: z.string().min(1), maxReceiveCount: z.number().int().min(1).max(1000) }).optional(),
});
export type SqsQueue = z.infer<typeof SqsQueue>;

/** A Kinesis data stream (AWS::Kinesis::Stream's properties; docs/kinesis.md). */
export const KinesisStream = z.object({
  Name: z.string().regex(KINESIS_STREAM_NAME, 'must be 1-128 letters, digits, _, . or -'),
  /** Shards of a PROVISIONED stream (an ON_DEMAND stream starts with 4, as Kinesis). */
  ShardCount: z.number().int().min(1).max(MAX_KINESIS_SHARDS).optional(),
  StreamModeDetails: z.object({ StreamMode: z.enum(['PROVISIONED', 'ON_DEMAND']) }).optional(),
  RetentionPeriodHours: z.number().int().min(24).max(8760).optional(),
});
export type KinesisStream = z.infer<typeof KinesisStream>;

/** A template's GenerateSecretString (the provisioner makes the value once, as CloudFormation; docs/secrets.md). */
export const GenerateSecretString = z.object({
  SecretStringTemplate: z.string().optional(),
  GenerateStringKey: z.string().min(1).optional(),
  PasswordLength: z.number().int().min(1).max(MAX_PASSWORD_LENGTH).optional(),
  ExcludeCharacters: z.string().optional(),
  ExcludeNumbers: z.boolean().optional(),
  ExcludePunctuation: z.boolean().optional(),
  ExcludeUppercase: z.boolean().optional(),
  ExcludeLowercase: z.boolean().optional(),
  IncludeSpace: z.boolean().optional(),
  RequireEachIncludedType: z.boolean().optional(),
});
export type GenerateSecretString = z.infer<typeof GenerateSecretString>;

/** A Secrets Manager secret (AWS::SecretsManager::Secret's properties; docs/secrets.md): a value, a generated one, or none. */
export const SecretsManagerSecret = z
  .object({
    Name: z.string().regex(SECRET_NAME, 'must be 1-512 of letters, digits and /_+=.@-'),
    Description: z.string().max(2048).optional(),
    SecretString: z.string().refine((v) => Buffer.byteLength(v) <= MAX_SECRET_VALUE_BYTES, 'must be at most 64 KiB').optional(),
    GenerateSecretString: GenerateSecretString.optional(),
    Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).optional(),
  })
  .refine((s) => s.SecretString === undefined || s.GenerateSecretString === undefined, 'a secret takes SecretString or GenerateSecretString, not both');
export type SecretsManagerSecret = z.infer<typeof SecretsManagerSecret>;

/** An SSM parameter (AWS::SSM::Parameter's properties; docs/secrets.md). CloudFormation makes no SecureString. */
export const SsmParameter = z.object({
  Name: z.string().regex(PARAMETER_NAME, 'must be letters, digits, _ . - and / (at most 1011)'),
  Type: z.enum(['String', 'StringList']),
  Value: z.string().min(1).refine((v) => Buffer.byteLength(v) <= MAX_ADVANCED_PARAMETER_BYTES, 'must be at most 8 KiB'),
  Description: z.string().max(1024).optional(),
  AllowedPattern: z.string().max(1024).optional(),
  DataType: z.string().optional(),
  Tier: z.enum(['Standard', 'Advanced', 'Intelligent-Tiering']).optional(),
  Tags: z.record(z.string(), z.string()).optional(),
});
export type SsmParameter = z.infer<typeof SsmParameter>;

/** An EventBridge Scheduler schedule group (AWS::Scheduler::ScheduleGroup; docs/eventbridge.md): provisioned into the storage's Scheduler. */
export const ScheduleGroupResource = z.object({
  Name: z.string().regex(SCHEDULE_NAME, 'must be 1-64 letters, digits, ".", "-" or "_"'),
  Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).optional(),
});
export type ScheduleGroupResource = z.infer<typeof ScheduleGroupResource>;

/**
 * An EventBridge Scheduler schedule (AWS::Scheduler::Schedule's properties, dates as ISO text;
 * docs/eventbridge.md): provisioned into the storage's Scheduler, which runs it and hands what it
 * sends to the agent.
 */
export const SchedulerScheduleResource = z.object({
  Name: z.string().regex(SCHEDULE_NAME, 'must be 1-64 letters, digits, ".", "-" or "_"'),
  GroupName: z.string().regex(SCHEDULE_NAME, 'must be 1-64 letters, digits, ".", "-" or "_"').default('default'),
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).optional(),
  StartDate: z.string().datetime({ offset: true }).optional(),
  EndDate: z.string().datetime({ offset: true }).optional(),
  Description: z.string().max(512).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).default('ENABLED'),
  FlexibleTimeWindow: z.object({ Mode: z.enum(['OFF', 'FLEXIBLE']), MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional() }),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  /** Arn, RoleArn, Input, and the target's parameters (SqsParameters, EventBridgeParameters, KinesisParameters, ...) as the template gives them. */
  Target: z.object({ Arn: z.string().min(1), RoleArn: z.string().min(1) }).catchall(z.unknown()),
});
export type SchedulerScheduleResource = z.infer<typeof SchedulerScheduleResource>;

/** A custom resource's type: CloudFormation's generic one or `Custom::` and 1-60 letters, digits and _@-. */
export const CUSTOM_RESOURCE_TYPE_NAME = /^(AWS::CloudFormation::CustomResource|Custom::[A-Za-z0-9_@-]{1,60})$/;

/**
 * A Lambda-backed custom resource (AWS::CloudFormation::CustomResource, Custom::<Name>;
 * docs/provisioner.md "Custom resources"): provisioning invokes the function with
 * CloudFormation's request and waits for the answer it sends to the request's ResponseURL.
 */
export const CustomResource = z.object({
  /** `<stack>/<LogicalResourceId>`: one per stack and logical id, whatever deploy wrote it. */
  Name: z.string().regex(/^[^/]+\/[A-Za-z0-9]+$/, 'must be <stack>/<logical id>'),
  LogicalResourceId: z.string().regex(/^[A-Za-z0-9]+$/, 'must be letters and digits'),
  /** AWS::CloudFormation::CustomResource or Custom::<Name>. */
  ResourceType: z.string().regex(CUSTOM_RESOURCE_TYPE_NAME, 'must be AWS::CloudFormation::CustomResource or Custom::<name>'),
  StackId: z.string().min(1),
  /** The function the ServiceToken names (its esb key). */
  FunctionName: z.string().min(1),
  /** The request's ResourceProperties as CloudFormation sends them (ServiceToken included; scalars as strings). */
  Properties: z.record(z.string(), z.unknown()),
  /** Seconds to wait for the answer (CloudFormation: 1-3600, default 3600). */
  ServiceTimeout: z.number().int().min(1).max(3600).optional(),
});
export type CustomResource = z.infer<typeof CustomResource>;

export const LayerResource = z.object({
  Name: z.string().min(1),
  // Relative to the artifact root inside an artifact; absolute once applied.
  ContentUri: z.string().min(1),
  CompatibleRuntimes: z.array(z.string()).optional(),
});
export type LayerResource = z.infer<typeof LayerResource>;

export const ResourcesFile = z.object({
  // Unknown kinds are kept by the parser so that apply can warn about them and skip them.
  resources: z
    .object({
      dynamodb: z.array(DynamoTable).optional(),
      s3: z.array(S3Bucket).optional(),
      sqs: z.array(SqsQueue).optional(),
      kinesis: z.array(KinesisStream).optional(),
      secrets: z.array(SecretsManagerSecret).optional(),
      parameters: z.array(SsmParameter).optional(),
      schedule_groups: z.array(ScheduleGroupResource).optional(),
      schedules: z.array(SchedulerScheduleResource).optional(),
      layers: z.array(LayerResource).optional(),
      custom_resources: z.array(CustomResource).optional(),
    })
    .catchall(z.unknown())
    .default({}),
});
export type ResourcesFile = z.infer<typeof ResourcesFile>;

// ---------------------------------------------------------------- artifact.yml

const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'must be a hex sha256');

export const ArtifactEntry = z.object({
  // Both relative to the folder holding artifact.yml; neither may escape it.
  artifact_root: z.string().min(1),
  runtime_config_dir: z.string().min(1),
  source_template: z.object({ path: z.string().min(1), sha256 }),
  // sha256 over the runtime config files and build contexts: same inputs, same digest.
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/).optional(),
});
export type ArtifactEntry = z.infer<typeof ArtifactEntry>;

export const ArtifactFile = z.object({
  schema_version: z.literal('1'),
  project: LowerName,
  env: LowerName,
  mode: z.enum(['docker', 'process']).default('docker'),
  artifacts: z.array(ArtifactEntry).min(1),
  generated_at: z.string().optional(),
  generator: z.object({ name: z.string(), version: z.string() }),
});
export type ArtifactFile = z.infer<typeof ArtifactFile>;

/** images.yml of an artifact: the image builds of its functions (context and Dockerfile relative to the artifact root). */
export const ImageBuild = z.object({
  function: z.string().min(1),
  image: z.string().min(1),
  context: z.string().min(1),
  dockerfile: z.string().min(1),
  build_args: z.record(z.string(), z.string()).default({}),
});
export type ImageBuild = z.infer<typeof ImageBuild>;
export const ImagesFile = z.object({ images: z.array(ImageBuild).default([]) });
export type ImagesFile = z.infer<typeof ImagesFile>;

export const EMPTY_FUNCTIONS: FunctionsFile = { defaults: { environment: {}, scaling: {} }, functions: {} };
export const EMPTY_ROUTING: RoutingFile = { routes: [], apis: {} };
export const EMPTY_RESOURCES: ResourcesFile = { resources: {} };
