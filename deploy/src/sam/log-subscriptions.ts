// CloudWatch Logs subscriptions of a template (docs/agent.md "Log subscriptions"): SAM's
// `Type: CloudWatchLogs` events and AWS::Logs::SubscriptionFilter with a function destination,
// read into the function's `logs` events. Pure: property values come in resolved.
import { compileLogFilter, LogFilterError, type LogSubscriptionEvent } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';

export const SUBSCRIPTION_FILTER_TYPE = 'AWS::Logs::SubscriptionFilter';

type Ctx = Pick<ApiReadContext, 'fail' | 'warn'>;

/** A subscription of a log group: its name, the group, and the filter pattern (checked). */
export function logSubscription(ctx: Ctx, id: string, field: string, name: string, props: Record<string, unknown>, filterName?: unknown): LogSubscriptionEvent {
  const group = props.LogGroupName;
  if (typeof group !== 'string' || group === '') ctx.fail(id, `${field}.LogGroupName`, 'must name a log group');
  const pattern = props.FilterPattern === undefined || props.FilterPattern === null ? '' : props.FilterPattern;
  if (typeof pattern !== 'string') ctx.fail(id, `${field}.FilterPattern`, 'must be text (a CloudWatch Logs filter pattern; "" takes every line)');
  try {
    compileLogFilter(pattern);
  } catch (err) {
    if (err instanceof LogFilterError) ctx.fail(id, `${field}.FilterPattern`, err.message);
    throw err;
  }
  return { type: 'logs', name, log_group: group, filter_pattern: pattern, ...(typeof filterName === 'string' && filterName ? { filter_name: filterName } : {}) };
}
