import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CancellableContext, InvocationCancel } from './client-close.js';

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

  it('onCancel: a plain callback, called once with the reason, without building a signal; unregistered it is not called', async () => {
    const res = fakeRes();
    const c = new InvocationCancel(res);
    const heard: string[] = [];
    const off = c.onCancel((e) => heard.push(`first: ${e.message}`));
    c.onCancel((e) => heard.push(`second: ${e.message}`));
    expect(res.listenerCount('close')).toBe(1);
    off();
    res.emit('close');
    expect(heard).toEqual(['second: the client closed the connection']);
    expect([c.aborted, c.reason]).toEqual([true, 'gone']);
    // A listener that comes after the cancel hears it too (on the next microtask), and a signal read now is aborted.
    const late: string[] = [];
    c.onCancel((e) => late.push(e.message));
    expect(late).toEqual([]);
    await Promise.resolve();
    expect(late).toEqual(['the client closed the connection']);
    expect(c.signal.aborted).toBe(true);
  });

  it('a timeout reaches both a signal and callbacks', () => {
    const c = new InvocationCancel(fakeRes());
    const heard: string[] = [];
    c.onCancel((e) => heard.push(e.message));
    const signal = c.signal;
    c.abort('timeout', new Error('integration timeout'));
    expect(heard).toEqual(['integration timeout']);
    expect([signal.aborted, (signal.reason as Error).message, c.reason]).toEqual([true, 'integration timeout', 'timeout']);
  });

  it('CancellableContext: the fields as given, onCancel usable on its own, signal built on first read', () => {
    const res = fakeRes();
    const cancel = new InvocationCancel(res);
    const ctx = new CancellableContext({ requestId: 'r1', traceId: 't1', logTail: true }, cancel);
    expect([ctx.requestId, ctx.traceId, ctx.logTail, ctx.clientContext]).toEqual(['r1', 't1', true, undefined]);
    const { onCancel } = ctx; // the agent's pool calls it detached
    const reasons: string[] = [];
    onCancel((e) => reasons.push(e.message));
    expect(res.listenerCount('close')).toBe(1);
    const signal = ctx.signal;
    expect(ctx.signal).toBe(signal);
    res.emit('close');
    expect([reasons, signal.aborted, cancel.reason]).toEqual([['the client closed the connection'], true, 'gone']);
  });
});
