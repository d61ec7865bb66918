// EventBridge Pipes of a template (docs/pipes.md): each AWS::Pipes::Pipe is served by a built-in
// function (deploy/runtime/pipe.mjs) with one event source mapping of the pipe's source (an SQS
// queue, a DynamoDB stream or a Kinesis stream), so the agent's own mappings poll, filter, batch
// and retry for it; the function shapes each record as Pipes does, runs the enrichment and sends
// to the target. This reads and checks a pipe and describes that function. Pure: property values
// come in resolved.
import { busNameOf, kinesisStreamNameOf, stateMachineNameOf, topicNameOf, type DynamoDBStreamEvent, type KinesisStreamEvent, type SqsQueueEvent, type StreamFailureDestination } from '@esb/contracts';
import { functionOfArn, queueOfArn, warnIfElsewhere } from './delivery.js';
import { LOG_GROUP_ARN, UNRUN_ARN, targetOf, type RuleReadContext } from './event-rules.js';
import { kinesisMapping, type KinesisReadContext } from './kinesis.js';
import { DYNAMODB_STREAM_ARN, type MappingFields } from './mappings.js';
import type { FunctionModel } from './model.js';
import { isRecord } from './resolver.js';

export const PIPE_TYPE = 'AWS::Pipes::Pipe';
/** A pipe's name as Pipes takes it. */
const PIPE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

/** The built-in handler's file under deploy/runtime/, and how Lambda names it. */
const PIPE_CODE = { file: 'pipe.mjs', handler: 'pipe.handler', runtime: 'nodejs20.x' } as const;
/** Pipes ends an execution (enrichment and target) after 5 minutes. */
const PIPE_TIMEOUT_SECONDS = 300;
/** InputTemplate's longest text (Pipes' limit). */
const MAX_INPUT_TEMPLATE = 8192;
const DOC = 'docs/pipes.md';
const RUN_TARGETS = 'Lambda functions, Step Functions state machines, SQS queues, SNS topics, event buses, Kinesis streams and CloudWatch Logs log groups';
/** Properties with no local meaning: accepted without a word. */
const QUIET_PROPERTIES = new Set(['Description', 'RoleArn', 'KmsKeyIdentifier', 'Tags']);
const PROPERTIES = new Set(['Name', 'Source', 'SourceParameters', 'Enrichment', 'EnrichmentParameters', 'Target', 'TargetParameters', 'DesiredState', 'LogConfiguration']);
const INVOCATION_TYPES = ['REQUEST_RESPONSE', 'FIRE_AND_FORGET'] as const;
const EVENT_BUS_ARN = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\//;

type SourceKind = 'sqs' | 'dynamodb' | 'kinesis';
/** Each source esb runs: its parameter group, and how messages name it. */
const SOURCES: Record<SourceKind, { group: string; what: string }> = {
  sqs: { group: 'SqsQueueParameters', what: 'an SQS queue' },
  dynamodb: { group: 'DynamoDBStreamParameters', what: 'a DynamoDB stream' },
  kinesis: { group: 'KinesisStreamParameters', what: 'a Kinesis stream' },
};
/** The settings of each source's parameter group (an SQS queue's dead-letter queue is its RedrivePolicy's). */
const STREAM_SETTINGS = ['StartingPosition', 'BatchSize', 'MaximumBatchingWindowInSeconds', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds', 'OnPartialBatchItemFailure', 'DeadLetterConfig', 'ParallelizationFactor'];
const SOURCE_SETTINGS: Record<SourceKind, string[]> = {
  sqs: ['BatchSize', 'MaximumBatchingWindowInSeconds'],
  dynamodb: STREAM_SETTINGS,
  kinesis: [...STREAM_SETTINGS, 'StartingPositionTimestamp'],
};
/** Each target esb runs: its parameter group (none for a topic), and how messages name it. */
const TARGETS: Record<PipeTarget['kind'], { group?: string; what: string }> = {
  lambda: { group: 'LambdaFunctionParameters', what: 'a function' },
  states: { group: 'StepFunctionStateMachineParameters', what: 'a state machine' },
  sqs: { group: 'SqsQueueParameters', what: 'an SQS queue' },
  sns: { what: 'an SNS topic' },
  events: { group: 'EventBridgeEventBusParameters', what: 'an event bus' },
  kinesis: { group: 'KinesisStreamParameters', what: 'a Kinesis stream' },
  logs: { group: 'CloudWatchLogsParameters', what: 'a log group' },
};

export interface PipeReadContext extends KinesisReadContext, RuleReadContext {
  region: string;
  account: string;
  /** The template's SQS mapping reader (a Lambda event source mapping's). */
  queueMapping(id: string, fields: MappingFields, name: string, p: Record<string, unknown>, arnField: string): SqsQueueEvent;
  /** The template's DynamoDB stream mapping reader. */
  tableMapping(id: string, fields: MappingFields, name: string, p: Record<string, unknown>, arnField: string): DynamoDBStreamEvent;
  /** The type of a state machine of the template; undefined for one it does not define. */
  stateMachineType(name: string): 'STANDARD' | 'EXPRESS' | undefined;
}

/** Where the built-in sends the batch. A text parameter that is a JSON path (`$.body.id`) is resolved per event (docs/pipes.md). */
export type PipeTarget =
  | { kind: 'lambda'; arn: string; function: string; invocationType: (typeof INVOCATION_TYPES)[number] }
  | { kind: 'states'; arn: string; invocationType: (typeof INVOCATION_TYPES)[number] }
  | { kind: 'sqs'; arn: string; queue: string; account: string; messageGroupId?: string; messageDeduplicationId?: string }
  | { kind: 'sns'; arn: string }
  | { kind: 'events'; arn: string; bus: string; detailType?: string; source?: string; resources?: string[]; time?: string }
  | { kind: 'kinesis'; arn: string; stream: string; partitionKey: string }
  | { kind: 'logs'; arn: string; logGroup: string; logStreamName?: string; timestamp?: string };

/** What the built-in function is configured with (ESB_PIPE). */
export interface PipeConfig {
  name: string;
  arn: string;
  source: { kind: 'sqs' | 'dynamodb' | 'kinesis'; arn: string };
  enrichment?: { kind: 'lambda'; arn: string; function: string; inputTemplate?: string } | { kind: 'states'; arn: string; inputTemplate?: string };
  target: PipeTarget & { inputTemplate?: string };
}

/** A pipe esb runs: the built-in's configuration and the mapping of its source. */
export interface PipeRead {
  config: PipeConfig;
  mapping: SqsQueueEvent | DynamoDBStreamEvent | KinesisStreamEvent;
  /** The functions it invokes (enrichment, target), reached as a route's function is. */
  invokes: string[];
}

/** What `!GetAtt Pipe.Arn` gives. */
export function pipeArn(name: string, region: string, account: string): string {
  return `arn:aws:pipes:${region}:${account}:pipe/${name}`;
}

/** A map property, or an empty one when absent. */
function group(ctx: PipeReadContext, id: string, field: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isRecord(v)) ctx.fail(id, field, 'must be a map');
  return v;
}

/** Text for an ARN property, required. */
function arnText(ctx: PipeReadContext, id: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') ctx.fail(id, field, 'must be an ARN (!GetAtt X.Arn, !Ref X)');
  return v;
}

/** An InputTemplate: text of at most 8192 characters. */
function inputTemplate(ctx: PipeReadContext, id: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') ctx.fail(id, field, 'must be text: free text, JSON, or both, with <$.path> and <aws.pipes.*> placeholders');
  if (v.length > MAX_INPUT_TEMPLATE) ctx.fail(id, field, `has ${v.length} characters; at most ${MAX_INPUT_TEMPLATE}`);
  return v;
}

/** A text parameter of the target: fixed text, or a JSON path (`$.body.id`) resolved per event. */
function textParameter(ctx: PipeReadContext, id: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') ctx.fail(id, field, 'must be text, or a JSON path of the event such as $.body.id');
  return v;
}

function invocationType(ctx: PipeReadContext, id: string, field: string, v: unknown): (typeof INVOCATION_TYPES)[number] {
  if (v === undefined) return 'REQUEST_RESPONSE';
  if (!(INVOCATION_TYPES as readonly unknown[]).includes(v)) ctx.fail(id, field, `must be ${INVOCATION_TYPES.join(' or ')}, not ${JSON.stringify(v)}`);
  return v as (typeof INVOCATION_TYPES)[number];
}

/** The source's kind, or what it is when esb does not run it. */
function sourceKind(ctx: PipeReadContext, arn: string, params: Record<string, unknown>): SourceKind | { other: string } {
  if (queueOfArn(arn) !== undefined) return 'sqs';
  if (DYNAMODB_STREAM_ARN.test(arn)) return 'dynamodb';
  if (kinesisStreamNameOf(arn) !== undefined) return 'kinesis';
  const type = ctx.resourceType(UNRUN_ARN.exec(arn)?.[1] ?? arn.split('.')[0]);
  if (/^arn:aws[\w-]*:mq:/.test(arn) || type === 'AWS::AmazonMQ::Broker') return { other: 'Amazon MQ broker' };
  if (/^arn:aws[\w-]*:kafka:/.test(arn) || type === 'AWS::MSK::Cluster' || type === 'AWS::MSK::ServerlessCluster') return { other: 'Amazon MSK' };
  if (params.SelfManagedKafkaParameters !== undefined || /^smk:\/\//.test(arn)) return { other: 'Self-managed Apache Kafka' };
  return { other: type ?? JSON.stringify(arn) };
}

/**
 * The mapping of the pipe's source, read by the readers of Lambda's mappings: the pipe's fields
 * (SourceParameters.<Kind>Parameters.*, SourceParameters.FilterCriteria, DesiredState) named in
 * their errors and warnings.
 */
function sourceMapping(ctx: PipeReadContext, id: string, kind: SourceKind, arn: string, sp: Record<string, unknown>, enabled: boolean): PipeRead['mapping'] {
  const groupName = SOURCES[kind].group;
  const g = group(ctx, id, `SourceParameters.${groupName}`, sp[groupName]);
  const renamed: Record<string, string> = { Source: 'Source', FilterCriteria: 'SourceParameters.FilterCriteria', Enabled: 'DesiredState', BisectBatchOnFunctionError: `SourceParameters.${groupName}.OnPartialBatchItemFailure` };
  const at = (f: string) => renamed[f] ?? `SourceParameters.${groupName}.${f}`;
  const { DeadLetterConfig, OnPartialBatchItemFailure, ...settings } = g;
  const takes = SOURCE_SETTINGS[kind];
  const other = Object.keys(g).find((f) => !takes.includes(f));
  if (other !== undefined) ctx.fail(id, `SourceParameters.${groupName}.${other}`, `not a setting of ${SOURCES[kind].what} source (it takes ${takes.join(', ')})`);
  const p: Record<string, unknown> = { ...settings, Source: arn, FilterCriteria: sp.FilterCriteria, Enabled: enabled };
  if (kind === 'sqs') return ctx.queueMapping(id, at, id, p, 'Source');
  if (OnPartialBatchItemFailure !== undefined) {
    if (OnPartialBatchItemFailure !== 'AUTOMATIC_BISECT') ctx.fail(id, at('BisectBatchOnFunctionError'), `must be AUTOMATIC_BISECT, not ${JSON.stringify(OnPartialBatchItemFailure)}`);
    p.BisectBatchOnFunctionError = true;
  }
  const mapping = kind === 'dynamodb' ? ctx.tableMapping(id, at, id, p, 'Source') : kinesisMapping(ctx, id, at, id, p, 'Source');
  const onFailure = deadLetter(ctx, id, `SourceParameters.${groupName}.DeadLetterConfig`, DeadLetterConfig);
  if (onFailure) mapping.on_failure = onFailure;
  return mapping;
}

/** DeadLetterConfig of a stream source: an SQS queue or SNS topic gets the failed batches' details. */
function deadLetter(ctx: PipeReadContext, id: string, field: string, config: unknown): StreamFailureDestination | undefined {
  if (config === undefined) return undefined;
  if (!isRecord(config)) ctx.fail(id, field, 'must be a map with Arn (an SQS queue or SNS topic)');
  const arn = config.Arn;
  const queue = typeof arn === 'string' ? queueOfArn(arn) : undefined;
  const topic = typeof arn === 'string' ? topicNameOf(arn) : undefined;
  if (queue !== undefined) {
    warnIfElsewhere(ctx, `${id}.${field}.Arn`, { queue }, "the failed batches' details");
    return { type: 'SQS', target: queue };
  }
  if (topic !== undefined) return { type: 'SNS', target: topic };
  return ctx.fail(id, `${field}.Arn`, `must be the ARN of an SQS queue or SNS topic, not ${JSON.stringify(arn)}`);
}

/** The enrichment: a function or an Express state machine; undefined (with a warning) for what esb does not run. */
function readEnrichment(ctx: PipeReadContext, id: string, props: Record<string, unknown>): { enrichment?: PipeConfig['enrichment']; run: boolean } {
  const ep = group(ctx, id, 'EnrichmentParameters', props.EnrichmentParameters);
  if (props.Enrichment === undefined || props.Enrichment === '') {
    if (props.EnrichmentParameters !== undefined) ctx.warn(`${id}.EnrichmentParameters: the pipe has no Enrichment; not applied (${DOC})`);
    return { run: true };
  }
  const arn = arnText(ctx, id, 'Enrichment', props.Enrichment);
  const template = inputTemplate(ctx, id, 'EnrichmentParameters.InputTemplate', ep.InputTemplate);
  const withTemplate = template !== undefined ? { inputTemplate: template } : {};
  if (ep.HttpParameters !== undefined) ctx.warn(`${id}.EnrichmentParameters.HttpParameters: applies to API destinations and API Gateway only; not applied (${DOC})`);
  const fn = functionOfArn(arn);
  if (fn !== undefined) {
    warnIfElsewhere(ctx, `${id}.Enrichment`, { function: fn }, 'batches');
    return { enrichment: { kind: 'lambda', arn, function: fn, ...withTemplate }, run: true };
  }
  const machine = stateMachineNameOf(arn);
  if (machine !== undefined) {
    warnIfElsewhere(ctx, `${id}.Enrichment`, { state_machine: machine }, 'batches');
    if (ctx.stateMachineType(machine) === 'STANDARD') ctx.fail(id, 'Enrichment', `state machine "${machine}" is a STANDARD workflow; a pipe's enrichment must be an EXPRESS one (it runs synchronously)`);
    return { enrichment: { kind: 'states', arn, ...withTemplate }, run: true };
  }
  const to = targetOf(ctx, arn);
  const what = 'other' in to ? to.other : Object.keys(to)[0].replace('_', ' ');
  ctx.warn(`${id}.Enrichment: ${what} enrichments are not run by esb (it runs Lambda functions and Express state machines); the pipe is not run (${DOC})`);
  return { run: false };
}

/** The target, with its parameters; undefined (with a warning) for what esb does not run. */
function readTarget(ctx: PipeReadContext, id: string, props: Record<string, unknown>): PipeConfig['target'] | undefined {
  const arn = arnText(ctx, id, 'Target', props.Target);
  const tp = group(ctx, id, 'TargetParameters', props.TargetParameters);
  const kind = targetKind(ctx, arn);
  if (typeof kind !== 'string') {
    ctx.warn(`${id}.Target: ${kind.other} targets are not run by esb (it runs ${RUN_TARGETS}); the pipe is not run (${DOC})`);
    return undefined;
  }
  for (const [name, v] of Object.entries(tp)) {
    if (name === 'InputTemplate' || v === undefined) continue;
    if (name !== TARGETS[kind].group) ctx.warn(`${id}.TargetParameters.${name}: ${Object.values(TARGETS).some((t) => t.group === name) ? `the target is ${TARGETS[kind].what}` : 'not a parameter group esb applies'}; not applied (${DOC})`);
  }
  const params = (name: string) => group(ctx, id, `TargetParameters.${name}`, tp[name]);
  const template = inputTemplate(ctx, id, 'TargetParameters.InputTemplate', tp.InputTemplate);
  const withTemplate = template !== undefined ? { inputTemplate: template } : {};
  const text = (g: string, f: string) => textParameter(ctx, id, `TargetParameters.${g}.${f}`, params(g)[f]);
  switch (kind) {
    case 'lambda': {
      const fn = functionOfArn(arn) as string;
      warnIfElsewhere(ctx, `${id}.Target`, { function: fn }, 'batches');
      return { kind, arn, function: fn, invocationType: invocationType(ctx, id, 'TargetParameters.LambdaFunctionParameters.InvocationType', params('LambdaFunctionParameters').InvocationType), ...withTemplate };
    }
    case 'states': {
      const machine = stateMachineNameOf(arn) as string;
      warnIfElsewhere(ctx, `${id}.Target`, { state_machine: machine }, 'batches');
      const field = 'TargetParameters.StepFunctionStateMachineParameters.InvocationType';
      const invocation = invocationType(ctx, id, field, params('StepFunctionStateMachineParameters').InvocationType);
      if (invocation === 'REQUEST_RESPONSE' && ctx.stateMachineType(machine) === 'STANDARD') ctx.fail(id, field, `state machine "${machine}" is a STANDARD workflow, which a pipe starts with FIRE_AND_FORGET only (REQUEST_RESPONSE, the default, waits for an EXPRESS one)`);
      return { kind, arn, invocationType: invocation, ...withTemplate };
    }
    case 'sqs': {
      const queue = queueOfArn(arn) as string;
      warnIfElsewhere(ctx, `${id}.Target`, { queue }, 'messages');
      const messageGroupId = text('SqsQueueParameters', 'MessageGroupId');
      const messageDeduplicationId = text('SqsQueueParameters', 'MessageDeduplicationId');
      if (queue.endsWith('.fifo') && messageGroupId === undefined) ctx.warn(`${id}.TargetParameters.SqsQueueParameters.MessageGroupId: missing; FIFO queue "${queue}" refuses messages without one (${DOC})`);
      const account = /^arn:aws[\w-]*:sqs:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? ctx.account;
      return { kind, arn, queue, account, ...(messageGroupId !== undefined ? { messageGroupId } : {}), ...(messageDeduplicationId !== undefined ? { messageDeduplicationId } : {}), ...withTemplate };
    }
    case 'sns':
      return { kind, arn, ...withTemplate };
    case 'events': {
      const g = params('EventBridgeEventBusParameters');
      if (g.EndpointId !== undefined) ctx.warn(`${id}.TargetParameters.EventBridgeEventBusParameters.EndpointId: global endpoints are not emulated; events go to the bus itself (${DOC})`);
      const resources = g.Resources;
      if (resources !== undefined && (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string'))) ctx.fail(id, 'TargetParameters.EventBridgeEventBusParameters.Resources', 'must be a list of ARNs (or JSON paths of the event)');
      const out: PipeTarget = { kind, arn, bus: busNameOf(arn) as string };
      for (const [f, key] of [['DetailType', 'detailType'], ['Source', 'source'], ['Time', 'time']] as const) {
        const v = text('EventBridgeEventBusParameters', f);
        if (v !== undefined) out[key] = v;
      }
      if (resources !== undefined) out.resources = resources as string[];
      return { ...out, ...withTemplate };
    }
    case 'kinesis': {
      const stream = kinesisStreamNameOf(arn) as string;
      if (!ctx.streamDeclared(stream)) ctx.warn(`${id}.Target: stream "${stream}" is not declared in this template; it gets records once a deployed template declares it`);
      const partitionKey = text('KinesisStreamParameters', 'PartitionKey') ?? ctx.fail(id, 'TargetParameters.KinesisStreamParameters.PartitionKey', 'missing: a Kinesis target needs a partition key (text, or a JSON path of the event such as $.data.user)');
      return { kind, arn, stream, partitionKey, ...withTemplate };
    }
    case 'logs': {
      const logGroup = LOG_GROUP_ARN.exec(arn)?.[1] ?? UNRUN_ARN.exec(arn)?.[1] ?? arn;
      const logStreamName = text('CloudWatchLogsParameters', 'LogStreamName');
      const timestamp = text('CloudWatchLogsParameters', 'Timestamp');
      return { kind, arn, logGroup, ...(logStreamName !== undefined ? { logStreamName } : {}), ...(timestamp !== undefined ? { timestamp } : {}), ...withTemplate };
    }
  }
}

/** What a target's ARN names: a kind esb runs, or what else it is. */
function targetKind(ctx: PipeReadContext, arn: string): PipeTarget['kind'] | { other: string } {
  if (EVENT_BUS_ARN.test(arn) && busNameOf(arn) !== undefined) return 'events';
  const unrun = UNRUN_ARN.exec(arn)?.[1];
  if (unrun !== undefined && ctx.resourceType(unrun) === 'AWS::Logs::LogGroup') return 'logs';
  const to = targetOf(ctx, arn);
  if ('function' in to) return 'lambda';
  if ('queue' in to) return 'sqs';
  if ('state_machine' in to) return 'states';
  if ('stream' in to) return 'kinesis';
  if ('delivery_stream' in to) return { other: 'Firehose delivery stream' };
  if ('graphql_api' in to) return { other: 'AppSync API' };
  if ('topic' in to) return 'sns';
  if ('log_group' in to) return 'logs';
  if ('http' in to) return { other: 'API destination' };
  return to;
}

/**
 * An AWS::Pipes::Pipe, its properties resolved; `name` is its Name (else the one esb makes).
 * Undefined, with a warning naming the field, when its source, enrichment or target is one esb
 * does not run.
 */
export function readPipe(ctx: PipeReadContext, id: string, props: Record<string, unknown>, name: string): PipeRead | undefined {
  if (!PIPE_NAME.test(name)) ctx.fail(id, 'Name', `"${name}" is not a valid pipe name (1-64 of letters, digits, ".", "-", "_")`);
  const state = props.DesiredState;
  if (state !== undefined && state !== 'RUNNING' && state !== 'STOPPED') ctx.fail(id, 'DesiredState', `must be RUNNING or STOPPED, not ${JSON.stringify(state)}`);
  const sourceArn = arnText(ctx, id, 'Source', props.Source);
  const sp = group(ctx, id, 'SourceParameters', props.SourceParameters);
  const kind = sourceKind(ctx, sourceArn, sp);
  let run = true;
  if (typeof kind !== 'string') {
    ctx.warn(`${id}.Source: ${kind.other} sources are not run by esb (it runs SQS queues, DynamoDB streams and Kinesis streams); the pipe is not run (${DOC})`);
    run = false;
  } else {
    const unused = Object.keys(sp).filter((g) => g !== 'FilterCriteria' && sp[g] !== undefined && g !== SOURCES[kind].group);
    if (unused.length) ctx.warn(`${id}.SourceParameters.${unused.join(', ')}: the source is ${SOURCES[kind].what}; not applied (${DOC})`);
  }
  const enrichment = readEnrichment(ctx, id, props);
  const target = readTarget(ctx, id, props);
  if (props.LogConfiguration !== undefined) ctx.warn(`${id}.LogConfiguration: not applied; what the pipe does is in its function's log (${DOC})`);
  const unapplied = Object.keys(props).filter((k) => !PROPERTIES.has(k) && !QUIET_PROPERTIES.has(k));
  if (unapplied.length) ctx.warn(`${id}.${unapplied.join(', ')}: not applied by esb (${DOC})`);
  if (!run || !enrichment.run || target === undefined || typeof kind !== 'string') return undefined;

  const mapping = sourceMapping(ctx, id, kind, sourceArn, sp, state !== 'STOPPED');
  const invokes = [enrichment.enrichment, target].flatMap((x) => (x?.kind === 'lambda' ? [x.function] : []));
  const config: PipeConfig = {
    name,
    arn: pipeArn(name, ctx.region, ctx.account),
    source: { kind, arn: sourceArn },
    ...(enrichment.enrichment ? { enrichment: enrichment.enrichment } : {}),
    target,
  };
  return { config, mapping, invokes };
}

/** The built-in function that runs a pipe, under `key`. */
export function pipeFunction(key: string, logicalId: string, read: PipeRead): FunctionModel {
  return {
    key,
    logicalId,
    resourceType: PIPE_TYPE,
    packageType: 'Zip',
    runtime: PIPE_CODE.runtime,
    handler: PIPE_CODE.handler,
    code: { kind: 'builtin', file: PIPE_CODE.file },
    timeout: PIPE_TIMEOUT_SECONDS,
    // A batch reaches 6 MB (Lambda's payload), and the target's copy of it as much again.
    memorySize: 256,
    environment: { ESB_PIPE: JSON.stringify(read.config) },
    scaling: {},
    layers: [],
    events: [read.mapping],
  };
}
