// The deploy lock: `${CONFIG_DIR}/.deploy.lock`, one per env (docs/apply.md). The lock
// file is created complete and atomically (holder info written to a tmp file, then
// link(2)ed into place, which fails if the lock exists), so a waiter can always say who
// holds it. A lock whose holder is gone (same host, pid not alive) is taken over at once.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, rmdir, stat, writeFile, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isPidAlive, tmpPathFor } from '@esb/contracts';

export const LOCK_NAME = '.deploy.lock';
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Unique per acquisition: tells two holders with the same pid apart. */
  token: string;
}

export class ApplyLockTimeoutError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    readonly timeoutMs: number,
  ) {
    const who = holder
      ? `held by pid ${holder.pid} on host ${holder.host} since ${holder.since}`
      : 'held by an unknown process (lock file unreadable)';
    super(`timed out after ${Math.round(timeoutMs / 100) / 10}s waiting for the deploy lock ${lockPath}: ${who}`);
    this.name = 'ApplyLockTimeoutError';
  }
}

export interface DeployLockOptions {
  /** How long to wait for a live holder; default 30 s. */
  timeoutMs?: number;
  /** Poll interval while waiting (jittered); default 50 ms. */
  pollMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  pid?: number;
  host?: string;
  isAlive?: (pid: number) => boolean;
  /** Called once when the lock is busy and we start waiting, and when a stale lock is taken over. */
  onWait?: (holder: LockHolder | undefined) => void;
  onTakeOver?: (holder: LockHolder | undefined) => void;
}

/** An unreadable lock file (e.g. written without link(2)) counts as stale after this long. */
const UNREADABLE_STALE_MS = 10_000;
/** The takeover guard is held for microseconds; one older than this was left by a killed process. */
const GUARD_STALE_MS = 1_000;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Observed = { kind: 'gone' } | { kind: 'held'; holder: LockHolder } | { kind: 'unreadable'; ageMs: number };

async function observe(lockPath: string): Promise<Observed> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string') return { kind: 'held', holder: h };
  } catch {
    /* fall through */
  }
  try {
    const st = await stat(lockPath);
    return { kind: 'unreadable', ageMs: Date.now() - st.mtimeMs };
  } catch {
    return { kind: 'gone' };
  }
}

/** Who holds the lock of `configDir` now, if anyone. */
export async function readLockHolder(configDir: string): Promise<LockHolder | undefined> {
  const o = await observe(join(configDir, LOCK_NAME));
  return o.kind === 'held' ? o.holder : undefined;
}

async function tryCreate(lockPath: string, me: LockHolder): Promise<boolean> {
  const tmp = tmpPathFor(lockPath, me.pid);
  await writeFile(tmp, JSON.stringify(me), { flag: 'wx' });
  try {
    await link(tmp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      // File systems without hard links: O_EXCL create, then fill in (briefly unreadable).
      try {
        const fh = await open(lockPath, 'wx');
        await fh.writeFile(JSON.stringify(me));
        await fh.close();
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    }
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Removes the lock if (and only if) it still holds what we saw, under a short guard.
 * Returns false when another process holds the guard (try again after a pause).
 */
async function reap(lockPath: string, seen: Observed): Promise<boolean> {
  const guard = `${lockPath}.reap`;
  try {
    await mkdir(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      const st = await stat(guard);
      if (Date.now() - st.mtimeMs > GUARD_STALE_MS) await rmdir(guard).catch(() => {});
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    const now = await observe(lockPath);
    const same =
      (seen.kind === 'held' && now.kind === 'held' && now.holder.token === seen.holder.token) ||
      (seen.kind === 'unreadable' && now.kind === 'unreadable');
    if (same) await rm(lockPath, { force: true });
  } finally {
    await rmdir(guard).catch(() => {});
  }
  return true;
}

/**
 * Runs `fn` holding `${configDir}/.deploy.lock` (the folder is created first, `mkdir -p`).
 * Waits up to `timeoutMs` for a live holder, then throws ApplyLockTimeoutError naming it.
 */
export async function withDeployLock<T>(configDir: string, fn: () => Promise<T>, opts: DeployLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const pollMs = opts.pollMs ?? 50;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? (() => new Date());
  const isAlive = opts.isAlive ?? isPidAlive;
  const me: LockHolder = {
    pid: opts.pid ?? process.pid,
    host: opts.host ?? hostname(),
    since: now().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  await mkdir(configDir, { recursive: true });
  const lockPath = join(configDir, LOCK_NAME);
  const started = Date.now();
  let waiting = false;
  for (;;) {
    me.since = now().toISOString();
    if (await tryCreate(lockPath, me)) break;
    const seen = await observe(lockPath);
    if (seen.kind === 'gone') continue;
    const stale =
      seen.kind === 'held'
        ? seen.holder.host === me.host && seen.holder.pid !== me.pid && !isAlive(seen.holder.pid)
        : seen.ageMs > UNREADABLE_STALE_MS;
    if (stale) {
      opts.onTakeOver?.(seen.kind === 'held' ? seen.holder : undefined);
      if (!(await reap(lockPath, seen))) await sleep(pollMs);
      continue;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) throw new ApplyLockTimeoutError(lockPath, seen.kind === 'held' ? seen.holder : undefined, timeoutMs);
    if (!waiting) {
      waiting = true;
      opts.onWait?.(seen.kind === 'held' ? seen.holder : undefined);
    }
    await sleep(Math.min(pollMs / 2 + Math.random() * pollMs, Math.max(1, timeoutMs - elapsed)));
  }
  try {
    return await fn();
  } finally {
    const seen = await observe(lockPath).catch(() => ({ kind: 'gone' }) as Observed);
    if (seen.kind === 'held' && seen.holder.token === me.token) await rm(lockPath, { force: true });
  }
}
