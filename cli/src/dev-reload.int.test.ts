// How a deploy reaches the gateway of an in-process `esb dev` (docs/apply.md "Deploy to serve"):
// the apply tells the gateway as soon as its runtime files are in place, and the gateway's file
// watch stays for every other writer of CONFIG_DIR. Through a real esb dev and real HTTP: a
// deployed route answers, a manifest replaced twice in quick succession ends serving the last
// one, and a route another writer adds to routing.yml by hand is served too.
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { until } from '@esb/contracts/testing';
import { startDev, type RunningDev } from './dev.js';

const template = (name: string, route: string) =>
  [
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    '  Fn:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    `      FunctionName: ${name}`,
    '      Runtime: nodejs20.x',
    '      Handler: index.handler',
    '      CodeUri: src/',
    '      Events:',
    `        Get: { Type: Api, Properties: { Path: ${route}, Method: get } }`,
    '',
  ].join('\n');

describe('esb dev: deployed config reaches the gateway', () => {
  let ws: string;
  let dev: RunningDev;
  const get = async (route: string) => {
    const res = await fetch(`${dev.info.gateway}${route}`);
    return { status: res.status, body: await res.text() };
  };
  const deploy = async (name: string, file: string) => {
    const tmp = path.join(ws, `.${name}.tmp`);
    await writeFile(tmp, `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: ${name}}\nspec: {template: ${file}}\n`);
    await rename(tmp, path.join(dev.paths.deploymentsDir, `${name}.yaml`));
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-dev-reload-'));
    await mkdir(path.join(ws, 'app', 'src'), { recursive: true });
    await writeFile(path.join(ws, 'app', 'src', 'index.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: `hello from ${event.rawPath ?? event.path}` });\n');
    await writeFile(path.join(ws, 'app', 'one.yml'), template('reload-one', '/one'));
    await writeFile(path.join(ws, 'app', 'first.yml'), template('reload-first', '/first'));
    await writeFile(path.join(ws, 'app', 'second.yml'), template('reload-second', '/second'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, examples: false, log: pino({ level: 'silent' }) });
  }, 120_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('serves a deployed route, then a route another writer adds to routing.yml by hand', async () => {
    await deploy('one', path.join(ws, 'app', 'one.yml'));
    await until(async () => (await get('/one')).status === 200, '/one answers 200', 60_000);
    expect((await get('/one')).body).toBe('hello from /one');

    // Another writer (not esb's apply): only the gateway's file watch can tell it.
    const routingFile = path.join(dev.info.configDir, 'routing.yml');
    const routing = parse(await readFile(routingFile, 'utf8')) as { routes: Array<Record<string, unknown>> };
    const one = routing.routes.find((r) => r.path === '/one')!;
    routing.routes.push({ ...one, path: '/by-hand' });
    await writeFile(`${routingFile}.by-hand`, stringify(routing));
    await rename(`${routingFile}.by-hand`, routingFile);
    await until(async () => (await get('/by-hand')).status === 200, '/by-hand answers 200', 30_000);
    expect((await get('/by-hand')).body).toBe('hello from /by-hand');
  });

  it('a manifest replaced twice in quick succession ends serving the last one', async () => {
    await deploy('twice', path.join(ws, 'app', 'first.yml'));
    await deploy('twice', path.join(ws, 'app', 'second.yml'));
    await until(async () => (await get('/second')).status === 200, '/second answers 200', 60_000);
    const statusFile = path.join(dev.paths.statusDir, 'default', 'twice.yaml');
    await until(async () => (await readFile(statusFile, 'utf8').catch(() => '')).includes('reason: Ready'), 'twice Ready', 30_000);
    const record = parse(await readFile(statusFile, 'utf8')) as { status: { stackName?: string } };
    expect(record.status.stackName).toContain('second'); // generated from the last template
    expect(dev.gateway.table().routes.some((r) => r.resource === '/second')).toBe(true);
  });
});
