import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, WorkQueue } from './queue.js';
import { ReasonError } from '@esb/contracts';
import type { Reconciler, Request } from './types.js';

const a: Request = { namespace: 'default', name: 'a' };
const b: Request = { namespace: 'default', name: 'b' };

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('backoffDelay', () => {
  it('doubles from 1 s and stops at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });
});

describe('WorkQueue', () => {
  it('dedupes a key added many times while it waits', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const reconciler: Reconciler = {
      async reconcile(req) {
        seen.push(req.name);
        if (req.name === 'b') await gate.promise;
        return {};
      },
    };
    const queue = new WorkQueue(reconciler, { concurrency: 1 });
    queue.add(b); // occupies the only worker
    for (let i = 0; i < 5; i++) queue.add(a);
    gate.resolve();
    await queue.idle();
    expect(seen).toEqual(['b', 'a']);
  });

  it('runs one reconcile per key at a time and re-runs a key added while it ran', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const gate = deferred();
    const reconciler: Reconciler = {
      async reconcile() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await gate.promise;
        running--;
        return {};
      },
    };
    const queue = new WorkQueue(reconciler, { concurrency: 4 });
    queue.add(a);
    queue.add(a); // while running: marked dirty, not run in parallel
    gate.resolve();
    await queue.idle();
    await queue.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('reconciles different keys in parallel, bounded by concurrency', async () => {
    let running = 0;
    let maxRunning = 0;
    const reconciler: Reconciler = {
      async reconcile() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return {};
      },
    };
    const queue = new WorkQueue(reconciler, { concurrency: 3 });
    for (let i = 0; i < 10; i++) queue.add({ namespace: 'default', name: `d${i}` });
    await queue.idle();
    expect(maxRunning).toBe(3);
  });

  it('retries errors with doubling backoff and resets after a success', async () => {
    vi.useFakeTimers();
    try {
      const times: number[] = [];
      let calls = 0;
      const reconciler: Reconciler = {
        async reconcile() {
          times.push(Date.now());
          calls++;
          if (calls <= 3) throw new Error('engine not ready');
          return {};
        },
      };
      const queue = new WorkQueue(reconciler, { baseDelayMs: 1000, maxDelayMs: 30_000 });
      const start = Date.now();
      queue.add(a);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(times.map((t) => t - start)).toEqual([0, 1000, 3000, 7000]);
      expect(queue.failureCount(a)).toBe(0);
      await queue.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not retry an error with a terminal reason until the key is added again', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const reconciler: Reconciler = {
        async reconcile() {
          calls++;
          throw new ReasonError('template.yml: Resources must be a map', 'InvalidTemplate');
        },
      };
      const queue = new WorkQueue(reconciler);
      queue.add(a);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(calls).toBe(1);
      queue.add(a);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(2);
      await queue.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('honours requeueAfterMs', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const reconciler: Reconciler = {
        async reconcile() {
          calls++;
          return { requeueAfterMs: 5000 };
        },
      };
      const queue = new WorkQueue(reconciler);
      queue.add(a);
      await vi.advanceTimersByTimeAsync(4999);
      expect(calls).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(2);
      await queue.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
