// The thread side of the worker-backed DeploySteps (worker-steps.ts): runs the real steps
// (steps.ts) off the serving loop and answers one call at a time. See docs/apply.md
// "Off the serving loop".
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createDeploySteps, loadDockerImageBuilder, type StepsOptions } from './steps.js';
import { TerminalError } from './types.js';

/** What crosses the thread boundary: plain data only (StepsOptions minus its functions). */
export type WorkerStepsData = Omit<StepsOptions, 'buildImages' | 'log'>;

export type StepName = 'inspect' | 'generate' | 'describeArtifact' | 'buildImages' | 'apply' | 'provision';

export interface CallMessage {
  id: number;
  step: StepName;
  args: unknown[];
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set for a TerminalError. */
  reason?: string;
}

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'log'; level: 'info' | 'warn'; message: string }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

function serializeError(err: unknown): SerializedError {
  if (err instanceof TerminalError) return { name: err.name, message: err.message, stack: err.stack, reason: err.reason };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

/** The deploy thread's nice value: on a busy machine the serving loop gets the CPU first. */
export const DEPLOY_THREAD_NICE = 10;

if (parentPort) {
  const port = parentPort;
  const data = workerData as WorkerStepsData;
  // On Linux a nice value belongs to a thread: this lowers the deploy thread only, not the process.
  try {
    setPriority(DEPLOY_THREAD_NICE);
  } catch {
    /* not permitted or not supported: the thread runs at the process's priority */
  }
  const steps = createDeploySteps({
    ...data,
    log: { info: (message) => port.postMessage({ kind: 'log', level: 'info', message }), warn: (message) => port.postMessage({ kind: 'log', level: 'warn', message }) },
    buildImages: data.runtime === 'docker' ? await loadDockerImageBuilder() : undefined,
  });
  // Cancellation terminates the thread (worker-steps.ts), so a signal here never aborts.
  const never = new AbortController().signal;
  port.on('message', (call: CallMessage) => {
    const run = async () => {
      switch (call.step) {
        case 'inspect':
          return steps.inspect(call.args[0] as Parameters<typeof steps.inspect>[0]);
        case 'generate':
          return steps.generate(call.args[0] as Parameters<typeof steps.generate>[0]);
        case 'describeArtifact':
          return steps.describeArtifact(call.args[0] as string);
        case 'buildImages':
          return steps.buildImages(call.args[0] as string, never);
        case 'apply':
          return steps.apply(call.args[0] as Parameters<typeof steps.apply>[0]);
        case 'provision':
          return steps.provision(call.args[0] as Parameters<typeof steps.provision>[0], never);
      }
    };
    run().then(
      (value) => port.postMessage({ kind: 'result', id: call.id, value } satisfies WorkerMessage),
      (err: unknown) => port.postMessage({ kind: 'error', id: call.id, error: serializeError(err) } satisfies WorkerMessage),
    );
  });
  port.postMessage({ kind: 'ready' } satisfies WorkerMessage);
}
