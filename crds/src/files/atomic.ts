// Atomic file replacement: a reader sees the old file or the new one, never a part of one,
// even when the writer is killed at any point (write a unique tmp file, fsync, rename, fsync
// the folder). Leftovers of killed writers are removed by `cleanStaleTmp`.
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
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

export interface AtomicWriteOptions {
  /**
   * fsync the file and its folder (default true), so that the new content survives a power loss.
   * Without it readers still see the old file or the new one, never a part: for files esb
   * rebuilds on its own (status records), where the fsyncs are only latency.
   */
  durable?: boolean;
}

/** Writes `content` to a new tmp file beside `file` (fsynced when `durable`) and returns its path; on an error the tmp file is gone. */
async function stageTmp(file: string, content: string | Uint8Array, durable: boolean): Promise<string> {
  const tmp = tmpPathFor(file);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(content);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  return tmp;
}

/** Replaces `file` with `content` atomically: tmp file in the same folder, fsync, rename, fsync folder. */
export function writeFileAtomic(file: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  return writeFilesAtomic([{ file, content }], options);
}

/**
 * Replaces several files, each atomically, and in the order given: every tmp file is written and
 * fsynced at once (one fsync wait instead of one per file), then they are renamed one after the
 * other, then each folder is fsynced once. A reader that sees a file of the list also sees every
 * file before it. The renames are synchronous, back to back: a watcher sees them as one change
 * (not queued behind other work of the thread pool). On an error the tmp files not yet renamed
 * are removed.
 */
export async function writeFilesAtomic(
  files: ReadonlyArray<{ file: string; content: string | Uint8Array }>,
  options: AtomicWriteOptions & {
    /** Called once every file is renamed into place, before the folders are fsynced (what a reader sees already). */
    onRenamed?(): void;
  } = {},
): Promise<void> {
  const durable = options.durable !== false;
  const written = await Promise.allSettled(files.map(({ file, content }) => stageTmp(file, content, durable)));
  const failed = written.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(written.map((r) => (r.status === 'fulfilled' ? rm(r.value, { force: true }) : undefined)));
    throw failed.reason;
  }
  const staged = files.map(({ file }, i) => ({ file, tmp: (written[i] as PromiseFulfilledResult<string>).value }));
  for (let i = 0; i < staged.length; i++) {
    try {
      renameSync(staged[i].tmp, staged[i].file);
    } catch (err) {
      await Promise.all(staged.slice(i).map(({ tmp }) => rm(tmp, { force: true })));
      throw err;
    }
  }
  if (staged.length) options.onRenamed?.();
  if (durable) await Promise.all([...new Set(staged.map(({ file }) => dirname(file)))].map((dir) => fsyncDir(dir)));
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
