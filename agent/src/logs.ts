// Function logs: every line an instance prints (with the request id it printed it for)
// and Lambda's START/END/REPORT lines, to the agent's pino log, to <logDir>/<function>.log
// and, when configured, to VictoriaLogs (JSON lines, batched, never blocking an invoke).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Gather, millisText, oncePerSecond, type FunctionLogging } from '@esb/contracts';

export interface LogRecord {
  time: number;
  function: string;
  instance: string;
  requestId?: string;
  stream: 'stdout' | 'stderr' | 'platform';
  message: string;
  /** The log group the function's LoggingConfig names, if it names one (docs/agent.md, "Log lines"). */
  group?: string;
}

export interface LogSink {
  write(rec: LogRecord): void;
  close(): Promise<void>;
}

export function logFileName(functionName: string): string {
  return `${functionName.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
}

// Years outside 0000-9999 have another shape (`+010000-...`): no prefix, formatted whole.
const isoPrefix = oncePerSecond((second) => {
  const full = new Date(second * 1000).toISOString();
  return full.length === 24 ? full.slice(0, 20) : '';
});
/**
 * `Date#toISOString()` of an epoch time in ms: every invoke writes three platform lines (START,
 * END, REPORT), and toISOString costs about 1.3 µs each.
 */
export function isoTime(epochMs: number): string {
  const prefix = isoPrefix(epochMs);
  return prefix ? `${prefix}${millisText(epochMs)}Z` : new Date(Math.floor(epochMs)).toISOString();
}

/** One line of <function>.log: ISO time, request id (or "-"), message. */
export function formatLogLine(rec: LogRecord): string {
  return `${isoTime(rec.time)}\t${rec.requestId ?? '-'}\t${rec.message}\n`;
}

/**
 * A log line as the event it is: runtimes write a multi-line message as one line whose newlines
 * are carriage returns (as Lambda's runtimes do on stdout), so that it stays one event.
 */
export function eventText(message: string): string {
  return message.includes('\r') ? message.replace(/\r/g, '\n') : message;
}

export const LOG_TAIL_BYTES = 4096;

/** Lambda's X-Amz-Log-Result: base64 of the last 4 KB of the log lines (cut at a character boundary). */
export function logTail(lines: readonly string[], maxBytes = LOG_TAIL_BYTES): string {
  let bytes = Buffer.from(lines.map((l) => `${eventText(l)}\n`).join(''), 'utf8');
  if (bytes.length > maxBytes) {
    let start = bytes.length - maxBytes;
    while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++; // not inside a UTF-8 sequence
    bytes = bytes.subarray(start);
  }
  return bytes.toString('base64');
}

/** Lambda bills whole milliseconds, at least one. */
const billedMs = (durationMs: number) => Math.max(1, Math.ceil(durationMs));

export function reportLine(r: {
  requestId: string;
  durationMs: number;
  memoryMb: number;
  maxMemoryMb?: number;
  initDurationMs?: number;
}): string {
  let s = `REPORT RequestId: ${r.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${billedMs(r.durationMs)} ms\tMemory Size: ${r.memoryMb} MB\tMax Memory Used: ${r.maxMemoryMb ?? 0} MB`;
  if (r.initDurationMs !== undefined) s += `\tInit Duration: ${r.initDurationMs.toFixed(2)} ms`;
  return s;
}

/** How an invocation ended, as Lambda's platform.runtimeDone and platform.report say it. */
export type InvocationStatus = 'success' | 'error' | 'timeout';

export interface PlatformLines {
  /** START, or platform.start; undefined when the level leaves it out. */
  start(requestId: string): string | undefined;
  /** END and REPORT, or platform.runtimeDone and platform.report. */
  end(r: Parameters<typeof reportLine>[0] & { status: InvocationStatus }): string[];
}

/**
 * Lambda's own lines of each invocation (docs/agent.md, "Log lines"): text by default; with
 * LoggingConfig's JSON format, the Telemetry API's platform records, all at level INFO, so that
 * SystemLogLevel WARN leaves them out.
 */
export function platformLines(logging: FunctionLogging | undefined): PlatformLines {
  if (logging?.format !== 'JSON') {
    return {
      start: (requestId) => `START RequestId: ${requestId} Version: $LATEST`,
      end: (r) => [`END RequestId: ${r.requestId}`, reportLine(r)],
    };
  }
  if (logging.system_level === 'WARN') return { start: () => undefined, end: () => [] };
  const record = (type: string, body: Record<string, unknown>) => JSON.stringify({ time: isoTime(Date.now()), type, record: body });
  const ms = (n: number) => Math.round(n * 1000) / 1000;
  return {
    start: (requestId) => record('platform.start', { requestId, version: '$LATEST' }),
    end: (r) => [
      record('platform.runtimeDone', { requestId: r.requestId, status: r.status, metrics: { durationMs: ms(r.durationMs) } }),
      record('platform.report', {
        requestId: r.requestId,
        metrics: {
          durationMs: ms(r.durationMs),
          billedDurationMs: billedMs(r.durationMs),
          memorySizeMB: r.memoryMb,
          maxMemoryUsedMB: r.maxMemoryMb ?? 0,
          ...(r.initDurationMs !== undefined ? { initDurationMs: ms(r.initDurationMs) } : {}),
        },
        status: r.status,
      }),
    ],
  };
}

/** Emptied gather buffers kept for reuse. */
const SPARE_GATHERS = 4;

/**
 * Lines are copied as they come into one gather buffer shared by all functions (Gather), with
 * each function's stretches of it noted, and written every `flushMs` with one write per function
 * file (or at once when the buffer is full).
 */
export class FileLogSink implements LogSink {
  private readonly files = new Map<string, WriteStream>();
  private gather = new Gather();
  /** Per function, its stretches of the gather buffer as [start, end, start, end, ...]. */
  private readonly stretches = new Map<string, number[]>();
  private lastFunction: string | undefined;
  private lastStretch: number[] | undefined;
  private readonly spares: Gather[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly dir: string,
    private readonly flushMs = 20,
  ) {
    // One function's output is not another's to read (functions may run as other users).
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  write(rec: LogRecord): void {
    const line = formatLogLine(rec);
    this.append(rec.function, line);
    // The log group its LoggingConfig names has a file too: `esb logs <group>` shows every function writing to it.
    if (rec.group !== undefined) this.append(rec.group, line);
  }
  /** Adds a line to the file of `name` (a function, or a log group). */
  private append(name: string, line: string): void {
    if (this.gather.mayOverflow(line)) {
      this.flush();
      if (this.gather.tooLong(line)) {
        this.file(name).write(line);
        return;
      }
    }
    const start = this.gather.append(line);
    if (name === this.lastFunction) this.lastStretch![this.lastStretch!.length - 1] = this.gather.used;
    else {
      let s = this.stretches.get(name);
      if (!s) this.stretches.set(name, (s = []));
      s.push(start, this.gather.used);
      this.lastFunction = name;
      this.lastStretch = s;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.gather.used === 0) return;
    const gather = this.gather;
    // The buffer is the files' until their writes are done; then it is a spare again.
    let writing = this.stretches.size;
    const done = () => {
      if (--writing > 0 || this.spares.length >= SPARE_GATHERS) return;
      gather.used = 0;
      this.spares.push(gather);
    };
    for (const [fn, s] of this.stretches) {
      const f = this.file(fn);
      if (s.length > 2) f.cork();
      for (let i = 0; i < s.length; i += 2) f.write(gather.bytes.subarray(s[i], s[i + 1]), i + 2 === s.length ? done : undefined);
      if (s.length > 2) f.uncork();
    }
    this.stretches.clear();
    this.lastFunction = this.lastStretch = undefined;
    this.gather = this.spares.pop() ?? new Gather();
  }
  private file(fn: string): WriteStream {
    let f = this.files.get(fn);
    if (!f) {
      f = createWriteStream(path.join(this.dir, logFileName(fn)), { flags: 'a', mode: 0o600 });
      f.on('error', () => {}); // a full disk must not crash the agent
      this.files.set(fn, f);
    }
    return f;
  }
  async close(): Promise<void> {
    this.flush();
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((r) => f.end(r))));
    this.files.clear();
  }
}

export class PinoLogSink implements LogSink {
  constructor(private readonly log: Logger) {}
  write(rec: LogRecord): void {
    // START/END/REPORT come with every invoke: at debug level in the agent's log (they are in
    // the function's log file and `esb logs` always); what the function itself prints at info.
    if (rec.stream === 'platform') {
      if (this.log.isLevelEnabled('debug')) this.log.debug({ fn: rec.function, instance: rec.instance, requestId: rec.requestId, stream: rec.stream }, rec.message);
      return;
    }
    this.log.info({ fn: rec.function, instance: rec.instance, requestId: rec.requestId, stream: rec.stream }, rec.message);
  }
  async close(): Promise<void> {}
}

export interface VictoriaLogsOptions {
  url: string;
  flushMs?: number;
  maxBatch?: number;
  /** Lines kept while VictoriaLogs is slow or down; older ones are dropped (and counted). */
  maxBuffered?: number;
  fetch?: typeof fetch;
  onError?: (err: unknown) => void;
}

export class VictoriaLogsSink implements LogSink {
  private buf: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  dropped = 0;
  private readonly endpoint: string;
  constructor(private readonly o: VictoriaLogsOptions) {
    this.endpoint = `${o.url.replace(/\/$/, '')}/insert/jsonline?_stream_fields=function&_msg_field=_msg&_time_field=_time`;
  }
  write(rec: LogRecord): void {
    this.buf.push(
      JSON.stringify({
        _time: isoTime(rec.time),
        _msg: eventText(rec.message),
        function: rec.function,
        instance: rec.instance,
        request_id: rec.requestId,
        stream: rec.stream,
      }),
    );
    const max = this.o.maxBuffered ?? 50_000;
    if (this.buf.length > max) {
      this.dropped += this.buf.length - max;
      this.buf.splice(0, this.buf.length - max);
    }
    if (this.buf.length >= (this.o.maxBatch ?? 1000)) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.o.flushMs ?? 1000);
      this.timer.unref();
    }
  }
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inflight || this.buf.length === 0) return this.inflight ?? Promise.resolve();
    const batch = this.buf;
    this.buf = [];
    const f = this.o.fetch ?? fetch;
    this.inflight = f(this.endpoint, { method: 'POST', body: `${batch.join('\n')}\n`, headers: { 'content-type': 'application/stream+json' } })
      .then((res) => {
        if (!res.ok) throw new Error(`VictoriaLogs answered ${res.status}`);
      })
      .catch((err) => this.o.onError?.(err))
      .finally(() => {
        this.inflight = undefined;
        if (this.buf.length && !this.timer) {
          this.timer = setTimeout(() => this.flush(), this.o.flushMs ?? 1000);
          this.timer.unref();
        }
      });
    return this.inflight;
  }
  async close(): Promise<void> {
    await this.flush();
    if (this.buf.length) await this.flush();
  }
}

export class MultiLogSink implements LogSink {
  constructor(private readonly sinks: LogSink[]) {}
  write(rec: LogRecord): void {
    for (const s of this.sinks) s.write(rec);
  }
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
