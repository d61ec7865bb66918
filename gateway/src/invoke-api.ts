// The Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) and InvokeWithResponseStream
// (POST /2021-11-15/functions/{name}/response-streaming-invocations), enough for
// @aws-sdk/client-lambda, boto3 and functions calling each other through the gateway.
import { randomUUID } from 'node:crypto';
import { EventStreamCodec } from '@smithy/core/event-streams';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { jsonObjectOf, qualifierOf, streamFailureOf, type InvokeContext, type InvokeResult, type Invoker, type StreamFailure } from '@esb/contracts';
import { CancellableContext, InvocationCancel } from './client-close.js';
import { authorizeInvoke, type InvokeApiAccess } from './invoke-auth.js';

export interface InvokeApiOptions {
  invoker: Invoker;
  log: Logger;
  accountId: string;
  region: string;
  now: () => number;
  /** Per-request hook (the console's recorder). */
  onRequestDone?: (fn: string, route: string, method: string, path: string, status: number, durationMs: number, requestId: string) => void;
  /** Who may call it (docs/security.md). */
  access: InvokeApiAccess;
  /** Whether the function is durable (functions.yml `durable`): Lambda invokes those only by a qualified name. */
  isDurable?: (fn: string) => boolean;
}

/** Lambda's answer to a payload that is not JSON, or undefined when it is. */
export function payloadJsonError(payload: Buffer): string | undefined {
  try {
    JSON.parse(payload.toString('utf8'));
    return undefined;
  } catch (err) {
    return `Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`;
  }
}

/** `my-fn`, `my-fn:alias`, `123:function:my-fn`, `arn:aws:lambda:r:123:function:my-fn[:q]` -> `my-fn`. */
export function functionNameOf(raw: string): string {
  const parts = raw.split(':');
  const i = parts.indexOf('function');
  if (i >= 0 && i + 1 < parts.length) return parts[i + 1];
  return parts[0];
}

/** An error of a Lambda API, as the AWS SDKs read it (x-amzn-ErrorType and a JSON message). */
export function awsError(reply: FastifyReply, status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
  return reply
    .code(status)
    .header('x-amzn-ErrorType', type)
    .type('application/json')
    .send(JSON.stringify({ Type: 'User', message, __type: type, ...extra }));
}

type Done = (status: number) => void;

interface Call {
  name: string;
  payload: Buffer;
  type: string;
  requestId: string;
  context: InvokeContext;
  done: Done;
}

/**
 * What both operations check first (who calls, which function, the invocation type, a JSON
 * payload): the call, or undefined when it has been answered.
 */
async function readCall(req: FastifyRequest, reply: FastifyReply, opts: InvokeApiOptions, operation: string, types: readonly string[]): Promise<Call | undefined> {
  const t0 = performance.now();
  const requestId = randomUUID();
  reply.header('x-amzn-RequestId', requestId);
  const name = functionNameOf((req.params as { name: string }).name);
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  const done: Done = (status) => {
    const durationMs = Math.round((performance.now() - t0) * 100) / 100;
    opts.log.info({ method: 'POST', path: req.url, route: operation, function: name, invocationType: type, status, durationMs, requestId }, 'request');
    if (status !== 404) opts.onRequestDone?.(name, operation, 'POST', req.url, status, durationMs, requestId);
  };
  const body = (Buffer.isBuffer(req.body) ? req.body : undefined) ?? Buffer.alloc(0);
  const refuse = (status: number, errorType: string, message: string) => {
    done(status);
    void awsError(reply, status, errorType, message);
    return undefined;
  };
  if (!opts.access.open) {
    const verdict = await authorizeInvoke(opts.access, { method: req.method, url: req.url, headers: req.headers, body }, opts.now());
    if (!verdict.ok) return refuse(verdict.status, verdict.type, verdict.message);
  }
  if (!opts.invoker.has(name)) return refuse(404, 'ResourceNotFoundException', `Function not found: arn:aws:lambda:${opts.region}:${opts.accountId}:function:${name}`);
  if (!types.includes(type)) return refuse(400, 'InvalidParameterValueException', `Unsupported invocation type: ${type}`);
  // Lambda runs a durable function's executions on one version: the call names it (docs/durable-functions.md).
  if (opts.isDurable?.(name) && qualifierOf((req.params as { name: string }).name) === undefined && !(req.query as Record<string, unknown>).Qualifier) {
    return refuse(400, 'InvalidParameterValueException', `You cannot invoke a durable function using an unqualified ARN: name a version or alias of ${name} (for example ${name}:$LATEST, or the Qualifier parameter)`);
  }
  const payload = body.length ? body : Buffer.from('{}');
  const notJson = payloadJsonError(payload);
  if (notJson) return refuse(400, 'InvalidRequestContentException', notJson);
  const trace = req.headers['x-amzn-trace-id'];
  const clientContext = req.headers['x-amz-client-context'];
  const context: InvokeContext = {
    requestId,
    traceId: typeof trace === 'string' ? trace : undefined,
    clientContext: typeof clientContext === 'string' ? clientContext : undefined,
    // Lambda returns the log tail for synchronous invocations only.
    logTail: type === 'RequestResponse' && req.headers['x-amz-log-type'] === 'Tail',
  };
  const durableName = req.headers['x-amz-durable-execution-name'];
  if (typeof durableName === 'string') context.durableExecutionName = durableName;
  return { name, payload, type, requestId, context, done };
}

/** Runs a synchronous call; undefined when it has been answered (the agent is gone, or the caller). */
async function invokeOrAnswer(call: Call, reply: FastifyReply, opts: InvokeApiOptions): Promise<InvokeResult | undefined> {
  const { name, payload, context, requestId, done } = call;
  // A caller that hangs up while the request still waits for an instance is not invoked.
  const cancel = new InvocationCancel(reply.raw);
  try {
    return await opts.invoker.invoke(name, payload, new CancellableContext(context, cancel));
  } catch (err) {
    if (cancel.aborted) {
      done(499); // nginx's "client closed request": nobody is left to answer
      reply.hijack();
      return undefined;
    }
    done(502);
    opts.log.error({ function: name, requestId, err: (err as Error).message }, 'invoke failed: agent unavailable');
    void awsError(reply, 502, 'ServiceException', `agent unavailable: ${(err as Error).message}`);
    return undefined;
  } finally {
    cancel.dispose();
  }
}

/** An invocation that did not run (no function, throttled, no instance): the API's error; false for the function's own. */
function answeredAsApiError(call: Call, result: InvokeResult, reply: FastifyReply, opts: InvokeApiOptions): boolean {
  const { done } = call;
  switch (result.error?.kind) {
    case 'UnknownFunction':
      done(404);
      void awsError(reply, 404, 'ResourceNotFoundException', `Function not found: arn:aws:lambda:${opts.region}:${opts.accountId}:function:${call.name}`);
      return true;
    case 'Throttled':
      done(429);
      void awsError(reply, 429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
      return true;
    case 'Unavailable':
      done(502);
      void awsError(reply, 502, 'ServiceException', result.error.message);
      return true;
    default:
      return false;
  }
}

const utf8 = {
  toUtf8: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'),
  fromUtf8: (s: string) => new Uint8Array(Buffer.from(s, 'utf8')),
};
const eventStream = new EventStreamCodec(utf8.toUtf8, utf8.fromUtf8);

/** One event of InvokeWithResponseStream's response (application/vnd.amazon.eventstream). */
function streamEvent(type: 'PayloadChunk' | 'InvokeComplete', contentType: string, body: Uint8Array): Uint8Array {
  return eventStream.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: contentType },
    },
    body,
  });
}

/** The last event: the error code and details of a function that failed (empty when it did not), and the log tail. */
function completeEvent(failure: StreamFailure | undefined, logTail: string | undefined): Uint8Array {
  const complete: Record<string, string> = {};
  if (failure) {
    const doc = jsonObjectOf(failure.payload);
    complete.ErrorCode = typeof doc?.errorType === 'string' ? doc.errorType : failure.kind;
    complete.ErrorDetails = typeof doc?.errorMessage === 'string' ? doc.errorMessage : failure.message;
  }
  if (logTail !== undefined) complete.LogResult = logTail;
  return streamEvent('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(complete)));
}

export function registerInvokeApi(app: FastifyInstance, opts: InvokeApiOptions): void {
  const { invoker, log } = opts;
  app.post('/2015-03-31/functions/:name/invocations', async (req: FastifyRequest, reply: FastifyReply) => {
    const call = await readCall(req, reply, opts, 'lambda:Invoke', ['RequestResponse', 'Event', 'DryRun']);
    if (!call) return reply;
    const { name, payload, type, requestId, context, done } = call;
    if (type === 'DryRun') {
      done(204);
      return reply.code(204).send();
    }
    if (type === 'Event' && invoker.invokeAsync) {
      invoker.invokeAsync(name, payload, context);
      done(202);
      return reply.code(202).send();
    }
    if (type === 'Event') {
      void invoker
        .invoke(name, payload, context)
        .then((r) => r.error && log.warn({ function: name, requestId, kind: r.error.kind, error: r.error.message }, 'async invocation failed'))
        .catch((err: unknown) => log.error({ function: name, requestId, err: (err as Error).message }, 'async invocation failed'));
      done(202);
      return reply.code(202).send();
    }
    const result = await invokeOrAnswer(call, reply, opts);
    if (!result) return reply;
    reply.header('x-amz-executed-version', '$LATEST');
    if (result.durableExecutionArn) reply.header('x-amz-durable-execution-arn', result.durableExecutionArn);
    if (result.logTail !== undefined) reply.header('x-amz-log-result', result.logTail);
    if (answeredAsApiError(call, result, reply, opts)) return reply;
    if (result.error) {
      // FunctionError and Timeout: 200 with the error document, as Lambda answers.
      done(200);
      const doc = result.payload.length ? result.payload : Buffer.from(JSON.stringify({ errorMessage: result.error.message, errorType: result.error.kind }));
      return reply.code(200).header('x-amz-function-error', 'Unhandled').type('application/json').send(doc);
    }
    done(200);
    // A function that streamed its response gives it whole here, with its own content type.
    return reply.code(200).type(result.contentType ?? 'application/json').send(result.payload);
  });

  // InvokeWithResponseStream (docs/agent.md "Response streaming"): the response as an event
  // stream of PayloadChunk events, as the function writes it, then InvokeComplete.
  app.post('/2021-11-15/functions/:name/response-streaming-invocations', async (req: FastifyRequest, reply: FastifyReply) => {
    const call = await readCall(req, reply, opts, 'lambda:InvokeWithResponseStream', ['RequestResponse', 'DryRun']);
    if (!call) return reply;
    if (call.type === 'DryRun') {
      call.done(204);
      return reply.code(204).send();
    }
    call.context.acceptStream = true;
    const result = await invokeOrAnswer(call, reply, opts);
    if (!result) return reply;
    if (answeredAsApiError(call, result, reply, opts)) return reply;
    reply.hijack();
    const res = reply.raw;
    const contentType = result.stream?.contentType ?? result.contentType ?? 'application/json';
    res.writeHead(200, { 'x-amzn-requestid': call.requestId, 'x-amz-executed-version': '$LATEST', 'content-type': contentType });
    const finish = (failure: StreamFailure | undefined) => {
      if (res.destroyed) return;
      res.end(completeEvent(failure, result.logTail));
      call.done(200);
    };
    const stream = result.stream;
    if (!stream) {
      // A function that does not stream: its response (or error) as one chunk.
      if (!result.error && result.payload.length) res.write(streamEvent('PayloadChunk', 'application/octet-stream', result.payload));
      return finish(streamFailureOf(result));
    }
    res.on('close', () => {
      if (!res.writableFinished) stream.cancel();
    });
    stream.open({
      chunk: (bytes) => {
        if (!res.destroyed) res.write(streamEvent('PayloadChunk', 'application/octet-stream', bytes));
      },
      end: finish,
    });
  });
}
