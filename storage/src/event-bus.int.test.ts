// EventBridge's PutEvents over real HTTP on the SQS server's port: client-eventbridge v3 (AWS
// JSON 1.1) and boto3, next to SQS calls on the same port; the accepted events reach onBusEvents.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '@esb/contracts';
import { startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'k', secretAccessKey: 's' };

describe('PutEvents on the SQS port', () => {
  let server: RunningSqsServer;
  const received: BusEvent[][] = [];

  beforeAll(async () => {
    server = await startSqsServer({ port: 0, onBusEvents: (events) => received.push(events) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('client-eventbridge puts events; the server hands the accepted ones on and SQS still answers', async () => {
    const events = new EventBridgeClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: JSON.stringify({ id: 'o-1' }), EventBusName: 'shop', Time: new Date('2026-01-02T03:04:05Z') },
          { Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: 'nope' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual([{ bus: 'shop', event: expect.objectContaining({ id: out.Entries?.[0].EventId, source: 'shop.orders', time: '2026-01-02T03:04:05Z', detail: { id: 'o-1' } }) }]);
    await expect(events.send(new ListRulesCommand({}))).rejects.toMatchObject({ name: 'UnknownOperationException', message: expect.stringContaining('PutEvents only') });
    await expect(events.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    const sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'still-sqs' }))).QueueUrl).toMatch(/\/still-sqs$/);
    events.destroy();
    sqs.destroy();
  });

  const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0);
  it.skipIf(!python)('boto3 puts events on a bus named by ARN', async () => {
    received.length = 0;
    const script = `
import boto3, json, sys
c = boto3.client('events', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s')
out = c.put_events(Entries=[{'Source': 'app', 'DetailType': 'Ping', 'Detail': json.dumps({'n': 1}), 'EventBusName': 'arn:aws:events:us-east-1:123456789012:event-bus/shop'}])
print(json.dumps({'failed': out['FailedEntryCount'], 'id': out['Entries'][0].get('EventId')}))
`;
    // Not spawnSync: the server answers from this process's event loop.
    const run = await promisify(execFile)(python!, ['-c', script, server.endpoint], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { failed: number; id: string };
    expect(out.failed).toBe(0);
    expect(received.flat()).toEqual([{ bus: 'shop', event: expect.objectContaining({ id: out.id, 'detail-type': 'Ping', detail: { n: 1 } }) }]);
  });
});
