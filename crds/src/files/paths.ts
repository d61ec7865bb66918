// Paths built from names (namespace, Deployment name, project, env) or read from templates:
// resolved and checked against the folder they must stay in before anything is read or
// written there (docs/security.md "Names and paths").
import { realpath } from 'node:fs/promises';
import path from 'node:path';

export class PathEscapeError extends Error {
  constructor(
    readonly root: string,
    readonly target: string,
    reason: string,
  ) {
    super(`${target}: ${reason}`);
    this.name = 'PathEscapeError';
  }
}

/** Whether `target` is `root` or inside it (both absolute, already resolved). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * `root/segment/...` where every segment is one plain folder or file name (no separator, not
 * "." or ".."); throws PathEscapeError otherwise. Lexical: see realPathInside for symlinks.
 */
export function joinInside(root: string, ...segments: string[]): string {
  const base = path.resolve(root);
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0')) {
      throw new PathEscapeError(base, path.join(base, ...segments), `"${s}" is not a plain name; refusing to build a path from it under ${base}`);
    }
  }
  const target = path.join(base, ...segments);
  if (!isInside(base, target)) throw new PathEscapeError(base, target, `is outside ${base}`);
  return target;
}

/** realpath of the deepest existing ancestor, with the rest of the path appended. */
export async function realPathOf(target: string): Promise<string> {
  let head = path.resolve(target);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(await realpath(head), ...tail.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...tail.reverse());
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/**
 * Resolves `target` with symlinks followed (as far as it exists) and checks it is inside
 * `root` (symlinks followed too). Returns the resolved path; throws PathEscapeError otherwise.
 */
export async function realPathInside(root: string, target: string, what = 'path'): Promise<string> {
  const [realRoot, realTarget] = await Promise.all([realPathOf(root), realPathOf(target)]);
  if (!isInside(realRoot, realTarget)) {
    const shown = realTarget === path.resolve(target) ? '' : ` (it resolves to ${realTarget})`;
    throw new PathEscapeError(realRoot, target, `${what} is outside ${realRoot}${shown}`);
  }
  return realTarget;
}
