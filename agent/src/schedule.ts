// Schedule events of functions.yml: EventBridge rate(...) and cron(...) expressions evaluated
// in UTC (the expressions: @esb/contracts, schedule-expressions.ts); the Scheduler invokes each
// function, or starts each state machine, on time.
import { LOCAL_ACCOUNT_ID, parseSchedule, ruleArn, scheduleRuleName, type BusEvent, type EventRule, type Schedule } from '@esb/contracts';
import { randomUUID } from 'node:crypto';
import type { FunctionsFile } from '@esb/contracts';
import type { Clock } from './clock.js';

/**
 * The Scheduled Event: what a scheduled rule's targets get (`source: 'aws.events'`, the rule's
 * ARN), or an EventBridge Scheduler schedule's target without Input (`aws.scheduler`, its ARN).
 */
export function scheduledEventOf(opts: { resource: string; region: string; time: number; source: 'aws.events' | 'aws.scheduler'; account?: string }): BusEvent['event'] {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: opts.source,
    account: opts.account ?? LOCAL_ACCOUNT_ID,
    time: new Date(opts.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: opts.region,
    resources: [opts.resource],
    detail: {},
  };
}

/** The Scheduled Event of a schedule event of a function or state machine (rule `ruleName` on the default bus), as bytes. */
export function scheduledEvent(opts: { ruleName: string; region: string; time: number; account?: string }): Buffer {
  return Buffer.from(JSON.stringify(scheduledEventOf({ resource: ruleArn('default', opts.ruleName, opts.region, opts.account), region: opts.region, time: opts.time, source: 'aws.events', ...(opts.account ? { account: opts.account } : {}) })));
}

interface Entry {
  /** What the schedule starts: a function's invocation, or with `stateMachine` an execution; a scheduled rule's key. */
  target: string;
  stateMachine?: boolean;
  /** A scheduled rule: each of its targets gets the Scheduled Event (or what its input fields make of it). */
  rule?: EventRule;
  ruleName: string;
  schedule: Schedule;
  input?: string;
  timer?: unknown;
  nextAt?: number;
}

/** A schedule in force: of a function, of a state machine, or a scheduled rule's (`rule`: its key). */
export type ScheduleStats = ({ functionName: string; stateMachine?: undefined; rule?: undefined } | { stateMachine: string; functionName?: undefined; rule?: undefined } | { rule: string; functionName?: undefined; stateMachine?: undefined }) & { ruleName: string; expression: string; nextAt?: number };

export interface SchedulerOptions {
  clock: Clock;
  region: string;
  fire(functionName: string, payload: Buffer, ruleName: string): void;
  /** Starts an execution of a state machine with the input (JSON text, docs/step-functions.md). */
  start?(stateMachine: string, input: string, ruleName: string): void;
  /** Sends the Scheduled Event to each target of a scheduled rule. */
  sendRule?(rule: EventRule, event: BusEvent['event']): void;
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
        const ruleName = scheduleRuleName(fn, ev.name, i);
        const key = JSON.stringify([fn, ruleName, ev.schedule, ev.input ?? null]);
        wanted.set(key, { target: fn, ruleName, expression: ev.schedule, input: ev.input });
      });
    }
    for (const [machine, sm] of Object.entries(file.state_machines ?? {})) {
      sm.schedules.forEach((ev, i) => {
        if (ev.enabled === false) return;
        const ruleName = scheduleRuleName(machine, ev.name, i);
        const key = JSON.stringify(['state-machine', machine, ruleName, ev.schedule, ev.input ?? null]);
        wanted.set(key, { target: machine, stateMachine: true, ruleName, expression: ev.schedule, input: ev.input });
      });
    }
    for (const [ruleKey, rule] of Object.entries(file.rules ?? {})) {
      if (rule.schedule === undefined || !rule.enabled) continue;
      wanted.set(JSON.stringify(['rule', ruleKey, rule]), { target: ruleKey, rule, ruleName: rule.name, expression: rule.schedule });
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
        schedule = parseSchedule(w.expression, w.stateMachine || w.rule ? {} : { functionName: w.target });
      } catch (err) {
        this.o.warn(`${w.stateMachine ? `state machine ${w.target}: ` : w.rule ? `rule ${w.target}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const e: Entry = { target: w.target, ...(w.stateMachine ? { stateMachine: true } : {}), ...(w.rule ? { rule: w.rule } : {}), ruleName: w.ruleName, schedule, input: w.input };
      this.entries.set(key, e);
      this.arm(e, this.o.clock.now());
    }
  }

  list(): ScheduleStats[] {
    return [...this.entries.values()].map((e) => ({ ...(e.rule ? { rule: e.target } : e.stateMachine ? { stateMachine: e.target } : { functionName: e.target }), ruleName: e.ruleName, expression: e.schedule.expression, nextAt: e.nextAt }));
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
      try {
        if (e.rule) {
          this.o.sendRule?.(e.rule, scheduledEventOf({ resource: ruleArn(e.rule.bus, e.rule.name, this.o.region), region: this.o.region, time: at, source: 'aws.events' }));
          return;
        }
        const payload = e.input !== undefined ? Buffer.from(e.input) : scheduledEvent({ ruleName: e.ruleName, region: this.o.region, time: at });
        if (e.stateMachine) this.o.start?.(e.target, payload.toString('utf8'), e.ruleName);
        else this.o.fire(e.target, payload, e.ruleName);
      } finally {
        this.arm(e, Math.max(now, at));
      }
    };
    e.timer = this.o.clock.setTimeout(tick, at - this.o.clock.now());
  }
}
