// Where RedriveExecution starts a failed execution again (docs/step-functions.md "Redrive"): the
// top-level state that was entered last and never exited, with the input it had and the variables
// the top-level states before it assigned, read from the execution's history. Pure.
import type { Definition } from './definition.js';
import type { HistoryEvent, Redrive } from './interpreter.js';

export type RedrivePoint = Omit<Redrive, 'redriveCount'>;

/** The redrive point of an execution that did not succeed, or why it has none. */
export function redrivePoint(definition: Definition, history: readonly HistoryEvent[]): RedrivePoint | { why: string } {
  const topLevel = new Set(Object.keys(definition.States));
  let entered: HistoryEvent | undefined;
  const variables: Record<string, unknown> = {};
  for (const e of history) {
    if (e.details?.truncated === true) return { why: 'the history was cut short (past its 2 MB), so the state to run again is not known' };
    const name = e.details?.name;
    if (typeof name !== 'string' || !topLevel.has(name)) continue;
    if (e.type.endsWith('StateEntered')) entered = e;
    else if (e.type.endsWith('StateExited')) {
      if (entered?.details?.name === name) entered = undefined;
      const assigned = e.details?.assignedVariables;
      if (assigned && typeof assigned === 'object') {
        for (const [variable, text] of Object.entries(assigned as Record<string, unknown>)) {
          try {
            variables[variable] = JSON.parse(String(text));
          } catch {
            return { why: `the history does not hold the value of variable ${variable}` };
          }
        }
      }
    }
  }
  if (!entered) return { why: 'no state failed: nothing to run again' };
  const text = entered.details?.input;
  if (typeof text !== 'string') return { why: `the history does not hold the input of state ${String(entered.details?.name)}` };
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return { why: `the history does not hold the input of state ${String(entered.details?.name)}` };
  }
  const last = history.at(-1);
  return { at: entered.details!.name as string, input, variables, lastEventId: last?.id ?? 0 };
}
