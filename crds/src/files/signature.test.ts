import { statSync, utimesSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/temp-dirs.js';
import { writeFileAtomic } from './atomic.js';
import { versionSignature } from './signature.js';

const signatureOf = (file: string) => versionSignature(statSync(file, { bigint: true }));
// Whole seconds, so that the file's mtime is exactly this on any file system.
const T = 1_700_000_000;
const dirs = tempDirs();
afterAll(() => dirs.removeAll());

async function fileWith(text: string): Promise<string> {
  const file = join(await dirs.make('esb-signature-'), 'functions.yml');
  await writeFile(file, text);
  utimesSync(file, T, T);
  return file;
}

describe('versionSignature', () => {
  it('is the same for the same version, read twice', async () => {
    const file = await fileWith('functions: {}\n');
    expect(signatureOf(file)).toBe(signatureOf(file));
  });

  it('tells an atomic replace apart by its inode, with the same content, size and mtime', async () => {
    const file = await fileWith('functions: {}\n');
    const before = statSync(file, { bigint: true });
    await writeFileAtomic(file, 'functions: {}\n');
    utimesSync(file, T, T);
    const after = statSync(file, { bigint: true });
    expect([after.mtimeNs, after.size]).toEqual([before.mtimeNs, before.size]);
    expect(versionSignature(after)).not.toBe(versionSignature(before));
  });

  it('tells an in-place write apart by its size, with the same inode and mtime', async () => {
    const file = await fileWith('functions: {}\n');
    const before = signatureOf(file);
    await writeFile(file, 'functions: {}\n# edited\n');
    utimesSync(file, T, T);
    expect(signatureOf(file)).not.toBe(before);
  });

  it('tells an in-place write apart by its mtime, with the same inode and size', async () => {
    const file = await fileWith('functions: {}\n');
    const before = signatureOf(file);
    await writeFile(file, 'functions: []\n');
    utimesSync(file, T + 1, T + 1);
    expect(signatureOf(file)).not.toBe(before);
  });
});
