// The gateway in front of the real agent (process runtime, real Node handler processes),
// configured from a CONFIG_DIR as in production: functions.yml goes to agent.setFunctions.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createAgent, type Agent } from '@esb/agent';
import { startGateway, type RunningGateway } from './server.js';
import { freePort } from '@esb/contracts';
import { until } from '@esb/contracts/testing';

const CODE = resolve(fileURLToPath(import.meta.url), '..', '..', 'test', 'fixtures', 'node-api');
const fn = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'nodejs20.x', handler: `index.${handler}`, code: CODE, ...extra });

describe('gateway + real agent (process runtime)', () => {
  let dir: string;
  let agent: Agent;
  let gw: RunningGateway;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-gw-agent-'));
    await writeFile(
      join(dir, 'functions.yml'),
      stringify({ functions: { hello: fn('hello'), v2: fn('v2'), fail: fn('fail'), sleepy: fn('sleepy', { timeout: 0.5 }), add: fn('add'), chain: fn('chain', { timeout: 10 }), chatty: fn('chatty'), slowOne: fn('slowOne', { scaling: { max_capacity: 1 } }), traced: fn('whoami', { tracing: 'Active' }) } }),
    );
    await writeFile(
      join(dir, 'routing.yml'),
      stringify({
        routes: [
          { path: '/hello/{name}', method: 'GET', function: 'hello', api: 'ServerlessRestApi' },
          { path: '/fail', method: 'GET', function: 'fail', api: 'ServerlessRestApi' },
          { path: '/sleepy', method: 'GET', function: 'sleepy', api: 'ServerlessRestApi' },
          { path: '/chain', method: 'GET', function: 'chain', api: 'ServerlessRestApi' },
          { path: '/slow-one', method: 'GET', function: 'slowOne', api: 'ServerlessRestApi' },
          { path: '/v2', method: 'POST', function: 'v2', api: 'ServerlessHttpApi' },
        ],
        apis: { ServerlessRestApi: { type: 'rest', stage: 'Prod' }, ServerlessHttpApi: { type: 'http' } },
      }),
    );
    const log = pino({ level: 'silent' });
    // The agent needs the gateway's URL (chain invocation): pick the port first.
    const port = await freePort();
    agent = await createAgent({ runtime: 'process', logDir: join(dir, 'logs'), log, schedules: false, pinoFunctionLogs: false, endpoints: { lambda: `http://127.0.0.1:${port}` } });
    gw = await startGateway({ invoker: agent, host: '127.0.0.1', port, configDir: dir, log, onFunctions: (f) => agent.setFunctions(f) });
  });
  afterAll(async () => {
    await gw?.close();
    await agent?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('REST route -> real Node handler -> proxy response', async () => {
    const res = await fetch(`${gw.url}/hello/ada`, { headers: { 'X-Amzn-Trace-Id': 'Root=1-5f0c0c0c-000000000000000000000001' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-handler')).toBe('hello');
    expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
    const body = await res.json();
    expect(body).toMatchObject({ path: '/hello/ada', resource: '/hello/{name}', name: 'ada', stage: 'Prod' });
    expect(body.trace).toContain('Root=1-5f0c0c0c-000000000000000000000001');
  });
  it('HTTP API route -> v2 event, simple response', async () => {
    const res = await fetch(`${gw.url}/v2?x=1`, { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } });
    expect(await res.json()).toEqual({ routeKey: 'POST /v2', q: { x: '1' }, body: 'hi' });
  });
  it('a handler error -> 502, and a function past its own Timeout too (504 is the integration timeout only)', async () => {
    const a = await fetch(`${gw.url}/fail`);
    expect([a.status, await a.json()]).toEqual([502, { message: 'Internal server error' }]);
    const b = await fetch(`${gw.url}/sleepy`);
    expect([b.status, await b.json()]).toEqual([502, { message: 'Internal server error' }]);
  });
  it('Invoke API with LogType Tail: X-Amz-Log-Result holds the invocation\'s log (START, output, END, REPORT)', async () => {
    const client = new LambdaClient({ endpoint: gw.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await client.send(new InvokeCommand({ FunctionName: 'chatty', Payload: JSON.stringify({ n: 7 }), LogType: 'Tail' }));
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ ok: true });
    const tail = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    const id = out.$metadata.requestId;
    expect(tail).toContain(`START RequestId: ${id}`);
    expect(tail).toContain('hello from chatty 7');
    expect(tail).toContain(`END RequestId: ${id}`);
    expect(tail).toMatch(new RegExp(`REPORT RequestId: ${id}\tDuration: [\\d.]+ ms`));
    const plain = await client.send(new InvokeCommand({ FunctionName: 'chatty', Payload: JSON.stringify({ n: 8 }) }));
    expect(plain.LogResult).toBeUndefined();
  });
  it('a client that hangs up while its request waits for an instance is not invoked', async () => {
    const invocations = () => agent.stats().functions.slowOne!.invocations;
    const first = fetch(`${gw.url}/slow-one`); // takes the only instance for 400 ms
    for (let i = 0; i < 200 && agent.stats().functions.slowOne?.busy !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    const ac = new AbortController();
    const second = fetch(`${gw.url}/slow-one`, { signal: ac.signal }).catch((e: Error) => e.name);
    for (let i = 0; i < 200 && agent.stats().functions.slowOne?.waiting !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(agent.stats().functions.slowOne!.waiting).toBe(1);
    ac.abort();
    expect(await second).toBe('AbortError');
    for (let i = 0; i < 100 && agent.stats().functions.slowOne!.waiting !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(agent.stats().functions.slowOne!.waiting).toBe(0);
    expect(await (await first).text()).toBe('done');
    await new Promise((r) => setTimeout(r, 600)); // long enough for a second run, had there been one
    expect(invocations()).toBe(1);
  });
  it("Invoke API without X-Amzn-Trace-Id: the function still gets a trace header (Tracing: Active: sampled); a caller's header is completed, its decision kept", async () => {
    const client = new LambdaClient({ endpoint: gw.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await client.send(new InvokeCommand({ FunctionName: 'traced', Payload: '{}' }));
    const seen = JSON.parse(Buffer.from(out.Payload!).toString()) as { awsRequestId: string; trace: string; initialization: string };
    expect(seen.awsRequestId).toBe(out.$metadata.requestId);
    expect(seen.trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(seen.initialization).toBe('on-demand');
    const res = await fetch(`${gw.url}/2015-03-31/functions/traced/invocations`, { method: 'POST', body: '{}', headers: { 'X-Amzn-Trace-Id': 'Root=1-5f0c0c0c-000000000000000000000002;Sampled=0' } });
    expect((await res.json()).trace).toMatch(/^Root=1-5f0c0c0c-000000000000000000000002;Parent=[0-9a-f]{16};Sampled=0$/);
  });
  it('Invoke API, InvocationType Event: the request id it answers is the one the function runs with', async () => {
    const client = new LambdaClient({ endpoint: gw.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const out = await client.send(new InvokeCommand({ FunctionName: 'traced', Payload: '{}', InvocationType: 'Event' }));
    expect(out.StatusCode).toBe(202);
    const log = () => readFile(join(dir, 'logs', 'traced.log'), 'utf8').catch(() => '');
    await until(async () => (await log()).includes(`whoami ${out.$metadata.requestId}`), 'the event run with its request id', { timeoutMs: 10_000, everyMs: 25 });
    expect(await log()).toContain(`START RequestId: ${out.$metadata.requestId} Version: $LATEST`);
  });
  it('chain invocation through the Invoke API', async () => {
    const res = await fetch(`${gw.url}/chain?a=40`);
    expect([res.status, await res.json()]).toEqual([200, { sum: 42 }]);
  });
});
