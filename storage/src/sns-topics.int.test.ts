// SNS's Publish over real HTTP on the SQS server's port: client-sns v3 and boto3 (query
// protocol), next to SQS query requests on the same port; accepted messages reach onTopicMessages.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateTopicCommand, PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopicMessage } from '@esb/contracts';
import { startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'k', secretAccessKey: 's' };
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:orders';

describe('Publish on the SQS port', () => {
  let server: RunningSqsServer;
  const received: TopicMessage[] = [];

  beforeAll(async () => {
    server = await startSqsServer({ port: 0, onTopicMessages: (messages) => received.push(...messages) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('client-sns publishes (attributes, batch), creates a topic ARN, and gets SNS errors; SQS query requests still work', async () => {
    const sns = new SNSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const one = await sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'hello', Subject: 'greeting', MessageAttributes: { kind: { DataType: 'String', StringValue: 'book' }, total: { DataType: 'Number', StringValue: '12' } } }));
    expect(received).toEqual([{ topic: 'orders', messageId: one.MessageId, message: 'hello', subject: 'greeting', timestamp: expect.stringMatching(/^\d{4}-.+Z$/), attributes: { kind: { Type: 'String', Value: 'book' }, total: { Type: 'Number', Value: '12' } } }]);
    const batch = await sns.send(new PublishBatchCommand({ TopicArn: TOPIC, PublishBatchRequestEntries: [{ Id: 'a', Message: 'first' }, { Id: 'b', Message: 'second' }] }));
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(received.slice(1).map((m) => m.message)).toEqual(['first', 'second']);
    expect((await sns.send(new CreateTopicCommand({ Name: 'made-at-run-time' }))).TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:made-at-run-time');
    await expect(sns.send(new PublishCommand({ TopicArn: TOPIC, Message: '' }))).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('Empty message') });
    // An SQS query request on the same port is still SQS's.
    const sqs = await fetch(`${server.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=CreateQueue&QueueName=still-sqs&Version=2012-11-05' });
    expect(await sqs.text()).toContain('<QueueUrl>');
    sns.destroy();
  });

  const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0);
  it.skipIf(!python)('boto3 publishes with attributes', async () => {
    received.length = 0;
    const script = `
import boto3, json, sys
c = boto3.client('sns', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s')
out = c.publish(TopicArn=sys.argv[2], Message=json.dumps({'n': 1}), MessageAttributes={'kind': {'DataType': 'String', 'StringValue': 'pen'}})
print(out['MessageId'])
`;
    // Not spawnSync: the server answers from this process's event loop.
    const run = await promisify(execFile)(python!, ['-c', script, server.endpoint, TOPIC], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(received).toEqual([expect.objectContaining({ topic: 'orders', messageId: run.stdout.trim(), message: '{"n": 1}', attributes: { kind: { Type: 'String', Value: 'pen' } } })]);
  });
});
