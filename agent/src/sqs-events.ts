// SQS queues of functions.yml (docs/agent.md, "SQS queues"): each enabled mapping polls its
// queue on esb's SQS endpoint as Lambda's event source mapping does (long polls, batches of up
// to batch_size gathered for up to batching_window_seconds), invokes its function with the
// batch and deletes what the function took. Messages of a failed batch are left alone: they
// come back after the queue's visibility timeout, and the SQS server moves them to the
// dead-letter queue after maxReceiveCount. The pure parts (the event, filters, batching
// decisions, partial batch responses) are kept apart from the SDK adapter at the end.
import { compileFilters, isMissingQueue, lineageOf, localQueueUrl, queueArn, RECURSION_LIMIT, withLineage, type Credentials, type FunctionsFile, type InvokeResult, type SqsQueueEvent } from '@esb/contracts';
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from './clock.js';

/** SQS's limits: messages per ReceiveMessage / entries per DeleteMessageBatch, longest long poll. */
export const SQS_MAX_RECEIVE = 10;
export const SQS_MAX_WAIT_SECONDS = 20;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/**
 * A queue that does not exist yet is polled again every second: a deploy writes functions.yml
 * (and so starts the mapping) before it provisions the queue, and the first messages should not
 * wait for a long backoff.
 */
const MISSING_QUEUE_RETRY_MS = 1000;
/** An empty answer to a long poll sooner than this: the server does not wait, so the poller does. */
const MIN_EMPTY_POLL_MS = 1000;

// ---------------------------------------------------------------- the event, as Lambda builds it

export interface LambdaSqsMessageAttribute {
  stringValue?: string;
  /** Base64, as in Lambda's event. */
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

export interface LambdaSqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, LambdaSqsMessageAttribute>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

/** The system attributes Lambda hands on, in its order (FIFO queues add SequenceNumber, MessageGroupId, MessageDeduplicationId). */
const RECORD_ATTRIBUTES = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'SenderId',
  'MessageDeduplicationId',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
];

const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function lambdaAttribute(v: MessageAttributeValue): LambdaSqsMessageAttribute {
  return {
    ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
    ...(v.BinaryValue !== undefined ? { binaryValue: base64(v.BinaryValue) } : {}),
    stringListValues: v.StringListValues ?? [],
    binaryListValues: (v.BinaryListValues ?? []).map(base64),
    dataType: v.DataType ?? 'String',
  };
}

/** A received message as a record of Lambda's SQS event. */
export function lambdaSqsRecord(m: Message, queue: string, region: string): LambdaSqsRecord {
  const attributes: Record<string, string> = {};
  for (const name of RECORD_ATTRIBUTES) {
    const v = (m.Attributes as Record<string, string> | undefined)?.[name];
    if (v !== undefined) attributes[name] = v;
  }
  const messageAttributes: Record<string, LambdaSqsMessageAttribute> = {};
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) messageAttributes[name] = lambdaAttribute(v);
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? '',
    ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn(queue, region),
    awsRegion: region,
  };
}

// ---------------------------------------------------------------- filters

/**
 * A mapping's FilterCriteria as a test of a record, as Lambda filters SQS messages: the
 * pattern's `body` is matched against the parsed body when the body is JSON (an object or a
 * list), else against the text; the other keys against the record's fields. One pattern
 * matching is enough; a list with one that no longer parses takes nothing.
 */
export function messageFilter(filters: readonly string[] | undefined): (record: LambdaSqsRecord) => boolean {
  if (!filters?.length) return () => true;
  const passes = compileFilters(filters);
  return (record) => passes({ ...record, body: parsedBody(record.body) });
}

function parsedBody(body: string): unknown {
  const start = body.trimStart()[0];
  if (start !== '{' && start !== '[') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

// ---------------------------------------------------------------- partial batch responses

/**
 * ReportBatchItemFailures: the message ids to keep (not delete) after a successful invocation.
 * No answer, null, an object without `batchItemFailures` or an empty list: none. An answer that
 * is not JSON or not an object, a list of another shape, or an identifier that is not a message
 * of the batch: every message, as Lambda fails the whole batch then.
 */
export function failedMessageIds(payload: Buffer, messageIds: readonly string[]): string[] {
  const text = payload.toString('utf8').trim();
  if (text === '') return [];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...messageIds];
  }
  if (body === null) return [];
  if (typeof body !== 'object' || Array.isArray(body)) return [...messageIds];
  const failures = (body as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return [...messageIds];
  const inBatch = new Set(messageIds);
  const failed = new Set<string>();
  for (const f of failures) {
    const id = f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || !inBatch.has(id)) return [...messageIds];
    failed.add(id);
  }
  return messageIds.filter((id) => failed.has(id));
}

// ---------------------------------------------------------------- batching decisions

export interface Gathering {
  batchSize: number;
  windowMs: number;
  /** Messages gathered so far. */
  gathered: number;
  /** When the first of them came. */
  firstAt?: number;
  now: number;
}

export type NextStep = { kind: 'receive'; max: number; waitSeconds: number } | { kind: 'invoke' };

/**
 * What the poller does next while it gathers a batch: a full batch goes; with no window a batch
 * goes as soon as a receive brought anything (as Lambda's); with one, it goes when the window
 * since its first message is over. Long polls never outlast the window by more than a second
 * (WaitTimeSeconds is whole seconds), and an empty poller waits the longest SQS allows.
 */
export function nextStep(g: Gathering): NextStep {
  if (g.gathered >= g.batchSize) return { kind: 'invoke' };
  const max = Math.min(SQS_MAX_RECEIVE, g.batchSize - g.gathered);
  if (g.gathered === 0) return { kind: 'receive', max, waitSeconds: SQS_MAX_WAIT_SECONDS };
  const left = (g.firstAt ?? g.now) + g.windowMs - g.now;
  if (left <= 0) return { kind: 'invoke' };
  return { kind: 'receive', max, waitSeconds: Math.min(SQS_MAX_WAIT_SECONDS, Math.ceil(left / 1000)) };
}

/** Lambda's start: five batches of a queue in flight at once when messages are there. */
export const DEFAULT_MAPPING_CONCURRENCY = 5;

/**
 * Batches of a mapping in flight at once: Lambda's five, or ScalingConfig.MaximumConcurrency,
 * never more than the function's own instances.
 */
export function mappingConcurrency(event: Pick<SqsQueueEvent, 'maximum_concurrency'>, functionMaxCapacity: number): number {
  return Math.max(1, Math.min(event.maximum_concurrency ?? DEFAULT_MAPPING_CONCURRENCY, functionMaxCapacity));
}

/** Why a receive failed, said once per outage: a queue not provisioned yet, an endpoint not up. */
export function describeSqsError(err: unknown, queue: string, endpoint: string): string {
  const e = (err ?? {}) as { code?: string; message?: string; cause?: { code?: string } };
  if (isMissingQueue(err)) return `queue ${queue} does not exist on ${endpoint} yet`;
  const code = e.code ?? e.cause?.code;
  if (code && /^E[A-Z]+$/.test(code)) return `cannot reach ${endpoint} (${code})`;
  return e.message || String(err);
}

// ---------------------------------------------------------------- delivery

/** What the poller needs of SQS (the SDK adapter below, or a fake in tests). */
export interface SqsPort {
  receive(queueUrl: string, o: { max: number; waitSeconds: number; signal: AbortSignal }): Promise<Message[]>;
  /** Deletes the messages; the entries SQS could not delete, with why. */
  delete(queueUrl: string, entries: Array<{ Id: string; ReceiptHandle: string }>): Promise<Array<{ Id: string; message: string }>>;
  close(): void;
}

export interface SqsDeliveryOptions {
  /** esb's SQS endpoint; without one, SQS mappings are skipped (one warning each). */
  endpoint?: string;
  region: string;
  credentials: Credentials;
  clock: Clock;
  /** A function's max_capacity when functions.yml gives none. */
  defaultMaxCapacity: number;
  /** `traceId`: the trace header the function gets (docs/agent.md "Recursive loops"). */
  invoke(functionName: string, payload: Buffer, traceId?: string): Promise<InvokeResult>;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  /** Replaces the @aws-sdk/client-sqs adapter (tests). */
  port?: SqsPort;
}

export interface SqsMappingStats {
  functionName: string;
  mapping: string;
  queue: string;
  /** Batches at most in flight at once. */
  concurrency: number;
  /** Messages handed to the function and not settled yet. */
  inFlight: number;
  /** Why the queue cannot be read right now (retried with backoff). */
  error?: string;
}

interface Poller {
  functionName: string;
  event: SqsQueueEvent;
  /** What the poller was started with: a mapping whose signature changes gets a new poller. */
  signature: string;
  queueUrl: string;
  concurrency: number;
  takes: (record: LambdaSqsRecord) => boolean;
  stopped: boolean;
  abort: AbortController;
  batches: Set<Promise<void>>;
  inFlight: number;
  error?: string;
  /** Ends a backoff wait early (the poller stops). */
  wake?: () => void;
  done: Promise<void>;
}

export class SqsDelivery {
  private readonly pollers = new Map<string, Poller>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly warnedNoEndpoint = new Set<string>();
  private port?: SqsPort;
  private closed = false;

  constructor(private readonly o: SqsDeliveryOptions) {}

  /** The mappings of functions.yml: new or changed enabled ones start polling, others stop. */
  setFunctions(file: FunctionsFile): void {
    if (this.closed) return;
    const seen = new Set<string>();
    for (const [functionName, cfg] of Object.entries(file.functions)) {
      for (const event of cfg.events) {
        if (event.type !== 'sqs' || !event.enabled) continue;
        const id = `${functionName}\0${event.name}`;
        if (!this.o.endpoint) {
          if (!this.warnedNoEndpoint.has(id)) this.o.warn({ fn: functionName, mapping: event.name, queue: event.queue }, `SQS mapping ${event.name} of ${functionName}: no SQS endpoint is configured (AWS_ENDPOINT_URL_SQS), queue ${event.queue} is not read`);
          this.warnedNoEndpoint.add(id);
          continue;
        }
        seen.add(id);
        const concurrency = mappingConcurrency(event, cfg.scaling.max_capacity ?? this.o.defaultMaxCapacity);
        const signature = JSON.stringify([event.queue, event.batch_size, event.batching_window_seconds, event.report_batch_item_failures, event.filters ?? [], concurrency]);
        const running = this.pollers.get(id);
        if (running?.signature === signature) continue;
        if (running) this.stop(id, running);
        this.start(id, functionName, event, signature, concurrency);
      }
    }
    for (const [id, p] of this.pollers) if (!seen.has(id)) this.stop(id, p);
  }

  /** The mappings being polled, for the agent's stats. */
  list(): SqsMappingStats[] {
    return [...this.pollers.values()].map((p) => ({
      functionName: p.functionName,
      mapping: p.event.name,
      queue: p.event.queue,
      concurrency: p.concurrency,
      inFlight: p.inFlight,
      ...(p.error ? { error: p.error } : {}),
    }));
  }

  /** Stops every poller (pending long polls are aborted) and resolves when their batches have settled. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, p] of this.pollers) this.stop(id, p);
    await Promise.all(this.stopping);
    this.port?.close();
    this.port = undefined;
  }

  private start(id: string, functionName: string, event: SqsQueueEvent, signature: string, concurrency: number): void {
    const endpoint = this.o.endpoint!;
    this.port ??= this.o.port ?? createSqsClientPort({ endpoint, region: this.o.region, credentials: this.o.credentials });
    const p: Poller = {
      functionName,
      event,
      signature,
      queueUrl: localQueueUrl(endpoint, event.queue),
      concurrency,
      takes: messageFilter(event.filters),
      stopped: false,
      abort: new AbortController(),
      batches: new Set(),
      inFlight: 0,
      done: Promise.resolve(),
    };
    this.pollers.set(id, p);
    this.o.info({ fn: functionName, mapping: event.name, queue: event.queue, concurrency }, 'SQS mapping: polling');
    p.done = this.run(p, this.port).catch((err) => this.o.warn({ fn: functionName, mapping: event.name, err: String(err) }, `SQS mapping ${event.name} of ${functionName} stopped`));
  }

  private stop(id: string, p: Poller): void {
    p.stopped = true;
    p.abort.abort();
    p.wake?.();
    this.pollers.delete(id);
    const done = p.done.finally(() => this.stopping.delete(done));
    this.stopping.add(done);
  }

  private async run(p: Poller, port: SqsPort): Promise<void> {
    let failures = 0;
    while (!p.stopped) {
      if (p.batches.size >= p.concurrency) {
        await Promise.race(p.batches);
        continue;
      }
      const startedAt = this.o.clock.now();
      let batch: Message[];
      try {
        batch = await this.gather(p, port);
      } catch (err) {
        if (p.stopped) break;
        const reason = describeSqsError(err, p.event.queue, this.o.endpoint!);
        const fields = { fn: p.functionName, mapping: p.event.name, queue: p.event.queue };
        // Expected for a moment after every deploy that adds a queue: said, not warned.
        if (isMissingQueue(err)) {
          if (reason !== p.error) this.o.info(fields, `SQS mapping ${p.event.name} of ${p.functionName}: ${reason}; polling it every ${MISSING_QUEUE_RETRY_MS / 1000} s`);
          p.error = reason;
          failures = 0;
          await this.sleep(p, MISSING_QUEUE_RETRY_MS);
          continue;
        }
        const wait = Math.min(FIRST_RETRY_MS * 2 ** failures, MAX_RETRY_MS);
        failures++;
        if (reason !== p.error) this.o.warn(fields, `SQS mapping ${p.event.name} of ${p.functionName}: ${reason}; retrying (${FIRST_RETRY_MS / 1000} s doubling to ${MAX_RETRY_MS / 1000} s)`);
        p.error = reason;
        await this.sleep(p, wait);
        continue;
      }
      if (p.error) this.o.info({ fn: p.functionName, mapping: p.event.name, queue: p.event.queue }, `SQS mapping ${p.event.name} of ${p.functionName}: reading queue ${p.event.queue} again`);
      p.error = undefined;
      failures = 0;
      if (batch.length === 0) {
        if (!p.stopped && this.o.clock.now() - startedAt < MIN_EMPTY_POLL_MS) await this.sleep(p, MIN_EMPTY_POLL_MS);
        continue;
      }
      const settled: Promise<void> = this.deliver(p, port, batch)
        .catch((err) => this.o.warn({ fn: p.functionName, mapping: p.event.name, err: String(err) }, 'SQS batch failed'))
        .finally(() => p.batches.delete(settled));
      p.batches.add(settled);
    }
    await Promise.all(p.batches);
  }

  /** Up to batch_size messages, as nextStep decides; what was gathered survives a later failed receive. */
  private async gather(p: Poller, port: SqsPort): Promise<Message[]> {
    const messages: Message[] = [];
    let firstAt: number | undefined;
    for (;;) {
      const step = nextStep({ batchSize: p.event.batch_size, windowMs: p.event.batching_window_seconds * 1000, gathered: messages.length, firstAt, now: this.o.clock.now() });
      if (step.kind === 'invoke' || p.stopped) return messages;
      let got: Message[];
      try {
        got = await port.receive(p.queueUrl, { max: step.max, waitSeconds: step.waitSeconds, signal: p.abort.signal });
      } catch (err) {
        if (messages.length > 0) return messages;
        throw err;
      }
      if (got.length === 0 && messages.length === 0) return messages;
      if (got.length > 0 && firstAt === undefined) firstAt = this.o.clock.now();
      messages.push(...got);
    }
  }

  /** One batch: filtered-out messages are deleted, the rest go to the function, what it took is deleted. */
  private async deliver(p: Poller, port: SqsPort, batch: Message[]): Promise<void> {
    p.inFlight += batch.length;
    try {
      const records = batch.map((m) => lambdaSqsRecord(m, p.event.queue, this.o.region));
      const taken: LambdaSqsRecord[] = [];
      const filteredOut: LambdaSqsRecord[] = [];
      const looping: LambdaSqsRecord[] = [];
      for (const r of records) (!p.takes(r) ? filteredOut : lineageOf(r.attributes.AWSTraceHeader) >= RECURSION_LIMIT ? looping : taken).push(r);
      if (filteredOut.length) await this.delete(p, port, filteredOut);
      if (looping.length) {
        // A recursive loop: not invoked, left on the queue for its redrive policy, as Lambda does.
        this.o.warn({ fn: p.functionName, mapping: p.event.name, queue: p.event.queue, messages: looping.length }, `recursive loop stopped: ${looping.length} message(s) of queue ${p.event.queue} come from a chain of ${RECURSION_LIMIT} invocations; ${p.functionName} is not invoked with them`);
      }
      if (taken.length === 0) return;
      const trace = taken.find((t) => t.attributes.AWSTraceHeader)?.attributes.AWSTraceHeader;
      const traceId = trace ? withLineage(trace, Math.max(...taken.map((t) => lineageOf(t.attributes.AWSTraceHeader))) + 1) : undefined;
      const fields = { fn: p.functionName, mapping: p.event.name, queue: p.event.queue, messages: taken.length };
      this.o.info(fields, 'SQS batch');
      let keep: string[];
      try {
        const r = await this.o.invoke(p.functionName, Buffer.from(JSON.stringify({ Records: taken })), traceId);
        if (r.error) {
          keep = taken.map((t) => t.messageId);
          this.o.warn({ ...fields, requestId: r.requestId, kind: r.error.kind }, `SQS batch failed (its messages come back after the visibility timeout): ${r.error.message}`);
        } else if (p.event.report_batch_item_failures) {
          keep = failedMessageIds(r.payload, taken.map((t) => t.messageId));
          if (keep.length) this.o.info({ ...fields, failed: keep.length }, 'SQS batch: the function reported failed messages');
        } else keep = [];
      } catch (err) {
        keep = taken.map((t) => t.messageId);
        this.o.warn({ ...fields, err: String(err) }, 'SQS batch failed');
      }
      const kept = new Set(keep);
      const done = taken.filter((t) => !kept.has(t.messageId));
      if (done.length) await this.delete(p, port, done);
    } finally {
      p.inFlight -= batch.length;
    }
  }

  private async delete(p: Poller, port: SqsPort, records: LambdaSqsRecord[]): Promise<void> {
    const fields = { fn: p.functionName, mapping: p.event.name, queue: p.event.queue };
    for (let i = 0; i < records.length; i += SQS_MAX_RECEIVE) {
      // Entry ids are the positions: message ids need not satisfy SQS's rules for batch entry ids.
      const entries = records.slice(i, i + SQS_MAX_RECEIVE).map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle }));
      try {
        const failed = await port.delete(p.queueUrl, entries);
        if (failed.length) this.o.warn({ ...fields, messages: failed.length }, `SQS: ${failed.length} message(s) not deleted (they come back after the visibility timeout): ${failed[0].message}`);
      } catch (err) {
        this.o.warn({ ...fields, messages: entries.length, err: String(err) }, 'SQS: messages not deleted (they come back after the visibility timeout)');
      }
    }
  }

  private sleep(p: Poller, ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (p.stopped) return resolve();
      const timer = this.o.clock.setTimeout(() => {
        p.wake = undefined;
        resolve();
      }, ms);
      p.wake = () => {
        this.o.clock.clearTimeout(timer);
        p.wake = undefined;
        resolve();
      };
    });
  }
}

// ---------------------------------------------------------------- the SDK adapter

/** Message attributes of text and numbers, as SendMessage takes them. */
export type SqsStringAttributes = Record<string, { DataType: 'String' | 'Number'; StringValue: string }>;

/** What a message to a FIFO queue carries besides its body. */
export interface FifoFields {
  groupId: string;
  deduplicationId: string;
}

/** Sends one message (a failed asynchronous invocation to its queue, an event to a rule's queue target). */
export interface SqsSender {
  /** `traceHeader`: the message's AWSTraceHeader (a chain's lineage, docs/agent.md "Recursive loops"). */
  send(queueUrl: string, body: string, attributes?: SqsStringAttributes, fifo?: FifoFields, traceHeader?: string): Promise<void>;
}

/**
 * SqsPort on @aws-sdk/client-sqs against esb's endpoint, loaded when the first mapping starts.
 * Requests may take a long poll's 20 s; connecting may not.
 */
export function createSqsClientPort(o: { endpoint: string; region: string; credentials: Credentials }): SqsPort & SqsSender {
  let loaded: Promise<{ sdk: typeof import('@aws-sdk/client-sqs'); client: SQSClient }> | undefined;
  const sqs = () =>
    (loaded ??= import('@aws-sdk/client-sqs').then((sdk) => ({
      sdk,
      client: new sdk.SQSClient({
        endpoint: o.endpoint,
        region: o.region,
        credentials: o.credentials,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: (SQS_MAX_WAIT_SECONDS + 10) * 1000 },
      }),
    })));
  return {
    async receive(queueUrl, { max, waitSeconds, signal }) {
      const { sdk, client } = await sqs();
      const out = await client.send(
        new sdk.ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          // The older name of the same request field, for SQS servers that know only it.
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: signal },
      );
      return out.Messages ?? [];
    },
    async delete(queueUrl, entries) {
      const { sdk, client } = await sqs();
      const out = await client.send(new sdk.DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      return (out.Failed ?? []).map((f) => ({ Id: f.Id ?? '', message: f.Message ?? f.Code ?? 'failed' }));
    },
    async send(queueUrl, body, attributes, fifo, traceHeader) {
      const { sdk, client } = await sqs();
      const fifoFields = fifo ? { MessageGroupId: fifo.groupId, MessageDeduplicationId: fifo.deduplicationId } : {};
      const trace = traceHeader ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } } } : {};
      await client.send(new sdk.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, ...(attributes ? { MessageAttributes: attributes } : {}), ...fifoFields, ...trace }));
    },
    close() {
      void loaded?.then(({ client }) => client.destroy());
    },
  };
}
