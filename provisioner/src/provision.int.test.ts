// Kinesis streams of resources.yml against the storage's SQS server, which serves the Kinesis API
// on its port (docs/kinesis.md). Tables, buckets and queues: cli/src/commands/provision.int.test.ts.
import { DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourcesFile } from '@esb/contracts';
import { startSqsServer, type RunningSqsServer } from '@esb/storage';
import { ProvisionError, provision, type ProvisionOptions } from './index.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function recorder() {
  const lines = { info: [] as string[], warn: [] as string[] };
  return { lines, log: { info: (m: string) => lines.info.push(m), warn: (m: string) => lines.warn.push(m) } };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('provision: Kinesis streams on the storage\'s SQS port', () => {
  let server: RunningSqsServer;
  let kinesis: KinesisClient;
  let opts: ProvisionOptions;

  const streams = (clicks: { ShardCount?: number; RetentionPeriodHours?: number } = { ShardCount: 2, RetentionPeriodHours: 48 }): ResourcesFile => ({
    resources: {
      kinesis: [{ Name: 'clicks', ...clicks }, { Name: 'orders', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }, { Name: 'plain' }],
    },
  });
  const summary = async (name: string) => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;

  beforeAll(async () => {
    server = await startSqsServer({ port: 0 });
    kinesis = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    opts = { sqsEndpoint: server.endpoint, credentials, retry: { attempts: 3, baseDelayMs: 10 } };
  });
  afterAll(async () => {
    kinesis?.destroy();
    await server?.close();
  });

  it('creates streams (ShardCount, else ON_DEMAND with 4 shards) with their retention', async () => {
    const { log, lines } = recorder();
    const report = await provision(streams(), { ...opts, log });
    expect(report.streams).toEqual([
      { name: 'clicks', status: 'created' },
      { name: 'orders', status: 'created' },
      { name: 'plain', status: 'created' },
    ]);
    expect(report.warnings).toEqual([]);
    expect(lines.info).toContain('created stream "clicks"');
    expect(lines.info).toContain('set the retention of stream "clicks" to 48 hours');
    expect(lines.info.at(-1)).toMatch(/provisioned 0 table\(s\), 0 bucket\(s\), 0 queue\(s\), 3 stream\(s\), 0 secret\(s\) and 0 parameter\(s\): 3 created, 0 already there/);

    expect(await summary('clicks')).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: 2, RetentionPeriodHours: 48, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    expect(await summary('orders')).toMatchObject({ OpenShardCount: 4, RetentionPeriodHours: 24, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    expect(await summary('plain')).toMatchObject({ OpenShardCount: 4, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
  });

  it('a second run changes nothing: the records put stay', async () => {
    const put = await kinesis.send(new PutRecordCommand({ StreamName: 'clicks', PartitionKey: 'k', Data: new TextEncoder().encode('kept') }));
    const report = await provision(streams(), opts);
    expect(report.streams.map((s) => s.status)).toEqual(['exists', 'exists', 'exists']);
    expect(report.warnings).toEqual([]);
    const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'clicks', ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const records = (await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
    expect(records.map((r) => new TextDecoder().decode(r.Data))).toEqual(['kept']);
  });

  it('a changed retention is set (longer or shorter); a changed ShardCount is a warning and left as it is', async () => {
    const longer = await provision(streams({ ShardCount: 2, RetentionPeriodHours: 72 }), opts);
    expect(longer.streams.find((s) => s.name === 'clicks')).toEqual({ name: 'clicks', status: 'updated' });
    expect((await summary('clicks')).RetentionPeriodHours).toBe(72);
    const shorter = await provision(streams({ ShardCount: 3, RetentionPeriodHours: 24 }), opts);
    expect(shorter.streams.find((s) => s.name === 'clicks')).toEqual({ name: 'clicks', status: 'updated' });
    expect(shorter.warnings).toEqual([expect.stringMatching(/^stream "clicks" exists at http:\/\/127\.0\.0\.1:\d+ with 2 open shard\(s\) but resources\.yml declares ShardCount 3: left as it is \(esb does not reshard\)$/)]);
    expect(await summary('clicks')).toMatchObject({ OpenShardCount: 2, RetentionPeriodHours: 24 });
  });

  it('streams alone are something to provision; an unreachable endpoint is a ProvisionError naming the stream and the endpoint', async () => {
    const { log, lines } = recorder();
    await provision({ resources: { kinesis: [{ Name: 'alone' }] } }, { ...opts, log });
    expect(lines.warn).toEqual([]);

    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const err = await provision({ resources: { kinesis: [{ Name: 'nowhere' }] } }, { sqsEndpoint: endpoint, credentials, retry: { attempts: 2, baseDelayMs: 5 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as Error).message).toMatch(new RegExp(`stream "nowhere" at ${endpoint}: .*after 2 attempts`));
  });
});
