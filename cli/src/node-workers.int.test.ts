// In-process Node instances end to end (docs/agent.md#in-process-node-instances): `esb dev` as a
// subprocess with ESB_NODE_WORKERS=on, a SAM app deployed with `esb deploy`, requests through
// the gateway. Functions run as worker threads of esb dev, each with its own environment and
// module state; a timeout and a heap past MemorySize end the worker, not esb dev.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esb, eventually } from '@esb/controller/testing';
import { startDevWithApp, type DevApp } from './testing/dev-process.js';

const HANDLERS = `
import { threadId } from 'node:worker_threads';
let calls = 0;
export const env = async () => {
  calls++;
  process.env.LEAKED_BY_ME = process.env.AWS_LAMBDA_FUNCTION_NAME;
  return { statusCode: 200, body: JSON.stringify({ pid: process.pid, threadId, calls, mine: process.env.MINE ?? null, leaked: process.env.LEAKED_BY_ME ?? null, others: Object.keys(process.env).filter((k) => k.startsWith('ONLY_')) }) };
};
export const spin = async () => {
  for (;;) {}
};
export const hog = async () => {
  const keep = [];
  for (let i = 0; i < 600; i++) keep.push(new Array(131072).fill(i + 0.5));
  return { statusCode: 200, body: String(keep.length) };
};
`;

const fn = (name: string, handler: string, route: string, extra = '') =>
  `  ${name}:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: ${name.toLowerCase()}\n      Runtime: nodejs20.x\n      Handler: index.${handler}\n      CodeUri: src/\n${extra}      Events:\n        Get: { Type: Api, Properties: { Path: ${route}, Method: get } }\n`;

const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
${fn('EnvA', 'env', '/a', '      Environment: { Variables: { MINE: "a", ONLY_A: "1" } }\n')}${fn('EnvB', 'env', '/b', '      Environment: { Variables: { MINE: "b", ONLY_B: "1" } }\n')}${fn('Spin', 'spin', '/spin', '      Timeout: 1\n')}${fn('Hog', 'hog', '/hog', '      MemorySize: 128\n      Timeout: 20\n')}`;

describe('esb dev with in-process Node instances (ESB_NODE_WORKERS=on)', () => {
  let app: DevApp;
  let ws: string;
  let gateway: string;
  let devPid: number;

  beforeAll(async () => {
    app = await startDevWithApp('esb-workers-', { 'src/index.mjs': HANDLERS, 'template.yml': TEMPLATE }, { ESB_NODE_WORKERS: 'on', ESB_FUNCTION_USER: 'none' });
    ({ ws, gateway } = app);
    devPid = app.dev.info.pid;
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  const alive = () => app.dev.alive();

  it("runs each function in a worker thread of esb dev with its own environment and module state", async () => {
    const a = JSON.parse(await eventually(`${gateway}/a`, (s) => s === 200));
    const b = JSON.parse(await eventually(`${gateway}/b`, (s) => s === 200));
    expect(a.pid).toBe(devPid);
    expect(b.pid).toBe(devPid);
    expect(a.threadId).toBeGreaterThan(0);
    expect(b.threadId).not.toBe(a.threadId);
    expect(a).toMatchObject({ mine: 'a', leaked: 'enva', others: ['ONLY_A'] });
    expect(b).toMatchObject({ mine: 'b', leaked: 'envb', others: ['ONLY_B'] });
    // Module state is per instance and kept while it is warm.
    const a2 = JSON.parse(await (await fetch(`${gateway}/a`)).text());
    expect(a2.threadId).toBe(a.threadId);
    expect(a2.calls).toBe(a.calls + 1);
  }, 60_000);

  it('ends a worker past its Timeout (a busy loop) and serves the next request on a new one; esb dev keeps serving', async () => {
    // Past its own Timeout a function has failed: API Gateway's 502 (504 is its integration timeout).
    const r = await fetch(`${gateway}/spin`);
    expect(r.status).toBe(502);
    expect(alive()).toBe(true);
    expect((await fetch(`${gateway}/health`)).status).toBe(200);
    const logs = await esb(['logs', 'spin', '--workspace', ws]);
    expect(logs.stdout).toMatch(/Task timed out after 1\.00 seconds/);
    expect((await fetch(`${gateway}/spin`)).status).toBe(502);
  }, 60_000);

  it('ends a worker whose heap grows past MemorySize, not esb dev', async () => {
    const r = await fetch(`${gateway}/hog`);
    expect(r.status).toBe(502);
    expect(alive()).toBe(true);
    const logs = await esb(['logs', 'hog', '--workspace', ws]);
    expect(logs.stdout).toMatch(/ERR_WORKER_OUT_OF_MEMORY|out of memory/i);
    expect(JSON.parse(await (await fetch(`${gateway}/a`)).text()).mine).toBe('a');
  }, 60_000);
});
