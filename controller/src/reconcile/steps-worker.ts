// The thread side of the worker-backed DeploySteps (worker-steps.ts): runs the real steps
// (steps.ts) off the serving loop, one call at a time; the callbacks of the steps are messages
// to the parent (worker-protocol.ts). See docs/apply.md "Off the serving loop".
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { FunctionsFile } from '@esb/contracts';
import { createDeploySteps, loadDockerImageBuilder } from './steps.js';
import { deserializeError, serializeError, type CallbackName, type ParentMessage, type ThreadMessage, type WorkerStepsData } from './worker-protocol.js';

/** The deploy thread's nice value: on a busy machine the serving loop gets the CPU first. */
export const DEPLOY_THREAD_NICE = 10;

if (parentPort) {
  const port = parentPort;
  const data = workerData as WorkerStepsData;
  const send = (msg: ThreadMessage) => port.postMessage(msg);
  // On Linux a nice value belongs to a thread: this lowers the deploy thread only, not the process.
  try {
    setPriority(DEPLOY_THREAD_NICE);
  } catch {
    /* not permitted or not supported: the thread runs at the process's priority */
  }

  let nextCid = 1;
  const callbacks = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  const callback = <T>(id: number, name: CallbackName, args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const cid = nextCid++;
      callbacks.set(cid, { resolve: resolve as (v: unknown) => void, reject });
      send({ kind: 'callback', cid, id, name, args });
    });

  // The call in progress (the parent sends one at a time), for processRuntimeNotes' callback.
  let currentId = 0;
  const steps = createDeploySteps({
    ...data,
    log: { info: (message) => send({ kind: 'log', level: 'info', message }), warn: (message) => send({ kind: 'log', level: 'warn', message }) },
    buildImages: data.runtime === 'docker' ? await loadDockerImageBuilder() : undefined,
    processRuntimeNotes: data.processRuntimeNotes ? (functions: FunctionsFile['functions']) => callback<string[]>(currentId, 'processRuntimeNotes', [functions]) : undefined,
    onConfigWritten: data.configWritten ? (configDir: string) => send({ kind: 'config-written', configDir }) : undefined,
  });

  const aborts = new Map<number, AbortController>();
  const run = (id: number, step: ParentMessage & { kind: 'call' }): Promise<unknown> => {
    const abort = new AbortController();
    aborts.set(id, abort);
    const [input] = step.args as [never];
    switch (step.step) {
      case 'inspect':
        return steps.inspect(input);
      case 'generate': {
        const { hasProgress, ...rest } = step.args[0] as Parameters<typeof steps.generate>[0] & { hasProgress?: boolean };
        return steps.generate({ ...rest, signal: abort.signal, ...(hasProgress ? { progress: (message: string) => callback<void>(id, 'progress', [message]) } : {}) });
      }
      case 'describeArtifact':
        return steps.describeArtifact(input);
      case 'verify':
        return steps.verify!(input);
      case 'buildImages':
        return steps.buildImages(input, abort.signal);
      case 'apply':
        return steps.apply(input);
      case 'provision':
        return steps.provision(input, abort.signal);
    }
  };

  port.on('message', (msg: ParentMessage) => {
    if (msg.kind === 'abort') return void aborts.get(msg.id)?.abort(new Error('aborted'));
    if (msg.kind === 'callback-result') {
      const waiting = callbacks.get(msg.cid);
      callbacks.delete(msg.cid);
      if (msg.error) waiting?.reject(deserializeError(msg.error));
      else waiting?.resolve(msg.value);
      return;
    }
    currentId = msg.id;
    run(msg.id, msg)
      .then(
        (value) => send({ kind: 'result', id: msg.id, value }),
        (err: unknown) => send({ kind: 'error', id: msg.id, error: serializeError(err) }),
      )
      .finally(() => aborts.delete(msg.id));
  });
  send({ kind: 'ready' });
}
