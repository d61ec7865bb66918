import type { FunctionsFile, ObjectEvent, S3Event } from '@esb/contracts';
import { describe, expect, it } from 'vitest';
import { notificationKey, notificationTakes, S3Notifier } from './s3-events.js';

const event = (over: Partial<ObjectEvent> = {}): ObjectEvent => ({ bucket: 'uploads', key: 'incoming/a b.txt', eventName: 'ObjectCreated:Put', size: 5, eTag: 'abc', time: Date.UTC(2026, 11, 5, 12), ...over });
const notification = (over: Partial<S3Event> = {}): S3Event => ({ type: 's3', name: 'FnUpload', bucket: 'uploads', events: ['s3:ObjectCreated:*'], ...over });

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
    const notifier = new S3Notifier({ region: 'eu-west-1', fire: (fn, payload, name) => fired.push({ fn, payload: JSON.parse(payload.toString()), name }) });
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
});
