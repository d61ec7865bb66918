// ArtifactCache with real artifacts: an artifact generate wrote is loaded once while it is the
// same file, a new generate of it is loaded afresh, an artifact esb did not generate every time.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateArtifact } from '@esb/deploy';
import { ArtifactCache } from './steps.js';

const template = (ids: string[]) =>
  `Transform: AWS::Serverless-2016-10-31\nResources:\n${ids.map((id) => `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n      Runtime: nodejs20.x\n`).join('')}`;

describe('ArtifactCache (real artifacts)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-artifact-cache-'));
    await writeFile(path.join(dir, 'app.mjs'), 'export const handler = async () => 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const generate = async (ids: string[], out: string) => {
    const templatePath = path.join(dir, 'template.yaml');
    await writeFile(templatePath, template(ids).replaceAll('CodeUri: src/', 'CodeUri: .'));
    return (await generateArtifact({ templatePath, outDir: path.join(dir, out), exclude: [path.join(dir, 'out'), path.join(dir, 'given')] })).artifactPath;
  };
  // Function names are <stack>-<logical id>: the logical ids.
  const functions = (loaded: Awaited<ReturnType<ArtifactCache['load']>>) => Object.keys(loaded.entries[0].config.functions.functions).map((n) => n.split('-').at(-1)).sort();

  it('loads a generated artifact once while it is the same file, and afresh after it is generated again', async () => {
    const cache = new ArtifactCache();
    const artifactPath = path.join(dir, 'out', 'artifact.yml');
    cache.written(artifactPath);
    await generate(['One'], 'out');
    const first = await cache.load(artifactPath);
    expect(await cache.load(artifactPath)).toBe(first);
    expect(functions(first)).toEqual(['One']);

    cache.written(artifactPath);
    await generate(['One', 'Two'], 'out');
    const second = await cache.load(artifactPath);
    expect(second).not.toBe(first);
    expect(functions(second)).toEqual(['One', 'Two']);
    // Replaced behind its back (another generate of the same folder): the new file is read.
    await generate(['Three'], 'out');
    expect(functions(await cache.load(artifactPath))).toEqual(['Three']);
  });

  it('reads an artifact it did not generate every time', async () => {
    const cache = new ArtifactCache();
    const artifactPath = await generate(['Given'], 'given');
    const first = await cache.load(artifactPath);
    const again = await cache.load(artifactPath);
    expect(again).not.toBe(first);
    expect(functions(again)).toEqual(['Given']);
  });
});
