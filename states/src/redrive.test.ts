import { describe, expect, it } from 'vitest';
import type { Definition } from './definition.js';
import type { HistoryEvent } from './interpreter.js';
import { redrivePoint } from './redrive.js';

const definition = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Map', End: true } } } as unknown as Definition;
let id = 0;
const ev = (type: string, details?: Record<string, unknown>): HistoryEvent => ({ type, timestamp: 0, id: ++id, previousEventId: id - 1, ...(details ? { details } : {}) });

describe('redrive points', () => {
  it('is the top-level state entered last and never exited (not a state inside a Map), with its input and the variables assigned before it', () => {
    id = 0;
    const history = [
      ev('ExecutionStarted'),
      ev('PassStateEntered', { name: 'A', input: '{"a":1}' }),
      ev('PassStateExited', { name: 'A', output: '{"a":1}', assignedVariables: { x: '"one"', n: '2' } }),
      ev('MapStateEntered', { name: 'B', input: '{"a":1}' }),
      ev('TaskStateEntered', { name: 'Inner', input: '{}' }),
      ev('ExecutionFailed', { error: 'E' }),
    ];
    expect(redrivePoint(definition, history)).toEqual({ at: 'B', input: { a: 1 }, variables: { x: 'one', n: 2 }, lastEventId: 6 });
  });

  it('says why there is none: nothing failed, or the history was cut short', () => {
    id = 0;
    expect(redrivePoint(definition, [ev('ExecutionStarted'), ev('PassStateEntered', { name: 'A', input: '{}' }), ev('PassStateExited', { name: 'A' })])).toEqual({ why: 'no state failed: nothing to run again' });
    expect(redrivePoint(definition, [ev('ExecutionStarted'), ev('PassStateEntered', { truncated: true })])).toEqual({ why: expect.stringContaining('cut short') });
  });
});
