// `esb gateway --agent-url`: the gateway command in front of an agent HTTP service.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentHttpServer } from '@esb/agent';
import { runGateway } from './gateway.js';
import { FakeInvoker } from '@esb/gateway/testing';
import { freePort, type ApiCall } from '@esb/contracts';
import { until } from '@esb/contracts/testing';

const ESB_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'esb.js');

describe('esb gateway (command)', () => {
  let dir: string;
  let agentServer: { url: string; close(): Promise<void> };
  const queued: string[] = [];
  const fake = new FakeInvoker({ hi: (e: { rawPath: string }) => ({ said: 'hi', path: e.rawPath }) });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-gw-cli-'));
    await writeFile(join(dir, 'functions.yml'), 'functions:\n  hi: {}\n');
    await writeFile(join(dir, 'routing.yml'), 'routes:\n  - {path: /hi, method: GET, function: hi, api: ServerlessHttpApi}\n');
    const agent = Object.assign(fake, {
      stats: () => ({ functions: { hi: {} } }),
      // The durable execution API, as the agent answers it (docs/durable-functions.md).
      answerDurableApi: async (call: ApiCall) => ({ status: 200, body: { action: call.action, input: call.input } as Record<string, unknown> }),
      // Event invocations the agent queues itself (with Lambda's retries), not a held request.
      invokeAsync: (name: string, payload: Buffer) => void queued.push(`${name} ${payload.toString()}`),
    });
    agentServer = await createAgentHttpServer({ agent, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await agentServer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves routes through the agent service, /health, the Invoke API, and stops on signal', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const exit = runGateway(['--config-dir', dir, '--port', String(port), '--host', '127.0.0.1', '--agent-url', agentServer.url], { LOG_LEVEL: 'silent' }, ac.signal);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await fetch(`${base}/hi`);
    expect([res.status, await res.json()]).toEqual([200, { said: 'hi', path: '/hi' }]);
    const inv = await fetch(`${base}/2015-03-31/functions/hi/invocations`, { method: 'POST', body: '{"rawPath":"/x"}' });
    expect(await inv.json()).toEqual({ said: 'hi', path: '/x' });
    const missing = await fetch(`${base}/2015-03-31/functions/nope/invocations`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    const event = await fetch(`${base}/2015-03-31/functions/hi/invocations`, { method: 'POST', headers: { 'x-amz-invocation-type': 'Event' }, body: '{"n":1}' });
    expect(event.status).toBe(202);
    await until(() => queued.length > 0, 'the Event invocation queued in the agent');
    expect(queued).toEqual(['hi {"n":1}']);
    // The durable execution API reaches the agent service.
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:hi:$LATEST/durable-execution/run-1/9';
    const durable = await fetch(`${base}/2025-12-01/durable-executions/${encodeURIComponent(arn)}?IncludeExecutionData=true`);
    expect([durable.status, await durable.json()]).toEqual([200, { action: 'GetDurableExecution', input: { DurableExecutionArn: arn, IncludeExecutionData: 'true' } }]);
    ac.abort();
    expect(await exit).toBe(0);
  });

  it('logs JSON lines on stdout through the bin: start-up, one access line per request, shutdown', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [ESB_BIN, 'gateway', '--config-dir', dir, '--port', String(port), '--host', '127.0.0.1', '--agent-url', agentServer.url], {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    // 'close', not 'exit': the lines written at exit may still be in the pipe when 'exit' comes.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(() => fetch(`${base}/health`).then((r) => r.ok || undefined, () => undefined), 'esb gateway answers /health', { timeoutMs: 60_000, everyMs: 100 });
      expect((await fetch(`${base}/hi`)).status).toBe(200);
      expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => l.name === 'esb-gateway' && typeof l.time === 'number' && typeof l.level === 'number')).toBe(true);
    expect(lines.find((l) => l.msg === 'gateway listening')).toMatchObject({ level: 30, url: `http://127.0.0.1:${port}`, agent: agentServer.url });
    const access = lines.filter((l) => l.msg === 'request');
    expect(access.map((l) => [l.method, l.path, l.status])).toEqual([
      ['GET', '/hi', 200],
      ['GET', '/nothing-here', 404],
    ]);
    expect(access[0]).toMatchObject({ function: 'hi', requestId: expect.any(String), durationMs: expect.any(Number) });
    expect(lines.at(-1)?.msg).toBe('shutting down: draining in-flight requests');
  });

  it('rejects a bad port', async () => {
    await expect(runGateway(['--port', 'x'], {})).rejects.toThrow(/--port/);
  });
});
