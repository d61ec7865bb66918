// The Firehose API over real HTTP on the SQS server's port: client-firehose v3 (AWS JSON 1.1)
// calls reach onApiCall.firehose as {action, input}, and its answers come back as the SDK
// expects them: fields, errors by their type. A PutRecordBatch of 4 MiB fits the port's limit.
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiAnswer, ApiCall } from '@esb/contracts';
import { startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'k', secretAccessKey: 's' };

describe('the Firehose API on the SQS port', () => {
  let server: RunningSqsServer;
  let bare: RunningSqsServer;
  const calls: ApiCall[] = [];

  beforeAll(async () => {
    server = await startSqsServer({
      port: 0,
      onApiCall: {
        firehose: async (call): Promise<ApiAnswer> => {
          calls.push(call);
          const input = call.input as { DeliveryStreamName?: string; Records?: Array<{ Data: string }> };
          if (input.DeliveryStreamName !== 'hose') return { status: 400, body: { __type: 'ResourceNotFoundException', message: `Firehose ${input.DeliveryStreamName} under account 123456789012 not found.` } };
          if (call.action === 'PutRecord') return { status: 200, body: { RecordId: '1'.padStart(56, '0'), Encrypted: false } };
          if (call.action === 'PutRecordBatch') return { status: 200, body: { FailedPutCount: 0, Encrypted: false, RequestResponses: input.Records!.map((_, i) => ({ RecordId: String(i + 1).padStart(56, '0') })) } };
          return { status: 200, body: { DeliveryStreamDescription: { DeliveryStreamName: 'hose', DeliveryStreamARN: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/hose', DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut', VersionId: '1', CreateTimestamp: 1_765_000_000, Destinations: [], HasMoreDestinations: false } } };
        },
      },
    });
    bare = await startSqsServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await bare?.close();
  });

  it('hands each call to the agent and gives its answer back, data as base64 on the way', async () => {
    const firehose = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const one = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'hose', Record: { Data: Buffer.from('{"a":1}') } }));
    expect(one.RecordId).toBe('1'.padStart(56, '0'));
    expect(calls[0]).toEqual({ action: 'PutRecord', input: { DeliveryStreamName: 'hose', Record: { Data: Buffer.from('{"a":1}').toString('base64') } } });
    // 4 MiB of data is about 5.6 MiB of JSON: more than the port's usual 2 MiB.
    const big = Buffer.alloc(1000 * 1024, 'x');
    const batch = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'hose', Records: [big, big, big, big].map((Data) => ({ Data })) }));
    expect([batch.FailedPutCount, batch.RequestResponses?.length]).toEqual([0, 4]);
    const described = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'hose' }));
    expect(described.DeliveryStreamDescription).toMatchObject({ DeliveryStreamName: 'hose', DeliveryStreamStatus: 'ACTIVE', CreateTimestamp: new Date(1_765_000_000_000) });
    await expect(firehose.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'Firehose nope under account 123456789012 not found.' });
  });

  it('says so when no agent answers the Firehose API', async () => {
    const firehose = new FirehoseClient({ endpoint: bare.endpoint, region: 'us-east-1', credentials });
    await expect(firehose.send(new PutRecordCommand({ DeliveryStreamName: 'hose', Record: { Data: Buffer.from('x') } }))).rejects.toMatchObject({ name: 'UnknownOperationException', message: expect.stringContaining('--firehose-url') });
  });
});
