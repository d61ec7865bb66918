// The SQS server over real HTTP: client-sqs v3 (JSON protocol), raw query-protocol requests as
// aws-sdk v2 and older boto3 send them, boto3 itself where a Python has it, long polls, limits,
// malformed input, persistence across a restart, and the embedded storage's wiring.
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStorage, StorageStartError } from './embedded.js';
import { md5Hex } from './sqs-queues.js';
import { SqsSnapshotError, startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'any-secret' };
const client = (endpoint: string) => new SQSClient({ endpoint, region: 'us-east-1', credentials });

/** Waits until `check` holds (the test's timeout bounds the wait). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { Code?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'esb-sqs-'));
}

/**
 * For the long-poll tests: a server that did not wake its long polls would still answer, at the
 * end of the 20 s wait; half of that tells the two apart with a wide margin.
 */
const UNDER_THE_WAIT_MS = 10_000;

describe('JSON protocol (client-sqs v3)', () => {
  let server: RunningSqsServer;
  let sqs: SQSClient;

  beforeAll(async () => {
    server = await startSqsServer({ port: 0 });
    sqs = client(server.endpoint);
  });
  afterAll(async () => {
    sqs?.destroy();
    await server?.close();
  });

  it('creates queues with attributes and tags, idempotently, and finds them by name, URL, AWS URL or list', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '45' }, tags: { team: 'shop' } }));
    expect(QueueUrl).toBe(`${server.endpoint}/123456789012/orders`);
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '45' } }))).QueueUrl).toBe(QueueUrl);
    const conflict = await errorOf(sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '46' } })));
    expect(conflict).toBeInstanceOf(QueueNameExists);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl).toBe(QueueUrl);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'ord' }))).QueueUrls).toEqual([QueueUrl]);
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ team: 'shop' });
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders', AttributeNames: ['All'] }));
    expect(attributes.Attributes).toMatchObject({ QueueArn: 'arn:aws:sqs:us-east-1:123456789012:orders', VisibilityTimeout: '45', ApproximateNumberOfMessages: '0' });
  });

  it('sends, receives with attributes and deletes; the SDK\'s MD5 checks pass', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'basic' }));
    const body = 'hello & <world>\r\n ünïcode \u{1F600}';
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageAttributes: {
          test_attribute_name_2: { DataType: 'String', StringValue: 'test_attribute_value_2' },
          test_attribute_name_1: { DataType: 'String', StringValue: 'test_attribute_value_1' },
        },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' } },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5Hex(body));
    expect(sent.MD5OfMessageAttributes).toBe('d53f3b558fe951154770f25cb63dbba9');
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
    expect(Messages).toHaveLength(1);
    const [message] = Messages!;
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: md5Hex(body), MD5OfMessageAttributes: 'd53f3b558fe951154770f25cb63dbba9' });
    expect(message.Attributes).toMatchObject({ SenderId: 'AKIDLOCAL', ApproximateReceiveCount: '1', AWSTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' });
    expect(Number(message.Attributes!.SentTimestamp)).toBeGreaterThan(0);
    expect(message.MessageAttributes!.test_attribute_name_1).toEqual({ DataType: 'String', StringValue: 'test_attribute_value_1' });
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    // The same handle again: the message is gone, SQS accepts it.
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(counts.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('sends a batch with binary and number attributes; receives up to 10; deletes and changes visibility in batches', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'batch' }));
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'one', MessageBody: 'one', MessageAttributes: { n: { DataType: 'Number', StringValue: '42' }, b: { DataType: 'Binary', BinaryValue: bytes } } },
          { Id: 'two', MessageBody: 'two', DelaySeconds: 0 },
          { Id: 'three', MessageBody: 'three' },
        ],
      }),
    );
    expect(sent.Successful?.map((e) => e.Id).sort()).toEqual(['one', 'three', 'two']);
    expect(sent.Failed ?? []).toEqual([]);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    expect(Messages?.map((m) => m.Body)).toEqual(['one', 'two', 'three']);
    expect(Messages![0].MessageAttributes).toEqual({ n: { DataType: 'Number', StringValue: '42' }, b: { DataType: 'Binary', BinaryValue: bytes } });
    expect(Messages![0].MD5OfMessageAttributes).toBe(sent.Successful!.find((e) => e.Id === 'one')!.MD5OfMessageAttributes);
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: 'a', ReceiptHandle: Messages![0].ReceiptHandle, VisibilityTimeout: 0 }, { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 0 }] }),
    );
    expect(changed.Successful).toEqual([{ Id: 'a' }]);
    expect(changed.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(again.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['one', '2']]);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: [...Messages!.slice(1), ...again.Messages!].map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
    expect(deleted.Successful).toHaveLength(3);
    const tooMany = await errorOf(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })) })));
    expect(tooMany).toBeInstanceOf(TooManyEntriesInBatchRequest);
  });

  it('a long poll is answered as soon as a message is sent', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'long-poll' }));
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    await until(() => server.waitingReceives() === 1);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));
    const { Messages } = await receiving;
    expect(Messages?.map((m) => m.Body)).toEqual(['wake up']);
    expect(server.waitingReceives()).toBe(0);
  }, UNDER_THE_WAIT_MS);

  it('a long poll is answered when a received message\'s visibility timeout passes, and ends empty when its wait does', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'comes-back' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1 }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['again', '2']]);
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(empty.Messages).toBeUndefined();
  }, UNDER_THE_WAIT_MS);

  it('ChangeMessageVisibility: 0 gives the message back at once', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'visibility' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'm' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.Messages![0].ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.[0].MessageId).toBe(first.Messages![0].MessageId);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue', async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'orders-dlq' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'with-dlq', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 2 }) } }),
    );
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    for (let i = 0; i < 2; i++) expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }))).Messages?.[0].MessageId).toBe(MessageId);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }))).Messages).toBeUndefined();
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MessageSystemAttributeNames: ['All'] }));
    expect(dead.Messages?.[0]).toMatchObject({ MessageId, Body: 'poison' });
    expect(dead.Messages?.[0].Attributes?.DeadLetterQueueSourceArn).toBe('arn:aws:sqs:us-east-1:123456789012:with-dlq');
    expect((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.QueueUrl }))).queueUrls).toEqual([QueueUrl]);
  });

  it('FIFO: groups in order, one group at a time in flight, deduplication, sequence numbers', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }));
    const sent = [];
    for (const [body, group] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b']]) sent.push(await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group })));
    expect(BigInt(sent[1].SequenceNumber!)).toBeGreaterThan(BigInt(sent[0].SequenceNumber!));
    const duplicate = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a1', MessageGroupId: 'a' }));
    expect(duplicate.MessageId).toBe(sent[0].MessageId);
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber', 'MessageDeduplicationId'] }));
    expect(first.Messages?.map((m) => m.Body)).toEqual(['a1']);
    expect(first.Messages![0].Attributes).toMatchObject({ MessageGroupId: 'a', SequenceNumber: sent[0].SequenceNumber });
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages?.map((m) => m.Body)).toEqual(['b1']);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages).toBeUndefined();
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages![0].ReceiptHandle }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages?.map((m) => m.Body)).toEqual(['a2']);
    const noGroup = await errorOf(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })));
    expect(noGroup.name).toBe('MissingParameter');
    expect(noGroup.message).toMatch(/MessageGroupId/);
  });

  it('purges, sets attributes, tags, deletes', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'misc' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'm', DelaySeconds: 900 }));
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }))).Attributes).toEqual({ ApproximateNumberOfMessagesDelayed: '1' });
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }))).Attributes).toEqual({ ApproximateNumberOfMessagesDelayed: '0' });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: '3', MaximumMessageSize: '1024' } }));
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['DelaySeconds', 'MaximumMessageSize'] }))).Attributes).toEqual({ DelaySeconds: '3', MaximumMessageSize: '1024' });
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { a: '1' } }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    expect(await errorOf(sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] })))).toBeInstanceOf(QueueDoesNotExist);
  });

  it('errors come as the SDK\'s modeled exceptions with SQS\'s codes and messages', async () => {
    const missing = await errorOf(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })));
    expect(missing).toBeInstanceOf(QueueDoesNotExist);
    expect(missing.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(missing.$metadata?.httpStatusCode).toBe(400);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'errors', Attributes: { MaximumMessageSize: '1024' } }));
    const tooBig = await errorOf(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(1025) })));
    expect(tooBig.name).toBe('InvalidParameterValue');
    expect(tooBig.message).toMatch(/Message must be shorter than 1024 bytes/);
    expect(await errorOf(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' })))).toBeInstanceOf(ReceiptHandleIsInvalid);
    const badName = await errorOf(sqs.send(new CreateQueueCommand({ QueueName: 'no spaces' })));
    expect(badName.name).toBe('InvalidParameterValue');
    const badAttribute = await errorOf(sqs.send(new CreateQueueCommand({ QueueName: 'x', Attributes: { VisibilityTimeout: '-1' } })));
    expect(badAttribute.name).toBe('InvalidAttributeValue');
    expect(badAttribute.message).toMatch(/VisibilityTimeout/);
  });

  it('builds queue URLs from the Host the client used', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({ QueueName: 'hosted' });
      const req = request(
        `${server.endpoint}/`,
        { method: 'POST', headers: { host: 'sqs.internal:4566', 'x-amz-target': 'AmazonSQS.CreateQueue', 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(JSON.parse(answer)).toEqual({ QueueUrl: 'http://sqs.internal:4566/123456789012/hosted' });
  });
});

// ---- query protocol ----

/** A query-protocol request as aws-sdk v2 (before its JSON switch) and older boto3 send it. */
async function query(url: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: 'AWS4-HMAC-SHA256 Credential=AKIDQUERY/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00' },
    body: new URLSearchParams({ ...fields, Version: '2012-11-05' }).toString(),
  });
  return { status: res.status, text: await res.text() };
}

function xmlValues(xml: string, name: string): string[] {
  const unescape = (s: string) => s.replace(/&#xD;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => unescape(m[1]));
}

describe('query protocol (form fields in, XML out)', () => {
  let server: RunningSqsServer;

  beforeAll(async () => {
    server = await startSqsServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a queue, sends to its URL with attributes, receives and deletes, in XML', async () => {
    const created = await query(`${server.endpoint}/`, { Action: 'CreateQueue', QueueName: 'legacy', 'Attribute.1.Name': 'VisibilityTimeout', 'Attribute.1.Value': '60' });
    expect(created.status).toBe(200);
    expect(created.text).toContain('<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">');
    const [queueUrl] = xmlValues(created.text, 'QueueUrl');
    expect(queueUrl).toBe(`${server.endpoint}/123456789012/legacy`);

    const body = 'a & b <c> "d"\r\nend';
    const sent = await query(queueUrl, {
      Action: 'SendMessage',
      MessageBody: body,
      'MessageAttribute.1.Name': 'test_attribute_name',
      'MessageAttribute.1.Value.DataType': 'Binary',
      'MessageAttribute.1.Value.BinaryValue': Buffer.from('test_attribute_value').toString('base64'),
    });
    expect(sent.status).toBe(200);
    expect(xmlValues(sent.text, 'MD5OfMessageBody')).toEqual([md5Hex(body)]);
    expect(xmlValues(sent.text, 'MD5OfMessageAttributes')).toEqual(['23f6bd27ea87aab7dfeadcc9aebee495']);

    const batch = await query(queueUrl, {
      Action: 'SendMessageBatch',
      'SendMessageBatchRequestEntry.1.Id': 'x',
      'SendMessageBatchRequestEntry.1.MessageBody': 'second',
      'SendMessageBatchRequestEntry.2.Id': 'y',
      'SendMessageBatchRequestEntry.2.MessageBody': '',
    });
    expect(xmlValues(batch.text, 'SendMessageBatchResultEntry').map((e) => xmlValues(e, 'Id')[0])).toEqual(['x']);
    expect(xmlValues(batch.text, 'BatchResultErrorEntry').map((e) => [xmlValues(e, 'Id')[0], xmlValues(e, 'SenderFault')[0]])).toEqual([['y', 'true']]);

    const received = await query(`${server.endpoint}/`, { Action: 'ReceiveMessage', QueueUrl: queueUrl, MaxNumberOfMessages: '10', 'AttributeName.1': 'All', 'MessageAttributeName.1': 'All' });
    const messages = xmlValues(received.text, 'Message');
    expect(messages.map((m) => xmlValues(m, 'Body')[0])).toEqual([body, 'second']);
    expect(xmlValues(messages[0], 'MD5OfBody')).toEqual([md5Hex(body)]);
    expect(messages[0]).toContain('<Attribute><Name>SenderId</Name><Value>AKIDQUERY</Value></Attribute>');
    expect(messages[0]).toContain(`<MessageAttribute><Name>test_attribute_name</Name><Value><BinaryValue>${Buffer.from('test_attribute_value').toString('base64')}</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>`);
    expect(xmlValues(messages[0], 'MD5OfMessageAttributes')).toEqual(['23f6bd27ea87aab7dfeadcc9aebee495']);

    const handles = messages.map((m) => xmlValues(m, 'ReceiptHandle')[0]);
    const deleted = await query(queueUrl, {
      Action: 'DeleteMessageBatch',
      'DeleteMessageBatchRequestEntry.1.Id': 'a',
      'DeleteMessageBatchRequestEntry.1.ReceiptHandle': handles[0],
      'DeleteMessageBatchRequestEntry.2.Id': 'b',
      'DeleteMessageBatchRequestEntry.2.ReceiptHandle': handles[1],
    });
    expect(xmlValues(deleted.text, 'DeleteMessageBatchResultEntry')).toHaveLength(2);
    const attributes = await query(queueUrl, { Action: 'GetQueueAttributes', 'AttributeName.1': 'ApproximateNumberOfMessages', 'AttributeName.2': 'VisibilityTimeout' });
    expect(attributes.text).toContain('<Attribute><Name>ApproximateNumberOfMessages</Name><Value>0</Value></Attribute><Attribute><Name>VisibilityTimeout</Name><Value>60</Value></Attribute>');
  });

  it('answers a GET with the fields in the query string, and lists queues', async () => {
    await query(`${server.endpoint}/`, { Action: 'CreateQueue', QueueName: 'listed' });
    const res = await fetch(`${server.endpoint}/?Action=ListQueues&QueueNamePrefix=list&Version=2012-11-05`);
    expect(res.status).toBe(200);
    expect(xmlValues(await res.text(), 'QueueUrl')).toEqual([`${server.endpoint}/123456789012/listed`]);
  });

  it('errors are an ErrorResponse with the query code', async () => {
    const missing = await query(`${server.endpoint}/`, { Action: 'GetQueueUrl', QueueName: 'nope' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
    const noAction = await query(`${server.endpoint}/`, {});
    expect(xmlValues(noAction.text, 'Message')).toEqual(['The request must contain the parameter Action.']);
    const badField = await query(`${server.endpoint}/`, { Action: 'CreateQueue', QueueName: 'q', 'Attribute.one.Name': 'x' });
    expect(badField.status).toBe(400);
    expect(xmlValues(badField.text, 'Message')[0]).toMatch(/Attribute.one/);
  });
});

// ---- boto3 ----

const BOTO3_SCRIPT = `
import boto3, botocore, json, sys
endpoint, name = sys.argv[1], sys.argv[2]
c = boto3.client('sqs', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s')
out = {'protocol': c.meta.service_model.protocol}
url = c.create_queue(QueueName=name, Attributes={'VisibilityTimeout': '60'})['QueueUrl']
r = c.send_message(QueueUrl=url, MessageBody='hello & <world>\\r\\n', MessageAttributes={'n': {'DataType': 'Number', 'StringValue': '42'}, 'b': {'DataType': 'Binary', 'BinaryValue': b'\\x00\\x01'}})
out['md5'] = [r['MD5OfMessageBody'], r['MD5OfMessageAttributes']]
b = c.send_message_batch(QueueUrl=url, Entries=[{'Id': 'a', 'MessageBody': 'one'}, {'Id': 'b', 'MessageBody': 'two'}])
out['batch'] = sorted(e['Id'] for e in b['Successful'])
m = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=['All'], MessageAttributeNames=['All'], WaitTimeSeconds=1)['Messages']
out['bodies'] = [x['Body'] for x in m]
out['attributes'] = {k: v.get('StringValue', list(v.get('BinaryValue', b''))) for k, v in m[0]['MessageAttributes'].items()}
out['received_md5'] = m[0]['MD5OfMessageAttributes']
out['receive_count'] = m[0]['Attributes']['ApproximateReceiveCount']
c.delete_message_batch(QueueUrl=url, Entries=[{'Id': str(i), 'ReceiptHandle': x['ReceiptHandle']} for i, x in enumerate(m)])
out['left'] = c.get_queue_attributes(QueueUrl=url, AttributeNames=['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'])['Attributes']
try:
    c.get_queue_url(QueueName='missing-queue')
except c.exceptions.QueueDoesNotExist as e:
    out['error'] = e.response['Error']['Code']
print(json.dumps(out))
`;

/** Pythons to drive the server with: Debian's (an older boto3: query protocol) and the one on PATH (often a newer one: JSON). */
const PYTHONS = [...new Set([process.env.ESB_BOTO3_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p))].map((python) => {
  const probe = spawnSync(python, ['-c', 'import boto3, botocore.session; print(boto3.__version__, botocore.session.get_session().get_service_model("sqs").protocol)'], { encoding: 'utf8' });
  return { python, version: probe.status === 0 ? probe.stdout.trim() : undefined };
});

describe('boto3', () => {
  let server: RunningSqsServer;
  beforeAll(async () => {
    server = await startSqsServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const { python, version } of PYTHONS) {
    it.skipIf(!version)(`boto3 of ${python} (${version ?? 'not installed'}): queue, send, batch, receive, delete, error`, async () => {
      const { stdout } = await promisify(execFile)(python, ['-c', BOTO3_SCRIPT, server.endpoint, `boto3-${PYTHONS.findIndex((p) => p.python === python)}`], { encoding: 'utf8' });
      const out = JSON.parse(stdout);
      expect(out.protocol).toBe(version!.split(' ')[1]);
      expect(out.md5[0]).toBe(md5Hex('hello & <world>\r\n'));
      expect(out.received_md5).toBe(out.md5[1]);
      expect(out).toMatchObject({
        batch: ['a', 'b'],
        bodies: ['hello & <world>\r\n', 'one', 'two'],
        attributes: { n: '42', b: [0, 1] },
        receive_count: '1',
        left: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
        error: 'AWS.SimpleQueueService.NonExistentQueue',
      });
    });
  }
});

// ---- limits and malformed input ----

function rawPost(endpoint: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // The server may answer and close before the whole body is sent.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('limits and malformed input', () => {
  let server: RunningSqsServer;
  beforeAll(async () => {
    server = await startSqsServer({ port: 0, maxBodyBytes: 4096 });
  });
  afterAll(async () => {
    await server?.close();
  });
  const json = (target: string) => ({ 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' });

  it('refuses a body over the cap, declared or streamed, and goes on serving', async () => {
    const declared = await rawPost(server.endpoint, { ...json('AmazonSQS.ListQueues'), 'content-length': '100000' }, [Buffer.alloc(100_000, 32)]);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).__type).toBe('com.amazonaws.sqs#RequestEntityTooLarge');
    const streamed = await rawPost(server.endpoint, { 'content-type': 'application/x-www-form-urlencoded' }, Array.from({ length: 10 }, () => Buffer.alloc(1000, 'a')));
    expect(streamed.status).toBe(413);
    expect(streamed.text).toContain('<Code>RequestEntityTooLarge</Code>');
    const fine = await rawPost(server.endpoint, json('AmazonSQS.ListQueues'), [Buffer.from('{}')]);
    expect(fine).toEqual({ status: 200, text: '{}' });
  });

  it('answers malformed requests with a clear error, never a crash', async () => {
    const notJson = await rawPost(server.endpoint, json('AmazonSQS.ListQueues'), [Buffer.from('{nope')]);
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text)).toMatchObject({ __type: 'com.amazonaws.sqs#SerializationException', message: expect.stringMatching(/not JSON/) });
    const unknown = await rawPost(server.endpoint, json('AmazonSQS.Frobnicate'), [Buffer.from('{}')]);
    expect(JSON.parse(unknown.text).__type).toBe('com.amazonaws.sqs#InvalidAction');
    const wrongShape = await rawPost(server.endpoint, json('AmazonSQS.CreateQueue'), [Buffer.from('{"QueueName":{"a":1}}')]);
    expect(JSON.parse(wrongShape.text).message).toMatch(/parameter QueueName is invalid/);
    const junk = await rawPost(server.endpoint, { 'content-type': 'application/x-www-form-urlencoded' }, [Buffer.from([0xff, 0xfe, 0x00, 0x26, 0x3d, 0x25])]);
    expect(junk.status).toBe(400);
    const fine = await rawPost(server.endpoint, json('AmazonSQS.ListQueues'), [Buffer.from('')]);
    expect(fine.status).toBe(200);
  });
});

// ---- persistence ----

describe('persistence', () => {
  it('keeps queues, messages, in-flight receipt handles and FIFO deduplication across a restart', async () => {
    const dir = await tempDir();
    let server = await startSqsServer({ port: 0, directory: dir });
    let sqs = client(server.endpoint);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'kept', Attributes: { VisibilityTimeout: '600' } }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'in flight' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'waiting', MessageAttributes: { b: { DataType: 'Binary', BinaryValue: Uint8Array.from([9]) } } }));
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
      const fifo = await sqs.send(new CreateQueueCommand({ QueueName: 'kept.fifo', Attributes: { FifoQueue: 'true' } }));
      const first = await sqs.send(new SendMessageCommand({ QueueUrl: fifo.QueueUrl, MessageBody: 'f', MessageGroupId: 'g', MessageDeduplicationId: 'd' }));
      // Written a little after the changes, without waiting for close.
      await until(async () => (await readFile(join(dir, 'queues.json'), 'utf8').catch(() => '')).includes('kept.fifo'));
      sqs.destroy();
      await server.close();

      server = await startSqsServer({ port: 0, directory: dir });
      sqs = client(server.endpoint);
      const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'VisibilityTimeout'] }));
      expect(counts.Attributes).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1', VisibilityTimeout: '600' });
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages![0].ReceiptHandle }));
      const waiting = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'] }));
      expect(waiting.Messages?.[0]).toMatchObject({ Body: 'waiting', MessageAttributes: { b: { DataType: 'Binary', BinaryValue: Uint8Array.from([9]) } } });
      const again = await sqs.send(new SendMessageCommand({ QueueUrl: fifo.QueueUrl, MessageBody: 'f', MessageGroupId: 'g', MessageDeduplicationId: 'd' }));
      expect(again.MessageId).toBe(first.MessageId);
    } finally {
      sqs.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a damaged snapshot stops the start with an error naming the file', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir, 'queues.json'), '{"version": 1, "queues": [');
      const err = await errorOf(startSqsServer({ port: 0, directory: dir }));
      expect(err).toBeInstanceOf(SqsSnapshotError);
      expect(err.message).toContain(join(dir, 'queues.json'));
      await writeFile(join(dir, 'queues.json'), '{"version": 1, "queues": [{"name": "q", "attributes": {}}]}');
      expect((await errorOf(startSqsServer({ port: 0, directory: dir }))).message).toMatch(/queues\[0\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('one server per data folder', async () => {
    const dir = await tempDir();
    const first = await startSqsServer({ port: 0, directory: dir });
    try {
      expect((await errorOf(startSqsServer({ port: 0, directory: dir }))).message).toMatch(/in use/);
      await first.close();
      const second = await startSqsServer({ port: 0, directory: dir });
      await second.close();
    } finally {
      await first.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('close answers the long polls still waiting', async () => {
    const server = await startSqsServer({ port: 0 });
    const sqs = client(server.endpoint);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'closing' }));
      const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
      await until(() => server.waitingReceives() === 1);
      await server.close();
      expect((await receiving).Messages).toBeUndefined();
    } finally {
      sqs.destroy();
      await server.close();
    }
  }, UNDER_THE_WAIT_MS);
});

// ---- the embedded storage ----

describe('embedded storage', () => {
  it('starts the SQS server beside the others, its data under <dataDir>/sqs', async () => {
    const dir = await tempDir();
    const storage = await startEmbeddedStorage({ dataDir: dir, only: 'sqs' });
    try {
      expect(storage.sqsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(storage.dynamodbEndpoint).toBeUndefined();
      expect(storage.s3Endpoint).toBeUndefined();
      const sqs = client(storage.sqsEndpoint!);
      await sqs.send(new CreateQueueCommand({ QueueName: 'embedded' }));
      sqs.destroy();
      await storage.close();
      expect(JSON.parse(await readFile(join(dir, 'sqs', 'queues.json'), 'utf8')).queues[0].name).toBe('embedded');
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a port in use is a StorageStartError naming SQS', async () => {
    const dir = await tempDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await errorOf(startEmbeddedStorage({ dataDir: dir, only: 'sqs', sqsPort: port }));
      expect(err).toBeInstanceOf(StorageStartError);
      expect(err.message).toMatch(new RegExp(`cannot start the embedded SQS server on 127.0.0.1:${port}`));
      // The folder is free again for the next start.
      const storage = await startEmbeddedStorage({ dataDir: dir, only: 'sqs' });
      await storage.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('listening on every address, the endpoint names loopback', async () => {
    const server = await startSqsServer({ host: '0.0.0.0', port: 0 });
    try {
      expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
    } finally {
      await server.close();
    }
  });
});
