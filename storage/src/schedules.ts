// EventBridge Scheduler's schedules and schedule groups (docs/eventbridge.md, "EventBridge
// Scheduler"): the model behind the Scheduler API on the storage's SQS port. It checks what
// CreateSchedule and UpdateSchedule are given as the service does, keeps the schedules (a
// snapshot in the storage's folder), and fires each on time: rate, cron and one-time at(...)
// expressions in their time zone, between StartDate and EndDate, deleted after their last firing
// when ActionAfterCompletion is DELETE. Firing only says what is due; the agent delivers it.
import {
  DEFAULT_SCHEDULE_GROUP,
  SCHEDULE_NAME,
  SCHEDULE_TARGET_KINDS,
  isTimeZone,
  parseSchedule,
  scheduleArn,
  scheduleGroupArn,
  scheduleTargetOf,
  type Schedule,
  type ScheduleFiring,
} from '@esb/contracts';
import { z } from 'zod';

export class SchedulerError extends Error {
  constructor(
    readonly code: 'ValidationException' | 'ResourceNotFoundException' | 'ConflictException' | 'ServiceQuotaExceededException' | 'InternalServerException',
    message: string,
  ) {
    super(message);
    this.name = 'SchedulerError';
  }

  get status(): number {
    return { ValidationException: 400, ResourceNotFoundException: 404, ConflictException: 409, ServiceQuotaExceededException: 402, InternalServerException: 500 }[this.code];
  }
}

export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemSchedulerClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(Math.max(ms, 0), 2 ** 31 - 1)).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What the store holds at most (docs/eventbridge.md "EventBridge Scheduler"): past them a create is refused. */
export interface SchedulerLimits {
  schedules: number;
  groups: number;
  /** The schedules' definitions together, as JSON. */
  bytes: number;
}
export const DEFAULT_SCHEDULER_LIMITS: SchedulerLimits = { schedules: 10_000, groups: 500, bytes: 64 * 1024 * 1024 };

const Tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) });
const Target = z
  .object({
    Arn: z.string().min(1).max(1600),
    RoleArn: z.string().min(1).max(1600),
    Input: z.string().min(1).optional(),
    EventBridgeParameters: z.object({ DetailType: z.string().min(1).max(128), Source: z.string().min(1).max(256) }).optional(),
    SqsParameters: z.object({ MessageGroupId: z.string().min(1).max(128).optional() }).optional(),
    KinesisParameters: z.object({ PartitionKey: z.string().min(1).max(256) }).optional(),
    RetryPolicy: z.object({ MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional(), MaximumRetryAttempts: z.number().int().min(0).max(185).optional() }).optional(),
    DeadLetterConfig: z.object({ Arn: z.string().min(1).max(1600).optional() }).optional(),
  })
  .passthrough();
/** CreateSchedule's and UpdateSchedule's body (the name and group come from the path and body). */
const ScheduleInput = z.object({
  GroupName: z.string().optional(),
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
  StartDate: z.number().optional(),
  EndDate: z.number().optional(),
  Description: z.string().max(512).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  FlexibleTimeWindow: z.object({ Mode: z.enum(['OFF', 'FLEXIBLE']), MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional() }),
  Target,
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  KmsKeyArn: z.string().min(1).max(2048).optional(),
  ClientToken: z.string().optional(),
});

const StoredSchedule = z.object({
  group: z.string(),
  name: z.string(),
  created: z.number(),
  modified: z.number(),
  expression: z.string(),
  timezone: z.string().optional(),
  start: z.number().optional(),
  end: z.number().optional(),
  description: z.string().optional(),
  state: z.enum(['ENABLED', 'DISABLED']),
  flexible: z.object({ Mode: z.enum(['OFF', 'FLEXIBLE']), MaximumWindowInMinutes: z.number().optional() }),
  target: Target,
  after_completion: z.enum(['NONE', 'DELETE']),
  kms_key: z.string().optional(),
  /** When it last fired (ms since epoch). */
  fired: z.number().optional(),
});
type StoredSchedule = z.infer<typeof StoredSchedule>;
const StoredGroup = z.object({ name: z.string(), created: z.number(), modified: z.number(), tags: z.array(Tag).default([]) });
type StoredGroup = z.infer<typeof StoredGroup>;
const Snapshot = z.object({ version: z.literal(1), groups: z.array(StoredGroup), schedules: z.array(StoredSchedule) });

interface Live {
  stored: StoredSchedule;
  schedule: Schedule;
  bytes: number;
  timer?: unknown;
}

export interface ScheduleStoreOptions {
  clock?: SchedulerClock;
  limits?: Partial<SchedulerLimits>;
  /** Told of each schedule that is due. */
  onFire?(firing: ScheduleFiring): void;
}

const key = (group: string, name: string) => `${group}/${name}`;
const seconds = (ms: number) => ms / 1000;

export class ScheduleStore {
  private readonly schedules = new Map<string, Live>();
  private readonly groups = new Map<string, StoredGroup>();
  private bytes = 0;
  private readonly clock: SchedulerClock;
  private readonly limits: SchedulerLimits;
  /** Told of every change (for the snapshot). */
  onChange?: () => void;

  constructor(private readonly o: ScheduleStoreOptions = {}) {
    this.clock = o.clock ?? systemSchedulerClock;
    this.limits = { ...DEFAULT_SCHEDULER_LIMITS, ...o.limits };
  }

  // ---- schedules --------------------------------------------------------------------------

  create(name: string, body: unknown): { ScheduleArn: string } {
    const input = this.read(name, body);
    const group = this.groupOf(input.GroupName);
    if (this.schedules.has(key(group, name))) throw new SchedulerError('ConflictException', `Schedule ${name} already exists.`);
    if (this.schedules.size >= this.limits.schedules) throw new SchedulerError('ServiceQuotaExceededException', `esb holds at most ${this.limits.schedules} schedules; delete some first (docs/eventbridge.md)`);
    const now = this.clock.now();
    this.put(this.toStored(group, name, input, now, now));
    return { ScheduleArn: this.arnOf(group, name) };
  }

  update(name: string, body: unknown): { ScheduleArn: string } {
    const input = this.read(name, body);
    const group = this.groupOf(input.GroupName);
    const old = this.schedules.get(key(group, name));
    if (!old) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    this.put(this.toStored(group, name, input, old.stored.created, this.clock.now()));
    return { ScheduleArn: this.arnOf(group, name) };
  }

  get(name: string, groupName: string | undefined): Record<string, unknown> {
    const s = this.find(name, groupName).stored;
    return {
      Arn: this.arnOf(s.group, s.name),
      Name: s.name,
      GroupName: s.group,
      CreationDate: seconds(s.created),
      LastModificationDate: seconds(s.modified),
      ScheduleExpression: s.expression,
      ...(s.timezone !== undefined ? { ScheduleExpressionTimezone: s.timezone } : {}),
      ...(s.start !== undefined ? { StartDate: seconds(s.start) } : {}),
      ...(s.end !== undefined ? { EndDate: seconds(s.end) } : {}),
      ...(s.description !== undefined ? { Description: s.description } : {}),
      State: s.state,
      FlexibleTimeWindow: s.flexible,
      Target: s.target,
      ActionAfterCompletion: s.after_completion,
      ...(s.kms_key !== undefined ? { KmsKeyArn: s.kms_key } : {}),
    };
  }

  delete(name: string, groupName: string | undefined): Record<string, never> {
    const live = this.find(name, groupName);
    this.remove(live);
    this.onChange?.();
    return {};
  }

  list(query: { ScheduleGroup?: string; NamePrefix?: string; State?: string; MaxResults?: string; NextToken?: string }): { Schedules: unknown[]; NextToken?: string } {
    if (query.State !== undefined && query.State !== 'ENABLED' && query.State !== 'DISABLED') throw new SchedulerError('ValidationException', `State must be ENABLED or DISABLED, not ${JSON.stringify(query.State)}`);
    const all = [...this.schedules.values()]
      .map((l) => l.stored)
      .filter((s) => (query.ScheduleGroup === undefined || s.group === query.ScheduleGroup) && (query.NamePrefix === undefined || s.name.startsWith(query.NamePrefix)) && (query.State === undefined || s.state === query.State))
      .sort((a, b) => (a.group === b.group ? (a.name < b.name ? -1 : 1) : a.group < b.group ? -1 : 1));
    const page = paged(all, query.MaxResults, query.NextToken);
    return {
      Schedules: page.items.map((s) => ({ Arn: this.arnOf(s.group, s.name), Name: s.name, GroupName: s.group, State: s.state, CreationDate: seconds(s.created), LastModificationDate: seconds(s.modified), Target: { Arn: s.target.Arn } })),
      ...(page.next !== undefined ? { NextToken: page.next } : {}),
    };
  }

  /** The schedule's next firing (ms since epoch), for tests and stats. */
  nextFiring(name: string, groupName?: string): number | undefined {
    const live = this.find(name, groupName);
    return this.due(live);
  }

  // ---- groups -----------------------------------------------------------------------------

  createGroup(name: string, body: unknown): { ScheduleGroupArn: string } {
    checkName(name, 'Name');
    if (name === DEFAULT_SCHEDULE_GROUP || this.groups.has(name)) throw new SchedulerError('ConflictException', `Schedule group ${name} already exists.`);
    if (this.groups.size + 1 >= this.limits.groups) throw new SchedulerError('ServiceQuotaExceededException', `esb holds at most ${this.limits.groups} schedule groups (docs/eventbridge.md)`);
    const tags = z.object({ Tags: z.array(Tag).max(200).optional() }).safeParse(body ?? {});
    if (!tags.success) throw new SchedulerError('ValidationException', `Tags: ${tags.error.issues[0]?.message ?? 'must be a list of {Key, Value}'}`);
    const now = this.clock.now();
    this.groups.set(name, { name, created: now, modified: now, tags: tags.data.Tags ?? [] });
    this.onChange?.();
    return { ScheduleGroupArn: scheduleGroupArn(name) };
  }

  getGroup(name: string): Record<string, unknown> {
    const g = this.groupRecord(name);
    return { Arn: scheduleGroupArn(g.name), Name: g.name, State: 'ACTIVE', CreationDate: seconds(g.created), LastModificationDate: seconds(g.modified) };
  }

  deleteGroup(name: string): Record<string, never> {
    if (name === DEFAULT_SCHEDULE_GROUP) throw new SchedulerError('ValidationException', 'The default schedule group cannot be deleted.');
    this.groupRecord(name);
    for (const live of [...this.schedules.values()]) if (live.stored.group === name) this.remove(live);
    this.groups.delete(name);
    this.onChange?.();
    return {};
  }

  listGroups(query: { NamePrefix?: string; MaxResults?: string; NextToken?: string }): { ScheduleGroups: unknown[]; NextToken?: string } {
    const names = [DEFAULT_SCHEDULE_GROUP, ...[...this.groups.keys()].sort()].filter((n) => query.NamePrefix === undefined || n.startsWith(query.NamePrefix));
    const page = paged(names, query.MaxResults, query.NextToken);
    return { ScheduleGroups: page.items.map((n) => this.getGroup(n)), ...(page.next !== undefined ? { NextToken: page.next } : {}) };
  }

  // ---- snapshot ---------------------------------------------------------------------------

  toSnapshot(): unknown {
    return { version: 1, groups: [...this.groups.values()], schedules: [...this.schedules.values()].map((l) => l.stored) };
  }

  /** Loads a snapshot; a one-time schedule that came due while the storage was down fires now. */
  loadSnapshot(data: unknown): void {
    const parsed = Snapshot.safeParse(data);
    if (!parsed.success) throw new Error(`not a schedules snapshot: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    for (const g of parsed.data.groups) this.groups.set(g.name, g);
    for (const s of parsed.data.schedules) {
      try {
        this.put(s, { quiet: true });
      } catch (err) {
        throw new Error(`schedule ${s.group}/${s.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  close(): void {
    for (const live of this.schedules.values()) this.clock.clearTimeout(live.timer);
  }

  // ---- inside -----------------------------------------------------------------------------

  private read(name: string, body: unknown): z.infer<typeof ScheduleInput> {
    checkName(name, 'Name');
    const parsed = ScheduleInput.safeParse(body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SchedulerError('ValidationException', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const input = parsed.data;
    if (input.FlexibleTimeWindow.Mode === 'FLEXIBLE' && input.FlexibleTimeWindow.MaximumWindowInMinutes === undefined) throw new SchedulerError('ValidationException', 'FlexibleTimeWindow.MaximumWindowInMinutes is required when Mode is FLEXIBLE');
    if (input.ScheduleExpressionTimezone !== undefined && !isTimeZone(input.ScheduleExpressionTimezone)) throw new SchedulerError('ValidationException', `ScheduleExpressionTimezone: ${JSON.stringify(input.ScheduleExpressionTimezone)} is not a time zone (Europe/Paris, America/New_York, UTC)`);
    try {
      parseSchedule(input.ScheduleExpression, { scheduler: true, ...(input.ScheduleExpressionTimezone ? { timezone: input.ScheduleExpressionTimezone } : {}) });
    } catch (err) {
      throw new SchedulerError('ValidationException', `ScheduleExpression: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (input.StartDate !== undefined && input.EndDate !== undefined && input.EndDate <= input.StartDate) throw new SchedulerError('ValidationException', 'EndDate must be after StartDate.');
    const target = scheduleTargetOf(input.Target.Arn);
    if (target === undefined) throw new SchedulerError('ValidationException', `Target.Arn: ${JSON.stringify(input.Target.Arn.slice(0, 200))} is not a target esb runs; a schedule here targets ${SCHEDULE_TARGET_KINDS} (universal targets and other services are not emulated, docs/eventbridge.md)`);
    const jsonInput = 'function' in target || 'state_machine' in target || 'bus' in target;
    if (jsonInput && input.Target.Input !== undefined) {
      try {
        JSON.parse(input.Target.Input);
      } catch {
        throw new SchedulerError('ValidationException', 'Target.Input must be well-formed JSON for a Lambda, Step Functions or EventBridge target.');
      }
    }
    if ('bus' in target && input.Target.EventBridgeParameters === undefined) throw new SchedulerError('ValidationException', 'Target.EventBridgeParameters (DetailType, Source) is required for an EventBridge target.');
    return input;
  }

  private toStored(group: string, name: string, input: z.infer<typeof ScheduleInput>, created: number, now: number): StoredSchedule {
    return {
      group,
      name,
      created,
      modified: now,
      expression: input.ScheduleExpression,
      ...(input.ScheduleExpressionTimezone !== undefined ? { timezone: input.ScheduleExpressionTimezone } : {}),
      ...(input.StartDate !== undefined ? { start: Math.round(input.StartDate * 1000) } : {}),
      ...(input.EndDate !== undefined ? { end: Math.round(input.EndDate * 1000) } : {}),
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      state: input.State ?? 'ENABLED',
      flexible: input.FlexibleTimeWindow,
      target: input.Target,
      after_completion: input.ActionAfterCompletion ?? 'NONE',
      ...(input.KmsKeyArn !== undefined ? { kms_key: input.KmsKeyArn } : {}),
    };
  }

  /** Adds or replaces a schedule and arms its timer. */
  private put(stored: StoredSchedule, opts: { quiet?: boolean } = {}): void {
    const k = key(stored.group, stored.name);
    const old = this.schedules.get(k);
    const bytes = JSON.stringify(stored).length;
    if (this.bytes - (old?.bytes ?? 0) + bytes > this.limits.bytes) throw new SchedulerError('ServiceQuotaExceededException', `esb holds at most ${this.limits.bytes} bytes of schedule definitions; delete some first (docs/eventbridge.md)`);
    const schedule = parseSchedule(stored.expression, { scheduler: true, rateStart: stored.start ?? stored.created, ...(stored.timezone ? { timezone: stored.timezone } : {}) });
    if (old) this.remove(old);
    const live: Live = { stored, schedule, bytes };
    this.schedules.set(k, live);
    this.bytes += bytes;
    this.arm(live);
    if (!opts.quiet) this.onChange?.();
  }

  private remove(live: Live): void {
    this.clock.clearTimeout(live.timer);
    this.schedules.delete(key(live.stored.group, live.stored.name));
    this.bytes -= live.bytes;
  }

  /** When it fires next: undefined once it has no firing left (disabled, past its end, a one-time one done). */
  private due(live: Live): number | undefined {
    const s = live.stored;
    if (s.state === 'DISABLED') return undefined;
    const now = this.clock.now();
    const oneTime = s.expression.startsWith('at(');
    // Counted from the last firing, else from the last change: an at(...) already past then never fires.
    let due = live.schedule.next(Math.max(s.fired ?? s.modified, s.start !== undefined ? s.start - 1 : -Infinity));
    // A recurring schedule does not catch up on the firings the storage was down for.
    if (due !== undefined && due < now && !oneTime) due = live.schedule.next(now - 1);
    if (due === undefined || (s.end !== undefined && due > s.end)) return undefined;
    return due;
  }

  private arm(live: Live): void {
    const due = this.due(live);
    if (due === undefined) return this.completed(live);
    const tick = () => {
      const now = this.clock.now();
      if (now < due) {
        // setTimeout is capped (~24.8 days): wait again.
        live.timer = this.clock.setTimeout(tick, due - now);
        return;
      }
      if (this.schedules.get(key(live.stored.group, live.stored.name)) !== live) return;
      live.stored.fired = due;
      const t = live.stored.target;
      try {
        this.o.onFire?.({
          schedule: this.arnOf(live.stored.group, live.stored.name),
          group: live.stored.group,
          name: live.stored.name,
          time: due,
          target: {
            arn: t.Arn,
            ...(t.Input !== undefined ? { input: t.Input } : {}),
            ...(t.EventBridgeParameters ? { detail_type: t.EventBridgeParameters.DetailType, source: t.EventBridgeParameters.Source } : {}),
            ...(t.SqsParameters?.MessageGroupId !== undefined ? { message_group_id: t.SqsParameters.MessageGroupId } : {}),
            ...(t.KinesisParameters ? { partition_key: t.KinesisParameters.PartitionKey } : {}),
          },
        });
      } finally {
        this.onChange?.();
        this.arm(live);
      }
    };
    live.timer = this.clock.setTimeout(tick, due - this.clock.now());
  }

  /** A schedule with no firing left: deleted when it asked for that after its last one. */
  private completed(live: Live): void {
    const s = live.stored;
    if (s.after_completion !== 'DELETE' || s.state === 'DISABLED' || s.fired === undefined) return;
    this.remove(live);
    this.onChange?.();
  }

  private find(name: string, groupName: string | undefined): Live {
    const group = groupName || DEFAULT_SCHEDULE_GROUP;
    const live = this.schedules.get(key(group, name));
    if (!live) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return live;
  }

  private groupOf(groupName: string | undefined): string {
    const group = groupName || DEFAULT_SCHEDULE_GROUP;
    checkName(group, 'GroupName');
    if (group !== DEFAULT_SCHEDULE_GROUP && !this.groups.has(group)) throw new SchedulerError('ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    return group;
  }

  private groupRecord(name: string): StoredGroup {
    if (name === DEFAULT_SCHEDULE_GROUP) return this.groups.get(name) ?? { name, created: 0, modified: 0, tags: [] };
    const g = this.groups.get(name);
    if (!g) throw new SchedulerError('ResourceNotFoundException', `Schedule group ${name} does not exist.`);
    return g;
  }

  private arnOf(group: string, name: string): string {
    return scheduleArn(group, name);
  }
}

function checkName(name: string, field: string): void {
  if (!SCHEDULE_NAME.test(name)) throw new SchedulerError('ValidationException', `${field}: ${JSON.stringify(name.slice(0, 100))} must be 1-64 letters, digits, ".", "-" or "_"`);
}

/** A page of a sorted list: NextToken is the offset of the next item. */
function paged<T>(items: T[], maxResults: string | undefined, nextToken: string | undefined): { items: T[]; next?: string } {
  const max = maxResults === undefined ? 100 : Number(maxResults);
  if (!Number.isInteger(max) || max < 1 || max > 100) throw new SchedulerError('ValidationException', 'MaxResults must be 1-100.');
  const from = nextToken === undefined ? 0 : Number(nextToken);
  if (!Number.isInteger(from) || from < 0) throw new SchedulerError('ValidationException', 'NextToken is not one this API gave.');
  const page = items.slice(from, from + max);
  return { items: page, ...(from + max < items.length ? { next: String(from + max) } : {}) };
}
