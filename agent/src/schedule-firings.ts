// EventBridge Scheduler schedules that fired in the storage (docs/eventbridge.md, "EventBridge
// Scheduler"): each goes to its target as the Scheduler sends it. A function is invoked
// asynchronously, a queue gets a message (a FIFO queue with the MessageGroupId), a topic publishes,
// a state machine starts an execution, a stream or delivery stream gets a record, a bus gets an
// event with the EventBridgeParameters' DetailType and Source and the input as detail. Without an
// Input a target gets the scheduled event (`source: aws.scheduler`, the schedule's ARN).
import { scheduleTargetOf, type BusEvent, type EventRuleTarget, type ScheduleFiring } from '@esb/contracts';
import { sendToTarget, type TargetSenders } from './eventbridge.js';
import { scheduledEventOf } from './schedule.js';

export interface ScheduleFiringsOptions {
  region: string;
  senders: TargetSenders;
  /** Puts events on a bus: the rules of that bus get them. */
  putEvents(events: BusEvent[]): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Sends what each firing carries to its target. */
export function deliverScheduleFirings(o: ScheduleFiringsOptions, firings: readonly ScheduleFiring[]): void {
  for (const f of firings) {
    const by = `schedule ${f.group}/${f.name}`;
    const ref = scheduleTargetOf(f.target.arn);
    if (ref === undefined) {
      o.warn({ schedule: f.schedule }, `${by}: its target ${f.target.arn} is not one esb runs; nothing was sent`);
      continue;
    }
    const scheduled = scheduledEventOf({ resource: f.schedule, region: o.region, time: f.time, source: 'aws.scheduler' });
    const body = f.target.input ?? JSON.stringify(scheduled);
    if ('bus' in ref) {
      let detail: unknown;
      try {
        detail = JSON.parse(body);
      } catch {
        detail = undefined;
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        o.warn({ schedule: f.schedule }, `${by}: the input for bus ${ref.bus} is not a JSON object, so it cannot be an event's detail; nothing was put`);
        continue;
      }
      o.putEvents([{ bus: ref.bus, event: { ...scheduled, 'detail-type': f.target.detail_type ?? scheduled['detail-type'], source: f.target.source ?? scheduled.source, detail: detail as Record<string, unknown> } }]);
      continue;
    }
    const target = { id: f.name, ...ref, ...(f.target.message_group_id !== undefined ? { message_group_id: f.target.message_group_id } : {}) } as EventRuleTarget;
    sendToTarget(o.senders, target, body, by, scheduled.id, f.target.partition_key ?? scheduled.id);
  }
}
