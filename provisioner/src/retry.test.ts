import { describe, expect, it } from 'vitest';
import { ProvisionAbortedError } from './errors.js';
import { isRetryable, withRetry } from './retry.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe('withRetry', () => {
  it('retries connection errors with doubling delays, capped, then throws the last error with the attempt count', async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw refused();
      },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
      { sleep: async (ms) => void delays.push(ms) },
    ).catch((e: unknown) => e as Error & { attempts: number });
    expect(calls).toBe(5);
    expect(delays).toEqual([100, 200, 300, 300]);
    expect(err.attempts).toBe(5);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('returns as soon as the server answers', async () => {
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw refused();
        return 'ok';
      },
      { attempts: 10, baseDelayMs: 1 },
      { sleep: async () => {} },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry an error the server gave on purpose', async () => {
    let calls = 0;
    const validation = Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw validation;
        },
        { attempts: 5, baseDelayMs: 1 },
        { sleep: async () => {} },
      ),
    ).rejects.toBe(validation);
    expect(calls).toBe(1);
  });

  it('stops when the signal aborts', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(withRetry(async () => 1, { attempts: 3, baseDelayMs: 1 }, { signal: ac.signal })).rejects.toBeInstanceOf(ProvisionAbortedError);
  });
});

describe('isRetryable', () => {
  it('knows connection failures, 5xx, throttling and nested causes', () => {
    expect(isRetryable(refused())).toBe(true);
    expect(isRetryable({ name: 'InternalServerError', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryable({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })).toBe(true);
    expect(isRetryable(new AggregateError([refused()]))).toBe(true);
    expect(isRetryable(new Error('wrapped', { cause: refused() }))).toBe(true);
    expect(isRetryable({ name: 'ResourceInUseException', $metadata: { httpStatusCode: 400 } })).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });
});
