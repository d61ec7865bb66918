// Schedule expressions of EventBridge rules and EventBridge Scheduler (docs/agent.md
// "Schedules", docs/eventbridge.md "EventBridge Scheduler"): rate(...), AWS cron (minutes hours
// day-of-month month day-of-week year, `?` allowed, days of week 1-7 = SUN-SAT) and, for the
// Scheduler, one-time at(yyyy-mm-ddThh:mm:ss); cron and at are read in a time zone (UTC unless
// one is named). Pure: the next fire time after an instant.
import { createRequire } from 'node:module';

// Loaded at the first cron expression: it takes about 15 ms, which every command importing the
// contracts (`esb get`) would pay otherwise.
const require = createRequire(import.meta.url);
let cronParser: typeof import('cron-parser').CronExpressionParser | undefined;
const cronExpressions = () => (cronParser ??= (require('cron-parser') as typeof import('cron-parser')).CronExpressionParser);

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

export interface ScheduleParseOptions {
  /** Named in the error (a schedule event of that function). */
  functionName?: string;
  /** IANA time zone cron and at read their fields in (default UTC). */
  timezone?: string;
  /**
   * EventBridge Scheduler's grammar rather than a rule's: one-time at(...) expressions, and a
   * rate's unit singular or plural whatever the number (`rate(5 minute)` is accepted there).
   */
  scheduler?: boolean;
  /** What a rate counts from (ms since epoch); default the epoch, so that a reload does not move the fire times. */
  rateStart?: number;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

/** Whether `zone` is an IANA time zone this Node knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function parseSchedule(expression: string, options: ScheduleParseOptions = {}): Schedule {
  const fail = (why: string) => new ScheduleParseError(expression, why, options.functionName);
  const zone = options.timezone ?? 'UTC';
  if (!isTimeZone(zone)) throw fail(`time zone ${JSON.stringify(zone)} is not an IANA time zone (Europe/Paris, America/New_York, UTC)`);
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2].replace(/s$/, '');
    if (n < 1) throw fail('the rate must be at least 1');
    if (!options.scheduler && (n === 1) !== (rate[2] === unit)) throw fail(`use "${n} ${n === 1 ? unit : `${unit}s`}"`);
    const every = n * UNIT_MS[unit];
    const start = options.rateStart ?? 0;
    return { expression, next: (after) => (after < start ? start + every : start + (Math.floor((after - start) / every) + 1) * every) };
  }
  const at = AT.exec(expression);
  if (at) {
    if (!options.scheduler) throw fail('one-time at(...) schedules belong to EventBridge Scheduler; a rule takes rate(...) or cron(...)');
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number);
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    const back = new Date(wall);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw fail('not a date and time (yyyy-mm-ddThh:mm:ss)');
    const when = instantOfWallTime(wall, zone);
    return { expression, next: (after) => (when > after ? when : undefined) };
  }
  if (/^at\(/.test(expression)) throw fail('expected at(yyyy-mm-ddThh:mm:ss)');
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw fail(`expected rate(N unit)${options.scheduler ? ', at(yyyy-mm-ddThh:mm:ss)' : ''} or cron(minutes hours day-of-month month day-of-week year)`);
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) throw fail(`AWS cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [min, hour, dom, month, dow, year] = fields;
  if (dom !== '?' && dow !== '?') throw fail('one of day-of-month or day-of-week must be "?"');
  const expr = [min, hour, dom === '?' ? '*' : dom, month, dow === '?' ? '*' : awsDowToCron(dow)].join(' ');
  try {
    cronExpressions().parse(expr, { tz: zone });
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const yearOk = parseYears(year, fail);
  const yearOf = zone === 'UTC' ? (ms: number) => new Date(ms).getUTCFullYear() : (ms: number) => wallFields(ms, zone)[0];
  return {
    expression,
    next(after) {
      const it = cronExpressions().parse(expr, { currentDate: new Date(after), tz: zone });
      for (let i = 0; i < 100_000; i++) {
        let t: number;
        try {
          t = it.next().getTime();
        } catch {
          return undefined;
        }
        if (t <= after) continue;
        const y = yearOf(t);
        if (yearOk(y)) return t;
        if (y > 2199) return undefined;
      }
      return undefined;
    },
  };
}

/** [year, month, day, hour, minute, second] of an instant on the wall clocks of `zone`. */
function wallFields(ms: number, zone: string): number[] {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
}

/** How far ahead of UTC `zone`'s clocks are at an instant (ms). */
function zoneOffset(ms: number, zone: string): number {
  const [y, mo, d, h, mi, s] = wallFields(ms, zone);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time (given as if it were UTC) names in `zone`: the earlier one when
 * clocks go back and it happens twice, the one after the gap when clocks go forward past it.
 */
export function instantOfWallTime(wallAsUtc: number, zone: string): number {
  if (zone === 'UTC') return wallAsUtc;
  const first = wallAsUtc - zoneOffset(wallAsUtc, zone);
  const candidates = [first, wallAsUtc - zoneOffset(first, zone), first - 3_600_000, first + 3_600_000];
  const exact = candidates.filter((t) => t + zoneOffset(t, zone) === wallAsUtc);
  return exact.length ? Math.min(...exact) : Math.max(first, wallAsUtc - zoneOffset(first, zone));
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

/**
 * The rule a Schedule event fires as (its Scheduled Event's `resources`): the event's Name, else
 * `<target>-schedule-<n>`, n counting the target's events from 1 (docs/agent.md "Schedules").
 */
export function scheduleRuleName(target: string, name: string | undefined, index: number): string {
  return name ?? `${target}-schedule-${index + 1}`;
}
