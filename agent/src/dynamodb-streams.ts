// DynamoDB streams of functions.yml (docs/agent.md, "DynamoDB streams"): the embedded DynamoDB
// server reports each change of an item in a table whose stream is on; every enabled mapping
// of that table queues the record (when its filters take it) and invokes its function with
// batches, in order, one batch at a time, as Lambda's event source mapping reads a shard. A
// failed batch is retried with backoff (1 s doubling to 30 s) until it succeeds, runs out of
// attempts or grows too old; ReportBatchItemFailures retries from the first failed record.
import { LOCAL_ACCOUNT_ID, compileFilters, type DynamoDBStreamEvent, type FunctionsFile, type InvokeResult, type StreamRecord } from '@esb/contracts';
import type { Clock } from './clock.js';

/** Records a mapping holds at most while its function is slow or failing; the oldest go first. */
export const MAX_QUEUED_RECORDS = 10_000;
const RETENTION_SECONDS = 24 * 3600;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** The record as Lambda hands it to the function. */
export interface LambdaStreamRecord {
  eventID: string;
  eventName: StreamRecord['eventName'];
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: StreamRecord['dynamodb'];
  eventSourceARN: string;
}

export function lambdaStreamRecord(r: StreamRecord, region: string): LambdaStreamRecord {
  // The stream's ARN in the region and account esb reports everywhere (what !GetAtt T.StreamArn gives).
  const label = r.streamArn.slice(r.streamArn.lastIndexOf('/stream/') + 8);
  return {
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: r.dynamodb,
    eventSourceARN: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${r.table}/stream/${label}`,
  };
}

interface Mapping {
  functionName: string;
  event: DynamoDBStreamEvent;
  /** Whether the mapping's FilterCriteria take a record (no filters: every record). */
  takes: (record: LambdaStreamRecord) => boolean;
  queue: Array<{ record: LambdaStreamRecord; at: number }>;
  running: boolean;
  timer?: unknown;
  attempts: number;
  removed: boolean;
  overflowing: boolean;
}

export interface StreamDeliveryOptions {
  region: string;
  clock: Clock;
  invoke(functionName: string, payload: Buffer): Promise<InvokeResult>;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export class StreamDelivery {
  private readonly mappings = new Map<string, Mapping>();
  private byTable = new Map<string, Mapping[]>();

  constructor(private readonly o: StreamDeliveryOptions) {}

  /** The mappings of functions.yml; a mapping kept from before keeps its queue. */
  setFunctions(file: FunctionsFile): void {
    const seen = new Set<string>();
    const byTable = new Map<string, Mapping[]>();
    for (const [functionName, cfg] of Object.entries(file.functions)) {
      for (const event of cfg.events) {
        if (event.type !== 'dynamodb') continue;
        const id = `${functionName}\0${event.name}`;
        seen.add(id);
        let m = this.mappings.get(id);
        if (!m) {
          m = { functionName, event, takes: compileFilters(event.filters), queue: [], running: false, attempts: 0, removed: false, overflowing: false };
          this.mappings.set(id, m);
        } else if (m.event.filters?.join('\n') !== event.filters?.join('\n')) m.takes = compileFilters(event.filters);
        m.event = event;
        if (!event.enabled) continue;
        (byTable.get(event.table) ?? byTable.set(event.table, []).get(event.table)!).push(m);
      }
    }
    for (const [id, m] of this.mappings) {
      if (seen.has(id)) continue;
      m.removed = true;
      if (m.timer !== undefined) this.o.clock.clearTimeout(m.timer);
      this.mappings.delete(id);
    }
    this.byTable = byTable;
  }

  /** Queues a change for every enabled mapping of its table whose filters take it; how many did. */
  deliver(change: StreamRecord): number {
    const mappings = this.byTable.get(change.table);
    if (!mappings) return 0;
    const record = lambdaStreamRecord(change, this.o.region);
    let taken = 0;
    for (const m of mappings) {
      if (!m.takes(record)) continue;
      if (m.queue.length >= MAX_QUEUED_RECORDS) {
        m.queue.shift();
        if (!m.overflowing) this.o.warn({ fn: m.functionName, mapping: m.event.name }, `DynamoDB stream: more than ${MAX_QUEUED_RECORDS} records wait for ${m.functionName}; the oldest are dropped`);
        m.overflowing = true;
      }
      m.queue.push({ record, at: this.o.clock.now() });
      taken++;
      this.schedule(m);
    }
    return taken;
  }

  /** The mappings in force, for the agent's stats. */
  list(): Array<{ functionName: string; mapping: string; table: string; queued: number }> {
    return [...this.mappings.values()].map((m) => ({ functionName: m.functionName, mapping: m.event.name, table: m.event.table, queued: m.queue.length }));
  }

  close(): void {
    for (const m of this.mappings.values()) {
      m.removed = true;
      if (m.timer !== undefined) this.o.clock.clearTimeout(m.timer);
    }
    this.mappings.clear();
    this.byTable = new Map();
  }

  private schedule(m: Mapping, delayMs?: number): void {
    if (m.running || m.removed || m.queue.length === 0) return;
    const full = m.queue.length >= m.event.batch_size;
    if (m.timer !== undefined) {
      // A batch that fills up goes now instead of at the end of its window (not a retry's wait).
      if (!full || m.attempts > 0) return;
      this.o.clock.clearTimeout(m.timer);
      m.timer = undefined;
    }
    const wait = delayMs ?? (full ? 0 : m.event.batching_window_seconds * 1000);
    m.timer = this.o.clock.setTimeout(() => {
      m.timer = undefined;
      void this.flush(m);
    }, wait);
  }

  private async flush(m: Mapping): Promise<void> {
    if (m.running || m.removed) return;
    this.dropExpired(m);
    if (m.queue.length === 0) return;
    m.running = true;
    const batch = m.queue.slice(0, m.event.batch_size);
    this.o.info({ fn: m.functionName, mapping: m.event.name, records: batch.length }, 'DynamoDB stream batch');
    let retryFrom: number | undefined;
    try {
      const r = await this.o.invoke(m.functionName, Buffer.from(JSON.stringify({ Records: batch.map((b) => b.record) })));
      if (r.error) {
        retryFrom = 0;
        this.o.warn({ fn: m.functionName, mapping: m.event.name, requestId: r.requestId, kind: r.error.kind, records: batch.length }, `DynamoDB stream batch failed: ${r.error.message}`);
      } else if (m.event.report_batch_item_failures) {
        retryFrom = firstFailed(r.payload, batch.map((b) => b.record.dynamodb.SequenceNumber));
      }
    } catch (err) {
      retryFrom = 0;
      this.o.warn({ fn: m.functionName, mapping: m.event.name, err: String(err) }, 'DynamoDB stream batch failed');
    } finally {
      m.running = false;
    }
    if (m.removed) return;
    if (retryFrom === undefined) {
      m.queue.splice(0, batch.length);
      m.attempts = 0;
      m.overflowing = false;
      this.schedule(m);
      return;
    }
    // The records before the first failure are done.
    m.queue.splice(0, retryFrom);
    m.attempts++;
    const max = m.event.maximum_retry_attempts;
    if (max >= 0 && m.attempts > max) {
      const dropped = m.queue.splice(0, batch.length - retryFrom).length;
      this.o.warn({ fn: m.functionName, mapping: m.event.name, records: dropped }, `DynamoDB stream: ${dropped} record(s) dropped after ${max} retries`);
      m.attempts = 0;
      this.schedule(m);
      return;
    }
    this.schedule(m, Math.min(FIRST_RETRY_MS * 2 ** (m.attempts - 1), MAX_RETRY_MS));
  }

  private dropExpired(m: Mapping): void {
    const maxAge = (m.event.maximum_record_age_seconds < 0 ? RETENTION_SECONDS : m.event.maximum_record_age_seconds) * 1000;
    const now = this.o.clock.now();
    let n = 0;
    while (n < m.queue.length && now - m.queue[n].at > maxAge) n++;
    if (n === 0) return;
    m.queue.splice(0, n);
    m.attempts = 0;
    this.o.warn({ fn: m.functionName, mapping: m.event.name, records: n }, `DynamoDB stream: ${n} record(s) older than ${maxAge / 1000} s dropped`);
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
