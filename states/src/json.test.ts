import { describe, expect, it } from 'vitest';
import { boundedJson, jsonPreview, JsonTooLarge, NotJson } from './json.js';

describe('boundedJson', () => {
  it('writes what JSON.stringify writes', () => {
    const values: unknown[] = [null, true, 0, -1.5, 1e21, 'text "quoted" \n é', [], {}, [1, undefined, 'a'], { a: 1, b: undefined, c: [{ d: null }], 'é k': 'v' }, NaN, new Date(0)];
    for (const value of values) expect(boundedJson(value, 1000)).toBe(JSON.stringify(value));
    expect(boundedJson(undefined, 10)).toBe('null');
    expect(JSON.parse(boundedJson(JSON.parse('{"__proto__": {"x": 1}}'), 100))).toEqual(JSON.parse('{"__proto__": {"x": 1}}'));
  });

  it('stops past its ceiling, however often a value repeats one large object', () => {
    const big = { text: 'x'.repeat(100_000) };
    const repeated = Array.from({ length: 100_000 }, () => big);
    const started = Date.now();
    expect(() => boundedJson(repeated, 1_000_000)).toThrow(JsonTooLarge);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(() => boundedJson('x'.repeat(11), 10)).toThrow(JsonTooLarge);
    expect(boundedJson('x'.repeat(8), 10)).toBe('"xxxxxxxx"');
  });

  it('refuses what is not JSON', () => {
    expect(() => boundedJson({ f: () => 1 }, 100)).toThrow(NotJson);
    expect(() => boundedJson(1n, 100)).toThrow(NotJson);
  });

  it('previews values for messages', () => {
    expect(jsonPreview({ a: 1 })).toBe('{"a":1}');
    expect(jsonPreview('x'.repeat(300), 5)).toBe('"xxxxx"...');
    expect(jsonPreview(Array.from({ length: 1000 }, () => 1), 10)).toBe('an array of 1000 items');
  });
});
