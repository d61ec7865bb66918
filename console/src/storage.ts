// The Storage page's data: the tables, buckets, queues and Kinesis streams of the DynamoDB-, S3-
// and SQS-compatible servers the functions use, read with the same AWS SDK clients users' code uses.
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Readable } from 'node:stream';

export interface TableSummary {
  name: string;
  itemCount: number;
}

export interface BucketSummary {
  name: string;
  objectCount: number;
}

export interface QueueSummary {
  name: string;
  /** Messages a receive could take now. */
  visible: number;
  /** Received and not yet deleted (within their visibility timeout). */
  inFlight: number;
  delayed: number;
  /** The queue a message moves to after maxReceiveCount receives (its RedrivePolicy). */
  deadLetterQueue?: string;
}

export interface StreamSummary {
  name: string;
  shards: number;
  mode: 'PROVISIONED' | 'ON_DEMAND';
  retentionHours: number;
}

export interface ScanPage {
  items: Record<string, unknown>[];
  /** Key of the last item read, to pass as `after` for the next page. */
  next?: string;
  /** The table's primary key, so a page can offer a query by it. */
  key?: TableKey;
}

export interface KeyAttribute {
  name: string;
  /** DynamoDB scalar type: S, N or B. */
  type: string;
}

export interface TableKey {
  partition: KeyAttribute;
  sort?: KeyAttribute;
}

/** A query by primary key: the partition key's value, and optionally a prefix of the sort key. */
export interface KeyQuery {
  partition: string;
  sortPrefix?: string;
}

/** A query the table cannot take (a value that is not of the key's type); the console answers 400. */
export class StorageQueryError extends Error {
  override name = 'StorageQueryError';
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified?: string;
}

export interface StorageBrowser {
  tables(): Promise<TableSummary[]>;
  scan(table: string, limit: number, after?: string): Promise<ScanPage>;
  /** Items with this partition key (and sort key prefix), in sort key order, a page at a time. */
  query(table: string, key: KeyQuery, limit: number, after?: string): Promise<ScanPage>;
  buckets(): Promise<BucketSummary[]>;
  objects(bucket: string, prefix?: string): Promise<ObjectSummary[]>;
  download(bucket: string, key: string): Promise<{ body: Readable; contentType?: string; contentLength?: number }>;
  queues(): Promise<QueueSummary[]>;
  /** The Kinesis data streams on the SQS port (docs/kinesis.md). */
  streams(): Promise<StreamSummary[]>;
  close(): void;
}

export interface StorageBrowserOptions {
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  sqsEndpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Items counted by scanning (the embedded server's ItemCount is not live); stops counting here. */
export const MAX_COUNTED_ITEMS = 10_000;

export function createStorageBrowser(opts: StorageBrowserOptions): StorageBrowser {
  const credentials = opts.credentials ?? { accessKeyId: 'esb-local', secretAccessKey: 'esb-local' };
  const ddb = opts.dynamodbEndpoint ? new DynamoDBClient({ endpoint: opts.dynamodbEndpoint, region: opts.region, credentials }) : undefined;
  const s3 = opts.s3Endpoint ? new S3Client({ endpoint: opts.s3Endpoint, region: opts.region, credentials, forcePathStyle: true }) : undefined;
  const sqs = opts.sqsEndpoint ? new SQSClient({ endpoint: opts.sqsEndpoint, region: opts.region, credentials }) : undefined;
  const kinesis = opts.sqsEndpoint ? new KinesisClient({ endpoint: opts.sqsEndpoint, region: opts.region, credentials }) : undefined;

  async function countItems(table: string): Promise<number> {
    let count = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb!.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start && count < MAX_COUNTED_ITEMS);
    return count;
  }

  async function countObjects(bucket: string): Promise<number> {
    let count = 0;
    let token: string | undefined;
    do {
      const page = await s3!.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      count += page.KeyCount ?? page.Contents?.length ?? 0;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && count < MAX_COUNTED_ITEMS);
    return count;
  }

  const keys = new Map<string, Promise<TableKey | undefined>>();
  function keyOf(table: string): Promise<TableKey | undefined> {
    let known = keys.get(table);
    if (!known) {
      known = ddb!.send(new DescribeTableCommand({ TableName: table })).then((d) => {
        const types = new Map((d.Table?.AttributeDefinitions ?? []).map((a) => [a.AttributeName!, a.AttributeType ?? 'S']));
        const attr = (kind: 'HASH' | 'RANGE'): KeyAttribute | undefined => {
          const name = d.Table?.KeySchema?.find((k) => k.KeyType === kind)?.AttributeName;
          return name ? { name, type: types.get(name) ?? 'S' } : undefined;
        };
        const partition = attr('HASH');
        const sort = attr('RANGE');
        return partition ? { partition, ...(sort ? { sort } : {}) } : undefined;
      });
      // A table can be deleted and created again with another key: remember it briefly only.
      keys.set(table, known);
      setTimeout(() => keys.delete(table), 5_000).unref();
    }
    return known;
  }

  const page = (items: Record<string, AttributeValue>[] | undefined, last: Record<string, AttributeValue> | undefined, key: TableKey | undefined): ScanPage => ({
    items: (items ?? []).map((item) => unmarshall(item)),
    ...(last ? { next: JSON.stringify(last) } : {}),
    ...(key ? { key } : {}),
  });

  return {
    async tables() {
      if (!ddb) return [];
      const names: string[] = [];
      let start: string | undefined;
      do {
        const page = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
        names.push(...(page.TableNames ?? []));
        start = page.LastEvaluatedTableName;
      } while (start);
      return Promise.all(names.sort().map(async (name) => ({ name, itemCount: await countItems(name) })));
    },
    async scan(table, limit, after) {
      if (!ddb) return { items: [] };
      const [result, key] = await Promise.all([ddb.send(new ScanCommand({ TableName: table, Limit: limit, ExclusiveStartKey: startKey(after) })), keyOf(table)]);
      return page(result.Items, result.LastEvaluatedKey, key);
    },
    async query(table, query, limit, after) {
      if (!ddb) return { items: [] };
      const key = await keyOf(table);
      if (!key) throw new StorageQueryError(`table ${table} has no partition key`);
      const names: Record<string, string> = { '#p': key.partition.name };
      const values: Record<string, AttributeValue> = { ':p': attributeValue(key.partition, query.partition) };
      let condition = '#p = :p';
      if (query.sortPrefix) {
        if (!key.sort) throw new StorageQueryError(`table ${table} has no sort key`);
        if (key.sort.type === 'N') throw new StorageQueryError(`sort key ${key.sort.name} is a number: a prefix applies to strings and binary only`);
        names['#s'] = key.sort.name;
        values[':s'] = attributeValue(key.sort, query.sortPrefix);
        condition += ' AND begins_with(#s, :s)';
      }
      const result = await ddb.send(
        new QueryCommand({ TableName: table, KeyConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values, Limit: limit, ExclusiveStartKey: startKey(after) }),
      );
      return page(result.Items, result.LastEvaluatedKey, key);
    },
    async buckets() {
      if (!s3) return [];
      const page = await s3.send(new ListBucketsCommand({}));
      const names = (page.Buckets ?? []).map((b) => b.Name!).filter(Boolean).sort();
      return Promise.all(names.map(async (name) => ({ name, objectCount: await countObjects(name) })));
    },
    async objects(bucket, prefix) {
      if (!s3) return [];
      const out: ObjectSummary[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified?.toISOString() });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && out.length < MAX_COUNTED_ITEMS);
      return out;
    },
    async download(bucket, key) {
      if (!s3) throw new Error('no S3 endpoint');
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: res.Body as Readable, contentType: res.ContentType, contentLength: res.ContentLength };
    },
    async queues() {
      if (!sqs) return [];
      const urls: string[] = [];
      let token: string | undefined;
      do {
        const page = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: token }));
        urls.push(...(page.QueueUrls ?? []));
        token = page.NextToken;
      } while (token && urls.length < MAX_COUNTED_ITEMS);
      const summaries = await Promise.all(urls.map((url) => queueSummary(sqs, url)));
      return summaries.sort((a, b) => a.name.localeCompare(b.name));
    },
    async streams() {
      if (!kinesis) return [];
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await kinesis.send(new ListStreamsCommand(token ? { NextToken: token } : {}));
        names.push(...(page.StreamNames ?? []));
        token = page.HasMoreStreams ? page.NextToken : undefined;
      } while (token);
      const summaries = await Promise.all(
        names.map(async (name) => {
          const d = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
          return { name, shards: d?.OpenShardCount ?? 0, mode: d?.StreamModeDetails?.StreamMode ?? 'PROVISIONED', retentionHours: d?.RetentionPeriodHours ?? 24 };
        }),
      );
      return summaries.sort((a, b) => a.name.localeCompare(b.name));
    },
    close() {
      ddb?.destroy();
      s3?.destroy();
      sqs?.destroy();
      kinesis?.destroy();
    },
  };
}

async function queueSummary(sqs: SQSClient, url: string): Promise<QueueSummary> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  const summary: QueueSummary = {
    name: url.slice(url.lastIndexOf('/') + 1),
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
  try {
    const target = a.RedrivePolicy ? (JSON.parse(a.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
    if (target) summary.deadLetterQueue = target.slice(target.lastIndexOf(':') + 1);
  } catch {
    /* a policy that is not JSON: no dead-letter queue to show */
  }
  return summary;
}

function startKey(after: string | undefined): Record<string, AttributeValue> | undefined {
  if (!after) return undefined;
  try {
    return JSON.parse(after) as Record<string, AttributeValue>;
  } catch {
    throw new StorageQueryError('"after" is not a key from a previous page');
  }
}

/** The typed value of a key attribute from what the user typed (binary keys as base64). */
function attributeValue(attr: KeyAttribute, text: string): AttributeValue {
  if (attr.type === 'N') {
    if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text.trim())) throw new StorageQueryError(`${attr.name} is a number key: "${text}" is not a number`);
    return { N: text.trim() };
  }
  if (attr.type === 'B') return { B: Buffer.from(text, 'base64') };
  return { S: text };
}
