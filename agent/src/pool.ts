// The instances of one function: warm reuse, a concurrency cap with a wait queue
// (acquire_timeout, then Throttled), min_capacity started ahead, idle instances stopped
// (scale to zero), init failures backed off, fresh instances when the function changes.
// Instance policy (docs/agent.md#instance-policy): up to `warmInstances` instances start on
// demand; past that a request queues on the busy ones unless the queue's expected wait
// exceeds a cold start, or it has waited a cold start behind an instance held up on one
// invocation; never past `warmInstances` while the CPU is saturated.
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import type { InstanceDriver } from './driver.js';
import { Instance, errorPayload, errorResult, type Invocation } from './instance.js';
import { functionTraceHeader, type FunctionLogging, type InvokeContext, type InvokeResult } from '@esb/contracts';
import { platformLines, type InvocationStatus, type PlatformLines } from './logs.js';

export interface PoolConfig {
  name: string;
  /** Changes when the function changes (digest, image, code, env, config): new instances. */
  key: string;
  timeoutMs: number;
  memoryMb: number;
  maxCapacity: number;
  minCapacity: number;
  idleTimeoutMs: number;
  acquireTimeoutMs: number;
  arn: string;
  /** functions.yml `tracing: Active`: invocations nobody decided for are sampled (docs/agent.md "Trace id"). */
  activeTracing?: boolean;
  /** Why it cannot run here (an image function in the process runtime), if so. */
  unrunnable?: string;
  /** LoggingConfig: the form of START/END/REPORT (docs/agent.md, "Log lines"). */
  logging?: FunctionLogging;
}

export interface PoolDeps {
  driver: InstanceDriver;
  clock: Clock;
  initTimeoutMs: number;
  initBackoffMs: number;
  maxInitBackoffMs: number;
  /** Starts the instance: builds its environment and calls the driver. */
  launch(inst: Instance, cfg: PoolConfig, runtimeApi: string): Promise<void>;
  line(inst: Instance, stream: 'stdout' | 'stderr' | 'platform', requestId: string | undefined, message: string): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  /** Instances started on demand before requests queue (default: no limit but max_capacity). */
  warmInstances?: number;
  /** The cold start assumed until one is measured (ms; default 100). */
  coldStartGuessMs?: number;
  /**
   * True while the machine has no idle CPU (cpu-idle.ts): then the pool does not grow past
   * `warmInstances`, since one more instance would only share the busy cores. Default: never.
   */
  cpuSaturated?: () => boolean;
}

interface Waiter {
  resolve(v: Instance | InvokeResult): void;
  timer: unknown;
  requestId: string;
  /** Given to the instance that serves it, at that moment (handOut). */
  inv: Invocation;
  /** Fires after about a cold start: the waiter may then have an instance of its own. */
  spill?: unknown;
  spilled?: boolean;
}

const EMPTY_PAYLOAD = Buffer.alloc(0);
/** Weight of a new sample in the moving averages of invocation time and cold start. */
const EWMA = 0.2;

/**
 * The least a waiter waits behind a held-up instance before it may have its own, however short
 * cold starts are (spare runtimes: ~15 ms): a busy or briefly stalled esb event loop delays
 * results by tens of ms, and an instance started for that would not serve any sooner.
 */
const SPILL_MIN_MS = 100;

/**
 * Queuing in an instance (docs/agent.md#queued-in-the-instance): up to QUEUE_PLACES invocations
 * behind the running one, and no more than QUEUED_WORK_MS of the function's average time, only
 * for a function whose invocations take at most QUEUE_IN_INSTANCE_MS (the runtime's own time,
 * moving average), and only behind an invocation that has run less than HELD_UP_MS: a request
 * queued there waits behind a few short invocations, and is asked back when the one running
 * takes long (RECALL_AFTER_MS).
 */
export const QUEUE_PLACES = 4;
const QUEUED_WORK_MS = 2;
const QUEUE_IN_INSTANCE_MS = 1;
const HELD_UP_MS = 5;
/**
 * Invocations queued behind one that has run this long are asked back (RECALL): a short
 * function's outlier, a wait on I/O, must not hold them. Checked every RECALL_SWEEP_MS while any
 * instance has a queue.
 */
const RECALL_AFTER_MS = 10;
const RECALL_SWEEP_MS = 5;

/** Places behind a running invocation of a function averaging `averageMs`: QUEUE_PLACES, fewer when that would queue more than QUEUED_WORK_MS of work. */
export function queuePlacesFor(averageMs: number): number {
  return Math.min(QUEUE_PLACES, Math.floor(QUEUED_WORK_MS / averageMs));
}

export interface PoolStats {
  starting: number;
  idle: number;
  busy: number;
  stopping: number;
  waiting: number;
  invocations: number;
  coldStarts: number;
  /** Invocations that waited in an instance behind another (docs/agent.md#queued-in-the-instance). */
  queuedInInstances: number;
  /** Of those, the ones the instance gave back unstarted when asked (docs/agent.md#queued-in-the-instance). */
  recalledFromInstances: number;
  initFailures: number;
}

export class FunctionPool {
  private gen = 0;
  private readonly instances = new Set<Instance>();
  private idle: Instance[] = [];
  private waiters: Waiter[] = [];
  private initFailures = 0;
  private retryAt = 0;
  private lastInitError?: Buffer;
  private minTimer?: unknown;
  private removed = false;
  private invocations = 0;
  private coldStarts = 0;
  private queuedInInstances = 0;
  private recalledFromInstances = 0;
  private recallTimer?: unknown;
  /**
   * The function's instances printed during an invocation (this config): an invocation queued in
   * one then asks its runtime to mark where its output starts (Invocation.markOutput), since it
   * starts before this process hears of it and its lines could be read as the one's before.
   */
  private printed = false;
  private readonly launching = new Set<Promise<void>>();
  /** Moving averages (clock ms): assign -> result of an invocation, start -> ready of an instance. */
  private serviceMs?: number;
  private coldStartMs?: number;
  private readonly spawnedAt = new WeakMap<Instance, number>();
  /** When each instance took its current invocation, and when it became ready (clock ms). */
  private readonly busySince = new WeakMap<Instance, number>();
  private readonly readySince = new WeakMap<Instance, number>();

  /** START/END/REPORT in the function's log format. */
  private platformLines: PlatformLines;

  constructor(
    public cfg: PoolConfig,
    private readonly deps: PoolDeps,
  ) {
    this.platformLines = platformLines(cfg.logging);
  }

  /** A new config: same key keeps the instances; another key drains them and starts fresh ones. */
  update(cfg: PoolConfig): void {
    const changed = cfg.key !== this.cfg.key;
    this.cfg = cfg;
    this.platformLines = platformLines(cfg.logging);
    if (changed) {
      this.gen++;
      this.printed = false;
      this.initFailures = 0;
      this.retryAt = 0;
      for (const inst of this.idle) inst.stop();
      this.idle = [];
      for (const inst of this.instances) if (inst.state === 'starting' && !inst.current) inst.stop();
    }
    this.trimIdle();
    this.pump();
    this.ensureMin();
  }

  /** The function left functions.yml: in-flight work finishes, then everything stops. */
  remove(): void {
    this.removed = true;
    this.gen++;
    for (const inst of this.idle) inst.stop();
    this.idle = [];
    for (const inst of this.instances) if (!inst.current) inst.stop();
    for (const w of this.waiters.splice(0)) {
      this.clearWaiter(w);
      w.resolve(this.notFound(w.requestId));
    }
    if (this.minTimer) this.deps.clock.clearTimeout(this.minTimer);
  }

  async close(): Promise<void> {
    this.remove();
    const all = [...this.instances];
    for (const inst of all) inst.stop();
    // Instances still starting get their handle later (and stop it at once): wait for them.
    await Promise.all([...this.launching]);
    await Promise.all(all.map((i) => i.handle?.exited.catch(() => {})));
  }

  get size(): number {
    return this.instances.size;
  }

  stats(): PoolStats {
    const s: PoolStats = { starting: 0, idle: 0, busy: 0, stopping: 0, waiting: this.waiters.length, invocations: this.invocations, coldStarts: this.coldStarts, queuedInInstances: this.queuedInInstances, recalledFromInstances: this.recalledFromInstances, initFailures: this.initFailures };
    for (const i of this.instances) if (i.state !== 'dead') s[i.state]++;
    return s;
  }

  /** `traceId`: the header the function gets, made once from the caller's (docs/agent.md "Trace id"). */
  async invoke(requestId: string, payload: Buffer, ctx: InvokeContext, traceId = functionTraceHeader(ctx.traceId, this.cfg.activeTracing === true, this.deps.clock.now())): Promise<InvokeResult> {
    if (this.cfg.unrunnable) return errorResult(requestId, 'Unavailable', this.cfg.unrunnable);
    // ReservedConcurrentExecutions 0: Lambda throttles every invocation of the function.
    if (this.cfg.maxCapacity === 0) return errorResult(requestId, 'Throttled', 'Rate Exceeded.', errorPayload('TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }));
    const inv: Invocation = { requestId, payload, ctx, traceId, receivedAt: performance.now(), done: false, resolve: () => {} };
    const answer = new Promise<InvokeResult>((resolve) => (inv.resolve = resolve));
    // A warm instance is taken without waiting for a promise turn; whoever gives the invocation
    // an instance also gives it to the instance, at once (handOut).
    let got = this.acquire(inv);
    if (got instanceof Promise) got = await got;
    if (!(got instanceof Instance)) return got;
    const inst = got;
    if (ctx.acceptStream) {
      // A streamed response goes back as soon as it starts; the instance is released at its end.
      const streamed = new Promise<InvokeResult>((resolve) => (inv.onStream = (stream) => resolve({ requestId, durationMs: 0, payload: EMPTY_PAYLOAD, stream })));
      const first = await Promise.race([answer, streamed]);
      if (first.stream) {
        void answer.then(() => this.answered(inst, inv));
        return first;
      }
    }
    const result = await answer;
    if (inv.notStarted) {
      // Queued in an instance that gave it back or went away before taking it: it never ran;
      // another one takes it.
      inst.held--;
      this.invocations--;
      if (inv.recalled) this.recalledFromInstances++;
      if (this.removed) return this.notFound(requestId);
      return this.invoke(requestId, payload, ctx, traceId);
    }
    this.answered(inst, inv);
    return result;
  }

  /** An invocation that ran is over: its time sampled, its instance released. */
  private answered(inst: Instance, inv: Invocation): void {
    // Invocation time is sampled on warm instances only (a cold one's includes its init): the
    // runtime's own time when it reports it (esb's clients on the instance channel), else the
    // round trip. The round trip also holds waits for this process's event loop, which more
    // instances cannot shorten: counted as instance time it grew the pool under load.
    if (inv.assignedAt !== undefined) {
      const took = inv.runtimeMs ?? this.deps.clock.now() - inv.assignedAt;
      this.serviceMs = this.serviceMs === undefined ? took : this.serviceMs + EWMA * (took - this.serviceMs);
    }
    this.release(inst);
  }

  /** Gives `inv` to `inst`: to run now, or queued behind its running invocation. */
  private handOut(inst: Instance, inv: Invocation): void {
    inst.held++;
    this.invocations++;
    const now = this.deps.clock.now();
    const behind = inst.current !== undefined && !inst.current.done;
    if (behind) {
      this.queuedInInstances++;
      if (this.printed) inv.markOutput = true;
      this.armRecallSweep();
    } else this.busySince.set(inst, now);
    if (inst.readyAt !== undefined) inv.assignedAt = now;
    inst.assign(inv);
    if (!behind) this.offerQueuePlaces(inst);
  }

  /** What a request gets once the function has left functions.yml. */
  private notFound(requestId: string): InvokeResult {
    const message = `Function not found: ${this.cfg.arn}`;
    return errorResult(requestId, 'UnknownFunction', message, errorPayload('ResourceNotFoundException', message));
  }

  private inBackoff(): boolean {
    return this.initFailures > 0 && this.deps.clock.now() < this.retryAt;
  }

  private backoffResult(requestId: string): InvokeResult {
    const secs = Math.max(0, (this.retryAt - this.deps.clock.now()) / 1000).toFixed(1);
    const message = `function ${this.cfg.name}: init failed ${this.initFailures} times in a row; next attempt in ${secs} s`;
    return errorResult(requestId, 'Unavailable', message, this.lastInitError);
  }

  private liveCount(): number {
    let n = 0;
    for (const i of this.instances) if (i.gen === this.gen && (i.state === 'starting' || i.state === 'idle' || i.state === 'busy')) n++;
    return n;
  }

  private acquire(inv: Invocation): Instance | InvokeResult | Promise<Instance | InvokeResult> {
    const { requestId, ctx } = inv;
    const warm = this.idle.pop();
    if (warm) {
      this.deps.clock.clearTimeout(warm.idleTimer);
      warm.state = 'busy';
      this.handOut(warm, inv);
      return warm;
    }
    if (this.inBackoff()) return this.backoffResult(requestId);
    const room = this.liveCount() < this.cfg.maxCapacity;
    if (room && this.shouldGrow(1)) {
      const inst = this.spawn(true);
      this.handOut(inst, inv);
      return inst;
    }
    const behind = this.queuePlace();
    if (behind) {
      this.handOut(behind, inv);
      return behind;
    }
    // Only a request that waits listens for a cancel: through onCancel when the caller offers
    // it (no AbortSignal built), else its signal (the gateway creates it on first read).
    const onCancel = ctx.onCancel;
    const signal = onCancel ? undefined : ctx.signal;
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      let unlisten: (() => void) | undefined;
      const w: Waiter = {
        requestId,
        inv,
        resolve: (v) => {
          unlisten?.();
          signal?.removeEventListener('abort', onSignal);
          resolve(v);
        },
        timer: this.deps.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          this.deps.clock.clearTimeout(w.spill);
          const message = `Rate Exceeded: no instance of ${this.cfg.name} became free within ${this.cfg.acquireTimeoutMs} ms (max_capacity ${this.cfg.maxCapacity})`;
          w.resolve(errorResult(requestId, 'Throttled', message, errorPayload('TooManyRequestsException', message, { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' })));
        }, this.cfg.acquireTimeoutMs),
      };
      const onAbort = (reason?: Error) => {
        this.waiters = this.waiters.filter((x) => x !== w);
        this.clearWaiter(w);
        reject(reason ?? signal!.reason);
      };
      const onSignal = () => onAbort();
      if (onCancel) unlisten = onCancel(onAbort);
      else signal?.addEventListener('abort', onSignal, { once: true });
      // Queued by the policy, not the cap: after about a cold start it may start an instance.
      if (room) this.armSpill(w);
      this.waiters.push(w);
    });
  }

  /**
   * After about a cold start in the queue the waiter may have an instance of its own, when an
   * instance has been on one invocation about as long (a slow invocation holds the queue up, not
   * this process being busy) and the CPU is not saturated; else it looks again after another.
   */
  private armSpill(w: Waiter): void {
    const wait = Math.max(this.coldStartEstimate(), SPILL_MIN_MS);
    w.spill = this.deps.clock.setTimeout(() => {
      if (!this.heldUp(wait) || this.deps.cpuSaturated?.()) return this.armSpill(w);
      w.spilled = true;
      this.pump();
    }, wait);
  }

  /**
   * Whether a ready instance of the current config has been running one invocation for `ms` or
   * more. One still in its cold start does not count: another cold start would be no sooner.
   */
  private heldUp(ms: number): boolean {
    const now = this.deps.clock.now();
    for (const i of this.instances) {
      if (i.gen !== this.gen || i.state !== 'busy') continue;
      const ready = this.readySince.get(i);
      const since = this.busySince.get(i);
      if (ready !== undefined && since !== undefined && now - Math.max(since, ready) >= ms) return true;
    }
    return false;
  }

  /** An instance printed a line during an invocation (stdout or stderr). */
  heardOutput(): void {
    this.printed = true;
  }

  /** Whether this function's invocations are short enough to queue in an instance. */
  private queuesInInstances(): boolean {
    return !this.removed && this.serviceMs !== undefined && this.serviceMs <= QUEUE_IN_INSTANCE_MS;
  }

  /** Whether `inst` has a free queue place, behind an invocation that is not held up. */
  private hasQueuePlace(inst: Instance, now: number): boolean {
    return inst.gen === this.gen && inst.canQueue(queuePlacesFor(this.serviceMs!)) && now - inst.current!.deliveredAt! < HELD_UP_MS;
  }

  /** A busy instance a request may queue in: the fewest queued, then the running invocation that started first. */
  private queuePlace(): Instance | undefined {
    if (!this.queuesInInstances()) return undefined;
    const now = performance.now();
    let best: Instance | undefined;
    for (const i of this.instances) {
      if (!this.hasQueuePlace(i, now)) continue;
      if (!best || i.queued.length < best.queued.length || (i.queued.length === best.queued.length && i.current!.deliveredAt! < best.current!.deliveredAt!)) best = i;
    }
    return best;
  }

  /** While any instance has a queue: asks back what waits behind an invocation running RECALL_AFTER_MS or more. */
  private armRecallSweep(): void {
    if (this.recallTimer !== undefined) return;
    this.recallTimer = this.deps.clock.setTimeout(() => {
      this.recallTimer = undefined;
      const now = performance.now();
      let queues = false;
      for (const i of this.instances) {
        if (!i.queued.length) continue;
        queues = true;
        const since = i.current?.deliveredAt;
        if (since !== undefined && now - since >= RECALL_AFTER_MS) i.recallQueued();
      }
      if (queues) this.armRecallSweep();
    }, RECALL_SWEEP_MS);
  }

  /** The oldest waiters take `inst`'s free queue places. */
  private offerQueuePlaces(inst: Instance): void {
    if (!this.waiters.length || !this.queuesInInstances()) return;
    const now = performance.now();
    while (this.waiters.length && this.hasQueuePlace(inst, now)) {
      const w = this.waiters.shift()!;
      this.clearWaiter(w);
      this.handOut(inst, w.inv);
      w.resolve(inst);
    }
  }

  private clearWaiter(w: Waiter): void {
    this.deps.clock.clearTimeout(w.timer);
    if (w.spill !== undefined) this.deps.clock.clearTimeout(w.spill);
  }

  private coldStartEstimate(): number {
    return this.coldStartMs ?? this.deps.coldStartGuessMs ?? 100;
  }

  /**
   * The instance policy: start one more instance (there is room under max_capacity) when fewer
   * than `warmInstances` run, or when the expected wait of the last of `waiters + extra` queued
   * requests on the instances there are exceeds a cold start, and the CPU is not saturated.
   */
  private shouldGrow(extra: number): boolean {
    const live = this.liveCount();
    if (live < Math.max(1, this.deps.warmInstances ?? Infinity)) return true;
    if (this.serviceMs === undefined || this.deps.cpuSaturated?.()) return false;
    return ((this.waiters.length + extra) * this.serviceMs) / live > this.coldStartEstimate();
  }

  /** A new instance; `reserved` ones are handed to the caller, others become idle when ready; `provisioned` ones keep min_capacity. */
  private spawn(reserved: boolean, provisioned = false): Instance {
    const id = randomBytes(16).toString('hex');
    const inst = new Instance(id, this.cfg.name, this.gen, this.cfg.timeoutMs, this.cfg.arn, {
      onReady: (i) => this.onReady(i),
      onExit: (i, initFailed) => this.onExit(i, initFailed),
      onPlatformLine: (i, rid, line) => this.deps.line(i, 'platform', rid, line),
      onInvocationEnd: (i, inv, d, status) => this.onInvocationEnd(i, inv, d, status),
      onStart: (i, rid) => {
        const line = this.platformLines.start(rid);
        if (line !== undefined) this.deps.line(i, 'platform', rid, line);
      },
    });
    if (reserved) inst.state = 'busy';
    inst.provisioned = provisioned;
    this.spawnedAt.set(inst, this.deps.clock.now());
    this.instances.add(inst);
    this.coldStarts++;
    const cfg = this.cfg;
    const initTimer = setTimeout(() => {
      if (inst.readyAt !== undefined || inst.state === 'dead') return;
      inst.initTimedOut = true;
      const inv = inst.current;
      const message = `Init timed out after ${(this.deps.initTimeoutMs / 1000).toFixed(2)} seconds`;
      if (inv) inst.finish(inv, errorResult(inv.requestId, 'Timeout', message, errorPayload('Runtime.InitTimeout', message)));
      inst.stop();
    }, this.deps.initTimeoutMs);
    initTimer.unref();
    inst.initTimer = initTimer;
    const launched = (async () => {
      try {
        if (inst.stopRequested) return;
        const api = await inst.listen(this.deps.driver.runtimeApiBindHost, this.deps.driver.runtimeApiAdvertiseHost);
        if (inst.stopRequested) {
          inst.server.close();
          return;
        }
        await this.deps.launch(inst, cfg, api);
      } catch (err) {
        clearTimeout(initTimer);
        if (inst.stopRequested) return; // stopped on purpose while starting
        const message = `function ${cfg.name}: cannot start an instance (${this.deps.driver.kind} runtime): ${err instanceof Error ? err.message : String(err)}`;
        this.deps.warn(message);
        const inv = inst.current;
        if (inv) inst.finish(inv, errorResult(inv.requestId, 'Unavailable', message));
        inst.stop();
      }
    })();
    this.launching.add(launched);
    void launched.finally(() => this.launching.delete(launched));
    return inst;
  }

  private onReady(inst: Instance): void {
    clearTimeout(inst.initTimer);
    this.readySince.set(inst, this.deps.clock.now());
    const took = this.deps.clock.now() - (this.spawnedAt.get(inst) ?? this.deps.clock.now());
    this.coldStartMs = this.coldStartMs === undefined ? took : this.coldStartMs + EWMA * (took - this.coldStartMs);
    this.initFailures = 0;
    this.retryAt = 0;
    if (inst.gen !== this.gen || this.removed) {
      if (!inst.current) inst.stop();
      return;
    }
    if (inst.state === 'starting') this.makeIdle(inst);
  }

  private onExit(inst: Instance, initFailed: boolean): void {
    clearTimeout(inst.initTimer);
    this.instances.delete(inst);
    this.idle = this.idle.filter((i) => i !== inst);
    this.deps.clock.clearTimeout(inst.idleTimer);
    if (initFailed && inst.gen === this.gen) {
      this.initFailures++;
      const n = this.initFailures;
      const delay = n <= 1 ? 0 : Math.min(this.deps.maxInitBackoffMs, this.deps.initBackoffMs * 2 ** (n - 2));
      this.retryAt = this.deps.clock.now() + delay;
      this.lastInitError = inst.initError ?? errorPayload('Runtime.ExitError', `Runtime exited during init (function ${this.cfg.name})`);
      this.deps.warn(`function ${this.cfg.name}: init failed (${n} in a row)${delay ? `; next attempt in ${delay} ms` : ''}`);
    }
    this.pump();
    this.ensureMin();
  }

  private onInvocationEnd(inst: Instance, inv: Invocation, durationMs: number, status: InvocationStatus): void {
    if (inv.deliveredAt === undefined) return;
    const initDurationMs = inst.initReported ? undefined : inst.initDurationMs;
    inst.initReported = true;
    const handle = inst.handle;
    const memoryMb = this.cfg.memoryMb;
    // END/REPORT after the result went back: never on the invoke's own path.
    setImmediate(() => {
      for (const line of this.platformLines.end({ requestId: inv.requestId, durationMs, memoryMb, maxMemoryMb: handle?.maxMemoryUsedMb?.(), initDurationMs, status }))
        this.deps.line(inst, 'platform', inv.requestId, line);
    });
  }

  private release(inst: Instance): void {
    // Another invocation of it is still out (one queued behind, running now, or answered in the
    // same read and not yet released): still busy; a queue place may be free again.
    if (--inst.held > 0) {
      if (inst.state !== 'busy') return;
      this.busySince.set(inst, this.deps.clock.now());
      return this.offerQueuePlaces(inst);
    }
    if (inst.state !== 'busy') return this.pump();
    if (inst.gen !== this.gen || this.removed) {
      inst.stop();
      return this.pump();
    }
    this.makeIdle(inst);
  }

  private makeIdle(inst: Instance): void {
    const w = this.waiters.shift();
    if (w) {
      this.clearWaiter(w);
      inst.state = 'busy';
      this.handOut(inst, w.inv);
      w.resolve(inst);
      return;
    }
    inst.state = 'idle';
    this.idle.push(inst);
    this.deps.clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = this.deps.clock.setTimeout(() => this.reap(inst), this.cfg.idleTimeoutMs);
  }

  private reap(inst: Instance): void {
    if (inst.state !== 'idle') return;
    if (this.liveCount() <= this.cfg.minCapacity && inst.gen === this.gen) {
      inst.idleTimer = this.deps.clock.setTimeout(() => this.reap(inst), this.cfg.idleTimeoutMs);
      return;
    }
    this.idle = this.idle.filter((i) => i !== inst);
    inst.stop();
  }

  private trimIdle(): void {
    while (this.idle.length && this.liveCount() > this.cfg.maxCapacity) this.idle.shift()!.stop();
  }

  /** Serves waiters from free capacity (or fails them while init is backing off). */
  private pump(): void {
    while (this.waiters.length) {
      if (this.inBackoff()) {
        for (const w of this.waiters.splice(0)) {
          this.clearWaiter(w);
          w.resolve(this.backoffResult(w.requestId));
        }
        return;
      }
      if (this.removed || this.liveCount() >= this.cfg.maxCapacity) return;
      // Room: the oldest waiter gets an instance of its own when it has waited about a cold
      // start, or when the policy says the queue is worth one more instance.
      if (!this.waiters.some((x) => x.spilled) && !this.shouldGrow(0)) return;
      const w = this.waiters.shift()!;
      this.clearWaiter(w);
      const inst = this.spawn(true);
      this.handOut(inst, w.inv);
      w.resolve(inst);
    }
  }

  private ensureMin(): void {
    if (this.removed || this.cfg.unrunnable) return;
    if (this.minTimer) {
      this.deps.clock.clearTimeout(this.minTimer);
      this.minTimer = undefined;
    }
    if (this.liveCount() >= this.cfg.minCapacity) return;
    if (this.inBackoff()) {
      this.minTimer = this.deps.clock.setTimeout(() => {
        this.minTimer = undefined;
        this.ensureMin();
      }, this.retryAt - this.deps.clock.now());
      return;
    }
    while (this.liveCount() < Math.min(this.cfg.minCapacity, this.cfg.maxCapacity)) this.spawn(false, true);
  }
}
