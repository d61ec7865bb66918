import { describe, expect, it } from 'vitest';
import { firstNumber, numberFlag } from './args.js';

describe('benchmark arguments', () => {
  it('read the number after a flag, the default without it, and refuse a value that is not a number', () => {
    expect(numberFlag(['--runs', '3', '--quick'], '--runs', 5)).toBe(3);
    expect(numberFlag(['--quick'], '--runs', 5)).toBe(5);
    expect(numberFlag(['--quick'], '--runs')).toBeUndefined();
    expect(() => numberFlag(['--runs', '--quick'], '--runs', 5)).toThrow('--runs needs a number, got --quick');
    expect(() => numberFlag(['--runs'], '--runs', 5)).toThrow('got nothing');
  });

  it('take the first plain number among the arguments, past flags', () => {
    expect(firstNumber(['--quick', '7'], 5)).toBe(7);
    expect(firstNumber(['--quick'], 5)).toBe(5);
    expect(firstNumber(['0.5'], 5)).toBe(0.5);
  });
});
