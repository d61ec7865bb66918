export { createConsole, CONSOLE_PREFIX, PUSH_DELAY_MS, type ConsoleOptions, type ConsoleSources, type ConsoleState, type EsbConsole } from './console.js';
export { decideAccess, isLoopbackAddress, isLoopbackHost } from './access.js';
export { InvocationCapture, type InvokerLike } from './capture.js';
export { Recorder, InvocationRing, LogRing, percentile, type InvocationView, type LogLineView, type RequestObserver } from './recorder.js';
export { createStorageBrowser, StorageQueryError, type StorageBrowser, type TableKey, type KeyQuery } from './storage.js';
export {
  deploymentView,
  errorLocation,
  latencyStats,
  functionInfos,
  routeInfos,
  type DeploymentView,
  type FunctionInfo,
  type FunctionView,
  type RouteInfo,
  type RouteView,
  type StoredDeploymentLike,
} from './views.js';
