// Work handed on one item after another, for what must keep its order (stream records posted
// to an agent, a table's changes put to a stream): each send waits for the one before.

export interface InOrderOptions {
  /** Items waiting at most: past it new ones are dropped (a stalled receiver costs bounded memory). */
  max: number;
  /** Told why items are not getting through: once per outage (a send that succeeds ends it). */
  report(reason: string): void;
}

/** A sender that runs `send` for each item in the order given; a failed or refused item is reported, not retried. */
export function inOrder<T>(send: (item: T) => Promise<void>, o: InOrderOptions): { (item: T): void; fail(reason: string): void } {
  let chain = Promise.resolve();
  let waiting = 0;
  let failing = false;
  const fail = (reason: string) => {
    if (!failing) o.report(reason);
    failing = true;
  };
  const sender = (item: T) => {
    if (waiting >= o.max) return fail(`${o.max} are waiting; later ones are dropped`);
    waiting++;
    chain = chain
      .then(() => send(item))
      .then(
        () => {
          failing = false;
        },
        (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
      )
      .finally(() => waiting--);
  };
  return Object.assign(sender, { fail });
}
