// Response streaming through the agent as a separate service (compose, kind): the gateway reaches
// the agent over HTTP (createHttpInvoker -> createAgentHttpServer), and a function URL in
// RESPONSE_STREAM mode still writes each part as the function writes it. Real processes, real HTTP.
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createAgent, createAgentHttpServer, createHttpInvoker, type Agent, type HttpInvoker } from '@esb/agent';
import { FunctionsFile, functionUrlLabel } from '@esb/contracts';
import { startGateway, type RunningGateway } from './server.js';

const CODE = resolve(fileURLToPath(import.meta.url), '..', '..', 'test', 'fixtures', 'node-streaming');
const fn = (handler: string) => ({ runtime: 'nodejs20.x', handler: `index.${handler}`, code: CODE, url: { auth_type: 'NONE', invoke_mode: 'RESPONSE_STREAM' } });

describe('function URL streaming with the agent over HTTP', () => {
  let dir: string;
  let agent: Agent;
  let agentServer: { url: string; close(): Promise<void> };
  let invoker: HttpInvoker;
  let gw: RunningGateway;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-gw-streaming-'));
    const functions = { functions: { story: fn('story'), broken: fn('broken') } };
    await writeFile(join(dir, 'functions.yml'), stringify(functions));
    await writeFile(join(dir, 'routing.yml'), stringify({ routes: [], apis: {} }));
    const log = pino({ level: 'silent' });
    agent = await createAgent({ runtime: 'process', logDir: join(dir, 'logs'), log, schedules: false, pinoFunctionLogs: false });
    agentServer = await createAgentHttpServer({ agent, host: '127.0.0.1', port: 0, log });
    invoker = createHttpInvoker({ url: agentServer.url });
    // As in compose, both read the same CONFIG_DIR; here the gateway's reading feeds the agent.
    gw = await startGateway({ invoker, host: '127.0.0.1', port: 0, configDir: dir, log, onFunctions: (f) => agent.setFunctions(f) });
    await invoker.refresh();
  });
  afterAll(async () => {
    await gw?.close();
    invoker?.close();
    await agentServer?.close();
    await agent?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** GET on a function URL, read as it comes: `first()` resolves with the first bytes, `done` with everything and whether it was cut. */
  const open = (fnKey: string, path: string) =>
    new Promise<{ res: http.IncomingMessage; first: Promise<string>; done: Promise<{ text: string; cut: boolean }> }>((resolveOpen, reject) => {
      const { port } = new URL(gw.url);
      const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { host: `${functionUrlLabel(fnKey)}.lambda-url.localhost:${port}` } }, (res) => {
        let text = '';
        let cut = false;
        const first = new Promise<string>((r) => res.once('data', (c: Buffer) => r(c.toString())));
        const done = new Promise<{ text: string; cut: boolean }>((r) => {
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('aborted', () => (cut = true));
          res.on('error', () => r({ text, cut: true }));
          res.on('end', () => r({ text, cut }));
        });
        resolveOpen({ res, first, done });
      });
      req.on('error', reject);
      req.end();
    });

  it('writes the head and the first part while the function still runs, the rest when it comes', async () => {
    const gate = join(dir, 'gate-1');
    const story = await open('story', `/?gate=${encodeURIComponent(gate)}`);
    expect([story.res.statusCode, story.res.headers['content-type']]).toEqual([202, 'text/plain']);
    // The function waits for the gate, which opens only now that the first part has come.
    expect(await story.first).toBe('first ');
    await writeFile(gate, '');
    expect(await story.done).toEqual({ text: 'first second', cut: false });
  });

  it('a failure after the first bytes cuts the response short; the Invoke path takes it whole', async () => {
    const broken = await open('broken', '/');
    expect(broken.res.statusCode).toBe(200);
    expect(await broken.done).toEqual({ text: 'half', cut: true });
    const whole = await invoker.invoke('broken', Buffer.from('{}'));
    expect([whole.error?.kind, whole.error?.message, whole.stream]).toEqual(['FunctionError', 'Error: broke mid-stream', undefined]);
    const streamed = await invoker.invoke('broken', Buffer.from('{}'), { acceptStream: true });
    const seen: string[] = [];
    await new Promise<void>((r) => streamed.stream!.open({ chunk: (b) => seen.push(b.toString()), end: (f) => (seen.push(`end ${f?.kind}: ${f?.message}`), r()) }));
    expect(seen).toEqual(['half', 'end FunctionError: Error: broke mid-stream']);
  });

  it("the Node runtime client streams over the HTTP Runtime API too (the Docker runtime's way): chunks, then the failure from its trailers", async () => {
    const onHttp = await createAgent({ runtime: 'process', logDir: join(dir, 'logs-http'), log: pino({ level: 'silent' }), schedules: false, pinoFunctionLogs: false, runtimeChannel: false });
    try {
      onHttp.setFunctions(FunctionsFile.parse({ functions: { broken: fn('broken') } }));
      const streamed = await onHttp.invoke('broken', Buffer.from('{}'), { acceptStream: true });
      expect(streamed.stream?.contentType).toBe('application/octet-stream');
      const seen: string[] = [];
      await new Promise<void>((r) => streamed.stream!.open({ chunk: (b) => seen.push(b.toString()), end: (f) => (seen.push(`end ${f?.kind}: ${f?.message}`), r()) }));
      expect(seen).toEqual(['half', 'end FunctionError: Error: broke mid-stream']);
    } finally {
      await onHttp.close();
    }
  });
});
