import { describe, expect, it } from 'vitest';
import { backoffMs, began, initialWatchState, step, type Step, type WatchInput, type WatchState } from './watch-core.js';

const opts = { initialMs: 100, maxMs: 1000 };
const ref = (name: string, resourceVersion?: string, namespace = 'default') => ({ namespace, name, resourceVersion });

/** Runs inputs in order; performs `began` for delayed watch/list actions like the adapter does. */
function run(inputs: WatchInput[], from: WatchState = initialWatchState()): Step & { all: Step[] } {
  let state = from;
  const all: Step[] = [];
  for (const input of inputs) {
    const s = step(state, input, opts);
    all.push(s);
    state = s.state;
    for (const a of s.actions) if ((a.kind === 'watch' || a.kind === 'list') && a.afterMs > 0) state = began(state, a);
  }
  const last = all[all.length - 1];
  return { ...last, state, all };
}

const nonReport = (s: Step) => s.actions.filter((a) => a.kind !== 'report');

describe('watch core', () => {
  it('GIVEN idle WHEN started THEN lists at once', () => {
    const s = step(initialWatchState(), { type: 'start' }, opts);
    expect(s.state.phase).toBe('listing');
    expect(s.actions).toEqual([{ kind: 'list', afterMs: 0 }]);
    expect(s.enqueue).toEqual([]);
  });

  it('GIVEN a list result THEN enqueues every item and watches from the list resourceVersion', () => {
    const s = run([{ type: 'start' }, { type: 'listed', items: [ref('a', '5'), ref('b', '6', 'other')], resourceVersion: '10' }]);
    expect(s.enqueue).toEqual(['default/a', 'other/b']);
    expect(s.actions).toEqual([{ kind: 'watch', resourceVersion: '10', afterMs: 0 }]);
    expect(s.state.phase).toBe('watching');
    expect([...s.state.known]).toEqual(['default/a', 'other/b']);
  });

  it('GIVEN watch events THEN each enqueues its key and advances the resourceVersion; DELETED forgets the key', () => {
    const s = run([
      { type: 'start' },
      { type: 'listed', items: [ref('a')], resourceVersion: '10' },
      { type: 'event', eventType: 'ADDED', object: ref('b', '11') },
      { type: 'event', eventType: 'MODIFIED', object: ref('a', '12') },
      { type: 'event', eventType: 'DELETED', object: ref('b', '13') },
    ]);
    expect(s.all.slice(2).map((x) => x.enqueue)).toEqual([['default/b'], ['default/a'], ['default/b']]);
    expect(s.state.resourceVersion).toBe('13');
    expect([...s.state.known]).toEqual(['default/a']);
  });

  it('GIVEN a bookmark THEN only the resourceVersion moves', () => {
    const s = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }, { type: 'bookmark', resourceVersion: '42' }]);
    expect(s.enqueue).toEqual([]);
    expect(s.state.resourceVersion).toBe('42');
  });

  it('GIVEN a 410 Gone ERROR event THEN closes the watch and relists; the relist enqueues objects that vanished meanwhile', () => {
    const s = run([
      { type: 'start' },
      { type: 'listed', items: [ref('a'), ref('b')], resourceVersion: '10' },
      { type: 'watchError', status: 410, message: 'too old resource version' },
    ]);
    expect(nonReport(s)).toEqual([{ kind: 'closeWatch' }, { kind: 'list', afterMs: 0 }]);
    expect(s.state.phase).toBe('listing');
    expect(s.state.resourceVersion).toBeUndefined();

    const relisted = run([{ type: 'listed', items: [ref('a')], resourceVersion: '99' }], s.state);
    expect(relisted.enqueue.sort()).toEqual(['default/a', 'default/b']);
    expect(relisted.actions).toEqual([{ kind: 'watch', resourceVersion: '99', afterMs: 0 }]);
    expect([...relisted.state.known]).toEqual(['default/a']);
  });

  it('GIVEN the watch request itself answered 410 THEN relists', () => {
    const s = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }, { type: 'watchClosed', status: 410, error: new Error('Gone') }]);
    expect(nonReport(s)).toEqual([{ kind: 'list', afterMs: 0 }]);
    expect(s.state.phase).toBe('listing');
  });

  it('GIVEN a dropped watch THEN rewatches from the last resourceVersion with growing backoff, reset by an event', () => {
    const base = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }]).state;
    const drops = run(
      [
        { type: 'watchClosed', error: new Error('ECONNRESET') },
        { type: 'watchClosed', error: new Error('ECONNREFUSED') },
        { type: 'watchClosed', error: new Error('ECONNREFUSED') },
      ],
      base,
    );
    expect(drops.all.map((x) => nonReport(x))).toEqual([
      [{ kind: 'watch', resourceVersion: '10', afterMs: 100 }],
      [{ kind: 'watch', resourceVersion: '10', afterMs: 200 }],
      [{ kind: 'watch', resourceVersion: '10', afterMs: 400 }],
    ]);
    expect(drops.all[0].actions[0]).toMatchObject({ kind: 'report', level: 'warn' });

    const recovered = run([{ type: 'event', eventType: 'ADDED', object: ref('x', '11') }, { type: 'watchClosed', error: new Error('reset') }], drops.state);
    expect(nonReport(recovered)).toEqual([{ kind: 'watch', resourceVersion: '11', afterMs: 100 }]);
  });

  it('GIVEN the server ends a healthy watch (timeout) THEN rewatches at once', () => {
    const s = run([
      { type: 'start' },
      { type: 'listed', items: [], resourceVersion: '10' },
      { type: 'event', eventType: 'ADDED', object: ref('a', '11') },
      { type: 'watchClosed' },
    ]);
    expect(s.actions).toEqual([{ kind: 'watch', resourceVersion: '11', afterMs: 0 }]);
  });

  it('GIVEN a watch that closes without any event THEN backs off instead of spinning', () => {
    const s = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }, { type: 'watchClosed' }, { type: 'watchClosed' }]);
    expect(s.all.slice(2).map((x) => nonReport(x))).toEqual([
      [{ kind: 'watch', resourceVersion: '10', afterMs: 100 }],
      [{ kind: 'watch', resourceVersion: '10', afterMs: 200 }],
    ]);
  });

  it('GIVEN a failing list THEN retries with capped backoff', () => {
    let state = step(initialWatchState(), { type: 'start' }, opts).state;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = step(state, { type: 'listFailed', status: 503, error: new Error('unavailable') }, opts);
      delays.push(...s.actions.flatMap((a) => (a.kind === 'list' ? [a.afterMs] : [])));
      state = s.state;
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    const ok = step(state, { type: 'listed', items: [], resourceVersion: '1' }, opts);
    expect(ok.state.failures).toBe(0);
  });

  it('GIVEN a non-410 watch ERROR THEN closes and rewatches after backoff', () => {
    const s = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }, { type: 'watchError', status: 500, message: 'boom' }]);
    expect(nonReport(s)).toEqual([{ kind: 'closeWatch' }, { kind: 'watch', resourceVersion: '10', afterMs: 100 }]);
  });

  it('GIVEN known objects WHEN resync THEN enqueues every known key without changing state', () => {
    const before = run([{ type: 'start' }, { type: 'listed', items: [ref('a'), ref('b')], resourceVersion: '10' }]).state;
    const s = step(before, { type: 'resync' }, opts);
    expect(s.enqueue.sort()).toEqual(['default/a', 'default/b']);
    expect(s.state).toBe(before);
  });

  it('GIVEN events from a watch we already closed THEN they are ignored', () => {
    const relisting = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }, { type: 'watchError', status: 410 }]).state;
    const late = step(relisting, { type: 'event', eventType: 'ADDED', object: ref('z', '5') }, opts);
    expect(late.enqueue).toEqual([]);
    expect(step(relisting, { type: 'watchClosed' }, opts).actions).toEqual([]);
  });

  it('GIVEN stopped THEN closes the watch and ignores everything after', () => {
    const watching = run([{ type: 'start' }, { type: 'listed', items: [ref('a')], resourceVersion: '10' }]).state;
    const stopped = step(watching, { type: 'stop' }, opts);
    expect(stopped.actions).toEqual([{ kind: 'closeWatch' }]);
    expect(step(stopped.state, { type: 'resync' }, opts).enqueue).toEqual([]);
    expect(step(stopped.state, { type: 'watchClosed', error: new Error('x') }, opts).actions).toEqual([]);
  });

  it('backoff doubles from the initial delay up to the cap', () => {
    expect([0, 1, 2, 3, 10, 100].map((n) => backoffMs(n, opts))).toEqual([0, 100, 200, 400, 1000, 1000]);
  });

  it('GIVEN MODIFIED events THEN only a generation change enqueues (status-only patches, like our own, do not)', () => {
    const g = (name: string, rv: string, generation: number) => ({ ...ref(name, rv), generation });
    const s = run([
      { type: 'start' },
      { type: 'listed', items: [g('a', '5', 1)], resourceVersion: '10' },
      { type: 'event', eventType: 'MODIFIED', object: g('a', '11', 1) }, // status patch
      { type: 'event', eventType: 'MODIFIED', object: g('a', '12', 2) }, // spec change
      { type: 'event', eventType: 'MODIFIED', object: g('a', '13', 2) }, // status patch
      { type: 'event', eventType: 'ADDED', object: g('b', '14', 1) },
      { type: 'event', eventType: 'MODIFIED', object: g('b', '15', 1) },
      { type: 'event', eventType: 'DELETED', object: g('b', '16', 1) },
    ]);
    expect(s.all.slice(2).map((x) => x.enqueue)).toEqual([[], ['default/a'], [], ['default/b'], [], ['default/b']]);
    expect(s.state.resourceVersion).toBe('16');
  });

  it('GIVEN a failed list or a refused watch with Retry-After THEN the next attempt waits exactly that long, not the backoff', () => {
    const l = run([{ type: 'start' }, { type: 'listFailed', status: 429, error: new Error('Too Many Requests'), retryAfterMs: 3000 }]);
    expect(nonReport(l)).toEqual([{ kind: 'list', afterMs: 3000 }]);
    expect(l.actions[0]).toMatchObject({ kind: 'report', message: expect.stringContaining('Retry-After') });
    const w = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }, { type: 'watchClosed', status: 503, error: new Error('unavailable'), retryAfterMs: 0 }]);
    expect(nonReport(w)).toEqual([{ kind: 'watch', resourceVersion: '10', afterMs: 0 }]);
  });

  it('GIVEN the watchdog fires on a silent watch THEN the watch is closed as dead and reopened from the last resourceVersion', () => {
    const watching = run([{ type: 'start' }, { type: 'listed', items: [], resourceVersion: '10' }]).state;
    const s = step(watching, { type: 'watchStalled', silentMs: 330_000 }, opts);
    expect(nonReport(s)).toEqual([{ kind: 'closeWatch' }, { kind: 'watch', resourceVersion: '10', afterMs: 100 }]);
    // The close of the dead watch that may still arrive is ignored.
    expect(step(s.state, { type: 'watchClosed', error: new Error('aborted') }, opts).actions).toEqual([]);
  });
});
