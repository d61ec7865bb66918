// The SQS queue model on a fake clock: visibility, delays, retention, redrive, FIFO groups and
// deduplication, limits, receipt handles, the MD5s the SDKs check, and the snapshot.
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeReceiptHandle, emptyDict, md5Hex, md5OfAttributes, QueueStore, SqsError, type Attributes, type QueueLimits } from './sqs-queues.js';

class FakeClock {
  t = Date.UTC(2024, 0, 1);
  now(): number {
    return this.t;
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

function attrs(values: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }>): Attributes {
  return Object.assign(emptyDict(), values);
}

/** The SqsError code thrown by `fn` (fails when it throws nothing or something else). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SqsError) return err.code;
    throw err;
  }
  throw new Error('expected an SqsError');
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

let clock: FakeClock;
let store: QueueStore;
const make = (limits: Partial<QueueLimits> = {}) => new QueueStore({ clock, limits });

beforeEach(() => {
  clock = new FakeClock();
  store = make();
});

describe('MD5 digests (what the SDKs recompute)', () => {
  it('MD5OfMessageBody is the MD5 of the body as UTF-8', () => {
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(store.createQueue('q'), undefined);
    expect(store.send('q', { body: 'héllo' }).md5OfBody).toBe(md5Hex(Buffer.from('héllo', 'utf8')));
  });

  it('MD5OfMessageAttributes: the published sample values for string and binary attributes', () => {
    // Names given out of order: the digest sorts them.
    expect(
      md5OfAttributes(
        attrs({
          test_attribute_name_2: { DataType: 'String', StringValue: 'test_attribute_value_2' },
          test_attribute_name_1: { DataType: 'String', StringValue: 'test_attribute_value_1' },
        }),
      ),
    ).toBe('d53f3b558fe951154770f25cb63dbba9');
    expect(md5OfAttributes(attrs({ test_attribute_name: { DataType: 'Binary', BinaryValue: Buffer.from('test_attribute_value') } }))).toBe('23f6bd27ea87aab7dfeadcc9aebee495');
    expect(
      md5OfAttributes(
        attrs({
          ordinal: { DataType: 'Number', StringValue: '1' },
          category: { DataType: 'String', StringValue: 'test' },
        }),
      ),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });

  it('no attributes: no digest; a custom binary type is still sent as binary (transport byte 2)', () => {
    expect(md5OfAttributes(attrs({}))).toBeUndefined();
    const asBinary = md5OfAttributes(attrs({ a: { DataType: 'Binary.jpg', BinaryValue: Buffer.from('x') } }));
    const asString = md5OfAttributes(attrs({ a: { DataType: 'Binary.jpg', StringValue: 'x' } }));
    expect(asBinary).not.toBe(asString);
  });

  it('a send returns the digests of its attributes and system attributes, and receive hands back the same', () => {
    store.createQueue('q');
    const attributes = attrs({ k: { DataType: 'String', StringValue: 'v' } });
    const systemAttributes = attrs({ AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } });
    const sent = store.send('q', { body: 'b', attributes, systemAttributes });
    expect(sent.md5OfAttributes).toBe(md5OfAttributes(attributes));
    expect(sent.md5OfSystemAttributes).toBe(md5OfAttributes(systemAttributes));
    const [got] = store.receive('q', { max: 1 });
    expect(got.message.md5OfAttributes).toBe(sent.md5OfAttributes);
  });
});

describe('visibility timeout', () => {
  beforeEach(() => store.createQueue('q'));

  it('a received message stays invisible until the timeout passes, then comes back with a new receipt handle', () => {
    store.send('q', { body: 'm' });
    const [first] = store.receive('q', { max: 10 });
    expect(first.message.receiveCount).toBe(1);
    expect(store.receive('q', { max: 10 })).toEqual([]);
    expect(store.getQueueAttributes('q', ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'])).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    clock.advance(29);
    expect(store.receive('q', { max: 10 })).toEqual([]);
    clock.advance(1);
    const [second] = store.receive('q', { max: 10 });
    expect(second.message.id).toBe(first.message.id);
    expect(second.message.receiveCount).toBe(2);
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('only the newest receipt handle deletes; an older one is accepted and does nothing, a gone message\'s too', () => {
    store.send('q', { body: 'm' });
    const [first] = store.receive('q', { max: 1, visibilityTimeout: 0 });
    const [second] = store.receive('q', { max: 1, visibilityTimeout: 5 });
    store.deleteMessage('q', first.receiptHandle);
    expect(store.getQueueAttributes('q', ['ApproximateNumberOfMessagesNotVisible']).ApproximateNumberOfMessagesNotVisible).toBe('1');
    store.deleteMessage('q', second.receiptHandle);
    expect(store.getQueueAttributes('q', ['ApproximateNumberOfMessagesNotVisible']).ApproximateNumberOfMessagesNotVisible).toBe('0');
    store.deleteMessage('q', second.receiptHandle);
  });

  it('a garbage receipt handle, or one of another queue, is ReceiptHandleIsInvalid', () => {
    store.createQueue('other');
    store.send('other', { body: 'm' });
    const [other] = store.receive('other', { max: 1 });
    expect(codeOf(() => store.deleteMessage('q', 'garbage'))).toBe('ReceiptHandleIsInvalid');
    expect(codeOf(() => store.deleteMessage('q', Buffer.from('q x y').toString('base64')))).toBe('ReceiptHandleIsInvalid');
    expect(codeOf(() => store.deleteMessage('q', other.receiptHandle))).toBe('ReceiptHandleIsInvalid');
    expect(decodeReceiptHandle(other.receiptHandle)).toMatchObject({ queue: 'other', messageId: other.message.id });
  });

  it('the receive can override the queue\'s timeout; ChangeMessageVisibility moves it, 0 makes the message visible at once', () => {
    store.setQueueAttributes('q', { VisibilityTimeout: '100' });
    store.send('q', { body: 'm' });
    const [got] = store.receive('q', { max: 1, visibilityTimeout: 10 });
    clock.advance(10);
    const [again] = store.receive('q', { max: 1 });
    expect(again.message.id).toBe(got.message.id);
    clock.advance(50);
    expect(store.receive('q', { max: 1 })).toEqual([]);
    store.changeVisibility('q', again.receiptHandle, 0);
    const [third] = store.receive('q', { max: 1, visibilityTimeout: 5 });
    expect(third.message.receiveCount).toBe(3);
    store.changeVisibility('q', third.receiptHandle, 100);
    clock.advance(99);
    expect(store.receive('q', { max: 1 })).toEqual([]);
    clock.advance(1);
    expect(store.receive('q', { max: 1 })).toHaveLength(1);
  });

  it('ChangeMessageVisibility refuses a message not in flight, a stale or gone one, and more than 12 hours in flight', () => {
    store.send('q', { body: 'm' });
    const [got] = store.receive('q', { max: 1, visibilityTimeout: 1 });
    clock.advance(1);
    expect(codeOf(() => store.changeVisibility('q', got.receiptHandle, 10))).toBe('MessageNotInflight');
    const [again] = store.receive('q', { max: 1, visibilityTimeout: 43_200 });
    expect(messageOf(() => store.changeVisibility('q', got.receiptHandle, 10))).toMatch(/ReceiptHandle is invalid. Reason: Message does not exist or is not available/);
    clock.advance(3600);
    expect(messageOf(() => store.changeVisibility('q', again.receiptHandle, 43_200))).toMatch(/beyond the limit \[43200 seconds\]/);
    store.changeVisibility('q', again.receiptHandle, 43_200 - 3600);
    expect(codeOf(() => store.changeVisibility('q', again.receiptHandle, 43_201))).toBe('InvalidParameterValue');
    store.deleteMessage('q', again.receiptHandle);
    expect(codeOf(() => store.changeVisibility('q', again.receiptHandle, 10))).toBe('InvalidParameterValue');
  });

  it('receive takes 1 to 10 messages, oldest first, each once per call', () => {
    for (let i = 0; i < 12; i++) store.send('q', { body: `m${i}` });
    expect(codeOf(() => store.receive('q', { max: 11 }))).toBe('InvalidParameterValue');
    expect(codeOf(() => store.receive('q', { max: 0 }))).toBe('InvalidParameterValue');
    expect(store.receive('q', { max: 10, visibilityTimeout: 0 }).map((d) => d.message.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });
});

describe('delays and retention', () => {
  it('the queue\'s DelaySeconds holds every new message back; a message\'s own DelaySeconds replaces it', () => {
    store.createQueue('q', { DelaySeconds: '10' });
    store.send('q', { body: 'queue-delay' });
    store.send('q', { body: 'no-delay', delaySeconds: 0 });
    store.send('q', { body: 'long', delaySeconds: 20 });
    expect(store.getQueueAttributes('q', ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'])).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesDelayed: '2' });
    expect(store.receive('q', { max: 10 }).map((d) => d.message.body)).toEqual(['no-delay']);
    expect(store.nextVisibleAt('q')).toBe(clock.t + 10_000);
    clock.advance(10);
    expect(store.receive('q', { max: 10 }).map((d) => d.message.body)).toEqual(['queue-delay']);
    clock.advance(10);
    expect(store.receive('q', { max: 10 }).map((d) => d.message.body)).toEqual(['long']);
    expect(codeOf(() => store.send('q', { body: 'x', delaySeconds: 901 }))).toBe('InvalidParameterValue');
  });

  it('messages older than MessageRetentionPeriod are dropped, received or not', () => {
    store.createQueue('q', { MessageRetentionPeriod: '60' });
    store.send('q', { body: 'old' });
    store.receive('q', { max: 1, visibilityTimeout: 600 });
    clock.advance(30);
    store.send('q', { body: 'young' });
    clock.advance(30);
    expect(store.getQueueAttributes('q', ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'])).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' });
    clock.advance(30);
    expect(store.receive('q', { max: 10 })).toEqual([]);
    expect(store.toSnapshot().queues[0].messages).toEqual([]);
  });

  it('a shorter retention period set later applies to the messages already there', () => {
    store.createQueue('q');
    store.send('q', { body: 'm' });
    clock.advance(120);
    store.setQueueAttributes('q', { MessageRetentionPeriod: '60' });
    expect(store.receive('q', { max: 1 })).toEqual([]);
  });
});

describe('redrive to a dead-letter queue', () => {
  const dlqArn = 'arn:aws:sqs:us-east-1:123456789012:dlq';

  it('a message received maxReceiveCount times moves to the dead-letter queue on the next receive', () => {
    store.createQueue('dlq');
    store.createQueue('q', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
    const { messageId } = store.send('q', { body: 'poison' });
    store.send('q', { body: 'fine' });
    expect(store.receive('q', { max: 1, visibilityTimeout: 0 })[0].message.id).toBe(messageId);
    expect(store.receive('q', { max: 1, visibilityTimeout: 0 })[0].message.id).toBe(messageId);
    // The third receive would be the third: the message goes to the DLQ, the next one is delivered.
    expect(store.receive('q', { max: 1, visibilityTimeout: 0 }).map((d) => d.message.body)).toEqual(['fine']);
    const [dead] = store.receive('dlq', { max: 10 });
    expect(dead.message).toMatchObject({ id: messageId, body: 'poison', receiveCount: 3, deadLetterSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q' });
    expect(store.deadLetterSources('dlq')).toEqual(['q']);
  });

  it('takes maxReceiveCount as number or text and answers it as SQS does; refuses what SQS refuses', () => {
    store.createQueue('dlq');
    store.createQueue('q', { RedrivePolicy: `{"deadLetterTargetArn": "${dlqArn}", "maxReceiveCount": "3"}` });
    expect(store.getQueueAttributes('q', ['RedrivePolicy']).RedrivePolicy).toBe(`{"deadLetterTargetArn":"${dlqArn}","maxReceiveCount":3}`);
    const policy = (p: string) => messageOf(() => store.setQueueAttributes('q', { RedrivePolicy: p }));
    expect(policy('{')).toMatch(/Value \{ for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map/);
    expect(policy(JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:missing', maxReceiveCount: 1 }))).toMatch(/Dead-letter target does not exist/);
    expect(policy(JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:q', maxReceiveCount: 1 }))).toMatch(/can't be the source queue/);
    expect(policy(JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 0 }))).toMatch(/maxReceiveCount/);
    store.createQueue('dlq.fifo', { FifoQueue: 'true' });
    expect(policy(JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq.fifo', maxReceiveCount: 1 }))).toMatch(/same type/);
    store.setQueueAttributes('q', { RedrivePolicy: '' });
    expect(store.getQueueAttributes('q', ['All']).RedrivePolicy).toBeUndefined();
  });

  it('a FIFO source moves its message to a FIFO dead-letter queue and the group goes on with the next message', () => {
    store.createQueue('dlq.fifo', { FifoQueue: 'true' });
    store.createQueue('q.fifo', { FifoQueue: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq.fifo', maxReceiveCount: 1 }) });
    store.send('q.fifo', { body: 'a1', groupId: 'a', dedupId: '1' });
    store.send('q.fifo', { body: 'a2', groupId: 'a', dedupId: '2' });
    expect(store.receive('q.fifo', { max: 1, visibilityTimeout: 0 }).map((d) => d.message.body)).toEqual(['a1']);
    expect(store.receive('q.fifo', { max: 1, visibilityTimeout: 0 }).map((d) => d.message.body)).toEqual(['a2']);
    const [dead] = store.receive('dlq.fifo', { max: 10 });
    expect(dead.message).toMatchObject({ body: 'a1', groupId: 'a', sequenceNumber: '00000000000000000001' });
  });
});

describe('FIFO queues', () => {
  beforeEach(() => store.createQueue('f.fifo', { FifoQueue: 'true' }));

  it('a .fifo name needs FifoQueue=true and FifoQueue=true needs a .fifo name; FIFO attributes are for FIFO queues', () => {
    expect(messageOf(() => store.createQueue('x.fifo'))).toMatch(/FifoQueue=true/);
    expect(messageOf(() => store.createQueue('x', { FifoQueue: 'true' }))).toMatch(/must end in .fifo/);
    expect(codeOf(() => store.createQueue('x', { ContentBasedDeduplication: 'true' }))).toBe('InvalidAttributeName');
    expect(codeOf(() => store.setQueueAttributes('f.fifo', { FifoQueue: 'true' }))).toBe('InvalidAttributeName');
    expect(store.getQueueAttributes('f.fifo', ['FifoQueue', 'ContentBasedDeduplication'])).toEqual({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
  });

  it('MessageGroupId is required, and a deduplication id unless ContentBasedDeduplication; no per-message delay', () => {
    expect(messageOf(() => store.send('f.fifo', { body: 'm', dedupId: 'd' }))).toMatch(/MessageGroupId/);
    expect(messageOf(() => store.send('f.fifo', { body: 'm', groupId: 'g' }))).toMatch(/ContentBasedDeduplication/);
    expect(messageOf(() => store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: 'd', delaySeconds: 5 }))).toMatch(/parameter DelaySeconds/);
    expect(messageOf(() => store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: 'd'.repeat(129) }))).toMatch(/parameter MessageDeduplicationId/);
    store.createQueue('s');
    expect(messageOf(() => store.send('s', { body: 'm', dedupId: 'd' }))).toMatch(/only FIFO queues deduplicate/);
  });

  it('delivers a group in order, and nothing more of a group while one of its messages is in flight', () => {
    for (const [body, group] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b'], ['a3', 'a']]) store.send('f.fifo', { body, groupId: group, dedupId: body });
    const [a1] = store.receive('f.fifo', { max: 1 });
    expect(a1.message.body).toBe('a1');
    expect(store.receive('f.fifo', { max: 10 }).map((d) => d.message.body)).toEqual(['b1']);
    expect(store.receive('f.fifo', { max: 10 })).toEqual([]);
    store.deleteMessage('f.fifo', a1.receiptHandle);
    // Several messages of one group come together, in order.
    expect(store.receive('f.fifo', { max: 10 }).map((d) => d.message.body)).toEqual(['a2', 'a3']);
  });

  it('a message whose visibility timeout passed goes first again, before the rest of its group', () => {
    store.send('f.fifo', { body: 'a1', groupId: 'a', dedupId: '1' });
    store.send('f.fifo', { body: 'a2', groupId: 'a', dedupId: '2' });
    const [got] = store.receive('f.fifo', { max: 1, visibilityTimeout: 5 });
    clock.advance(5);
    expect(codeOf(() => store.deleteMessage('f.fifo', got.receiptHandle))).toBe('ReceiptHandleIsInvalid');
    expect(store.receive('f.fifo', { max: 10 }).map((d) => d.message.body)).toEqual(['a1', 'a2']);
  });

  it('deduplicates for 5 minutes: the same MessageDeduplicationId answers the first message id and enqueues nothing', () => {
    const first = store.send('f.fifo', { body: 'one', groupId: 'g', dedupId: 'same' });
    clock.advance(299);
    const again = store.send('f.fifo', { body: 'two', groupId: 'g', dedupId: 'same' });
    expect(again.messageId).toBe(first.messageId);
    expect(again.sequenceNumber).toBe(first.sequenceNumber);
    expect(again.md5OfBody).toBe(md5Hex('two'));
    expect(store.getQueueAttributes('f.fifo', ['ApproximateNumberOfMessages']).ApproximateNumberOfMessages).toBe('1');
    clock.advance(1);
    const later = store.send('f.fifo', { body: 'three', groupId: 'g', dedupId: 'same' });
    expect(later.messageId).not.toBe(first.messageId);
    expect(BigInt(later.sequenceNumber!)).toBeGreaterThan(BigInt(first.sequenceNumber!));
    expect(later.sequenceNumber).toMatch(/^\d{20}$/);
  });

  it('ContentBasedDeduplication deduplicates by the SHA-256 of the body; DeduplicationScope=messageGroup per group', () => {
    store.createQueue('c.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const a = store.send('c.fifo', { body: 'same', groupId: 'g1' });
    expect(store.send('c.fifo', { body: 'same', groupId: 'g2' }).messageId).toBe(a.messageId);
    expect(store.send('c.fifo', { body: 'other', groupId: 'g1' }).messageId).not.toBe(a.messageId);
    const [got] = store.receive('c.fifo', { max: 1 });
    expect(got.message.dedupId).toBe('0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5');
    store.createQueue('p.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', DeduplicationScope: 'messageGroup' });
    const b = store.send('p.fifo', { body: 'same', groupId: 'g1' });
    expect(store.send('p.fifo', { body: 'same', groupId: 'g2' }).messageId).not.toBe(b.messageId);
    expect(store.send('p.fifo', { body: 'same', groupId: 'g1' }).messageId).toBe(b.messageId);
  });
});

describe('queues', () => {
  it('CreateQueue of an existing queue with the same attributes is that queue; a different value is QueueNameExists', () => {
    store.createQueue('q', { VisibilityTimeout: '60' });
    store.createQueue('q', { VisibilityTimeout: '60' });
    store.createQueue('q');
    store.createQueue('q', { DelaySeconds: '0' });
    expect(messageOf(() => store.createQueue('q', { VisibilityTimeout: '30' }))).toMatch(/different value for attribute VisibilityTimeout/);
    expect(codeOf(() => store.createQueue('q', { VisibilityTimeout: '30' }))).toBe('QueueNameExists');
  });

  it('refuses bad names, unknown attributes and values out of range, naming them', () => {
    expect(messageOf(() => store.createQueue('bad name'))).toMatch(/Value bad name for parameter QueueName is invalid/);
    expect(codeOf(() => store.createQueue('x'.repeat(81)))).toBe('InvalidParameterValue');
    expect(messageOf(() => store.createQueue('q', { Colour: 'blue' }))).toBe('Unknown Attribute Colour.');
    expect(messageOf(() => store.createQueue('q', { VisibilityTimeout: '43201' }))).toMatch(/parameter VisibilityTimeout.*0 to 43200/);
    expect(codeOf(() => store.createQueue('q', { DelaySeconds: 'soon' }))).toBe('InvalidAttributeValue');
    expect(codeOf(() => store.getQueueAttributes('missing'))).toBe('QueueDoesNotExist');
    store.createQueue('q');
    expect(messageOf(() => store.getQueueAttributes('q', ['Colour']))).toBe('Unknown Attribute Colour.');
  });

  it('GetQueueAttributes All gives every attribute SQS gives; SetQueueAttributes changes them and LastModifiedTimestamp', () => {
    store.createQueue('q');
    clock.advance(10);
    store.setQueueAttributes('q', { VisibilityTimeout: '45', MaximumMessageSize: '2048' });
    const all = store.getQueueAttributes('q', ['All']);
    expect(Object.keys(all).sort()).toEqual(
      [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesDelayed',
        'ApproximateNumberOfMessagesNotVisible',
        'CreatedTimestamp',
        'DelaySeconds',
        'LastModifiedTimestamp',
        'MaximumMessageSize',
        'MessageRetentionPeriod',
        'QueueArn',
        'ReceiveMessageWaitTimeSeconds',
        'SqsManagedSseEnabled',
        'VisibilityTimeout',
      ].sort(),
    );
    expect(all).toMatchObject({ QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q', VisibilityTimeout: '45', MaximumMessageSize: '2048' });
    expect(Number(all.LastModifiedTimestamp) - Number(all.CreatedTimestamp)).toBe(10);
  });

  it('tags, purge and delete', () => {
    store.createQueue('q', {}, { team: 'a' });
    store.tagQueue('q', { env: 'dev' });
    store.untagQueue('q', ['team']);
    expect(store.listQueueTags('q')).toEqual({ env: 'dev' });
    store.send('q', { body: 'm' });
    store.purgeQueue('q');
    expect(store.receive('q', { max: 10 })).toEqual([]);
    store.deleteQueue('q');
    expect(store.queueNames()).toEqual([]);
    expect(codeOf(() => store.send('q', { body: 'm' }))).toBe('QueueDoesNotExist');
  });

  it('tells of every change (persistence and long polls hang on it)', () => {
    const changed: string[] = [];
    store.onChange = (name) => changed.push(name);
    store.createQueue('q');
    store.send('q', { body: 'm' });
    const [got] = store.receive('q', { max: 1 });
    store.changeVisibility('q', got.receiptHandle, 0);
    store.deleteMessage('q', store.receive('q', { max: 1 })[0].receiptHandle);
    expect(changed).toEqual(['q', 'q', 'q', 'q', 'q', 'q']);
  });
});

describe('message checks and memory limits', () => {
  it('MaximumMessageSize counts the body and the attributes', () => {
    store.createQueue('q', { MaximumMessageSize: '1024' });
    store.send('q', { body: 'x'.repeat(1024) });
    expect(messageOf(() => store.send('q', { body: 'x'.repeat(1025) }))).toMatch(/Message must be shorter than 1024 bytes/);
    expect(codeOf(() => store.send('q', { body: 'x'.repeat(1000), attributes: attrs({ name: { DataType: 'String', StringValue: 'y'.repeat(20) } }) }))).toBe('InvalidParameterValue');
    expect(codeOf(() => store.send('q', { body: '' }))).toBe('MissingParameter');
  });

  it('refuses characters SQS refuses', () => {
    store.createQueue('q');
    expect(messageOf(() => store.send('q', { body: 'a\u0000b' }))).toMatch(/Invalid binary character '#x0'/);
    expect(codeOf(() => store.send('q', { body: '\uD800' }))).toBe('InvalidMessageContents');
    store.send('q', { body: 'tab\t cr\r lf\n emoji \u{1F600}' });
  });

  it('bounds the number of queues, the bytes of one queue and of all queues', () => {
    store = make({ maxQueues: 2, maxQueueBytes: 2000, maxTotalBytes: 3000 });
    store.createQueue('a');
    store.createQueue('b');
    expect(messageOf(() => store.createQueue('c'))).toMatch(/holds 2 queues/);
    expect(codeOf(() => store.createQueue('c'))).toBe('OverLimit');
    store.send('a', { body: 'x'.repeat(1000) });
    expect(messageOf(() => store.send('a', { body: 'x'.repeat(1000) }))).toMatch(/queue a holds .* limit of 2000 bytes/);
    // Each message is charged its bytes and 256 more.
    store.send('b', { body: 'x'.repeat(1000) });
    store.send('b', { body: 'x'.repeat(100) });
    expect(messageOf(() => store.send('b', { body: 'x'.repeat(100) }))).toMatch(/queues of this server hold 2868 bytes .* limit of 3000 bytes/);
    store.purgeQueue('a');
    store.send('b', { body: 'x'.repeat(100) });
  });

  it('remembers a bounded number of deduplication ids', () => {
    store = make({ maxDedupEntries: 2 });
    store.createQueue('f.fifo', { FifoQueue: 'true' });
    const first = store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: '1' });
    store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: '2' });
    store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: '3' });
    expect(store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: '1' }).messageId).not.toBe(first.messageId);
  });
});

describe('snapshot', () => {
  it('a store loaded from a snapshot has the same queues, messages, receipt handles, FIFO state and limits accounting', () => {
    store.createQueue('dlq');
    store.createQueue('q', { VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq', maxReceiveCount: 5 }) }, { team: 'a' });
    store.send('q', { body: 'text', attributes: attrs({ bin: { DataType: 'Binary', BinaryValue: Buffer.from([0, 255]) }, s: { DataType: 'String', StringValue: 'v' } }) });
    store.send('q', { body: 'second' });
    const [inFlight] = store.receive('q', { max: 1 });
    store.createQueue('f.fifo', { FifoQueue: 'true' });
    const fifo = store.send('f.fifo', { body: 'm', groupId: 'g', dedupId: 'd' });

    const loaded = new QueueStore({ clock });
    loaded.loadSnapshot(JSON.parse(JSON.stringify(store.toSnapshot())));
    expect(loaded.queueNames()).toEqual(['dlq', 'f.fifo', 'q']);
    expect(loaded.getQueueAttributes('q')).toEqual(store.getQueueAttributes('q'));
    expect(loaded.listQueueTags('q')).toEqual({ team: 'a' });
    expect(loaded.receive('q', { max: 10 }).map((d) => d.message.body)).toEqual(['second']);
    loaded.deleteMessage('q', inFlight.receiptHandle);
    clock.advance(60);
    expect(loaded.receive('q', { max: 10 }).map((d) => d.message.body)).toEqual(['second']);
    const [copy] = store.receive('q', { max: 1 });
    expect(copy.message.attributes.bin.BinaryValue).toEqual(Buffer.from([0, 255]));
    expect(loaded.send('f.fifo', { body: 'm', groupId: 'g', dedupId: 'd' }).messageId).toBe(fifo.messageId);
    expect(BigInt(loaded.send('f.fifo', { body: 'n', groupId: 'g', dedupId: 'e' }).sequenceNumber!)).toBe(BigInt(fifo.sequenceNumber!) + 1n);
  });

  it('a damaged snapshot is an error naming the field', () => {
    const loaded = new QueueStore({ clock });
    expect(() => loaded.loadSnapshot({ version: 2, queues: [] })).toThrow(/version: must be 1/);
    expect(() => loaded.loadSnapshot({ version: 1, queues: [{ name: 'q' }] })).toThrow(/queues\[0\]\.nextSequence: must be text/);
    store.createQueue('q');
    store.send('q', { body: 'm' });
    const snapshot = JSON.parse(JSON.stringify(store.toSnapshot()));
    snapshot.queues[0].messages[0].sentAt = 'yesterday';
    expect(() => loaded.loadSnapshot(snapshot)).toThrow(/queues\[0\]\.messages\[0\]\.sentAt: must be a number/);
    expect(loaded.queueNames()).toEqual([]);
  });
});
