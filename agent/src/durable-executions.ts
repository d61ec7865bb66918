// Lambda durable executions (docs/durable-functions.md): an invocation of a function with a
// DurableConfig starts an execution; the engine invokes the function with the execution's
// operations and a checkpoint token, keeps what its checkpoints record, and invokes it again
// when a wait ends, a step's retry is due, a callback is answered or a chained invoke returns,
// until the function answers SUCCEEDED or FAILED. Executions live in memory: a restart of the
// agent forgets them. The operations' rules are in durable-operations.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiAnswer, ApiCall, FunctionsFile, InvokeContext, InvokeResult } from '@esb/contracts';
import type { Clock } from './clock.js';
import { errorPayload, errorResult } from './instance.js';
import { functionNameOf } from './task-integrations.js';
import { historyEventsOf, InvalidUpdate, isTerminal, operationBytes, operationView, OperationStore, parseUpdate, type Effect, type ErrorObject, type HistoryEvent, type Operation } from './durable-operations.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';

/** Defaults and bounds; each can be changed through DurableOptions.limits (tests). */
export const DURABLE_LIMITS = {
  /** Executions running at once over all functions: past it a start answers TooManyRequestsException. */
  maxRunning: 1000,
  /** Finished executions kept per function for Get and List (oldest forgotten first). */
  keptPerFunction: 1000,
  /** What one execution's operations may hold (inputs, results, errors): a checkpoint past it is refused. */
  maxBytesPerExecution: 16 * 1024 * 1024,
  /**
   * What all executions together may hold: past it the oldest ended executions are forgotten, and
   * a checkpoint that would still go past it is refused.
   */
  maxTotalBytes: 128 * 1024 * 1024,
  /** Invocations in a row that may fail (the function threw past the SDK, timed out, could not start) before the execution fails. */
  invocationRetries: 3,
  /** The first retry's delay; each next one doubles it. */
  invocationRetryMs: 1000,
  /** How long a synchronous (RequestResponse) caller waits for the execution's end, Lambda's longest invocation. */
  syncWaitMs: 15 * 60 * 1000,
  /** History events kept per execution; later ones are counted, not kept. */
  historyEvents: 10_000,
};

/** The functions.yml part the engine reads: which functions are durable, and their execution timeout. */
export interface DurableFunctionConfig {
  execution_timeout: number;
}

export interface DurableOptions {
  region: string;
  accountId: string;
  clock: Clock;
  /** Runs the function with a durable invocation's payload (not through the engine again). */
  invokeFunction(name: string, payload: Buffer, ctx: InvokeContext): Promise<InvokeResult>;
  /** A chained invoke's target: any function (a durable one starts an execution of its own). */
  invokeTarget(name: string, payload: Buffer, ctx: InvokeContext): Promise<InvokeResult>;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  limits?: Partial<typeof DURABLE_LIMITS>;
  /** Waits and step retry delays last this fraction of what they ask (local development; default 1). */
  timeScale?: number;
}

interface Execution {
  id: string;
  name: string;
  functionName: string;
  arn: string;
  input: string;
  store: OperationStore;
  status: ExecutionStatus;
  startedAt: number;
  endedAt?: number;
  result?: string;
  error?: ErrorObject;
  traceId?: string;
  timeoutSeconds: number;
  /** The current invocation's number; its checkpoint tokens carry it. */
  invocation: number;
  running: boolean;
  /** Something changed while an invocation ran: invoke again when it answers PENDING. */
  wake: boolean;
  /** Operations changed since the last invocation started (its UpdatedOperationIds). */
  updatedSinceInvocation: Set<string>;
  /** Operations changed outside checkpoints since the last checkpoint answer. */
  updatedSinceCheckpoint: Set<string>;
  timers: Map<string, unknown>;
  failures: number;
  bytes: number;
  history: Array<HistoryEvent>;
  droppedEvents: number;
  waiters: Array<() => void>;
}

export interface DurableFunctionStats {
  function: string;
  running: number;
  executions: number;
  /** The latest executions, newest first. */
  latest: Array<{ name: string; status: ExecutionStatus; startedAt: number }>;
}

/** An API error: status, the exception name clients read from x-amzn-ErrorType, the message. */
class DurableApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A callback's result, as Lambda takes it: 256 KiB. */
const MAX_CALLBACK_RESULT = 256 * 1024;
const EXECUTION_TIMER = '\0execution';
const RETRY_TIMER = '\0retry-invocation';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class DurableExecutions {
  private readonly limits: typeof DURABLE_LIMITS;
  private functions = new Map<string, DurableFunctionConfig>();
  private readonly byArn = new Map<string, Execution>();
  private readonly byFunction = new Map<string, Execution[]>();
  private readonly callbacks = new Map<string, { execution: Execution; opId: string; heartbeatSeconds?: number }>();
  private running = 0;
  private totalBytes = 0;
  private closed = false;

  constructor(private readonly o: DurableOptions) {
    this.limits = { ...DURABLE_LIMITS, ...(o.limits ?? {}) };
  }

  setFunctions(file: FunctionsFile): void {
    const next = new Map<string, DurableFunctionConfig>();
    for (const [name, fc] of Object.entries(file.functions)) if (fc.durable) next.set(name, fc.durable);
    this.functions = next;
  }

  isDurable(name: string): boolean {
    return this.functions.has(name);
  }

  /** A synchronous invocation: starts an execution and answers its end, as Lambda's RequestResponse of a durable function does. */
  async invokeSync(name: string, payload: Buffer, ctx: InvokeContext & { durableExecutionName?: string }): Promise<InvokeResult> {
    const requestId = ctx.requestId ?? randomUUID();
    const t0 = this.o.clock.now();
    let execution: Execution;
    try {
      execution = this.start(name, payload.toString('utf8'), ctx.durableExecutionName, ctx.traceId);
    } catch (err) {
      const e = err as DurableApiError;
      return errorResult(requestId, e.status === 429 ? 'Throttled' : 'FunctionError', e.message, errorPayload(e.type, e.message));
    }
    const ended = await this.untilEnd(execution, this.limits.syncWaitMs, ctx);
    const result = this.resultOf(execution, requestId, this.o.clock.now() - t0, ended);
    return { ...result, durableExecutionArn: execution.arn };
  }

  /** An asynchronous invocation (Event): starts the execution; its ARN, or the reason it did not start. */
  invokeAsync(name: string, payload: Buffer, ctx: { durableExecutionName?: string; traceId?: string } = {}): { arn: string } | { error: string } {
    try {
      return { arn: this.start(name, payload.toString('utf8'), ctx.durableExecutionName, ctx.traceId).arn };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** The durable execution API (docs/durable-functions.md "The API"): `action` and its input as the gateway read them. */
  async answer(call: ApiCall): Promise<ApiAnswer> {
    try {
      const input = isRecord(call.input) ? call.input : {};
      const body = await this.act(call.action, input);
      return { status: 200, body };
    } catch (err) {
      if (err instanceof DurableApiError) return { status: err.status, body: { __type: err.type, message: err.message } };
      if (err instanceof InvalidUpdate) return { status: 400, body: { __type: 'InvalidParameterValueException', message: err.message } };
      throw err;
    }
  }

  /** Each durable function with executions kept: how many run, how many are kept, the latest few. */
  stats(): DurableFunctionStats[] {
    return [...this.byFunction]
      .filter(([, list]) => list.length > 0)
      .map(([fn, list]) => ({
        function: fn,
        running: list.filter((e) => e.status === 'RUNNING').length,
        executions: list.length,
        latest: list.slice(-5).reverse().map((e) => ({ name: e.name, status: e.status, startedAt: e.startedAt })),
      }));
  }

  close(): void {
    this.closed = true;
    for (const e of this.byArn.values()) if (e.status === 'RUNNING') this.end(e, 'STOPPED', undefined, { ErrorType: 'Stopped', ErrorMessage: 'the agent stopped' });
  }

  // ------------------------------------------------------------------ executions

  private start(name: string, input: string, executionName: string | undefined, traceId: string | undefined): Execution {
    const config = this.functions.get(name);
    if (!config) throw new DurableApiError(400, 'InvalidParameterValueException', `function ${name} is not a durable function (no DurableConfig)`);
    if (this.closed) throw new DurableApiError(503, 'ServiceException', 'the agent is shut down');
    if (executionName !== undefined) {
      if (!NAME.test(executionName)) throw new DurableApiError(400, 'InvalidParameterValueException', `DurableExecutionName ${JSON.stringify(executionName)} must be 1-64 letters, digits, - or _`);
      const same = this.byFunction.get(name)?.find((e) => e.name === executionName);
      if (same) {
        if (same.input === input) return same;
        throw new DurableApiError(409, 'DurableExecutionAlreadyStartedException', `an execution named ${executionName} of function ${name} was started with a different input`);
      }
    }
    if (this.running >= this.limits.maxRunning) throw new DurableApiError(429, 'TooManyRequestsException', `${this.limits.maxRunning} durable executions are running: no more may start until some end`);
    const now = this.o.clock.now();
    const id = randomUUID();
    const execName = executionName ?? id;
    const arn = `arn:aws:lambda:${this.o.region}:${this.o.accountId}:function:${name}:$LATEST/durable-execution/${execName}/${id}`;
    // The SDKs read the EXECUTION operation first, and Python finds it by the ARN's last segment.
    const op: Operation = { Id: id, Type: 'EXECUTION', Status: 'STARTED', StartTimestamp: now, ExecutionDetails: { InputPayload: input } };
    const e: Execution = {
      id,
      name: execName,
      functionName: name,
      arn,
      input,
      store: new OperationStore(op),
      status: 'RUNNING',
      startedAt: now,
      timeoutSeconds: config.execution_timeout,
      invocation: 0,
      running: false,
      wake: false,
      updatedSinceInvocation: new Set(),
      updatedSinceCheckpoint: new Set(),
      timers: new Map(),
      failures: 0,
      bytes: operationBytes(op),
      history: [],
      droppedEvents: 0,
      waiters: [],
      ...(traceId ? { traceId } : {}),
    };
    this.record(e, { EventType: 'ExecutionStarted', Id: id, Name: execName, time: now, details: { Input: { Payload: input }, ExecutionTimeout: config.execution_timeout } });
    this.byArn.set(arn, e);
    this.totalBytes += e.bytes;
    const list = this.byFunction.get(name) ?? [];
    list.push(e);
    this.byFunction.set(name, list);
    this.running++;
    this.arm(e, EXECUTION_TIMER, now + config.execution_timeout * 1000, () => this.end(e, 'TIMED_OUT', undefined, { ErrorType: 'ExecutionTimedOut', ErrorMessage: `the execution ran past its ExecutionTimeout of ${config.execution_timeout} seconds` }));
    this.o.info({ fn: name, execution: arn }, `durable execution ${execName} of ${name} started`);
    this.schedule(e);
    return e;
  }

  /** Invokes the function now, or as soon as its running invocation answers. */
  private schedule(e: Execution): void {
    if (e.status !== 'RUNNING') return;
    if (e.running) {
      e.wake = true;
      return;
    }
    e.running = true;
    queueMicrotask(() => void this.invoke(e));
  }

  private async invoke(e: Execution): Promise<void> {
    e.running = true;
    e.wake = false;
    // Something else woke it during a failed invocation's backoff: that retry is this invocation.
    this.disarm(e, RETRY_TIMER);
    e.invocation++;
    e.updatedSinceCheckpoint.clear();
    const payload = {
      DurableExecutionArn: e.arn,
      CheckpointToken: this.token(e),
      InitialExecutionState: operationsPage(e.store.all(), 0, 1000, 'ms'),
      UpdatedOperationIds: [...e.updatedSinceInvocation],
    };
    e.updatedSinceInvocation.clear();
    let result: InvokeResult;
    try {
      result = await this.o.invokeFunction(e.functionName, Buffer.from(JSON.stringify(payload)), { requestId: randomUUID(), ...(e.traceId ? { traceId: e.traceId } : {}) });
    } catch (err) {
      result = errorResult(randomUUID(), 'Unavailable', (err as Error).message);
    }
    e.running = false;
    if (e.status !== 'RUNNING') return;
    const answer = result.error ? undefined : parseAnswer(result.payload);
    if (!answer) {
      const why = result.error ? `${result.error.kind}: ${result.error.message}` : `its answer is not a durable invocation's (Status SUCCEEDED, FAILED or PENDING): is the handler wrapped in withDurableExecution?`;
      if (!result.error) return this.end(e, 'FAILED', undefined, { ErrorType: 'InvalidDurableAnswer', ErrorMessage: `function ${e.functionName}: ${why}` });
      e.failures++;
      if (e.failures > this.limits.invocationRetries) return this.end(e, 'FAILED', undefined, errorOfPayload(result) ?? { ErrorType: result.error.kind, ErrorMessage: result.error.message });
      const delay = this.limits.invocationRetryMs * 2 ** (e.failures - 1);
      this.o.warn({ fn: e.functionName, execution: e.arn, attempt: e.failures }, `durable execution ${e.name}: the invocation failed (${why}); invoked again in ${delay} ms`);
      this.arm(e, RETRY_TIMER, this.o.clock.now() + delay, () => this.schedule(e));
      return;
    }
    e.failures = 0;
    if (answer.Status === 'SUCCEEDED') return this.end(e, 'SUCCEEDED', answer.Result ?? e.result);
    if (answer.Status === 'FAILED') return this.end(e, 'FAILED', undefined, answer.Error ?? { ErrorType: 'Error', ErrorMessage: 'the handler failed' });
    if (e.wake) return this.schedule(e);
    if (!this.waitsOnSomething(e)) return this.end(e, 'FAILED', undefined, { ErrorType: 'InvalidDurableAnswer', ErrorMessage: `function ${e.functionName} answered PENDING with no wait, retry, callback or invoke pending` });
  }

  private waitsOnSomething(e: Execution): boolean {
    return e.store.all().some((op) => op.Status === 'PENDING' || op.Status === 'READY' || (op.Status === 'STARTED' && (op.Type === 'WAIT' || op.Type === 'CALLBACK' || op.Type === 'CHAINED_INVOKE')));
  }

  private end(e: Execution, status: Exclude<ExecutionStatus, 'RUNNING'>, result: string | undefined, error?: ErrorObject): void {
    if (e.status !== 'RUNNING') return;
    const now = this.o.clock.now();
    e.status = status;
    e.endedAt = now;
    if (result !== undefined) e.result = result;
    if (error) e.error = error;
    for (const t of e.timers.values()) this.o.clock.clearTimeout(t);
    e.timers.clear();
    for (const op of e.store.all()) if (op.Type === 'CALLBACK' && op.CallbackDetails?.CallbackId) this.callbacks.delete(op.CallbackDetails.CallbackId);
    e.store.settle(e.id, (op) => {
      op.Status = status;
      op.EndTimestamp = now;
    });
    const noun = { SUCCEEDED: 'Succeeded', FAILED: 'Failed', TIMED_OUT: 'TimedOut', STOPPED: 'Stopped' }[status];
    this.record(e, { EventType: `Execution${noun}`, Id: e.id, Name: e.name, time: now, details: { ...(result !== undefined ? { Result: { Payload: result } } : {}), ...(error ? { Error: { Payload: error } } : {}) } });
    this.running--;
    const line = `durable execution ${e.name} of ${e.functionName} ${status}${error ? `: ${error.ErrorType ?? ''} ${error.ErrorMessage ?? ''}`.trimEnd() : ''}`;
    if (status === 'SUCCEEDED') this.o.info({ fn: e.functionName, execution: e.arn }, line);
    else this.o.warn({ fn: e.functionName, execution: e.arn }, line);
    for (const w of e.waiters.splice(0)) w();
    this.forgetOld(e.functionName);
  }

  private forgetOld(fn: string): void {
    const list = this.byFunction.get(fn);
    if (!list) return;
    let finished = list.filter((e) => e.status !== 'RUNNING').length;
    while (finished > this.limits.keptPerFunction) {
      const i = list.findIndex((e) => e.status !== 'RUNNING');
      this.forget(list[i]);
      finished--;
    }
  }

  private forget(e: Execution): void {
    const list = this.byFunction.get(e.functionName);
    const i = list?.indexOf(e) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    this.byArn.delete(e.arn);
    this.totalBytes -= e.bytes;
  }

  /** Forgets the oldest ended executions until all hold no more than `limit` bytes; whether they do. */
  private fitIn(limit: number): boolean {
    if (this.totalBytes <= limit) return true;
    const ended = [...this.byArn.values()].filter((e) => e.status !== 'RUNNING').sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    for (const e of ended) {
      if (this.totalBytes <= limit) break;
      this.forget(e);
    }
    return this.totalBytes <= limit;
  }

  private untilEnd(e: Execution, maxMs: number, ctx: InvokeContext): Promise<boolean> {
    if (e.status !== 'RUNNING') return Promise.resolve(true);
    return new Promise((resolve) => {
      let cancelOff: (() => void) | undefined;
      const timer = this.o.clock.setTimeout(() => finish(false), maxMs);
      const finish = (ended: boolean) => {
        this.o.clock.clearTimeout(timer);
        cancelOff?.();
        const i = e.waiters.indexOf(done);
        if (i >= 0) e.waiters.splice(i, 1);
        resolve(ended);
      };
      const done = () => finish(true);
      e.waiters.push(done);
      // A caller that goes away stops waiting; the execution runs on, as it does on Lambda.
      cancelOff = ctx.onCancel?.(() => finish(false));
    });
  }

  private resultOf(e: Execution, requestId: string, durationMs: number, ended: boolean): InvokeResult {
    if (!ended) return errorResult(requestId, 'Timeout', `durable execution ${e.arn} is still running; the caller stopped waiting for it`);
    if (e.status === 'SUCCEEDED') return { requestId, durationMs, payload: Buffer.from(e.result ?? 'null') };
    const error = e.error ?? { ErrorType: e.status, ErrorMessage: `the execution ended ${e.status}` };
    const message = error.ErrorMessage ?? e.status;
    return { requestId, durationMs, error: { kind: 'FunctionError', message }, payload: Buffer.from(JSON.stringify({ errorType: error.ErrorType ?? 'Error', errorMessage: message, ...(error.StackTrace ? { stackTrace: error.StackTrace } : {}) })) };
  }

  private arm(e: Execution, key: string, at: number, fire: () => void): void {
    const old = e.timers.get(key);
    if (old !== undefined) this.o.clock.clearTimeout(old);
    const handle = this.o.clock.setTimeout(() => {
      e.timers.delete(key);
      if (e.status === 'RUNNING') fire();
    }, Math.max(0, at - this.o.clock.now()));
    e.timers.set(key, handle);
  }

  private disarm(e: Execution, key: string): void {
    const t = e.timers.get(key);
    if (t !== undefined) this.o.clock.clearTimeout(t);
    e.timers.delete(key);
  }

  /** An operation changed outside a checkpoint: the function hears of it (now, or when it next runs). */
  private settle(e: Execution, opId: string, change: (op: Operation) => void): boolean {
    const before = e.store.get(opId);
    if (!before || isTerminal(before.Status)) return false;
    const copy = structuredClone(before);
    this.noteChange(e, copy, e.store.settle(opId, change)!, this.o.clock.now());
    e.updatedSinceInvocation.add(opId);
    e.updatedSinceCheckpoint.add(opId);
    this.schedule(e);
    return true;
  }

  /** An operation changed (`before`: undefined when new): its history events, and what it holds now. */
  private noteChange(e: Execution, before: Operation | undefined, after: Operation, now: number): void {
    for (const ev of historyEventsOf(before, after, now)) this.record(e, ev);
    const grown = operationBytes(after) - (before ? operationBytes(before) : 0);
    e.bytes += grown;
    this.totalBytes += grown;
  }

  private record(e: Execution, event: HistoryEvent): void {
    if (e.history.length >= this.limits.historyEvents) e.droppedEvents++;
    else e.history.push(event);
  }

  // ------------------------------------------------------------------ checkpoints

  private token(e: Execution): string {
    return Buffer.from(JSON.stringify({ e: e.id, i: e.invocation, n: randomBytes(6).toString('base64url') })).toString('base64url');
  }

  /** The execution a token belongs to, when it is of its running invocation. */
  private checkToken(e: Execution, token: unknown): void {
    let parsed: unknown;
    try {
      parsed = typeof token === 'string' ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!isRecord(parsed) || parsed.e !== e.id) throw new DurableApiError(400, 'InvalidParameterValueException', 'Invalid Checkpoint Token: it is not a token of this execution');
    if (e.status !== 'RUNNING') throw new DurableApiError(400, 'InvalidParameterValueException', `Invalid Checkpoint Token: the execution is ${e.status}`);
    if (parsed.i !== e.invocation || !e.running) throw new DurableApiError(400, 'InvalidParameterValueException', 'Invalid Checkpoint Token: it is of an earlier invocation');
  }

  private checkpoint(e: Execution, input: Record<string, unknown>): Record<string, unknown> {
    this.checkToken(e, input.CheckpointToken);
    const raw = input.Updates ?? [];
    if (!Array.isArray(raw)) throw new InvalidUpdate('Updates must be a list');
    if (raw.length > 1000) throw new InvalidUpdate('Updates must hold at most 1000 updates');
    const updates = raw.map((u, i) => parseUpdate(u, i));
    const now = this.o.clock.now();
    // The store replaces an operation it changes with a new object: these stay as they were.
    const before = new Map(updates.map((u) => [u.Id, e.store.get(u.Id)] as const));
    const { effects, changed } = e.store.apply(updates, now, { newCallbackId: (opId) => this.newCallbackId(e, opId), timeScale: this.o.timeScale ?? 1 });
    for (const id of changed) this.noteChange(e, before.get(id), e.store.get(id)!, now);
    const tooLarge =
      e.bytes > this.limits.maxBytesPerExecution
        ? `the execution's operations hold more than ${this.limits.maxBytesPerExecution} bytes`
        : !this.fitIn(this.limits.maxTotalBytes)
          ? `the running durable executions together hold more than ${this.limits.maxTotalBytes} bytes`
          : undefined;
    if (tooLarge) {
      this.end(e, 'FAILED', undefined, { ErrorType: 'ExecutionTooLarge', ErrorMessage: tooLarge });
      throw new DurableApiError(400, 'InvalidParameterValueException', `${tooLarge}: the execution failed`);
    }
    for (const effect of effects) this.enact(e, effect);
    const ids = new Set([...e.updatedSinceCheckpoint, ...changed]);
    e.updatedSinceCheckpoint.clear();
    const operations = [...ids].map((id) => e.store.get(id)).filter((op): op is Operation => op !== undefined).map((op) => operationView(op, 'seconds'));
    return { CheckpointToken: this.token(e), NewExecutionState: { Operations: operations } };
  }

  private newCallbackId(e: Execution, opId: string): string {
    const id = randomBytes(24).toString('base64url');
    this.callbacks.set(id, { execution: e, opId });
    return id;
  }

  private enact(e: Execution, effect: Effect): void {
    switch (effect.kind) {
      case 'wait':
        return this.arm(e, effect.id, effect.at, () =>
          this.settle(e, effect.id, (op) => {
            op.Status = 'SUCCEEDED';
            op.EndTimestamp = this.o.clock.now();
          }),
        );
      case 'retry':
        return this.arm(e, effect.id, effect.at, () =>
          this.settle(e, effect.id, (op) => {
            if (op.Status !== 'PENDING') return;
            op.Status = 'READY';
            if (op.StepDetails) delete op.StepDetails.NextAttemptTimestamp;
          }),
        );
      case 'callback': {
        const timeOut = (why: string) => () => this.finishCallback(effect.callbackId, 'TIMED_OUT', undefined, { ErrorType: 'CallbackTimeout', ErrorMessage: why });
        const now = this.o.clock.now();
        const entry = this.callbacks.get(effect.callbackId);
        if (entry && effect.heartbeatSeconds) entry.heartbeatSeconds = effect.heartbeatSeconds;
        if (effect.timeoutSeconds) this.arm(e, `${effect.id}\0timeout`, now + effect.timeoutSeconds * 1000, timeOut(`the callback timed out after ${effect.timeoutSeconds} seconds`));
        if (effect.heartbeatSeconds) this.arm(e, `${effect.id}\0heartbeat`, now + effect.heartbeatSeconds * 1000, timeOut(`no heartbeat came within ${effect.heartbeatSeconds} seconds`));
        return;
      }
      case 'invoke':
        return void this.chainedInvoke(e, effect.id, effect.functionName, effect.payload);
      case 'cancel': {
        for (const key of [effect.id, `${effect.id}\0timeout`, `${effect.id}\0heartbeat`]) this.disarm(e, key);
        const cb = e.store.get(effect.id)?.CallbackDetails?.CallbackId;
        if (cb) this.callbacks.delete(cb);
        return;
      }
      case 'end':
        return this.end(e, effect.status, effect.result, effect.error);
    }
  }

  private async chainedInvoke(e: Execution, opId: string, target: string, payload: string): Promise<void> {
    let result: InvokeResult;
    try {
      result = await this.o.invokeTarget(functionNameOf(target), Buffer.from(payload), { requestId: randomUUID(), ...(e.traceId ? { traceId: e.traceId } : {}) });
    } catch (err) {
      result = errorResult(randomUUID(), 'Unavailable', (err as Error).message);
    }
    this.settle(e, opId, (op) => {
      if (op.Status !== 'STARTED') return;
      op.EndTimestamp = this.o.clock.now();
      if (!result.error) {
        op.Status = 'SUCCEEDED';
        op.ChainedInvokeDetails = { Result: result.payload.toString('utf8') };
      } else {
        op.Status = result.error.kind === 'Timeout' ? 'TIMED_OUT' : 'FAILED';
        op.ChainedInvokeDetails = { Error: errorOfPayload(result) ?? { ErrorType: result.error.kind, ErrorMessage: result.error.message } };
      }
    });
  }

  private finishCallback(callbackId: string, status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT', result: string | undefined, error: ErrorObject | undefined): boolean {
    const entry = this.callbacks.get(callbackId);
    if (!entry) return false;
    const { execution: e, opId } = entry;
    this.callbacks.delete(callbackId);
    this.disarm(e, `${opId}\0timeout`);
    this.disarm(e, `${opId}\0heartbeat`);
    return this.settle(e, opId, (op) => {
      op.Status = status;
      op.EndTimestamp = this.o.clock.now();
      op.CallbackDetails = { CallbackId: callbackId, ...(result !== undefined ? { Result: result } : {}), ...(error ? { Error: error } : {}) };
    });
  }

  // ------------------------------------------------------------------ the API

  private execution(input: Record<string, unknown>): Execution {
    const arn = input.DurableExecutionArn;
    const e = typeof arn === 'string' ? this.byArn.get(arn) : undefined;
    if (!e) throw new DurableApiError(404, 'ResourceNotFoundException', `durable execution not found: ${String(arn)}`);
    return e;
  }

  private async act(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (action) {
      case 'CheckpointDurableExecution':
        return this.checkpoint(this.execution(input), input);
      case 'GetDurableExecutionState': {
        const e = this.execution(input);
        this.checkToken(e, input.CheckpointToken);
        const { start, max } = pageBounds(input);
        const { Operations, NextMarker } = operationsPage(e.store.all(), start, max, 'seconds');
        return { Operations, ...(NextMarker ? { NextMarker } : {}) };
      }
      case 'GetDurableExecution':
        return this.describe(this.execution(input), input.IncludeExecutionData !== false && input.IncludeExecutionData !== 'false');
      case 'GetDurableExecutionHistory': {
        const e = this.execution(input);
        const withData = input.IncludeExecutionData === true || input.IncludeExecutionData === 'true';
        let events = e.history.map((ev, i) => historyView(ev, i + 1, withData));
        if (input.ReverseOrder === true || input.ReverseOrder === 'true') events = events.reverse();
        return page(events, input, 'Events');
      }
      case 'ListDurableExecutionsByFunction': {
        let fn: string;
        try {
          fn = functionNameOf(input.FunctionName);
        } catch (err) {
          throw new DurableApiError(400, 'InvalidParameterValueException', (err as Error).message);
        }
        if (!this.functions.has(fn) && !this.byFunction.has(fn)) throw new DurableApiError(404, 'ResourceNotFoundException', `Function not found: ${fn}`);
        const statuses = input.Statuses === undefined ? undefined : new Set(([] as unknown[]).concat(input.Statuses).flatMap((s) => String(s).split(',')));
        let list = (this.byFunction.get(fn) ?? []).filter((e) => (!statuses || statuses.has(e.status)) && (input.DurableExecutionName === undefined || e.name === input.DurableExecutionName));
        list = [...list].sort((a, b) => b.startedAt - a.startedAt);
        if (input.ReverseOrder === true || input.ReverseOrder === 'true') list.reverse();
        return page(
          list.map((e) => ({ DurableExecutionArn: e.arn, DurableExecutionName: e.name, FunctionArn: this.functionArn(e), Status: e.status, StartTimestamp: e.startedAt / 1000, ...(e.endedAt !== undefined ? { EndTimestamp: e.endedAt / 1000 } : {}) })),
          input,
          'DurableExecutions',
        );
      }
      case 'StopDurableExecution': {
        const e = this.execution(input);
        if (e.status !== 'RUNNING') throw new DurableApiError(400, 'InvalidParameterValueException', `the execution is ${e.status}`);
        const error = isRecord(input.Error) ? (input.Error as ErrorObject) : { ErrorType: 'Stopped', ErrorMessage: 'StopDurableExecution' };
        this.end(e, 'STOPPED', undefined, error);
        return { StopTimestamp: (e.endedAt ?? this.o.clock.now()) / 1000 };
      }
      case 'SendDurableExecutionCallbackSuccess':
      case 'SendDurableExecutionCallbackFailure':
      case 'SendDurableExecutionCallbackHeartbeat': {
        const id = String(input.CallbackId ?? '');
        const entry = this.callbacks.get(id);
        if (!entry) throw new DurableApiError(400, 'InvalidParameterValueException', `callback ${id} is not waiting (unknown, already answered or timed out)`);
        if (action === 'SendDurableExecutionCallbackHeartbeat') {
          const seconds = entry.heartbeatSeconds;
          if (seconds) this.arm(entry.execution, `${entry.opId}\0heartbeat`, this.o.clock.now() + seconds * 1000, () => this.finishCallback(id, 'TIMED_OUT', undefined, { ErrorType: 'CallbackTimeout', ErrorMessage: `no heartbeat came within ${seconds} seconds` }));
          return {};
        }
        if (action === 'SendDurableExecutionCallbackSuccess') {
          const result = typeof input.Result === 'string' ? Buffer.from(input.Result, 'base64').toString('utf8') : undefined;
          if (result !== undefined && Buffer.byteLength(result) > MAX_CALLBACK_RESULT) throw new DurableApiError(400, 'InvalidParameterValueException', `a callback's result is at most ${MAX_CALLBACK_RESULT} bytes (got ${Buffer.byteLength(result)})`);
          this.finishCallback(id, 'SUCCEEDED', result === '' ? undefined : result, undefined);
        } else {
          this.finishCallback(id, 'FAILED', undefined, isRecord(input.Error) ? (input.Error as ErrorObject) : { ErrorType: 'CallbackFailed' });
        }
        return {};
      }
      default:
        throw new DurableApiError(400, 'UnknownOperationException', `esb does not answer ${action} of the durable execution API`);
    }
  }

  private functionArn(e: Execution): string {
    return `arn:aws:lambda:${this.o.region}:${this.o.accountId}:function:${e.functionName}:$LATEST`;
  }

  private describe(e: Execution, withData: boolean): Record<string, unknown> {
    return {
      DurableExecutionArn: e.arn,
      DurableExecutionName: e.name,
      FunctionArn: this.functionArn(e),
      Status: e.status,
      StartTimestamp: e.startedAt / 1000,
      ...(e.endedAt !== undefined ? { EndTimestamp: e.endedAt / 1000 } : {}),
      ...(withData ? { InputPayload: e.input, ...(e.result !== undefined ? { Result: e.result } : {}) } : {}),
      ...(e.error ? { Error: e.error } : {}),
      Version: '$LATEST',
      DurableConfig: { ExecutionTimeout: e.timeoutSeconds },
    };
  }
}

/** The function's answer to a durable invocation, or undefined when it is not one. */
function parseAnswer(payload: Buffer): { Status: 'SUCCEEDED' | 'FAILED' | 'PENDING'; Result?: string; Error?: ErrorObject } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || (doc.Status !== 'SUCCEEDED' && doc.Status !== 'FAILED' && doc.Status !== 'PENDING')) return undefined;
  return {
    Status: doc.Status,
    ...(typeof doc.Result === 'string' ? { Result: doc.Result } : {}),
    ...(isRecord(doc.Error) ? { Error: doc.Error as ErrorObject } : {}),
  };
}

/** A failed invocation's error document as an ErrorObject. */
function errorOfPayload(result: InvokeResult): ErrorObject | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(result.payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || (typeof doc.errorType !== 'string' && typeof doc.errorMessage !== 'string')) return undefined;
  return {
    ...(typeof doc.errorType === 'string' ? { ErrorType: doc.errorType } : {}),
    ...(typeof doc.errorMessage === 'string' ? { ErrorMessage: doc.errorMessage } : {}),
    ...(Array.isArray(doc.stackTrace) ? { StackTrace: doc.stackTrace.filter((l): l is string => typeof l === 'string') } : {}),
  };
}

function historyView(ev: HistoryEvent, eventId: number, withData: boolean): Record<string, unknown> {
  const { time, details, EventType, ...rest } = ev;
  const view: Record<string, unknown> = { EventType, EventId: eventId, ...rest, EventTimestamp: time / 1000 };
  if (details) {
    const d: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(details)) {
      if (k === 'ScheduledEndTimestamp' && typeof v === 'number') d[k] = v / 1000;
      else if ((k === 'Result' || k === 'Input' || k === 'Error') && !withData) continue;
      else d[k] = v;
    }
    view[`${EventType}Details`] = d;
  }
  return view;
}

/** What the operations of one page may hold: an invocation's payload stays under Lambda's 6 MB. */
export const OPERATIONS_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Operations from `start`, at most `max` of them and OPERATIONS_PAGE_BYTES of payloads (one at
 * least); NextMarker names where the next page starts ("" after the last). The SDKs read the rest
 * with GetDurableExecutionState before they run the handler.
 */
function operationsPage(ops: readonly Operation[], start: number, max: number, unit: 'ms' | 'seconds'): { Operations: Array<Record<string, unknown>>; NextMarker: string } {
  const page: Array<Record<string, unknown>> = [];
  let bytes = 0;
  let i = start;
  for (; i < ops.length && page.length < max; i++) {
    const size = operationBytes(ops[i]);
    if (page.length > 0 && bytes + size > OPERATIONS_PAGE_BYTES) break;
    bytes += size;
    page.push(operationView(ops[i], unit));
  }
  return { Operations: page, NextMarker: i < ops.length ? String(i) : '' };
}

/** Where a page starts (`Marker`, an index) and how many it holds (`MaxItems`, at most 1000). */
function pageBounds(input: Record<string, unknown>): { start: number; max: number } {
  return {
    start: Math.max(0, Number.parseInt(String(input.Marker ?? '0'), 10) || 0),
    max: Math.min(1000, Math.max(1, Number.parseInt(String(input.MaxItems ?? '1000'), 10) || 1000)),
  };
}

/** One page of a list (pageBounds). */
function page<T>(items: T[], input: Record<string, unknown>, key: string): Record<string, unknown> {
  const { start, max } = pageBounds(input);
  const slice = items.slice(start, start + max);
  return { [key]: slice, ...(start + max < items.length ? { NextMarker: String(start + max) } : {}) };
}
