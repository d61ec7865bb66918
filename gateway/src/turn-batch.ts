// Work held back to the end of the event loop's current turn and then done in one go
// (docs/gateway.md, "Speed"): the answers to requests that finished in the same turn go out
// back to back, so the client that receives them is woken once for all of them rather than
// once each.

export class TurnBatch<T> {
  private items: T[] = [];

  /**
   * `run` must not throw: it would leave the rest of its batch undone. While `atOnce()` says so,
   * items run as they are added (the end of the turn may be far off).
   */
  constructor(
    private readonly run: (item: T) => void,
    private readonly atOnce: () => boolean = () => false,
  ) {}

  /** Runs `item` once the current turn's I/O callbacks are done (setImmediate), after those added before it. */
  add(item: T): void {
    if (this.atOnce()) {
      if (this.items.length > 0) this.flush(); // held before it: still first (the pending flush finds none)
      this.run(item);
    } else if (this.items.push(item) === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const items = this.items;
    this.items = []; // added while these run: the next turn
    for (const item of items) this.run(item);
  };
}
