// Requests queued in a busy instance, end to end (docs/agent.md#queued-in-the-instance): `esb
// dev` as a subprocess, a SAM app deployed with `esb deploy`, bursts of concurrent requests
// through the gateway to a short Node and a short Python function. Each answer is its own
// request's; the console's state and its Functions page (in Debian's chromium, when present)
// show requests that waited inside an instance.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@esb/controller/testing';
import { startDevWithApp, type DevApp } from './testing/dev-process.js';

const NODE = `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ id: event.queryStringParameters.id, pid: process.pid }) });\n`;
const PY = `import json, os\ndef handler(event, context):\n    return {"statusCode": 200, "body": json.dumps({"id": event["queryStringParameters"]["id"], "pid": os.getpid()})}\n`;

const fn = (name: string, runtime: string, handler: string, route: string) =>
  `  ${name}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: ${runtime}\n      Handler: ${handler}\n      CodeUri: src/\n      Events:\n        Get: { Type: Api, Properties: { Path: ${route}, Method: get } }\n`;

const TEMPLATE = `Transform: AWS::Serverless-2016-10-31\nResources:\n${fn('EchoNode', 'nodejs20.x', 'index.handler', '/node')}${fn('EchoPy', 'python3.12', 'app.handler', '/py')}`;

const CHROMIUM = process.env.ESB_CHROMIUM ?? '/usr/bin/chromium';
// CI installs it (.ci/run) and runs this check; without it locally only the check of the page is skipped.
const haveBrowser = existsSync(CHROMIUM) || !!process.env.CI;

interface FunctionState {
  name: string;
  queuedInInstances?: number;
  invocations?: number;
}

describe('esb dev: requests queued in a busy instance', () => {
  let app: DevApp;
  let gateway: string;

  beforeAll(async () => {
    app = await startDevWithApp('esb-queued-', { 'src/index.mjs': NODE, 'src/app.py': PY, 'template.yml': TEMPLATE }, { ESB_WARM_INSTANCES: '1' });
    gateway = app.gateway;
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  const functionState = async (route: string): Promise<FunctionState> => {
    const state = (await (await fetch(`${gateway}/_esb/api/state`)).json()) as { functions: FunctionState[]; routes: Array<{ path: string; function: string }> };
    const name = state.routes.find((r) => r.path === route)!.function;
    return state.functions.find((f) => f.name === name)!;
  };

  it('answers every request of a burst with its own answer while some wait inside an instance (Node and Python)', async () => {
    for (const route of ['/node', '/py']) {
      await eventually(`${gateway}${route}?id=warm`, (s) => s === 200);
      // Sequential first: the pool measures the function as short.
      for (let i = 0; i < 30; i++) expect((await fetch(`${gateway}${route}?id=seq-${i}`)).status).toBe(200);
      for (let burst = 0; burst < 20 && ((await functionState(route)).queuedInInstances ?? 0) === 0; burst++) {
        const ids = Array.from({ length: 48 }, (_, i) => `${burst}-${i}`);
        const bodies = await Promise.all(
          ids.map(async (id) => {
            const res = await fetch(`${gateway}${route}?id=${id}`);
            expect(res.status, route).toBe(200);
            return (await res.json()) as { id: string };
          }),
        );
        expect(bodies.map((b) => b.id), route).toEqual(ids);
      }
      expect((await functionState(route)).queuedInInstances, route).toBeGreaterThan(0);
    }
  });

  it.skipIf(!haveBrowser)("shows on the console's Functions page how many requests were queued in instances", async () => {
    const name = (await functionState('/node')).name;
    const queued = (await functionState('/node')).queuedInInstances;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${gateway}/_esb/#/functions`);
      const cell = page.locator(`tr[data-function="${name}"] .inst .queued`);
      await cell.waitFor({ timeout: 30_000 });
      expect(await cell.innerText()).toBe(`${queued} queued in instances`);
      expect(await cell.getAttribute('title')).toMatch(/given back unstarted/);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
