// `esb deploy` waits for exactly its input (docs/design.md "Build", the unchanged deploy): an
// unchanged re-deploy is answered from the existing Ready without any reconcile, and a changed
// handler or template is never answered by the old Ready: when the command returns, the new
// code and the new route are what the gateway serves. Through the real bin against esb dev.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@esb/controller/client';
import { inspectInputsFor, ownedPaths } from '@esb/controller/inputs';
import { esb } from '@esb/controller/testing';
import { until } from '@esb/contracts/testing';
import { startDev, type RunningDev } from './dev.js';

const handler = (body: string) => `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;
const template = (routes: string[]) =>
  [
    "AWSTemplateFormatVersion: '2010-09-09'",
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    '  Hello:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      CodeUri: src/',
    '      Handler: hello.handler',
    '      Runtime: nodejs20.x',
    '      Events:',
    ...routes.map((r, i) => `        E${i}: { Type: Api, Properties: { Path: ${r}, Method: get } }`),
    '',
  ].join('\n');

describe('esb deploy waits for exactly its input', () => {
  let ws: string;
  let dev: RunningDev;
  let templateFile: string;
  const statusFile = () => path.join(ws, '.esb', 'status', 'default', 'waiter-default.yaml');
  const deploy = () => esb(['deploy', '-t', templateFile, '--workspace', ws, '--json', '--timeout', '90s']);
  const get = async (route: string) => {
    const res = await fetch(`${dev.info.gateway}${route}`);
    return `${res.status} ${await res.text()}`;
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-deploy-wait-'));
    const app = path.join(ws, 'waiter');
    templateFile = path.join(app, 'template.yaml');
    await mkdir(path.join(app, 'src'), { recursive: true });
    await writeFile(path.join(app, 'src', 'hello.mjs'), handler('v1'));
    await writeFile(templateFile, template(['/wait/one']));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, examples: false, console: false, log: pino({ level: 'silent' }) });
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('deploys, then answers an unchanged re-deploy from the Ready it has, without a reconcile', async () => {
    const first = await deploy();
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ name: 'waiter-default', ready: true });
    expect(await get('/wait/one')).toBe('200 v1');

    await dev.controller.queue.idle();
    const before = await readFile(statusFile(), 'utf8');
    const again = await deploy();
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ready: true, routes: [{ method: 'GET', url: `${dev.info.gateway}/wait/one` }] });
    await dev.controller.queue.idle();
    expect(await readFile(statusFile(), 'utf8')).toBe(before);
  }, 120_000);

  it('a changed handler is waited for: the old Ready does not count', async () => {
    const before = await readFile(statusFile(), 'utf8');
    const oldDigest = /inputsDigest: (\S+)/.exec(before)?.[1];
    expect(oldDigest).toMatch(/^sha256:/);
    await writeFile(path.join(ws, 'waiter', 'src', 'hello.mjs'), handler('v2'));
    const r = await deploy();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ready: true });
    expect(await get('/wait/one')).toBe('200 v2');
    expect(/inputsDigest: (\S+)/.exec(await readFile(statusFile(), 'utf8'))?.[1]).not.toBe(oldDigest);
  }, 120_000);

  it('a changed template is waited for: its new route answers when the command returns', async () => {
    await writeFile(templateFile, template(['/wait/one', '/wait/two']));
    const r = await deploy();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).routes.map((x: { url: string }) => x.url)).toEqual([`${dev.info.gateway}/wait/one`, `${dev.info.gateway}/wait/two`]);
    expect(await get('/wait/two')).toBe('200 v2');
  }, 120_000);

  it("a failed deploy's conditions are not shown again by the next deploy of another input", async () => {
    const app = path.join(ws, 'needs-param');
    await mkdir(path.join(app, 'src'), { recursive: true });
    await writeFile(path.join(app, 'src', 'hello.mjs'), handler('with param'));
    const file = path.join(app, 'template.yaml');
    await writeFile(file, template(['/wait/param']).replace('Resources:', 'Parameters:\n  Greeting: { Type: String }\nResources:'));
    const failed = await esb(['deploy', '-t', file, '--workspace', ws, '--timeout', '90s']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAIL Generated +InvalidTemplate: .*Greeting\.Default: no value/);
    const given = await esb(['deploy', '-t', file, '--workspace', ws, '--timeout', '90s', '--parameter-overrides', 'Greeting=hi']);
    expect(given.code).toBe(0);
    expect(given.stdout).not.toContain('FAIL');
    expect(given.stdout).toMatch(/ok +Generated +Generated: 1 function/);
    expect(await get('/wait/param')).toBe('200 with param');
  }, 120_000);
});

describe('esb deploy against a controller of another esb build', () => {
  it("counts that controller's Ready, its digest computed with the generator its status names, and says the controller runs another build", async () => {
    const ws = await mkdtemp(path.join(tmpdir(), 'esb-deploy-other-build-'));
    try {
      const app = path.join(ws, 'older');
      await mkdir(path.join(app, 'src'), { recursive: true });
      await writeFile(path.join(app, 'src', 'hello.mjs'), handler('v1'));
      const file = path.join(app, 'template.yaml');
      await writeFile(file, template(['/older']));
      const deployed = esb(['deploy', '-t', file, '--workspace', ws, '--timeout', '60s']);

      // The controller of another build (esb upgraded or edited while esb dev ran): it handles the
      // manifest and reports Ready with the digest its own generator gives.
      const deploymentsDir = path.join(ws, 'deployments');
      const store = new FileStore({ deploymentsDir, statusDir: path.join(ws, '.esb', 'status') });
      const request = { namespace: 'default', name: 'older-default' };
      const stored = await until(async () => {
        await store.refreshAll();
        return store.get(request);
      }, 'the manifest esb deploy writes');
      const configDir = path.join(ws, '.esb', 'default', 'config');
      const generator = 'feedc0de00000000';
      const spec = stored.deployment.spec;
      const [inspection] = await inspectInputsFor(
        { templatePath: file, parameters: {}, env: spec.env, project: spec.project, exclude: ownedPaths({ deploymentsDir, configDir }), stackName: spec.stackName, codeRoot: ws, configDir, generator },
        ['process'],
      );
      await store.patchStatus(request, {
        observedGeneration: stored.deployment.metadata.generation,
        inputsDigest: inspection.digest,
        generator,
        configDir,
        functions: 1,
        routes: 1,
        resources: 0,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '1 function', observedGeneration: stored.deployment.metadata.generation, lastTransitionTime: new Date().toISOString() }],
      });

      const r = await deployed;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/warning: the controller runs another esb build than this one \(its generator feedc0de00000000, this one [0-9a-f]{16}\): it deploys with its own; restart it \(esb dev\) to deploy with this one\n/);
      expect(r.stdout).toMatch(/ {2}ok {3}Ready +1 functions, 1 routes, 0 resources/);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  }, 120_000);
});
