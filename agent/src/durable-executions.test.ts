import { describe, expect, it } from 'vitest';
import { FakeClock } from '@esb/contracts/testing';
import type { FunctionsFile, InvokeContext, InvokeResult } from '@esb/contracts';
import { DurableExecutions } from './durable-executions.js';

interface Invocation {
  DurableExecutionArn: string;
  CheckpointToken: string;
  InitialExecutionState: { Operations: Array<Record<string, any>>; NextMarker: string };
  UpdatedOperationIds: string[];
}

/** A function's one invocation: what it checkpoints (through the engine's API) and what it answers. */
type Script = (inv: Invocation, api: { checkpoint(updates: unknown[]): Promise<Record<string, any>> }) => Promise<unknown>;

function setup(scripts: Script[], o: { targets?: Record<string, (payload: string) => InvokeResult>; limits?: Record<string, number>; timeScale?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 11, 7, 12));
  const invocations: Invocation[] = [];
  const logs: string[] = [];
  const engine: DurableExecutions = new DurableExecutions({
    region: 'us-east-1',
    accountId: '123456789012',
    clock,
    limits: o.limits,
    timeScale: o.timeScale,
    info: (_f, m) => logs.push(m),
    warn: (_f, m) => logs.push(m),
    async invokeFunction(_name: string, payload: Buffer, ctx: InvokeContext): Promise<InvokeResult> {
      const inv = JSON.parse(payload.toString()) as Invocation;
      invocations.push(inv);
      const script = scripts[invocations.length - 1];
      if (!script) throw new Error(`no script for invocation ${invocations.length}`);
      let token = inv.CheckpointToken;
      const checkpoint = async (updates: unknown[]) => {
        const a = await engine.answer({ action: 'CheckpointDurableExecution', input: { DurableExecutionArn: inv.DurableExecutionArn, CheckpointToken: token, Updates: updates } });
        if (a.status !== 200) throw Object.assign(new Error(String(a.body.message)), { answer: a });
        token = a.body.CheckpointToken as string;
        return a.body as Record<string, any>;
      };
      const answer = await script(inv, { checkpoint });
      if (answer instanceof Error) return { requestId: ctx.requestId!, durationMs: 1, payload: Buffer.from(JSON.stringify({ errorType: 'Error', errorMessage: answer.message })), error: { kind: 'FunctionError', message: answer.message } };
      return { requestId: ctx.requestId!, durationMs: 1, payload: Buffer.from(JSON.stringify(answer)) };
    },
    async invokeTarget(name: string, payload: Buffer, ctx: InvokeContext): Promise<InvokeResult> {
      const target = o.targets?.[name];
      if (!target) return { requestId: ctx.requestId!, durationMs: 0, payload: Buffer.from('{}'), error: { kind: 'UnknownFunction', message: `Function not found: ${name}` } };
      return target(payload.toString());
    },
  });
  const file = { defaults: { environment: {}, scaling: {} }, functions: { wf: { durable: { execution_timeout: 3600, retention_days: 14 } }, plain: {} } } as unknown as FunctionsFile;
  engine.setFunctions(file);
  // Answers read loosely, as a client reads JSON.
  const call = async (action: string, input: Record<string, unknown>) => (await engine.answer({ action, input })) as { status: number; body: Record<string, any> };
  return { engine, clock, invocations, logs, call };
}

const ok = (value: unknown) => ({ Status: 'SUCCEEDED', Result: JSON.stringify(value) });
const flush = () => new Promise((r) => setImmediate(r));

describe('durable executions', () => {
  it('runs an execution: the first invocation gets the EXECUTION operation (Id = the ARN\'s last segment, the input), a synchronous caller gets the result and the ARN', async () => {
    const { engine, invocations, call } = setup([
      async (inv, api) => {
        const r = await api.checkpoint([{ Id: 's1', Type: 'STEP', SubType: 'Step', Name: 'double', Action: 'START' }, { Id: 's1', Type: 'STEP', Action: 'SUCCEED', Payload: '4' }]);
        expect(r.NewExecutionState.Operations).toEqual([expect.objectContaining({ Id: 's1', Status: 'SUCCEEDED', StepDetails: { Attempt: 1, Result: '4' } })]);
        return ok({ doubled: 4 });
      },
    ]);
    const result = await engine.invokeSync('wf', Buffer.from('{"n":2}'), { requestId: 'r1' });
    expect(result.error).toBeUndefined();
    expect(JSON.parse(result.payload.toString())).toEqual({ doubled: 4 });
    expect(result.durableExecutionArn).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:wf:\$LATEST\/durable-execution\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
    const [first] = invocations;
    const [execOp] = first.InitialExecutionState.Operations;
    expect(execOp).toEqual({ Id: result.durableExecutionArn!.split('/').at(-1), Type: 'EXECUTION', Status: 'STARTED', StartTimestamp: Date.UTC(2026, 11, 7, 12), ExecutionDetails: { InputPayload: '{"n":2}' } });
    const got = await call('GetDurableExecution', { DurableExecutionArn: result.durableExecutionArn });
    expect(got.body).toMatchObject({ Status: 'SUCCEEDED', Result: '{"doubled":4}', InputPayload: '{"n":2}', StartTimestamp: Date.UTC(2026, 11, 7, 12) / 1000 });
  });

  it('a wait suspends the execution until its end, then invokes again with the wait SUCCEEDED (and listed as updated)', async () => {
    const { engine, clock, invocations } = setup([
      async (_inv, api) => {
        const r = await api.checkpoint([{ Id: 'w1', Type: 'WAIT', SubType: 'Wait', Action: 'START', WaitOptions: { WaitSeconds: 5 } }]);
        expect(r.NewExecutionState.Operations[0].WaitDetails).toEqual({ ScheduledEndTimestamp: Date.UTC(2026, 11, 7, 12) / 1000 + 5 });
        return { Status: 'PENDING' };
      },
      async (inv) => {
        expect(inv.UpdatedOperationIds).toEqual(['w1']);
        expect(inv.InitialExecutionState.Operations.find((op) => op.Id === 'w1')).toMatchObject({ Status: 'SUCCEEDED', WaitDetails: { ScheduledEndTimestamp: Date.UTC(2026, 11, 7, 12) + 5000 } });
        return ok('done');
      },
    ]);
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(4_999);
    expect(invocations).toHaveLength(1);
    await clock.settle(1);
    expect((await done).payload.toString()).toBe('"done"');
    expect(invocations).toHaveLength(2);
  });

  it('with a time scale, waits and step retry delays last that fraction of what they ask (local development)', async () => {
    const { engine, clock, invocations } = setup(
      [
        async (_inv, api) => {
          const r = await api.checkpoint([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 300 } }, { Id: 's', Type: 'STEP', Action: 'RETRY', StepOptions: { NextAttemptDelaySeconds: 100 } }]);
          expect(r.NewExecutionState.Operations.map((op: Record<string, any>) => op.WaitDetails?.ScheduledEndTimestamp ?? op.StepDetails?.NextAttemptTimestamp)).toEqual([Date.UTC(2026, 11, 7, 12) / 1000 + 3, Date.UTC(2026, 11, 7, 12) / 1000 + 1]);
          return { Status: 'PENDING' };
        },
        async () => ({ Status: 'PENDING' }),
        async () => ok('woke'),
      ],
      { timeScale: 0.01 },
    );
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(1_000);
    expect(invocations).toHaveLength(2);
    await clock.settle(2_000);
    expect((await done).payload.toString()).toBe('"woke"');
  });

  it("a step's retry goes PENDING, then READY at its time; the next attempt starts from READY and counts attempts", async () => {
    const { engine, clock, invocations } = setup([
      async (_inv, api) => {
        await api.checkpoint([{ Id: 's1', Type: 'STEP', Action: 'START' }]);
        const r = await api.checkpoint([{ Id: 's1', Type: 'STEP', Action: 'RETRY', Error: { ErrorType: 'Error', ErrorMessage: 'flaky' }, StepOptions: { NextAttemptDelaySeconds: 2 } }]);
        expect(r.NewExecutionState.Operations[0]).toMatchObject({ Status: 'PENDING', StepDetails: { Attempt: 1, NextAttemptTimestamp: Date.UTC(2026, 11, 7, 12) / 1000 + 2 } });
        return { Status: 'PENDING' };
      },
      async (inv, api) => {
        expect(inv.InitialExecutionState.Operations[1]).toMatchObject({ Id: 's1', Status: 'READY', StepDetails: { Attempt: 1 } });
        await api.checkpoint([{ Id: 's1', Type: 'STEP', Action: 'START' }]);
        const r = await api.checkpoint([{ Id: 's1', Type: 'STEP', Action: 'SUCCEED', Payload: '"paid"' }]);
        expect(r.NewExecutionState.Operations[0]).toMatchObject({ Status: 'SUCCEEDED', StepDetails: { Attempt: 2, Result: '"paid"' } });
        return ok('paid');
      },
    ]);
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(1_999);
    expect(invocations).toHaveLength(1);
    await clock.settle(1);
    expect((await done).payload.toString()).toBe('"paid"');
  });

  it('a callback gets an id at its start; SendDurableExecutionCallbackSuccess ends it with the raw result and invokes again; an unknown id is refused', async () => {
    let callbackId = '';
    const { engine, invocations, call } = setup([
      async (_inv, api) => {
        const r = await api.checkpoint([{ Id: 'c1', Type: 'CALLBACK', Action: 'START', CallbackOptions: { TimeoutSeconds: 60 } }]);
        callbackId = r.NewExecutionState.Operations[0].CallbackDetails.CallbackId;
        return { Status: 'PENDING' };
      },
      async (inv) => ok(inv.InitialExecutionState.Operations[1].CallbackDetails.Result),
    ]);
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await flush();
    expect(callbackId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(invocations).toHaveLength(1);
    const wrong = await call('SendDurableExecutionCallbackSuccess', { CallbackId: 'nope', Result: '' });
    expect([wrong.status, wrong.body.__type]).toEqual([400, 'InvalidParameterValueException']);
    const answered = await call('SendDurableExecutionCallbackSuccess', { CallbackId: callbackId, Result: Buffer.from('{"approver":"ada"}').toString('base64') });
    expect(answered.status).toBe(200);
    expect(JSON.parse((await done).payload.toString())).toBe('{"approver":"ada"}');
    const again = await call('SendDurableExecutionCallbackSuccess', { CallbackId: callbackId, Result: '' });
    expect(again.status).toBe(400);
  });

  it('a callback times out (TIMED_OUT with an error) at its TimeoutSeconds, and after a missed heartbeat', async () => {
    const { engine, clock, invocations, call } = setup([
      async (_inv, api) => {
        await api.checkpoint([{ Id: 'c1', Type: 'CALLBACK', Action: 'START', CallbackOptions: { TimeoutSeconds: 30, HeartbeatTimeoutSeconds: 10 } }]);
        return { Status: 'PENDING' };
      },
      async (inv) => ({ Status: 'FAILED', Error: inv.InitialExecutionState.Operations[1].CallbackDetails.Error }),
    ]);
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await flush();
    const callbackId = (await call('GetDurableExecutionHistory', { DurableExecutionArn: (await call('ListDurableExecutionsByFunction', { FunctionName: 'wf' })).body.DurableExecutions![0].DurableExecutionArn })).body.Events![1].CallbackStartedDetails.CallbackId;
    // Heartbeats keep it alive past 10 s; the overall timeout still holds.
    await clock.settle(8_000);
    expect((await call('SendDurableExecutionCallbackHeartbeat', { CallbackId: callbackId })).status).toBe(200);
    await clock.settle(8_000);
    expect(invocations).toHaveLength(1);
    await clock.settle(10_000);
    const result = await done;
    expect(result.error?.kind).toBe('FunctionError');
    expect(JSON.parse(result.payload.toString())).toMatchObject({ errorType: 'CallbackTimeout', errorMessage: 'no heartbeat came within 10 seconds' });
  });

  it('a chained invoke runs its target with the payload and records its result, or its error as an ErrorObject', async () => {
    const { engine } = setup(
      [
        async (_inv, api) => {
          await api.checkpoint([
            { Id: 'i1', Type: 'CHAINED_INVOKE', Action: 'START', Payload: '{"items":[1,2]}', ChainedInvokeOptions: { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:plain:$LATEST' } },
            { Id: 'i2', Type: 'CHAINED_INVOKE', Action: 'START', Payload: '{}', ChainedInvokeOptions: { FunctionName: 'missing' } },
          ]);
          return { Status: 'PENDING' };
        },
        async (inv) => ok(inv.InitialExecutionState.Operations.slice(1).map((op) => [op.Status, op.ChainedInvokeDetails])),
      ],
      { targets: { plain: (p) => ({ requestId: 'x', durationMs: 1, payload: Buffer.from(String(JSON.parse(p).items.length)) }) } },
    );
    const result = await engine.invokeSync('wf', Buffer.from('{}'), {});
    expect(JSON.parse(result.payload.toString())).toEqual([
      ['SUCCEEDED', { Result: '2' }],
      ['FAILED', { Error: { ErrorType: 'UnknownFunction', ErrorMessage: 'Function not found: missing' } }],
    ]);
  });

  it("refuses a token of an earlier invocation or of an ended execution ('Invalid Checkpoint Token', which makes the SDK end that invocation)", async () => {
    let firstToken = '';
    let arn = '';
    const { engine, clock, call } = setup([
      async (inv, api) => {
        firstToken = inv.CheckpointToken;
        arn = inv.DurableExecutionArn;
        await api.checkpoint([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 1 } }]);
        return { Status: 'PENDING' };
      },
      async (inv) => {
        const stale = await call('CheckpointDurableExecution', { DurableExecutionArn: arn, CheckpointToken: firstToken, Updates: [] });
        expect([stale.status, stale.body.message]).toEqual([400, 'Invalid Checkpoint Token: it is of an earlier invocation']);
        expect((await call('CheckpointDurableExecution', { DurableExecutionArn: arn, CheckpointToken: inv.CheckpointToken, Updates: [] })).status).toBe(200);
        return ok(1);
      },
    ]);
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(1000);
    await done;
    const ended = await call('CheckpointDurableExecution', { DurableExecutionArn: arn, CheckpointToken: firstToken, Updates: [] });
    expect(ended.body.message).toMatch(/^Invalid Checkpoint Token/);
    const forged = await call('CheckpointDurableExecution', { DurableExecutionArn: arn, CheckpointToken: 'abc', Updates: [] });
    expect(forged.body.message).toBe('Invalid Checkpoint Token: it is not a token of this execution');
  });

  it('refuses a checkpoint with an invalid update, naming it, and applies none of its updates', async () => {
    const { engine } = setup([
      async (_inv, api) => {
        const err = await api.checkpoint([{ Id: 'ok', Type: 'STEP', Action: 'START' }, { Id: 'w', Type: 'WAIT', Action: 'SUCCEED' }]).catch((e: { answer: { status: number; body: Record<string, unknown> } }) => e.answer);
        expect(err).toEqual({ status: 400, body: { __type: 'InvalidParameterValueException', message: 'Updates[1].Action "SUCCEED" is not valid for a WAIT operation (START, CANCEL)' } });
        const r = await api.checkpoint([]);
        expect(r.NewExecutionState.Operations).toEqual([]);
        const late = await api.checkpoint([{ Id: 'x', Type: 'EXECUTION', Action: 'SUCCEED' }, { Id: 's', Type: 'STEP', Action: 'START' }]).catch((e: { answer: { body: Record<string, unknown> } }) => e.answer.body.message);
        expect(late).toBe('Updates[0]: the EXECUTION update must be the last of its checkpoint');
        return ok('checked');
      },
    ]);
    expect((await engine.invokeSync('wf', Buffer.from('{}'), {})).payload.toString()).toBe('"checked"');
  });

  it('invokes again after a failed invocation (with backoff) and fails the execution when the retries are spent', async () => {
    const { engine, clock, invocations } = setup([async () => new Error('boom 1'), async () => new Error('boom 2')], { limits: { invocationRetries: 1, invocationRetryMs: 100 } });
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(99);
    expect(invocations).toHaveLength(1);
    await clock.settle(1);
    const result = await done;
    expect(invocations).toHaveLength(2);
    expect(JSON.parse(result.payload.toString())).toEqual({ errorType: 'Error', errorMessage: 'boom 2' });
  });

  it('an invocation that something else wakes during a failed one\'s backoff is that retry: no second invocation follows', async () => {
    let callbackId = '';
    const { engine, clock, invocations, call } = setup(
      [
        async (_inv, api) => {
          callbackId = (await api.checkpoint([{ Id: 'c', Type: 'CALLBACK', Action: 'START' }])).NewExecutionState.Operations[0].CallbackDetails.CallbackId;
          return new Error('lost the connection');
        },
        async (_inv, api) => (await api.checkpoint([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 10 } }]), { Status: 'PENDING' }),
        async () => ok('done'),
      ],
      { limits: { invocationRetryMs: 1000 } },
    );
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(100);
    expect((await call('SendDurableExecutionCallbackSuccess', { CallbackId: callbackId, Result: '' })).status).toBe(200);
    await clock.settle(2_000);
    expect(invocations).toHaveLength(2);
    await clock.settle(10_000);
    expect((await done).payload.toString()).toBe('"done"');
    expect(invocations).toHaveLength(3);
  });

  it('ends as TIMED_OUT past ExecutionTimeout; PENDING with nothing to wait on and an answer that is not a durable one fail it', async () => {
    const longWait: Script = async (_inv, api) => (await api.checkpoint([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 7200 } }]), { Status: 'PENDING' });
    const timedOut = setup([longWait]);
    // A synchronous caller waits 15 minutes at most; the execution runs on.
    const caller = await Promise.all([timedOut.engine.invokeSync('wf', Buffer.from('{}'), {}), timedOut.clock.settle(900_000)]).then(([r]) => r);
    expect([caller.error?.kind, caller.error?.message]).toEqual(['Timeout', expect.stringMatching(/is still running; the caller stopped waiting for it$/)]);
    await timedOut.clock.settle(2_700_000);
    const list = await timedOut.call('ListDurableExecutionsByFunction', { FunctionName: 'wf', Statuses: ['TIMED_OUT'] });
    expect(list.body.DurableExecutions).toHaveLength(1);
    const got = await timedOut.call('GetDurableExecution', { DurableExecutionArn: list.body.DurableExecutions![0].DurableExecutionArn });
    expect(got.body).toMatchObject({ Status: 'TIMED_OUT', Error: { ErrorType: 'ExecutionTimedOut', ErrorMessage: 'the execution ran past its ExecutionTimeout of 3600 seconds' } });

    const idle = setup([async () => ({ Status: 'PENDING' })]);
    expect(JSON.parse((await idle.engine.invokeSync('wf', Buffer.from('{}'), {})).payload.toString()).errorMessage).toBe('function wf answered PENDING with no wait, retry, callback or invoke pending');
    const plain = setup([async () => ({ statusCode: 200 })]);
    expect(JSON.parse((await plain.engine.invokeSync('wf', Buffer.from('{}'), {})).payload.toString()).errorMessage).toMatch(/is the handler wrapped in withDurableExecution\?/);
  });

  it('a name names one execution: the same input answers it again, another input is a conflict', async () => {
    const { engine, call } = setup([async (_inv, api) => (await api.checkpoint([{ Id: 'c', Type: 'CALLBACK', Action: 'START' }]), { Status: 'PENDING' })]);
    const a = engine.invokeAsync('wf', Buffer.from('{"a":1}'), { durableExecutionName: 'order-1' });
    const b = engine.invokeAsync('wf', Buffer.from('{"a":1}'), { durableExecutionName: 'order-1' });
    expect('arn' in a && 'arn' in b && a.arn === b.arn).toBe(true);
    expect(engine.invokeAsync('wf', Buffer.from('{"a":2}'), { durableExecutionName: 'order-1' })).toEqual({ error: 'an execution named order-1 of function wf was started with a different input' });
    expect(engine.invokeAsync('wf', Buffer.from('{}'), { durableExecutionName: 'bad name' })).toEqual({ error: 'DurableExecutionName "bad name" must be 1-64 letters, digits, - or _' });
    expect(engine.invokeAsync('plain', Buffer.from('{}'))).toEqual({ error: 'function plain is not a durable function (no DurableConfig)' });
    await flush();
    const stopped = await call('StopDurableExecution', { DurableExecutionArn: (a as { arn: string }).arn, Error: { ErrorType: 'Cancelled', ErrorMessage: 'by the user' } });
    expect(stopped.status).toBe(200);
    expect((await call('GetDurableExecution', { DurableExecutionArn: (a as { arn: string }).arn })).body).toMatchObject({ Status: 'STOPPED', Error: { ErrorType: 'Cancelled', ErrorMessage: 'by the user' } });
    expect((await call('GetDurableExecution', { DurableExecutionArn: 'arn:nope' })).status).toBe(404);
  });

  it("refuses a checkpoint past the execution's memory bound and fails the execution", async () => {
    const { engine } = setup([async (_inv, api) => api.checkpoint([{ Id: 's', Type: 'STEP', Action: 'SUCCEED', Payload: 'x'.repeat(5000) }]).then(() => ok('kept'), (e: Error) => ({ Status: 'FAILED', Error: { ErrorMessage: e.message } }))], { limits: { maxBytesPerExecution: 4096 } });
    const result = await engine.invokeSync('wf', Buffer.from('{}'), {});
    expect(JSON.parse(result.payload.toString())).toMatchObject({ errorType: 'ExecutionTooLarge' });
  });

  it('forgets the oldest ended executions when all together hold too much, and refuses a checkpoint that still does not fit', async () => {
    const big = (id: string): Script => async (_inv, api) => api.checkpoint([{ Id: id, Type: 'STEP', Action: 'SUCCEED', Payload: 'x'.repeat(4600) }]).then(() => ok(id), (e: Error) => ({ Status: 'FAILED', Error: { ErrorMessage: e.message } }));
    const hold: Script = async (_inv, api) => (await api.checkpoint([{ Id: 'big', Type: 'STEP', Action: 'SUCCEED', Payload: 'x'.repeat(4600) }, { Id: 'c', Type: 'CALLBACK', Action: 'START' }]), { Status: 'PENDING' });
    const { engine, call } = setup([big('a'), hold, big('c')], { limits: { maxTotalBytes: 10_000, maxBytesPerExecution: 8_000 } });
    const first = await engine.invokeSync('wf', Buffer.from('{}'), {});
    expect(first.payload.toString()).toBe('"a"');
    const second = engine.invokeAsync('wf', Buffer.from('{}'));
    await flush();
    // The second one's checkpoint made room by forgetting the first, which had ended.
    expect((await call('GetDurableExecution', { DurableExecutionArn: first.durableExecutionArn })).status).toBe(404);
    expect((await call('GetDurableExecution', { DurableExecutionArn: (second as { arn: string }).arn })).body.Status).toBe('RUNNING');
    // The third cannot fit beside the running second: it fails, the second runs on.
    const third = await engine.invokeSync('wf', Buffer.from('{}'), {});
    expect(JSON.parse(third.payload.toString())).toMatchObject({ errorType: 'ExecutionTooLarge', errorMessage: expect.stringMatching(/^the running durable executions together hold more than 10000 bytes/) });
    expect((await call('GetDurableExecution', { DurableExecutionArn: (second as { arn: string }).arn })).body.Status).toBe('RUNNING');
  });

  it('refuses a callback result over 256 KiB', async () => {
    let callbackId = '';
    const { engine, call } = setup([async (_inv, api) => ((callbackId = (await api.checkpoint([{ Id: 'c', Type: 'CALLBACK', Action: 'START' }])).NewExecutionState.Operations[0].CallbackDetails.CallbackId), { Status: 'PENDING' })]);
    engine.invokeAsync('wf', Buffer.from('{}'));
    await flush();
    const answer = await call('SendDurableExecutionCallbackSuccess', { CallbackId: callbackId, Result: Buffer.alloc(256 * 1024 + 1, 'x').toString('base64') });
    expect([answer.status, answer.body.message]).toEqual([400, "a callback's result is at most 262144 bytes (got 262145)"]);
  });

  it('pages operations past 4 MB: the invocation carries the first page and NextMarker, GetDurableExecutionState the rest', async () => {
    const mb2 = 'x'.repeat(2 * 1024 * 1024);
    let pages: number[] = [];
    const { engine, clock, call } = setup([
      async (_inv, api) => (await api.checkpoint([1, 2, 3].map((n) => ({ Id: `s${n}`, Type: 'STEP', Action: 'SUCCEED', Payload: mb2 })).concat([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 1 } } as never])), { Status: 'PENDING' }),
      async (inv) => {
        const ids = inv.InitialExecutionState.Operations.map((op) => op.Id);
        pages = [ids.length];
        let marker = inv.InitialExecutionState.NextMarker;
        while (marker) {
          const next = await call('GetDurableExecutionState', { DurableExecutionArn: inv.DurableExecutionArn, CheckpointToken: inv.CheckpointToken, Marker: marker });
          ids.push(...next.body.Operations.map((op: { Id: string }) => op.Id));
          pages.push(next.body.Operations.length);
          marker = next.body.NextMarker;
        }
        return ok(ids.slice(1));
      },
    ]);
    const done = engine.invokeSync('wf', Buffer.from('{}'), {});
    await clock.settle(1000);
    expect(JSON.parse((await done).payload.toString())).toEqual(['s1', 's2', 's3', 'w']);
    // The execution and s1 (2 MB), then s2, then s3 and the wait: no page over 4 MB.
    expect(pages).toEqual([2, 1, 2]);
  });

  it('starts no more than maxRunning executions at once', async () => {
    const { engine } = setup([async (_inv, api) => (await api.checkpoint([{ Id: 'c', Type: 'CALLBACK', Action: 'START' }]), { Status: 'PENDING' })], { limits: { maxRunning: 1 } });
    expect('arn' in engine.invokeAsync('wf', Buffer.from('{}'))).toBe(true);
    expect(engine.invokeAsync('wf', Buffer.from('{}'))).toEqual({ error: '1 durable executions are running: no more may start until some end' });
    const sync = await engine.invokeSync('wf', Buffer.from('{}'), {});
    expect(sync.error?.kind).toBe('Throttled');
  });
});
