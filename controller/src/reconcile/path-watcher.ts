// Code hot reload for any backend: the reconciler reports, per Deployment, the template and code
// paths it read (`onWatchPaths`); one chokidar watcher over all of them enqueues the owners of a
// changed path. The file backend's FileSource and the kube controller both use it.
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { keyOf, type Request, type Source } from './types.js';

export interface PathWatcherOptions {
  /** Poll instead of native events (network filesystems, some container mounts). */
  usePolling?: boolean;
  log?: { warn(msg: string): void };
}

/** Folders never watched inside a code folder. */
const IGNORED = /(^|[/\\])(node_modules|\.git|__pycache__|\.esb)([/\\]|$)/;

export class PathWatcher implements Source {
  private watcher?: FSWatcher;
  private enqueue: (request: Request) => void = () => {};
  /** Watched path -> keys of the Deployments that read it. */
  private readonly owners = new Map<string, Map<string, Request>>();

  constructor(private readonly options: PathWatcherOptions = {}) {}

  async start(enqueue: (request: Request) => void): Promise<void> {
    this.enqueue = enqueue;
    this.watcher = watch([...this.owners.keys()], {
      ignoreInitial: true,
      usePolling: this.options.usePolling,
      interval: 200,
      ignored: (p: string) => IGNORED.test(p),
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
    });
    const onChange = (changed: string) => this.enqueueOwners(path.resolve(changed));
    this.watcher.on('add', onChange).on('change', onChange).on('unlink', onChange).on('addDir', onChange).on('unlinkDir', onChange);
    this.watcher.on('error', (err) => this.options.log?.warn(`watching template and code paths: ${String(err)}`));
  }

  /** Replaces the set of paths watched on behalf of one Deployment. */
  watchPaths(request: Request, paths: string[]): void {
    const key = keyOf(request);
    const wanted = new Set(paths.map((p) => path.resolve(p)));
    for (const [watched, owners] of this.owners) {
      if (!wanted.has(watched) && owners.delete(key) && owners.size === 0) {
        this.owners.delete(watched);
        this.watcher?.unwatch(watched);
      }
    }
    for (const p of wanted) {
      let owners = this.owners.get(p);
      if (!owners) {
        owners = new Map();
        this.owners.set(p, owners);
        this.watcher?.add(p);
      }
      owners.set(key, request);
    }
  }

  /** Paths watched now (for tests and diagnostics). */
  watched(): string[] {
    return [...this.owners.keys()];
  }

  private enqueueOwners(changed: string): void {
    for (const [watched, owners] of this.owners) {
      if (changed === watched || changed.startsWith(watched + path.sep)) {
        for (const request of owners.values()) this.enqueue(request);
      }
    }
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}

export type WatchingSource = Source & { watchPaths(request: Request, paths: string[]): void };

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
    watchPaths: (request, paths) => watcher.watchPaths(request, paths),
  };
}
