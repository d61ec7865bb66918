// Watches a set of files in a config folder and hands their parsed contents to `onChange`
// whenever one of them changes. Generic: the gateway and the agent's standalone command use it
// with the runtime-file codecs (codec.ts).
//
// - fs.watch on the folder (immediate) plus an mtime+size+inode poll every `intervalMs` (the
//   fallback for file systems where events do not arrive: bind mounts, NFS, some containers).
// - Writers replace files by atomic rename; a file that fails to parse (a partial write by a
//   non-atomic writer) is retried with a short backoff; if it still fails, `onError` is called,
//   the previous value stays, and the file is tried again when it changes next.
// - A missing file is `undefined` in the parsed map; a file that disappears keeps its last value
//   (deploys never delete) and is reported once through `log.warn`.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readUntilValid } from './read-until-valid.js';
import { versionSignature } from './signature.js';

export interface WatchLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    super(`${file}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.name = 'ConfigFileError';
  }
}

export interface WatchConfigOptions<T = unknown> {
  configDir: string;
  /** File names inside configDir, e.g. ['functions.yml', 'routing.yml']. */
  files: readonly string[];
  /** Poll interval (ms). Callers enforce their own minimum (CONFIG_RELOAD_INTERVAL: 500 ms). */
  intervalMs: number;
  /** Parses one file's text; throws (or rejects) on bad content. Default: the text itself. */
  parse?: (file: string, text: string) => T | Promise<T>;
  /** Called with every file's current value (undefined = missing) and the names that changed. May be async; errors go to onError. */
  onChange(parsed: Record<string, T | undefined>, changed: string[]): void | Promise<void>;
  onError?(err: ConfigFileError): void;
  log?: WatchLogger;
  /** Use fs.watch in addition to polling (default true). */
  fsWatch?: boolean;
  /** Backoff (ms) between parse attempts of one change (default [25, 100, 250]). */
  retryDelaysMs?: readonly number[];
}

export interface ConfigWatcher {
  /** Resolves after the first read (onChange has been called once). */
  ready: Promise<void>;
  /** Checks all files now (what a poll tick does); resolves when done. */
  check(): Promise<void>;
  close(): void;
}

interface FileState {
  signature?: string;
  value?: unknown;
  present: boolean;
  warnedMissing?: boolean;
}

async function signatureOf(path: string): Promise<string | undefined> {
  try {
    return versionSignature(await stat(path, { bigint: true }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export function watchConfig<T = unknown>(opts: WatchConfigOptions<T>): ConfigWatcher {
  const parse = opts.parse ?? ((_f: string, text: string) => text as unknown as T);
  const delays = opts.retryDelaysMs ?? [25, 100, 250];
  const state = new Map<string, FileState>(opts.files.map((f) => [f, { present: false }]));
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;

  function readOne(file: string, sig: string): Promise<{ ok: true; value: T; sig: string } | { ok: false; err: unknown }> {
    const path = join(opts.configDir, file);
    let currentSig = sig;
    return readUntilValid(
      async (attempt) => {
        // A retry may read a newer version: it is remembered by that version's signature.
        if (attempt > 0) currentSig = (await signatureOf(path)) ?? currentSig;
        try {
          const text = await readFile(path, 'utf8');
          return { ok: true as const, value: await parse(file, text), sig: currentSig };
        } catch (err) {
          return { ok: false as const, err };
        }
      },
      (result) => result.ok,
      delays,
      () => closed,
    );
  }

  async function checkOnce(): Promise<void> {
    const changed: string[] = [];
    for (const file of opts.files) {
      const st = state.get(file)!;
      let sig: string | undefined;
      try {
        sig = await signatureOf(join(opts.configDir, file));
      } catch (cause) {
        opts.onError?.(new ConfigFileError(join(opts.configDir, file), { cause }));
        continue;
      }
      if (sig === undefined) {
        if (st.present && !st.warnedMissing) {
          opts.log?.warn({ file: join(opts.configDir, file) }, 'config file disappeared; keeping its last contents');
          st.warnedMissing = true;
        }
        continue;
      }
      if (sig === st.signature) continue;
      const res = await readOne(file, sig);
      if (closed) return;
      if (res.ok) {
        st.signature = res.sig;
        st.value = res.value;
        st.present = true;
        st.warnedMissing = false;
        changed.push(file);
      } else {
        // Remember the failing version so that it is not retried every tick; a new write retries.
        st.signature = sig;
        opts.onError?.(new ConfigFileError(join(opts.configDir, file), { cause: res.err }));
      }
    }
    if (changed.length === 0 && initialized) return;
    initialized = true;
    const parsed: Record<string, T | undefined> = {};
    for (const [file, st] of state) parsed[file] = st.present ? (st.value as T) : undefined;
    try {
      await opts.onChange(parsed, changed);
    } catch (cause) {
      opts.onError?.(new ConfigFileError(opts.configDir, { cause }));
    }
  }
  let initialized = false;

  // Serializes checks: a change seen while a check runs triggers exactly one more.
  function check(): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await checkOnce();
        } while (again && !closed);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  const ready = check();
  const tick = () => {
    void check().finally(() => {
      if (!closed) timer = setTimeout(tick, opts.intervalMs);
    });
  };
  void ready.finally(() => {
    if (!closed) timer = setTimeout(tick, opts.intervalMs);
  });

  if (opts.fsWatch !== false) {
    try {
      watcher = watch(opts.configDir, { persistent: false }, (_event, name) => {
        if (name && !opts.files.includes(String(name))) return;
        // Coalesce the burst of events one rename produces.
        if (debounce) return;
        debounce = setTimeout(() => {
          debounce = undefined;
          void check();
        }, 5);
      });
      watcher.on('error', (err) => {
        opts.log?.warn({ err, configDir: opts.configDir }, 'file watch failed; polling only');
        watcher?.close();
        watcher = undefined;
      });
    } catch (err) {
      opts.log?.info({ configDir: opts.configDir, reason: (err as Error).message }, 'cannot watch the config folder; polling only');
    }
  }

  return {
    ready,
    check,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (debounce) clearTimeout(debounce);
      watcher?.close();
    },
  };
}
