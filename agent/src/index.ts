export type { InvokeContext, InvokeErrorKind, InvokeResult, Invoker } from './invoker.js';
