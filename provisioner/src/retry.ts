// Retry with exponential backoff for "the server is still starting" errors. Time is injected.
import { ProvisionAbortedError } from './errors.js';

export interface RetryPolicy {
  /** Total attempts, the first included (>= 1). */
  attempts: number;
  /** Delay before the second attempt; doubles each time, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 200, maxDelayMs: 5_000 };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ProvisionAbortedError({ cause: signal.reason }));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProvisionAbortedError({ cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** Connection failures, timeouts, 5xx and throttling: what a server that is still starting (or busy) answers. */
export function isRetryable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; name?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown; errors?: unknown[] };
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout' || e.name === 'ThrottlingException' || e.name === 'ProvisionedThroughputExceededException' || e.name === 'SlowDown') return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (Array.isArray(e.errors) && e.errors.some(isRetryable)) return true; // AggregateError (happy eyeballs)
  return e.cause !== undefined && e.cause !== err && isRetryable(e.cause);
}

export interface RetryResult<T> {
  value: T;
  attempts: number;
}

/** Runs fn until it succeeds, a non-retryable error is thrown, or the attempts are used up (the last error is thrown, with `attempts` set). */
export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  opts: { sleep?: Sleep; signal?: AbortSignal; retryable?: (err: unknown) => boolean } = {},
): Promise<T> {
  const { sleep: wait = sleep, signal, retryable = isRetryable } = opts;
  const attempts = Math.max(1, policy.attempts);
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new ProvisionAbortedError({ cause: signal.reason });
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err) || signal?.aborted) {
        if (err && typeof err === 'object') (err as { attempts?: number }).attempts = attempt;
        throw err;
      }
      const delay = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs!);
      await wait(delay, signal);
    }
  }
}
