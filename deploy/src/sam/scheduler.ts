// EventBridge Scheduler resources of a template (docs/eventbridge.md, "EventBridge Scheduler"):
// AWS::Scheduler::ScheduleGroup read into resources.yml `schedule_groups` and
// AWS::Scheduler::Schedule into `schedules`, which the provisioner creates in the storage's
// Scheduler (the same one code reaches with @aws-sdk/client-scheduler). What the Scheduler would
// refuse fails here, naming the field; a target esb does not run is a warning and the schedule is
// left out. Pure: property values come in resolved.
import { LOCAL_ACCOUNT_ID, SCHEDULE_NAME, SCHEDULE_TARGET_KINDS, isTimeZone, parseSchedule, scheduleTargetOf, type ScheduleGroupResource, type SchedulerScheduleResource } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { defaultRuleName } from './event-rules.js';
import { isRecord } from './resolver.js';

export const SCHEDULER_TYPE = 'AWS::Scheduler::Schedule';
export const SCHEDULE_GROUP_TYPE = 'AWS::Scheduler::ScheduleGroup';

type Ctx = Pick<ApiReadContext, 'fail' | 'warn'>;

function nameOf(ctx: Ctx, id: string, field: string, name: string): string {
  if (!SCHEDULE_NAME.test(name)) ctx.fail(id, field, `${JSON.stringify(name)} must be 1-64 letters, digits, ".", "-" or "_"`);
  return name;
}

/** An AWS::Scheduler::ScheduleGroup; `name` is its Name (else the one esb makes). */
export function readScheduleGroup(ctx: Ctx, id: string, props: Record<string, unknown>, name: string): ScheduleGroupResource {
  const tags = props.Tags;
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => isRecord(t) && typeof t.Key === 'string' && typeof t.Value === 'string'))) ctx.fail(id, 'Tags', 'must be a list of {Key, Value}');
  return { Name: nameOf(ctx, id, 'Name', name), ...(Array.isArray(tags) && tags.length ? { Tags: tags as Array<{ Key: string; Value: string }> } : {}) };
}

/** An ISO date of StartDate or EndDate, as ISO text. */
function date(ctx: Ctx, id: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) ctx.fail(id, field, `must be a date and time (2026-07-01T09:00:00Z), not ${JSON.stringify(v)}`);
  return new Date(ms).toISOString();
}

/** An AWS::Scheduler::Schedule, its properties resolved; `name` is its Name (else the one esb makes). Undefined: its target is not one esb runs (said). */
export function readSchedulerSchedule(ctx: Ctx, id: string, props: Record<string, unknown>, name: string): SchedulerScheduleResource | undefined {
  const expression = typeof props.ScheduleExpression === 'string' ? props.ScheduleExpression.trim() : ctx.fail(id, 'ScheduleExpression', 'must be rate(...), cron(...) or at(...)');
  const zone = props.ScheduleExpressionTimezone;
  if (zone !== undefined && (typeof zone !== 'string' || !isTimeZone(zone))) ctx.fail(id, 'ScheduleExpressionTimezone', `${JSON.stringify(zone)} is not a time zone (Europe/Paris, America/New_York, UTC)`);
  try {
    parseSchedule(expression, { scheduler: true, ...(typeof zone === 'string' ? { timezone: zone } : {}) });
  } catch (err) {
    ctx.fail(id, 'ScheduleExpression', err instanceof Error ? err.message : String(err));
  }
  const group = props.GroupName === undefined ? 'default' : typeof props.GroupName === 'string' ? nameOf(ctx, id, 'GroupName', props.GroupName) : ctx.fail(id, 'GroupName', 'must be the name of a schedule group (!Ref Group)');
  const state = props.State ?? 'ENABLED';
  if (state !== 'ENABLED' && state !== 'DISABLED') ctx.fail(id, 'State', `must be ENABLED or DISABLED, not ${JSON.stringify(state)}`);
  const window = props.FlexibleTimeWindow ?? { Mode: 'OFF' };
  if (!isRecord(window) || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE')) ctx.fail(id, 'FlexibleTimeWindow.Mode', 'must be OFF or FLEXIBLE');
  const maxWindow = window.MaximumWindowInMinutes === undefined ? undefined : Number(window.MaximumWindowInMinutes);
  if (window.Mode === 'FLEXIBLE' && (maxWindow === undefined || !Number.isInteger(maxWindow) || maxWindow < 1 || maxWindow > 1440)) ctx.fail(id, 'FlexibleTimeWindow.MaximumWindowInMinutes', 'must be 1-1440 when Mode is FLEXIBLE');
  const after = props.ActionAfterCompletion;
  if (after !== undefined && after !== 'NONE' && after !== 'DELETE') ctx.fail(id, 'ActionAfterCompletion', `must be NONE or DELETE, not ${JSON.stringify(after)}`);
  const start = date(ctx, id, 'StartDate', props.StartDate);
  const end = date(ctx, id, 'EndDate', props.EndDate);
  if (start !== undefined && end !== undefined && end <= start) ctx.fail(id, 'EndDate', 'must be after StartDate');
  const target = isRecord(props.Target) ? props.Target : ctx.fail(id, 'Target', 'must be a map with Arn and RoleArn');
  if (typeof target.Arn !== 'string') ctx.fail(id, 'Target.Arn', 'must be the ARN of what the schedule invokes');
  const to = scheduleTargetOf(target.Arn);
  if (to === undefined) {
    ctx.warn(`${id}: Target.Arn ${JSON.stringify(target.Arn)} is not a target esb runs (${SCHEDULE_TARGET_KINDS}); the schedule is left out (docs/eventbridge.md)`);
    return undefined;
  }
  if (target.Input !== undefined && typeof target.Input !== 'string') ctx.fail(id, 'Target.Input', 'must be text');
  if (typeof target.Input === 'string' && ('function' in to || 'state_machine' in to || 'bus' in to)) {
    try {
      JSON.parse(target.Input);
    } catch {
      ctx.fail(id, 'Target.Input', 'must be well-formed JSON for a Lambda, Step Functions or EventBridge target');
    }
  }
  if ('bus' in to && !isRecord(target.EventBridgeParameters)) ctx.fail(id, 'Target.EventBridgeParameters', 'DetailType and Source are required for an EventBridge target');
  const description = props.Description;
  if (description !== undefined && typeof description !== 'string') ctx.fail(id, 'Description', 'must be text');
  return {
    Name: nameOf(ctx, id, 'Name', name),
    GroupName: group,
    ScheduleExpression: expression,
    ...(typeof zone === 'string' ? { ScheduleExpressionTimezone: zone } : {}),
    ...(start !== undefined ? { StartDate: start } : {}),
    ...(end !== undefined ? { EndDate: end } : {}),
    ...(typeof description === 'string' ? { Description: description } : {}),
    State: state,
    FlexibleTimeWindow: { Mode: window.Mode, ...(maxWindow !== undefined ? { MaximumWindowInMinutes: maxWindow } : {}) },
    ...(after !== undefined ? { ActionAfterCompletion: after } : {}),
    Target: { ...target, Arn: target.Arn, RoleArn: typeof target.RoleArn === 'string' ? target.RoleArn : `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/esb-scheduler` },
  };
}

/**
 * SAM's `Type: ScheduleV2` event of a function or state machine: the AWS::Scheduler::Schedule SAM
 * makes of it, whose target is that function or machine (`targetArn`). Its name is `Name`, else
 * the one CloudFormation gives it, `<stack>-<LogicalId><EventName>`; errors name the event's property.
 */
export function samScheduleV2(ctx: Ctx, ownerId: string, event: string, p: Record<string, unknown>, targetArn: string, stackName: string): SchedulerScheduleResource | undefined {
  const base = `Events.${event}.Properties`;
  const eventCtx: Ctx = { warn: (m) => ctx.warn(m), fail: (_id, field, reason) => ctx.fail(ownerId, `${base}.${field.replace(/^Target\./, '')}`, reason) };
  const input = p.Input === undefined || typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
  const props: Record<string, unknown> = {
    ScheduleExpression: p.ScheduleExpression,
    FlexibleTimeWindow: p.FlexibleTimeWindow,
    Target: { Arn: targetArn, RoleArn: p.RoleArn, ...(input !== undefined ? { Input: input } : {}), ...(isRecord(p.RetryPolicy) ? { RetryPolicy: p.RetryPolicy } : {}), ...(isRecord(p.DeadLetterConfig) && typeof p.DeadLetterConfig.Arn === 'string' ? { DeadLetterConfig: { Arn: p.DeadLetterConfig.Arn } } : {}) },
  };
  for (const field of ['ScheduleExpressionTimezone', 'StartDate', 'EndDate', 'State', 'GroupName', 'Description']) if (p[field] !== undefined) props[field] = p[field];
  const name = typeof p.Name === 'string' ? p.Name : defaultRuleName(stackName, `${ownerId}${event}`);
  return readSchedulerSchedule(eventCtx, ownerId, props, name);
}
