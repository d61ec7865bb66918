// The kube backend's Source: list + watch of deployments.esb.dev, enqueueing keys only. All
// decisions (resume from resourceVersion, relist on 410 Gone, reconnect with backoff, periodic
// resync) are made by the pure state machine in watch-core.ts; this adapter performs its
// actions with client-node and injected timers.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Request, Source } from '../reconcile/types.js';
import { conciseError, GROUP, loadKubeConfig, PLURAL, statusOf, VERSION, type KubeConnectionOptions } from './config.js';
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
  /**
   * The server ends each watch after this many seconds (`timeoutSeconds`); default a random
   * 300..600 s, so that many controllers do not rewatch at once.
   */
  watchTimeoutSeconds?: number;
  /** A watch silent for its timeout plus this long is a dead (half-open) connection. Default 30 s. */
  watchdogGraceMs?: number;
}

export const DEFAULT_RESYNC_MS = 10 * 60_000;

interface RawObject {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string; generation?: number };
}

function refOf(raw: RawObject): ObjectRef | undefined {
  const m = raw?.metadata;
  if (!m?.name || !m.namespace) return undefined;
  return { namespace: m.namespace, name: m.name, resourceVersion: m.resourceVersion, generation: typeof m.generation === 'number' ? m.generation : undefined };
}

/** Retry-After (seconds; an HTTP date is rare from an API server and ignored) in ms. */
export function retryAfterMs(headers: unknown): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const raw = (headers as Record<string, unknown>)['retry-after'] ?? (headers as Record<string, unknown>)['Retry-After'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 600) * 1000 : undefined;
}

/** A watch request the server refused (not 200), with what it said. */
export class WatchRefusedError extends Error {
  constructor(
    readonly statusCode: number,
    readonly retryAfterMs: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'WatchRefusedError';
  }
}

function requestOf(key: string): Request {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class KubeSource implements Source {
  private readonly objects: CustomObjectsApi;
  private readonly kubeConfig: KubeConfig;
  private readonly timers: Timers;
  private readonly backoff: BackoffOptions;
  private state: WatchState = initialWatchState();
  private enqueue: ((request: Request) => void) | undefined;
  private readonly pending = new Set<unknown>();
  /** Incremented for every watch opened or closed: callbacks of older watches are dropped. */
  private watchGen = 0;
  private watchAbort: AbortController | undefined;
  private watchdog: unknown;
  private firstListSettled: (() => void) | undefined;

  constructor(
    private readonly options: KubeSourceOptions = {},
    kubeConfig: KubeConfig = loadKubeConfig(options),
  ) {
    this.objects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.kubeConfig = kubeConfig;
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
        this.disarmWatchdog();
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
      input = { type: 'listFailed', status: statusOf(error), error: conciseError(error), retryAfterMs: retryAfterMs((error as { headers?: unknown })?.headers) };
    }
    this.dispatch(input);
    this.firstListSettled?.();
    this.firstListSettled = undefined;
  }

  private disarmWatchdog(): void {
    if (this.watchdog !== undefined) {
      this.timers.clearTimeout(this.watchdog);
      this.pending.delete(this.watchdog);
      this.watchdog = undefined;
    }
  }

  /** (Re)arms the watchdog of watch `gen`: silence past the watch's own timeout means a dead connection. */
  private armWatchdog(gen: number, silentMs: number): void {
    this.disarmWatchdog();
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(handle);
      if (this.watchdog === handle) this.watchdog = undefined;
      if (gen === this.watchGen) this.dispatch({ type: 'watchStalled', silentMs });
    }, silentMs);
    this.watchdog = handle;
    this.pending.add(handle);
  }

  private async watch(resourceVersion: string): Promise<void> {
    const gen = ++this.watchGen;
    const ns = this.options.namespace;
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? Math.round(300 * (1 + Math.random()));
    const silentMs = timeoutSeconds * 1000 + (this.options.watchdogGraceMs ?? 30_000);
    const url = new URL(this.kubeConfig.getCurrentCluster()!.server.replace(/\/$/, '') + (ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`));
    url.searchParams.set('watch', 'true');
    if (resourceVersion) url.searchParams.set('resourceVersion', resourceVersion);
    url.searchParams.set('allowWatchBookmarks', 'true');
    url.searchParams.set('timeoutSeconds', String(timeoutSeconds));
    const abort = new AbortController();
    this.watchAbort = abort;
    let done = false;
    const onDone = (error: unknown, retryAfter?: number) => {
      if (done) return;
      done = true;
      abort.abort();
      if (gen !== this.watchGen) return;
      this.watchAbort = undefined;
      this.disarmWatchdog();
      this.dispatch({ type: 'watchClosed', error: error ?? undefined, status: statusOf(error), retryAfterMs: retryAfter });
    };
    const onEvent = (phase: string, obj: unknown) => {
      if (gen !== this.watchGen) return;
      this.armWatchdog(gen, silentMs);
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
    this.armWatchdog(gen, silentMs);
    try {
      const opts: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(opts);
      if (gen !== this.watchGen) return;
      const request = (url.protocol === 'http:' ? http : https).request(url, { ...opts, method: 'GET' }, (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body = (body + c).slice(0, 4096)));
          res.on('end', () => {
            let message = http.STATUS_CODES[res.statusCode ?? 0] ?? 'error';
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message;
            } catch {
              /* not a Status */
            }
            const retryAfter = retryAfterMs(res.headers);
            onDone(new WatchRefusedError(res.statusCode ?? 0, retryAfter, `watch refused: ${res.statusCode} ${message}`), retryAfter);
          });
          res.on('error', (e) => onDone(e));
          return;
        }
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        lines.on('error', () => {}); // readline re-emits the response's errors, handled below
        lines.on('line', (line) => {
          if (!line.trim()) return;
          try {
            const data = JSON.parse(line) as { type: string; object: unknown };
            onEvent(data.type, data.object);
          } catch {
            /* a partial line of a dropped connection */
          }
        });
        res.on('error', (e) => onDone(e));
        res.on('close', () => onDone(res.complete ? undefined : new Error('watch connection lost')));
      });
      request.on('error', (e) => onDone(e));
      // Closing our side: the socket goes with it, and whatever the response still emits is ours to ignore.
      abort.signal.addEventListener('abort', () => request.destroy());
      request.end();
    } catch (error) {
      onDone(error);
    }
  }
}

export function createKubeSource(options: KubeSourceOptions = {}): KubeSource {
  return new KubeSource(options);
}
