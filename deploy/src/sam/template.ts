// SAM / CloudFormation template -> SamModel. Pure: the caller reads files; this only reads data.
import { createHash } from 'node:crypto';
import { APPSYNC_PATH, LOAD_BALANCER_HOST_SUFFIX, LOCAL_ACCOUNT_ID, customResourceParameter, isJavaRuntime, ssmReference, LOCAL_REGION, QUEUE_NAME, appSyncApiPath, awsQueueUrl, busArn, eventRuleKey, functionUrlLabel, kinesisStreamArn, kinesisStreamNameOf, queueNameOf, ruleArn, stateMachineArn, stateMachineNameOf, topicArn, topicSubscriptionKey } from '@esb/contracts';
import { posix } from 'node:path';
import type { ApiConfig, BucketNotification, Cors, CustomResource, DynamoTable, EventRule, FunctionLogging, FunctionUrl, KinesisStream, Route, S3Bucket, SqsQueue, SqsQueueEvent, StackOutput, StateMachine, TopicSubscription, WebSocketApi } from '@esb/contracts';
import { AuthConfigError, corsPreflightAuthFor, readApiAuth, routeAuthFor, type ApiAuthModel } from './auth.js';
import { API_KEY_TYPES, readApiKeys, type ApiKeysOfApi } from './api-keys.js';
import { samValidation } from './request-validation.js';
import { GATEWAY_RESPONSE_RESOURCE, readCfnGatewayResponses, readSamGatewayResponses, type GatewayResponses } from './gateway-responses.js';
import { HTTP_TYPES, QUIET_TYPES, REST_TYPES, functionFromUri, readHttpApis, readOpenApi, readRestApis, type ApiReadContext, type ApiRoute, type CfnApi, type RawApiResource, type SamApiIds } from './cfn-apis.js';
import { creationOrder, isCustomResourceType, readCustomResource } from './custom-resources.js';
import { SUBSCRIPTION_FILTER_TYPE, logSubscription } from './log-subscriptions.js';
import { NESTED_STACK_TYPES, nestedLocation, nestedParameters, withNestedModel } from './nested-stacks.js';
import { ELB_PROPERTIES, ELB_TYPES, LISTENER_RULE_TYPE, LISTENER_TYPE, LOAD_BALANCER_TYPE, QUIET_ELB_TYPES, TARGET_GROUP_TYPE, elbArn, elbName, readLoadBalancers, type ElbResource } from './load-balancers.js';
import { SamTemplateError } from './errors.js';
import { destinationOf, warnIfElsewhere } from './delivery.js';
import { KINESIS_STREAM_TYPE, STREAM_CONSUMER_TYPE, consumerArn, kinesisMapping, readKinesisStream, readStreamConsumer, type KinesisReadContext } from './kinesis.js';
import { DYNAMODB_STREAM_ARN, fieldsOf, filterPatterns, reportsBatchItemFailures, streamSettings, wholeSetting, type MappingFields, type StreamKind } from './mappings.js';
import { EVENT_BUS_TYPE, EVENT_RULE_TYPE, UNEMULATED_EVENT_TYPES, busName, defaultRuleName, readRule, ruleBus, samEventRule, samScheduleEvent, type RuleReadContext } from './event-rules.js';
import { SCHEDULE_GROUP_TYPE, SCHEDULER_TYPE, readScheduleGroup, readSchedulerSchedule, samScheduleV2 } from './scheduler.js';
import { API_DESTINATION_TYPE, CONNECTION_TYPE, readApiDestination, readConnection, type HttpTarget } from './api-destinations.js';
import { SUBSCRIPTION_TYPE, TOPIC_TYPE, readSubscription, readTopic, samTopicSubscription } from './sns-topics.js';
import { SAM_STATE_MACHINE_TYPE, STATE_MACHINE_TYPES, readStateMachine, stateMachineNameField, stateMachineReads, type StateMachineReadContext } from './state-machines.js';
import { serviceIntegrationFunction, stateMachineApiIntegration, type ServiceIntegration } from './service-integrations.js';
import { ofWebSocketApi, readWebSocketApis, webSocketApiIds } from './websocket-apis.js';
import { awsIntegrationFunction, awsIntegrationQueue, awsIntegrationStateMachines, awsIntegrationTarget, type AwsIntegration } from './aws-integrations.js';
import { API_KEY_TYPE as APPSYNC_API_KEY_TYPE, APPSYNC_QUIET_TYPES, APPSYNC_TYPES, APPSYNC_UNEMULATED_TYPES, DATA_SOURCE_TYPE, FUNCTION_CONFIGURATION_TYPE, GRAPHQL_API_TYPE, RESOLVER_TYPE, SAM_GRAPHQL_API_TYPE, appSyncApiId, appSyncApiKey, appSyncFunction, appSyncFunctionId, appSyncTargets, readAppSyncApis } from './appsync.js';
import { PIPE_TYPE, pipeArn, pipeFunction, readPipe, type PipeReadContext } from './pipes.js';
import { DELIVERY_STREAM_TYPE, readDeliveryStream, type FirehoseReadContext } from './firehose.js';
import { readBucketNotifications, type BucketNotificationContext } from './bucket-notifications.js';
import { PARAMETER_TYPE, SECRET_TYPE, UNEMULATED_SECRET_TYPES, readParameter, readSecret } from './secrets.js';
import { deliveryStreamArn, secretArn, templateSecretSuffix, scheduleArn, scheduleGroupArn, type DeliveryStream, type ScheduleGroupResource, type SchedulerScheduleResource, type SecretsManagerSecret, type SsmParameter } from '@esb/contracts';
import type { BuildMetadata, CodeRef, FunctionModel, LayerModel, S3EventModel, SamModel, StackExport, StreamEventModel } from './model.js';
import { NO_VALUE, Resolver, intrinsicKey, isRecord, versionText, type Location, type Lookup } from './resolver.js';
import { checkParameterValue, isListParameter, listed, parameterDefinitions, ssmValueType, type ParameterDefinition } from './parameters.js';
import { applyEnvVars } from './env-vars.js';
import { parseTemplateText } from './yaml.js';

type RouteEvent = { fn: string; logicalId: string; event: string; type: 'rest' | 'http'; api: string; path: string; method: string; payload?: string; auth?: unknown; props: Record<string, unknown> };

export interface SamOptions {
  /** Shown in errors; also the default stack name (base name without extension). */
  file?: string;
  stackName?: string;
  parameterOverrides?: Record<string, string>;
  /**
   * Parameter Store's values by parameter name, for the template's `AWS::SSM::Parameter::Value<...>`
   * parameters (ssmParameterNames lists what to read); a name missing fails the parameter.
   */
  ssmParameterValues?: Record<string, string>;
  /** Such parameters take the name they are given instead (reading what a template refers to, not deploying it). */
  ssmParameterNamesAsValues?: boolean;
  /**
   * SAM CLI's --env-vars file: `Parameters` for every function, a function's logical id (or
   * its name) for that one; only variables its Environment declares are replaced, as sam local does.
   */
  envVars?: Record<string, Record<string, string>>;
  region?: string;
  accountId?: string;
  /** Values for !ImportValue, by export name; they win over `exports`. */
  importValues?: Record<string, string>;
  /**
   * The exports of the other stacks deployed to the same CONFIG_DIR, by export name: what
   * !ImportValue reads (docs/generate.md "Outputs and exports").
   */
  exports?: Record<string, StackExport>;
  /**
   * Told each !ImportValue's name; with it, an import gives its name and never fails: the inputs
   * digest records what the template imports, not what it gives.
   */
  onImport?(name: string): void;
  /** Absolute POSIX folder of the template, to accept absolute CodeUris inside it. */
  templateDir?: string;
  /**
   * Absolute POSIX folder every path the template points at must stay in (templateDir or a
   * folder above it: the workspace of a deployed template; docs/generate.md "Paths and
   * symlinks"). Default: the template's folder.
   */
  codeRoot?: string;
  /** The Node.js version that runs nodejs functions here (named in deprecated-runtime warnings). */
  nodeVersion?: string;
  /** Reads a local file the template points at (DefinitionUri, AWS::Include), relative to its folder. */
  readLocalFile?: (relPath: string) => string;
  /** The templates a nested one is read from, outermost first (docs/generate.md "Nested applications"). */
  nestedIn?: readonly string[];
}

export const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);
export const LAYER_TYPES = new Set(['AWS::Serverless::LayerVersion', 'AWS::Lambda::LayerVersion']);
const TABLE_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::Serverless::SimpleTable']);
const API_TYPES = new Set(['AWS::Serverless::Api', 'AWS::Serverless::HttpApi']);
const LAMBDA_URL = 'AWS::Lambda::Url';
const EVENT_SOURCE_MAPPING = 'AWS::Lambda::EventSourceMapping';
const QUEUE_TYPE = 'AWS::SQS::Queue';
const LOG_GROUP_TYPE = 'AWS::Logs::LogGroup';
const RUN_TYPES = new Set([...FUNCTION_TYPES, ...LAYER_TYPES, ...TABLE_TYPES, ...API_TYPES, 'AWS::S3::Bucket', QUEUE_TYPE, EVENT_BUS_TYPE, EVENT_RULE_TYPE, SCHEDULER_TYPE, TOPIC_TYPE, SUBSCRIPTION_TYPE, ...STATE_MACHINE_TYPES, KINESIS_STREAM_TYPE, STREAM_CONSUMER_TYPE, PIPE_TYPE, DELIVERY_STREAM_TYPE, SECRET_TYPE, PARAMETER_TYPE, SCHEDULE_GROUP_TYPE, CONNECTION_TYPE, API_DESTINATION_TYPE]);
/** SAM connectors only grant IAM permissions, which esb does not enforce: nothing is lost (docs/generate.md). */
const CONNECTOR_TYPE = 'AWS::Serverless::Connector';

/**
 * Whether esb runs nothing of a resource of this type: it neither emulates it nor reads it with
 * what it serves (API parts, custom resources, load balancers) or silently (IAM, permissions).
 * A reference to one gives a placeholder, never an output's value (docs/generate.md "Outputs and exports").
 */
function isNotRunType(type: string): boolean {
  if (RUN_TYPES.has(type) || isCustomResourceType(type) || NESTED_STACK_TYPES.has(type) || ELB_TYPES.has(type) || QUIET_ELB_TYPES.has(type)) return false;
  if (QUIET_TYPES.has(type) || REST_TYPES.has(type) || HTTP_TYPES.has(type) || API_KEY_TYPES.has(type) || APPSYNC_TYPES.has(type) || APPSYNC_QUIET_TYPES.has(type)) return false;
  return type !== SUBSCRIPTION_FILTER_TYPE && type !== GATEWAY_RESPONSE_RESOURCE && type !== LAMBDA_URL && type !== EVENT_SOURCE_MAPPING;
}
/** An SQS queue's ARN (what !GetAtt Queue.Arn gives). */
const QUEUE_ARN = /^arn:aws[\w-]*:sqs:[^:]*:[^:]*:[^:]+$/;
/** Queue properties esb reads but does not apply: encryption and tags have no local meaning (docs/generate.md). */
const QUIET_QUEUE_PROPERTIES = new Set(['KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'Tags']);
/** DynamoDB stream mappings, with the settings esb reads but does not apply (docs/agent.md, "DynamoDB streams"). */
const DYNAMODB_STREAM: StreamKind = { label: 'a DynamoDB stream', unapplied: ['ParallelizationFactor', 'TumblingWindowInSeconds', 'StartingPositionTimestamp', 'MetricsConfig', 'KmsKeyArn'], doc: 'docs/agent.md, "DynamoDB streams"' };

/** An AppSync API answers browsers' preflights: any origin, its methods and the headers its clients sign and send. */
const APPSYNC_CORS: Cors = {
  allow_origins: ['*'],
  allow_methods: ['POST', 'OPTIONS'],
  allow_headers: ['content-type', 'x-api-key', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-user-agent'],
  expose_headers: [],
  allow_credentials: false,
};

export const IMPLICIT_REST_API = 'ServerlessRestApi';
export const IMPLICIT_HTTP_API = 'ServerlessHttpApi';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'ANY']);
/** What `!Ref` gives of AppSync resources: their ARN (an attribute of appSyncAttr). */
const APPSYNC_REFS: Record<string, string> = { [GRAPHQL_API_TYPE]: 'Arn', [SAM_GRAPHQL_API_TYPE]: 'Arn', [DATA_SOURCE_TYPE]: 'DataSourceArn', [FUNCTION_CONFIGURATION_TYPE]: 'FunctionArn', [APPSYNC_API_KEY_TYPE]: 'Arn', [RESOLVER_TYPE]: 'ResolverArn' };
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * SAM's app identity: the folder's name for SAM's default file names (`template.yaml` /
 * `template.yml`: every SAM app has one), else the file's stem (see docs/generate.md).
 */
export function defaultStackName(file: string): string {
  const p = file.replace(/\\/g, '/');
  const base = posix.basename(p);
  let name = base;
  const folder = posix.basename(posix.dirname(p));
  if (/^template\.ya?ml$/i.test(base) && folder && folder !== '.' && folder !== '..' && folder !== '/') name = folder;
  else {
    const dot = base.lastIndexOf('.');
    if (dot > 0) name = base.slice(0, dot);
  }
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'stack';
}

/**
 * A runtime esb runs zip functions for (deprecated ones included: see deprecatedRuntime).
 * `provided`: an OS-only runtime whose code brings its own `bootstrap` (docs/agent.md).
 */
export function runtimeFamily(runtime: string): 'python3' | 'nodejs' | 'java' | 'provided' | undefined {
  if (/^python3\.\d+$/.test(runtime)) return 'python3';
  if (/^nodejs\d+\.x$/.test(runtime)) return 'nodejs';
  if (isJavaRuntime(runtime)) return 'java';
  // go1.x (deprecated) runs as a custom runtime: aws-lambda-go speaks the Runtime API.
  if (/^provided(\.al2|\.al2023)?$/.test(runtime) || runtime === 'go1.x') return 'provided';
  return undefined;
}

/** Runtimes AWS Lambda no longer runs: accepted, with a warning naming what runs them here. */
export function deprecatedRuntime(runtime: string): boolean {
  const node = /^nodejs(\d+)\.x$/.exec(runtime);
  if (node) return Number(node[1]) < 18;
  const py = /^python3\.(\d+)$/.exec(runtime);
  return (py !== null && Number(py[1]) < 9) || runtime === 'provided' || runtime === 'go1.x' || runtime === 'java8';
}

/** A function's key when it has no FunctionName: `<stack>-<LogicalId>`, at most 64 characters. */
export function defaultFunctionKey(stack: string, logicalId: string): string {
  const key = `${stack}-${logicalId}`.replace(/[^A-Za-z0-9_-]+/g, '-');
  if (key.length <= 64) return key;
  return `${key.slice(0, 55)}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** A queue's name when it has no QueueName: `<stack>-<LogicalId>` (`.fifo` added for a FIFO queue), at most 80 characters. */
export function defaultQueueName(stack: string, logicalId: string, fifo: boolean): string {
  return stackScopedName(stack, logicalId, 80, fifo);
}

/** A topic's name when it has no TopicName: `<stack>-<LogicalId>` (`.fifo` added for a FIFO topic), at most 256 characters. */
export function defaultTopicName(stack: string, logicalId: string, fifo: boolean): string {
  return stackScopedName(stack, logicalId, 256, fifo);
}

/** A state machine's name when it has no Name / StateMachineName: `<stack>-<LogicalId>`, at most 80 characters. */
export function defaultStateMachineName(stack: string, logicalId: string): string {
  return stackScopedName(stack, logicalId, 80, false);
}

/** A Kinesis stream's name when it has no Name: `<stack>-<LogicalId>`, at most 128 characters. */
export function defaultKinesisStreamName(stack: string, logicalId: string): string {
  return stackScopedName(stack, logicalId, 128, false);
}

/** A pipe's name when it has no Name: `<stack>-<LogicalId>`, at most 64 characters. */
export function defaultPipeName(stack: string, logicalId: string): string {
  return stackScopedName(stack, logicalId, 64, false);
}

/** A secret's name when it has no Name: `<stack>-<LogicalId>`, at most 512 characters. */
export function defaultSecretName(stack: string, logicalId: string): string {
  return stackScopedName(stack, logicalId, 512, false);
}

/**
 * A parameter's name when it has no Name: `<stack>-<LogicalId>`, at most 1011 characters;
 * `CFN-` first when that would begin with "aws" or "ssm", which SSM refuses (CloudFormation
 * starts the names it makes with `CFN-`).
 */
export function defaultParameterName(stack: string, logicalId: string): string {
  const name = stackScopedName(stack, logicalId, 1007, false);
  return /^(aws|ssm)/i.test(name) ? `CFN-${name}` : name;
}

/** A delivery stream's name when it has no DeliveryStreamName: `<stack>-<LogicalId>`, at most 64 characters. */
export function defaultDeliveryStreamName(stack: string, logicalId: string): string {
  return stackScopedName(stack, logicalId, 64, false);
}

/** `<stack>-<LogicalId>` in letters, digits, `-` and `_`, at most `max` characters with `.fifo` when `fifo`. */
function stackScopedName(stack: string, logicalId: string, max: number, fifo: boolean): string {
  const base = `${stack}-${logicalId}`.replace(/[^A-Za-z0-9_-]+/g, '-');
  const room = fifo ? max - '.fifo'.length : max;
  const name = base.length <= room ? base : `${base.slice(0, room - 9)}-${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
  return fifo ? `${name}.fifo` : name;
}

/** Derives a valid S3 bucket name from stack and logical id (see docs/generate.md). */
export function defaultBucketName(stack: string, logicalId: string): string {
  let name = `${stack}-${logicalId}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.');
  name = name.slice(0, 63).replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '');
  while (name.length < 3) name += '0';
  return name;
}

/** How deep nested stacks may go (CloudFormation has no fixed limit; this one stops a runaway). */
const MAX_NESTING = 8;

interface NestedStack {
  reader: TemplateReader;
  model: SamModel;
  /** Its folder, from the parent's. */
  dir: string;
}

interface RawResource {
  Type: string;
  Properties?: unknown;
  Metadata?: unknown;
  Condition?: unknown;
  DependsOn?: unknown;
}

/** SAM's Globals rule: maps merge (resource wins), lists add up (globals first), scalars: resource wins. */
export function mergeGlobals(global: unknown, local: unknown): unknown {
  if (local === undefined) return global;
  if (global === undefined) return local;
  if (isRecord(global) && isRecord(local) && !intrinsicKey(global) && !intrinsicKey(local)) {
    const out: Record<string, unknown> = { ...global };
    for (const [k, v] of Object.entries(local)) out[k] = k in global ? mergeGlobals(global[k], v) : v;
    return out;
  }
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  return local;
}

export function parseSamTemplate(input: string | unknown, options: SamOptions = {}): SamModel {
  const file = options.file ?? 'template.yml';
  const readWarnings: string[] = [];
  const doc = typeof input === 'string' ? parseTemplateText(input, file, undefined, readWarnings) : input;
  return new TemplateReader(doc, file, options, readWarnings).read();
}

class TemplateReader implements Lookup {
  readonly stackName: string;
  private readonly params = new Map<string, unknown>();
  private readonly pseudo: Record<string, unknown>;
  private readonly conditions: Record<string, unknown>;
  private readonly conditionCache = new Map<string, boolean>();
  private readonly mappings: Record<string, unknown>;
  private readonly globals: Record<string, unknown>;
  private readonly resources: Record<string, RawResource>;
  private readonly resolver: Resolver;
  private readonly warnings: string[];
  /** Each API's authorizers and defaults, read with the API, applied to its routes. */
  private readonly apiAuth = new Map<string, ApiAuthModel>();
  /** Each SAM REST API's `Models` (request validation). */
  private readonly apiModels = new Map<string, Record<string, unknown>>();
  private readonly visiting: string[] = [];
  private readonly names = new Map<string, string>();
  private functionKeys: Map<string, string> | undefined;
  private readonly activeCache = new Map<string, boolean>();
  private readonly mergedProps = new Map<string, Record<string, unknown>>();
  /** Routes of OpenAPI definitions of AWS::Serverless::Api / HttpApi, by API id. */
  private readonly definitionRoutes = new Map<string, ApiRoute[]>();
  /** Api / HttpApi events naming a raw API resource: they add no route (see readFunction). */
  private readonly rawApiEvents: { logicalId: string; event: string; api: string; method: string; path: string }[] = [];
  /** Tables of the template by name, with their stream's view type (undefined: no stream). */
  private readonly streamTables = new Map<string, string | undefined>();
  /** Local files the template reads besides code (DefinitionUri, AWS::Include). */
  private readonly localFiles: string[] = [];
  /** EventBridge rules by eventRuleKey, in the order they were first read. */
  private readonly rules = new Map<string, EventRule>();
  /** The EventBridge Scheduler schedules SAM makes of ScheduleV2 events (docs/eventbridge.md). */
  private readonly samSchedules: SchedulerScheduleResource[] = [];
  /** API destinations read (with their connections), by logical id. */
  private readonly apiDestinations = new Map<string, HttpTarget>();
  /** SNS subscriptions by topicSubscriptionKey, in the order they were first read. */
  private readonly subscriptions = new Map<string, TopicSubscription>();
  /** The queues SAM makes for `Type: SNS` events with SqsSubscription. */
  private readonly eventQueues: SqsQueue[] = [];
  /** Built-in functions serving HTTP APIs' direct service integrations and REST APIs' AWS integrations, in the order their routes were read. */
  private readonly serviceFunctions: FunctionModel[] = [];
  /** The functions REST methods' Lambda custom integrations invoke: reached as a proxy route's function is. */
  private readonly integrationTargets = new Set<string>();
  /** Step Functions state machines by name, in template order. */
  private readonly stateMachines = new Map<string, StateMachine>();
  private stateMachineNames: Set<string> | undefined;
  /** Firehose delivery streams esb runs, by name, in template order. */
  private readonly deliveryStreams = new Map<string, DeliveryStream>();
  /** Buckets' notifications to queues and topics, and the buckets that send to EventBridge, in template order. */
  private readonly bucketNotifications: BucketNotification[] = [];
  private readonly eventBridgeBuckets: string[] = [];
  private readonly outputs: Record<string, unknown>;
  /** Load balancer parts read (every !Ref of one resolves its properties otherwise). */
  private readonly elbResources = new Map<string, ElbResource>();
  /** Whether a custom resource's ServiceToken is a function, by logical id. */
  private readonly lambdaBacked = new Map<string, boolean>();
  /** Nested stacks by logical id: read, being read (a circle if asked again), or not local. */
  private readonly nestedStacks = new Map<string, NestedStack | 'reading' | 'remote'>();
  /** Each placeholder given for what esb does not run, with why and where (see unrun). */
  private readonly unrunRefs: Array<{ why: string; placeholder: unknown; at: Location }> = [];

  constructor(
    doc: unknown,
    readonly file: string,
    private readonly options: SamOptions,
    readWarnings: string[] = [],
  ) {
    this.warnings = readWarnings;
    if (!isRecord(doc)) throw new SamTemplateError(file, undefined, undefined, 'a template must be a map with a Resources section');
    this.stackName = options.stackName ?? defaultStackName(file);
    const region = options.region ?? LOCAL_REGION;
    const account = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.pseudo = {
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::StackName': this.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NotificationARNs': [],
    };
    this.conditions = this.section(doc, 'Conditions');
    this.mappings = this.section(doc, 'Mappings');
    this.globals = this.section(doc, 'Globals');
    this.outputs = this.section(doc, 'Outputs');
    if (!('Resources' in doc)) throw new SamTemplateError(file, undefined, 'Resources', 'the template has no Resources section');
    if (!isRecord(doc.Resources)) throw new SamTemplateError(file, undefined, 'Resources', 'Resources must be a map of logical id -> resource');
    for (const [id, r] of Object.entries(doc.Resources)) {
      if (!isRecord(r)) throw new SamTemplateError(file, id, undefined, 'a resource must be a map with a Type');
      if (typeof r.Type !== 'string') throw new SamTemplateError(file, id, 'Type', 'missing or not a string');
    }
    this.resources = doc.Resources as Record<string, RawResource>;
    this.resolver = new Resolver(this);
    this.readParameters({ Parameters: this.section(doc, 'Parameters') });
  }

  private section(doc: Record<string, unknown>, name: string): Record<string, unknown> {
    const v = doc[name];
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) throw new SamTemplateError(this.file, undefined, name, `${name} must be a map`);
    return v;
  }

  private fail(logicalId: string | undefined, field: string | undefined, reason: string): never {
    throw new SamTemplateError(this.file, logicalId, field, reason);
  }

  // ------------------------------------------------------------ parameters, conditions, mappings

  private readParameters(doc: unknown): void {
    const overrides = this.options.parameterOverrides ?? {};
    const defs = parameterDefinitions(doc, (name, field, reason) => this.fail(name, field, reason));
    for (const name of Object.keys(overrides)) {
      if (!defs.some((d) => d.name === name)) this.warnings.push(`parameter override ${name} is not a parameter of the template; ignored`);
    }
    const missing: string[] = [];
    for (const def of defs) {
      const raw: unknown = Object.prototype.hasOwnProperty.call(overrides, def.name) ? overrides[def.name] : def.default;
      if (raw === undefined || raw === null) {
        missing.push(def.name);
        continue;
      }
      const checked = checkParameterValue(def, raw);
      if ('reason' in checked) this.fail(def.name, checked.field, checked.reason);
      this.params.set(def.name, ssmValueType(def.type) === undefined ? checked.value : this.ssmParameterValue(def, String(raw)));
    }
    if (missing.length > 0) {
      const others = missing.length > 1 ? ` (nor have ${listed(missing.slice(1))})` : '';
      this.fail(missing[0], 'Default', `no value: the parameter has no Default and no override was given${others}; give values with esb deploy --guided (asked, then saved to samconfig.toml), --parameter-overrides NAME=VALUE, parameter_overrides in samconfig.toml, or the Deployment's spec.parameters`);
    }
  }

  /** An `AWS::SSM::Parameter::Value<T>` parameter: the value Parameter Store holds under the name it was given, as CloudFormation reads it. */
  private ssmParameterValue(def: ParameterDefinition, name: string): string | string[] {
    const values = this.options.ssmParameterValues;
    const value = this.options.ssmParameterNamesAsValues ? name : values?.[name];
    if (value === undefined) {
      const why = values === undefined ? 'esb reads Parameter Store when it deploys (esb deploy, a Deployment), not here' : `Parameter Store has no parameter ${name}`;
      this.fail(def.name, 'Type', `${def.type}: ${why}`);
    }
    return isListParameter(ssmValueType(def.type)!) ? value.split(',').map((v) => v.trim()) : value;
  }

  param(name: string): unknown {
    if (this.params.has(name)) return this.params.get(name);
    return this.pseudo[name];
  }

  condition(name: string, at: Location): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    if (!(name in this.conditions)) this.fail(at.logicalId, at.field, `no condition named "${name}"`);
    this.enter(`Conditions.${name}`, at);
    try {
      const v = this.resolver.evalCondition(this.conditions[name], { logicalId: name, field: 'Conditions' });
      this.conditionCache.set(name, v);
      return v;
    } finally {
      this.visiting.pop();
    }
  }

  mapping(map: string, top: string, second: string): unknown {
    const m = this.mappings[map];
    if (!isRecord(m)) return undefined;
    const t = m[top];
    if (!isRecord(t)) return undefined;
    return t[second];
  }

  importValue(name: string, at: Location): string {
    if (this.options.onImport) {
      this.options.onImport(name);
      return name;
    }
    const exported = this.options.exports?.[name];
    const value = this.options.importValues?.[name] ?? exported?.value;
    if (value !== undefined) return value;
    if (exported?.placeholder !== undefined) return this.unrun(`the export ${name} (output ${exported.output} of stack ${exported.stack}) has no value here (${exported.problem ?? 'none'})`, exported.placeholder, at);
    if (exported) this.fail(at.logicalId, at.field, `!ImportValue ${name}: the output ${exported.output} of stack ${exported.stack} exports it but has no value here (${exported.problem ?? 'none'})`);
    const known = Object.keys(this.options.exports ?? {}).sort();
    this.fail(
      at.logicalId,
      at.field,
      `!ImportValue ${name}: no stack deployed to this env exports "${name}" (${known.length ? `the env's exports: ${listed(known)}` : 'the env has no exports yet'}); deploy the stack that exports it first (docs/generate.md "Outputs and exports")`,
    );
  }

  private enter(key: string, at: Location): void {
    const i = this.visiting.indexOf(key);
    if (i >= 0) {
      const cycle = [...this.visiting.slice(i), key].join(' -> ');
      this.fail(at.logicalId, at.field, `circular reference: ${cycle}`);
    }
    this.visiting.push(key);
  }

  // ------------------------------------------------------------ references to resources

  /** Whether a resource exists in this deployment (its Condition, if any, holds). */
  private active(id: string): boolean {
    const cached = this.activeCache.get(id);
    if (cached !== undefined) return cached;
    const r = this.resources[id];
    let v = true;
    if (r.Condition !== undefined) {
      if (typeof r.Condition !== 'string') this.fail(id, 'Condition', 'must name a condition');
      v = this.condition(r.Condition, { logicalId: id, field: 'Condition' });
    }
    this.activeCache.set(id, v);
    return v;
  }

  private rawProps(id: string): Record<string, unknown> {
    const r = this.resources[id];
    if (r.Properties === undefined || r.Properties === null) return {};
    if (!isRecord(r.Properties)) this.fail(id, 'Properties', 'must be a map');
    return r.Properties;
  }

  /** Function properties with Globals.Function applied (Serverless functions only). */
  private functionProps(id: string): Record<string, unknown> {
    const cached = this.mergedProps.get(id);
    if (cached) return cached;
    let p = this.rawProps(id);
    if (this.resources[id].Type === 'AWS::Serverless::Function' && this.globals.Function !== undefined) p = mergeGlobals(this.globals.Function, p) as Record<string, unknown>;
    this.mergedProps.set(id, p);
    return p;
  }

  /** Resolves one property of a resource. */
  private prop(id: string, props: Record<string, unknown>, field: string): unknown {
    const v = this.resolver.resolve(props[field], { logicalId: id, field });
    return v === NO_VALUE ? undefined : v;
  }

  /** The name a resource is known by (FunctionName, TableName, ...), with cycle detection. */
  private physicalName(id: string, at: Location): string {
    const cached = this.names.get(id);
    if (cached !== undefined) return cached;
    const type = this.resources[id].Type;
    const field = FUNCTION_TYPES.has(type) ? 'FunctionName' : TABLE_TYPES.has(type) ? 'TableName' : type === 'AWS::S3::Bucket' ? 'BucketName' : LAYER_TYPES.has(type) ? 'LayerName' : type === QUEUE_TYPE ? 'QueueName' : type === EVENT_BUS_TYPE || type === EVENT_RULE_TYPE ? 'Name' : type === TOPIC_TYPE ? 'TopicName' : STATE_MACHINE_TYPES.has(type) ? stateMachineNameField(type) : type === KINESIS_STREAM_TYPE || type === PIPE_TYPE || type === SECRET_TYPE || type === PARAMETER_TYPE || type === SCHEDULER_TYPE || type === SCHEDULE_GROUP_TYPE || type === CONNECTION_TYPE || type === API_DESTINATION_TYPE ? 'Name' : type === STREAM_CONSUMER_TYPE ? 'ConsumerName' : type === DELIVERY_STREAM_TYPE ? 'DeliveryStreamName' : type === LOG_GROUP_TYPE ? 'LogGroupName' : undefined;
    let name = id;
    if (field) {
      this.enter(id, at);
      try {
        const props = FUNCTION_TYPES.has(type) ? this.functionProps(id) : type === 'AWS::Serverless::SimpleTable' ? (mergeGlobals(this.globals.SimpleTable, this.rawProps(id)) as Record<string, unknown>) : this.rawProps(id);
        const v = this.prop(id, props, field);
        if (v !== undefined) {
          if (typeof v !== 'string' && typeof v !== 'number') this.fail(id, field, 'must be a string');
          name = String(v);
        } else if (FUNCTION_TYPES.has(type)) name = defaultFunctionKey(this.stackName, id);
        else if (TABLE_TYPES.has(type)) name = `${this.stackName}-${id}`;
        else if (type === 'AWS::S3::Bucket') name = defaultBucketName(this.stackName, id);
        else if (type === QUEUE_TYPE) {
          const fifo = this.prop(id, this.rawProps(id), 'FifoQueue');
          name = defaultQueueName(this.stackName, id, fifo === true || fifo === 'true');
        } else if (type === TOPIC_TYPE) {
          const fifo = this.prop(id, this.rawProps(id), 'FifoTopic');
          name = defaultTopicName(this.stackName, id, fifo === true || fifo === 'true');
        } else if (STATE_MACHINE_TYPES.has(type)) name = defaultStateMachineName(this.stackName, id);
        else if (type === KINESIS_STREAM_TYPE) name = defaultKinesisStreamName(this.stackName, id);
        else if (type === PIPE_TYPE) name = defaultPipeName(this.stackName, id);
        else if (type === DELIVERY_STREAM_TYPE) name = defaultDeliveryStreamName(this.stackName, id);
        else if (type === SECRET_TYPE) name = defaultSecretName(this.stackName, id);
        else if (type === PARAMETER_TYPE) name = defaultParameterName(this.stackName, id);
        else if (type === LOG_GROUP_TYPE) name = `${this.stackName}-${id}`;
        else if (type === SCHEDULER_TYPE || type === SCHEDULE_GROUP_TYPE || type === CONNECTION_TYPE || type === API_DESTINATION_TYPE || type === EVENT_RULE_TYPE) name = defaultRuleName(this.stackName, id);
      } finally {
        this.visiting.pop();
      }
    }
    this.names.set(id, name);
    return name;
  }

  /** Function keys: FunctionName, else `<stack>-<LogicalId>`; a duplicate FunctionName gets the latter (warning). */
  private keys(): Map<string, string> {
    if (this.functionKeys) return this.functionKeys;
    const keys = new Map<string, string>();
    const byKey = new Map<string, string>();
    for (const id of Object.keys(this.resources)) {
      if (!FUNCTION_TYPES.has(this.resources[id].Type) || !this.active(id)) continue;
      let key = this.physicalName(id, { logicalId: id, field: 'FunctionName' });
      if (!FUNCTION_NAME.test(key)) this.fail(id, 'FunctionName', `"${key}" is not a valid function name (letters, digits, "-", "_"; at most 64)`);
      const other = byKey.get(key);
      if (other !== undefined) {
        const shared = key;
        key = defaultFunctionKey(this.stackName, id);
        this.warnings.push(`functions ${other} and ${id} share the name "${shared}"; ${id} is keyed "${key}"`);
        if (byKey.has(key)) this.fail(id, 'FunctionName', `function key "${key}" is used twice`);
      }
      keys.set(id, key);
      byKey.set(key, id);
    }
    this.functionKeys = keys;
    return keys;
  }

  resourceRef(id: string, at: Location): string | undefined {
    const r = this.resources[id];
    if (!r) {
      if (id === IMPLICIT_REST_API || id === IMPLICIT_HTTP_API) return id;
      // The CodeDeploy parts SAM makes for DeploymentPreference (traffic shifting is not run here,
      // but hook functions' policies name them): ServerlessDeploymentApplication, <Function>DeploymentGroup.
      const withPreference = (fn: string) => this.resources[fn]?.Type === 'AWS::Serverless::Function' && this.functionProps(fn).DeploymentPreference !== undefined;
      if (id === 'ServerlessDeploymentApplication' && Object.keys(this.resources).some(withPreference)) return `${this.stackName}-${id}`;
      if (id.endsWith('DeploymentGroup') && withPreference(id.slice(0, -'DeploymentGroup'.length))) return `${this.stackName}-${id}`;
      // SAM's generated references: !Ref MyFunction.Alias / MyFunction.Version, MyApi.Stage / MyApi.Deployment.
      const m = /^(.+)\.(Alias|Version|Stage|Deployment)$/.exec(id);
      if (m && (m[2] === 'Alias' || m[2] === 'Version') && this.resources[m[1]]?.Type === 'AWS::Serverless::Function') return `${this.arn('lambda', `function:${this.resourceRef(m[1], at)}`)}:${m[2] === 'Alias' ? 'live' : '1'}`;
      if (m && this.isSamApi(m[1])) return m[2] === 'Stage' ? this.apiStage(m[1], at) : `${m[1]}Deployment`;
      // The stage resources SAM generates: <Api><StageName>Stage, <HttpApi>ApiGatewayDefaultStage.
      for (const api of [...Object.keys(this.resources), IMPLICIT_REST_API, IMPLICIT_HTTP_API]) {
        if (!id.startsWith(api) || !this.isSamApi(api)) continue;
        const stage = this.apiStage(api, at);
        if (id === `${api}${stage.replace(/[^A-Za-z0-9]/g, '')}Stage` || (stage === '$default' && id === `${api}ApiGatewayDefaultStage`)) return stage;
      }
      return undefined;
    }
    if (APPSYNC_REFS[r.Type] && this.active(id)) return String(this.appSyncAttr(id, r.Type, APPSYNC_REFS[r.Type], at));
    // A log group is only a name here (rules write events to it: docs/eventbridge.md).
    if (r.Type === LOG_GROUP_TYPE && this.active(id)) return this.physicalName(id, at);
    const answered = this.customResourceValue(id, undefined, at);
    if (answered !== undefined) return answered;
    if (ELB_TYPES.has(r.Type) && this.active(id)) return this.elbResource(id).arn;
    if (!RUN_TYPES.has(r.Type) || !this.active(id)) return this.placeholderOf(id, id, at);
    if (FUNCTION_TYPES.has(r.Type)) return this.functionKeys?.get(id) ?? this.physicalName(id, at);
    if (LAYER_TYPES.has(r.Type)) return this.layerArn(this.physicalName(id, at));
    if (API_TYPES.has(r.Type)) return id;
    if (r.Type === QUEUE_TYPE) return this.queueUrl(this.physicalName(id, at));
    if (r.Type === TOPIC_TYPE) return this.topicArnOf(id, at);
    if (r.Type === SUBSCRIPTION_TYPE) return this.subscriptionArn(id, at);
    if (STATE_MACHINE_TYPES.has(r.Type)) return this.stateMachineArnOf(id, at);
    if (r.Type === STREAM_CONSUMER_TYPE) return this.consumerArnOf(id, at);
    if (r.Type === SECRET_TYPE) return this.secretArnOf(id, at);
    return this.physicalName(id, at);
  }

  /** What a reference to a resource esb does not run as such gives: `placeholder`, recorded (unrun) when esb runs nothing of it. */
  private placeholderOf<T>(id: string, placeholder: T, at: Location): T {
    const type = this.resources[id].Type;
    return isNotRunType(type) && this.active(id) ? this.unrun(`${id} is an ${type}, which esb does not run`, placeholder, at) : placeholder;
  }

  /**
   * A placeholder that stands in for a value esb has not here (rules and pipes read such ARNs
   * back: UNRUN_ARN), recorded with why: an output holding one has no value but this reason,
   * and a function's environment variable holding one is a warning (docs/generate.md "Outputs and exports").
   */
  private unrun<T>(why: string, placeholder: T, at: Location): T {
    this.unrunRefs.push({ why, placeholder, at });
    return placeholder;
  }

  /** Why the placeholders given since `mark` where `logicalId` was resolved stand in for values; undefined when none were given. */
  private unrunSince(mark: number, logicalId: string): string | undefined {
    const whys = new Set(this.unrunRefs.slice(mark).flatMap((r) => (r.at.logicalId === logicalId ? [r.why] : [])));
    return whys.size ? [...whys].join('; ') : undefined;
  }

  /** Warns of each environment variable that still holds a placeholder once --env-vars values are in. */
  private warnPlaceholderVariables(functions: FunctionModel[]): void {
    const prefix = 'Environment.Variables.';
    const held = new Map<string, { value: string; whys: Set<string> }>();
    for (const { why, placeholder, at } of this.unrunRefs) {
      const name = at.field.startsWith(prefix) ? /^[^.[]+/.exec(at.field.slice(prefix.length))?.[0] : undefined;
      const value = name === undefined ? undefined : functions.find((f) => f.logicalId === at.logicalId)?.environment[name];
      if (value === undefined || typeof placeholder !== 'string' || !value.includes(placeholder)) continue;
      const variable = `${at.logicalId}.${prefix}${name}`;
      (held.get(variable) ?? held.set(variable, { value, whys: new Set() }).get(variable)!).whys.add(why);
    }
    for (const [variable, { value, whys }] of held) this.warnings.push(`${variable} is ${JSON.stringify(value)}, a placeholder: ${[...whys].join('; ')} (--env-vars can give it a value)`);
  }

  /** A function URL as AWS writes it (the local one is http://<label>.lambda-url.localhost:<port>/). */
  private functionUrlOf(fnId: string, at: Location): string {
    return `https://${functionUrlLabel(this.resourceRef(fnId, at) as string)}.lambda-url.${this.pseudo['AWS::Region']}.on.aws/`;
  }

  private isSamApi(id: string): boolean {
    return id === IMPLICIT_REST_API || id === IMPLICIT_HTTP_API || API_TYPES.has(this.resources[id]?.Type);
  }

  /** The stage a SAM API deploys to (its StageName, the Globals', else SAM's default): what `!Ref MyApi.Stage` names. */
  private apiStage(id: string, at: Location): string {
    const rest = id === IMPLICIT_REST_API || this.resources[id]?.Type === 'AWS::Serverless::Api';
    const props = mergeGlobals(rest ? this.globals.Api : this.globals.HttpApi, this.resources[id] ? this.rawProps(id) : {});
    this.enter(`${id}.Stage`, at);
    try {
      const v = isRecord(props) ? this.prop(id, props, 'StageName') : undefined;
      return v === undefined ? (rest ? 'Prod' : '$default') : String(v);
    } finally {
      this.visiting.pop();
    }
  }

  private arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.pseudo['AWS::Region']}:${this.pseudo['AWS::AccountId']}:${resource}`;
  }

  /** What `!Ref Queue` gives: the queue's URL on AWS (the agent points it at esb's endpoint). */
  private queueUrl(name: string): string {
    return awsQueueUrl(name, String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
  }

  /** What `!Ref Topic` gives: the topic's ARN. */
  private topicArnOf(id: string, at: Location): string {
    return topicArn(this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
  }

  /** What `!Ref Machine` and `!GetAtt Machine.Arn` give: the state machine's ARN. */
  private stateMachineArnOf(id: string, at: Location): string {
    return stateMachineArn(this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
  }

  /** The template's schedules and those of its ScheduleV2 events; a name twice in a group is the later one's, said. */
  private withSamSchedules(schedules: SchedulerScheduleResource[]): SchedulerScheduleResource[] {
    const byKey = new Map(schedules.map((s) => [`${s.GroupName}/${s.Name}`, s]));
    for (const s of this.samSchedules) {
      const key = `${s.GroupName}/${s.Name}`;
      if (byKey.has(key)) this.warnings.push(`schedule ${key} is defined twice; the ScheduleV2 event's wins`);
      byKey.set(key, s);
    }
    return [...byKey.values()];
  }

  /** The group an AWS::Scheduler::Schedule is in (its GroupName, else `default`), for its ARN. */
  private scheduleGroupOf(id: string, at: Location): string {
    this.enter(`${id}.GroupName`, at);
    try {
      const v = this.prop(id, this.rawProps(id), 'GroupName');
      return typeof v === 'string' ? v : 'default';
    } finally {
      this.visiting.pop();
    }
  }

  /** What `!GetAtt Stream.Arn` gives. */
  private kinesisStreamArnOf(id: string, at: Location): string {
    return kinesisStreamArn(this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
  }

  /**
   * What `!Ref Secret` and `!GetAtt Secret.Id` give: its ARN, with a suffix made from the name
   * (AWS adds a random one; the storage finds a secret by the name part, docs/secrets.md "ARNs").
   */
  private secretArnOf(id: string, at: Location): string {
    const name = this.physicalName(id, at);
    return secretArn(name, templateSecretSuffix(name), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
  }

  /** A parameter's Type or Value (`!GetAtt Parameter.Value`), with cycle detection. */
  private parameterAttr(id: string, attr: 'Type' | 'Value', at: Location): unknown {
    this.enter(`${id}.${attr}`, at);
    try {
      const v = this.prop(id, this.rawProps(id), attr);
      return Array.isArray(v) ? v.join(',') : v;
    } finally {
      this.visiting.pop();
    }
  }

  /** A stream consumer's StreamARN, with cycle detection. */
  private consumerStreamArn(id: string, at: Location): string {
    this.enter(`${id}.StreamARN`, at);
    try {
      return String(this.prop(id, this.rawProps(id), 'StreamARN'));
    } finally {
      this.visiting.pop();
    }
  }

  /** What `!Ref Consumer` and `!GetAtt Consumer.ConsumerARN` give. */
  private consumerArnOf(id: string, at: Location): string {
    return consumerArn(this.consumerStreamArn(id, at), this.physicalName(id, at));
  }

  /** What `!Ref Subscription` gives: `<topic ARN>:<logical id>` (SNS puts a generated id last), with cycle detection. */
  private subscriptionArn(id: string, at: Location): string {
    this.enter(`${id}.TopicArn`, at);
    try {
      return `${String(this.prop(id, this.rawProps(id), 'TopicArn'))}:${id}`;
    } finally {
      this.visiting.pop();
    }
  }

  /** The bus an AWS::Events::Rule is on (its EventBusName), with cycle detection. */
  private ruleBusOf(id: string, at: Location): string {
    this.enter(`${id}.EventBusName`, at);
    try {
      return ruleBus(this.apiContext(new Set()), id, 'EventBusName', this.prop(id, this.rawProps(id), 'EventBusName'));
    } finally {
      this.visiting.pop();
    }
  }

  /** Whether an active AWS::SQS::Queue of the template, or a queue SAM makes for an SNS event, has this name. */
  private queueDeclared(name: string): boolean {
    if (this.eventQueues.some((q) => q.QueueName === name)) return true;
    return Object.keys(this.resources).some((q) => this.resources[q].Type === QUEUE_TYPE && this.active(q) && this.physicalName(q, { logicalId: q, field: 'QueueName' }) === name);
  }

  /** Whether an active AWS::Kinesis::Stream of the template has this name. */
  private kinesisStreamDeclared(name: string): boolean {
    return Object.keys(this.resources).some((s) => this.resources[s].Type === KINESIS_STREAM_TYPE && this.active(s) && this.physicalName(s, { logicalId: s, field: 'Name' }) === name);
  }

  /** What Kinesis streams and their mappings are read with: what rules are, and the template's streams. */
  private kinesisContext(): KinesisReadContext {
    return { ...this.deliveryContext(), streamDeclared: (name) => this.kinesisStreamDeclared(name) };
  }

  /** The names of the template's active state machines. */
  private machineNames(): Set<string> {
    this.stateMachineNames ??= new Set(Object.keys(this.resources).filter((id) => STATE_MACHINE_TYPES.has(this.resources[id].Type) && this.active(id)).map((id) => this.physicalName(id, { logicalId: id, field: stateMachineNameField(this.resources[id].Type) })));
    return this.stateMachineNames;
  }

  /** What rules and subscriptions are read with: the template's functions, queues, state machines and resource types. */
  private deliveryContext(): RuleReadContext {
    return {
      ...this.apiContext(new Set()),
      functionKeys: new Set(this.keys().values()),
      queueDeclared: (name) => this.queueDeclared(name),
      stateMachines: this.machineNames(),
      resourceType: (id) => (Object.prototype.hasOwnProperty.call(this.resources, id) ? this.resources[id].Type : undefined),
      deliveryStream: (name) => (this.deliveryStreams.has(name) ? 'run' : this.declared(DELIVERY_STREAM_TYPE, 'DeliveryStreamName', name) ? 'not run' : undefined),
      apiDestination: (arn) => this.apiDestinationOf(arn),
      stackName: this.stackName,
    };
  }

  /** The API destination of this template whose ARN (`!GetAtt Dest.Arn`) this is, read with its connection once however many targets name it. */
  private apiDestinationOf(arn: string): HttpTarget | undefined {
    const at = (id: string, field: string) => ({ logicalId: id, field });
    const id = Object.keys(this.resources).find((d) => this.resources[d].Type === API_DESTINATION_TYPE && this.active(d) && this.resourceAttr(d, 'Arn', at(d, 'Arn')) === arn);
    if (id === undefined) return undefined;
    const read = this.apiDestinations.get(id);
    if (read) return read;
    const props = this.resolver.resolve(this.rawProps(id), at(id, '')) as Record<string, unknown>;
    const connectionId = Object.keys(this.resources).find((c) => this.resources[c].Type === CONNECTION_TYPE && this.active(c) && this.resourceAttr(c, 'Arn', at(c, 'Arn')) === props.ConnectionArn);
    const connection = connectionId === undefined ? undefined : readConnection(this.apiContext(new Set()), connectionId, this.resolver.resolve(this.rawProps(connectionId), at(connectionId, '')) as Record<string, unknown>);
    const http = readApiDestination(this.apiContext(new Set()), id, props, this.physicalName(id, at(id, 'Name')), connection);
    this.apiDestinations.set(id, http);
    return http;
  }

  /** Whether an active resource of `type` has this name. */
  private declared(type: string, field: string, name: string): boolean {
    return Object.keys(this.resources).some((id) => this.resources[id].Type === type && this.active(id) && this.physicalName(id, { logicalId: id, field }) === name);
  }

  /** What delivery streams are read with: what subscriptions are, the template's Kinesis streams and buckets. */
  private firehoseContext(): FirehoseReadContext {
    return { ...this.kinesisContext(), bucketDeclared: (name) => this.declared('AWS::S3::Bucket', 'BucketName', name) };
  }

  /** What a bucket's queue and topic notifications are read with: the template's queues and topics, and S3 event filters. */
  private bucketNotificationContext(id: string): BucketNotificationContext {
    return {
      ...this.apiContext(new Set()),
      queueDeclared: (name) => this.queueDeclared(name),
      topicDeclared: (name) => this.declared(TOPIC_TYPE, 'TopicName', name),
      s3Event: (field, name, bucket, events, filter) => this.s3Notification(id, field, name, bucket, events, filter, 'Event'),
    };
  }

  /** What pipes are read with: what rules and Kinesis mappings are, the template's mapping readers and its state machines' types. */
  private pipeContext(): PipeReadContext {
    return {
      ...this.kinesisContext(),
      ...this.deliveryContext(),
      region: String(this.pseudo['AWS::Region']),
      account: String(this.pseudo['AWS::AccountId']),
      queueMapping: (id, fields, name, p, arnField) => this.queueMapping(id, fields, name, p, arnField),
      tableMapping: (id, fields, name, p, arnField) => this.streamMapping(id, fields, name, p, arnField),
      stateMachineType: (name) => this.stateMachines.get(name)?.type,
    };
  }

  /** What state machines are read with: what rules are, and the local files a DefinitionUri names. */
  private stateMachineContext(): StateMachineReadContext {
    return { ...this.deliveryContext(), readDocument: (id, field, path) => this.localDocument(id, field, path) };
  }

  /** Keeps a rule by its key; a later one of the same key wins, with a warning. */
  private addRule(rule: EventRule, source: string): void {
    const key = eventRuleKey(rule);
    if (this.rules.has(key)) this.warnings.push(`rule ${rule.name} of event bus ${rule.bus} is defined twice; ${source} wins`);
    this.rules.set(key, rule);
  }

  /** Keeps a subscription by its key; a later one of the same key wins, with a warning. */
  private addSubscription(subscription: TopicSubscription, source: string): void {
    const key = topicSubscriptionKey(subscription);
    if (this.subscriptions.has(key)) this.warnings.push(`subscription ${subscription.id} of topic ${subscription.topic} is defined twice; ${source} wins`);
    this.subscriptions.set(key, subscription);
  }

  private layerArn(name: string): string {
    return this.arn('lambda', `layer:${name}:1`);
  }

  resourceAttr(id: string, attr: string, at: Location): unknown {
    const r = this.resources[id];
    if (!r) {
      // The roles SAM makes for a function or state machine without Role: <Resource>Role.
      const owner = id.endsWith('Role') ? this.resources[id.slice(0, -4)] : undefined;
      if (owner?.Type === 'AWS::Serverless::Function' || owner?.Type === SAM_STATE_MACHINE_TYPE) return `arn:aws:iam::${this.pseudo['AWS::AccountId']}:role/${id}`;
      // The URL SAM makes for FunctionUrlConfig: <Function>Url.FunctionUrl.
      const withUrl = id.endsWith('Url') ? id.slice(0, -3) : undefined;
      if (withUrl && this.resources[withUrl]?.Type === 'AWS::Serverless::Function' && attr === 'FunctionUrl') return this.functionUrlOf(withUrl, at);
      if (id === IMPLICIT_REST_API || id === IMPLICIT_HTTP_API) return `${id}.${attr}`;
      // The keys SAM makes for a GraphQLApi's ApiKeys: <Api><Key>.
      const samApi = Object.keys(this.resources).find((a) => this.resources[a].Type === SAM_GRAPHQL_API_TYPE && id.startsWith(a) && isRecord(this.rawProps(a).ApiKeys) && id.slice(a.length) in (this.rawProps(a).ApiKeys as Record<string, unknown>));
      if (samApi && attr === 'ApiKey') return appSyncApiKey(this.stackName, id);
      return undefined;
    }
    if (APPSYNC_TYPES.has(r.Type) && this.active(id)) return this.appSyncAttr(id, r.Type, attr, at);
    if (r.Type === LAMBDA_URL && attr === 'FunctionUrl') {
      const target = this.resolver.resolve(this.rawProps(id).TargetFunctionArn, { logicalId: id, field: 'TargetFunctionArn' });
      const fnId = Object.keys(this.resources).find((f) => FUNCTION_TYPES.has(this.resources[f].Type) && this.resourceRef(f, at) === (typeof target === 'string' ? (functionFromUri(target) ?? target) : undefined));
      if (fnId) return this.functionUrlOf(fnId, at);
    }
    if (r.Type === LOG_GROUP_TYPE && attr === 'Arn' && this.active(id)) return this.arn('logs', `log-group:${this.physicalName(id, at)}:*`);
    const answered = this.customResourceValue(id, attr, at);
    if (answered !== undefined) return answered;
    if (ELB_TYPES.has(r.Type) && this.active(id)) {
      const elb = this.elbResource(id);
      // The ARN's resource part: loadbalancer/app/<name>/<id>, targetgroup/<name>/<id>.
      const full = elb.arn.split(':').slice(5).join(':');
      const attrs: Record<string, Record<string, string>> = {
        [LOAD_BALANCER_TYPE]: { DNSName: `${elb.name.toLowerCase()}${LOAD_BALANCER_HOST_SUFFIX}`, LoadBalancerName: elb.name, LoadBalancerFullName: full.replace(/^loadbalancer\//, ''), LoadBalancerArn: elb.arn },
        [TARGET_GROUP_TYPE]: { TargetGroupArn: elb.arn, TargetGroupName: elb.name, TargetGroupFullName: full },
        [LISTENER_TYPE]: { ListenerArn: elb.arn },
        [LISTENER_RULE_TYPE]: { RuleArn: elb.arn },
      };
      const value = attrs[r.Type]?.[attr];
      if (value !== undefined) return value;
    }
    if (NESTED_STACK_TYPES.has(r.Type) && attr.startsWith('Outputs.') && this.active(id)) {
      const nested = this.nestedStack(id);
      if (nested) {
        const output = nested.reader.outputValue(attr.slice('Outputs.'.length));
        if (output === undefined) this.fail(at.logicalId, at.field, `!GetAtt ${id}.${attr}: the nested template ${nested.model.file} has no output ${attr.slice('Outputs.'.length)}`);
        if ('value' in output) return output.value;
        if ('placeholder' in output) return this.unrun(`${id}.${attr} has no value here (${output.problem})`, output.placeholder, at);
        this.warnings.push(`${at.logicalId}.${at.field}: !GetAtt ${id}.${attr} has no value here (${output.problem}); it stays the text ${id}.${attr}`);
        return `${id}.${attr}`;
      }
      return this.unrun(`${id} is a nested stack esb does not deploy (only local templates are)`, `${id}.${attr}`, at);
    }
    if (!RUN_TYPES.has(r.Type) || !this.active(id)) return this.placeholderOf(id, attr === 'Arn' ? this.arn('esb', id) : `${id}.${attr}`, at);
    const unsupported = (): never => this.fail(at.logicalId, at.field, `!GetAtt ${id}.${attr}: ${r.Type} has no attribute ${attr} that esb knows`);
    if (FUNCTION_TYPES.has(r.Type)) {
      if (attr === 'Arn') return this.arn('lambda', `function:${this.resourceRef(id, at)}`);
      // `${MyFunction.Alias}` in a !Sub: SAM reads it as !Ref MyFunction.Alias.
      if ((attr === 'Alias' || attr === 'Version') && r.Type === 'AWS::Serverless::Function') return this.resourceRef(`${id}.${attr}`, at);
      return unsupported();
    }
    if (TABLE_TYPES.has(r.Type)) {
      const name = this.physicalName(id, at);
      if (attr === 'Arn') return this.arn('dynamodb', `table/${name}`);
      if (attr === 'StreamArn') return this.arn('dynamodb', `table/${name}/stream/1970-01-01T00:00:00.000`);
      if (attr === 'TableName') return name;
      return unsupported();
    }
    if (r.Type === QUEUE_TYPE) {
      const name = this.physicalName(id, at);
      if (attr === 'Arn') return this.arn('sqs', name);
      if (attr === 'QueueName') return name;
      if (attr === 'QueueUrl') return this.queueUrl(name);
      return unsupported();
    }
    if (r.Type === EVENT_BUS_TYPE) {
      const name = this.physicalName(id, at);
      if (attr === 'Arn') return busArn(name, String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
      if (attr === 'Name') return name;
      return unsupported();
    }
    if (r.Type === TOPIC_TYPE) {
      if (attr === 'TopicArn') return this.topicArnOf(id, at);
      if (attr === 'TopicName') return this.physicalName(id, at);
      return unsupported();
    }
    if (r.Type === SUBSCRIPTION_TYPE) return unsupported();
    if (r.Type === KINESIS_STREAM_TYPE) return attr === 'Arn' ? this.kinesisStreamArnOf(id, at) : unsupported();
    if (r.Type === SECRET_TYPE) return attr === 'Id' ? this.secretArnOf(id, at) : unsupported();
    if (r.Type === PARAMETER_TYPE) return attr === 'Type' || attr === 'Value' ? this.parameterAttr(id, attr, at) : unsupported();
    if (r.Type === SCHEDULER_TYPE) return attr === 'Arn' ? scheduleArn(this.scheduleGroupOf(id, at), this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId'])) : unsupported();
    if (r.Type === CONNECTION_TYPE) return attr === 'Arn' ? this.arn('events', `connection/${this.physicalName(id, at)}`) : unsupported();
    if (r.Type === API_DESTINATION_TYPE) return attr === 'Arn' ? this.arn('events', `api-destination/${this.physicalName(id, at)}`) : unsupported();
    if (r.Type === SCHEDULE_GROUP_TYPE) return attr === 'Arn' ? scheduleGroupArn(this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId'])) : unsupported();
    if (r.Type === DELIVERY_STREAM_TYPE) return attr === 'Arn' ? deliveryStreamArn(this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId'])) : unsupported();
    if (r.Type === PIPE_TYPE) return attr === 'Arn' ? pipeArn(this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId'])) : unsupported();
    if (r.Type === STREAM_CONSUMER_TYPE) {
      if (attr === 'ConsumerARN') return this.consumerArnOf(id, at);
      if (attr === 'ConsumerName') return this.physicalName(id, at);
      if (attr === 'StreamARN') return this.consumerStreamArn(id, at);
      return unsupported();
    }
    if (STATE_MACHINE_TYPES.has(r.Type)) {
      if (attr === 'Arn') return this.stateMachineArnOf(id, at);
      if (attr === 'Name') return this.physicalName(id, at);
      return unsupported();
    }
    if (r.Type === EVENT_RULE_TYPE) {
      if (attr !== 'Arn') return unsupported();
      return ruleArn(this.ruleBusOf(id, at), this.physicalName(id, at), String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
    }
    if (r.Type === 'AWS::S3::Bucket') {
      const name = this.physicalName(id, at);
      const region = this.pseudo['AWS::Region'];
      switch (attr) {
        case 'Arn':
          return `arn:aws:s3:::${name}`;
        case 'BucketName':
          return name;
        case 'DomainName':
          return `${name}.s3.amazonaws.com`;
        case 'RegionalDomainName':
          return `${name}.s3.${region}.amazonaws.com`;
        case 'DualStackDomainName':
          return `${name}.s3.dualstack.${region}.amazonaws.com`;
        case 'WebsiteURL':
          return `http://${name}.s3-website-${region}.amazonaws.com`;
      }
      return unsupported();
    }
    if (LAYER_TYPES.has(r.Type)) {
      if (attr === 'Arn' || attr === 'LayerVersionArn') return this.resourceRef(id, at);
      return unsupported();
    }
    if (attr === 'RootResourceId') return `${id}-root`;
    if (attr === 'ApiEndpoint') return `https://${id.toLowerCase()}.execute-api.${this.pseudo['AWS::Region']}.amazonaws.com`;
    if (attr === 'ApiId') return id;
    // `${MyApi.Stage}` in a !Sub: SAM reads it as !Ref MyApi.Stage.
    if ((attr === 'Stage' || attr === 'Deployment') && API_TYPES.has(r.Type)) return this.resourceRef(`${id}.${attr}`, at);
    return unsupported();
  }

  /** What `!GetAtt` gives of an AppSync resource (and `!Ref`, its ARN): ids are made from the stack and logical id. */
  private appSyncAttr(id: string, type: string, attr: string, at: Location): unknown {
    const region = String(this.pseudo['AWS::Region']);
    const unsupported = (): never => this.fail(at.logicalId, at.field, `!GetAtt ${id}.${attr}: ${type} has no attribute ${attr} that esb knows`);
    const prop = (field: string): string => {
      this.enter(`${id}.${field}`, at);
      try {
        return String(this.prop(id, this.rawProps(id), field));
      } finally {
        this.visiting.pop();
      }
    };
    const apiArn = (apiId: string) => this.arn('appsync', `apis/${apiId}`);
    if (type === GRAPHQL_API_TYPE || type === SAM_GRAPHQL_API_TYPE) {
      const apiId = appSyncApiId(this.stackName, id);
      switch (attr) {
        case 'ApiId':
          return apiId;
        case 'Arn':
        case 'GraphQLEndpointArn':
          return apiArn(apiId);
        case 'GraphQLDns':
          return `${apiId}.appsync-api.${region}.amazonaws.com`;
        case 'GraphQLUrl':
          return `https://${apiId}.appsync-api.${region}.amazonaws.com/graphql`;
        case 'RealtimeDns':
          return `${apiId}.appsync-realtime-api.${region}.amazonaws.com`;
        case 'RealtimeUrl':
          return `wss://${apiId}.appsync-realtime-api.${region}.amazonaws.com/graphql`;
      }
      return unsupported();
    }
    if (type === DATA_SOURCE_TYPE) {
      if (attr === 'Name') return prop('Name');
      if (attr === 'DataSourceArn') return `${apiArn(prop('ApiId'))}/datasources/${prop('Name')}`;
    } else if (type === FUNCTION_CONFIGURATION_TYPE) {
      const functionId = appSyncFunctionId(this.stackName, id);
      if (attr === 'FunctionId') return functionId;
      if (attr === 'FunctionArn') return `${apiArn(prop('ApiId'))}/functions/${functionId}`;
      if (attr === 'Name' || attr === 'DataSourceName') return prop(attr);
    } else if (type === APPSYNC_API_KEY_TYPE) {
      const key = appSyncApiKey(this.stackName, id);
      if (attr === 'ApiKey' || attr === 'ApiKeyId') return key;
      if (attr === 'Arn') return `${apiArn(prop('ApiId'))}/apikey/${key}`;
    } else if (type === RESOLVER_TYPE) {
      if (attr === 'TypeName' || attr === 'FieldName') return prop(attr);
      if (attr === 'ResolverArn') return `${apiArn(prop('ApiId'))}/types/${prop('TypeName')}/resolvers/${prop('FieldName')}`;
    } else return `${id}.${attr}`;
    return unsupported();
  }

  // ------------------------------------------------------------ reading

  read(): SamModel {
    const skipped = new Map<string, string[]>();
    const connectors: string[] = [];
    const functions: FunctionModel[] = [];
    const layers: LayerModel[] = [];
    const tables: DynamoTable[] = [];
    const buckets: S3Bucket[] = [];
    const queues: SqsQueue[] = [];
    const streams: KinesisStream[] = [];
    const secrets: SecretsManagerSecret[] = [];
    const parameters: SsmParameter[] = [];
    const scheduleGroups: ScheduleGroupResource[] = [];
    const schedules: SchedulerScheduleResource[] = [];
    const codeRefs: CodeRef[] = [];
    const apiIds: string[] = [];
    const keys = this.keys();
    const layerIdByArn = new Map<string, string>();
    const layerNames = new Map<string, string>();
    const unemulatedAppSync = new Map<string, string[]>();

    const customIds: string[] = [];
    const nestedIds: string[] = [];
    const elbIds: string[] = [];
    for (const [id, r] of Object.entries(this.resources)) {
      if (!RUN_TYPES.has(r.Type)) {
        if (isCustomResourceType(r.Type)) {
          if (this.active(id)) customIds.push(id);
          continue;
        }
        if (NESTED_STACK_TYPES.has(r.Type)) {
          if (this.active(id)) nestedIds.push(id);
          continue;
        }
        if (ELB_TYPES.has(r.Type)) {
          if (this.active(id)) elbIds.push(id);
          continue;
        }
        // The rest are read with what they serve (APIs, AppSync, the functions subscription
        // filters feed: below) or silently (IAM, permissions).
        if (!isNotRunType(r.Type)) continue;
        const appsyncPart = APPSYNC_UNEMULATED_TYPES.get(r.Type);
        if (appsyncPart !== undefined) {
          if (this.active(id)) (unemulatedAppSync.get(r.Type) ?? unemulatedAppSync.set(r.Type, []).get(r.Type)!).push(id);
          continue;
        }
        const unemulated = UNEMULATED_EVENT_TYPES.get(r.Type);
        if (unemulated !== undefined) {
          this.warnings.push(`${id}: ${r.Type} is not emulated; ${unemulated} (docs/eventbridge.md)`);
          continue;
        }
        const secretPart = UNEMULATED_SECRET_TYPES.get(r.Type);
        if (secretPart !== undefined) {
          if (this.active(id)) this.warnings.push(`${id}: ${r.Type} is not emulated; ${secretPart} (docs/secrets.md)`);
          continue;
        }
        if (r.Type === CONNECTOR_TYPE) {
          if (this.active(id)) connectors.push(id);
          continue;
        }
        const list = skipped.get(r.Type) ?? [];
        list.push(id);
        skipped.set(r.Type, list);
        continue;
      }
      if (!this.active(id)) continue;
      if (LAYER_TYPES.has(r.Type)) {
        const layer = this.readLayer(id, r);
        const other = layerNames.get(layer.name);
        if (other !== undefined) {
          this.warnings.push(`layers ${other} and ${id} share the name "${layer.name}"; ${id} uses its logical id`);
          layer.name = id;
        }
        layerNames.set(layer.name, id);
        layerIdByArn.set(this.resourceRef(id, { logicalId: id, field: 'LayerName' }) as string, id);
        layers.push(layer);
        codeRefs.push(layer.content);
      } else if (TABLE_TYPES.has(r.Type)) tables.push(this.readTable(id, r));
      else if (r.Type === 'AWS::S3::Bucket') buckets.push(this.readBucket(id));
      else if (r.Type === QUEUE_TYPE) queues.push(this.readQueue(id));
      else if (r.Type === KINESIS_STREAM_TYPE) {
        const stream = readKinesisStream(this.apiContext(new Set()), id, this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>, this.physicalName(id, { logicalId: id, field: 'Name' }));
        if (streams.some((s) => s.Name === stream.Name)) this.fail(id, 'Name', `"${stream.Name}" is the name of another stream of this template`);
        streams.push(stream);
      } else if (r.Type === SECRET_TYPE) {
        const secret = readSecret(this.apiContext(new Set()), id, this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>, this.physicalName(id, { logicalId: id, field: 'Name' }));
        if (secrets.some((s) => s.Name === secret.Name)) this.fail(id, 'Name', `"${secret.Name}" is the name of another secret of this template`);
        secrets.push(secret);
      } else if (r.Type === PARAMETER_TYPE) {
        const parameter = readParameter(this.apiContext(new Set()), id, this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>, this.physicalName(id, { logicalId: id, field: 'Name' }));
        if (parameters.some((p) => p.Name === parameter.Name)) this.fail(id, 'Name', `"${parameter.Name}" is the name of another parameter of this template`);
        parameters.push(parameter);
      } else if (r.Type === SCHEDULE_GROUP_TYPE) {
        scheduleGroups.push(readScheduleGroup(this.apiContext(new Set()), id, this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>, this.physicalName(id, { logicalId: id, field: 'Name' })));
      } else if (r.Type === SCHEDULER_TYPE) {
        const schedule = readSchedulerSchedule(this.apiContext(new Set()), id, this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>, this.physicalName(id, { logicalId: id, field: 'Name' }));
        if (schedule && schedules.some((s) => s.Name === schedule.Name && s.GroupName === schedule.GroupName)) this.fail(id, 'Name', `"${schedule.Name}" is the name of another schedule of group ${schedule.GroupName} in this template`);
        if (schedule) schedules.push(schedule);
      } else if (r.Type === STREAM_CONSUMER_TYPE) readStreamConsumer(this.kinesisContext(), id, this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>);
      else if (r.Type === EVENT_BUS_TYPE) busName(this.apiContext(new Set()), id, this.prop(id, this.rawProps(id), 'Name'));
      else if (API_TYPES.has(r.Type)) apiIds.push(id);
    }

    for (const t of tables) this.streamTables.set(t.TableName, t.StreamSpecification?.StreamViewType);
    const routeEvents: RouteEvent[] = [];
    const unsupportedEvents = new Map<string, string[]>();
    for (const [id, r] of Object.entries(this.resources)) {
      if (!FUNCTION_TYPES.has(r.Type) || !this.active(id)) continue;
      const fn = this.readFunction(id, r, keys.get(id) as string, layerIdByArn, routeEvents, unsupportedEvents);
      functions.push(fn);
      if (fn.code?.kind === 'ref') codeRefs.push(fn.code.ref);
      if (fn.image?.kind === 'dockerfile') codeRefs.push(fn.image.context);
    }
    queues.push(...this.eventQueues);
    // AWS::Serverless::StateMachine / AWS::StepFunctions::StateMachine: state_machines of functions.yml, before the rules and schedules that start them.
    for (const [id, r] of Object.entries(this.resources)) {
      if (!STATE_MACHINE_TYPES.has(r.Type) || !this.active(id)) continue;
      const machine = this.readMachine(id, r.Type, routeEvents, unsupportedEvents);
      if (this.stateMachines.has(machine.name)) this.fail(id, stateMachineNameField(r.Type), `"${machine.name}" is the name of another state machine of this template`);
      this.stateMachines.set(machine.name, machine);
    }
    // AWS::Lambda::EventSourceMapping of a queue, a DynamoDB stream or a Kinesis stream: an event of the function it names.
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== EVENT_SOURCE_MAPPING || !this.active(id)) continue;
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const arn = props.EventSourceArn;
      const source = typeof arn !== 'string' ? undefined : QUEUE_ARN.test(arn) ? 'sqs' : DYNAMODB_STREAM_ARN.test(arn) ? 'dynamodb' : kinesisStreamNameOf(arn) !== undefined ? 'kinesis' : undefined;
      if (source === undefined) {
        // Kafka, MQ, DocumentDB: not run here.
        (skipped.get(r.Type) ?? skipped.set(r.Type, []).get(r.Type)!).push(id);
        continue;
      }
      const target = typeof props.FunctionName === 'string' ? (functionFromUri(props.FunctionName) ?? props.FunctionName) : undefined;
      const fn = functions.find((f) => f.key === target || (target !== undefined && target.endsWith(`:function:${f.key}`)));
      if (!fn) this.fail(id, 'FunctionName', `${JSON.stringify(props.FunctionName)} is not a function of this template`);
      if (source === 'sqs') fn.events.push(this.queueMapping(id, '', id, props, 'EventSourceArn'));
      else if (source === 'dynamodb') fn.events.push(this.streamMapping(id, '', id, props, 'EventSourceArn'));
      else fn.events.push(kinesisMapping(this.kinesisContext(), id, '', id, props, 'EventSourceArn'));
    }
    // AWS::Logs::SubscriptionFilter to a function: a `logs` event of it (docs/agent.md "Log subscriptions").
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== SUBSCRIPTION_FILTER_TYPE || !this.active(id)) continue;
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const target = typeof props.DestinationArn === 'string' ? functionFromUri(props.DestinationArn) : undefined;
      const fn = functions.find((f) => f.key === target);
      if (!fn) {
        this.warnings.push(`${id}: DestinationArn ${JSON.stringify(props.DestinationArn)} is not a function of this template (Kinesis and Firehose destinations are not run); not run`);
        continue;
      }
      fn.events.push(logSubscription(this.apiContext(new Set()), id, 'Properties', id, props, props.FilterName));
    }
    // A bucket's NotificationConfiguration: LambdaConfigurations are S3 events of the functions they
    // name; queues, topics and EventBridge are the bucket's own (docs/agent.md "S3 events").
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== 'AWS::S3::Bucket' || !this.active(id)) continue;
      const nc = this.prop(id, this.rawProps(id), 'NotificationConfiguration');
      if (nc === undefined) continue;
      if (!isRecord(nc)) this.fail(id, 'NotificationConfiguration', 'must be a map');
      const bucket = this.physicalName(id, { logicalId: id, field: 'BucketName' });
      const own = readBucketNotifications(this.bucketNotificationContext(id), id, bucket, nc);
      this.bucketNotifications.push(...own.notifications);
      if (own.eventBridge) this.eventBridgeBuckets.push(bucket);
      if (nc.LambdaConfigurations === undefined) continue;
      if (!Array.isArray(nc.LambdaConfigurations)) this.fail(id, 'NotificationConfiguration.LambdaConfigurations', 'must be a list');
      for (const [i, c] of nc.LambdaConfigurations.entries()) {
        const field = `NotificationConfiguration.LambdaConfigurations[${i}]`;
        const target = isRecord(c) && typeof c.Function === 'string' ? (functionFromUri(c.Function) ?? c.Function) : undefined;
        const fn = functions.find((f) => f.key === target);
        if (!fn || !isRecord(c)) this.fail(id, `${field}.Function`, `${JSON.stringify(isRecord(c) ? c.Function : c)} is not a function of this template`);
        fn.events.push(this.s3Notification(id, field, typeof c.Id === 'string' ? c.Id : `${id}Notification${i + 1}`, bucket, c.Event, c.Filter, 'Event'));
      }
    }
    // AWS::Events::Rule: a rule of functions.yml, matching events or sending the Scheduled Event on time.
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== EVENT_RULE_TYPE || !this.active(id)) continue;
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const rule = readRule(this.deliveryContext(), id, props, this.physicalName(id, { logicalId: id, field: 'Name' }));
      if (rule) this.addRule(rule, id);
    }
    // AWS::KinesisFirehose::DeliveryStream: delivery_streams of functions.yml, before the subscriptions that put to them.
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== DELIVERY_STREAM_TYPE || !this.active(id)) continue;
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const stream = readDeliveryStream(this.firehoseContext(), id, props, this.physicalName(id, { logicalId: id, field: 'DeliveryStreamName' }));
      if (!stream) continue;
      if (this.deliveryStreams.has(stream.name)) this.fail(id, 'DeliveryStreamName', `"${stream.name}" is the name of another delivery stream of this template`);
      this.deliveryStreams.set(stream.name, stream);
      if (stream.destination.processor) this.integrationTargets.add(stream.destination.processor.function);
    }
    // AWS::SNS::Topic (its inline Subscription list) and AWS::SNS::Subscription: subscriptions of functions.yml.
    for (const [id, r] of Object.entries(this.resources)) {
      if ((r.Type !== TOPIC_TYPE && r.Type !== SUBSCRIPTION_TYPE) || !this.active(id)) continue;
      if (r.Type === TOPIC_TYPE) {
        // Only what esb uses is resolved: KmsMasterKeyId, DataProtectionPolicy, ... are ignored.
        const raw = this.rawProps(id);
        const props = { FifoTopic: this.prop(id, raw, 'FifoTopic'), Subscription: this.prop(id, raw, 'Subscription') };
        for (const s of readTopic(this.deliveryContext(), id, props, this.physicalName(id, { logicalId: id, field: 'TopicName' }))) this.addSubscription(s, id);
        continue;
      }
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const subscription = readSubscription(this.deliveryContext(), id, props);
      if (subscription) this.addSubscription(subscription, id);
    }
    // AWS::Pipes::Pipe: a built-in function with one mapping of the pipe's source (docs/pipes.md).
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== PIPE_TYPE || !this.active(id)) continue;
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const pipe = readPipe(this.pipeContext(), id, props, this.physicalName(id, { logicalId: id, field: 'Name' }));
      if (!pipe) continue;
      this.serviceFunctions.push(pipeFunction(this.builtinFunctionKey(id, id), id, pipe));
      for (const fn of pipe.invokes) this.integrationTargets.add(fn);
    }
    // AWS::Lambda::Url: the URL of the function it targets (`!Ref Fn` or `!GetAtt Fn.Arn`).
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type !== LAMBDA_URL || !this.active(id)) continue;
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const target = typeof props.TargetFunctionArn === 'string' ? (functionFromUri(props.TargetFunctionArn) ?? props.TargetFunctionArn) : undefined;
      const fn = functions.find((f) => f.key === target);
      if (!fn) this.fail(id, 'TargetFunctionArn', `${JSON.stringify(props.TargetFunctionArn)} is not a function of this template`);
      fn.url = this.functionUrl(id, '', props);
    }

    // APIs: explicit ones in template order, then the implicit ones events use.
    const apis: Record<string, ApiConfig> = {};
    for (const id of apiIds) apis[id] = this.readApi(id, this.resources[id].Type === 'AWS::Serverless::HttpApi' ? 'http' : 'rest');
    const routes: Route[] = [];
    const routeIndex = new Map<string, number>();
    for (const ev of routeEvents) {
      if (!apis[ev.api]) {
        if (ev.api === IMPLICIT_REST_API) apis[ev.api] = this.readApi(ev.api, 'rest');
        else if (ev.api === IMPLICIT_HTTP_API) apis[ev.api] = this.readApi(ev.api, 'http');
      }
      const api = apis[ev.api];
      if (!api) this.fail(ev.logicalId, `Events.${ev.event}.Properties.${ev.type === 'rest' ? 'RestApiId' : 'ApiId'}`, `${ev.api} is not created (its Condition is false)`);
      if (api.type !== ev.type) this.fail(ev.logicalId, `Events.${ev.event}.Properties.${ev.type === 'rest' ? 'RestApiId' : 'ApiId'}`, `${ev.api} is ${api.type === 'rest' ? 'a REST API (AWS::Serverless::Api)' : 'an HTTP API (AWS::Serverless::HttpApi)'}`);
      if (ev.payload && ev.payload !== api.payload_format_version) {
        this.warnings.push(`${ev.logicalId}.Events.${ev.event}: PayloadFormatVersion ${ev.payload} differs from ${ev.api}'s ${api.payload_format_version}; the API's is used`);
      }
      const route: Route = { path: ev.path, method: ev.method as Route['method'], function: ev.fn, api: ev.api };
      try {
        const auth = routeAuthFor(this.apiAuth.get(ev.api) ?? { authorizers: {}, defaultScopes: {} }, ev.auth);
        if (auth) route.auth = auth;
      } catch (err) {
        if (!(err instanceof AuthConfigError)) throw err;
        this.fail(ev.logicalId, `Events.${ev.event}.Properties.${err.field}`, err.reason);
      }
      if (ev.type === 'rest') {
        const validation = samValidation(this.apiContext(new Set()), ev.logicalId, `Events.${ev.event}.Properties`, ev.props, this.apiModels.get(ev.api));
        if (validation) route.validation = validation;
      }
      const k = `${ev.api} ${ev.method} ${ev.path}`;
      const at = routeIndex.get(k);
      if (at !== undefined) {
        this.warnings.push(`route ${ev.method} ${ev.path} of ${ev.api} is defined twice; ${ev.logicalId}.Events.${ev.event} wins`);
        routes[at] = route;
      } else {
        routeIndex.set(k, routes.length);
        routes.push(route);
      }
    }

    // Routes without SAM events: OpenAPI definitions and raw API Gateway resources.
    const addRoute = (api: string, r: ApiRoute) => {
      const route: Route = { path: r.path, method: r.method, function: r.function, api };
      if (r.auth) route.auth = r.auth;
      if (r.validation) route.validation = r.validation;
      if (r.responseStream) route.response_stream = true;
      const k = `${api} ${r.method} ${r.path}`;
      const at = routeIndex.get(k);
      if (at !== undefined) {
        this.warnings.push(`route ${r.method} ${r.path} of ${api} is defined twice; ${r.source} wins`);
        routes[at] = route;
      } else {
        routeIndex.set(k, routes.length);
        routes.push(route);
      }
    };
    for (const [api, list] of this.definitionRoutes) for (const r of list) addRoute(api, r);
    const cfnApis = this.readCfnApis(new Set(keys.values()), new Map(Object.entries(apis).map(([id, a]) => [id, a.type === 'http' ? 'http' : 'rest'] as const)));
    for (const api of cfnApis.apis) {
      if (api.sam) {
        // Raw routes and authorizers of a SAM API: SAM made it the raw API of that logical id.
        if (Object.keys(api.authorizers).length) apis[api.id].authorizers = { ...apis[api.id].authorizers, ...api.authorizers };
        for (const r of api.routes) addRoute(api.id, r);
        continue;
      }
      if (apis[api.id]) this.fail(api.id, 'Type', `API id ${api.id} is used twice`);
      apis[api.id] = {
        type: api.type,
        stage: api.stage,
        stage_variables: {},
        binary_media_types: api.binaryMediaTypes,
        payload_format_version: api.payloadFormatVersion,
        ...(api.cors !== undefined ? { cors: this.httpCors(api.id, api.cors) } : {}),
        ...(Object.keys(api.authorizers).length ? { authorizers: api.authorizers } : {}),
        ...(Object.keys(api.gatewayResponses ?? {}).length ? { gateway_responses: api.gatewayResponses } : {}),
      };
      if (apis[api.id].cors === undefined) delete apis[api.id].cors;
      for (const r of api.routes) addRoute(api.id, r);
      if (api.routes.length === 0) this.warnings.push(`${api.id}: this API defines no route esb can serve`);
    }
    const websockets = Object.fromEntries(cfnApis.websockets);
    for (const [type, ids] of unemulatedAppSync) this.warnings.push(`${ids.join(', ')}: ${type} is not emulated; ${APPSYNC_UNEMULATED_TYPES.get(type)}`);
    // AppSync GraphQL APIs: a built-in function each, at POST /graphql of an HTTP API of the API's logical id.
    for (const [id, api] of this.readAppSyncs(new Set(keys.values()), new Set(tables.map((t) => t.TableName)))) {
      if (apis[id]) this.fail(id, 'Type', `API id ${id} is used twice`);
      const key = this.builtinFunctionKey(id, id);
      this.serviceFunctions.push(appSyncFunction(key, id, this.resources[id].Type, api, (m) => this.warnings.push(m)));
      for (const fn of appSyncTargets(api)) this.integrationTargets.add(fn);
      apis[id] = { type: 'http', stage: '$default', stage_variables: {}, binary_media_types: [], payload_format_version: '2.0', cors: APPSYNC_CORS };
      // Also by its id, where a function's GraphQLUrl is put on the gateway (docs/generate.md, "AppSync GraphQL APIs").
      for (const path of [APPSYNC_PATH, appSyncApiPath(api.api_id)]) addRoute(id, { path, method: 'POST', function: key, source: id });
    }

    for (const ev of this.rawApiEvents) {
      if (routeIndex.has(`${ev.api} ${ev.method} ${ev.path}`)) continue;
      this.warnings.push(`${ev.logicalId}.Events.${ev.event}: ${ev.api} is a raw API resource, whose own resources define its routes (SAM adds none for the event), and it has no ${ev.method} ${ev.path}`);
    }

    for (const [api, { keys, plans }] of this.readApiKeys()) {
      if (!apis[api] && websockets[api]) {
        if (keys.length) websockets[api].api_keys = keys;
        if (plans.some((p) => p.throttle || p.quota)) this.warnings.push(`${api}: usage plan throttles and quotas of WebSocket APIs are not enforced; their keys are`);
        continue;
      }
      if (!apis[api]) {
        this.warnings.push(`API keys are tied to "${api}", which is not an API of this template; they are not used`);
        continue;
      }
      if (keys.length) apis[api].api_keys = keys;
      if (plans.length) apis[api].usage_plans = plans;
    }
    for (const [api, responses] of this.readGatewayResponses()) {
      if (apis[api]?.type === 'rest') apis[api].gateway_responses = { ...apis[api].gateway_responses, ...responses };
      else this.warnings.push(`gateway responses customize "${api}", which is not a REST API of this template; they are not used`);
    }

    if (this.options.envVars) applyEnvVars(functions, this.options.envVars, (m) => this.warnings.push(m));
    this.warnPlaceholderVariables(functions);
    functions.push(...this.serviceFunctions);
    // A function nothing reaches because esb did not understand what should reach it: say so.
    const reached = new Set([...routes.map((r) => r.function), ...this.integrationTargets]);
    for (const fn of functions) if (fn.url) reached.add(fn.key);
    for (const api of [...Object.values(apis), ...Object.values(websockets)]) for (const a of Object.values(api.authorizers ?? {})) if ('function' in a) reached.add(a.function);
    for (const ws of Object.values(websockets)) for (const r of ws.routes) if (r.function !== undefined) reached.add(r.function);
    for (const rule of this.rules.values()) for (const t of rule.targets) if (t.function !== undefined) reached.add(t.function);
    for (const s of this.subscriptions.values()) if (s.function !== undefined) reached.add(s.function);
    const unreachable: string[] = [];
    for (const fn of functions) {
      if (reached.has(fn.key) || fn.events.length > 0) continue;
      const lost = [...unsupportedEvents].filter(([, ids]) => ids.some((x) => x.startsWith(`${fn.logicalId}.`))).map(([t]) => t);
      if (lost.length) unreachable.push(`${fn.logicalId} (events of type ${lost.join(', ')})`);
    }
    if (unreachable.length) this.warnings.push(`UNREACHABLE: no route reaches ${unreachable.join('; ')}; only the Lambda Invoke API can call them`);
    // A state machine's tasks may invoke the functions (its definition is the agent's to read): no warning then.
    const loadBalancers = elbIds.length ? readLoadBalancers(this.apiContext(new Set()), elbIds.map((id) => this.elbResource(id))) : {};
    if (routes.length === 0 && Object.keys(websockets).length === 0 && Object.keys(loadBalancers).length === 0 && this.rules.size === 0 && this.subscriptions.size === 0 && this.stateMachines.size === 0 && this.deliveryStreams.size === 0 && !functions.some((f) => f.url || f.events.length > 0) && functions.length > 0 && skipped.size > 0) {
      this.warnings.push(`NO ROUTES: the template defines ${functions.length} function(s) but no route esb understands; not run: ${[...skipped.keys()].join(', ')}`);
    }

    const tableNames = new Set<string>();
    for (const t of tables) {
      if (tableNames.has(t.TableName)) this.warnings.push(`table name "${t.TableName}" is used by two tables; the later one wins`);
      tableNames.add(t.TableName);
    }
    const customResources = this.readCustomResources(customIds);
    for (const [type, ids] of unsupportedEvents) this.warnings.push(`event type ${type} is not run by esb; skipped: ${ids.join(', ')}`);
    if (skipped.size > 0) {
      const parts = [...skipped].map(([type, ids]) => `${type} (${ids.join(', ')})`);
      this.warnings.push(`skipped resources esb does not run: ${parts.join('; ')}`);
    }
    if (connectors.length) this.warnings.push(`connectors ${connectors.join(', ')}: IAM permissions only, not enforced here`);
    let model: SamModel = {
      file: this.file,
      stackName: this.stackName,
      functions,
      layers,
      tables,
      buckets,
      queues,
      streams,
      secrets,
      parameters,
      scheduleGroups,
      schedules: this.withSamSchedules(schedules),
      customResources,
      loadBalancers,
      rules: [...this.rules.values()],
      subscriptions: [...this.subscriptions.values()],
      stateMachines: [...this.stateMachines.values()],
      deliveryStreams: [...this.deliveryStreams.values()],
      bucketNotifications: this.bucketNotifications,
      eventBridgeBuckets: this.eventBridgeBuckets,
      routes,
      apis,
      websockets,
      warnings: this.warnings,
      codeRefs,
      localFiles: this.localFiles,
      outputs: this.readOutputs(),
    };
    for (const id of nestedIds) {
      const nested = this.nestedStack(id);
      if (nested) model = withNestedModel(model, nested.model, nested.dir, id);
    }
    return model;
  }

  /**
   * A nested stack read as a stack of its own, once (docs/generate.md "Nested applications"):
   * named <stack>-<LogicalId>, its parameters what the parent gives, its paths from its own
   * folder. Undefined for a template that is not local (with a warning).
   */
  private nestedStack(id: string): NestedStack | undefined {
    const known = this.nestedStacks.get(id);
    if (known === 'reading') this.fail(id, 'Parameters', 'nested stacks name each other\'s outputs in a circle');
    if (known !== undefined) return known === 'remote' ? undefined : known;
    const r = this.resources[id];
    const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
    const location = nestedLocation(r.Type, props);
    if (location.kind === 'missing') this.fail(id, location.field, 'a nested stack needs the path of its template');
    if (location.kind === 'remote') {
      this.nestedStacks.set(id, 'remote');
      this.warnings.push(`${id}: the nested stack from ${location.what} is not deployed (only local templates are read; docs/generate.md "Nested applications")`);
      return undefined;
    }
    this.nestedStacks.set(id, 'reading');
    const ref = this.codeRef(id, location.field, location.path);
    const here = this.options.nestedIn?.at(-1) ?? posix.join(this.options.templateDir ?? '.', posix.basename(this.file));
    const chain = [...(this.options.nestedIn ?? [here])];
    const absolute = posix.join(posix.dirname(here), ref.uri);
    if (chain.includes(absolute)) this.fail(id, location.field, `"${location.path}" nests itself: ${[...chain, absolute].join(' -> ')}`);
    if (chain.length > MAX_NESTING) this.fail(id, location.field, `nested stacks go deeper than ${MAX_NESTING} levels`);
    const text = this.localText(id, location.field, location.path);
    const parameterOverrides = nestedParameters(props.Parameters, (field, reason) => this.fail(id, field, reason));
    const dir = posix.dirname(ref.uri);
    const read = this.options.readLocalFile;
    const file = posix.join(posix.dirname(this.file.replace(/\\/g, '/')), ref.uri);
    const warnings: string[] = [];
    const reader = new TemplateReader(
      parseTemplateText(text, file, undefined, warnings),
      file,
      {
        ...this.options,
        file,
        stackName: `${this.stackName}-${id}`,
        parameterOverrides,
        ...(this.options.templateDir ? { templateDir: posix.join(this.options.templateDir, dir) } : {}),
        ...(read ? { readLocalFile: (rel: string) => read(posix.join(dir, rel)) } : {}),
        nestedIn: [...chain, absolute],
      },
      warnings,
    );
    const nested: NestedStack = { reader, model: reader.read(), dir };
    this.nestedStacks.set(id, nested);
    return nested;
  }

  /** What `!GetAtt <nested>.Outputs.<name>` gives: the output's Value resolved in this template, or why it has none here; undefined when there is no such output. */
  outputValue(name: string): { value: unknown } | { problem: string; placeholder?: unknown } | undefined {
    const out = this.outputs[name];
    if (!isRecord(out) || !('Value' in out)) return undefined;
    const { value, unrun } = this.resolveOutput(name, out.Value);
    if (value instanceof SamTemplateError) return { problem: value.message };
    return unrun === undefined ? { value } : { problem: unrun, placeholder: value };
  }

  /** An output's Value resolved here, and why it holds placeholders of what esb does not run (`unrun`: then it has no value here). */
  private resolveOutput(key: string, raw: unknown): { value: unknown; unrun?: string } {
    const mark = this.unrunRefs.length;
    const value = this.orError(() => this.resolver.resolve(raw, { logicalId: `Outputs.${key}`, field: 'Value' }));
    return { value, unrun: this.unrunSince(mark, `Outputs.${key}`) };
  }

  /** What `read` gives, or the SamTemplateError that says why there is nothing here (an ARN of what esb does not run taken apart, ...). */
  private orError<T>(read: () => T): T | SamTemplateError {
    try {
      return read();
    } catch (err) {
      if (err instanceof SamTemplateError) return err;
      throw err;
    }
  }

  /**
   * The template's Outputs (docs/generate.md "Outputs and exports"): each Value, Description and
   * Export.Name resolved here; one esb cannot resolve keeps the reason instead of failing the
   * deploy. Outputs whose Condition is false are left out; two exporting one name fail.
   */
  private readOutputs(): Record<string, StackOutput> {
    const outputs: Record<string, StackOutput> = {};
    const exporters = new Map<string, string>();
    for (const [key, raw] of Object.entries(this.outputs)) {
      const at = (field: string): Location => ({ logicalId: `Outputs.${key}`, field });
      if (!isRecord(raw) || !('Value' in raw)) {
        outputs[key] = { problem: 'an output needs a Value' };
        continue;
      }
      if (raw.Condition !== undefined) {
        const condition = raw.Condition;
        const holds = this.orError(() => (typeof condition === 'string' ? this.condition(condition, at('Condition')) : this.fail(`Outputs.${key}`, 'Condition', 'must name a condition')));
        if (holds === false) continue;
        if (holds instanceof SamTemplateError) {
          outputs[key] = { problem: holds.reason };
          continue;
        }
      }
      const output: StackOutput = {};
      const { value, unrun } = this.resolveOutput(key, raw.Value);
      const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number') ? value.join(',') : undefined;
      if (value instanceof SamTemplateError) output.problem = value.reason;
      else if (unrun !== undefined) {
        // What an import of it gets instead, as a reference in this stack would.
        output.problem = unrun;
        if (text !== undefined) output.placeholder = text;
      } else if (text !== undefined) output.value = text;
      else output.problem = `the Value is ${value === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(value)}, not text`;
      if (typeof raw.Description === 'string') output.description = raw.Description;
      if (raw.Export !== undefined) {
        const exported = raw.Export;
        const name = isRecord(exported) ? this.orError(() => this.resolver.resolve(exported.Name, at('Export.Name'))) : undefined;
        if (typeof name === 'string' && name !== '') {
          const other = exporters.get(name);
          if (other !== undefined) this.fail(`Outputs.${key}`, 'Export.Name', `"${name}" is exported by Outputs.${other} too; an export name is taken once (CloudFormation refuses the template)`);
          exporters.set(name, key);
          output.export = name;
        } else {
          const why = name instanceof SamTemplateError ? name.reason : 'Export needs a Name that is text';
          output.problem = output.problem ? `${output.problem}; ${why}` : why;
        }
      }
      outputs[key] = output;
    }
    return outputs;
  }

  /**
   * `!Ref` (no attribute) or `!GetAtt` of a Lambda-backed custom resource: a reference to what it
   * answered, resolved where the value is used (docs/provisioner.md "Custom resources").
   */
  private customResourceValue(id: string, attr: string | undefined, at: Location): string | undefined {
    const r = this.resources[id];
    if (!r || !isCustomResourceType(r.Type) || !this.active(id)) return undefined;
    let lambdaBacked = this.lambdaBacked.get(id);
    if (lambdaBacked === undefined) this.lambdaBacked.set(id, (lambdaBacked = functionFromUri(this.resolver.resolve(this.rawProps(id).ServiceToken, { logicalId: at.logicalId, field: at.field })) !== undefined));
    if (!lambdaBacked) return undefined;
    const parameter = customResourceParameter(this.stackName, id, attr);
    return parameter === undefined ? undefined : ssmReference(parameter);
  }

  /** A load balancer part with its resolved properties, name and ARN (docs/gateway.md "Application Load Balancers"). */
  private elbResource(id: string): ElbResource {
    let known = this.elbResources.get(id);
    if (!known) this.elbResources.set(id, (known = this.readElbResource(id)));
    return known;
  }

  private readElbResource(id: string): ElbResource {
    const type = this.resources[id].Type;
    // Only what is served is resolved: subnets, security groups and instance targets name what esb does not run.
    const raw = this.rawProps(id);
    const wanted = ELB_PROPERTIES[type].filter((k) => k !== 'Targets' || this.resolver.resolve(raw.TargetType, { logicalId: id, field: 'TargetType' }) === 'lambda');
    const props = this.resolver.resolve(Object.fromEntries(wanted.filter((k) => k in raw).map((k) => [k, raw[k]])), { logicalId: id, field: '' }) as Record<string, unknown>;
    const name = elbName(this.stackName, id, type === LOAD_BALANCER_TYPE || type === TARGET_GROUP_TYPE ? props.Name : undefined);
    return { id, type, props, name, arn: elbArn(type, String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']), this.stackName, id, name) };
  }

  /** The template's Lambda-backed custom resources, in the order CloudFormation would create them. */
  private readCustomResources(ids: string[]): CustomResource[] {
    const ctx = this.apiContext(new Set());
    const order = creationOrder(ctx, ids.map((id) => ({ id, raw: this.rawProps(id), dependsOn: this.resources[id].DependsOn })));
    const stack = { name: this.stackName, id: String(this.pseudo['AWS::StackId']) };
    const out: CustomResource[] = [];
    for (const id of order) {
      const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
      const resource = readCustomResource(ctx, id, this.resources[id].Type, props, stack);
      if (resource) out.push(resource);
    }
    return out;
  }

  private codeRef(id: string, field: string, value: unknown): CodeRef {
    if (isRecord(value) || (typeof value === 'string' && /^s3:\/\//i.test(value))) {
      this.fail(id, field, 'S3 locations are not supported; point it at a local folder or .zip file');
    }
    if (typeof value !== 'string' || value === '') this.fail(id, field, 'must be a path to a local folder or .zip file');
    let p = value.replace(/\\/g, '/');
    const dir = this.options.templateDir?.replace(/\\/g, '/');
    const escapes = (rel: string) => rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel);
    // A root that does not hold the template's folder is no wider than that folder.
    const given = this.options.codeRoot?.replace(/\\/g, '/');
    const root = given && dir && !escapes(posix.relative(given, dir)) ? given : dir;
    const where = root && dir && root !== dir ? `the workspace ${root}` : "the template's folder";
    if (posix.isAbsolute(p)) {
      const rel = dir ? posix.relative(dir, p) : '../';
      if (dir && root ? escapes(posix.relative(root, p)) : escapes(rel)) this.fail(id, field, `"${value}" escapes ${where}`);
      p = rel === '' ? '.' : rel;
    }
    p = posix.normalize(p).replace(/\/+$/, '') || '.';
    if (p === '..' || p.startsWith('../')) {
      if (!dir || !root || escapes(posix.relative(root, posix.join(dir, p)))) this.fail(id, field, `"${value}" escapes ${where}`);
    }
    // A .jar is a zip file; Lambda takes either for a Java function (its classes at the root, libraries in lib/).
    return { logicalId: id, field, uri: p, kind: /\.(zip|jar)$/i.test(p) ? 'zip' : 'dir' };
  }

  private readLayer(id: string, r: RawResource): LayerModel {
    const props = this.rawProps(id);
    const field = r.Type === 'AWS::Serverless::LayerVersion' ? 'ContentUri' : 'Content';
    const content = this.prop(id, props, field);
    if (content === undefined) this.fail(id, field, `missing ${field} (a local folder or .zip file)`);
    const name = this.physicalName(id, { logicalId: id, field: 'LayerName' });
    const runtimes = this.prop(id, props, 'CompatibleRuntimes');
    const layer: LayerModel = {
      logicalId: id,
      name: /^[A-Za-z0-9_.-]+$/.test(name) ? name : id,
      content: this.codeRef(id, field, content),
      compatibleRuntimes: Array.isArray(runtimes) ? runtimes.map(String) : undefined,
    };
    const build = this.buildMetadata(id, r);
    if (build) layer.build = build;
    return layer;
  }

  /** Metadata.BuildMethod / BuildProperties, checked for shape only; builders check the rest. */
  private buildMetadata(id: string, r: RawResource): BuildMetadata | undefined {
    const meta = r.Metadata;
    if (!isRecord(meta) || (meta.BuildMethod === undefined && meta.BuildProperties === undefined)) return undefined;
    const method = meta.BuildMethod === undefined ? undefined : this.resolver.resolve(meta.BuildMethod, { logicalId: id, field: 'Metadata.BuildMethod' });
    if (method !== undefined && (typeof method !== 'string' || method === '')) this.fail(id, 'Metadata.BuildMethod', 'must be a string (esbuild, makefile, or a runtime such as nodejs20.x)');
    const props = meta.BuildProperties === undefined ? {} : this.resolver.resolve(meta.BuildProperties, { logicalId: id, field: 'Metadata.BuildProperties' });
    if (!isRecord(props)) this.fail(id, 'Metadata.BuildProperties', 'must be a map');
    return { ...(method !== undefined ? { method: method as string } : {}), properties: props as Record<string, unknown> };
  }

  private num(id: string, field: string, v: unknown, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      const range = opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` : opts.min !== undefined ? ` >= ${opts.min}` : opts.max !== undefined ? ` <= ${opts.max}` : '';
      this.fail(id, field, `must be a${opts.int ? 'n integer' : ' number'}${range} (got ${JSON.stringify(v)})`);
    }
    return n;
  }

  /** `nullAsEmpty`: a key left without a value is set to "" with a warning, as sam local sets it (templates publish such keys for the user to fill in). */
  private stringMap(id: string, field: string, v: unknown, opts: { nullAsEmpty?: boolean } = {}): Record<string, string> {
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) this.fail(id, field, 'must be a map');
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (val === null && opts.nullAsEmpty) {
        this.warnings.push(`${id}.${field}.${k} has no value: set to "" (as sam local sets it)`);
        out[k] = '';
        continue;
      }
      if (val === null || typeof val === 'object') this.fail(id, `${field}.${k}`, 'must be a string');
      out[k] = String(val);
    }
    return out;
  }

  /** SAM's Tracing (Active, PassThrough or Disabled: none) or a raw function's TracingConfig.Mode. */
  private tracingMode(id: string, props: Record<string, unknown>, serverless: boolean): 'Active' | 'PassThrough' | undefined {
    const config = props.TracingConfig;
    if (!serverless && config !== undefined && !isRecord(config)) this.fail(id, 'TracingConfig', 'must be a map with Mode');
    const field = serverless ? 'Tracing' : 'TracingConfig.Mode';
    const mode = serverless ? props.Tracing : isRecord(config) ? config.Mode : undefined;
    if (mode === undefined || (serverless && mode === 'Disabled')) return undefined;
    if (mode !== 'Active' && mode !== 'PassThrough') this.fail(id, field, `must be Active or PassThrough${serverless ? ' (or Disabled)' : ''} (got ${JSON.stringify(mode)})`);
    return mode;
  }

  /**
   * LoggingConfig as Lambda takes it: levels only with LogFormat JSON (Lambda refuses them with
   * Text), SystemLogLevel DEBUG, INFO or WARN (docs/agent.md, "Log lines").
   */
  private loggingConfig(id: string, props: Record<string, unknown>): FunctionLogging | undefined {
    const config = props.LoggingConfig;
    if (config === undefined || config === null) return undefined;
    if (!isRecord(config)) this.fail(id, 'LoggingConfig', 'must be a map of LogFormat, ApplicationLogLevel, SystemLogLevel and LogGroup');
    const known = ['LogFormat', 'ApplicationLogLevel', 'SystemLogLevel', 'LogGroup'];
    for (const k of Object.keys(config)) if (!known.includes(k)) this.fail(id, `LoggingConfig.${k}`, `is not a LoggingConfig property (${known.join(', ')})`);
    const format = config.LogFormat ?? 'Text';
    if (format !== 'Text' && format !== 'JSON') this.fail(id, 'LoggingConfig.LogFormat', `must be Text or JSON (got ${JSON.stringify(format)})`);
    const level = <T extends string>(field: string, allowed: readonly T[]): T | undefined => {
      const v = config[field];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(id, `LoggingConfig.${field}`, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
      if (format !== 'JSON') this.fail(id, `LoggingConfig.${field}`, 'can only be set with LogFormat JSON, as Lambda requires');
      return v as T;
    };
    const logging: FunctionLogging = { format };
    const application = level('ApplicationLogLevel', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const);
    const system = level('SystemLogLevel', ['DEBUG', 'INFO', 'WARN'] as const);
    if (application) logging.application_level = application;
    if (system) logging.system_level = system;
    if (config.LogGroup !== undefined) {
      const group = config.LogGroup;
      if (typeof group !== 'string' || !/^[\w\-./#]{1,512}$/.test(group)) this.fail(id, 'LoggingConfig.LogGroup', `must be a log group name: 1-512 letters, digits, "_", "-", "/", "." or "#" (got ${JSON.stringify(group)})`);
      logging.log_group = group;
    }
    return logging;
  }

  private readFunction(
    id: string,
    r: RawResource,
    key: string,
    layerIdByArn: Map<string, string>,
    routeEvents: RouteEvent[],
    unsupportedEvents: Map<string, string[]>,
  ): FunctionModel {
    const serverless = r.Type === 'AWS::Serverless::Function';
    const props = this.resolver.resolve(this.functionProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
    const packageType = props.PackageType === undefined ? 'Zip' : props.PackageType;
    if (packageType !== 'Zip' && packageType !== 'Image') this.fail(id, 'PackageType', 'must be Zip or Image');
    const fn: FunctionModel = {
      key,
      logicalId: id,
      resourceType: r.Type,
      packageType,
      timeout: this.num(id, 'Timeout', props.Timeout, { min: 1 }) ?? 3,
      memorySize: this.num(id, 'MemorySize', props.MemorySize, { int: true, min: 128 }) ?? 128,
      environment: {},
      scaling: {},
      layers: [],
      events: [],
    };
    if (fn.memorySize > 10240) this.fail(id, 'MemorySize', 'must be at most 10240');
    const env = props.Environment;
    if (env !== undefined) {
      if (!isRecord(env)) this.fail(id, 'Environment', 'must be a map with Variables');
      fn.environment = this.stringMap(id, 'Environment.Variables', env.Variables, { nullAsEmpty: true });
    }
    if (props.Architectures !== undefined) {
      const a = props.Architectures;
      if (!Array.isArray(a) || a.some((x) => x !== 'x86_64' && x !== 'arm64')) this.fail(id, 'Architectures', 'must be a list of x86_64 / arm64');
      fn.architectures = [...new Set(a as Array<'x86_64' | 'arm64'>)];
    }
    if (props.DurableConfig !== undefined) {
      const d = props.DurableConfig;
      if (!isRecord(d)) this.fail(id, 'DurableConfig', 'must be a map with ExecutionTimeout');
      const timeout = this.num(id, 'DurableConfig.ExecutionTimeout', d.ExecutionTimeout, { int: true, min: 1, max: 31_622_400 });
      if (timeout === undefined) this.fail(id, 'DurableConfig.ExecutionTimeout', 'is required: the longest an execution may run, in seconds (1-31622400)');
      fn.durable = { execution_timeout: timeout, retention_days: this.num(id, 'DurableConfig.RetentionPeriodInDays', d.RetentionPeriodInDays, { int: true, min: 1, max: 90 }) ?? 14 };
    }
    const tracing = this.tracingMode(id, props, serverless);
    if (tracing) fn.tracing = tracing;
    const logging = this.loggingConfig(id, props);
    if (logging) fn.logging = logging;
    const reserved = this.num(id, 'ReservedConcurrentExecutions', props.ReservedConcurrentExecutions, { int: true, min: 0 });
    if (reserved !== undefined) fn.scaling.max_capacity = reserved;
    if (props.ProvisionedConcurrencyConfig !== undefined) {
      const pc = props.ProvisionedConcurrencyConfig;
      if (!isRecord(pc)) this.fail(id, 'ProvisionedConcurrencyConfig', 'must be a map');
      const min = this.num(id, 'ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions', pc.ProvisionedConcurrentExecutions, { int: true, min: 0 });
      if (min !== undefined) fn.scaling.min_capacity = min;
    }
    if (fn.scaling.max_capacity !== undefined && fn.scaling.min_capacity !== undefined && fn.scaling.min_capacity > fn.scaling.max_capacity) {
      this.fail(id, 'ProvisionedConcurrencyConfig', `provisioned concurrency ${fn.scaling.min_capacity} exceeds ReservedConcurrentExecutions ${fn.scaling.max_capacity}`);
    }
    if (serverless && props.FunctionUrlConfig !== undefined) fn.url = this.functionUrl(id, 'FunctionUrlConfig', props.FunctionUrlConfig);
    if (serverless && props.EventInvokeConfig !== undefined) {
      if (!isRecord(props.EventInvokeConfig)) this.fail(id, 'EventInvokeConfig', 'must be a map');
      const retries = this.num(id, 'EventInvokeConfig.MaximumRetryAttempts', props.EventInvokeConfig.MaximumRetryAttempts, { int: true, min: 0, max: 2 });
      if (retries !== undefined) fn.asyncRetries = retries;
      const maxAge = this.num(id, 'EventInvokeConfig.MaximumEventAgeInSeconds', props.EventInvokeConfig.MaximumEventAgeInSeconds, { int: true, min: 60, max: 21_600 });
      if (maxAge !== undefined) fn.asyncMaxEventAge = maxAge;
    }
    const { failureQueues, destinations } = this.asyncDelivery(id, props, serverless);
    if (failureQueues.length) fn.asyncFailureQueues = failureQueues;
    if (destinations) fn.asyncDestinations = destinations;
    if (props.Layers !== undefined) {
      if (!Array.isArray(props.Layers)) this.fail(id, 'Layers', 'must be a list');
      props.Layers.forEach((l, i) => {
        const layerId = typeof l === 'string' ? layerIdByArn.get(l) : undefined;
        if (layerId) fn.layers.push(layerId);
        else this.warnings.push(`${id}.Layers[${i}]: layer ${JSON.stringify(l)} is not defined in this template; skipped`);
      });
    }

    const code = serverless ? undefined : props.Code;
    if (!serverless && code !== undefined && !isRecord(code) && typeof code !== 'string') this.fail(id, 'Code', 'must be a map or a local path');
    if (packageType === 'Image') {
      const imageUri = serverless ? props.ImageUri : isRecord(code) ? code.ImageUri : undefined;
      const meta = r.Metadata;
      if (isRecord(meta) && typeof meta.Dockerfile === 'string') {
        const context = this.codeRef(id, 'Metadata.DockerContext', meta.DockerContext ?? '.');
        if (context.kind !== 'dir') this.fail(id, 'Metadata.DockerContext', 'must be a folder');
        const dockerfile = posix.normalize(meta.Dockerfile.replace(/\\/g, '/'));
        if (dockerfile.startsWith('../') || posix.isAbsolute(dockerfile)) this.fail(id, 'Metadata.Dockerfile', `"${meta.Dockerfile}" must be inside DockerContext`);
        fn.image = { kind: 'dockerfile', context, dockerfile, buildArgs: this.stringMap(id, 'Metadata.DockerBuildArgs', meta.DockerBuildArgs) };
      } else if (typeof imageUri === 'string' && imageUri !== '') {
        fn.image = { kind: 'uri', uri: imageUri };
      } else {
        this.fail(id, serverless ? 'ImageUri' : 'Code.ImageUri', 'an Image function needs ImageUri or Metadata.Dockerfile');
      }
      if (typeof props.Runtime === 'string') fn.runtime = props.Runtime;
    } else {
      if (props.Runtime === undefined) this.fail(id, 'Runtime', 'missing Runtime');
      if (typeof props.Runtime !== 'string' || !runtimeFamily(props.Runtime)) {
        this.fail(id, 'Runtime', `unsupported runtime ${JSON.stringify(props.Runtime)} (esb runs python3.x, nodejsNN.x, javaNN, provided.al2023 / provided.al2 / provided with a bootstrap, and go1.x)`);
      }
      fn.runtime = props.Runtime;
      if (deprecatedRuntime(fn.runtime)) {
        const runs =
          fn.runtime === 'go1.x'
            ? 'the executable its Handler names, over the Runtime API (as aws-lambda-go runs on provided.al2023)'
            : runtimeFamily(fn.runtime) === 'provided'
            ? 'the bootstrap of its code, as provided.al2023 would'
            : runtimeFamily(fn.runtime) === 'java'
            ? 'the best-fitting JDK of the machine (process runtime), as java8.al2 would'
            : runtimeFamily(fn.runtime) === 'nodejs'
            ? `Node.js${this.options.nodeVersion ? ` ${this.options.nodeVersion}` : ''} (the process runtime's node) or the esb-runtime:nodejs image (Docker)`
            : `the process runtime's python3 (the first on PATH with boto3, or ESB_PYTHON) or the esb-runtime:python3 image (Docker)`;
        this.warnings.push(`${id}: runtime ${fn.runtime} is deprecated by AWS Lambda; esb runs it on ${runs}`);
      }
      if (props.Handler === undefined || props.Handler === '') this.fail(id, 'Handler', 'missing Handler');
      if (typeof props.Handler !== 'string') this.fail(id, 'Handler', 'must be a string');
      fn.handler = props.Handler;
      const inline = serverless ? props.InlineCode : isRecord(code) ? code.ZipFile : undefined;
      if (inline !== undefined) {
        if (typeof inline !== 'string') this.fail(id, serverless ? 'InlineCode' : 'Code.ZipFile', 'must be a string');
        if (runtimeFamily(fn.runtime) === 'provided') this.fail(id, serverless ? 'InlineCode' : 'Code.ZipFile', `a ${fn.runtime} function runs the bootstrap file of its code, which inline code cannot give`);
        if (runtimeFamily(fn.runtime) === 'java') this.fail(id, serverless ? 'InlineCode' : 'Code.ZipFile', `a ${fn.runtime} function runs compiled classes, which inline code cannot give (Lambda takes inline code for Node.js and Python only)`);
        const module = fn.handler.includes('.') ? fn.handler.slice(0, fn.handler.lastIndexOf('.')) : 'index';
        const ext = runtimeFamily(fn.runtime) === 'python3' ? '.py' : '.js';
        if (!/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(module) || module.split('/').includes('..')) this.fail(id, 'Handler', `cannot name a file after "${fn.handler}"`);
        fn.code = { kind: 'inline', fileName: `${module}${ext}`, text: inline };
      } else if (serverless) {
        // No CodeUri: SAM packages the template's own folder.
        fn.code = { kind: 'ref', ref: this.codeRef(id, 'CodeUri', props.CodeUri ?? '.') };
      } else {
        if (code === undefined) this.fail(id, 'Code', 'missing Code');
        if (isRecord(code) && (code.S3Bucket !== undefined || code.S3Key !== undefined)) this.fail(id, 'Code', 'S3 locations are not supported; point it at a local folder or .zip file');
        if (typeof code !== 'string') this.fail(id, 'Code', 'must be a local path or ZipFile');
        fn.code = { kind: 'ref', ref: this.codeRef(id, 'Code', code) };
      }
    }

    if (packageType === 'Zip') {
      const build = this.buildMetadata(id, r);
      if (build) fn.build = build;
    }

    if (serverless && props.Events !== undefined) {
      if (!isRecord(props.Events)) this.fail(id, 'Events', 'must be a map');
      for (const [name, ev] of Object.entries(props.Events)) {
        const base = `Events.${name}`;
        if (!isRecord(ev)) this.fail(id, base, 'must be a map with Type and Properties');
        const p = ev.Properties === undefined ? {} : ev.Properties;
        if (!isRecord(p)) this.fail(id, `${base}.Properties`, 'must be a map');
        switch (ev.Type) {
          case 'Api':
          case 'HttpApi': {
            const rest = ev.Type === 'Api';
            const apiField = rest ? 'RestApiId' : 'ApiId';
            let api = rest ? IMPLICIT_REST_API : IMPLICIT_HTTP_API;
            if (p[apiField] !== undefined) {
              const ref = p[apiField];
              const wanted = rest ? 'AWS::Serverless::Api' : 'AWS::Serverless::HttpApi';
              const implicit = rest ? IMPLICIT_REST_API : IMPLICIT_HTTP_API;
              const raw = rest ? 'AWS::ApiGateway::RestApi' : 'AWS::ApiGatewayV2::Api';
              if (typeof ref === 'string' && this.resources[ref]?.Type === raw) {
                // SAM links an event to a raw API with a permission only: the API's own
                // resources (or Body) define its routes.
                const method = typeof p.Method === 'string' ? p.Method.toUpperCase() : 'ANY';
                this.rawApiEvents.push({ logicalId: id, event: name, api: ref, method: method === 'X-AMAZON-APIGATEWAY-ANY-METHOD' ? 'ANY' : method, path: typeof p.Path === 'string' ? p.Path : '$default' });
                break;
              }
              if (typeof ref !== 'string' || (ref !== implicit && this.resources[ref]?.Type !== wanted)) {
                this.fail(id, `${base}.Properties.${apiField}`, `must be a !Ref to an ${wanted} or ${raw} of this template (got ${JSON.stringify(ref)})`);
              }
              api = ref;
            }
            const payload = rest ? undefined : versionText(p.PayloadFormatVersion);
            if (!rest && p.Path === undefined && p.Method === undefined) {
              // The HTTP API's $default route: every request no other route of the API takes.
              routeEvents.push({ fn: key, logicalId: id, event: name, type: 'http', api, path: '$default', method: 'ANY', payload, auth: p.Auth, props: p });
              break;
            }
            const { path, method } = this.eventRoute(id, base, p);
            routeEvents.push({ fn: key, logicalId: id, event: name, type: rest ? 'rest' : 'http', api, path, method, payload, auth: p.Auth, props: p });
            break;
          }
          case 'Schedule':
            fn.events.push(samScheduleEvent(this.apiContext(new Set()), id, name, p));
            break;
          case 'ScheduleV2': {
            const schedule = samScheduleV2(this.apiContext(new Set()), id, name, p, this.arn('lambda', `function:${key}`), this.stackName);
            if (schedule) this.samSchedules.push(schedule);
            break;
          }
          case 'S3': {
            if (typeof p.Bucket !== 'string') this.fail(id, `${base}.Properties.Bucket`, 'must be a !Ref to an AWS::S3::Bucket of this template');
            const at = { logicalId: id, field: `${base}.Properties.Bucket` };
            if (!Object.entries(this.resources).some(([bucketId, b]) => b.Type === 'AWS::S3::Bucket' && this.active(bucketId) && this.resourceRef(bucketId, at) === p.Bucket)) {
              this.fail(id, `${base}.Properties.Bucket`, `"${p.Bucket}" is not an AWS::S3::Bucket of this template (SAM requires one)`);
            }
            fn.events.push(this.s3Notification(id, `${base}.Properties`, `${id}${name}`, p.Bucket, p.Events, p.Filter));
            break;
          }
          case 'DynamoDB':
            fn.events.push(this.streamMapping(id, `${base}.Properties`, `${id}${name}`, p, 'Stream'));
            break;
          case 'SQS':
            fn.events.push(this.queueMapping(id, `${base}.Properties`, `${id}${name}`, p, 'Queue'));
            break;
          case 'Kinesis':
            fn.events.push(kinesisMapping(this.kinesisContext(), id, `${base}.Properties`, `${id}${name}`, p, 'Stream'));
            break;
          case 'CloudWatchLogs':
            fn.events.push(logSubscription(this.apiContext(new Set()), id, `${base}.Properties`, `${id}${name}`, p));
            break;
          case 'EventBridgeRule':
          case 'CloudWatchEvent':
            this.addRule(samEventRule(this.deliveryContext(), id, name, p, { function: key }), `${id}.${base}`);
            break;
          case 'SNS': {
            // SqsSubscription: SAM puts a queue between the topic and the function.
            const sqs = p.SqsSubscription;
            if (sqs === undefined || sqs === false || sqs === 'false') {
              this.addSubscription(samTopicSubscription(this.deliveryContext(), id, name, p, { function: key }), `${id}.${base}`);
              break;
            }
            const mapping = this.topicQueueMapping(id, base, name, sqs);
            this.addSubscription(samTopicSubscription(this.deliveryContext(), id, name, p, { queue: mapping.queue }), `${id}.${base}`);
            fn.events.push(mapping);
            break;
          }
          default: {
            const type = typeof ev.Type === 'string' ? ev.Type : '(no Type)';
            const list = unsupportedEvents.get(type) ?? [];
            list.push(`${id}.${name}`);
            unsupportedEvents.set(type, list);
          }
        }
      }
    }
    return fn;
  }

  /** An Api / HttpApi event's Path and Method, checked (X-AMAZON-APIGATEWAY-ANY-METHOD is ANY). */
  private eventRoute(id: string, base: string, p: Record<string, unknown>): { path: string; method: string } {
    if (typeof p.Path !== 'string' || !/^\/\S*$/.test(p.Path)) this.fail(id, `${base}.Properties.Path`, 'must be a path starting with "/"');
    if (typeof p.Method !== 'string') this.fail(id, `${base}.Properties.Method`, 'missing Method');
    const method = p.Method.toUpperCase() === 'X-AMAZON-APIGATEWAY-ANY-METHOD' ? 'ANY' : p.Method.toUpperCase();
    if (!METHODS.has(method)) this.fail(id, `${base}.Properties.Method`, `unsupported method ${p.Method}`);
    return { path: p.Path, method };
  }

  /**
   * A state machine: the properties esb reads resolved (Role, Policies, Logging, ... are not, so
   * what they point at never fails the read), its rules kept, its Api events made routes and its
   * other events listed as not run.
   */
  private readMachine(id: string, type: string, routeEvents: RouteEvent[], unsupportedEvents: Map<string, string[]>): StateMachine {
    const raw = this.rawProps(id);
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) props[k] = stateMachineReads(type, k) ? this.prop(id, raw, k) : v;
    const name = this.physicalName(id, { logicalId: id, field: stateMachineNameField(type) });
    const read = readStateMachine(this.stateMachineContext(), id, type, props, name);
    for (const { rule, source } of read.rules) this.addRule(rule, source);
    for (const { event, props: p } of read.scheduleV2) {
      const schedule = samScheduleV2(this.apiContext(new Set()), id, event, p, stateMachineArn(name, String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId'])), this.stackName);
      if (schedule) this.samSchedules.push(schedule);
    }
    for (const { event, props: p } of read.apiEvents) routeEvents.push(this.stateMachineRoute(id, name, event, p));
    for (const { type: eventType, event } of read.unsupported) {
      const list = unsupportedEvents.get(eventType) ?? [];
      list.push(`${id}.${event}`);
      unsupportedEvents.set(eventType, list);
    }
    return read.machine;
  }

  /**
   * SAM's Api event of a state machine: a route of a REST API (RestApiId, else the implicit
   * one) served by a built-in function that starts an execution with the request's body, as
   * SAM's integration does, and answers with StartExecution's JSON.
   */
  private stateMachineRoute(id: string, machine: string, event: string, p: Record<string, unknown>): RouteEvent {
    const base = `Events.${event}`;
    let api = IMPLICIT_REST_API;
    if (p.RestApiId !== undefined) {
      const ref = p.RestApiId;
      if (typeof ref !== 'string' || (ref !== IMPLICIT_REST_API && this.resources[ref]?.Type !== 'AWS::Serverless::Api')) this.fail(id, `${base}.Properties.RestApiId`, `must be a !Ref to an AWS::Serverless::Api of this template (got ${JSON.stringify(ref)})`);
      api = ref;
    }
    const { path, method } = this.eventRoute(id, base, p);
    const templates = ['RequestTemplates', 'UnescapeMappingTemplate'].filter((f) => p[f] !== undefined && p[f] !== false && p[f] !== 'false');
    if (templates.length) this.warnings.push(`${id}.${base}.Properties.${templates.join(', ')}: not applied; the execution's input is the request's body (docs/step-functions.md)`);
    const arn = stateMachineArn(machine, String(this.pseudo['AWS::Region']), String(this.pseudo['AWS::AccountId']));
    const fn = this.addServiceFunction(`${id}${event}Integration`, `${id}.${base}`, stateMachineApiIntegration(arn), SAM_STATE_MACHINE_TYPE);
    return { fn, logicalId: id, event, type: 'rest', api, path, method, auth: p.Auth, props: p };
  }

  private readApi(id: string, type: 'rest' | 'http'): ApiConfig {
    const global = type === 'rest' ? this.globals.Api : this.globals.HttpApi;
    const raw = (this.resources[id] ? mergeGlobals(global, this.rawProps(id)) : global) ?? {};
    if (!isRecord(raw)) this.fail(id, 'Properties', 'must be a map');
    const { DefinitionBody, DefinitionUri, ...rest } = raw;
    const props = (this.resolver.resolve(rest, { logicalId: id, field: '' }) ?? {}) as Record<string, unknown>;
    const definition = this.definition(id, DefinitionBody, 'DefinitionBody', DefinitionUri, 'DefinitionUri');
    const stage = props.StageName !== undefined ? String(props.StageName) : type === 'rest' ? 'Prod' : '$default';
    const api: ApiConfig = {
      type,
      stage,
      stage_variables: this.stringMap(id, type === 'rest' ? 'Variables' : 'StageVariables', type === 'rest' ? props.Variables : props.StageVariables),
      binary_media_types: [],
      payload_format_version: type === 'rest' ? '1.0' : '2.0',
    };
    if (props.BinaryMediaTypes !== undefined) {
      if (!Array.isArray(props.BinaryMediaTypes)) this.fail(id, 'BinaryMediaTypes', 'must be a list');
      api.binary_media_types = props.BinaryMediaTypes.map((t) => String(t).replace(/~1/g, '/'));
    }
    const cors = type === 'rest' ? this.restCors(id, props.Cors) : this.httpCors(id, props.CorsConfiguration);
    if (cors) api.cors = cors;
    if (props.Models !== undefined) {
      if (!isRecord(props.Models)) this.fail(id, 'Models', 'must be a map of model name to JSON Schema');
      if (type === 'rest') this.apiModels.set(id, props.Models);
    }
    let gatewayResponses: GatewayResponses = {};
    if (props.GatewayResponses !== undefined) {
      if (type === 'rest') gatewayResponses = readSamGatewayResponses(this.apiContext(new Set()), id, props.GatewayResponses);
      else this.warnings.push(`${id}.GatewayResponses: gateway responses apply to REST APIs only; not used`);
    }
    try {
      const auth = readApiAuth(props.Auth, type, (message) => this.warnings.push(`${id}.${message}`));
      if (definition !== undefined) {
        // SAM adds Auth's authorizers to the definition: both sets serve the API.
        const o = readOpenApi(this.apiContext(new Set(this.keys().values())), id, type, definition, DefinitionBody !== undefined ? 'DefinitionBody' : 'DefinitionUri', auth);
        auth.authorizers = { ...o.authorizers, ...auth.authorizers };
        this.definitionRoutes.set(id, o.routes);
        api.binary_media_types.push(...o.binaryMediaTypes);
        // SAM adds GatewayResponses to the definition too: the template's own win.
        gatewayResponses = { ...o.gatewayResponses, ...gatewayResponses };
      }
      this.apiAuth.set(id, auth);
      if (Object.keys(auth.authorizers).length > 0) api.authorizers = auth.authorizers;
      const preflight = type === 'rest' && api.cors ? corsPreflightAuthFor(auth) : undefined;
      if (preflight) api.cors_preflight_auth = preflight;
      if (Object.keys(gatewayResponses).length > 0) api.gateway_responses = gatewayResponses;
    } catch (err) {
      if (!(err instanceof AuthConfigError)) throw err;
      this.fail(id, err.field, err.reason);
    }
    return api;
  }

  private apiContext(functionKeys: ReadonlySet<string>): ApiReadContext {
    return {
      functionKeys,
      warn: (m) => this.warnings.push(m),
      fail: (id, field, reason) => this.fail(id, field, reason),
      serviceFunction: (name, source, integration) => this.addServiceFunction(name, source, integration),
      awsIntegrationFunction: (name, source, integration) => this.addAwsIntegrationFunction(name, source, integration),
    };
  }

  /**
   * The built-in function of a direct service integration, keyed `<stack>-<name>` as a function
   * of that logical id would be (made distinct by where it is written when that key is taken).
   */
  private addServiceFunction(name: string, source: string, integration: ServiceIntegration, resourceType?: string): string {
    const key = this.builtinFunctionKey(name, source);
    const { QueueUrl, StateMachineArn } = integration.parameters;
    const queue = QueueUrl === undefined ? undefined : queueNameOf(QueueUrl);
    // A selection expression ($request.body.arn) names no machine: only a fixed ARN is checked.
    const machine = StateMachineArn === undefined ? undefined : stateMachineNameOf(StateMachineArn);
    if (queue !== undefined || machine !== undefined) warnIfElsewhere(this.deliveryContext(), source, { queue, state_machine: machine }, "the route's calls");
    this.serviceFunctions.push(serviceIntegrationFunction(key, name, integration, resourceType));
    return key;
  }

  /** The built-in function of a REST API method's AWS integration (docs/gateway.md, "AWS integrations (REST APIs)"), keyed as addServiceFunction keys its own. */
  private addAwsIntegrationFunction(name: string, source: string, integration: AwsIntegration): string {
    const key = this.builtinFunctionKey(name, source);
    const queue = awsIntegrationQueue(integration);
    if (queue !== undefined) warnIfElsewhere(this.deliveryContext(), source, { queue }, "the method's calls");
    for (const machine of awsIntegrationStateMachines(integration)) warnIfElsewhere(this.deliveryContext(), source, { state_machine: machine }, "the method's calls");
    const target = awsIntegrationTarget(integration);
    if (target !== undefined) {
      warnIfElsewhere(this.deliveryContext(), source, { function: target }, "the method's calls");
      this.integrationTargets.add(target);
    }
    this.serviceFunctions.push(awsIntegrationFunction(key, name, integration));
    return key;
  }

  /** `<stack>-<name>`, as a function of that logical id would be, made distinct by where it is written when that key is taken. */
  private builtinFunctionKey(name: string, source: string): string {
    const templateKeys = new Set(this.keys().values());
    const taken = (key: string) => templateKeys.has(key) || this.serviceFunctions.some((f) => f.key === key);
    const key = defaultFunctionKey(this.stackName, name);
    return taken(key) ? defaultFunctionKey(this.stackName, `${name}-${createHash('sha256').update(source).digest('hex').slice(0, 8)}`) : key;
  }

  /**
   * An OpenAPI document: inline (intrinsics resolved; `Fn::Transform: AWS::Include` reads a
   * local file) or a local file path (DefinitionUri, BodyS3Location as a path).
   */
  private definition(id: string, body: unknown, bodyField: string, uri: unknown, uriField: string): unknown {
    if (body !== undefined) {
      if (isRecord(body) && isRecord(body['Fn::Transform'])) {
        const t = body['Fn::Transform'];
        const location = isRecord(t.Parameters) ? t.Parameters.Location : undefined;
        if (t.Name !== 'AWS::Include' || typeof location !== 'string') this.fail(id, `${bodyField}.Fn::Transform`, 'only AWS::Include with Parameters.Location (a local file) is supported');
        return this.resolver.resolve(this.localDocument(id, `${bodyField}.Fn::Transform.Parameters.Location`, location), { logicalId: id, field: bodyField });
      }
      return this.resolver.resolve(body, { logicalId: id, field: bodyField });
    }
    if (uri === undefined) return undefined;
    const u = this.resolver.resolve(uri, { logicalId: id, field: uriField });
    if (typeof u !== 'string' || /^s3:\/\//i.test(u)) this.fail(id, uriField, 'S3 locations are not supported; point it at a local OpenAPI file');
    return this.resolver.resolve(this.localDocument(id, uriField, u), { logicalId: id, field: uriField });
  }

  private localDocument(id: string, field: string, location: string): unknown {
    if (/^s3:\/\//i.test(location)) this.fail(id, field, 'S3 locations are not supported; point it at a local OpenAPI file');
    const text = this.localText(id, field, location);
    return parseTemplateText(text, this.codeRef(id, field, location).uri, undefined, this.warnings);
  }

  /** A local file's text (a path relative to the template), kept among localFiles. */
  private localText(id: string, field: string, location: string): string {
    const ref = this.codeRef(id, field, location);
    if (!this.options.readLocalFile) this.fail(id, field, `cannot read "${ref.uri}" (no file access here)`);
    let text: string;
    try {
      text = this.options.readLocalFile(ref.uri);
    } catch (err) {
      this.fail(id, field, `cannot read "${ref.uri}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!this.localFiles.includes(ref.uri)) this.localFiles.push(ref.uri);
    return text;
  }

  /** Raw AWS::ApiGateway::* and AWS::ApiGatewayV2::* resources: REST and HTTP APIs, and WebSocket APIs. */
  private readCfnApis(functionKeys: ReadonlySet<string>, samApis: SamApiIds): { apis: CfnApi[]; websockets: Map<string, WebSocketApi> } {
    const raw: RawApiResource[] = [];
    const definitions = new Map<string, unknown>();
    for (const [id, r] of Object.entries(this.resources)) {
      if ((!REST_TYPES.has(r.Type) && !HTTP_TYPES.has(r.Type)) || !this.active(id)) continue;
      const { Body, BodyS3Location, ...rest } = this.rawProps(id);
      const props = this.resolver.resolve(rest, { logicalId: id, field: '' }) as Record<string, unknown>;
      if (Body !== undefined || BodyS3Location !== undefined) {
        if (isRecord(BodyS3Location)) this.fail(id, 'BodyS3Location', 'S3 locations are not supported; use Body (inline or Fn::Transform AWS::Include of a local file)');
        definitions.set(id, this.definition(id, Body, 'Body', BodyS3Location, 'BodyS3Location'));
        props.Body = Body === undefined ? undefined : true;
      }
      raw.push({ id, type: r.Type, props });
    }
    if (raw.length === 0) return { apis: [], websockets: new Map() };
    const ctx = this.apiContext(functionKeys);
    const def = (a: RawApiResource) => definitions.get(a.id);
    // A WebSocket API's parts are its reader's alone.
    const ws = webSocketApiIds(raw);
    const others = raw.filter((r) => !ofWebSocketApi(r, ws));
    return { apis: [...readRestApis(ctx, others, def, samApis), ...readHttpApis(ctx, others, def, samApis)], websockets: readWebSocketApis(ctx, raw) };
  }

  /** AWS::AppSync::* and AWS::Serverless::GraphQLApi: the template's GraphQL APIs (sam/appsync.ts). */
  private readAppSyncs(functionKeys: ReadonlySet<string>, tables: ReadonlySet<string>) {
    const raw = this.resolvedResources((type) => APPSYNC_TYPES.has(type));
    if (raw.length === 0) return new Map();
    return readAppSyncApis(
      {
        stack: this.stackName,
        functionKeys,
        tables,
        warn: (m) => this.warnings.push(m),
        fail: (id, field, reason) => this.fail(id, field, reason),
        readText: (id, field, location) => this.localText(id, field, location),
      },
      raw,
    );
  }

  /** AWS::ApiGateway::ApiKey / UsagePlan / UsagePlanKey: the key values each API accepts. */
  private readApiKeys(): Map<string, ApiKeysOfApi> {
    const raw = this.resolvedResources((type) => API_KEY_TYPES.has(type));
    return raw.length ? readApiKeys(this.apiContext(new Set()), raw, `${this.stackName}/`) : new Map();
  }

  /** AWS::ApiGateway::GatewayResponse resources, by the API they customize. */
  private readGatewayResponses(): Map<string, GatewayResponses> {
    const raw = this.resolvedResources((type) => type === GATEWAY_RESPONSE_RESOURCE);
    return raw.length ? readCfnGatewayResponses(this.apiContext(new Set()), raw) : new Map();
  }

  /** The active resources of some types, their properties resolved. */
  private resolvedResources(ofType: (type: string) => boolean): RawApiResource[] {
    const raw: RawApiResource[] = [];
    for (const [id, r] of Object.entries(this.resources)) {
      if (!ofType(r.Type) || !this.active(id)) continue;
      raw.push({ id, type: r.Type, props: this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown> });
    }
    return raw;
  }

  private restCors(id: string, c: unknown): Cors | undefined {
    if (c === undefined || c === false) return undefined;
    const unquote = (v: unknown, field: string): string[] => {
      if (v === undefined) return [];
      if (typeof v !== 'string') this.fail(id, field, 'must be a quoted string like "\'*\'"');
      const s = v.trim().replace(/^'(.*)'$/s, '$1');
      return s.split(',').map((x) => x.trim()).filter(Boolean);
    };
    const cors: Cors = { allow_origins: [], allow_methods: [], allow_headers: [], expose_headers: [], allow_credentials: false };
    if (typeof c === 'string') {
      cors.allow_origins = unquote(c, 'Cors');
      return cors;
    }
    if (!isRecord(c)) this.fail(id, 'Cors', 'must be a string or a map');
    cors.allow_origins = unquote(c.AllowOrigin, 'Cors.AllowOrigin');
    cors.allow_methods = unquote(c.AllowMethods, 'Cors.AllowMethods');
    cors.allow_headers = unquote(c.AllowHeaders, 'Cors.AllowHeaders');
    if (c.MaxAge !== undefined) cors.max_age = this.num(id, 'Cors.MaxAge', String(c.MaxAge).replace(/'/g, ''), { int: true, min: 0 });
    if (c.AllowCredentials !== undefined) cors.allow_credentials = c.AllowCredentials === true || c.AllowCredentials === 'true';
    return cors;
  }

  private httpCors(id: string, c: unknown, field = 'CorsConfiguration'): Cors | undefined {
    if (c === undefined || c === false) return undefined;
    const cors: Cors = { allow_origins: [], allow_methods: [], allow_headers: [], expose_headers: [], allow_credentials: false };
    if (c === true) {
      cors.allow_origins = ['*'];
      return cors;
    }
    if (!isRecord(c)) this.fail(id, field, 'must be true or a map');
    const list = (v: unknown, field: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v)) this.fail(id, field, 'must be a list');
      return v.map(String);
    };
    cors.allow_origins = list(c.AllowOrigins, `${field}.AllowOrigins`);
    cors.allow_methods = list(c.AllowMethods, `${field}.AllowMethods`);
    cors.allow_headers = list(c.AllowHeaders, `${field}.AllowHeaders`);
    cors.expose_headers = list(c.ExposeHeaders, `${field}.ExposeHeaders`);
    if (c.MaxAge !== undefined) cors.max_age = this.num(id, `${field}.MaxAge`, c.MaxAge, { int: true, min: 0 });
    if (c.AllowCredentials !== undefined) cors.allow_credentials = c.AllowCredentials === true || c.AllowCredentials === 'true';
    return cors;
  }

  /** A function URL's config (SAM's FunctionUrlConfig, AWS::Lambda::Url): AuthType, Cors, InvokeMode. */
  private functionUrl(id: string, field: string, c: unknown): FunctionUrl {
    if (!isRecord(c)) this.fail(id, field, 'must be a map (AuthType, Cors, InvokeMode)');
    const at = (f: string) => (field ? `${field}.${f}` : f);
    const authType = c.AuthType ?? 'NONE';
    if (authType !== 'NONE' && authType !== 'AWS_IAM') this.fail(id, at('AuthType'), `must be NONE or AWS_IAM, got ${JSON.stringify(c.AuthType)}`);
    const invokeMode = c.InvokeMode ?? 'BUFFERED';
    if (invokeMode !== 'BUFFERED' && invokeMode !== 'RESPONSE_STREAM') this.fail(id, at('InvokeMode'), `must be BUFFERED or RESPONSE_STREAM, got ${JSON.stringify(c.InvokeMode)}`);
    const url: FunctionUrl = { auth_type: authType, invoke_mode: invokeMode };
    const cors = this.httpCors(id, c.Cors, at('Cors'));
    if (cors) url.cors = cors;
    return url;
  }

  private readTable(id: string, r: RawResource): DynamoTable {
    const simple = r.Type === 'AWS::Serverless::SimpleTable';
    const raw = simple ? (mergeGlobals(this.globals.SimpleTable, this.rawProps(id)) as Record<string, unknown>) : this.rawProps(id);
    const props = this.resolver.resolve(raw, { logicalId: id, field: '' }) as Record<string, unknown>;
    const TableName = this.physicalName(id, { logicalId: id, field: 'TableName' });
    if (TableName.length < 3 || TableName.length > 255 || !/^[A-Za-z0-9_.-]+$/.test(TableName)) this.fail(id, 'TableName', `"${TableName}" is not a valid table name (3-255 of letters, digits, "_", "-", ".")`);
    const throughput = (v: unknown, field: string) => {
      if (v === undefined) return undefined;
      if (!isRecord(v)) this.fail(id, field, 'must be a map');
      return {
        ReadCapacityUnits: this.num(id, `${field}.ReadCapacityUnits`, v.ReadCapacityUnits, { int: true, min: 1 }) ?? this.fail(id, `${field}.ReadCapacityUnits`, 'missing'),
        WriteCapacityUnits: this.num(id, `${field}.WriteCapacityUnits`, v.WriteCapacityUnits, { int: true, min: 1 }) ?? this.fail(id, `${field}.WriteCapacityUnits`, 'missing'),
      };
    };
    if (simple) {
      const pk = props.PrimaryKey === undefined ? {} : props.PrimaryKey;
      if (!isRecord(pk)) this.fail(id, 'PrimaryKey', 'must be a map with Name and Type');
      const name = pk.Name === undefined ? 'id' : String(pk.Name);
      const types: Record<string, 'S' | 'N' | 'B'> = { String: 'S', Number: 'N', Binary: 'B' };
      const t = types[pk.Type === undefined ? 'String' : String(pk.Type)];
      if (!t) this.fail(id, 'PrimaryKey.Type', 'must be String, Number or Binary');
      const pt = throughput(props.ProvisionedThroughput, 'ProvisionedThroughput');
      const table: DynamoTable = {
        TableName,
        KeySchema: [{ AttributeName: name, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: name, AttributeType: t }],
        BillingMode: pt ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      };
      if (pt) table.ProvisionedThroughput = pt;
      return table;
    }
    const keySchema = (v: unknown, field: string) => {
      if (!Array.isArray(v) || v.length < 1 || v.length > 2) this.fail(id, field, 'must list 1 or 2 keys');
      return v.map((k, i) => {
        if (!isRecord(k) || typeof k.AttributeName !== 'string' || (k.KeyType !== 'HASH' && k.KeyType !== 'RANGE')) this.fail(id, `${field}[${i}]`, 'must be {AttributeName, KeyType: HASH|RANGE}');
        return { AttributeName: k.AttributeName, KeyType: k.KeyType as 'HASH' | 'RANGE' };
      });
    };
    const index = (v: unknown, field: string) => {
      if (v === undefined) return undefined;
      if (!Array.isArray(v)) this.fail(id, field, 'must be a list');
      return v.map((ix, i) => {
        const f = `${field}[${i}]`;
        if (!isRecord(ix) || typeof ix.IndexName !== 'string') this.fail(id, `${f}.IndexName`, 'missing');
        const out: NonNullable<DynamoTable['GlobalSecondaryIndexes']>[number] = { IndexName: ix.IndexName, KeySchema: keySchema(ix.KeySchema, `${f}.KeySchema`), Projection: { ProjectionType: 'ALL' } };
        if (ix.Projection !== undefined) {
          if (!isRecord(ix.Projection)) this.fail(id, `${f}.Projection`, 'must be a map');
          const pt = ix.Projection.ProjectionType;
          if (pt !== undefined && pt !== 'ALL' && pt !== 'KEYS_ONLY' && pt !== 'INCLUDE') this.fail(id, `${f}.Projection.ProjectionType`, 'must be ALL, KEYS_ONLY or INCLUDE');
          out.Projection = {};
          if (pt !== undefined) out.Projection.ProjectionType = pt;
          if (Array.isArray(ix.Projection.NonKeyAttributes)) out.Projection.NonKeyAttributes = ix.Projection.NonKeyAttributes.map(String);
        }
        const t = throughput(ix.ProvisionedThroughput, `${f}.ProvisionedThroughput`);
        if (t) out.ProvisionedThroughput = t;
        return out;
      });
    };
    const table: DynamoTable = { TableName, KeySchema: keySchema(props.KeySchema, 'KeySchema'), AttributeDefinitions: [] };
    if (!Array.isArray(props.AttributeDefinitions) || props.AttributeDefinitions.length === 0) this.fail(id, 'AttributeDefinitions', 'must list the key attributes');
    table.AttributeDefinitions = props.AttributeDefinitions.map((a, i) => {
      if (!isRecord(a) || typeof a.AttributeName !== 'string' || (a.AttributeType !== 'S' && a.AttributeType !== 'N' && a.AttributeType !== 'B')) this.fail(id, `AttributeDefinitions[${i}]`, 'must be {AttributeName, AttributeType: S|N|B}');
      return { AttributeName: a.AttributeName, AttributeType: a.AttributeType as 'S' | 'N' | 'B' };
    });
    const gsi = index(props.GlobalSecondaryIndexes, 'GlobalSecondaryIndexes');
    if (gsi) table.GlobalSecondaryIndexes = gsi;
    const lsi = index(props.LocalSecondaryIndexes, 'LocalSecondaryIndexes');
    if (lsi) table.LocalSecondaryIndexes = lsi;
    if (props.BillingMode !== undefined) {
      if (props.BillingMode !== 'PROVISIONED' && props.BillingMode !== 'PAY_PER_REQUEST') this.fail(id, 'BillingMode', 'must be PROVISIONED or PAY_PER_REQUEST');
      table.BillingMode = props.BillingMode;
    }
    const pt = throughput(props.ProvisionedThroughput, 'ProvisionedThroughput');
    if (pt) table.ProvisionedThroughput = pt;
    if (props.StreamSpecification !== undefined) {
      const s = props.StreamSpecification;
      const views = ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'];
      if (!isRecord(s) || !views.includes(String(s.StreamViewType))) this.fail(id, 'StreamSpecification.StreamViewType', `must be one of ${views.join(', ')}`);
      table.StreamSpecification = { StreamViewType: s.StreamViewType as 'NEW_IMAGE' };
    }
    if (props.KinesisStreamSpecification !== undefined) {
      const k = props.KinesisStreamSpecification;
      if (!isRecord(k) || typeof k.StreamArn !== 'string' || kinesisStreamNameOf(k.StreamArn) === undefined) this.fail(id, 'KinesisStreamSpecification.StreamArn', 'must be the ARN of a Kinesis data stream (!GetAtt Stream.Arn)');
      const precision = k.ApproximateCreationDateTimePrecision;
      if (precision !== undefined && precision !== 'MILLISECOND' && precision !== 'MICROSECOND') this.fail(id, 'KinesisStreamSpecification.ApproximateCreationDateTimePrecision', 'must be MILLISECOND or MICROSECOND');
      table.KinesisStreamSpecification = { StreamArn: k.StreamArn, ...(precision ? { ApproximateCreationDateTimePrecision: precision } : {}) };
    }
    if (props.TimeToLiveSpecification !== undefined) {
      const ttl = props.TimeToLiveSpecification;
      if (!isRecord(ttl) || typeof ttl.AttributeName !== 'string' || ttl.AttributeName === '') this.fail(id, 'TimeToLiveSpecification.AttributeName', 'must name the attribute that holds the expiry time (epoch seconds)');
      const enabled = ttl.Enabled === undefined ? true : ttl.Enabled === true || ttl.Enabled === 'true' ? true : ttl.Enabled === false || ttl.Enabled === 'false' ? false : this.fail(id, 'TimeToLiveSpecification.Enabled', 'must be true or false');
      table.TimeToLiveSpecification = { AttributeName: ttl.AttributeName, Enabled: enabled };
    }
    return table;
  }

  /** A DynamoDB stream mapping: SAM's `Type: DynamoDB` event, an AWS::Lambda::EventSourceMapping (`arnField`: Stream / EventSourceArn) or a pipe's source. */
  private streamMapping(id: string, fields: MappingFields, name: string, p: Record<string, unknown>, arnField: string): StreamEventModel {
    const at = fieldsOf(fields);
    const arn = p[arnField];
    const match = typeof arn === 'string' ? DYNAMODB_STREAM_ARN.exec(arn) : null;
    if (!match) this.fail(id, at(arnField), `must be the stream ARN of a DynamoDB table (!GetAtt Table.StreamArn), not ${JSON.stringify(arn)}`);
    const table = match[1];
    if (this.streamTables.has(table) && this.streamTables.get(table) === undefined) this.fail(id, at(arnField), `table "${table}" has no StreamSpecification, so it has no stream`);
    // StartingPosition is checked, not kept: a table's stream is read from when the mapping appears (docs/agent.md, "DynamoDB streams").
    const { settings } = streamSettings(this.deliveryContext(), id, at, p, DYNAMODB_STREAM);
    return { type: 'dynamodb', name, table, ...settings };
  }

  /**
   * Where asynchronous invocations go once done: SAM's DeadLetterQueue (raw DeadLetterConfig) and
   * an SQS OnFailure destination are failure queues; EventInvokeConfig.DestinationConfig's other
   * destinations (OnSuccess, OnFailure of type SNS, EventBridge or Lambda) are destinations
   * (docs/agent.md "Asynchronous invocations").
   */
  private asyncDelivery(id: string, props: Record<string, unknown>, serverless: boolean): { failureQueues: Array<{ kind: 'dlq' | 'destination'; queue: string }>; destinations?: FunctionModel['asyncDestinations'] } {
    const failureQueues: Array<{ kind: 'dlq' | 'destination'; queue: string }> = [];
    const queueOf = (field: string, arn: unknown): string | undefined => {
      if (typeof arn === 'string' && QUEUE_ARN.test(arn)) return queueNameOf(arn);
      this.warnings.push(`${id}.${field}: ${JSON.stringify(arn)} is not an SQS queue; only SQS targets are applied (docs/agent.md, "Asynchronous invocations")`);
      return undefined;
    };
    const dlq = serverless ? props.DeadLetterQueue : props.DeadLetterConfig;
    if (dlq !== undefined) {
      const field = serverless ? 'DeadLetterQueue' : 'DeadLetterConfig';
      if (!isRecord(dlq)) this.fail(id, field, 'must be a map with TargetArn');
      if (serverless && dlq.Type !== 'SQS' && dlq.Type !== 'SNS') this.fail(id, `${field}.Type`, 'must be SQS or SNS');
      const queue = queueOf(`${field}.TargetArn`, dlq.TargetArn);
      if (queue) failureQueues.push({ kind: 'dlq', queue });
    }
    const config = serverless && isRecord(props.EventInvokeConfig) ? props.EventInvokeConfig.DestinationConfig : undefined;
    if (config === undefined) return { failureQueues };
    const at = 'EventInvokeConfig.DestinationConfig';
    if (!isRecord(config)) this.fail(id, at, 'must be a map with OnSuccess and/or OnFailure');
    const destinations: NonNullable<FunctionModel['asyncDestinations']> = {};
    for (const [when, key] of [['OnSuccess', 'on_success'], ['OnFailure', 'on_failure']] as const) {
      const d = config[when];
      if (d === undefined) continue;
      if (!isRecord(d)) this.fail(id, `${at}.${when}`, 'must be a map with Type and Destination');
      const destination = destinationOf(this.apiContext(new Set()), id, `${at}.${when}`, d, ['SQS', 'SNS', 'EventBridge', 'Lambda'] as const);
      if (when === 'OnFailure' && destination.type === 'SQS') failureQueues.push({ kind: 'destination', queue: destination.target });
      else destinations[key] = destination;
    }
    return { failureQueues, ...(destinations.on_success || destinations.on_failure ? { destinations } : {}) };
  }

  /** An SQS mapping: SAM's `Type: SQS` event, an AWS::Lambda::EventSourceMapping (`arnField`: Queue / EventSourceArn) or a pipe's source. */
  private queueMapping(id: string, fields: MappingFields, name: string, p: Record<string, unknown>, arnField: string): SqsQueueEvent {
    const at = fieldsOf(fields);
    const arn = p[arnField];
    const queue = typeof arn === 'string' && QUEUE_ARN.test(arn) ? queueNameOf(arn) : undefined;
    if (!queue) this.fail(id, at(arnField), `must be the ARN of an SQS queue (!GetAtt Queue.Arn), not ${JSON.stringify(arn)}`);
    if (!this.queueDeclared(queue)) this.warnings.push(`${id}.${at(arnField)}: queue "${queue}" is not declared in this template; it is read once a deployed template declares it`);
    const ctx = this.apiContext(new Set());
    const whole = (f: string, min: number, max: number, fallback: number) => wholeSetting(ctx, id, at(f), p[f], min, max) ?? fallback;
    const e: SqsQueueEvent = {
      type: 'sqs',
      name,
      queue,
      batch_size: whole('BatchSize', 1, 10_000, 10),
      batching_window_seconds: whole('MaximumBatchingWindowInSeconds', 0, 300, 0),
      report_batch_item_failures: reportsBatchItemFailures(ctx, id, at('FunctionResponseTypes'), p.FunctionResponseTypes),
      enabled: p.Enabled !== false && p.Enabled !== 'false',
    };
    // Lambda's rule: more than 10 messages a batch needs a batching window.
    if (e.batch_size > 10 && e.batching_window_seconds === 0) this.fail(id, at('BatchSize'), 'must be at most 10 unless MaximumBatchingWindowInSeconds is at least 1');
    const filters = filterPatterns(ctx, id, at('FilterCriteria'), p.FilterCriteria);
    if (filters) e.filters = filters;
    const scaling = p.ScalingConfig;
    if (scaling !== undefined) {
      if (!isRecord(scaling)) this.fail(id, at('ScalingConfig'), 'must be a map with MaximumConcurrency');
      const concurrency = wholeSetting(ctx, id, at('ScalingConfig.MaximumConcurrency'), scaling.MaximumConcurrency, 2, 1000);
      if (concurrency !== undefined) e.maximum_concurrency = concurrency;
    }
    return e;
  }

  /**
   * The SQS mapping of a `Type: SNS` event's SqsSubscription (true, or a map): the function reads
   * the queue QueueArn names, else one SAM makes, `<Function><Event>Queue`, named as esb names
   * an AWS::SQS::Queue without QueueName.
   */
  private topicQueueMapping(id: string, base: string, event: string, sqs: unknown): SqsQueueEvent {
    const field = `${base}.Properties.SqsSubscription`;
    if (sqs !== true && sqs !== 'true' && !isRecord(sqs)) this.fail(id, field, `must be true or a map (BatchSize, Enabled, QueueArn, QueueUrl, QueuePolicyLogicalId), not ${JSON.stringify(sqs)}`);
    const settings = isRecord(sqs) ? sqs : {};
    let queueArn = settings.QueueArn;
    if (queueArn === undefined) {
      const queueId = `${id}${event}Queue`;
      if (Object.prototype.hasOwnProperty.call(this.resources, queueId)) this.fail(id, field, `SAM makes a queue with logical id ${queueId}, which the template already has`);
      const QueueName = defaultQueueName(this.stackName, queueId, false);
      this.eventQueues.push({ QueueName });
      queueArn = this.arn('sqs', QueueName);
    }
    return this.queueMapping(id, field, `${id}${event}`, { QueueArn: queueArn, BatchSize: settings.BatchSize, Enabled: settings.Enabled }, 'QueueArn');
  }

  /** An AWS::SQS::Queue: its name (QueueName, else `<stack>-<LogicalId>`) and the settings the SQS server applies. */
  private readQueue(id: string): SqsQueue {
    const props = this.resolver.resolve(this.rawProps(id), { logicalId: id, field: '' }) as Record<string, unknown>;
    const QueueName = this.physicalName(id, { logicalId: id, field: 'QueueName' });
    if (!QUEUE_NAME.test(QueueName)) this.fail(id, 'QueueName', `"${QueueName}" is not a valid queue name (1-80 of letters, digits, "-", "_"; a FIFO queue's ends in .fifo)`);
    const flag = (f: string): boolean | undefined => {
      const v = props[f];
      if (v === undefined) return undefined;
      if (v !== true && v !== false && v !== 'true' && v !== 'false') this.fail(id, f, 'must be true or false');
      return v === true || v === 'true';
    };
    const queue: SqsQueue = { QueueName };
    const fifo = flag('FifoQueue');
    if (fifo) queue.FifoQueue = true;
    if (Boolean(fifo) !== QueueName.endsWith('.fifo')) this.fail(id, fifo ? 'QueueName' : 'FifoQueue', 'a FIFO queue (FifoQueue: true) must have a name ending in .fifo, and only a FIFO queue may');
    const dedup = flag('ContentBasedDeduplication');
    if (dedup !== undefined) {
      if (dedup && !fifo) this.fail(id, 'ContentBasedDeduplication', 'applies to FIFO queues only (FifoQueue: true)');
      if (dedup) queue.ContentBasedDeduplication = true;
    }
    const settings: Array<[keyof SqsQueue & string, number, number]> = [
      ['DelaySeconds', 0, 900],
      ['MaximumMessageSize', 1024, 1_048_576],
      ['MessageRetentionPeriod', 60, 1_209_600],
      ['ReceiveMessageWaitTimeSeconds', 0, 20],
      ['VisibilityTimeout', 0, 43_200],
    ];
    for (const [f, min, max] of settings) {
      const n = this.num(id, f, props[f], { int: true, min, max });
      if (n !== undefined) (queue as Record<string, unknown>)[f] = n;
    }
    if (props.RedrivePolicy !== undefined) {
      let rp: unknown = props.RedrivePolicy;
      if (typeof rp === 'string') {
        try {
          rp = JSON.parse(rp) as unknown;
        } catch {
          this.fail(id, 'RedrivePolicy', 'must be a map (or its JSON text) with deadLetterTargetArn and maxReceiveCount');
        }
      }
      if (!isRecord(rp) || typeof rp.deadLetterTargetArn !== 'string' || !QUEUE_ARN.test(rp.deadLetterTargetArn)) this.fail(id, 'RedrivePolicy.deadLetterTargetArn', 'must be the ARN of an SQS queue (!GetAtt DeadLetterQueue.Arn)');
      const maxReceiveCount = this.num(id, 'RedrivePolicy.maxReceiveCount', rp.maxReceiveCount, { int: true, min: 1, max: 1000 }) ?? this.fail(id, 'RedrivePolicy.maxReceiveCount', 'missing');
      queue.RedrivePolicy = { deadLetterTargetArn: rp.deadLetterTargetArn, maxReceiveCount };
    }
    const known = new Set(['QueueName', 'FifoQueue', 'ContentBasedDeduplication', 'RedrivePolicy', ...settings.map(([f]) => f)]);
    const unapplied = Object.keys(props).filter((k) => !known.has(k) && !QUIET_QUEUE_PROPERTIES.has(k));
    if (unapplied.length) this.warnings.push(`${id}.${unapplied.join(', ')}: not applied by esb (docs/generate.md)`);
    return queue;
  }

  /** A bucket notification: Events (one or a list) and Filter.S3Key.Rules (prefix, suffix). */
  private s3Notification(id: string, field: string, name: string, bucket: string, events: unknown, filter: unknown, eventsField = 'Events'): S3EventModel {
    const list = typeof events === 'string' ? [events] : events;
    if (!Array.isArray(list) || list.length === 0 || list.some((e) => typeof e !== 'string' || !/^s3:[A-Za-z]+:(\*|[A-Za-z]+)$/.test(e))) {
      this.fail(id, `${field}.${eventsField}`, 'must be an S3 event like s3:ObjectCreated:* or s3:ObjectRemoved:Delete, or a list of them');
    }
    const out: S3EventModel = { type: 's3', name, bucket, events: list as string[] };
    if (filter === undefined) return out;
    const rules = isRecord(filter) && isRecord(filter.S3Key) ? filter.S3Key.Rules : undefined;
    if (!Array.isArray(rules)) this.fail(id, `${field}.Filter.S3Key.Rules`, 'must be a list of {Name: prefix|suffix, Value}');
    for (const [i, rule] of rules.entries()) {
      const kind = isRecord(rule) && typeof rule.Name === 'string' ? rule.Name.toLowerCase() : undefined;
      if ((kind !== 'prefix' && kind !== 'suffix') || typeof (rule as Record<string, unknown>).Value !== 'string') this.fail(id, `${field}.Filter.S3Key.Rules[${i}]`, 'must be {Name: prefix|suffix, Value: <text>}');
      out[kind] = (rule as Record<string, string>).Value;
    }
    return out;
  }

  private readBucket(id: string): S3Bucket {
    const props = this.rawProps(id);
    const BucketName = this.physicalName(id, { logicalId: id, field: 'BucketName' });
    if (!BUCKET_NAME.test(BucketName)) this.fail(id, 'BucketName', `"${BucketName}" is not a valid S3 bucket name (3-63 of a-z, 0-9, ".", "-")`);
    const bucket: S3Bucket = { BucketName };
    const lc = this.prop(id, props, 'LifecycleConfiguration');
    if (lc !== undefined) {
      if (!isRecord(lc) || !Array.isArray(lc.Rules)) this.fail(id, 'LifecycleConfiguration.Rules', 'must be a list');
      bucket.LifecycleConfiguration = {
        Rules: lc.Rules.map((rule, i) => {
          const f = `LifecycleConfiguration.Rules[${i}]`;
          if (!isRecord(rule)) this.fail(id, f, 'must be a map');
          const out: NonNullable<S3Bucket['LifecycleConfiguration']>['Rules'][number] = { Status: rule.Status === 'Disabled' ? 'Disabled' : 'Enabled' };
          if (rule.Status !== undefined && rule.Status !== 'Enabled' && rule.Status !== 'Disabled') this.fail(id, `${f}.Status`, 'must be Enabled or Disabled');
          if (typeof rule.Id === 'string') out.Id = rule.Id;
          const prefix = rule.Prefix ?? (isRecord(rule.Filter) ? rule.Filter.Prefix : undefined);
          if (typeof prefix === 'string') out.Prefix = prefix;
          const days = this.num(id, `${f}.ExpirationInDays`, rule.ExpirationInDays, { int: true, min: 1 });
          if (days !== undefined) out.ExpirationInDays = days;
          return out;
        }),
      };
    }
    return bucket;
  }
}
