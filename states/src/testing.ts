// For tests: an ExecutionEnv whose time moves only by the waits asked of it (each sleep resolves
// at once and moves the clock on), whose tasks are functions of the test, and that keeps what it
// was asked (calls, sleeps) and the history.
import { checkDefinition, type Definition } from './definition.js';
import { StatesError } from './errors.js';
import { runStateMachine, type ContextObject, type ExecutionEnv, type ExecutionLimits, type ExecutionOutcome, type HistoryEvent, type TaskCall } from './interpreter.js';

export type FakeTask = (call: TaskCall) => unknown;

export interface FakeEnv extends ExecutionEnv {
  calls: TaskCall[];
  /** The ms of each sleep asked, in order. */
  sleeps: number[];
  events: HistoryEvent[];
  /** The clock (ms since the epoch): moves by each sleep. */
  time: number;
}

export const START = Date.parse('2026-01-01T00:00:00Z');

/** `tasks` by resource (or one function for all); a task that is missing fails with States.TaskFailed. */
export function fakeEnv(tasks: Record<string, FakeTask> | FakeTask = {}, limits?: Partial<ExecutionLimits>): FakeEnv {
  let tokens = 0;
  const env: FakeEnv = {
    calls: [],
    sleeps: [],
    events: [],
    time: START,
    limits,
    now: () => env.time,
    newToken: () => `token-${++tokens}`,
    onEvent: (e) => env.events.push(e),
    sleep: async (ms, signal) => {
      if (signal.aborted) throw new Error('aborted');
      env.sleeps.push(ms);
      env.time += ms;
    },
    runTask: async (call) => {
      env.calls.push(call);
      const task = typeof tasks === 'function' ? tasks : tasks[call.resource];
      if (!task) throw new StatesError('States.TaskFailed', `no fake task for ${call.resource}`);
      return task(call);
    },
  };
  return env;
}

export const EXECUTION: ContextObject['Execution'] = {
  Id: 'arn:aws:states:us-east-1:123456789012:execution:Machine:run-1',
  Input: {},
  Name: 'run-1',
  RoleArn: 'arn:aws:iam::123456789012:role/machine-role',
  StartTime: new Date(START).toISOString(),
};
export const STATE_MACHINE: ContextObject['StateMachine'] = { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine', Name: 'Machine' };

/** Checks the definition (it must pass our own checks; asl-validator's are left to the tests of checkDefinition) and runs it. */
export async function execute(definition: unknown, input: unknown = {}, env: FakeEnv = fakeEnv(), signal: AbortSignal = new AbortController().signal): Promise<ExecutionOutcome> {
  const checked = checkDefinition(definition, { schema: false });
  if (!checked.ok) throw new Error(`the definition does not pass its checks:\n${checked.errors.join('\n')}`);
  return runStateMachine(checked.definition as Definition, input, { execution: { ...EXECUTION, Input: input }, stateMachine: STATE_MACHINE }, env, signal);
}

/** A machine of one state (named S) that ends. */
export function oneState(state: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...top, StartAt: 'S', States: { S: { ...state, ...(['Choice', 'Succeed', 'Fail'].includes(String(state.Type)) || 'Next' in state ? {} : { End: true }) } } };
}
