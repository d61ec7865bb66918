import { describe, expect, it } from 'vitest';
import { StatesError } from './errors.js';
import { execute, EXECUTION, fakeEnv, oneState, START, STATE_MACHINE, type FakeEnv } from './testing.js';
import { retryDelayMs, taskResource, type TaskCall } from './interpreter.js';

const LAMBDA = 'arn:aws:states:::lambda:invoke';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:Fn';

function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const types = (env: FakeEnv) => env.events.map((e) => e.type);
const never = () => new Promise<never>(() => {});
/** A sleep that waits until its signal aborts (TimeoutSeconds that never come). */
const sleepUntilAborted = (_ms: number, signal: AbortSignal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

describe('Pass and input/output processing', () => {
  it('selects with InputPath (the docs example)', async () => {
    const input = { comment: 'Example for InputPath.', dataset1: { val1: 1, val2: 2, val3: 3 }, dataset2: { val1: 'a', val2: 'b', val3: 'c' } };
    expect(await execute(oneState({ Type: 'Pass', InputPath: '$.dataset2' }), input)).toEqual({ status: 'SUCCEEDED', output: { val1: 'a', val2: 'b', val3: 'c' } });
    expect(await execute(oneState({ Type: 'Pass', InputPath: '$.a[0:2]' }), { a: [1, 2, 3, 4] })).toEqual({ status: 'SUCCEEDED', output: [1, 2] });
  });

  it('builds Parameters from static values and paths (the docs example)', async () => {
    const input = { comment: 'Example for Parameters.', product: { details: { color: 'blue', size: 'small', material: 'cotton' }, availability: 'in stock', sku: '2317', cost: '$23' } };
    const parameters = { comment: 'Selecting what I care about.', MyDetails: { 'size.$': '$.product.details.size', 'exists.$': '$.product.availability', StaticValue: 'foo' } };
    expect(await execute(oneState({ Type: 'Pass', Parameters: parameters }), input)).toEqual({
      status: 'SUCCEEDED',
      output: { comment: 'Selecting what I care about.', MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' } },
    });
  });

  it('places the result with ResultPath: replace, discard, add (the docs examples)', async () => {
    const input = { comment: 'This is a test of the input and output of a Task state.', details: 'Default example', who: 'AWS Step Functions' };
    const hello = fakeEnv({ [LAMBDA]: (c) => `Hello, ${(c.input as { who: string }).who}!` });
    const task = (extra: Record<string, unknown>) => oneState({ Type: 'Task', Resource: LAMBDA, ...extra });
    expect(await execute(task({}), input, hello)).toEqual({ status: 'SUCCEEDED', output: 'Hello, AWS Step Functions!' });
    expect(await execute(task({ ResultPath: null }), input, hello)).toEqual({ status: 'SUCCEEDED', output: input });
    expect(await execute(task({ ResultPath: '$.taskresult' }), input, hello)).toEqual({ status: 'SUCCEEDED', output: { ...input, taskresult: 'Hello, AWS Step Functions!' } });
    expect(await execute(oneState({ Type: 'Pass', Result: 1, ResultPath: '$.a.b.c' }), { a: { x: 0 } })).toEqual({ status: 'SUCCEEDED', output: { a: { x: 0, b: { c: 1 } } } });
  });

  it('applies InputPath, ResultPath and OutputPath together: ResultPath goes into the raw input (the docs example)', async () => {
    const input = { comment: 'An input comment.', data: { val1: 23, val2: 17 }, extra: 'foo', lambda: { who: 'AWS Step Functions' } };
    const env = fakeEnv({ [LAMBDA]: (c) => `Hello, ${(c.input as { who: string }).who}!` });
    const outcome = await execute(oneState({ Type: 'Task', Resource: LAMBDA, InputPath: '$.lambda', ResultPath: '$.data.lambdaresult', OutputPath: '$.data' }), input, env);
    expect(env.calls[0].input).toEqual({ who: 'AWS Step Functions' });
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { val1: 23, val2: 17, lambdaresult: 'Hello, AWS Step Functions!' } });
  });

  it('shapes the raw result with ResultSelector before ResultPath (the docs example)', async () => {
    const result = {
      resourceType: 'elasticmapreduce',
      resource: 'createCluster.sync',
      output: { SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: '1234-5678-9012' }, ClusterId: 'AKIAIOSFODNN7EXAMPLE' },
    };
    const env = fakeEnv({ 'arn:aws:states:::elasticmapreduce:createCluster.sync': () => result });
    const outcome = await execute(
      oneState({ Type: 'Task', Resource: 'arn:aws:states:::elasticmapreduce:createCluster.sync', ResultSelector: { 'ClusterId.$': '$.output.ClusterId', 'ResourceType.$': '$.resourceType', static: 1 }, ResultPath: '$.EMROutput' }),
      { cluster: 'c' },
      env,
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { cluster: 'c', EMROutput: { ClusterId: 'AKIAIOSFODNN7EXAMPLE', ResourceType: 'elasticmapreduce', static: 1 } } });
  });

  it('flattens an array of arrays with ResultSelector (the docs example)', async () => {
    const branch = (name: string, result: unknown) => ({ StartAt: name, States: { [name]: { Type: 'Pass', Result: result, End: true } } });
    const outcome = await execute(oneState({ Type: 'Parallel', Branches: [branch('R1', [{ a: 1 }, { a: 2 }]), branch('R2', [{ a: 3 }])], ResultSelector: { 'flattenArray.$': '$[*][*]' } }));
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { flattenArray: [{ a: 1 }, { a: 2 }, { a: 3 }] } });
  });

  it('discards with null InputPath and OutputPath, and gives the context object at $$', async () => {
    expect(await execute(oneState({ Type: 'Pass', InputPath: null }), { a: 1 })).toEqual({ status: 'SUCCEEDED', output: {} });
    expect(await execute(oneState({ Type: 'Pass', OutputPath: null }), { a: 1 })).toEqual({ status: 'SUCCEEDED', output: {} });
    const outcome = await execute(
      oneState({ Type: 'Pass', Parameters: { 'id.$': '$$.Execution.Id', 'state.$': '$$.State.Name', 'entered.$': '$$.State.EnteredTime', 'machine.$': '$$.StateMachine.Name', 'input.$': '$$.Execution.Input', 'retries.$': '$$.State.RetryCount' } }),
      { x: 1 },
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { id: EXECUTION.Id, state: 'S', entered: new Date(START).toISOString(), machine: STATE_MACHINE.Name, input: { x: 1 }, retries: 0 } });
  });

  it('fails with States.Runtime, worded as Step Functions words it, when a path names nothing', async () => {
    expect(await execute(oneState({ Type: 'Pass', InputPath: '$.foo' }), { a: 1 })).toEqual({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "An error occurred while executing the state 'S' (entered at the event id #2). Invalid path '$.foo' : No results for path: $['foo']",
    });
    expect(await execute(oneState({ Type: 'Pass', Parameters: { 'bar.$': '$.foo' } }), { a: 1 })).toEqual({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$.foo' specified for the field 'bar.$' could not be found in the input '{\"a\":1}'",
    });
    expect(await execute(oneState({ Type: 'Pass', OutputPath: '$.b' }), { a: 1 })).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining("Invalid path '$.b' : No results for path: $['b']") });
  });

  it('fails with States.ResultPathMatchFailure when the result cannot be placed', async () => {
    expect(await execute(oneState({ Type: 'Pass', Result: 1, ResultPath: '$.a.b' }), 'text')).toEqual({
      status: 'FAILED',
      error: 'States.ResultPathMatchFailure',
      cause: "An error occurred while executing the state 'S' (entered at the event id #2). Unable to apply ResultPath \"$.a.b\" to input \"text\"",
    });
  });

  it('evaluates intrinsic functions, failing with States.IntrinsicFailure', async () => {
    expect(await execute(oneState({ Type: 'Pass', Parameters: { 'greeting.$': "States.Format('Hello, {}', $.name)", 'n.$': 'States.ArrayLength($.list)' } }), { name: 'Ann', list: [1, 2] })).toEqual({
      status: 'SUCCEEDED',
      output: { greeting: 'Hello, Ann', n: 2 },
    });
    expect(await execute(oneState({ Type: 'Pass', Parameters: { 'x.$': 'States.ArrayGetItem($.list, 5)' } }), { list: [1] })).toMatchObject({ status: 'FAILED', error: 'States.IntrinsicFailure' });
  });
});

describe('Task', () => {
  it('calls the runner with the effective input, a token per attempt (also at $$.Task.Token) and its settings', async () => {
    const env = fakeEnv({ [LAMBDA]: (c) => ({ Payload: c.input }) });
    env.sleep = sleepUntilAborted;
    const outcome = await execute(
      oneState({ Type: 'Task', Resource: LAMBDA, Parameters: { FunctionName: 'f', 'Payload.$': '$', 'token.$': '$$.Task.Token' }, TimeoutSecondsPath: '$.timeout', HeartbeatSecondsPath: '$.heartbeat', Credentials: { 'RoleArn.$': '$.role' } }),
      { timeout: 30, heartbeat: 5, role: 'arn:aws:iam::123456789012:role/r' },
      env,
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { Payload: { FunctionName: 'f', Payload: { timeout: 30, heartbeat: 5, role: 'arn:aws:iam::123456789012:role/r' }, token: 'token-1' } } });
    const call: TaskCall = env.calls[0];
    expect(call).toMatchObject({ resource: LAMBDA, taskToken: 'token-1', timeoutSeconds: 30, heartbeatSeconds: 5, credentials: { RoleArn: 'arn:aws:iam::123456789012:role/r' }, stateName: 'S' });
    expect(call.context).toMatchObject({ Task: { Token: 'token-1' }, State: { Name: 'S', RetryCount: 0 }, Execution: { Id: EXECUTION.Id } });
  });

  it('turns what a runner throws into ASL errors: StatesError as it is, anything else States.TaskFailed', async () => {
    const failing = (err: unknown) => execute(oneState({ Type: 'Task', Resource: LAMBDA }), {}, fakeEnv({ [LAMBDA]: () => Promise.reject(err) }));
    expect(await failing(new StatesError('CustomError', 'it broke'))).toEqual({ status: 'FAILED', error: 'CustomError', cause: 'it broke' });
    expect(await failing(new Error('boom'))).toEqual({ status: 'FAILED', error: 'States.TaskFailed', cause: 'boom' });
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA }), {}, fakeEnv({ [LAMBDA]: () => { throw new Error('sync boom'); } }))).toEqual({ status: 'FAILED', error: 'States.TaskFailed', cause: 'sync boom' });
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA }), {}, fakeEnv({ [LAMBDA]: () => undefined }))).toEqual({ status: 'SUCCEEDED', output: null });
  });

  it('reports its history as Step Functions names it', async () => {
    const env = fakeEnv({ [LAMBDA]: () => ({ ok: true }), [FN]: () => 'done' });
    await execute({ StartAt: 'A', States: { A: { Type: 'Task', Resource: LAMBDA, Parameters: { x: 1 }, Next: 'B' }, B: { Type: 'Task', Resource: FN, End: true } } }, { in: 1 }, env);
    expect(env.events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 1, 'TaskStateEntered'],
      [3, 2, 'TaskScheduled'],
      [4, 3, 'TaskStarted'],
      [5, 4, 'TaskSucceeded'],
      [6, 5, 'TaskStateExited'],
      [7, 6, 'TaskStateEntered'],
      [8, 7, 'LambdaFunctionScheduled'],
      [9, 8, 'LambdaFunctionStarted'],
      [10, 9, 'LambdaFunctionSucceeded'],
      [11, 10, 'TaskStateExited'],
      [12, 11, 'ExecutionSucceeded'],
    ]);
    expect(env.events[0].details).toEqual({ input: '{"in":1}', inputDetails: { truncated: false }, roleArn: EXECUTION.RoleArn });
    expect(env.events[1].details).toEqual({ name: 'A', input: '{"in":1}', inputDetails: { truncated: false } });
    expect(env.events[2].details).toEqual({ resourceType: 'lambda', resource: 'invoke', parameters: '{"x":1}' });
    expect(env.events[4].details).toMatchObject({ output: '{"ok":true}' });
    expect(env.events[11].details).toEqual({ output: '"done"', outputDetails: { truncated: false } });
    expect(env.events.every((e) => e.timestamp === START)).toBe(true);
  });

  it('names resources in history as Step Functions does', () => {
    expect(taskResource('arn:aws:states:::aws-sdk:dynamodb:putItem').details).toEqual({ resourceType: 'aws-sdk:dynamodb', resource: 'putItem' });
    expect(taskResource('arn:aws:states:::sqs:sendMessage.waitForTaskToken').details).toEqual({ resourceType: 'sqs', resource: 'sendMessage.waitForTaskToken' });
    expect(taskResource('arn:aws:states:us-east-1:123456789012:activity:Work').events.scheduled).toBe('ActivityScheduled');
  });
});

describe('Retry', () => {
  const failTimes = (n: number, error = 'States.TaskFailed') => {
    let calls = 0;
    return fakeEnv({ [LAMBDA]: (c) => (++calls <= n ? Promise.reject(new StatesError(error, `attempt ${calls}`)) : { attempt: calls, retries: c.context.State.RetryCount, token: c.taskToken }) });
  };

  it('backs off 1s, 2s, 4s by default, with a new token and $$.State.RetryCount each attempt', async () => {
    const env = failTimes(3);
    const outcome = await execute(oneState({ Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['States.TaskFailed'] }] }), {}, env);
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { attempt: 4, retries: 3, token: 'token-4' } });
    expect(env.sleeps).toEqual([1000, 2000, 4000]);
    expect(types(env).filter((t) => t === 'TaskFailed')).toHaveLength(3);
  });

  it('fails once MaxAttempts (default 3) are used; 0 never retries', async () => {
    const env = failTimes(10);
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['States.ALL'] }] }), {}, env)).toEqual({ status: 'FAILED', error: 'States.TaskFailed', cause: 'attempt 4' });
    expect(env.sleeps).toEqual([1000, 2000, 4000]);
    const once = failTimes(10);
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 0 }] }), {}, once)).toMatchObject({ status: 'FAILED', cause: 'attempt 1' });
    expect(once.sleeps).toEqual([]);
  });

  it('uses IntervalSeconds, BackoffRate and caps each wait at MaxDelaySeconds', async () => {
    const env = failTimes(4);
    await execute(oneState({ Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, BackoffRate: 3, MaxDelaySeconds: 10, MaxAttempts: 5 }] }), {}, env);
    expect(env.sleeps).toEqual([2000, 6000, 10000, 10000]);
    expect(retryDelayMs({ ErrorEquals: [], IntervalSeconds: 4, JitterStrategy: 'FULL' }, 1, () => 0.25)).toBe(2000);
    expect(retryDelayMs({ ErrorEquals: [], IntervalSeconds: 1, BackoffRate: 1.5 }, 2)).toBe(2250);
  });

  it('takes the first retrier that matches; one used up lets the error through to the catchers', async () => {
    const env = failTimes(10, 'Custom');
    const outcome = await execute(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['Custom'], MaxAttempts: 1 }, { ErrorEquals: ['States.ALL'], MaxAttempts: 5 }], Catch: [{ ErrorEquals: ['Custom'], Next: 'Caught' }], End: true },
          Caught: { Type: 'Pass', End: true },
        },
      },
      {},
      env,
    );
    expect(env.sleeps).toEqual([1000]);
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { Error: 'Custom', Cause: 'attempt 2' } });
  });

  it('never retries States.Runtime', async () => {
    const env = fakeEnv({ [LAMBDA]: () => 1 });
    const outcome = await execute(oneState({ Type: 'Task', Resource: LAMBDA, Parameters: { 'x.$': '$.missing' }, Retry: [{ ErrorEquals: ['States.ALL'] }, ] }), {}, env);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(env.sleeps).toEqual([]);
    expect(env.calls).toEqual([]);
  });
});

describe('Catch', () => {
  const catching = (catcher: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    StartAt: 'T',
    States: { T: { Type: 'Task', Resource: LAMBDA, Catch: [{ Next: 'Recover', ...catcher }], End: true, ...extra }, Recover: { Type: 'Pass', End: true } },
  });
  const throwing = (error: string, cause?: string) => fakeEnv({ [LAMBDA]: () => Promise.reject(new StatesError(error, cause)) });

  it('puts the error output at the catcher\'s ResultPath in the raw input (the docs example)', async () => {
    const env = throwing('Error here', 'details');
    const outcome = await execute(catching({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' }), { foo: 'bar' }, env);
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { foo: 'bar', error: { Error: 'Error here', Cause: 'details' } } });
    expect(types(env)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  });

  it('replaces the input with the error output by default; the state\'s OutputPath does not apply', async () => {
    expect(await execute(catching({ ErrorEquals: ['Custom'] }, { OutputPath: '$.kept' }), { kept: 1 }, throwing('Custom'))).toEqual({ status: 'SUCCEEDED', output: { Error: 'Custom', Cause: '' } });
  });

  it('assigns variables from the error output', async () => {
    const definition = {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Use', Assign: { 'failure.$': '$.Error' } }], End: true }, Use: { Type: 'Pass', Parameters: { 'was.$': '$failure' }, End: true } },
    };
    expect(await execute(definition, {}, throwing('Custom', 'c'))).toEqual({ status: 'SUCCEEDED', output: { was: 'Custom' } });
  });

  it('matches as Step Functions does: States.ALL not States.Runtime, States.TaskFailed not timeouts, States.Timeout heartbeats too', async () => {
    expect(await execute(catching({ ErrorEquals: ['States.ALL'] }, { Parameters: { 'x.$': '$.missing' } }), {}, throwing('X'))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(await execute(catching({ ErrorEquals: ['States.Runtime'] }, { Parameters: { 'x.$': '$.missing' } }), {}, throwing('X'))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(await execute(catching({ ErrorEquals: ['States.TaskFailed'] }), {}, throwing('States.Timeout'))).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(await execute(catching({ ErrorEquals: ['States.TaskFailed'] }), {}, throwing('Lambda.ServiceException'))).toMatchObject({ status: 'SUCCEEDED' });
    expect(await execute(catching({ ErrorEquals: ['States.Timeout'] }), {}, throwing('States.HeartbeatTimeout'))).toEqual({ status: 'SUCCEEDED', output: { Error: 'States.HeartbeatTimeout', Cause: '' } });
    expect(await execute(catching({ ErrorEquals: ['Other'] }), {}, throwing('Custom', 'c'))).toEqual({ status: 'FAILED', error: 'Custom', cause: 'c' });
  });

  it('lets only a catcher that names it take States.DataLimitExceeded', async () => {
    const big = fakeEnv({ [LAMBDA]: () => 'x'.repeat(500) }, { maxPayloadBytes: 100 });
    expect(await execute(catching({ ErrorEquals: ['States.ALL'] }), {}, big)).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    const named = fakeEnv({ [LAMBDA]: () => 'x'.repeat(500) }, { maxPayloadBytes: 200 });
    expect(await execute(catching({ ErrorEquals: ['States.DataLimitExceeded'] }), {}, named)).toEqual({
      status: 'SUCCEEDED',
      output: { Error: 'States.DataLimitExceeded', Cause: "The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit." },
    });
  });
});

describe('Choice, Wait, Succeed, Fail', () => {
  const choose = { StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericLessThan: 10, Next: 'Small' }, { And: [{ Variable: '$.n', NumericGreaterThanEquals: 10 }, { Variable: '$.n', NumericLessThan: 100 }], Next: 'Medium' }], Default: 'Large' }, Small: { Type: 'Pass', Result: 'small', End: true }, Medium: { Type: 'Pass', Result: 'medium', End: true }, Large: { Type: 'Pass', Result: 'large', End: true } } };

  it('takes the first matching rule, else Default, else fails with States.NoChoiceMatched', async () => {
    expect(await execute(choose, { n: 5 })).toEqual({ status: 'SUCCEEDED', output: 'small' });
    expect(await execute(choose, { n: 50 })).toEqual({ status: 'SUCCEEDED', output: 'medium' });
    expect(await execute(choose, { n: 500 })).toEqual({ status: 'SUCCEEDED', output: 'large' });
    const noDefault = { ...choose, States: { ...choose.States, C: { ...choose.States.C, Default: undefined } } };
    expect(await execute(JSON.parse(JSON.stringify(noDefault)), { n: 500 })).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
    expect(await execute(choose, { m: 1 })).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining("Invalid path '$.n': The choice state's condition path references an invalid value.") });
  });

  it('passes its (filtered) input on', async () => {
    const definition = { StartAt: 'C', States: { C: { Type: 'Choice', InputPath: '$.in', OutputPath: '$.v', Choices: [{ Variable: '$.v', IsPresent: true, Next: 'E' }] }, E: { Type: 'Succeed' } } };
    expect(await execute(definition, { in: { v: 7 } })).toEqual({ status: 'SUCCEEDED', output: 7 });
  });

  it('waits Seconds, SecondsPath, until Timestamp or TimestampPath', async () => {
    const wait = async (state: Record<string, unknown>, input: unknown = {}) => {
      const env = fakeEnv();
      const outcome = await execute(oneState({ Type: 'Wait', ...state }), input, env);
      return { outcome, sleeps: env.sleeps, types: types(env) };
    };
    expect(await wait({ Seconds: 5 }, { a: 1 })).toEqual({ outcome: { status: 'SUCCEEDED', output: { a: 1 } }, sleeps: [5000], types: ['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'ExecutionSucceeded'] });
    expect((await wait({ SecondsPath: '$.s' }, { s: 7 })).sleeps).toEqual([7000]);
    expect((await wait({ Timestamp: '2026-01-01T00:01:00Z' })).sleeps).toEqual([60_000]);
    expect((await wait({ TimestampPath: '$.t' }, { t: '2025-12-31T00:00:00Z' })).sleeps).toEqual([]);
    expect((await wait({ SecondsPath: '$.s' }, { s: -1 })).outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('must be a non-negative integer, not -1') });
    expect((await wait({ TimestampPath: '$.t' }, { t: 'tomorrow' })).outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('succeeds with its filtered input', async () => {
    expect(await execute({ StartAt: 'S', States: { S: { Type: 'Succeed', InputPath: '$.a', OutputPath: '$.b' } } }, { a: { b: 2 } })).toEqual({ status: 'SUCCEEDED', output: 2 });
  });

  it('fails with Error and Cause, or ErrorPath and CausePath (paths or intrinsic functions)', async () => {
    const env = fakeEnv();
    expect(await execute({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Bad', Cause: 'why' } } }, {}, env)).toEqual({ status: 'FAILED', error: 'Bad', cause: 'why' });
    expect(types(env)).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
    expect(env.events[2].details).toEqual({ error: 'Bad', cause: 'why' });
    expect(await execute({ StartAt: 'F', States: { F: { Type: 'Fail', ErrorPath: '$.e', CausePath: "States.Format('order {} failed', $.id)" } } }, { e: 'OrderFailed', id: 42 })).toEqual({ status: 'FAILED', error: 'OrderFailed', cause: 'order 42 failed' });
    expect(await execute({ StartAt: 'F', States: { F: { Type: 'Fail' } } })).toEqual({ status: 'FAILED', error: '' });
  });
});

describe('Parallel', () => {
  it('outputs the branch outputs in branch order, whatever order they end in', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const env = fakeEnv(async (c) => gates[(c.input as { i: number }).i].promise);
    const branch = (i: number) => ({ StartAt: `B${i}`, States: { [`B${i}`]: { Type: 'Task', Resource: LAMBDA, Parameters: { i }, End: true } } });
    const running = execute(oneState({ Type: 'Parallel', Branches: [branch(0), branch(1), branch(2)], ResultPath: '$.results' }), { keep: true }, env);
    while (env.calls.length < 3) await new Promise((r) => setImmediate(r));
    gates[2].resolve('two');
    gates[0].resolve('zero');
    gates[1].resolve('one');
    expect(await running).toEqual({ status: 'SUCCEEDED', output: { keep: true, results: ['zero', 'one', 'two'] } });
    expect(types(env)).toContain('ParallelStateStarted');
    expect(types(env)).toContain('ParallelStateSucceeded');
  });

  it('gives each branch the Parameters output, and fails with the first failing branch\'s error, stopping the others', async () => {
    let slowSignal: AbortSignal | undefined;
    const env = fakeEnv({
      [LAMBDA]: (c) => {
        slowSignal = c.signal;
        return never();
      },
    });
    const definition = oneState({
      Type: 'Parallel',
      Parameters: { 'value.$': '$.v' },
      Branches: [
        { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: LAMBDA, End: true } } },
        { StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 1, Next: 'Fail' }, Fail: { Type: 'Fail', Error: 'BranchError', Cause: 'branch 2' } } },
      ],
    });
    expect(await execute(definition, { v: 1 }, env)).toEqual({ status: 'FAILED', error: 'BranchError', cause: 'branch 2' });
    expect(env.calls[0].input).toEqual({ value: 1 });
    expect(slowSignal?.aborted).toBe(true);
    expect(types(env)).toContain('ParallelStateFailed');
    expect(types(env)).toContain('TaskStateAborted');
  });

  it('links each branch\'s events in a flow of its own, from ParallelStateStarted', async () => {
    const env = fakeEnv();
    const branch = (name: string) => ({ StartAt: name, States: { [name]: { Type: 'Pass', End: true } } });
    await execute(oneState({ Type: 'Parallel', Branches: [branch('A'), branch('B')] }), {}, env);
    const byId = new Map(env.events.map((e) => [e.id, e]));
    const started = env.events.find((e) => e.type === 'ParallelStateStarted')!;
    for (const name of ['A', 'B']) {
      const entered = env.events.find((e) => e.type === 'PassStateEntered' && e.details?.name === name)!;
      const exited = env.events.find((e) => e.type === 'PassStateExited' && e.details?.name === name)!;
      expect(entered.previousEventId).toBe(started.id);
      expect(byId.get(exited.previousEventId)).toBe(entered);
    }
    expect(env.events.map((e) => e.id)).toEqual(env.events.map((_, i) => i + 1));
  });

  it('lets a Catch take a branch\'s error', async () => {
    const definition = {
      StartAt: 'P',
      States: {
        P: { Type: 'Parallel', Branches: [{ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'C' } } }], Catch: [{ ErrorEquals: ['E'], Next: 'Handled', ResultPath: '$.err' }], End: true },
        Handled: { Type: 'Pass', End: true },
      },
    };
    expect(await execute(definition, { a: 1 })).toEqual({ status: 'SUCCEEDED', output: { a: 1, err: { Error: 'E', Cause: 'C' } } });
  });
});

describe('Map', () => {
  const processor = { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA, End: true } } };

  it('runs each item, results in item order, with ItemSelector and $$.Map.Item', async () => {
    const env = fakeEnv(async (c) => {
      const { value, index } = c.input as { value: number; index: number };
      await new Promise((r) => setTimeout(r, (3 - index) * 3));
      return value * 10;
    });
    const outcome = await execute(
      oneState({ Type: 'Map', ItemsPath: '$.items', ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'tag.$': '$.tag' }, ItemProcessor: processor, ResultPath: '$.out' }),
      { items: [1, 2, 3], tag: 't' },
      env,
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { items: [1, 2, 3], tag: 't', out: [10, 20, 30] } });
    expect(env.calls.map((c) => c.input).sort((a, b) => (a as { index: number }).index - (b as { index: number }).index)).toEqual([
      { value: 1, index: 0, tag: 't' },
      { value: 2, index: 1, tag: 't' },
      { value: 3, index: 2, tag: 't' },
    ]);
    expect(types(env).filter((t) => t.startsWith('MapIteration'))).toHaveLength(6);
    expect(env.events.find((e) => e.type === 'MapStateStarted')?.details).toEqual({ length: 3 });
  });

  it('takes the older Iterator and Parameters, and a result per item through ResultSelector', async () => {
    const outcome = await execute(
      oneState({ Type: 'Map', Parameters: { 'v.$': '$$.Map.Item.Value' }, Iterator: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, ResultSelector: { 'all.$': '$[*].v' } }),
      ['a', 'b'],
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { all: ['a', 'b'] } });
  });

  it('fails with a failing iteration\'s error and stops the others', async () => {
    const signals: AbortSignal[] = [];
    const env = fakeEnv((c) => {
      signals.push(c.signal);
      return c.input === 'bad' ? Promise.reject(new StatesError('ItemError', 'bad item')) : never();
    });
    expect(await execute(oneState({ Type: 'Map', ItemProcessor: processor }), ['ok', 'bad', 'ok'], env)).toEqual({ status: 'FAILED', error: 'ItemError', cause: 'bad item' });
    expect(signals.filter((s) => s.aborted)).toHaveLength(2);
    expect(types(env)).toEqual(expect.arrayContaining(['MapIterationFailed', 'MapIterationAborted', 'MapStateFailed']));
  });

  it('tolerates failures up to ToleratedFailureCount / ToleratedFailurePercentage', async () => {
    const env = () => fakeEnv((c) => (typeof c.input === 'number' ? c.input : Promise.reject(new StatesError('Bad', String(c.input)))));
    expect(await execute(oneState({ Type: 'Map', ItemProcessor: processor, ToleratedFailureCount: 1 }), [1, 'x', 3], env())).toEqual({ status: 'SUCCEEDED', output: [1, { Error: 'Bad', Cause: 'x' }, 3] });
    expect(await execute(oneState({ Type: 'Map', ItemProcessor: processor, ToleratedFailureCount: 1, MaxConcurrency: 1 }), [1, 'x', 'y', 4], env())).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(await execute(oneState({ Type: 'Map', ItemProcessor: processor, ToleratedFailurePercentage: 50 }), [1, 'x', 'y', 4], env())).toMatchObject({ status: 'SUCCEEDED' });
    expect(await execute(oneState({ Type: 'Map', ItemProcessor: processor, ToleratedFailurePercentage: 25 }), [1, 'x', 'y', 4], env())).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
  });

  it('runs at most MaxConcurrency iterations at once, never more than maxMapConcurrency', async () => {
    const inFlight = async (state: Record<string, unknown>, items: number, limit?: number) => {
      let now = 0;
      let most = 0;
      const env = fakeEnv(async () => {
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 2));
        now--;
        return 1;
      }, limit === undefined ? undefined : { maxMapConcurrency: limit });
      const outcome = await execute(oneState({ Type: 'Map', ItemProcessor: processor, ...state }), Array.from({ length: items }, (_, i) => i), env);
      expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
      return most;
    };
    expect(await inFlight({ MaxConcurrency: 3 }, 12)).toBe(3);
    expect(await inFlight({ MaxConcurrency: 1 }, 4)).toBe(1);
    expect(await inFlight({}, 12, 4)).toBe(4);
    expect(await inFlight({ MaxConcurrency: 0 }, 12, 5)).toBe(5);
    expect(await inFlight({ MaxConcurrency: 100 }, 12, 6)).toBe(6);
    expect(await inFlight({}, 0)).toBe(0);
  });

  it('reads MaxConcurrencyPath from the effective input', async () => {
    let now = 0;
    let most = 0;
    const env = fakeEnv(async () => {
      most = Math.max(most, ++now);
      await new Promise((r) => setTimeout(r, 2));
      now--;
      return 1;
    });
    const outcome = await execute(oneState({ Type: 'Map', ItemsPath: '$.items', MaxConcurrencyPath: '$.parallelism', ItemProcessor: processor }), { parallelism: 2, items: [1, 2, 3, 4, 5, 6] }, env);
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: [1, 1, 1, 1, 1, 1] });
    expect(most).toBe(2);
    expect(await execute(oneState({ Type: 'Map', ItemsPath: '$.items', MaxConcurrencyPath: '$.parallelism', ItemProcessor: processor }), { parallelism: -1, items: [] })).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: expect.stringContaining("The value of MaxConcurrency at '$.parallelism' must be a non-negative integer, not -1"),
    });
  });

  it('fails with States.Runtime when the items are not an array', async () => {
    expect(await execute(oneState({ Type: 'Map', ItemsPath: '$.items', ItemProcessor: processor }), { items: 'no' })).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining("The Map state's items at '$.items' must be an array") });
  });

  it('batches items with ItemBatcher and runs a DISTRIBUTED Map inline', async () => {
    const outcome = await execute(
      oneState({
        Type: 'Map',
        ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'job.$': '$.job' } },
        ItemsPath: '$.items',
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      }),
      { job: 'j', items: [1, 2, 3] },
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: [{ BatchInput: { job: 'j' }, Items: [1, 2] }, { BatchInput: { job: 'j' }, Items: [3] }] });
  });
});

describe('timeouts and stopping', () => {
  it('fails a task with States.Timeout past TimeoutSeconds, aborting its signal', async () => {
    let signal: AbortSignal | undefined;
    const env = fakeEnv({
      [LAMBDA]: (c) => {
        signal = c.signal;
        return never();
      },
    });
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA, TimeoutSeconds: 5 }), {}, env)).toEqual({ status: 'FAILED', error: 'States.Timeout' });
    expect(env.sleeps).toEqual([5000]);
    expect(signal?.aborted).toBe(true);
    expect(types(env)).toContain('TaskTimedOut');
  });

  it('retries and catches a timeout like any error', async () => {
    const env = fakeEnv({ [LAMBDA]: never });
    const definition = { StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA, TimeoutSecondsPath: '$.t', Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1 }], Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }], End: true }, Late: { Type: 'Pass', End: true } } };
    expect(await execute(definition, { t: 2 }, env)).toEqual({ status: 'SUCCEEDED', output: { Error: 'States.Timeout', Cause: '' } });
    expect(env.sleeps).toEqual([2000, 1000, 2000]);
  });

  it('times the execution out past its TimeoutSeconds: TIMED_OUT, the running task aborted', async () => {
    const started = deferred<void>();
    let signal: AbortSignal | undefined;
    const env = fakeEnv({
      [LAMBDA]: (c) => {
        signal = c.signal;
        started.resolve();
        return never();
      },
    });
    env.sleep = async (ms) => {
      env.sleeps.push(ms);
      await started.promise;
    };
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA }, { TimeoutSeconds: 60 }), {}, env)).toEqual({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(env.sleeps).toEqual([60_000]);
    expect(signal?.aborted).toBe(true);
    expect(types(env).slice(-2)).toEqual(['TaskStateAborted', 'ExecutionTimedOut']);
  });

  it('stops when its signal aborts: ABORTED, the task aborted, no further state (even when the runner ignores the signal)', async () => {
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const env = fakeEnv({
      [LAMBDA]: (c) => {
        signal = c.signal;
        setImmediate(() => controller.abort());
        return never();
      },
    });
    const definition = { StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA, Next: 'After' }, After: { Type: 'Pass', End: true } } };
    expect(await execute(definition, {}, env, controller.signal)).toEqual({ status: 'ABORTED' });
    expect(signal?.aborted).toBe(true);
    expect(types(env)).not.toContain('PassStateEntered');
    expect(types(env).slice(-2)).toEqual(['TaskStateAborted', 'ExecutionAborted']);
  });

  it('stops a Wait, and does not start when already stopped', async () => {
    const controller = new AbortController();
    const env = fakeEnv();
    env.sleep = (ms, signal) => {
      controller.abort();
      return sleepUntilAborted(ms, signal);
    };
    expect(await execute(oneState({ Type: 'Wait', Seconds: 100 }), {}, env, controller.signal)).toEqual({ status: 'ABORTED' });
    expect(types(env)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'WaitStateAborted', 'ExecutionAborted']);
    const stopped = fakeEnv();
    expect(await execute(oneState({ Type: 'Pass' }), {}, stopped, AbortSignal.abort())).toEqual({ status: 'ABORTED' });
    expect(types(stopped)).toEqual(['ExecutionStarted', 'ExecutionAborted']);
  });
});

describe('guards against hostile definitions', () => {
  it('stops a Pass loop at maxHistoryEvents with States.Runtime, yielding to the event loop on the way', async () => {
    let scheduledBefore = false;
    setImmediate(() => (scheduledBefore = true));
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const env = fakeEnv({}, { maxHistoryEvents: 2000 });
    const loop = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }], Default: 'A' }, Done: { Type: 'Succeed' } } };
    const outcome = await execute(loop, {}, env).finally(() => (ticking = false));
    expect(scheduledBefore).toBe(true);
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(outcome).toEqual({ status: 'FAILED', error: 'States.Runtime', cause: 'The execution reached the maximum number of events in its history (2000).' });
    expect(env.events).toHaveLength(2001);
    expect(env.events.at(-1)?.type).toBe('ExecutionFailed');
  });

  it('stops a loop that catches its own errors too: the history limit is not catchable', async () => {
    const env = fakeEnv({ [LAMBDA]: () => Promise.reject(new Error('x')) }, { maxHistoryEvents: 300 });
    const definition = { StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'T' }], End: true } } };
    expect(await execute(definition, {}, env)).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  it('fails payloads past maxPayloadBytes with States.DataLimitExceeded: input, output, result, variables', async () => {
    const small = () => fakeEnv({ [LAMBDA]: () => 'y'.repeat(200) }, { maxPayloadBytes: 100 });
    expect(await execute(oneState({ Type: 'Pass' }), { big: 'x'.repeat(200) }, small())).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(await execute(oneState({ Type: 'Pass', Result: 'x'.repeat(200) }), {}, small())).toEqual({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: "The state/task 'S' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA, ResultPath: null }), {}, small())).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(await execute(oneState({ Type: 'Pass', Assign: { v: 'x'.repeat(200) }, Result: 1 }), {}, small())).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining("The variable 'v'") });
    // Multi-byte text is counted in UTF-8 bytes.
    expect(await execute(oneState({ Type: 'Pass', Result: 'é'.repeat(60) }), {}, small())).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(await execute(oneState({ Type: 'Pass', Result: 'e'.repeat(60) }), {}, small())).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('guards against values that repeat one object', () => {
  const input = { blob: 'x'.repeat(10_000) };

  it('fails an intrinsic function whose result would be too large, quickly', async () => {
    const started = Date.now();
    const outcome = await execute(oneState({ Type: 'Pass', Parameters: { 'all.$': `States.Array(${Array.from({ length: 2000 }, () => '$').join(', ')})` } }), input);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.IntrinsicFailure', cause: expect.stringContaining('Invalid arguments in States.Array: the arguments are larger than 16777216 characters as JSON') });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a payload template that repeats the input past the payload limit, quickly', async () => {
    const parameters = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}.$`, '$']));
    const started = Date.now();
    expect(await execute(oneState({ Type: 'Pass', Parameters: parameters }), input)).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a JSONata result that repeats the input past its ceiling, quickly', async () => {
    const started = Date.now();
    const outcome = await execute(oneState({ Type: 'Pass', Output: '{% [1..2000].($states.input) %}' }, { QueryLanguage: 'JSONata' }), input);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError', cause: expect.stringContaining('returned a result larger than 16777216 characters') });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('variables', () => {
  it('assigns with Assign and reads $name in later states', async () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { 'orderId.$': '$.id', fixed: { n: 1 } }, Next: 'B' },
        B: { Type: 'Pass', Parameters: { 'order.$': '$orderId', 'n.$': '$fixed.n', 'label.$': "States.Format('order {}', $orderId)" }, End: true },
      },
    };
    const env = fakeEnv();
    expect(await execute(definition, { id: 'o-1' }, env)).toEqual({ status: 'SUCCEEDED', output: { order: 'o-1', n: 1, label: 'order o-1' } });
    expect(env.events.find((e) => e.type === 'PassStateExited')?.details).toMatchObject({ assignedVariables: { orderId: '"o-1"', fixed: '{"n":1}' } });
  });

  it('evaluates all of one Assign against the values before it', async () => {
    const definition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Assign: { a: 1, b: 2 }, Next: 'Swap' },
        Swap: { Type: 'Pass', Assign: { 'a.$': '$b', 'b.$': '$a' }, Next: 'Show' },
        Show: { Type: 'Pass', Parameters: { 'a.$': '$a', 'b.$': '$b' }, End: true },
      },
    };
    expect(await execute(definition)).toEqual({ status: 'SUCCEEDED', output: { a: 2, b: 1 } });
  });

  it('reads a Task\'s raw result at $ in Assign', async () => {
    const env = fakeEnv({ [LAMBDA]: () => ({ Payload: { total: 9 } }) });
    const definition = {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: LAMBDA, ResultSelector: { 'p.$': '$.Payload' }, Assign: { 'total.$': '$.Payload.total' }, Next: 'Show' }, Show: { Type: 'Pass', Parameters: { 'total.$': '$total', 'out.$': '$' }, End: true } },
    };
    expect(await execute(definition, {}, env)).toEqual({ status: 'SUCCEEDED', output: { total: 9, out: { p: { total: 9 } } } });
  });

  it('lets Map iterations and Parallel branches read outer variables, keeping their own assignments inside', async () => {
    const definition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Assign: { factor: 3, inner: 'outer value' }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Own', States: { Own: { Type: 'Pass', Assign: { inner: 'iteration value' }, Next: 'Use' }, Use: { Type: 'Pass', Parameters: { 'v.$': 'States.MathAdd($, $factor)', 'inner.$': '$inner' }, End: true } } },
          Next: 'After',
        },
        After: { Type: 'Pass', Parameters: { 'results.$': '$', 'inner.$': '$inner' }, End: true },
      },
    };
    expect(await execute(definition, [1, 2])).toEqual({
      status: 'SUCCEEDED',
      output: { results: [{ v: 4, inner: 'iteration value' }, { v: 5, inner: 'iteration value' }], inner: 'outer value' },
    });
  });

  it('fails with States.Runtime when a variable is not set', async () => {
    expect(await execute(oneState({ Type: 'Pass', Parameters: { 'x.$': '$nothing' } }))).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});
