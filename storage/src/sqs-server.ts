// The storage's SQS-compatible server (docs/sqs.md), which also takes EventBridge's PutEvents,
// SNS's Publish, the Step Functions and Firehose APIs (handed to the agent), the Kinesis Data
// Streams API and the Secrets Manager and SSM Parameter Store APIs (docs/eventbridge.md,
// docs/sns.md, docs/step-functions.md, docs/firehose.md, docs/kinesis.md, docs/secrets.md), told
// apart by X-Amz-Target: HTTP in front of the queue model (sqs-queues.ts), the stream model
// (kinesis-streams.ts) and the secrets model (secrets.ts). It reads a request (body capped: 2
// MiB, 8 MiB for Kinesis), tells the JSON protocol from the query protocol (sqs-wire.ts), runs
// the operation (sqs-actions.ts, kinesis-actions.ts, secrets-actions.ts), waits for a long poll,
// and keeps snapshots of the queues (`queues.json`), the streams (`streams.json`) and the
// secrets and parameters (`secrets.json`) in its folder when it has one (each written
// atomically, debounced, and on close; loaded at start).
import { randomUUID } from 'node:crypto';
import { readFile, mkdir, open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  cleanStaleTmp,
  isPidAlive,
  KINESIS_CONTENT_TYPE,
  KINESIS_TARGET_PREFIX,
  LOCAL_REGION,
  SECRETS_CONTENT_TYPE,
  SQS_DEFAULT_PORT,
  FORWARDED_APIS,
  forwardedApiOf,
  writeFileAtomic,
  type ApiCallHandler,
  type BusEvent,
  type ForwardedApi,
  type KinesisRecord,
  type ScheduleFiring,
  type TopicMessage,
  isSchedulerPath,
} from '@esb/contracts';
import { EVENTS_CONTENT_TYPE, EVENTS_TARGET_PREFIX, EventsError, runEventsAction } from './event-bus.js';
import { runKinesisAction } from './kinesis-actions.js';
import { KinesisError, StreamStore, type KinesisLimits } from './kinesis-streams.js';
import { isSecretsTarget, runSecretsAction } from './secrets-actions.js';
import { SecretsError, SecretStore, type SecretLimits } from './secrets.js';
import { SubscriptionStore } from './sns-subscriptions.js';
import { isSnsRequest, runSnsAction, SnsError, snsXmlError, snsXmlResponse, type SnsContext } from './sns-topics.js';
import { runAction, type ActionContext, type LongPoll, type Output } from './sqs-actions.js';
import { QueueStore, SqsError, type QueueClock, type QueueLimits } from './sqs-queues.js';
import { JSON_CONTENT_TYPE, jsonError, queryToInput, xmlError, xmlResponse } from './sqs-wire.js';
import { hostForUrl } from './s3-server.js';
import { runSchedulerRequest, SCHEDULER_CONTENT_TYPE } from './scheduler-api.js';
import { ScheduleStore, SchedulerError, type SchedulerClock, type SchedulerLimits } from './schedules.js';
import { createHttpFront, isHttp2, responseGone } from './http-front.js';

export interface SqsServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Default SQS_DEFAULT_PORT (9324); 0 picks a free port. */
  port?: number;
  /** Folder of the queues', streams' and secrets' snapshots (`queues.json`, `streams.json`, `secrets.json`); without one they live in memory only. */
  directory?: string;
  /** The queues' and the streams' clock. */
  clock?: QueueClock;
  limits?: Partial<QueueLimits>;
  /** Memory limits of the Kinesis streams (docs/kinesis.md "Limits"). */
  kinesisLimits?: Partial<KinesisLimits>;
  /** Memory limits of the secrets and parameters (docs/secrets.md "Limits"). */
  secretLimits?: Partial<SecretLimits>;
  /** Largest request body accepted (default 2 MiB); a Kinesis request may have up to KINESIS_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** How long after a change the snapshot is written (default 50 ms). */
  snapshotDelayMs?: number;
  /** Told of a snapshot that could not be written (the queues and streams keep working in memory). */
  onError?: (err: Error) => void;
  /** Told of the events each EventBridge PutEvents accepted (served on this port too, docs/eventbridge.md). */
  onBusEvents?: (events: BusEvent[]) => void;
  /** Told of the messages each SNS Publish or PublishBatch accepted (served on this port too, docs/sns.md). */
  onTopicMessages?: (messages: TopicMessage[]) => void;
  /**
   * Answers the APIs served on this port for the agent, by API: `states` (Step Functions, the
   * agent runs the executions, docs/step-functions.md), `firehose` (Firehose, the agent runs the
   * delivery streams, docs/firehose.md).
   */
  onApiCall?: Partial<Record<ForwardedApi, ApiCallHandler>>;
  /** Told of the records each Kinesis PutRecord or PutRecords stored (served on this port too, docs/kinesis.md). */
  onKinesisRecords?: (records: KinesisRecord[]) => void;
  /** Told of each EventBridge Scheduler schedule that is due (the Scheduler API is served on this port too, docs/eventbridge.md). */
  onScheduleFired?: (firings: ScheduleFiring[]) => void;
  /** The schedules' clock (timers too). */
  schedulerClock?: SchedulerClock;
  /** Memory limits of the schedules (docs/eventbridge.md "EventBridge Scheduler"). */
  schedulerLimits?: Partial<SchedulerLimits>;
}

export interface RunningSqsServer {
  /** `http://<host>:<port>` */
  endpoint: string;
  port: number;
  /** The queue model, for tests and tools that run in the same process. */
  store: QueueStore;
  /** The Kinesis stream model, likewise. */
  streams: StreamStore;
  /** The Secrets Manager and SSM Parameter Store model, likewise. */
  secrets: SecretStore;
  /** The EventBridge Scheduler model, likewise. */
  schedules: ScheduleStore;
  /** Writes the snapshots now (when there is a folder), and waits for it. */
  flush(): Promise<void>;
  /** ReceiveMessage calls waiting for a message right now (long polls). */
  waitingReceives(): number;
  close(): Promise<void>;
}

export const SQS_SNAPSHOT_FILE = 'queues.json';
export const KINESIS_SNAPSHOT_FILE = 'streams.json';
export const SECRETS_SNAPSHOT_FILE = 'secrets.json';
export const SCHEDULES_SNAPSHOT_FILE = 'schedules.json';
export const SUBSCRIPTIONS_SNAPSHOT_FILE = 'subscriptions.json';
const LOCK_FILE = 'queues.lock';
export const SQS_MAX_BODY_BYTES = 2 * 1024 * 1024;
/** A Kinesis request's body: a PutRecords of 5 MiB of data is about 6.7 MiB of base64 in JSON. */
export const KINESIS_MAX_BODY_BYTES = 8 * 1024 * 1024;
const SWEEP_INTERVAL_MS = 60_000;

/** A snapshot that cannot be read: names the file, and what moving it away starts the server without. */
abstract class SnapshotLoadError extends Error {
  constructor(
    readonly file: string,
    service: string,
    without: string,
    reason: string,
    options?: { cause: unknown },
  ) {
    super(`the ${service} snapshot ${file} cannot be loaded: ${reason} (move it away to start with no ${without})`, options);
    this.name = new.target.name;
  }
}

export class SqsSnapshotError extends SnapshotLoadError {
  constructor(file: string, reason: string, options?: { cause: unknown }) {
    super(file, 'SQS', 'queues', reason, options);
  }
}

export class KinesisSnapshotError extends SnapshotLoadError {
  constructor(file: string, reason: string, options?: { cause: unknown }) {
    super(file, 'Kinesis', 'streams', reason, options);
  }
}

export class SecretsSnapshotError extends SnapshotLoadError {
  constructor(file: string, reason: string, options?: { cause: unknown }) {
    super(file, 'secrets', 'secrets or parameters', reason, options);
  }
}

export class SubscriptionsSnapshotError extends SnapshotLoadError {
  constructor(file: string, reason: string, options?: { cause: unknown }) {
    super(file, 'SNS subscriptions', 'subscriptions made at run time', reason, options);
  }
}

export class SchedulesSnapshotError extends SnapshotLoadError {
  constructor(file: string, reason: string, options?: { cause: unknown }) {
    super(file, 'EventBridge Scheduler', 'schedules', reason, options);
  }
}

export async function startSqsServer(options: SqsServerOptions = {}): Promise<RunningSqsServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? SQS_MAX_BODY_BYTES;
  const onError = options.onError ?? ((err: Error) => process.stderr.write(`esb sqs: ${err.message}\n`));
  const store = new QueueStore({ clock: options.clock, limits: options.limits });
  const streams = new StreamStore({ clock: options.clock, limits: options.kinesisLimits });
  const secrets = new SecretStore({ clock: options.clock, limits: options.secretLimits });
  const schedules = new ScheduleStore({
    ...(options.schedulerClock ? { clock: options.schedulerClock } : {}),
    ...(options.schedulerLimits ? { limits: options.schedulerLimits } : {}),
    onFire: (firing) => {
      try {
        options.onScheduleFired?.([firing]);
      } catch (err) {
        onError(new Error(`the listener of schedules failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      }
    },
  });

  const subscriptions = new SubscriptionStore(LOCAL_REGION);
  let snapshots: SnapshotWriter | undefined;
  let streamSnapshots: SnapshotWriter | undefined;
  let secretSnapshots: SnapshotWriter | undefined;
  let scheduleSnapshots: SnapshotWriter | undefined;
  let subscriptionSnapshots: SnapshotWriter | undefined;
  let releaseLock: (() => Promise<void>) | undefined;
  if (options.directory) {
    await mkdir(options.directory, { recursive: true });
    releaseLock = await lockFolder(options.directory);
    const queuesFile = join(options.directory, SQS_SNAPSHOT_FILE);
    const streamsFile = join(options.directory, KINESIS_SNAPSHOT_FILE);
    const secretsFile = join(options.directory, SECRETS_SNAPSHOT_FILE);
    const schedulesFile = join(options.directory, SCHEDULES_SNAPSHOT_FILE);
    const subscriptionsFile = join(options.directory, SUBSCRIPTIONS_SNAPSHOT_FILE);
    try {
      await cleanStaleTmp(options.directory);
      await loadSnapshot(queuesFile, (data) => store.loadSnapshot(data), (reason, cause) => new SqsSnapshotError(queuesFile, reason, { cause }));
      await loadSnapshot(streamsFile, (data) => streams.loadSnapshot(data), (reason, cause) => new KinesisSnapshotError(streamsFile, reason, { cause }));
      await loadSnapshot(secretsFile, (data) => secrets.loadSnapshot(data), (reason, cause) => new SecretsSnapshotError(secretsFile, reason, { cause }));
      await loadSnapshot(schedulesFile, (data) => schedules.loadSnapshot(data), (reason, cause) => new SchedulesSnapshotError(schedulesFile, reason, { cause }));
      await loadSnapshot(subscriptionsFile, (data) => subscriptions.loadSnapshot(data), (reason, cause) => new SubscriptionsSnapshotError(subscriptionsFile, reason, { cause }));
    } catch (err) {
      await releaseLock();
      throw err;
    }
    const delayMs = options.snapshotDelayMs ?? 50;
    snapshots = new SnapshotWriter(queuesFile, 'SQS', () => store.toSnapshot(), delayMs, onError);
    streamSnapshots = new SnapshotWriter(streamsFile, 'Kinesis', () => streams.toSnapshot(), delayMs, onError);
    secretSnapshots = new SnapshotWriter(secretsFile, 'secrets', () => secrets.toSnapshot(), delayMs, onError);
    scheduleSnapshots = new SnapshotWriter(schedulesFile, 'EventBridge Scheduler', () => schedules.toSnapshot(), delayMs, onError);
    subscriptionSnapshots = new SnapshotWriter(subscriptionsFile, 'SNS subscriptions', () => subscriptions.toSnapshot(), delayMs, onError);
  }
  const polls = new LongPolls(store);
  store.onChange = (queue) => {
    snapshots?.changed();
    polls.changed(queue);
  };
  streams.onChange = () => streamSnapshots?.changed();
  secrets.onChange = () => secretSnapshots?.changed();
  schedules.onChange = () => scheduleSnapshots?.changed();
  subscriptions.onChange = () => subscriptionSnapshots?.changed();
  const onKinesisRecords = (records: KinesisRecord[]) => {
    try {
      options.onKinesisRecords?.(records);
    } catch (err) {
      // The records are stored: the put succeeded whatever the listener does.
      onError(new Error(`the listener of Kinesis records failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    }
  };

  // HTTP/1.1 and HTTP/2 (client-kinesis v3 speaks HTTP/2 by default) on the one port.
  const front = createHttpFront((req, res) => {
    const target = req.headers['x-amz-target'];
    const forwarded = typeof target === 'string' ? forwardedApiOf(target) : undefined;
    const served =
      target === undefined && isSchedulerPath(req.url ?? '/')
        ? serveScheduler(req, res, schedules, maxBodyBytes)
        : typeof target === 'string' && target.startsWith(EVENTS_TARGET_PREFIX)
        ? serveEvents(req, res, target, maxBodyBytes, options.onBusEvents)
        : forwarded !== undefined
          ? serveForwarded(req, res, forwarded, target as string, maxBodyBytes, options.onApiCall?.[forwarded])
          : typeof target === 'string' && target.startsWith(KINESIS_TARGET_PREFIX)
            ? serveKinesis(req, res, target, streams, onKinesisRecords)
            : typeof target === 'string' && isSecretsTarget(target)
              ? serveSecrets(req, res, target, secrets, maxBodyBytes)
              : serve(req, res, { store, polls, maxBodyBytes, endpointHost: () => endpointHost, onTopicMessages: options.onTopicMessages, subscriptions });
    void served.catch((err: unknown) => {
      onError(err instanceof Error ? err : new Error(String(err)));
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const server = front.server;
  let endpointHost = '';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? SQS_DEFAULT_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await releaseLock?.();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? SQS_DEFAULT_PORT);
  endpointHost = `${hostForUrl(host)}:${port}`;
  const sweeper = setInterval(() => {
    store.sweep();
    streams.sweep();
    secrets.sweep();
  }, SWEEP_INTERVAL_MS).unref();

  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://${endpointHost}`,
    port,
    store,
    streams,
    secrets,
    schedules,
    flush: async () => {
      await Promise.all([snapshots?.flush(), streamSnapshots?.flush(), secretSnapshots?.flush(), scheduleSnapshots?.flush()]);
    },
    waitingReceives: () => polls.size,
    close() {
      closed ??= (async () => {
        clearInterval(sweeper);
        polls.endAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Long polls were just answered: let those answers go out before cutting connections.
          setImmediate(() => front.closeAllConnections());
        });
        schedules.close();
        await Promise.all([snapshots?.flush(), streamSnapshots?.flush(), secretSnapshots?.flush(), scheduleSnapshots?.flush()]);
        await releaseLock?.();
      })();
      return closed;
    },
  };
}

// ---- one request ----------------------------------------------------------------------------

interface ServeContext {
  store: QueueStore;
  polls: LongPolls;
  maxBodyBytes: number;
  endpointHost: () => string;
  onTopicMessages?: (messages: TopicMessage[]) => void;
  subscriptions: SubscriptionStore;
}

const HOST_HEADER = /^[A-Za-z0-9._~-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

async function serve(req: IncomingMessage, res: ServerResponse, ctx: ServeContext): Promise<void> {
  const requestId = randomUUID();
  const target = req.headers['x-amz-target'];
  const json = typeof target === 'string' && target.length > 0;
  const respondError = (err: SqsError) => {
    // A body refused for its size is left unread: the connection cannot carry another request.
    const extra: Record<string, string> = err.code === 'RequestEntityTooLarge' ? { connection: 'close' } : {};
    if (json) {
      const { body, headers } = jsonError(err);
      send(res, err.status, JSON_CONTENT_TYPE, body, { ...headers, ...extra, 'x-amzn-requestid': requestId });
    } else {
      send(res, err.status, 'text/xml', xmlError(err, requestId), { ...extra, 'x-amzn-requestid': requestId });
    }
  };
  try {
    const body = await readBody(req, ctx.maxBodyBytes);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const authority = req.headers[':authority'];
    const host = req.headers.host ?? (typeof authority === 'string' ? authority : undefined);
    const baseUrl = `http://${host && HOST_HEADER.test(host) ? host : ctx.endpointHost()}`;
    const trace = req.headers['x-amzn-trace-id'];
    const traceHeader = typeof trace === 'string' ? trace : undefined;
    const context: ActionContext = { baseUrl, ...senderOf(req.headers.authorization), ...(traceHeader ? { traceHeader } : {}) };
    let action: string;
    let input: unknown;
    if (json) {
      action = (target as string).replace(/^AmazonSQS\./, '');
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new SqsError('SerializationException', `The request body is not JSON: ${(err as Error).message}`);
      }
    } else {
      const fields = [...url.searchParams, ...new URLSearchParams(body.toString('utf8'))];
      action = '';
      for (const [key, value] of fields) if (key === 'Action') action = value;
      const named = new Map(fields);
      if (isSnsRequest(named, req.headers.authorization)) return serveSns(res, action, named, requestId, { ...(traceHeader ? { traceHeader } : {}), subscriptions: ctx.subscriptions }, ctx.onTopicMessages);
      if (action === '') throw new SqsError('MissingParameter', 'The request must contain the parameter Action.');
      input = queryToInput(fields);
      // The query protocol posts to the queue URL itself: its path names the queue.
      if (url.pathname !== '/') context.pathQueueUrl = `${baseUrl}${url.pathname}`;
    }
    const outcome = runAction(ctx.store, action, input, context);
    const output = 'poll' in outcome ? await ctx.polls.wait(outcome.poll, res) : outcome.output;
    if (output === undefined) return; // the client went away while waiting
    if (json) send(res, 200, JSON_CONTENT_TYPE, JSON.stringify(output), { 'x-amzn-requestid': requestId });
    else send(res, 200, 'text/xml', xmlResponse(action, output, requestId), { 'x-amzn-requestid': requestId });
  } catch (err) {
    if (err instanceof SqsError) respondError(err);
    else respondError(new SqsError('InternalFailure', `esb's SQS server failed on this request: ${err instanceof Error ? err.message : String(err)}`));
  }
}

/** One SNS request (query protocol), its fields read. */
function serveSns(res: ServerResponse, action: string, fields: ReadonlyMap<string, string>, requestId: string, ctx: SnsContext, onTopicMessages?: (messages: TopicMessage[]) => void): void {
  try {
    const { resultXml, accepted } = runSnsAction(action, fields, ctx);
    if (accepted.length) onTopicMessages?.(accepted);
    send(res, 200, 'text/xml', snsXmlResponse(action, resultXml, requestId), { 'x-amzn-requestid': requestId });
  } catch (err) {
    const e = err instanceof SnsError ? err : new SnsError('InvalidParameter', `esb's SNS failed on this request: ${err instanceof Error ? err.message : String(err)}`);
    send(res, e.status, 'text/xml', snsXmlError(e, requestId), { 'x-amzn-requestid': requestId });
  }
}

/** An error an API's model throws: its `__type`, message and status. */
interface ApiError {
  code: string;
  message: string;
  status: number;
}

/** A request of an AWS JSON API served here, each its own protocol details. */
interface JsonApi {
  contentType: string;
  /** The service's name in the message of an unexpected failure. */
  service: string;
  maxBodyBytes: number;
  /** What a body over maxBodyBytes is told (default: the reader's words). */
  tooLarge?: string;
  /** `__type` of an unexpected failure (status 500). */
  internalCode: string;
  /** The model's own errors, answered as they are. */
  isError(err: unknown): err is ApiError;
  run(input: unknown): unknown;
}

/** The body read within `max` bytes and parsed as JSON (empty: `{}`), or the error to answer. */
async function readJson(req: IncomingMessage, max: number, tooLarge?: string): Promise<{ input: unknown } | { error: ApiError }> {
  let body: Buffer;
  try {
    body = await readBody(req, max);
  } catch (err) {
    if (err instanceof SqsError) return { error: { code: 'ValidationException', message: tooLarge ?? err.message, status: 413 } };
    throw err;
  }
  try {
    return { input: body.length === 0 ? {} : JSON.parse(body.toString('utf8')) };
  } catch (err) {
    return { error: { code: 'SerializationException', message: `The request body is not JSON: ${(err as Error).message}`, status: 400 } };
  }
}

/** An error as the AWS JSON protocols send it: `{__type, message}` and x-amzn-errortype; a refused body closes the connection. */
function sendApiError(res: ServerResponse, contentType: string, requestId: string, e: ApiError): void {
  send(res, e.status, contentType, JSON.stringify({ __type: e.code, message: e.message }), { 'x-amzn-requestid': requestId, 'x-amzn-errortype': e.code, ...(e.status === 413 ? { connection: 'close' } : {}) });
}

/** One request of an AWS JSON API whose model runs here (EventBridge, Kinesis, Secrets Manager, SSM). */
async function serveJsonApi(req: IncomingMessage, res: ServerResponse, api: JsonApi): Promise<void> {
  const requestId = randomUUID();
  try {
    const read = await readJson(req, api.maxBodyBytes, api.tooLarge);
    if ('error' in read) return sendApiError(res, api.contentType, requestId, read.error);
    send(res, 200, api.contentType, JSON.stringify(api.run(read.input)), { 'x-amzn-requestid': requestId });
  } catch (err) {
    const e: ApiError = api.isError(err) ? err : { code: api.internalCode, message: `esb's ${api.service} failed on this request: ${err instanceof Error ? err.message : String(err)}`, status: 500 };
    sendApiError(res, api.contentType, requestId, e);
  }
}

/** One EventBridge request (AWS JSON 1.1). */
function serveEvents(req: IncomingMessage, res: ServerResponse, target: string, maxBodyBytes: number, onBusEvents?: (events: BusEvent[]) => void): Promise<void> {
  return serveJsonApi(req, res, {
    contentType: EVENTS_CONTENT_TYPE,
    service: 'EventBridge',
    maxBodyBytes,
    internalCode: 'InternalException',
    isError: (err): err is EventsError => err instanceof EventsError,
    run: (input) => {
      const { output, accepted } = runEventsAction(target.slice(EVENTS_TARGET_PREFIX.length), input);
      if (accepted.length) onBusEvents?.(accepted);
      return output;
    },
  });
}

/** One Kinesis Data Streams request (AWS JSON 1.1), served by the stream model. */
function serveKinesis(req: IncomingMessage, res: ServerResponse, target: string, streams: StreamStore, onKinesisRecords: (records: KinesisRecord[]) => void): Promise<void> {
  return serveJsonApi(req, res, {
    contentType: KINESIS_CONTENT_TYPE,
    service: 'Kinesis',
    maxBodyBytes: KINESIS_MAX_BODY_BYTES,
    tooLarge: `The request body is larger than ${KINESIS_MAX_BODY_BYTES} bytes, the limit of esb's Kinesis API (a PutRecords of 5 MiB of data fits).`,
    internalCode: 'InternalFailure',
    isError: (err): err is KinesisError => err instanceof KinesisError,
    run: (input) => {
      const { output, accepted } = runKinesisAction(streams, target.slice(KINESIS_TARGET_PREFIX.length), input);
      if (accepted.length) onKinesisRecords(accepted);
      return output;
    },
  });
}

/** One Secrets Manager or SSM Parameter Store request (AWS JSON 1.1), served by the secrets model. */
function serveSecrets(req: IncomingMessage, res: ServerResponse, target: string, secrets: SecretStore, maxBodyBytes: number): Promise<void> {
  return serveJsonApi(req, res, {
    contentType: SECRETS_CONTENT_TYPE,
    service: 'secrets server',
    maxBodyBytes,
    internalCode: 'InternalFailure',
    isError: (err): err is SecretsError => err instanceof SecretsError,
    run: (input) => runSecretsAction(secrets, target, input),
  });
}

/** One EventBridge Scheduler request (REST JSON; errors as `{Message}` with x-amzn-errortype). */
async function serveScheduler(req: IncomingMessage, res: ServerResponse, schedules: ScheduleStore, maxBodyBytes: number): Promise<void> {
  const requestId = randomUUID();
  const fail = (e: ApiError) => send(res, e.status, SCHEDULER_CONTENT_TYPE, JSON.stringify({ Message: e.message }), { 'x-amzn-requestid': requestId, 'x-amzn-errortype': e.code, ...(e.status === 413 ? { connection: 'close' } : {}) });
  const read = await readJson(req, maxBodyBytes);
  if ('error' in read) return fail(read.error.code === 'SerializationException' ? { ...read.error, code: 'ValidationException' } : read.error);
  try {
    const output = runSchedulerRequest(schedules, req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost'), read.input);
    send(res, 200, SCHEDULER_CONTENT_TYPE, JSON.stringify(output), { 'x-amzn-requestid': requestId });
  } catch (err) {
    if (err instanceof SchedulerError) return fail({ code: err.code, message: err.message, status: err.status });
    fail({ code: 'InternalServerException', message: `esb's EventBridge Scheduler failed on this request: ${err instanceof Error ? err.message : String(err)}`, status: 500 });
  }
}

/** A call of an API the agent answers (Step Functions, Firehose): read and parsed here, handed to the agent, its answer sent back. */
async function serveForwarded(req: IncomingMessage, res: ServerResponse, api: ForwardedApi, target: string, maxBodyBytes: number, handler?: ApiCallHandler): Promise<void> {
  const requestId = randomUUID();
  const info = FORWARDED_APIS[api];
  const fail = (status: number, code: string, message: string) => sendApiError(res, info.contentType, requestId, { code, message, status });
  const read = await readJson(req, Math.max(maxBodyBytes, info.maxBodyBytes ?? 0));
  if ('error' in read) return sendApiError(res, info.contentType, requestId, read.error);
  const input = read.input;
  if (!handler) return fail(400, 'UnknownOperationException', `this storage server has no agent to answer the ${info.service} API (start it with --${info.option}, ${info.doc})`);
  const trace = req.headers['x-amzn-trace-id'];
  let answer: Awaited<ReturnType<ApiCallHandler>>;
  try {
    answer = await handler({ action: target.slice(info.targetPrefix.length), input, ...(typeof trace === 'string' ? { traceHeader: trace } : {}) });
  } catch (err) {
    return fail(500, 'ServiceUnavailable', `the agent did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const code: Record<string, string> = typeof answer.body.__type === 'string' ? { 'x-amzn-errortype': answer.body.__type } : {};
  send(res, answer.status, info.contentType, JSON.stringify(answer.body), { 'x-amzn-requestid': requestId, ...code });
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string>): void {
  if (res.headersSent || responseGone(res)) return;
  // HTTP/2 has no connection headers (a refused body just ends its stream).
  const { connection, ...rest } = headers;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...rest, ...(connection !== undefined && !isHttp2(res) ? { connection } : {}) });
  res.end(body);
}

/** The access key of a SigV4 Authorization header: the SenderId of what the request sends. */
function senderOf(authorization: string | undefined): { senderId?: string } {
  const key = authorization === undefined ? undefined : /Credential=([A-Za-z0-9]{1,128})\//.exec(authorization)?.[1];
  return key ? { senderId: key } : {};
}

/** The body, refused beyond `max` bytes (unread rest: the answer closes the connection). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => new SqsError('RequestEntityTooLarge', `The request body is larger than ${max} bytes, the limit of esb's SQS server.`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.pause();
        reject(tooLarge());
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(parts));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

// ---- long polling ---------------------------------------------------------------------------

interface Waiter {
  queue: string;
  wake(): void;
  end(): void;
}

/**
 * ReceiveMessage calls waiting for a message: woken by any change to their queue (a send, a
 * delete that frees a FIFO group, a visibility change) and by a timer set for the next message
 * to become visible; answered empty when their wait ends.
 */
class LongPolls {
  private readonly waiters = new Set<Waiter>();
  private readonly changedQueues = new Set<string>();
  private wakeScheduled = false;

  constructor(private readonly store: QueueStore) {}

  get size(): number {
    return this.waiters.size;
  }

  /** The answer: messages, or the empty answer at the end of the wait; undefined when the client left first. */
  wait(poll: LongPoll, res: ServerResponse): Promise<Output | undefined> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + poll.waitSeconds * 1000;
      let timer: NodeJS.Timeout | undefined;
      const finish = (output: Output | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        res.off('close', onClose);
        resolve(output);
      };
      const onClose = () => finish(undefined);
      const schedule = () => {
        clearTimeout(timer);
        const now = Date.now();
        if (now >= deadline) return finish(poll.empty);
        const next = this.store.nextVisibleAt(poll.queue);
        const untilNext = next === undefined ? Infinity : next - this.store.clock.now();
        timer = setTimeout(waiter.wake, Math.max(0, Math.min(deadline - now, untilNext)));
      };
      const waiter: Waiter = {
        queue: poll.queue,
        wake: () => {
          try {
            const output = poll.attempt();
            if (output) finish(output);
            else schedule();
          } catch (err) {
            clearTimeout(timer);
            this.waiters.delete(waiter);
            res.off('close', onClose);
            reject(err);
          }
        },
        end: () => finish(poll.empty),
      };
      this.waiters.add(waiter);
      res.once('close', onClose);
      schedule();
    });
  }

  /** Called from inside the model: the waiters run after the change is complete, not within it. */
  changed(queue: string): void {
    this.changedQueues.add(queue);
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const queues = new Set(this.changedQueues);
      this.changedQueues.clear();
      for (const waiter of [...this.waiters]) if (queues.has(waiter.queue) && this.waiters.has(waiter)) waiter.wake();
    });
  }

  endAll(): void {
    for (const waiter of [...this.waiters]) waiter.end();
  }
}

// ---- persistence ----------------------------------------------------------------------------

/** Loads a snapshot file into its model (`load`); no file is no snapshot, anything else wrong is `fail`'s error naming the file. */
async function loadSnapshot(file: string, load: (data: unknown) => void, fail: (reason: string, cause: unknown) => Error): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fail((err as Error).message, err);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw fail(`not JSON (${(err as Error).message})`, err);
  }
  try {
    load(data);
  } catch (err) {
    throw fail((err as Error).message, err);
  }
}

/** Writes a model's snapshot a little after changes (one write for a burst of them), never two writes at once. */
class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  /** The wait before the next write: at least ten times what the last one took, so a big snapshot under steady writes costs at most a tenth of the time. */
  private waitMs: number;

  constructor(
    private readonly file: string,
    /** Whose snapshot, for error messages (`SQS`, `Kinesis`). */
    private readonly what: string,
    private readonly snapshot: () => unknown,
    private readonly delayMs: number,
    private readonly onError: (err: Error) => void,
  ) {
    this.waitMs = delayMs;
  }

  changed(): void {
    this.dirty = true;
    if (!this.timer && !this.writing) this.timer = setTimeout(() => void this.write(), this.waitMs);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.dirty) await this.write();
  }

  private write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    const started = performance.now();
    let text: string;
    try {
      text = JSON.stringify(this.snapshot());
    } catch (err) {
      this.onError(new Error(`cannot write the ${this.what} snapshot ${this.file}: ${(err as Error).message}`, { cause: err }));
      return Promise.resolve();
    }
    this.writing = writeFileAtomic(this.file, text)
      .catch((err: unknown) => this.onError(new Error(`cannot write the ${this.what} snapshot ${this.file}: ${(err as Error).message}`, { cause: err })))
      .finally(() => {
        this.writing = undefined;
        this.waitMs = Math.max(this.delayMs, Math.round((performance.now() - started) * 10));
        if (this.dirty && !this.timer) this.timer = setTimeout(() => void this.write(), this.waitMs);
      });
    return this.writing;
  }
}

/** Folders locked by this process (a second server on the same folder would overwrite the first's snapshots). */
const lockedHere = new Set<string>();

/** Takes the folder for this server: a lock file with the pid, taken over only when its process is gone. */
async function lockFolder(directory: string): Promise<() => Promise<void>> {
  const file = join(directory, LOCK_FILE);
  if (lockedHere.has(file)) throw new Error(`the SQS data folder ${directory} is in use by another SQS server of this process`);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid !== process.pid && isPidAlive(pid)) throw new Error(`the SQS data folder ${directory} is in use by another esb storage (process ${pid})`);
      await rm(file, { force: true });
    }
  }
  lockedHere.add(file);
  return async () => {
    lockedHere.delete(file);
    await rm(file, { force: true });
  };
}
