import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '@esb/contracts';
import { loadResources, resourcesPath, ResourcesPathError } from './config.js';

describe('resourcesPath', () => {
  it('--config-dir, then RESOURCES_YML, then CONFIG_DIR; none is a clear error', () => {
    expect(resourcesPath({ configDirFlag: '/flag', resourcesYml: '/r.yml', configDir: '/c' })).toBe('/flag/resources.yml');
    expect(resourcesPath({ resourcesYml: '/r.yml', configDir: '/c' })).toBe('/r.yml');
    expect(resourcesPath({ configDir: '/c' })).toBe('/c/resources.yml');
    expect(() => resourcesPath({})).toThrow(ResourcesPathError);
  });
});

describe('loadResources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-prov-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a missing file is empty and flagged missing', async () => {
    await expect(loadResources(join(dir, 'nope.yml'))).resolves.toMatchObject({ missing: true, resources: { resources: {} } });
  });

  it('an empty file is valid and empty', async () => {
    await writeFile(join(dir, 'empty.yml'), '');
    await expect(loadResources(join(dir, 'empty.yml'))).resolves.toMatchObject({ missing: false, resources: { resources: {} } });
  });

  it('a bad field is a ContractError naming the file and the field', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'resources:\n  dynamodb:\n    - TableName: ab\n      KeySchema: []\n');
    const err = await loadResources(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('resources.dynamodb[0].TableName');
  });
});
