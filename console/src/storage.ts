// The Storage page's data: the tables and buckets of the DynamoDB- and S3-compatible servers
// the functions use, read with the same AWS SDK clients users' code uses.
import { DynamoDBClient, ListTablesCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
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

export interface ScanPage {
  items: Record<string, unknown>[];
  /** Key of the last item read, to pass as `after` for the next page. */
  next?: string;
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified?: string;
}

export interface StorageBrowser {
  tables(): Promise<TableSummary[]>;
  scan(table: string, limit: number, after?: string): Promise<ScanPage>;
  buckets(): Promise<BucketSummary[]>;
  objects(bucket: string, prefix?: string): Promise<ObjectSummary[]>;
  download(bucket: string, key: string): Promise<{ body: Readable; contentType?: string; contentLength?: number }>;
  close(): void;
}

export interface StorageBrowserOptions {
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Items counted by scanning (the embedded server's ItemCount is not live); stops counting here. */
export const MAX_COUNTED_ITEMS = 10_000;

export function createStorageBrowser(opts: StorageBrowserOptions): StorageBrowser {
  const credentials = opts.credentials ?? { accessKeyId: 'esb-local', secretAccessKey: 'esb-local' };
  const ddb = opts.dynamodbEndpoint ? new DynamoDBClient({ endpoint: opts.dynamodbEndpoint, region: opts.region, credentials }) : undefined;
  const s3 = opts.s3Endpoint ? new S3Client({ endpoint: opts.s3Endpoint, region: opts.region, credentials, forcePathStyle: true }) : undefined;

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
      const page = await ddb.send(
        new ScanCommand({ TableName: table, Limit: limit, ExclusiveStartKey: after ? (JSON.parse(after) as Record<string, AttributeValue>) : undefined }),
      );
      return {
        items: (page.Items ?? []).map((item) => unmarshall(item)),
        next: page.LastEvaluatedKey ? JSON.stringify(page.LastEvaluatedKey) : undefined,
      };
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
    close() {
      ddb?.destroy();
      s3?.destroy();
    },
  };
}
