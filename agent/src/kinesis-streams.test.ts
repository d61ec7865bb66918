import { describe, expect, it } from 'vitest';
import { FunctionsFile, type InvokeResult, type KinesisRecord, type StreamFailureDestination } from '@esb/contracts';
import { FakeClock } from '@esb/contracts/testing';
import { kinesisStreams } from './kinesis-streams.js';
import { MAX_BATCH_BYTES, StreamDelivery } from './stream-delivery.js';

let seq = 0;
const put = (text: string, { shard = 'shardId-000000000000', key = 'k', stream = 'clicks' } = {}): KinesisRecord => ({
  stream,
  shardId: shard,
  sequenceNumber: String(++seq).padStart(56, '0'),
  partitionKey: key,
  data: Buffer.from(text).toString('base64'),
  approximateArrivalTimestamp: 1_796_000_000.5,
});

const textOf = (r: any) => Buffer.from(r.kinesis.data, 'base64').toString();

function setup(event: Record<string, unknown>, answer: (records: any[], call: number) => Partial<InvokeResult> | Promise<Partial<InvokeResult>> = () => ({})) {
  const clock = new FakeClock(Date.UTC(2026, 11, 6, 12));
  const calls: Array<{ fn: string; texts: string[]; records: any[] }> = [];
  const failures: Array<{ destination: StreamFailureDestination; record: any; fn: string }> = [];
  const warnings: string[] = [];
  const delivery = new StreamDelivery(kinesisStreams, {
    region: 'eu-west-1',
    clock,
    invoke: async (fn, payload) => {
      const records = JSON.parse(payload.toString()).Records;
      calls.push({ fn, texts: records.map(textOf), records });
      return { requestId: `req-${calls.length}`, durationMs: 1, payload: Buffer.from('null'), ...(await answer(records, calls.length)) };
    },
    sendFailure: (destination, record, fn) => failures.push({ destination, record: JSON.parse(record), fn }),
    warn: (_f, m) => warnings.push(m),
    info: () => undefined,
  });
  delivery.setFunctions(FunctionsFile.parse({ functions: { consumer: { events: [{ type: 'kinesis', name: 'ClicksStream', stream: 'clicks', ...event }] } } }));
  return { clock, calls, failures, warnings, delivery };
}

describe('Kinesis stream delivery', () => {
  it('hands records to the function as Lambda writes Kinesis records, in order, in batches', async () => {
    const { clock, calls, delivery } = setup({ batch_size: 2 });
    const first = put('a');
    delivery.deliver(first);
    delivery.deliver(put('b'));
    delivery.deliver(put('c'));
    expect(delivery.deliver(put('x', { stream: 'other' }))).toBe(0);
    await clock.settle(0);
    expect(calls.map((c) => c.texts)).toEqual([['a', 'b'], ['c']]);
    expect(calls[0].records[0]).toEqual({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'k', sequenceNumber: first.sequenceNumber, data: first.data, approximateArrivalTimestamp: 1_796_000_000.5 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${first.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/esb-function',
      awsRegion: 'eu-west-1',
      eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks',
    });
  });

  it('reads shards side by side: a failing batch holds back its own shard only', async () => {
    const { clock, calls, delivery } = setup({}, (records) => (textOf(records[0]) === 'bad' ? { error: { kind: 'FunctionError', message: 'boom' } } : {}));
    delivery.deliver(put('bad', { shard: 'shardId-000000000000' }));
    delivery.deliver(put('good', { shard: 'shardId-000000000001' }));
    await clock.settle(0);
    delivery.deliver(put('after-bad', { shard: 'shardId-000000000000' }));
    delivery.deliver(put('after-good', { shard: 'shardId-000000000001' }));
    await clock.settle(0);
    expect(calls.map((c) => c.texts)).toEqual([['bad'], ['good'], ['after-good']]);
    expect(delivery.list()).toEqual([{ functionName: 'consumer', mapping: 'ClicksStream', source: 'clicks', queued: 2 }]);
  });

  it('with a parallelization factor runs batches of one shard at once, each partition key in its order', async () => {
    const releases: Array<() => void> = [];
    const { clock, calls, delivery } = setup({ parallelization_factor: 10, batch_size: 1 }, () => new Promise((resolve) => releases.push(() => resolve({}))));
    const keys = ['alpha', 'beta', 'gamma', 'delta'];
    for (const key of keys) for (let i = 0; i < 2; i++) delivery.deliver(put(`${key}-${i}`, { key }));
    await clock.settle(0);
    const inFlight = calls.length;
    expect(inFlight).toBeGreaterThan(1);
    while (releases.length) {
      releases.shift()!();
      await clock.settle(0);
    }
    const order = calls.map((c) => c.texts[0]);
    expect(order).toHaveLength(8);
    for (const key of keys) expect(order.indexOf(`${key}-0`)).toBeLessThan(order.indexOf(`${key}-1`));
  });

  it('bisects a failing batch down to the bad record without using up attempts, then gives that record up to the on-failure destination', async () => {
    const { clock, calls, delivery, failures, warnings } = setup(
      { batch_size: 4, bisect_batch_on_function_error: true, maximum_retry_attempts: 1, on_failure: { type: 'SQS', target: 'failed-batches' } },
      (records) => (records.some((r) => textOf(r) === 'poison') ? { error: { kind: 'FunctionError', message: 'poison' } } : {}),
    );
    for (const t of ['a', 'b', 'poison', 'c']) delivery.deliver(put(t));
    await clock.settle(0);
    await clock.settle(1000);
    expect(calls.map((c) => c.texts)).toEqual([['a', 'b', 'poison', 'c'], ['a', 'b'], ['poison', 'c'], ['poison'], ['poison'], ['c']]);
    expect(warnings).toContain('Kinesis stream: 1 record(s) dropped after 1 retries');
    expect(failures).toHaveLength(1);
    const poison = calls[3].records[0].kinesis.sequenceNumber;
    expect(failures[0]).toMatchObject({ destination: { type: 'SQS', target: 'failed-batches' }, fn: 'consumer' });
    expect(failures[0].record).toMatchObject({
      requestContext: { requestId: 'req-5', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:consumer', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: { shardId: 'shardId-000000000000', startSequenceNumber: poison, endSequenceNumber: poison, batchSize: 1, streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks' },
    });
  });

  it('reports records too old to the on-failure destination as RecordAgeExceeded', async () => {
    const { clock, delivery, failures } = setup({ maximum_record_age_seconds: 60, on_failure: { type: 'SNS', target: 'alerts' } }, () => ({ error: { kind: 'FunctionError', message: 'down' } }));
    delivery.deliver(put('late'));
    await clock.settle(61_000);
    expect(failures.map((f) => [f.destination.type, f.record.requestContext.condition, f.record.KinesisBatchInfo.batchSize])).toEqual([['SNS', 'RecordAgeExceeded', 1]]);
  });

  it('filters on the decoded data when it is JSON, and on the partition key', async () => {
    const { clock, calls, delivery } = setup({ filters: ['{"data": {"kind": ["order"]}}', '{"partitionKey": ["vip"]}'] });
    delivery.deliver(put('{"kind": "order", "n": 1}'));
    delivery.deliver(put('{"kind": "view"}'));
    delivery.deliver(put('not json', { key: 'vip' }));
    delivery.deliver(put('not json either'));
    await clock.settle(0);
    expect(calls.map((c) => c.texts)).toEqual([['{"kind": "order", "n": 1}', 'not json']]);
  });

  it('keeps a batch within the 6 MB a synchronous invocation takes', async () => {
    const { clock, calls, delivery } = setup({ batch_size: 100 });
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 8; i++) delivery.deliver(put(big));
    await clock.settle(0);
    const sizes = calls.map((c) => c.records.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(8);
    expect(sizes.length).toBeGreaterThan(1);
    for (const c of calls) expect(c.records.reduce((n: number, r: any) => n + r.kinesis.data.length, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('retries from the first failed record with ReportBatchItemFailures (the sequence number)', async () => {
    const { clock, calls, delivery } = setup({ report_batch_item_failures: true }, (records, call) => (call === 1 ? { payload: Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: records[1].kinesis.sequenceNumber }] })) } : {}));
    for (const t of ['a', 'b', 'c']) delivery.deliver(put(t));
    await clock.settle(1000);
    expect(calls.map((c) => c.texts)).toEqual([['a', 'b', 'c'], ['b', 'c']]);
  });
});
