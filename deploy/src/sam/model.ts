// What esb takes from a SAM template: plain data, ready to render into an artifact.
import type { CustomResource, LoadBalancer, ScheduleGroupResource, SchedulerScheduleResource, SecretsManagerSecret, SsmParameter, StackOutput } from '@esb/contracts';
import type { ApiConfig, AsyncDestination, BucketNotification, FunctionLogging, WebSocketApi, DeliveryStream, DynamoDBStreamEvent, DynamoTable, EventRule, FunctionUrl, KinesisStream, KinesisStreamEvent, LogSubscriptionEvent, Route, S3Bucket, SqsQueue, SqsQueueEvent, StateMachine, TopicSubscription } from '@esb/contracts';

/** A local folder or .zip the template points at (CodeUri, ContentUri, DockerContext). */
export interface CodeRef {
  logicalId: string;
  field: string;
  /** Normalised POSIX path relative to the template's folder ("." for the folder itself). */
  uri: string;
  kind: 'dir' | 'zip';
}

/**
 * `builtin`: a handler esb ships (a file of deploy/runtime/), for what esb serves with a function
 * of its own: HTTP APIs' direct service integrations (docs/gateway.md, "Service integrations"),
 * REST APIs' AWS integrations (docs/gateway.md, "AWS integrations (REST APIs)"), the routes of
 * state machines' Api events (docs/step-functions.md) and EventBridge pipes (docs/pipes.md).
 */
export type FunctionCode = { kind: 'ref'; ref: CodeRef } | { kind: 'inline'; fileName: string; text: string } | { kind: 'builtin'; file: string };

export type FunctionImage =
  | { kind: 'uri'; uri: string }
  | { kind: 'dockerfile'; context: CodeRef; dockerfile: string; buildArgs: Record<string, string> };

export interface ScheduleEventModel {
  type: 'schedule';
  name: string;
  schedule: string;
  input?: string;
  enabled: boolean;
}

/** A bucket notification to the function: SAM `Type: S3`, or a bucket's LambdaConfigurations. */
export interface S3EventModel {
  type: 's3';
  name: string;
  bucket: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

/** A DynamoDB stream the function reads: SAM `Type: DynamoDB`, or an AWS::Lambda::EventSourceMapping. */
export type StreamEventModel = DynamoDBStreamEvent;

/** SAM's `Metadata.BuildMethod` / `Metadata.BuildProperties` (docs/build.md). */
export interface BuildMetadata {
  /** esbuild, makefile, a runtime name (layers), ...; absent: the runtime's default builder. */
  method?: string;
  properties: Record<string, unknown>;
}

export interface FunctionModel {
  key: string;
  logicalId: string;
  resourceType: string;
  packageType: 'Zip' | 'Image';
  runtime?: string;
  handler?: string;
  code?: FunctionCode;
  image?: FunctionImage;
  timeout: number;
  memorySize: number;
  architectures?: Array<'x86_64' | 'arm64'>;
  environment: Record<string, string>;
  scaling: { max_capacity?: number; min_capacity?: number };
  /** Logical ids of the template's layers, in order. */
  layers: string[];
  events: Array<ScheduleEventModel | S3EventModel | StreamEventModel | SqsQueueEvent | KinesisStreamEvent | LogSubscriptionEvent>;
  /** Present when the resource has Metadata.BuildMethod or BuildProperties. */
  build?: BuildMetadata;
  /** Its function URL (FunctionUrlConfig, or an AWS::Lambda::Url targeting it). */
  url?: FunctionUrl;
  /** EventInvokeConfig.MaximumRetryAttempts (0-2). */
  asyncRetries?: number;
  asyncMaxEventAge?: number;
  /** DeadLetterQueue / DeadLetterConfig and EventInvokeConfig.DestinationConfig.OnFailure of type SQS. */
  asyncFailureQueues?: Array<{ kind: 'dlq' | 'destination'; queue: string }>;
  /** EventInvokeConfig.DestinationConfig's OnSuccess, and OnFailure of type SNS, EventBridge or Lambda. */
  asyncDestinations?: { on_success?: AsyncDestination; on_failure?: AsyncDestination };
  /** DurableConfig: ExecutionTimeout and RetentionPeriodInDays (a durable function, docs/durable-functions.md). */
  durable?: { execution_timeout: number; retention_days: number };
  /** Tracing (Globals.Function.Tracing) or TracingConfig.Mode; absent for Disabled or none. */
  tracing?: 'Active' | 'PassThrough';
  /** LoggingConfig (Globals.Function's too): LogFormat, ApplicationLogLevel, SystemLogLevel, LogGroup. */
  logging?: FunctionLogging;
}

export interface LayerModel {
  logicalId: string;
  /** LayerName, else the logical id; the folder name under layers/. */
  name: string;
  content: CodeRef;
  compatibleRuntimes?: string[];
  build?: BuildMetadata;
}

export interface SamModel {
  file: string;
  stackName: string;
  functions: FunctionModel[];
  layers: LayerModel[];
  tables: DynamoTable[];
  buckets: S3Bucket[];
  /** The template's AWS::SQS::Queue resources, then the queues SAM makes for SNS events' SqsSubscription. */
  queues: SqsQueue[];
  /** The template's AWS::Kinesis::Stream resources (docs/kinesis.md). */
  streams: KinesisStream[];
  /** AWS::SecretsManager::Secret and AWS::SSM::Parameter resources (docs/secrets.md). */
  secrets: SecretsManagerSecret[];
  parameters: SsmParameter[];
  /** AWS::Scheduler::ScheduleGroup and AWS::Scheduler::Schedule resources (docs/eventbridge.md, "EventBridge Scheduler"). */
  scheduleGroups: ScheduleGroupResource[];
  schedules: SchedulerScheduleResource[];
  /** Lambda-backed custom resources (docs/provisioner.md "Custom resources"), in creation order. */
  customResources: CustomResource[];
  /** Application Load Balancers with Lambda target groups, by lower-case name (docs/gateway.md "Application Load Balancers"). */
  loadBalancers: Record<string, LoadBalancer>;
  /** EventBridge rules (docs/eventbridge.md), one per `<bus>/<name>`. */
  rules: EventRule[];
  /** SNS topic subscriptions (docs/sns.md), one per `<topic>/<id>`. */
  subscriptions: TopicSubscription[];
  /** Step Functions state machines (docs/step-functions.md), one per name, with their schedules. */
  stateMachines: StateMachine[];
  /** Firehose delivery streams esb runs (docs/firehose.md), one per name. */
  deliveryStreams: DeliveryStream[];
  /** Buckets' notifications to SQS queues and SNS topics (docs/agent.md "S3 events"), one per `<bucket>/<id>`. */
  bucketNotifications: BucketNotification[];
  /** Buckets whose object events go to the default event bus (EventBridgeConfiguration). */
  eventBridgeBuckets: string[];
  routes: Route[];
  apis: Record<string, ApiConfig>;
  /** WebSocket APIs by logical id (docs/generate.md, "WebSocket APIs"). */
  websockets: Record<string, WebSocketApi>;
  warnings: string[];
  /** Every local path the template points at, in template order. */
  codeRefs: CodeRef[];
  /** Local files read besides code (OpenAPI and state machine DefinitionUri, AWS::Include), relative to the template's folder. */
  localFiles: string[];
  /** The template's Outputs by key, in template order, resolved here (docs/generate.md "Outputs and exports"). */
  outputs: Record<string, StackOutput>;
}

/** An export of a stack already deployed to the same CONFIG_DIR: what `!ImportValue <name>` of another stack reads. */
export interface StackExport {
  stack: string;
  /** The output's key in that stack. */
  output: string;
  value?: string;
  /** Why that stack's output has no value here (then `value` is absent). */
  problem?: string;
  /** What stands in for the value when it depends on a resource esb does not run. */
  placeholder?: string;
}
