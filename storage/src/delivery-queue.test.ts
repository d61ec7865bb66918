import { describe, expect, it } from 'vitest';
import { DeliveryQueue, type DeliveryLimits } from './delivery-queue.js';

/** A fake agent and clock: `up` decides what each send gets; timers run when the test moves time. */
function harness(limits?: Partial<DeliveryLimits>) {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const state = { up: false as boolean | 'refuse', got: [] as unknown[], reports: [] as string[] };
  const q = new DeliveryQueue(
    'S3 object events',
    {
      send: async (body) => {
        if (state.up === 'refuse') return 'refused';
        if (!state.up) return 'unavailable';
        state.got.push(JSON.parse(body));
        return 'delivered';
      },
      now: () => now,
      setTimer: (fn, ms) => {
        const t = { at: now + ms, fn, cancelled: false };
        timers.push(t);
        return { cancel: () => (t.cancelled = true) };
      },
      report: (m) => state.reports.push(m),
    },
    { maxPending: 100, maxPendingBytes: 1 << 20, maxAgeMs: 60_000, backoffMs: 100, maxBackoffMs: 400, ...limits },
  );
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const advance = async (ms: number) => {
    now += ms;
    for (;;) {
      const due = timers.filter((t) => !t.cancelled && t.at <= now);
      if (!due.length) break;
      timers = timers.filter((t) => !due.includes(t));
      for (const t of due) t.fn();
      await settle();
    }
    await settle();
  };
  return { q, state, settle, advance };
}

describe('DeliveryQueue (storage -> agent)', () => {
  it('delivers at once while the agent takes events', async () => {
    const h = harness();
    h.state.up = true;
    h.q.push({ n: 1 });
    h.q.push({ n: 2 });
    await h.settle();
    expect([h.state.got, h.q.size, h.state.reports]).toEqual([[{ n: 1 }, { n: 2 }], 0, []]);
  });

  it('keeps events the agent cannot take yet and delivers them in order once it can, backing off meanwhile', async () => {
    const h = harness();
    h.q.push({ n: 1 });
    await h.settle();
    h.q.push({ n: 2 });
    await h.advance(100);
    await h.advance(200); // waits double each time: 100, 200, 400, 400
    expect([h.state.got, h.q.size]).toEqual([[], 2]);
    h.state.up = true;
    h.q.push({ n: 3 }); // behind the others, not before them
    await h.settle();
    expect(h.state.got).toEqual([]);
    await h.advance(400);
    expect([h.state.got, h.q.size]).toEqual([[{ n: 1 }, { n: 2 }, { n: 3 }], 0]);
    expect(h.state.reports).toEqual(['cannot deliver S3 object events; kept (1 waiting) and retried', 'delivering S3 object events again']);
  });

  it('drops the oldest past its bounds and what waited too long, and says so', async () => {
    const h = harness({ maxPending: 2 });
    for (const n of [1, 2, 3]) h.q.push({ n });
    await h.settle();
    expect(h.state.reports).toContain('dropped 1 S3 object events (more than 2 events or 1048576 bytes wait for the agent)');
    await h.advance(61_000);
    h.state.up = true;
    h.q.push({ n: 4 });
    await h.advance(400);
    expect(h.state.got).toEqual([{ n: 4 }]);
    expect(h.state.reports.some((r) => /dropped 2 S3 object events older than 60 s/.test(r))).toBe(true);
  });

  it('drops an event the agent refuses instead of retrying it', async () => {
    const h = harness();
    h.state.up = 'refuse';
    h.q.push({ n: 1 });
    await h.settle();
    expect([h.q.size, h.state.reports]).toEqual([0, ['the agent refused one of the S3 object events; dropped']]);
  });
});
