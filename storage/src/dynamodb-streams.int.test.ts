// DynamoDB streams of the embedded DynamoDB server: real dynalite, real AWS SDK, every write API.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchWriteItemCommand, CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand, UpdateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { StreamRecord } from '@esb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStorage, type EmbeddedStorage } from './embedded.js';

describe('DynamoDB streams of the embedded server', () => {
  const records: StreamRecord[] = [];
  let dir: string;
  let storage: EmbeddedStorage;
  let ddb: DynamoDBClient;
  const table = (TableName: string, view?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES') =>
    ddb.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
        BillingMode: 'PAY_PER_REQUEST',
        ...(view ? { StreamSpecification: { StreamEnabled: true, StreamViewType: view } } : {}),
      }),
    );
  const summary = () => records.map((r) => `${r.table} ${r.eventName} ${r.dynamodb.Keys.pk.S}/${r.dynamodb.Keys.sk.N} old=${JSON.stringify(r.dynamodb.OldImage?.v ?? null)} new=${JSON.stringify(r.dynamodb.NewImage?.v ?? null)}`);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-ddb-streams-'));
    storage = await startEmbeddedStorage({ dataDir: dir, only: 'dynamodb', onStreamRecord: (r) => records.push(r) });
    ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    await Promise.all([table('both', 'NEW_AND_OLD_IMAGES'), table('keys', 'KEYS_ONLY'), table('olds', 'OLD_IMAGE'), table('plain')]);
    // A new table is CREATING until dynalite's timer flips it, even with createTableMs 0.
    for (const TableName of ['both', 'keys', 'olds', 'plain']) await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName });
  });
  afterAll(async () => {
    ddb?.destroy();
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('DescribeTable shows the stream as DynamoDB does; a table without one has none', async () => {
    const both = (await ddb.send(new DescribeTableCommand({ TableName: 'both' }))).Table!;
    expect(both.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(both.LatestStreamArn).toBe(`${both.TableArn}/stream/${both.LatestStreamLabel}`);
    expect(both.LatestStreamLabel).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    const plain = (await ddb.send(new DescribeTableCommand({ TableName: 'plain' }))).Table!;
    expect(plain.StreamSpecification).toBeUndefined();
    expect(plain.LatestStreamArn).toBeUndefined();
  });

  it('every write API gives one record per item changed, in order, with the images the view type asks for', async () => {
    records.length = 0;
    const item = (pk: string, sk: number, v: string) => ({ pk: { S: pk }, sk: { N: String(sk) }, v: { S: v } });
    await ddb.send(new PutItemCommand({ TableName: 'both', Item: item('a', 1, 'one') }));
    await ddb.send(new UpdateItemCommand({ TableName: 'both', Key: { pk: { S: 'a' }, sk: { N: '1' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { S: 'two' } } }));
    await ddb.send(new PutItemCommand({ TableName: 'plain', Item: item('p', 1, 'x') }));
    // Writing what is already there (attributes in another order) changes nothing: no record.
    await ddb.send(new PutItemCommand({ TableName: 'both', Item: { v: { S: 'two' }, sk: { N: '1' }, pk: { S: 'a' } } }));
    // A failed condition writes nothing and reports nothing.
    await expect(ddb.send(new PutItemCommand({ TableName: 'both', Item: item('a', 1, 'three'), ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toThrow(/conditional/i);
    await ddb.send(new DeleteItemCommand({ TableName: 'both', Key: { pk: { S: 'a' }, sk: { N: '1' } } }));
    // Deleting what is not there changes nothing.
    await ddb.send(new DeleteItemCommand({ TableName: 'both', Key: { pk: { S: 'gone' }, sk: { N: '1' } } }));
    await ddb.send(new BatchWriteItemCommand({ RequestItems: { keys: [{ PutRequest: { Item: item('k', 1, 'key') } }], olds: [{ PutRequest: { Item: item('o', 1, 'first') } }] } }));
    await ddb.send(new PutItemCommand({ TableName: 'olds', Item: item('o', 1, 'second') }));
    expect(summary().sort()).toEqual(
      [
        'both INSERT a/1 old=null new={"S":"one"}',
        'both MODIFY a/1 old={"S":"one"} new={"S":"two"}',
        'both REMOVE a/1 old={"S":"two"} new=null',
        'keys INSERT k/1 old=null new=null',
        'olds INSERT o/1 old=null new=null',
        'olds MODIFY o/1 old={"S":"first"} new=null',
      ].sort(),
    );
    const both = records.filter((r) => r.table === 'both');
    expect(both.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const seqs = records.map((r) => BigInt(r.dynamodb.SequenceNumber));
    expect(seqs).toEqual([...seqs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    const described = (await ddb.send(new DescribeTableCommand({ TableName: 'both' }))).Table!;
    expect(both[0]).toMatchObject({ streamArn: described.LatestStreamArn, dynamodb: { StreamViewType: 'NEW_AND_OLD_IMAGES', Keys: { pk: { S: 'a' }, sk: { N: '1' } } } });
    expect(both[0].dynamodb.SizeBytes).toBeGreaterThan(0);
  });
  it('UpdateTable turns a stream off and on (a new label each time); other UpdateTable calls still reach dynalite', async () => {
    const before = (await ddb.send(new DescribeTableCommand({ TableName: 'keys' }))).Table!;
    await ddb.send(new UpdateTableCommand({ TableName: 'keys', StreamSpecification: { StreamEnabled: false } }));
    records.length = 0;
    await ddb.send(new PutItemCommand({ TableName: 'keys', Item: { pk: { S: 'off' }, sk: { N: '1' } } }));
    expect(records).toEqual([]);
    await expect(ddb.send(new UpdateTableCommand({ TableName: 'keys', StreamSpecification: { StreamEnabled: false } }))).rejects.toThrow('Table does not have a stream to disable');
    await new Promise((r) => setTimeout(r, 2));
    const on = await ddb.send(new UpdateTableCommand({ TableName: 'keys', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } }));
    expect(on.TableDescription?.LatestStreamArn).not.toBe(before.LatestStreamArn);
    await ddb.send(new PutItemCommand({ TableName: 'keys', Item: { pk: { S: 'on' }, sk: { N: '1' } } }));
    expect(records.map((r) => [r.table, r.eventName, r.dynamodb.StreamViewType])).toEqual([['keys', 'INSERT', 'NEW_IMAGE']]);
    await expect(ddb.send(new UpdateTableCommand({ TableName: 'missing', StreamSpecification: { StreamEnabled: false } }))).rejects.toThrow(/not found/);
    // A throughput change is dynalite's own, through the request handed on.
    const provisioned = await ddb.send(new UpdateTableCommand({ TableName: 'plain', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 3 } }));
    expect(provisioned.TableDescription?.TableName).toBe('plain');
  });
});
