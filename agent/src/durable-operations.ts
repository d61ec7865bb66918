// The operations of a Lambda durable execution and how a checkpoint changes them
// (docs/durable-functions.md): pure, no I/O and no timers. The engine (durable-executions.ts)
// applies a checkpoint's updates here and acts on the effects this returns: timers to arm,
// functions to invoke, the execution's end.

export const OPERATION_TYPES = ['EXECUTION', 'CONTEXT', 'STEP', 'WAIT', 'CALLBACK', 'CHAINED_INVOKE'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];
export type OperationStatus = 'STARTED' | 'PENDING' | 'READY' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'STOPPED';
export type OperationAction = 'START' | 'SUCCEED' | 'FAIL' | 'RETRY' | 'CANCEL';

export interface ErrorObject {
  ErrorType?: string;
  ErrorMessage?: string;
  ErrorData?: string;
  StackTrace?: string[];
}

/** An operation as the service keeps it; times in epoch milliseconds. */
export interface Operation {
  Id: string;
  ParentId?: string;
  Name?: string;
  Type: OperationType;
  SubType?: string;
  StartTimestamp: number;
  EndTimestamp?: number;
  Status: OperationStatus;
  ExecutionDetails?: { InputPayload?: string };
  ContextDetails?: { ReplayChildren?: boolean; Result?: string; Error?: ErrorObject };
  StepDetails?: { Attempt?: number; NextAttemptTimestamp?: number; Result?: string; Error?: ErrorObject };
  WaitDetails?: { ScheduledEndTimestamp?: number };
  CallbackDetails?: { CallbackId?: string; Result?: string; Error?: ErrorObject };
  ChainedInvokeDetails?: { Result?: string; Error?: ErrorObject };
}

/** One entry of CheckpointDurableExecution's `Updates`. */
export interface OperationUpdate {
  Id: string;
  ParentId?: string;
  Name?: string;
  Type: OperationType;
  SubType?: string;
  Action: OperationAction;
  Payload?: string;
  Error?: ErrorObject;
  ContextOptions?: { ReplayChildren?: boolean };
  StepOptions?: { NextAttemptDelaySeconds?: number };
  WaitOptions?: { WaitSeconds?: number };
  CallbackOptions?: { TimeoutSeconds?: number; HeartbeatTimeoutSeconds?: number };
  ChainedInvokeOptions?: { FunctionName?: string; TenantId?: string };
}

/** What the engine does after a checkpoint. */
export type Effect =
  | { kind: 'wait'; id: string; at: number }
  | { kind: 'retry'; id: string; at: number }
  | { kind: 'callback'; id: string; callbackId: string; timeoutSeconds?: number; heartbeatSeconds?: number }
  | { kind: 'invoke'; id: string; functionName: string; payload: string }
  | { kind: 'cancel'; id: string }
  | { kind: 'end'; status: 'SUCCEEDED' | 'FAILED'; result?: string; error?: ErrorObject };

export interface ApplyOptions {
  /** Names a callback as it starts. */
  newCallbackId(opId: string): string;
  /** Waits and step retry delays last this fraction of what they ask (1: as asked). */
  timeScale: number;
}

/** A checkpoint the service refuses (400 InvalidParameterValueException). */
export class InvalidUpdate extends Error {}

const VALID_ACTIONS: Record<OperationType, readonly OperationAction[]> = {
  EXECUTION: ['SUCCEED', 'FAIL'],
  CONTEXT: ['START', 'SUCCEED', 'FAIL'],
  STEP: ['START', 'SUCCEED', 'FAIL', 'RETRY'],
  WAIT: ['START', 'CANCEL'],
  CALLBACK: ['START', 'CANCEL'],
  CHAINED_INVOKE: ['START', 'CANCEL'],
};

const TERMINAL: ReadonlySet<OperationStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'STOPPED']);

export function isTerminal(status: OperationStatus): boolean {
  return TERMINAL.has(status);
}

/** Longest wait, retry delay or callback timeout a checkpoint may ask for: a year, an execution's longest life. */
export const MAX_DELAY_SECONDS = 366 * 24 * 3600;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidUpdate(`${field} must be a string`);
  return v;
}

/** Copies the optional string members `keys` of `from` that are set, naming a member that is not a string. */
function copyStrings<K extends string>(to: Partial<Record<K, string>>, from: Record<string, unknown>, keys: readonly K[], at: string): void {
  for (const key of keys) {
    const v = optionalString(from[key], `${at}.${key}`);
    if (v !== undefined) to[key] = v;
  }
}

function seconds(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_DELAY_SECONDS) throw new InvalidUpdate(`${field} must be a number of seconds from 0 to ${MAX_DELAY_SECONDS}`);
  return v;
}

function errorObject(v: unknown, field: string): ErrorObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new InvalidUpdate(`${field} must be an object {ErrorType, ErrorMessage, ErrorData, StackTrace}`);
  const e: ErrorObject = {};
  copyStrings(e, v, ['ErrorType', 'ErrorMessage', 'ErrorData'], field);
  if (Array.isArray(v.StackTrace)) e.StackTrace = v.StackTrace.filter((l): l is string => typeof l === 'string');
  return e;
}

/** Reads one entry of `Updates`, naming the field that is wrong. */
export function parseUpdate(raw: unknown, index: number): OperationUpdate {
  const at = `Updates[${index}]`;
  if (!isRecord(raw)) throw new InvalidUpdate(`${at} must be an object`);
  const id = raw.Id;
  if (typeof id !== 'string' || id === '' || id.length > 256) throw new InvalidUpdate(`${at}.Id must be a string of 1-256 characters`);
  const type = raw.Type as OperationType;
  if (!OPERATION_TYPES.includes(type)) throw new InvalidUpdate(`${at}.Type must be one of ${OPERATION_TYPES.join(', ')}`);
  const action = raw.Action as OperationAction;
  if (!VALID_ACTIONS[type].includes(action)) throw new InvalidUpdate(`${at}.Action ${JSON.stringify(raw.Action)} is not valid for a ${type} operation (${VALID_ACTIONS[type].join(', ')})`);
  const u: OperationUpdate = { Id: id, Type: type, Action: action };
  copyStrings(u, raw, ['ParentId', 'Name', 'SubType', 'Payload'], at);
  const error = errorObject(raw.Error, `${at}.Error`);
  if (error !== undefined) u.Error = error;
  if (isRecord(raw.ContextOptions) && typeof raw.ContextOptions.ReplayChildren === 'boolean') u.ContextOptions = { ReplayChildren: raw.ContextOptions.ReplayChildren };
  if (isRecord(raw.StepOptions)) u.StepOptions = { NextAttemptDelaySeconds: seconds(raw.StepOptions.NextAttemptDelaySeconds, `${at}.StepOptions.NextAttemptDelaySeconds`) };
  if (isRecord(raw.WaitOptions)) u.WaitOptions = { WaitSeconds: seconds(raw.WaitOptions.WaitSeconds, `${at}.WaitOptions.WaitSeconds`) };
  if (isRecord(raw.CallbackOptions)) {
    u.CallbackOptions = {
      TimeoutSeconds: seconds(raw.CallbackOptions.TimeoutSeconds, `${at}.CallbackOptions.TimeoutSeconds`),
      HeartbeatTimeoutSeconds: seconds(raw.CallbackOptions.HeartbeatTimeoutSeconds, `${at}.CallbackOptions.HeartbeatTimeoutSeconds`),
    };
  }
  if (isRecord(raw.ChainedInvokeOptions)) {
    const fn = optionalString(raw.ChainedInvokeOptions.FunctionName, `${at}.ChainedInvokeOptions.FunctionName`);
    u.ChainedInvokeOptions = { ...(fn !== undefined ? { FunctionName: fn } : {}) };
  }
  if (type === 'CHAINED_INVOKE' && action === 'START' && !u.ChainedInvokeOptions?.FunctionName) throw new InvalidUpdate(`${at}.ChainedInvokeOptions.FunctionName is required to start a CHAINED_INVOKE`);
  return u;
}

/**
 * The operations of one execution, in the order they were created (the EXECUTION operation
 * first, as the SDKs read it).
 */
export class OperationStore {
  private readonly ops = new Map<string, Operation>();

  constructor(execution: Operation) {
    this.ops.set(execution.Id, execution);
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  all(): Operation[] {
    return [...this.ops.values()];
  }

  get size(): number {
    return this.ops.size;
  }

  /**
   * Applies one checkpoint's updates in order, all or none: an update the service would refuse
   * leaves the operations as they were.
   */
  apply(updates: readonly OperationUpdate[], now: number, o: ApplyOptions): { effects: Effect[]; changed: Set<string> } {
    const staged = new Map<string, Operation>();
    const read = (id: string) => staged.get(id) ?? this.ops.get(id);
    const effects: Effect[] = [];
    updates.forEach((u, i) => {
      if (u.Type === 'EXECUTION') {
        if (i !== updates.length - 1) throw new InvalidUpdate(`Updates[${i}]: the EXECUTION update must be the last of its checkpoint`);
        effects.push({ kind: 'end', status: u.Action === 'SUCCEED' ? 'SUCCEEDED' : 'FAILED', ...(u.Payload !== undefined ? { result: u.Payload } : {}), ...(u.Error ? { error: u.Error } : {}) });
        return;
      }
      if (u.ParentId !== undefined) {
        const parent = read(u.ParentId);
        if (parent && parent.Type !== 'CONTEXT' && parent.Type !== 'EXECUTION') throw new InvalidUpdate(`Updates[${i}].ParentId ${u.ParentId} is a ${parent.Type} operation, not a CONTEXT`);
      }
      const before = read(u.Id);
      if (before && before.Type !== u.Type) throw new InvalidUpdate(`Updates[${i}]: operation ${u.Id} is a ${before.Type}, not a ${u.Type}`);
      const op: Operation = before ? structuredClone(before) : created(u, now);
      const next = transition(op, before === undefined, u, now, i, o, effects);
      if (next) staged.set(u.Id, next);
    });
    for (const [id, op] of staged) this.ops.set(id, op);
    return { effects, changed: new Set(staged.keys()) };
  }

  /** Changes one operation outside a checkpoint (a timer fired, a callback came, an invoke ended). */
  settle(id: string, change: (op: Operation) => void): Operation | undefined {
    const op = this.ops.get(id);
    if (!op) return undefined;
    change(op);
    return op;
  }
}

function created(u: OperationUpdate, now: number): Operation {
  const op: Operation = { Id: u.Id, Type: u.Type, StartTimestamp: now, Status: 'STARTED' };
  if (u.ParentId !== undefined) op.ParentId = u.ParentId;
  if (u.Name !== undefined) op.Name = u.Name;
  if (u.SubType !== undefined) op.SubType = u.SubType;
  return op;
}

/** The operation after the update (undefined: nothing changes), with what the engine must do about it. */
function transition(op: Operation, isNew: boolean, u: OperationUpdate, now: number, i: number, o: ApplyOptions, effects: Effect[]): Operation | undefined {
  const at = `Updates[${i}]`;
  if (!isNew && isTerminal(op.Status)) {
    // A cancel racing the timer or callback that already ended it changes nothing.
    if (u.Action === 'CANCEL' || u.Action === 'START') return undefined;
    throw new InvalidUpdate(`${at}: operation ${u.Id} is already ${op.Status}`);
  }
  switch (u.Action) {
    case 'START':
      if (!isNew) {
        // A step's next attempt starts from READY (or PENDING, when the SDK did not wait); anything else started already.
        if (op.Type === 'STEP' && (op.Status === 'READY' || op.Status === 'PENDING')) {
          op.Status = 'STARTED';
          if (op.StepDetails) delete op.StepDetails.NextAttemptTimestamp;
          return op;
        }
        return undefined;
      }
      switch (op.Type) {
        case 'WAIT': {
          const end = now + Math.round((u.WaitOptions?.WaitSeconds ?? 0) * 1000 * o.timeScale);
          op.WaitDetails = { ScheduledEndTimestamp: end };
          effects.push({ kind: 'wait', id: op.Id, at: end });
          break;
        }
        case 'CALLBACK': {
          const callbackId = o.newCallbackId(op.Id);
          op.CallbackDetails = { CallbackId: callbackId };
          effects.push({ kind: 'callback', id: op.Id, callbackId, timeoutSeconds: positive(u.CallbackOptions?.TimeoutSeconds), heartbeatSeconds: positive(u.CallbackOptions?.HeartbeatTimeoutSeconds) });
          break;
        }
        case 'CONTEXT':
          op.ContextDetails = u.ContextOptions?.ReplayChildren !== undefined ? { ReplayChildren: u.ContextOptions.ReplayChildren } : {};
          break;
        case 'CHAINED_INVOKE':
          op.ChainedInvokeDetails = {};
          effects.push({ kind: 'invoke', id: op.Id, functionName: u.ChainedInvokeOptions!.FunctionName!, payload: u.Payload ?? '{}' });
          break;
        case 'STEP':
          op.StepDetails = { Attempt: 0 };
          break;
      }
      return op;
    case 'SUCCEED':
    case 'FAIL': {
      op.Status = u.Action === 'SUCCEED' ? 'SUCCEEDED' : 'FAILED';
      op.EndTimestamp = now;
      const outcome = { ...(u.Payload !== undefined ? { Result: u.Payload } : {}), ...(u.Error ? { Error: u.Error } : {}) };
      if (op.Type === 'STEP') {
        const attempt = (op.StepDetails?.Attempt ?? 0) + 1;
        op.StepDetails = { Attempt: attempt, ...outcome };
      } else {
        const replay = u.ContextOptions?.ReplayChildren ?? op.ContextDetails?.ReplayChildren;
        op.ContextDetails = { ...(replay !== undefined ? { ReplayChildren: replay } : {}), ...outcome };
      }
      return op;
    }
    case 'RETRY': {
      const delay = u.StepOptions?.NextAttemptDelaySeconds ?? 1;
      const next = now + Math.round(delay * 1000 * o.timeScale);
      op.Status = 'PENDING';
      op.StepDetails = {
        Attempt: (op.StepDetails?.Attempt ?? 0) + 1,
        NextAttemptTimestamp: next,
        ...(u.Payload !== undefined ? { Result: u.Payload } : {}),
        ...(u.Error ? { Error: u.Error } : {}),
      };
      effects.push({ kind: 'retry', id: op.Id, at: next });
      return op;
    }
    case 'CANCEL':
      op.Status = 'CANCELLED';
      op.EndTimestamp = now;
      effects.push({ kind: 'cancel', id: op.Id });
      return op;
  }
}

const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : undefined);

/** How an operation goes into an invocation's `InitialExecutionState` (times in milliseconds) or an API answer (`seconds`: epoch seconds). */
export function operationView(op: Operation, unit: 'ms' | 'seconds'): Record<string, unknown> {
  const t = (ms: number | undefined) => (ms === undefined ? undefined : unit === 'ms' ? ms : ms / 1000);
  const view: Record<string, unknown> = { ...op, StartTimestamp: t(op.StartTimestamp) };
  if (op.EndTimestamp !== undefined) view.EndTimestamp = t(op.EndTimestamp);
  if (op.StepDetails) {
    const { NextAttemptTimestamp, ...rest } = op.StepDetails;
    view.StepDetails = NextAttemptTimestamp === undefined ? rest : { ...rest, NextAttemptTimestamp: t(NextAttemptTimestamp) };
  }
  if (op.WaitDetails?.ScheduledEndTimestamp !== undefined) view.WaitDetails = { ScheduledEndTimestamp: t(op.WaitDetails.ScheduledEndTimestamp) };
  return view;
}

/** One entry of GetDurableExecutionHistory's `Events` (EventId and the time unit are the engine's to add). */
export interface HistoryEvent {
  EventType: string;
  Id: string;
  SubType?: string;
  Name?: string;
  ParentId?: string;
  time: number;
  details?: Record<string, unknown>;
}

const EVENT_NOUN: Record<OperationType, string> = { EXECUTION: 'Execution', CONTEXT: 'Context', STEP: 'Step', WAIT: 'Wait', CALLBACK: 'Callback', CHAINED_INVOKE: 'ChainedInvoke' };
const EVENT_VERB: Partial<Record<OperationStatus, string>> = { SUCCEEDED: 'Succeeded', FAILED: 'Failed', TIMED_OUT: 'TimedOut', CANCELLED: 'Cancelled', STOPPED: 'Stopped' };

/** The history events an operation's change makes: its start, and its end (a step's failed attempt too). */
export function historyEventsOf(before: Operation | undefined, after: Operation, now: number): HistoryEvent[] {
  const base = { Id: after.Id, ...(after.SubType !== undefined ? { SubType: after.SubType } : {}), ...(after.Name !== undefined ? { Name: after.Name } : {}), ...(after.ParentId !== undefined ? { ParentId: after.ParentId } : {}) };
  const noun = EVENT_NOUN[after.Type];
  const events: HistoryEvent[] = [];
  if (!before) events.push({ EventType: `${noun}Started`, ...base, time: after.StartTimestamp, ...(after.Type === 'WAIT' ? { details: { ScheduledEndTimestamp: after.WaitDetails?.ScheduledEndTimestamp } } : after.Type === 'CALLBACK' ? { details: { CallbackId: after.CallbackDetails?.CallbackId } } : {}) });
  const details = after.StepDetails ?? after.ContextDetails ?? after.CallbackDetails ?? after.ChainedInvokeDetails;
  const outcome = { ...(details?.Result !== undefined ? { Result: { Payload: details.Result } } : {}), ...(details?.Error ? { Error: { Payload: details.Error } } : {}) };
  if (after.Type === 'STEP' && after.Status === 'PENDING' && before?.Status !== 'PENDING') {
    events.push({ EventType: 'StepFailed', ...base, time: now, details: { ...outcome, RetryDetails: { CurrentAttempt: after.StepDetails?.Attempt, NextAttemptDelaySeconds: ((after.StepDetails?.NextAttemptTimestamp ?? now) - now) / 1000 } } });
  }
  const verb = EVENT_VERB[after.Status];
  if (verb && before?.Status !== after.Status) events.push({ EventType: `${noun}${verb}`, ...base, time: after.EndTimestamp ?? now, details: outcome });
  return events;
}

/** The bytes an operation's payloads hold (what counts against an execution's memory). */
export function operationBytes(op: Operation): number {
  let n = 200;
  const add = (s: string | undefined) => {
    if (s !== undefined) n += s.length;
  };
  const addError = (e: ErrorObject | undefined) => {
    if (!e) return;
    add(e.ErrorType);
    add(e.ErrorMessage);
    add(e.ErrorData);
    for (const l of e.StackTrace ?? []) add(l);
  };
  add(op.Name);
  add(op.ExecutionDetails?.InputPayload);
  for (const d of [op.ContextDetails, op.StepDetails, op.CallbackDetails, op.ChainedInvokeDetails]) {
    if (!d) continue;
    add(d.Result);
    addError(d.Error);
  }
  return n;
}
