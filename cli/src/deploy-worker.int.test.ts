// Deploys run in worker threads off the serving loop (docs/apply.md "Off the serving loop"):
// through a real `esb dev` (in-process, as the CLI starts it) and real HTTP, a big template's
// deploy in progress does not keep a warm route from answering, a template that exhausts the
// worker's heap cap fails its own Deployment with a reason naming the cap while esb dev serves
// on, and a bad template fails with the reason and message it has without threads.
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { until } from '@esb/contracts/testing';
import { eventually } from '@esb/controller/testing';
import { startDev, type RunningDev } from './dev.js';

const CAP_MB = 64;
const BIG = 1000;

function template(functions: number, prefix: string): string {
  const lines = ['Transform: AWS::Serverless-2016-10-31', 'Resources:'];
  for (let i = 0; i < functions; i++) {
    lines.push(
      `  Fn${i}:`,
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      FunctionName: ${prefix}-${i}`,
      '      Runtime: nodejs20.x',
      '      Handler: index.handler',
      '      CodeUri: src/',
      '      Events:',
      `        Get: { Type: Api, Properties: { Path: /${prefix}/${i}, Method: get } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface ReadyCondition {
  status: string;
  reason: string;
  message: string;
}

const IN_PROGRESS = ['Pending', 'Generating', 'BuildingImages', 'Applying', 'Provisioning'];

describe('esb dev: deploy work runs in a worker thread with a capped heap', () => {
  let ws: string;
  let dev: RunningDev;

  const deploy = async (name: string, file: string) => {
    const tmp = path.join(ws, `.${name}.tmp`);
    await writeFile(tmp, `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: ${name}}\nspec: {template: ${file}}\n`);
    await rename(tmp, path.join(dev.paths.deploymentsDir, `${name}.yaml`));
  };
  const ready = async (name: string): Promise<ReadyCondition | undefined> => {
    const text = await readFile(path.join(dev.paths.statusDir, 'default', `${name}.yaml`), 'utf8').catch(() => undefined);
    if (!text) return undefined;
    const record = parseYaml(text) as { status?: { conditions?: Array<ReadyCondition & { type: string }> } } | null;
    return record?.status?.conditions?.find((c) => c.type === 'Ready');
  };
  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-deploy-worker-'));
    await mkdir(path.join(ws, 'app', 'src'), { recursive: true });
    await writeFile(path.join(ws, 'app', 'src', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "warm" });\n');
    await writeFile(path.join(ws, 'app', 'warm.yml'), template(1, 'warm'));
    await writeFile(path.join(ws, 'app', 'after.yml'), template(1, 'after'));
    await writeFile(path.join(ws, 'app', 'big.yml'), template(BIG, 'big'));
    // Within the input limits, but parsing it needs far more than the cap (four million list items).
    await writeFile(path.join(ws, 'app', 'huge.yml'), `${template(1, 'huge')}Metadata:\n  Blob: [${'0,'.repeat(4_000_000)}0]\n`);
    await writeFile(path.join(ws, 'app', 'bad.yml'), `${template(1, 'bad')}  Broken: [\n`);
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, examples: false, deployMemoryMb: CAP_MB, log: pino({ level: 'silent' }) });
  }, 120_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('answers requests while a big deploy is in progress, which then serves; a heap-exhausting template fails with OutOfMemory naming the cap; a bad one with InvalidTemplate; later deploys work', async () => {
    const base = dev.info.gateway;
    await deploy('warm', path.join(ws, 'app', 'warm.yml'));
    expect(await eventually(`${base}/warm/0`, (s) => s === 200)).toBe('warm');

    await deploy('big', path.join(ws, 'app', 'big.yml'));
    const progressing = await until(async () => {
      const r = await ready('big');
      return r && IN_PROGRESS.includes(r.reason) ? r : undefined;
    }, 'the big deploy in progress', { timeoutMs: 240_000, everyMs: 10 });
    expect(progressing.status).toBe('False');
    // The warm route answers while the big deploy's step runs, and the deploy is still running after.
    const answer = await fetch(`${base}/warm/0`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('warm');
    expect(IN_PROGRESS).toContain((await ready('big'))?.reason);
    const bigDone = await until(async () => {
      const r = await ready('big');
      return r && !IN_PROGRESS.includes(r.reason) ? r : undefined;
    }, 'the big deploy to finish', { timeoutMs: 240_000, everyMs: 10 });
    expect(bigDone).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(await eventually(`${base}/big/${BIG - 1}`, (s) => s === 200)).toBe('warm');

    await deploy('huge', path.join(ws, 'app', 'huge.yml'));
    const failed = await until(async () => {
      const r = await ready('huge');
      return r && !IN_PROGRESS.includes(r.reason) ? r : undefined;
    }, 'the huge deploy to fail', { timeoutMs: 240_000, everyMs: 10 });
    expect(failed).toMatchObject({ status: 'False', reason: 'OutOfMemory' });
    expect(failed.message).toContain(`capped at ${CAP_MB} MB`);
    expect(failed.message).toContain('ESB_DEPLOY_MEMORY_MB');
    // esb dev survived: it serves.
    expect((await fetch(`${base}/warm/0`)).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);

    await deploy('bad', path.join(ws, 'app', 'bad.yml'));
    const invalid = await until(async () => {
      const r = await ready('bad');
      return r && !IN_PROGRESS.includes(r.reason) ? r : undefined;
    }, 'the bad deploy to fail', { timeoutMs: 240_000, everyMs: 10 });
    expect(invalid).toMatchObject({ status: 'False', reason: 'InvalidTemplate' });
    expect(invalid.message).toMatch(new RegExp(`^${path.join(ws, 'app', 'bad.yml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));

    // The next deploy gets a fresh worker; nothing of the failed ones was applied.
    await deploy('after', path.join(ws, 'app', 'after.yml'));
    expect(await eventually(`${base}/after/0`, (s) => s === 200)).toBe('warm');
    expect((await fetch(`${base}/huge/0`)).status).toBe(403);
    expect((await fetch(`${base}/bad/0`)).status).toBe(403);
  }, 300_000);
});
