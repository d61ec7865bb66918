// Usage plans at the gateway (docs/security.md, "Usage plans"): for each key in a plan, a token
// bucket for the plan's throttle (or a method's own) and a request count per quota period
// (UTC days, weeks from Monday, months). Counts live in memory: they start again with the
// gateway. Only keys of plans are counted, so the maps are as big as the config, no bigger.
import type { UsagePlan } from '@esb/contracts';

export type UsageVerdict = 'ok' | 'throttled' | 'quota';

const DAY_MS = 86_400_000;

/** The quota period `nowMs` falls in, as a number that changes when the period does. */
export function quotaPeriod(period: 'DAY' | 'WEEK' | 'MONTH', nowMs: number): number {
  const day = Math.floor(nowMs / DAY_MS);
  if (period === 'DAY') return day;
  // Day 0 (1970-01-01) was a Thursday: +3 puts each Monday on a multiple of 7.
  if (period === 'WEEK') return Math.floor((day + 3) / 7);
  const d = new Date(nowMs);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** key -> its plan, for an API's usage plans (a key in two plans of one API: the first, as listed). */
export function plansByKey(plans: readonly UsagePlan[]): Map<string, UsagePlan> {
  const out = new Map<string, UsagePlan>();
  for (const plan of plans) for (const key of plan.keys) if (!out.has(key)) out.set(key, plan);
  return out;
}

export class UsageMeter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly counts = new Map<string, { period: number; used: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Counts one request of `key` under `plan` to `resource` (as written, e.g. `/pets/{id}`) with
   * `methods` (the request's and the route's, e.g. GET and ANY) of API `apiId`. A refused
   * request takes nothing from the quota.
   */
  admit(plan: UsagePlan, key: string, apiId: string, resource: string, methods: readonly string[]): UsageVerdict {
    const now = this.now();
    const planKey = `${plan.id}\u0000${key}`;
    let count: { period: number; used: number } | undefined;
    if (plan.quota) {
      const period = quotaPeriod(plan.quota.period, now);
      count = this.counts.get(planKey);
      if (!count) this.counts.set(planKey, (count = { period, used: plan.quota.offset }));
      else if (count.period !== period) Object.assign(count, { period, used: 0 });
      if (count.used >= plan.quota.limit) return 'quota';
    }
    const path = resource.length > 1 && resource.endsWith('/') ? resource.slice(0, -1) : resource;
    const method = methods.find((m) => Object.hasOwn(plan.method_throttle, `${path}/${m}`));
    const throttle = method === undefined ? plan.throttle : plan.method_throttle[`${path}/${method}`];
    if (throttle && !this.take(method === undefined ? planKey : `${planKey}\u0000${apiId}\u0000${path}/${method}`, throttle.rate_limit, throttle.burst_limit, now)) return 'throttled';
    if (count) count.used++;
    return 'ok';
  }

  /** One token from the bucket (full at first; refilled at `rate` a second up to `burst`). */
  private take(id: string, rate: number, burst: number, now: number): boolean {
    let b = this.buckets.get(id);
    if (!b) this.buckets.set(id, (b = { tokens: burst, at: now }));
    else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
