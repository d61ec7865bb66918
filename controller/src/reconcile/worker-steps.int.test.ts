// The worker-backed DeploySteps against the in-thread ones (docs/apply.md "Off the serving
// loop"): the same real inputs through both give the same results, the same failure reasons and
// messages (the errors cross the thread as data), the callbacks (build progress, process runtime
// notes, the log, runtime files written) reach the parent, and a step that exhausts the heap cap fails with OutOfMemory.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalReason, reasonOf, type ConditionType, type Reason } from '@esb/contracts';
import type { DeploySteps } from './deployment-reconciler.js';
import { createDeploySteps } from './steps.js';
import { createWorkerDeploySteps, type WorkerDeploySteps } from './worker-steps.js';

const HEAD = 'Transform: AWS::Serverless-2016-10-31\nResources:\n';
const fn = (id: string, props: string, metadata = '') =>
  `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n${props
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n${metadata ? `    Metadata:\n${metadata.split('\n').map((l) => `      ${l}`).join('\n')}\n` : ''}`;
const ESBUILD = 'BuildMethod: esbuild\nBuildProperties:\n  EntryPoints: [app.ts]';

/** YAML aliases that expand to 10^8 values: refused by the input limits (docs/security.md). */
function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 7; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n${HEAD}`;
}

/** A template within the input limits whose parse needs hundreds of MB (two million list items). */
export function heapExhausting(): string {
  return `${HEAD}${fn('Fn', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x')}Metadata:\n  Blob: [${'0,'.repeat(2_000_000)}0]\n`;
}

type Outcome = { ok: true; value: unknown } | { ok: false; reason: Reason; message: string };

async function outcome(p: Promise<unknown>, step: ConditionType = 'Generated', invalidInput: Reason = 'InvalidTemplate'): Promise<Outcome> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, reason: reasonOf(err, { step, invalidInput }), message: (err as Error).message };
  }
}

describe('DeploySteps in a worker thread give what they give in-thread', () => {
  let dir: string;
  let inThread: DeploySteps;
  let inWorker: WorkerDeploySteps;
  const notesAsked: string[][] = [];
  /** configDir of each onConfigWritten, with whether the apply had resolved when it came. */
  const configWritten: Array<{ configDir: string; applyDone: boolean }> = [];
  let applyDone = false;
  const onConfigWritten = (configDir: string) => void configWritten.push({ configDir, applyDone });
  const workerLog: string[] = [];
  const notes = (functions: Record<string, unknown>) => {
    notesAsked.push(Object.keys(functions));
    return ['boto3 is missing (a note from the parent)'];
  };
  const app = (name: string) => path.join(dir, name);
  const write = async (name: string, files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(app(name), file)), { recursive: true });
      await writeFile(path.join(app(name), file), text);
    }
    return path.join(app(name), 'template.yaml');
  };
  const generateInput = (name: string, templatePath: string, which: string) => ({
    templatePath,
    outDir: path.join(dir, 'out', which, name),
    buildDir: path.join(dir, 'build', which, name),
    env: 'default',
    project: 'esb',
    parameters: {},
    stackName: `stack-${name}`,
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-worker-steps-'));
    inThread = createDeploySteps({ runtime: 'process', processRuntimeNotes: notes });
    inWorker = createWorkerDeploySteps({ runtime: 'process', processRuntimeNotes: notes, onConfigWritten, log: { info: (m) => workerLog.push(m), warn: (m) => workerLog.push(m) } });
  });
  afterAll(async () => {
    await inWorker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('inspect: the same digest (stackName and exclude reach the thread); the same TemplateNotFound', async () => {
    const good = await write('good', { 'template.yaml': HEAD + fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x'), 'src/app.mjs': 'export const handler = async () => 1;\n', 'src/skip/x.txt': 'a' });
    const input = { templatePath: good, parameters: {}, env: 'default', project: 'esb', stackName: 'named' };
    const a = await inThread.inspect(input);
    expect(await inWorker.inspect(input)).toEqual(a);
    expect((await inWorker.inspect({ ...input, stackName: undefined })).digest).not.toBe(a.digest);
    const excluded = { ...input, exclude: [path.join(app('good'), 'src', 'skip')] };
    expect((await inWorker.inspect(excluded)).digest).toBe((await inThread.inspect(excluded)).digest);
    expect((await inWorker.inspect(excluded)).digest).not.toBe(a.digest);

    const cases = {
      missing: path.join(dir, 'nowhere', 'template.yaml'),
    };
    const expected = { missing: 'TemplateNotFound' };
    for (const [name, templatePath] of Object.entries(cases)) {
      const there = await outcome(inThread.inspect({ ...input, templatePath }));
      const here = await outcome(inWorker.inspect({ ...input, templatePath }));
      expect(there, name).toMatchObject({ ok: false, reason: expected[name as keyof typeof expected] });
      expect(here, name).toEqual(there);
    }
  });

  it('generate: the same artifact, build progress through the callback, the same BuildFailed and InvalidTemplate (YAML, input limits, schema, missing code)', async () => {
    const good = await write('ts', { 'template.yaml': HEAD + fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', ESBUILD), 'src/app.ts': 'export const handler = async (): Promise<number> => 1;\n' });
    const shownThere: string[] = [];
    const shownHere: string[] = [];
    const there = await inThread.generate({ ...generateInput('ts', good, 'thread'), progress: async (m) => void shownThere.push(m) });
    const here = await inWorker.generate({ ...generateInput('ts', good, 'worker'), progress: async (m) => void shownHere.push(m) });
    expect(shownHere.length).toBeGreaterThan(0);
    const untimed = (lines: string[]) => lines.map((l) => l.replace(/ (in )?[\d.]+m?s\b/g, ''));
    expect(untimed(shownHere)).toEqual(untimed(shownThere));
    expect(here.artifactDigest).toBe(there.artifactDigest);
    expect({ ...here, artifactPath: undefined, built: untimed([here.built!]) }).toEqual({ ...there, artifactPath: undefined, built: untimed([there.built!]) });
    expect(here.stackName).toBe('stack-ts');
    expect(workerLog.some((l) => l.startsWith('build '))).toBe(true);
    expect(await inWorker.describeArtifact(here.artifactPath)).toEqual(await inThread.describeArtifact(there.artifactPath));
    // What generate says the artifact holds is what describeArtifact reads back (the reconciler skips the read).
    expect({ artifactDigest: here.artifactDigest, counts: here.counts }).toEqual(await inThread.describeArtifact(there.artifactPath));

    const bad = await write('ts-bad', { 'template.yaml': HEAD + fn('Bad', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', ESBUILD), 'src/app.ts': 'export const handler = (\n' });
    const failedThere = await outcome(inThread.generate(generateInput('ts-bad', bad, 'thread')));
    const failedHere = await outcome(inWorker.generate(generateInput('ts-bad', bad, 'worker')));
    expect(failedThere).toMatchObject({ ok: false, reason: 'BuildFailed' });
    expect(failedHere).toEqual(failedThere);

    // A YAML syntax error, an alias bomb over the input limits, a schema error: bad input, InvalidTemplate.
    const invalid = {
      syntax: await write('syntax', { 'template.yaml': `${HEAD}  Fn: [\n` }),
      bomb: await write('bomb', { 'template.yaml': aliasBomb() }),
      nocode: await write('nocode', { 'template.yaml': HEAD + fn('Fn', 'CodeUri: absent/\nHandler: app.handler\nRuntime: nodejs20.x') }),
      schema: await write('schema', { 'template.yaml': HEAD + fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x\nMemorySize: lots') }),
    };
    for (const [name, templatePath] of Object.entries(invalid)) {
      const failed = await outcome(inThread.generate(generateInput(name, templatePath, 'thread')));
      expect(failed, name).toMatchObject({ ok: false, reason: 'InvalidTemplate' });
      expect(await outcome(inWorker.generate(generateInput(name, templatePath, 'worker'))), name).toEqual(failed);
    }

    const aborted = AbortSignal.abort(new Error('the Deployment changed'));
    await expect(inWorker.generate({ ...generateInput('ts', good, 'worker'), signal: aborted })).rejects.toThrow('the Deployment changed');
  });

  it('buildImages asks the parent for the process runtime notes; apply, verify and provision give the same; an artifact that is not one is InvalidArtifact in both', async () => {
    const py = await write('py', { 'template.yaml': HEAD + fn('Py', 'CodeUri: src/\nHandler: app.handler\nRuntime: python3.12'), 'src/app.py': 'def handler(e, c):\n    return 1\n' });
    const there = await inThread.generate(generateInput('py', py, 'thread'));
    const here = await inWorker.generate(generateInput('py', py, 'worker'));
    notesAsked.length = 0;
    const imagesThere = await inThread.buildImages(there.artifactPath, new AbortController().signal);
    const imagesHere = await inWorker.buildImages(here.artifactPath, new AbortController().signal);
    expect(imagesHere).toEqual(imagesThere);
    expect(imagesHere?.message).toContain('boto3 is missing (a note from the parent)');
    expect(notesAsked).toHaveLength(2);
    expect(notesAsked[1]).toEqual(notesAsked[0]);

    const configThere = path.join(dir, 'config-thread');
    const configHere = path.join(dir, 'config-worker');
    const appliedThere = await inThread.apply({ artifactPath: there.artifactPath, configDir: configThere, owner: { deployment: 'default/py' } });
    const appliedHere = await inWorker.apply({ artifactPath: here.artifactPath, configDir: configHere, owner: { deployment: 'default/py' } });
    applyDone = true;
    // The parent hears that the runtime files are in place before the apply returns.
    expect(configWritten).toEqual([{ configDir: configHere, applyDone: false }]);
    expect(appliedHere.written?.map((w) => path.basename(w.path)).sort()).toEqual(['functions.yml', 'stacks.yml']); // no route, no resource: the others are unchanged
    // Applying the same again changes nothing, and says nothing.
    const again = await inWorker.apply({ artifactPath: here.artifactPath, configDir: configHere, owner: { deployment: 'default/py' } });
    expect(again.written).toEqual([]);
    expect(configWritten).toHaveLength(1);
    expect(appliedHere.message.replace(configHere, 'C')).toBe(appliedThere.message.replace(configThere, 'C'));
    expect(appliedHere.warnings).toEqual(appliedThere.warnings);
    expect(await inWorker.verify({ artifactPath: here.artifactPath, configDir: configHere })).toBeUndefined();
    await writeFile(path.join(configHere, 'routing.yml'), 'routes: [\n');
    expect(await inWorker.verify({ artifactPath: here.artifactPath, configDir: configHere })).toMatch(/routing\.yml was corrupt/);
    expect(workerLog.some((l) => l.includes('moved aside'))).toBe(true);
    const provisionedHere = await inWorker.provision({ artifactPath: here.artifactPath, configDir: configHere }, new AbortController().signal);
    const provisionedThere = await inThread.provision({ artifactPath: there.artifactPath, configDir: configThere }, new AbortController().signal);
    expect(provisionedHere.message.replace('/worker/', '/thread/')).toBe(provisionedThere.message);

    const notArtifact = path.join(dir, 'not-an-artifact.yml');
    await writeFile(notArtifact, 'entries: 7\n');
    const badThere = await outcome(inThread.describeArtifact(notArtifact), 'Generated', 'InvalidArtifact');
    expect(badThere).toMatchObject({ ok: false, reason: 'InvalidArtifact' });
    expect(await outcome(inWorker.describeArtifact(notArtifact), 'Generated', 'InvalidArtifact')).toEqual(badThere);
  });

  it('a step that needs more than the heap cap fails with OutOfMemory (terminal); the next call gets a fresh thread', async () => {
    const capped = createWorkerDeploySteps({ runtime: 'process', memoryMb: 32 });
    try {
      const big = await write('big', { 'template.yaml': heapExhausting(), 'src/index.mjs': 'export const handler = async () => 1;\n' });
      const failed = await outcome(capped.generate(generateInput('big', big, 'capped')));
      expect(failed).toMatchObject({ ok: false, reason: 'OutOfMemory' });
      expect(isTerminalReason('OutOfMemory')).toBe(true);
      expect((failed as { message: string }).message).toMatch(/^generate: out of memory: the deploy worker's heap is capped at 32 MB \(raise it with ESB_DEPLOY_MEMORY_MB or --deploy-memory-mb\)/);
      const small = path.join(app('good'), 'template.yaml');
      expect((await capped.inspect({ templatePath: small, parameters: {}, env: 'default', project: 'esb' })).digest).toMatch(/^sha256:/);
    } finally {
      await capped.close();
    }
  });
});
