// Pre-started runtimes ("spares") of the process runtime (docs/agent.md#spare-runtimes): esb's
// Node or Python bootstrap already started as an instance would be (its own uid, MemorySize,
// TMPDIR), waiting on its instance channel for a function. A cold start that finds one hands it
// the function (environment, working folder) instead of starting a process. Pure: which
// functions a spare can serve, and which spares to keep; the process driver spawns them.
import { isNodeRuntime, isPythonRuntime } from './env.js';

/** The runtime families esb's own bootstraps serve (every nodejs* runs on one node binary). */
export type SpareRuntime = 'node' | 'python';

export interface SpareKey {
  runtime: SpareRuntime;
  memoryMb: number;
}

export const spareKeyString = (k: SpareKey): string => `${k.runtime}:${k.memoryMb}`;

/** The runtime name a spare of the family is started as (esb's bootstrap for it). */
export const spareRuntimeName = (r: SpareRuntime): string => (r === 'node' ? 'nodejs' : 'python3');

export function spareRuntimeOf(runtime: string | undefined): SpareRuntime | undefined {
  if (isNodeRuntime(runtime)) return 'node';
  if (isPythonRuntime(runtime)) return 'python';
  return undefined;
}

/** Variables the bootstrap applies itself once a spare becomes an instance (module search paths, time zone). */
const APPLIED_AFTER_START = new Set(['NODE_PATH', 'PYTHONPATH', 'TZ']);

/**
 * Whether a variable is read when the runtime process starts (node's and Python's own options,
 * the dynamic loader, the C library, the locale, the home folder of Python's user site): a
 * function must have the value the spare started with, or it gets a process of its own.
 */
export function readAtStart(name: string): boolean {
  if (APPLIED_AFTER_START.has(name)) return false;
  return (
    /^(NODE_|PYTHON|LD_|UV_|MALLOC_|GLIBC_|OPENSSL_|LC_)/.test(name) ||
    name === 'LANG' ||
    name === 'LANGUAGE' ||
    name === 'HOME' ||
    name === 'AWS_LAMBDA_EXEC_WRAPPER'
  );
}

export interface SpareCandidate {
  runtime?: string;
  /** The instance's complete environment, as the driver would spawn it. */
  env: Record<string, string>;
  /** Whether the instance would speak over the instance channel (spares wait on it). */
  channel: boolean;
}

/**
 * Why an instance cannot be served by a spare started with `startEnv`, or undefined when it can:
 * only esb's Node and Python bootstraps on the instance channel, and only when every variable
 * read at process start has the value the spare started with (NODE_OPTIONS and the like).
 */
export function spareMismatch(c: SpareCandidate, startEnv: Record<string, string>): string | undefined {
  if (!spareRuntimeOf(c.runtime)) return `runtime ${c.runtime ?? '(none)'} does not run on esb's bootstraps`;
  if (!c.channel) return 'the instance channel is off';
  for (const name of new Set([...Object.keys(c.env), ...Object.keys(startEnv)])) {
    if (readAtStart(name) && c.env[name] !== startEnv[name]) return `${name} is read when the runtime starts`;
  }
  return undefined;
}

export interface SparePoolOptions {
  /** Idle spares in all (0: none). */
  maxTotal: number;
  /** Idle spares per key (default 1). */
  perKey?: number;
  /** Keys kept whether or not they were asked for lately (the default Node runtime). */
  defaults?: SpareKey[];
  /**
   * Wait before a used spare is replaced, at most: starting one blocks the event loop for a few
   * ms and takes a core, so the driver asks for it once the instance it became has answered its first event (replaceNow).
   */
  replaceDelayMs?: number;
  /** Back-off after a spare died idle (or could not start): first wait, doubled each time up to max. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface SpareTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SpareSpawner<S> {
  /** Starts a spare for `key` (throws when it cannot). */
  spawn(key: SpareKey): S;
  /** Stops an idle spare that is no longer wanted. */
  kill(spare: S): void;
  /** A spare could not start or died idle (told with the back-off before the next try). */
  failed?(key: SpareKey, why: string, retryInMs: number): void;
}

/**
 * Which spares to keep: one per key (runtime, MemorySize) for the default keys and the keys of
 * recent cold starts, most recent first, within maxTotal. A spare is handed out once (it becomes
 * that instance) and replaced later; one that dies idle is replaced after a growing back-off.
 */
export class SparePool<S> {
  private readonly idle = new Map<string, S[]>();
  /** Keys wanted, most recently asked first (defaults kept at the end). */
  private recent: SpareKey[] = [];
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, unknown>();
  private readonly perKey: number;
  private closed = false;

  constructor(
    private readonly opts: SparePoolOptions,
    private readonly spawner: SpareSpawner<S>,
    private readonly clock: SpareTimers,
  ) {
    this.perKey = Math.max(0, opts.perKey ?? 1);
  }

  /** Starts the spares of the default keys. */
  start(): void {
    for (const k of this.wanted()) this.fill(k);
  }

  /** The keys spares are kept for, in order of preference, within maxTotal. */
  wanted(): SpareKey[] {
    if (this.perKey === 0) return [];
    const out: SpareKey[] = [];
    const seen = new Set<string>();
    for (const k of [...this.recent, ...(this.opts.defaults ?? [])]) {
      const s = spareKeyString(k);
      if (seen.has(s)) continue;
      seen.add(s);
      out.push(k);
    }
    return out.slice(0, Math.floor(Math.max(0, this.opts.maxTotal) / this.perKey));
  }

  /** Idle spares of `key` (all keys when omitted). */
  count(key?: SpareKey): number {
    if (key) return this.idle.get(spareKeyString(key))?.length ?? 0;
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /**
   * A cold start of `key`: an idle spare of it (removed from the pool: it becomes the instance)
   * or undefined. Either way the key becomes the most recent one, and its spare is (re)started later.
   */
  take(key: SpareKey): S | undefined {
    if (this.closed) return undefined;
    const s = spareKeyString(key);
    this.recent = [key, ...this.recent.filter((k) => spareKeyString(k) !== s)];
    if (!this.evictUnwanted().has(s)) return undefined;
    const list = this.idle.get(s);
    const spare = list?.shift();
    if (spare) this.failures.delete(s); // it served: the runtime starts
    this.schedule(key, this.opts.replaceDelayMs ?? 0);
    return spare;
  }

  /** Starts the replacement of `key` now (the instance a spare became has answered) instead of after replaceDelayMs. */
  replaceNow(key: SpareKey): void {
    const s = spareKeyString(key);
    const pending = this.timers.get(s);
    if (pending === undefined || (this.failures.get(s) ?? 0) > 0) return; // a back-off keeps its time
    this.clock.clearTimeout(pending);
    this.timers.delete(s);
    this.fill(key);
  }

  /** An idle spare exited by itself: replaced after the back-off. */
  died(key: SpareKey, spare: S, why = 'it exited'): void {
    const s = spareKeyString(key);
    const list = this.idle.get(s);
    const at = list?.indexOf(spare) ?? -1;
    if (at < 0 || !list) return; // handed out already, or killed by the pool
    list.splice(at, 1);
    this.fail(key, why);
  }

  /** Kills every idle spare; nothing is started afterwards. Returns the spares killed. */
  close(): S[] {
    this.closed = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const spare of all) this.spawner.kill(spare);
    return all;
  }

  private fail(key: SpareKey, why: string): void {
    const s = spareKeyString(key);
    const n = (this.failures.get(s) ?? 0) + 1;
    this.failures.set(s, n);
    const first = this.opts.backoffMs ?? 1000;
    const wait = Math.min(first * 2 ** (n - 1), this.opts.maxBackoffMs ?? 60_000);
    this.spawner.failed?.(key, why, wait);
    this.schedule(key, wait, true);
  }

  private schedule(key: SpareKey, ms: number, replace = false): void {
    const s = spareKeyString(key);
    if (this.closed) return;
    const pending = this.timers.get(s);
    if (pending !== undefined) {
      if (!replace) return;
      this.clock.clearTimeout(pending);
    }
    this.timers.set(
      s,
      this.clock.setTimeout(() => {
        this.timers.delete(s);
        this.fill(key);
      }, ms),
    );
  }

  private fill(key: SpareKey): void {
    if (this.closed) return;
    const s = spareKeyString(key);
    if (!this.wanted().some((k) => spareKeyString(k) === s)) return;
    const list = this.idle.get(s) ?? [];
    this.idle.set(s, list);
    while (list.length < this.perKey && this.count() < this.opts.maxTotal) {
      let spare: S;
      try {
        spare = this.spawner.spawn(key);
      } catch (err) {
        this.fail(key, err instanceof Error ? err.message : String(err));
        return;
      }
      list.push(spare);
    }
  }

  /** Spares of keys that fell out of the wanted ones are killed (their memory goes to new keys); gives the keys kept. */
  private evictUnwanted(): Set<string> {
    const keep = new Set(this.wanted().map(spareKeyString));
    this.recent = this.recent.filter((k) => keep.has(spareKeyString(k)));
    for (const [s, list] of this.idle) {
      if (keep.has(s)) continue;
      this.idle.delete(s);
      const t = this.timers.get(s);
      if (t !== undefined) this.clock.clearTimeout(t);
      this.timers.delete(s);
      for (const spare of list) this.spawner.kill(spare);
    }
    return keep;
  }
}
