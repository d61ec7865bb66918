// CloudWatch Logs subscriptions (docs/agent.md "Log subscriptions"): the lines of a function's
// log group (`/aws/lambda/<name>`) or of a log group rules write to, matched against each
// subscription's filter pattern, gathered for a second and handed to the subscribed function as
// CloudWatch Logs does: `{awslogs: {data}}`, the batch gzipped and base64. A log sink: it sees
// every line the agent writes.
import { gzipSync } from 'node:zlib';
import { compileLogFilter, type FunctionsFile, type LogFilter } from '@esb/contracts';
import { functionLogGroup, logStreamName } from './env.js';
import { eventText, type LogRecord, type LogSink } from './logs.js';

/** How long lines gather before a batch goes. */
export const LOG_BATCH_MS = 1_000;
/** A batch goes at once past this many lines or bytes (CloudWatch Logs' own limits are near). */
const MAX_BATCH_LINES = 10_000;
const MAX_BATCH_BYTES = 1024 * 1024;

interface Subscriber {
  function: string;
  name: string;
  filterName: string;
  accepts: LogFilter;
}

interface Batch {
  subscriber: Subscriber;
  group: string;
  stream: string;
  events: Array<{ id: string; timestamp: number; message: string }>;
  bytes: number;
}

export interface LogSubscriptionsOptions {
  /** Invokes the function asynchronously with the payload (`by` names the subscription). */
  deliver(fn: string, payload: Buffer, by: string): void;
  accountId: string;
  flushMs?: number;
}

export class LogSubscriptions implements LogSink {
  private byGroup = new Map<string, Subscriber[]>();
  /** Each function's log group (LoggingConfig.LogGroup, else `/aws/lambda/<name>`). */
  private groupOf = new Map<string, string>();
  private readonly batches = new Map<string, Batch>();
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;

  constructor(private readonly options: LogSubscriptionsOptions) {}

  setFunctions(file: FunctionsFile): void {
    const byGroup = new Map<string, Subscriber[]>();
    for (const [fn, config] of Object.entries(file.functions)) {
      for (const e of config.events) {
        if (e.type !== 'logs') continue;
        const subscriber = { function: fn, name: e.name, filterName: e.filter_name ?? e.name, accepts: compileLogFilter(e.filter_pattern) };
        (byGroup.get(e.log_group) ?? byGroup.set(e.log_group, []).get(e.log_group)!).push(subscriber);
      }
    }
    this.byGroup = byGroup;
    this.groupOf = new Map(Object.entries(file.functions).map(([fn, config]) => [fn, functionLogGroup(fn, config.logging)]));
  }

  write(rec: LogRecord): void {
    if (this.byGroup.size === 0) return;
    const own = this.groupOf.get(rec.function);
    const group = own ?? rec.function;
    const subscribers = this.byGroup.get(group);
    if (!subscribers) return;
    const stream = own ? logStreamName(rec.instance, rec.time) : rec.instance;
    for (const s of subscribers) {
      // A function is never handed its own lines: each delivery would log, and log again.
      if (s.function === rec.function || !s.accepts(rec.message)) continue;
      const key = `${s.function}\0${s.name}\0${group}\0${stream}`;
      let batch = this.batches.get(key);
      if (!batch) this.batches.set(key, (batch = { subscriber: s, group, stream, events: [], bytes: 0 }));
      // A runtime writes a multi-line message as one line with carriage returns: one event (docs/agent.md, "Log lines").
      batch.events.push({ id: this.eventId(rec.time), timestamp: rec.time, message: eventText(rec.message) });
      batch.bytes += rec.message.length + 26;
      if (batch.events.length >= MAX_BATCH_LINES || batch.bytes >= MAX_BATCH_BYTES) this.send(key, batch);
    }
    if (this.batches.size > 0 && !this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.flushMs ?? LOG_BATCH_MS);
      this.timer.unref();
    }
  }

  /** Sends every batch gathered so far. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, batch] of [...this.batches]) this.send(key, batch);
  }

  async close(): Promise<void> {
    this.flush();
  }

  private send(key: string, batch: Batch): void {
    this.batches.delete(key);
    const data = gzipSync(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: this.options.accountId,
        logGroup: batch.group,
        logStream: batch.stream,
        subscriptionFilters: [batch.subscriber.filterName],
        logEvents: batch.events,
      }),
    ).toString('base64');
    this.options.deliver(batch.subscriber.function, Buffer.from(JSON.stringify({ awslogs: { data } })), `log subscription ${batch.subscriber.name} (${batch.group})`);
  }

  /** CloudWatch Logs' event ids: digits that sort by time. */
  private eventId(time: number): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    return `${String(time).padStart(20, '0')}${String(this.sequence).padStart(6, '0')}${'0'.repeat(30)}`;
  }
}
