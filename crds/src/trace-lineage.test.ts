import { describe, expect, it } from 'vitest';
import { lineageOf, withLineage } from './trace-lineage.js';

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
