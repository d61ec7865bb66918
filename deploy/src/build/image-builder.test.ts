import { describe, expect, it } from 'vitest';
import { baseImageOf } from './image-builder.js';

describe('baseImageOf (a function image is rebuilt when this base changed)', () => {
  it('resolves FROM ${BASE_IMAGE} from the build args, else the ARG default', () => {
    const df = 'ARG BASE_IMAGE=esb-runtime:nodejs\nFROM ${BASE_IMAGE}\nCOPY . /var/task/\n';
    expect(baseImageOf(df, {})).toBe('esb-runtime:nodejs');
    expect(baseImageOf(df, { BASE_IMAGE: 'my:base' })).toBe('my:base');
  });
  it('takes a literal FROM (with flags), the first stage only, and nothing for scratch', () => {
    expect(baseImageOf('# c\nFROM --platform=linux/amd64 esb-runtime:python3 AS b\nFROM other\n', {})).toBe('esb-runtime:python3');
    expect(baseImageOf('FROM $X\n', { X: 'x:1' })).toBe('x:1');
    expect(baseImageOf('FROM scratch\n', {})).toBeUndefined();
    expect(baseImageOf('RUN true\n', {})).toBeUndefined();
  });
});
