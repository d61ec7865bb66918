// The browser console end to end: `esb dev` as the CLI starts it, `esb deploy` as a subprocess,
// and a real headless Chromium (Debian's `chromium`, driven by playwright-core) on the page the
// gateway serves at /_esb/. Screenshots go to e2e/artifacts/console/ (kept by CI).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@esb/contracts';
import { EXAMPLES_DIR, startDev, type RunningDev } from './dev.js';
import { esb, eventually } from '@esb/controller/testing';

const CHROMIUM = process.env.ESB_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../e2e/artifacts/console');
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) {
  // CI installs it (.ci/run); a developer without it is told loudly rather than silently passing.
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  console.warn(`SKIPPED: the console's browser tests need ${CHROMIUM} (apt-get install -y chromium)`);
}

describe.skipIf(!haveBrowser)('the esb console in a real browser (esb dev, process runtime)', () => {
  let ws: string;
  let dev: RunningDev;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    ws = await mkdtemp(path.join(tmpdir(), 'esb-console-'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, sqsPort: 0, log: pino({ level: 'silent' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('shows A Ready, then B appears Ready without a reload after `esb deploy`', async () => {
    expect(dev.info.console).toBe(`${dev.info.gateway}/_esb/`);
    await page.goto(`${dev.info.console}#/deployments`);
    await page.locator('tr[data-deployment="example-a"][data-ready="True"]').waitFor({ timeout: 30_000 });
    await page.locator('#live:has-text("live")').waitFor();
    await page.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true));
    await shot('01-deployments-a');

    const deployed = await esb(['deploy', '-t', path.join(EXAMPLES_DIR, 'b.yml'), '--workspace', ws]);
    expect(deployed.code).toBe(0);
    await page.locator('tr[data-deployment="b-default"][data-ready="True"]').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
    const row = page.locator('tr[data-deployment="b-default"]');
    expect(await row.innerText()).toMatch(/b-default\s+default\s+default\s+True\s+Ready\s+1\s+1/);
    // Conditions as kubectl describe shows them, one click away.
    await row.click();
    const conditions = await page.locator('tr.conditions').innerText();
    for (const type of ['Generated', 'ImagesReady', 'Applied', 'Provisioned', 'Ready']) expect(conditions).toContain(type);
    await shot('02-deployments-a-and-b');
  }, 120_000);

  it("opens a Deployment's stack Outputs with its conditions: values, export names, and why esb has none for one", async () => {
    const dir = path.join(ws, 'with-outputs');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'index.mjs'), "export const handler = async () => ({ statusCode: 200, body: 'ok' });\n");
    await writeFile(
      path.join(dir, 'template.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: src/\n      Events:\n        Get: { Type: Api, Properties: { Path: /with-outputs, Method: get } }\n' +
        'Outputs:\n  ApiUrl:\n    Description: the API\n    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/with-outputs"\n    Export: { Name: with-outputs-api }\n' +
        '  FnName: { Value: !Ref Fn }\n',
    );
    expect((await esb(['deploy', '-t', path.join(dir, 'template.yml'), '--workspace', ws])).code).toBe(0);
    const row = page.locator('tr[data-deployment="with-outputs-default"][data-ready="True"]');
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const api = page.locator('table.outputs tr[data-output="ApiUrl"]');
    await api.waitFor();
    expect(await api.innerText()).toMatch(/^ApiUrl\s+https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/Prod\/with-outputs\s+with-outputs-api\s+the API$/);
    expect(await page.locator('table.outputs tr[data-output="FnName"]').innerText()).toMatch(/^FnName\s+with-outputs-Fn/);
    await shot('02b-deployment-outputs');
  }, 90_000);

  it('shows a failing deploy with its error and the file:line it names', async () => {
    const broken = path.join(ws, 'broken.yml');
    await writeFile(broken, 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n   Properties: [\n');
    await writeFile(
      path.join(dev.paths.deploymentsDir, 'broken.yaml'),
      `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: broken}\nspec: {template: ${broken}}\n`,
    );
    const error = page.locator('tr[data-error-of="broken"]');
    await error.waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-deployment="broken"]').getAttribute('data-ready')).toBe('False');
    const text = await error.innerText();
    expect(text).toContain('Generated failed');
    expect(text).toMatch(/broken\.yml:\d+/);
    expect(await error.locator('.loc').innerText()).toMatch(/broken\.yml:\d+(:\d+)?$/);
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
    await shot('03-deployments-failing');
  }, 60_000);

  it('"try it" shows the exact event the function received and its response', async () => {
    await page.click('#nav-routes');
    const route = page.locator('tr[data-route="GET /hello"]');
    await route.waitFor();
    await route.locator('button.try').click();
    await page.fill('#try-it input[name="query"]', 'who=console');
    await page.fill('#try-it textarea[name="headers"]', 'X-Try: yes');
    await page.click('#try-it button[type="submit"]');
    await page.locator('#try-status').waitFor({ timeout: 30_000 });
    expect(await page.locator('#try-status').innerText()).toBe('200');
    const event = JSON.parse(await page.locator('#try-event').innerText()) as Record<string, any>;
    // B's /hello is a REST API route: a payload 1.0 event, as the function got it.
    expect(event.httpMethod).toBe('GET');
    expect(event.path).toBe('/hello');
    expect(event.queryStringParameters).toEqual({ who: 'console' });
    expect(event.headers['x-try']).toBe('yes');
    expect(event.requestContext.requestId).toBe(await page.locator('#try-request-id').innerText());
    const fnResponse = JSON.parse(await page.locator('#try-function-response').innerText()) as { statusCode: number; body: string };
    expect(fnResponse.statusCode).toBe(200);
    expect(JSON.parse(fnResponse.body)).toEqual({ version: 'B' });
    expect(await page.locator('#try-response').innerText()).toContain('{"version": "B"}');
    await shot('04-routes-try-it');
  }, 60_000);

  it('follows an invocation from the Functions page to its log lines', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${dev.info.gateway}/b/info`)).status).toBe(200);
    await page.click('#nav-functions');
    const row = page.locator('tr[data-function="info"]');
    // Counts arrive live: the page was not reloaded since the first test.
    await page.waitForFunction(() => /\b5\b/.test(document.querySelector('tr[data-function="info"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    expect(await row.locator('svg.spark polyline').count()).toBe(2);
    await row.click();
    const first = page.locator('#function-detail a.log-link').first();
    const requestId = await first.innerText();
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await shot('05-functions');
    await first.click();
    expect(page.url()).toContain(`#/logs/info?request=${requestId}`);
    const lines = page.locator('#log-lines .line');
    await page.locator(`#log-lines .line.platform:has-text("REPORT RequestId: ${requestId}")`).waitFor({ timeout: 15_000 });
    const texts = await lines.allInnerTexts();
    expect(texts.some((t) => t.includes(`START RequestId: ${requestId}`))).toBe(true);
    expect(texts.some((t) => t.includes(`END RequestId: ${requestId}`))).toBe(true);
    // Filtered by that request id: no other invocation's lines.
    expect(texts.every((t) => t.includes(requestId) || !/RequestId:/.test(t))).toBe(true);
    // Live tail: clear the filter, invoke again, the new lines arrive.
    await page.fill('#log-filter', '');
    const before = await lines.count();
    expect((await fetch(`${dev.info.gateway}/b/info`)).status).toBe(200);
    await page.waitForFunction((n) => document.querySelectorAll('#log-lines .line').length >= n + 3, before, { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
    await page.fill('#log-filter', requestId);
    await shot('06-logs');
  }, 60_000);

  it('shows tables with item counts and a scan, buckets with objects and downloads, queues with their messages, Kinesis streams and their readers, rules and subscriptions', async () => {
    const sqs = new SQSClient({ endpoint: dev.info.sqs, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
    const jobs = (await sqs.send(new CreateQueueCommand({ QueueName: 'console-jobs' }))).QueueUrl!;
    await sqs.send(new SendMessageCommand({ QueueUrl: jobs, MessageBody: 'waiting' }));
    sqs.destroy();
    expect((await fetch(`${dev.info.gateway}/items/41`, { method: 'PUT', body: 'forty-one' })).status).toBe(201);
    expect((await fetch(`${dev.info.gateway}/files/notes.txt`, { method: 'PUT', body: 'hello from s3' })).status).toBeLessThan(300);
    await page.click('#nav-storage');
    const table = page.locator('tr[data-table="example-items"]');
    await table.waitFor();
    expect(await table.innerText()).toMatch(/example-items\s+1\b/);
    await table.locator('a').click();
    await page.locator('#table-scan td:has-text("forty-one")').waitFor();
    // A query by the table's partition key shows that item only; "Scan all" goes back.
    expect((await fetch(`${dev.info.gateway}/items/42`, { method: 'PUT', body: 'forty-two' })).status).toBe(201);
    await page.fill('#query-pk', '42');
    await page.click('#table-query button[type=submit]');
    await page.locator('#table-scan td:has-text("forty-two")').waitFor();
    expect(await page.locator('#table-scan td:has-text("forty-one")').count()).toBe(0);
    expect(await page.locator('#table-scan .head').innerText()).toContain('Query of example-items');
    await page.click('#table-query button:has-text("Scan all")');
    await page.locator('#table-scan td:has-text("forty-one")').waitFor();
    expect(await page.locator('tr[data-queue="console-jobs"]').innerText()).toMatch(/console-jobs\s+1\s+0\s+0/);
    const bucket = page.locator('tr[data-bucket="example-files"]');
    expect(await bucket.innerText()).toMatch(/example-files\s+1\b/);
    await bucket.locator('a').click();
    const download = page.locator('#bucket-objects a:has-text("Download")');
    await download.waitFor();
    await shot('07-storage');
    const href = await download.getAttribute('href');
    const res = await fetch(new URL(href!, dev.info.gateway));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('notes.txt');
    expect(await res.text()).toBe('hello from s3');

    // The rules and subscriptions a deploy brings, with what each sends to.
    const events = path.join(ws, 'events', 'template.yaml');
    await mkdir(path.dirname(events), { recursive: true });
    await writeFile(
      events,
      [
        'Resources:',
        '  Notices: {Type: AWS::SNS::Topic}',
        '  Fn:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        "      InlineCode: 'exports.handler = async () => {};'",
        '      Handler: index.handler',
        '      Runtime: nodejs20.x',
        '      Events:',
        '        Orders: {Type: EventBridgeRule, Properties: {Pattern: {source: [shop]}}}',
        '        Notices: {Type: SNS, Properties: {Topic: !Ref Notices}}',
        '        Clicks: {Type: Kinesis, Properties: {Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST}}',
        '  Clicks: {Type: AWS::Kinesis::Stream, Properties: {Name: console-clicks, ShardCount: 2}}',
        '  Flow:',
        '    Type: AWS::Serverless::StateMachine',
        '    Properties:',
        '      Type: EXPRESS',
        '      Definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}',
        // A durable function without the SDK: it answers the durable invocation itself, with its input.
        '  Durable:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        "      InlineCode: 'exports.handler = async (e) => ({ Status: \"SUCCEEDED\", Result: e.InitialExecutionState.Operations[0].ExecutionDetails.InputPayload });'",
        '      Handler: index.handler',
        '      Runtime: nodejs20.x',
        '      DurableConfig: {ExecutionTimeout: 60}',
        '',
      ].join('\n'),
    );
    expect((await esb(['deploy', '-t', events, '--workspace', ws])).code).toBe(0);
    await page.click('button:has-text("Refresh")');
    const rule = page.locator('tr[data-rule="default/events-FnOrders"]');
    await rule.waitFor();
    expect(await rule.innerText()).toMatch(/rule\s+default\s+events-FnOrders\s+function:events-Fn/);
    expect(await page.locator('tr[data-subscription="events-Notices/FnNotices"]').innerText()).toMatch(/subscription\s+events-Notices\s+FnNotices\s+function:events-Fn/);
    // The Kinesis stream the deploy provisioned, with the function reading it.
    expect(await page.locator('tr[data-stream="console-clicks"]').innerText()).toMatch(/^console-clicks\s+2\s+PROVISIONED\s+24\s+events-Fn \(0\)$/);
    // The state machines, with their executions: one run through the Step Functions API shows.
    const sfn = new SFNClient({ endpoint: dev.info.sqs, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, disableHostPrefix: true });
    const ran = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:events-Flow', input: '{"n":1}' }));
    expect(ran.status).toBe('SUCCEEDED');
    await page.click('button:has-text("Refresh")');
    // Running 0, executions 1 (the row shows before the refresh with none).
    await page.locator('tr[data-state-machine="events-Flow"] td:nth-child(4):text-is("1")').waitFor();
    expect(await page.locator('tr[data-state-machine="events-Flow"]').innerText()).toMatch(/^events-Flow\s+EXPRESS\s+0\s+1$/);
    // Durable functions, with their latest executions: one named run through the Invoke API shows.
    const durable = await fetch(`${dev.info.gateway}/2015-03-31/functions/events-Durable/invocations?Qualifier=%24LATEST`, { method: 'POST', headers: { 'x-amz-durable-execution-name': 'console-run' }, body: '{"n":2}' });
    expect([durable.status, await durable.text()]).toEqual([200, '{"n":2}']);
    expect(durable.headers.get('x-amz-durable-execution-arn')).toMatch(/:function:events-Durable:\$LATEST\/durable-execution\/console-run\//);
    await page.click('button:has-text("Refresh")');
    const durableRow = page.locator('tr[data-durable-function="events-Durable"]');
    await durableRow.waitFor();
    expect(await durableRow.innerText()).toMatch(/^events-Durable\s+0\s+1\s+console-run SUCCEEDED$/);
  }, 60_000);

  it('keeps /_esb/ out of the API: a deployed route under it is never reached', async () => {
    const dir = path.join(ws, 'shadow');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'index.mjs'), "export const handler = async () => ({ statusCode: 200, body: 'from a function' });\n");
    await writeFile(
      path.join(dir, 'template.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Shadow:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: src/\n      Events:\n        Get: { Type: Api, Properties: { Path: /_esb/api/state, Method: get } }\n        Other: { Type: Api, Properties: { Path: /shadow-ok, Method: get } }\n',
    );
    expect((await esb(['deploy', '-t', path.join(dir, 'template.yml'), '--workspace', ws])).code).toBe(0);
    expect(await eventually(`${dev.info.gateway}/shadow-ok`, (s) => s === 200)).toBe('from a function');
    const res = await fetch(`${dev.info.gateway}/_esb/api/state`);
    expect(await res.text()).not.toContain('from a function');
  }, 90_000);
});
