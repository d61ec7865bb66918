// End to end through the real entry points: `esb dev` (in-process, as the CLI starts it) and
// `esb deploy` / `esb get` as real subprocesses, against real HTTP.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, startDev, type RunningDev } from './dev.js';
import { esb, eventually } from '@esb/controller/testing';

describe('esb dev + esb deploy (process runtime, embedded storage)', () => {
  let ws: string;
  let dev: RunningDev;

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-dev-'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, log: pino({ level: 'silent' }) });
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('serves example A, then B after `esb deploy` of B, keeping A\'s other routes (no delete)', async () => {
    const base = dev.info.gateway;
    expect(JSON.parse(await eventually(`${base}/hello`, (s) => s === 200))).toEqual({ version: 'A' });
    expect((await fetch(`${base}/health`)).status).toBe(200);

    // A's storage routes work through the provisioned table and bucket.
    expect((await fetch(`${base}/items/7`, { method: 'PUT', body: 'seven' })).status).toBe(201);
    expect(await (await fetch(`${base}/items/7`)).json()).toEqual({ id: '7', body: 'seven' });

    const deployed = await esb(['deploy', '-t', path.join(EXAMPLES_DIR, 'b.yml'), '--workspace', ws]);
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toContain('Ready');
    expect(deployed.stdout).toContain(`GET     ${base}/b/info`);
    // B declares no table or bucket: that is said, and is no warning.
    expect(deployed.stdout).toContain('  ok   Provisioned  Provisioned: nothing to provision\n');
    expect(JSON.parse(await eventually(`${base}/hello`, (_s, body) => body.includes('B')))).toEqual({ version: 'B' });
    expect(await (await fetch(`${base}/items/7`)).json()).toEqual({ id: '7', body: 'seven' });

    const listed = await esb(['get', 'deployments', '--workspace', ws]);
    expect(listed.stdout).toMatch(/example-a\s+default\s+True\s+Ready/);
    expect(listed.stdout).toMatch(/b-default\s+default\s+True\s+Ready/);
  }, 90_000);

  it('10 concurrent `esb deploy` into one env all end up served', async () => {
    const dir = path.join(ws, 'many');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: process.env.N });\n');
    const templates = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const file = path.join(dir, `t${i}.yml`);
        await writeFile(
          file,
          `Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn${i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: many-${i}\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: src/\n      Environment: { Variables: { N: "${i}" } }\n      Events:\n        Get: { Type: Api, Properties: { Path: /many/${i}, Method: get } }\n`,
        );
        return file;
      }),
    );
    const results = await Promise.all(templates.map((t) => esb(['deploy', '-t', t, '--workspace', ws])));
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    for (let i = 0; i < 10; i++) expect(await eventually(`${dev.info.gateway}/many/${i}`, (s) => s === 200)).toBe(String(i));
  }, 180_000);

  it('a broken template fails its deploy with the parse error and leaves the others serving', async () => {
    const broken = path.join(ws, 'broken.yml');
    await writeFile(broken, 'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n   Properties: [\n');
    const result = await esb(['deploy', '-t', broken, '--workspace', ws, '--timeout', '30s']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('broken.yml');
    const described = await esb(['describe', 'deployment', 'broken-default', '--workspace', ws]);
    expect(described.stdout).toMatch(/Ready\s+False/);
    expect(described.stdout).toContain('broken.yml');
    expect(JSON.parse(await eventually(`${dev.info.gateway}/hello`, (s) => s === 200))).toEqual({ version: 'B' });
  }, 90_000);

  it('applies a pre-generated artifact named by spec.artifact (artifact first), without the template', async () => {
    const dir = path.join(ws, 'artifact-first');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'index.py'), 'def handler(event, context):\n    return {"statusCode": 200, "body": "from an artifact"}\n');
    await writeFile(
      path.join(dir, 'template.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Art:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.11\n      Handler: index.handler\n      CodeUri: src/\n      Events:\n        Get: { Type: HttpApi, Properties: { Path: /artifact-first, Method: get } }\n',
    );
    const generated = await esb(['artifact', 'generate', '-t', path.join(dir, 'template.yml'), '-o', path.join(dir, 'out')]);
    expect(generated.code).toBe(0);
    // The template is gone: only the artifact is left to deploy from.
    await rm(path.join(dir, 'template.yml'));
    await writeFile(
      path.join(dev.paths.deploymentsDir, 'artifact-first.yaml'),
      `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: artifact-first}\nspec: {artifact: ${path.join(dir, 'out', 'artifact.yml')}}\n`,
    );
    expect(await eventually(`${dev.info.gateway}/artifact-first`, (s) => s === 200)).toBe('from an artifact');
    const described = await esb(['describe', 'deployment', 'artifact-first', '--workspace', ws]);
    expect(described.stdout).toMatch(/Generated\s+True\s+ArtifactGiven/);
  }, 90_000);

  it('reloads a function when its code changes on disk, without any command', async () => {
    const dir = path.join(ws, 'hot');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    const code = (v: string) => `export const handler = async () => ({ statusCode: 200, body: '${v}' });\n`;
    await writeFile(path.join(dir, 'src', 'index.mjs'), code('v1'));
    await writeFile(
      path.join(dir, 'template.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Hot:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: src/\n      Events:\n        Get: { Type: Api, Properties: { Path: /hot, Method: get } }\n',
    );
    expect((await esb(['deploy', '-t', path.join(dir, 'template.yml'), '--workspace', ws])).code).toBe(0);
    expect(await eventually(`${dev.info.gateway}/hot`, (s) => s === 200)).toBe('v1');
    await writeFile(path.join(dir, 'src', 'index.mjs'), code('v2'));
    expect(await eventually(`${dev.info.gateway}/hot`, (_s, body) => body === 'v2')).toBe('v2');
  }, 90_000);

  it("lists what fires a stack's functions on a schedule (Schedule events, a rule's ScheduleExpression) with its expression, and says it has nothing to provision, warning of nothing", async () => {
    const dir = path.join(ws, 'ticks');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'index.mjs'), 'export const handler = async () => ({});\n');
    await writeFile(
      path.join(dir, 'template.yaml'),
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  Tick:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      Runtime: nodejs20.x',
        '      Handler: index.handler',
        '      CodeUri: src/',
        '      Events:',
        '        Hourly: { Type: Schedule, Properties: { Schedule: cron(0 * * * ? *) } }',
        '        Paused: { Type: Schedule, Properties: { Schedule: rate(1 minute), Name: paused-tick, Enabled: false } }',
        '  Nightly:',
        '    Type: AWS::Events::Rule',
        '    Properties:',
        '      ScheduleExpression: cron(0 3 * * ? *)',
        '      Targets: [{ Id: tick, Arn: !GetAtt Tick.Arn }]',
        '',
      ].join('\n'),
    );
    const deployed = await esb(['deploy', '-t', path.join(dir, 'template.yaml'), '--workspace', ws]);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain('  ok   Provisioned  Provisioned: nothing to provision\n');
    expect(deployed.stdout).toContain('       RULE    default/ticks-Nightly cron(0 3 * * ? *) -> function ticks-Tick\n');
    expect(deployed.stdout).toContain('       RULE    default/Hourly cron(0 * * * ? *) -> function ticks-Tick\n');
    expect(deployed.stdout).toContain('       RULE    default/paused-tick rate(1 minute) -> function ticks-Tick (disabled)\n');
    expect(deployed.stdout).not.toContain('warning');
    // Scheduled rules fire by themselves: no endpoint to put events to is worth printing.
    expect(deployed.stdout).not.toContain('EventBridge and SNS:');
    const json = await esb(['deploy', '-t', path.join(dir, 'template.yaml'), '--workspace', ws, '--json']);
    expect(JSON.parse(json.stdout).rules).toEqual([
      { rule: 'default/ticks-Nightly', targets: ['function ticks-Tick'], enabled: true, schedule: 'cron(0 3 * * ? *)' },
      { rule: 'default/Hourly', targets: ['function ticks-Tick'], enabled: true, schedule: 'cron(0 * * * ? *)' },
      { rule: 'default/paused-tick', targets: ['function ticks-Tick'], enabled: false, schedule: 'rate(1 minute)' },
    ]);
  }, 90_000);
});
