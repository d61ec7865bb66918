// Asynchronous invocations (S3 events, EventBridge rules, schedules; docs/agent.md "Asynchronous invocations"):
// the caller is not kept waiting, and a failed invocation is tried again, as Lambda does, one
// minute later and then two minutes after that, up to the function's async_retries (default 2);
// then it goes to the function's failure queues, if it has any.
import type { FunctionConfig, FunctionsFile, InvokeResult } from '@esb/contracts';
import type { SqsStringAttributes } from './sqs-events.js';
import type { Clock } from './clock.js';

/** Lambda's delays before the first and the second retry. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

export interface AsyncInvokerOptions {
  clock: Clock;
  /** `traceId`: the trace header the function gets (a chain's lineage, docs/agent.md "Recursive loops"). */
  invoke(functionName: string, payload: Buffer, traceId?: string): Promise<InvokeResult>;
  /** The function's config now (async_retries; gone: no more retries). */
  functions(): FunctionsFile['functions'];
  warn(fields: Record<string, unknown>, message: string): void;
  /** An invocation whose retries are spent, for the function's async_failure_queues. */
  exhausted?(failure: ExhaustedInvocation): void;
  /** Payload bytes held at once (running, waiting, between retries); default ASYNC_MAX_PENDING_BYTES. */
  maxPendingBytes?: number;
}

/**
 * What the asynchronous invocations waiting at once may hold: a flood of events (a loop of
 * functions publishing to each other, a hostile client) is refused beyond it, not kept in memory.
 */
export const ASYNC_MAX_PENDING_BYTES = 64 * 1024 * 1024;

export interface ExhaustedInvocation {
  functionName: string;
  payload: Buffer;
  /** The last attempt's request id, when it ran. */
  requestId?: string;
  /** Unhandled (the function failed), or why it did not run (a timeout, a throttle, ...). */
  errorKind: string;
  message: string;
  /** The last attempt's error payload (`{errorMessage, errorType, ...}`), when the function answered one. */
  errorPayload?: Buffer;
  attempts: number;
  time: number;
}

/** The message a dead-letter queue gets: the event itself, with Lambda's three attributes. */
export function deadLetterMessage(f: ExhaustedInvocation): { body: string; attributes: SqsStringAttributes } {
  return {
    body: f.payload.toString('utf8'),
    attributes: {
      RequestID: { DataType: 'String', StringValue: f.requestId ?? '' },
      // Lambda's status code of the invoke: 200 when the function ran and failed.
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: f.message.slice(0, 1024) },
    },
  };
}

/** The record an on-failure destination gets, as Lambda writes it. */
export function failureDestinationRecord(f: ExhaustedInvocation, functionArn: string): string {
  const parsed = (b: Buffer | undefined) => {
    if (!b) return undefined;
    try {
      return JSON.parse(b.toString('utf8')) as unknown;
    } catch {
      return b.toString('utf8');
    }
  };
  return JSON.stringify({
    version: '1.0',
    timestamp: new Date(f.time).toISOString(),
    requestContext: { requestId: f.requestId ?? '', functionArn: `${functionArn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: f.attempts },
    requestPayload: parsed(f.payload),
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: f.errorKind === 'FunctionError' || f.errorKind === 'Timeout' ? 'Unhandled' : f.errorKind },
    responsePayload: parsed(f.errorPayload) ?? { errorMessage: f.message },
  });
}

/** The failure queues of a function (none when it has none, or is gone). */
export const failureQueuesOf = (fc: FunctionConfig | undefined) => fc?.async_failure_queues ?? [];

export interface AsyncInvoker {
  /** Invokes without waiting; `what` names the source in log lines ("S3 event", "schedule"). */
  fire(functionName: string, payload: Buffer, fields: Record<string, unknown>, what: string, traceId?: string): void;
  close(): void;
}

export function createAsyncInvoker(o: AsyncInvokerOptions): AsyncInvoker {
  const timers = new Set<unknown>();
  let closed = false;
  const maxPending = o.maxPendingBytes ?? ASYNC_MAX_PENDING_BYTES;
  let pendingBytes = 0;
  let refusing = false;
  const attempt = (fn: string, payload: Buffer, fields: Record<string, unknown>, what: string, retry: number, traceId?: string): void => {
    const done = () => {
      pendingBytes -= payload.length;
      if (refusing && pendingBytes <= maxPending / 2) refusing = false;
    };
    const failed = (detail: { requestId?: string; kind?: string }, message: string, errorPayload?: Buffer) => {
      const config = o.functions()[fn];
      const allowed = config?.async_retries ?? ASYNC_RETRY_DELAYS_MS.length;
      if (closed || retry >= allowed) {
        done();
        const queues = failureQueuesOf(config);
        const fate = queues.length ? `sent to ${queues.map((q) => q.queue).join(', ')}` : 'dropped';
        o.warn({ fn, ...fields, ...detail, retries: retry }, `${what} invocation failed${retry > 0 ? ` after ${retry} ${retry === 1 ? 'retry' : 'retries'}` : ''}, ${fate}: ${message}`);
        if (queues.length && !closed) {
          o.exhausted?.({ functionName: fn, payload, requestId: detail.requestId, errorKind: detail.kind ?? 'Error', message, errorPayload, attempts: retry + 1, time: o.clock.now() });
        }
        return;
      }
      const delay = ASYNC_RETRY_DELAYS_MS[retry];
      o.warn({ fn, ...fields, ...detail }, `${what} invocation failed, retried in ${delay / 1000} s: ${message}`);
      const timer = o.clock.setTimeout(() => {
        timers.delete(timer);
        if (o.functions()[fn]) attempt(fn, payload, fields, what, retry + 1, traceId);
        else {
          done();
          o.warn({ fn, ...fields }, `${what} invocation not retried: ${fn} is no longer deployed`);
        }
      }, delay);
      timers.add(timer);
    };
    o.invoke(fn, payload, traceId).then(
      (r) => {
        if (r.error) failed({ requestId: r.requestId, kind: r.error.kind }, r.error.message, r.payload);
        else done();
      },
      (err: unknown) => failed({}, String(err)),
    );
  };
  return {
    fire: (fn, payload, fields, what, traceId) => {
      if (closed) return;
      if (refusing || pendingBytes + payload.length > maxPending) {
        // Refused as a throttle: to the function's failure queues when it has some.
        if (!refusing) o.warn({ fn, ...fields }, `asynchronous invocations hold ${Math.round(pendingBytes / 1048576)} MB already; ${what} invocations are refused until half of that is done`);
        refusing = true;
        const queues = failureQueuesOf(o.functions()[fn]);
        if (queues.length) o.exhausted?.({ functionName: fn, payload, errorKind: 'Throttled', message: 'asynchronous invocation refused: too many waiting', attempts: 0, time: o.clock.now() });
        return;
      }
      pendingBytes += payload.length;
      attempt(fn, payload, fields, what, 0, traceId);
    },
    close() {
      closed = true;
      for (const t of timers) o.clock.clearTimeout(t);
      timers.clear();
    },
  };
}
