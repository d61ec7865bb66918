// The file backend's Source: chokidar on the manifests folder enqueues the keys a changed file
// holds (before and after the change), and a PathWatcher on every template and code folder the
// reconciler reported enqueues their owners: code hot reload without any command.
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
  log?: { warn(msg: string): void };
}

export class FileSource implements Source {
  private manifests?: FSWatcher;
  private readonly inputs: PathWatcher;

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
  }

  /** Replaces the set of paths watched on behalf of one Deployment. */
  watchPaths(request: Request, paths: string[]): void {
    this.inputs.watchPaths(request, paths);
  }

  async stop(): Promise<void> {
    await Promise.all([this.manifests?.close(), this.inputs.stop()]);
  }
}

export type { ManifestEntry };
