// Step Functions executions (docs/step-functions.md): the state machines of functions.yml, the
// executions the Step Functions API starts (StartExecution, StartSyncExecution, a rule's or a
// schedule's target, a parent's `states:startExecution` task), their status and history, and the
// task tokens callback tasks wait on. The states themselves are run by the interpreter
// (step-functions/); what a Task does is the task runner's business (task-integrations.ts).
// Executions live in memory: a restart of the agent forgets them.
import { randomBytes, randomUUID } from 'node:crypto';
import { executionArn, executionOfArn, LOCAL_ACCOUNT_ID, stateMachineArn, stateMachineNameOf, type BusEvent, type FunctionsFile, type StateMachine, type StatesAnswer, type StatesCall } from '@esb/contracts';
import type { Clock } from './clock.js';
import { checkDefinition, redrivePoint, runStateMachine, StatesError, type Definition, type ExecutionOutcome, type HistoryEvent, type Redrive, type RedrivePoint, type TaskCall } from '@esb/states';

/** The role ARN executions report: esb checks no permissions. */
const ROLE_ARN = 'arn:aws:iam::000000000000:role/esb-state-machine';
/** An execution's input or a task's output: at most 256 KB, as Step Functions takes. */
export const MAX_STATES_PAYLOAD = 256 * 1024;
/** RedriveExecution: at most this many times, within this long of the execution's end (Step Functions' limits). */
const MAX_REDRIVES = 1000;
const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
/** Executions running at once, over all machines: past it StartExecution answers ExecutionLimitExceeded. */
export const MAX_RUNNING_EXECUTIONS = 1000;
/** Finished executions kept per machine for DescribeExecution and ListExecutions (oldest dropped first). */
export const KEPT_EXECUTIONS = 1000;
/**
 * What executions may hold in memory: their inputs, outputs and history details together. Past
 * it the oldest finished executions are forgotten; an execution's history past its own share
 * (or while the whole is full) keeps its events without their data (docs/step-functions.md).
 */
export const MAX_EXECUTION_BYTES = 128 * 1024 * 1024;
export const MAX_HISTORY_BYTES_PER_EXECUTION = 2 * 1024 * 1024;
/** Execution names: 1-80 characters without whitespace, brackets, wildcards or the other characters Step Functions refuses. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Execution {
  arn: string;
  machine: string;
  name: string;
  input: string;
  startDate: number;
  stopDate?: number;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** What its input, output and history details hold, counted against MAX_EXECUTION_BYTES. */
  bytes: number;
  historyBytes: number;
  traceHeader?: string;
  /** RedriveExecution: how many times it was started again, and when last. */
  redriveCount?: number;
  redriveDate?: number;
  /** Aborted by StopExecution or the agent's close. */
  stop: AbortController;
  /** Settles when the execution ends. */
  done: Promise<void>;
}

/** An API error, in Step Functions' words. */
export class StatesApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'StatesApiError';
  }
}

export interface ExecutionsOptions {
  region: string;
  clock: Clock;
  /** What a Task does (task-integrations.ts); gets the execution it runs in. */
  runTask(call: TaskCall, execution: Execution): Promise<unknown>;
  warn(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  /** A Standard execution started or ended: its "Step Functions Execution Status Change" event, for the default bus. */
  statusChanged?(event: BusEvent): void;
  limits?: { maxRunning?: number; keptPerMachine?: number; maxBytes?: number; maxHistoryBytes?: number };
}

interface Machine {
  config: StateMachine;
  definition: Definition;
  createdAt: number;
}

/** A callback task's wait for SendTaskSuccess / SendTaskFailure (`.waitForTaskToken`). */
interface TokenWait {
  resolve(output: unknown): void;
  reject(err: StatesError): void;
  /** Restarts the heartbeat timer (SendTaskHeartbeat). */
  beat(): void;
}

export class Executions {
  private machines = new Map<string, Machine>();
  private readonly byArn = new Map<string, Execution>();
  private readonly byMachine = new Map<string, Execution[]>();
  private readonly tokens = new Map<string, TokenWait>();
  private running = 0;
  private closed = false;
  /** The bytes all executions in memory hold (Execution.bytes summed). */
  private bytes = 0;

  /** Each ended execution's redrive point, with what it was read from. */
  private readonly redrivePoints = new WeakMap<Execution, { definition: Definition; events: number; point: RedrivePoint | { why: string } }>();
  constructor(private readonly o: ExecutionsOptions) {}

  /** The machines of functions.yml; one whose definition does not check is left out with a warning naming the field. */
  setFunctions(file: FunctionsFile): void {
    const next = new Map<string, Machine>();
    for (const [name, config] of Object.entries(file.state_machines ?? {})) {
      const had = this.machines.get(name);
      if (had && had.config === config) {
        next.set(name, had);
        continue;
      }
      // The deploy checked the definition whole (asl-validator too, ~100 ms a machine); our own checks suffice here.
      const checked = checkDefinition(config.definition, { schema: false });
      if (!checked.ok) {
        this.o.warn({ stateMachine: name }, `state machine ${name} is not started: its definition is not valid: ${checked.errors.join('; ')}`);
        continue;
      }
      for (const w of checked.warnings) this.o.warn({ stateMachine: name }, `state machine ${name}: ${w}`);
      next.set(name, { config, definition: checked.definition, createdAt: had?.createdAt ?? this.o.clock.now() });
    }
    this.machines = next;
  }

  /** The machines in force and their executions, for the agent's stats. */
  list(): Array<{ stateMachine: string; type: StateMachine['type']; running: number; executions: number }> {
    return [...this.machines.keys()].map((name) => {
      const list = this.byMachine.get(name) ?? [];
      return { stateMachine: name, type: this.machines.get(name)!.config.type, running: list.filter((e) => e.status === 'RUNNING').length, executions: list.length };
    });
  }

  /** Starts an execution (StartExecution's checks); idempotent for a Standard execution of the same name and input. */
  start(machineName: string, input: string, opts: { name?: string; traceHeader?: string } = {}): Execution {
    if (this.closed) throw new StatesApiError('ServiceUnavailable', 'the agent is shutting down', 503);
    const machine = this.machineNamed(machineName);
    if (Buffer.byteLength(input) > MAX_STATES_PAYLOAD) throw new StatesApiError('InvalidExecutionInput', `The input is larger than ${MAX_STATES_PAYLOAD} bytes.`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (err) {
      throw new StatesApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(err as Error).message}'`);
    }
    const name = opts.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) throw new StatesApiError('InvalidName', `Invalid Name: '${name.slice(0, 100)}'`);
    const express = machine.config.type === 'EXPRESS';
    const arn = executionArn(machineName, name, express ? { id: randomUUID() } : undefined, this.o.region);
    if (!express) {
      const same = this.byArn.get(arn);
      if (same) {
        if (same.status === 'RUNNING' && same.input === input) return same;
        throw new StatesApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
    }
    if (this.running >= (this.o.limits?.maxRunning ?? MAX_RUNNING_EXECUTIONS)) {
      throw new StatesApiError('ExecutionLimitExceeded', `${this.running} executions are running, the most esb runs at once; wait for some to end.`);
    }
    const startDate = this.o.clock.now();
    const execution: Execution = { arn, machine: machineName, name, input, startDate, status: 'RUNNING', history: [], bytes: input.length, historyBytes: 0, stop: new AbortController(), done: Promise.resolve(), ...(opts.traceHeader ? { traceHeader: opts.traceHeader } : {}) };
    this.keep(execution);
    this.running++;
    if (!express) this.statusChanged(execution);
    execution.done = this.run(execution, machine, parsed);
    return execution;
  }

  /**
   * Waits for a callback task's token: SendTaskSuccess resolves with its output, SendTaskFailure
   * rejects with its error; with a heartbeat, no SendTaskHeartbeat in time is States.HeartbeatTimeout.
   */
  waitForToken(token: string, heartbeatSeconds: number | undefined, signal: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: unknown;
      const end = () => {
        this.o.clock.clearTimeout(timer);
        this.tokens.delete(token);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        end();
        reject(new StatesError('States.Timeout', 'the task was stopped'));
      };
      const beat = () => {
        if (heartbeatSeconds === undefined) return;
        this.o.clock.clearTimeout(timer);
        timer = this.o.clock.setTimeout(() => {
          end();
          reject(new StatesError('States.HeartbeatTimeout', `no heartbeat for ${heartbeatSeconds} seconds`));
        }, heartbeatSeconds * 1000);
      };
      this.tokens.set(token, {
        resolve: (output) => (end(), resolve(output)),
        reject: (err) => (end(), reject(err)),
        beat,
      });
      signal.addEventListener('abort', onAbort, { once: true });
      beat();
    });
  }

  /** One Step Functions API call, answered as Step Functions answers it. */
  async answer(call: StatesCall): Promise<StatesAnswer> {
    try {
      return { status: 200, body: await this.act(call) };
    } catch (err) {
      const e = err instanceof StatesApiError ? err : new StatesApiError('InternalFailure', `esb's Step Functions failed on this request: ${err instanceof Error ? err.message : String(err)}`, 500);
      return { status: e.status, body: { __type: e.code, message: e.message } };
    }
  }

  /** Stops every execution (the agent is closing). */
  close(): void {
    this.closed = true;
    for (const e of this.byArn.values()) if (e.status === 'RUNNING') e.stop.abort();
  }

  private async act({ action, input, traceHeader }: StatesCall): Promise<Record<string, unknown>> {
    const p = (input ?? {}) as Record<string, unknown>;
    const text = (field: string, required = true): string | undefined => {
      const v = p[field];
      if (v === undefined || v === null) {
        if (required) throw new StatesApiError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
        return undefined;
      }
      if (typeof v !== 'string') throw new StatesApiError('ValidationException', `${field} must be a string`);
      return v;
    };
    switch (action) {
      case 'StartExecution':
      case 'StartSyncExecution': {
        const machine = this.machineOfArn(text('stateMachineArn')!);
        const type = this.machines.get(machine)?.config.type;
        if (action === 'StartSyncExecution' && type !== undefined && type !== 'EXPRESS') {
          throw new StatesApiError('StateMachineTypeNotSupported', 'This operation is supported by EXPRESS state machines only.');
        }
        const name = text('name', false);
        const e = this.start(machine, text('input', false) ?? '{}', { ...(name !== undefined ? { name } : {}), ...(traceHeader ? { traceHeader } : {}) });
        if (action === 'StartExecution') return { executionArn: e.arn, startDate: seconds(e.startDate) };
        await e.done;
        return { ...this.describe(e), billingDetails: { billedDurationInMilliseconds: Math.max(100, Math.ceil(((e.stopDate ?? e.startDate) - e.startDate) / 100) * 100), billedMemoryUsedInMB: 64 } };
      }
      case 'DescribeExecution':
        return this.describe(this.executionOf(text('executionArn')!));
      case 'RedriveExecution': {
        const e = this.executionOf(text('executionArn')!);
        const check = this.redrivable(e);
        if ('why' in check) throw new StatesApiError('ExecutionNotRedrivable', `Execution Not Redrivable: ${check.why}`);
        if (this.running >= (this.o.limits?.maxRunning ?? MAX_RUNNING_EXECUTIONS)) {
          throw new StatesApiError('ExecutionLimitExceeded', `${this.running} executions are running, the most esb runs at once; wait for some to end.`);
        }
        const freed = (e.output?.length ?? 0) + (e.cause?.length ?? 0);
        e.bytes -= freed;
        this.bytes -= freed;
        for (const key of ['stopDate', 'output', 'error', 'cause'] as const) delete e[key];
        e.status = 'RUNNING';
        e.redriveCount = (e.redriveCount ?? 0) + 1;
        e.redriveDate = this.o.clock.now();
        e.stop = new AbortController();
        this.running++;
        this.statusChanged(e);
        e.done = this.run(e, check.machine, undefined, { ...check.point, redriveCount: e.redriveCount });
        return { redriveDate: seconds(e.redriveDate) };
      }
      case 'StopExecution': {
        const e = this.executionOf(text('executionArn')!);
        if (e.status === 'RUNNING') {
          e.error = text('error', false);
          e.cause = text('cause', false);
          e.stop.abort();
          await e.done;
        }
        return { stopDate: seconds(e.stopDate ?? this.o.clock.now()) };
      }
      case 'ListExecutions': {
        const machine = this.machineOfArn(text('stateMachineArn')!);
        this.machineNamed(machine);
        const filter = text('statusFilter', false);
        const list = [...(this.byMachine.get(machine) ?? [])].reverse().filter((e) => filter === undefined || e.status === filter);
        const { page, nextToken } = paginate(list, p.maxResults, p.nextToken);
        return { executions: page.map((e) => ({ executionArn: e.arn, stateMachineArn: stateMachineArn(e.machine, this.o.region), name: e.name, status: e.status, startDate: seconds(e.startDate), ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}) })), ...(nextToken ? { nextToken } : {}) };
      }
      case 'GetExecutionHistory': {
        const e = this.executionOf(text('executionArn')!);
        const events = p.reverseOrder === true ? [...e.history].reverse() : e.history;
        const { page, nextToken } = paginate(events, p.maxResults, p.nextToken);
        return { events: page.map(historyEntry), ...(nextToken ? { nextToken } : {}) };
      }
      case 'SendTaskSuccess': {
        const wait = this.tokenWait(text('taskToken')!);
        const output = text('output')!;
        let value: unknown;
        try {
          value = JSON.parse(output);
        } catch {
          throw new StatesApiError('InvalidOutput', 'Invalid Output: the output is not JSON');
        }
        if (Buffer.byteLength(output) > MAX_STATES_PAYLOAD) throw new StatesApiError('InvalidOutput', `The output is larger than ${MAX_STATES_PAYLOAD} bytes.`);
        wait.resolve(value);
        return {};
      }
      case 'SendTaskFailure': {
        this.tokenWait(text('taskToken')!).reject(new StatesError(text('error', false) ?? '', text('cause', false) ?? ''));
        return {};
      }
      case 'SendTaskHeartbeat':
        this.tokenWait(text('taskToken')!).beat();
        return {};
      case 'DescribeStateMachine': {
        const name = this.machineOfArn(text('stateMachineArn')!);
        const m = this.machineNamed(name);
        return { stateMachineArn: stateMachineArn(name, this.o.region), name, status: 'ACTIVE', definition: JSON.stringify(m.config.definition), roleArn: ROLE_ARN, type: m.config.type, creationDate: seconds(m.createdAt) };
      }
      case 'DescribeStateMachineForExecution': {
        const e = this.executionOf(text('executionArn')!);
        const m = this.machineNamed(e.machine);
        return { stateMachineArn: stateMachineArn(e.machine, this.o.region), name: e.machine, definition: JSON.stringify(m.config.definition), roleArn: ROLE_ARN, updateDate: seconds(m.createdAt) };
      }
      case 'ListStateMachines': {
        const all = [...this.machines.entries()].map(([name, m]) => ({ stateMachineArn: stateMachineArn(name, this.o.region), name, type: m.config.type, creationDate: seconds(m.createdAt) }));
        const { page, nextToken } = paginate(all, p.maxResults, p.nextToken);
        return { stateMachines: page, ...(nextToken ? { nextToken } : {}) };
      }
      default:
        throw new StatesApiError('UnknownOperationException', `esb's Step Functions does not take ${action.slice(0, 100)} (state machines come from the template, docs/step-functions.md).`);
    }
  }

  /** DescribeExecution's answer for an execution. */
  describe(e: Execution): Record<string, unknown> {
    return {
      executionArn: e.arn,
      stateMachineArn: stateMachineArn(e.machine, this.o.region),
      name: e.name,
      status: e.status,
      startDate: seconds(e.startDate),
      ...(e.stopDate !== undefined ? { stopDate: seconds(e.stopDate) } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      ...this.redriveFields(e, seconds),
    };
  }

  /** Whether RedriveExecution may start `e` again (docs/step-functions.md "Redrive"), and from where. */
  private redrivable(e: Execution): { machine: Machine; point: RedrivePoint } | { why: string } {
    if (e.status === 'RUNNING' || e.status === 'SUCCEEDED') return { why: `Execution is ${e.status} and cannot be redriven` };
    const machine = this.machines.get(e.machine);
    if (!machine) return { why: `state machine ${e.machine} is no longer deployed` };
    if (machine.config.type === 'EXPRESS') return { why: 'Express executions cannot be redriven' };
    if ((e.redriveCount ?? 0) >= MAX_REDRIVES) return { why: `Execution was redriven ${MAX_REDRIVES} times, the most it may be` };
    if (this.o.clock.now() - (e.stopDate ?? e.startDate) > REDRIVE_WINDOW_MS) return { why: 'Execution ended more than 14 days ago' };
    // Read from the history once per ended run (DescribeExecution is polled; a history may hold 25,000 events).
    let cached = this.redrivePoints.get(e);
    if (!cached || cached.definition !== machine.definition || cached.events !== e.history.length) {
      cached = { definition: machine.definition, events: e.history.length, point: redrivePoint(machine.definition, e.history) };
      this.redrivePoints.set(e, cached);
    }
    const point = cached.point;
    return 'why' in point ? point : { machine, point };
  }

  /** The redrive fields of DescribeExecution and of the status change events (dates by `date`). */
  private redriveFields(e: Execution, date: (ms: number) => number): Record<string, unknown> {
    if (this.machines.get(e.machine)?.config.type === 'EXPRESS') return {};
    const check = e.status === 'RUNNING' || e.status === 'SUCCEEDED' ? { why: `Execution is ${e.status} and cannot be redriven` } : this.redrivable(e);
    return {
      redriveCount: e.redriveCount ?? 0,
      ...(e.redriveDate !== undefined ? { redriveDate: date(e.redriveDate) } : {}),
      redriveStatus: 'why' in check ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
      ...('why' in check ? { redriveStatusReason: check.why } : {}),
    };
  }

  private machineNamed(name: string): Machine {
    const machine = this.machines.get(name);
    if (!machine) throw new StatesApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn(name, this.o.region)}'`);
    return machine;
  }

  private machineOfArn(arn: string): string {
    const name = stateMachineNameOf(arn);
    if (name === undefined) throw new StatesApiError('InvalidArn', `Invalid Arn: '${arn.slice(0, 300)}'`);
    return name;
  }

  private executionOf(arn: string): Execution {
    if (!executionOfArn(arn)) throw new StatesApiError('InvalidArn', `Invalid Arn: '${arn.slice(0, 300)}'`);
    const e = this.byArn.get(arn);
    if (!e) throw new StatesApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  private tokenWait(token: string): TokenWait {
    const wait = this.tokens.get(token);
    if (!wait) throw new StatesApiError('TaskDoesNotExist', 'Task Does Not Exist: the token is unknown, or its task has ended');
    return wait;
  }

  /** Kept for Describe/List; the oldest finished ones of the machine go past the limit. */
  private keep(e: Execution): void {
    this.byArn.set(e.arn, e);
    this.bytes += e.bytes;
    const list = this.byMachine.get(e.machine) ?? this.byMachine.set(e.machine, []).get(e.machine)!;
    list.push(e);
    const limit = this.o.limits?.keptPerMachine ?? KEPT_EXECUTIONS;
    for (let i = 0; list.length > limit && i < list.length; ) {
      if (list[i].status === 'RUNNING') i++;
      else this.forget(list.splice(i, 1)[0]);
    }
  }

  private forget(e: Execution): void {
    this.byArn.delete(e.arn);
    this.bytes -= e.bytes;
  }

  /** Forgets the oldest finished executions (of any machine) until what is kept fits MAX_EXECUTION_BYTES. */
  private fitMemory(): void {
    const max = this.o.limits?.maxBytes ?? MAX_EXECUTION_BYTES;
    if (this.bytes <= max) return;
    const finished = [...this.byArn.values()].filter((x) => x.status !== 'RUNNING').sort((a, b) => (a.stopDate ?? 0) - (b.stopDate ?? 0));
    for (const old of finished) {
      if (this.bytes <= max) break;
      const list = this.byMachine.get(old.machine)!;
      list.splice(list.indexOf(old), 1);
      this.forget(old);
    }
  }

  /** A history event, its data left out once the execution's share or the whole is used up. */
  private record(e: Execution, event: HistoryEvent): void {
    let size = 0;
    for (const v of Object.values(event.details ?? {})) size += typeof v === 'string' ? v.length : 16;
    const full = e.historyBytes + size > (this.o.limits?.maxHistoryBytes ?? MAX_HISTORY_BYTES_PER_EXECUTION) || this.bytes + size > (this.o.limits?.maxBytes ?? MAX_EXECUTION_BYTES);
    if (full) {
      e.history.push({ ...event, details: { truncated: true } });
      return;
    }
    e.history.push(event);
    e.historyBytes += size;
    e.bytes += size;
    this.bytes += size;
  }

  /** The event Step Functions puts on the default bus when a Standard execution starts or ends (docs/step-functions.md). */
  private statusChanged(e: Execution): void {
    if (!this.o.statusChanged) return;
    const ended = e.status !== 'RUNNING';
    const detail = {
      executionArn: e.arn,
      stateMachineArn: stateMachineArn(e.machine, this.o.region),
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: ended ? (e.stopDate ?? null) : null,
      input: e.input,
      inputDetails: { included: true },
      output: e.output ?? null,
      outputDetails: e.output !== undefined ? { included: true } : null,
      error: e.error ?? null,
      cause: e.cause ?? null,
      redriveDate: null,
      redriveStatusReason: null,
      ...this.redriveFields(e, (ms) => ms),
    };
    const time = `${new Date(ended ? (e.stopDate ?? e.startDate) : e.startDate).toISOString().slice(0, 19)}Z`;
    this.o.statusChanged({ bus: 'default', event: { version: '0', id: randomUUID(), 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', account: LOCAL_ACCOUNT_ID, time, region: this.o.region, resources: [e.arn], detail } });
  }

  private async run(e: Execution, machine: Machine, input: unknown, redrive?: Redrive): Promise<void> {
    let outcome: ExecutionOutcome;
    try {
      outcome = await runStateMachine(
        machine.definition,
        input,
        {
          execution: { Id: e.arn, Input: input, Name: e.name, RoleArn: ROLE_ARN, StartTime: new Date(e.startDate).toISOString() },
          stateMachine: { Id: stateMachineArn(e.machine, this.o.region), Name: e.machine },
        },
        {
          runTask: (call) => this.o.runTask(call, e),
          sleep: (ms, signal) => sleep(this.o.clock, ms, signal),
          now: () => this.o.clock.now(),
          newToken: () => randomBytes(48).toString('base64url'),
          onEvent: (event) => this.record(e, event),
        },
        e.stop.signal,
        redrive,
      );
    } catch (err) {
      outcome = { status: 'FAILED', error: 'States.Runtime', cause: err instanceof Error ? err.message : String(err) };
    }
    this.running--;
    e.stopDate = this.o.clock.now();
    e.status = outcome.status;
    if (outcome.status === 'SUCCEEDED') e.output = JSON.stringify(outcome.output ?? null);
    else if (outcome.status !== 'ABORTED') {
      e.error = outcome.error;
      e.cause = outcome.cause;
    }
    const ended = (e.output?.length ?? 0) + (e.cause?.length ?? 0);
    e.bytes += ended;
    this.bytes += ended;
    this.fitMemory();
    if (machine.config.type !== 'EXPRESS') this.statusChanged(e);
    const fields = { stateMachine: e.machine, execution: e.name };
    if (outcome.status === 'SUCCEEDED') this.o.info?.(fields, `execution ${e.name} of ${e.machine} succeeded`);
    else this.o.info?.(fields, `execution ${e.name} of ${e.machine} ${outcome.status.toLowerCase().replace('_', ' ')}${e.error ? `: ${e.error}${e.cause ? ` (${e.cause.slice(0, 300)})` : ''}` : ''}`);
  }
}

/** Step Functions' JSON protocol sends times as epoch seconds. */
function seconds(ms: number): number {
  return ms / 1000;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A page of a list: `maxResults` (1-1000, default 100) from the offset `nextToken` carries. */
function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown): { page: T[]; nextToken?: string } {
  const size = typeof maxResults === 'number' && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  const from = typeof nextToken === 'string' && /^\d{1,9}$/.test(nextToken) ? Number(nextToken) : 0;
  const page = items.slice(from, from + size);
  return from + size < items.length ? { page, nextToken: String(from + size) } : { page };
}

/** A history event as GetExecutionHistory lists it: its details under `<event>EventDetails`. */
function historyEntry(event: HistoryEvent): Record<string, unknown> {
  const key = event.type.endsWith('StateEntered') ? 'stateEnteredEventDetails' : event.type.endsWith('StateExited') ? 'stateExitedEventDetails' : `${event.type[0].toLowerCase()}${event.type.slice(1)}EventDetails`;
  return { timestamp: seconds(event.timestamp), type: event.type, id: event.id, previousEventId: event.previousEventId, ...(event.details ? { [key]: event.details } : {}) };
}
