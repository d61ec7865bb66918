import { describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS, type FunctionsFile, type TopicMessage, type TopicSubscription } from '@esb/contracts';
import { TopicSubscriptions } from './sns.js';

const message = (topic: string, body: string, attributes: TopicMessage['attributes'] = {}, extra: Partial<TopicMessage> = {}): TopicMessage => ({ topic, messageId: `m-${body.length}`, message: body, timestamp: '2026-12-06T03:00:00.000Z', attributes, ...extra });
const withSubscriptions = (...subs: Array<Partial<TopicSubscription> & Pick<TopicSubscription, 'topic' | 'id'>>): FunctionsFile => ({
  ...EMPTY_FUNCTIONS,
  subscriptions: Object.fromEntries(subs.map((s) => [`${s.topic}/${s.id}`, { filter_scope: 'MessageAttributes', raw: false, ...s } as TopicSubscription])),
});

function router() {
  const fired: Array<[string, any, string]> = [];
  const sent: Array<[string, string, unknown, unknown]> = [];
  const infos: string[] = [];
  const subs = new TopicSubscriptions({
    region: 'us-east-1',
    fire: (fn, payload, id) => fired.push([fn, JSON.parse(payload.toString()), id]),
    send: (queue, body, _id, attributes, fifo) => sent.push([queue, body, attributes, fifo]),
    info: (_f, m) => infos.push(m),
  });
  return { subs, fired, sent, infos };
}

describe('SNS subscriptions', () => {
  it('invokes a function with the record SNS sends Lambda', () => {
    const { subs, fired } = router();
    subs.setFunctions(withSubscriptions({ topic: 'orders', id: 'NotifyOrders', function: 'notify' }));
    subs.deliver([message('orders', 'hello', { kind: { Type: 'String', Value: 'book' } }, { subject: 'Hi' })]);
    expect(fired).toEqual([
      [
        'notify',
        {
          Records: [
            {
              EventSource: 'aws:sns',
              EventVersion: '1.0',
              EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:orders:NotifyOrders',
              Sns: expect.objectContaining({ Type: 'Notification', MessageId: 'm-5', TopicArn: 'arn:aws:sns:us-east-1:123456789012:orders', Subject: 'Hi', Message: 'hello', Timestamp: '2026-12-06T03:00:00.000Z', SignatureVersion: '1', MessageAttributes: { kind: { Type: 'String', Value: 'book' } } }),
            },
          ],
        },
        'NotifyOrders',
      ],
    ]);
    expect(fired[0][1].Records[0].Sns).toHaveProperty('SigningCertUrl');
  });

  it('filters on attributes (numbers as numbers, string arrays as lists) or on the JSON body', () => {
    const { subs, fired } = router();
    subs.setFunctions(
      withSubscriptions(
        { topic: 'orders', id: 'Big', function: 'big', filter_policy: '{"total":[{"numeric":[">=",100]}]}' },
        { topic: 'orders', id: 'Tagged', function: 'tagged', filter_policy: '{"tags":["rush"]}' },
        { topic: 'orders', id: 'Eu', function: 'eu', filter_policy: '{"shipTo":{"region":[{"prefix":"eu-"}]}}', filter_scope: 'MessageBody' },
      ),
    );
    subs.deliver([
      message('orders', '{"shipTo":{"region":"eu-west"}}', { total: { Type: 'Number', Value: '150' }, tags: { Type: 'String.Array', Value: '["rush","gift"]' } }),
      message('orders', 'not json', { total: { Type: 'Number', Value: '99' } }),
    ]);
    expect(fired.map(([fn, e]) => [fn, e.Records[0].Sns.Message])).toEqual([
      ['big', '{"shipTo":{"region":"eu-west"}}'],
      ['tagged', '{"shipTo":{"region":"eu-west"}}'],
      ['eu', '{"shipTo":{"region":"eu-west"}}'],
    ]);
  });

  it('sends a queue the JSON envelope, or the bare message and its attributes when raw; FIFO keeps its group', () => {
    const { subs, sent } = router();
    subs.setFunctions(withSubscriptions({ topic: 'jobs.fifo', id: 'Envelope', queue: 'all.fifo' }, { topic: 'jobs.fifo', id: 'Raw', queue: 'raw.fifo', raw: true }));
    subs.deliver([message('jobs.fifo', 'work', { n: { Type: 'Number', Value: '3' }, blob: { Type: 'Binary', Value: 'AAE=' } }, { groupId: 'g1', perProtocol: { default: 'work', sqs: 'work for queues' } })]);
    expect(sent).toHaveLength(2);
    const [envelopeQueue, envelopeBody, envelopeAttributes, fifo] = sent[0];
    expect(envelopeQueue).toBe('all.fifo');
    expect(JSON.parse(envelopeBody)).toEqual(expect.objectContaining({ Type: 'Notification', Message: 'work for queues', TopicArn: 'arn:aws:sns:us-east-1:123456789012:jobs.fifo', MessageAttributes: expect.any(Object), SigningCertURL: expect.any(String), UnsubscribeURL: expect.stringContaining('jobs.fifo:Envelope') }));
    expect(JSON.parse(envelopeBody)).not.toHaveProperty('Subject');
    expect(envelopeAttributes).toBeUndefined();
    expect(fifo).toEqual({ groupId: 'g1', deduplicationId: 'm-4' });
    expect(sent[1]).toEqual(['raw.fifo', 'work for queues', { n: { DataType: 'Number', StringValue: '3' } }, { groupId: 'g1', deduplicationId: 'm-4' }]);
  });

  it('counts one more hop in the trace header it invokes with, and stops a chain at 16 (a recursive loop)', () => {
    const fired: Array<[string, string | undefined]> = [];
    const warnings: string[] = [];
    const subs = new TopicSubscriptions({ region: 'us-east-1', fire: (fn, _p, _id, traceId) => fired.push([fn, traceId]), send: () => {}, warn: (_f, m) => warnings.push(m) });
    subs.setFunctions(withSubscriptions({ topic: 'loop', id: 'Again', function: 'again' }));
    subs.deliver([message('loop', 'a', {}, { traceHeader: 'Root=1-abc;Lineage=e5b0c4a1:3' }), message('loop', 'b', {}, { traceHeader: 'Root=1-abc;Lineage=e5b0c4a1:16' }), message('loop', 'c')]);
    expect(fired).toEqual([
      ['again', 'Root=1-abc;Lineage=e5b0c4a1:4'],
      ['again', undefined],
    ]);
    expect(warnings).toEqual(['recursive loop stopped: a message of topic loop comes from a chain of 16 invocations; again is not invoked with it']);
  });

  it('writes to an email, email-json or sms inbox what the person would get; filters apply as to any subscription', () => {
    const got: Array<[string, string, string]> = [];
    const subs = new TopicSubscriptions({ region: 'us-east-1', fire: () => undefined, send: () => undefined, inbox: (inbox, text, id) => got.push([inbox, text, id]) });
    const sub = (id: string, inbox: string, filter?: string) => ({ topic: 'alerts', id, inbox, filter_scope: 'MessageAttributes' as const, raw: false, ...(filter ? { filter_policy: filter } : {}) });
    subs.setFunctions({ ...EMPTY_FUNCTIONS, subscriptions: { 'alerts/m': sub('m', 'email:ops@example.com'), 'alerts/j': sub('j', 'email-json:ops@example.com'), 'alerts/s': sub('s', 'sms:+15550100', '{"level": ["high"]}') } });
    const message = { topic: 'alerts', messageId: 'm-1', message: 'disk full', timestamp: '2026-12-06T10:00:00.000Z', attributes: { level: { Type: 'String', Value: 'low' } } };
    expect(subs.deliver([{ ...message, subject: 'Disk' }])).toBe(2);
    expect(got[0]).toEqual(['email:ops@example.com', 'To: ops@example.com | Subject: Disk | disk full', 'm-1']);
    expect(got[1][0]).toBe('email-json:ops@example.com');
    expect(JSON.parse(got[1][1])).toMatchObject({ Type: 'Notification', MessageId: 'm-1', Subject: 'Disk', Message: 'disk full', TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' });
    got.length = 0;
    expect(subs.deliver([{ ...message, messageId: 'm-2', attributes: { level: { Type: 'String', Value: 'high' } } }])).toBe(3);
    expect(got.map(([inbox, text]) => [inbox, inbox.startsWith('email-json') ? JSON.parse(text).Message : text])).toEqual([
      ['email:ops@example.com', 'To: ops@example.com | Subject: AWS Notification Message | disk full'],
      ['email-json:ops@example.com', 'disk full'],
      ['sms:+15550100', 'To: +15550100 | disk full'],
    ]);
    expect(subs.list().map((l) => l.target).sort()).toEqual(['inbox:email-json:ops@example.com', 'inbox:email:ops@example.com', 'inbox:sms:+15550100']);
  });

  it('delivers to the subscriptions made at run time a message carries, besides the template\'s, with their filters', () => {
    const { subs, fired, sent } = router();
    subs.setFunctions(withSubscriptions({ topic: 'orders', id: 'NotifyOrders', function: 'notify' }));
    const runtime: TopicSubscription[] = [
      { topic: 'orders', id: 'r-1', queue: 'audit', raw: true, filter_scope: 'MessageAttributes', filter_policy: '{"kind":["book"]}' },
      { topic: 'orders', id: 'r-2', queue: 'all', raw: false, filter_scope: 'MessageAttributes' },
    ];
    subs.deliver([message('orders', 'a book', { kind: { Type: 'String', Value: 'book' } }, { subscriptions: runtime }), message('orders', 'a pen', { kind: { Type: 'String', Value: 'pen' } }, { subscriptions: runtime })]);
    expect(fired.map(([fn]) => fn)).toEqual(['notify', 'notify']);
    expect(sent.map(([queue, body]) => [queue, body.startsWith('{') ? JSON.parse(body).Message : body])).toEqual([
      ['audit', 'a book'],
      ['all', 'a book'],
      ['all', 'a pen'],
    ]);
    expect(JSON.parse(sent[1][1]).UnsubscribeURL).toContain('SubscriptionArn=arn:aws:sns:us-east-1:123456789012:orders:r-2');
    // A topic no template subscription reads still reaches them.
    sent.length = 0;
    expect(subs.deliver([message('alerts', 'x', {}, { subscriptions: [{ ...runtime[1], topic: 'alerts' }] })])).toBe(1);
    expect(sent.map(([queue]) => queue)).toEqual(['all']);
  });

  it('says once that a topic no subscription reads got a message', () => {
    const { subs, infos } = router();
    subs.setFunctions(withSubscriptions());
    subs.deliver([message('typo', 'a'), message('typo', 'b')]);
    expect(infos).toEqual(['a message was published to topic typo, which no deployed subscription reads']);
  });

  it('puts a record to a delivery stream: SNS\'s JSON without signature, or the bare message when raw, a line each (docs/firehose.md)', () => {
    const put: Array<[string, string, string]> = [];
    const subs = new TopicSubscriptions({ region: 'us-east-1', fire: () => undefined, send: () => undefined, put: (stream, data, id) => put.push([stream, data.toString(), id]) });
    subs.setFunctions(withSubscriptions({ topic: 'orders', id: 'Archive', delivery_stream: 'archive' }, { topic: 'orders', id: 'Raw', delivery_stream: 'raw', raw: true }));
    subs.deliver([message('orders', 'hello', { kind: { Type: 'String', Value: 'book' } }, { subject: 'Hi' })]);
    expect(put.map(([stream, , id]) => [stream, id])).toEqual([['archive', 'Archive'], ['raw', 'Raw']]);
    expect(put[1][1]).toBe('hello\n');
    expect(put[0][1].endsWith('\n')).toBe(true);
    expect(JSON.parse(put[0][1])).toEqual({
      Type: 'Notification',
      MessageId: 'm-5',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:orders',
      Subject: 'Hi',
      Message: 'hello',
      Timestamp: '2026-12-06T03:00:00.000Z',
      UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:orders:Archive',
      MessageAttributes: { kind: { Type: 'String', Value: 'book' } },
    });
    expect(subs.list().map((s) => s.target)).toEqual(['delivery_stream:archive', 'delivery_stream:raw']);
  });
});
