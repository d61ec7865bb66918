import { describe, expect, it } from 'vitest';
import { nextSlice, sliceWaiting } from '@esb/contracts';
import { TurnBatch } from './turn-batch.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('runs what was added in one turn after that turn, in the order added', async () => {
    const ran: string[] = [];
    const batch = new TurnBatch<string>((item) => ran.push(item));
    batch.add('a');
    await Promise.resolve(); // a microtask of the same turn
    batch.add('b');
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual(['a', 'b']);
  });

  it('leaves what is added while a batch runs to the next turn, and runs it then', async () => {
    const ran: string[] = [];
    const batch: TurnBatch<string> = new TurnBatch<string>((item) => {
      ran.push(item);
      if (item === 'first') batch.add('added while running');
    });
    batch.add('first');
    batch.add('second');
    await nextTurn();
    expect(ran).toEqual(['first', 'second']);
    await nextTurn();
    expect(ran).toEqual(['first', 'second', 'added while running']);
  });
});

describe('TurnBatch with a slice of long work waiting (docs/gateway.md, "Speed")', () => {
  it('runs items at once while a slice waits for its turn, and batches them again after', async () => {
    const ran: string[] = [];
    const batch = new TurnBatch<string>((item) => ran.push(item), sliceWaiting);
    const slice = nextSlice();
    batch.add('while the slice waits');
    expect(ran).toEqual(['while the slice waits']);
    await slice;
    batch.add('after');
    expect(ran).toEqual(['while the slice waits']);
    await nextTurn();
    expect(ran).toEqual(['while the slice waits', 'after']);
  });

  it('runs what it held before an item it runs at once, in the order added', async () => {
    const ran: string[] = [];
    const batch = new TurnBatch<string>((item) => ran.push(item), sliceWaiting);
    batch.add('held');
    const slice = nextSlice();
    batch.add('at once');
    expect(ran).toEqual(['held', 'at once']);
    await slice;
    await nextTurn();
    expect(ran).toEqual(['held', 'at once']);
  });
});
