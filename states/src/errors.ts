// The errors of the Amazon States Language (docs/step-functions.md "The states"): a name and a cause,
// as Step Functions reports them in an execution's history, a Catch's error output and
// DescribeExecution.

/** An ASL error: Error and Cause as Step Functions reports them (States.TaskFailed, States.Timeout, a function's errorType, ...). */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause?: string,
  ) {
    super(cause === undefined ? error : `${error}: ${cause}`);
    this.name = 'StatesError';
  }
}

/** The error names Step Functions defines. */
export const States = {
  ALL: 'States.ALL',
  Runtime: 'States.Runtime',
  DataLimitExceeded: 'States.DataLimitExceeded',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  QueryEvaluationError: 'States.QueryEvaluationError',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  BranchFailed: 'States.BranchFailed',
} as const;

/**
 * Whether a Retrier's or Catcher's ErrorEquals names an error. States.Runtime is never matched: it
 * "isn't retriable, and will always cause the execution to fail". States.ALL matches every other
 * error but States.DataLimitExceeded, a terminal error Step Functions lets only a Catcher or
 * Retrier that names it take. States.TaskFailed matches every error but the timeouts (and those
 * two). States.Timeout also takes States.HeartbeatTimeout, a heartbeat being a Task's other timeout.
 */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  if (error === States.Runtime) return false;
  return errorEquals.some((name) => {
    if (name === error) return true;
    if (name === States.ALL) return error !== States.DataLimitExceeded;
    if (name === States.TaskFailed) return error !== States.DataLimitExceeded && error !== States.Timeout && error !== States.HeartbeatTimeout;
    if (name === States.Timeout) return error === States.HeartbeatTimeout;
    return false;
  });
}

/** A runner's failure as an ASL error: a StatesError as it is, anything else States.TaskFailed with its message as Cause. */
export function asStatesError(err: unknown): StatesError {
  if (err instanceof StatesError) return err;
  if (err instanceof Error) return new StatesError(States.TaskFailed, err.message);
  return new StatesError(States.TaskFailed, typeof err === 'string' ? err : JSON.stringify(err) ?? String(err));
}
