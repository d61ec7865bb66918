import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { InvocationCancel } from './client-close.js';

const fakeRes = (state: { writableFinished?: boolean; destroyed?: boolean } = {}) => Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false, ...state }) as unknown as ServerResponse & EventEmitter;

describe('InvocationCancel', () => {
  it('listens for the client only once the signal is read, and aborts it when the client goes', () => {
    const res = fakeRes();
    const c = new InvocationCancel(res);
    expect(res.listenerCount('close')).toBe(0);
    c.abort('timeout', new Error('t')); // nobody holds a signal: nothing to do
    expect([c.aborted, c.reason]).toEqual([false, undefined]);
    const signal = c.signal;
    expect(res.listenerCount('close')).toBe(1);
    res.emit('close');
    expect([signal.aborted, c.reason]).toEqual([true, 'gone']);
    c.abort('timeout', new Error('later')); // the first reason sticks
    expect(c.reason).toBe('gone');
    c.dispose();
    expect(res.listenerCount('close')).toBe(0);
  });

  it('a finished response closing is not a client going away; an already closed one is', () => {
    const done = fakeRes();
    const a = new InvocationCancel(done);
    void a.signal;
    (done as unknown as { writableFinished: boolean }).writableFinished = true;
    done.emit('close');
    expect(a.aborted).toBe(false);
    const b = new InvocationCancel(fakeRes({ destroyed: true }));
    expect(b.signal.aborted).toBe(true);
    expect(b.reason).toBe('gone');
  });
});
