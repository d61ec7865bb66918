// The agent's interface to the gateway (and to the Lambda Invoke API): invoke a function by
// name. In-process when embedded (`esb dev`), over HTTP when the agent is a separate service
// (compose). The gateway depends on this interface only.

export interface InvokeContext {
  /** The request id the caller chose (the gateway's x-amzn-RequestId); generated if absent. */
  requestId?: string;
  /** X-Amzn-Trace-Id, passed to the function as Lambda-Runtime-Trace-Id. */
  traceId?: string;
  /** Base64 JSON, as Lambda's Client-Context header. */
  clientContext?: string;
  cognitoIdentity?: string;
  /** Aborts waiting (e.g. the gateway's integration timeout or a closed client). */
  signal?: AbortSignal;
  /**
   * The same cancel as `signal`, without building an AbortSignal (which costs tens of µs per
   * waiting request): the listener is called once with the reason; the returned function
   * unregisters it. An invoker that can use it prefers it to `signal`.
   */
  onCancel?(listener: (reason: Error) => void): () => void;
  /** X-Amz-Log-Type: Tail: the result carries the end of the invocation's log (`logTail`). */
  logTail?: boolean;
}

export type InvokeErrorKind =
  /** No such function in functions.yml. */
  | 'UnknownFunction'
  /** The handler threw or returned an error: payload holds {errorType, errorMessage, stackTrace}. */
  | 'FunctionError'
  /** The invocation ran past the function's Timeout ("Task timed out after N.NN seconds"). */
  | 'Timeout'
  /** No instance became free within acquire_timeout (429 at the gateway). */
  | 'Throttled'
  /** The runtime could not start or run instances (Docker engine gone, image missing, init keeps failing). */
  | 'Unavailable';

export interface InvokeResult {
  requestId: string;
  durationMs: number;
  /** The function's response (or error document) bytes, exactly as the runtime posted them. */
  payload: Buffer;
  /** Absent on success. */
  error?: { kind: InvokeErrorKind; message: string };
  /** With `logTail`: base64 of the last 4 KB of the invocation's log (START ... REPORT), as Lambda's X-Amz-Log-Result. */
  logTail?: string;
}

export interface Invoker {
  invoke(functionName: string, payload: Buffer, context?: InvokeContext): Promise<InvokeResult>;
  /**
   * Lambda's InvocationType Event: queued and run as Lambda runs an asynchronous invocation,
   * with its retries, failure queues and destinations (docs/agent.md "Asynchronous invocations").
   */
  invokeAsync?(functionName: string, payload: Buffer, context?: InvokeContext): void;
  /** Whether the function is known (for 404s of the Invoke API without invoking). */
  has(functionName: string): boolean;
}
