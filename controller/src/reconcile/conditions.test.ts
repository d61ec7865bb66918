import { describe, expect, it } from 'vitest';
import { setCondition } from './conditions.js';

const t0 = new Date('2026-11-25T10:00:00Z');
const t1 = new Date('2026-11-25T10:05:00Z');

describe('setCondition', () => {
  it('adds a condition with the transition time of now', () => {
    const out = setCondition([], { type: 'Ready', status: 'False', reason: 'Generating', message: '' }, t0);
    expect(out).toEqual([{ type: 'Ready', status: 'False', reason: 'Generating', message: '', lastTransitionTime: t0.toISOString() }]);
  });

  it('keeps lastTransitionTime when only reason or message change', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Generating', message: 'a' }, t0);
    const second = setCondition(first, { type: 'Ready', status: 'False', reason: 'Applying', message: 'b' }, t1);
    expect(second[0]).toMatchObject({ reason: 'Applying', message: 'b', lastTransitionTime: t0.toISOString() });
  });

  it('moves lastTransitionTime when the status changes, and leaves other types alone', () => {
    let conditions = setCondition([], { type: 'Generated', status: 'True', reason: 'Generated', message: '' }, t0);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Applying', message: '' }, t0);
    conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: '' }, t1);
    expect(conditions.map((c) => [c.type, c.lastTransitionTime])).toEqual([
      ['Generated', t0.toISOString()],
      ['Ready', t1.toISOString()],
    ]);
  });
});
