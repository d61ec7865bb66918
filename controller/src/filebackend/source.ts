// The file backend's Source: chokidar on the manifests folder enqueues the keys a changed file
// holds (before and after the change), and a PathWatcher on every template and code folder the
// reconciler reported enqueues their owners: code hot reload without any command. Every known
// key is also enqueued every `resyncMs` (as the kube backend's informer resync does), so that
// a CONFIG_DIR lost without a file event is still noticed (docs/kube.md "Self-heal"), and the
// folder is listed again then, so that a manifest added or removed without an event is too.
//
// No stability wait on manifest events: esb (and most tools) replace a manifest by atomic rename,
// so the first event already sees the whole file. A writer that writes in place can be seen
// half-way: a file that then reads as invalid or empty is read again after short pauses before
// its keys are enqueued, so a partial write does not become a status (docs/apply.md).
// chokidar drops a file's change events for 50 ms after one, with no trailing event: each change
// is read once more after that window, so a second write within it is not lost.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { readUntilValid } from '@esb/contracts';
import { PathWatcher, type OwnWrite } from '../reconcile/path-watcher.js';
import { keyOf, type Request, type Source } from '../reconcile/types.js';
import { isManifestFile, type ManifestEntry } from './manifests.js';
import { listManifests, type FileStore } from './store.js';

export interface FileSourceOptions {
  store: FileStore;
  deploymentsDir: string;
  /** Poll instead of native events (network filesystems, some container mounts). */
  usePolling?: boolean;
  /** Enqueue every Deployment this often (ms); 0 turns resync off. Default 60 s. */
  resyncMs?: number;
  /** Pauses before a manifest that reads as invalid or empty is read again; default MANIFEST_SETTLE_MS. */
  settleMs?: readonly number[];
  log?: { warn(msg: string): void };
}

export const FILE_RESYNC_MS = 60_000;
/** Pauses before a manifest that reads as invalid or empty is read again (a write in progress). */
export const MANIFEST_SETTLE_MS: readonly number[] = [25, 75, 150];
/** chokidar's window after a change event in which the file's further change events are dropped, plus a margin. */
const CHANGE_QUIET_MS = 50 + 20;

/** What the source keeps of one manifest file while its events are handled. */
interface ManifestState {
  /** Number of the newest event: a read for an older one is superseded. */
  latest: number;
  /** The reads of this file's events, one after the other. */
  reads: Promise<void>;
  /** Keys seen by reads a newer event superseded (or that failed): enqueued by the next read that completes. */
  affected: Map<string, Request>;
}

export class FileSource implements Source {
  private manifests?: FSWatcher;
  private readonly inputs: PathWatcher;
  private resync?: NodeJS.Timeout;
  private readonly manifestStates = new Map<string, ManifestState>();
  /** Per file: the read due once chokidar's change window has passed. */
  private readonly trailingReads = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: FileSourceOptions) {
    this.inputs = new PathWatcher({ usePolling: options.usePolling, log: options.log });
  }

  async start(enqueue: (request: Request) => void): Promise<void> {
    for (const request of await this.options.store.refreshAll()) enqueue(request);
    // Events of one file are handled one after the other; a newer event cuts the pauses of an older one short.
    const onManifest = (changed: string) => {
      if (!isManifestFile(changed)) return;
      const file = path.resolve(changed);
      const state = this.manifestStates.get(file) ?? { latest: 0, reads: Promise.resolve(), affected: new Map() };
      this.manifestStates.set(file, state);
      const seq = ++state.latest;
      const run = state.reads.then(() => this.readManifest(file, state, seq, enqueue));
      const settled = run.catch((err) => this.options.log?.warn(`reading ${file}: ${String(err)}`));
      state.reads = settled;
      void settled.then(() => {
        // Kept while it holds keys a failed read left, for the file's next event.
        if (state.reads === settled && state.affected.size === 0) this.manifestStates.delete(file);
      });
    };
    this.manifests = watch(this.options.deploymentsDir, {
      ignoreInitial: true,
      depth: 0,
      usePolling: this.options.usePolling,
      interval: 200,
    });
    const onChange = (changed: string) => {
      onManifest(changed);
      clearTimeout(this.trailingReads.get(changed));
      const timer = setTimeout(() => {
        this.trailingReads.delete(changed);
        onManifest(changed);
      }, CHANGE_QUIET_MS);
      timer.unref();
      this.trailingReads.set(changed, timer);
    };
    this.manifests.on('add', onManifest).on('change', onChange).on('unlink', onManifest);
    this.manifests.on('error', (err) => this.options.log?.warn(`watching ${this.options.deploymentsDir}: ${String(err)}`));
    await this.inputs.start(enqueue);
    await new Promise<void>((resolve) => this.manifests!.once('ready', () => resolve()));
    const every = this.options.resyncMs ?? FILE_RESYNC_MS;
    if (every > 0) {
      this.resync = setInterval(() => {
        void this.relist(onManifest).finally(() => {
          for (const request of this.options.store.known()) enqueue(request);
        });
      }, every);
      this.resync.unref();
    }
  }

  /**
   * Reads one manifest after an event and enqueues the keys it held and holds. A file that still
   * exists but reads as invalid or empty may be a write in progress: it is read again after each
   * pause of `settleMs` until it reads well, and the keys are enqueued once, with what it says last.
   */
  private async readManifest(file: string, state: ManifestState, seq: number, enqueue: (request: Request) => void): Promise<void> {
    const { store } = this.options;
    const { affected } = state;
    const superseded = () => state.latest !== seq;
    const add = (requests: Request[]) => {
      for (const r of requests) affected.set(keyOf(r), r);
    };
    await readUntilValid(
      async () => add(await store.refreshFile(file)),
      async () => !(await unsettled(store, file)),
      this.options.settleMs ?? MANIFEST_SETTLE_MS,
      superseded,
    );
    if (superseded()) return;
    const requests = [...affected.values()];
    affected.clear();
    for (const request of requests) enqueue(request);
  }

  /**
   * A manifest added or removed without an event (a full inotify table, a mount that drops
   * events) is read as if the event had come, so a new Deployment is never waited for forever.
   */
  private async relist(onManifest: (file: string) => void): Promise<void> {
    const listed = new Set((await listManifests(this.options.deploymentsDir)).map((f) => path.resolve(f)));
    const declaring = new Set(this.options.store.declaringFiles().map((f) => path.resolve(f)));
    for (const file of listed) if (!declaring.has(file)) onManifest(file);
    for (const file of declaring) if (!listed.has(file)) onManifest(file);
  }

  /** CONFIG_DIR files esb has just written (see PathWatcher.noteOwnWrites). */
  noteOwnWrites(writes: readonly OwnWrite[]): void {
    this.inputs.noteOwnWrites(writes);
  }

  /** Replaces the set of paths watched on behalf of one Deployment. */
  watchPaths(request: Request, paths: string[], owned?: string[]): void {
    this.inputs.watchPaths(request, paths, owned);
  }

  async stop(): Promise<void> {
    clearInterval(this.resync);
    for (const timer of this.trailingReads.values()) clearTimeout(timer);
    this.trailingReads.clear();
    await Promise.all([this.manifests?.close(), this.inputs.stop()]);
  }
}

export type { ManifestEntry };

/** The file exists but declares no valid Deployment (yet): what a write in progress looks like. */
async function unsettled(store: FileStore, file: string): Promise<boolean> {
  const entries = store.entriesOf(file);
  if (entries.length > 0 && entries.every((e) => 'deployment' in e)) return false;
  return (await stat(file).catch(() => undefined)) !== undefined;
}
