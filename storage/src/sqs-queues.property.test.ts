// Random runs of sends, receives, deletes, visibility changes and time passing on a FIFO queue
// (fake clock): every group is delivered in send order with no message of it skipped, never
// two receives hold messages of one group at once, nothing deleted comes back, and the three
// counts always add up to the messages kept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueStore, type Delivery } from './sqs-queues.js';

type Step =
  | { kind: 'send'; group: string }
  | { kind: 'receive'; max: number; visibility: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'release'; pick: number }
  | { kind: 'wait'; seconds: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), group: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ kind: fc.constant('receive' as const), max: fc.integer({ min: 1, max: 10 }), visibility: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 0, max: 3 }) }),
);

describe('FIFO queue under random operations', () => {
  it('keeps group order, one receive per group in flight, deletes final, counts consistent', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        let now = Date.UTC(2024, 0, 1);
        const store = new QueueStore({ clock: { now: () => now } });
        store.createQueue('q.fifo', { FifoQueue: 'true' });
        /** Per group, the bodies not yet deleted, in send order (the oracle). */
        const pending = new Map<string, string[]>();
        const deleted = new Set<string>();
        /** Deliveries whose handle may still be current: group -> its latest receive's messages. */
        let held: Array<Delivery & { at: number; visibility: number }> = [];
        let sent = 0;
        for (const s of steps) {
          if (s.kind === 'send') {
            const body = `${s.group}${sent++}`;
            store.send('q.fifo', { body, groupId: s.group, dedupId: body });
            pending.set(s.group, [...(pending.get(s.group) ?? []), body]);
          } else if (s.kind === 'receive') {
            const got = store.receive('q.fifo', { max: s.max, visibilityTimeout: s.visibility });
            const byGroup = new Map<string, string[]>();
            for (const d of got) {
              expect(deleted.has(d.message.body)).toBe(false);
              byGroup.set(d.message.groupId!, [...(byGroup.get(d.message.groupId!) ?? []), d.message.body]);
            }
            for (const [group, bodies] of byGroup) {
              // The oldest kept messages of the group, in order, none skipped.
              expect(bodies).toEqual(pending.get(group)!.slice(0, bodies.length));
              // No other receive holds a message of this group in flight.
              expect(held.some((h) => h.message.groupId === group && h.at + h.visibility * 1000 > now && !deleted.has(h.message.body))).toBe(false);
            }
            held = [...held.filter((h) => !got.some((d) => d.message.id === h.message.id)), ...got.map((d) => ({ ...d, at: now, visibility: s.visibility }))];
          } else if (s.kind === 'delete' && held.length > 0) {
            const h = held[s.pick % held.length];
            const inFlight = h.at + h.visibility * 1000 > now;
            try {
              store.deleteMessage('q.fifo', h.receiptHandle);
            } catch (err) {
              // FIFO: a handle whose visibility timeout passed has expired.
              expect(inFlight).toBe(false);
              expect((err as Error).message).toMatch(/expired/);
              continue;
            }
            expect(inFlight).toBe(true);
            deleted.add(h.message.body);
            const group = h.message.groupId!;
            pending.set(group, pending.get(group)!.filter((b) => b !== h.message.body));
            held = held.filter((x) => x !== h);
          } else if (s.kind === 'release' && held.length > 0) {
            const h = held[s.pick % held.length];
            if (h.at + h.visibility * 1000 > now) {
              store.changeVisibility('q.fifo', h.receiptHandle, 0);
              h.visibility = 0;
              h.at = now;
            }
          } else if (s.kind === 'wait') {
            now += s.seconds * 1000;
          }
          const counts = store.getQueueAttributes('q.fifo', ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']);
          const kept = [...pending.values()].reduce((n, bodies) => n + bodies.length, 0);
          expect(Number(counts.ApproximateNumberOfMessages) + Number(counts.ApproximateNumberOfMessagesNotVisible) + Number(counts.ApproximateNumberOfMessagesDelayed)).toBe(kept);
        }
      }),
      { numRuns: 300 },
    );
  });
});
