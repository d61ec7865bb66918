// DeploySteps that run in worker threads, off the event loop that serves requests: the same
// steps as steps.ts (the thread side is steps-worker.ts), each call on a thread of its own with a
// capped heap. A template that exhausts the cap fails its own Deployment (reason OutOfMemory)
// and the process goes on serving; cancellation terminates the thread. See docs/apply.md
// "Off the serving loop".
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LOCK_NAME, readLockHolder } from '@esb/deploy';
import type { DeploySteps } from './deployment-reconciler.js';
import type { CallMessage, SerializedError, StepName, WorkerMessage, WorkerStepsData } from './steps-worker.js';
import { TerminalError } from './types.js';

/** Heap cap of one deploy worker (V8 old generation), MB: a 5,000-function template fits. */
export const DEFAULT_DEPLOY_MEMORY_MB = 1024;
/** Steps that run at once, one thread each (the machine's cores are shared with serving). */
export const DEFAULT_DEPLOY_WORKERS = 2;
/** The reason of a Deployment whose step ran out of the worker's heap. */
export const OUT_OF_MEMORY_REASON = 'OutOfMemory';

export interface WorkerStepsOptions extends WorkerStepsData {
  /** Heap cap of each worker (V8 old generation), MB. */
  memoryMb?: number;
  /** Steps that run at once (one worker each); more calls wait for a free worker. */
  maxWorkers?: number;
  log?: { info(msg: string): void; warn(msg: string): void };
  /** The worker's entry module; default steps-worker next to this file. */
  workerUrl?: URL;
}

export interface WorkerDeploySteps extends DeploySteps {
  /** Stops every worker; calls in progress fail. */
  close(): Promise<void>;
}

/** `ESB_DEPLOY_MEMORY_MB` (or a flag's value) as a heap cap; undefined when unset. */
export function parseDeployMemoryMb(value: string | undefined, source = 'ESB_DEPLOY_MEMORY_MB'): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const mb = Number(value);
  if (!Number.isInteger(mb) || mb < 16) throw new Error(`${source}: "${value}" is not a whole number of MB (at least 16)`);
  return mb;
}

/** Under tsx (sources run as TypeScript) a small JavaScript entry registers the loader in the thread first. */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('./steps-worker-entry.mjs', here) : new URL('./steps-worker.js', here);
}

/** A call that ended because its thread did (as opposed to an error the step threw). */
class WorkerGone extends Error {}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  dead: boolean;
  /** Why the thread ended: its uncaught error (out of memory included). */
  failure?: Error & { code?: string };
  /** Set when a caller's signal ended the thread. */
  abortReason?: unknown;
  current?: { id: number; step: StepName; resolve(value: unknown): void; reject(err: unknown): void };
}

function deserializeError(e: SerializedError): Error {
  const err = e.reason !== undefined ? new TerminalError(e.message, e.reason) : new Error(e.message);
  if (e.reason === undefined) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

export function createWorkerDeploySteps(options: WorkerStepsOptions): WorkerDeploySteps {
  const { memoryMb = DEFAULT_DEPLOY_MEMORY_MB, maxWorkers = DEFAULT_DEPLOY_WORKERS, log, workerUrl = defaultWorkerUrl(), ...data } = options;
  const idle: Slot[] = [];
  const waiters: Array<{ resolve(slot: Slot): void; reject(err: unknown): void }> = [];
  const all = new Set<Slot>();
  let closed = false;
  let nextId = 1;

  const spawn = (): Slot => {
    const worker = new Worker(workerUrl, {
      workerData: data satisfies WorkerStepsData,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
      // Flags of the parent (a loader, a profiler) are not the thread's business.
      execArgv: [],
    });
    let started!: () => void;
    let failed!: (err: unknown) => void;
    const slot: Slot = { worker, dead: false, ready: new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject))) };
    slot.ready.catch(() => {});
    all.add(slot);
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.kind === 'ready') started();
      else if (msg.kind === 'log') log?.[msg.level](msg.message);
      else if (slot.current && msg.id === slot.current.id) {
        const { resolve, reject } = slot.current;
        slot.current = undefined;
        if (msg.kind === 'result') resolve(msg.value);
        else reject(deserializeError(msg.error));
      }
    });
    worker.on('error', (err) => {
      slot.failure = err;
    });
    worker.on('exit', (code) => {
      slot.dead = true;
      all.delete(slot);
      const i = idle.indexOf(slot);
      if (i >= 0) idle.splice(i, 1);
      const err = endedError(slot, code);
      failed(err);
      if (slot.current) {
        const { reject } = slot.current;
        slot.current = undefined;
        reject(err);
      }
      // A waiter gets a fresh thread in place of the one that ended.
      const waiter = closed ? undefined : waiters.shift();
      if (waiter) waiter.resolve(spawn());
    });
    return slot;
  };

  const endedError = (slot: Slot, code: number): unknown => {
    const step = slot.current?.step ?? 'start';
    if (slot.abortReason !== undefined) return slot.abortReason;
    if (slot.failure?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new TerminalError(
        `${step}: out of memory: the deploy worker's heap is capped at ${memoryMb} MB (raise it with ESB_DEPLOY_MEMORY_MB or --deploy-memory-mb); the template is too big or expands too much (YAML aliases)`,
        OUT_OF_MEMORY_REASON,
        { cause: slot.failure },
      );
    }
    if (closed) return new WorkerGone(`${step}: stopped (esb is shutting down)`);
    return new WorkerGone(`${step}: the deploy worker ended: ${slot.failure ? slot.failure.message : `exit code ${code}`}`, { cause: slot.failure });
  };

  const acquire = (): Promise<Slot> => {
    if (closed) return Promise.reject(new WorkerGone('the deploy steps are closed'));
    const slot = idle.pop();
    if (slot) return Promise.resolve(slot);
    if (all.size < maxWorkers) return Promise.resolve(spawn());
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };

  const release = (slot: Slot) => {
    if (slot.dead) return;
    const waiter = waiters.shift();
    if (waiter) return waiter.resolve(slot);
    slot.worker.unref(); // an idle thread does not keep the process alive
    idle.push(slot);
  };

  const call = async <T>(step: StepName, args: unknown[], signal?: AbortSignal): Promise<T> => {
    signal?.throwIfAborted();
    const slot = await acquire();
    slot.worker.ref();
    const onAbort = () => {
      slot.abortReason = signal!.reason;
      void slot.worker.terminate();
    };
    try {
      await slot.ready;
      signal?.throwIfAborted();
      signal?.addEventListener('abort', onAbort, { once: true });
      return await new Promise<T>((resolve, reject) => {
        const id = nextId++;
        slot.current = { id, step, resolve: resolve as (v: unknown) => void, reject };
        slot.worker.postMessage({ id, step, args } satisfies CallMessage);
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      release(slot);
    }
  };

  // One apply per CONFIG_DIR at a time in this process: when a thread ends inside an apply, the
  // lock it held (this pid, so never stale to the lock's own check) is certainly its own to remove.
  const applying = new Map<string, Promise<unknown>>();
  const applySerialized = async (input: { artifactPath: string; configDir: string }) => {
    const key = path.resolve(input.configDir);
    const before = applying.get(key) ?? Promise.resolve();
    const run = before.catch(() => {}).then(async () => {
      try {
        return await call<{ message: string }>('apply', [input]);
      } catch (err) {
        if (err instanceof WorkerGone || (err instanceof TerminalError && err.reason === OUT_OF_MEMORY_REASON)) await removeOwnLock(key);
        throw err;
      }
    });
    applying.set(key, run);
    try {
      return await run;
    } finally {
      if (applying.get(key) === run) applying.delete(key);
    }
  };

  const removeOwnLock = async (configDir: string) => {
    const holder = await readLockHolder(configDir).catch(() => undefined);
    if (holder && holder.pid === process.pid && holder.host === hostname()) {
      await rm(path.join(configDir, LOCK_NAME), { force: true });
      log?.warn(`${configDir}: removed the deploy lock of an apply whose worker ended`);
    }
  };

  // One thread starts now, so the first deploy does not wait for its start-up.
  release(spawn());

  return {
    inspect: (input) => call('inspect', [input]),
    generate: (input) => call('generate', [input]),
    describeArtifact: (artifactPath) => call('describeArtifact', [artifactPath]),
    buildImages: (artifactPath, signal) => call('buildImages', [artifactPath], signal),
    apply: (input) => applySerialized(input),
    provision: (input, signal) => call('provision', [input], signal),
    async close() {
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.reject(new WorkerGone('stopped (esb is shutting down)'));
      await Promise.all([...all].map((slot) => slot.worker.terminate()));
    },
  };
}
