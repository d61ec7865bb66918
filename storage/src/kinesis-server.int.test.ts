// The Kinesis Data Streams API on the SQS server's port, over real HTTP: client-kinesis v3 with
// its own HTTP/2 handler and over HTTP/1.1, boto3 where a Python has it, the records reported to
// onKinesisRecords, errors by their type, the body cap, persistence across a restart, and the
// embedded storage's wiring.
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  InvalidArgumentException,
  KinesisClient,
  ListShardsCommand,
  ListStreamConsumersCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateShardCountCommand,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KinesisRecord } from '@esb/contracts';
import { startEmbeddedStorage } from './embedded.js';
import { KINESIS_MAX_BODY_BYTES, KinesisSnapshotError, startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'any-secret' };
/** The SDK as a function's code makes it (HTTP/2, the Kinesis client's default), or over HTTP/1.1. */
const client = (endpoint: string, http1 = false) =>
  new KinesisClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1, ...(http1 ? { requestHandler: new NodeHttpHandler() } : {}) });

async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'esb-kinesis-'));
}

/** Every record of a stream, shard after shard, from the trim horizon. */
async function readStream(kinesis: KinesisClient, StreamName: string): Promise<_Record[]> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
  const out: _Record[] = [];
  for (const shard of Shards ?? []) {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    out.push(...((await kinesis.send(new GetRecordsCommand({ ShardIterator }))).Records ?? []));
  }
  return out;
}

const text = (data: Uint8Array | undefined) => Buffer.from(data ?? []).toString('utf8');

describe('the Kinesis API on the SQS port (client-kinesis v3)', () => {
  let server: RunningSqsServer;
  let kinesis: KinesisClient;
  const reported: KinesisRecord[][] = [];

  beforeAll(async () => {
    server = await startSqsServer({ port: 0, onKinesisRecords: (records) => reported.push(records) });
    kinesis = client(server.endpoint);
  });
  afterAll(async () => {
    kinesis?.destroy();
    await server?.close();
  });

  it('creates, describes and lists streams, by name or ARN', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 2 }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'clicks', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'orders' }));
    expect(StreamDescription).toMatchObject({
      StreamName: 'orders',
      StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/orders',
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      HasMoreShards: false,
      RetentionPeriodHours: 24,
      EncryptionType: 'NONE',
      EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
      Shards: [
        { ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105727' } },
        { ShardId: 'shardId-000000000001', HashKeyRange: { StartingHashKey: '170141183460469231731687303715884105728', EndingHashKey: '340282366920938463463374607431768211455' } },
      ],
    });
    expect(StreamDescription!.StreamCreationTimestamp).toBeInstanceOf(Date);
    expect(StreamDescription!.Shards![0].SequenceNumberRange!.StartingSequenceNumber).toMatch(/^\d{56}$/);
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks' }));
    expect(summary.StreamDescriptionSummary).toMatchObject({ StreamName: 'clicks', OpenShardCount: 4, ConsumerCount: 0, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    const listed = await kinesis.send(new ListStreamsCommand({}));
    expect(listed.StreamNames).toEqual(['clicks', 'orders']);
    expect(listed.StreamSummaries?.map((s) => s.StreamARN)).toEqual(['arn:aws:kinesis:us-east-1:123456789012:stream/clicks', 'arn:aws:kinesis:us-east-1:123456789012:stream/orders']);
    const consumer = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: StreamDescription!.StreamARN, ConsumerName: 'reader' }));
    expect(consumer.Consumer).toMatchObject({ ConsumerName: 'reader', ConsumerStatus: 'ACTIVE', ConsumerARN: expect.stringMatching(/^arn:aws:kinesis:us-east-1:123456789012:stream\/orders\/consumer\/reader:\d+$/) });
    expect((await kinesis.send(new ListStreamConsumersCommand({ StreamARN: StreamDescription!.StreamARN }))).Consumers?.map((c) => c.ConsumerName)).toEqual(['reader']);
  });

  it('puts one record and a batch, reads them back from TRIM_HORIZON and LATEST, and reports them to onKinesisRecords', async () => {
    reported.length = 0;
    const one = await kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'order-1', Data: Buffer.from('first') }));
    expect(one).toMatchObject({ ShardId: expect.stringMatching(/^shardId-00000000000[01]$/), SequenceNumber: expect.stringMatching(/^\d{56}$/), EncryptionType: 'NONE' });
    const batch = await kinesis.send(
      new PutRecordsCommand({
        StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/orders',
        Records: [
          { PartitionKey: 'order-1', Data: Buffer.from('second') },
          { PartitionKey: 'p', Data: Uint8Array.from([0, 1, 254, 255]), ExplicitHashKey: '0' },
          { PartitionKey: 'p', Data: Buffer.from('last'), ExplicitHashKey: '340282366920938463463374607431768211455' },
        ],
      }),
    );
    expect(batch.FailedRecordCount).toBe(0);
    expect(batch.Records?.map((r) => r.ShardId)).toEqual([one.ShardId, 'shardId-000000000000', 'shardId-000000000001']);

    const records = await readStream(kinesis, 'orders');
    expect(records.map((r) => text(r.Data)).sort()).toEqual(['\u0000\u0001\ufffd\ufffd', 'first', 'last', 'second'].sort());
    const sameKey = records.filter((r) => r.PartitionKey === 'order-1');
    expect(sameKey.map((r) => text(r.Data))).toEqual(['first', 'second']);
    expect(sameKey[0].SequenceNumber).toBe(one.SequenceNumber);
    expect(sameKey[0].ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    expect([...(records.find((r) => r.SequenceNumber === batch.Records![1].SequenceNumber)!.Data ?? [])]).toEqual([0, 1, 254, 255]);

    // One report a put, after the records were stored, with what GetRecords gives.
    expect(reported.map((r) => r.length)).toEqual([1, 3]);
    expect(reported[0][0]).toEqual({
      stream: 'orders',
      shardId: one.ShardId,
      sequenceNumber: one.SequenceNumber,
      partitionKey: 'order-1',
      data: Buffer.from('first').toString('base64'),
      approximateArrivalTimestamp: sameKey[0].ApproximateArrivalTimestamp!.getTime() / 1000,
    });
    expect(reported[1][1]).toMatchObject({ shardId: 'shardId-000000000000', data: 'AAH+/w==' });

    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'orders', ShardId: 'shardId-000000000000', ShardIteratorType: 'LATEST' }));
    const before = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(before.Records).toEqual([]);
    await kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'p', ExplicitHashKey: '1', Data: Buffer.from('after') }));
    const after = await kinesis.send(new GetRecordsCommand({ ShardIterator: before.NextShardIterator }));
    expect(after.Records?.map((r) => text(r.Data))).toEqual(['after']);
    expect(after.MillisBehindLatest).toBe(0);
    const atSeq = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'orders', ShardId: 'shardId-000000000000', ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: batch.Records![1].SequenceNumber }));
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: atSeq.ShardIterator }))).Records?.map((r) => text(r.Data))).toEqual(['after']);
  });

  it('errors come back by their type and name the field', async () => {
    const missing = await errorOf(kinesis.send(new DescribeStreamCommand({ StreamName: 'nope' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', message: 'Stream nope under account 123456789012 not found.', $metadata: { httpStatusCode: 400 } });
    expect(await errorOf(kinesis.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 1 })))).toBeInstanceOf(ResourceInUseException);
    const oversize = await errorOf(kinesis.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'k', Data: new Uint8Array(1024 * 1024 + 1) })));
    expect(oversize).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576/) });
    const badIterator = await errorOf(kinesis.send(new GetRecordsCommand({ ShardIterator: 'bm9wZQ' })));
    expect(badIterator).toBeInstanceOf(InvalidArgumentException);
    const reshard = await errorOf(kinesis.send(new UpdateShardCountCommand({ StreamName: 'orders', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' })));
    expect(reshard).toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('docs/kinesis.md') });
    const raw = await fetch(server.endpoint, { method: 'POST', headers: { 'x-amz-target': 'Kinesis_20131202.DescribeStream', 'content-type': 'application/x-amz-json-1.1' }, body: '{"StreamName":"nope"}' });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await raw.json()).toEqual({ __type: 'ResourceNotFoundException', message: 'Stream nope under account 123456789012 not found.' });
  });

  it('a PutRecords of 5 MiB of data (more than the SQS body cap) is taken, over HTTP/2 and HTTP/1.1', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'big', ShardCount: 1 }));
    const Records = Array.from({ length: 5 }, (_, i) => ({ PartitionKey: `k${i}`, Data: new Uint8Array(1024 * 1024 - 8).fill(i) }));
    expect((await kinesis.send(new PutRecordsCommand({ StreamName: 'big', Records }))).Records).toHaveLength(5);
    const http1 = client(server.endpoint, true);
    try {
      expect((await http1.send(new PutRecordsCommand({ StreamName: 'big', Records }))).Records).toHaveLength(5);
      await http1.send(new PutRecordsCommand({ StreamName: 'big', Records }));
      const { ShardIterator } = await http1.send(new GetShardIteratorCommand({ StreamName: 'big', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
      const read = await http1.send(new GetRecordsCommand({ ShardIterator }));
      // 10 MiB a GetRecords at most: ten of the fifteen records (each just under 1 MiB), the other five next.
      expect(read.Records).toHaveLength(10);
      expect(read.MillisBehindLatest).toBeGreaterThanOrEqual(0);
      expect((await http1.send(new GetRecordsCommand({ ShardIterator: read.NextShardIterator }))).Records?.map((r) => r.PartitionKey)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    } finally {
      http1.destroy();
    }
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'big' }));
  });

  it('SQS keeps answering on the same port', async () => {
    const sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'beside-kinesis' }))).QueueUrl).toContain('/beside-kinesis');
    sqs.destroy();
  });
});

// ---- the body cap ----

function rawPost(endpoint: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
    });
    // The server may answer and close before the whole body is sent.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function http2Post(endpoint: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(endpoint);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': '/', ...headers });
    let status = 0;
    let text = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('close', () => {
      session.close();
      resolve({ status, text });
    });
    stream.on('error', () => {});
    stream.end(body);
  });
}

describe('the Kinesis body cap', () => {
  let server: RunningSqsServer;
  beforeAll(async () => {
    server = await startSqsServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });
  const headers = { 'x-amz-target': 'Kinesis_20131202.PutRecords', 'content-type': 'application/x-amz-json-1.1' };
  const over = KINESIS_MAX_BODY_BYTES + 1024;

  it('refuses a body over 8 MiB, declared, streamed or over HTTP/2, with 413, and goes on serving', async () => {
    const declared = await rawPost(server.endpoint, { ...headers, 'content-length': String(over) }, [Buffer.alloc(over, 32)]);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toEqual({ __type: 'ValidationException', message: expect.stringContaining(`larger than ${KINESIS_MAX_BODY_BYTES} bytes`) });
    const streamed = await rawPost(server.endpoint, headers, Array.from({ length: 9 }, () => Buffer.alloc(1024 * 1024, 32)));
    expect(streamed.status).toBe(413);
    const h2 = await http2Post(server.endpoint, headers, Buffer.alloc(over, 32));
    expect(h2.status).toBe(413);
    const kinesis = client(server.endpoint);
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'after-413', ShardCount: 1 }));
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual(['after-413']);
    } finally {
      kinesis.destroy();
    }
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    const notJson = await rawPost(server.endpoint, headers, [Buffer.from('{nope')]);
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text)).toMatchObject({ __type: 'SerializationException', message: expect.stringContaining('not JSON') });
  });
});

// ---- persistence ----

describe('persistence', () => {
  it('keeps streams and records across a restart on the same folder (streams.json)', async () => {
    const dir = await tempDir();
    let server = await startSqsServer({ port: 0, directory: dir });
    let kinesis = client(server.endpoint);
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'kept', ShardCount: 2 }));
      const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'kept', Records: ['a', 'b', 'c'].map((d, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(d) })) }));
      const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'kept', ShardId: put.Records![0].ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      kinesis.destroy();
      await server.close();
      const snapshot = JSON.parse(await readFile(join(dir, 'streams.json'), 'utf8'));
      expect(snapshot.streams[0].name).toBe('kept');

      server = await startSqsServer({ port: 0, directory: dir });
      kinesis = client(server.endpoint);
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual(['kept']);
      expect((await readStream(kinesis, 'kept')).map((r) => text(r.Data)).sort()).toEqual(['a', 'b', 'c']);
      // An iterator of before the restart still reads.
      const read = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      expect(read.Records?.[0].SequenceNumber).toBe(put.Records![0].SequenceNumber);
      // New records sort after the old ones.
      const next = await kinesis.send(new PutRecordCommand({ StreamName: 'kept', PartitionKey: 'k0', Data: Buffer.from('d') }));
      expect(next.SequenceNumber! > put.Records![0].SequenceNumber!).toBe(true);
    } finally {
      kinesis.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a damaged streams.json stops the start with an error naming the file and the field', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir, 'streams.json'), '{"version": 1, "streams": [');
      const err = await errorOf(startSqsServer({ port: 0, directory: dir }));
      expect(err).toBeInstanceOf(KinesisSnapshotError);
      expect(err.message).toContain(join(dir, 'streams.json'));
      await writeFile(join(dir, 'streams.json'), '{"version": 1, "nextSerial": 2, "streams": [{"name": "s"}]}');
      expect((await errorOf(startSqsServer({ port: 0, directory: dir }))).message).toMatch(/streams\[0\]\.serial/);
      // The folder is free again: moved away, the server starts.
      await rm(join(dir, 'streams.json'));
      const server = await startSqsServer({ port: 0, directory: dir });
      await server.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- boto3 ----

const BOTO3_SCRIPT = `
import boto3, json, sys, datetime
endpoint = sys.argv[1]
c = boto3.client('kinesis', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s')
out = {}
c.create_stream(StreamName='py', ShardCount=1)
out['status'] = c.describe_stream(StreamName='py')['StreamDescription']['StreamStatus']
r = c.put_record(StreamName='py', Data=b'\\x00hello', PartitionKey='k')
out['seq'] = r['SequenceNumber']
c.put_records(StreamName='py', Records=[{'Data': b'two', 'PartitionKey': 'a'}, {'Data': b'three', 'PartitionKey': 'b'}])
it = c.get_shard_iterator(StreamName='py', ShardId='shardId-000000000000', ShardIteratorType='AT_TIMESTAMP', Timestamp=datetime.datetime.now() - datetime.timedelta(minutes=1))['ShardIterator']
got = c.get_records(ShardIterator=it)
out['data'] = [list(x['Data']) for x in got['Records']]
out['first_seq'] = got['Records'][0]['SequenceNumber']
out['arrival'] = isinstance(got['Records'][0]['ApproximateArrivalTimestamp'], datetime.datetime)
try:
    c.describe_stream_summary(StreamName='missing')
except c.exceptions.ResourceNotFoundException as e:
    out['error'] = e.response['Error']['Code']
print(json.dumps(out))
`;

/** Pythons to drive the server with: Debian's (an older boto3) and the one on PATH (often a newer one). */
const PYTHONS = [...new Set([process.env.ESB_BOTO3_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p))].map((python) => {
  const probe = spawnSync(python, ['-c', 'import boto3; print(boto3.__version__)'], { encoding: 'utf8' });
  return { python, version: probe.status === 0 ? probe.stdout.trim() : undefined };
});

describe('boto3', () => {
  for (const { python, version } of PYTHONS) {
    it.skipIf(!version)(`boto3 of ${python} (${version ?? 'not installed'}): create, put, put batch, AT_TIMESTAMP, get, error`, async () => {
      const server = await startSqsServer({ port: 0 });
      try {
        const { stdout } = await promisify(execFile)(python, ['-c', BOTO3_SCRIPT, server.endpoint], { encoding: 'utf8' });
        const out = JSON.parse(stdout);
        expect(out).toMatchObject({ status: 'ACTIVE', data: [[0, ...Buffer.from('hello')], [...Buffer.from('two')], [...Buffer.from('three')]], arrival: true, error: 'ResourceNotFoundException' });
        expect(out.first_seq).toBe(out.seq);
      } finally {
        await server.close();
      }
    });
  }
});

// ---- the embedded storage ----

describe('embedded storage', () => {
  it('passes onKinesisRecords through, and keeps streams under <dataDir>/sqs', async () => {
    const dir = await tempDir();
    const reported: KinesisRecord[] = [];
    const storage = await startEmbeddedStorage({ dataDir: dir, only: 'sqs', onKinesisRecords: (records) => reported.push(...records) });
    try {
      const kinesis = client(storage.sqsEndpoint!);
      await kinesis.send(new CreateStreamCommand({ StreamName: 'embedded', ShardCount: 1 }));
      const put = await kinesis.send(new PutRecordCommand({ StreamName: 'embedded', PartitionKey: 'k', Data: Buffer.from('hi') }));
      expect(reported).toEqual([expect.objectContaining({ stream: 'embedded', sequenceNumber: put.SequenceNumber, data: 'aGk=' })]);
      kinesis.destroy();
      await storage.close();
      expect(JSON.parse(await readFile(join(dir, 'sqs', 'streams.json'), 'utf8')).streams[0].name).toBe('embedded');
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
