import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderSize, walkTree } from './walk.js';

let work: string;
let root: string;
beforeEach(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'esb-walk-')));
  root = join(work, 'root');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(join(work, 'outside'));
  writeFileSync(join(root, 'z.txt'), 'zz');
  writeFileSync(join(root, 'a', 'b', 'c.txt'), 'c');
  writeFileSync(join(work, 'outside', 'secret'), 's');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('walkTree', () => {
  it('lists files sorted and folders, following links that stay inside and naming those that lead out', async () => {
    symlinkSync(join(root, 'a'), join(root, 'alias'));
    symlinkSync(join(work, 'outside'), join(root, 'out'));
    symlinkSync(join(work, 'nowhere'), join(root, 'dangling'));
    const w = await walkTree(root);
    expect(w.files.map((f) => f.path)).toEqual(['a/b/c.txt', 'alias/b/c.txt', 'z.txt']);
    expect(w.files[1].real).toBe(join(root, 'a', 'b', 'c.txt'));
    expect([...w.dirs].sort()).toEqual(['', 'a', 'a/b', 'alias', 'alias/b']);
    expect(w.escapes).toEqual([{ path: 'out', target: join(work, 'outside') }]);
  });

  it('does not enter a link back to an ancestor again', async () => {
    symlinkSync('..', join(root, 'a', 'b', 'up'));
    symlinkSync('.', join(root, 'self'));
    const w = await walkTree(root);
    expect(w.files.map((f) => f.path)).toEqual(['a/b/c.txt', 'z.txt']);
  });

  it('containIn widens where links may lead; skip leaves folders and files out', async () => {
    symlinkSync(join(work, 'outside'), join(root, 'out'));
    const w = await walkTree(root, { containIn: work, skip: (name, _abs, isDir) => (isDir && name === 'b') || name === 'z.txt' });
    expect(w.files.map((f) => f.path)).toEqual(['out/secret']);
    expect(w.escapes).toEqual([]);
  });

  it("links: 'keep' lists links as they are, and folderSize counts regular files only", async () => {
    symlinkSync(join(work, 'outside'), join(root, 'out'));
    expect((await walkTree(root, { links: 'keep' })).files.map((f) => f.path)).toEqual(['a/b/c.txt', 'out', 'z.txt']);
    expect(await folderSize(root)).toEqual({ bytes: 3, files: 2 });
  });
});
