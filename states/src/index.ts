// Step Functions' Amazon States Language, interpreted (docs/step-functions.md): checking a
// definition and running one execution of it. Pure: the caller runs the tasks and keeps the time.
export { StatesError } from './errors.js';
export { checkDefinition, MAX_DEFINITION_BYTES } from './definition.js';
export type { Catcher, Definition, QueryLanguage, Retrier, State, StateMachineDefinition, StateType } from './definition.js';
export { runStateMachine } from './interpreter.js';
export type { ContextObject, ExecutionEnv, ExecutionLimits, ExecutionOutcome, HistoryEvent, Redrive, TaskCall } from './interpreter.js';
export { redrivePoint, type RedrivePoint } from './redrive.js';
export { parseTaskResource, tasksOf } from './resources.js';
export type { TaskPattern, TaskResource } from './resources.js';
