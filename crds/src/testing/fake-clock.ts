// A Clock whose time moves only when a test says so (schedules, stream batching windows, retries).
/** What a clock with timers does (the agent's Clock, the storage's SchedulerClock). */
interface TimerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class FakeClock implements TimerClock {
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  constructor(public t: number) {}
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Moves time on, running each timer that falls due (and those they set) in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.due(end); next; next = this.due(end)) next.fn();
    this.t = end;
  }
  /** advance, letting promises the timers start settle between timers (async work behind them). */
  async settle(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = this.due(end);
      if (!next) break;
      next.fn();
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
  get pending(): number {
    return this.timers.length;
  }
  private due(end: number): { fn: () => void } | undefined {
    this.timers.sort((a, b) => a.at - b.at);
    const next = this.timers[0];
    if (!next || next.at > end) return undefined;
    this.timers.shift();
    this.t = Math.max(this.t, next.at);
    return next;
  }
}
