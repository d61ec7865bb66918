import { describe, expect, it } from 'vitest';
import { functionTraceHeader, lineageOf, withLineage } from './trace-lineage.js';

describe('trace lineage', () => {
  it('reads the hops a header counted, and sets them, keeping the rest of the header', () => {
    const root = 'Root=1-6755a0b2-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=0';
    expect(lineageOf(undefined)).toBe(0);
    expect(lineageOf(root)).toBe(0);
    const once = withLineage(root, 1);
    expect(once).toBe(`${root};Lineage=e5b0c4a1:1`);
    expect(lineageOf(once)).toBe(1);
    expect(withLineage(once, 2)).toBe(`${root};Lineage=e5b0c4a1:2`);
    // Lambda's own form lists one entry per function: the largest counts.
    expect(lineageOf(`${root};Lineage=a87bd80c:3|68fd508a:15`)).toBe(15);
    expect(lineageOf(`${root};Lineage=garbage`)).toBe(0);
  });
});

describe("the trace header a function gets (Lambda's completion of the caller's)", () => {
  const at = Date.UTC(2026, 11, 7, 15, 0, 0);
  const seconds = Math.floor(at / 1000).toString(16);

  it('gives an invocation that came without one a root of its second, a parent segment, and the function\'s sampling', () => {
    const passThrough = functionTraceHeader(undefined, false, at);
    expect(passThrough).toMatch(new RegExp(`^Root=1-${seconds}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`));
    expect(functionTraceHeader(undefined, true, at)).toMatch(/;Sampled=1$/);
    expect(functionTraceHeader('', true, at)).toMatch(new RegExp(`^Root=1-${seconds}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$`));
    // New ones each time.
    expect(new Set(Array.from({ length: 100 }, () => functionTraceHeader(undefined, false, at))).size).toBe(100);
  });

  it("keeps the caller's root, parent and decision; decides only what the caller left open", () => {
    const root = 'Root=1-6755a0b2-0a1b2c3d4e5f60718293a4b5';
    expect(functionTraceHeader(root, false, at)).toMatch(/^Root=1-6755a0b2-0a1b2c3d4e5f60718293a4b5;Parent=[0-9a-f]{16};Sampled=0$/);
    expect(functionTraceHeader(root, true, at)).toMatch(/;Sampled=1$/);
    expect(functionTraceHeader(`${root};Parent=53995c3f42cd8ad8;Sampled=1`, false, at)).toBe(`${root};Parent=53995c3f42cd8ad8;Sampled=1`);
    expect(functionTraceHeader(`${root};Sampled=0`, true, at)).toMatch(/;Sampled=0$/);
    expect(functionTraceHeader(`${root};Sampled=?`, true, at)).toMatch(/;Sampled=1$/);
    // Lower case, as Lambda's own responses write it; the lineage of a chain stays.
    expect(functionTraceHeader('root=1-6755a0b2-0a1b2c3d4e5f60718293a4b5;sampled=1;Lineage=e5b0c4a1:3', false, at)).toMatch(/^Root=1-6755a0b2-0a1b2c3d4e5f60718293a4b5;Parent=[0-9a-f]{16};Sampled=1;Lineage=e5b0c4a1:3$/);
    expect(lineageOf(functionTraceHeader(withLineage(root, 4), false, at))).toBe(4);
    // Without a root (an ALB's Self alone) it gets one, the rest kept.
    expect(functionTraceHeader('Self=1-6755a0b2-aaaaaaaaaaaaaaaaaaaaaaaa', false, at)).toMatch(new RegExp(`^Root=1-${seconds}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Self=1-6755a0b2-a{24}$`));
  });
});
