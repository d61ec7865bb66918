export type { InvokeContext, InvokeErrorKind, InvokeResult, Invoker } from './invoker.js';
export type { InstanceDriver, InstanceHandle, InstanceSpec } from './driver.js';
export { createAgent, AGENT_DEFAULTS, type Agent, type AgentOptions, type AgentStats, type FunctionStats } from './agent.js';
export { createProcessDriver } from './process-driver.js';
export { createAgentHttpServer, type AgentHttpServerOptions } from './http-server.js';
export { createHttpInvoker, type HttpInvoker } from './http-client.js';
export { parseSchedule, ScheduleParseError } from './schedule.js';
export { logFileName } from './logs.js';
export type { Clock } from './clock.js';
