import { describe, expect, it } from 'vitest';
import { functionNameOf } from './task-integrations.js';

describe('Lambda tasks', () => {
  it('reads FunctionName as a name, a full or partial ARN, with or without a version', () => {
    expect(functionNameOf('charge')).toBe('charge');
    expect(functionNameOf('arn:aws:lambda:us-east-1:123456789012:function:charge:$LATEST')).toBe('charge');
    expect(functionNameOf('123456789012:function:charge')).toBe('charge');
    expect(() => functionNameOf('no spaces')).toThrow(/not a function name or ARN/);
    expect(() => functionNameOf(undefined)).toThrow(/required/);
  });
});
