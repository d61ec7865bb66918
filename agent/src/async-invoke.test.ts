import { describe, expect, it } from 'vitest';
import { FunctionsFile, type InvokeResult } from '@esb/contracts';
import { createAsyncInvoker, deadLetterMessage, failureDestinationRecord, successDestinationRecord, type AsyncInvocationIds, type ExhaustedInvocation, type SucceededInvocation } from './async-invoke.js';
import { FakeClock } from '@esb/contracts/testing';

function setup(fn: Record<string, unknown>, outcomes: Array<'fail' | 'ok' | 'hang' | 'throttle'>, maxPendingBytes?: number) {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 12));
  let functions = FunctionsFile.parse({ functions: { job: fn } }).functions;
  const calls: number[] = [];
  /** What each attempt was invoked with. */
  const attempts: AsyncInvocationIds[] = [];
  const warnings: string[] = [];
  const exhausted: ExhaustedInvocation[] = [];
  const succeeded: SucceededInvocation[] = [];
  const hanging: Array<() => void> = [];
  const invoker = createAsyncInvoker({
    clock,
    maxPendingBytes,
    // As the agent does: the invocation runs with the request id it is given.
    invoke: async (_fn, _payload, ids): Promise<InvokeResult> => {
      calls.push(clock.now());
      attempts.push(ids);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome === 'hang') return new Promise<InvokeResult>((resolve) => hanging.push(() => resolve({ requestId: ids.requestId, durationMs: 1, payload: Buffer.from('null') })));
      if (outcome === 'throttle') return { requestId: ids.requestId, durationMs: 0, payload: Buffer.from('{"errorType":"TooManyRequestsException","errorMessage":"Rate Exceeded."}'), error: { kind: 'Throttled', message: 'Rate Exceeded.' } };
      const failed = outcome === 'fail';
      return { requestId: ids.requestId, durationMs: 1, payload: Buffer.from(failed ? '{"errorType":"Error","errorMessage":"boom"}' : 'null'), ...(failed ? { error: { kind: 'FunctionError' as const, message: 'boom' } } : {}) };
    },
    functions: () => functions,
    warn: (_f, m) => warnings.push(m),
    exhausted: (f) => exhausted.push(f),
    succeeded: (x) => succeeded.push(x),
  });
  return { clock, calls, attempts, warnings, exhausted, succeeded, invoker, hanging, drop: () => (functions = {}) };
}

describe('asynchronous invocations', () => {
  it('retries a failed invocation one minute later, then two minutes after that, then drops it, saying so', async () => {
    const { clock, calls, warnings, invoker } = setup({}, ['fail', 'fail', 'fail']);
    const t0 = clock.now();
    invoker.fire('job', Buffer.from('{}'), { rule: 'Nightly' }, 'scheduled');
    await clock.settle(59_000);
    expect(calls.map((t) => t - t0)).toEqual([0]);
    await clock.settle(1_000);
    await clock.settle(120_000);
    expect(calls.map((t) => t - t0)).toEqual([0, 60_000, 180_000]);
    await clock.settle(600_000);
    expect(calls).toHaveLength(3);
    expect(warnings).toEqual([
      'scheduled invocation failed, retried in 60 s: boom',
      'scheduled invocation failed, retried in 120 s: boom',
      'scheduled invocation failed after 2 retries, dropped: boom',
    ]);
  });

  it("keeps the invocation's request id and trace header for every retry, as Lambda does: the ones it came with, else made when it came", async () => {
    const given = setup({}, ['fail', 'fail', 'ok']);
    given.invoker.fire('job', Buffer.from('{}'), {}, 'Event', { requestId: 'invoke-api-id', traceId: 'Root=1-a' });
    await given.clock.settle(600_000);
    expect(given.attempts).toEqual([
      { requestId: 'invoke-api-id', traceId: 'Root=1-a' },
      { requestId: 'invoke-api-id', traceId: 'Root=1-a' },
      { requestId: 'invoke-api-id', traceId: 'Root=1-a' },
    ]);

    const made = setup({ async_retries: 1, async_failure_queues: [{ kind: 'dlq', queue: 'q' }] }, ['fail', 'fail', 'fail', 'fail']);
    const second0 = Math.floor(made.clock.now() / 1000).toString(16);
    made.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    made.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await made.clock.settle(600_000);
    const [first, second] = made.attempts;
    expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.traceId).toMatch(new RegExp(`^Root=1-${second0}-[0-9a-f]{24}$`));
    expect(second.requestId).not.toBe(first.requestId);
    expect(made.attempts.slice(2)).toEqual([first, second]);
    // The dead-letter queue gets that request id too.
    expect(made.exhausted.map((e) => [e.requestId, e.traceId, e.attempts])).toEqual([
      [first.requestId, first.traceId, 2],
      [second.requestId, second.traceId, 2],
    ]);
  });

  it('stops at the first success, honours async_retries (EventInvokeConfig), and retries nothing once the function is gone or the agent closes', async () => {
    const once = setup({}, ['fail', 'ok']);
    once.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await once.clock.settle(600_000);
    expect(once.calls).toHaveLength(2);

    const none = setup({ async_retries: 0 }, ['fail']);
    none.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await none.clock.settle(600_000);
    expect(none.calls).toHaveLength(1);
    expect(none.warnings).toEqual(['S3 event invocation failed, dropped: boom']);

    const gone = setup({}, ['fail', 'fail']);
    gone.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await gone.clock.settle(0);
    gone.drop();
    await gone.clock.settle(600_000);
    expect(gone.calls).toHaveLength(1);
    expect(gone.warnings.at(-1)).toBe('S3 event invocation not retried: job is no longer deployed');

    const closed = setup({}, ['fail', 'fail']);
    closed.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await closed.clock.settle(0);
    closed.invoker.close();
    await closed.clock.settle(600_000);
    expect(closed.calls).toHaveLength(1);
  });

  it('hands an invocation whose retries are spent to the failure queues, and names them; none: dropped, nothing handed on', async () => {
    const queues = [{ kind: 'dlq', queue: 'jobs-dlq' }, { kind: 'destination', queue: 'failures' }];
    const { clock, warnings, exhausted, invoker } = setup({ async_retries: 1, async_failure_queues: queues }, ['fail', 'fail']);
    invoker.fire('job', Buffer.from('{"Records":[1]}'), {}, 'S3 event');
    await clock.settle(60_000);
    expect(warnings.at(-1)).toBe('S3 event invocation failed after 1 retry, sent to jobs-dlq, failures: boom');
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]).toMatchObject({ functionName: 'job', errorKind: 'FunctionError', message: 'boom', attempts: 2 });
    expect(exhausted[0].payload.toString()).toBe('{"Records":[1]}');

    const plain = setup({ async_retries: 0 }, ['fail']);
    plain.invoker.fire('job', Buffer.from('{}'), {}, 'scheduled');
    await plain.clock.settle(0);
    expect(plain.warnings).toEqual(['scheduled invocation failed, dropped: boom']);
    expect(plain.exhausted).toEqual([]);
  });

  it('refuses invocations beyond what may wait at once (to the failure queues), and takes them again once half is done', async () => {
    const queues = [{ kind: 'dlq', queue: 'jobs-dlq' }];
    const { clock, calls, warnings, exhausted, invoker, hanging } = setup({ async_failure_queues: queues }, ['hang', 'hang', 'hang', 'ok', 'ok'], 300);
    const payload = Buffer.alloc(100, 'x');
    for (let i = 0; i < 4; i++) invoker.fire('job', payload, {}, 'SNS message');
    await clock.settle(0);
    expect(calls).toHaveLength(3);
    expect(exhausted.map((e) => [e.errorKind, e.attempts])).toEqual([['Throttled', 0]]);
    expect(warnings).toEqual(['asynchronous invocations hold 0 MB already; SNS message invocations are refused until half of that is done']);
    // Still refusing with 200 bytes held; at 100 (half the cap) it takes them again.
    hanging.shift()!();
    await clock.settle(0);
    invoker.fire('job', payload, {}, 'SNS message');
    expect(exhausted).toHaveLength(2);
    hanging.shift()!();
    await clock.settle(0);
    invoker.fire('job', payload, {}, 'SNS message');
    await clock.settle(0);
    expect(calls).toHaveLength(4);
    expect(warnings).toHaveLength(1);
  });

  it('tries a throttled invocation again 1 s later, doubling up to 5 minutes, without spending its retries; past async_max_event_age it goes to the failure queues as EventAgeExceeded', async () => {
    const { clock, calls, exhausted, succeeded, warnings, invoker } = setup({ async_retries: 0, async_failure_queues: [{ kind: 'dlq', queue: 'dead' }], async_destinations: { on_success: { type: 'Lambda', target: 'after' } } }, ['throttle', 'throttle', 'throttle', 'fail']);
    const t0 = clock.now();
    invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await clock.settle(10_000);
    expect(calls.map((t) => t - t0)).toEqual([0, 1_000, 3_000, 7_000]);
    // The function ran and failed: async_retries 0 spends it at once.
    expect(exhausted.map((f) => [f.errorKind, f.attempts])).toEqual([['FunctionError', 1]]);
    expect(warnings.filter((w) => w.includes('throttled'))).toEqual([expect.stringContaining('S3 event invocation throttled, tried again for up to 21600 s')]);
    expect(succeeded).toEqual([]);

    const aged = setup({ async_max_event_age: 60, async_failure_queues: [{ kind: 'dlq', queue: 'dead' }] }, Array(20).fill('throttle'));
    const t1 = aged.clock.now();
    aged.invoker.fire('job', Buffer.from('{}'), {}, 'rule');
    await aged.clock.settle(600_000);
    // 0, 1, 3, 7, 15, 31 s; the next (63 s) would be past the event's 60 s.
    expect(aged.calls.map((t) => (t - t1) / 1000)).toEqual([0, 1, 3, 7, 15, 31]);
    expect(aged.exhausted.map((f) => [f.errorKind, f.attempts])).toEqual([['Throttled', 1]]);
    expect(JSON.parse(failureDestinationRecord(aged.exhausted[0], 'arn:aws:lambda:us-east-1:123456789012:function:job')).requestContext.condition).toBe('EventAgeExceeded');
  });

  it('writes the dead-letter message and the on-failure destination record as Lambda does', () => {
    const f: ExhaustedInvocation = {
      functionName: 'job',
      payload: Buffer.from('{"Records":[{"s3":{}}]}'),
      requestId: 'req-1',
      errorKind: 'FunctionError',
      message: 'boom',
      errorPayload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}'),
      attempts: 3,
      time: Date.UTC(2026, 11, 6, 1, 2, 3),
      traceId: 'Root=1-6755a0b2-0a1b2c3d4e5f60718293a4b5',
    };
    expect(deadLetterMessage(f)).toEqual({
      body: '{"Records":[{"s3":{}}]}',
      attributes: { RequestID: { DataType: 'String', StringValue: 'req-1' }, ErrorCode: { DataType: 'Number', StringValue: '200' }, ErrorMessage: { DataType: 'String', StringValue: 'boom' } },
    });
    expect(JSON.parse(failureDestinationRecord(f, 'arn:aws:lambda:us-east-1:123456789012:function:job'))).toEqual({
      version: '1.0',
      timestamp: '2026-12-06T01:02:03.000Z',
      requestContext: { requestId: 'req-1', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:job:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { Records: [{ s3: {} }] },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'boom' },
    });
  });

  it('hands a success to the on-success destination and a spent failure to the on-failure one, with the records Lambda writes', async () => {
    const destinations = { async_retries: 0, async_destinations: { on_success: { type: 'Lambda', target: 'next' }, on_failure: { type: 'SNS', target: 'failures' } } };
    const ok = setup(destinations, ['ok']);
    ok.invoker.fire('job', Buffer.from('{"id":1}'), {}, 'Event', { requestId: 'r1', traceId: 'Root=1-a;Lineage=e5b0c4a1:2' });
    await ok.clock.settle(1_000);
    expect(ok.succeeded).toEqual([expect.objectContaining({ functionName: 'job', requestId: 'r1', attempts: 1, traceId: 'Root=1-a;Lineage=e5b0c4a1:2' })]);
    expect(JSON.parse(successDestinationRecord(ok.succeeded[0], 'arn:aws:lambda:us-east-1:123456789012:function:job'))).toEqual({
      version: '1.0',
      timestamp: '2026-12-05T12:00:00.000Z',
      requestContext: { requestId: 'r1', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:job:$LATEST', condition: 'Success', approximateInvokeCount: 1 },
      requestPayload: { id: 1 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: null,
    });
    const failed = setup(destinations, ['fail']);
    failed.invoker.fire('job', Buffer.from('{"id":2}'), {}, 'Event');
    await failed.clock.settle(1_000);
    expect(failed.succeeded).toEqual([]);
    expect(failed.exhausted).toEqual([expect.objectContaining({ functionName: 'job', errorKind: 'FunctionError', attempts: 1 })]);
    expect(failed.warnings).toEqual(['Event invocation failed, sent to SNS failures: boom']);
    // Without an on-success destination nothing is handed over.
    const plain = setup({}, ['ok']);
    plain.invoker.fire('job', Buffer.from('{}'), {}, 'S3 event');
    await plain.clock.settle(1_000);
    expect(plain.succeeded).toEqual([]);
  });
});
