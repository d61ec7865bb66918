// The agent's Firehose delivery streams (docs/firehose.md) on a fake clock, with a fake function
// and a fake bucket: buffering by size and by time, the transformation event and how its answer
// is read (Ok, Dropped, ProcessingFailed, bad answers), retries, GZIP, object names, a Kinesis
// source, the API's answers and errors, S3 failures, bounded memory, reloads and close.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FunctionsFile, type InvokeResult, type KinesisRecord } from '@esb/contracts';
import { FakeClock } from '@esb/contracts/testing';
import { DeliveryStreams, type FirehoseLimits } from './firehose.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const KiB = 1024;
const b64 = (text: string) => Buffer.from(text).toString('base64');

interface Setup {
  streams?: Record<string, unknown>;
  answer?: (event: any, call: number) => Partial<InvokeResult>;
  putObject?: (bucket: string, key: string, body: Buffer, attempt: number) => Promise<void>;
  s3?: boolean;
  limits?: Partial<FirehoseLimits>;
  post?: (url: string, headers: Record<string, string>, body: Buffer) => Promise<{ status: number; body: string }>;
}

function setup(o: Setup = {}) {
  const clock = new FakeClock(T0);
  const calls: any[] = [];
  const objects: Array<{ bucket: string; key: string; body: Buffer }> = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  let uuids = 0;
  let attempts = 0;
  const ds = new DeliveryStreams({
    region: 'eu-west-1',
    clock,
    invoke: async (fn, payload) => {
      const event = JSON.parse(payload.toString());
      calls.push({ fn, event });
      const answer = o.answer?.(event, calls.length) ?? { payload: Buffer.from(JSON.stringify({ records: event.records.map((r: any) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) })) };
      return { requestId: `req-${calls.length}`, durationMs: 1, payload: Buffer.from('null'), ...answer };
    },
    functionArn: (fn) => `arn:aws:lambda:eu-west-1:123456789012:function:${fn}`,
    ...(o.s3 === false
      ? {}
      : {
          putObject: async (bucket: string, key: string, body: Buffer) => {
            attempts++;
            await o.putObject?.(bucket, key, body, attempts);
            objects.push({ bucket, key, body });
          },
        }),
    ...(o.post ? { post: o.post } : {}),
    warn: (_f, m) => warnings.push(m),
    error: (_f, m) => errors.push(m),
    limits: { invokeRetryMs: 0, retryBaseMs: 0, ...o.limits },
    uuid: () => `uuid-${++uuids}`,
    randomString: () => 'rand0123456',
  });
  ds.setFunctions(FunctionsFile.parse({ functions: {}, delivery_streams: o.streams ?? { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 60, buffer_mb: 1 } } } }));
  /** Runs what is due now and lets real async work (gzip, promises) finish. */
  const pump = async () => {
    for (let i = 0; i < 30; i++) {
      await clock.settle(0);
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  const call = async (action: string, input: unknown) => ds.answer({ action, input });
  const putBatch = (name: string, texts: string[]) => call('PutRecordBatch', { DeliveryStreamName: name, Records: texts.map((t) => ({ Data: b64(t) })) });
  return { clock, calls, objects, warnings, errors, ds, pump, call, putBatch };
}

describe('Firehose delivery streams: buffering', () => {
  it('writes a buffer buffer_seconds after its first record: the records concatenated, under <prefix>yyyy/MM/dd/HH/<name>-1-<time>-<uuid>', async () => {
    const { clock, objects, pump, putBatch, ds } = setup();
    expect((await putBatch('hose', ['{"a":1}', '{"b":2}'])).status).toBe(200);
    await clock.settle(30_000);
    expect((await putBatch('hose', ['{"c":3}'])).status).toBe(200);
    await clock.settle(29_999);
    await pump();
    expect(objects).toEqual([]);
    expect(ds.list()[0]).toMatchObject({ bufferedRecords: 3, bufferedBytes: 21 });
    await clock.settle(1);
    await pump();
    expect(objects.map((x) => [x.bucket, x.key, x.body.toString()])).toEqual([['sink', '2026/01/02/03/hose-1-2026-01-02-03-04-05-uuid-1', '{"a":1}{"b":2}{"c":3}']]);
    // The next record starts a new buffer, and a new interval.
    await putBatch('hose', ['later']);
    await clock.settle(60_000);
    await pump();
    expect(objects.map((x) => x.body.toString())).toEqual(['{"a":1}{"b":2}{"c":3}', 'later']);
    expect(ds.list()[0]).toMatchObject({ bufferedRecords: 0, objects: 2, deliveredRecords: 4, lostRecords: 0 });
  });

  it('writes a buffer as soon as it holds buffer_mb, whatever the time; interval 0 writes at once', async () => {
    const { objects, pump, putBatch } = setup({ streams: { big: { name: 'big', destination: { bucket: 'sink', buffer_seconds: 900, buffer_mb: 1 } }, now: { name: 'now', destination: { bucket: 'sink', buffer_seconds: 0 } } } });
    await putBatch('big', ['x'.repeat(600 * KiB)]);
    await pump();
    expect(objects).toEqual([]);
    await putBatch('big', ['y'.repeat(500 * KiB)]);
    await pump();
    expect(objects.map((x) => x.body.length)).toEqual([1100 * KiB]);
    await putBatch('now', ['z']);
    await pump();
    expect(objects.map((x) => x.body.toString()).at(-1)).toBe('z');
  });

  it('evaluates a custom prefix (the oldest record\'s arrival), gzips with .gz, or the FileExtension given', async () => {
    const { clock, objects, pump, putBatch } = setup({
      streams: {
        gz: { name: 'gz', destination: { bucket: 'sink', prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/!{firehose:random-string}/', error_output_prefix: 'err/!{firehose:error-output-type}/', buffer_seconds: 10, compression: 'GZIP' } },
        ext: { name: 'ext', destination: { bucket: 'sink', prefix: 'logs/', buffer_seconds: 10, compression: 'GZIP', file_extension: '.json.gz' } },
      },
    });
    await putBatch('gz', ['one\n']);
    await putBatch('ext', ['x']);
    await clock.settle(5000);
    await putBatch('gz', ['two\n']);
    await clock.settle(5000);
    await pump();
    const gz = objects.find((x) => x.key.startsWith('raw/'))!;
    expect(gz.key).toBe('raw/dt=2026-01-02/h=03/rand0123456/gz-1-2026-01-02-03-04-05-uuid-1.gz');
    expect(gunzipSync(gz.body).toString()).toBe('one\ntwo\n');
    expect(objects.find((x) => x.key.startsWith('logs/'))!.key).toBe('logs/2026/01/02/03/ext-1-2026-01-02-03-04-05-uuid-2.json.gz');
  });

  it('writes a buffer of many small records as one object (records are counted in memory with what they cost besides their data)', async () => {
    const { ds, objects, pump, clock } = setup();
    ds.put('hose', Array.from({ length: 150_000 }, () => Buffer.from('x')), 'a test');
    expect(ds.list()[0]).toMatchObject({ bufferedRecords: 150_000, bufferedBytes: 150_000 });
    await clock.settle(60_000);
    await pump();
    expect(objects.map((x) => x.body.length)).toEqual([150_000]);
  });

  it('bounds the memory of all buffers: past the limit the largest buffer is written early, with a warning', async () => {
    const { objects, pump, putBatch, warnings } = setup({
      limits: { maxBufferedBytes: 100 * KiB },
      streams: { a: { name: 'a', destination: { bucket: 'sink', buffer_seconds: 900 } }, b: { name: 'b', destination: { bucket: 'sink', buffer_seconds: 900 } } },
    });
    await putBatch('a', ['a'.repeat(60 * KiB)]);
    await putBatch('b', ['b'.repeat(30 * KiB)]);
    await pump();
    expect(objects).toEqual([]);
    await putBatch('b', ['b'.repeat(20 * KiB)]);
    await pump();
    expect(objects.map((x) => x.key.split('/').at(-1)!.split('-')[0])).toEqual(['a']);
    expect(warnings).toEqual([expect.stringContaining("delivery streams buffer more than 102400 bytes of records: a's buffer (1 records, 61440 bytes) is written early")]);
  });

  it('refuses new records while too much is being written (a stalled bucket): PutRecord ServiceUnavailableException, PutRecordBatch per record', async () => {
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    const { call, pump, putBatch, warnings, objects } = setup({ limits: { maxInFlightBytes: 10 }, streams: { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 0 } } }, putObject: () => stalled });
    await putBatch('hose', ['0123456789ab']);
    await pump();
    expect(await call('PutRecord', { DeliveryStreamName: 'hose', Record: { Data: b64('x') } })).toEqual({ status: 500, body: { __type: 'ServiceUnavailableException', message: 'Slow down.' } });
    expect((await putBatch('hose', ['x', 'y'])).body).toEqual({ FailedPutCount: 2, Encrypted: false, RequestResponses: [{ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }] });
    expect(warnings).toEqual([expect.stringContaining('new records are refused')]);
    release();
    await pump();
    expect(objects).toHaveLength(1);
    expect((await putBatch('hose', ['ok'])).body).toMatchObject({ FailedPutCount: 0 });
  });
});

describe('Firehose delivery streams: HTTP endpoints', () => {
  it("sends a batch as Firehose's request (id, time, base64 records; access key, common attributes, gzip), tried again until the endpoint answers 200 with the request's id", async () => {
    const requests: Array<{ url: string; headers: Record<string, string>; body: any }> = [];
    let calls = 0;
    const { objects, pump, putBatch, ds, warnings } = setup({
      streams: { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 0, http: { url: 'http://partner.test/ingest', access_key: 'k-1', gzip: true, common_attributes: { env: 'dev' }, retry_seconds: 300, backup_all: true } } } },
      post: async (url, headers, body) => {
        const parsed = JSON.parse(gunzipSync(body).toString());
        requests.push({ url, headers, body: parsed });
        calls++;
        return calls === 1 ? { status: 503, body: '' } : { status: 200, body: JSON.stringify({ requestId: parsed.requestId, timestamp: 1 }) };
      },
    });
    await putBatch('hose', ['{"a":1}', '{"b":2}']);
    await pump();
    expect(requests).toHaveLength(2);
    expect(requests[1].url).toBe('http://partner.test/ingest');
    expect(requests[1].headers).toMatchObject({ 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-amz-firehose-access-key': 'k-1', 'x-amz-firehose-common-attributes': '{"commonAttributes":{"env":"dev"}}', 'x-amz-firehose-source-arn': 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/hose' });
    expect(requests[1].headers['x-amz-firehose-request-id']).toBe(requests[1].body.requestId);
    expect(requests[1].body.records.map((r: { data: string }) => Buffer.from(r.data, 'base64').toString())).toEqual(['{"a":1}', '{"b":2}']);
    // AllData: the bucket gets the records too.
    expect(objects.map((o) => o.body.toString())).toEqual(['{"a":1}{"b":2}']);
    expect(ds.list()[0]).toMatchObject({ deliveredRecords: 2, failedRecords: 0 });
    expect(warnings).toEqual([expect.stringContaining('HttpEndpoint.ResponseStatus503: the endpoint answered 503; trying again for up to 300 s')]);
  });

  it('puts what the endpoint did not take under http-endpoint-failed/ once its retry time is spent', async () => {
    const { objects, pump, putBatch, ds } = setup({
      streams: { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 0, http: { url: 'http://partner.test/ingest', retry_seconds: 0 } } } },
      post: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    await putBatch('hose', ['x']);
    await pump();
    expect(objects.map((o) => o.key)).toEqual([expect.stringMatching(/^http-endpoint-failed\/2026\/01\/02\/03\/hose-1-/)]);
    expect(JSON.parse(objects[0].body.toString())).toMatchObject({ attemptsMade: 1, errorCode: 'HttpEndpoint.RequestFailed', errorMessage: 'connect ECONNREFUSED', rawData: b64('x'), EndpointUrl: 'http://partner.test/ingest' });
    expect(ds.list()[0]).toMatchObject({ deliveredRecords: 0, failedRecords: 1 });
  });
});

describe('Firehose delivery streams: transformation', () => {
  const PROCESSED = { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 60, processor: { function: 'upper' } } } };

  it("sends the batch as Firehose's transformation event and writes the Ok records' data; Dropped ones vanish, ProcessingFailed ones go under processing-failed/", async () => {
    const { clock, calls, objects, pump, putBatch } = setup({
      streams: PROCESSED,
      answer: (event) => ({
        payload: Buffer.from(
          JSON.stringify({
            records: event.records.map((r: any) => {
              const text = Buffer.from(r.data, 'base64').toString();
              if (text === 'drop') return { recordId: r.recordId, result: 'Dropped', data: r.data };
              if (text === 'bad') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
              return { recordId: r.recordId, result: 'Ok', data: b64(`${text.toUpperCase()}\n`) };
            }),
          }),
        ),
      }),
    });
    const put = await putBatch('hose', ['a', 'drop', 'bad', 'b']);
    const ids = (put.body.RequestResponses as Array<{ RecordId: string }>).map((r) => r.RecordId);
    expect(ids.every((id: string) => /^\d{56}$/.test(id))).toBe(true);
    await clock.settle(60_000);
    await pump();
    expect(calls).toEqual([
      {
        fn: 'upper',
        event: {
          invocationId: 'uuid-1',
          deliveryStreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/hose',
          region: 'eu-west-1',
          records: ['a', 'drop', 'bad', 'b'].map((t, i) => ({ recordId: ids[i], approximateArrivalTimestamp: T0, data: b64(t) })),
        },
      },
    ]);
    expect(objects.map((x) => x.key)).toEqual(['2026/01/02/03/hose-1-2026-01-02-03-04-05-uuid-2', 'processing-failed/2026/01/02/03/hose-1-2026-01-02-03-04-05-uuid-3']);
    expect(objects[0].body.toString()).toBe('A\nB\n');
    expect(objects[1].body.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([
      { attemptsMade: 1, arrivalTimestamp: T0, errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'ProcessingFailed status set for record', attemptEndingTimestamp: T0 + 60_000, rawData: b64('bad'), lambdaArn: 'arn:aws:lambda:eu-west-1:123456789012:function:upper:$LATEST' },
    ]);
  });

  it('retries a failed invocation NumberOfRetries times (3), then puts the whole batch under the error prefix', async () => {
    const failing = setup({ streams: PROCESSED, answer: () => ({ error: { kind: 'FunctionError', message: 'boom' } }) });
    await failing.putBatch('hose', ['a', 'b']);
    await failing.clock.settle(60_000);
    await failing.pump();
    expect(failing.calls).toHaveLength(4);
    expect(failing.objects.map((x) => x.key)).toEqual(['processing-failed/2026/01/02/03/hose-1-2026-01-02-03-04-05-uuid-2']);
    const lines = failing.objects[0].body.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.errorCode, l.errorMessage, l.attemptsMade, Buffer.from(l.rawData, 'base64').toString()])).toEqual([
      ['Lambda.FunctionError', 'boom', 4, 'a'],
      ['Lambda.FunctionError', 'boom', 4, 'b'],
    ]);
    expect(failing.warnings.filter((w) => w.includes('trying again'))).toHaveLength(3);

    // Succeeding on a retry: written as if it had worked at once.
    const flaky = setup({ streams: PROCESSED, answer: (event, n) => (n < 3 ? { error: { kind: 'Timeout', message: 'Task timed out after 3.00 seconds' } } : { payload: Buffer.from(JSON.stringify({ records: event.records.map((r: any) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) })) }) });
    await flaky.putBatch('hose', ['x']);
    await flaky.clock.settle(60_000);
    await flaky.pump();
    expect(flaky.calls).toHaveLength(3);
    expect(flaky.objects.map((x) => x.body.toString())).toEqual(['x']);
  });

  it('reads a bad answer as Firehose does: missing and duplicated record ids, an unknown result, data that is not base64, an answer that is not JSON', async () => {
    const { clock, objects, pump, putBatch } = setup({
      streams: PROCESSED,
      answer: (event) => {
        const [a, b, c, d] = event.records;
        return { payload: Buffer.from(JSON.stringify({ records: [{ recordId: a.recordId, result: 'Ok', data: a.data }, { recordId: b.recordId, result: 'Ok', data: b.data }, { recordId: b.recordId, result: 'Ok', data: b.data }, { recordId: c.recordId, result: 'Maybe', data: c.data }, { recordId: d.recordId, result: 'Ok', data: '!!' }, { recordId: 'stranger', result: 'Ok', data: '' }] })) };
      },
    });
    await putBatch('hose', ['a', 'b', 'c', 'd', 'e']);
    await clock.settle(60_000);
    await pump();
    expect(objects[0].body.toString()).toBe('a');
    expect(
      objects[1].body
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).errorCode),
    ).toEqual(['Lambda.DuplicatedRecordId', 'Lambda.JsonProcessingException', 'Lambda.JsonProcessingException', 'Lambda.MissingRecordId']);

    const notJson = setup({ streams: PROCESSED, answer: () => ({ payload: Buffer.from('not json') }) });
    await notJson.putBatch('hose', ['a']);
    await notJson.clock.settle(60_000);
    await notJson.pump();
    expect(notJson.calls).toHaveLength(1);
    expect(JSON.parse(notJson.objects[0].body.toString()).errorCode).toBe('Lambda.JsonProcessingException');
  });

  it("sends at most the processor's BufferSizeInMBs to one invocation", async () => {
    const { clock, calls, objects, pump, putBatch } = setup({ streams: { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 60, buffer_mb: 5, processor: { function: 'upper', buffer_mb: 0.5 } } } } });
    await putBatch('hose', ['a'.repeat(300 * KiB), 'b'.repeat(300 * KiB), 'c'.repeat(100 * KiB)]);
    await clock.settle(60_000);
    await pump();
    expect(calls.map((c) => c.event.records.length)).toEqual([1, 2]);
    expect(objects).toHaveLength(1);
    expect(objects[0].body.length).toBe(700 * KiB);
  });
});

describe('Firehose delivery streams: a Kinesis source', () => {
  const record = (text: string, stream = 'clicks', seq = '1'): KinesisRecord => ({ stream, shardId: 'shardId-000000000001', sequenceNumber: seq.padStart(56, '0'), partitionKey: 'user-1', data: b64(text), approximateArrivalTimestamp: T0 / 1000 - 2.5 });

  it("takes the stream's records (others are not its own); the transformation event names the source and each record's Kinesis metadata; the API refuses puts", async () => {
    const { clock, calls, objects, pump, ds, call } = setup({ streams: { fromKinesis: { name: 'fromKinesis', source: { type: 'kinesis', stream: 'clicks' }, destination: { bucket: 'sink', buffer_seconds: 10, processor: { function: 'upper' } } } } });
    ds.deliverKinesis([record('k1'), record('zz', 'other'), record('k2', 'clicks', '2')]);
    await clock.settle(10_000);
    await pump();
    expect(calls[0].event).toEqual({
      invocationId: 'uuid-1',
      sourceKinesisStreamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks',
      deliveryStreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/fromKinesis',
      region: 'eu-west-1',
      records: [
        { recordId: expect.stringMatching(/^\d{56}$/), approximateArrivalTimestamp: T0 - 2500, data: b64('k1'), kinesisRecordMetadata: { shardId: 'shardId-000000000001', partitionKey: 'user-1', sequenceNumber: '1'.padStart(56, '0'), approximateArrivalTimestamp: T0 - 2500, subsequenceNumber: 0 } },
        { recordId: expect.stringMatching(/^\d{56}$/), approximateArrivalTimestamp: T0 - 2500, data: b64('k2'), kinesisRecordMetadata: expect.objectContaining({ sequenceNumber: '2'.padStart(56, '0') }) },
      ],
    });
    expect(objects.map((x) => x.body.toString())).toEqual(['k1k2']);
    expect(await call('PutRecord', { DeliveryStreamName: 'fromKinesis', Record: { Data: b64('x') } })).toEqual({ status: 400, body: { __type: 'InvalidArgumentException', message: 'This operation is not permitted on KinesisStreamAsSource delivery stream type.' } });
  });
});

describe('Firehose delivery streams: the API', () => {
  it('answers PutRecord, PutRecordBatch, DescribeDeliveryStream, ListDeliveryStreams and ListTagsForDeliveryStream as Firehose does', async () => {
    const { call } = setup({
      streams: {
        hose: { name: 'hose', destination: { bucket: 'sink', prefix: 'p/', buffer_seconds: 60, buffer_mb: 1, compression: 'GZIP', processor: { function: 'upper' } } },
        'a-first': { name: 'a-first', destination: { bucket: 'sink' } },
        fromKinesis: { name: 'fromKinesis', source: { type: 'kinesis', stream: 'clicks' }, destination: { bucket: 'sink' } },
      },
    });
    const one = await call('PutRecord', { DeliveryStreamName: 'hose', Record: { Data: b64('x') } });
    expect(one).toEqual({ status: 200, body: { RecordId: expect.stringMatching(/^\d{56}$/), Encrypted: false } });
    const described = await call('DescribeDeliveryStream', { DeliveryStreamName: 'hose' });
    expect(described.body.DeliveryStreamDescription).toMatchObject({
      DeliveryStreamName: 'hose',
      DeliveryStreamARN: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/hose',
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: '1',
      CreateTimestamp: Math.floor(T0 / 1000),
      HasMoreDestinations: false,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          ExtendedS3DestinationDescription: expect.objectContaining({
            BucketARN: 'arn:aws:s3:::sink',
            Prefix: 'p/',
            BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
            CompressionFormat: 'GZIP',
            ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: expect.arrayContaining([{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:eu-west-1:123456789012:function:upper:$LATEST' }]) }] },
          }),
        },
      ],
    });
    expect((await call('DescribeDeliveryStream', { DeliveryStreamName: 'fromKinesis' })).body.DeliveryStreamDescription).toMatchObject({ DeliveryStreamType: 'KinesisStreamAsSource', Source: { KinesisStreamSourceDescription: { KinesisStreamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks' } } });
    expect((await call('ListDeliveryStreams', {})).body).toEqual({ DeliveryStreamNames: ['a-first', 'fromKinesis', 'hose'], HasMoreDeliveryStreams: false });
    expect((await call('ListDeliveryStreams', { Limit: 1, ExclusiveStartDeliveryStreamName: 'a-first' })).body).toEqual({ DeliveryStreamNames: ['fromKinesis'], HasMoreDeliveryStreams: true });
    expect((await call('ListDeliveryStreams', { DeliveryStreamType: 'KinesisStreamAsSource' })).body).toEqual({ DeliveryStreamNames: ['fromKinesis'], HasMoreDeliveryStreams: false });
    expect((await call('ListTagsForDeliveryStream', { DeliveryStreamName: 'hose' })).body).toEqual({ Tags: [], HasMoreTags: false });
  });

  it("answers Firehose's errors: unknown stream, missing and malformed fields, 500 records, 1,000 KiB a record, 4 MiB a batch, actions it does not take", async () => {
    const { call } = setup();
    const err = async (action: string, input: unknown) => {
      const a = await call(action, input);
      return [a.status, a.body.__type, a.body.message];
    };
    expect(await err('PutRecord', { DeliveryStreamName: 'nope', Record: { Data: b64('x') } })).toEqual([400, 'ResourceNotFoundException', 'Firehose nope under account 123456789012 not found.']);
    expect(await err('PutRecord', { Record: { Data: b64('x') } })).toEqual([400, 'ValidationException', "1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null"]);
    expect(await err('PutRecord', { DeliveryStreamName: 'bad name' })).toEqual([400, 'ValidationException', expect.stringContaining("at 'deliveryStreamName' failed to satisfy constraint")]);
    expect(await err('PutRecord', { DeliveryStreamName: 'hose' })).toEqual([400, 'ValidationException', "1 validation error detected: Value null at 'record' failed to satisfy constraint: Member must not be null"]);
    expect(await err('PutRecord', { DeliveryStreamName: 'hose', Record: {} })).toEqual([400, 'ValidationException', "1 validation error detected: Value null at 'record.data' failed to satisfy constraint: Member must not be null"]);
    expect(await err('PutRecord', { DeliveryStreamName: 'hose', Record: { Data: 'no base64!' } })).toEqual([400, 'SerializationException', expect.stringContaining('base64')]);
    expect(await err('PutRecord', { DeliveryStreamName: 'hose', Record: { Data: Buffer.alloc(1_024_001).toString('base64') } })).toEqual([400, 'ValidationException', "1 validation error detected: Value at 'record.data' failed to satisfy constraint: Member must have length less than or equal to 1024000"]);
    expect((await call('PutRecord', { DeliveryStreamName: 'hose', Record: { Data: Buffer.alloc(1_024_000).toString('base64') } })).status).toBe(200);
    expect(await err('PutRecordBatch', { DeliveryStreamName: 'hose', Records: [] })).toEqual([400, 'ValidationException', expect.stringContaining('greater than or equal to 1')]);
    expect(await err('PutRecordBatch', { DeliveryStreamName: 'hose', Records: Array.from({ length: 501 }, () => ({ Data: b64('x') })) })).toEqual([400, 'ValidationException', "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"]);
    expect((await call('PutRecordBatch', { DeliveryStreamName: 'hose', Records: Array.from({ length: 500 }, () => ({ Data: b64('x') })) })).body.FailedPutCount).toBe(0);
    const big = Buffer.alloc(900 * KiB).toString('base64');
    expect(await err('PutRecordBatch', { DeliveryStreamName: 'hose', Records: Array.from({ length: 5 }, () => ({ Data: big })) })).toEqual([400, 'InvalidArgumentException', expect.stringContaining('at most 4194304 (4 MiB)')]);
    expect(await err('PutRecordBatch', { DeliveryStreamName: 'hose', Records: [{ Data: b64('x') }, {}] })).toEqual([400, 'ValidationException', "1 validation error detected: Value null at 'records.2.member.data' failed to satisfy constraint: Member must not be null"]);
    expect(await err('CreateDeliveryStream', { DeliveryStreamName: 'x' })).toEqual([400, 'UnknownOperationException', expect.stringContaining('delivery streams come from the template')]);
  });
});

describe('Firehose delivery streams: writing to S3', () => {
  it('retries a failed write with backoff (1 s doubling), then gives the records up, LOST said loudly', async () => {
    const flaky = setup({ limits: { retryBaseMs: 1000 }, putObject: async (_b, _k, _body, attempt) => void (attempt < 3 && (await Promise.reject(new Error('connection refused')))) });
    await flaky.putBatch('hose', ['x']);
    await flaky.clock.settle(60_000);
    await flaky.pump();
    expect(flaky.objects).toEqual([]);
    await flaky.clock.settle(1000);
    await flaky.pump();
    expect(flaky.objects).toEqual([]);
    await flaky.clock.settle(2000);
    await flaky.pump();
    expect(flaky.objects.map((x) => x.body.toString())).toEqual(['x']);
    expect(flaky.warnings.filter((w) => w.includes('trying again in'))).toEqual([expect.stringContaining('trying again in 1000 ms'), expect.stringContaining('trying again in 2000 ms')]);
    expect(flaky.errors).toEqual([]);

    const down = setup({ limits: { writeAttempts: 3 }, putObject: () => Promise.reject(new Error('NoSuchBucket')) });
    await down.putBatch('hose', ['a', 'b']);
    await down.clock.settle(60_000);
    await down.pump();
    expect(down.errors).toEqual([expect.stringMatching(/^LOST 2 records of delivery stream hose: s3:\/\/sink\/2026\/01\/02\/03\/hose-1-.* could not be written after 3 attempts: NoSuchBucket$/)]);
    expect(down.ds.list()[0]).toMatchObject({ lostRecords: 2, objects: 0 });

    const none = setup({ s3: false });
    await none.putBatch('hose', ['a']);
    await none.clock.settle(60_000);
    await none.pump();
    expect(none.errors).toEqual([expect.stringContaining('LOST 1 records of delivery stream hose: the agent has no S3 endpoint')]);
  });
});

describe('Firehose delivery streams: reloads, other sources, close', () => {
  it('writes what a removed or changed stream holds, as it was; an unchanged one keeps its buffer; close writes the rest', async () => {
    const { ds, objects, pump, putBatch } = setup({ streams: { keep: { name: 'keep', destination: { bucket: 'sink', buffer_seconds: 60 } }, gone: { name: 'gone', destination: { bucket: 'old', buffer_seconds: 60 } }, changed: { name: 'changed', destination: { bucket: 'before', buffer_seconds: 60 } } } });
    await putBatch('keep', ['k']);
    await putBatch('gone', ['g']);
    await putBatch('changed', ['c']);
    ds.setFunctions(FunctionsFile.parse({ functions: {}, delivery_streams: { keep: { name: 'keep', destination: { bucket: 'sink', buffer_seconds: 60 } }, changed: { name: 'changed', destination: { bucket: 'after', buffer_seconds: 60 } } } }));
    await pump();
    expect(objects.map((x) => `${x.bucket}:${x.body}`).sort()).toEqual(['before:c', 'old:g']);
    await ds.close();
    expect(objects.map((x) => `${x.bucket}:${x.body}`).sort()).toEqual(['before:c', 'old:g', 'sink:k']);
    expect((await putBatch('keep', ['late'])).body).toMatchObject({ FailedPutCount: 1 });
  });

  it('takes records put on behalf of an SNS subscription; says once that a stream is missing or reads Kinesis', async () => {
    const { ds, objects, pump, clock, warnings } = setup({ streams: { hose: { name: 'hose', destination: { bucket: 'sink', buffer_seconds: 1 } }, fromKinesis: { name: 'fromKinesis', source: { type: 'kinesis', stream: 'clicks' }, destination: { bucket: 'sink' } } } });
    ds.put('hose', [Buffer.from('m1\n')], 'subscription Orders');
    ds.put('hose', [Buffer.from('m2\n')], 'subscription Orders');
    ds.put('nope', [Buffer.from('x')], 'subscription Orders');
    ds.put('nope', [Buffer.from('x')], 'subscription Orders');
    ds.put('fromKinesis', [Buffer.from('x')], 'subscription Orders');
    await clock.settle(1000);
    await pump();
    expect(objects.map((x) => x.body.toString())).toEqual(['m1\nm2\n']);
    expect(warnings).toEqual(['subscription Orders puts to delivery stream nope, which is not deployed; its records are dropped', 'subscription Orders puts to delivery stream fromKinesis, which reads a Kinesis stream and takes no other records; its records are dropped']);
  });
});
