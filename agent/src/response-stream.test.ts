import { describe, expect, it } from 'vitest';
import type { StreamFailure } from '@esb/contracts';
import { InvocationStream } from './response-stream.js';

const sinkOf = () => {
  const seen: unknown[] = [];
  return { seen, sink: { chunk: (b: Buffer) => seen.push(b.toString()), end: (f?: StreamFailure) => seen.push(f ? `end: ${f.message}` : 'end') } };
};

describe('InvocationStream', () => {
  it('holds what came before the caller opened it, then passes each chunk on as it comes', () => {
    const s = new InvocationStream('text/plain');
    s.push(Buffer.from('a'));
    s.push(Buffer.from('b'));
    const { seen, sink } = sinkOf();
    s.open(sink);
    expect(seen).toEqual(['a', 'b']);
    s.push(Buffer.from('c'));
    s.end();
    s.push(Buffer.from('late'));
    expect(seen).toEqual(['a', 'b', 'c', 'end']);
  });

  it('tells a sink opened after the end of the whole stream and how it ended', () => {
    const s = new InvocationStream('text/plain');
    s.push(Buffer.from('x'));
    s.end({ kind: 'FunctionError', message: 'Error: boom', payload: Buffer.from('{}') });
    const { seen, sink } = sinkOf();
    s.open(sink);
    expect(seen).toEqual(['x', 'end: Error: boom']);
  });

  it('keeps everything for a caller that takes it whole, and refuses bytes past its limit', () => {
    const s = new InvocationStream('application/octet-stream', 5);
    expect([s.push(Buffer.from('abc')), s.push(Buffer.from('de'))]).toEqual([true, true]);
    expect(s.whole().toString()).toBe('abcde');
    expect(s.push(Buffer.from('f'))).toBe(false);
    expect(s.size).toBe(6);
  });

  it('drops what comes after the caller went away', () => {
    const s = new InvocationStream('text/plain');
    const { seen, sink } = sinkOf();
    s.open(sink);
    s.push(Buffer.from('a'));
    s.cancel();
    s.push(Buffer.from('b'));
    s.end();
    expect(seen).toEqual(['a']);
  });
});
