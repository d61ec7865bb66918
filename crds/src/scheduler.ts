// EventBridge Scheduler (docs/eventbridge.md, "EventBridge Scheduler"): the names of schedules and
// schedule groups in each form code meets them, what a schedule's target ARN points at, and what
// the storage hands the agent when a schedule fires (in-process in `esb dev`, `POST
// /events/scheduler` elsewhere).
import { z } from 'zod';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';
import { busNameOf } from './event-buses.js';
import { deliveryStreamNameOf } from './firehose.js';
import { kinesisStreamNameOf } from './kinesis.js';
import { queueNameOf } from './queues.js';
import { stateMachineNameOf } from './state-machines.js';
import { topicNameOf } from './topics.js';

/** A schedule's or a group's name as the Scheduler takes it: 1-64 letters, digits, `.`, `-` and `_`. */
export const SCHEDULE_NAME = /^[0-9a-zA-Z._-]{1,64}$/;
export const DEFAULT_SCHEDULE_GROUP = 'default';

/** `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>` */
export function scheduleArn(group: string, name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:scheduler:${region}:${account}:schedule/${group}/${name}`;
}

/** `arn:aws:scheduler:<region>:<account>:schedule-group/<name>` */
export function scheduleGroupArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:scheduler:${region}:${account}:schedule-group/${name}`;
}

/** Whether a request path is the Scheduler's REST API (`/schedules...`, `/schedule-groups...`), which no queue URL can be. */
export function isSchedulerPath(path: string): boolean {
  return /^\/(schedules|schedule-groups)(\/|\?|$)/.test(path);
}

/** What a schedule's target ARN delivers to, by name; undefined for a service esb does not run. */
export type ScheduleTargetRef =
  | { function: string }
  | { queue: string }
  | { topic: string }
  | { state_machine: string }
  | { bus: string }
  | { stream: string }
  | { delivery_stream: string };

export function scheduleTargetOf(arn: string): ScheduleTargetRef | undefined {
  const fn = /^arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9$_-]+)?$/.exec(arn);
  if (fn) return { function: fn[1] };
  if (/^arn:aws[a-z-]*:sqs:/.test(arn)) {
    const queue = queueNameOf(arn);
    return queue === undefined ? undefined : { queue };
  }
  const named: Array<[keyof ScheduleTargetRef | string, string | undefined]> = [
    ['topic', topicNameOf(arn)],
    ['state_machine', stateMachineNameOf(arn)],
    ['stream', kinesisStreamNameOf(arn)],
    ['delivery_stream', deliveryStreamNameOf(arn)],
    ['bus', /^arn:aws[a-z-]*:events:/.test(arn) ? busNameOf(arn) : undefined],
  ];
  for (const [kind, name] of named) if (name !== undefined) return { [kind]: name } as ScheduleTargetRef;
  return undefined;
}

/** The kinds of target a schedule can have here, for messages. */
export const SCHEDULE_TARGET_KINDS = 'a Lambda function, an SQS queue, an SNS topic, a Step Functions state machine, an EventBridge bus, a Kinesis stream or a Firehose delivery stream';

/** One time a schedule fired: its target and what it sends. */
export const ScheduleFiring = z.object({
  /** The schedule's ARN (the `resources` of the event a target without Input gets). */
  schedule: z.string().min(1),
  group: z.string().min(1),
  name: z.string().min(1),
  /** The time it was due (ms since epoch). */
  time: z.number(),
  target: z.object({
    arn: z.string().min(1),
    /** Target.Input; absent: the target gets the Scheduler's scheduled event. */
    input: z.string().optional(),
    /** EventBridgeParameters of a bus target. */
    detail_type: z.string().optional(),
    source: z.string().optional(),
    /** SqsParameters.MessageGroupId of a FIFO queue target. */
    message_group_id: z.string().optional(),
    /** KinesisParameters.PartitionKey of a stream target. */
    partition_key: z.string().optional(),
  }),
});
export type ScheduleFiring = z.infer<typeof ScheduleFiring>;
/** What fired at one time, as the storage hands it to the agent. */
export const ScheduleFirings = z.array(ScheduleFiring).min(1).max(100);
