// The work queue of the controller (controller-runtime's shape): keys, not events. A key is
// queued at most once, reconciled by one worker at a time, different keys in parallel up to
// `concurrency`; errors are retried with backoff here and only here; an error whose reason is
// terminal in the reason table (docs/kube.md "Reasons") is not retried until the key is added
// again (the spec, the template or the code changed).
import { isTerminalReason } from '@esb/contracts';
import { keyOf, type Reconciler, type Request } from './types.js';

function isTerminal(err: unknown): boolean {
  const reason = (err as { conditionReason?: unknown } | null)?.conditionReason;
  return typeof reason === 'string' && isTerminalReason(reason);
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface QueueLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface WorkQueueOptions {
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timers?: Timers;
  log?: QueueLog;
}

export function backoffDelay(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(baseDelayMs * 2 ** Math.max(0, failures - 1), maxDelayMs);
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class WorkQueue {
  private readonly pending = new Map<string, Request>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, unknown>();
  private readonly abort = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timers: Timers;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.timers = options.timers ?? realTimers;
  }

  add(request: Request): void {
    if (this.stopped) return;
    const key = keyOf(request);
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.pending.set(key, request);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier delayed add of the same key is replaced. */
  addAfter(request: Request, ms: number): void {
    if (this.stopped) return;
    const key = keyOf(request);
    const previous = this.delayed.get(key);
    if (previous !== undefined) this.timers.clearTimeout(previous);
    this.delayed.set(
      key,
      this.timers.setTimeout(() => {
        this.delayed.delete(key);
        this.add(request);
      }, ms),
    );
  }

  /** Consecutive failures of a key (0 after a success or a terminal error). */
  failureCount(request: Request): number {
    return this.failures.get(keyOf(request)) ?? 0;
  }

  /** Resolves when nothing is queued or running (delayed retries do not count). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const handle of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    this.pending.clear();
    await this.idle();
  }

  private pump(): void {
    for (const [key, request] of this.pending) {
      if (this.processing.size >= this.concurrency) break;
      this.pending.delete(key);
      this.processing.add(key);
      void this.run(key, request);
    }
    if (this.pending.size === 0 && this.processing.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async run(key: string, request: Request): Promise<void> {
    try {
      const result = await this.reconciler.reconcile(request, this.abort.signal);
      this.failures.delete(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(request, result.requeueAfterMs);
    } catch (err) {
      if (isTerminal(err)) {
        this.failures.delete(key);
        this.options.log?.warn(`${key}: ${(err as Error).message} (not retried until it changes)`);
      } else {
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        const delay = backoffDelay(failures, this.baseDelayMs, this.maxDelayMs);
        this.options.log?.error(`${key}: ${err instanceof Error ? err.message : String(err)} (retry ${failures} in ${delay} ms)`);
        this.addAfter(request, delay);
      }
    } finally {
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.pending.set(key, request);
      this.pump();
    }
  }
}
