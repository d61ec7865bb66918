// inspectInputs on real files: the reason of each failure comes from where it was thrown.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalReason, type ReasonError } from '@esb/contracts';
import { generatorFingerprint } from '@esb/deploy';
import { inspectInputs, ownedPaths } from './inspect.js';

const TEMPLATE = 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: python3.11, Handler: app.handler, CodeUri: . }\n';

describe('inspectInputs', () => {
  let dir: string;
  const base = { parameters: {}, env: 'default', project: 'esb', runtime: 'process' as const };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-inspect-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a missing template is TemplateNotFound (terminal), not InvalidTemplate', async () => {
    const err = (await inspectInputs({ ...base, templatePath: path.join(dir, 'nope.yml') }).catch((e) => e)) as ReasonError;
    expect(err.conditionReason).toBe('TemplateNotFound');
    expect(err.message).toContain('nope.yml');
    expect(isTerminalReason(err.conditionReason)).toBe(true);
  });

  it('a template that cannot be read for another cause (here EISDIR) is retried, not TemplateNotFound', async () => {
    await mkdir(path.join(dir, 'folder.yml'));
    const err = (await inspectInputs({ ...base, templatePath: path.join(dir, 'folder.yml') }).catch((e) => e)) as ReasonError;
    expect(err.conditionReason).toBe('InspectFailed');
    expect(isTerminalReason(err.conditionReason)).toBe(false);
  });

  it('the generator is an input: another esb (another fingerprint) makes another digest of the same template', async () => {
    const app = path.join(dir, 'app');
    await mkdir(app, { recursive: true });
    await writeFile(path.join(app, 'template.yaml'), TEMPLATE);
    await writeFile(path.join(app, 'app.py'), 'def handler(e, c): return 1\n');
    const digest = async (generator?: string) => (await inspectInputs({ ...base, templatePath: path.join(app, 'template.yaml'), ...(generator ? { generator } : {}) })).digest;
    const mine = await digest();
    expect(await digest()).toBe(mine);
    expect(await digest(await generatorFingerprint())).toBe(mine);
    expect(await digest('another-esb')).not.toBe(mine);
    expect(await generatorFingerprint()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('esb\'s own folders inside `CodeUri: .` are not part of the code digest', async () => {
    const ws = path.join(dir, 'ws');
    await mkdir(path.join(ws, 'deployments'), { recursive: true });
    await writeFile(path.join(ws, 'template.yaml'), TEMPLATE);
    await writeFile(path.join(ws, 'app.py'), 'def handler(e, c): return 1\n');
    const configDir = path.join(ws, 'config');
    const exclude = ownedPaths({ deploymentsDir: path.join(ws, 'deployments'), configDir });
    const inspect = () => inspectInputs({ ...base, templatePath: path.join(ws, 'template.yaml'), exclude });
    const before = (await inspect()).digest;
    await writeFile(path.join(ws, 'deployments', 'template-default.yaml'), 'kind: Deployment\n');
    await mkdir(path.join(configDir, 'code'), { recursive: true });
    await writeFile(path.join(configDir, 'functions.yml'), 'functions: {}\n');
    await mkdir(path.join(ws, 'artifacts', 'x'), { recursive: true });
    await writeFile(path.join(ws, 'artifacts', 'x', 'artifact.yml'), 'x\n');
    expect((await inspect()).digest).toBe(before);
    await writeFile(path.join(ws, 'app.py'), 'def handler(e, c): return 2\n');
    expect((await inspect()).digest).not.toBe(before);
  });
});
