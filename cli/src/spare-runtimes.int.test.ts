// Spare runtimes end to end (docs/agent.md#spare-runtimes): `esb dev` as a subprocess with
// ESB_SPARE_RUNTIMES=1, a SAM app deployed with `esb deploy`, requests through the gateway. The
// first request of a Node function is served by the pre-started spare, with the function's own
// environment; the one spare allowed then follows the most recent runtime (Python here).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esb, eventually } from '@esb/controller/testing';
import { startDevWithApp, type DevApp, type DevProcess } from './testing/dev-process.js';

const NODE = `
import { readFileSync } from 'node:fs';
export const hello = async () => ({
  statusCode: 200,
  body: JSON.stringify({
    hello: 'world',
    pid: process.pid,
    uid: process.getuid(),
    mine: process.env.MINE ?? null,
    esbVars: Object.keys(process.env).filter((k) => k.startsWith('ESB_')),
    fromSpare: readFileSync('/proc/self/environ', 'utf8').split('\\0').includes('ESB_SPARE=1'),
  }),
});
`;

const PY = `
import json, os
def hello(event, context):
    return {"statusCode": 200, "body": json.dumps({"hello": "py", "pid": os.getpid()})}
`;

const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: hello
      Runtime: nodejs20.x
      Handler: index.hello
      CodeUri: src/
      Environment: { Variables: { MINE: "hello's" } }
      Events:
        Get: { Type: Api, Properties: { Path: /hello, Method: get } }
  Py:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: py
      Runtime: python3.12
      Handler: app.hello
      CodeUri: py/
      Events:
        Get: { Type: Api, Properties: { Path: /py, Method: get } }
`;

/** Processes under `parent` that began as spares (the instances they became included), with their start-up environment. */
function spareProcesses(parent: number): Array<{ pid: number; env: string[] }> {
  const out: Array<{ pid: number; env: string[] }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.includes('ESB_SPARE=1')) out.push({ pid: Number(name), env });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

describe('esb dev with spare runtimes (ESB_SPARE_RUNTIMES=1)', () => {
  let app: DevApp;
  let dev: DevProcess;
  let gateway: string;

  beforeAll(async () => {
    app = await startDevWithApp('esb-spares-', { 'src/index.mjs': NODE, 'py/app.py': PY, 'template.yml': TEMPLATE }, { ESB_SPARE_RUNTIMES: '1' });
    ({ dev, gateway } = app);
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('answers the first request of a Node function from the pre-started spare, with its own environment', async () => {
    // The default spare (Node, 128 MB) starts with esb dev.
    const deadline = Date.now() + 30_000;
    while (spareProcesses(dev.info.pid).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const hello = JSON.parse(await eventually(`${gateway}/hello`, (s) => s === 200));
    expect(hello).toMatchObject({ hello: 'world', mine: "hello's", esbVars: [], fromSpare: true });
    if (process.getuid?.() === 0) expect(hello.uid).toBeGreaterThanOrEqual(0x7000_0000); // its own function uid

    // A Python cold start: the one spare allowed now follows Python.
    expect(JSON.parse(await eventually(`${gateway}/py`, (s) => s === 200)).hello).toBe('py');
    const idle = () => spareProcesses(dev.info.pid).filter((p) => p.pid !== hello.pid);
    const end = Date.now() + 30_000;
    while (!(idle().length === 1 && idle()[0]!.env.includes('PYTHONUNBUFFERED=1')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(idle().map((p) => p.env.includes('PYTHONUNBUFFERED=1'))).toEqual([true]);
  }, 90_000);
});
