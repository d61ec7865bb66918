import { FunctionsFile, type BusEvent, type ObjectEvent, type S3Event } from '@esb/contracts';
import { describe, expect, it } from 'vitest';
import { notificationKey, notificationTakes, S3Notifier, type S3NotifierOptions, s3TestEvent } from './s3-events.js';

const event = (over: Partial<ObjectEvent> = {}): ObjectEvent => ({ bucket: 'uploads', key: 'incoming/a b.txt', eventName: 'ObjectCreated:Put', size: 5, eTag: 'abc', time: Date.UTC(2026, 11, 5, 12), ...over });
const notification = (over: Partial<S3Event> = {}): S3Event => ({ type: 's3', name: 'FnUpload', bucket: 'uploads', events: ['s3:ObjectCreated:*'], ...over });
const unused = { send: () => {}, publish: () => {}, putEvents: () => {}, eventId: () => 'id' };

describe('S3 notifications', () => {
  it('take an event by bucket, event name (exact or `*`) and key prefix and suffix', () => {
    expect(notificationTakes(notification(), event())).toBe(true);
    expect(notificationTakes(notification({ bucket: 'other' }), event())).toBe(false);
    expect(notificationTakes(notification({ events: ['s3:ObjectCreated:Post'] }), event())).toBe(false);
    expect(notificationTakes(notification({ events: ['s3:ObjectRemoved:*', 's3:ObjectCreated:Put'] }), event())).toBe(true);
    expect(notificationTakes(notification(), event({ eventName: 'ObjectRemoved:Delete' }))).toBe(false);
    expect(notificationTakes(notification({ events: ['s3:ObjectRemoved:*'] }), event({ eventName: 'ObjectRemoved:Delete' }))).toBe(true);
    expect(notificationTakes(notification({ prefix: 'incoming/', suffix: '.txt' }), event())).toBe(true);
    expect(notificationTakes(notification({ prefix: 'incoming/', suffix: '.txt' }), event({ key: 'incoming/a.csv' }))).toBe(false);
    expect(notificationTakes(notification({ prefix: 'incoming/' }), event({ key: 'other/incoming/a.txt' }))).toBe(false);
  });

  it('encode keys as S3 does (spaces as +, slashes kept, the rest percent-encoded)', () => {
    expect(notificationKey('incoming/a b+c ü.txt')).toBe('incoming/a+b%2Bc+%C3%BC.txt');
  });

  it('invoke each function whose notification takes the event, with the record S3 sends', () => {
    const fired: Array<{ fn: string; payload: any; name: string }> = [];
    const notifier = new S3Notifier({ region: 'eu-west-1', ...unused, fire: (fn, payload, name) => fired.push({ fn, payload: JSON.parse(payload.toString()), name }) });
    const base = { timeout: 3, memory_size: 128, package_type: 'Zip' as const, environment: {}, scaling: {}, layers: [] };
    const file: FunctionsFile = {
      defaults: { environment: {}, scaling: {} },
      functions: {
        thumbs: { ...base, events: [notification({ prefix: 'incoming/' }), { type: 'schedule', schedule: 'rate(1 hour)', enabled: true }] },
        audit: { ...base, events: [notification({ name: 'AuditAll', events: ['s3:ObjectCreated:Put'] })] },
        other: { ...base, events: [notification({ bucket: 'elsewhere' })] },
      },
    };
    notifier.setFunctions(file);
    expect(notifier.deliver(event({ sourceIp: '10.1.2.3' }))).toBe(2);
    expect(fired.map((f) => [f.fn, f.name])).toEqual([
      ['thumbs', 'FnUpload'],
      ['audit', 'AuditAll'],
    ]);
    const record = fired[0].payload.Records[0];
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-12-05T12:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      requestParameters: { sourceIPAddress: '10.1.2.3' },
      s3: { s3SchemaVersion: '1.0', configurationId: 'FnUpload', bucket: { name: 'uploads', arn: 'arn:aws:s3:::uploads' }, object: { key: 'incoming/a+b.txt', size: 5, eTag: 'abc' } },
    });
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{16}$/);
    // A reload replaces the notifications.
    notifier.setFunctions({ ...file, functions: { other: file.functions.other } });
    expect(notifier.deliver(event())).toBe(0);
  });

  it("send a bucket's queue and topic notifications S3's event, and put its events on the default bus when it sends to EventBridge", () => {
    const sent: Array<{ to: string; body: any; subject?: string; name: string }> = [];
    const bus: BusEvent[] = [];
    const o: S3NotifierOptions = {
      region: 'eu-west-1',
      fire: () => {
        throw new Error('no function is notified');
      },
      send: (queue, body, name) => sent.push({ to: `queue ${queue}`, body: JSON.parse(body), name }),
      publish: (topic, message, subject, name) => sent.push({ to: `topic ${topic}`, body: JSON.parse(message), subject, name }),
      putEvents: (events) => bus.push(...events),
      eventId: () => 'e-1',
    };
    const notifier = new S3Notifier(o);
    notifier.setFunctions(
      FunctionsFile.parse({
        bucket_notifications: {
          'uploads/ToQueue': { name: 'ToQueue', bucket: 'uploads', events: ['s3:ObjectCreated:*'], prefix: 'incoming/', queue: 'jobs' },
          'uploads/ToTopic': { name: 'ToTopic', bucket: 'uploads', events: ['s3:ObjectRemoved:*'], topic: 'gone' },
          'other/ToQueue': { name: 'ToQueue', bucket: 'other', events: ['s3:ObjectCreated:*'], queue: 'elsewhere' },
        },
        eventbridge_buckets: ['uploads'],
      }),
    );
    expect(notifier.deliver(event({ sourceIp: '10.1.2.3' }))).toBe(2);
    expect(sent.map((x) => [x.to, x.name, x.subject])).toEqual([['queue jobs', 'ToQueue', undefined]]);
    expect(sent[0].body.Records[0]).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { configurationId: 'ToQueue', bucket: { name: 'uploads' }, object: { key: 'incoming/a+b.txt', size: 5, eTag: 'abc' } } });
    expect(bus).toEqual([
      {
        bus: 'default',
        event: {
          version: '0',
          id: 'e-1',
          'detail-type': 'Object Created',
          source: 'aws.s3',
          account: '123456789012',
          time: '2026-12-05T12:00:00Z',
          region: 'eu-west-1',
          resources: ['arn:aws:s3:::uploads'],
          detail: { version: '0', bucket: { name: 'uploads' }, object: { key: 'incoming/a b.txt', size: 5, etag: 'abc', sequencer: expect.stringMatching(/^[0-9A-F]{16}$/) }, 'request-id': expect.any(String), requester: '123456789012', 'source-ip-address': '10.1.2.3', reason: 'PutObject' },
        },
      },
    ]);
    // Outside the prefix: only EventBridge. A deletion: the topic, as the message with S3's subject, and Object Deleted without size or etag.
    sent.length = 0;
    bus.length = 0;
    expect(notifier.deliver(event({ key: 'other/x.txt', eventName: 'ObjectCreated:Copy' }))).toBe(1);
    expect(bus[0].event.detail.reason).toBe('CopyObject');
    expect(notifier.deliver(event({ eventName: 'ObjectRemoved:Delete', size: undefined, eTag: undefined }))).toBe(2);
    expect(sent.map((x) => [x.to, x.name, x.subject])).toEqual([['topic gone', 'ToTopic', 'Amazon S3 Notification']]);
    expect(sent[0].body.Records[0]).toMatchObject({ eventName: 'ObjectRemoved:Delete', s3: { configurationId: 'ToTopic' } });
    expect(bus[1].event['detail-type']).toBe('Object Deleted');
    expect(bus[1].event.detail).toMatchObject({ object: { key: 'incoming/a b.txt' }, reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' });
    expect(bus[1].event.detail.object).not.toHaveProperty('size');
    // A reload without them: nothing is sent.
    notifier.setFunctions(FunctionsFile.parse({}));
    expect(notifier.deliver(event())).toBe(0);
  });

  it('name the queues and topics a reload newly sends to, once each, for their s3:TestEvent; none at the first load', () => {
    const notifier = new S3Notifier({ region: 'eu-west-1', ...unused, fire: () => {} });
    const file = (notifications: Record<string, { bucket: string; queue?: string; topic?: string }>) =>
      FunctionsFile.parse({ bucket_notifications: Object.fromEntries(Object.entries(notifications).map(([name, n]) => [`${n.bucket}/${name}`, { name, events: ['s3:ObjectCreated:*'], ...n }])) });
    expect(notifier.setFunctions(file({ Old: { bucket: 'uploads', queue: 'jobs' } }))).toEqual([]);
    expect(
      notifier.setFunctions(
        file({
          Old: { bucket: 'uploads', queue: 'jobs' },
          SameQueue: { bucket: 'uploads', queue: 'jobs' },
          Images: { bucket: 'uploads', queue: 'images' },
          AlsoImages: { bucket: 'uploads', queue: 'images' },
          Gone: { bucket: 'uploads', topic: 'removed' },
          OtherBucket: { bucket: 'archive', queue: 'jobs' },
        }),
      ),
    ).toEqual([
      { bucket: 'uploads', notification: 'Images', queue: 'images' },
      { bucket: 'uploads', notification: 'Gone', topic: 'removed' },
      { bucket: 'archive', notification: 'OtherBucket', queue: 'jobs' },
    ]);
    // The same again: nothing new.
    expect(notifier.setFunctions(file({ Old: { bucket: 'uploads', queue: 'jobs' }, Images: { bucket: 'uploads', queue: 'images' } }))).toEqual([]);
  });

  it("writes S3's s3:TestEvent message", () => {
    const body = JSON.parse(s3TestEvent('uploads', Date.UTC(2026, 11, 7, 12, 0, 0, 89)));
    expect(body).toEqual({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-12-07T12:00:00.089Z', Bucket: 'uploads', RequestId: expect.stringMatching(/^[0-9A-F]{16}$/), HostId: expect.any(String) });
  });
});
