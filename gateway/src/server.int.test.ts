// Real HTTP: the Lambda Invoke API through @aws-sdk/client-lambda, chain invocation, graceful shutdown.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionsFile } from '@esb/contracts';
import { startGateway, type RunningGateway } from './server.js';
import { apiOf, functionsOf, routingOf } from './testing/config.js';
import { FakeInvokeError, FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

/** The file with `fn` made a durable function. */
const durable = (file: FunctionsFile, fn: string): FunctionsFile => ({ ...file, functions: { ...file.functions, [fn]: { ...file.functions[fn], durable: { execution_timeout: 60, retention_days: 1 } } } });
/** A function name of 64 characters, Lambda's longest. */
const LONG_NAME = `stack-${'n'.repeat(58)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lambdaFor = (url: string) =>
  new LambdaClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });

describe('gateway over real HTTP', () => {
  let gw: RunningGateway;
  let lambda: LambdaClient;
  const events: unknown[] = [];
  const invoker = new FakeInvoker({
    add: (e: { a: number; b: number }) => ({ sum: e.a + e.b }),
    fail: () => {
      throw new TypeError('bad input');
    },
    throttled: () => {
      throw new FakeInvokeError('Throttled');
    },
    background: async (e) => {
      await sleep(20);
      events.push(e);
      return null;
    },
    // Chain invocation: an HTTP-triggered function calling another through the gateway's Invoke API.
    front: async (event: { queryStringParameters: { a: string; b: string } }) => {
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'add', Payload: JSON.stringify({ a: Number(event.queryStringParameters.a), b: Number(event.queryStringParameters.b) }) }));
      return { statusCode: 200, body: Buffer.from(out.Payload!).toString() };
    },
    slow: async () => {
      await sleep(300);
      return { statusCode: 200, body: 'drained' };
    },
    headers: (e: { headers: Record<string, string> }) => ({ statusCode: 200, body: JSON.stringify(e.headers) }),
    [LONG_NAME]: () => ({ ok: true }),
    workflow: () => ({ Status: 'SUCCEEDED' }),
  });
  beforeAll(async () => {
    gw = await startGateway({
      invoker,
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { routing: routingOf([['GET', '/sum', 'front'], ['GET', '/slow', 'slow'], ['GET', '/headers', 'headers']], { ServerlessRestApi: apiOf('rest') }), functions: durable(functionsOf('front', 'add', 'slow', 'headers', LONG_NAME, 'workflow'), 'workflow') },
    });
    lambda = lambdaFor(gw.url);
  });
  afterAll(async () => {
    lambda.destroy();
    await gw.close();
  });

  it('RequestResponse returns the payload', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'add', Payload: JSON.stringify({ a: 2, b: 3 }) }));
    expect(out.StatusCode).toBe(200);
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ sum: 5 });
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
  });
  it('accepts an ARN as the function name', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:add', Payload: '{"a":1,"b":1}' }));
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ sum: 2 });
  });
  it('accepts the longest function name as a full ARN with a qualifier (past the router\'s default 100-character parameter)', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: `arn:aws:lambda:us-east-1:123456789012:function:${LONG_NAME}`, Qualifier: 'live', Payload: '{}' }));
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ ok: true });
  });
  it('invokes a durable function only by a qualified name, as Lambda does (a version or alias in the name, or Qualifier)', async () => {
    const err = await lambda.send(new InvokeCommand({ FunctionName: 'workflow', Payload: '{}' })).catch((e) => e);
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(['InvalidParameterValueException', 400, expect.stringMatching(/^You cannot invoke a durable function using an unqualified ARN: name a version or alias of workflow/)]);
    for (const call of [{ FunctionName: 'workflow:live' }, { FunctionName: 'workflow', Qualifier: '$LATEST' }, { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:workflow:7' }, { FunctionName: '123456789012:function:workflow:live' }]) {
      const out = await lambda.send(new InvokeCommand({ ...call, Payload: '{}' }));
      expect(out.StatusCode).toBe(200);
    }
    expect((await lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:workflow' })).catch((e) => e)).name).toBe('InvalidParameterValueException');
  });
  it('a function error answers 200 with X-Amz-Function-Error: Unhandled', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'fail' }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
  });
  it('unknown function -> ResourceNotFoundException (404)', async () => {
    const err = await lambda.send(new InvokeCommand({ FunctionName: 'nope' })).catch((e) => e);
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
  it('a payload that is not JSON -> InvalidRequestContentException (400), no stack trace, the function not run', async () => {
    const before = invoker.calls.length;
    const err = await lambda.send(new InvokeCommand({ FunctionName: 'add', Payload: Buffer.from('{"a": 1,') })).catch((e) => e);
    expect(err.name).toBe('InvalidRequestContentException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/^Could not parse request body into json/);
    const raw = await fetch(`${gw.url}/2015-03-31/functions/add/invocations`, { method: 'POST', body: 'not json' });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(await raw.text()).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(invoker.calls.length).toBe(before);
  });
  it('throttled -> TooManyRequestsException (429)', async () => {
    const err = await lambda.send(new InvokeCommand({ FunctionName: 'throttled' })).catch((e) => e);
    expect(err.name).toBe('TooManyRequestsException');
  });
  it('Event -> 202 and runs in the background; DryRun -> 204 without running', async () => {
    const before = invoker.calls.length;
    const ev = await lambda.send(new InvokeCommand({ FunctionName: 'background', InvocationType: 'Event', Payload: '{"n":1}' }));
    expect(ev.StatusCode).toBe(202);
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'background', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    for (let i = 0; i < 50 && events.length === 0; i++) await sleep(10);
    expect(events).toEqual([{ n: 1 }]);
    expect(invoker.calls.length - before).toBe(1);
  });
  it('boto3 invokes through the gateway (when python3 + boto3 are installed)', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    try {
      await run('python3', ['-c', 'import boto3']);
    } catch {
      return; // boto3 not installed here: nothing to check
    }
    const script = [
      'import boto3, json, sys',
      'from botocore.config import Config',
      "c = boto3.client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='y', config=Config(retries={'max_attempts': 1}, read_timeout=10))",
      "ok = c.invoke(FunctionName='add', Payload=json.dumps({'a': 1, 'b': 2}))",
      "bad = c.invoke(FunctionName='fail')",
      'try:',
      "    c.invoke(FunctionName='nope'); missing = None",
      'except c.exceptions.ResourceNotFoundException:',
      "    missing = 'ResourceNotFoundException'",
      "print(json.dumps({'ok': json.loads(ok['Payload'].read()), 'err': bad.get('FunctionError'), 'missing': missing}))",
    ].join('\n');
    // Async: the gateway runs in this process and must keep serving while python waits.
    const { stdout } = await run('python3', ['-c', script, gw.url], { encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ ok: { sum: 3 }, err: 'Unhandled', missing: 'ResourceNotFoundException' });
  });
  it('chain invocation: a function invokes another through the gateway', async () => {
    const res = await fetch(`${gw.url}/sum?a=20&b=22`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sum: 42 });
  });
  it('the function sees the X-Forwarded-* headers API Gateway adds at its edge', async () => {
    const seen = (await (await fetch(`${gw.url}/headers`, { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' } })).json()) as Record<string, string>;
    expect(seen).toMatchObject({ 'X-Forwarded-For': '203.0.113.9, 127.0.0.1', 'X-Forwarded-Port': new URL(gw.url).port, 'X-Forwarded-Proto': 'http' });
    expect(seen['X-Amzn-Trace-Id']).toMatch(/^Root=1-/);
  });
  it('graceful shutdown drains in-flight requests', async () => {
    const g = await startGateway({
      invoker,
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { routing: routingOf([['GET', '/slow', 'slow']], { A: apiOf('http') }), functions: functionsOf('slow') },
    });
    const inflight = fetch(`${g.url}/slow`);
    await sleep(50);
    const closing = g.close();
    const res = await inflight;
    expect([res.status, await res.text()]).toEqual([200, 'drained']);
    await closing;
    await expect(fetch(`${g.url}/slow`)).rejects.toThrow();
  });
});
