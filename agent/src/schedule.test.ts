import { describe, expect, it } from 'vitest';
import { FakeClock } from '@esb/contracts/testing';
import { EventRules } from './eventbridge.js';
import { Scheduler } from './schedule.js';
import { EMPTY_FUNCTIONS, FunctionsFile } from '@esb/contracts';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('Scheduler', () => {
  const file = (events: unknown[]) => FunctionsFile.parse({ functions: { job: { runtime: 'nodejs20.x', handler: 'i.h', code: '/x', events } } });

  it('fires on time with the Input or an EventBridge event, keeps timers across identical reloads, drops removed ones', () => {
    const clock = new FakeClock(t('2026-01-01T00:00:30Z'));
    const fired: Array<{ fn: string; at: number; payload: unknown }> = [];
    const s = new Scheduler({ clock, region: 'eu-west-1', warn: () => {}, fire: (fn, p) => fired.push({ fn, at: clock.now(), payload: JSON.parse(p.toString()) }) });
    s.setFunctions(file([{ type: 'schedule', schedule: 'rate(1 minute)', name: 'tick' }, { type: 'schedule', schedule: 'cron(0 * * * ? *)', input: '{"k":1}' }]));
    clock.advance(29_000);
    expect(fired).toHaveLength(0);
    clock.advance(1_000);
    expect(fired).toHaveLength(1);
    expect(iso(fired[0].at)).toBe('2026-01-01T00:01:00.000Z');
    expect(fired[0].payload).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', region: 'eu-west-1', time: '2026-01-01T00:01:00Z', resources: ['arn:aws:events:eu-west-1:123456789012:rule/tick'] });
    s.setFunctions(file([{ type: 'schedule', schedule: 'rate(1 minute)', name: 'tick' }, { type: 'schedule', schedule: 'cron(0 * * * ? *)', input: '{"k":1}' }]));
    clock.advance(59 * 60_000);
    expect(fired.filter((f) => (f.payload as { k?: number }).k === 1).map((f) => iso(f.at))).toEqual(['2026-01-01T01:00:00.000Z']);
    expect(fired).toHaveLength(61);
    s.setFunctions(file([]));
    expect(clock.pending).toBe(0);
    clock.advance(3_600_000);
    expect(fired).toHaveLength(61);
  });

  it('skips disabled schedules and warns about bad ones without stopping the others', () => {
    const clock = new FakeClock(t('2026-01-01T00:00:30Z'));
    const warnings: string[] = [];
    const fired: string[] = [];
    const s = new Scheduler({ clock, region: 'us-east-1', warn: (m) => warnings.push(m), fire: (fn) => fired.push(fn) });
    s.setFunctions(file([{ type: 'schedule', schedule: 'rate(1 minute)', enabled: false }, { type: 'schedule', schedule: 'cron(1 2 3)' }, { type: 'schedule', schedule: 'rate(5 minutes)' }]));
    expect(warnings[0]).toMatch(/function job: schedule "cron\(1 2 3\)"/);
    clock.advance(5 * 60_000);
    expect(fired).toEqual(['job']);
    s.close();
  });

  it('starts an execution of a state machine on its schedules, with the Input or the scheduled event', () => {
    const clock = new FakeClock(t('2026-01-01T00:00:30Z'));
    const started: Array<{ machine: string; input: unknown; rule: string }> = [];
    const fired: string[] = [];
    const s = new Scheduler({ clock, region: 'us-east-1', warn: () => {}, fire: (fn) => fired.push(fn), start: (machine, input, rule) => started.push({ machine, input: JSON.parse(input), rule }) });
    const definition = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
    s.setFunctions({
      ...EMPTY_FUNCTIONS,
      state_machines: {
        Nightly: { name: 'Nightly', type: 'STANDARD', definition, schedules: [{ name: 'every-minute', schedule: 'rate(1 minute)', enabled: true }, { schedule: 'rate(2 minutes)', input: '{"full":true}', enabled: true }, { schedule: 'rate(1 minute)', enabled: false }] },
      },
    });
    clock.advance(90_000);
    expect(fired).toEqual([]);
    expect(started).toEqual([
      { machine: 'Nightly', input: expect.objectContaining({ 'detail-type': 'Scheduled Event', resources: ['arn:aws:events:us-east-1:123456789012:rule/every-minute'] }), rule: 'every-minute' },
      { machine: 'Nightly', input: { full: true }, rule: 'Nightly-schedule-2' },
      { machine: 'Nightly', input: expect.objectContaining({ source: 'aws.events' }), rule: 'every-minute' },
    ]);
    expect(s.list().map((e) => [e.stateMachine, e.functionName, e.ruleName])).toEqual([
      ['Nightly', undefined, 'every-minute'],
      ['Nightly', undefined, 'Nightly-schedule-2'],
    ]);
    s.close();
  });

  it("sends a scheduled rule's targets the Scheduled Event on time, each shaped by its input fields; a disabled rule is not scheduled", () => {
    const clock = new FakeClock(t('2026-01-01T00:00:30Z'));
    const sent: Array<[string, unknown, string]> = [];
    const rules = new EventRules({
      region: 'us-east-1',
      fire: (fn, payload, by) => sent.push([`function ${fn}`, JSON.parse(payload.toString()), by]),
      send: (queue, body, by) => sent.push([`queue ${queue}`, body, by]),
      start: () => {},
    });
    const s = new Scheduler({ clock, region: 'us-east-1', warn: () => {}, fire: () => {}, sendRule: (rule, event) => rules.sendToTargets(rule, event) });
    const file = FunctionsFile.parse({
      functions: {},
      rules: {
        'default/nightly': { name: 'nightly', schedule: 'rate(1 minute)', targets: [{ id: 'a', function: 'report', input: '{"full":true}' }, { id: 'b', queue: 'jobs', input_transformer: { paths: { t: '$.time' }, template: '"due <t>"' } }, { id: 'c', function: 'audit' }] },
        'default/off': { name: 'off', schedule: 'rate(1 minute)', enabled: false, targets: [{ id: 'a', function: 'never' }] },
      },
    });
    s.setFunctions(file);
    clock.advance(30_000);
    expect(sent).toEqual([
      ['function report', { full: true }, 'rule nightly'],
      ['queue jobs', '"due 2026-01-01T00:01:00Z"', 'rule nightly'],
      ['function audit', expect.objectContaining({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-01-01T00:01:00Z', resources: ['arn:aws:events:us-east-1:123456789012:rule/nightly'] }), 'rule nightly'],
    ]);
    expect(s.list()).toEqual([{ rule: 'default/nightly', ruleName: 'nightly', expression: 'rate(1 minute)', nextAt: t('2026-01-01T00:02:00Z') }]);
    // The rules of the buses take no events from a scheduled rule.
    rules.setFunctions(file);
    expect(rules.list()).toEqual([]);
    s.close();
  });
});
