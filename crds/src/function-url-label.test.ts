import { describe, expect, it } from 'vitest';
import { functionUrlLabel, stackHostLabel } from './contracts.js';

describe('functionUrlLabel', () => {
  it('is the key lower-cased with other characters as "-", at most 63 characters (a DNS label), long keys still apart', () => {
    expect(functionUrlLabel('hello-world-HelloFunction')).toBe('hello-world-hellofunction');
    expect(functionUrlLabel('app_Fn.v2')).toBe('app-fn-v2');
    const a = functionUrlLabel(`${'a'.repeat(50)}-AnExtremelyLongLogicalId1`);
    const b = functionUrlLabel(`${'a'.repeat(50)}-AnExtremelyLongLogicalId2`);
    expect(a).toHaveLength(63);
    expect(a).toMatch(/^[a-z0-9-]{54}-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(functionUrlLabel(`${'a'.repeat(50)}-AnExtremelyLongLogicalId1`)).toBe(a);
  });

  it('stackHostLabel: the stack name lower-cased, cut the same way past 63 characters', () => {
    expect(stackHostLabel('Hello-World')).toBe('hello-world');
    const long = stackHostLabel(`My-${'x'.repeat(70)}`);
    expect(long).toMatch(/^my-x{51}-[0-9a-f]{8}$/);
    expect(stackHostLabel(`My-${'x'.repeat(70)}`)).toBe(long);
  });
});
