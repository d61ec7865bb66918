// The kube backend's Source: list + watch of deployments.esb.dev, enqueueing keys only. All
// decisions (resume from resourceVersion, relist on 410 Gone, reconnect with backoff, periodic
// resync) are made by the pure state machine in watch-core.ts; this adapter performs its
// actions with client-node and injected timers.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Request, Source } from '../reconcile/types.js';
import { GROUP, loadKubeConfig, PLURAL, statusOf, VERSION, type KubeConnectionOptions } from './config.js';
import { began, DEFAULT_BACKOFF, initialWatchState, step, type BackoffOptions, type ObjectRef, type WatchAction, type WatchInput, type WatchState } from './watch-core.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface KubeSourceOptions extends KubeConnectionOptions {
  /** Namespace to watch; undefined = all namespaces. */
  namespace?: string;
  /** Enqueue every known key this often (ms). Default 10 minutes; 0 turns resync off. */
  resyncMs?: number;
  backoff?: BackoffOptions;
  timers?: Timers;
  /** Where watch problems are reported (the state machine's `report` actions). */
  onLog?(level: 'warn' | 'info', message: string, error?: unknown): void;
}

export const DEFAULT_RESYNC_MS = 10 * 60_000;

interface RawObject {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

function refOf(raw: RawObject): ObjectRef | undefined {
  const m = raw?.metadata;
  if (!m?.name || !m.namespace) return undefined;
  return { namespace: m.namespace, name: m.name, resourceVersion: m.resourceVersion };
}

function requestOf(key: string): Request {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class KubeSource implements Source {
  private readonly objects: CustomObjectsApi;
  private readonly watcher: Watch;
  private readonly timers: Timers;
  private readonly backoff: BackoffOptions;
  private state: WatchState = initialWatchState();
  private enqueue: ((request: Request) => void) | undefined;
  private readonly pending = new Set<unknown>();
  /** Incremented for every watch opened or closed: callbacks of older watches are dropped. */
  private watchGen = 0;
  private watchAbort: AbortController | undefined;
  private firstListSettled: (() => void) | undefined;

  constructor(
    private readonly options: KubeSourceOptions = {},
    kubeConfig: KubeConfig = loadKubeConfig(options),
  ) {
    this.objects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kubeConfig);
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** The state machine's current state (for diagnostics and tests). */
  get current(): WatchState {
    return this.state;
  }

  /** Resolves once the first list attempt has finished (succeeded or failed and is being retried). */
  async start(enqueue: (request: Request) => void): Promise<void> {
    if (this.enqueue) throw new Error('KubeSource already started');
    this.enqueue = enqueue;
    const settled = new Promise<void>((resolve) => (this.firstListSettled = resolve));
    this.scheduleResync();
    this.dispatch({ type: 'start' });
    await settled;
  }

  async stop(): Promise<void> {
    this.dispatch({ type: 'stop' });
    for (const handle of this.pending) this.timers.clearTimeout(handle);
    this.pending.clear();
    this.firstListSettled?.();
  }

  private later(fn: () => void, ms: number): void {
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.add(handle);
  }

  private scheduleResync(): void {
    const every = this.options.resyncMs ?? DEFAULT_RESYNC_MS;
    if (every <= 0) return;
    this.later(() => {
      if (this.state.phase === 'stopped') return;
      this.dispatch({ type: 'resync' });
      this.scheduleResync();
    }, every);
  }

  private dispatch(input: WatchInput): void {
    const out = step(this.state, input, this.backoff);
    this.state = out.state;
    for (const key of out.enqueue) this.enqueue?.(requestOf(key));
    for (const action of out.actions) this.perform(action);
  }

  private perform(action: WatchAction): void {
    switch (action.kind) {
      case 'report':
        this.options.onLog?.(action.level, `kube source: ${action.message}`, action.error);
        return;
      case 'closeWatch':
        this.watchGen++;
        this.watchAbort?.abort();
        this.watchAbort = undefined;
        return;
      case 'list':
      case 'watch': {
        const run = () => (action.kind === 'list' ? void this.list() : void this.watch(action.resourceVersion));
        if (action.afterMs <= 0) return run();
        this.later(() => {
          if (this.state.phase === 'stopped') return;
          this.state = began(this.state, action);
          run();
        }, action.afterMs);
        return;
      }
    }
  }

  private async list(): Promise<void> {
    const ns = this.options.namespace;
    let input: WatchInput;
    try {
      const res = (ns
        ? await this.objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns })
        : await this.objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as { items?: RawObject[]; metadata?: { resourceVersion?: string } };
      const items = (res.items ?? []).map(refOf).filter((r): r is ObjectRef => r !== undefined);
      input = { type: 'listed', items, resourceVersion: res.metadata?.resourceVersion ?? '' };
    } catch (error) {
      input = { type: 'listFailed', status: statusOf(error), error };
    }
    this.dispatch(input);
    this.firstListSettled?.();
    this.firstListSettled = undefined;
  }

  private async watch(resourceVersion: string): Promise<void> {
    const gen = ++this.watchGen;
    const ns = this.options.namespace;
    const path = ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const query = { resourceVersion: resourceVersion || undefined, allowWatchBookmarks: true };
    const onEvent = (phase: string, obj: unknown) => {
      if (gen !== this.watchGen) return;
      if (phase === 'ERROR') {
        const status = obj as { code?: number; message?: string };
        this.dispatch({ type: 'watchError', status: status?.code, message: status?.message });
      } else if (phase === 'BOOKMARK') {
        const rv = (obj as RawObject)?.metadata?.resourceVersion;
        if (rv) this.dispatch({ type: 'bookmark', resourceVersion: rv });
      } else if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
        const ref = refOf(obj as RawObject);
        if (ref) this.dispatch({ type: 'event', eventType: phase, object: ref });
      }
    };
    const onDone = (error: unknown) => {
      if (gen !== this.watchGen) return;
      this.watchAbort = undefined;
      this.dispatch({ type: 'watchClosed', error: error ?? undefined, status: statusOf(error) });
    };
    try {
      const abort = await this.watcher.watch(path, query, onEvent, onDone);
      if (gen === this.watchGen) this.watchAbort = abort;
      else abort.abort();
    } catch (error) {
      onDone(error);
    }
  }
}

export function createKubeSource(options: KubeSourceOptions = {}): KubeSource {
  return new KubeSource(options);
}
