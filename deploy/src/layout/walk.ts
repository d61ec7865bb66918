// The one directory walker of the deploy steps: code folders (generate), build sources (build),
// artifact roots (apply's digest) and Docker build contexts all list their files through it, so
// the rule for symlinks is written once (docs/security.md "Names and paths").
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isInside } from '@esb/contracts';

export interface WalkOptions {
  /**
   * 'follow' (default): a symlink is followed when its target stays inside `containIn`; one
   * leading out is not followed and is listed in `escapes`. 'keep': links are listed as files,
   * not followed (a Docker build context sends them as links).
   */
  links?: 'follow' | 'keep';
  /** The real folder links must stay inside; default: the real path of the root. */
  containIn?: string;
  /** An entry left out, with everything under it (`abs` is its real path when reached through links). */
  skip?: (name: string, abs: string, isDir: boolean) => boolean;
}

export interface WalkedFile {
  /** "/"-separated, relative to the root. */
  path: string;
  /** Where to read it (through followed links). */
  real: string;
}

export interface Walk {
  /** Every file, sorted by path (plain string order). */
  files: WalkedFile[];
  /** Every folder ("" is the root itself). */
  dirs: Set<string>;
  /** Symlinks that lead outside `containIn` (not followed), with their targets. */
  escapes: Array<{ path: string; target: string }>;
}

const byPath = (a: WalkedFile, b: WalkedFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Walks `root` once; folders are read concurrently, a link back to an ancestor is not entered again. */
export async function walkTree(root: string, options: WalkOptions = {}): Promise<Walk> {
  const follow = (options.links ?? 'follow') === 'follow';
  const realRoot = await realpath(root);
  const containIn = options.containIn ?? realRoot;
  const skip = options.skip;
  const out: Walk = { files: [], dirs: new Set(['']), escapes: [] };

  const walkDir = async (dir: string, prefix: string, ancestors: readonly string[]): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        const abs = join(dir, e.name);
        if (e.isDirectory()) {
          if (skip?.(e.name, abs, true)) return;
          out.dirs.add(rel);
          await walkDir(abs, rel, [...ancestors, abs]);
        } else if (e.isFile() || (e.isSymbolicLink() && !follow)) {
          if (!skip?.(e.name, abs, false)) out.files.push({ path: rel, real: abs });
        } else if (e.isSymbolicLink()) {
          const real = await realpath(abs).catch(() => undefined);
          if (!real) return; // dangling
          if (!isInside(containIn, real)) {
            out.escapes.push({ path: rel, target: real });
            return;
          }
          const s = await stat(real).catch(() => undefined);
          if (s?.isFile()) {
            if (!skip?.(e.name, real, false)) out.files.push({ path: rel, real });
          } else if (s?.isDirectory()) {
            if (ancestors.includes(real) || skip?.(e.name, real, true)) return;
            out.dirs.add(rel);
            await walkDir(real, rel, [...ancestors, real]);
          }
        }
      }),
    );
  };
  await walkDir(realRoot, '', [realRoot]);
  out.files.sort(byPath);
  out.escapes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** Sum of the sizes of the files under `dir` (links not followed). */
export async function folderSize(dir: string): Promise<{ bytes: number; files: number }> {
  const { files } = await walkTree(dir, { links: 'keep' });
  let bytes = 0;
  let count = 0;
  for (const f of files) {
    const s = await lstat(f.real).catch(() => undefined);
    if (!s?.isFile()) continue;
    bytes += s.size;
    count++;
  }
  return { bytes, files: count };
}
