// The embedded storage: a DynamoDB-compatible server (dynalite, LevelDB on disk), an
// S3-compatible server (s3rver + fixes, see s3-server.ts) and an SQS-compatible server
// (sqs-server.ts, docs/sqs.md; its port also takes EventBridge's PutEvents, SNS's Publish, the
// Step Functions API, the Kinesis Data Streams API and the Secrets Manager and SSM Parameter Store
// APIs, docs/eventbridge.md, docs/sns.md, docs/step-functions.md, docs/kinesis.md,
// docs/secrets.md), all in this process. Data lives under <dataDir>/dynamodb, <dataDir>/s3 and
// <dataDir>/sqs (queues.json, streams.json, secrets.json), so a restart keeps tables, items,
// buckets, objects, queues, messages, streams and their records, secrets and parameters. Loopback
// by default; port 0 picks a free port.
import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inOrder, KINESIS_CONTENT_TYPE, KINESIS_TARGET_PREFIX, type BusEvent, type ApiCallHandler, type ForwardedApi, type KinesisRecord, type ObjectEvent, type ScheduleFiring, type StreamRecord, type TopicMessage } from '@esb/contracts';
import { installDynamoDBStreams, KINESIS_DESTINATION_OPTION, serveStreamUpdates, STREAM_RECORDS_OPTION, tableRecordsOf, type KinesisDestinationRecord } from './dynamodb-streams.js';
import { startTtlSweeper } from './dynamodb-ttl.js';
import { hostForUrl, startS3Server, type RunningS3Server } from './s3-server.js';
import { startSqsServer, type RunningSqsServer } from './sqs-server.js';
import type { QueueLimits } from './sqs-queues.js';

const require = createRequire(import.meta.url);

export type StorageService = 'dynamodb' | 's3' | 'sqs';
const SERVICE_NAMES: Record<StorageService, string> = { dynamodb: 'DynamoDB', s3: 'S3', sqs: 'SQS' };

export class StorageStartError extends Error {
  constructor(
    readonly service: StorageService,
    readonly host: string,
    readonly port: number,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot start the embedded ${SERVICE_NAMES[service]} server on ${host}:${port}: ${reason}`, options);
    this.name = 'StorageStartError';
  }
}

export interface EmbeddedStorageOptions {
  dataDir: string;
  host?: string;
  dynamodbPort?: number;
  s3Port?: number;
  /** 0 (the default here) picks a free port; `esb storage` passes SQS_DEFAULT_PORT. */
  sqsPort?: number;
  /** Start only one of the servers (the compose `database` / `s3-storage` images). */
  only?: StorageService;
  /** Memory limits of the SQS server (docs/sqs.md "Limits"). */
  sqsLimits?: Partial<QueueLimits>;
  /** How long dynalite keeps a new table CREATING (dynalite's default is 500 ms). */
  createTableMs?: number;
  /** How often expired items of tables with time to live are deleted (default 5 s; docs/provisioner.md "Time to live"). */
  ttlSweepMs?: number;
  /** Told of each object created or deleted in a bucket (S3 events to functions). */
  onObjectEvent?: (event: ObjectEvent) => void;
  /** Told of each change of an item in a table whose stream is on (DynamoDB streams to functions). */
  onStreamRecord?: (record: StreamRecord) => void;
  /** Told of the events each EventBridge PutEvents accepted (rules to their targets). */
  onBusEvents?: (events: BusEvent[]) => void;
  /** Told of the messages each SNS Publish accepted (subscriptions to their functions and queues). */
  onTopicMessages?: (messages: TopicMessage[]) => void;
  /** Told of each EventBridge Scheduler schedule that is due (its target gets what it sends). */
  onScheduleFired?: (firings: ScheduleFiring[]) => void;
  /**
   * Where a table's Kinesis streaming destination puts its changes (docs/kinesis.md, "From
   * DynamoDB"): a Kinesis endpoint (the SQS port of another `esb storage`); the SQS server of
   * this process when it runs one.
   */
  kinesisEndpoint?: string;
  /** Answers the APIs the agent serves, by API: Step Functions (docs/step-functions.md), Firehose (docs/firehose.md). */
  onApiCall?: Partial<Record<ForwardedApi, ApiCallHandler>>;
  /** Told of the records each Kinesis PutRecord or PutRecords stored (stream mappings to their functions, docs/kinesis.md). */
  onKinesisRecords?: (records: KinesisRecord[]) => void;
}

export interface EmbeddedStorage {
  /** Undefined when only the S3 server was started. */
  dynamodbEndpoint: string | undefined;
  /** Undefined when only the DynamoDB server was started. */
  s3Endpoint: string | undefined;
  /** Undefined when only another server was started. */
  sqsEndpoint: string | undefined;
  close(): Promise<void>;
}

type Dynalite = (options: Record<string, unknown>) => Server;
interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens and closes the LevelDB folder once before dynalite gets it: dynalite opens it lazily
 * and, when another server holds it, crashes the process on the first request. Here that is a
 * clear start error instead.
 */
async function probeLevelDb(path: string): Promise<void> {
  const { Level } = createRequire(require.resolve('dynalite'))('level') as { Level: new (p: string) => LevelDb };
  const db = new Level(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause;
    throw new Error(`the data folder ${path} cannot be opened (in use by another esb storage?): ${cause?.message ?? (err as Error).message}`, { cause: err });
  }
  await db.close();
}

async function startDynamo(dataDir: string, host: string, port: number, createTableMs: number, ttlSweepMs: number, onStreamRecord?: (record: StreamRecord) => void, onKinesisDestination?: (record: KinesisDestinationRecord) => void): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dynalite = require('dynalite') as Dynalite;
  const path = join(dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  try {
    await probeLevelDb(path);
  } catch (cause) {
    throw new StorageStartError('dynamodb', host, port, { cause });
  }
  installDynamoDBStreams();
  const dynaliteOptions: Record<string, unknown> = { path, createTableMs, deleteTableMs: createTableMs, updateTableMs: createTableMs, ...(onStreamRecord ? { [STREAM_RECORDS_OPTION]: onStreamRecord } : {}), ...(onKinesisDestination ? { [KINESIS_DESTINATION_OPTION]: onKinesisDestination } : {}) };
  const server = dynalite(dynaliteOptions);
  serveStreamUpdates(server, dynaliteOptions);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw new StorageStartError('dynamodb', host, port, { cause });
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const endpoint = `http://${hostForUrl(host)}:${actualPort}`;
  // Expired items are deleted through this server's own API (docs/provisioner.md, "Time to live").
  const tables = tableRecordsOf(dynaliteOptions);
  const sweeper = tables ? startTtlSweeper({ endpoint, tables, everyMs: ttlSweepMs, onError: (err) => process.stderr.write(`esb dynamodb: ${err.message}\n`) }) : undefined;
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    close() {
      sweeper?.close();
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err?: Error) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

export async function startEmbeddedStorage(options: EmbeddedStorageOptions): Promise<EmbeddedStorage> {
  const { dataDir, host = '127.0.0.1', dynamodbPort = 0, s3Port = 0, sqsPort = 0, only, createTableMs = 0 } = options;
  const wanted = (service: StorageService) => only === undefined || only === service;
  let dynamo: { endpoint: string; close(): Promise<void> } | undefined;
  let s3: RunningS3Server | undefined;
  let sqs: RunningSqsServer | undefined;
  try {
    // The Kinesis endpoint is known once the SQS server listens (after DynamoDB starts).
    const kinesisEndpoint = () => options.kinesisEndpoint ?? sqs?.endpoint;
    if (wanted('dynamodb')) dynamo = await startDynamo(dataDir, host, dynamodbPort, createTableMs, options.ttlSweepMs ?? 5_000, options.onStreamRecord, forwardToKinesis(kinesisEndpoint));
    if (wanted('s3')) {
      try {
        s3 = await startS3Server({ directory: join(dataDir, 's3'), tmpDirectory: join(dataDir, 'tmp'), host, port: s3Port, onObjectEvent: options.onObjectEvent });
      } catch (cause) {
        throw new StorageStartError('s3', host, s3Port, { cause });
      }
    }
    if (wanted('sqs')) {
      try {
        sqs = await startSqsServer({ directory: join(dataDir, 'sqs'), host, port: sqsPort, onBusEvents: options.onBusEvents, onTopicMessages: options.onTopicMessages, onScheduleFired: options.onScheduleFired, onApiCall: options.onApiCall, onKinesisRecords: options.onKinesisRecords, ...(options.sqsLimits ? { limits: options.sqsLimits } : {}) });
      } catch (cause) {
        throw new StorageStartError('sqs', host, sqsPort, { cause });
      }
    }
  } catch (err) {
    await Promise.all([dynamo?.close(), s3?.close()]);
    throw err;
  }
  return {
    dynamodbEndpoint: dynamo?.endpoint,
    s3Endpoint: s3?.endpoint,
    sqsEndpoint: sqs?.endpoint,
    async close() {
      await Promise.all([dynamo?.close(), s3?.close(), sqs?.close()]);
    },
  };
}

/** Changes waiting to be put at most: a Kinesis endpoint that is down costs bounded memory. */
const MAX_PENDING_PUTS = 10_000;

/**
 * PutRecord of each change to its Kinesis stream, one after another so that they keep their
 * order; with no endpoint, or past MAX_PENDING_PUTS waiting, a change is dropped (said once per
 * outage).
 */
function forwardToKinesis(endpoint: () => string | undefined): (record: KinesisDestinationRecord) => void {
  const put = inOrder(
    async ({ url, record }: { url: string; record: KinesisDestinationRecord }) => {
      const body = JSON.stringify({ StreamARN: record.streamArn, PartitionKey: record.partitionKey, Data: Buffer.from(record.data).toString('base64') });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': KINESIS_CONTENT_TYPE, 'x-amz-target': `${KINESIS_TARGET_PREFIX}PutRecord` }, body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 200)}`);
    },
    { max: MAX_PENDING_PUTS, report: (reason) => process.stderr.write(`esb storage: cannot put a DynamoDB change to its Kinesis stream: ${reason}\n`) },
  );
  return (record) => {
    const url = endpoint();
    if (!url) return put.fail('no Kinesis endpoint (esb storage --kinesis-endpoint, ESB_KINESIS_ENDPOINT)');
    put({ url, record });
  };
}
