// `esb storage`: the embedded DynamoDB-, S3- and SQS-compatible servers, standalone (also the
// compose `database` / `s3-storage` images, one server each with --only). Runs until
// SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
// The storage module only: the AWS SDK is not needed to serve.
import { DeliveryQueue, startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';
import { FORWARDED_APIS, SQS_DEFAULT_PORT, type ApiCallHandler, type BusEvent, type ForwardedApi, type KinesisRecord, type ObjectEvent, type ScheduleFiring, type StreamRecord, type TopicMessage } from '@esb/contracts';

export const HELP = `usage: esb storage [--data-dir DIR] [--host HOST] [--dynamodb-port N] [--s3-port N] [--sqs-port N] [--only dynamodb|s3|sqs] [--events-url URL] [--streams-url URL] [--bus-events-url URL] [--topic-messages-url URL] [--states-url URL] [--kinesis-url URL]
                   [--kinesis-endpoint URL] [--firehose-url URL] [--schedules-url URL]

Runs the embedded DynamoDB-compatible (dynalite), S3-compatible (s3rver, fixed) and SQS-compatible
(docs/sqs.md) servers; the SQS port also takes EventBridge's PutEvents, SNS's Publish and the Step Functions, Kinesis, Firehose,
Secrets Manager, SSM Parameter Store and EventBridge Scheduler APIs (docs/eventbridge.md, docs/sns.md, docs/step-functions.md,
docs/kinesis.md, docs/firehose.md, docs/secrets.md). Data is kept under DIR (default ./.esb/data), so a restart keeps tables,
items, buckets, objects, queues, messages, streams, secrets, parameters and schedules.

  --data-dir DIR        where the data lives (default ./.esb/data)
  --host HOST           address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --dynamodb-port N     DynamoDB port (default 8000; 0 = any free port)
  --s3-port N           S3 port (default 9000; 0 = any free port)
  --sqs-port N          SQS port (default ${SQS_DEFAULT_PORT}; 0 = any free port)
  --only dynamodb|s3|sqs
                        start just one of them
  --create-table-ms N   how long a new table stays CREATING (default 0)
  --events-url URL      where to POST each object created or deleted (an agent's /events/s3, so
                        that the functions a bucket notifies run; default ESB_S3_EVENTS_URL)
  --streams-url URL     where to POST each change of an item in a table whose stream is on (an
                        agent's /events/dynamodb, so that the functions reading the stream run;
                        default ESB_DYNAMODB_STREAMS_URL)
  --bus-events-url URL  where to POST the events each EventBridge PutEvents accepts (an agent's
                        /events/eventbridge, so that the rules' targets get them; default
                        ESB_BUS_EVENTS_URL)
  --topic-messages-url URL
                        where to POST the messages each SNS Publish accepts (an agent's
                        /events/sns, so that the subscriptions get them; default
                        ESB_TOPIC_MESSAGES_URL)
  --states-url URL      where to forward Step Functions API calls (an agent's /states, which runs
                        the executions, docs/step-functions.md; also ESB_STATES_URL)
  --kinesis-url URL     where to POST the records each Kinesis PutRecord(s) stores, in order (an
                        agent's /events/kinesis, so that the functions reading the stream run;
                        default ESB_KINESIS_RECORDS_URL)
  --kinesis-endpoint URL
                        where a table's Kinesis streaming destination puts its changes when this
                        process runs no SQS port (--only dynamodb: the queues service's, e.g.
                        http://queues:9324; default ESB_KINESIS_ENDPOINT)
  --firehose-url URL    where to forward Firehose API calls (an agent's /firehose, which runs the
                        delivery streams, docs/firehose.md; also ESB_FIREHOSE_URL)
  --schedules-url URL   where to POST each EventBridge Scheduler schedule that comes due (an
                        agent's /events/scheduler, so that its target gets what it sends,
                        docs/eventbridge.md; default ESB_SCHEDULES_URL)`;

export interface StorageArgs {
  dataDir: string;
  host: string;
  dynamodbPort: number;
  s3Port: number;
  /** Absent: any free port (parseStorageArgs always sets it; callers that build args by hand may leave it out). */
  sqsPort?: number;
  only: 'dynamodb' | 's3' | 'sqs' | undefined;
  createTableMs: number;
  eventsUrl?: string;
  streamsUrl?: string;
  busEventsUrl?: string;
  topicMessagesUrl?: string;
  schedulesUrl?: string;
  /** Where each API the agent answers is forwarded (--states-url, --firehose-url): the agent's `/<api>`. */
  apiUrls?: Partial<Record<ForwardedApi, string>>;
  kinesisUrl?: string;
  kinesisEndpoint?: string;
}

function port(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number (0-65535), not "${text}"`);
  return n;
}

function httpUrl(name: string, url: string | undefined): string | undefined {
  if (url && !/^https?:\/\/\S+$/.test(url)) throw new Error(`--${name} must be an http(s) URL, not "${url}"`);
  return url || undefined;
}

/** Parses the options; undefined means --help was asked for. */
export function parseStorageArgs(argv: string[], cwd: string): StorageArgs | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      'dynamodb-port': { type: 'string' },
      's3-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      only: { type: 'string' },
      'create-table-ms': { type: 'string' },
      'events-url': { type: 'string' },
      'streams-url': { type: 'string' },
      'bus-events-url': { type: 'string' },
      'states-url': { type: 'string' },
      'firehose-url': { type: 'string' },
      'kinesis-url': { type: 'string' },
      'kinesis-endpoint': { type: 'string' },
      'topic-messages-url': { type: 'string' },
      'schedules-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const only = values.only;
  if (only !== undefined && only !== 'dynamodb' && only !== 's3' && only !== 'sqs') throw new Error(`--only must be "dynamodb", "s3" or "sqs", not "${only}"`);
  const createTableMs = values['create-table-ms'] === undefined ? 0 : Number(values['create-table-ms']);
  if (!Number.isInteger(createTableMs) || createTableMs < 0) throw new Error(`--create-table-ms must be a whole number >= 0`);
  const eventsUrl = httpUrl('events-url', values['events-url'] ?? process.env.ESB_S3_EVENTS_URL);
  const streamsUrl = httpUrl('streams-url', values['streams-url'] ?? process.env.ESB_DYNAMODB_STREAMS_URL);
  const busEventsUrl = httpUrl('bus-events-url', values['bus-events-url'] ?? process.env.ESB_BUS_EVENTS_URL);
  const topicMessagesUrl = httpUrl('topic-messages-url', values['topic-messages-url'] ?? process.env.ESB_TOPIC_MESSAGES_URL);
  const schedulesUrl = httpUrl('schedules-url', values['schedules-url'] ?? process.env.ESB_SCHEDULES_URL);
  const apiUrls: Partial<Record<ForwardedApi, string>> = {};
  for (const [api, { option, env }] of Object.entries(FORWARDED_APIS) as Array<[ForwardedApi, (typeof FORWARDED_APIS)[ForwardedApi]]>) {
    const url = httpUrl(option, (values as Record<string, string | undefined>)[option] ?? process.env[env]);
    if (url) apiUrls[api] = url;
  }
  const kinesisUrl = httpUrl('kinesis-url', values['kinesis-url'] ?? process.env.ESB_KINESIS_RECORDS_URL);
  const kinesisEndpoint = httpUrl('kinesis-endpoint', values['kinesis-endpoint'] ?? process.env.ESB_KINESIS_ENDPOINT);
  return {
    dataDir: resolve(cwd, values['data-dir'] ?? '.esb/data'),
    host: values.host ?? '127.0.0.1',
    dynamodbPort: port('dynamodb-port', values['dynamodb-port'], 8000),
    s3Port: port('s3-port', values['s3-port'], 9000),
    sqsPort: port('sqs-port', values['sqs-port'], SQS_DEFAULT_PORT),
    only,
    createTableMs,
    ...(eventsUrl ? { eventsUrl } : {}),
    ...(streamsUrl ? { streamsUrl } : {}),
    ...(busEventsUrl ? { busEventsUrl } : {}),
    ...(topicMessagesUrl ? { topicMessagesUrl } : {}),
    ...(schedulesUrl ? { schedulesUrl } : {}),
    ...(Object.keys(apiUrls).length ? { apiUrls } : {}),
    ...(kinesisUrl ? { kinesisUrl } : {}),
    ...(kinesisEndpoint ? { kinesisEndpoint } : {}),
  };
}

export async function startStorageFromArgs(args: StorageArgs): Promise<EmbeddedStorage> {
  const { eventsUrl, streamsUrl, busEventsUrl, topicMessagesUrl, schedulesUrl, apiUrls, kinesisUrl, ...options } = args;
  const queues: DeliveryQueue[] = [];
  const deliverTo = (url: string, what: string) => {
    const queue = deliveryQueue(url, what);
    queues.push(queue);
    return (event: ObjectEvent | StreamRecord | KinesisRecord[] | BusEvent[] | TopicMessage[] | ScheduleFiring[]) => queue.push(event);
  };
  const storage = await startEmbeddedStorage({
    ...options,
    ...(eventsUrl ? { onObjectEvent: deliverTo(eventsUrl, 'S3 events') } : {}),
    ...(streamsUrl ? { onStreamRecord: deliverTo(streamsUrl, 'DynamoDB stream records') } : {}),
    ...(kinesisUrl ? { onKinesisRecords: deliverTo(kinesisUrl, 'Kinesis records') } : {}),
    ...(busEventsUrl ? { onBusEvents: deliverTo(busEventsUrl, 'EventBridge events') } : {}),
    ...(topicMessagesUrl ? { onTopicMessages: deliverTo(topicMessagesUrl, 'SNS messages') } : {}),
    ...(schedulesUrl ? { onScheduleFired: deliverTo(schedulesUrl, 'EventBridge Scheduler firings') } : {}),
    ...(apiUrls ? { onApiCall: Object.fromEntries(Object.entries(apiUrls).map(([api, url]) => [api, forwardTo(url)])) } : {}),
  });
  return {
    ...storage,
    close: async () => {
      for (const q of queues) q.close();
      await storage.close();
    },
  };
}

/** Calls of an API the agent answers (Step Functions, Firehose) to it over HTTP: `POST <url>/<action>`, its answer passed back. */
function forwardTo(url: string): ApiCallHandler {
  const base = url.replace(/\/+$/, '');
  return async (call) => {
    const res = await fetch(`${base}/${encodeURIComponent(call.action)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(call.traceHeader ? { 'x-amzn-trace-id': call.traceHeader } : {}) },
      body: JSON.stringify(call.input),
    });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, body };
  };
}

/**
 * Events to an agent over HTTP (docs/agent.md, "Deliveries from the storage"): one post after
 * another, so that they arrive in the order they happened (a stream's records above all), and
 * kept and retried while the agent cannot take them (not started yet, restarting), within bounds.
 */
function deliveryQueue(url: string, what: string): DeliveryQueue {
  return new DeliveryQueue(what, {
    send: async (body) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      void res.body?.cancel();
      if (res.ok) return 'delivered';
      return res.status === 429 || res.status >= 500 ? 'unavailable' : 'refused';
    },
    now: Date.now,
    setTimer: (fn, ms) => {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return { cancel: () => clearTimeout(timer) };
    },
    report: (message) => process.stderr.write(`esb storage: ${message} (${url})\n`),
  });
}

const command: Command = {
  summary: 'run the embedded DynamoDB-, S3- and SQS-compatible servers',
  async run(argv) {
    const args = parseStorageArgs(argv, process.cwd());
    if (!args) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const storage = await startStorageFromArgs(args);
    if (storage.dynamodbEndpoint) process.stdout.write(`DynamoDB: ${storage.dynamodbEndpoint}\n`);
    if (storage.s3Endpoint) process.stdout.write(`S3:       ${storage.s3Endpoint} (path-style)\n`);
    if (storage.sqsEndpoint) process.stdout.write(`SQS:      ${storage.sqsEndpoint} (EventBridge, SNS, Step Functions, Kinesis, Firehose, Secrets Manager, SSM and EventBridge Scheduler too)\n`);
    process.stdout.write(`data:     ${args.dataDir}\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done).once('SIGTERM', done);
    });
    await storage.close();
    return 0;
  },
};
export default command;
