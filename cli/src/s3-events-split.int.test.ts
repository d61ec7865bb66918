// S3 events and DynamoDB stream records when storage and agent are separate services (compose,
// kind): `esb storage --events-url` posts each object event to the agent's /events/s3, and
// `--streams-url` each stream record to /events/dynamodb, which hand them to the agent
// (docs/agent.md, "S3 events", "DynamoDB streams"). Real S3 and DynamoDB servers, real HTTP,
// an agent that records what it got.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectsCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createAgentHttpServer } from '@esb/agent';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { freePort, type ObjectEvent, type StreamRecord } from '@esb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageFromArgs } from './commands/storage.js';

describe('S3 events between separate storage and agent services', () => {
  const delivered: ObjectEvent[] = [];
  const streamed: StreamRecord[] = [];
  let dir: string;
  let agentServer: Awaited<ReturnType<typeof createAgentHttpServer>>;
  let storage: Awaited<ReturnType<typeof startStorageFromArgs>>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-s3-events-'));
    agentServer = await createAgentHttpServer({
      agent: {
        has: () => false,
        invoke: async () => ({ requestId: 'x', durationMs: 0, payload: Buffer.from('null') }),
        deliverObjectEvent: (e) => delivered.push(e),
        deliverStreamRecord: (r) => streamed.push(r),
      },
    });
    storage = await startStorageFromArgs({
      dataDir: dir,
      host: '127.0.0.1',
      dynamodbPort: 0,
      s3Port: 0,
      only: undefined,
      createTableMs: 0,
      eventsUrl: `${agentServer.url}/events/s3`,
      streamsUrl: `${agentServer.url}/events/dynamodb`,
    });
  });
  afterAll(async () => {
    await storage?.close();
    await agentServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers each object created or deleted, as the agent needs it', async () => {
    const s3 = new S3Client({ endpoint: storage.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'in/cat 1.jpg', Body: 'meow' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'in/cat 1.jpg' }));
    for (let i = 0; i < 100 && delivered.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const byName = Object.fromEntries(delivered.map((e) => [e.eventName, e]));
    expect(byName['ObjectCreated:Put']).toMatchObject({ bucket: 'photos', key: 'in/cat 1.jpg', size: 4, sourceIp: '127.0.0.1' });
    expect(byName['ObjectRemoved:Delete']).toMatchObject({ bucket: 'photos', key: 'in/cat 1.jpg' });
    expect(delivered).toHaveLength(2);
    s3.destroy();
  });

  it('names a completed multipart upload CompleteMultipartUpload, and reports each object a DeleteObjects call removed', async () => {
    delivered.length = 0;
    const s3 = new S3Client({ endpoint: storage.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'videos' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'videos', Key: 'big.mp4' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'videos', Key: 'big.mp4', UploadId, PartNumber: 1, Body: 'frames' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'videos', Key: 'big.mp4', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    await s3.send(new PutObjectCommand({ Bucket: 'videos', Key: 'small.mp4', Body: 'f' }));
    // One of the three keys does not exist: nothing is removed, nothing reported for it.
    await s3.send(new DeleteObjectsCommand({ Bucket: 'videos', Delete: { Objects: [{ Key: 'big.mp4' }, { Key: 'small.mp4' }, { Key: 'never.mp4' }] } }));
    for (let i = 0; i < 100 && delivered.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    expect(delivered.map((e) => `${e.eventName} ${e.key}`).sort()).toEqual([
      'ObjectCreated:CompleteMultipartUpload big.mp4',
      'ObjectCreated:Put small.mp4',
      'ObjectRemoved:Delete big.mp4',
      'ObjectRemoved:Delete small.mp4',
    ]);
    expect(delivered.find((e) => e.eventName === 'ObjectCreated:CompleteMultipartUpload')).toMatchObject({ bucket: 'videos', size: 6 });
    expect(delivered.find((e) => e.eventName === 'ObjectRemoved:Delete')).toMatchObject({ bucket: 'videos', sourceIp: '127.0.0.1' });
    s3.destroy();
  });

  it('delivers the change records of a table whose stream is on, as the agent needs them', async () => {
    const ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'orders',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
    // A new table is CREATING until dynalite's timer flips it, even with createTableMs 0.
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: 'orders' });
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o-1' }, total: { N: '12' } } }));
    for (let i = 0; i < 100 && streamed.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(streamed).toHaveLength(1);
    expect(streamed[0]).toMatchObject({ table: 'orders', eventName: 'INSERT', dynamodb: { Keys: { id: { S: 'o-1' } }, NewImage: { id: { S: 'o-1' }, total: { N: '12' } }, StreamViewType: 'NEW_IMAGE' } });
    ddb.destroy();
  });

  it('refuses a body that is not an object event or a stream record', async () => {
    const record = await fetch(`${agentServer.url}/events/dynamodb`, { method: 'POST', body: '{"table": "orders", "eventName": "INSERT"}' });
    expect(record.status).toBe(400);
    const r = await fetch(`${agentServer.url}/events/s3`, { method: 'POST', body: '{"bucket": 1}' });
    expect(r.status).toBe(400);
    const big = await fetch(`${agentServer.url}/events/s3`, { method: 'POST', body: 'x'.repeat(2_000_000) });
    expect(big.status).toBe(413);
  });
});

describe('deliveries to an agent that is not there yet', () => {
  it('keeps the events while nothing answers and delivers them, in order, once the agent listens', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'esb-late-agent-'));
    const port = await freePort();
    const storage = await startStorageFromArgs({ dataDir: dir, host: '127.0.0.1', dynamodbPort: 0, s3Port: 0, only: 's3', createTableMs: 0, eventsUrl: `http://127.0.0.1:${port}/events/s3` });
    const delivered: ObjectEvent[] = [];
    let agentServer: Awaited<ReturnType<typeof createAgentHttpServer>> | undefined;
    const s3 = new S3Client({ endpoint: storage.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'early' }));
      for (const key of ['a.txt', 'b.txt', 'c.txt']) await s3.send(new PutObjectCommand({ Bucket: 'early', Key: key, Body: key }));
      // The agent starts only now, on the port the storage was told.
      agentServer = await createAgentHttpServer({ host: '127.0.0.1', port, agent: { has: () => false, invoke: async () => ({ requestId: 'x', durationMs: 0, payload: Buffer.from('null') }), deliverObjectEvent: (e) => delivered.push(e) } });
      for (let i = 0; i < 200 && delivered.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
      expect(delivered.map((e) => `${e.eventName} ${e.key}`)).toEqual(['ObjectCreated:Put a.txt', 'ObjectCreated:Put b.txt', 'ObjectCreated:Put c.txt']);
    } finally {
      s3.destroy();
      await storage.close();
      await agentServer?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
