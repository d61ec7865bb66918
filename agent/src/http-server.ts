// The agent over HTTP, for when it runs as its own service (compose). Internal only: binds
// 127.0.0.1 unless told otherwise.
//   POST /invoke/:function   body = event; headers x-esb-request-id (or x-amzn-requestid),
//                            x-amzn-trace-id, x-amz-client-context, x-esb-cognito-identity,
//                            x-amz-log-type: Tail (-> x-esb-log-result)
//     -> 200 (404 UnknownFunction, 429 Throttled, 503 Unavailable) with the function's payload;
//        x-esb-request-id, x-esb-duration-ms, and on failure x-esb-error-kind, x-esb-error-message (URI-encoded)
//   POST /events/s3          body = an object event of the S3 server (ObjectEvent) -> 202; the
//                            functions its bucket notifies run (docs/agent.md, "S3 events")
//   POST /events/dynamodb    body = a change record of the DynamoDB server (StreamRecord) -> 202;
//                            the functions reading the table's stream get it (docs/agent.md, "DynamoDB streams")
//   POST /events/kinesis     body = the records one PutRecord(s) stored ([KinesisRecord]) -> 202;
//                            the functions reading the stream get them (docs/kinesis.md)
//   POST /events/eventbridge body = the events one PutEvents accepted ([BusEvent]) -> 202; the
//                            targets of the rules that match get them (docs/eventbridge.md)
//   POST /events/sns         body = the messages one Publish accepted ([TopicMessage]) -> 202;
//                            the subscriptions of their topics get them (docs/sns.md)
//   POST /events/scheduler   body = EventBridge Scheduler schedules that came due ([ScheduleFiring])
//                            -> 202; their targets get what they send (docs/eventbridge.md)
//   POST /states/:action     body = a Step Functions API call's input (StartExecution, ...) -> the
//                            answer Step Functions gives, status and JSON (docs/step-functions.md)
//   POST /durable/:action    body = a durable execution API call's input (CheckpointDurableExecution, ...)
//                            -> the answer Lambda gives, status and JSON (docs/durable-functions.md)
//   POST /firehose/:action   body = a Firehose API call's input (PutRecordBatch, ...) -> the answer
//                            Firehose gives, status and JSON (docs/firehose.md)
//   GET /functions -> ["name", ...]    GET /stats    GET /healthz
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BusEvents, FORWARDED_APIS, KinesisRecords, ScheduleFirings, StreamRecord, TopicMessages, type ScheduleFiring, type ApiAnswer, type ApiCall, type BusEvent, type ForwardedApi, type KinesisRecord, type TopicMessage, type InvokeErrorKind, type InvokeResult, type Invoker, type ObjectEvent, type ResponseStream } from '@esb/contracts';
import { ACCEPT_STREAM, DURABLE_ARN, DURABLE_NAME, RESULT_CONTENT_TYPE, STREAM_CONTENT_TYPE } from './http-client.js';

export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface AgentHttpServerOptions {
  agent: Invoker & { stats?(): { functions: Record<string, unknown> }; deliverObjectEvent?(event: ObjectEvent): void; deliverStreamRecord?(record: StreamRecord): void; deliverKinesisRecords?(records: readonly KinesisRecord[]): void; deliverBusEvents?(events: readonly BusEvent[]): void; deliverTopicMessages?(messages: readonly TopicMessage[]): void; deliverScheduleFirings?(firings: readonly ScheduleFiring[]): void; answerApiCall?(api: ForwardedApi, call: ApiCall): Promise<ApiAnswer>; answerDurableApi?(call: ApiCall): Promise<ApiAnswer> };
  host?: string;
  port?: number;
  log?: Logger;
  /**
   * Re-reads functions.yml now. Called once when a function is unknown, before answering 404: the
   * gateway may already serve a route to a function written an instant ago, which the file watch
   * has not brought here yet.
   */
  reloadFunctions?: () => Promise<void>;
}

const STATUS: Record<InvokeErrorKind, number> = { UnknownFunction: 404, Throttled: 429, Unavailable: 503, FunctionError: 200, Timeout: 200 };

export async function createAgentHttpServer(o: AgentHttpServerOptions): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.startsWith('/invoke/')) return void invoke(req, res, decodeURIComponent(url.slice(8).split('?')[0]));
    if (req.method === 'POST' && url === '/events/s3') return void storageEvent(req, res, parseObjectEvent, 'an object event: {bucket, key, eventName, time}', (e) => o.agent.deliverObjectEvent?.(e));
    if (req.method === 'POST' && url === '/events/dynamodb') return void storageEvent(req, res, parseStreamRecord, 'a stream record: {table, streamArn, eventID, eventName, dynamodb}', (r) => o.agent.deliverStreamRecord?.(r));
    if (req.method === 'POST' && url === '/events/kinesis') return void storageEvent(req, res, parseKinesisRecords, 'a list of 1-500 Kinesis records: [{stream, shardId, sequenceNumber, partitionKey, data, approximateArrivalTimestamp}]', (r) => o.agent.deliverKinesisRecords?.(r), MAX_KINESIS_EVENT_BYTES);
    if (req.method === 'POST' && url === '/events/eventbridge') return void storageEvent(req, res, parseBusEvents, 'a list of 1-10 bus events: [{bus, event}]', (e) => o.agent.deliverBusEvents?.(e));
    if (req.method === 'POST' && url === '/events/sns') return void storageEvent(req, res, parseTopicMessages, 'a list of 1-10 topic messages: [{topic, messageId, message, timestamp, attributes}]', (m) => o.agent.deliverTopicMessages?.(m));
    if (req.method === 'POST' && url === '/events/scheduler') return void storageEvent(req, res, parseScheduleFirings, 'a list of 1-100 schedule firings: [{schedule, group, name, time, target: {arn, input?}}]', (f) => o.agent.deliverScheduleFirings?.(f));
    const api = req.method === 'POST' ? FORWARDED_PATHS.find((a) => url.startsWith(`/${a}/`)) : undefined;
    if (api) {
      const info = FORWARDED_APIS[api];
      const answer = o.agent.answerApiCall && ((call: ApiCall) => o.agent.answerApiCall!(api, call));
      return void apiCall(req, res, info.service, info.maxBodyBytes ?? MAX_EVENT_BYTES, answer, decodeURIComponent(url.slice(api.length + 2).split('?')[0]));
    }
    if (req.method === 'POST' && url.startsWith('/durable/')) {
      const answer = o.agent.answerDurableApi?.bind(o.agent);
      return void apiCall(req, res, 'Lambda durable execution', MAX_REQUEST_BYTES, answer, decodeURIComponent(url.slice('/durable/'.length).split('?')[0]));
    }
    req.resume();
    if (req.method === 'GET' && url === '/healthz') return send(res, 200, '{"ok":true}');
    if (req.method === 'GET' && url === '/functions') return send(res, 200, JSON.stringify(Object.keys(o.agent.stats?.().functions ?? {})));
    if (req.method === 'GET' && url === '/stats') return send(res, 200, JSON.stringify(o.agent.stats?.() ?? {}));
    send(res, 404, JSON.stringify({ message: `no route ${req.method} ${url}` }));
  });

  async function invoke(req: http.IncomingMessage, res: http.ServerResponse, fn: string): Promise<void> {
    const body = await readCapped(req, res, MAX_REQUEST_BYTES, { errorType: 'RequestTooLargeException', errorMessage: `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the InvokeFunction operation` });
    if (!body) return;
    if (req.headers['x-amz-invocation-type'] === 'Event' && o.agent.invokeAsync) {
      const trace = req.headers['x-amzn-trace-id'];
      const requestId = req.headers['x-esb-request-id'];
      o.agent.invokeAsync(fn, body, { ...(typeof requestId === 'string' ? { requestId } : {}), ...(typeof trace === 'string' ? { traceId: trace } : {}) });
      return send(res, 202, '{}');
    }
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort(new Error('client went away'));
    });
    const h = req.headers;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    try {
      const ctx = {
        requestId: one(h['x-esb-request-id']) ?? one(h['x-amzn-requestid']),
        traceId: one(h['x-amzn-trace-id']),
        clientContext: one(h['x-amz-client-context']),
        cognitoIdentity: one(h['x-esb-cognito-identity']),
        signal: ac.signal,
        logTail: one(h['x-amz-log-type']) === 'Tail',
        acceptStream: h[ACCEPT_STREAM] !== undefined,
        durableExecutionName: one(h[DURABLE_NAME]),
      };
      let r = await o.agent.invoke(fn, body, ctx);
      if (r.error?.kind === 'UnknownFunction' && o.reloadFunctions) {
        await o.reloadFunctions();
        r = await o.agent.invoke(fn, body, { ...ctx, requestId: r.requestId });
      }
      if (r.stream) return streamAnswer(res, r, r.stream);
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': r.payload.length,
        'x-esb-request-id': r.requestId,
        'x-esb-duration-ms': r.durationMs.toFixed(3),
      };
      if (r.logTail !== undefined) headers['x-esb-log-result'] = r.logTail;
      if (r.contentType !== undefined) headers[RESULT_CONTENT_TYPE] = r.contentType;
      if (r.durableExecutionArn !== undefined) headers[DURABLE_ARN] = r.durableExecutionArn;
      if (r.error) {
        headers['x-esb-error-kind'] = r.error.kind;
        headers['x-esb-error-message'] = encodeURIComponent(r.error.message);
      }
      res.writeHead(r.error ? STATUS[r.error.kind] : 200, headers);
      res.end(r.payload);
    } catch (err) {
      if (ac.signal.aborted) return;
      o.log?.error({ err, fn }, 'invoke failed');
      send(res, 500, JSON.stringify({ errorType: 'ServiceException', errorMessage: String(err) }));
    }
  }

  /** A streamed response: its chunks as they come; how it ended in trailers (docs/agent.md "Response streaming"). */
  function streamAnswer(res: http.ServerResponse, r: InvokeResult, stream: ResponseStream): void {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-esb-request-id': r.requestId, [STREAM_CONTENT_TYPE]: stream.contentType, trailer: 'x-esb-error-kind, x-esb-error-message, x-esb-error-body' });
    res.on('close', () => {
      if (!res.writableFinished) stream.cancel();
    });
    stream.open({
      chunk: (bytes) => void res.write(bytes),
      end: (failure) => {
        if (failure) res.addTrailers({ 'x-esb-error-kind': failure.kind, 'x-esb-error-message': encodeURIComponent(failure.message), 'x-esb-error-body': failure.payload.toString('base64') });
        res.end();
      },
    });
  }

  /** An event the storage service posts: read within its size cap, checked, handed over. */
  async function storageEvent<T>(req: http.IncomingMessage, res: http.ServerResponse, parse: (body: Buffer) => T | undefined, expected: string, deliver: (event: T) => void, max = MAX_EVENT_BYTES): Promise<void> {
    const body = await readCapped(req, res, max, { message: `an event is at most ${max} bytes` });
    if (!body) return;
    const event = parse(body);
    if (!event) return send(res, 400, JSON.stringify({ message: `expected ${expected}` }));
    deliver(event);
    send(res, 202, '{}');
  }

  /**
   * A call of an API the agent answers: Step Functions and Firehose, which the storage service
   * forwards, and the durable execution API, which the gateway forwards. Answered as that service answers it.
   */
  async function apiCall(req: http.IncomingMessage, res: http.ServerResponse, service: string, max: number, answer: ((call: ApiCall) => Promise<ApiAnswer>) | undefined, action: string): Promise<void> {
    const body = await readCapped(req, res, max, { __type: 'ValidationException', message: `a ${service} request is at most ${max} bytes` });
    if (!body) return;
    if (!answer) return send(res, 400, JSON.stringify({ __type: 'UnknownOperationException', message: `this agent does not answer the ${service} API` }));
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      return send(res, 400, JSON.stringify({ __type: 'SerializationException', message: `The request body is not JSON: ${(err as Error).message}` }));
    }
    const trace = req.headers['x-amzn-trace-id'];
    const answered = await answer({ action, input, ...(typeof trace === 'string' ? { traceHeader: trace } : {}) });
    send(res, answered.status, JSON.stringify(answered.body));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request's body, or undefined once a 413 with `tooLarge` is sent (past `max` bytes the rest is not read). */
async function readCapped(req: http.IncomingMessage, res: http.ServerResponse, max: number, tooLarge: Record<string, unknown>): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) {
      send(res, 413, JSON.stringify(tooLarge));
      req.destroy();
      return undefined;
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const FORWARDED_PATHS = Object.keys(FORWARDED_APIS) as ForwardedApi[];

/** An item is at most 400 KB, and a record holds two images of one. */
const MAX_EVENT_BYTES = 1024 * 1024;
/** One PutRecords stores at most 5 MiB of data and keys, base64 here. */
const MAX_KINESIS_EVENT_BYTES = 8 * 1024 * 1024;

function parseObjectEvent(body: Buffer): ObjectEvent | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!v || typeof v.bucket !== 'string' || typeof v.key !== 'string' || typeof v.eventName !== 'string' || typeof v.time !== 'number') return undefined;
  const e: ObjectEvent = { bucket: v.bucket, key: v.key, eventName: v.eventName, time: v.time };
  if (typeof v.size === 'number') e.size = v.size;
  if (typeof v.eTag === 'string') e.eTag = v.eTag;
  if (typeof v.sourceIp === 'string') e.sourceIp = v.sourceIp;
  return e;
}

/** A body read as JSON and checked against the contract's schema; undefined when it is not one. */
function parseWith<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): (body: Buffer) => T | undefined {
  return (body) => {
    let v: unknown;
    try {
      v = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    const checked = schema.safeParse(v);
    return checked.success ? checked.data : undefined;
  };
}

const parseStreamRecord = parseWith(StreamRecord);
const parseKinesisRecords = parseWith(KinesisRecords);
/** What one PutEvents accepted: at most its 10 entries. */
const parseBusEvents = parseWith(BusEvents);
/** What one Publish or PublishBatch accepted. */
const parseTopicMessages = parseWith(TopicMessages);
/** What came due in the storage's EventBridge Scheduler. */
const parseScheduleFirings = parseWith(ScheduleFirings);

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
