// Code hot reload for any backend: the reconciler reports, per Deployment, the template and code
// paths it read and the CONFIG_DIR files it applied (`onWatchPaths`); watchers over all of them
// enqueue the owners of a changed path. The file backend's FileSource and the kube controller
// both use it. A path that does not exist yet (a template created later) is noticed through
// its nearest existing parent folder (docs/kube.md "Self-heal").
import { existsSync, watch as fsWatch, watchFile, unwatchFile, type FSWatcher as NodeWatcher } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { fileSignature, type OwnWrite } from './own-writes.js';
import { keyOf, type Request, type Source } from './types.js';

export type { OwnWrite };

export interface PathWatcherOptions {
  /** Poll instead of native events (network filesystems, some container mounts). */
  usePolling?: boolean;
  log?: { warn(msg: string): void };
}

/** Folders never watched inside a code folder. */
const IGNORED = /(^|[/\\])(node_modules|\.git|__pycache__|\.esb)([/\\]|$)/;

const isUnder = (p: string, root: string) => p === root || p.startsWith(root + path.sep);

/** Watches the nearest existing parent of a missing path until the path appears. */
class MissingPath {
  private parent?: string;
  private watcher?: NodeWatcher;
  private polled?: string;

  constructor(
    readonly target: string,
    private readonly onAppear: () => void,
    private readonly usePolling: boolean,
  ) {
    this.rearm();
  }

  private rearm(): void {
    if (existsSync(this.target)) {
      this.close();
      this.onAppear();
      return;
    }
    let parent = path.dirname(this.target);
    while (!existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
    if (parent === this.parent) return;
    this.close();
    this.parent = parent;
    const check = () => this.rearm();
    if (!this.usePolling) {
      try {
        this.watcher = fsWatch(parent, { persistent: false }, check);
        this.watcher.on('error', () => this.pollParent(check));
        return;
      } catch {
        // fall through to polling
      }
    }
    this.pollParent(check);
  }

  private pollParent(check: () => void): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (!this.parent || this.polled) return;
    this.polled = this.parent;
    watchFile(this.parent, { interval: 500, persistent: false }, check);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.polled) unwatchFile(this.polled);
    this.polled = undefined;
    this.parent = undefined;
  }
}

export class PathWatcher implements Source {
  /** Template and code paths (recursive, esb's own folders left out). */
  private code?: FSWatcher;
  /**
   * esb's own files (CONFIG_DIR's runtime files), through their folder and its parent, one
   * level deep: a watch on the files alone dies with their folder when it is moved away.
   */
  private files?: FSWatcher;
  private readonly fileDirs = new Set<string>();
  private started = false;
  private enqueue: (request: Request) => void = () => {};
  /** Watched path -> keys of the Deployments that read it. */
  private readonly owners = new Map<string, Map<string, Request>>();
  /** esb's own folders (manifests, CONFIG_DIR, artifacts): not code, never walked. */
  private readonly owned = new Set<string>();
  private readonly missing = new Map<string, MissingPath>();
  /** Signature of the version of each own file esb wrote last: events for it are not damage. */
  private readonly ownWrites = new Map<string, string>();

  constructor(private readonly options: PathWatcherOptions = {}) {}

  async start(enqueue: (request: Request) => void): Promise<void> {
    this.enqueue = enqueue;
    this.started = true;
    const common = { ignoreInitial: true, usePolling: this.options.usePolling, interval: 200, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } };
    this.code = watch(
      [...this.owners.keys()].filter((p) => !this.isOwnFile(p)),
      { ...common, ignored: (p: string) => IGNORED.test(p) || [...this.owned].some((root) => isUnder(path.resolve(p), root)) },
    );
    this.files = watch([], { ...common, depth: 0 });
    for (const p of this.owners.keys()) if (this.isOwnFile(p)) this.watchOwnFile(p);
    const onChange = (changed: string) => this.enqueueOwners(path.resolve(changed));
    // esb's own apply is not damage to CONFIG_DIR: the version it wrote enqueues no one.
    const onOwnFile = (changed: string) => {
      const file = path.resolve(changed);
      if (!this.isOwnWrite(file)) this.enqueueOwners(file);
    };
    for (const [w, handler] of [[this.code, onChange], [this.files, onOwnFile]] as const) {
      w.on('add', handler).on('change', handler).on('unlink', handler).on('addDir', handler).on('unlinkDir', handler);
      w.on('error', (err) => this.options.log?.warn(`watching template, code and CONFIG_DIR paths: ${String(err)}`));
    }
    // A folder of esb's own files that comes back (a new CONFIG_DIR) is watched afresh.
    this.files.on('addDir', (dir) => {
      const abs = path.resolve(dir);
      if (this.fileDirs.has(abs)) {
        this.files?.unwatch(abs);
        this.files?.add(abs);
      }
    });
    for (const p of this.owners.keys()) this.trackMissing(p);
  }

  /** Replaces the set of paths watched on behalf of one Deployment; `owned` are esb's own folders. */
  watchPaths(request: Request, paths: string[], owned: string[] = []): void {
    for (const root of owned) this.owned.add(path.resolve(root));
    const key = keyOf(request);
    const wanted = new Set(paths.map((p) => path.resolve(p)));
    for (const [watched, owners] of this.owners) {
      if (!wanted.has(watched) && owners.delete(key) && owners.size === 0) {
        this.owners.delete(watched);
        if (!this.isOwnFile(watched)) this.code?.unwatch(watched);
        this.missing.get(watched)?.close();
        this.missing.delete(watched);
      }
    }
    for (const p of wanted) {
      let owners = this.owners.get(p);
      if (!owners) {
        owners = new Map();
        this.owners.set(p, owners);
        if (this.isOwnFile(p)) this.watchOwnFile(p);
        else this.code?.add(p);
      }
      owners.set(key, request);
      if (this.started) this.trackMissing(p);
    }
  }

  /**
   * Files esb has just written itself (CONFIG_DIR's runtime files after an apply): while a file
   * is still that version, its events enqueue no one; any other version (another writer, a
   * removal) does (docs/kube.md "Self-heal").
   */
  noteOwnWrites(writes: readonly OwnWrite[]): void {
    for (const w of writes) this.ownWrites.set(path.resolve(w.path), w.signature);
  }

  private isOwnWrite(file: string): boolean {
    const mine = this.ownWrites.get(file);
    if (mine === undefined) return false;
    if (fileSignature(file) === mine) return true;
    this.ownWrites.delete(file);
    return false;
  }

  /** Paths watched now (for tests and diagnostics). */
  watched(): string[] {
    return [...this.owners.keys()];
  }

  /** A file esb writes itself (CONFIG_DIR), watched alone rather than as code. */
  private isOwnFile(p: string): boolean {
    return IGNORED.test(p) || [...this.owned].some((root) => isUnder(p, root));
  }

  private watchOwnFile(p: string): void {
    if (!this.files) return;
    for (const dir of [path.dirname(p), path.dirname(path.dirname(p))]) {
      if (this.fileDirs.has(dir)) continue;
      this.fileDirs.add(dir);
      this.files.add(dir);
    }
  }

  private trackMissing(p: string): void {
    if (this.missing.has(p) || existsSync(p)) return;
    this.missing.set(
      p,
      new MissingPath(
        p,
        () => {
          this.missing.delete(p);
          // chokidar may have given up on a path that did not exist: watch it afresh.
          if (!this.isOwnFile(p)) {
            this.code?.unwatch(p);
            this.code?.add(p);
          }
          this.enqueueOwners(p);
        },
        this.options.usePolling === true,
      ),
    );
  }

  private enqueueOwners(changed: string): void {
    for (const [watched, owners] of this.owners) {
      // The path, something inside it, or a folder holding it (moved away, recreated).
      if (isUnder(changed, watched) || isUnder(watched, changed)) {
        for (const request of owners.values()) this.enqueue(request);
        // A watched path that went away is looked for again from its parent.
        if (changed === watched && this.started && !existsSync(watched)) this.trackMissing(watched);
      }
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const m of this.missing.values()) m.close();
    this.missing.clear();
    await Promise.all([this.code?.close(), this.files?.close()]);
    this.code = undefined;
    this.files = undefined;
    this.fileDirs.clear();
    this.ownWrites.clear();
  }
}

export type WatchingSource = Source & { watchPaths(request: Request, paths: string[], owned?: string[]): void; noteOwnWrites(writes: readonly OwnWrite[]): void };

/**
 * A Source that also hot-reloads code: `source` enqueues on resource changes, `watcher` on
 * template and code changes. The watcher starts first so paths reported by the first
 * reconciles (triggered by the source's initial list) are watched.
 */
export function withPathWatcher(source: Source, watcher: PathWatcher): WatchingSource {
  return {
    async start(enqueue) {
      await watcher.start(enqueue);
      try {
        await source.start(enqueue);
      } catch (err) {
        await watcher.stop();
        throw err;
      }
    },
    async stop() {
      await Promise.all([source.stop(), watcher.stop()]);
    },
    watchPaths: (request, paths, owned) => watcher.watchPaths(request, paths, owned),
    noteOwnWrites: (writes) => watcher.noteOwnWrites(writes),
  };
}
