// The names of a Step Functions state machine and its executions in each form code meets them
// (docs/step-functions.md): a template's `!Ref Machine` is its ARN and `!GetAtt Machine.Name` its
// name; StartExecution takes the ARN and answers with an execution's ARN.
import { FORWARDED_APIS, type ApiAnswer, type ApiCall } from './api-calls.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

/** A state machine's or an execution's name as Step Functions takes it: 1-80 letters, digits, `-` and `_`. */
export const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** `arn:aws:states:<region>:<account>:stateMachine:<name>`: what a template's `!Ref Machine` gives. */
export function stateMachineArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
}

/** The state machine a state machine ARN names; undefined for anything else. */
export function stateMachineNameOf(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:states:[a-z0-9-]*:\d{12}:stateMachine:([^:]+)$/.exec(arn);
  return m && STATE_MACHINE_NAME.test(m[1]) ? m[1] : undefined;
}

/**
 * `arn:aws:states:<region>:<account>:execution:<machine>:<name>`; an Express machine's executions
 * are `express:<machine>:<name>:<id>`, as Step Functions names them.
 */
export function executionArn(machine: string, name: string, express?: { id: string }, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return express ? `arn:aws:states:${region}:${account}:express:${machine}:${name}:${express.id}` : `arn:aws:states:${region}:${account}:execution:${machine}:${name}`;
}

/** The machine and execution names an execution ARN carries; undefined for anything else. */
export function executionOfArn(arn: string): { machine: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:states:[a-z0-9-]*:\d{12}:(?:execution:([^:]+):([^:]+)|express:([^:]+):([^:]+):[^:]+)$/.exec(arn);
  if (!m) return undefined;
  return m[1] !== undefined ? { machine: m[1], name: m[2] } : { machine: m[3], name: m[4] };
}

/** A Step Functions API call (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<action>`) as the storage server hands it to the agent. */
export type StatesCall = ApiCall;

/** The answer to a StatesCall: the status and the JSON body Step Functions would send (`{__type, message}` for an error). */
export type StatesAnswer = ApiAnswer;

export const STATES_TARGET_PREFIX = FORWARDED_APIS.states.targetPrefix;
export const STATES_CONTENT_TYPE = FORWARDED_APIS.states.contentType;
