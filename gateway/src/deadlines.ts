// The integration timeout of every request in flight, under one timer: all deadlines are the
// same length after their request started, so they expire in the order they were added and a
// FIFO queue holds them sorted. Adding is a push, finishing marks the entry done (and drops
// finished entries from the front); the one timer is set for the front entry's deadline. A
// timer per request (set, then cleared when the function answers) cost more than the rest of
// the timeout handling (docs/gateway.md).

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
}

const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(), // requests in flight keep the server open, not their deadlines
};

export interface Deadline {
  /** The request finished first: its deadline will not fire. */
  cancel(): void;
}

class Entry implements Deadline {
  constructor(
    readonly at: number,
    public onExpire: (() => void) | undefined,
    private readonly queue: DeadlineQueue,
  ) {}

  cancel(): void {
    if (this.onExpire === undefined) return;
    this.onExpire = undefined;
    this.queue.dropFinished();
  }
}

export class DeadlineQueue {
  private entries: Entry[] = [];
  private head = 0;
  private armed = false;

  constructor(
    readonly timeoutMs: number,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  /** Calls `onExpire` timeoutMs from now unless cancelled before. */
  add(onExpire: () => void): Deadline {
    const now = this.clock.now();
    const entry = new Entry(now + this.timeoutMs, onExpire, this);
    this.entries.push(entry);
    if (!this.armed) this.arm(this.entries[this.head].at - now);
    return entry;
  }

  /** Deadlines not yet fired nor cancelled. */
  get pending(): number {
    let n = 0;
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i].onExpire) n++;
    return n;
  }

  /** Drops finished entries from the front (called on cancel; requests mostly finish in order). */
  dropFinished(): void {
    while (this.head < this.entries.length && this.entries[this.head].onExpire === undefined) this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private arm(ms: number): void {
    this.armed = true;
    this.clock.setTimer(() => this.expire(), Math.max(0, Math.ceil(ms)));
  }

  private expire(): void {
    this.armed = false;
    const now = this.clock.now();
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      if (entry.onExpire !== undefined && entry.at > now) break;
      this.head++;
      const fire = entry.onExpire;
      entry.onExpire = undefined;
      fire?.();
    }
    this.dropFinished();
    // A cancelled front only leaves the timer early: it finds nothing due and waits for the next one.
    if (!this.armed && this.head < this.entries.length) this.arm(this.entries[this.head].at - now);
  }
}
