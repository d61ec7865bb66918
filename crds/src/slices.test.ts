import { describe, expect, it } from 'vitest';
import { nextSlice, sliceWaiting } from './slices.js';

describe('slices of long work', () => {
  it('say a slice waits from the yield until its turn has come, and not after', async () => {
    expect(sliceWaiting()).toBe(false);
    const first = nextSlice();
    const second = nextSlice();
    expect(sliceWaiting()).toBe(true);
    await first;
    await second;
    expect(sliceWaiting()).toBe(false);
  });
});
