// Atomic file replacement: a reader sees the old file or the new one, never a part of one,
// even when the writer is killed at any point (write a unique tmp file, fsync, rename, fsync
// the folder). Leftovers of killed writers are removed by `cleanStaleTmp`.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `<name>.<pid>.<hex>.tmp`: unique per writer, and names the process that wrote it. */
const TMP_RE = /^(.+)\.(\d+)\.([0-9a-f]+)\.tmp$/;

export function tmpPathFor(file: string, pid = process.pid): string {
  return `${file}.${pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Whether a process with this id exists on this host (EPERM: it exists, owned by someone else). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync a folder so that a rename inside it survives a power loss. Best effort where unsupported. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close();
  }
}

/** Replaces `file` with `content` atomically: tmp file in the same folder, fsync, rename, fsync folder. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = tmpPathFor(file);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(file));
}

/**
 * Removes `*.<pid>.<hex>.tmp` files and folders in `dir` whose writer is gone (pid not
 * alive on this host). Call it while holding the folder's lock. Returns the names removed.
 */
export async function cleanStaleTmp(dir: string, isAlive: (pid: number) => boolean = isPidAlive): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TMP_RE.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(basename(name));
  }
  return removed;
}
