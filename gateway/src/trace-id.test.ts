import { describe, expect, it } from 'vitest';
import { newTraceId } from './app.js';

describe('trace ids the gateway adds', () => {
  it('are X-Ray root ids of the request second, random and unique', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newTraceId(at);
      expect(id).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
    expect(newTraceId(at).slice(7, 15)).toBe(Math.floor(at / 1000).toString(16));
    expect(newTraceId(at + 1000).slice(7, 15)).toBe((Math.floor(at / 1000) + 1).toString(16));
    expect(newTraceId(at).slice(7, 15)).toBe(Math.floor(at / 1000).toString(16));
  });
});
