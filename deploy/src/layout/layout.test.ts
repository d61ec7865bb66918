import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '@esb/contracts/testing';
import {
  ConfigDirNotWritableError,
  globalConfigPath,
  LayoutError,
  prepareConfigDir,
  readGlobalConfig,
  rememberTemplate,
  resolveConfigDir,
  stagingConfigDir,
} from './index.js';

describe('layout', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.removeAll());

  it('puts the merged config of one env at <workspace>/.esb/staging/<project>/<env>/config, no hashes', () => {
    expect(stagingConfigDir({ workspace: '/w', project: 'esb', env: 'prod' })).toBe('/w/.esb/staging/esb/prod/config');
  });

  it('refuses project/env values that are not folder names', () => {
    expect(() => stagingConfigDir({ workspace: '/w', project: '..', env: 'prod' })).toThrow(LayoutError);
    expect(() => stagingConfigDir({ workspace: '/w', project: 'esb', env: 'a/b' })).toThrow(/env "a\/b"/);
  });

  it('resolves --out, then CONFIG_DIR, then the staging folder', () => {
    const key = { workspace: '/w', project: 'esb', env: 'dev' };
    expect(resolveConfigDir({ ...key, out: 'x', configDirOverride: '/c' })).toEqual({ configDir: '/w/x', source: 'flag' });
    expect(resolveConfigDir({ ...key, configDirOverride: '/c' })).toEqual({ configDir: '/c', source: 'env' });
    expect(resolveConfigDir({ ...key })).toEqual({ configDir: '/w/.esb/staging/esb/dev/config', source: 'staging' });
  });

  it('says clearly when CONFIG_DIR cannot be written', async () => {
    const dir = await dirs.make('esb-layout-');
    await writeFile(join(dir, 'file'), '');
    const err = await prepareConfigDir(join(dir, 'file', 'config')).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigDirNotWritableError);
    expect(err.message).toMatch(/CONFIG_DIR .*file\/config is not writable: a part of the path is a file/);
  });

  it('keeps global settings in $HOME/.esb/config.yaml (HOME passed in)', async () => {
    const home = await dirs.make('esb-home-');
    expect(globalConfigPath(home)).toBe(join(home, '.esb', 'config.yaml'));
    expect((await readGlobalConfig(home)).recent_templates).toEqual([]);
    await rememberTemplate(home, '/t/a.yml');
    await rememberTemplate(home, '/t/b.yml');
    await rememberTemplate(home, '/t/a.yml');
    expect((await readGlobalConfig(home)).recent_templates).toEqual(['/t/a.yml', '/t/b.yml']);
  });
});
