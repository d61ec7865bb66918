// Against the real embedded servers (dynalite + s3rver with esb's fixes).
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketLifecycleConfigurationCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.js';
import type { ResourcesFile } from '@esb/contracts';
import { runProvision } from './provision.js';
import { ProvisionError, provision, type ProvisionOptions } from '@esb/provisioner';
import { loadSettings } from '../settings.js';
import { startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const resources = (): ResourcesFile => ({
  resources: {
    dynamodb: [
      {
        TableName: 'orders',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
          { AttributeName: 'total', AttributeType: 'N' },
        ],
        BillingMode: 'PROVISIONED',
        GlobalSecondaryIndexes: [{ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        LocalSecondaryIndexes: [
          {
            IndexName: 'byTotal',
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'total', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
      { TableName: 'users', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] },
    ],
    s3: [
      { BucketName: 'uploads', LifecycleConfiguration: { Rules: [{ Id: 'tmp', Status: 'Enabled', Prefix: 'tmp/', ExpirationInDays: 3 }] } },
      { BucketName: 'assets' },
    ],
  },
});

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

describe('provision against the embedded servers', () => {
  let dir: string;
  let storage: EmbeddedStorage;
  let opts: ProvisionOptions;
  let ddb: DynamoDBClient;
  let s3: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-provision-'));
    storage = await startEmbeddedStorage({ dataDir: join(dir, 'data') });
    opts = { dynamodbEndpoint: storage.dynamodbEndpoint, s3Endpoint: storage.s3Endpoint, credentials, retry: { attempts: 3, baseDelayMs: 10 } };
    ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials });
    s3 = new S3Client({ endpoint: storage.s3Endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  });
  afterAll(async () => {
    ddb?.destroy();
    s3?.destroy();
    await storage?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates tables (key schema, GSI, LSI, throughput 1/1, stream) and buckets with their lifecycle', async () => {
    const { log, lines } = recorder();
    const report = await provision(resources(), { ...opts, log });
    expect(report.tables).toEqual([
      { name: 'orders', status: 'created' },
      { name: 'users', status: 'created' },
    ]);
    expect(report.buckets).toEqual([
      { name: 'assets', status: 'created', lifecycle: 'none' },
      { name: 'uploads', status: 'created', lifecycle: 'applied' },
    ]);
    expect(report.warnings).toEqual([]);
    expect(lines.info).toContain('created table "orders"');

    const orders = (await ddb.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!;
    expect(orders.TableStatus).toBe('ACTIVE');
    expect(orders.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(orders.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 1, WriteCapacityUnits: 1 });
    expect(orders.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.KeySchema?.[0].AttributeName, g.Projection?.ProjectionType])).toEqual([['byStatus', 'status', 'ALL']]);
    expect(orders.LocalSecondaryIndexes?.map((l) => [l.IndexName, l.KeySchema?.[1].AttributeName, l.Projection?.ProjectionType])).toEqual([['byTotal', 'total', 'KEYS_ONLY']]);
    // The embedded server keeps the stream (docs/agent.md, "DynamoDB streams").
    expect(orders.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(orders.LatestStreamArn).toMatch(/:table\/orders\/stream\//);
    const users = (await ddb.send(new DescribeTableCommand({ TableName: 'users' }))).Table!;
    expect(users.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'uploads' }));
    expect(lifecycle.Rules).toEqual([{ ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 3 } }]);
  });

  it('a second run is a success that changes nothing', async () => {
    const before = (await ddb.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!;
    const report = await provision(resources(), opts);
    expect(report.tables.map((t) => t.status)).toEqual(['exists', 'exists']);
    expect(report.buckets).toEqual([
      { name: 'assets', status: 'exists', lifecycle: 'none' },
      { name: 'uploads', status: 'exists', lifecycle: 'unchanged' },
    ]);
    expect(report.warnings).toEqual([]);
    const after = (await ddb.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!;
    expect(after.CreationDateTime).toEqual(before.CreationDateTime);
  });

  it('a changed lifecycle rule is applied to an existing bucket', async () => {
    const changed = resources();
    changed.resources.s3![0].LifecycleConfiguration!.Rules[0].ExpirationInDays = 9;
    const report = await provision(changed, opts);
    expect(report.buckets.find((b) => b.name === 'uploads')).toEqual({ name: 'uploads', status: 'exists', lifecycle: 'applied' });
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'uploads' }));
    expect(lifecycle.Rules?.[0].Expiration?.Days).toBe(9);
  });

  it('turns on the stream of an existing table that has none when the declaration asks for one; a different view type is a warning', async () => {
    const declared = (view: 'NEW_IMAGE' | 'KEYS_ONLY'): ResourcesFile => ({
      resources: { dynamodb: [{ TableName: 'events', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], StreamSpecification: { StreamViewType: view } }] },
    });
    await provision({ resources: { dynamodb: [{ ...declared('NEW_IMAGE').resources.dynamodb![0], StreamSpecification: undefined }] } }, opts);
    expect((await ddb.send(new DescribeTableCommand({ TableName: 'events' }))).Table!.StreamSpecification).toBeUndefined();
    const { log, lines } = recorder();
    const report = await provision(declared('NEW_IMAGE'), { ...opts, log });
    expect(report.tables).toEqual([{ name: 'events', status: 'exists' }]);
    expect(lines.info).toContain('turned on the stream of table "events" (NEW_IMAGE)');
    const events = (await ddb.send(new DescribeTableCommand({ TableName: 'events' }))).Table!;
    expect(events.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(events.LatestStreamArn).toMatch(/:table\/events\/stream\//);
    const again = recorder();
    await provision(declared('KEYS_ONLY'), { ...opts, log: again.log });
    expect(again.lines.warn).toEqual([expect.stringContaining('table "events" has a NEW_IMAGE stream but resources.yml declares KEYS_ONLY: left as it is')]);
  });

  it("sets a table's time to live as declared: on, then to another attribute (off and on again), a second run leaving it", async () => {
    const declared = (AttributeName: string): ResourcesFile => ({
      resources: { dynamodb: [{ TableName: 'sessions', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], TimeToLiveSpecification: { AttributeName, Enabled: true } }] },
    });
    const ttl = async () => (await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription;
    const first = recorder();
    await provision(declared('expiresAt'), { ...opts, log: first.log });
    expect(first.lines.info).toContain('turned on time to live (expiresAt) of table "sessions"');
    expect(await ttl()).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const again = recorder();
    await provision(declared('expiresAt'), { ...opts, log: again.log });
    expect(again.lines.info.filter((l) => l.includes('time to live'))).toEqual([]);
    await provision(declared('ttl'), opts);
    expect(await ttl()).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });

  it('an existing table with another key schema: a warning naming both, the table left alone', async () => {
    const changed: ResourcesFile = {
      resources: { dynamodb: [{ TableName: 'users', KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'email', AttributeType: 'S' }] }] },
    };
    const { log, lines } = recorder();
    const report = await provision(changed, { ...opts, log });
    expect(report.tables).toEqual([{ name: 'users', status: 'key-schema-mismatch' }]);
    expect(lines.warn).toHaveLength(1);
    expect(lines.warn[0]).toContain('table "users"');
    expect(lines.warn[0]).toContain('[id HASH]');
    expect(lines.warn[0]).toContain('[email HASH]');
    const users = (await ddb.send(new DescribeTableCommand({ TableName: 'users' }))).Table!;
    expect(users.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
  });

  it('function-style round trip with the endpoints as AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3', async () => {
    const env = { AWS_ENDPOINT_URL_DYNAMODB: storage.dynamodbEndpoint, AWS_ENDPOINT_URL_S3: storage.s3Endpoint, AWS_REGION: 'us-east-1' };
    const settings = loadSettings(env);
    expect(settings.endpoints.dynamodb).toBe(storage.dynamodbEndpoint);
    // A function's SDK clients: built with no endpoint, the SDK reads it from the environment.
    const saved = { ...process.env };
    Object.assign(process.env, env, { AWS_ACCESS_KEY_ID: 'fn', AWS_SECRET_ACCESS_KEY: 'fn' });
    let fnDdb: DynamoDBClient | undefined;
    let fnS3: S3Client | undefined;
    try {
      fnDdb = new DynamoDBClient({});
      fnS3 = new S3Client({ forcePathStyle: true });
      await fnDdb.send(new PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'u1' }, sk: { S: 'o1' }, status: { S: 'open' }, total: { N: '12' } } }));
      await fnDdb.send(new PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'u1' }, sk: { S: 'o2' }, status: { S: 'paid' }, total: { N: '5' } } }));
      const item = await fnDdb.send(new GetItemCommand({ TableName: 'orders', Key: { pk: { S: 'u1' }, sk: { S: 'o1' } } }));
      expect(item.Item?.total).toEqual({ N: '12' });
      const q = await fnDdb.send(new QueryCommand({ TableName: 'orders', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'u1' } } }));
      expect(q.Items?.map((i) => i.sk.S)).toEqual(['o1', 'o2']);
      const byStatus = await fnDdb.send(
        new QueryCommand({ TableName: 'orders', IndexName: 'byStatus', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'paid' } } }),
      );
      expect(byStatus.Items?.map((i) => i.sk.S)).toEqual(['o2']);
      const byTotal = await fnDdb.send(new QueryCommand({ TableName: 'orders', IndexName: 'byTotal', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'u1' } } }));
      expect(byTotal.Items?.map((i) => i.sk.S)).toEqual(['o2', 'o1']);

      await fnS3.send(new PutObjectCommand({ Bucket: 'assets', Key: 'img/a.txt', Body: 'hello' }));
      await fnS3.send(new PutObjectCommand({ Bucket: 'assets', Key: 'img/b.txt', Body: 'world' }));
      const got = await fnS3.send(new GetObjectCommand({ Bucket: 'assets', Key: 'img/a.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello');
      const list = await fnS3.send(new ListObjectsV2Command({ Bucket: 'assets', Prefix: 'img/' }));
      expect(list.Contents?.map((c) => [c.Key, c.Size])).toEqual([
        ['img/a.txt', 5],
        ['img/b.txt', 5],
      ]);
    } finally {
      fnDdb?.destroy();
      fnS3?.destroy();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('creates queues (dead-letter targets first), a second run writes nothing, changed attributes are set, a FIFO mismatch is a warning', async () => {
    const sqs = new SQSClient({ endpoint: storage.sqsEndpoint, region: 'us-east-1', credentials });
    try {
      const dlqArn = 'arn:aws:sqs:us-east-1:123456789012:jobs-dlq';
      const queues = (visibility: number): ResourcesFile => ({
        resources: {
          sqs: [
            { QueueName: 'jobs', VisibilityTimeout: visibility, RedrivePolicy: { deadLetterTargetArn: dlqArn, maxReceiveCount: 2 } },
            { QueueName: 'jobs-dlq', MessageRetentionPeriod: 1_209_600 },
            { QueueName: 'orders.fifo', FifoQueue: true, ContentBasedDeduplication: true },
          ],
        },
      });
      const sqsOpts = { ...opts, sqsEndpoint: storage.sqsEndpoint };
      const { log, lines } = recorder();
      const first = await provision(queues(5), { ...sqsOpts, log });
      expect(first.queues).toEqual([
        { name: 'jobs', status: 'created' },
        { name: 'jobs-dlq', status: 'created' },
        { name: 'orders.fifo', status: 'created' },
      ]);
      expect(lines.info).toContain('created queue "jobs"');
      const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl!;
      const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
      expect(attrs.VisibilityTimeout).toBe('5');
      expect(JSON.parse(attrs.RedrivePolicy!)).toMatchObject({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
      const fifoUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders.fifo' }))).QueueUrl!;
      expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fifoUrl, AttributeNames: ['FifoQueue', 'ContentBasedDeduplication'] }))).Attributes).toEqual({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });

      // A message sent now survives the re-provisioning below: queues are never re-created.
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'kept' }));
      const again = await provision(queues(5), sqsOpts);
      expect(again.queues.map((q) => q.status)).toEqual(['exists', 'exists', 'exists']);
      expect(again.warnings).toEqual([]);

      const changed = await provision(queues(9), sqsOpts);
      expect(changed.queues.find((q) => q.name === 'jobs')).toEqual({ name: 'jobs', status: 'updated' });
      expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }))).Attributes).toEqual({ VisibilityTimeout: '9' });
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
      expect(received.Messages?.map((m) => m.Body)).toEqual(['kept']);

      await sqs.send(new CreateQueueCommand({ QueueName: 'plain' }));
      const mismatch = await provision({ resources: { sqs: [{ QueueName: 'plain', FifoQueue: true }] } } as ResourcesFile, sqsOpts);
      expect(mismatch.warnings).toEqual([expect.stringMatching(/queue "plain" exists at .* not as a FIFO queue, unlike resources\.yml: left as it is/)]);
    } finally {
      sqs.destroy();
    }
  });

  it('empty resources: a successful no-op that says so at info level, no warning (no server contacted); a missing resources.yml is a warning', async () => {
    const port = await closedPort();
    const nowhere = { dynamodbEndpoint: `http://127.0.0.1:${port}`, s3Endpoint: `http://127.0.0.1:${port}`, retry: { attempts: 1, baseDelayMs: 1 } };
    for (const empty of [{ resources: {} }, { resources: { dynamodb: [], s3: [] } }] as ResourcesFile[]) {
      const { log, lines } = recorder();
      const report = await provision(empty, { ...nowhere, log, source: 'stack/config/resources.yml' });
      expect(report.tables).toEqual([]);
      expect(report.warnings).toEqual([]);
      expect(lines).toEqual({ info: ['nothing to provision in stack/config/resources.yml'], warn: [] });
    }
    // The command: a missing resources.yml is a warning and exit 0.
    const out: string[] = [];
    const err: string[] = [];
    const code = await runProvision(['--config-dir', join(dir, 'no-such-dir')], { DYNAMODB_ENDPOINT: nowhere.dynamodbEndpoint }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(0);
    expect(err.join('\n')).toMatch(/warning: .*no-such-dir\/resources\.yml does not exist/);
  });

  it('the command reads ${CONFIG_DIR}/resources.yml and the endpoints from the environment', async () => {
    const configDir = join(dir, 'config');
    await rm(configDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(configDir, { recursive: true }));
    await writeFile(
      join(configDir, 'resources.yml'),
      'resources:\n  dynamodb:\n    - TableName: from-cli\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n  s3:\n    - BucketName: from-cli\n',
    );
    const out: string[] = [];
    const env = { CONFIG_DIR: configDir, DYNAMODB_ENDPOINT: storage.dynamodbEndpoint, S3_ENDPOINT: storage.s3Endpoint };
    expect(await runProvision([], env, { out: (l) => out.push(l), err: () => {} })).toBe(0);
    expect(out).toContain('created table "from-cli"');
    expect(out).toContain('created bucket "from-cli"');
    expect(await runProvision([], env, { out: (l) => out.push(l), err: () => {} })).toBe(0);
    expect(out.at(-1)).toMatch(/0 created, 2 already there/);
  });

  it('an unreachable endpoint: ProvisionError naming the resource and the endpoint after the retry limit', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const err = await provision(
      { resources: { dynamodb: [resources().resources.dynamodb![1]] } },
      { dynamodbEndpoint: endpoint, credentials, retry: { attempts: 3, baseDelayMs: 20 } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).message).toContain('table "users"');
    expect((err as ProvisionError).message).toContain(endpoint);
    expect((err as ProvisionError).message).toMatch(/after 3 attempts.*ECONNREFUSED/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40);

    const s3err = await provision({ resources: { s3: [{ BucketName: 'nowhere' }] } }, { s3Endpoint: endpoint, credentials, retry: { attempts: 2, baseDelayMs: 5 } }).catch(
      (e: unknown) => e,
    );
    expect(s3err).toBeInstanceOf(ProvisionError);
    expect((s3err as Error).message).toMatch(new RegExp(`bucket "nowhere" at ${endpoint}: .*after 2 attempts`));
  });

  it('`esb provision` fails the deploy: exit 1, the message names the resource and the endpoint', async () => {
    const port = await closedPort();
    const configDir = join(dir, 'config-unreachable');
    await import('node:fs/promises').then((fs) => fs.mkdir(configDir, { recursive: true }));
    await writeFile(join(configDir, 'resources.yml'), 'resources:\n  s3:\n    - BucketName: unreachable-bucket\n');
    const saved = process.env.S3_ENDPOINT;
    process.env.S3_ENDPOINT = `http://127.0.0.1:${port}`;
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['provision', '--config-dir', configDir, '--retry-attempts', '2']);
      expect(code).toBe(1);
      const written = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(written).toContain(`esb provision: bucket "unreachable-bucket" at http://127.0.0.1:${port}: unreachable or failing after 2 attempts`);
    } finally {
      stderr.mockRestore();
      if (saved === undefined) delete process.env.S3_ENDPOINT;
      else process.env.S3_ENDPOINT = saved;
    }
  });

  it('an invalid declaration fails with the server reason, naming the table', async () => {
    const bad: ResourcesFile = {
      resources: { dynamodb: [{ TableName: 'broken', KeySchema: [{ AttributeName: 'nope', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] }] },
    };
    const err = await provision(bad, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as Error).message).toMatch(/^table "broken" at http:\/\/127\.0\.0\.1:\d+: ValidationException/);
  });
});

describe('waiting for tables to become ACTIVE', () => {
  it('returns only once dynalite has moved the table from CREATING to ACTIVE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esb-provision-active-'));
    const storage = await startEmbeddedStorage({ dataDir: dir, only: 'dynamodb', createTableMs: 150 });
    const ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials });
    try {
      expect(storage.s3Endpoint).toBeUndefined();
      const started = Date.now();
      const report = await provision({ resources: { dynamodb: [resources().resources.dynamodb![1]] } }, { dynamodbEndpoint: storage.dynamodbEndpoint, credentials });
      expect(report.tables).toEqual([{ name: 'users', status: 'created' }]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect((await ddb.send(new DescribeTableCommand({ TableName: 'users' }))).Table?.TableStatus).toBe('ACTIVE');
    } finally {
      ddb.destroy();
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a table that stays CREATING', () => {
  it('fails after activeTimeoutMs with a ProvisionError naming table, endpoint and status', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esb-provision-slow-'));
    const storage = await startEmbeddedStorage({ dataDir: dir, only: 'dynamodb', createTableMs: 5_000 });
    try {
      const err = await provision(
        { resources: { dynamodb: [resources().resources.dynamodb![1]] } },
        { dynamodbEndpoint: storage.dynamodbEndpoint, credentials, activeTimeoutMs: 150 },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProvisionError);
      expect((err as Error).message).toBe(`table "users" at ${storage.dynamodbEndpoint}: still CREATING after 150 ms`);
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('S3 servers that lack things', () => {
  it('ListBuckets denied, bucket already there, lifecycle NotImplemented: success with a warning', async () => {
    const seen: string[] = [];
    const xmlError = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        res.setHeader('content-type', 'application/xml');
        if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
          res.statusCode = 403;
          res.end(xmlError('AccessDenied'));
        } else if (req.method === 'PUT' && /^\/legacy\/?$/.test(req.url ?? '')) {
          res.statusCode = 409;
          res.end(xmlError('BucketAlreadyOwnedByYou'));
        } else if (req.url?.includes('lifecycle')) {
          res.statusCode = 501;
          res.end(xmlError('NotImplemented'));
        } else {
          res.statusCode = 500;
          res.end(xmlError('InternalError'));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const { log, lines } = recorder();
      const report = await provision(
        { resources: { s3: [{ BucketName: 'legacy', LifecycleConfiguration: { Rules: [{ Status: 'Enabled', ExpirationInDays: 1 }] } }] } },
        { s3Endpoint: endpoint, credentials, log, retry: { attempts: 1, baseDelayMs: 1 } },
      );
      expect(report.buckets).toEqual([{ name: 'legacy', status: 'exists', lifecycle: 'unsupported' }]);
      expect(lines.warn).toEqual([`bucket "legacy": the S3 server at ${endpoint} does not support lifecycle configuration (NotImplemented); 1 rule(s) not applied`]);
      expect(seen.map((l) => l.replace(/\/?\?.*/, '?').replace(/\/$/, ''))).toEqual(['GET ?', 'PUT /legacy', 'GET /legacy?']); // the GET already says NotImplemented: no PUT
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
