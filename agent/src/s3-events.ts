// S3 events of functions.yml (docs/agent.md, "S3 events"): each object created or deleted in a
// bucket of the embedded S3 server is matched against the functions' notifications and the
// buckets' own (bucket, event names with `*`, key prefix and suffix); a match invokes its function
// asynchronously with the record S3 sends, or sends that record to its queue or topic. A bucket
// that sends to EventBridge puts S3's event on the default bus. Pure matching and event building;
// the agent delivers.
import { LOCAL_ACCOUNT_ID, type BucketNotification, type BusEvent, type FunctionsFile, type ObjectEvent, type S3Event } from '@esb/contracts';
import { createHash, randomBytes } from 'node:crypto';

interface Subscription {
  functionName: string;
  event: S3Event;
}

/** Whether a notification takes an object event: its bucket, one of its event names, its key filter. */
export function notificationTakes(n: Pick<S3Event, 'bucket' | 'events' | 'prefix' | 'suffix'>, e: ObjectEvent): boolean {
  if (n.bucket !== e.bucket) return false;
  const name = `s3:${e.eventName}`;
  if (!n.events.some((want) => want === name || (want.endsWith(':*') && name.startsWith(want.slice(0, -1))))) return false;
  if (n.prefix !== undefined && !e.key.startsWith(n.prefix)) return false;
  if (n.suffix !== undefined && !e.key.endsWith(n.suffix)) return false;
  return true;
}

/** Keys in S3 notifications are URL-encoded, spaces as "+", slashes kept. */
export function notificationKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
/** S3's sequencer of an object event: later events of a key have greater ones. */
const sequencer = (e: ObjectEvent) => e.time.toString(16).toUpperCase().padStart(16, '0');

/** S3's request id and host id of the request an event comes from. */
const responseElements = () => ({ 'x-amz-request-id': hex(8), 'x-amz-id-2': createHash('sha256').update(hex(8)).digest('base64') });

/** The event a function gets from an S3 bucket notification (a queue gets it as its body, a topic as its message). */
export function s3NotificationEvent(e: ObjectEvent, configurationId: string, region: string): Buffer {
  const object: Record<string, unknown> = { key: notificationKey(e.key) };
  if (e.size !== undefined) object.size = e.size;
  if (e.eTag !== undefined) object.eTag = e.eTag;
  object.sequencer = sequencer(e);
  return Buffer.from(
    JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: region,
          eventTime: new Date(e.time).toISOString(),
          eventName: e.eventName,
          userIdentity: { principalId: `AWS:${LOCAL_ACCOUNT_ID}` },
          requestParameters: { sourceIPAddress: e.sourceIp ?? '127.0.0.1' },
          responseElements: responseElements(),
          s3: {
            s3SchemaVersion: '1.0',
            configurationId,
            bucket: { name: e.bucket, ownerIdentity: { principalId: LOCAL_ACCOUNT_ID }, arn: `arn:aws:s3:::${e.bucket}` },
            object,
          },
        },
      ],
    }),
  );
}

/** What S3 says caused an object event, in the `reason` of its EventBridge event. */
const REASONS: Record<string, string> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Post': 'POST Object',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
  'ObjectRemoved:Delete': 'DeleteObject',
};

/**
 * The event a bucket that sends to EventBridge puts on the default bus (docs/agent.md "S3
 * events"): `Object Created` or `Object Deleted` from `aws.s3`; undefined for other events.
 */
export function s3BusEvent(e: ObjectEvent, region: string, id: string): BusEvent | undefined {
  const created = e.eventName.startsWith('ObjectCreated:');
  if (!created && !e.eventName.startsWith('ObjectRemoved:')) return undefined;
  const object: Record<string, unknown> = { key: e.key };
  if (created && e.size !== undefined) object.size = e.size;
  if (created && e.eTag !== undefined) object.etag = e.eTag;
  object.sequencer = sequencer(e);
  const detail: Record<string, unknown> = { version: '0', bucket: { name: e.bucket }, object, 'request-id': hex(8), requester: LOCAL_ACCOUNT_ID, 'source-ip-address': e.sourceIp ?? '127.0.0.1', reason: REASONS[e.eventName] ?? e.eventName.split(':')[1] };
  if (!created) detail['deletion-type'] = 'Permanently Deleted';
  const time = `${new Date(e.time).toISOString().slice(0, 19)}Z`;
  return { bus: 'default', event: { version: '0', id, 'detail-type': created ? 'Object Created' : 'Object Deleted', source: 'aws.s3', account: LOCAL_ACCOUNT_ID, time, region, resources: [`arn:aws:s3:::${e.bucket}`], detail } };
}

export interface S3NotifierOptions {
  region: string;
  fire(functionName: string, payload: Buffer, notification: string): void;
  /** A bucket's notification to a queue: S3's event as the message body. */
  send(queue: string, body: string, notification: string): void;
  /** A bucket's notification to a topic: S3's event as the message, with S3's subject. */
  publish(topic: string, message: string, subject: string, notification: string): void;
  /** A bucket that sends to EventBridge: its events on the default bus. */
  putEvents(events: BusEvent[]): void;
  /** An event id (a UUID). */
  eventId(): string;
}

/** The message S3 sends a queue or a topic when a bucket's notification to it is configured. */
export function s3TestEvent(bucket: string, time: number): string {
  const responseId = responseElements();
  return JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date(time).toISOString(), Bucket: bucket, RequestId: responseId['x-amz-request-id'], HostId: responseId['x-amz-id-2'] });
}

/** A queue or topic a bucket's notification newly sends to (S3 sends it s3:TestEvent). */
export interface NewNotificationTarget {
  bucket: string;
  notification: string;
  queue?: string;
  topic?: string;
}

/** The subject S3 publishes its notifications to a topic with. */
export const S3_NOTIFICATION_SUBJECT = 'Amazon S3 Notification';

export class S3Notifier {
  private byBucket = new Map<string, Subscription[]>();
  private ownByBucket = new Map<string, BucketNotification[]>();
  private eventBridge = new Set<string>();
  private loaded = false;
  constructor(private readonly o: S3NotifierOptions) {}

  /**
   * Takes the notifications of `file`; returns the queues and topics a notification sends to
   * that the last file's did not (none the first time: those were configured before this agent
   * started), which S3 sends s3:TestEvent when the configuration is put (docs/agent.md "S3 events").
   */
  setFunctions(file: FunctionsFile): NewNotificationTarget[] {
    const byBucket = new Map<string, Subscription[]>();
    for (const [functionName, cfg] of Object.entries(file.functions)) {
      for (const event of cfg.events) {
        if (event.type !== 's3') continue;
        const list = byBucket.get(event.bucket) ?? byBucket.set(event.bucket, []).get(event.bucket)!;
        list.push({ functionName, event });
      }
    }
    const ownByBucket = new Map<string, BucketNotification[]>();
    for (const n of Object.values(file.bucket_notifications ?? {})) (ownByBucket.get(n.bucket) ?? ownByBucket.set(n.bucket, []).get(n.bucket)!).push(n);
    const target = (n: BucketNotification) => `${n.bucket}\0${n.queue !== undefined ? `queue:${n.queue}` : `topic:${n.topic}`}`;
    const before = new Set([...this.ownByBucket.values()].flat().map(target));
    const added = new Map<string, NewNotificationTarget>();
    if (this.loaded) {
      for (const n of [...ownByBucket.values()].flat()) {
        const t = target(n);
        if (!before.has(t) && !added.has(t)) added.set(t, { bucket: n.bucket, notification: n.name, ...(n.queue !== undefined ? { queue: n.queue } : { topic: n.topic }) });
      }
    }
    this.loaded = true;
    this.byBucket = byBucket;
    this.ownByBucket = ownByBucket;
    this.eventBridge = new Set(file.eventbridge_buckets ?? []);
    return [...added.values()];
  }

  /** Delivers the event to every function, queue and topic whose notification takes it, and to EventBridge; how many it did. */
  deliver(e: ObjectEvent): number {
    let fired = 0;
    for (const s of this.byBucket.get(e.bucket) ?? []) {
      if (!notificationTakes(s.event, e)) continue;
      this.o.fire(s.functionName, s3NotificationEvent(e, s.event.name, this.o.region), s.event.name);
      fired++;
    }
    for (const n of this.ownByBucket.get(e.bucket) ?? []) {
      if (!notificationTakes(n, e)) continue;
      const record = s3NotificationEvent(e, n.name, this.o.region).toString('utf8');
      if (n.queue !== undefined) this.o.send(n.queue, record, n.name);
      else if (n.topic !== undefined) this.o.publish(n.topic, record, S3_NOTIFICATION_SUBJECT, n.name);
      fired++;
    }
    const busEvent = this.eventBridge.has(e.bucket) ? s3BusEvent(e, this.o.region, this.o.eventId()) : undefined;
    if (busEvent) {
      this.o.putEvents([busEvent]);
      fired++;
    }
    return fired;
  }

  /** The notifications in force, for the agent's stats. */
  list(): Array<{ functionName: string; notification: string; bucket: string; events: string[] }> {
    return [...this.byBucket.values()].flat().map((s) => ({ functionName: s.functionName, notification: s.event.name, bucket: s.event.bucket, events: s.event.events }));
  }
}
