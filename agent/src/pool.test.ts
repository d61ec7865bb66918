// The pool's policies with a fake clock: the concurrency cap and its wait queue, acquire
// timeouts, idle reaping and min_capacity, init-failure backoff, draining on a new config.
// Instances are in-process runtime clients speaking HTTP to each instance's real Runtime API.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import type { InstanceHandle } from './driver.js';
import type { Instance } from './instance.js';
import { FunctionPool, type PoolConfig, type PoolDeps, QUEUE_PLACES, queuePlacesFor } from './pool.js';
import { until } from '@esb/contracts/testing';

class FakeClock implements Clock {
  private t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  /** Moves time forward, firing what falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

/** A runtime client in this process: GET /next, run `handler`, POST the response, again. */
function fakeRuntime(api: string, handler: (event: string) => Promise<string>): InstanceHandle {
  const ac = new AbortController();
  let exit!: (v: { code: number | null; signal: string | null }) => void;
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (exit = r));
  const base = `http://${api}/2018-06-01/runtime/invocation`;
  void (async () => {
    try {
      for (;;) {
        const next = await fetch(`${base}/next`, { signal: ac.signal });
        const id = next.headers.get('lambda-runtime-aws-request-id')!;
        const out = await handler(await next.text());
        await (await fetch(`${base}/${id}/response`, { method: 'POST', body: out, signal: ac.signal })).arrayBuffer();
      }
    } catch {
      exit({ code: 0, signal: null });
    }
  })();
  return {
    id: api,
    exited,
    stop: async () => {
      ac.abort();
      exit({ code: null, signal: 'SIGKILL' });
    },
  };
}

interface Harness {
  pool: FunctionPool;
  clock: FakeClock;
  launches: number;
  /** Completes the handler of the oldest running invocation. */
  release(): void;
  /** Invocations whose handler is running (with `hold`). */
  running(): number;
  warnings: string[];
}

const pools: FunctionPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function harness(
  cfg: Partial<PoolConfig> = {},
  opts: { failInit?: () => boolean; hold?: boolean; warmInstances?: number; coldStartGuessMs?: number; initMs?: number; cpuSaturated?: () => boolean } = {},
): Harness {
  const clock = new FakeClock();
  const pending: Array<() => void> = [];
  const h: Harness = {
    clock,
    launches: 0,
    warnings: [],
    release: () => pending.shift()?.(),
    running: () => pending.length,
    pool: undefined as never,
  };
  const deps: PoolDeps = {
    driver: { kind: 'process', runtimeApiBindHost: '127.0.0.1', runtimeApiAdvertiseHost: '127.0.0.1', start: async () => ({}) as never, close: async () => {} },
    clock,
    initTimeoutMs: 10_000,
    initBackoffMs: 1000,
    maxInitBackoffMs: 8000,
    warmInstances: opts.warmInstances,
    coldStartGuessMs: opts.coldStartGuessMs,
    cpuSaturated: opts.cpuSaturated,
    launch: async (inst: Instance, _cfg: PoolConfig, api: string) => {
      h.launches++;
      // The first instance's init takes this long on the fake clock (the pool's cold start estimate).
      if (opts.initMs && h.launches === 1) clock.advance(opts.initMs);
      // A runtime that dies before its first /next: an init failure.
      if (opts.failInit?.()) return inst.attach({ id: api, exited: Promise.resolve({ code: 1, signal: null }), stop: async () => {} });
      inst.attach(fakeRuntime(api, (event) => (opts.hold ? new Promise((r) => pending.push(() => r(`{"echo":${event}}`))) : Promise.resolve(`{"echo":${event}}`))));
    },
    line: () => {},
    warn: (m) => void h.warnings.push(m),
  };
  h.pool = new FunctionPool(
    { name: 'fn', key: 'k1', timeoutMs: 30_000, memoryMb: 128, maxCapacity: 1, minCapacity: 0, idleTimeoutMs: 60_000, acquireTimeoutMs: 5_000, arn: 'arn:aws:lambda:us-east-1:123456789012:function:fn', ...cfg },
    deps,
  );
  pools.push(h.pool);
  return h;
}

const body = (r: { payload: Buffer }) => r.payload.toString();
/** Polls until the pool reaches `cond`; fails after 5 s naming the condition (its source text). */
const poolReaches = (cond: () => boolean) => until(cond, cond.toString(), { timeoutMs: 5_000, everyMs: 5 });

describe('FunctionPool', () => {
  it('reuses a warm instance: two invocations in a row are one cold start', async () => {
    const h = harness();
    expect(body(await h.pool.invoke('r1', Buffer.from('1'), {}))).toBe('{"echo":1}');
    expect(body(await h.pool.invoke('r2', Buffer.from('2'), {}))).toBe('{"echo":2}');
    expect(h.launches).toBe(1);
    expect(h.pool.stats()).toMatchObject({ idle: 1, busy: 0, invocations: 2, coldStarts: 1 });
  });

  it('holds the concurrency cap: a second request waits for the busy instance instead of starting one', async () => {
    const h = harness({ maxCapacity: 1 }, { hold: true });
    const first = h.pool.invoke('r1', Buffer.from('1'), {});
    const second = h.pool.invoke('r2', Buffer.from('2'), {});
    await poolReaches(() => h.pool.stats().waiting === 1 && h.running() === 1);
    expect(h.pool.stats().busy).toBe(1);
    h.release();
    expect(body(await first)).toBe('{"echo":1}');
    await poolReaches(() => h.running() === 1);
    expect(h.pool.stats().waiting).toBe(0);
    h.release();
    expect(body(await second)).toBe('{"echo":2}');
    expect(h.launches).toBe(1);
  });

  it('a waiter that gets no instance within acquire_timeout is throttled (TooManyRequestsException)', async () => {
    const h = harness({ maxCapacity: 1, acquireTimeoutMs: 5_000 }, { hold: true });
    const first = h.pool.invoke('r1', Buffer.from('1'), {});
    const second = h.pool.invoke('r2', Buffer.from('2'), {});
    await poolReaches(() => h.pool.stats().waiting === 1 && h.running() === 1);
    h.clock.advance(4_999);
    expect(h.pool.stats().waiting).toBe(1);
    h.clock.advance(1);
    const throttled = await second;
    expect(throttled.error?.kind).toBe('Throttled');
    expect(JSON.parse(body(throttled))).toMatchObject({ errorType: 'TooManyRequestsException', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    h.release();
    expect(body(await first)).toBe('{"echo":1}');
  });

  it('throttles every invocation at once, starting nothing, when max_capacity is 0 (ReservedConcurrentExecutions 0)', async () => {
    const h = harness({ maxCapacity: 0 });
    const r = await h.pool.invoke('r1', Buffer.from('1'), {});
    expect(r.error).toEqual({ kind: 'Throttled', message: 'Rate Exceeded.' });
    expect(JSON.parse(body(r))).toMatchObject({ errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    expect(h.launches).toBe(0);
    expect(h.pool.stats()).toMatchObject({ starting: 0, idle: 0, busy: 0 });
  });

  it('a waiting request whose caller goes away leaves the queue', async () => {
    const h = harness({ maxCapacity: 1 }, { hold: true });
    const first = h.pool.invoke('r1', Buffer.from('1'), {});
    const ac = new AbortController();
    const second = h.pool.invoke('r2', Buffer.from('2'), { signal: ac.signal });
    await poolReaches(() => h.pool.stats().waiting === 1);
    ac.abort(new Error('client closed'));
    await expect(second).rejects.toThrow('client closed');
    expect(h.pool.stats().waiting).toBe(0);
    await poolReaches(() => h.running() === 1);
    h.release();
    await first;
  });

  it('a waiting request cancelled through onCancel leaves the queue, and one served in time unregisters its listener', async () => {
    const h = harness({ maxCapacity: 1 }, { hold: true });
    const first = h.pool.invoke('r1', Buffer.from('1'), {});
    const listeners = new Set<(e: Error) => void>();
    const onCancel = (l: (e: Error) => void) => (listeners.add(l), () => listeners.delete(l));
    const second = h.pool.invoke('r2', Buffer.from('2'), { onCancel });
    await poolReaches(() => h.pool.stats().waiting === 1);
    expect(listeners.size).toBe(1);
    for (const l of listeners) l(new Error('client closed'));
    await expect(second).rejects.toThrow('client closed');
    expect(h.pool.stats().waiting).toBe(0);
    const kept = new Set<(e: Error) => void>();
    const third = h.pool.invoke('r3', Buffer.from('3'), { onCancel: (l) => (kept.add(l), () => kept.delete(l)) });
    await poolReaches(() => h.pool.stats().waiting === 1);
    expect(kept.size).toBe(1);
    await poolReaches(() => h.running() === 1);
    h.release();
    await first;
    await poolReaches(() => h.pool.stats().waiting === 0 && h.running() === 1);
    expect(kept.size).toBe(0); // served: its listener is gone
    h.release();
    await third;
  });

  it('stops an idle instance after idle_timeout (scale to zero), but keeps min_capacity warm', async () => {
    const h = harness({ idleTimeoutMs: 60_000 });
    await h.pool.invoke('r1', Buffer.from('1'), {});
    h.clock.advance(59_999);
    expect(h.pool.stats().idle).toBe(1);
    h.clock.advance(1);
    await poolReaches(() => h.pool.size === 0);

    const kept = harness({ idleTimeoutMs: 60_000, minCapacity: 1, maxCapacity: 2 });
    kept.pool.update(kept.pool.cfg);
    await poolReaches(() => kept.pool.stats().idle === 1);
    kept.clock.advance(10 * 60_000);
    expect(kept.pool.stats().idle).toBe(1);
    expect(kept.launches).toBe(1);
  });

  it('backs off after repeated init failures and answers at once while backing off', async () => {
    let failing = true;
    const h = harness({}, { failInit: () => failing });
    const a = await h.pool.invoke('r1', Buffer.from('1'), {});
    expect(JSON.parse(body(a))).toMatchObject({ errorType: 'Runtime.ExitError' });
    await poolReaches(() => h.pool.size === 0);
    const b = await h.pool.invoke('r2', Buffer.from('2'), {});
    expect(b.error?.message).toMatch(/Runtime exited during init/);
    await poolReaches(() => h.pool.size === 0 && h.warnings.length >= 2);
    // Two failures in a row: the next start waits initBackoffMs, without launching.
    const launches = h.launches;
    const c = await h.pool.invoke('r3', Buffer.from('3'), {});
    expect(c.error?.kind).toBe('Unavailable');
    expect(c.error?.message).toMatch(/init failed 2 times in a row; next attempt in 1\.0 s/);
    expect(h.launches).toBe(launches);
    failing = false;
    h.clock.advance(1000);
    expect(body(await h.pool.invoke('r4', Buffer.from('4'), {}))).toBe('{"echo":4}');
  });

  it('a changed function drains its warm instances: the next invocation starts a fresh one', async () => {
    const h = harness();
    await h.pool.invoke('r1', Buffer.from('1'), {});
    h.pool.update({ ...h.pool.cfg, key: 'k2' });
    await poolReaches(() => h.pool.size === 0);
    await h.pool.invoke('r2', Buffer.from('2'), {});
    expect(h.launches).toBe(2);
  });

  it('a removed function fails its waiters with ResourceNotFoundException', async () => {
    const h = harness({ maxCapacity: 1 }, { hold: true });
    const first = h.pool.invoke('r1', Buffer.from('1'), {});
    const second = h.pool.invoke('r2', Buffer.from('2'), {});
    await poolReaches(() => h.pool.stats().waiting === 1);
    h.pool.remove();
    const r = await second;
    expect(r.error?.kind).toBe('UnknownFunction');
    expect(JSON.parse(body(r)).errorType).toBe('ResourceNotFoundException');
    await poolReaches(() => h.running() === 1);
    h.release();
    await first;
  });

  describe('instance policy (warmInstances, docs/agent.md#instance-policy)', () => {
    it('keeps warmInstances instances: a burst queues on them instead of starting one per request', async () => {
      const h = harness({ maxCapacity: 10 }, { hold: true, warmInstances: 2, coldStartGuessMs: 100 });
      const all = [1, 2, 3, 4, 5].map((i) => h.pool.invoke(`r${i}`, Buffer.from(String(i)), {}));
      await poolReaches(() => h.running() === 2);
      expect(h.launches).toBe(2);
      expect(h.pool.stats()).toMatchObject({ busy: 2, waiting: 3 });
      for (let i = 0; i < 5; i++) {
        await poolReaches(() => h.running() >= 1);
        h.release();
      }
      expect((await Promise.all(all)).map(body)).toEqual([1, 2, 3, 4, 5].map((i) => `{"echo":${i}}`));
      expect(h.launches).toBe(2);
      expect(h.pool.stats()).toMatchObject({ idle: 2, waiting: 0, coldStarts: 2 });
    });

    it('starts one more instance when the expected wait of the queue exceeds a cold start', async () => {
      // Cold start 100 ms (measured on the first instance), invocations take 40 ms.
      const h = harness({ maxCapacity: 10 }, { hold: true, warmInstances: 1, initMs: 100 });
      const cold = h.pool.invoke('r0', Buffer.from('0'), {});
      await poolReaches(() => h.running() === 1);
      h.release();
      await cold;
      const first = h.pool.invoke('r00', Buffer.from('0'), {});
      await poolReaches(() => h.running() === 1);
      h.clock.advance(40);
      h.release();
      await first;
      const busy = h.pool.invoke('r1', Buffer.from('1'), {});
      await poolReaches(() => h.running() === 1);
      // Expected waits on one instance: 40, 80, 120 ms: the third queued request is worth a cold start.
      const q1 = h.pool.invoke('q1', Buffer.from('11'), {});
      const q2 = h.pool.invoke('q2', Buffer.from('12'), {});
      await poolReaches(() => h.pool.stats().waiting === 2);
      expect(h.launches).toBe(1);
      const q3 = h.pool.invoke('q3', Buffer.from('13'), {});
      await poolReaches(() => h.running() === 2);
      expect(h.launches).toBe(2);
      expect(h.pool.stats().waiting).toBe(2);
      for (let i = 0; i < 4; i++) {
        await poolReaches(() => h.running() >= 1);
        h.release();
      }
      expect((await Promise.all([busy, q1, q2, q3])).map(body)).toEqual(['{"echo":1}', '{"echo":11}', '{"echo":12}', '{"echo":13}']);
    });

    it('a queued request waits about a cold start at most while there is room, then gets its own instance', async () => {
      const h = harness({ maxCapacity: 2 }, { hold: true, warmInstances: 1, initMs: 100 });
      const first = h.pool.invoke('r1', Buffer.from('1'), {});
      await poolReaches(() => h.running() === 1);
      const second = h.pool.invoke('r2', Buffer.from('2'), {});
      await poolReaches(() => h.pool.stats().waiting === 1);
      h.clock.advance(99);
      expect(h.launches).toBe(1);
      h.clock.advance(1);
      await poolReaches(() => h.running() === 2);
      expect(h.launches).toBe(2);
      expect(h.pool.stats().waiting).toBe(0);
      // At max_capacity a third request waits for a free instance (and its acquire_timeout), no spill.
      const third = h.pool.invoke('r3', Buffer.from('3'), {});
      await poolReaches(() => h.pool.stats().waiting === 1);
      h.clock.advance(1000);
      expect(h.launches).toBe(2);
      expect(h.pool.stats().waiting).toBe(1);
      h.release();
      h.release();
      await poolReaches(() => h.running() === 1);
      h.release();
      expect([await first, await second, await third].map(body)).toEqual(['{"echo":1}', '{"echo":2}', '{"echo":3}']);
    });

    it('a waiter spills only when an instance is held up on one invocation, not when the queue just turns over slowly', async () => {
      const h = harness({ maxCapacity: 4 }, { hold: true, warmInstances: 1, initMs: 100 });
      const first = h.pool.invoke('r1', Buffer.from('1'), {});
      await poolReaches(() => h.running() === 1);
      const queued = [2, 3, 4, 5].map((i) => h.pool.invoke(`r${i}`, Buffer.from(String(i)), {}));
      await poolReaches(() => h.pool.stats().waiting === 4);
      // Each invocation takes 50 ms: the queue waits past a cold start (100 ms) in all, but no
      // instance is held up that long, so one more instance would not serve it sooner.
      for (let i = 0; i < 5; i++) {
        h.clock.advance(50);
        expect(h.launches).toBe(1);
        h.release();
        // The next invocation has reached the instance before time moves on.
        if (i < 4) await poolReaches(() => h.running() === 1 && h.pool.stats().waiting === 3 - i);
      }
      expect([await first, ...(await Promise.all(queued))].map(body)).toEqual([1, 2, 3, 4, 5].map((i) => `{"echo":${i}}`));
      expect(h.launches).toBe(1);
    });

    it('does not grow past warmInstances while the CPU is saturated; a waiter spills once it is not', async () => {
      let saturated = true;
      const h = harness({ maxCapacity: 4 }, { hold: true, warmInstances: 1, initMs: 100, cpuSaturated: () => saturated });
      const first = h.pool.invoke('r1', Buffer.from('1'), {});
      await poolReaches(() => h.running() === 1);
      const second = h.pool.invoke('r2', Buffer.from('2'), {});
      await poolReaches(() => h.pool.stats().waiting === 1);
      // Several cold starts' time in the queue: no new instance while no CPU is idle.
      h.clock.advance(100);
      h.clock.advance(100);
      h.clock.advance(100);
      expect(h.launches).toBe(1);
      expect(h.pool.stats().waiting).toBe(1);
      saturated = false;
      h.clock.advance(100);
      await poolReaches(() => h.running() === 2);
      expect(h.launches).toBe(2);
      h.release();
      h.release();
      expect([await first, await second].map(body)).toEqual(['{"echo":1}', '{"echo":2}']);
    });

    it('min_capacity is started ahead whatever warmInstances says, and serves first', async () => {
      const h = harness({ maxCapacity: 5, minCapacity: 3 }, { hold: true, warmInstances: 1 });
      h.pool.update(h.pool.cfg);
      await poolReaches(() => h.pool.stats().idle === 3);
      const all = [1, 2, 3].map((i) => h.pool.invoke(`r${i}`, Buffer.from(String(i)), {}));
      await poolReaches(() => h.running() === 3);
      expect(h.launches).toBe(3);
      for (let i = 0; i < 3; i++) h.release();
      await Promise.all(all);
    });

    it('a redeploy drains the old instances and the new config starts on demand again', async () => {
      const h = harness({ maxCapacity: 4 }, { warmInstances: 2 });
      await Promise.all([1, 2].map((i) => h.pool.invoke(`r${i}`, Buffer.from(String(i)), {})));
      expect(h.launches).toBe(2);
      h.pool.update({ ...h.pool.cfg, key: 'k2' });
      await poolReaches(() => h.pool.size === 0);
      expect(body(await h.pool.invoke('r3', Buffer.from('3'), {}))).toBe('{"echo":3}');
      expect(h.launches).toBe(3);
    });
  });
});

describe('places queued behind a running invocation', () => {
  it('hold about 2 ms of the function\'s average time, at most QUEUE_PLACES', () => {
    expect(queuePlacesFor(1)).toBe(2);
    expect(queuePlacesFor(0.8)).toBe(2);
    expect(queuePlacesFor(0.6)).toBe(3);
    expect(queuePlacesFor(0.5)).toBe(4);
    for (const ms of [0.2, 0.03, 0]) expect(queuePlacesFor(ms)).toBe(QUEUE_PLACES);
  });
});
