import { describe, expect, it } from 'vitest';
import { readUntilValid } from './read-until-valid.js';

/** A read that returns the given results in turn, noting each attempt number and when it came. */
function reads<T>(results: T[]) {
  const attempts: number[] = [];
  const times: number[] = [];
  const start = performance.now();
  const read = async (attempt: number) => {
    attempts.push(attempt);
    times.push(performance.now() - start);
    return results[Math.min(attempt, results.length - 1)];
  };
  return { read, attempts, times };
}

describe('readUntilValid', () => {
  it('a valid first read is returned at once, with no pause', async () => {
    const r = reads(['whole']);
    expect(await readUntilValid(r.read, (t) => t === 'whole', [10_000])).toBe('whole');
    expect(r.attempts).toEqual([0]);
  });

  it('reads again after each pause until a read is valid, and no more', async () => {
    const r = reads(['', 'half', 'whole', 'later']);
    expect(await readUntilValid(r.read, (t) => t === 'whole', [20, 20, 20, 20])).toBe('whole');
    expect(r.attempts).toEqual([0, 1, 2]);
    expect(r.times[1] - r.times[0]).toBeGreaterThanOrEqual(15);
    expect(r.times[2] - r.times[1]).toBeGreaterThanOrEqual(15);
  });

  it('after the last pause, the last read is returned even if it is not valid', async () => {
    const r = reads(['', 'half']);
    expect(await readUntilValid(r.read, (t) => t === 'whole', [1, 1])).toBe('half');
    expect(r.attempts).toEqual([0, 1, 2]);
  });

  it('takes an asynchronous validity check', async () => {
    const r = reads(['', 'whole']);
    expect(await readUntilValid(r.read, async (t) => t === 'whole', [1, 1])).toBe('whole');
    expect(r.attempts).toEqual([0, 1]);
  });

  it('stops waiting when told, before a pause or during one', async () => {
    const before = reads(['']);
    expect(await readUntilValid(before.read, () => false, [1, 1], () => true)).toBe('');
    expect(before.attempts).toEqual([0]);

    let stop = false;
    const during = reads(['', 'half']);
    const done = readUntilValid(during.read, () => false, [50, 50], () => stop);
    setTimeout(() => (stop = true), 10);
    expect(await done).toBe('');
    expect(during.attempts).toEqual([0]);
  });
});
