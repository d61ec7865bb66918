import { readFileSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/temp-dirs.js';
import { cleanStaleTmp, isPidAlive, writeFileAtomic, writeFilesAtomic } from './atomic.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no tmp file behind', async () => {
    const dir = await dirs.make('esb-atomic-');
    const f = join(dir, 'functions.yml');
    await writeFile(f, 'old');
    await writeFileAtomic(f, 'new');
    expect(await readFile(f, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['functions.yml']);
  });

  it('survives concurrent writers in one process: the result is one of the writes, whole', async () => {
    const dir = await dirs.make('esb-atomic-');
    const f = join(dir, 'x.yml');
    const contents = Array.from({ length: 20 }, (_, i) => `v${i}:`.repeat(1000));
    await Promise.all(contents.map((c) => writeFileAtomic(f, c)));
    expect(contents).toContain(await readFile(f, 'utf8'));
  });
});

describe('writeFilesAtomic', () => {
  it('replaces every file; onRenamed sees them all in place; no tmp file is left', async () => {
    const dir = await dirs.make('esb-atomic-many-');
    await writeFile(join(dir, 'a.yml'), 'old a');
    let seen: string[] = [];
    await writeFilesAtomic(
      [
        { file: join(dir, 'a.yml'), content: 'new a' },
        { file: join(dir, 'b.yml'), content: 'new b' },
      ],
      { onRenamed: () => (seen = ['a.yml', 'b.yml'].map((f) => readFileSync(join(dir, f), 'utf8'))) },
    );
    expect(seen).toEqual(['new a', 'new b']);
    expect((await readdir(dir)).sort()).toEqual(['a.yml', 'b.yml']);
  });

  it('a file that cannot be written leaves every target as it was and no tmp file', async () => {
    const dir = await dirs.make('esb-atomic-many-');
    await writeFile(join(dir, 'a.yml'), 'old a');
    let renamed = false;
    await expect(
      writeFilesAtomic(
        [
          { file: join(dir, 'a.yml'), content: 'new a' },
          { file: join(dir, 'missing-folder', 'b.yml'), content: 'new b' },
        ],
        { onRenamed: () => (renamed = true) },
      ),
    ).rejects.toThrow(/ENOENT/);
    expect(renamed).toBe(false);
    expect(await readFile(join(dir, 'a.yml'), 'utf8')).toBe('old a');
    expect(await readdir(dir)).toEqual(['a.yml']);
  });
});

describe('cleanStaleTmp', () => {
  it('removes tmp files of dead writers only', async () => {
    const dir = await dirs.make('esb-atomic-');
    await writeFile(join(dir, 'functions.yml.999999.ab12.tmp'), 'partial');
    await writeFile(join(dir, `routing.yml.${process.pid}.cd34.tmp`), 'ours');
    await writeFile(join(dir, 'functions.yml'), 'kept');
    const removed = await cleanStaleTmp(dir, (pid) => pid !== 999999);
    expect(removed).toEqual(['functions.yml.999999.ab12.tmp']);
    expect((await readdir(dir)).sort()).toEqual(['functions.yml', `routing.yml.${process.pid}.cd34.tmp`]);
  });

  it('knows a live pid from a dead one', () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(2 ** 22 + 12345)).toBe(false);
  });
});
