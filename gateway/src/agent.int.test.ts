// The gateway in front of the real agent (process runtime, real Node handler processes),
// configured from a CONFIG_DIR as in production: functions.yml goes to agent.setFunctions.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createAgent, type Agent } from '../../agent/src/index.js';
import { startGateway, type RunningGateway } from './server.js';
import { freePort } from './net.js';

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
      stringify({ functions: { hello: fn('hello'), v2: fn('v2'), fail: fn('fail'), sleepy: fn('sleepy', { timeout: 0.5 }), add: fn('add'), chain: fn('chain', { timeout: 10 }) } }),
    );
    await writeFile(
      join(dir, 'routing.yml'),
      stringify({
        routes: [
          { path: '/hello/{name}', method: 'GET', function: 'hello', api: 'ServerlessRestApi' },
          { path: '/fail', method: 'GET', function: 'fail', api: 'ServerlessRestApi' },
          { path: '/sleepy', method: 'GET', function: 'sleepy', api: 'ServerlessRestApi' },
          { path: '/chain', method: 'GET', function: 'chain', api: 'ServerlessRestApi' },
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
  it('a handler error -> 502, a function timeout -> 504', async () => {
    const a = await fetch(`${gw.url}/fail`);
    expect([a.status, await a.json()]).toEqual([502, { message: 'Internal server error' }]);
    const b = await fetch(`${gw.url}/sleepy`);
    expect([b.status, await b.json()]).toEqual([504, { message: 'Endpoint request timed out' }]);
  });
  it('chain invocation through the Invoke API', async () => {
    const res = await fetch(`${gw.url}/chain?a=40`);
    expect([res.status, await res.json()]).toEqual([200, { sum: 42 }]);
  });
});
