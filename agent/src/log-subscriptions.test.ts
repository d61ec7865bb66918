// CloudWatch Logs subscriptions (docs/agent.md "Log subscriptions"): lines of a function's log
// group or of a named log group, matched and gathered per stream, handed on as CloudWatch Logs
// does ({awslogs: {data}}, gzip and base64); a function never gets its own lines.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { LogSubscriptions } from './log-subscriptions.js';

const functions = FunctionsFile.parse({
  functions: {
    'shop-Orders': { code: '/c', runtime: 'nodejs20.x', handler: 'a.h' },
    'shop-Alerts': { code: '/c', runtime: 'nodejs20.x', handler: 'a.h', events: [{ type: 'logs', name: 'AlertsErrors', log_group: '/aws/lambda/shop-Orders', filter_pattern: 'ERROR' }, { type: 'logs', name: 'AlertsOwn', log_group: '/aws/lambda/shop-Alerts' }] },
    'shop-Audit': { code: '/c', runtime: 'python3.12', handler: 'a.h', events: [{ type: 'logs', name: 'AuditAll', log_group: 'shop-events', filter_name: 'everything' }] },
  },
});

const decode = (payload: Buffer) => JSON.parse(gunzipSync(Buffer.from(JSON.parse(payload.toString()).awslogs.data, 'base64')).toString());

describe('log subscriptions', () => {
  it('hands the matching lines of a log group to the subscribed function, one batch per stream, as CloudWatch Logs sends them', () => {
    const sent: Array<{ fn: string; payload: Buffer; by: string }> = [];
    const subs = new LogSubscriptions({ accountId: '123456789012', deliver: (fn, payload, by) => sent.push({ fn, payload, by }), flushMs: 60_000 });
    subs.setFunctions(functions);
    const time = Date.UTC(2026, 11, 6, 10, 0, 0);
    subs.write({ time, function: 'shop-Orders', instance: 'aaa111', stream: 'stdout', message: 'INFO order 7 placed' });
    subs.write({ time: time + 1, function: 'shop-Orders', instance: 'aaa111', stream: 'stderr', message: 'ERROR order 8 failed' });
    subs.write({ time: time + 2, function: 'shop-Orders', instance: 'bbb222', stream: 'stdout', message: 'ERROR order 9 failed' });
    // Its own lines never reach a function (each delivery would log, and log again).
    subs.write({ time: time + 3, function: 'shop-Alerts', instance: 'ccc333', stream: 'stdout', message: 'ERROR alerting' });
    // A log group rules write to: its lines go by the group's name.
    subs.write({ time: time + 4, function: 'shop-events', instance: 'events', stream: 'stdout', message: '{"detail":{"id":1}}' });
    expect(sent).toEqual([]);
    subs.flush();
    expect(sent.map((s) => [s.fn, s.by])).toEqual([
      ['shop-Alerts', 'log subscription AlertsErrors (/aws/lambda/shop-Orders)'],
      ['shop-Alerts', 'log subscription AlertsErrors (/aws/lambda/shop-Orders)'],
      ['shop-Audit', 'log subscription AuditAll (shop-events)'],
    ]);
    const first = decode(sent[0]!.payload);
    expect(first).toEqual({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/lambda/shop-Orders',
      logStream: '2026/12/06/[$LATEST]aaa111',
      subscriptionFilters: ['AlertsErrors'],
      logEvents: [{ id: expect.stringMatching(/^\d{56}$/), timestamp: time + 1, message: 'ERROR order 8 failed' }],
    });
    expect(decode(sent[1]!.payload).logStream).toBe('2026/12/06/[$LATEST]bbb222');
    expect(decode(sent[2]!.payload)).toMatchObject({ logGroup: 'shop-events', logStream: 'events', subscriptionFilters: ['everything'], logEvents: [{ message: '{"detail":{"id":1}}' }] });
    subs.flush();
    expect(sent).toHaveLength(3);
  });

  it("reads a function's lines from the log group of its LoggingConfig, and hands a multi-line event on with its newlines", () => {
    const sent: Buffer[] = [];
    const subs = new LogSubscriptions({ accountId: '1', deliver: (_fn, payload) => sent.push(payload), flushMs: 60_000 });
    subs.setFunctions(
      FunctionsFile.parse({
        functions: {
          'app-Api': { code: '/c', runtime: 'nodejs20.x', handler: 'a.h', logging: { format: 'Text', log_group: '/app/shared' } },
          'app-Watch': { code: '/c', runtime: 'nodejs20.x', handler: 'a.h', events: [{ type: 'logs', name: 'Shared', log_group: '/app/shared', filter_pattern: 'ERROR' }, { type: 'logs', name: 'Default', log_group: '/aws/lambda/app-Api' }] },
        },
      }),
    );
    subs.write({ time: 5, function: 'app-Api', instance: 'i1', stream: 'stdout', message: '2026-12-07T00:00:00.000Z\tr1\tERROR\tError: bad\r    at f (/var/task/index.mjs:2:9)' });
    subs.flush();
    expect(sent).toHaveLength(1);
    expect(decode(sent[0]!)).toMatchObject({ logGroup: '/app/shared', subscriptionFilters: ['Shared'], logEvents: [{ message: '2026-12-07T00:00:00.000Z\tr1\tERROR\tError: bad\n    at f (/var/task/index.mjs:2:9)' }] });
  });

  it('gathers lines for a second, then sends them without being asked', async () => {
    const sent: string[] = [];
    const subs = new LogSubscriptions({ accountId: '1', deliver: (fn) => sent.push(fn), flushMs: 20 });
    subs.setFunctions(functions);
    subs.write({ time: 1, function: 'shop-events', instance: 'events', stream: 'stdout', message: 'x' });
    subs.write({ time: 2, function: 'shop-events', instance: 'events', stream: 'stdout', message: 'y' });
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual(['shop-Audit']);
  });
});
