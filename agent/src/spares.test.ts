import { describe, expect, it } from 'vitest';
import { readAtStart, type SpareKey, SparePool, spareMismatch, spareRuntimeOf } from './spares.js';

const START = { PATH: '/usr/bin', HOME: '/tmp', LANG: 'C.UTF-8', TZ: ':UTC', ESB_SPARE: '1' };
const fnEnv = (extra: Record<string, string> = {}) => ({ ...START, AWS_LAMBDA_FUNCTION_NAME: 'f', MY_VAR: 'x', NODE_PATH: '/layer/nodejs/node_modules', ...extra });

describe('spareMismatch (which instances a spare may serve)', () => {
  it("serves Node and Python functions on the channel whatever their own variables", () => {
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv(), channel: true }, START)).toBeUndefined();
    expect(spareMismatch({ runtime: 'python3.12', env: fnEnv({ PYTHONPATH: '/opt/python' }), channel: true }, START)).toBeUndefined();
    // The time zone and module paths are applied by the bootstrap once assigned.
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv({ TZ: 'Europe/Paris' }), channel: true }, START)).toBeUndefined();
  });

  it('refuses variables read when the runtime starts, naming them', () => {
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv({ NODE_OPTIONS: '--enable-source-maps' }), channel: true }, START)).toMatch(/^NODE_OPTIONS /);
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv({ NODE_EXTRA_CA_CERTS: '/ca.pem' }), channel: true }, START)).toMatch(/^NODE_EXTRA_CA_CERTS /);
    expect(spareMismatch({ runtime: 'python3.12', env: fnEnv({ PYTHONHASHSEED: '0' }), channel: true }, START)).toMatch(/^PYTHONHASHSEED /);
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv({ LD_PRELOAD: '/x.so' }), channel: true }, START)).toMatch(/^LD_PRELOAD /);
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/wrap' }), channel: true }, START)).toMatch(/^AWS_LAMBDA_EXEC_WRAPPER /);
    expect(spareMismatch({ runtime: 'python3.12', env: fnEnv({ LANG: 'fr_FR.UTF-8' }), channel: true }, START)).toMatch(/^LANG /);
    // A start-up variable the spare has and the function does not is a difference too.
    expect(spareMismatch({ runtime: 'python3.12', env: fnEnv(), channel: true }, { ...START, PYTHONUNBUFFERED: '1' })).toMatch(/^PYTHONUNBUFFERED /);
    expect(spareMismatch({ runtime: 'python3.12', env: fnEnv({ PYTHONUNBUFFERED: '1' }), channel: true }, { ...START, PYTHONUNBUFFERED: '1' })).toBeUndefined();
  });

  it('refuses custom runtimes, runtimes it does not know, and instances off the channel', () => {
    expect(spareMismatch({ runtime: 'provided.al2023', env: fnEnv(), channel: true }, START)).toMatch(/provided\.al2023/);
    expect(spareMismatch({ runtime: undefined, env: fnEnv(), channel: true }, START)).toMatch(/\(none\)/);
    expect(spareMismatch({ runtime: 'nodejs20.x', env: fnEnv(), channel: false }, START)).toMatch(/channel/);
  });

  it('knows which variables are read at start', () => {
    expect(['NODE_OPTIONS', 'PYTHONWARNINGS', 'LD_LIBRARY_PATH', 'UV_THREADPOOL_SIZE', 'LC_ALL', 'HOME'].every(readAtStart)).toBe(true);
    expect(['NODE_PATH', 'PYTHONPATH', 'TZ', 'PATH', 'MY_VAR', 'AWS_REGION'].some(readAtStart)).toBe(false);
    expect(spareRuntimeOf('nodejs18.x')).toBe('node');
    expect(spareRuntimeOf('python3.9')).toBe('python');
    expect(spareRuntimeOf('java21')).toBeUndefined();
  });
});

/** A fake spawner and timers: spares are numbered, timers run when told. */
function harness(opts: { maxTotal: number; defaults?: SpareKey[]; failSpawn?: () => boolean; perKey?: number }) {
  let seq = 0;
  const spawned: Array<{ id: number; key: string }> = [];
  const killed: number[] = [];
  const failures: Array<{ key: string; retryInMs: number }> = [];
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  const pool = new SparePool<{ id: number; key: string }>(
    { maxTotal: opts.maxTotal, perKey: opts.perKey, defaults: opts.defaults ?? [{ runtime: 'node', memoryMb: 128 }], replaceDelayMs: 100, backoffMs: 1000, maxBackoffMs: 4000 },
    {
      spawn(key) {
        if (opts.failSpawn?.()) throw new Error('no uid left');
        const s = { id: ++seq, key: `${key.runtime}:${key.memoryMb}` };
        spawned.push(s);
        return s;
      },
      kill: (s) => killed.push(s.id),
      failed: (key, _why, retryInMs) => failures.push({ key: `${key.runtime}:${key.memoryMb}`, retryInMs }),
    },
    {
      setTimeout: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimeout: (t) => ((t as { cleared: boolean }).cleared = true),
    },
  );
  const runTimers = () => {
    for (const t of timers.splice(0)) if (!t.cleared) t.fn();
  };
  return { pool, spawned, killed, failures, timers, runTimers };
}

const NODE128: SpareKey = { runtime: 'node', memoryMb: 128 };
const NODE512: SpareKey = { runtime: 'node', memoryMb: 512 };
const PY128: SpareKey = { runtime: 'python', memoryMb: 128 };

describe('SparePool (which spares are kept)', () => {
  it('starts the default key, hands a spare out once, and replaces it later, not at once', () => {
    const h = harness({ maxTotal: 2 });
    h.pool.start();
    expect(h.spawned.map((s) => s.key)).toEqual(['node:128']);
    const first = h.pool.take(NODE128);
    expect(first?.id).toBe(1);
    expect(h.pool.count(NODE128)).toBe(0);
    expect(h.pool.take(NODE128)).toBeUndefined(); // used once, never returned
    expect(h.spawned).toHaveLength(1); // the replacement waits for its timer
    expect(h.timers.map((t) => t.ms)).toEqual([100]);
    h.runTimers();
    expect(h.spawned).toHaveLength(2);
    expect(h.pool.take(NODE128)?.id).toBe(2);
  });

  it('starts the replacement at once when told the instance is ready, not twice', () => {
    const h = harness({ maxTotal: 2 });
    h.pool.start();
    h.pool.take(NODE128);
    h.pool.replaceNow(NODE128);
    expect(h.spawned).toHaveLength(2);
    h.runTimers(); // the cleared timer does nothing
    expect(h.spawned).toHaveLength(2);
    h.pool.replaceNow(NODE128); // nothing pending: nothing to do
    expect(h.spawned).toHaveLength(2);
  });

  it('keeps one spare per recently seen key, within the total, killing the least recent key', () => {
    const h = harness({ maxTotal: 2 });
    h.pool.start();
    expect(h.pool.take(PY128)).toBeUndefined(); // first cold start of a key: none yet
    h.runTimers();
    expect(h.pool.count(PY128)).toBe(1);
    expect(h.pool.count(NODE128)).toBe(1);
    expect(h.pool.wanted().map((k) => `${k.runtime}:${k.memoryMb}`)).toEqual(['python:128', 'node:128']);
    // A third key: the least recent (the default) makes room.
    expect(h.pool.take(NODE512)).toBeUndefined();
    expect(h.killed).toEqual([1]);
    h.runTimers();
    expect(h.pool.count(NODE512)).toBe(1);
    expect(h.pool.count()).toBe(2);
  });

  it('starts nothing with a total of 0', () => {
    const h = harness({ maxTotal: 0 });
    h.pool.start();
    expect(h.pool.take(NODE128)).toBeUndefined();
    h.runTimers();
    expect(h.spawned).toEqual([]);
  });

  it('replaces a spare that died idle after a back-off that grows, and resets once one serves', () => {
    const h = harness({ maxTotal: 1 });
    h.pool.start();
    h.pool.died(NODE128, h.spawned[0]!);
    h.pool.died(NODE128, h.spawned[0]!); // told twice: counted once
    expect(h.failures).toEqual([{ key: 'node:128', retryInMs: 1000 }]);
    h.runTimers();
    h.pool.died(NODE128, h.spawned[1]!);
    h.runTimers();
    h.pool.died(NODE128, h.spawned[2]!);
    h.runTimers();
    h.pool.died(NODE128, h.spawned[3]!);
    expect(h.failures.map((f) => f.retryInMs)).toEqual([1000, 2000, 4000, 4000]);
    h.runTimers();
    expect(h.pool.take(NODE128)?.id).toBe(5);
    h.runTimers();
    h.pool.died(NODE128, h.spawned[5]!);
    expect(h.failures.at(-1)?.retryInMs).toBe(1000);
  });

  it('ignores the death of a spare already handed out (it is an instance now)', () => {
    const h = harness({ maxTotal: 1 });
    h.pool.start();
    const s = h.pool.take(NODE128)!;
    h.pool.died(NODE128, s);
    expect(h.failures).toEqual([]);
  });

  it('backs off when a spare cannot start', () => {
    let fail = true;
    const h = harness({ maxTotal: 1, failSpawn: () => fail });
    h.pool.start();
    expect(h.failures).toEqual([{ key: 'node:128', retryInMs: 1000 }]);
    fail = false;
    h.runTimers();
    expect(h.pool.count(NODE128)).toBe(1);
  });

  it('kills every idle spare on close and starts nothing afterwards', () => {
    const h = harness({ maxTotal: 2 });
    h.pool.start();
    h.pool.take(PY128);
    h.runTimers();
    expect(h.pool.close().map((s) => s.id).sort()).toEqual([1, 2]);
    expect(h.killed.sort()).toEqual([1, 2]);
    expect(h.pool.take(NODE128)).toBeUndefined();
    h.runTimers();
    expect(h.spawned).toHaveLength(2);
  });
});
