// The SQS operations and wire formats without HTTP: query fields to the JSON shape, parameter
// checks that name the field, attribute selection on receive, batches, XML answers.
import { beforeEach, describe, expect, it } from 'vitest';
import { runAction, type ActionContext, type ActionOutcome, type Output } from './sqs-actions.js';
import { md5OfAttributes, QueueStore, SqsError } from './sqs-queues.js';
import { jsonError, queryToInput, xmlError, xmlResponse } from './sqs-wire.js';

const context: ActionContext = { baseUrl: 'http://localhost:9324' };
let store: QueueStore;

beforeEach(() => {
  store = new QueueStore();
});

function run(action: string, input: unknown, ctx: ActionContext = context): Output {
  const outcome: ActionOutcome = runAction(store, action, input, ctx);
  if (!('output' in outcome)) throw new Error('expected an answer, got a long poll');
  return outcome.output;
}

function failure(fn: () => unknown): SqsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SqsError) return err;
    throw err;
  }
  throw new Error('expected an SqsError');
}

const url = 'http://localhost:9324/123456789012/q';

describe('query protocol fields', () => {
  it('nests flattened maps and lists into the JSON protocol\'s shape', () => {
    expect(
      queryToInput(
        new URLSearchParams(
          'Action=CreateQueue&Version=2012-11-05&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=60&Attribute.2.Name=DelaySeconds&Attribute.2.Value=5&Tag.1.Key=team&Tag.1.Value=a',
        ),
      ),
    ).toEqual({ QueueName: 'q', Attributes: { VisibilityTimeout: '60', DelaySeconds: '5' }, Tags: { team: 'a' } });
    expect(
      queryToInput(
        new URLSearchParams(
          'SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one' +
            '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v',
        ),
      ),
    ).toEqual({
      Entries: [
        { Id: 'a', MessageBody: 'one', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        { Id: 'b', MessageBody: 'two' },
      ],
    });
    expect(queryToInput(new URLSearchParams('AttributeName.member.1=All&MessageAttributeName.1=x.*'))).toEqual({ AttributeNames: ['All'], MessageAttributeNames: ['x.*'] });
  });

  it('refuses fields that cannot be SQS parameters, naming them', () => {
    expect(failure(() => queryToInput(new URLSearchParams('Attribute.x.Name=a'))).message).toMatch(/parameter Attribute.x is invalid/);
    expect(failure(() => queryToInput(new URLSearchParams('QueueName=a&QueueName.1=b'))).message).toMatch(/QueueName/);
    expect(failure(() => queryToInput(new URLSearchParams('Attribute.1.Value=60'))).message).toBe('The request must contain the parameter Attribute.1.Name.');
    expect(failure(() => queryToInput(new URLSearchParams('a.b.c.d.e.f.g.h.i=1'))).code).toBe('InvalidParameterValue');
    expect(failure(() => queryToInput(new URLSearchParams('a..b=1'))).code).toBe('InvalidParameterValue');
  });
});

describe('operations', () => {
  it('unknown operations are InvalidAction; SQS operations not emulated are UnsupportedOperation', () => {
    expect(failure(() => run('Frobnicate', {})).code).toBe('InvalidAction');
    expect(failure(() => run('AddPermission', {})).code).toBe('UnsupportedOperation');
    expect(failure(() => run('constructor', {})).code).toBe('InvalidAction');
    expect(failure(() => run('ListQueues', [])).code).toBe('SerializationException');
  });

  it('finds the queue by any URL or ARN ending in its name, or by the path a query request was posted to', () => {
    run('CreateQueue', { QueueName: 'q' });
    for (const QueueUrl of [url, 'https://sqs.us-east-1.amazonaws.com/123456789012/q', 'arn:aws:sqs:us-east-1:123456789012:q', 'http://elsewhere:1/q']) {
      expect(run('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] })).toEqual({ Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q' } });
    }
    expect(run('GetQueueAttributes', { AttributeNames: ['QueueArn'] }, { ...context, pathQueueUrl: url })).toHaveProperty('Attributes');
    expect(failure(() => run('GetQueueAttributes', { QueueUrl: 'not a url' })).code).toBe('InvalidAddress');
    expect(failure(() => run('GetQueueAttributes', {})).message).toBe('The request must contain the parameter QueueUrl.');
  });

  it('builds queue URLs on the host the client used', () => {
    expect(run('CreateQueue', { QueueName: 'q' }, { baseUrl: 'http://sqs.internal:9324' })).toEqual({ QueueUrl: 'http://sqs.internal:9324/123456789012/q' });
    expect(run('GetQueueUrl', { QueueName: 'q' })).toEqual({ QueueUrl: url });
    expect(failure(() => run('GetQueueUrl', { QueueName: 'nope' })).code).toBe('QueueDoesNotExist');
  });

  it('ListQueues: by prefix, in pages of MaxResults with a NextToken', () => {
    for (const name of ['b', 'a1', 'a2', 'a3']) run('CreateQueue', { QueueName: name });
    expect(run('ListQueues', { QueueNamePrefix: 'a' }).QueueUrls).toEqual(['a1', 'a2', 'a3'].map((n) => `http://localhost:9324/123456789012/${n}`));
    const first = run('ListQueues', { MaxResults: 2 });
    expect(first.QueueUrls).toHaveLength(2);
    const second = run('ListQueues', { MaxResults: '2', NextToken: first.NextToken });
    expect(second).toEqual({ QueueUrls: ['http://localhost:9324/123456789012/a3', 'http://localhost:9324/123456789012/b'] });
    expect(run('ListQueues', { QueueNamePrefix: 'zzz' })).toEqual({});
    expect(failure(() => run('ListQueues', { MaxResults: 0 })).message).toMatch(/MaxResults/);
    expect(failure(() => run('ListQueues', { NextToken: '%%%' })).message).toMatch(/NextToken/);
  });

  it('names the parameter and the reason of a bad value', () => {
    run('CreateQueue', { QueueName: 'q' });
    expect(failure(() => run('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 'ten' })).message).toBe('Value ten for parameter MaxNumberOfMessages is invalid. Reason: must be a whole number.');
    expect(failure(() => run('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 11 })).message).toMatch(/MaxNumberOfMessages must be between 1 and 10/);
    expect(failure(() => run('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 21 })).message).toMatch(/WaitTimeSeconds must be >= 0 and <= 20/);
    expect(failure(() => run('SendMessage', { QueueUrl: url })).message).toBe('The request must contain the parameter MessageBody.');
    expect(failure(() => run('SendMessage', { QueueUrl: url, MessageBody: 5 })).message).toMatch(/parameter MessageBody is invalid. Reason: must be a string/);
    expect(failure(() => run('SetQueueAttributes', { QueueUrl: url, Attributes: { VisibilityTimeout: 5 } })).message).toMatch(/parameter Attributes.VisibilityTimeout/);
    expect(failure(() => run('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: 'x' })).message).toBe('The request must contain the parameter VisibilityTimeout.');
  });

  it('checks message attributes as SQS does', () => {
    run('CreateQueue', { QueueName: 'q' });
    const send = (MessageAttributes: unknown) => failure(() => run('SendMessage', { QueueUrl: url, MessageBody: 'b', MessageAttributes })).message;
    expect(send({ 'AWS.x': { DataType: 'String', StringValue: 'v' } })).toMatch(/name "AWS.x" is invalid/);
    expect(send({ 'a..b': { DataType: 'String', StringValue: 'v' } })).toMatch(/name "a..b" is invalid/);
    expect(send({ a: { DataType: 'Text', StringValue: 'v' } })).toMatch(/type of message \(user\) attribute 'a' is invalid/);
    expect(send({ a: { DataType: 'String', StringValue: '' } })).toMatch(/'a' must contain a non-empty value of type 'String'/);
    expect(send({ a: { DataType: 'Number', StringValue: 'twelve' } })).toMatch(/cast the value of message \(user\) attribute 'a' to a number/);
    expect(send({ a: { DataType: 'Binary', BinaryValue: '!!' } })).toMatch(/'a' must contain a non-empty value of type 'Binary'/);
    expect(send(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])))).toMatch(/\[11\] exceeds the allowed maximum \[10\]/);
    expect(failure(() => run('SendMessage', { QueueUrl: url, MessageBody: 'b', MessageSystemAttributes: { Other: { DataType: 'String', StringValue: 'v' } } })).message).toMatch(/system attribute name 'Other'/);
  });

  it('ReceiveMessage returns the system and message attributes asked for (All, names, prefixes), with the MD5 of those returned', () => {
    run('CreateQueue', { QueueName: 'q' });
    const MessageAttributes = {
      'x.one': { DataType: 'String', StringValue: '1' },
      'x.two': { DataType: 'Number.int', StringValue: '2' },
      other: { DataType: 'Binary', BinaryValue: Buffer.from('bin').toString('base64') },
    };
    const sent = run('SendMessage', { QueueUrl: url, MessageBody: 'b', MessageAttributes, MessageGroupId: 'g' });
    const receive = (extra: Output) => (run('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0, ...extra }).Messages as Output[])[0];
    const all = receive({ AttributeNames: ['All'], MessageAttributeNames: ['All'] });
    expect(all.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(all.MessageAttributes).toEqual(MessageAttributes);
    expect(Object.keys(all.Attributes as object).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'MessageGroupId', 'SenderId', 'SentTimestamp']);
    const some = receive({ MessageSystemAttributeNames: ['ApproximateReceiveCount'], MessageAttributeNames: ['x.*'] });
    expect(some.Attributes).toEqual({ ApproximateReceiveCount: '2' });
    expect(Object.keys(some.MessageAttributes as object)).toEqual(['x.one', 'x.two']);
    expect(some.MD5OfMessageAttributes).toBe(md5OfAttributes({ 'x.one': MessageAttributes['x.one'], 'x.two': MessageAttributes['x.two'] }));
    const none = receive({});
    expect(none).not.toHaveProperty('Attributes');
    expect(none).not.toHaveProperty('MessageAttributes');
    expect(none).not.toHaveProperty('MD5OfMessageAttributes');
  });

  it('an empty ReceiveMessage that may wait becomes a long poll; without a wait it answers at once', () => {
    run('CreateQueue', { QueueName: 'q', Attributes: { ReceiveMessageWaitTimeSeconds: '5' } });
    const outcome = runAction(store, 'ReceiveMessage', { QueueUrl: url }, context);
    if (!('poll' in outcome)) throw new Error('expected a long poll');
    expect(outcome.poll).toMatchObject({ queue: 'q', waitSeconds: 5 });
    expect(outcome.poll.attempt()).toBeUndefined();
    run('SendMessage', { QueueUrl: url, MessageBody: 'b' });
    expect((outcome.poll.attempt()!.Messages as Output[])[0].Body).toBe('b');
    expect(run('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 0 })).toEqual({});
  });

  it('a batch answers each entry: errors as Failed entries, the request itself refused when empty, too long or with repeated ids', () => {
    run('CreateQueue', { QueueName: 'q', Attributes: { MaximumMessageSize: '1024' } });
    const result = run('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'ok', MessageBody: 'fine' }, { Id: 'big', MessageBody: 'x'.repeat(2000) }, { Id: 'none' }] });
    expect((result.Successful as Output[]).map((e) => e.Id)).toEqual(['ok']);
    expect(result.Failed).toEqual([
      { Id: 'big', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.stringMatching(/shorter than 1024 bytes/) },
      { Id: 'none', SenderFault: true, Code: 'MissingParameter', Message: 'The request must contain the parameter Entries.3.MessageBody.' },
    ]);
    expect(failure(() => run('SendMessageBatch', { QueueUrl: url, Entries: [] })).code).toBe('EmptyBatchRequest');
    expect(failure(() => run('DeleteMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: 'x' }, { Id: 'a', ReceiptHandle: 'y' }] })).code).toBe('BatchEntryIdsNotDistinct');
    expect(failure(() => run('DeleteMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a b', ReceiptHandle: 'x' }] })).code).toBe('InvalidBatchEntryId');
    expect(failure(() => run('SendMessageBatch', { QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'b' })) })).code).toBe('TooManyEntriesInBatchRequest');
    expect(failure(() => run('SendMessageBatch', { QueueUrl: url, Entries: Array.from({ length: 2 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x'.repeat(600_000) })) })).code).toBe('BatchRequestTooLong');
    const [message] = run('ReceiveMessage', { QueueUrl: url }).Messages as Output[];
    const deleted = run('DeleteMessageBatch', { QueueUrl: url, Entries: [{ Id: 'good', ReceiptHandle: message.ReceiptHandle }, { Id: 'bad', ReceiptHandle: 'garbage' }] });
    expect(deleted).toEqual({ Successful: [{ Id: 'good' }], Failed: [{ Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.any(String) }] });
  });

  it('StartMessageMoveTask sends a dead-letter queue\'s messages back to the queues they came from, or to DestinationArn; ListMessageMoveTasks tells how it went', () => {
    const arn = (name: string) => `arn:aws:sqs:us-east-1:123456789012:${name}`;
    run('CreateQueue', { QueueName: 'dlq' });
    run('CreateQueue', { QueueName: 'orders', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('dlq'), maxReceiveCount: 1 }), VisibilityTimeout: '0' } });
    run('CreateQueue', { QueueName: 'retry' });
    const ordersUrl = 'http://localhost:9324/123456789012/orders';
    const dlqUrl = 'http://localhost:9324/123456789012/dlq';
    for (const body of ['a', 'b']) run('SendMessage', { QueueUrl: ordersUrl, MessageBody: body });
    // Received once and not deleted: the next receive moves both to the dead-letter queue.
    run('ReceiveMessage', { QueueUrl: ordersUrl, MaxNumberOfMessages: 10 });
    expect(run('ReceiveMessage', { QueueUrl: ordersUrl, MaxNumberOfMessages: 10 }).Messages).toBeUndefined();
    expect(run('GetQueueAttributes', { QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }).Attributes).toEqual({ ApproximateNumberOfMessages: '2' });

    const { TaskHandle } = run('StartMessageMoveTask', { SourceArn: arn('dlq') });
    expect(TaskHandle).toEqual(expect.any(String));
    const back = run('ReceiveMessage', { QueueUrl: ordersUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }).Messages as Output[];
    expect(back.map((m) => [m.Body, (m.Attributes as Record<string, string>).ApproximateReceiveCount]).sort()).toEqual([['a', '1'], ['b', '1']]);
    const listed = run('ListMessageMoveTasks', { SourceArn: arn('dlq'), MaxResults: 10 }).Results as Output[];
    expect(listed).toEqual([{ Status: 'COMPLETED', SourceArn: arn('dlq'), ApproximateNumberOfMessagesMoved: 2, ApproximateNumberOfMessagesToMove: 2, StartedTimestamp: expect.any(Number) }]);

    // To another queue; a message sent to the dead-letter queue directly has no queue to go back to.
    run('SendMessage', { QueueUrl: dlqUrl, MessageBody: 'direct' });
    expect(run('StartMessageMoveTask', { SourceArn: arn('dlq'), DestinationArn: arn('retry'), MaxNumberOfMessagesPerSecond: 10 }).TaskHandle).toEqual(expect.any(String));
    expect((run('ReceiveMessage', { QueueUrl: 'http://localhost:9324/123456789012/retry' }).Messages as Output[]).map((m) => m.Body)).toEqual(['direct']);
    run('SendMessage', { QueueUrl: dlqUrl, MessageBody: 'stranded' });
    run('StartMessageMoveTask', { SourceArn: arn('dlq') });
    const [failed] = run('ListMessageMoveTasks', { SourceArn: arn('dlq') }).Results as Output[];
    expect(failed).toMatchObject({ Status: 'FAILED', ApproximateNumberOfMessagesMoved: 0, ApproximateNumberOfMessagesToMove: 1, FailureReason: expect.stringContaining('give DestinationArn') });
    expect(failure(() => run('CancelMessageMoveTask', { TaskHandle })).code).toBe('ResourceNotFoundException');

    // Refusals name the parameter.
    expect([failure(() => run('StartMessageMoveTask', { SourceArn: arn('retry') }))].map((e) => [e.code, e.message])).toEqual([['InvalidParameterValue', expect.stringContaining('Source queue must be configured as a Dead Letter Queue')]]);
    expect(failure(() => run('StartMessageMoveTask', { SourceArn: arn('nope') })).message).toContain('SourceArn');
    expect(failure(() => run('StartMessageMoveTask', { SourceArn: 'dlq' })).message).toContain('SourceArn');
    expect(failure(() => run('StartMessageMoveTask', { SourceArn: arn('dlq'), MaxNumberOfMessagesPerSecond: 501 })).message).toContain('MaxNumberOfMessagesPerSecond');
    expect(xmlResponse('ListMessageMoveTasks', { Results: [{ Status: 'COMPLETED' }] }, 'r')).toContain('<ListMessageMoveTasksResult><ListMessageMoveTasksResultEntry><Status>COMPLETED</Status></ListMessageMoveTasksResultEntry></ListMessageMoveTasksResult>');
  });

  it('CreateQueue takes tags under either spelling; tags are listed back', () => {
    run('CreateQueue', { QueueName: 'q', tags: { a: '1' } });
    run('TagQueue', { QueueUrl: url, Tags: { b: '2' } });
    expect(run('ListQueueTags', { QueueUrl: url })).toEqual({ Tags: { a: '1', b: '2' } });
    run('UntagQueue', { QueueUrl: url, TagKeys: ['a', 'b'] });
    expect(run('ListQueueTags', { QueueUrl: url })).toEqual({});
    expect(failure(() => run('TagQueue', { QueueUrl: url, Tags: { ['k'.repeat(129)]: 'v' } })).code).toBe('InvalidParameterValue');
  });
});

describe('answers', () => {
  it('XML: the query protocol\'s envelope, flattened lists and maps, text escaped (a CR kept as a reference)', () => {
    const xml = xmlResponse(
      'ReceiveMessage',
      {
        Messages: [
          {
            MessageId: 'm',
            Body: 'a & b < c\r\n',
            Attributes: { SentTimestamp: '1' },
            MessageAttributes: { k: { DataType: 'String', StringValue: 'v' }, b: { DataType: 'Binary', BinaryValue: 'AAE=' } },
          },
        ],
      },
      'req-1',
    );
    expect(xml).toContain('<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ReceiveMessageResult><Message><MessageId>m</MessageId>');
    expect(xml).toContain('<Body>a &amp; b &lt; c&#xD;\n</Body>');
    expect(xml).toContain('<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>');
    expect(xml).toContain('<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute>');
    expect(xml).toContain('<MessageAttribute><Name>b</Name><Value><BinaryValue>AAE=</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>');
    expect(xml).toContain('<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ReceiveMessageResponse>');
    expect(xmlResponse('SendMessageBatch', { Successful: [{ Id: 'a' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'X', Message: 'y' }] }, 'r')).toContain(
      '<SendMessageBatchResult><SendMessageBatchResultEntry><Id>a</Id></SendMessageBatchResultEntry><BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>X</Code><Message>y</Message></BatchResultErrorEntry></SendMessageBatchResult>',
    );
    expect(xmlResponse('DeleteQueue', {}, 'r')).not.toContain('DeleteQueueResult');
  });

  it('errors: the query protocol\'s ErrorResponse, the JSON protocol\'s __type with the query code in a header', () => {
    const err = new SqsError('QueueDoesNotExist', 'The specified queue does not exist: q');
    expect(xmlError(err, 'r')).toContain('<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist: q</Message><Detail/></Error><RequestId>r</RequestId>');
    expect(jsonError(err)).toEqual({
      body: '{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist: q"}',
      headers: { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
    });
    expect(err.status).toBe(400);
    expect(jsonError(new SqsError('InternalFailure', 'x')).headers['x-amzn-query-error']).toBe('InternalFailure;Receiver');
  });
});
