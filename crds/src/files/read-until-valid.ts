// Reading a file another process may be writing in place: a read that is not valid yet (a part
// of the file) is tried again after short pauses. The config watch (watch.ts) and the
// controller's manifest source use it (docs/apply.md "Deploy to serve").
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `read` (with the attempt number, 0 first), then again after each of `pauses` (ms) while
 * `isValid` says its result is not valid; `stopped` ends the waiting early (a newer event, a
 * closed watch). Returns the last result, valid or not: what to do with an invalid one is the
 * caller's.
 */
export async function readUntilValid<T>(
  read: (attempt: number) => Promise<T>,
  isValid: (result: T) => boolean | Promise<boolean>,
  pauses: readonly number[],
  stopped: () => boolean = () => false,
): Promise<T> {
  let result = await read(0);
  for (let i = 0; i < pauses.length; i++) {
    if (stopped() || (await isValid(result))) break;
    await sleep(pauses[i]);
    if (stopped()) break;
    result = await read(i + 1);
  }
  return result;
}
