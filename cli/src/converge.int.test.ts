// The controller converges and heals, end to end through `esb dev` (in-process, as the CLI
// starts it), `esb controller` and `esb deploy` (real subprocesses): a template at the
// workspace root with `CodeUri: .` deploys once and settles; a lost or damaged CONFIG_DIR is
// applied again; a template that appears later is noticed by the watcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@esb/controller';
import { until } from '@esb/contracts/testing';
import { ESB_BIN, esb, eventually } from '@esb/controller/testing';
import { startDev, type RunningDev } from './dev.js';

/** A template at the workspace root: `functions` Python functions with `CodeUri: .`, one with `CodeUri: code.zip`. */
async function rootTemplate(ws: string, functions: number): Promise<string> {
  await writeFile(path.join(ws, 'app.py'), 'def handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n');
  const zipDir = await mkdtemp(path.join(tmpdir(), 'esb-zip-'));
  await writeFile(path.join(zipDir, 'app.py'), 'def handler(event, context):\n    return {"statusCode": 200, "body": "zip"}\n');
  execFileSync('zip', ['-q', path.join(ws, 'code.zip'), 'app.py'], { cwd: zipDir });
  await rm(zipDir, { recursive: true, force: true });
  const fn = (id: string, codeUri: string, route: string) =>
    `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ${codeUri}\n      Handler: app.handler\n      Runtime: python3.11\n      Events:\n        E: { Type: Api, Properties: { Path: ${route}, Method: get } }\n`;
  const body = Array.from({ length: functions }, (_, i) => fn(`Fn${i + 1}`, '.', `/f${i + 1}`)).join('') + fn('Zipped', 'code.zip', '/zip');
  const file = path.join(ws, 'template.yaml');
  await writeFile(file, `AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n${body}`);
  return file;
}

/** A pino logger whose lines the test can read. */
function capturedLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream) as Logger, lines };
}

/** Every file of a folder, relative, recursively. */
async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else out.push(r);
  }
  return out;
}

describe('a first deploy into a fresh workspace whose template says CodeUri: . (esb dev)', () => {
  let ws: string;
  let dev: RunningDev;
  const captured = capturedLogger();

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-fresh-'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, log: captured.log });
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  const readyLines = (name: string) => captured.lines.filter((l) => l.includes(`default/${name} ready`)).length;

  it('esb deploy sees the Ready, the Deployment settles after one reconcile, and esb\'s folders are not copied as code', async () => {
    const template = await rootTemplate(ws, 20);
    const deployed = await esb(['deploy', '-t', template, '--stack-name', 'template', '--workspace', ws, '--timeout', '90s']);
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/ok\s+Ready\s+21 functions, 21 routes/);
    expect(await eventually(`${dev.info.gateway}/f20`, (s) => s === 200)).toBe('ok');
    expect(await eventually(`${dev.info.gateway}/zip`, (s) => s === 200)).toBe('zip');

    // Settled: quiet, then nothing more was reconciled.
    await dev.controller.queue.idle();
    await new Promise((r) => setTimeout(r, 1500));
    await dev.controller.queue.idle();
    expect(readyLines('template-default')).toBe(1);
    // The function code is the template folder without the manifests folder.
    const artifact = path.join(dev.info.configDir, '..', 'artifacts', 'default-template-default');
    const copied = await filesUnder(artifact);
    expect(copied.some((f) => f.includes('/app.py'))).toBe(true);
    expect(copied.filter((f) => f.includes('deployments/') || f.includes('.esb/'))).toEqual([]);
  }, 120_000);

  it('a CONFIG_DIR moved away is applied again and served', async () => {
    const store = new FileStore({ deploymentsDir: dev.paths.deploymentsDir, statusDir: dev.paths.statusDir });
    const request = { namespace: 'default', name: 'template-default' };
    const before = readyLines('template-default');
    await rename(dev.info.configDir, `${dev.info.configDir}.moved`);
    await until(async () => (existsSync(path.join(dev.info.configDir, 'routing.yml')) && readyLines('template-default') > before ? true : undefined), 'CONFIG_DIR applied again');
    const routing = await readFile(path.join(dev.info.configDir, 'routing.yml'), 'utf8');
    expect(routing).toContain('/f20');
    expect((await store.readRecord(request)).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(await eventually(`${dev.info.gateway}/f7`, (s) => s === 200)).toBe('ok');
  }, 60_000);

  it('a corrupted routing.yml is set aside and rebuilt', async () => {
    const file = path.join(dev.info.configDir, 'routing.yml');
    await writeFile(file, 'routes: [\n  {path: /f1\n');
    // Set aside (gone for a moment), then rebuilt.
    await until(async () => ((await readFile(file, 'utf8').catch(() => '')).includes('/f20') ? true : undefined), 'routing.yml rebuilt');
    expect((await readdir(dev.info.configDir)).some((f) => f.startsWith('routing.yml.corrupt-'))).toBe(true);
    expect(captured.lines.some((l) => l.includes('routing.yml') && l.includes('moved aside'))).toBe(true);
    expect(await eventually(`${dev.info.gateway}/f3`, (s) => s === 200)).toBe('ok');
  }, 60_000);

  it('a template removed and restored unchanged is Ready again; one created after its manifest is noticed', async () => {
    const store = new FileStore({ deploymentsDir: dev.paths.deploymentsDir, statusDir: dev.paths.statusDir });
    const readyOf = async (name: string) => (await store.readRecord({ namespace: 'default', name })).status?.conditions?.find((c) => c.type === 'Ready');
    const template = path.join(ws, 'template.yaml');
    const text = await readFile(template, 'utf8');
    await rm(template);
    await until(async () => ((await readyOf('template-default'))?.reason === 'TemplateNotFound' ? true : undefined), 'TemplateNotFound');
    await writeFile(template, text);
    await until(async () => ((await readyOf('template-default'))?.status === 'True' ? true : undefined), 'Ready after the restore');

    // A manifest naming a template that does not exist yet (nor does its folder).
    const later = path.join(ws, 'later', 'app');
    await writeFile(
      path.join(dev.paths.deploymentsDir, 'later.yaml'),
      `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: later}\nspec: {template: ${path.join(later, 'template.yml')}}\n`,
    );
    await until(async () => ((await readyOf('later'))?.reason === 'TemplateNotFound' ? true : undefined), 'later: TemplateNotFound');
    await mkdir(later, { recursive: true });
    await writeFile(path.join(later, 'index.mjs'), "export const handler = async () => ({ statusCode: 200, body: 'later' });\n");
    await writeFile(
      path.join(later, 'template.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Later:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: .\n      Events:\n        Get: { Type: Api, Properties: { Path: /later, Method: get } }\n',
    );
    // Well within the 60 s resync: the watcher noticed it.
    expect(await eventually(`${dev.info.gateway}/later`, (s) => s === 200)).toBe('later');
  }, 90_000);

  it('nothing in deployments/ is dropped silently, and a deleted manifest leaves `esb get deployments`', async () => {
    const dir = dev.paths.deploymentsDir;
    await writeFile(path.join(dir, 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n');
    await writeFile(path.join(dir, 'empty.yaml'), '');
    const app = path.join(ws, 'replicas-app');
    await mkdir(app, { recursive: true });
    await writeFile(path.join(app, 'index.mjs'), "export const handler = async () => ({ statusCode: 200, body: 'r' });\n");
    await writeFile(
      path.join(app, 'template.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  R:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: .\n      Events:\n        Get: { Type: Api, Properties: { Path: /replicas, Method: get } }\n',
    );
    await writeFile(path.join(dir, 'replicas.yaml'), `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: replicas}\nspec: {template: ${path.join(app, 'template.yml')}, replicas: 3}\n`);
    const warned = (text: string) => captured.lines.some((l) => l.includes(text));
    await until(async () => (warned('configmap.yaml: v1 ConfigMap is not an esb.dev Deployment') && warned('empty.yaml: empty file') && warned('replicas.yaml: unknown field \\"spec.replicas\\"') ? true : undefined), 'the controller\'s warnings');
    expect(await eventually(`${dev.info.gateway}/replicas`, (s) => s === 200)).toBe('r');

    const listed = await esb(['get', 'deployments', '--workspace', ws]);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain(`Warning: ${path.join(dir, 'configmap.yaml')}: v1 ConfigMap is not an esb.dev Deployment; ignored`);
    expect(listed.stderr).toContain(`Warning: ${path.join(dir, 'empty.yaml')}: empty file`);
    expect(listed.stderr).toContain(`Warning: ${path.join(dir, 'replicas.yaml')}: unknown field "spec.replicas"`);
    expect(listed.stdout).toMatch(/replicas\s+default\s+True\s+Ready/);

    await rm(path.join(dir, 'replicas.yaml'));
    const statusFile = path.join(dev.paths.statusDir, 'default', 'replicas.yaml');
    await until(async () => (existsSync(statusFile) ? undefined : true), 'the status record of the deleted manifest to go');
    const after = await esb(['get', 'deployments', '--workspace', ws]);
    expect(after.stdout).not.toMatch(/^replicas\s/m);
    expect(after.stdout).toMatch(/template-default\s+default\s+True/);
    // What it deployed stays (deleting never deletes).
    expect(await eventually(`${dev.info.gateway}/replicas`, (s) => s === 200)).toBe('r');
  }, 90_000);
});

describe('esb controller with CONFIG_DIR inside the template folder (CodeUri: .)', () => {
  let ws: string;
  let controller: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-cfg-inside-'));
  });

  afterAll(async () => {
    controller?.kill('SIGTERM');
    await new Promise((r) => (controller?.exitCode !== null ? r(undefined) : controller.once('exit', r)));
    await rm(ws, { recursive: true, force: true });
  });

  it('deploys once and settles: the artifacts and CONFIG_DIR are not code, so a deploy does not change its own input', async () => {
    const template = await rootTemplate(ws, 20);
    controller = spawn(process.execPath, [ESB_BIN, 'controller', '--workspace', ws, '--runtime', 'process'], {
      env: { ...process.env, CONFIG_DIR: path.join(ws, 'config'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    controller.stderr!.on('data', (d) => (log += String(d)));
    await until(async () => (log.includes('controller started') ? true : undefined), 'the controller to start');

    const deployed = await esb(['deploy', '-t', template, '--stack-name', 'template', '--workspace', ws, '-m', 'process', '--timeout', '90s']);
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/ok\s+Ready\s+21 functions/);

    await new Promise((r) => setTimeout(r, 2000));
    const ready = log.split('\n').filter((l) => l.includes('default/template-default ready'));
    expect(ready).toHaveLength(1);
    expect(log).not.toContain('digest mismatch');
    const copied = await filesUnder(path.join(ws, 'artifacts'));
    // <artifact>/<stack>/config/*.yml is the artifact's own runtime config; nothing else may
    // be a copy of the manifests, CONFIG_DIR or the artifacts.
    const misplaced = copied.filter((f) => {
      const rest = f.split('/').slice(2).join('/');
      return rest.includes('deployments/') || rest.includes('artifacts/') || (rest.includes('config/') && !rest.startsWith('config/'));
    });
    expect(misplaced).toEqual([]);
    expect(copied.some((f) => f.endsWith('/app.py'))).toBe(true);
  }, 120_000);
});
