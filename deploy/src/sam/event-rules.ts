// EventBridge rules of a template (docs/eventbridge.md): AWS::Events::Rule resources and SAM's
// EventBridgeRule / CloudWatchEvent events of functions and state machines, read into
// functions.yml `rules`. A rule's targets that are functions, SQS queues or state machines are
// kept; other targets are warnings. A rule with a ScheduleExpression becomes schedules of the
// functions and state machines it targets. Pure: property values come in resolved.
import { appSyncApiIdOfArn, BUS_NAME, DEFAULT_BUS, busNameOf, deliveryStreamNameOf, kinesisStreamNameOf, stateMachineNameOf, topicNameOf, type EventRule, type EventRuleTarget } from '@esb/contracts';
import { withHttpParameters, type HttpTarget } from './api-destinations.js';
import type { ApiReadContext } from './cfn-apis.js';
import { functionOfArn, patternText, queueOfArn, warnIfElsewhere, type DeliveryContext } from './delivery.js';
import type { ScheduleEventModel } from './model.js';
import { isRecord } from './resolver.js';

export const EVENT_BUS_TYPE = 'AWS::Events::EventBus';
export const EVENT_RULE_TYPE = 'AWS::Events::Rule';
/** EventBridge resources esb does not emulate, each with what that means for the app. */
export const UNEMULATED_EVENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['AWS::Events::Archive', 'events are not archived, so there is nothing to replay'],
]);
/** Rule names and target ids: 1-64 letters, digits and `._-`. */
const RULE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const SCHEDULE = /^(rate|cron)\(.+\)$/;
const MAX_TARGETS = 5;
const MAX_INPUT_PATHS = 100;
/** What !GetAtt X.Arn gives for a resource esb does not run: group 1 is its logical id. */
export const UNRUN_ARN = /^arn:aws:esb:[^:]*:[^:]*:(.+)$/;
/** A CloudWatch Logs log group's ARN (with or without the trailing `:*`): group 1 is its name. */
export const LOG_GROUP_ARN = /^arn:aws[\w-]*:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?$/;
/** Where a rule's events can go, for the warnings about the others. */
const RECEIVERS = 'only Lambda functions, SQS queues, SNS topics, Step Functions state machines, Kinesis streams, Firehose delivery streams, CloudWatch Logs log groups, AppSync APIs and API destinations receive events';

const KIND_BY_TYPE: Record<string, string> = {
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::StepFunctions::StateMachine': 'Step Functions state machine',
  'AWS::Serverless::StateMachine': 'Step Functions state machine',
  'AWS::Logs::LogGroup': 'CloudWatch Logs log group',
  'AWS::Kinesis::Stream': 'Kinesis stream',
  'AWS::KinesisFirehose::DeliveryStream': 'Firehose delivery stream',
  'AWS::Events::EventBus': 'event bus',
  'AWS::Events::ApiDestination': 'API destination',
  'AWS::ECS::Cluster': 'ECS task',
  'AWS::Batch::JobQueue': 'Batch job queue',
  'AWS::CodeBuild::Project': 'CodeBuild project',
  'AWS::AppSync::GraphQLApi': 'AppSync API',
  'AWS::Serverless::GraphQLApi': 'AppSync API',
};
const KIND_BY_SERVICE: Record<string, string> = {
  sns: 'SNS topic',
  states: 'Step Functions state machine',
  logs: 'CloudWatch Logs log group',
  kinesis: 'Kinesis stream',
  firehose: 'Firehose delivery stream',
  ecs: 'ECS task',
  batch: 'Batch job queue',
  codebuild: 'CodeBuild project',
  codepipeline: 'CodePipeline pipeline',
  appsync: 'AppSync API',
  'execute-api': 'API Gateway',
  ssm: 'Systems Manager',
  sagemaker: 'SageMaker pipeline',
  redshift: 'Redshift',
  inspector: 'Inspector',
};

export interface RuleReadContext extends DeliveryContext {
  /** A resource's Type by logical id (what a !Ref or !GetAtt of a resource esb does not run leaves). */
  resourceType(logicalId: string): string | undefined;
  /** The API destination of this template an ARN names, read with its connection (docs/eventbridge.md "API destinations"). */
  apiDestination?(arn: string): HttpTarget | undefined;
  /** The stack the template deploys as: an unnamed rule's name starts with it. */
  stackName: string;
}

/**
 * The name CloudFormation gives a rule (or schedule, connection, API destination) without one:
 * `<stack>-<LogicalId>` within 64 characters, so two apps' rules of one logical id are two rules.
 */
export function defaultRuleName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`.slice(0, 64);
}

/** Where a target's Arn points: a function, queue or state machine esb delivers to, or what else it is (for a warning). */
type TargetRef = { function: string } | { queue: string } | { state_machine: string } | { stream: string } | { delivery_stream: string } | { graphql_api: string } | { topic: string } | { log_group: string } | { http: HttpTarget } | { other: string };

/** The bus an EventBusName names (a name or an ARN; `default` when absent). */
export function ruleBus(ctx: Pick<ApiReadContext, 'fail'>, id: string, field: string, value: unknown): string {
  const bus = value === undefined || typeof value === 'string' ? busNameOf(value) : undefined;
  if (bus === undefined) ctx.fail(id, field, `${JSON.stringify(value)} is not the name or ARN of an event bus (1-256 of letters, digits, ".", "-", "_", "/")`);
  return bus;
}

/** State (ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS) as enabled or not. */
function stateEnabled(ctx: RuleReadContext, id: string, field: string, state: unknown): boolean {
  if (state === undefined || state === 'ENABLED' || state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') return true;
  if (state === 'DISABLED') return false;
  return ctx.fail(id, field, `must be ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, not ${JSON.stringify(state)}`);
}

/** A rule name, or a target id: 1-64 letters, digits, `.`, `-`, `_`. */
function ruleName(ctx: RuleReadContext, id: string, field: string, name: unknown): string {
  if (typeof name !== 'string' || !RULE_NAME.test(name)) ctx.fail(id, field, `${JSON.stringify(name)} is not a valid name (1-64 of letters, digits, ".", "-", "_")`);
  return name;
}

/** What a target sends instead of the event: Input, InputPath or InputTransformer (at most one). */
function targetInput(ctx: RuleReadContext, id: string, at: (f: string) => string, t: Record<string, unknown>): Pick<EventRuleTarget, 'input' | 'input_path' | 'input_transformer'> {
  const given = ['Input', 'InputPath', 'InputTransformer'].filter((f) => t[f] !== undefined);
  if (given.length > 1) ctx.fail(id, at(given[1]), `a target takes one of Input, InputPath and InputTransformer, not ${given.join(' and ')}`);
  if (t.Input !== undefined) {
    if (typeof t.Input !== 'string' || !isJson(t.Input)) ctx.fail(id, at('Input'), `must be JSON text, such as '{"mode": "full"}' (got ${JSON.stringify(t.Input)})`);
    return { input: t.Input };
  }
  if (t.InputPath !== undefined) {
    if (typeof t.InputPath !== 'string' || !t.InputPath.startsWith('$')) ctx.fail(id, at('InputPath'), `must be a JSONPath starting with "$", such as $.detail (got ${JSON.stringify(t.InputPath)})`);
    return { input_path: t.InputPath };
  }
  if (t.InputTransformer !== undefined) {
    const it = t.InputTransformer;
    if (!isRecord(it)) ctx.fail(id, at('InputTransformer'), 'must be a map with InputTemplate and InputPathsMap');
    if (typeof it.InputTemplate !== 'string') ctx.fail(id, at('InputTransformer.InputTemplate'), 'must be the text sent, with <name> for each entry of InputPathsMap');
    const paths: Record<string, string> = {};
    if (it.InputPathsMap !== undefined) {
      if (!isRecord(it.InputPathsMap)) ctx.fail(id, at('InputTransformer.InputPathsMap'), 'must be a map of name -> JSONPath');
      const entries = Object.entries(it.InputPathsMap);
      if (entries.length > MAX_INPUT_PATHS) ctx.fail(id, at('InputTransformer.InputPathsMap'), `has ${entries.length} entries; at most ${MAX_INPUT_PATHS}`);
      for (const [name, path] of entries) {
        if (typeof path !== 'string' || !path.startsWith('$')) ctx.fail(id, at(`InputTransformer.InputPathsMap.${name}`), `must be a JSONPath starting with "$", such as $.detail.id (got ${JSON.stringify(path)})`);
        paths[name] = path;
      }
    }
    return { input_transformer: { paths, template: it.InputTemplate } };
  }
  return {};
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Where a target's Arn points (a rule's target, a pipe's: docs/pipes.md). */
export function targetOf(ctx: RuleReadContext, arn: string): TargetRef {
  const queue = queueOfArn(arn);
  if (queue !== undefined) return { queue };
  const fn = functionOfArn(arn);
  if (fn !== undefined) return { function: fn };
  const machine = stateMachineNameOf(arn);
  if (machine !== undefined) return { state_machine: machine };
  const stream = kinesisStreamNameOf(arn);
  if (stream !== undefined) return { stream };
  const deliveryStream = deliveryStreamNameOf(arn);
  if (deliveryStream !== undefined) return { delivery_stream: deliveryStream };
  const graphqlApi = appSyncApiIdOfArn(arn);
  if (graphqlApi !== undefined) return { graphql_api: graphqlApi };
  const topic = topicNameOf(arn);
  if (topic !== undefined) return { topic };
  const logGroup = LOG_GROUP_ARN.exec(arn)?.[1];
  if (logGroup !== undefined) return { log_group: logGroup };
  const http = ctx.apiDestination?.(arn);
  if (http !== undefined) return { http };
  // A resource esb does not run: !Ref gives its logical id, !GetAtt an esb ARN or `<Id>.<Attribute>`.
  const type = ctx.resourceType(UNRUN_ARN.exec(arn)?.[1] ?? arn.split('.')[0]);
  if (type !== undefined) return { other: KIND_BY_TYPE[type] ?? type };
  const parts = /^arn:aws[\w-]*:([^:]+):[^:]*:[^:]*:(.*)$/.exec(arn);
  if (!parts) return { other: `${JSON.stringify(arn)} (not an ARN)` };
  const [, service, resource] = parts;
  if (service === 'events') return { other: resource.startsWith('api-destination/') ? 'API destination' : resource.startsWith('event-bus/') ? 'event bus' : 'EventBridge' };
  return { other: KIND_BY_SERVICE[service] ?? service };
}

/**
 * The targets of a rule esb delivers to (the kinds targetOf names), with their RetryPolicy and
 * DeadLetterConfig. Other targets are warnings.
 */
function ruleTargets(ctx: RuleReadContext, id: string, targets: unknown): EventRuleTarget[] {
  if (targets === undefined) return [];
  if (!Array.isArray(targets)) ctx.fail(id, 'Targets', 'must be a list of targets ({Arn, Id})');
  if (targets.length > MAX_TARGETS) ctx.fail(id, 'Targets', `has ${targets.length} targets; a rule takes at most ${MAX_TARGETS}`);
  const out: EventRuleTarget[] = [];
  const ids = new Set<string>();
  const unapplied: string[] = [];
  for (const [i, t] of targets.entries()) {
    const field = `Targets[${i}]`;
    const at = (f: string) => `${field}.${f}`;
    if (!isRecord(t)) ctx.fail(id, field, 'must be a map with Arn and Id');
    const targetId = ruleName(ctx, id, at('Id'), t.Id);
    if (ids.has(targetId)) ctx.fail(id, at('Id'), `"${targetId}" is the id of another target of this rule`);
    ids.add(targetId);
    if (typeof t.Arn !== 'string' || t.Arn === '') ctx.fail(id, at('Arn'), 'must be the ARN of the target');
    const input = targetInput(ctx, id, at, t);
    const to = targetOf(ctx, t.Arn);
    if ('other' in to) {
      ctx.warn(`${id}: ${field} (${targetId}): ${to.other} targets are not emulated; ${RECEIVERS} (docs/eventbridge.md)`);
      continue;
    }
    if (!('http' in to)) warnIfElsewhere(ctx, `${id}.${at('Arn')}`, to, 'events');
    const target: EventRuleTarget = { id: targetId, ...to, ...input, ...deliveryPolicy(ctx, id, at, t.DeadLetterConfig, t.RetryPolicy, unapplied) };
    if ('queue' in to && isRecord(t.SqsParameters) && t.SqsParameters.MessageGroupId !== undefined) {
      if (typeof t.SqsParameters.MessageGroupId !== 'string' || t.SqsParameters.MessageGroupId === '') ctx.fail(id, at('SqsParameters.MessageGroupId'), 'must be a string');
      target.message_group_id = t.SqsParameters.MessageGroupId;
    }
    if ('http' in to) target.http = withHttpParameters(ctx, id, at('HttpParameters'), to.http, t.HttpParameters);
    if ('graphql_api' in to) {
      const op = isRecord(t.AppSyncParameters) ? t.AppSyncParameters.GraphQLOperation : undefined;
      if (typeof op !== 'string' || op.trim() === '') ctx.fail(id, at('AppSyncParameters.GraphQLOperation'), 'is required for an AppSync target: the mutation to run for each event');
      target.graphql_operation = op;
    }
    if ('stream' in to && isRecord(t.KinesisParameters) && t.KinesisParameters.PartitionKeyPath !== undefined) {
      if (typeof t.KinesisParameters.PartitionKeyPath !== 'string' || !t.KinesisParameters.PartitionKeyPath.startsWith('$')) ctx.fail(id, at('KinesisParameters.PartitionKeyPath'), 'must be a JSONPath of the event ($.detail.id)');
      target.partition_key_path = t.KinesisParameters.PartitionKeyPath;
    }
    out.push(target);
  }
  if (unapplied.length) warnUnapplied(ctx, id, unapplied);
  return out;
}

function warnUnapplied(ctx: RuleReadContext, id: string, fields: string[]): void {
  ctx.warn(`${id}.${fields.join(', ')}: not emulated (docs/eventbridge.md)`);
}

/**
 * A target's RetryPolicy and DeadLetterConfig (its `Arn`, an SQS queue's): how a delivery that
 * failed is tried again and where it goes then (docs/eventbridge.md "Retries and dead-letter
 * queues"). A SAM DeadLetterConfig without Arn (SAM makes the queue) is added to `unapplied`.
 */
function deliveryPolicy(ctx: RuleReadContext, id: string, at: (f: string) => string, dlq: unknown, retry: unknown, unapplied: string[]): Pick<EventRuleTarget, 'retry_policy' | 'dead_letter_queue'> {
  const out: Pick<EventRuleTarget, 'retry_policy' | 'dead_letter_queue'> = {};
  if (retry !== undefined) {
    if (!isRecord(retry)) ctx.fail(id, at('RetryPolicy'), 'must be a map with MaximumRetryAttempts and MaximumEventAgeInSeconds');
    const whole = (field: string, value: unknown, min: number, max: number, dflt: number): number => {
      if (value === undefined) return dflt;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) ctx.fail(id, at(`RetryPolicy.${field}`), `must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
      return n as number;
    };
    out.retry_policy = { maximum_retry_attempts: whole('MaximumRetryAttempts', retry.MaximumRetryAttempts, 0, 185, 185), maximum_event_age_seconds: whole('MaximumEventAgeInSeconds', retry.MaximumEventAgeInSeconds, 60, 86_400, 86_400) };
  }
  if (dlq !== undefined) {
    if (!isRecord(dlq)) ctx.fail(id, at('DeadLetterConfig'), 'must be a map with Arn (an SQS queue\'s)');
    if (dlq.Arn === undefined) unapplied.push(at('DeadLetterConfig'));
    else {
      const queue = typeof dlq.Arn === 'string' ? queueOfArn(dlq.Arn) : undefined;
      if (queue === undefined) ctx.fail(id, at('DeadLetterConfig.Arn'), `must be the ARN of an SQS queue, not ${JSON.stringify(dlq.Arn)}`);
      warnIfElsewhere(ctx, `${id}.${at('DeadLetterConfig.Arn')}`, { queue }, 'events');
      out.dead_letter_queue = queue;
    }
  }
  return out;
}

/**
 * An AWS::Events::Rule, its properties resolved; `name` is its Name (else its logical id). The
 * rule has its pattern or its schedule; undefined when it has no target esb runs (said).
 */
export function readRule(ctx: RuleReadContext, id: string, props: Record<string, unknown>, name: string): EventRule | undefined {
  ruleName(ctx, id, 'Name', name);
  const bus = ruleBus(ctx, id, 'EventBusName', props.EventBusName);
  const enabled = stateEnabled(ctx, id, 'State', props.State);
  const schedule = props.ScheduleExpression;
  if (props.EventPattern === undefined && schedule === undefined) ctx.fail(id, 'EventPattern', 'missing: a rule needs an EventPattern or a ScheduleExpression');
  const pattern = props.EventPattern === undefined ? undefined : patternText(ctx, id, 'EventPattern', props.EventPattern);
  if (schedule !== undefined) {
    if (typeof schedule !== 'string' || !SCHEDULE.test(schedule.trim())) ctx.fail(id, 'ScheduleExpression', 'must be rate(...) or cron(...)');
    if (bus !== DEFAULT_BUS) ctx.fail(id, 'ScheduleExpression', `schedules run on the default event bus only, not on "${bus}"`);
  }
  if (pattern !== undefined && schedule !== undefined) ctx.fail(id, 'ScheduleExpression', 'a rule has an EventPattern or a ScheduleExpression, not both');
  const targets = ruleTargets(ctx, id, props.Targets);
  if (targets.length === 0) {
    ctx.warn(`${id}: the rule has no target esb emulates; it is not run`);
    return undefined;
  }
  // A scheduled rule sends its targets the Scheduled Event, or what their input fields make of it.
  return { bus, name, ...(typeof schedule === 'string' ? { schedule: schedule.trim() } : { pattern: pattern! }), enabled, targets };
}

/**
 * SAM's `Type: EventBridgeRule` / `Type: CloudWatchEvent` event of a function or a state
 * machine (`to`): one rule whose one target is it. Its name is RuleName, else the one
 * CloudFormation gives the rule SAM generates (`<stack>-<Resource><Event>`); its target's id is Target.Id, else SAM's
 * `<Resource><Event>LambdaTarget` (`...StepFunctionsTarget` for a state machine).
 */
export function samEventRule(ctx: RuleReadContext, ownerId: string, event: string, p: Record<string, unknown>, to: { function: string } | { state_machine: string }): EventRule {
  const field = `Events.${event}.Properties`;
  const at = (f: string) => `${field}.${f}`;
  const fn = 'function' in to;
  if (p.Pattern === undefined) ctx.fail(ownerId, at('Pattern'), `missing: the events that ${fn ? 'invoke the function' : 'start the state machine'}`);
  const pattern = patternText(ctx, ownerId, at('Pattern'), p.Pattern);
  const bus = ruleBus(ctx, ownerId, at('EventBusName'), p.EventBusName);
  const name = p.RuleName === undefined ? defaultRuleName(ctx.stackName, `${ownerId}${event}`) : ruleName(ctx, ownerId, at('RuleName'), p.RuleName);
  const enabled = stateEnabled(ctx, ownerId, at('State'), p.State) && p.Enabled !== false && p.Enabled !== 'false';
  let targetId = `${ownerId}${event}${fn ? 'LambdaTarget' : 'StepFunctionsTarget'}`;
  if (p.Target !== undefined) {
    if (!isRecord(p.Target)) ctx.fail(ownerId, at('Target'), 'must be a map with Id');
    targetId = ruleName(ctx, ownerId, at('Target.Id'), p.Target.Id);
  }
  const unapplied: string[] = [];
  const policy = deliveryPolicy(ctx, ownerId, at, p.DeadLetterConfig, p.RetryPolicy, unapplied);
  if (unapplied.length) warnUnapplied(ctx, ownerId, unapplied);
  return { bus, name, pattern, enabled, targets: [{ id: targetId, ...to, ...targetInput(ctx, ownerId, at, p), ...policy }] };
}

/**
 * SAM's `Type: Schedule` event of a function or a state machine (an EventBridge rule in SAM): a
 * schedule named Name, else the event's name, with its Input (a map is sent as its JSON);
 * `Enabled: false` or `State: DISABLED` turns it off. (`ScheduleV2` is EventBridge Scheduler's:
 * scheduler.ts.)
 */
export function samScheduleEvent(ctx: Pick<ApiReadContext, 'fail'>, ownerId: string, event: string, p: Record<string, unknown>): ScheduleEventModel {
  const schedule = p.Schedule;
  if (typeof schedule !== 'string' || !SCHEDULE.test(schedule.trim())) ctx.fail(ownerId, `Events.${event}.Properties.Schedule`, 'must be rate(...) or cron(...)');
  const e: ScheduleEventModel = { type: 'schedule', name: typeof p.Name === 'string' ? p.Name : event, schedule: schedule.trim(), enabled: true };
  if (p.Input !== undefined) e.input = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
  if (p.Enabled === false || p.Enabled === 'false') e.enabled = false;
  if (p.State === 'DISABLED') e.enabled = false;
  return e;
}

/** An AWS::Events::EventBus's Name, checked. */
export function busName(ctx: Pick<ApiReadContext, 'fail'>, id: string, name: unknown): string {
  if (name === undefined) ctx.fail(id, 'Name', 'missing: an event bus needs a Name');
  if (typeof name !== 'string' || !BUS_NAME.test(name)) ctx.fail(id, 'Name', `${JSON.stringify(name)} is not a valid event bus name (1-256 of letters, digits, ".", "-", "_", "/")`);
  if (name === DEFAULT_BUS) ctx.fail(id, 'Name', 'the default event bus is the account\'s own; a template cannot create it');
  return name;
}

