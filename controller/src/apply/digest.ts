// The artifact digest: sha256 over every file under an artifact root, so that the same
// inputs give the same digest. `esb artifact generate` must compute the digest it writes
// into artifact.yml with this same function (docs/apply.md "Digest").
//
// Format: files sorted by their relative path ("/"-separated, compared as plain strings);
// for each: `<path>\0<size>\0<content>`; symlinks as `<path>\0symlink\0<target>`. The result
// is "sha256:<hex>". `exclude` (relative paths) leaves files out, e.g. an artifact.yml that
// lies inside the root.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export async function listFiles(root: string): Promise<{ rel: string; kind: 'file' | 'symlink' }[]> {
  const out: { rel: string; kind: 'file' | 'symlink' }[] = [];
  const walk = async (dir: string, prefix: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), rel);
      else if (e.isSymbolicLink()) out.push({ rel, kind: 'symlink' });
      else if (e.isFile()) out.push({ rel, kind: 'file' });
    }
  };
  await walk(root, '');
  out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

export async function artifactDigest(root: string, opts: { exclude?: string[] } = {}): Promise<string> {
  const exclude = new Set(opts.exclude ?? []);
  const files = (await listFiles(root)).filter((f) => !exclude.has(f.rel));
  const hash = createHash('sha256');
  // Read in small parallel batches, hash in order.
  const BATCH = 64;
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const contents = await Promise.all(
      batch.map(async (f) => (f.kind === 'symlink' ? Buffer.from(await readlink(join(root, f.rel))) : readFile(join(root, f.rel)))),
    );
    batch.forEach((f, j) => {
      const c = contents[j];
      hash.update(`${f.rel}\0${f.kind === 'symlink' ? 'symlink' : c.length}\0`);
      hash.update(c);
    });
  }
  return `sha256:${hash.digest('hex')}`;
}

/** sha256 of one file as hex (source_template.sha256). */
export async function fileSha256(file: string): Promise<string> {
  const st = await lstat(file);
  if (!st.isFile()) throw new Error(`${file} is not a file`);
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
