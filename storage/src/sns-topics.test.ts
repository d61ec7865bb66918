import { describe, expect, it } from 'vitest';
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
