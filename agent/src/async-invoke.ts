// Asynchronous invocations (S3 events, schedules; docs/agent.md "Asynchronous invocations"):
// the caller is not kept waiting, and a failed invocation is tried again, as Lambda does, one
// minute later and then two minutes after that, up to the function's async_retries (default 2).
import type { FunctionsFile, InvokeResult } from '@esb/contracts';
import type { Clock } from './clock.js';

/** Lambda's delays before the first and the second retry. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

export interface AsyncInvokerOptions {
  clock: Clock;
  invoke(functionName: string, payload: Buffer): Promise<InvokeResult>;
  /** The function's config now (async_retries; gone: no more retries). */
  functions(): FunctionsFile['functions'];
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface AsyncInvoker {
  /** Invokes without waiting; `what` names the source in log lines ("S3 event", "schedule"). */
  fire(functionName: string, payload: Buffer, fields: Record<string, unknown>, what: string): void;
  close(): void;
}

export function createAsyncInvoker(o: AsyncInvokerOptions): AsyncInvoker {
  const timers = new Set<unknown>();
  let closed = false;
  const attempt = (fn: string, payload: Buffer, fields: Record<string, unknown>, what: string, retry: number): void => {
    const failed = (detail: Record<string, unknown>, message: string) => {
      const allowed = o.functions()[fn]?.async_retries ?? ASYNC_RETRY_DELAYS_MS.length;
      if (closed || retry >= allowed) {
        o.warn({ fn, ...fields, ...detail, retries: retry }, `${what} invocation failed${retry > 0 ? ` after ${retry} ${retry === 1 ? 'retry' : 'retries'}` : ''}, dropped: ${message}`);
        return;
      }
      const delay = ASYNC_RETRY_DELAYS_MS[retry];
      o.warn({ fn, ...fields, ...detail }, `${what} invocation failed, retried in ${delay / 1000} s: ${message}`);
      const timer = o.clock.setTimeout(() => {
        timers.delete(timer);
        if (o.functions()[fn]) attempt(fn, payload, fields, what, retry + 1);
        else o.warn({ fn, ...fields }, `${what} invocation not retried: ${fn} is no longer deployed`);
      }, delay);
      timers.add(timer);
    };
    o.invoke(fn, payload).then(
      (r) => {
        if (r.error) failed({ requestId: r.requestId, kind: r.error.kind }, r.error.message);
      },
      (err: unknown) => failed({}, String(err)),
    );
  };
  return {
    fire: (fn, payload, fields, what) => {
      if (!closed) attempt(fn, payload, fields, what, 0);
    },
    close() {
      closed = true;
      for (const t of timers) o.clock.clearTimeout(t);
      timers.clear();
    },
  };
}
