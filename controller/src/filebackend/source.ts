// The file backend's Source: chokidar on the manifests folder enqueues the keys a changed file
// holds (before and after the change), and a second watcher on every template and code folder
// the reconciler reported enqueues their owners: code hot reload without any command.
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { keyOf, type Request, type Source } from '../reconcile/types.js';
import { isManifestFile, type ManifestEntry } from './manifests.js';
import type { FileStore } from './store.js';

export interface FileSourceOptions {
  store: FileStore;
  deploymentsDir: string;
  /** Poll instead of native events (network filesystems, some container mounts). */
  usePolling?: boolean;
  log?: { warn(msg: string): void };
}

export class FileSource implements Source {
  private manifests?: FSWatcher;
  private inputs?: FSWatcher;
  private enqueue: (request: Request) => void = () => {};
  /** Watched path -> keys of the Deployments that read it. */
  private readonly owners = new Map<string, Map<string, Request>>();

  constructor(private readonly options: FileSourceOptions) {}

  async start(enqueue: (request: Request) => void): Promise<void> {
    this.enqueue = enqueue;
    for (const request of await this.options.store.refreshAll()) enqueue(request);
    const onManifest = async (file: string) => {
      if (!isManifestFile(file)) return;
      for (const request of await this.options.store.refreshFile(path.resolve(file))) enqueue(request);
    };
    this.manifests = watch(this.options.deploymentsDir, {
      ignoreInitial: true,
      depth: 0,
      usePolling: this.options.usePolling,
      interval: 200,
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
    });
    this.manifests.on('add', onManifest).on('change', onManifest).on('unlink', onManifest);
    this.manifests.on('error', (err) => this.options.log?.warn(`watching ${this.options.deploymentsDir}: ${String(err)}`));
    this.inputs = watch([], {
      ignoreInitial: true,
      usePolling: this.options.usePolling,
      interval: 200,
      ignored: (p: string) => /(^|[/\\])(node_modules|\.git|__pycache__|\.esb)([/\\]|$)/.test(p),
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
    });
    const onInput = (changed: string) => this.enqueueOwners(path.resolve(changed));
    this.inputs.on('add', onInput).on('change', onInput).on('unlink', onInput).on('addDir', onInput).on('unlinkDir', onInput);
    await new Promise<void>((resolve) => this.manifests!.once('ready', () => resolve()));
  }

  /** Replaces the set of paths watched on behalf of one Deployment. */
  watchPaths(request: Request, paths: string[]): void {
    const key = keyOf(request);
    const wanted = new Set(paths.map((p) => path.resolve(p)));
    for (const [watched, owners] of this.owners) {
      if (!wanted.has(watched) && owners.delete(key) && owners.size === 0) {
        this.owners.delete(watched);
        this.inputs?.unwatch(watched);
      }
    }
    for (const p of wanted) {
      let owners = this.owners.get(p);
      if (!owners) {
        owners = new Map();
        this.owners.set(p, owners);
        this.inputs?.add(p);
      }
      owners.set(key, request);
    }
  }

  private enqueueOwners(changed: string): void {
    for (const [watched, owners] of this.owners) {
      if (changed === watched || changed.startsWith(watched + path.sep)) {
        for (const request of owners.values()) this.enqueue(request);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.manifests?.close(), this.inputs?.close()]);
  }
}

export type { ManifestEntry };
