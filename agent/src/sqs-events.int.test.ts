// SQS event sources against the storage's real SQS server and real function processes: batches
// of at most 10 deleted once taken, ReportBatchItemFailures keeping one message that comes back
// after its visibility timeout, and functions reaching the server with only
// AWS_ENDPOINT_URL_SQS and a template's queue URL (client-sqs, aws-sdk v2, old botocore).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { awsQueueUrl, FunctionsFile, LOCAL_CREDENTIALS, LOCAL_REGION, localQueueUrl } from '@esb/contracts';
import { until } from '@esb/contracts/testing';
import { startSqsServer } from '@esb/storage';
import { type Agent, createAgent } from './agent.js';
import { choosePython } from './process-driver.js';
import { codeFolder } from './testing/process-agent.js';

const UNTIL = { timeoutMs: 20_000, everyMs: 50 };
// Debian bookworm's python3-boto3 (botocore 1.29) reads no AWS_ENDPOINT_URL_SQS: the bootstrap's hook must.
const bookworm = choosePython({ explicit: '/usr/bin/python3' });
const python = bookworm.boto3 ? bookworm : choosePython();

const HANDLERS = `
const { appendFileSync } = require('node:fs');
const seen = (name, records) => appendFileSync(process.env.OUT + '/' + name, JSON.stringify(records.map((r) => ({ body: r.body, count: r.attributes.ApproximateReceiveCount, arn: r.eventSourceARN, source: r.eventSource }))) + '\\n');

exports.collect = async (event) => { seen('collect', event.Records); };

exports.fail = async () => { throw new Error('cannot take ' + process.env.OUT.length); };

// Fails the message "bad" the first time it sees it, by message id.
exports.picky = async (event) => {
  seen('picky', event.Records);
  return { batchItemFailures: event.Records.filter((r) => r.body === 'bad' && r.attributes.ApproximateReceiveCount === '1').map((r) => ({ itemIdentifier: r.messageId })) };
};

// Only the environment esb gives: AWS_ENDPOINT_URL_SQS and the template's queue URL, rebased.
exports.sendV3 = async (event) => {
  const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
  const out = await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: event.body }));
  return { queueUrl: process.env.QUEUE_URL, messageId: out.MessageId };
};

exports.sendV2 = async (event) => {
  const AWS = require('aws-sdk');
  const out = await new AWS.SQS().sendMessage({ QueueUrl: process.env.QUEUE_URL, MessageBody: event.body }).promise();
  return { messageId: out.MessageId };
};
`;

const PYTHON = `
import os
import boto3
import botocore

def send(event, context):
    out = boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=event["body"])
    return {"messageId": out["MessageId"], "botocore": botocore.__version__}
`;

describe('SQS event sources, with the SQS server and real functions', () => {
  let server: Awaited<ReturnType<typeof startSqsServer>>;
  let endpoint: string;
  let sqs: SQSClient;
  let agent: Agent;
  let dir: string;
  const out = (name: string): Array<Array<{ body: string; count: string; arn: string; source: string }>> =>
    existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
  const createQueue = async (name: string, attributes: Record<string, string> = {}) => (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  const count = async (name: string) => {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: localQueueUrl(endpoint, name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
    return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
  };

  beforeAll(async () => {
    server = await startSqsServer({ host: '127.0.0.1', port: 0 });
    endpoint = server.endpoint;
    sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    dir = codeFolder('esb-sqs-', { 'index.js': HANDLERS, 'app.py': PYTHON });
    await createQueue('inbox');
    await createQueue('picky', { VisibilityTimeout: '1' });
    await createQueue('outbox');
    agent = await createAgent({
      runtime: 'process',
      endpoints: { sqs: endpoint },
      logDir: path.join(dir, 'logs'),
      log: pino({ level: 'silent' }),
      pinoFunctionLogs: false,
      schedules: false,
      python: python.python,
    });
    const node = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'nodejs20.x', handler, code: dir, environment: { OUT: dir, QUEUE_URL: awsQueueUrl('outbox') }, ...extra });
    agent.setFunctions(
      FunctionsFile.parse({
        functions: {
          collect: node('index.collect', { events: [{ type: 'sqs', name: 'Inbox', queue: 'inbox', batch_size: 10 }] }),
          picky: node('index.picky', { events: [{ type: 'sqs', name: 'Picky', queue: 'picky', report_batch_item_failures: true }] }),
          sendV3: node('index.sendV3'),
          // aws-sdk v2 is what Lambda's nodejs16.x and older runtimes provide.
          sendV2: node('index.sendV2', { runtime: 'nodejs16.x' }),
          sendPy: { runtime: 'python3.11', handler: 'app.send', code: dir, environment: { QUEUE_URL: awsQueueUrl('outbox') } },
        },
      }),
    );
  });

  afterAll(async () => {
    await agent?.close();
    sqs?.destroy();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hands 25 messages to the function in batches of at most 10, as Lambda records, and deletes them', async () => {
    for (let i = 0; i < 25; i += 5)
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: localQueueUrl(endpoint, 'inbox'), Entries: [0, 1, 2, 3, 4].map((n) => ({ Id: `e${n}`, MessageBody: `m${i + n}` })) }));
    await until(async () => out('collect').flat().length >= 25 && (await count('inbox')) === 0, 'the 25 messages handed over and deleted', UNTIL);
    const batches = out('collect');
    expect(batches.every((b) => b.length >= 1 && b.length <= 10)).toBe(true);
    expect(batches.flat().map((r) => r.body).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
    expect(batches[0][0]).toMatchObject({ count: '1', source: 'aws:sqs', arn: `arn:aws:sqs:${LOCAL_REGION}:123456789012:inbox` });
    expect(agent.stats().queues.map((q) => q.mapping).sort()).toEqual(['Inbox', 'Picky']);
  });

  it('keeps only the message the function reports failed; it comes back after its visibility timeout', async () => {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: localQueueUrl(endpoint, 'picky'), Entries: ['good1', 'bad', 'good2'].map((b) => ({ Id: b, MessageBody: b })) }));
    await until(() => out('picky').flat().some((r) => r.body === 'bad' && r.count === '2'), 'the failed message received again', UNTIL);
    await until(async () => (await count('picky')) === 0, 'the picky queue empty', UNTIL);
    const seen = out('picky').flat();
    expect(seen.filter((r) => r.body === 'bad').map((r) => r.count)).toEqual(['1', '2']);
    expect(seen.filter((r) => r.body !== 'bad').map((r) => r.count)).toEqual(['1', '1']);
  });

  it('a function reaches the queue with only AWS_ENDPOINT_URL_SQS and the template queue URL (client-sqs, aws-sdk v2, Python)', async () => {
    const invoke = async (fn: string, body: string) => {
      const r = await agent.invoke(fn, Buffer.from(JSON.stringify({ body })));
      expect(r.error, r.payload.toString()).toBeUndefined();
      return JSON.parse(r.payload.toString());
    };
    const v3 = await invoke('sendV3', 'from v3');
    expect(v3.queueUrl).toBe(localQueueUrl(endpoint, 'outbox'));
    await invoke('sendV2', 'from v2');
    const sent = ['from v2', 'from v3'];
    if (python.boto3) {
      const py = await invoke('sendPy', 'from python');
      expect(py.messageId).toBeTruthy();
      sent.push('from python');
    } else console.warn(`SKIPPED: the Python case (${python.python} has no boto3)`);
    const got: string[] = [];
    await until(async () => {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: localQueueUrl(endpoint, 'outbox'), MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      got.push(...(r.Messages ?? []).map((m) => m.Body!));
      return got.length >= sent.length;
    }, 'the sent messages', UNTIL);
    expect(got.sort()).toEqual(sent.sort());
  });

  it('a mapping of a queue that does not exist yet starts reading it once it is created', async () => {
    const file = FunctionsFile.parse({
      functions: {
        collect: { runtime: 'nodejs20.x', handler: 'index.collect', code: dir, environment: { OUT: dir }, events: [{ type: 'sqs', name: 'Late', queue: 'late' }] },
      },
    });
    agent.setFunctions(file);
    await until(() => agent.stats().queues.some((q) => q.mapping === 'Late' && q.error?.includes('does not exist')), 'the missing queue reported', UNTIL);
    await createQueue('late');
    await sqs.send(new SendMessageCommand({ QueueUrl: localQueueUrl(endpoint, 'late'), MessageBody: 'late one' }));
    await until(() => out('collect').flat().some((r) => r.body === 'late one'), 'the late queue read', { ...UNTIL, timeoutMs: 40_000 });
    await until(async () => (await count('late')) === 0, 'the late queue empty', UNTIL);
  }, 60_000);

  it('an asynchronous invocation that failed for good goes to its dead-letter queue (the event) and its on-failure destination (the record)', async () => {
    await createQueue('fail-dlq');
    await createQueue('fail-destination');
    agent.setFunctions(
      FunctionsFile.parse({
        functions: {
          failing: {
            runtime: 'nodejs20.x',
            handler: 'index.fail',
            code: dir,
            environment: { OUT: dir },
            events: [{ type: 's3', name: 'Uploads', bucket: 'uploads', events: ['s3:ObjectCreated:*'] }],
            async_retries: 0,
            async_failure_queues: [
              { kind: 'dlq', queue: 'fail-dlq' },
              { kind: 'destination', queue: 'fail-destination' },
            ],
          },
        },
      }),
    );
    agent.deliverObjectEvent({ bucket: 'uploads', key: 'photo.jpg', eventName: 'ObjectCreated:Put', size: 3, time: Date.now() });
    const receive = async (queue: string): Promise<Message | undefined> =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: localQueueUrl(endpoint, queue), MessageAttributeNames: ['All'], VisibilityTimeout: 0 }))).Messages?.[0];
    const dead = await until(() => receive('fail-dlq'), 'the event in the dead-letter queue', UNTIL);
    expect(JSON.parse(dead.Body!).Records[0].s3.object.key).toBe('photo.jpg');
    expect(dead.MessageAttributes?.ErrorCode).toMatchObject({ DataType: 'Number', StringValue: '200' });
    expect(dead.MessageAttributes?.ErrorMessage?.StringValue).toContain('cannot take');
    expect(dead.MessageAttributes?.RequestID?.StringValue).toMatch(/^[0-9a-f-]{36}$/);
    const record = JSON.parse((await until(() => receive('fail-destination'), 'the record at the destination', UNTIL)).Body!);
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: { functionArn: `arn:aws:lambda:${LOCAL_REGION}:123456789012:function:failing:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error' },
    });
    expect(record.requestContext.requestId).toBe(dead.MessageAttributes?.RequestID?.StringValue);
    expect(record.requestPayload.Records[0].s3.bucket.name).toBe('uploads');
  });
});
