// Event-driven waiting for tests: poll a probe until it gives a truthy value. The timeout is a
// liveness bound that names what never happened, not a speed check.

export interface UntilOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  everyMs?: number;
}

/**
 * The probe's first truthy value. A probe that throws is retried; when time runs out the error
 * names `what` and the probe's last error.
 */
export async function until<T>(probe: () => T | Promise<T>, what: string, options: UntilOptions | number = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, everyMs = 50 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
