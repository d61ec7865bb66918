import { describe, expect, it } from 'vitest';
import { FunctionsFile, type InvokeResult } from '@esb/contracts';
import { createAsyncInvoker } from './async-invoke.js';
import { FakeClock } from './testing/fake-clock.js';

function setup(fn: Record<string, unknown>, outcomes: Array<'fail' | 'ok'>) {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 12));
  let functions = FunctionsFile.parse({ functions: { job: fn } }).functions;
  const calls: number[] = [];
  const warnings: string[] = [];
  const invoker = createAsyncInvoker({
    clock,
    invoke: async (): Promise<InvokeResult> => {
      calls.push(clock.now());
      const outcome = outcomes.shift() ?? 'ok';
      return { requestId: `r${calls.length}`, durationMs: 1, payload: Buffer.from('null'), ...(outcome === 'fail' ? { error: { kind: 'FunctionError' as const, message: 'boom' } } : {}) };
    },
    functions: () => functions,
    warn: (_f, m) => warnings.push(m),
  });
  return { clock, calls, warnings, invoker, drop: () => (functions = {}) };
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
});
