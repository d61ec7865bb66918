// S3 events of functions.yml (docs/agent.md, "S3 events"): each object created or deleted in a
// bucket of the embedded S3 server is matched against the functions' notifications (bucket,
// event names with `*`, key prefix and suffix), and each match invokes its function
// asynchronously with the record S3 sends. Pure matching and record building; the agent fires.
import { LOCAL_ACCOUNT_ID, type FunctionsFile, type ObjectEvent, type S3Event } from '@esb/contracts';
import { createHash, randomBytes } from 'node:crypto';

interface Subscription {
  functionName: string;
  event: S3Event;
}

/** Whether a notification takes an object event: its bucket, one of its event names, its key filter. */
export function notificationTakes(n: S3Event, e: ObjectEvent): boolean {
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

/** The event a function gets from an S3 bucket notification. */
export function s3NotificationEvent(e: ObjectEvent, configurationId: string, region: string): Buffer {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  const object: Record<string, unknown> = { key: notificationKey(e.key) };
  if (e.size !== undefined) object.size = e.size;
  if (e.eTag !== undefined) object.eTag = e.eTag;
  object.sequencer = e.time.toString(16).toUpperCase().padStart(16, '0');
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
          responseElements: { 'x-amz-request-id': hex(8), 'x-amz-id-2': createHash('sha256').update(hex(8)).digest('base64') },
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

export interface S3NotifierOptions {
  region: string;
  fire(functionName: string, payload: Buffer, notification: string): void;
}

export class S3Notifier {
  private byBucket = new Map<string, Subscription[]>();
  constructor(private readonly o: S3NotifierOptions) {}

  setFunctions(file: FunctionsFile): void {
    const byBucket = new Map<string, Subscription[]>();
    for (const [functionName, cfg] of Object.entries(file.functions)) {
      for (const event of cfg.events) {
        if (event.type !== 's3') continue;
        const list = byBucket.get(event.bucket) ?? byBucket.set(event.bucket, []).get(event.bucket)!;
        list.push({ functionName, event });
      }
    }
    this.byBucket = byBucket;
  }

  /** Invokes every function whose notification takes the event; how many it did. */
  deliver(e: ObjectEvent): number {
    let fired = 0;
    for (const s of this.byBucket.get(e.bucket) ?? []) {
      if (!notificationTakes(s.event, e)) continue;
      this.o.fire(s.functionName, s3NotificationEvent(e, s.event.name, this.o.region), s.event.name);
      fired++;
    }
    return fired;
  }

  /** The notifications in force, for the agent's stats. */
  list(): Array<{ functionName: string; notification: string; bucket: string; events: string[] }> {
    return [...this.byBucket.values()].flat().map((s) => ({ functionName: s.functionName, notification: s.event.name, bucket: s.event.bucket, events: s.event.events }));
  }
}
