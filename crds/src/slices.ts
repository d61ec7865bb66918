// Long work on the serving loop (compiling thousands of routes, applying thousands of functions)
// runs in slices of a few milliseconds with a turn of the event loop in between (docs/gateway.md,
// "Config and hot reload"). The turn is taken here, so that the gateway knows when such work is
// waiting: its answers then go out at once, not at the end of the turn behind a slice
// (docs/gateway.md, "Speed").

/** CPU time a slice may take before the event loop gets a turn, ms (time, not a count: a busy machine stretches a fixed count). */
export const SLICE_BUDGET_MS = 4;

let waiting = 0;

/** Gives the event loop a turn between two slices (the next slice runs from setImmediate). */
export async function nextSlice(): Promise<void> {
  waiting++;
  try {
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    waiting--;
  }
}

/** Whether a slice of long work waits for its turn. */
export function sliceWaiting(): boolean {
  return waiting > 0;
}
