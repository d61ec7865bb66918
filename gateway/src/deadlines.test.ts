import { describe, expect, it } from 'vitest';
import { DeadlineQueue, type Clock } from './deadlines.js';

/** A clock the test moves by hand; timers run when their time is passed. */
function manualClock() {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void }> = [];
  const clock: Clock = {
    now: () => now,
    setTimer: (fn, ms) => timers.push({ at: now + ms, fn }),
  };
  return {
    clock,
    armedTimers: () => timers.length,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = Math.max(now, due.at);
        due.fn();
      }
      now = until;
    },
  };
}

describe('deadline queue', () => {
  it('fires each deadline timeoutMs after it was added, in order, with one timer at a time', () => {
    const t = manualClock();
    const q = new DeadlineQueue(100, t.clock);
    const fired: string[] = [];
    q.add(() => fired.push('a'));
    t.advance(30);
    q.add(() => fired.push('b'));
    t.advance(30);
    q.add(() => fired.push('c'));
    expect(t.armedTimers()).toBe(1);
    t.advance(39);
    expect(fired).toEqual([]);
    t.advance(1);
    expect(fired).toEqual(['a']);
    t.advance(30);
    expect(fired).toEqual(['a', 'b']);
    t.advance(30);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(q.pending).toBe(0);
  });

  it('never fires a cancelled deadline, whichever order requests finish in', () => {
    const t = manualClock();
    const q = new DeadlineQueue(100, t.clock);
    const fired: number[] = [];
    const ds = Array.from({ length: 6 }, (_, i) => q.add(() => fired.push(i)));
    ds[0].cancel();
    ds[3].cancel();
    ds[5].cancel();
    ds[5].cancel(); // twice is harmless
    expect(q.pending).toBe(3);
    t.advance(100);
    expect(fired).toEqual([1, 2, 4]);
    expect(q.pending).toBe(0);
  });

  it('a cancelled front only makes the timer wake early; later deadlines still fire on time', () => {
    const t = manualClock();
    const q = new DeadlineQueue(100, t.clock);
    const fired: string[] = [];
    const first = q.add(() => fired.push('first'));
    t.advance(50);
    q.add(() => fired.push('second'));
    first.cancel();
    t.advance(50); // the timer set for `first` wakes, finds nothing due
    expect(fired).toEqual([]);
    t.advance(49);
    expect(fired).toEqual([]);
    t.advance(1);
    expect(fired).toEqual(['second']);
  });

  it('arms again when a deadline is added after the queue went empty, and from inside a firing', () => {
    const t = manualClock();
    const q = new DeadlineQueue(10, t.clock);
    const fired: string[] = [];
    q.add(() => {
      fired.push('a');
      q.add(() => fired.push('b'));
    });
    t.advance(10);
    expect(fired).toEqual(['a']);
    t.advance(10);
    expect(fired).toEqual(['a', 'b']);
    t.advance(1000);
    q.add(() => fired.push('c')).cancel();
    q.add(() => fired.push('d'));
    t.advance(10);
    expect(fired).toEqual(['a', 'b', 'd']);
  });

  it('keeps no memory of finished requests', () => {
    const t = manualClock();
    const q = new DeadlineQueue(1000, t.clock);
    const open = q.add(() => undefined); // one slow request holds the front
    for (let i = 0; i < 5000; i++) q.add(() => undefined).cancel();
    open.cancel();
    expect((q as unknown as { entries: unknown[] }).entries.length).toBe(0);
  });

  it('runs on the real clock', async () => {
    const q = new DeadlineQueue(20);
    const fired = await new Promise<string>((resolve) => {
      q.add(() => resolve('late')).cancel();
      q.add(() => resolve('fired'));
    });
    expect(fired).toBe('fired');
  });
});
