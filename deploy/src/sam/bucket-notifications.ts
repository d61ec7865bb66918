// A bucket's notifications besides its functions' (docs/agent.md "S3 events"):
// NotificationConfiguration.QueueConfigurations and TopicConfigurations are functions.yml
// `bucket_notifications`, EventBridgeConfiguration puts the bucket in `eventbridge_buckets`.
// Pure: values come in resolved.
import { topicNameOf, type BucketNotification, type S3Event } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { flag, queueOfArn } from './delivery.js';
import { isRecord } from './resolver.js';

export interface BucketNotificationContext extends Pick<ApiReadContext, 'warn' | 'fail'> {
  /** Whether the template declares a queue of this name. */
  queueDeclared(name: string): boolean;
  /** Whether the template declares a topic of this name. */
  topicDeclared(name: string): boolean;
  /** A configuration's Event and Filter, read as a function's S3 event is (the field names the configuration). */
  s3Event(field: string, name: string, bucket: string, events: unknown, filter: unknown): S3Event;
}

/** The destinations a NotificationConfiguration lists besides LambdaConfigurations. */
const KINDS = [
  { list: 'QueueConfigurations', field: 'Queue', kind: 'queue', what: 'an SQS queue (!GetAtt Queue.Arn)', nameOf: queueOfArn },
  { list: 'TopicConfigurations', field: 'Topic', kind: 'topic', what: 'an SNS topic (!Ref Topic)', nameOf: topicNameOf },
] as const;

/**
 * The queue and topic notifications of bucket `id` (named `bucket`), and whether it sends its
 * events to EventBridge. A configuration without Id is `<Bucket>QueueNotification<n>` (or
 * `Topic...`); a destination that is not an esb queue or topic is a warning, and not sent.
 */
export function readBucketNotifications(ctx: BucketNotificationContext, id: string, bucket: string, nc: Record<string, unknown>): { notifications: BucketNotification[]; eventBridge: boolean } {
  const notifications: BucketNotification[] = [];
  const ids = new Set<string>();
  for (const k of KINDS) {
    const list = nc[k.list];
    if (list === undefined) continue;
    if (!Array.isArray(list)) ctx.fail(id, `NotificationConfiguration.${k.list}`, 'must be a list');
    for (const [i, c] of list.entries()) {
      const field = `NotificationConfiguration.${k.list}[${i}]`;
      if (!isRecord(c)) ctx.fail(id, field, `must be a map with Event and ${k.field}`);
      if (c.Id !== undefined && (typeof c.Id !== 'string' || c.Id === '')) ctx.fail(id, `${field}.Id`, 'must be a string');
      const name = typeof c.Id === 'string' ? c.Id : `${id}${k.field}Notification${i + 1}`;
      if (ids.has(name)) ctx.fail(id, `${field}.Id`, `"${name}" is the id of another notification of this bucket`);
      ids.add(name);
      const event = ctx.s3Event(field, name, bucket, c.Event, c.Filter);
      const arn = c[k.field];
      if (typeof arn !== 'string' || arn === '') ctx.fail(id, `${field}.${k.field}`, `must be the ARN of ${k.what}`);
      const target = k.nameOf(arn);
      if (target === undefined) {
        ctx.warn(`${id}.${field}.${k.field}: ${JSON.stringify(arn)} is not ${k.what}; its S3 events are not sent (docs/agent.md "S3 events")`);
        continue;
      }
      // S3 refuses FIFO destinations.
      if (target.endsWith('.fifo')) ctx.fail(id, `${field}.${k.field}`, `"${target}" is a FIFO ${k.kind}; S3 sends its events to standard ${k.kind}s only`);
      const declared = k.kind === 'queue' ? ctx.queueDeclared(target) : ctx.topicDeclared(target);
      if (!declared) ctx.warn(`${id}.${field}.${k.field}: ${k.kind} "${target}" is not declared in this template; it receives S3 events once a deployed template declares it`);
      const n: BucketNotification = { name, bucket, events: event.events, ...(event.prefix !== undefined ? { prefix: event.prefix } : {}), ...(event.suffix !== undefined ? { suffix: event.suffix } : {}) };
      notifications.push(k.kind === 'queue' ? { ...n, queue: target } : { ...n, topic: target });
    }
  }
  const eb = nc.EventBridgeConfiguration;
  if (eb === undefined) return { notifications, eventBridge: false };
  if (!isRecord(eb)) ctx.fail(id, 'NotificationConfiguration.EventBridgeConfiguration', 'must be a map ({EventBridgeEnabled: true})');
  // Present, it enables delivery, as S3's own EventBridgeConfiguration does.
  return { notifications, eventBridge: flag(ctx, id, 'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', eb.EventBridgeEnabled) ?? true };
}
