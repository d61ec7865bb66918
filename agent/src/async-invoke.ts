// Asynchronous invocations (S3 events, EventBridge rules, schedules; docs/agent.md "Asynchronous invocations"):
// the caller is not kept waiting, and a failed invocation is tried again, as Lambda does, one
// minute later and then two minutes after that, up to the function's async_retries (default 2),
// with the request id and trace header it got when it came; then it goes to the function's
// failure queues and on-failure destination, if it has any. A throttled one is tried again until
// the event is too old (THROTTLE_RETRY_*). One that succeeds goes to its on-success destination.
import { randomUUID } from 'node:crypto';
import { newTraceId, type FunctionConfig, type FunctionsFile, type InvokeResult } from '@esb/contracts';
import type { SqsStringAttributes } from './sqs-events.js';
import type { Clock } from './clock.js';

/** Lambda's delays before the first and the second retry. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

/**
 * A throttled asynchronous invocation is tried again, not counted as a retry, 1 s later and
 * doubling up to 5 minutes, until the event is older than the function's async_max_event_age
 * (MaximumEventAgeInSeconds; default 6 hours), as Lambda does.
 */
export const THROTTLE_RETRY_FIRST_MS = 1_000;
export const THROTTLE_RETRY_MAX_MS = 300_000;
export const ASYNC_MAX_EVENT_AGE_S = 21_600;

/**
 * What an asynchronous invocation keeps from when it came to each of its attempts, as Lambda
 * keeps them: its request id (the function's awsRequestId) and its trace header (a chain's lineage,
 * docs/agent.md "Recursive loops").
 */
export interface AsyncInvocationIds {
  requestId: string;
  traceId: string;
}

export interface AsyncInvokerOptions {
  clock: Clock;
  /** One attempt. */
  invoke(functionName: string, payload: Buffer, ids: AsyncInvocationIds): Promise<InvokeResult>;
  /** The function's config now (async_retries; gone: no more retries). */
  functions(): FunctionsFile['functions'];
  warn(fields: Record<string, unknown>, message: string): void;
  /** An invocation whose retries are spent, for the function's async_failure_queues and on-failure destination. */
  exhausted?(failure: ExhaustedInvocation): void;
  /** An invocation that succeeded, for the function's on-success destination (only when it has one). */
  succeeded?(success: SucceededInvocation): void;
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
  /** The invocation's request id (every attempt's). */
  requestId: string;
  /** Unhandled (the function failed), or why it did not run (a timeout, a throttle, ...). */
  errorKind: string;
  message: string;
  /** The last attempt's error payload (`{errorMessage, errorType, ...}`), when the function answered one. */
  errorPayload?: Buffer;
  attempts: number;
  time: number;
  /** The trace header the invocation carried (a chain's lineage, docs/agent.md "Recursive loops"). */
  traceId: string;
}

export interface SucceededInvocation {
  functionName: string;
  payload: Buffer;
  requestId: string;
  /** What the function returned. */
  response: Buffer;
  attempts: number;
  time: number;
  traceId: string;
}

/** The message a dead-letter queue gets: the event itself, with Lambda's three attributes. */
export function deadLetterMessage(f: ExhaustedInvocation): { body: string; attributes: SqsStringAttributes } {
  return {
    body: f.payload.toString('utf8'),
    attributes: {
      RequestID: { DataType: 'String', StringValue: f.requestId },
      // Lambda's status code of the invoke: 200 when the function ran and failed.
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: f.message.slice(0, 1024) },
    },
  };
}

/** The record an on-failure destination gets, as Lambda writes it. */
export function failureDestinationRecord(f: ExhaustedInvocation, functionArn: string): string {
  return destinationRecord({
    requestId: f.requestId,
    time: f.time,
    functionArn,
    // Throttled to the end (or refused while too many waited): the event grew too old.
    condition: f.errorKind === 'Throttled' ? 'EventAgeExceeded' : 'RetriesExhausted',
    attempts: f.attempts,
    payload: f.payload,
    functionError: f.errorKind === 'FunctionError' || f.errorKind === 'Timeout' ? 'Unhandled' : f.errorKind,
    response: f.errorPayload,
    fallbackResponse: { errorMessage: f.message },
  });
}

/** The record an on-success destination gets, as Lambda writes it. */
export function successDestinationRecord(s: SucceededInvocation, functionArn: string): string {
  return destinationRecord({ requestId: s.requestId, time: s.time, functionArn, condition: 'Success', attempts: s.attempts, payload: s.payload, response: s.response });
}

function destinationRecord(r: { requestId: string; time: number; functionArn: string; condition: string; attempts: number; payload: Buffer; functionError?: string; response?: Buffer; fallbackResponse?: unknown }): string {
  const parsed = (b: Buffer | undefined) => {
    if (!b || b.length === 0) return undefined;
    try {
      return JSON.parse(b.toString('utf8')) as unknown;
    } catch {
      return b.toString('utf8');
    }
  };
  return JSON.stringify({
    version: '1.0',
    timestamp: new Date(r.time).toISOString(),
    requestContext: { requestId: r.requestId, functionArn: `${r.functionArn}:$LATEST`, condition: r.condition, approximateInvokeCount: r.attempts },
    requestPayload: parsed(r.payload),
    responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(r.functionError ? { functionError: r.functionError } : {}) },
    responsePayload: parsed(r.response) ?? r.fallbackResponse ?? null,
  });
}

/** The failure queues of a function (none when it has none, or is gone). */
export const failureQueuesOf = (fc: FunctionConfig | undefined) => fc?.async_failure_queues ?? [];

/** Where a function's failed asynchronous invocations go, in words (for log lines); empty when nowhere. */
function failureTargets(fc: FunctionConfig | undefined): string[] {
  const onFailure = fc?.async_destinations?.on_failure;
  return [...failureQueuesOf(fc).map((q) => q.queue), ...(onFailure ? [`${onFailure.type} ${onFailure.target}`] : [])];
}

export interface AsyncInvoker {
  /**
   * Invokes without waiting; `what` names the source in log lines ("S3 event", "schedule").
   * `ids`: what the invocation came with (the Invoke API's request id, a caller's trace header); the rest is made here.
   */
  fire(functionName: string, payload: Buffer, fields: Record<string, unknown>, what: string, ids?: Partial<AsyncInvocationIds>): void;
  close(): void;
}

export function createAsyncInvoker(o: AsyncInvokerOptions): AsyncInvoker {
  const timers = new Set<unknown>();
  let closed = false;
  const maxPending = o.maxPendingBytes ?? ASYNC_MAX_PENDING_BYTES;
  let pendingBytes = 0;
  let refusing = false;
  /** One attempt; `queuedAt`: when the event came (its age counts from then); `throttles`: tries Lambda throttled so far. */
  const attempt = (fn: string, payload: Buffer, fields: Record<string, unknown>, what: string, retry: number, ids: AsyncInvocationIds, queuedAt: number, throttles = 0): void => {
    const done = () => {
      pendingBytes -= payload.length;
      if (refusing && pendingBytes <= maxPending / 2) refusing = false;
    };
    const failed = (kind: string | undefined, message: string, errorPayload?: Buffer) => {
      const config = o.functions()[fn];
      const allowed = config?.async_retries ?? ASYNC_RETRY_DELAYS_MS.length;
      const detail = { requestId: ids.requestId, ...(kind ? { kind } : {}) };
      if (kind === 'Throttled' && !closed && config) {
        const delay = Math.min(THROTTLE_RETRY_MAX_MS, THROTTLE_RETRY_FIRST_MS * 2 ** throttles);
        const maxAgeMs = (config.async_max_event_age ?? ASYNC_MAX_EVENT_AGE_S) * 1000;
        if (o.clock.now() + delay - queuedAt <= maxAgeMs) {
          if (throttles === 0) o.warn({ fn, ...fields, ...detail }, `${what} invocation throttled, tried again for up to ${maxAgeMs / 1000} s from when it came: ${message}`);
          later(delay, () => attempt(fn, payload, fields, what, retry, ids, queuedAt, throttles + 1));
          return;
        }
        done();
        const targets = failureTargets(config);
        o.warn({ fn, ...fields, ...detail }, `${what} invocation throttled until the event was older than ${maxAgeMs / 1000} s, ${targets.length ? `sent to ${targets.join(', ')}` : 'dropped'}: ${message}`);
        if (targets.length) o.exhausted?.({ functionName: fn, payload, ...ids, errorKind: 'Throttled', message, errorPayload, attempts: retry + 1, time: o.clock.now() });
        return;
      }
      if (closed || retry >= allowed) {
        done();
        const targets = failureTargets(config);
        const fate = targets.length ? `sent to ${targets.join(', ')}` : 'dropped';
        o.warn({ fn, ...fields, ...detail, retries: retry }, `${what} invocation failed${retry > 0 ? ` after ${retry} ${retry === 1 ? 'retry' : 'retries'}` : ''}, ${fate}: ${message}`);
        if (targets.length && !closed) {
          o.exhausted?.({ functionName: fn, payload, ...ids, errorKind: kind ?? 'Error', message, errorPayload, attempts: retry + 1, time: o.clock.now() });
        }
        return;
      }
      const delay = ASYNC_RETRY_DELAYS_MS[retry];
      o.warn({ fn, ...fields, ...detail }, `${what} invocation failed, retried in ${delay / 1000} s: ${message}`);
      later(delay, () => attempt(fn, payload, fields, what, retry + 1, ids, queuedAt));
    };
    /** `next` after `delay`, unless the function is gone by then. */
    const later = (delay: number, next: () => void) => {
      const timer = o.clock.setTimeout(() => {
        timers.delete(timer);
        if (o.functions()[fn]) next();
        else {
          done();
          o.warn({ fn, ...fields }, `${what} invocation not retried: ${fn} is no longer deployed`);
        }
      }, delay);
      timers.add(timer);
    };
    o.invoke(fn, payload, ids).then(
      (r) => {
        if (r.error) failed(r.error.kind, r.error.message, r.payload);
        else {
          done();
          if (o.functions()[fn]?.async_destinations?.on_success && !closed) o.succeeded?.({ functionName: fn, payload, ...ids, response: r.payload, attempts: retry + 1, time: o.clock.now() });
        }
      },
      (err: unknown) => failed(undefined, String(err)),
    );
  };
  return {
    fire: (fn, payload, fields, what, given = {}) => {
      if (closed) return;
      const ids: AsyncInvocationIds = { requestId: given.requestId ?? randomUUID(), traceId: given.traceId ?? newTraceId(o.clock.now()) };
      if (refusing || pendingBytes + payload.length > maxPending) {
        // Refused as a throttle: to the function's failure queues when it has some.
        if (!refusing) o.warn({ fn, ...fields }, `asynchronous invocations hold ${Math.round(pendingBytes / 1048576)} MB already; ${what} invocations are refused until half of that is done`);
        refusing = true;
        if (failureTargets(o.functions()[fn]).length) o.exhausted?.({ functionName: fn, payload, ...ids, errorKind: 'Throttled', message: 'asynchronous invocation refused: too many waiting', attempts: 0, time: o.clock.now() });
        return;
      }
      pendingBytes += payload.length;
      attempt(fn, payload, fields, what, 0, ids, o.clock.now());
    },
    close() {
      closed = true;
      for (const t of timers) o.clock.clearTimeout(t);
      timers.clear();
    },
  };
}
