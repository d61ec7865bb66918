// Schedule events of functions.yml: EventBridge rate(...) and cron(...) expressions (AWS
// cron: minutes hours day-of-month month day-of-week year, `?` allowed, days of week 1-7 =
// SUN-SAT) evaluated in UTC; the Scheduler invokes each function on time.
import { LOCAL_ACCOUNT_ID } from '@esb/contracts';
import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import type { FunctionsFile } from '@esb/contracts';
import type { Clock } from './clock.js';

export class ScheduleParseError extends Error {
  override name = 'ScheduleParseError';
  constructor(
    readonly expression: string,
    reason: string,
    readonly functionName?: string,
  ) {
    super(`${functionName ? `function ${functionName}: ` : ''}schedule "${expression}": ${reason}`);
  }
}

export interface Schedule {
  expression: string;
  /** The first fire time strictly after `after` (ms since epoch), or undefined if none. */
  next(after: number): number | undefined;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function parseSchedule(expression: string, functionName?: string): Schedule {
  const fail = (why: string) => new ScheduleParseError(expression, why, functionName);
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2].replace(/s$/, '');
    if (n < 1) throw fail('the rate must be at least 1');
    if ((n === 1) !== (rate[2] === unit)) throw fail(`use "${n} ${n === 1 ? unit : `${unit}s`}"`);
    const every = n * UNIT_MS[unit];
    // Aligned to the epoch so that a reload does not move the fire times.
    return { expression, next: (after) => (Math.floor(after / every) + 1) * every };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw fail('expected rate(N unit) or cron(minutes hours day-of-month month day-of-week year)');
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) throw fail(`AWS cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [min, hour, dom, month, dow, year] = fields;
  if (dom !== '?' && dow !== '?') throw fail('one of day-of-month or day-of-week must be "?"');
  const expr = [min, hour, dom === '?' ? '*' : dom, month, dow === '?' ? '*' : awsDowToCron(dow)].join(' ');
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const yearOk = parseYears(year, fail);
  return {
    expression,
    next(after) {
      const it = CronExpressionParser.parse(expr, { currentDate: new Date(after), tz: 'UTC' });
      for (let i = 0; i < 100_000; i++) {
        let t: number;
        try {
          t = it.next().getTime();
        } catch {
          return undefined;
        }
        if (t <= after) continue;
        if (yearOk(new Date(t).getUTCFullYear())) return t;
        if (new Date(t).getUTCFullYear() > 2199) return undefined;
      }
      return undefined;
    },
  };
}

/** AWS day-of-week numbers are 1-7 (SUN-SAT); cron-parser's are 0-6. */
function awsDowToCron(field: string): string {
  const map = (s: string) => s.replace(/^(\d+)/, (d) => String(Number(d) - 1));
  return field
    .split(',')
    .map((part) => {
      const [range, step] = part.split('/');
      let out: string;
      if (range.includes('#')) {
        const [d, n] = range.split('#');
        out = `${map(d)}#${n}`;
      } else out = range.split('-').map(map).join('-');
      return step === undefined ? out : `${out}/${step}`;
    })
    .join(',');
}

function parseYears(field: string, fail: (why: string) => Error): (y: number) => boolean {
  if (field === '*' || field === '?') return () => true;
  const tests: Array<(y: number) => boolean> = [];
  for (const part of field.split(',')) {
    const m = /^(\d{4}|\*)(?:-(\d{4}))?(?:\/(\d+))?$/.exec(part);
    if (!m) throw fail(`bad year "${part}"`);
    const lo = m[1] === '*' ? 1970 : Number(m[1]);
    const hi = m[2] ? Number(m[2]) : m[3] || m[1] === '*' ? 2199 : lo;
    const step = m[3] ? Number(m[3]) : 1;
    tests.push((y) => y >= lo && y <= hi && (y - lo) % step === 0);
  }
  return (y) => tests.some((t) => t(y));
}

/** The event Lambda gets from an EventBridge schedule rule (when the rule has no Input). */
export function scheduledEvent(opts: { functionName: string; ruleName: string; region: string; time: number; account?: string }): Buffer {
  const account = opts.account ?? LOCAL_ACCOUNT_ID;
  return Buffer.from(
    JSON.stringify({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account,
      time: new Date(opts.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: opts.region,
      resources: [`arn:aws:events:${opts.region}:${account}:rule/${opts.ruleName}`],
      detail: {},
    }),
  );
}

interface Entry {
  /** What the schedule starts: a function's invocation, or with `stateMachine` an execution. */
  target: string;
  stateMachine?: boolean;
  ruleName: string;
  schedule: Schedule;
  input?: string;
  timer?: unknown;
  nextAt?: number;
}

/** A schedule in force: of a function or of a state machine. */
export type ScheduleStats = ({ functionName: string; stateMachine?: undefined } | { stateMachine: string; functionName?: undefined }) & { ruleName: string; expression: string; nextAt?: number };

export interface SchedulerOptions {
  clock: Clock;
  region: string;
  fire(functionName: string, payload: Buffer, ruleName: string): void;
  /** Starts an execution of a state machine with the input (JSON text, docs/step-functions.md). */
  start?(stateMachine: string, input: string, ruleName: string): void;
  warn(message: string): void;
}

export class Scheduler {
  private entries = new Map<string, Entry>();
  constructor(private readonly o: SchedulerOptions) {}

  /** Keeps the timers of unchanged schedules; adds and removes the others. */
  setFunctions(file: FunctionsFile): void {
    const wanted = new Map<string, Omit<Entry, 'schedule'> & { expression: string }>();
    for (const [fn, cfg] of Object.entries(file.functions)) {
      cfg.events.forEach((ev, i) => {
        if (ev.type !== 'schedule' || ev.enabled === false) return;
        const ruleName = ev.name ?? `${fn}-schedule-${i + 1}`;
        const key = JSON.stringify([fn, ruleName, ev.schedule, ev.input ?? null]);
        wanted.set(key, { target: fn, ruleName, expression: ev.schedule, input: ev.input });
      });
    }
    for (const [machine, sm] of Object.entries(file.state_machines ?? {})) {
      sm.schedules.forEach((ev, i) => {
        if (ev.enabled === false) return;
        const ruleName = ev.name ?? `${machine}-schedule-${i + 1}`;
        const key = JSON.stringify(['state-machine', machine, ruleName, ev.schedule, ev.input ?? null]);
        wanted.set(key, { target: machine, stateMachine: true, ruleName, expression: ev.schedule, input: ev.input });
      });
    }
    for (const [key, e] of this.entries) {
      if (!wanted.has(key)) {
        this.o.clock.clearTimeout(e.timer);
        this.entries.delete(key);
      }
    }
    for (const [key, w] of wanted) {
      if (this.entries.has(key)) continue;
      let schedule: Schedule;
      try {
        schedule = parseSchedule(w.expression, w.stateMachine ? undefined : w.target);
      } catch (err) {
        this.o.warn(`${w.stateMachine ? `state machine ${w.target}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const e: Entry = { target: w.target, ...(w.stateMachine ? { stateMachine: true } : {}), ruleName: w.ruleName, schedule, input: w.input };
      this.entries.set(key, e);
      this.arm(e, this.o.clock.now());
    }
  }

  list(): ScheduleStats[] {
    return [...this.entries.values()].map((e) => ({ ...(e.stateMachine ? { stateMachine: e.target } : { functionName: e.target }), ruleName: e.ruleName, expression: e.schedule.expression, nextAt: e.nextAt }));
  }

  close(): void {
    for (const e of this.entries.values()) this.o.clock.clearTimeout(e.timer);
    this.entries.clear();
  }

  private arm(e: Entry, after: number): void {
    const at = e.schedule.next(after);
    e.nextAt = at;
    if (at === undefined) return;
    const tick = () => {
      const now = this.o.clock.now();
      if (now < at) {
        // setTimeout is capped (~24.8 days) and may fire early under fake clocks: wait again.
        e.timer = this.o.clock.setTimeout(tick, at - now);
        return;
      }
      const payload = e.input !== undefined ? Buffer.from(e.input) : scheduledEvent({ functionName: e.target, ruleName: e.ruleName, region: this.o.region, time: at });
      try {
        if (e.stateMachine) this.o.start?.(e.target, payload.toString('utf8'), e.ruleName);
        else this.o.fire(e.target, payload, e.ruleName);
      } finally {
        this.arm(e, Math.max(now, at));
      }
    };
    e.timer = this.o.clock.setTimeout(tick, at - this.o.clock.now());
  }
}
