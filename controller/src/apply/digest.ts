// The artifact digest, computed exactly as `esb artifact generate` computes the digest it
// writes into artifact.yml (controller/src/generate/render.ts): for every file under the
// artifact root, the line `<artifact_root>/<relative path>\0<sha256 hex of the content>\n`,
// lines sorted by path (plain string order, "/"-separated), all hashed with sha256 and
// written "sha256:<hex>". Same inputs, same digest. Symlinks are followed.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';

/** Every file under `root` (symlinks followed), as sorted "/"-separated relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), rel);
      else if (e.isFile()) out.push(rel);
      else if (e.isSymbolicLink()) {
        const s = await stat(join(dir, e.name)).catch(() => undefined);
        if (s?.isFile()) out.push(rel);
        else if (s?.isDirectory()) await walk(join(dir, e.name), rel);
      }
    }
  };
  await walk(root, '');
  return out;
}

/** `artifact_root` as the generator writes it into the digest lines: normalised, "/"-separated. */
export function digestPrefix(artifactRoot: string): string {
  const n = normalize(artifactRoot).split(sep).join('/').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/**
 * sha256 over the files under `root`. `artifactRoot` is the entry's `artifact_root` as
 * written in artifact.yml (the path prefix of each line); `exclude` leaves out relative
 * paths (e.g. an artifact.yml lying inside the root).
 */
export async function artifactDigest(root: string, opts: { artifactRoot?: string; exclude?: string[] } = {}): Promise<string> {
  const prefix = digestPrefix(opts.artifactRoot ?? '.');
  const exclude = new Set(opts.exclude ?? []);
  const files = (await listFiles(root)).filter((f) => !exclude.has(f));
  const lines: [string, string][] = [];
  const BATCH = 64;
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const hashes = await Promise.all(batch.map(async (f) => createHash('sha256').update(await readFile(join(root, f))).digest('hex')));
    batch.forEach((f, j) => lines.push([prefix ? `${prefix}/${f}` : f, hashes[j]]));
  }
  lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('sha256');
  for (const [p, fh] of lines) h.update(`${p}\0${fh}\n`);
  return `sha256:${h.digest('hex')}`;
}

/** sha256 of one file as hex (source_template.sha256). */
export async function fileSha256(file: string): Promise<string> {
  const st = await lstat(file);
  if (!st.isFile()) throw new Error(`${file} is not a file`);
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
