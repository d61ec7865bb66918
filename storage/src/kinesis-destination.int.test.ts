// A table's Kinesis streaming destination: real dynalite and the real Kinesis API in one embedded
// storage, driven by the AWS SDK as the provisioner and functions drive them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DeleteItemCommand, DescribeKinesisStreamingDestinationCommand, DisableKinesisStreamingDestinationCommand, DynamoDBClient, EnableKinesisStreamingDestinationCommand, PutItemCommand, UpdateItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisStreamArn, type KinesisRecord } from '@esb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStorage, type EmbeddedStorage } from './embedded.js';

describe("a table's Kinesis streaming destination (embedded storage)", () => {
  const reported: KinesisRecord[] = [];
  let dir: string;
  let storage: EmbeddedStorage;
  let ddb: DynamoDBClient;
  let kinesis: KinesisClient;
  const credentials = { accessKeyId: 'k', secretAccessKey: 's' };
  const streamArn = kinesisStreamArn('changes');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-ddb-kinesis-'));
    storage = await startEmbeddedStorage({ dataDir: dir, onKinesisRecords: (r) => reported.push(...r) });
    ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials });
    kinesis = new KinesisClient({ endpoint: storage.sqsEndpoint, region: 'us-east-1', credentials });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'changes', ShardCount: 1 }));
    await ddb.send(new CreateTableCommand({ TableName: 'orders', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: 'orders' });
  });
  afterAll(async () => {
    ddb?.destroy();
    kinesis?.destroy();
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const streamData = async () => {
    const it = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'changes', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it }));
    return (got.Records ?? []).map((r) => ({ key: r.PartitionKey, data: JSON.parse(Buffer.from(r.Data!).toString()) }));
  };
  const until = async <T>(f: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const v = await f();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('puts every change of the table to the stream in order, with both images, once enabled; enabling twice is harmless; disabling stops it', async () => {
    // Before the destination: nothing goes to the stream.
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o0' }, status: { S: 'early' } } }));
    const enabled = await ddb.send(new EnableKinesisStreamingDestinationCommand({ TableName: 'orders', StreamArn: streamArn }));
    expect([enabled.DestinationStatus, enabled.StreamArn]).toEqual(['ACTIVE', streamArn]);
    expect((await ddb.send(new EnableKinesisStreamingDestinationCommand({ TableName: 'orders', StreamArn: streamArn }))).DestinationStatus).toBe('ACTIVE');
    expect((await ddb.send(new DescribeKinesisStreamingDestinationCommand({ TableName: 'orders' }))).KinesisDataStreamDestinations).toEqual([{ StreamArn: streamArn, DestinationStatus: 'ACTIVE' }]);

    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o1' }, status: { S: 'new' } } }));
    await ddb.send(new UpdateItemCommand({ TableName: 'orders', Key: { id: { S: 'o1' } }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'paid' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: 'orders', Key: { id: { S: 'o1' } } }));
    const records = await until(async () => {
      const r = await streamData();
      return r.length >= 3 ? r : undefined;
    });
    expect(records.map((r) => [r.data.eventName, r.data.dynamodb.OldImage?.status?.S ?? null, r.data.dynamodb.NewImage?.status?.S ?? null])).toEqual([
      ['INSERT', null, 'new'],
      ['MODIFY', 'new', 'paid'],
      ['REMOVE', 'paid', null],
    ]);
    expect(records[0].data).toMatchObject({ awsRegion: 'us-east-1', recordFormat: 'application/json', tableName: 'orders', eventSource: 'aws:dynamodb', userIdentity: null, dynamodb: { Keys: { id: { S: 'o1' } }, SizeBytes: expect.any(Number), ApproximateCreationDateTime: expect.any(Number) } });
    expect(new Set(records.map((r) => r.key)).size).toBe(1);
    // The agent hears of them as of any put.
    expect(reported.filter((r) => r.stream === 'changes')).toHaveLength(3);

    expect((await ddb.send(new DisableKinesisStreamingDestinationCommand({ TableName: 'orders', StreamArn: streamArn }))).DestinationStatus).toBe('DISABLED');
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o2' } } }));
    // Changes are put in order: once o3 (written after enabling again) is there, o2 would be too.
    await ddb.send(new EnableKinesisStreamingDestinationCommand({ TableName: 'orders', StreamArn: streamArn }));
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o3' } } }));
    const after = await until(async () => {
      const r = await streamData();
      return r.length > 3 ? r : undefined;
    });
    expect(after.slice(3).map((r) => r.data.dynamodb.Keys.id.S)).toEqual(['o3']);
  });

  it('refuses a destination that is not a Kinesis stream ARN, and a table that does not exist', async () => {
    await expect(ddb.send(new EnableKinesisStreamingDestinationCommand({ TableName: 'orders', StreamArn: 'arn:aws:sqs:us-east-1:123456789012:q' }))).rejects.toThrow(/StreamArn must be a Kinesis data stream's ARN/);
    await expect(ddb.send(new EnableKinesisStreamingDestinationCommand({ TableName: 'nope', StreamArn: streamArn }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
