// Step Functions' Amazon States Language, interpreted (docs/step-functions.md): checking a
// definition and running one execution of it. Pure: the caller runs the tasks and keeps the time.
export { StatesError } from './errors.js';
export { checkDefinition } from './definition.js';
export type { Catcher, Definition, QueryLanguage, Retrier, State, StateMachineDefinition, StateType } from './definition.js';
export { DEFAULT_LIMITS, runStateMachine } from './interpreter.js';
export type { ContextObject, ExecutionEnv, ExecutionLimits, ExecutionOutcome, HistoryEvent, TaskCall } from './interpreter.js';
export { parseTaskResource, SDK_SERVICE_NAMES, tasksOf } from './resources.js';
export type { TaskPattern, TaskResource } from './resources.js';
