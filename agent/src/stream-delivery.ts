// Lambda's event source mapping of a stream (docs/agent.md "DynamoDB streams", docs/kinesis.md):
// the storage reports each record; every enabled mapping of its source queues it (when its
// filters take it) on the record's lane (a shard, or a slice of one with a parallelization
// factor) and invokes its function with batches of each lane in order, one batch per lane at a
// time, lanes side by side. A failed batch is retried with backoff (1 s doubling to 30 s), split
// in halves first when the mapping bisects, until it succeeds, runs out of attempts or grows too
// old; ReportBatchItemFailures retries from the first failed record. Records given up on are
// described (not sent) to the mapping's on-failure destination, as Lambda does.
import { LOCAL_ACCOUNT_ID, compileFilters, type InvokeResult, type StreamFailureDestination } from '@esb/contracts';
import type { Clock } from './clock.js';

/** Records a lane holds at most while its function is slow or failing; the oldest go first. */
export const MAX_QUEUED_RECORDS = 10_000;
/** Bytes all stream mappings of the agent hold at most (a Kinesis record may be 1 MiB). */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** A batch's payload stays within what a synchronous invocation takes (Lambda's 6 MB). */
export const MAX_BATCH_BYTES = 6 * 1024 * 1024;
const RETENTION_SECONDS = 24 * 3600;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** The fields every stream mapping has (DynamoDBStreamEvent, KinesisStreamEvent). */
export interface StreamMappingSettings {
  name: string;
  batch_size: number;
  batching_window_seconds: number;
  maximum_retry_attempts: number;
  maximum_record_age_seconds: number;
  report_batch_item_failures: boolean;
  bisect_batch_on_function_error: boolean;
  on_failure?: StreamFailureDestination;
  filters?: string[];
  enabled: boolean;
}

/** What differs between stream sources: how a reported record becomes the function's. */
export interface StreamKind<E extends StreamMappingSettings, C, R> {
  /** `DynamoDB stream`, `Kinesis stream`: the start of log lines. */
  label: string;
  /** The mapping events of this kind among a function's events. */
  mappingOf(event: { type: string }): E | undefined;
  /** The table or stream a mapping reads; the same of a reported record. */
  sourceOf(event: E): string;
  changeSource(change: C): string;
  toLambda(change: C, region: string): R;
  /** The queue a record waits in: its shard, or a slice of it. */
  laneOf(change: C, event: E): string;
  /** The shard named in failure records. */
  shardOfLane(lane: string): string;
  /** The batchItemFailures identifier and the order within a lane. */
  sequenceOf(record: R): string;
  /** Roughly what the record weighs in the agent's memory and in a payload. */
  sizeOf(change: C): number;
  /** What FilterCriteria patterns are matched against. */
  filterInput(record: R): unknown;
  streamArnOf(record: R): string;
  /** The key of the batch description in a failure record (`KinesisBatchInfo`, `DDBStreamBatchInfo`). */
  batchInfoKey: string;
}

interface Queued<R> {
  record: R;
  sequence: string;
  /** When the agent got it (the storage reports a record as it is written), for maximum_record_age_seconds. */
  arrival: number;
  size: number;
}

interface Lane<R> {
  id: string;
  queue: Array<Queued<R>>;
  running: boolean;
  timer?: unknown;
  attempts: number;
  /** Records the next batch takes at most: the batch size, or less while a failed batch is bisected. */
  limit: number;
  overflowing: boolean;
}

interface Mapping<E, R> {
  functionName: string;
  event: E;
  /** Whether the mapping's FilterCriteria take a record (no filters: every record). */
  takes: (record: R) => boolean;
  lanes: Map<string, Lane<R>>;
  removed: boolean;
}

export interface StreamDeliveryOptions {
  region: string;
  clock: Clock;
  invoke(functionName: string, payload: Buffer): Promise<InvokeResult>;
  /** Sends the record of a batch given up on to a mapping's on-failure destination. */
  sendFailure?(destination: StreamFailureDestination, record: string, functionName: string): void;
  functionArn?(functionName: string): string;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export class StreamDelivery<E extends StreamMappingSettings, C, R> {
  private readonly mappings = new Map<string, Mapping<E, R>>();
  private bySource = new Map<string, Array<Mapping<E, R>>>();
  private queuedBytes = 0;

  constructor(
    private readonly kind: StreamKind<E, C, R>,
    private readonly o: StreamDeliveryOptions,
  ) {}

  /** The mappings of functions.yml; a mapping kept from before keeps its queues. */
  setFunctions(file: { functions: Record<string, { events: Array<{ type: string }> }> }): void {
    const seen = new Set<string>();
    const bySource = new Map<string, Array<Mapping<E, R>>>();
    for (const [functionName, cfg] of Object.entries(file.functions)) {
      for (const candidate of cfg.events) {
        const event = this.kind.mappingOf(candidate);
        if (!event) continue;
        const id = `${functionName}\0${event.name}`;
        seen.add(id);
        let m = this.mappings.get(id);
        if (!m) {
          m = { functionName, event, takes: this.filterOf(event), lanes: new Map(), removed: false };
          this.mappings.set(id, m);
        } else if (m.event.filters?.join('\n') !== event.filters?.join('\n')) m.takes = this.filterOf(event);
        m.event = event;
        if (!event.enabled) continue;
        const source = this.kind.sourceOf(event);
        (bySource.get(source) ?? bySource.set(source, []).get(source)!).push(m);
      }
    }
    for (const [id, m] of this.mappings) if (!seen.has(id)) this.remove(id, m);
    this.bySource = bySource;
  }

  /** Queues a record for every enabled mapping of its source whose filters take it; how many did. */
  deliver(change: C): number {
    const mappings = this.bySource.get(this.kind.changeSource(change));
    if (!mappings) return 0;
    const record = this.kind.toLambda(change, this.o.region);
    const queued: Queued<R> = { record, sequence: this.kind.sequenceOf(record), arrival: this.o.clock.now(), size: this.kind.sizeOf(change) };
    let taken = 0;
    for (const m of mappings) {
      if (!m.takes(record)) continue;
      const laneId = this.kind.laneOf(change, m.event);
      let lane = m.lanes.get(laneId);
      if (!lane) {
        lane = { id: laneId, queue: [], running: false, attempts: 0, limit: m.event.batch_size, overflowing: false };
        m.lanes.set(laneId, lane);
      }
      while (lane.queue.length > 0 && (lane.queue.length >= MAX_QUEUED_RECORDS || this.queuedBytes + queued.size > MAX_QUEUED_BYTES)) {
        this.queuedBytes -= lane.queue.shift()!.size;
        if (!lane.overflowing) this.o.warn({ fn: m.functionName, mapping: m.event.name }, `${this.kind.label}: more than ${MAX_QUEUED_RECORDS} records or ${MAX_QUEUED_BYTES >> 20} MiB wait for ${m.functionName}; the oldest are dropped`);
        lane.overflowing = true;
      }
      lane.queue.push(queued);
      this.queuedBytes += queued.size;
      taken++;
      this.schedule(m, lane);
    }
    return taken;
  }

  /** The mappings in force, for the agent's stats. */
  list(): Array<{ functionName: string; mapping: string; source: string; queued: number }> {
    return [...this.mappings.values()].map((m) => ({ functionName: m.functionName, mapping: m.event.name, source: this.kind.sourceOf(m.event), queued: [...m.lanes.values()].reduce((n, l) => n + l.queue.length, 0) }));
  }

  close(): void {
    for (const [id, m] of this.mappings) this.remove(id, m);
    this.bySource = new Map();
  }

  private filterOf(event: E): (record: R) => boolean {
    if (!event.filters?.length) return () => true;
    const passes = compileFilters(event.filters);
    return (record) => passes(this.kind.filterInput(record));
  }

  private remove(id: string, m: Mapping<E, R>): void {
    m.removed = true;
    for (const lane of m.lanes.values()) {
      if (lane.timer !== undefined) this.o.clock.clearTimeout(lane.timer);
      this.drop(lane, lane.queue.length);
    }
    this.mappings.delete(id);
  }

  private drop(lane: Lane<R>, n: number): Array<Queued<R>> {
    const dropped = lane.queue.splice(0, n);
    for (const q of dropped) this.queuedBytes -= q.size;
    return dropped;
  }

  private schedule(m: Mapping<E, R>, lane: Lane<R>, delayMs?: number): void {
    if (lane.running || m.removed || lane.queue.length === 0) return;
    const full = lane.queue.length >= lane.limit;
    if (lane.timer !== undefined) {
      // A batch that fills up goes now instead of at the end of its window (not a retry's wait).
      if (!full || lane.attempts > 0) return;
      this.o.clock.clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    const wait = delayMs ?? (full ? 0 : m.event.batching_window_seconds * 1000);
    lane.timer = this.o.clock.setTimeout(() => {
      lane.timer = undefined;
      void this.flush(m, lane);
    }, wait);
  }

  /** The next batch: at most `limit` records and MAX_BATCH_BYTES of them (always one). */
  private nextBatch(lane: Lane<R>): Array<Queued<R>> {
    let bytes = 0;
    let n = 0;
    while (n < lane.queue.length && n < lane.limit && (n === 0 || bytes + lane.queue[n].size <= MAX_BATCH_BYTES)) bytes += lane.queue[n++].size;
    return lane.queue.slice(0, n);
  }

  private async flush(m: Mapping<E, R>, lane: Lane<R>): Promise<void> {
    if (lane.running || m.removed) return;
    this.dropExpired(m, lane);
    if (lane.queue.length === 0) return;
    lane.running = true;
    const batch = this.nextBatch(lane);
    const fields = { fn: m.functionName, mapping: m.event.name, shard: this.kind.shardOfLane(lane.id) };
    this.o.info({ ...fields, records: batch.length }, `${this.kind.label} batch`);
    let retryFrom: number | undefined;
    let functionError = false;
    let requestId = '';
    try {
      const r = await this.o.invoke(m.functionName, Buffer.from(JSON.stringify({ Records: batch.map((b) => b.record) })));
      requestId = r.requestId;
      if (r.error) {
        retryFrom = 0;
        functionError = true;
        this.o.warn({ ...fields, requestId: r.requestId, kind: r.error.kind, records: batch.length }, `${this.kind.label} batch failed: ${r.error.message}`);
      } else if (m.event.report_batch_item_failures) {
        retryFrom = firstFailed(r.payload, batch.map((b) => b.sequence));
      }
    } catch (err) {
      retryFrom = 0;
      this.o.warn({ ...fields, err: String(err) }, `${this.kind.label} batch failed`);
    } finally {
      lane.running = false;
    }
    if (m.removed) return;
    if (retryFrom === undefined) {
      this.drop(lane, batch.length);
      lane.attempts = 0;
      lane.limit = m.event.batch_size;
      lane.overflowing = false;
      this.schedule(m, lane);
      return;
    }
    // The records before the first failure are done.
    this.drop(lane, retryFrom);
    const failed = batch.length - retryFrom;
    // A failing batch is halved before it is retried (splitting does not use up attempts).
    if (functionError && m.event.bisect_batch_on_function_error && failed > 1) {
      lane.limit = Math.ceil(failed / 2);
      this.schedule(m, lane, 0);
      return;
    }
    lane.attempts++;
    const max = m.event.maximum_retry_attempts;
    if (max >= 0 && lane.attempts > max) {
      const dropped = this.drop(lane, failed);
      this.o.warn({ ...fields, records: dropped.length }, `${this.kind.label}: ${dropped.length} record(s) dropped after ${max} retries`);
      this.failed(m, lane, dropped, 'RetryAttemptsExhausted', lane.attempts, requestId, functionError);
      lane.attempts = 0;
      lane.limit = m.event.batch_size;
      this.schedule(m, lane);
      return;
    }
    this.schedule(m, lane, Math.min(FIRST_RETRY_MS * 2 ** (lane.attempts - 1), MAX_RETRY_MS));
  }

  private dropExpired(m: Mapping<E, R>, lane: Lane<R>): void {
    const maxAge = (m.event.maximum_record_age_seconds < 0 ? RETENTION_SECONDS : m.event.maximum_record_age_seconds) * 1000;
    const now = this.o.clock.now();
    let n = 0;
    while (n < lane.queue.length && now - lane.queue[n].arrival > maxAge) n++;
    if (n === 0) return;
    const dropped = this.drop(lane, n);
    const attempts = lane.attempts;
    lane.attempts = 0;
    lane.limit = m.event.batch_size;
    this.o.warn({ fn: m.functionName, mapping: m.event.name, records: n }, `${this.kind.label}: ${n} record(s) older than ${maxAge / 1000} s dropped`);
    this.failed(m, lane, dropped, 'RecordAgeExceeded', attempts, '', attempts > 0);
  }

  /** Lambda's record of records given up on, to the mapping's on-failure destination. */
  private failed(m: Mapping<E, R>, lane: Lane<R>, dropped: Array<Queued<R>>, condition: string, attempts: number, requestId: string, functionError: boolean): void {
    const destination = m.event.on_failure;
    if (!destination || dropped.length === 0 || !this.o.sendFailure) return;
    const first = dropped[0];
    const last = dropped[dropped.length - 1];
    const record = {
      requestContext: {
        requestId,
        functionArn: this.o.functionArn?.(m.functionName) ?? `arn:aws:lambda:${this.o.region}:${LOCAL_ACCOUNT_ID}:function:${m.functionName}`,
        condition,
        approximateInvokeCount: attempts,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(functionError ? { functionError: 'Unhandled' } : {}) },
      version: '1.0',
      timestamp: new Date(this.o.clock.now()).toISOString(),
      [this.kind.batchInfoKey]: {
        shardId: this.kind.shardOfLane(lane.id),
        startSequenceNumber: first.sequence,
        endSequenceNumber: last.sequence,
        approximateArrivalOfFirstRecord: new Date(first.arrival).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.arrival).toISOString(),
        batchSize: dropped.length,
        streamArn: this.kind.streamArnOf(first.record),
      },
    };
    this.o.sendFailure(destination, JSON.stringify(record), m.functionName);
  }
}

/**
 * ReportBatchItemFailures: the index of the first record the function reports failed, or
 * undefined when none did. An answer that is not the documented shape fails the whole batch,
 * as on Lambda.
 */
export function firstFailed(payload: Buffer, sequenceNumbers: string[]): number | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const failures = (body as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return undefined;
  if (!Array.isArray(failures)) return 0;
  let first: number | undefined;
  for (const f of failures) {
    const id = f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    const at = typeof id === 'string' ? sequenceNumbers.indexOf(id) : -1;
    if (at < 0) return 0;
    first = first === undefined ? at : Math.min(first, at);
  }
  return first;
}
