// The agent's interface to the gateway (and to the Lambda Invoke API): invoke a function by
// name. In-process when embedded (`esb dev`), over HTTP when the agent is a separate service
// (compose). The gateway depends on this interface only.
import type { ApiAnswer, ApiCall } from './api-calls.js';

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
  /**
   * The caller takes a streamed response (a function URL in RESPONSE_STREAM mode,
   * InvokeWithResponseStream): when the function streams, the result comes as soon as its
   * stream starts, with `stream` (docs/agent.md "Response streaming").
   */
  acceptStream?: boolean;
  /** X-Amz-Durable-Execution-Name: the name of the durable execution this invocation starts (docs/durable-functions.md). */
  durableExecutionName?: string;
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
  /** A streamed response, to a caller that accepts one (`acceptStream`); `payload` is then empty. */
  stream?: ResponseStream;
  /** The content type the function gave a response it streamed, when the caller took it whole. */
  contentType?: string;
  /** The durable execution the invocation ran (X-Amz-Durable-Execution-Arn; docs/durable-functions.md). */
  durableExecutionArn?: string;
}

/** The content type of a streamed response that starts with a JSON prelude (status, headers, cookies) and 8 NUL bytes. */
export const HTTP_INTEGRATION_RESPONSE = 'application/vnd.awslambda.http-integration-response';

/** How a streamed response failed after it started: the function's error, or its timeout. */
export interface StreamFailure {
  kind: InvokeErrorKind;
  message: string;
  /** The error document ({errorType, errorMessage, ...}). */
  payload: Buffer;
}

/** Where a streamed response's bytes go, in order; `end` is called once, after the last chunk. */
export interface StreamSink {
  chunk(bytes: Buffer): void;
  end(failure?: StreamFailure): void;
}

/** How a finished invocation ends a stream: its error, or nothing when it went well. */
export function streamFailureOf(result: InvokeResult): StreamFailure | undefined {
  return result.error ? { kind: result.error.kind, message: result.error.message, payload: result.payload } : undefined;
}

/** A response the function writes while it runs (docs/agent.md "Response streaming"). */
export interface ResponseStream {
  readonly contentType: string;
  /** Sends what came so far, then each chunk as it comes, to `sink` (once). */
  open(sink: StreamSink): void;
  /** The caller went away: later chunks are dropped (the function runs on, as on Lambda). */
  cancel(): void;
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
  /**
   * The durable execution API (checkpoints, state, callbacks, Get/List/Stop; docs/durable-functions.md):
   * the gateway reads the REST call, the agent answers it.
   */
  answerDurableApi?(call: ApiCall): Promise<ApiAnswer>;
}

/** The version or alias a function's name or ARN carries (`fn:live`, `123:function:fn:1`, `arn:...:function:fn:$LATEST`); undefined for none. */
export function qualifierOf(nameOrArn: string): string | undefined {
  const parts = nameOrArn.split(':');
  const i = parts.indexOf('function');
  return (i >= 0 ? parts[i + 2] : parts.length === 2 ? parts[1] : undefined) || undefined;
}
