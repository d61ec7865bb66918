// The Step Functions API over real HTTP on the SQS server's port: client-sfn v3 (AWS JSON 1.0)
// calls reach onApiCall.states as {action, input, traceHeader}, and its answers come back as the SDK
// expects them: fields, epoch-second dates, errors by their type.
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatesAnswer, StatesCall } from '@esb/contracts';
import { startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'k', secretAccessKey: 's' };
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Orders';

describe('the Step Functions API on the SQS port', () => {
  let server: RunningSqsServer;
  let bare: RunningSqsServer;
  const calls: StatesCall[] = [];

  beforeAll(async () => {
    server = await startSqsServer({
      port: 0,
      onApiCall: {
        states: async (call): Promise<StatesAnswer> => {
          calls.push(call);
          if (call.action === 'StartExecution') return { status: 200, body: { executionArn: `${MACHINE.replace('stateMachine', 'execution')}:first`, startDate: 1_765_000_000.25 } };
          return { status: 400, body: { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist: nope' } };
        },
      },
    });
    bare = await startSqsServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await bare?.close();
  });

  it('hands each call to the agent and gives its answer back; SQS still answers on the same port', async () => {
    const sfn = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: '{"id":1}', name: 'first' }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:Orders:first');
    expect(started.startDate).toEqual(new Date(1_765_000_000_250));
    expect(calls[0]).toMatchObject({ action: 'StartExecution', input: { stateMachineArn: MACHINE, input: '{"id":1}', name: 'first' } });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Orders:nope' }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist: nope' });
    const sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'beside-states' }))).QueueUrl).toContain('/beside-states');
  });

  it('passes the caller trace header on (the chain of invocations it belongs to)', async () => {
    const res = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution', 'x-amzn-trace-id': 'Root=1-abc;Lineage=e5b0c4a1:3' },
      body: JSON.stringify({ stateMachineArn: MACHINE }),
    });
    expect(res.status).toBe(200);
    expect(calls.at(-1)).toEqual({ action: 'StartExecution', input: { stateMachineArn: MACHINE }, traceHeader: 'Root=1-abc;Lineage=e5b0c4a1:3' });
  });

  it('refuses a body that is not JSON, and says so when no agent runs executions', async () => {
    const res = await fetch(server.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'SerializationException' });
    const sfn = new SFNClient({ endpoint: bare.endpoint, region: 'us-east-1', credentials, disableHostPrefix: true });
    await expect(sfn.send(new StartSyncExecutionCommand({ stateMachineArn: MACHINE }))).rejects.toMatchObject({ name: 'UnknownOperationException', message: expect.stringContaining('--states-url') });
  });
});
