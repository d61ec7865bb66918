// The artifact digest, computed exactly as `esb artifact generate` computes the digest it
// writes into artifact.yml (deploy/src/generate/render.ts): for every file under the
// artifact root, the line `<artifact_root>/<relative path>\0<sha256 hex of the content>\n`,
// lines sorted by path (plain string order, "/"-separated), all hashed with sha256 and
// written "sha256:<hex>". Same inputs, same digest. Symlinks are followed.
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { walkTree } from '../layout/walk.js';

export interface Tree {
  /** Every file, "/"-separated relative paths, sorted. */
  files: string[];
  /** Every folder ("" is the root itself). */
  dirs: Set<string>;
}

/**
 * Walks `root` once: its files and folders. Symlinks are followed when they stay inside
 * `root` (a symlink leading out of it is listed in `escapes` and not followed).
 */
export async function scanTree(root: string): Promise<Tree & { escapes: string[] }> {
  const walk = await walkTree(root);
  return { files: walk.files.map((f) => f.path), dirs: walk.dirs, escapes: walk.escapes.map((e) => e.path) };
}

/** Every file under `root` (symlinks inside it followed), as sorted "/"-separated relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  return (await scanTree(root)).files;
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
export async function artifactDigest(root: string, opts: { artifactRoot?: string; exclude?: string[]; files?: string[] } = {}): Promise<string> {
  return (await hashArtifact(root, opts)).digest;
}

/** artifactDigest, plus the sha256 (hex) of every file, by relative path. */
export async function hashArtifact(
  root: string,
  opts: { artifactRoot?: string; exclude?: string[]; files?: string[] } = {},
): Promise<{ digest: string; hashes: Map<string, string> }> {
  const prefix = digestPrefix(opts.artifactRoot ?? '.');
  const exclude = new Set(opts.exclude ?? []);
  const files = (opts.files ?? (await listFiles(root))).filter((f) => !exclude.has(f));
  const hashes = new Map<string, string>();
  const BATCH = 64;
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const hs = await Promise.all(batch.map(async (f) => createHash('sha256').update(await readFile(join(root, f))).digest('hex')));
    batch.forEach((f, j) => hashes.set(f, hs[j]));
  }
  const lines: [string, string][] = files.map((f) => [prefix ? `${prefix}/${f}` : f, hashes.get(f)!]);
  lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('sha256');
  for (const [p, fh] of lines) h.update(`${p}\0${fh}\n`);
  return { digest: `sha256:${h.digest('hex')}`, hashes };
}

/**
 * sha256 (hex) of a folder's content from the file hashes (`sorted`: every file, sorted, as
 * hashArtifact lists them): names the folder's copy in CONFIG_DIR, so unchanged code is
 * copied once.
 */
export function folderHash(dir: string, sorted: string[], hashes: Map<string, string>): { hash: string; files: string[] } {
  const pre = dir === '' ? '' : `${dir}/`;
  // Paths sharing a prefix are contiguous in sorted order: binary search the first.
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < pre) lo = mid + 1;
    else hi = mid;
  }
  const files: string[] = [];
  for (let i = lo; i < sorted.length && sorted[i].startsWith(pre); i++) if (hashes.has(sorted[i])) files.push(sorted[i]);
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.slice(pre.length)}\0${hashes.get(f)}\n`);
  return { hash: h.digest('hex'), files };
}

/** sha256 of one file as hex (source_template.sha256). */
export async function fileSha256(file: string): Promise<string> {
  const st = await lstat(file);
  if (!st.isFile()) throw new Error(`${file} is not a file`);
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
