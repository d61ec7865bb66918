import { describe, expect, it } from 'vitest';
import type { BusEvent, ScheduleFiring } from '@esb/contracts';
import { deliverScheduleFirings } from './schedule-firings.js';

const ACCOUNT = '123456789012';
const firing = (name: string, arn: string, more: Partial<ScheduleFiring['target']> = {}): ScheduleFiring => ({
  schedule: `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/${name}`,
  group: 'default',
  name,
  time: Date.parse('2026-07-01T09:30:00Z'),
  target: { arn, ...more },
});

function run(firings: ScheduleFiring[]) {
  const calls: unknown[][] = [];
  const events: BusEvent[] = [];
  const warnings: string[] = [];
  deliverScheduleFirings(
    {
      region: 'us-east-1',
      senders: {
        fire: (fn, payload, by) => calls.push(['fire', fn, JSON.parse(payload.toString()), by]),
        send: (queue, body, by, fifo) => calls.push(['send', queue, body, by, fifo?.groupId]),
        start: (machine, input, by) => calls.push(['start', machine, JSON.parse(input), by]),
        put: (stream, data, key, by) => calls.push(['put', stream, data, key, by]),
        publish: (topic, message, by) => calls.push(['publish', topic, message, by]),
      },
      putEvents: (e) => events.push(...e),
      warn: (_f, m) => warnings.push(m),
    },
    firings,
  );
  return { calls, events, warnings };
}

describe('schedule firings to their targets', () => {
  it('invokes a function with the Input, or with the scheduled event naming the schedule', () => {
    const { calls } = run([firing('remind', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:remind`, { input: '{"who":"alice"}' }), firing('tick', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:tick:live`)]);
    expect(calls[0]).toEqual(['fire', 'remind', { who: 'alice' }, 'schedule default/remind']);
    expect(calls[1]).toEqual([
      'fire',
      'tick',
      expect.objectContaining({ 'detail-type': 'Scheduled Event', source: 'aws.scheduler', time: '2026-07-01T09:30:00Z', region: 'us-east-1', resources: [`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/tick`], detail: {} }),
      'schedule default/tick',
    ]);
  });

  it('sends to a FIFO queue with its group, publishes to a topic, starts a state machine, puts to a stream with its partition key', () => {
    const { calls } = run([
      firing('q', `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs.fifo`, { input: 'sweep', message_group_id: 'g1' }),
      firing('t', `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`, { input: 'wake up' }),
      firing('m', `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:orders`, { input: '{"n":1}' }),
      firing('k', `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/clicks`, { input: 'x', partition_key: 'p-1' }),
    ]);
    expect(calls).toEqual([
      ['send', 'jobs.fifo', 'sweep', 'schedule default/q', 'g1'],
      ['publish', 'alerts', 'wake up', 'schedule default/t'],
      ['start', 'orders', { n: 1 }, 'schedule default/m'],
      ['put', 'clicks', 'x', 'p-1', 'schedule default/k'],
    ]);
  });

  it("puts an event on a bus with the parameters' detail type and source and the input as detail; a detail that is not an object is a warning", () => {
    const bus = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/orders`;
    const { events, warnings } = run([firing('e', bus, { input: '{"batch":7}', detail_type: 'BatchDue', source: 'billing' }), firing('bad', bus, { input: '[1]', detail_type: 'X', source: 'y' })]);
    expect(events).toEqual([{ bus: 'orders', event: expect.objectContaining({ 'detail-type': 'BatchDue', source: 'billing', detail: { batch: 7 }, resources: [`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/e`] }) }]);
    expect(warnings).toEqual([expect.stringMatching(/schedule default\/bad: the input for bus orders is not a JSON object/)]);
  });

  it('warns of a target esb does not run', () => {
    const { calls, warnings } = run([firing('ec2', 'arn:aws:scheduler:::aws-sdk:ec2:startInstances')]);
    expect(calls).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/schedule default\/ec2: its target .* is not one esb runs/)]);
  });
});
