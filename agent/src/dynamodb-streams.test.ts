import { describe, expect, it } from 'vitest';
import { FunctionsFile, type InvokeResult, type StreamRecord } from '@esb/contracts';
import { FakeClock } from '@esb/contracts/testing';
import { dynamodbStreams } from './dynamodb-streams.js';
import { firstFailed, MAX_QUEUED_RECORDS, StreamDelivery } from './stream-delivery.js';

let seq = 0;
const change = (id: string, table = 'orders', eventName: StreamRecord['eventName'] = 'INSERT'): StreamRecord => ({
  table,
  streamArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${table}/stream/2026-12-05T12:00:00.000`,
  eventID: `e${++seq}`,
  eventName,
  dynamodb: { ApproximateCreationDateTime: 1, Keys: { id: { S: id } }, NewImage: { id: { S: id } }, SequenceNumber: String(++seq).padStart(21, '0'), SizeBytes: 10, StreamViewType: 'NEW_IMAGE' },
});

function setup(events: Array<Record<string, unknown>>, answer: (batch: any[], call: number) => Partial<InvokeResult> = () => ({})) {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 12));
  const calls: Array<{ fn: string; ids: string[] }> = [];
  const warnings: string[] = [];
  const delivery = new StreamDelivery(dynamodbStreams, {
    region: 'eu-west-1',
    clock,
    invoke: async (fn, payload) => {
      const records = JSON.parse(payload.toString()).Records;
      calls.push({ fn, ids: records.map((r: any) => r.dynamodb.Keys.id.S) });
      return { requestId: 'r', durationMs: 1, payload: Buffer.from('null'), ...answer(records, calls.length) };
    },
    warn: (_f, m) => warnings.push(m),
    info: () => undefined,
  });
  delivery.setFunctions(FunctionsFile.parse({ functions: { audit: { events: events.map((e) => ({ type: 'dynamodb', name: 'AuditStream', table: 'orders', ...e })) } } }));
  return { clock, calls, warnings, delivery };
}

describe('DynamoDB stream delivery', () => {
  it('hands records of its table in order, in batches of at most batch_size, one batch at a time, as Lambda records', async () => {
    const { clock, calls, delivery } = setup([{ batch_size: 2 }], (records) => {
      expect(records[0]).toMatchObject({ eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: 'eu-west-1', eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-12-05T12:00:00.000' });
      return {};
    });
    for (const id of ['a', 'b', 'c']) delivery.deliver(change(id));
    expect(delivery.deliver(change('x', 'other'))).toBe(0);
    await clock.settle(0);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b'], ['c']]);
  });

  it('waits up to the batching window for a batch that is not full', async () => {
    const { clock, calls, delivery } = setup([{ batch_size: 10, batching_window_seconds: 5 }]);
    delivery.deliver(change('a'));
    await clock.settle(4000);
    expect(calls).toEqual([]);
    delivery.deliver(change('b'));
    await clock.settle(1000);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b']]);
  });

  it('sends a batch as soon as it is full, without waiting for the rest of the window', async () => {
    const { clock, calls, delivery } = setup([{ batch_size: 2, batching_window_seconds: 60 }]);
    delivery.deliver(change('a'));
    await clock.settle(1000);
    expect(calls).toEqual([]);
    delivery.deliver(change('b'));
    await clock.settle(0);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b']]);
  });

  it('retries a failed batch with backoff before anything after it, and drops it after maximum_retry_attempts', async () => {
    const { clock, calls, delivery, warnings } = setup([{ maximum_retry_attempts: 2 }], (_r, call) => (call <= 3 ? { error: { kind: 'FunctionError', message: 'boom' } } : {}));
    delivery.deliver(change('a'));
    await clock.settle(0);
    delivery.deliver(change('b'));
    await clock.settle(999);
    expect(calls.map((c) => c.ids)).toEqual([['a']]);
    await clock.settle(1); // first retry after 1 s: a and b, in order
    await clock.settle(2000); // second retry after 2 s more
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['a', 'b'], ['a', 'b']]);
    await clock.settle(0);
    expect(warnings).toContain('DynamoDB stream: 2 record(s) dropped after 2 retries');
    delivery.deliver(change('c'));
    await clock.settle(0);
    expect(calls.at(-1)!.ids).toEqual(['c']);
  });

  it('with ReportBatchItemFailures retries from the first failed record only', async () => {
    let failed = '';
    const { clock, calls, delivery } = setup([{ report_batch_item_failures: true }], (records, call) => {
      if (call > 1) return {};
      failed = records[1].dynamodb.SequenceNumber;
      return { payload: Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: failed }] })) };
    });
    for (const id of ['a', 'b', 'c']) delivery.deliver(change(id));
    await clock.settle(1000);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'c'], ['b', 'c']]);
  });

  it('applies filters, skips disabled mappings, and keeps a queue across reloads of functions.yml', async () => {
    const { clock, calls, delivery } = setup([{ filters: ['{"eventName": ["REMOVE"]}'] }]);
    delivery.deliver(change('kept', 'orders', 'REMOVE'));
    delivery.deliver(change('filtered', 'orders', 'INSERT'));
    await clock.settle(0);
    expect(calls.map((c) => c.ids)).toEqual([['kept']]);

    // Deletes by time to live carry DynamoDB's identity: a filter picks them out (the expiry pattern).
    const expiries = setup([{ filters: ['{"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}'] }], (records) => {
      expect(records[0].userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
      return {};
    });
    expiries.delivery.deliver({ ...change('expired', 'orders', 'REMOVE'), userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } });
    expiries.delivery.deliver(change('deleted-by-a-caller', 'orders', 'REMOVE'));
    await expiries.clock.settle(0);
    expect(expiries.calls.map((c) => c.ids)).toEqual([['expired']]);

    const off = setup([{ enabled: false }]);
    off.delivery.deliver(change('a'));
    await off.clock.settle(0);
    expect(off.calls).toEqual([]);
  });

  it('holds at most MAX_QUEUED_RECORDS per mapping while its function fails, dropping the oldest, and drops records older than maximum_record_age_seconds', async () => {
    const { clock, delivery, warnings, calls } = setup([{ maximum_record_age_seconds: 60 }], () => ({ error: { kind: 'FunctionError', message: 'down' } }));
    for (let i = 0; i <= MAX_QUEUED_RECORDS; i++) delivery.deliver(change(`k${i}`));
    expect(delivery.list()[0].queued).toBe(MAX_QUEUED_RECORDS);
    expect(warnings.some((w) => w.includes('the oldest are dropped'))).toBe(true);
    await clock.settle(61_000);
    expect(delivery.list()[0].queued).toBe(0);
    expect(warnings.some((w) => w.includes('older than 60 s dropped'))).toBe(true);
    expect(calls[0].ids[0]).toBe('k1');
  });

  it('firstFailed reads the documented partial batch answer; anything else fails the whole batch or none', () => {
    const seqs = ['1', '2', '3'];
    expect(firstFailed(Buffer.from('null'), seqs)).toBeUndefined();
    expect(firstFailed(Buffer.from('{"batchItemFailures": []}'), seqs)).toBeUndefined();
    expect(firstFailed(Buffer.from('{"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}'), seqs)).toBe(1);
    expect(firstFailed(Buffer.from('{"batchItemFailures": [{"itemIdentifier": "nope"}]}'), seqs)).toBe(0);
    expect(firstFailed(Buffer.from('{"batchItemFailures": "x"}'), seqs)).toBe(0);
  });
});
