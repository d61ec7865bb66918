// The executions of the agent's state machines through the Step Functions API as a caller sees
// it (answer()), with the real interpreter and a task runner of the test's own.
import { describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS, type BusEvent, type FunctionsFile, type StateMachine } from '@esb/contracts';
import { systemClock } from './clock.js';
import { Executions, StatesApiError } from './executions.js';
import { StatesError, type TaskCall } from '@esb/states';

const ARN = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;

const machines = (...list: Array<Partial<StateMachine> & Pick<StateMachine, 'name' | 'definition'>>): FunctionsFile => ({
  ...EMPTY_FUNCTIONS,
  state_machines: Object.fromEntries(list.map((m) => [m.name, { type: 'STANDARD', schedules: [], ...m }])),
});

const passThrough = { StartAt: 'Add', States: { Add: { Type: 'Pass', Parameters: { 'sum.$': 'States.MathAdd($.a, $.b)' }, End: true } } };
const callsTask = { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } } };

function setup(runTask: (call: TaskCall) => Promise<unknown> = async (call) => ({ Payload: call.input })) {
  const warnings: string[] = [];
  const executions = new Executions({ region: 'us-east-1', clock: systemClock, runTask, warn: (_f, m) => warnings.push(m) });
  return { executions, warnings };
}

/** DescribeExecution's answer once the execution has ended. */
async function ended(executions: Executions, executionArn: string) {
  for (;;) {
    const described = await executions.answer({ action: 'DescribeExecution', input: { executionArn } });
    if (described.body.status !== 'RUNNING') return described;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Step Functions executions', () => {
  it('starts an execution, describes it when it ends, lists it, and gives its history', async () => {
    const { executions } = setup();
    executions.setFunctions(machines({ name: 'Adder', definition: passThrough }));
    const started = await executions.answer({ action: 'StartExecution', input: { stateMachineArn: ARN('Adder'), name: 'first', input: '{"a":2,"b":3}' } });
    expect(started).toEqual({ status: 200, body: { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Adder:first', startDate: expect.any(Number) } });
    const arn = started.body.executionArn as string;
    const described = await ended(executions, arn);
    expect(described.body).toMatchObject({ status: 'SUCCEEDED', name: 'first', input: '{"a":2,"b":3}', output: '{"sum":5}', stateMachineArn: ARN('Adder') });
    const listed = await executions.answer({ action: 'ListExecutions', input: { stateMachineArn: ARN('Adder') } });
    expect(listed.body.executions).toEqual([expect.objectContaining({ executionArn: arn, status: 'SUCCEEDED' })]);
    const history = await executions.answer({ action: 'GetExecutionHistory', input: { executionArn: arn } });
    const types = (history.body.events as Array<{ type: string }>).map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('PassStateEntered');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('refuses what Step Functions refuses, in its words', async () => {
    const { executions } = setup();
    executions.setFunctions(machines({ name: 'Adder', definition: passThrough }));
    const error = async (action: string, input: unknown) => (await executions.answer({ action, input })).body;
    expect(await error('StartExecution', { stateMachineArn: ARN('Nope') })).toMatchObject({ __type: 'StateMachineDoesNotExist' });
    expect(await error('StartExecution', { stateMachineArn: 'not-an-arn' })).toMatchObject({ __type: 'InvalidArn' });
    expect(await error('StartExecution', { stateMachineArn: ARN('Adder'), input: '{nope' })).toMatchObject({ __type: 'InvalidExecutionInput' });
    expect(await error('StartExecution', { stateMachineArn: ARN('Adder'), name: 'has space' })).toMatchObject({ __type: 'InvalidName' });
    expect(await error('StartExecution', { stateMachineArn: ARN('Adder'), input: JSON.stringify({ big: 'x'.repeat(300_000) }) })).toMatchObject({ __type: 'InvalidExecutionInput' });
    expect(await error('StartSyncExecution', { stateMachineArn: ARN('Adder') })).toMatchObject({ __type: 'StateMachineTypeNotSupported' });
    expect(await error('DescribeExecution', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Adder:never' })).toMatchObject({ __type: 'ExecutionDoesNotExist' });
    expect(await error('SendTaskSuccess', { taskToken: 'unknown', output: '{}' })).toMatchObject({ __type: 'TaskDoesNotExist' });
    expect(await error('CreateStateMachine', {})).toMatchObject({ __type: 'UnknownOperationException' });
    expect(await error('DescribeExecution', {})).toMatchObject({ __type: 'ValidationException' });
  });

  it('answers the same Standard execution for the same name and input while it runs, and refuses other input', async () => {
    let release!: () => void;
    const { executions } = setup(() => new Promise((resolve) => (release = () => resolve({ Payload: {} }))));
    executions.setFunctions(machines({ name: 'Slow', definition: callsTask }));
    const a = executions.start('Slow', '{"n":1}', { name: 'once' });
    expect(executions.start('Slow', '{"n":1}', { name: 'once' })).toBe(a);
    expect(() => executions.start('Slow', '{"n":2}', { name: 'once' })).toThrow(StatesApiError);
    await new Promise((r) => setTimeout(r, 10));
    release();
    await a.done;
    expect(a.status).toBe('SUCCEEDED');
    expect(() => executions.start('Slow', '{"n":1}', { name: 'once' })).toThrow(/Execution Already Exists/);
  });

  it('runs an Express machine synchronously: StartSyncExecution answers its end', async () => {
    const { executions } = setup(async () => {
      throw new StatesError('OutOfStock', 'sku a');
    });
    executions.setFunctions(machines({ name: 'Quote', type: 'EXPRESS', definition: passThrough }, { name: 'Order', type: 'EXPRESS', definition: callsTask }));
    const ok = await executions.answer({ action: 'StartSyncExecution', input: { stateMachineArn: ARN('Quote'), input: '{"a":1,"b":1}' } });
    expect(ok.body).toMatchObject({ status: 'SUCCEEDED', output: '{"sum":2}', executionArn: expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:express:Quote:[^:]+:[^:]+$/) });
    const failed = await executions.answer({ action: 'StartSyncExecution', input: { stateMachineArn: ARN('Order') } });
    expect(failed.body).toMatchObject({ status: 'FAILED', error: 'OutOfStock', cause: 'sku a' });
  });

  it('a callback task waits for its token: SendTaskSuccess gives its output, SendTaskFailure its error', async () => {
    const tokens: string[] = [];
    let executions!: Executions;
    ({ executions } = setup(async (call) => {
      tokens.push(call.taskToken);
      return executions.waitForToken(call.taskToken, undefined, call.signal);
    }));
    const waits = { StartAt: 'Ask', States: { Ask: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { 'token.$': '$$.Task.Token' }, Catch: [{ ErrorEquals: ['Rejected'], Next: 'No' }], End: true }, No: { Type: 'Fail', Error: 'Refused' } } };
    executions.setFunctions(machines({ name: 'Approve', definition: waits }));
    const yes = executions.start('Approve', '{}');
    const no = executions.start('Approve', '{}');
    await new Promise((r) => setTimeout(r, 20));
    expect(tokens).toHaveLength(2);
    expect((await executions.answer({ action: 'SendTaskSuccess', input: { taskToken: tokens[0], output: '{"approved":true}' } })).status).toBe(200);
    expect((await executions.answer({ action: 'SendTaskFailure', input: { taskToken: tokens[1], error: 'Rejected', cause: 'too big' } })).status).toBe(200);
    await Promise.all([yes.done, no.done]);
    expect(yes).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
    expect(no).toMatchObject({ status: 'FAILED', error: 'Refused' });
    // A token is good once.
    expect((await executions.answer({ action: 'SendTaskSuccess', input: { taskToken: tokens[0], output: '{}' } })).body).toMatchObject({ __type: 'TaskDoesNotExist' });
  });

  it('puts a Standard execution\'s status changes on the default bus (started, then how it ended); an Express one\'s none', async () => {
    const events: BusEvent[] = [];
    const executions = new Executions({ region: 'us-east-1', clock: systemClock, runTask: async (call) => ({ Payload: call.input }), warn: () => {}, statusChanged: (e) => events.push(e) });
    const fails = { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Boom', Cause: 'on purpose' } } };
    executions.setFunctions(machines({ name: 'Adder', definition: passThrough }, { name: 'Failing', definition: fails }, { name: 'Quick', type: 'EXPRESS', definition: passThrough }));
    const ok = executions.start('Adder', '{"a":1,"b":2}', { name: 'ok' });
    await ok.done;
    const failed = executions.start('Failing', '{}', { name: 'bad' });
    await failed.done;
    await executions.start('Quick', '{"a":1,"b":1}').done;
    expect(events.map((e) => [e.bus, e.event.source, e.event['detail-type'], e.event.detail.name, e.event.detail.status])).toEqual([
      ['default', 'aws.states', 'Step Functions Execution Status Change', 'ok', 'RUNNING'],
      ['default', 'aws.states', 'Step Functions Execution Status Change', 'ok', 'SUCCEEDED'],
      ['default', 'aws.states', 'Step Functions Execution Status Change', 'bad', 'RUNNING'],
      ['default', 'aws.states', 'Step Functions Execution Status Change', 'bad', 'FAILED'],
    ]);
    expect(events[0].event).toMatchObject({ account: '123456789012', region: 'us-east-1', resources: [ok.arn] });
    expect(events[0].event.detail).toMatchObject({ executionArn: ok.arn, stateMachineArn: ARN('Adder'), startDate: ok.startDate, stopDate: null, input: '{"a":1,"b":2}', output: null, error: null });
    expect(events[1].event.detail).toMatchObject({ stopDate: ok.stopDate, output: '{"sum":3}', outputDetails: { included: true } });
    expect(events[3].event.detail).toMatchObject({ executionArn: failed.arn, error: 'Boom', cause: 'on purpose', output: null });
  });

  it('RedriveExecution starts a failed Standard execution again from the state that failed, with its input and the variables assigned before it', async () => {
    const calls: string[] = [];
    let failNext = true;
    const events: BusEvent[] = [];
    const executions = new Executions({
      region: 'us-east-1',
      clock: systemClock,
      warn: () => {},
      statusChanged: (e) => events.push(e),
      runTask: async (call) => {
        const fn = (call.input as { FunctionName: string }).FunctionName;
        calls.push(`${fn} ${JSON.stringify((call.input as { Payload: unknown }).Payload)}`);
        if (fn === 'charge' && failNext) {
          failNext = false;
          throw new StatesError('Bank.Down', 'try later');
        }
        return { Payload: { ok: fn } };
      },
    });
    const flow = {
      StartAt: 'Greet',
      States: {
        Greet: { Type: 'Pass', Assign: { greeting: 'hi' }, Next: 'Reserve' },
        Reserve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'reserve', 'Payload.$': '$' }, ResultSelector: { 'reserved.$': '$.Payload.ok' }, ResultPath: '$.reserve', Next: 'Charge' },
        Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'charge', Payload: { 'order.$': '$.order', 'greeting.$': '$greeting' } }, OutputPath: '$.Payload', End: true },
      },
    };
    executions.setFunctions(machines({ name: 'Shop', definition: flow }, { name: 'Quick', type: 'EXPRESS', definition: flow }));
    const e = executions.start('Shop', '{"order":7}', { name: 'o7' });
    await e.done;
    expect(e).toMatchObject({ status: 'FAILED', error: 'Bank.Down' });
    expect((await executions.answer({ action: 'DescribeExecution', input: { executionArn: e.arn } })).body).toMatchObject({ redriveCount: 0, redriveStatus: 'REDRIVABLE' });

    const redriven = await executions.answer({ action: 'RedriveExecution', input: { executionArn: e.arn } });
    expect(redriven).toEqual({ status: 200, body: { redriveDate: expect.any(Number) } });
    await e.done;
    expect(e).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":"charge"}', redriveCount: 1 });
    // Reserve ran once; Charge again, with the input and the variable it had.
    expect(calls).toEqual(['reserve {"order":7}', 'charge {"order":7,"greeting":"hi"}', 'charge {"order":7,"greeting":"hi"}']);
    const types = e.history.map((h) => h.type);
    expect(types.slice(types.indexOf('ExecutionFailed'))).toEqual(['ExecutionFailed', 'ExecutionRedriven', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
    expect(e.history.map((h) => h.id)).toEqual(e.history.map((_h, i) => i + 1));
    expect((await executions.answer({ action: 'DescribeExecution', input: { executionArn: e.arn } })).body).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveDate: expect.any(Number), redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven' });
    expect(events.map((x) => [x.event.detail.status, x.event.detail.redriveCount])).toEqual([
      ['RUNNING', 0],
      ['FAILED', 0],
      ['RUNNING', 1],
      ['SUCCEEDED', 1],
    ]);

    // What cannot be redriven says why.
    expect((await executions.answer({ action: 'RedriveExecution', input: { executionArn: e.arn } })).body).toEqual({ __type: 'ExecutionNotRedrivable', message: 'Execution Not Redrivable: Execution is SUCCEEDED and cannot be redriven' });
    failNext = true;
    const quick = executions.start('Quick', '{"order":8}');
    await quick.done;
    expect((await executions.answer({ action: 'RedriveExecution', input: { executionArn: quick.arn } })).body).toMatchObject({ __type: 'ExecutionNotRedrivable', message: expect.stringContaining('Express executions cannot be redriven') });
  });

  it('StopExecution aborts a running execution with its error and cause', async () => {
    const { executions } = setup((call) => new Promise((_resolve, reject) => call.signal.addEventListener('abort', () => reject(new Error('stopped')))));
    executions.setFunctions(machines({ name: 'Forever', definition: callsTask }));
    const e = executions.start('Forever', '{}');
    await new Promise((r) => setTimeout(r, 10));
    const stopped = await executions.answer({ action: 'StopExecution', input: { executionArn: e.arn, error: 'Manual', cause: 'operator' } });
    expect(stopped.status).toBe(200);
    expect(e).toMatchObject({ status: 'ABORTED', error: 'Manual', cause: 'operator' });
  });

  it('caps the executions running at once, and leaves out a machine whose definition does not check', async () => {
    const warnings: string[] = [];
    const executions = new Executions({ region: 'us-east-1', clock: systemClock, runTask: () => new Promise(() => undefined), warn: (_f, m) => warnings.push(m), limits: { maxRunning: 2 } });
    executions.setFunctions(machines({ name: 'Hang', definition: callsTask }, { name: 'Broken', definition: { StartAt: 'Missing', States: { A: { Type: 'Pass', End: true } } } }));
    expect(warnings).toEqual([expect.stringMatching(/^state machine Broken is not started: its definition is not valid: .*StartAt/)]);
    executions.start('Hang', '{}');
    executions.start('Hang', '{}');
    expect(() => executions.start('Hang', '{}')).toThrow(expect.objectContaining({ code: 'ExecutionLimitExceeded' }));
    expect(() => executions.start('Broken', '{}')).toThrow(expect.objectContaining({ code: 'StateMachineDoesNotExist' }));
    expect(executions.list()).toEqual([{ stateMachine: 'Hang', type: 'STANDARD', running: 2, executions: 2 }]);
    executions.close();
  });

  it('holds a bounded amount in memory: a history past its share keeps its events without their data, and the oldest finished executions are forgotten first', async () => {
    const warnings: string[] = [];
    const executions = new Executions({ region: 'us-east-1', clock: systemClock, runTask: async () => ({}), warn: (_f, m) => warnings.push(m), limits: { maxHistoryBytes: 20_000, maxBytes: 120_000 } });
    // A loop of Pass states carrying 5 KB: its history outgrows its share long before it ends.
    const loop = { StartAt: 'Count', States: { Count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)', 'pad.$': '$.pad' }, Next: 'More?' }, 'More?': { Type: 'Choice', Choices: [{ Variable: '$.n', NumericLessThan: 50, Next: 'Count' }], Default: 'Done' }, Done: { Type: 'Succeed' } } };
    executions.setFunctions(machines({ name: 'Loop', definition: loop }));
    const input = JSON.stringify({ n: 0, pad: 'x'.repeat(5_000) });
    const first = executions.start('Loop', input, { name: 'first' });
    await first.done;
    expect(first.status).toBe('SUCCEEDED');
    expect(first.history.some((h) => h.details?.truncated === true)).toBe(true);
    expect(first.historyBytes).toBeLessThanOrEqual(20_000);
    // Each finished execution holds ~30 KB: the fifth start forgets the oldest ones.
    for (let i = 0; i < 5; i++) await executions.start('Loop', input, { name: `next-${i}` }).done;
    const names = ((await executions.answer({ action: 'ListExecutions', input: { stateMachineArn: ARN('Loop') } })).body.executions as Array<{ name: string }>).map((x) => x.name);
    expect(names).not.toContain('first');
    expect(names).toContain('next-4');
    expect((await executions.answer({ action: 'DescribeExecution', input: { executionArn: first.arn } })).body).toMatchObject({ __type: 'ExecutionDoesNotExist' });
  });
});
