// The messages between the worker-backed DeploySteps (worker-steps.ts) and its threads
// (steps-worker.ts). Only plain data crosses a thread: the callbacks DeploySteps takes (build
// progress, process runtime notes, the log) become messages, abort signals become messages, and
// errors are sent as data and rebuilt as the classes reasonOf reads, so a failure in a thread
// gets the reason and message it gets in-thread (docs/apply.md "Off the serving loop").
import { ContractError, ReasonError, YamlSyntaxError, type ContractIssue, type Reason } from '@esb/contracts';
import type { DeploySteps } from './deployment-reconciler.js';
import type { StepsOptions } from './steps.js';

/** The plain-data options of the steps a thread runs (StepsOptions without its functions). */
export type WorkerStepsData = Pick<StepsOptions, 'runtime' | 'dynamodbEndpoint' | 's3Endpoint' | 'sqsEndpoint' | 'region' | 'credentials' | 'secrets' | 'lambdaEndpoint' | 'lambdaCredentials' | 'responseS3Endpoint'> & {
  /** Whether the parent answers processRuntimeNotes callbacks. */
  processRuntimeNotes: boolean;
  /** Whether the parent wants to hear of runtime files written (no answer). */
  configWritten?: boolean;
};

export type StepName = keyof Required<DeploySteps>;

/** Callbacks a thread asks the parent to run (their results come back as a callback-result). */
export type CallbackName = 'progress' | 'processRuntimeNotes';

export type ParentMessage =
  | { kind: 'call'; id: number; step: StepName; args: unknown[] }
  | { kind: 'abort'; id: number }
  | { kind: 'callback-result'; cid: number; value?: unknown; error?: SerializedError };

export type ThreadMessage =
  | { kind: 'ready' }
  | { kind: 'log'; level: 'info' | 'warn'; message: string }
  | { kind: 'config-written'; configDir: string }
  | { kind: 'callback'; cid: number; id: number; name: CallbackName; args: unknown[] }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** The reason the error declares (ReasonError, BuildError, ...). */
  conditionReason?: string;
  /** errno code (EMFILE, EACCES, ...). */
  code?: string;
  /** A ContractError (InputLimitError included) or a YamlSyntaxError: bad input of the file being read. */
  contract?: { file: string; issues: ContractIssue[] };
  yaml?: { file: string; line: number; column: number };
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: SerializedError = { name: err.name, message: err.message, stack: err.stack };
  const declared = (err as { conditionReason?: unknown }).conditionReason;
  if (typeof declared === 'string') out.conditionReason = declared;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') out.code = code;
  if (err instanceof ContractError) out.contract = { file: err.file, issues: err.issues };
  if (err instanceof YamlSyntaxError) out.yaml = { file: err.file, line: err.line, column: err.column };
  return out;
}

/** The error as reasonOf and the status message see it in-thread: same class family, reason, message. */
export function deserializeError(e: SerializedError): Error {
  let err: Error;
  if (e.contract) err = new ContractError(e.contract.file, e.contract.issues);
  else if (e.yaml) err = new YamlSyntaxError(e.yaml.file, e.yaml.line, e.yaml.column, '');
  else if (e.conditionReason !== undefined) err = new ReasonError(e.message, e.conditionReason as Reason);
  else err = new Error(e.message);
  err.message = e.message;
  err.name = e.name;
  if (e.conditionReason !== undefined) Object.defineProperty(err, 'conditionReason', { value: e.conditionReason, enumerable: true });
  if (e.code !== undefined) Object.assign(err, { code: e.code });
  if (e.stack) err.stack = e.stack;
  return err;
}
