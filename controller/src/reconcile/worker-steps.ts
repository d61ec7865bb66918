// DeploySteps that run in worker threads, off the event loop that serves requests: the same
// steps as steps.ts (the thread side is steps-worker.ts), each call on a thread of its own with a
// capped heap. A template that exhausts the cap fails its own Deployment (reason OutOfMemory)
// and the process goes on serving. See docs/apply.md "Off the serving loop".
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ReasonError, workerEntry, type FunctionsFile } from '@esb/contracts';
import { LOCK_NAME, readLockHolder } from '@esb/deploy';
import type { DeploySteps } from './deployment-reconciler.js';
import type { StepsOptions } from './steps.js';
import { deserializeError, serializeError, type ParentMessage, type StepName, type ThreadMessage, type WorkerStepsData } from './worker-protocol.js';

/** Heap cap of one deploy worker (V8 old generation), MB: a 5,000-function template fits. */
export const DEFAULT_DEPLOY_MEMORY_MB = 1024;
/** Steps that run at once, one thread each (the machine's cores are shared with serving). */
export const DEFAULT_DEPLOY_WORKERS = 2;

export interface WorkerStepsOptions extends Omit<StepsOptions, 'buildImages'> {
  /** Heap cap of each worker (V8 old generation), MB. */
  memoryMb?: number;
  /** Steps that run at once (one worker each); more calls wait for a free worker. */
  maxWorkers?: number;
}

export interface WorkerDeploySteps extends Required<DeploySteps> {
  /** Stops every worker; calls in progress fail. */
  close(): Promise<void>;
}

/** A call that ended because its thread did (as opposed to an error the step threw). */
class WorkerGone extends Error {}

interface Call {
  id: number;
  step: StepName;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  progress?(message: string): Promise<void>;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  dead: boolean;
  /** Why the thread ended: its uncaught error (out of memory included). */
  failure?: Error & { code?: string };
  current?: Call;
}

export function createWorkerDeploySteps(options: WorkerStepsOptions): WorkerDeploySteps {
  const { memoryMb = DEFAULT_DEPLOY_MEMORY_MB, maxWorkers = DEFAULT_DEPLOY_WORKERS, log, processRuntimeNotes, onConfigWritten, ...plain } = options;
  const data: WorkerStepsData = { ...plain, processRuntimeNotes: processRuntimeNotes !== undefined, configWritten: onConfigWritten !== undefined };
  const entry = workerEntry(import.meta.url, 'steps-worker');
  const idle: Slot[] = [];
  const waiters: Array<{ resolve(slot: Slot): void; reject(err: unknown): void }> = [];
  const all = new Set<Slot>();
  let closed = false;
  let nextId = 1;

  /** Runs a callback the thread asked for and sends its result back. */
  const answer = async (slot: Slot, msg: ThreadMessage & { kind: 'callback' }) => {
    let reply: ParentMessage;
    try {
      let value: unknown;
      if (msg.name === 'progress') value = await slot.current?.progress?.(msg.args[0] as string);
      else value = await processRuntimeNotes?.(msg.args[0] as FunctionsFile['functions']);
      reply = { kind: 'callback-result', cid: msg.cid, value };
    } catch (err) {
      reply = { kind: 'callback-result', cid: msg.cid, error: serializeError(err) };
    }
    if (!slot.dead) slot.worker.postMessage(reply);
  };

  const spawn = (): Slot => {
    const worker = new Worker(entry.url, {
      argv: entry.argv,
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
      // Flags of the parent (a loader, a profiler) are not the thread's business.
      execArgv: [],
    });
    let started!: () => void;
    let failed!: (err: unknown) => void;
    const slot: Slot = { worker, dead: false, ready: new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject))) };
    slot.ready.catch(() => {});
    all.add(slot);
    worker.on('message', (msg: ThreadMessage) => {
      if (msg.kind === 'ready') started();
      else if (msg.kind === 'log') log?.[msg.level](msg.message);
      else if (msg.kind === 'config-written') onConfigWritten?.(msg.configDir);
      else if (msg.kind === 'callback') void answer(slot, msg);
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

  const endedError = (slot: Slot, code: number): Error => {
    const step = slot.current?.step ?? 'start';
    if (slot.failure?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new ReasonError(
        `${step}: out of memory: the deploy worker's heap is capped at ${memoryMb} MB (raise it with ESB_DEPLOY_MEMORY_MB or --deploy-memory-mb); the template is too big or expands too much (YAML aliases)`,
        'OutOfMemory',
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

  /**
   * Runs one step on a free thread. An abort is passed on to the thread (its builders and
   * storage calls stop as they do in-thread) and the call rejects with the signal's reason.
   */
  const call = async <T>(step: StepName, args: unknown[], signal?: AbortSignal, progress?: (message: string) => Promise<void>): Promise<T> => {
    signal?.throwIfAborted();
    const slot = await acquire();
    slot.worker.ref();
    const id = nextId++;
    let onAbort: (() => void) | undefined;
    try {
      await slot.ready;
      signal?.throwIfAborted();
      return await new Promise<T>((resolve, reject) => {
        slot.current = { id, step, resolve: resolve as (v: unknown) => void, reject, progress };
        onAbort = () => {
          if (!slot.dead) slot.worker.postMessage({ kind: 'abort', id } satisfies ParentMessage);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        slot.worker.postMessage({ kind: 'call', id, step, args } satisfies ParentMessage);
      });
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      // An aborted step may still be winding down in its thread: the slot is free when it answers.
      if (slot.current?.id === id) {
        const settle = () => release(slot);
        slot.current = { ...slot.current, resolve: settle, reject: settle };
      } else release(slot);
    }
  };

  // One apply per CONFIG_DIR at a time in this process: when a thread ends inside an apply, the
  // lock it held (this pid, so never stale to the lock's own check) is certainly its own to remove.
  const applying = new Map<string, Promise<unknown>>();
  const applySerialized = async (input: Parameters<DeploySteps['apply']>[0]) => {
    const key = path.resolve(input.configDir);
    const before = applying.get(key) ?? Promise.resolve();
    const run = before
      .catch(() => {})
      .then(async () => {
        try {
          return await call<Awaited<ReturnType<DeploySteps['apply']>>>('apply', [input]);
        } catch (err) {
          if (err instanceof WorkerGone || (err as { conditionReason?: string }).conditionReason === 'OutOfMemory') await removeOwnLock(key);
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
    generate: ({ progress, signal, ...input }) => call('generate', [{ ...input, hasProgress: progress !== undefined }], signal, progress),
    describeArtifact: (artifactPath) => call('describeArtifact', [artifactPath]),
    verify: (input) => call('verify', [input]),
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
