// What the console shows of the traffic: the last requests of each function (gateway routes and
// the Lambda Invoke API) and the last log lines of each function, in fixed-size ring buffers.
// Recording runs on the API path, so it is O(1) and allocation-light: parallel typed arrays and
// slots reused in place, no object per request (docs/console.md).

/** The gateway calls this once per answered request that reached a function. */
export type RequestObserver = (fn: string, route: string, method: string, path: string, status: number, durationMs: number, requestId: string) => void;

export interface InvocationView {
  time: number;
  function: string;
  route: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
}

export const INVOCATIONS_PER_FUNCTION = 256;
export const LOG_LINES_PER_FUNCTION = 1000;

/** The last `capacity` requests of one function. */
export class InvocationRing {
  private next = 0;
  private count = 0;
  private readonly time: Float64Array;
  private readonly duration: Float64Array;
  private readonly status: Uint16Array;
  private readonly requestId: string[];
  private readonly route: string[];
  private readonly method: string[];
  private readonly path: string[];

  constructor(
    readonly fn: string,
    readonly capacity = INVOCATIONS_PER_FUNCTION,
  ) {
    this.time = new Float64Array(capacity);
    this.duration = new Float64Array(capacity);
    this.status = new Uint16Array(capacity);
    this.requestId = new Array<string>(capacity).fill('');
    this.route = new Array<string>(capacity).fill('');
    this.method = new Array<string>(capacity).fill('');
    this.path = new Array<string>(capacity).fill('');
  }

  push(time: number, route: string, method: string, path: string, status: number, durationMs: number, requestId: string): void {
    const i = this.next;
    this.time[i] = time;
    this.duration[i] = durationMs;
    this.status[i] = status;
    this.requestId[i] = requestId;
    this.route[i] = route;
    this.method[i] = method;
    this.path[i] = path;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  list(limit = this.count): InvocationView[] {
    const n = Math.min(limit, this.count);
    const out: InvocationView[] = [];
    for (let k = n; k > 0; k--) {
      const i = (this.next - k + this.capacity) % this.capacity;
      out.push({
        time: this.time[i],
        function: this.fn,
        route: this.route[i],
        method: this.method[i],
        path: this.path[i],
        status: this.status[i],
        durationMs: this.duration[i],
        requestId: this.requestId[i],
      });
    }
    return out;
  }
}

export interface LogLineView {
  seq: number;
  time: number;
  function: string;
  requestId?: string;
  stream: string;
  message: string;
}

/** The last `capacity` log lines of one function, each with a sequence number shared by all functions. */
export class LogRing {
  private next = 0;
  private count = 0;
  private readonly seq: Float64Array;
  private readonly time: Float64Array;
  private readonly requestId: Array<string | undefined>;
  private readonly stream: string[];
  private readonly message: string[];

  constructor(
    readonly fn: string,
    readonly capacity = LOG_LINES_PER_FUNCTION,
  ) {
    this.seq = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.requestId = new Array<string | undefined>(capacity).fill(undefined);
    this.stream = new Array<string>(capacity).fill('');
    this.message = new Array<string>(capacity).fill('');
  }

  push(seq: number, time: number, requestId: string | undefined, stream: string, message: string): void {
    const i = this.next;
    this.seq[i] = seq;
    this.time[i] = time;
    this.requestId[i] = requestId;
    this.stream[i] = stream;
    this.message[i] = message;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.count < this.capacity) this.count++;
  }

  /** Lines with a sequence number above `afterSeq`, oldest first. */
  since(afterSeq: number): LogLineView[] {
    const out: LogLineView[] = [];
    for (let k = this.count; k > 0; k--) {
      const i = (this.next - k + this.capacity) % this.capacity;
      if (this.seq[i] <= afterSeq) continue;
      out.push({ seq: this.seq[i], time: this.time[i], function: this.fn, requestId: this.requestId[i], stream: this.stream[i], message: this.message[i] });
    }
    return out;
  }
}

/** A function's log line, as the agent's log sinks get it. */
export interface LogRecordLike {
  time: number;
  function: string;
  requestId?: string;
  stream: string;
  message: string;
}

export class Recorder {
  private readonly invocations = new Map<string, InvocationRing>();
  private readonly logs = new Map<string, LogRing>();
  private logSeq = 0;

  constructor(
    /** Told after each recorded request or log line (the console coalesces these). */
    private readonly onChange: (topic: 'invocations' | 'logs') => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** The gateway's per-request hook. */
  readonly observe: RequestObserver = (fn, route, method, path, status, durationMs, requestId) => {
    let ring = this.invocations.get(fn);
    if (ring === undefined) this.invocations.set(fn, (ring = new InvocationRing(fn)));
    ring.push(this.now(), route, method, path, status, durationMs, requestId);
    this.onChange('invocations');
  };

  /** An agent log sink: every line a function prints, START/END/REPORT included. */
  readonly logSink = {
    write: (rec: LogRecordLike): void => {
      let ring = this.logs.get(rec.function);
      if (ring === undefined) this.logs.set(rec.function, (ring = new LogRing(rec.function)));
      // A multi-line message comes as one line with carriage returns (docs/agent.md, "Log lines").
      ring.push(++this.logSeq, rec.time, rec.requestId, rec.stream, rec.message.replace(/\r/g, '\n'));
      this.onChange('logs');
    },
    close: async (): Promise<void> => {},
  };

  get lastLogSeq(): number {
    return this.logSeq;
  }

  invocationsOf(fn: string, limit?: number): InvocationView[] {
    return this.invocations.get(fn)?.list(limit) ?? [];
  }

  /** The last `limit` requests over every function, newest last. */
  recent(limit: number): InvocationView[] {
    const all: InvocationView[] = [];
    for (const ring of this.invocations.values()) all.push(...ring.list(limit));
    all.sort((a, b) => a.time - b.time);
    return all.slice(-limit);
  }

  functionsWithTraffic(): string[] {
    return [...this.invocations.keys()];
  }

  logsOf(fn: string, afterSeq = 0): LogLineView[] {
    return this.logs.get(fn)?.since(afterSeq) ?? [];
  }
}

/** Percentile of a list of numbers (nearest rank); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
