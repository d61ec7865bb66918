// Events the storage hands to the agent over HTTP (S3 object events, EventBridge events, SNS
// messages, Scheduler firings) when the two run apart (compose, kind): delivered in order, and
// kept while the agent cannot take them (not started yet, restarting), as AWS retries its
// deliveries, within a bound (docs/agent.md, "Deliveries from the storage").

export interface DeliveryLimits {
  /** Events kept while the agent cannot take them; past it the oldest are dropped. */
  maxPending: number;
  /** Bytes kept (the JSON bodies); past it the oldest are dropped. */
  maxPendingBytes: number;
  /** An event older than this is dropped instead of retried. */
  maxAgeMs: number;
  /** First wait before a retry; doubled on each failure, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { maxPending: 10_000, maxPendingBytes: 64 * 1024 * 1024, maxAgeMs: 10 * 60_000, backoffMs: 250, maxBackoffMs: 15_000 };

export interface DeliveryIo {
  /**
   * Sends one body: `delivered` (2xx), `refused` (the agent will never take it: 4xx; dropped,
   * with a report) or `unavailable` (no answer, 5xx; kept and retried). A rejection is `unavailable`.
   */
  send(body: string): Promise<'delivered' | 'refused' | 'unavailable'>;
  now(): number;
  setTimer(fn: () => void, ms: number): { cancel(): void };
  /** Told when delivery starts failing, when it works again, and of events dropped (with why). */
  report(message: string): void;
}

interface Pending {
  body: string;
  at: number;
}

export class DeliveryQueue {
  private readonly pending: Pending[] = [];
  private bytes = 0;
  private sending = false;
  private failing = false;
  private backoff: number;
  private timer?: { cancel(): void };
  private closed = false;

  constructor(
    private readonly what: string,
    private readonly io: DeliveryIo,
    private readonly limits: DeliveryLimits = DEFAULT_DELIVERY_LIMITS,
  ) {
    this.backoff = limits.backoffMs;
  }

  /** Events waiting to be delivered. */
  get size(): number {
    return this.pending.length;
  }

  push(event: unknown): void {
    if (this.closed) return;
    const body = JSON.stringify(event);
    this.pending.push({ body, at: this.io.now() });
    this.bytes += body.length;
    let dropped = 0;
    while (this.pending.length > this.limits.maxPending || (this.bytes > this.limits.maxPendingBytes && this.pending.length > 1)) {
      this.bytes -= this.pending.shift()!.body.length;
      dropped++;
    }
    if (dropped) this.io.report(`dropped ${dropped} ${this.what} (more than ${this.limits.maxPending} events or ${this.limits.maxPendingBytes} bytes wait for the agent)`);
    if (!this.sending && !this.timer) void this.drain();
  }

  /** Stops retrying; what is still pending is dropped. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.length && !this.closed) {
        this.dropExpired();
        const next = this.pending[0];
        if (!next) break;
        const outcome = await this.io.send(next.body).catch(() => 'unavailable' as const);
        if (outcome === 'unavailable') return this.retryLater();
        this.pending.shift();
        this.bytes -= next.body.length;
        if (outcome === 'refused') this.io.report(`the agent refused one of the ${this.what}; dropped`);
        this.backoff = this.limits.backoffMs;
        if (this.failing) {
          this.failing = false;
          this.io.report(`delivering ${this.what} again`);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private retryLater(): void {
    if (!this.failing) {
      this.failing = true;
      this.io.report(`cannot deliver ${this.what}; kept (${this.pending.length} waiting) and retried`);
    }
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.limits.maxBackoffMs);
    this.timer = this.io.setTimer(() => {
      this.timer = undefined;
      void this.drain();
    }, wait);
  }

  private dropExpired(): void {
    const oldest = this.io.now() - this.limits.maxAgeMs;
    let dropped = 0;
    while (this.pending.length && this.pending[0]!.at < oldest) {
      this.bytes -= this.pending.shift()!.body.length;
      dropped++;
    }
    if (dropped) this.io.report(`dropped ${dropped} ${this.what} older than ${this.limits.maxAgeMs / 1000} s that the agent never took`);
  }
}
