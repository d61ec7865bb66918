import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_FUNCTIONS, type InvokeResult } from '@esb/contracts';
import { systemClock } from './clock.js';
import { Executions } from './executions.js';
import { createTaskRunner, functionNameOf } from './task-integrations.js';

describe('Lambda tasks', () => {
  it('reads FunctionName as a name, a full or partial ARN, with or without a version', () => {
    expect(functionNameOf('charge')).toBe('charge');
    expect(functionNameOf('arn:aws:lambda:us-east-1:123456789012:function:charge:$LATEST')).toBe('charge');
    expect(functionNameOf('123456789012:function:charge')).toBe('charge');
    expect(() => functionNameOf('no spaces')).toThrow(/not a function name or ARN/);
    expect(() => functionNameOf(undefined)).toThrow(/required/);
  });
});

describe('callback tasks (.waitForTaskToken)', () => {
  const ask = (resource: string) => ({ StartAt: 'Ask', States: { Ask: { Type: 'Task', Resource: resource, Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token' } }, End: true } } });
  const setup = (invoke: (executions: Executions, payload: Buffer) => Promise<InvokeResult>) => {
    let executions!: Executions;
    const runTask = createTaskRunner({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
      endpoints: {},
      invoke: (_fn, payload) => invoke(executions, payload),
      invokeAsync: () => {},
      executions: () => executions,
    });
    executions = new Executions({ region: 'us-east-1', clock: systemClock, runTask, warn: () => {} });
    executions.setFunctions({ ...EMPTY_FUNCTIONS, state_machines: { Approve: { name: 'Approve', type: 'STANDARD', schedules: [], definition: ask('arn:aws:states:::lambda:invoke.waitForTaskToken') } } });
    return executions;
  };
  const ok = (body: unknown): InvokeResult => ({ requestId: 'r', durationMs: 1, payload: Buffer.from(JSON.stringify(body)) });

  it('takes SendTaskSuccess from the function it invokes, while that invocation still runs', async () => {
    const executions = setup(async (ex, payload) => {
      const { token } = JSON.parse(payload.toString());
      const answered = await ex.answer({ action: 'SendTaskSuccess', input: { taskToken: token, output: '{"approved":true}' } });
      expect(answered.status).toBe(200);
      return ok(null);
    });
    const e = executions.start('Approve', '{}');
    await e.done;
    expect(e).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
  });

  it('waits for the token after the invocation returns, and fails with the function when it fails (the token then ends)', async () => {
    let token = '';
    const later = setup(async (_ex, payload) => {
      token = JSON.parse(payload.toString()).token;
      return ok(null);
    });
    const waiting = later.start('Approve', '{}');
    await new Promise((r) => setTimeout(r, 20));
    expect(waiting.status).toBe('RUNNING');
    await later.answer({ action: 'SendTaskFailure', input: { taskToken: token, error: 'Rejected', cause: 'no' } });
    await waiting.done;
    expect(waiting).toMatchObject({ status: 'FAILED', error: 'Rejected' });

    const failing = setup(async (_ex, payload) => {
      token = JSON.parse(payload.toString()).token;
      return { ...ok({ errorMessage: 'boom', errorType: 'Error' }), error: { kind: 'FunctionError', message: 'Error: boom' } };
    });
    const failed = failing.start('Approve', '{}');
    await failed.done;
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect((await failing.answer({ action: 'SendTaskSuccess', input: { taskToken: token, output: '{}' } })).body).toMatchObject({ __type: 'TaskDoesNotExist' });
  });
});

describe('apigateway:invoke tasks', () => {
  const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let server: http.Server;
  let gateway: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url?.startsWith('/missing')) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
        res.writeHead(200, { 'content-type': 'application/json', 'x-answer': 'yes' }).end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const run = (input: Record<string, unknown>) => {
    const runner = createTaskRunner({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTASK', secretAccessKey: 'secret' },
      endpoints: { lambda: gateway },
      invoke: () => Promise.reject(new Error('not used')),
      invokeAsync: () => {},
      executions: () => {
        throw new Error('not used');
      },
    });
    return runner({ resource: 'arn:aws:states:::apigateway:invoke', input, signal: new AbortController().signal } as never, {} as never);
  };

  it('posts to a WebSocket connection through the gateway: the stage stays in a Management API path; signed for execute-api with IAM_ROLE', async () => {
    const out = await run({ ApiEndpoint: 'abc123.execute-api.us-east-1.amazonaws.com', Method: 'POST', Stage: 'api', Path: '/@connections/Xyz=', RequestBody: { Message: 'hi' }, AuthType: 'IAM_ROLE' });
    expect(out).toMatchObject({ StatusCode: 200, StatusText: 'OK', ResponseBody: { ok: true }, Headers: { 'x-answer': ['yes'] } });
    const req = seen.at(-1)!;
    expect([req.method, req.url, req.body]).toEqual(['POST', '/api/@connections/Xyz=', '{"Message":"hi"}']);
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTASK\/\d{8}\/us-east-1\/execute-api\/aws4_request/);
  });

  it('calls a route without the stage in the path (esb serves routes without it), with query parameters and headers; no signature without IAM_ROLE', async () => {
    await run({ ApiEndpoint: 'abc123.execute-api.us-east-1.amazonaws.com', Method: 'GET', Stage: 'prod', Path: 'items', QueryParameters: { q: ['a', 'b'] }, Headers: { 'X-Trace': ['1', '2'] } });
    const req = seen.at(-1)!;
    expect([req.method, req.url, req.headers['x-trace'], req.headers.authorization]).toEqual(['GET', '/items?q=a&q=b', '1,2', undefined]);
  });

  it('fails the task with ApiGateway.<status> outside 2xx', async () => {
    await expect(run({ ApiEndpoint: 'abc123.execute-api.us-east-1.amazonaws.com', Method: 'GET', Path: '/missing' })).rejects.toMatchObject({ error: 'ApiGateway.404' });
    await expect(run({ ApiEndpoint: 'abc123.execute-api.us-east-1.amazonaws.com', Method: 'FETCH' })).rejects.toMatchObject({ error: 'States.TaskFailed' });
  });
});
