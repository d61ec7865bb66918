// The file backend's Source: chokidar on the manifests folder enqueues the keys a changed file
// holds (before and after the change), and a PathWatcher on every template and code folder the
// reconciler reported enqueues their owners: code hot reload without any command. Every known
// key is also enqueued every `resyncMs` (as the kube backend's informer resync does), so that
// a CONFIG_DIR lost without a file event is still noticed (docs/kube.md "Self-heal").
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { PathWatcher } from '../reconcile/path-watcher.js';
import type { Request, Source } from '../reconcile/types.js';
import { isManifestFile, type ManifestEntry } from './manifests.js';
import type { FileStore } from './store.js';

export interface FileSourceOptions {
  store: FileStore;
  deploymentsDir: string;
  /** Poll instead of native events (network filesystems, some container mounts). */
  usePolling?: boolean;
  /** Enqueue every Deployment this often (ms); 0 turns resync off. Default 60 s. */
  resyncMs?: number;
  log?: { warn(msg: string): void };
}

export const FILE_RESYNC_MS = 60_000;

export class FileSource implements Source {
  private manifests?: FSWatcher;
  private readonly inputs: PathWatcher;
  private resync?: NodeJS.Timeout;

  constructor(private readonly options: FileSourceOptions) {
    this.inputs = new PathWatcher({ usePolling: options.usePolling, log: options.log });
  }

  async start(enqueue: (request: Request) => void): Promise<void> {
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
    await this.inputs.start(enqueue);
    await new Promise<void>((resolve) => this.manifests!.once('ready', () => resolve()));
    const every = this.options.resyncMs ?? FILE_RESYNC_MS;
    if (every > 0) {
      this.resync = setInterval(() => {
        for (const request of this.options.store.known()) enqueue(request);
      }, every);
      this.resync.unref();
    }
  }

  /** Replaces the set of paths watched on behalf of one Deployment. */
  watchPaths(request: Request, paths: string[], owned?: string[]): void {
    this.inputs.watchPaths(request, paths, owned);
  }

  async stop(): Promise<void> {
    clearInterval(this.resync);
    await Promise.all([this.manifests?.close(), this.inputs.stop()]);
  }
}

export type { ManifestEntry };
