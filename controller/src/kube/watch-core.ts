// The list/watch state machine of the kube Source, as a pure function: an input (a list
// result, a watch event, a closed watch, a timer) and the current state go in; the next
// state, the keys to enqueue and what to do next (list, watch from a resourceVersion, after
// a delay) come out. The adapter (source.ts) only performs those actions. This is where
// 410 Gone, dropped watches and backoff live, because the real server cannot produce them on
// demand in a test.
//
// Level-based, like client-go's reflector + informer: every object seen (listed, added,
// modified, deleted) enqueues its key; a relist enqueues the keys of objects that vanished
// while no watch was open (their deletion was never seen); a resync enqueues every known key.
// Except: a MODIFIED event whose metadata.generation did not move changed only status or
// metadata (controller-runtime's GenerationChangedPredicate): the controller's own status
// patches must not re-run a reconcile, or a failing one would loop instead of backing off.

export type Phase = 'idle' | 'listing' | 'watching' | 'waiting' | 'stopped';

export interface WatchState {
  readonly phase: Phase;
  /** Last resourceVersion seen (list or event); the watch resumes from it. */
  readonly resourceVersion?: string;
  /** Keys of the objects that currently exist, as far as we know. */
  readonly known: ReadonlySet<string>;
  /** Consecutive failures, for the backoff. Reset by a successful list or a watch event. */
  readonly failures: number;
  /** Events received on the current watch (a watch that closes having seen none backs off). */
  readonly eventsOnWatch: number;
  /** metadata.generation last seen per key (for the generation-changed filter). */
  readonly generations?: ReadonlyMap<string, number>;
}

export interface ObjectRef {
  namespace: string;
  name: string;
  resourceVersion?: string;
  generation?: number;
}

export type WatchInput =
  | { type: 'start' }
  | { type: 'listed'; items: readonly ObjectRef[]; resourceVersion: string }
  /** `retryAfterMs`: the server's Retry-After (429, 503), honoured instead of the backoff. */
  | { type: 'listFailed'; status?: number; error: unknown; retryAfterMs?: number }
  | { type: 'event'; eventType: 'ADDED' | 'MODIFIED' | 'DELETED'; object: ObjectRef }
  | { type: 'bookmark'; resourceVersion: string }
  /** A watch ERROR event (a metav1.Status), e.g. 410 Expired/Gone. */
  | { type: 'watchError'; status?: number; message?: string }
  /** The watch ended: by the server (error undefined), or failed (error and maybe an HTTP status). */
  | { type: 'watchClosed'; error?: unknown; status?: number; retryAfterMs?: number }
  /** The watchdog: nothing (not even the server's timeout close) arrived in time: half-open connection. */
  | { type: 'watchStalled'; silentMs: number }
  | { type: 'resync' }
  | { type: 'stop' };

export type WatchAction =
  | { kind: 'list'; afterMs: number }
  | { kind: 'watch'; resourceVersion: string; afterMs: number }
  /** Close the open watch (the adapter then does what the action after it says). */
  | { kind: 'closeWatch' }
  | { kind: 'report'; level: 'warn' | 'info'; message: string; error?: unknown };

export interface Step {
  state: WatchState;
  enqueue: string[];
  actions: WatchAction[];
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

// Capped at 5 s: a controller has one list/watch, and an API server back after an outage
// should see it again within seconds (a Retry-After from the server wins).
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 5_000 };

export function initialWatchState(): WatchState {
  return { phase: 'idle', known: new Set(), failures: 0, eventsOnWatch: 0 };
}

export function keyOfRef(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

/** Delay before retry number `failures` (1-based): initial * 2^(failures-1), capped. */
export function backoffMs(failures: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  if (failures <= 0) return 0;
  return Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(failures - 1, 30));
}

/** The delay before the next attempt: the server's Retry-After when it sent one, else the backoff. */
function retryDelay(failures: number, opts: BackoffOptions, retryAfterMs: number | undefined): number {
  return retryAfterMs !== undefined && retryAfterMs >= 0 ? retryAfterMs : backoffMs(failures, opts);
}

function generationsOf(items: readonly ObjectRef[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) if (item.generation !== undefined) out.set(keyOfRef(item), item.generation);
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function step(state: WatchState, input: WatchInput, opts: BackoffOptions = DEFAULT_BACKOFF): Step {
  const none = (next: WatchState, actions: WatchAction[] = []): Step => ({ state: next, enqueue: [], actions });
  if (state.phase === 'stopped') return none(state);

  switch (input.type) {
    case 'start':
      if (state.phase !== 'idle') return none(state);
      return none({ ...state, phase: 'listing' }, [{ kind: 'list', afterMs: 0 }]);

    case 'listed': {
      if (state.phase !== 'listing') return none(state);
      const known = new Set(input.items.map(keyOfRef));
      // Everything listed is enqueued (level-based), and so is what vanished since the last
      // list: its DELETED event was lost with the watch.
      const enqueue = [...known];
      for (const key of state.known) if (!known.has(key)) enqueue.push(key);
      return {
        state: { phase: 'watching', resourceVersion: input.resourceVersion, known, failures: 0, eventsOnWatch: 0, generations: generationsOf(input.items) },
        enqueue,
        actions: [{ kind: 'watch', resourceVersion: input.resourceVersion, afterMs: 0 }],
      };
    }

    case 'listFailed': {
      if (state.phase !== 'listing') return none(state);
      const failures = state.failures + 1;
      const afterMs = retryDelay(failures, opts, input.retryAfterMs);
      const why = input.retryAfterMs !== undefined ? ' (Retry-After)' : '';
      return none({ ...state, failures }, [
        { kind: 'report', level: 'warn', message: `list failed (${input.status ?? 'no status'}): ${describe(input.error)}; retrying in ${afterMs} ms${why}`, error: input.error },
        { kind: 'list', afterMs },
      ]);
    }

    case 'event': {
      if (state.phase !== 'watching') return none(state);
      const key = keyOfRef(input.object);
      const known = new Set(state.known);
      const generations = new Map(state.generations ?? []);
      const seenGeneration = generations.get(key);
      if (input.eventType === 'DELETED') {
        known.delete(key);
        generations.delete(key);
      } else {
        known.add(key);
        if (input.object.generation !== undefined) generations.set(key, input.object.generation);
      }
      // Status or metadata only (generation unchanged): nothing the reconciler acts on.
      const statusOnly = input.eventType === 'MODIFIED' && state.known.has(key) && input.object.generation !== undefined && seenGeneration === input.object.generation;
      return {
        state: {
          ...state,
          known,
          generations,
          resourceVersion: input.object.resourceVersion ?? state.resourceVersion,
          failures: 0,
          eventsOnWatch: state.eventsOnWatch + 1,
        },
        enqueue: statusOnly ? [] : [key],
        actions: [],
      };
    }

    case 'bookmark':
      if (state.phase !== 'watching') return none(state);
      return none({ ...state, resourceVersion: input.resourceVersion, failures: 0, eventsOnWatch: state.eventsOnWatch + 1 });

    case 'watchError': {
      if (state.phase !== 'watching') return none(state);
      if (input.status === 410) {
        // Our resourceVersion was compacted away: only a fresh list can resync us.
        return none({ ...state, phase: 'listing', resourceVersion: undefined }, [
          { kind: 'report', level: 'info', message: `watch expired (410 Gone${input.message ? `: ${input.message}` : ''}); relisting` },
          { kind: 'closeWatch' },
          { kind: 'list', afterMs: 0 },
        ]);
      }
      const failures = state.failures + 1;
      const afterMs = backoffMs(failures, opts);
      return none({ ...state, phase: 'waiting', failures }, [
        { kind: 'report', level: 'warn', message: `watch error (${input.status ?? 'no status'}): ${input.message ?? 'unknown'}; rewatching in ${afterMs} ms` },
        { kind: 'closeWatch' },
        rewatchOrList(state, afterMs),
      ]);
    }

    case 'watchClosed': {
      // A close after we already decided to relist/rewatch (closeWatch) is expected: ignore.
      if (state.phase !== 'watching') return none(state);
      if (input.status === 410) {
        return none({ ...state, phase: 'listing', resourceVersion: undefined }, [
          { kind: 'report', level: 'info', message: 'watch refused with 410 Gone; relisting' },
          { kind: 'list', afterMs: 0 },
        ]);
      }
      if (input.error === undefined && state.eventsOnWatch > 0) {
        // The server ended a healthy watch (its timeout): resume at once.
        return none({ ...state, eventsOnWatch: 0 }, [rewatchOrList(state, 0)]);
      }
      const failures = state.failures + 1;
      const afterMs = retryDelay(failures, opts, input.retryAfterMs);
      return none({ ...state, phase: 'waiting', failures, eventsOnWatch: 0 }, [
        {
          kind: 'report',
          level: input.error === undefined ? 'info' : 'warn',
          message: `watch ${input.error === undefined ? 'closed' : `failed: ${describe(input.error)}`}; rewatching in ${afterMs} ms`,
          error: input.error,
        },
        rewatchOrList(state, afterMs),
      ]);
    }

    case 'watchStalled': {
      if (state.phase !== 'watching') return none(state);
      const failures = state.failures + 1;
      const afterMs = backoffMs(failures, opts);
      return none({ ...state, phase: 'waiting', failures, eventsOnWatch: 0 }, [
        { kind: 'report', level: 'warn', message: `watch silent for ${input.silentMs} ms (past its timeout): closing it as dead; rewatching in ${afterMs} ms` },
        { kind: 'closeWatch' },
        rewatchOrList(state, afterMs),
      ]);
    }

    case 'resync':
      return { state, enqueue: [...state.known], actions: [] };

    case 'stop':
      return none({ ...state, phase: 'stopped' }, [{ kind: 'closeWatch' }]);
  }
}

function rewatchOrList(state: WatchState, afterMs: number): WatchAction {
  return state.resourceVersion !== undefined
    ? { kind: 'watch', resourceVersion: state.resourceVersion, afterMs }
    : { kind: 'list', afterMs };
}

/**
 * The adapter reports that a delayed action is now being performed: `waiting` becomes
 * `watching` (a watch is being opened) or `listing`.
 */
export function began(state: WatchState, action: WatchAction): WatchState {
  if (state.phase === 'stopped') return state;
  if (action.kind === 'watch') return { ...state, phase: 'watching', eventsOnWatch: 0 };
  if (action.kind === 'list') return { ...state, phase: 'listing' };
  return state;
}
