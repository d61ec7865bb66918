import { describe, expect, it } from 'vitest';
import { inOrder } from './in-order.js';

describe('inOrder', () => {
  it('sends one item after another in the order given, reports a failure once per outage, and drops items past max', async () => {
    const sent: number[] = [];
    const reports: string[] = [];
    const gates: Array<() => void> = [];
    const send = inOrder(
      (n: number) =>
        new Promise<void>((resolve, reject) => {
          gates.push(() => (n < 0 ? reject(new Error(`bad ${n}`)) : (sent.push(n), resolve())));
        }),
      { max: 3, report: (r) => reports.push(r) },
    );
    for (const n of [1, -1, -2]) send(n);
    send(4); // a fourth while three wait: dropped
    expect(reports).toEqual(['3 are waiting; later ones are dropped']);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      gates.shift()!();
    }
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([1]);
    // 1 went through (the outage of the drop ended), -1 failed, -2 failed in the same outage: not said again.
    expect(reports).toEqual(['3 are waiting; later ones are dropped', 'bad -1']);
    send(5);
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([1, 5]);
    send(-6);
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(reports).toEqual(['3 are waiting; later ones are dropped', 'bad -1', 'bad -6']);
  });
});
