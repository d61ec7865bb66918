import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '@esb/contracts/testing';
import { ApplyLockTimeoutError, bootId, processStartTime, readLockHolder, withDeployLock } from './lock.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());
const tmp = () => dirs.make('esb-lock-');

describe('withDeployLock', () => {
  it('creates CONFIG_DIR (mkdir -p), holds .deploy.lock during fn, removes it after', async () => {
    const dir = join(await tmp(), 'a', 'b', 'config');
    const seen = await withDeployLock(dir, async () => readLockHolder(dir));
    expect(seen).toMatchObject({ pid: process.pid });
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases the lock when fn throws', async () => {
    const dir = await tmp();
    await expect(withDeployLock(dir, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await readLockHolder(dir)).toBeUndefined();
  });

  it('serialises holders: critical sections never overlap', async () => {
    const dir = await tmp();
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withDeployLock(
          dir,
          async () => {
            inside++;
            max = Math.max(max, inside);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
          },
          { pollMs: 2 },
        ),
      ),
    );
    expect(max).toBe(1);
  });

  it('times out naming the holder (pid, host, since) when a live process holds it', async () => {
    const dir = await tmp();
    await writeFile(join(dir, '.deploy.lock'), JSON.stringify({ pid: process.ppid, host: 'otherhost', since: '2026-01-01T00:00:00.000Z', token: 'x' }));
    const err = await withDeployLock(dir, async () => 1, { timeoutMs: 150, pollMs: 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyLockTimeoutError);
    expect(err.message).toMatch(/held by pid \d+ on host otherhost since 2026-01-01T00:00:00.000Z/);
    expect(err.holder.host).toBe('otherhost');
  });

  it('waits for a live holder and gets the lock once it is released', async () => {
    const dir = await tmp();
    const order: string[] = [];
    let release!: () => void;
    const first = withDeployLock(dir, () => new Promise<void>((r) => (release = () => (order.push('first done'), r()))));
    await new Promise((r) => setTimeout(r, 20));
    let waited = false;
    const second = withDeployLock(dir, async () => void order.push('second'), { pollMs: 5, onWait: () => (waited = true) });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first done', 'second']);
    expect(waited).toBe(true);
  });

  it('takes over a lock left by a dead process on this host without waiting', async () => {
    const dir = await tmp();
    const { hostname } = await import('node:os');
    await writeFile(join(dir, '.deploy.lock'), JSON.stringify({ pid: 4242, host: hostname(), since: '2026-01-01T00:00:00.000Z', token: 'dead' }));
    let tookOver: unknown;
    const slept: number[] = [];
    const r = await withDeployLock(dir, async () => 'ok', { timeoutMs: 5000, isAlive: () => false, onTakeOver: (h) => (tookOver = h), sleep: async (ms) => void slept.push(ms) });
    expect(r).toBe('ok');
    expect(slept).toEqual([]); // taken over at once, not waited for
    expect(tookOver).toMatchObject({ pid: 4242 });
  });

  it('does not take over a lock of another host (cannot tell whether it lives)', async () => {
    const dir = await tmp();
    await writeFile(join(dir, '.deploy.lock'), JSON.stringify({ pid: 4242, host: 'elsewhere', since: 's', token: 't' }));
    await expect(withDeployLock(dir, async () => 1, { timeoutMs: 100, isAlive: () => false })).rejects.toBeInstanceOf(ApplyLockTimeoutError);
  });
});

describe('withDeployLock: takeover guard', () => {
  it('a takeover guard left by a killed process does not block the takeover for good', async () => {
    const dir = await tmp();
    const { hostname } = await import('node:os');
    const { mkdir } = await import('node:fs/promises');
    await writeFile(join(dir, '.deploy.lock'), JSON.stringify({ pid: 4242, host: hostname(), since: 's', token: 'dead' }));
    await mkdir(join(dir, '.deploy.lock.reap'));
    expect(await withDeployLock(dir, async () => 'ok', { timeoutMs: 10_000, isAlive: () => false, pollMs: 20 })).toBe('ok');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('withDeployLock: pid reuse, reboots and leases', () => {
  let sleeper: ChildProcess | undefined;
  afterEach(() => {
    sleeper?.kill();
    sleeper = undefined;
  });
  // A live process that is not the lock's holder: what a reused pid looks like.
  const liveUnrelatedPid = async () => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((r) => sleeper!.once('spawn', r));
    return sleeper.pid!;
  };
  const lockOf = (fields: Record<string, unknown>) => JSON.stringify({ host: hostname(), since: '2026-01-01T00:00:00.000Z', token: 'old', ...fields });

  it('records who holds it: pid, start time, boot id, lease', async () => {
    const dir = await tmp();
    const holder = await withDeployLock(dir, async () => readLockHolder(dir), { leaseMs: 60_000 });
    expect(holder).toMatchObject({ pid: process.pid, started: processStartTime(process.pid), boot: bootId(), leaseMs: 60_000 });
    expect(holder?.started).toMatch(/^\d+$/);
  });

  it('takes over a lock whose pid is alive but belongs to another process (another start time)', async () => {
    const dir = await tmp();
    const pid = await liveUnrelatedPid();
    const realStart = processStartTime(pid)!;
    await writeFile(join(dir, '.deploy.lock'), lockOf({ pid, started: String(Number(realStart) - 1000), boot: bootId() }));
    let tookOver: unknown;
    expect(await withDeployLock(dir, async () => 'ok', { timeoutMs: 60_000, onTakeOver: (h) => (tookOver = h) })).toBe('ok');
    expect(tookOver).toMatchObject({ pid, token: 'old' });
    expect(sleeper!.exitCode).toBeNull(); // the unrelated process is untouched
  });

  it('waits for a live holder whose start time matches (the same process)', async () => {
    const dir = await tmp();
    const pid = await liveUnrelatedPid();
    await writeFile(join(dir, '.deploy.lock'), lockOf({ pid, started: processStartTime(pid), boot: bootId() }));
    await expect(withDeployLock(dir, async () => 1, { timeoutMs: 150, pollMs: 20 })).rejects.toBeInstanceOf(ApplyLockTimeoutError);
  });

  it('takes over a lock from before a reboot (another boot id), its pid alive or not', async () => {
    const dir = await tmp();
    const pid = await liveUnrelatedPid();
    await writeFile(join(dir, '.deploy.lock'), lockOf({ pid, started: processStartTime(pid), boot: 'another-boot' }));
    expect(await withDeployLock(dir, async () => 'ok', { timeoutMs: 60_000, bootId: 'this-boot' })).toBe('ok');
  });

  it('takes over a lock of another host once its lease has run out; not before', async () => {
    const dir = await tmp();
    const file = join(dir, '.deploy.lock');
    await writeFile(file, lockOf({ pid: 1, host: 'elsewhere', leaseMs: 60_000 }));
    await expect(withDeployLock(dir, async () => 1, { timeoutMs: 100, pollMs: 20 })).rejects.toBeInstanceOf(ApplyLockTimeoutError);
    const past = new Date(Date.now() - 61_000);
    await utimes(file, past, past);
    expect(await withDeployLock(dir, async () => 'ok', { timeoutMs: 60_000 })).toBe('ok');
  });

  it('renews its lease while it holds the lock', async () => {
    const dir = await tmp();
    const file = join(dir, '.deploy.lock');
    await withDeployLock(
      dir,
      async () => {
        const past = new Date(Date.now() - 3_600_000);
        await utimes(file, past, past);
        for (;;) {
          if (Date.now() - (await stat(file)).mtimeMs < 1_800_000) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      { leaseMs: 90 },
    );
  });
});
