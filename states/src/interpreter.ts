// The interpreter of the Amazon States Language (docs/step-functions.md "The states"): runs one
// execution of a checked definition from StartAt to its end, state by state, with the input and
// output processing, Retry and Catch, Parallel branches and Map iterations of Step Functions, and
// reports its history as Step Functions names it. Pure: tasks, time and waiting come from the
// ExecutionEnv the caller gives, so that the agent runs real tasks and tests run fake ones.
//
// Hostile definitions cannot take the process down: the interpreter yields to the event loop
// between states, stops at the history limit, fails payloads past the size limit, and bounds Map
// concurrency; when the execution stops, running tasks are aborted and no further state runs.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { parseTimestamp, ruleMatches, timestampMillis } from './choice.js';
import type { Catcher, Definition, QueryLanguage, Retrier, State, StateMachineDefinition } from './definition.js';
import { asStatesError, errorMatches, StatesError, States } from './errors.js';
import { boundedJson, jsonPreview, JsonTooLarge } from './json.js';
import { evaluateJsonataTemplate, jsonataExpression, type JsonataData } from './jsonata.js';
import { evaluateExpression, evaluatePayloadTemplate, setOwn } from './payload.js';
import { PathNotFound, readPath, writeResultPath, type PathData } from './paths.js';

/** What `$$` gives. */
export interface ContextObject {
  Execution: { Id: string; Input: unknown; Name: string; RoleArn: string; StartTime: string; RedriveCount?: number };
  State: { EnteredTime: string; Name: string; RetryCount: number };
  StateMachine: { Id: string; Name: string };
  Task?: { Token: string };
  Map?: { Item: { Index: number; Value: unknown } };
}

export interface TaskCall {
  /** The Task's Resource as written (e.g. 'arn:aws:states:::lambda:invoke', 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', 'arn:aws:lambda:us-east-1:123456789012:function:Fn', 'arn:aws:states:::aws-sdk:dynamodb:putItem'). */
  resource: string;
  /** The effective input after InputPath and Parameters/Arguments. */
  input: unknown;
  /** The token of this attempt (also at $$.Task.Token). */
  taskToken: string;
  /** TimeoutSeconds / TimeoutSecondsPath. */
  timeoutSeconds?: number;
  /** HeartbeatSeconds / HeartbeatSecondsPath. */
  heartbeatSeconds?: number;
  /** The Credentials field if present (ignored by runners). */
  credentials?: unknown;
  /** Aborted when the task times out or the execution stops. */
  signal: AbortSignal;
  context: ContextObject;
  stateName: string;
}

export interface HistoryEvent {
  type: string;
  timestamp: number;
  id: number;
  previousEventId: number;
  details?: Record<string, unknown>;
}

export interface ExecutionLimits {
  /** Default 25_000 (Standard's limit): past it the execution fails with States.Runtime. */
  maxHistoryEvents: number;
  /** Default 256 * 1024: a state's input/output/result larger -> States.DataLimitExceeded. */
  maxPayloadBytes: number;
  /** Default 40: the ceiling for a Map's concurrency (and what a MaxConcurrency of 0 or none means). */
  maxMapConcurrency: number;
}

const DEFAULT_LIMITS: ExecutionLimits = { maxHistoryEvents: 25_000, maxPayloadBytes: 256 * 1024, maxMapConcurrency: 40 };

export interface ExecutionEnv {
  /** Runs a Task: resolves with its raw result or rejects with a StatesError (anything else thrown becomes States.TaskFailed with the message as Cause). */
  runTask(call: TaskCall): Promise<unknown>;
  /** Waits ms (Wait states, Retry intervals); rejects (any error) when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** ms since epoch. */
  now(): number;
  /** Default: random base64 text. */
  newToken?(): string;
  /** History, named as Step Functions names it. */
  onEvent?(event: HistoryEvent): void;
  limits?: Partial<ExecutionLimits>;
}

export type ExecutionOutcome =
  | { status: 'SUCCEEDED'; output: unknown }
  | { status: 'FAILED'; error: string; cause?: string }
  | { status: 'TIMED_OUT'; error: 'States.Timeout'; cause?: string }
  | { status: 'ABORTED' };

/**
 * Where a redriven execution starts again (RedriveExecution): the top-level state that did not
 * succeed, its input and the variables assigned before it; the history goes on after `lastEventId`.
 */
export interface Redrive {
  at: string;
  input: unknown;
  variables: Record<string, unknown>;
  lastEventId: number;
  redriveCount: number;
}

/**
 * Runs one execution to its end. `signal` aborting = StopExecution (outcome ABORTED). TimeoutSeconds
 * at the top level -> TIMED_OUT. With `redrive`, from the state it names instead of StartAt.
 */
export function runStateMachine(
  definition: Definition,
  input: unknown,
  context: { execution: ContextObject['Execution']; stateMachine: ContextObject['StateMachine'] },
  env: ExecutionEnv,
  signal: AbortSignal,
  redrive?: Redrive,
): Promise<ExecutionOutcome> {
  return new Execution(definition, context, env).run(redrive ? redrive.input : input, signal, redrive);
}

/** The flow's signal aborted: the execution stopped or timed out, or a sibling branch failed. No Catch takes it. */
class Interrupted extends Error {}

/** A thread of events (the execution, a Parallel branch, a Map iteration): each event's previousEventId is the one before it in its flow. */
interface Flow {
  last: number;
}

/** Variables: a Parallel branch or Map iteration reads those of the scopes around it and assigns its own. */
class VariableScope {
  private readonly values = new Map<string, unknown>();
  constructor(private readonly outer?: VariableScope) {}

  lookup(name: string): { found: boolean; value?: unknown } {
    if (this.values.has(name)) return { found: true, value: this.values.get(name) };
    return this.outer ? this.outer.lookup(name) : { found: false };
  }

  all(): Record<string, unknown> {
    const out = this.outer ? this.outer.all() : {};
    for (const [name, value] of this.values) setOwn(out, name, value);
    return out;
  }

  assign(values: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(values)) this.values.set(name, value);
  }
}

/** One state being run. */
interface StateRun {
  name: string;
  state: State;
  language: QueryLanguage;
  /** The state's raw input. */
  input: unknown;
  scope: VariableScope;
  flow: Flow;
  signal: AbortSignal;
  /** The id of its StateEntered event (Step Functions' messages cite it). */
  entered: number;
  /** `$$` while it runs; State.RetryCount counts its retries. */
  context: ContextObject;
}

interface StateResult {
  output: unknown;
  /** The next state; undefined ends the flow. */
  next?: string;
  /** The variables the state assigns, committed as it exits. */
  assigned?: Record<string, unknown>;
  /** The output's JSON text, when its size is already checked (it is the next state's input text). */
  outputText?: string;
}

/** States yield to the event loop (setImmediate) this often; in between, a microtask. */
const YIELD_EVERY = 100;

const TASK_EVENTS = { scheduled: 'TaskScheduled', started: 'TaskStarted', succeeded: 'TaskSucceeded', failed: 'TaskFailed', timedOut: 'TaskTimedOut' };
const LAMBDA_EVENTS = { scheduled: 'LambdaFunctionScheduled', started: 'LambdaFunctionStarted', succeeded: 'LambdaFunctionSucceeded', failed: 'LambdaFunctionFailed', timedOut: 'LambdaFunctionTimedOut' };
const ACTIVITY_EVENTS = { scheduled: 'ActivityScheduled', started: 'ActivityStarted', succeeded: 'ActivitySucceeded', failed: 'ActivityFailed', timedOut: 'ActivityTimedOut' };

/** How a Task's history names its resource: service integrations as type and action, a Lambda function or activity ARN by its own events. */
export function taskResource(resource: string): { events: typeof TASK_EVENTS; details: Record<string, unknown> } {
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) return { events: LAMBDA_EVENTS, details: { resource } };
  if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(resource)) return { events: ACTIVITY_EVENTS, details: { resource } };
  const m = /^arn:[^:]+:states:[^:]*:[^:]*:(.+)$/.exec(resource);
  if (!m) return { events: TASK_EVENTS, details: { resourceType: 'unknown', resource } };
  const parts = m[1].split(':');
  return { events: TASK_EVENTS, details: { resourceType: parts.slice(0, -1).join(':'), resource: parts[parts.length - 1] } };
}

/** The wait before retry `attempt` (0 for the first): IntervalSeconds * BackoffRate^attempt, at most MaxDelaySeconds, FULL jitter a random part of it. */
export function retryDelayMs(retrier: Retrier, attempt: number, random: () => number = Math.random): number {
  let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds *= random();
  return Math.round(seconds * 1000);
}

/** An AbortController that aborts with its parent; `release` stops listening (call it when done). */
function childController(parent: AbortSignal): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (parent.aborted) {
    controller.abort();
    return { controller, release: () => {} };
  }
  const abort = () => controller.abort();
  parent.addEventListener('abort', abort, { once: true });
  return { controller, release: () => parent.removeEventListener('abort', abort) };
}

/** The promise's outcome, or Interrupted as soon as the signal aborts (a runner that ignores its signal does not hold the execution). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new Interrupted());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}

/** An error's history details: its name and, when it has one, its cause. */
function errorDetails(err: StatesError): { error: string; cause?: string } {
  return { error: err.error, ...(err.cause !== undefined ? { cause: err.cause } : {}) };
}

/** An error of the interpreter's own making as an ASL error: a StatesError as it is, anything else States.Runtime. */
function internalError(err: unknown): StatesError {
  return err instanceof StatesError ? err : new StatesError(States.Runtime, (err as Error)?.message ?? String(err));
}

class Execution {
  private readonly limits: ExecutionLimits;
  /** Aborts every flow: the execution stopped, timed out, or hit a fatal error. */
  private readonly controller = new AbortController();
  private nextEventId = 1;
  private transitions = 0;
  private stopped?: 'ABORTED' | 'TIMED_OUT';
  /** An error that ends the execution whatever catches what (the history limit). */
  private fatal?: StatesError;

  constructor(
    private readonly definition: Definition,
    private readonly base: { execution: ContextObject['Execution']; stateMachine: ContextObject['StateMachine'] },
    private readonly env: ExecutionEnv,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...env.limits };
    setMaxListeners(0, this.controller.signal);
  }

  async run(rawInput: unknown, signal: AbortSignal, redrive?: Redrive): Promise<ExecutionOutcome> {
    const flow: Flow = { last: redrive?.lastEventId ?? 0 };
    if (redrive) this.nextEventId = redrive.lastEventId + 1;
    // A copy: the caller may change its input while the execution runs.
    let input: unknown = {};
    let inputText: string | undefined;
    let inputError: StatesError | undefined;
    try {
      if (rawInput !== undefined) input = structuredClone(rawInput);
      inputText = this.sized(input, () => 'The execution input has a size exceeding the maximum number of bytes service limit.');
    } catch (err) {
      inputError = err instanceof StatesError ? err : new StatesError(States.Runtime, `The execution input is not JSON: ${(err as Error).message}`);
    }
    if (redrive) this.emit(flow, 'ExecutionRedriven', { redriveCount: redrive.redriveCount }, true);
    else this.emit(flow, 'ExecutionStarted', { input: inputText ?? '', inputDetails: { truncated: inputText === undefined }, roleArn: this.base.execution.RoleArn }, true);
    if (inputError) return this.failed(flow, inputError);
    const stop = () => {
      this.stopped ??= 'ABORTED';
      this.controller.abort();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const timer = new AbortController();
    if (this.definition.TimeoutSeconds !== undefined) {
      this.env.sleep(this.definition.TimeoutSeconds * 1000, timer.signal).then(
        () => {
          this.stopped ??= 'TIMED_OUT';
          this.controller.abort();
        },
        () => {},
      );
    }
    try {
      const scope = new VariableScope();
      if (redrive) scope.assign(redrive.variables);
      const output = await this.runStates(this.definition, input, scope, flow, this.controller.signal, inputText, redrive?.at);
      this.emit(flow, 'ExecutionSucceeded', { output: JSON.stringify(output), outputDetails: { truncated: false } }, true);
      return { status: 'SUCCEEDED', output: structuredClone(output) };
    } catch (err) {
      if (this.fatal) return this.failed(flow, this.fatal);
      if (this.stopped === 'ABORTED') {
        this.emit(flow, 'ExecutionAborted', {}, true);
        return { status: 'ABORTED' };
      }
      if (this.stopped === 'TIMED_OUT') {
        this.emit(flow, 'ExecutionTimedOut', { error: States.Timeout }, true);
        return { status: 'TIMED_OUT', error: States.Timeout };
      }
      return this.failed(flow, internalError(err));
    } finally {
      signal.removeEventListener('abort', stop);
      timer.abort();
    }
  }

  private failed(flow: Flow, err: StatesError): ExecutionOutcome {
    const details = errorDetails(err);
    this.emit(flow, 'ExecutionFailed', details, true);
    return { status: 'FAILED', ...details };
  }

  /** Adds an event to the history; past the limit, the execution fails with States.Runtime (only its last event is let through). */
  private emit(flow: Flow, type: string, details?: Record<string, unknown>, final = false): number {
    if (!final && this.nextEventId > this.limits.maxHistoryEvents) {
      if (!this.fatal) {
        this.fatal = new StatesError(States.Runtime, `The execution reached the maximum number of events in its history (${this.limits.maxHistoryEvents}).`);
        this.controller.abort();
      }
      throw this.fatal;
    }
    const event: HistoryEvent = { type, timestamp: this.env.now(), id: this.nextEventId++, previousEventId: flow.last, ...(details ? { details } : {}) };
    flow.last = event.id;
    try {
      this.env.onEvent?.(event);
    } catch {
      // A listener's failure is not the execution's.
    }
    return event.id;
  }

  /** An event that may be dropped (an abort's): never throws. */
  private emitQuietly(flow: Flow, type: string, details?: Record<string, unknown>): void {
    try {
      this.emit(flow, type, details);
    } catch {
      // Past the history limit: the execution is failing anyway.
    }
  }

  /** Lets other work run: a microtask after every state, a turn of the event loop every YIELD_EVERY. */
  private async yieldBetweenStates(): Promise<void> {
    if (++this.transitions % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    else await Promise.resolve();
  }

  /** A payload's JSON text, after checking its size (States.DataLimitExceeded past the limit). */
  private sized(value: unknown, cause: () => string): string {
    let text: string;
    try {
      text = boundedJson(value, this.limits.maxPayloadBytes);
    } catch (err) {
      if (err instanceof JsonTooLarge) throw new StatesError(States.DataLimitExceeded, cause());
      throw err;
    }
    // UTF-8 takes at most 3 bytes for each UTF-16 unit: only a long text needs counting.
    if (text.length * 3 > this.limits.maxPayloadBytes && Buffer.byteLength(text) > this.limits.maxPayloadBytes) throw new StatesError(States.DataLimitExceeded, cause());
    return text;
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await untilAborted(this.env.sleep(ms, signal), signal);
    } catch (err) {
      if (signal.aborted || err instanceof Interrupted) throw new Interrupted();
      throw err;
    }
  }

  /** Runs a set of states from StartAt (or `from`); the output of the state that ends it. `inputText`: the input's JSON text if its size is checked. */
  private async runStates(machine: StateMachineDefinition, input: unknown, scope: VariableScope, flow: Flow, signal: AbortSignal, inputText?: string, from?: string): Promise<unknown> {
    let name = from ?? machine.StartAt;
    let value = input;
    let text = inputText;
    for (;;) {
      await this.yieldBetweenStates();
      if (signal.aborted) throw new Interrupted();
      if (!Object.hasOwn(machine.States, name)) throw new StatesError(States.Runtime, `There is no state named '${name}'`);
      const result = await this.runState(name, machine.States[name], value, text, scope, flow, signal);
      if (result.next === undefined) return result.output;
      name = result.next;
      value = result.output;
      text = result.outputText;
    }
  }

  private async runState(name: string, state: State, input: unknown, knownInputText: string | undefined, scope: VariableScope, flow: Flow, signal: AbortSignal): Promise<StateResult> {
    const inputText = knownInputText ?? this.sized(input, () => `The state/task '${name}' received an input with a size exceeding the maximum number of bytes service limit.`);
    const entered = this.emit(flow, `${state.Type}StateEntered`, { name, input: inputText, inputDetails: { truncated: false } });
    const run: StateRun = {
      name,
      state,
      language: state.QueryLanguage ?? this.definition.QueryLanguage ?? 'JSONPath',
      input,
      scope,
      flow,
      signal,
      entered,
      context: { Execution: this.base.execution, State: { EnteredTime: new Date(this.env.now()).toISOString(), Name: name, RetryCount: 0 }, StateMachine: this.base.stateMachine },
    };
    let result: StateResult;
    try {
      result = await this.runStateType(run);
    } catch (err) {
      if (err instanceof Interrupted && ['Task', 'Map', 'Parallel', 'Wait'].includes(state.Type)) this.emitQuietly(flow, `${state.Type}StateAborted`, { name });
      throw err;
    }
    const output = result.outputText ?? this.sized(result.output, () => `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`);
    const details: Record<string, unknown> = { name, output, outputDetails: { truncated: false } };
    if (result.assigned && Object.keys(result.assigned).length) {
      const texts: Record<string, string> = {};
      for (const [variable, value] of Object.entries(result.assigned)) {
        setOwn(texts, variable, this.sized(value, () => `The variable '${variable}' assigned by the state '${name}' has a size exceeding the maximum number of bytes service limit.`));
      }
      scope.assign(result.assigned);
      details.assignedVariables = texts;
      details.assignedVariablesDetails = { truncated: false };
    }
    this.emit(flow, `${state.Type}StateExited`, details);
    return { ...result, outputText: output };
  }

  private runStateType(run: StateRun): Promise<StateResult> {
    switch (run.state.Type) {
      case 'Pass':
        return this.pass(run);
      case 'Task':
        return this.execute(run, (effective) => this.taskAttempt(run, effective));
      case 'Choice':
        return this.choice(run);
      case 'Wait':
        return this.wait(run);
      case 'Succeed':
        return this.succeed(run);
      case 'Fail':
        return this.fail(run);
      case 'Parallel':
        return this.execute(run, (effective) => this.parallelAttempt(run, effective));
      case 'Map':
        return this.execute(run, (effective) => this.mapAttempt(run, effective));
    }
    throw new StatesError(States.Runtime, `The state '${run.name}' has the unknown type '${String(run.state.Type)}'`);
  }

  // ---- Data processing. Errors here are the state's: Step Functions' causes say which state and event. ----

  private stateError(run: StateRun, err: unknown): StatesError {
    const prefix = `An error occurred while executing the state '${run.name}' (entered at the event id #${run.entered}).`;
    if (err instanceof PathNotFound) return new StatesError(States.Runtime, `${prefix} ${err.message}`);
    if (err instanceof StatesError) {
      if (err.error === States.QueryEvaluationError) this.emitQuietly(run.flow, 'EvaluationFailed', { error: err.error, cause: err.cause, state: run.name });
      return new StatesError(err.error, err.cause === undefined ? prefix : `${prefix} ${err.cause}`);
    }
    return new StatesError(States.Runtime, `${prefix} ${(err as Error)?.message ?? String(err)}`);
  }

  /** Runs data processing, its errors as the state's. */
  private guard<T>(run: StateRun, work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw this.stateError(run, err);
    }
  }

  private async guardAsync<T>(run: StateRun, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw this.stateError(run, err);
    }
  }

  private pathData(run: StateRun, input: unknown, context: ContextObject = run.context): PathData {
    return { input, context, variable: (name) => run.scope.lookup(name) };
  }

  private jsonataData(run: StateRun, extra: { result?: unknown; errorOutput?: unknown; context?: ContextObject } = {}): JsonataData {
    const states: JsonataData['states'] = { input: run.input, context: extra.context ?? run.context };
    if ('result' in extra) states.result = extra.result;
    if ('errorOutput' in extra) states.errorOutput = extra.errorOutput;
    return { states, variables: run.scope.all() };
  }

  /** InputPath: the part of the raw input the state works on; null gives {}. */
  private inputPath(run: StateRun): unknown {
    const path = run.state.InputPath;
    if (path === null) return {};
    if (path === undefined || path === '$') return run.input;
    return this.guard(run, () => readPath(path, this.pathData(run, run.input)));
  }

  /** OutputPath: the part of the state's output passed on; null gives {}. */
  private outputPath(run: StateRun, value: unknown): unknown {
    const path = run.state.OutputPath;
    if (path === null) return {};
    if (path === undefined || path === '$') return value;
    return this.guard(run, () => readPath(path, this.pathData(run, value)));
  }

  /** ResultPath: where the result goes in the raw input; `$` (the default) replaces it, null discards the result. */
  private resultPath(run: StateRun, path: string | null | undefined, result: unknown): unknown {
    if (path === null) return run.input;
    if (path === undefined || path === '$') return result;
    return this.guard(run, () => writeResultPath(run.input, path, result));
  }

  private template(run: StateRun, template: unknown, input: unknown, context?: ContextObject): unknown {
    return this.guard(run, () => evaluatePayloadTemplate(template, this.pathData(run, input, context)));
  }

  private jsonata(run: StateRun, template: unknown, field: string, data: JsonataData): Promise<unknown> {
    return this.guardAsync(run, () => evaluateJsonataTemplate(template, data, field));
  }

  /** A JSONPath state's Assign: `.$` fields take a Path or intrinsic function against `input`, others are values. */
  private assignJsonPath(run: StateRun, assign: Record<string, unknown>, input: unknown, context?: ContextObject): Record<string, unknown> {
    return this.guard(run, () => {
      const data = this.pathData(run, input, context);
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(assign)) {
        if (key.endsWith('.$')) setOwn(out, key.slice(0, -2), evaluateExpression(String(value), data, key));
        else setOwn(out, key, evaluatePayloadTemplate(value, data));
      }
      return out;
    });
  }

  private async assignJsonata(run: StateRun, assign: Record<string, unknown>, data: JsonataData): Promise<Record<string, unknown>> {
    return (await this.jsonata(run, assign, 'Assign', data)) as Record<string, unknown>;
  }

  /** A number field given as a value, a Reference Path (JSONPath) or an expression (JSONata); undefined when none is. */
  private async numberField(run: StateRun, field: 'TimeoutSeconds' | 'HeartbeatSeconds' | 'MaxConcurrency' | 'ToleratedFailureCount' | 'ToleratedFailurePercentage', effective: unknown, valid: (n: number) => boolean, what: string): Promise<number | undefined> {
    const state = run.state;
    let value: unknown = state[field];
    const path = (state as unknown as Record<string, unknown>)[`${field}Path`];
    if (run.language === 'JSONata' && jsonataExpression(value) !== undefined) value = await this.jsonata(run, value, field, this.jsonataData(run));
    else if (value === undefined && typeof path === 'string') value = this.guard(run, () => readPath(path, this.pathData(run, effective)));
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !valid(value)) throw this.stateError(run, new StatesError(States.Runtime, `The value of ${field}${path !== undefined ? ` at '${String(path)}'` : ''} must be ${what}, not ${jsonPreview(value)}`));
    return value;
  }

  // ---- The states. ----

  private async pass(run: StateRun): Promise<StateResult> {
    const { state } = run;
    if (run.language === 'JSONata') {
      const data = this.jsonataData(run);
      const output = state.Output !== undefined ? await this.jsonata(run, state.Output, 'Output', data) : run.input;
      const assigned = state.Assign ? await this.assignJsonata(run, state.Assign, data) : undefined;
      return { output, next: state.Next, assigned };
    }
    const effective = this.inputPath(run);
    const parameters = state.Parameters !== undefined ? this.template(run, state.Parameters, effective) : effective;
    const result = 'Result' in state ? state.Result : parameters;
    const assigned = state.Assign ? this.assignJsonPath(run, state.Assign, result) : undefined;
    return { output: this.outputPath(run, this.resultPath(run, state.ResultPath, result)), next: state.Next, assigned };
  }

  private async choice(run: StateRun): Promise<StateResult> {
    const { state } = run;
    const rules = state.Choices ?? [];
    if (run.language === 'JSONata') {
      const data = this.jsonataData(run);
      let chosen: (typeof rules)[number] | undefined;
      for (const rule of rules) {
        const condition = jsonataExpression(rule.Condition) !== undefined ? await this.jsonata(run, rule.Condition, 'Condition', data) : rule.Condition;
        if (typeof condition !== 'boolean') throw this.stateError(run, new StatesError(States.QueryEvaluationError, `The Condition of a choice rule must be a boolean, not ${jsonPreview(condition)}`));
        if (condition) {
          chosen = rule;
          break;
        }
      }
      const next = chosen ? String(chosen.Next) : this.defaultChoice(run);
      const outputTemplate = chosen && chosen.Output !== undefined ? chosen.Output : state.Output;
      const assign = (chosen ? chosen.Assign : state.Assign) as Record<string, unknown> | undefined;
      const output = outputTemplate !== undefined ? await this.jsonata(run, outputTemplate, 'Output', data) : run.input;
      const assigned = assign ? await this.assignJsonata(run, assign, data) : undefined;
      return { output, next, assigned };
    }
    const effective = this.inputPath(run);
    const data = this.pathData(run, effective);
    const chosen = rules.find((rule) => this.guard(run, () => ruleMatches(rule, data)));
    const next = chosen ? String(chosen.Next) : this.defaultChoice(run);
    const assign = (chosen ? chosen.Assign : state.Assign) as Record<string, unknown> | undefined;
    const assigned = assign ? this.assignJsonPath(run, assign, effective) : undefined;
    return { output: this.outputPath(run, effective), next, assigned };
  }

  private defaultChoice(run: StateRun): string {
    if (run.state.Default !== undefined) return run.state.Default;
    throw new StatesError(States.NoChoiceMatched, `No Matches! The state '${run.name}' has no choice rule that matches its input and no Default.`);
  }

  private async wait(run: StateRun): Promise<StateResult> {
    const { state } = run;
    const effective = run.language === 'JSONPath' ? this.inputPath(run) : run.input;
    let seconds: unknown = state.Seconds;
    let timestamp: unknown = state.Timestamp;
    if (run.language === 'JSONata') {
      if (jsonataExpression(seconds) !== undefined) seconds = await this.jsonata(run, seconds, 'Seconds', this.jsonataData(run));
      if (jsonataExpression(timestamp) !== undefined) timestamp = await this.jsonata(run, timestamp, 'Timestamp', this.jsonataData(run));
    } else {
      if (state.SecondsPath !== undefined) seconds = this.guard(run, () => readPath(state.SecondsPath!, this.pathData(run, effective)));
      if (state.TimestampPath !== undefined) timestamp = this.guard(run, () => readPath(state.TimestampPath!, this.pathData(run, effective)));
    }
    let ms = 0;
    if (seconds !== undefined) {
      if (!Number.isInteger(seconds) || (seconds as number) < 0) throw this.stateError(run, new StatesError(States.Runtime, `The number of seconds to wait must be a non-negative integer, not ${jsonPreview(seconds)}`));
      ms = (seconds as number) * 1000;
    } else {
      const at = parseTimestamp(timestamp);
      if (!at) throw this.stateError(run, new StatesError(States.Runtime, `The timestamp to wait until must be a timestamp such as 2016-03-14T01:59:00Z, not ${jsonPreview(timestamp)}`));
      ms = timestampMillis(at) - this.env.now();
    }
    if (ms > 0) await this.sleep(ms, run.signal);
    if (run.language === 'JSONata') {
      const data = this.jsonataData(run);
      const output = state.Output !== undefined ? await this.jsonata(run, state.Output, 'Output', data) : run.input;
      return { output, next: state.Next, assigned: state.Assign ? await this.assignJsonata(run, state.Assign, data) : undefined };
    }
    return { output: this.outputPath(run, effective), next: state.Next, assigned: state.Assign ? this.assignJsonPath(run, state.Assign, effective) : undefined };
  }

  private async succeed(run: StateRun): Promise<StateResult> {
    if (run.language === 'JSONata') return { output: run.state.Output !== undefined ? await this.jsonata(run, run.state.Output, 'Output', this.jsonataData(run)) : run.input };
    return { output: this.outputPath(run, this.inputPath(run)) };
  }

  private async fail(run: StateRun): Promise<never> {
    const { state } = run;
    const text = async (field: 'Error' | 'Cause'): Promise<string | undefined> => {
      const value = state[field];
      if (run.language === 'JSONata' && jsonataExpression(value) !== undefined) {
        const evaluated = await this.jsonata(run, value, field, this.jsonataData(run));
        return typeof evaluated === 'string' ? evaluated : jsonPreview(evaluated, 32_768);
      }
      if (value !== undefined) return value;
      const path = state[`${field}Path`];
      if (path === undefined) return undefined;
      const evaluated = this.guard(run, () => evaluateExpression(path, this.pathData(run, run.input), `${field}Path`));
      if (typeof evaluated !== 'string') throw this.stateError(run, new StatesError(States.Runtime, `The value of ${field}Path '${path}' must be a string, not ${jsonPreview(evaluated)}`));
      return evaluated;
    };
    // A Fail state without Error has an empty one, as Step Functions binds it.
    throw new StatesError((await text('Error')) ?? '', await text('Cause'));
  }

  // ---- Task, Parallel and Map: attempts, Retry and Catch. ----

  /**
   * Runs the attempts of a Task, Parallel or Map state: an error a Retrier matches is retried
   * while its MaxAttempts allow (a Retrier that is used up lets the error through to the
   * Catchers), then the first Catcher that matches the error takes it.
   */
  private async execute(run: StateRun, attempt: (effective: unknown) => Promise<{ output: unknown; assigned?: Record<string, unknown> }>): Promise<StateResult> {
    const { state } = run;
    const effective = run.language === 'JSONPath' ? this.inputPath(run) : run.input;
    const retriers = state.Retry ?? [];
    const attempts = retriers.map(() => 0);
    for (;;) {
      try {
        const { output, assigned } = await attempt(effective);
        // Checked here, where Retry and Catch can take States.DataLimitExceeded; runState reuses the text.
        const outputText = this.sized(output, () => `The state/task '${run.name}' returned a result with a size exceeding the maximum number of bytes service limit.`);
        return { output, next: state.Next, assigned, outputText };
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        if (this.fatal) throw this.fatal;
        const error = err instanceof StatesError ? err : this.stateError(run, err);
        const r = retriers.findIndex((retrier) => errorMatches(retrier.ErrorEquals, error.error));
        if (r >= 0 && attempts[r] < (retriers[r].MaxAttempts ?? 3)) {
          const delay = retryDelayMs(retriers[r], attempts[r]);
          attempts[r]++;
          // A new object: values read from `$$` before keep the count they were read with.
          run.context = { ...run.context, State: { ...run.context.State, RetryCount: run.context.State.RetryCount + 1 } };
          await this.sleep(delay, run.signal);
          continue;
        }
        const catcher = state.Catch?.find((c) => errorMatches(c.ErrorEquals, error.error));
        if (!catcher) throw error;
        return this.caught(run, catcher, error);
      }
    }
  }

  /** A Catcher's output: the error output `{Error, Cause}` at its ResultPath in the raw input (JSONPath), or its Output (JSONata). */
  private async caught(run: StateRun, catcher: Catcher, error: StatesError): Promise<StateResult> {
    const errorOutput = { Error: error.error, Cause: error.cause ?? '' };
    if (run.language === 'JSONata') {
      const data = this.jsonataData(run, { errorOutput });
      const output = catcher.Output !== undefined ? await this.jsonata(run, catcher.Output, 'Output', data) : errorOutput;
      return { output, next: catcher.Next, assigned: catcher.Assign ? await this.assignJsonata(run, catcher.Assign, data) : undefined };
    }
    // The catcher's output is not filtered by the state's OutputPath.
    const output = this.resultPath(run, catcher.ResultPath, errorOutput);
    return { output, next: catcher.Next, assigned: catcher.Assign ? this.assignJsonPath(run, catcher.Assign, errorOutput) : undefined };
  }

  /** After the attempt: ResultSelector, ResultPath, OutputPath and Assign (JSONPath) or Output and Assign (JSONata). */
  private async finish(run: StateRun, result: unknown, context: ContextObject = run.context): Promise<{ output: unknown; assigned?: Record<string, unknown> }> {
    const { state } = run;
    if (run.language === 'JSONata') {
      const data = this.jsonataData(run, { result, context });
      const output = state.Output !== undefined ? await this.jsonata(run, state.Output, 'Output', data) : result;
      return { output, assigned: state.Assign ? await this.assignJsonata(run, state.Assign, data) : undefined };
    }
    // Assign reads the result as ResultSelector does, before ResultSelector and ResultPath shape it.
    const assigned = state.Assign ? this.assignJsonPath(run, state.Assign, result, context) : undefined;
    const selected = state.ResultSelector !== undefined ? this.template(run, state.ResultSelector, result, context) : result;
    return { output: this.outputPath(run, this.resultPath(run, state.ResultPath, selected)), assigned };
  }

  private async taskAttempt(run: StateRun, effective: unknown): Promise<{ output: unknown; assigned?: Record<string, unknown> }> {
    const { state } = run;
    const token = this.env.newToken?.() ?? randomBytes(48).toString('base64');
    const context: ContextObject = { ...run.context, Task: { Token: token } };
    let input: unknown;
    let credentials: unknown;
    if (run.language === 'JSONata') {
      const data = this.jsonataData(run, { context });
      input = state.Arguments !== undefined ? await this.jsonata(run, state.Arguments, 'Arguments', data) : run.input;
      if (state.Credentials !== undefined) credentials = await this.jsonata(run, state.Credentials, 'Credentials', data);
    } else {
      input = state.Parameters !== undefined ? this.template(run, state.Parameters, effective, context) : effective;
      if (state.Credentials !== undefined) credentials = this.template(run, state.Credentials, effective, context);
    }
    const timeoutSeconds = await this.numberField(run, 'TimeoutSeconds', effective, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
    const heartbeatSeconds = await this.numberField(run, 'HeartbeatSeconds', effective, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
    const result = await this.callTask(run, { resource: state.Resource!, input, taskToken: token, timeoutSeconds, heartbeatSeconds, credentials, context });
    return this.finish(run, result, context);
  }

  /** Calls the runner, racing TimeoutSeconds and the execution's end; the task's history events. */
  private async callTask(run: StateRun, call: Omit<TaskCall, 'signal' | 'stateName'>): Promise<unknown> {
    const { events, details } = taskResource(call.resource);
    const parameters = this.sized(call.input, () => `The state/task '${run.name}' has an input with a size exceeding the maximum number of bytes service limit.`);
    this.emit(run.flow, events.scheduled, {
      ...details,
      parameters,
      ...(call.timeoutSeconds !== undefined ? { timeoutInSeconds: call.timeoutSeconds } : {}),
      ...(call.heartbeatSeconds !== undefined ? { heartbeatInSeconds: call.heartbeatSeconds } : {}),
    });
    this.emit(run.flow, events.started, details);
    const { controller, release } = childController(run.signal);
    const timer = new AbortController();
    let timedOut = false;
    if (call.timeoutSeconds !== undefined) {
      this.env.sleep(call.timeoutSeconds * 1000, timer.signal).then(
        () => {
          timedOut = true;
          controller.abort();
        },
        () => {},
      );
    }
    let result: unknown;
    try {
      const pending = (async () => this.env.runTask({ ...call, input: structuredClone(call.input), signal: controller.signal, stateName: run.name }))();
      // It may settle after the execution stopped waiting for it.
      pending.catch(() => {});
      result = await untilAborted(pending, controller.signal);
    } catch (err) {
      if (run.signal.aborted) throw new Interrupted();
      const error = timedOut ? new StatesError(States.Timeout) : asStatesError(err);
      const timeout = error.error === States.Timeout || error.error === States.HeartbeatTimeout;
      this.emit(run.flow, timeout ? events.timedOut : events.failed, { ...details, ...errorDetails(error) });
      throw error;
    } finally {
      timer.abort();
      release();
    }
    if (result === undefined) result = null;
    const output = this.sized(result, () => `The state/task '${run.name}' returned a result with a size exceeding the maximum number of bytes service limit.`);
    this.emit(run.flow, events.succeeded, { ...details, output, outputDetails: { truncated: false } });
    return result;
  }

  private async parallelAttempt(run: StateRun, effective: unknown): Promise<{ output: unknown; assigned?: Record<string, unknown> }> {
    const { state } = run;
    let input: unknown;
    if (run.language === 'JSONata') input = state.Arguments !== undefined ? await this.jsonata(run, state.Arguments, 'Arguments', this.jsonataData(run)) : run.input;
    else input = state.Parameters !== undefined ? this.template(run, state.Parameters, effective) : effective;
    const started = this.emit(run.flow, 'ParallelStateStarted');
    const { controller, release } = childController(run.signal);
    let failure: unknown;
    const settled = await Promise.allSettled(
      (state.Branches ?? []).map(async (branch) => {
        try {
          return await this.runStates(branch, input, new VariableScope(run.scope), { last: started }, controller.signal);
        } catch (err) {
          // The first branch to fail fails the state; the others are stopped.
          if (failure === undefined && !(err instanceof Interrupted)) {
            failure = err;
            controller.abort();
          }
          throw err;
        }
      }),
    );
    release();
    this.settle(run, failure);
    return this.finish(run, settled.map((s) => (s as PromiseFulfilledResult<unknown>).value));
  }

  private async mapAttempt(run: StateRun, effective: unknown): Promise<{ output: unknown; assigned?: Record<string, unknown> }> {
    const { state } = run;
    let items: unknown;
    if (run.language === 'JSONata') items = state.Items !== undefined ? await this.jsonata(run, state.Items, 'Items', this.jsonataData(run)) : run.input;
    else items = state.ItemsPath !== undefined && state.ItemsPath !== '$' ? this.guard(run, () => readPath(state.ItemsPath!, this.pathData(run, effective))) : effective;
    if (!Array.isArray(items)) throw this.stateError(run, new StatesError(States.Runtime, `The Map state's items${state.ItemsPath ? ` at '${state.ItemsPath}'` : ''} must be an array, not ${jsonPreview(items)}`));
    const maxConcurrency = await this.numberField(run, 'MaxConcurrency', effective, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
    const toleratedCount = await this.numberField(run, 'ToleratedFailureCount', effective, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
    const toleratedPercentage = await this.numberField(run, 'ToleratedFailurePercentage', effective, (n) => n >= 0 && n <= 100, 'a number from 0 to 100');
    const processor = (state.ItemProcessor ?? state.Iterator)!;
    const selector = state.ItemSelector ?? (run.language === 'JSONPath' ? state.Parameters : undefined);

    // The input of iteration i: the item, or what ItemSelector makes of it with $$.Map.Item.
    const select = async (value: unknown, index: number): Promise<unknown> => {
      if (selector === undefined) return value;
      const context: ContextObject = { ...run.context, Map: { Item: { Index: index, Value: value } } };
      if (run.language === 'JSONata') return this.jsonata(run, selector, 'ItemSelector', this.jsonataData(run, { context }));
      return this.template(run, selector, effective, context);
    };
    let inputs: Array<() => Promise<unknown>> = items.map((item, i) => () => select(item, i));
    if (state.ItemBatcher) inputs = (await this.batches(run, items, select, effective)).map((batch) => () => Promise.resolve(batch));

    const started = this.emit(run.flow, 'MapStateStarted', { length: inputs.length });
    const { controller, release } = childController(run.signal);
    const results: unknown[] = new Array(inputs.length).fill(null);
    const tolerant = toleratedCount !== undefined || toleratedPercentage !== undefined;
    const exceeded = (failed: number) => (toleratedCount !== undefined && failed > toleratedCount) || (toleratedPercentage !== undefined && (failed * 100) / inputs.length > toleratedPercentage);
    let failure: unknown;
    let failed = 0;
    let next = 0;
    const fail = (err: unknown) => {
      if (failure === undefined) failure = err;
      controller.abort();
    };
    const worker = async () => {
      while (!controller.signal.aborted && next < inputs.length) {
        const index = next++;
        let input: unknown;
        let inputText: string;
        try {
          input = await inputs[index]();
          inputText = this.sized(input, () => `The iteration ${index} of the Map state '${run.name}' has an input with a size exceeding the maximum number of bytes service limit.`);
        } catch (err) {
          return fail(err);
        }
        const flow: Flow = { last: started };
        try {
          this.emit(flow, 'MapIterationStarted', { name: run.name, index });
          results[index] = await this.runStates(processor, input, new VariableScope(run.scope), flow, controller.signal, inputText);
          this.emit(flow, 'MapIterationSucceeded', { name: run.name, index });
        } catch (err) {
          if (err instanceof Interrupted) {
            this.emitQuietly(flow, 'MapIterationAborted', { name: run.name, index });
            return;
          }
          this.emitQuietly(flow, 'MapIterationFailed', { name: run.name, index });
          const error = internalError(err);
          if (!tolerant || this.fatal || error.error === States.Runtime) return fail(err);
          results[index] = { Error: error.error, Cause: error.cause ?? '' };
          if (exceeded(++failed)) return fail(new StatesError(States.ExceedToleratedFailureThreshold, `The specified tolerated failure threshold was exceeded: ${failed} of ${inputs.length} iterations failed.`));
        }
      }
    };
    const limit = Math.min(maxConcurrency || this.limits.maxMapConcurrency, this.limits.maxMapConcurrency, inputs.length);
    await Promise.all(Array.from({ length: limit }, worker));
    release();
    this.settle(run, failure);
    return this.finish(run, results);
  }

  /** The end of a Parallel's branches or a Map's iterations: the first failure fails the state, else it succeeds (its `StateFailed` / `StateSucceeded` event). */
  private settle(run: StateRun, failure: unknown): void {
    if (failure !== undefined) {
      const error = internalError(failure);
      this.emitQuietly(run.flow, `${run.state.Type}StateFailed`, errorDetails(error));
      throw error;
    }
    if (run.signal.aborted) throw new Interrupted();
    this.emit(run.flow, `${run.state.Type}StateSucceeded`);
  }

  /** ItemBatcher: the (selected) items in batches `{Items, BatchInput}` of at most MaxItemsPerBatch items and MaxInputBytesPerBatch bytes. */
  private async batches(run: StateRun, items: unknown[], select: (value: unknown, index: number) => Promise<unknown>, effective: unknown): Promise<unknown[]> {
    const batcher = run.state.ItemBatcher!;
    const read = (path: string | undefined, value: number | undefined) => (path !== undefined ? this.guard(run, () => readPath(path, this.pathData(run, effective))) : value);
    const maxItems = read(batcher.MaxItemsPerBatchPath, batcher.MaxItemsPerBatch);
    const maxBytes = read(batcher.MaxInputBytesPerBatchPath, batcher.MaxInputBytesPerBatch);
    for (const [field, value] of [['MaxItemsPerBatch', maxItems], ['MaxInputBytesPerBatch', maxBytes]] as const) {
      if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) throw this.stateError(run, new StatesError(States.Runtime, `The ItemBatcher's ${field} must be a positive integer, not ${jsonPreview(value)}`));
    }
    const batchInput = batcher.BatchInput === undefined ? undefined : run.language === 'JSONata' ? await this.jsonata(run, batcher.BatchInput, 'ItemBatcher.BatchInput', this.jsonataData(run)) : this.template(run, batcher.BatchInput, effective);
    const batches: unknown[][] = [];
    let batch: unknown[] = [];
    let bytes = 0;
    for (let i = 0; i < items.length; i++) {
      const item = await select(items[i], i);
      const size = Buffer.byteLength(this.sized(item, () => `The item ${i} of the Map state '${run.name}' has a size exceeding the maximum number of bytes service limit.`));
      if (batch.length && ((maxItems !== undefined && batch.length >= (maxItems as number)) || (maxBytes !== undefined && bytes + size > (maxBytes as number)))) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += size;
    }
    if (batch.length) batches.push(batch);
    return batches.map((Items) => (batchInput === undefined ? { Items } : { BatchInput: batchInput, Items }));
  }
}
