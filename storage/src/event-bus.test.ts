import { describe, expect, it } from 'vitest';
import { EventsError, MAX_PUT_BYTES, putEvents, runEventsAction } from './event-bus.js';

const at = new Date('2026-12-06T03:04:05.678Z');
let n = 0;
const ctx = { now: () => at, newId: () => `id-${++n}`, region: 'eu-west-1' };

describe('PutEvents', () => {
  it('turns each good entry into the event its bus carries, with id, time to the second, account and region', () => {
    const { output, accepted } = putEvents(
      {
        Entries: [
          { Source: 'orders', DetailType: 'OrderPlaced', Detail: '{"id":7}', EventBusName: 'shop' },
          { Source: 'orders', DetailType: 'OrderPlaced', Detail: '{"id":8}', EventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/shop', Resources: ['r1'], Time: 1_700_000_000 },
          { Source: 'orders', DetailType: 'Ping', Detail: '{}' },
        ],
      },
      ctx,
    );
    expect(output.FailedEntryCount).toBe(0);
    expect(output.Entries.map((e) => ('EventId' in e ? e.EventId : e.ErrorCode))).toEqual(accepted.map((a) => a.event.id));
    expect(accepted.map((a) => a.bus)).toEqual(['shop', 'shop', 'default']);
    expect(accepted[0].event).toEqual({ version: '0', id: accepted[0].event.id, 'detail-type': 'OrderPlaced', source: 'orders', account: expect.stringMatching(/^\d{12}$/), time: '2026-12-06T03:04:05Z', region: 'eu-west-1', resources: [], detail: { id: 7 } });
    expect(accepted[1].event).toMatchObject({ time: '2023-11-14T22:13:20Z', resources: ['r1'] });
  });

  it('fails bad entries one by one, in EventBridge words, and keeps the good ones', () => {
    const { output, accepted } = putEvents(
      {
        Entries: [
          { DetailType: 'x', Detail: '{}' },
          { Source: 's', DetailType: 'x', Detail: '[1]' },
          { Source: 's', DetailType: 'x', Detail: 'not json' },
          { Source: 'aws.ec2', DetailType: 'x', Detail: '{}' },
          { Source: 's', DetailType: 'x', Detail: '{}', EventBusName: 'has space' },
          { Source: 's', Detail: '{}' },
          { Source: 's', DetailType: 'ok', Detail: '{"a":1}' },
        ],
      },
      ctx,
    );
    expect(output.FailedEntryCount).toBe(6);
    expect(output.Entries.slice(0, 6)).toEqual([
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source aws.ec2.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter EventBusName is not valid. Reason: EventBusName must be a bus name or ARN.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
    ]);
    expect(accepted.map((a) => a.event['detail-type'])).toEqual(['ok']);
  });

  it('refuses the whole request for no entries, more than 10, or more than 256 KB, and any other operation', () => {
    const entry = { Source: 's', DetailType: 'x', Detail: '{}' };
    expect(() => putEvents({ Entries: [] })).toThrow(EventsError);
    expect(() => putEvents({})).toThrow(/length greater than or equal to 1/);
    expect(() => putEvents({ Entries: Array(11).fill(entry) })).toThrow(/less than or equal to 10/);
    const big = { ...entry, Detail: JSON.stringify({ pad: 'x'.repeat(MAX_PUT_BYTES / 2) }) };
    expect(() => putEvents({ Entries: [big, big] })).toThrow('Total size of the entries in the request is over the limit.');
    expect(() => runEventsAction('PutRule', {})).toThrow(expect.objectContaining({ code: 'UnknownOperationException' }));
  });
});
