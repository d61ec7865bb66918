// A Lambda durable function app, deployed unchanged with `esb deploy` into a running `esb dev`
// (process runtime): the durable execution SDK from npm checkpoints into esb, a REST API starts
// the workflow asynchronously, a wait and a step retry suspend it, a chained invoke calls a plain
// function, and another function answers its callback (docs/durable-functions.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetDurableExecutionCommand, GetDurableExecutionHistoryCommand, InvokeCommand, LambdaClient, ListDurableExecutionsByFunctionCommand, SendDurableExecutionCallbackSuccessCommand } from '@aws-sdk/client-lambda';
import { startDev, type RunningDev } from '@esb/cli';
import { esb, eventually } from '@esb/controller/testing';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'durable-orders');
const WORKFLOW = 'durable-orders-OrderWorkflowFunction';

describe('a durable function app (durable-orders), deployed unchanged', () => {
  let ws: string;
  let dev: RunningDev;
  let base: string;
  let lambda: LambdaClient;

  const order = async (orderId: string, body: Record<string, unknown>) => {
    const res = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId, items: [{ sku: 'mug', price: 30, quantity: 2 }], ...body }) });
    expect(res.status).toBe(202);
  };
  const statusOf = async (orderId: string, status: string) => JSON.parse(await eventually(`${base}/orders/${orderId}`, (s, b) => s === 200 && JSON.parse(b).status === status)) as Record<string, unknown>;
  const executionOf = async (orderId: string, status: string) => {
    for (let i = 0; i < 100; i++) {
      const { DurableExecutions = [] } = await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: WORKFLOW }));
      for (const e of DurableExecutions) {
        const got = await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: e.DurableExecutionArn }));
        if (JSON.parse(got.InputPayload ?? '{}').orderId === orderId && got.Status === status) return got;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no ${status} execution of order ${orderId}`);
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-durable-'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, runtime: 'process', examples: false, log: pino({ level: 'silent' }) });
    base = dev.info.gateway;
    lambda = new LambdaClient({ endpoint: base, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const deployed = await esb(['deploy', '-t', path.join(APP, 'template.yaml'), '--name', 'durable-orders', '--workspace', ws, '--timeout', '170s'], {}, 180_000);
    if (deployed.code !== 0) throw new Error(`esb deploy failed (${deployed.code}):\n${deployed.stdout}\n${deployed.stderr}`);
    expect(deployed.stdout + deployed.stderr).not.toMatch(/DurableConfig/);
  }, 200_000);

  afterAll(async () => {
    lambda?.destroy();
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('runs the workflow the API starts: a retried step, a chained invoke, a wait, parallel branches, then an approval through the callback', async () => {
    await order('o-approved', { flaky: true });
    const waiting = await statusOf('o-approved', 'awaiting-approval');
    // The card step failed once and was retried; the plain pricing function priced it.
    expect(waiting).toMatchObject({ chargeFailedOnce: true, charged: 67 });
    const decided = await fetch(`${base}/orders/o-approved/decision`, { method: 'POST', body: JSON.stringify({ approve: true, approver: 'ada' }) });
    expect(decided.status).toBe(200);
    expect(await statusOf('o-approved', 'completed')).toMatchObject({ approvedBy: 'ada', label: 'LABEL-o-approved', receipt: 'RECEIPT-o-approved-67' });
    const execution = await executionOf('o-approved', 'SUCCEEDED');
    expect(JSON.parse(execution.Result!)).toEqual({ orderId: 'o-approved', total: 67, approvedBy: 'ada', label: 'LABEL-o-approved', receipt: 'RECEIPT-o-approved-67' });
    const history = await lambda.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: execution.DurableExecutionArn }));
    const events = (history.Events ?? []).map((e) => `${e.EventType}${e.Name && !e.EventType?.startsWith('Execution') ? `:${e.Name}` : ''}`);
    for (const e of ['ExecutionStarted', 'StepFailed:charge-card', 'StepSucceeded:charge-card', 'ChainedInvokeSucceeded:price-order', 'WaitSucceeded', 'ContextSucceeded:prepare-shipment', 'CallbackSucceeded', 'ExecutionSucceeded']) expect(events).toContain(e);
    // An answered callback is not waiting any more.
    const again = await lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: String(waiting.callbackId), Result: Buffer.from('{}') })).catch((err: Error) => err.name);
    expect(again).toBe('InvalidParameterValueException');
  }, 60_000);

  it('a rejected approval (SendDurableExecutionCallbackFailure) fails the execution with the error', async () => {
    await order('o-rejected', {});
    await statusOf('o-rejected', 'awaiting-approval');
    await fetch(`${base}/orders/o-rejected/decision`, { method: 'POST', body: JSON.stringify({ approve: false, approver: 'bob' }) });
    const execution = await executionOf('o-rejected', 'FAILED');
    expect(execution.Error?.ErrorMessage).toMatch(/rejected by bob/);
  }, 60_000);

  it('a synchronous Invoke of the alias waits for the whole execution and answers its error, with the execution ARN', async () => {
    const res = await lambda.send(new InvokeCommand({ FunctionName: WORKFLOW, Qualifier: 'live', DurableExecutionName: 'o-declined-run', Payload: Buffer.from(JSON.stringify({ orderId: 'o-declined', items: [{ sku: 'mug', price: 30, quantity: 1 }], declined: true })) }));
    expect(res.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(res.Payload!).toString())).toMatchObject({ errorMessage: 'card declined for o-declined' });
    expect(res.DurableExecutionArn).toMatch(new RegExp(`:function:${WORKFLOW}:\\$LATEST/durable-execution/o-declined-run/[0-9a-f-]{36}$`));
    // The plain function it calls is invoked as any function is.
    const priced = await lambda.send(new InvokeCommand({ FunctionName: 'durable-orders-PricingFunction', Payload: Buffer.from('{"items":[{"price":60,"quantity":2}]}') }));
    expect(JSON.parse(Buffer.from(priced.Payload!).toString())).toEqual({ subtotal: 120, shipping: 0, total: 120 });
    expect(priced.DurableExecutionArn).toBeUndefined();
  }, 60_000);
});
