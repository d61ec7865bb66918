// The Storage page's reads against the real embedded DynamoDB and SQS servers: a scan reports the
// table's key, a query by partition key (and sort key prefix) returns only those items, a value
// that does not fit the key is refused by name, queues show their message counts, Kinesis
// streams their shards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@esb/contracts';
import { startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorageBrowser, StorageQueryError, type StorageBrowser } from '@esb/console';

describe('storage browser queries', () => {
  let dir: string;
  let storage: EmbeddedStorage;
  let queues: EmbeddedStorage;
  let browser: StorageBrowser;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-console-storage-'));
    storage = await startEmbeddedStorage({ dataDir: dir, dynamodbPort: 0, only: 'dynamodb', createTableMs: 0 });
    const ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint!, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'orders',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'customer', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'customer', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
    await ddb.send(
      new CreateTableCommand({ TableName: 'counters', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'n', AttributeType: 'N' }], KeySchema: [{ AttributeName: 'n', KeyType: 'HASH' }] }),
    );
    for (const [customer, sk] of [['ann', 'order#1'], ['ann', 'order#2'], ['ann', 'profile'], ['bob', 'order#1']]) {
      await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { customer: { S: customer }, sk: { S: sk } } }));
    }
    await ddb.send(new PutItemCommand({ TableName: 'counters', Item: { n: { N: '7' }, label: { S: 'seven' } } }));
    ddb.destroy();
    queues = await startEmbeddedStorage({ dataDir: path.join(dir, 'sqs'), sqsPort: 0, only: 'sqs' });
    browser = createStorageBrowser({ dynamodbEndpoint: storage.dynamodbEndpoint, sqsEndpoint: queues.sqsEndpoint, region: LOCAL_REGION });
  }, 60_000);

  afterAll(async () => {
    browser?.close();
    await storage?.close();
    await queues?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a scan names the key; a query returns one partition in sort key order, narrowed by a prefix, a page at a time', async () => {
    const scan = await browser.scan('orders', 50);
    expect(scan.items).toHaveLength(4);
    expect(scan.key).toEqual({ partition: { name: 'customer', type: 'S' }, sort: { name: 'sk', type: 'S' } });
    expect((await browser.query('orders', { partition: 'ann' }, 50)).items.map((i) => i.sk)).toEqual(['order#1', 'order#2', 'profile']);
    expect((await browser.query('orders', { partition: 'ann', sortPrefix: 'order#' }, 50)).items.map((i) => i.sk)).toEqual(['order#1', 'order#2']);
    const first = await browser.query('orders', { partition: 'ann' }, 2);
    expect(first.items.map((i) => i.sk)).toEqual(['order#1', 'order#2']);
    const second = await browser.query('orders', { partition: 'ann' }, 2, first.next);
    expect(second.items.map((i) => i.sk)).toEqual(['profile']);
    expect((await browser.query('orders', { partition: 'carol' }, 50)).items).toEqual([]);
  });

  it('lists queues with their visible, in-flight and delayed messages and their dead-letter queue', async () => {
    expect(await browser.queues()).toEqual([]);
    const sqs = new SQSClient({ endpoint: queues.sqsEndpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }));
      const jobs = (
        await sqs.send(new CreateQueueCommand({ QueueName: 'jobs', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:jobs-dlq', maxReceiveCount: 3 }) } }))
      ).QueueUrl!;
      for (const body of ['a', 'b', 'c']) await sqs.send(new SendMessageCommand({ QueueUrl: jobs, MessageBody: body }));
      await sqs.send(new SendMessageCommand({ QueueUrl: jobs, MessageBody: 'later', DelaySeconds: 600 }));
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: jobs, MaxNumberOfMessages: 1, VisibilityTimeout: 600 }));
      expect(await browser.queues()).toEqual([
        { name: 'jobs', visible: 2, inFlight: 1, delayed: 1, deadLetterQueue: 'jobs-dlq' },
        { name: 'jobs-dlq', visible: 0, inFlight: 0, delayed: 0 },
      ]);
    } finally {
      sqs.destroy();
    }
  });

  it('lists Kinesis streams with their shards, mode and retention', async () => {
    expect(await browser.streams()).toEqual([]);
    const kinesis = new KinesisClient({ endpoint: queues.sqsEndpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'orders', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
      await kinesis.send(new CreateStreamCommand({ StreamName: 'clicks', ShardCount: 2 }));
      expect(await browser.streams()).toEqual([
        { name: 'clicks', shards: 2, mode: 'PROVISIONED', retentionHours: 24 },
        { name: 'orders', shards: 4, mode: 'ON_DEMAND', retentionHours: 24 },
      ]);
    } finally {
      kinesis.destroy();
    }
  });

  it('number keys take numbers; a value or prefix the key cannot take is refused with the reason', async () => {
    expect((await browser.query('counters', { partition: '7' }, 50)).items).toEqual([{ n: 7, label: 'seven' }]);
    await expect(browser.query('counters', { partition: 'seven' }, 50)).rejects.toThrow(new StorageQueryError('n is a number key: "seven" is not a number'));
    await expect(browser.query('counters', { partition: '7', sortPrefix: 'x' }, 50)).rejects.toThrow(/counters has no sort key/);
    await expect(browser.scan('orders', 50, 'not json')).rejects.toThrow(/"after" is not a key from a previous page/);
  });
});
