import { describe, expect, it } from 'vitest';
import { parseSchedule, ScheduleParseError } from './schedule-expressions.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseSchedule', () => {
  it('rate expressions fire on aligned boundaries', () => {
    expect(iso(parseSchedule('rate(5 minutes)').next(t('2026-01-01T10:03:10Z')))).toBe('2026-01-01T10:05:00.000Z');
    expect(iso(parseSchedule('rate(1 hour)').next(t('2026-01-01T10:00:00Z')))).toBe('2026-01-01T11:00:00.000Z');
    expect(iso(parseSchedule('rate(2 days)').next(t('2026-01-01T10:00:00Z')))).toBe('2026-01-03T00:00:00.000Z') // epoch-aligned: day 20454 is even;
  });

  it('rejects a wrong unit number and unknown forms', () => {
    expect(() => parseSchedule('rate(1 minutes)')).toThrow(ScheduleParseError);
    expect(() => parseSchedule('rate(5 minute)')).toThrow(/use "5 minutes"/);
    expect(() => parseSchedule('rate(0 minutes)')).toThrow(/at least 1/);
    expect(() => parseSchedule('every 5 minutes', { functionName: 'fn' })).toThrow(/function fn: schedule "every 5 minutes"/);
  });

  it('evaluates AWS cron (6 fields, ?, days of week 1-7 = SUN-SAT, years) in UTC', () => {
    // 2026-01-01 is a Thursday.
    expect(iso(parseSchedule('cron(0 12 * * ? *)').next(t('2026-01-01T13:00:00Z')))).toBe('2026-01-02T12:00:00.000Z');
    expect(iso(parseSchedule('cron(15 10 ? * 2 *)').next(t('2026-01-01T00:00:00Z')))).toBe('2026-01-05T10:15:00.000Z'); // MON
    expect(iso(parseSchedule('cron(0 8 ? * MON-FRI *)').next(t('2026-01-02T09:00:00Z')))).toBe('2026-01-05T08:00:00.000Z');
    expect(iso(parseSchedule('cron(0 0 ? * 1 *)').next(t('2026-01-01T00:00:00Z')))).toBe('2026-01-04T00:00:00.000Z'); // SUN
    expect(iso(parseSchedule('cron(0/15 * * * ? *)').next(t('2026-01-01T00:07:00Z')))).toBe('2026-01-01T00:15:00.000Z');
    expect(iso(parseSchedule('cron(0 0 1 1 ? 2028)').next(t('2026-06-01T00:00:00Z')))).toBe('2028-01-01T00:00:00.000Z');
    expect(parseSchedule('cron(0 0 1 1 ? 2020)').next(t('2026-06-01T00:00:00Z'))).toBeUndefined();
  });

  it('rejects 5-field cron, both day fields set, and bad fields', () => {
    expect(() => parseSchedule('cron(0 12 * * *)')).toThrow(/6 fields/);
    expect(() => parseSchedule('cron(0 12 1 * 2 *)')).toThrow(/"\?"/);
    expect(() => parseSchedule('cron(99 12 * * ? *)')).toThrow(ScheduleParseError);
    expect(() => parseSchedule('cron(0 12 * * ? 20x6)')).toThrow(/bad year/);
  });
});

describe('time zones and one-time schedules', () => {
  it('reads cron in the named zone, across a daylight-saving change', () => {
    const nine = parseSchedule('cron(0 9 * * ? *)', { timezone: 'Europe/Paris' });
    expect(iso(nine.next(t('2026-03-28T00:00:00Z')))).toBe('2026-03-28T08:00:00.000Z'); // CET, UTC+1
    expect(iso(nine.next(t('2026-03-28T08:00:00Z')))).toBe('2026-03-29T07:00:00.000Z'); // CEST from 29 March
    expect(iso(parseSchedule('cron(30 23 31 12 ? 2026)', { timezone: 'America/New_York' }).next(t('2026-06-01T00:00:00Z')))).toBe('2027-01-01T04:30:00.000Z');
  });

  it('fires at(...) once, in its zone; a time already past never fires', () => {
    const once = parseSchedule('at(2026-07-01T12:00:00)', { scheduler: true, timezone: 'Asia/Tokyo' });
    expect(iso(once.next(t('2026-06-01T00:00:00Z')))).toBe('2026-07-01T03:00:00.000Z');
    expect(once.next(t('2026-07-01T03:00:00Z'))).toBeUndefined();
    expect(iso(parseSchedule('at(2026-07-01T12:00:00)', { scheduler: true }).next(0))).toBe('2026-07-01T12:00:00.000Z');
  });

  it('reads a wall time skipped by clocks going forward as the time after the gap, and a repeated one as the first', () => {
    expect(iso(parseSchedule('at(2026-03-29T02:30:00)', { scheduler: true, timezone: 'Europe/Paris' }).next(0))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(parseSchedule('at(2026-10-25T02:30:00)', { scheduler: true, timezone: 'Europe/Paris' }).next(0))).toBe('2026-10-25T00:30:00.000Z');
  });

  it("takes the Scheduler's rate with a unit singular or plural whatever the number", () => {
    expect(iso(parseSchedule('rate(5 minute)', { scheduler: true }).next(0))).toBe('1970-01-01T00:05:00.000Z');
    expect(iso(parseSchedule('rate(1 hours)', { scheduler: true }).next(0))).toBe('1970-01-01T01:00:00.000Z');
  });

  it('counts a rate from its start when given one', () => {
    const every = parseSchedule('rate(10 minutes)', { rateStart: t('2026-01-01T10:03:00Z') });
    expect(iso(every.next(t('2026-01-01T09:00:00Z')))).toBe('2026-01-01T10:13:00.000Z');
    expect(iso(every.next(t('2026-01-01T10:13:00Z')))).toBe('2026-01-01T10:23:00.000Z');
  });

  it('refuses at(...) outside the Scheduler, a bad date, and an unknown zone', () => {
    expect(() => parseSchedule('at(2026-07-01T12:00:00)')).toThrow(/belong to EventBridge Scheduler/);
    expect(() => parseSchedule('at(2026-02-30T12:00:00)', { scheduler: true })).toThrow(/not a date and time/);
    expect(() => parseSchedule('at(2026-07-01 12:00)', { scheduler: true })).toThrow(/expected at\(yyyy-mm-ddThh:mm:ss\)/);
    expect(() => parseSchedule('rate(5 minutes)', { timezone: 'Mars/Olympus' })).toThrow(/not an IANA time zone/);
  });
});
