// Time to live of the embedded DynamoDB server: real dynalite, real AWS SDK. UpdateTimeToLive and
// DescribeTimeToLive as DynamoDB answers them, expired items deleted (indexes too) with a stream
// record in DynamoDB's service identity, items not expired or without a Number left alone, the
// setting kept across a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DeleteItemCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { StreamRecord } from '@esb/contracts';
import { until } from '@esb/contracts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStorage, type EmbeddedStorage } from './embedded.js';

describe('DynamoDB time to live of the embedded server', () => {
  const records: StreamRecord[] = [];
  let dir: string;
  let storage: EmbeddedStorage;
  let ddb: DynamoDBClient;
  const start = async () => {
    storage = await startEmbeddedStorage({ dataDir: dir, only: 'dynamodb', ttlSweepMs: 100, onStreamRecord: (r) => records.push(r) });
    ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  };
  const stop = async () => {
    ddb.destroy();
    await storage.close();
  };
  const exists = async (id: string) => (await ddb.send(new GetItemCommand({ TableName: 'sessions', Key: { id: { S: id } } }))).Item !== undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-ddb-ttl-'));
    await start();
    await ddb.send(
      new CreateTableCommand({
        TableName: 'sessions',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'user', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [{ IndexName: 'byUser', KeySchema: [{ AttributeName: 'user', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'OLD_IMAGE' },
      }),
    );
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: 'sessions' });
  });
  afterAll(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('UpdateTimeToLive and DescribeTimeToLive answer as DynamoDB does', async () => {
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });
    const set = await ddb.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
    expect(set.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await expect(ddb.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }))).rejects.toThrow('TimeToLive is already enabled');
    await expect(ddb.send(new DescribeTimeToLiveCommand({ TableName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('deletes what expired (and its index entries) with a stream record of DynamoDB itself; leaves the rest', async () => {
    const now = Math.floor(Date.now() / 1000);
    const put = (id: string, expiresAt: { N: string } | { S: string } | undefined) => ddb.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: id }, user: { S: 'ann' }, ...(expiresAt ? { expiresAt } : {}) } }));
    await put('old', { N: String(now - 60) });
    await put('fresh', { N: String(now + 3600) });
    await put('text', { S: String(now - 60) });
    await put('none', undefined);
    await until(async () => !(await exists('old')), 'the expired item deleted');
    expect(await Promise.all(['fresh', 'text', 'none'].map(exists))).toEqual([true, true, true]);
    const byUser = await ddb.send(new QueryCommand({ TableName: 'sessions', IndexName: 'byUser', KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': { S: 'ann' } } }));
    expect(byUser.Items?.map((i) => i.id.S).sort()).toEqual(['fresh', 'none', 'text']);
    const removed = records.filter((r) => r.eventName === 'REMOVE');
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ table: 'sessions', userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' }, dynamodb: { Keys: { id: { S: 'old' } }, OldImage: { id: { S: 'old' } } } });
    // A delete by a caller is the caller's.
    await ddb.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: 'gone' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: 'sessions', Key: { id: { S: 'gone' } } }));
    const last = records.filter((r) => r.eventName === 'REMOVE').at(-1)!;
    expect([last.dynamodb.Keys.id.S, last.userIdentity]).toEqual(['gone', undefined]);
  });

  it('keeps the setting across a restart, and expires what came due meanwhile', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: 'soon' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 1) } } }));
    await stop();
    await new Promise((r) => setTimeout(r, 2100));
    await start();
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    await until(async () => !(await exists('soon')), 'the item that expired while the server was down deleted');
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: false } }));
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });
  });
});
