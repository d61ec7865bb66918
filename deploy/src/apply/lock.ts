// The deploy lock: `${CONFIG_DIR}/.deploy.lock`, one per env (docs/apply.md). The lock
// file is created complete and atomically (holder info written to a tmp file, then
// link(2)ed into place, which fails if the lock exists), so a waiter can always say who
// holds it. A lock whose holder is gone is taken over at once: on the same host, its pid is not
// alive, or is alive but another process (a different start time: the pid was reused), or the
// host rebooted since (another boot id). A holder renews its lease (the file's mtime) while it
// holds the lock, so a lock left by a process on another host expires after the lease.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rm, rmdir, stat, utimes, writeFile, open } from 'node:fs/promises';
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
  /** The holder's start time (Linux: clock ticks after boot, /proc/<pid>/stat): a reused pid has another. */
  started?: string;
  /** The host's boot id (Linux): a lock from before a reboot is stale. */
  boot?: string;
  /** The holder renews the file's mtime while it holds the lock; older than this, the lock is stale. */
  leaseMs?: number;
}

/** Start time of a live process, or undefined (no such process, or no /proc). */
export function processStartTime(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let cachedBootId: string | null | undefined;
export function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
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
  /** Start time of a pid (default: from /proc); undefined when unknown. */
  startTimeOf?: (pid: number) => string | undefined;
  bootId?: string;
  /** Lease of the lock, renewed every third of it while held; default 2 min. */
  leaseMs?: number;
  /** Called once when the lock is busy and we start waiting, and when a stale lock is taken over. */
  onWait?: (holder: LockHolder | undefined) => void;
  onTakeOver?: (holder: LockHolder | undefined) => void;
}

/** An unreadable lock file (e.g. written without link(2)) counts as stale after this long. */
const UNREADABLE_STALE_MS = 10_000;
/** The takeover guard is held for microseconds; one older than this was left by a killed process. */
const GUARD_STALE_MS = 1_000;

export const DEFAULT_LEASE_MS = 120_000;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Observed = { kind: 'gone' } | { kind: 'held'; holder: LockHolder; ageMs: number } | { kind: 'unreadable'; ageMs: number };

async function observe(lockPath: string): Promise<Observed> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw err;
  }
  let holder: LockHolder | undefined;
  try {
    const h = JSON.parse(text) as LockHolder;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string') holder = h;
  } catch {
    /* unreadable */
  }
  let ageMs: number;
  try {
    ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    return { kind: 'gone' };
  }
  return holder ? { kind: 'held', holder, ageMs } : { kind: 'unreadable', ageMs };
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

interface Identity {
  me: LockHolder;
  isAlive: (pid: number) => boolean;
  startTimeOf: (pid: number) => string | undefined;
}

/** Whether the holder of a lock is gone (see the header); a holder on another host only by its lease. */
export function isStaleHolder(holder: LockHolder, ageMs: number, { me, isAlive, startTimeOf }: Identity): boolean {
  if (typeof holder.leaseMs === 'number' && ageMs > holder.leaseMs) return true;
  if (holder.host !== me.host) return false;
  if (holder.boot && me.boot && holder.boot !== me.boot) return true;
  if (holder.started !== undefined) {
    const started = startTimeOf(holder.pid);
    if (started !== undefined) return started !== holder.started;
  }
  return holder.pid !== me.pid && !isAlive(holder.pid);
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
  const startTimeOf = opts.startTimeOf ?? processStartTime;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const pid = opts.pid ?? process.pid;
  const startedAt = startTimeOf(pid);
  const boot = opts.bootId ?? bootId();
  const me: LockHolder = {
    pid,
    host: opts.host ?? hostname(),
    since: now().toISOString(),
    token: randomBytes(8).toString('hex'),
    ...(startedAt !== undefined ? { started: startedAt } : {}),
    ...(boot !== undefined ? { boot } : {}),
    leaseMs,
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
    const stale = seen.kind === 'held' ? isStaleHolder(seen.holder, seen.ageMs, { me, isAlive, startTimeOf }) : seen.ageMs > UNREADABLE_STALE_MS;
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
  // Renew the lease (the file's mtime; its content and token stay) while fn runs.
  const renew = setInterval(() => {
    const t = new Date();
    utimes(lockPath, t, t).catch(() => undefined);
  }, Math.max(10, Math.floor(leaseMs / 3)));
  renew.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    const seen = await observe(lockPath).catch(() => ({ kind: 'gone' }) as Observed);
    if (seen.kind === 'held' && seen.holder.token === me.token) await rm(lockPath, { force: true });
  }
}
