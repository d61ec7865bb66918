// EventBridge rules of a template (docs/eventbridge.md): AWS::Events::Rule resources and SAM's
// EventBridgeRule / CloudWatchEvent function events, read into functions.yml `rules`. A rule's
// targets that are functions or SQS queues are kept; other targets are warnings. A rule with a
// ScheduleExpression becomes schedule events of the functions it targets.
// Pure: property values come in resolved.
import { BUS_NAME, DEFAULT_BUS, busNameOf, type EventRule, type EventRuleTarget } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { functionOfArn, patternText, queueOfArn, warnIfElsewhere, type DeliveryContext } from './delivery.js';
import type { ScheduleEventModel } from './model.js';
import { isRecord } from './resolver.js';

export const EVENT_BUS_TYPE = 'AWS::Events::EventBus';
export const EVENT_RULE_TYPE = 'AWS::Events::Rule';
export const SCHEDULER_TYPE = 'AWS::Scheduler::Schedule';
/** EventBridge resources esb does not emulate, each with what that means for the app. */
export const UNEMULATED_EVENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['AWS::Events::Archive', 'events are not archived, so there is nothing to replay'],
  ['AWS::Events::Connection', 'it only serves API destinations, which esb does not call'],
  ['AWS::Events::ApiDestination', 'rules do not call HTTP endpoints here'],
]);
/** Rule names and target ids: 1-64 letters, digits and `._-`. */
const RULE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const SCHEDULE = /^(rate|cron)\(.+\)$/;
const MAX_TARGETS = 5;
const MAX_INPUT_PATHS = 100;
/** What !GetAtt X.Arn gives for a resource esb does not run: group 1 is its logical id. */
const UNRUN_ARN = /^arn:aws:esb:[^:]*:[^:]*:(.+)$/;

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
}

/** Where a target's Arn points: a function or queue esb delivers to, or what else it is (for a warning). */
type TargetRef = { function: string } | { queue: string } | { other: string };

/** What an AWS::Events::Rule gives: the rule (absent for a schedule only, or with no target esb runs) and schedule events by function key. */
export interface RuleRead {
  rule?: EventRule;
  schedules: Array<{ function: string; event: ScheduleEventModel }>;
}

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

/** Where a target's Arn points. */
function targetOf(ctx: RuleReadContext, arn: string): TargetRef {
  const queue = queueOfArn(arn);
  if (queue !== undefined) return { queue };
  const fn = functionOfArn(arn);
  if (fn !== undefined) return { function: fn };
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
 * The targets of a rule esb delivers to: functions and queues. Other targets, and fields esb
 * does not apply (DeadLetterConfig, RetryPolicy), are warnings.
 */
function ruleTargets(ctx: RuleReadContext, id: string, targets: unknown): Array<{ target: EventRuleTarget; field: string }> {
  if (targets === undefined) return [];
  if (!Array.isArray(targets)) ctx.fail(id, 'Targets', 'must be a list of targets ({Arn, Id})');
  if (targets.length > MAX_TARGETS) ctx.fail(id, 'Targets', `has ${targets.length} targets; a rule takes at most ${MAX_TARGETS}`);
  const out: Array<{ target: EventRuleTarget; field: string }> = [];
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
      ctx.warn(`${id}: ${field} (${targetId}): ${to.other} targets are not emulated; only Lambda functions and SQS queues receive events (docs/eventbridge.md)`);
      continue;
    }
    for (const f of ['DeadLetterConfig', 'RetryPolicy']) if (t[f] !== undefined) unapplied.push(at(f));
    warnIfElsewhere(ctx, `${id}.${at('Arn')}`, to, 'events');
    const target: EventRuleTarget = { id: targetId, ...to, ...input };
    if ('queue' in to && isRecord(t.SqsParameters) && t.SqsParameters.MessageGroupId !== undefined) {
      if (typeof t.SqsParameters.MessageGroupId !== 'string' || t.SqsParameters.MessageGroupId === '') ctx.fail(id, at('SqsParameters.MessageGroupId'), 'must be a string');
      target.message_group_id = t.SqsParameters.MessageGroupId;
    }
    out.push({ target, field });
  }
  if (unapplied.length) warnUnapplied(ctx, id, unapplied);
  return out;
}

function warnUnapplied(ctx: RuleReadContext, id: string, fields: string[]): void {
  ctx.warn(`${id}.${fields.join(', ')}: not emulated; esb delivers each event once (a function's own asynchronous retries apply) (docs/eventbridge.md)`);
}

/** An AWS::Events::Rule, its properties resolved; `name` is its Name (else its logical id). */
export function readRule(ctx: RuleReadContext, id: string, props: Record<string, unknown>, name: string): RuleRead {
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
  const targets = ruleTargets(ctx, id, props.Targets);
  const schedules: RuleRead['schedules'] = [];
  if (typeof schedule === 'string') {
    for (const { target, field } of targets) {
      if (target.queue !== undefined || !ctx.functionKeys.has(target.function as string)) {
        ctx.warn(`${id}: ${field} (${target.id}): the schedule invokes functions of this template only; this target gets nothing on the schedule (docs/eventbridge.md)`);
        continue;
      }
      if (target.input_path !== undefined || target.input_transformer !== undefined) ctx.warn(`${id}: ${field} (${target.id}): InputPath and InputTransformer are not applied to scheduled events; the function gets the Scheduled Event`);
      const event: ScheduleEventModel = { type: 'schedule', name, schedule: schedule.trim(), enabled };
      if (target.input !== undefined) event.input = target.input;
      schedules.push({ function: target.function as string, event });
    }
  }
  if (pattern !== undefined && targets.length > 0) return { rule: { bus, name, pattern, enabled, targets: targets.map((t) => t.target) }, schedules };
  if (schedules.length === 0) ctx.warn(`${id}: the rule has no target esb emulates; it is not run`);
  return { schedules };
}

/**
 * SAM's `Type: EventBridgeRule` / `Type: CloudWatchEvent` event of a function: one rule whose
 * one target is the function. Its name is RuleName, else the rule's logical id SAM generates
 * (`<Function><Event>`); its target's id is Target.Id, else SAM's `<Function><Event>LambdaTarget`.
 */
export function samEventRule(ctx: RuleReadContext, fnId: string, fnKey: string, event: string, p: Record<string, unknown>): EventRule {
  const field = `Events.${event}.Properties`;
  const at = (f: string) => `${field}.${f}`;
  if (p.Pattern === undefined) ctx.fail(fnId, at('Pattern'), 'missing: the events that invoke the function');
  const pattern = patternText(ctx, fnId, at('Pattern'), p.Pattern);
  const bus = ruleBus(ctx, fnId, at('EventBusName'), p.EventBusName);
  const name = p.RuleName === undefined ? `${fnId}${event}` : ruleName(ctx, fnId, at('RuleName'), p.RuleName);
  const enabled = stateEnabled(ctx, fnId, at('State'), p.State) && p.Enabled !== false && p.Enabled !== 'false';
  let targetId = `${fnId}${event}LambdaTarget`;
  if (p.Target !== undefined) {
    if (!isRecord(p.Target)) ctx.fail(fnId, at('Target'), 'must be a map with Id');
    targetId = ruleName(ctx, fnId, at('Target.Id'), p.Target.Id);
  }
  const unapplied = ['DeadLetterConfig', 'RetryPolicy'].filter((f) => p[f] !== undefined).map(at);
  if (unapplied.length) warnUnapplied(ctx, fnId, unapplied);
  return { bus, name, pattern, enabled, targets: [{ id: targetId, function: fnKey, ...targetInput(ctx, fnId, at, p) }] };
}

/** An AWS::Events::EventBus's Name, checked. */
export function busName(ctx: Pick<ApiReadContext, 'fail'>, id: string, name: unknown): string {
  if (name === undefined) ctx.fail(id, 'Name', 'missing: an event bus needs a Name');
  if (typeof name !== 'string' || !BUS_NAME.test(name)) ctx.fail(id, 'Name', `${JSON.stringify(name)} is not a valid event bus name (1-256 of letters, digits, ".", "-", "_", "/")`);
  if (name === DEFAULT_BUS) ctx.fail(id, 'Name', 'the default event bus is the account\'s own; a template cannot create it');
  return name;
}

/**
 * An AWS::Scheduler::Schedule (EventBridge Scheduler), its properties resolved: a schedule event
 * of the function it targets, with the target's Input. One-time `at(...)` schedules, time zones
 * other than UTC and targets other than a function of this template are warnings.
 */
export function readScheduler(ctx: DeliveryContext, id: string, props: Record<string, unknown>): { function: string; event: ScheduleEventModel } | undefined {
  const expression = props.ScheduleExpression;
  if (typeof expression === 'string' && /^at\(.+\)$/.test(expression.trim())) {
    ctx.warn(`${id}: one-time schedules (${expression.trim()}) are not emulated; the target is not invoked (docs/eventbridge.md)`);
    return undefined;
  }
  if (typeof expression !== 'string' || !SCHEDULE.test(expression.trim())) ctx.fail(id, 'ScheduleExpression', 'must be rate(...), cron(...) or at(...)');
  const zone = props.ScheduleExpressionTimezone;
  if (zone !== undefined && zone !== 'UTC' && zone !== 'Etc/UTC') ctx.warn(`${id}.ScheduleExpressionTimezone: ${JSON.stringify(zone)} is not emulated; esb runs the schedule in UTC (docs/eventbridge.md)`);
  const target = isRecord(props.Target) ? props.Target : ctx.fail(id, 'Target', 'must be a map with Arn');
  const fn = typeof target.Arn === 'string' ? functionOfArn(target.Arn) : undefined;
  if (fn === undefined || !ctx.functionKeys.has(fn)) {
    ctx.warn(`${id}: Target ${JSON.stringify(target.Arn)} is not a function of this template; esb's schedules invoke functions only, so it gets nothing (docs/eventbridge.md)`);
    return undefined;
  }
  if (target.Input !== undefined && typeof target.Input !== 'string') ctx.fail(id, 'Target.Input', 'must be text (JSON for a function)');
  const name = typeof props.Name === 'string' ? props.Name : id;
  const event: ScheduleEventModel = { type: 'schedule', name, schedule: expression.trim(), enabled: props.State !== 'DISABLED' };
  if (target.Input !== undefined) event.input = target.Input;
  return { function: fn, event };
}
