// One function instance and its own Lambda Runtime API endpoint (a listening port per
// instance, so that AWS_LAMBDA_RUNTIME_API stays a plain host:port and the agent knows which
// instance calls). The pool decides which instance serves which invocation.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { isStreamingMode, RuntimeApiServer, type RuntimeRequest, type RuntimeResponder, type StreamHead } from './runtime-api-server.js';
import { encodeFrame, type Frame, FrameDecoder, FRAME_ERROR, FRAME_EVENT, FRAME_INIT_ERROR, FRAME_LAST_ERROR, FRAME_NEXT, FRAME_RECALL, FRAME_RECALLED, FRAME_RESPONSE, FRAME_STREAM_CHUNK, FRAME_STREAM_START, OUTPUT_MARK } from './instance-channel.js';
import { DEFAULT_STREAM_CONTENT_TYPE, InvocationStream, MAX_STREAMED_BYTES, tooLargeMessage } from './response-stream.js';
import type { InstanceHandle } from './driver.js';
import type { InvocationStatus } from './logs.js';
import { loopbackPeerUid } from './isolation.js';
import { jsonObjectOf, streamFailureOf, type InvokeContext, type InvokeErrorKind, type InvokeResult } from '@esb/contracts';

export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/** The header esb's runtime clients send with the instance's secret (docs/security.md). */
export const RUNTIME_SECRET_HEADER = 'x-esb-runtime-secret';
const P = '/2018-06-01/runtime';
const NEXT = `${P}/invocation/next`;
const INIT_ERROR = `${P}/init/error`;
const INVOCATION = `${P}/invocation/`;

export type InstanceState = 'starting' | 'idle' | 'busy' | 'stopping' | 'dead';

export interface Invocation {
  requestId: string;
  payload: Buffer;
  ctx: InvokeContext;
  /** The trace header the function gets (Lambda-Runtime-Trace-Id): every invocation has one. */
  traceId: string;
  receivedAt: number;
  deliveredAt?: number;
  /** When the pool gave it to a ready instance (pool clock, ms): the start of its round trip. */
  assignedAt?: number;
  /** What the runtime reported as its own time for it (event in -> result out, ms), when it does. */
  runtimeMs?: number;
  done: boolean;
  /**
   * Queued inside an instance that gave it back when recalled, or went away before taking it
   * (docs/agent.md#queued-in-the-instance): it never started, and the pool gives it to another instance.
   */
  notStarted?: boolean;
  /** Queued, and the runtime was asked not to run it (RECALL sent). */
  recalled?: boolean;
  /** The runtime marks where its output starts (OUTPUT_MARK): queued for a function that prints. */
  markOutput?: boolean;
  timer?: NodeJS.Timeout;
  /** The response the runtime streams, from when it starts (docs/agent.md "Response streaming"). */
  stream?: InvocationStream;
  /** Told when the runtime starts streaming, for a caller that takes streams (`ctx.acceptStream`). */
  onStream?(stream: InvocationStream): void;
  resolve(r: InvokeResult): void;
}

export interface InstanceEvents {
  /** First call to /next: init is over. */
  onReady(inst: Instance): void;
  /** The instance is gone; `initFailed` when it died before its first /next. */
  onExit(inst: Instance, initFailed: boolean): void;
  onPlatformLine(inst: Instance, requestId: string | undefined, line: string): void;
  /** The runtime took the invocation (Lambda's START line). */
  onStart(inst: Instance, requestId: string): void;
  /** An invocation finished (for REPORT), after its result was handed back. */
  onInvocationEnd(inst: Instance, inv: Invocation, durationMs: number, status: InvocationStatus): void;
}

export function errorPayload(errorType: string, errorMessage: string, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage, ...extra }));
}

/** A response past its limit: the function's error, as Lambda reports it. */
function tooLargeResult(requestId: string, limit: number): InvokeResult {
  const message = tooLargeMessage(limit);
  return errorResult(requestId, 'FunctionError', message, errorPayload('Function.ResponseSizeTooLarge', message));
}

export function errorResult(requestId: string, kind: InvokeErrorKind, message: string, payload?: Buffer, durationMs = 0): InvokeResult {
  return { requestId, durationMs, payload: payload ?? errorPayload(kind, message), error: { kind, message } };
}

export class Instance {
  state: InstanceState = 'starting';
  readonly server: RuntimeApiServer;
  port = 0;
  handle?: InstanceHandle;
  current?: Invocation;
  /**
   * Invocations already written to the instance channel behind `current`, in order: the runtime
   * takes the next as soon as it has sent the previous one's result (docs/agent.md#queued-in-the-instance).
   */
  readonly queued: Invocation[] = [];
  /** Invocations the pool has given this instance and not yet taken back (current, queued, answered). */
  held = 0;
  /**
   * The request whose output lines are being read: the current one, else the last one (a line
   * the handler printed can be read after its response, as on Lambda it belongs to that request).
   */
  get outputRequestId(): string | undefined {
    return this.current?.requestId ?? this.lastRequestId;
  }

  /** Per stream, the request whose OUTPUT_MARK was read last, while it runs or waits here. */
  private readonly marked: { stdout?: string; stderr?: string } = {};

  /**
   * The request an output line belongs to (undefined for a mark line, which is not output):
   * after a mark, the marked request while it is this instance's, else `outputRequestId`.
   */
  outputOwner(stream: 'stdout' | 'stderr', line: string): { requestId: string | undefined; line: string } | undefined {
    const at = line.indexOf(OUTPUT_MARK);
    if (at >= 0) {
      // Text before the mark is the end of the previous event's last line, printed without a newline.
      const before = at > 0 ? { requestId: this.ownerOf(stream), line: line.slice(0, at) } : undefined;
      this.marked[stream] = line.slice(at + OUTPUT_MARK.length);
      return before;
    }
    return { requestId: this.ownerOf(stream), line };
  }

  private ownerOf(stream: 'stdout' | 'stderr'): string | undefined {
    const id = this.marked[stream];
    if (id !== undefined) {
      if (this.current?.requestId === id || this.queued.some((q) => q.requestId === id)) return id;
      this.marked[stream] = undefined;
    }
    return this.outputRequestId;
  }
  private lastRequestId?: string;
  parked?: RuntimeResponder;
  readyAt?: number;
  initDurationMs?: number;
  /** Reported once, on the first REPORT line. */
  initReported = false;
  initError?: Buffer;
  invocations = 0;
  idleTimer?: unknown;
  stopRequested = false;
  /** Set by the pool when init ran past its limit (counts as an init failure). */
  initTimedOut = false;
  /** Started ahead for min_capacity (provisioned concurrency), not for a request. */
  provisioned = false;
  initTimer?: NodeJS.Timeout;
  private exitedOnce = false;
  /** Given to esb's runtime clients outside the environment; proves a connection is this instance's. */
  readonly runtimeApiSecret = randomBytes(24).toString('hex');
  private readonly secretBytes = Buffer.from(this.runtimeApiSecret);
  private attachedWaiters: Array<() => void> = [];
  /** The instance channel (esb's own clients in the process runtime), and whether it waits for an event. */
  private channel?: Duplex;
  private channelWaiting = false;
  /** Frames written this turn, not yet sent (sendFrame). */
  private unsentFrames: Buffer[] = [];

  constructor(
    readonly id: string,
    readonly functionName: string,
    readonly gen: number,
    readonly timeoutMs: number,
    readonly arn: string,
    private readonly events: InstanceEvents,
    readonly createdAt = performance.now(),
  ) {
    this.server = new RuntimeApiServer(
      (req, res) => this.route(req, res),
      MAX_RESPONSE_BYTES,
      (req, socket) => this.admit(req, socket),
      (head) => this.streamHead(head),
    );
  }

  /**
   * Who may use this Runtime API: a client presenting the secret, or a process running as the
   * instance's uid (custom runtimes, AWS runtime interface clients); anyone when the driver
   * reports no uid (Docker: its own network). Connections are decided once, at their first request.
   */
  private admit(req: RuntimeRequest, socket: net.Socket): boolean | Promise<boolean> {
    const presented = req.headers[RUNTIME_SECRET_HEADER];
    if (presented !== undefined) {
      const b = Buffer.from(presented);
      return b.length === this.secretBytes.length && timingSafeEqual(b, this.secretBytes);
    }
    if (!this.handle) return new Promise<void>((r) => this.attachedWaiters.push(r)).then(() => this.admit(req, socket));
    const uid = this.handle.runtimeApiUid;
    if (uid === undefined) return true;
    return loopbackPeerUid(socket).then((peer) => peer === uid);
  }

  /** Binds this instance's Runtime API; returns "host:port" as the instance must use it. */
  async listen(bindHost: string, advertiseHost: string): Promise<string> {
    this.port = await this.server.listen(bindHost);
    return `${advertiseHost}:${this.port}`;
  }

  attach(handle: InstanceHandle): void {
    this.handle = handle;
    for (const w of this.attachedWaiters.splice(0)) w();
    void handle.exited.then((how) => this.exited(how));
    if (handle.channel) this.openChannel(handle.channel);
    // Stopped while it was still starting (config change, close): stop what just started.
    if (this.stopRequested) void handle.stop().catch(() => {});
  }

  /** Whether an invocation can be queued behind the current one, with fewer than `places` queued (esb's clients on the channel only). */
  canQueue(places: number): boolean {
    return this.channel !== undefined && this.queued.length < places && this.current?.deliveredAt !== undefined && !this.current.done && this.state === 'busy';
  }

  /**
   * Gives the instance an invocation; delivered now if the runtime waits on /next, else on its
   * next call. While it runs another (see canQueue), the event goes down the channel at once and
   * the runtime takes it after the results of those before it, with no round trip to this process between.
   */
  assign(inv: Invocation): void {
    if (this.current && !this.current.done) {
      if (!this.channel || this.current.deliveredAt === undefined) throw new Error(`instance ${this.id} is busy`);
      this.queued.push(inv);
      this.writeEvent(inv);
      return;
    }
    this.current = inv;
    this.state = 'busy';
    if (this.parked) {
      const res = this.parked;
      this.parked = undefined;
      this.deliver(res, inv);
    } else if (this.channelWaiting) {
      this.channelWaiting = false;
      this.deliverFrame(inv);
    }
  }

  /**
   * Asks the runtime to drop the invocations queued behind the running one (not yet asked); each
   * it drops comes back through its `resolve` with `notStarted`, one it has already taken runs.
   */
  recallQueued(): void {
    if (this.state !== 'busy') return; // stopping: what is queued comes back when it exits
    for (const q of this.queued) {
      if (q.recalled) continue;
      q.recalled = true;
      this.sendFrame(encodeFrame(FRAME_RECALL, q.requestId));
    }
  }

  /** Stops the process/container and the endpoint; the pool hears of it through onExit. */
  stop(): void {
    if (this.state === 'dead') return;
    this.stopRequested = true;
    if (this.state !== 'stopping') this.state = 'stopping';
    if (this.handle) void this.handle.stop().catch(() => {});
    else this.exited();
  }

  private exited(how?: { code: number | null; signal: string | null }): void {
    if (this.exitedOnce) return;
    this.exitedOnce = true;
    const wasReady = this.readyAt !== undefined;
    this.state = 'dead';
    if (this.parked) {
      this.parked.destroy();
      this.parked = undefined;
    }
    this.channelWaiting = false;
    this.channel?.destroy();
    this.server.close();
    const queued = this.queued.splice(0);
    const inv = this.current;
    if (inv && !inv.done && wasReady && inv.deliveredAt === undefined) {
      // Given to it after its last answer, and never taken: it never started (a runtime that
      // ends after an event, as Lambda's Java runtime after a VirtualMachineError, or a custom
      // runtime that handles one event); another instance takes it.
      queued.unshift(inv);
      this.current = undefined;
    } else if (inv && !inv.done) {
      if (!wasReady && this.initError) {
        const doc = jsonObjectOf(this.initError);
        const type = typeof doc?.errorType === 'string' ? doc.errorType : 'Runtime.InitError';
        const msg = typeof doc?.errorMessage === 'string' ? doc.errorMessage : 'init failed';
        this.finish(inv, errorResult(inv.requestId, 'FunctionError', `${type}: ${msg}`, this.initError));
      } else {
        const message = `RequestId: ${inv.requestId} Error: ${exitDescription(how, wasReady)}`;
        const type = this.handle?.outOfMemory?.() ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
        this.finish(inv, errorResult(inv.requestId, 'FunctionError', `${type}: ${message}`, errorPayload(type, message)));
      }
    }
    // The runtime takes a queued event only after the current one's result, which never came
    // (or was its last).
    for (const q of queued) {
      q.done = true;
      q.notStarted = true;
      q.resolve(errorResult(q.requestId, 'Unavailable', 'the instance went away before taking the event'));
    }
    this.events.onExit(this, !wasReady && (!this.stopRequested || this.initError !== undefined || this.initTimedOut));
  }

  /** Completes the current invocation (once). */
  finish(inv: Invocation, result: InvokeResult): void {
    if (inv.done) return;
    inv.done = true;
    if (inv.timer) clearTimeout(inv.timer);
    if (this.current === inv) this.current = undefined;
    this.lastRequestId = inv.requestId;
    const duration = inv.deliveredAt !== undefined ? performance.now() - inv.deliveredAt : 0;
    result.durationMs = duration;
    inv.stream?.end(streamFailureOf(result));
    inv.resolve(result);
    this.invocations++;
    this.events.onInvocationEnd(this, inv, duration, result.error === undefined ? 'success' : result.error.kind === 'Timeout' ? 'timeout' : 'error');
  }

  /**
   * The runtime answered `inv` (a result or an error document): completed, then the driver told.
   * A queued invocation becomes the current one: the runtime is already taking it.
   */
  private answered(inv: Invocation, result: InvokeResult): void {
    // Lines printed before the result belong to this invocation: read them before it ends.
    this.handle?.readOutput?.();
    if (this.queued.length && inv === this.current) {
      const next = this.queued.shift()!;
      this.finish(inv, result);
      this.current = next;
      this.started(next);
    } else this.finish(inv, result);
    this.handle?.served?.();
  }

  /**
   * The runtime's last answer: it ends after it (LAST_ERROR). Nothing more goes to it, and the
   * events queued in it, which it will not run, go to other instances when it has exited.
   */
  private lastAnswer(inv: Invocation, result: InvokeResult): void {
    this.handle?.readOutput?.();
    this.finish(inv, result);
    this.stop();
  }

  private deliver(res: RuntimeResponder, inv: Invocation): void {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': inv.payload.length,
      'lambda-runtime-aws-request-id': inv.requestId,
      'lambda-runtime-deadline-ms': Date.now() + this.timeoutMs,
      'lambda-runtime-invoked-function-arn': this.arn,
    };
    headers['lambda-runtime-trace-id'] = inv.traceId;
    if (inv.ctx.clientContext) headers['lambda-runtime-client-context'] = decodeClientContext(inv.ctx.clientContext);
    if (inv.ctx.cognitoIdentity) headers['lambda-runtime-cognito-identity'] = inv.ctx.cognitoIdentity;
    this.started(inv);
    res.send(200, headers, inv.payload);
  }

  private started(inv: Invocation): void {
    inv.deliveredAt = performance.now();
    this.events.onStart(this, inv.requestId);
    inv.timer = setTimeout(() => this.timedOut(inv), this.timeoutMs);
  }

  private openChannel(channel: Duplex): void {
    this.channel = channel;
    const decoder = new FrameDecoder(MAX_RESPONSE_BYTES);
    const onFrame = (f: Frame) => this.onFrame(f);
    channel.on('data', (chunk: Buffer) => {
      decoder.push(chunk, onFrame);
      if (decoder.failed) {
        this.events.onPlatformLine(this, this.current?.requestId, `esb: the runtime client broke the instance channel: ${decoder.failed}`);
        this.stop();
      }
    });
    channel.on('error', () => {});
  }

  /** The channel's counterpart of the Runtime API routes (docs/agent.md#the-instance-channel). */
  private onFrame(f: Frame): void {
    if (f.kind === FRAME_NEXT) return this.channelNext();
    if (f.kind === FRAME_STREAM_CHUNK || f.kind === FRAME_STREAM_START) {
      const inv = this.current;
      if (f.kind === FRAME_STREAM_START) {
        const nul = f.meta.indexOf('\0');
        const id = nul < 0 ? f.meta : f.meta.slice(0, nul);
        if (inv && inv.requestId === id && !inv.done && !inv.stream) this.streamStarted(inv, nul < 0 ? '' : f.meta.slice(nul + 1));
      } else if (inv && inv.requestId === f.meta && !inv.done && inv.stream) {
        if (f.tooLarge) this.streamOverLimit(inv);
        else this.streamChunk(inv, f.body);
      }
      return;
    }
    if (f.kind === FRAME_RESPONSE || f.kind === FRAME_ERROR || f.kind === FRAME_LAST_ERROR) {
      // R: id NUL µs; F and X: id NUL error type NUL µs (µs: the runtime's own time for the event).
      const parts = f.meta.split('\0');
      const id = parts[0];
      const inv = this.current;
      if (inv && inv.requestId === id && !inv.done) {
        const us = Number(parts[f.kind === FRAME_RESPONSE ? 1 : 2]);
        if (us >= 0) inv.runtimeMs = us / 1000;
        let result: InvokeResult;
        if (f.tooLarge) result = tooLargeResult(id, MAX_RESPONSE_BYTES);
        else if (f.kind === FRAME_RESPONSE) result = inv.stream ? this.streamResult(inv) : { requestId: id, durationMs: 0, payload: f.body };
        else {
          const doc = jsonObjectOf(f.body);
          const type = parts[1] || (typeof doc?.errorType === 'string' ? doc.errorType : 'Unhandled');
          const msg = typeof doc?.errorMessage === 'string' ? doc.errorMessage : '';
          result = errorResult(id, 'FunctionError', msg ? `${type}: ${msg}` : type, f.body);
        }
        if (f.kind === FRAME_LAST_ERROR) return this.lastAnswer(inv, result);
        this.answered(inv, result);
      }
      if (f.kind === FRAME_LAST_ERROR) return this.stop();
      return this.channelNext();
    }
    if (f.kind === FRAME_RECALLED) {
      const at = this.queued.findIndex((q) => q.requestId === f.meta && q.recalled);
      if (at < 0) return;
      const [q] = this.queued.splice(at, 1);
      q.done = true;
      q.notStarted = true;
      q.resolve(errorResult(q.requestId, 'Unavailable', 'recalled from the instance before it started'));
      return;
    }
    if (f.kind === FRAME_INIT_ERROR) {
      this.initError = f.tooLarge ? errorPayload('Runtime.InitError', 'init error (document too large)') : f.body;
      this.stop();
    }
  }

  private channelNext(): void {
    if (!this.markReady()) return;
    const inv = this.current;
    if (inv && !inv.done) {
      // Not yet sent: now. Already running: it came out of the instance's queue (answered()).
      if (inv.deliveredAt === undefined) this.deliverFrame(inv);
      return;
    }
    this.channelWaiting = true;
  }

  private deliverFrame(inv: Invocation): void {
    this.started(inv);
    this.writeEvent(inv);
  }

  /** The EVENT frame; its deadline is the time limit in ms, counted by the runtime from when it takes the event. */
  private writeEvent(inv: Invocation): void {
    const ctx = inv.ctx;
    const meta = `${inv.requestId}\0${this.timeoutMs}\0${this.arn}\0${inv.traceId}\0${ctx.clientContext ? decodeClientContext(ctx.clientContext) : ''}\0${ctx.cognitoIdentity ?? ''}\0${inv.markOutput ? '1' : ''}`;
    this.sendFrame(encodeFrame(FRAME_EVENT, meta, inv.payload));
  }

  /**
   * Frames for the runtime written in one turn of the event loop leave in one write: the
   * events a batch of results frees go down together and wake the runtime once
   * (docs/agent.md#the-instance-channel).
   */
  private sendFrame(frame: Buffer): void {
    if (this.unsentFrames.push(frame) === 1) process.nextTick(() => this.flushFrames());
  }

  private flushFrames(): void {
    const frames = this.unsentFrames;
    this.unsentFrames = [];
    if (this.state === 'dead') return;
    this.channel!.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }

  private timedOut(inv: Invocation): void {
    if (inv.done) return;
    const secs = (this.timeoutMs / 1000).toFixed(2);
    const message = `Task timed out after ${secs} seconds`;
    this.finish(
      inv,
      errorResult(inv.requestId, 'Timeout', message, errorPayload('Sandbox.Timedout', `RequestId: ${inv.requestId} Error: ${message}`)),
    );
    this.events.onPlatformLine(this, inv.requestId, `${new Date().toISOString()} ${inv.requestId} ${message}`);
    this.stop();
  }

  /**
   * The head of a POST .../response in streaming mode: its body goes to the invocation's stream
   * chunk by chunk as it arrives (undefined: read it whole, as any request).
   */
  private streamHead(head: StreamHead): ((bytes: Buffer) => void) | undefined {
    if (head.method !== 'POST' || !head.url.startsWith(INVOCATION) || !head.url.endsWith('/response')) return undefined;
    const id = decodeURIComponent(head.url.slice(INVOCATION.length, -'/response'.length));
    const inv = this.current;
    if (!inv || inv.requestId !== id || inv.done || inv.stream) return undefined;
    this.streamStarted(inv, head.headers['content-type'] ?? '');
    return (bytes) => {
      if (!inv.done) this.streamChunk(inv, bytes);
    };
  }

  /** The runtime starts streaming `inv`'s response: a caller that takes streams gets it now. */
  private streamStarted(inv: Invocation, contentType: string): InvocationStream {
    const stream = new InvocationStream(contentType || DEFAULT_STREAM_CONTENT_TYPE, inv.onStream ? MAX_STREAMED_BYTES : MAX_RESPONSE_BYTES);
    inv.stream = stream;
    inv.onStream?.(stream);
    return stream;
  }

  private streamChunk(inv: Invocation, bytes: Buffer): void {
    if (!inv.stream!.push(bytes)) this.streamOverLimit(inv);
  }

  /** Past the limit: the invocation fails; what the runtime still writes is dropped. */
  private streamOverLimit(inv: Invocation): void {
    this.answered(inv, tooLargeResult(inv.requestId, inv.stream!.limit));
  }

  /** A streamed response that ended well: whole for a caller that did not take the stream. */
  private streamResult(inv: Invocation): InvokeResult {
    const stream = inv.stream!;
    return { requestId: inv.requestId, durationMs: 0, payload: inv.onStream ? EMPTY : stream.whole(), contentType: stream.contentType };
  }

  private route(req: RuntimeRequest, res: RuntimeResponder): void {
    const url = req.url;
    if (req.method === 'GET' && url === NEXT) return this.onNext(res);
    if (req.method === 'POST' && url.startsWith(INVOCATION)) {
      const rest = url.slice(INVOCATION.length);
      const slash = rest.indexOf('/');
      const id = decodeURIComponent(rest.slice(0, slash));
      const what = rest.slice(slash + 1);
      if (slash > 0 && (what === 'response' || what === 'error')) return this.onResult(req, res, id, what);
    }
    if (req.method === 'POST' && url === INIT_ERROR) {
      this.initError = req.tooLarge ? errorPayload('Runtime.InitError', 'init error (document too large)') : req.body;
      reply(res, 202, '{"status":"OK"}');
      this.stop();
      return;
    }
    reply(res, 404, JSON.stringify({ errorType: 'NotFound', errorMessage: `${req.method} ${url} is not part of the Runtime API` }));
  }

  /** The first call for an event ends init; false when the instance is going away. */
  private markReady(): boolean {
    if (this.readyAt === undefined) {
      this.readyAt = performance.now();
      this.initDurationMs = this.readyAt - this.createdAt;
      this.events.onReady(this);
      if (this.state === 'stopping' || this.state === 'dead') return false;
    }
    return true;
  }

  private onNext(res: RuntimeResponder): void {
    if (!this.markReady()) return void res.destroy();
    const inv = this.current;
    if (inv && !inv.done && inv.deliveredAt === undefined) return this.deliver(res, inv);
    if (this.parked) this.parked.destroy();
    this.parked = res;
    res.onClose(() => {
      if (this.parked === res) this.parked = undefined;
    });
  }

  private onResult(req: RuntimeRequest, res: RuntimeResponder, id: string, what: 'response' | 'error'): void {
    const inv = this.current;
    if (!inv || inv.requestId !== id || inv.done) {
      reply(res, 400, JSON.stringify({ errorType: 'InvalidRequestID', errorMessage: `unknown or finished request ${id}` }));
      return;
    }
    if (req.tooLarge) {
      reply(res, 413, JSON.stringify({ errorType: 'RequestEntityTooLarge', errorMessage: tooLargeMessage(MAX_RESPONSE_BYTES) }));
      this.answered(inv, tooLargeResult(id, MAX_RESPONSE_BYTES));
      return;
    }
    const body = req.body;
    reply(res, 202, '{"status":"OK"}');
    if (what === 'response' && isStreamingMode(req.headers)) {
      // Streamed, but read whole: the connection was not yet admitted when its head came.
      if (!req.streamed) {
        const stream = inv.stream ?? this.streamStarted(inv, req.headers['content-type'] ?? '');
        if (!stream.push(body)) return this.streamOverLimit(inv);
      }
      const errorType = req.trailers?.['lambda-runtime-function-error-type'];
      if (errorType === undefined) return this.answered(inv, this.streamResult(inv));
      const doc = Buffer.from(req.trailers?.['lambda-runtime-function-error-body'] ?? '', 'base64');
      const parsed = jsonObjectOf(doc);
      const msg = typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : '';
      return this.answered(inv, errorResult(id, 'FunctionError', msg ? `${errorType}: ${msg}` : errorType, doc.length ? doc : errorPayload(errorType, msg)));
    }
    if (what === 'response') this.answered(inv, { requestId: id, durationMs: 0, payload: body });
    else {
      const doc = jsonObjectOf(body);
      const type = String(req.headers['lambda-runtime-function-error-type'] ?? doc?.errorType ?? 'Unhandled');
      const msg = typeof doc?.errorMessage === 'string' ? doc.errorMessage : '';
      this.answered(inv, errorResult(id, 'FunctionError', msg ? `${type}: ${msg}` : type, body));
    }
  }
}

const SIGNAL_NAMES: Record<string, string> = {
  SIGKILL: 'killed',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGFPE: 'floating point exception',
};

/** How Lambda words a runtime's exit: `Runtime exited with error: signal: killed`, `... exit status 1`. */
export function exitDescription(how: { code: number | null; signal: string | null } | undefined, wasReady: boolean): string {
  const during = wasReady ? '' : ' during init';
  if (how?.signal) return `Runtime exited${during} with error: signal: ${SIGNAL_NAMES[how.signal] ?? how.signal}`;
  if (how?.code) return `Runtime exited${during} with error: exit status ${how.code}`;
  return `Runtime exited${during} without providing a reason`;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const EMPTY = Buffer.alloc(0);

function reply(res: RuntimeResponder, status: number, body: string): void {
  res.send(status, JSON_HEADERS, body);
}

/** The Invoke API's Client-Context is base64 JSON; the Runtime API header carries the JSON. */
function decodeClientContext(b64: string): string {
  try {
    return Buffer.from(b64, 'base64').toString('utf8');
  } catch {
    return b64;
  }
}
