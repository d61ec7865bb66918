import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplyLockTimeoutError, readLockHolder, withDeployLock } from './lock.js';

const tmp = () => mkdtemp(join(tmpdir(), 'esb-lock-'));

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
    const t0 = Date.now();
    const r = await withDeployLock(dir, async () => 'ok', { timeoutMs: 5000, isAlive: () => false, onTakeOver: (h) => (tookOver = h) });
    expect(r).toBe('ok');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(tookOver).toMatchObject({ pid: 4242 });
  });

  it('does not take over a lock of another host (cannot tell whether it lives)', async () => {
    const dir = await tmp();
    await writeFile(join(dir, '.deploy.lock'), JSON.stringify({ pid: 4242, host: 'elsewhere', since: 's', token: 't' }));
    await expect(withDeployLock(dir, async () => 1, { timeoutMs: 100, isAlive: () => false })).rejects.toBeInstanceOf(ApplyLockTimeoutError);
  });
});

describe('withDeployLock: takeover guard', () => {
  it('a takeover guard left by a killed process delays a takeover by about a second, no more', async () => {
    const dir = await tmp();
    const { hostname } = await import('node:os');
    const { mkdir } = await import('node:fs/promises');
    await writeFile(join(dir, '.deploy.lock'), JSON.stringify({ pid: 4242, host: hostname(), since: 's', token: 'dead' }));
    await mkdir(join(dir, '.deploy.lock.reap'));
    const t0 = Date.now();
    expect(await withDeployLock(dir, async () => 'ok', { timeoutMs: 10_000, isAlive: () => false, pollMs: 20 })).toBe('ok');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await readdir(dir)).toEqual([]);
  });
});
