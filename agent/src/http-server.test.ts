import { describe, expect, it } from 'vitest';
import type { ApiAnswer, ApiCall, ForwardedApi, Invoker } from '@esb/contracts';
import { createAgentHttpServer } from './http-server.js';
import { errorResult } from './instance.js';
import { createHttpInvoker } from './http-client.js';

describe('the agent over HTTP', () => {
  it('re-reads functions.yml once before answering that a function is unknown, then invokes it if it came', async () => {
    const known = new Set<string>(['old']);
    const written = new Set<string>(['old', 'new']); // functions.yml on disk, ahead of what was loaded
    let reloads = 0;
    const agent: Invoker = {
      has: (name) => known.has(name),
      async invoke(name, payload, ctx = {}) {
        const requestId = ctx.requestId ?? 'generated';
        if (!known.has(name)) return errorResult(requestId, 'UnknownFunction', `Function not found: ${name}`);
        return { requestId, durationMs: 1, payload: Buffer.from(JSON.stringify({ ran: name, event: JSON.parse(payload.toString()) })) };
      },
    };
    const server = await createAgentHttpServer({
      agent,
      reloadFunctions: async () => {
        reloads++;
        for (const f of written) known.add(f);
      },
    });
    const client = createHttpInvoker({ url: server.url });
    try {
      const r = await client.invoke('new', Buffer.from('{"n":1}'), { requestId: 'r-1' });
      expect(r.error).toBeUndefined();
      expect(JSON.parse(r.payload.toString())).toEqual({ ran: 'new', event: { n: 1 } });
      expect(r.requestId).toBe('r-1');
      expect(reloads).toBe(1);
      // Known functions never cost a re-read; a function that is not there after it is a 404 still.
      await client.invoke('old', Buffer.from('{}'));
      expect(reloads).toBe(1);
      const missing = await client.invoke('absent', Buffer.from('{}'));
      expect(missing.error?.kind).toBe('UnknownFunction');
      expect(reloads).toBe(2);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('carries the durable execution API (POST /durable/<action>) and the durable name and ARN of an invocation, as the gateway in compose uses them', async () => {
    const calls: ApiCall[] = [];
    const agent: Invoker = {
      has: () => true,
      invoke: async (_name, _payload, ctx = {}) => ({ requestId: 'r', durationMs: 1, payload: Buffer.from('"done"'), durableExecutionArn: `arn:x/durable-execution/${ctx.durableExecutionName}/1` }),
      answerDurableApi: async (call) => {
        calls.push(call);
        return call.action === 'GetDurableExecution' ? { status: 200, body: { Status: 'RUNNING' } } : { status: 404, body: { __type: 'ResourceNotFoundException', message: 'gone' } };
      },
    };
    const server = await createAgentHttpServer({ agent });
    const client = createHttpInvoker({ url: server.url });
    try {
      const r = await client.invoke('wf', Buffer.from('{}'), { durableExecutionName: 'order-7' });
      expect(r.durableExecutionArn).toBe('arn:x/durable-execution/order-7/1');
      expect(await client.answerDurableApi!({ action: 'GetDurableExecution', input: { DurableExecutionArn: 'arn:x' }, traceHeader: 'Root=1-b' })).toEqual({ status: 200, body: { Status: 'RUNNING' } });
      expect(await client.answerDurableApi!({ action: 'StopDurableExecution', input: {} })).toEqual({ status: 404, body: { __type: 'ResourceNotFoundException', message: 'gone' } });
      expect(calls[0]).toEqual({ action: 'GetDurableExecution', input: { DurableExecutionArn: 'arn:x' }, traceHeader: 'Root=1-b' });
    } finally {
      client.close();
      await server.close();
    }
  });

  it('answers a Step Functions call the storage forwards to /states/<action>, status and body as the agent gives them', async () => {
    const calls: unknown[] = [];
    const agent = {
      has: () => false,
      invoke: async () => errorResult('r', 'UnknownFunction', 'none'),
      answerApiCall: async (api: ForwardedApi, call: ApiCall): Promise<ApiAnswer> => {
        expect(api).toBe('states');
        calls.push(call);
        return call.action === 'StartExecution' ? { status: 200, body: { executionArn: 'arn:x', startDate: 1.5 } } : { status: 400, body: { __type: 'ExecutionDoesNotExist', message: 'nope' } };
      },
    };
    const server = await createAgentHttpServer({ agent });
    try {
      const post = (action: string, body: string, headers: Record<string, string> = {}) => fetch(`${server.url}/states/${action}`, { method: 'POST', body, headers });
      const started = await post('StartExecution', '{"stateMachineArn":"arn:m"}', { 'x-amzn-trace-id': 'Root=1-a' });
      expect([started.status, await started.json()]).toEqual([200, { executionArn: 'arn:x', startDate: 1.5 }]);
      expect(calls).toEqual([{ action: 'StartExecution', input: { stateMachineArn: 'arn:m' }, traceHeader: 'Root=1-a' }]);
      const missing = await post('DescribeExecution', '{}');
      expect([missing.status, await missing.json()]).toEqual([400, { __type: 'ExecutionDoesNotExist', message: 'nope' }]);
      const bad = await post('StartExecution', '{nope');
      expect([bad.status, (await bad.json()).__type]).toEqual([400, 'SerializationException']);
      const big = await post('StartExecution', JSON.stringify({ input: 'x'.repeat(2 * 1024 * 1024) }));
      expect(big.status).toBe(413);
      expect(calls).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('answers a Firehose call the storage forwards to /firehose/<action>: a PutRecordBatch of 4 MiB fits, 8 MiB does not', async () => {
    const calls: Array<[ForwardedApi, ApiCall]> = [];
    const agent = {
      has: () => false,
      invoke: async () => errorResult('r', 'UnknownFunction', 'none'),
      answerApiCall: async (api: ForwardedApi, call: ApiCall): Promise<ApiAnswer> => {
        calls.push([api, { ...call, input: call.action === 'PutRecordBatch' ? '(records)' : call.input }]);
        return call.action === 'PutRecordBatch' ? { status: 200, body: { FailedPutCount: 0 } } : { status: 400, body: { __type: 'ResourceNotFoundException', message: 'Firehose nope under account 123456789012 not found.' } };
      },
    };
    const server = await createAgentHttpServer({ agent });
    try {
      const post = (action: string, body: string) => fetch(`${server.url}/firehose/${action}`, { method: 'POST', body });
      const data = Buffer.alloc(4 * 1024 * 1024 - 1000).toString('base64');
      const put = await post('PutRecordBatch', JSON.stringify({ DeliveryStreamName: 'hose', Records: [{ Data: data }] }));
      expect([put.status, await put.json()]).toEqual([200, { FailedPutCount: 0 }]);
      const missing = await post('DescribeDeliveryStream', '{"DeliveryStreamName":"nope"}');
      expect([missing.status, await missing.json()]).toEqual([400, { __type: 'ResourceNotFoundException', message: 'Firehose nope under account 123456789012 not found.' }]);
      expect(calls).toEqual([
        ['firehose', { action: 'PutRecordBatch', input: '(records)' }],
        ['firehose', { action: 'DescribeDeliveryStream', input: { DeliveryStreamName: 'nope' } }],
      ]);
      const huge = await post('PutRecordBatch', JSON.stringify({ Records: [{ Data: 'x'.repeat(8 * 1024 * 1024) }] }));
      expect(huge.status).toBe(413);
      expect(calls).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});
