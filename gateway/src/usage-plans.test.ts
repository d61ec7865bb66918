import type { UsagePlan } from '@esb/contracts';
import { describe, expect, it } from 'vitest';
import { plansByKey, quotaPeriod, UsageMeter } from './usage-plans.js';

const clock = (start = Date.UTC(2026, 11, 5, 10)) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};
const plan = (over: Partial<UsagePlan> = {}): UsagePlan => ({ id: 'stack/Plan', keys: ['k1'], method_throttle: {}, ...over });
const run = (meter: UsageMeter, p: UsagePlan, n: number, resource = '/pets', methods = ['GET']) => Array.from({ length: n }, () => meter.admit(p, 'k1', 'Api', resource, methods));

describe('usage plans', () => {
  it('let a key burst, then as many requests a second as the rate refills', () => {
    const c = clock();
    const meter = new UsageMeter(c.now);
    const p = plan({ throttle: { rate_limit: 2, burst_limit: 3 } });
    expect(run(meter, p, 4)).toEqual(['ok', 'ok', 'ok', 'throttled']);
    c.advance(500); // one token back
    expect(run(meter, p, 2)).toEqual(['ok', 'throttled']);
    c.advance(10_000); // never more than the burst
    expect(run(meter, p, 4)).toEqual(['ok', 'ok', 'ok', 'throttled']);
    // Another key of the plan has a bucket of its own.
    expect(meter.admit(p, 'k2', 'Api', '/pets', ['GET'])).toBe('ok');
  });

  it("throttle a method by its own limit instead of the plan's (matched on the request's or the route's method, trailing slash aside)", () => {
    const meter = new UsageMeter(clock().now);
    const p = plan({ throttle: { rate_limit: 0, burst_limit: 5 }, method_throttle: { '/orders/POST': { rate_limit: 0, burst_limit: 1 }, '/any/ANY': { rate_limit: 0, burst_limit: 2 } } });
    expect(run(meter, p, 2, '/orders/', ['POST', 'POST'])).toEqual(['ok', 'throttled']);
    expect(run(meter, p, 3, '/any', ['DELETE', 'ANY'])).toEqual(['ok', 'ok', 'throttled']);
    // The plan's own bucket was not touched by those.
    expect(run(meter, p, 6)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'throttled']);
  });

  it('count a quota per period, less the offset in the first one; refused requests take nothing from it', () => {
    const c = clock(Date.UTC(2026, 11, 5, 23, 59));
    const meter = new UsageMeter(c.now);
    const p = plan({ quota: { limit: 3, period: 'DAY', offset: 1 }, throttle: { rate_limit: 0, burst_limit: 1 } });
    expect(run(meter, p, 3)).toEqual(['ok', 'throttled', 'throttled']);
    const unthrottled = { ...p, throttle: undefined };
    expect(run(meter, unthrottled, 2)).toEqual(['ok', 'quota']);
    c.advance(60_000); // the next UTC day: the whole limit
    expect(run(meter, unthrottled, 4)).toEqual(['ok', 'ok', 'ok', 'quota']);
  });

  it('start weeks on Monday and months on the first, in UTC', () => {
    const sunday = Date.UTC(2026, 11, 6, 23, 59, 59);
    const monday = Date.UTC(2026, 11, 7);
    expect(quotaPeriod('WEEK', monday)).toBe(quotaPeriod('WEEK', sunday) + 1);
    expect(quotaPeriod('WEEK', Date.UTC(2026, 11, 13, 23))).toBe(quotaPeriod('WEEK', monday));
    expect(quotaPeriod('MONTH', Date.UTC(2027, 0, 1))).toBe(quotaPeriod('MONTH', Date.UTC(2026, 11, 31, 23, 59)) + 1);
    expect(quotaPeriod('DAY', Date.UTC(2026, 11, 5, 23, 59))).toBe(quotaPeriod('DAY', Date.UTC(2026, 11, 5)));
  });

  it('give a key in two plans of an API the first', () => {
    const a = plan({ id: 'a', keys: ['k1', 'k2'] });
    const b = plan({ id: 'b', keys: ['k2', 'k3'] });
    const byKey = plansByKey([a, b]);
    expect([byKey.get('k1')?.id, byKey.get('k2')?.id, byKey.get('k3')?.id]).toEqual(['a', 'a', 'b']);
  });
});
