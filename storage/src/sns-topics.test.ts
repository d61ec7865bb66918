import { describe, expect, it } from 'vitest';
import { SubscriptionStore } from './sns-subscriptions.js';
import { isSnsRequest, runSnsAction, SnsError } from './sns-topics.js';

const at = new Date('2026-12-06T03:04:05.678Z');
let n = 0;
const ctx = { now: () => at, newId: () => `m-${++n}` };
const fields = (o: Record<string, string>) => new Map(Object.entries(o));
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:orders';

describe('SNS Publish', () => {
  it('turns a message into what its topic carries: id, time, subject, attributes', () => {
    const { resultXml, accepted } = runSnsAction(
      'Publish',
      fields({
        TopicArn: TOPIC,
        Message: '{"id":7}',
        Subject: 'New order',
        'MessageAttributes.entry.1.Name': 'kind',
        'MessageAttributes.entry.1.Value.DataType': 'String',
        'MessageAttributes.entry.1.Value.StringValue': 'book',
        'MessageAttributes.entry.2.Name': 'total',
        'MessageAttributes.entry.2.Value.DataType': 'Number',
        'MessageAttributes.entry.2.Value.StringValue': '42.5',
      }),
      ctx,
    );
    expect(accepted).toEqual([{ topic: 'orders', messageId: expect.any(String), message: '{"id":7}', subject: 'New order', timestamp: '2026-12-06T03:04:05.678Z', attributes: { kind: { Type: 'String', Value: 'book' }, total: { Type: 'Number', Value: '42.5' } } }]);
    expect(resultXml).toBe(`<MessageId>${accepted[0].messageId}</MessageId>`);
  });

  it('keeps the per-protocol texts of MessageStructure json, default first', () => {
    const { accepted } = runSnsAction('Publish', fields({ TargetArn: TOPIC, MessageStructure: 'json', Message: '{"default":"d","sqs":"q","lambda":"l"}' }), ctx);
    expect(accepted[0]).toMatchObject({ message: 'd', perProtocol: { default: 'd', sqs: 'q', lambda: 'l' } });
    expect(() => runSnsAction('Publish', fields({ TopicArn: TOPIC, MessageStructure: 'json', Message: '{"sqs":"q"}' }), ctx)).toThrow('No default entry in JSON message body');
  });

  it('refuses what SNS refuses, in its words', () => {
    const fails = (f: Record<string, string>) => {
      try {
        runSnsAction('Publish', fields(f), ctx);
      } catch (err) {
        return [(err as SnsError).code, (err as SnsError).message];
      }
      return undefined;
    };
    expect(fails({ Message: 'x' })).toEqual(['InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter']);
    expect(fails({ TopicArn: 'orders', Message: 'x' })?.[1]).toContain('is not the ARN of a topic');
    expect(fails({ TopicArn: TOPIC })?.[1]).toContain('Empty message');
    expect(fails({ TopicArn: TOPIC, Message: 'x'.repeat(256 * 1024 + 1) })?.[1]).toContain('Message too long');
    expect(fails({ TopicArn: `${TOPIC}.fifo`, Message: 'x' })?.[1]).toContain('MessageGroupId parameter is required for FIFO topics');
    expect(fails({ TopicArn: TOPIC, Message: 'x', 'MessageAttributes.entry.1.Name': 'n', 'MessageAttributes.entry.1.Value.DataType': 'Number', 'MessageAttributes.entry.1.Value.StringValue': 'abc' })?.[1]).toContain("with type 'Number' must be a number");
    expect(fails({ PhoneNumber: '+15555550100', Message: 'x' })?.[1]).toContain('SMS is not emulated');
    expect(() => runSnsAction('Subscribe', fields({}), ctx)).toThrow(expect.objectContaining({ code: 'InvalidAction' }));
  });

  it('PublishBatch: good entries go, bad ones fail alone; ids must be distinct and at most 10', () => {
    const entry = (i: number, message: string) => ({ [`PublishBatchRequestEntries.member.${i}.Id`]: `e${i}`, [`PublishBatchRequestEntries.member.${i}.Message`]: message });
    const { resultXml, accepted } = runSnsAction('PublishBatch', fields({ TopicArn: TOPIC, ...entry(1, 'one'), ...entry(2, ''), ...entry(3, 'three') }), ctx);
    expect(accepted.map((m) => m.message)).toEqual(['one', 'three']);
    expect(resultXml).toContain('<Failed><member><Id>e2</Id><Code>InvalidParameter</Code>');
    expect(() => runSnsAction('PublishBatch', fields({ TopicArn: TOPIC }), ctx)).toThrow(expect.objectContaining({ code: 'EmptyBatchRequest' }));
    const eleven = Object.assign({ TopicArn: TOPIC }, ...Array.from({ length: 11 }, (_, i) => entry(i + 1, 'x')));
    expect(() => runSnsAction('PublishBatch', fields(eleven), ctx)).toThrow(expect.objectContaining({ code: 'TooManyEntriesInBatchRequest' }));
    expect(() => runSnsAction('PublishBatch', fields({ TopicArn: TOPIC, ...entry(1, 'a'), 'PublishBatchRequestEntries.member.2.Id': 'e1', 'PublishBatchRequestEntries.member.2.Message': 'b' }), ctx)).toThrow(expect.objectContaining({ code: 'BatchEntryIdsNotDistinct' }));
  });

  it('tells SNS requests from SQS ones by their version, else their signature scope', () => {
    expect(isSnsRequest(fields({ Action: 'Publish', Version: '2010-03-31' }), undefined)).toBe(true);
    expect(isSnsRequest(fields({ Action: 'SendMessage', Version: '2012-11-05' }), undefined)).toBe(false);
    expect(isSnsRequest(fields({ Action: 'Publish' }), 'AWS4-HMAC-SHA256 Credential=k/20261206/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x')).toBe(true);
    expect(isSnsRequest(fields({ Action: 'SendMessage' }), 'AWS4-HMAC-SHA256 Credential=k/20261206/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x')).toBe(false);
  });
});

describe('SNS subscriptions made at run time', () => {
  const run = (store: SubscriptionStore, action: string, f: Record<string, string>) => runSnsAction(action, fields(f), { ...ctx, subscriptions: store });
  const arnIn = (xml: string) => /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(xml)![1];

  it('Subscribe takes sqs, lambda, firehose and e-mail endpoints with their attributes; the same one again is the same subscription', () => {
    const store = new SubscriptionStore('us-east-1');
    const queue = arnIn(run(store, 'Subscribe', { TopicArn: TOPIC, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:123456789012:audit', 'Attributes.entry.1.key': 'RawMessageDelivery', 'Attributes.entry.1.value': 'true', 'Attributes.entry.2.key': 'FilterPolicy', 'Attributes.entry.2.value': '{"kind":["book"]}' }).resultXml);
    expect(queue).toMatch(/^arn:aws:sns:us-east-1:123456789012:orders:[0-9a-f-]{36}$/);
    const mail = arnIn(run(store, 'Subscribe', { TopicArn: TOPIC, Protocol: 'email', Endpoint: 'ops@example.test' }).resultXml);
    run(store, 'Subscribe', { TopicArn: TOPIC, Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:notify' });
    expect(arnIn(run(store, 'Subscribe', { TopicArn: TOPIC, Protocol: 'email', Endpoint: 'ops@example.test' }).resultXml)).toBe(mail);
    expect(store.ofTopic('orders')).toEqual([
      { topic: 'orders', id: queue.split(':').at(-1), queue: 'audit', raw: true, filter_policy: '{"kind":["book"]}', filter_scope: 'MessageAttributes' },
      { topic: 'orders', id: mail.split(':').at(-1), inbox: 'email:ops@example.test', raw: false, filter_scope: 'MessageAttributes' },
      expect.objectContaining({ function: 'notify' }),
    ]);
    // Each message of the topic carries them to the agent; another topic's none.
    expect(run(store, 'Publish', { TopicArn: TOPIC, Message: 'hi' }).accepted[0].subscriptions).toHaveLength(3);
    expect(run(store, 'Publish', { TopicArn: 'arn:aws:sns:us-east-1:123456789012:other', Message: 'hi' }).accepted[0].subscriptions).toBeUndefined();
  });

  it('lists, describes, changes and removes them; refuses what it cannot deliver, naming the parameter', () => {
    const store = new SubscriptionStore('us-east-1');
    const arn = arnIn(run(store, 'Subscribe', { TopicArn: TOPIC, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:123456789012:audit' }).resultXml);
    expect(run(store, 'ListSubscriptionsByTopic', { TopicArn: TOPIC }).resultXml).toBe(`<Subscriptions><member><TopicArn>${TOPIC}</TopicArn><Protocol>sqs</Protocol><SubscriptionArn>${arn}</SubscriptionArn><Owner>123456789012</Owner><Endpoint>arn:aws:sqs:us-east-1:123456789012:audit</Endpoint></member></Subscriptions>`);
    run(store, 'SetSubscriptionAttributes', { SubscriptionArn: arn, AttributeName: 'FilterPolicy', AttributeValue: '{"total":[{"numeric":[">",100]}]}' });
    const attributes = run(store, 'GetSubscriptionAttributes', { SubscriptionArn: arn }).resultXml;
    expect(attributes).toContain('<entry><key>FilterPolicy</key><value>{&quot;total&quot;:[{&quot;numeric&quot;:[&quot;&gt;&quot;,100]}]}</value></entry>');
    expect(attributes).toContain('<entry><key>PendingConfirmation</key><value>false</value></entry>');
    run(store, 'Unsubscribe', { SubscriptionArn: arn });
    expect(run(store, 'ListSubscriptions', {}).resultXml).toBe('<Subscriptions></Subscriptions>');

    const refusal = (f: Record<string, string>) => {
      try {
        run(store, 'Subscribe', { TopicArn: TOPIC, ...f });
      } catch (err) {
        return `${(err as SnsError).code}: ${(err as SnsError).message}`;
      }
      return 'taken';
    };
    expect(refusal({ Protocol: 'https', Endpoint: 'https://hooks.example.test' })).toMatch(/^InvalidParameter: Invalid parameter: Protocol: esb delivers to sqs, lambda/);
    expect(refusal({ Protocol: 'sqs', Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:f' })).toMatch(/SQS endpoint ARN: .* is not the ARN of a queue/);
    expect(refusal({ Protocol: 'sqs' })).toMatch(/Endpoint Reason: no value/);
    expect(refusal({ Protocol: 'email', Endpoint: 'a@b.test', 'Attributes.entry.1.key': 'FilterPolicy', 'Attributes.entry.1.value': '{oops' })).toMatch(/FilterPolicy: failed to parse JSON/);
    expect(() => run(store, 'GetSubscriptionAttributes', { SubscriptionArn: `${TOPIC}:nope` })).toThrow('Subscription does not exist');
  });

  it('survives a restart through its snapshot', () => {
    const store = new SubscriptionStore('us-east-1');
    run(store, 'Subscribe', { TopicArn: TOPIC, Protocol: 'email-json', Endpoint: 'a@b.test' });
    const again = new SubscriptionStore('us-east-1');
    again.loadSnapshot(JSON.parse(JSON.stringify(store.toSnapshot())));
    expect(again.ofTopic('orders')).toEqual(store.ofTopic('orders'));
    expect(() => again.loadSnapshot({ version: 2 })).toThrow('not a snapshot of SNS subscriptions');
  });
});
