// The Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations), enough for
// @aws-sdk/client-lambda, boto3 and functions calling each other through the gateway.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Invoker } from '@esb/contracts';
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

function awsError(reply: FastifyReply, status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
  return reply
    .code(status)
    .header('x-amzn-ErrorType', type)
    .type('application/json')
    .send(JSON.stringify({ Type: 'User', message, __type: type, ...extra }));
}

export function registerInvokeApi(app: FastifyInstance, opts: InvokeApiOptions): void {
  const { invoker, log } = opts;
  app.post('/2015-03-31/functions/:name/invocations', async (req: FastifyRequest, reply: FastifyReply) => {
    const t0 = performance.now();
    const requestId = randomUUID();
    reply.header('x-amzn-RequestId', requestId);
    const raw = (req.params as { name: string }).name;
    const name = functionNameOf(raw);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const done = (status: number) => {
      const durationMs = Math.round((performance.now() - t0) * 100) / 100;
      log.info({ method: 'POST', path: req.url, route: 'lambda:Invoke', function: name, invocationType: type, status, durationMs, requestId }, 'request');
      if (status !== 404) opts.onRequestDone?.(name, 'lambda:Invoke', 'POST', req.url, status, durationMs, requestId);
    };
    const body = (Buffer.isBuffer(req.body) ? req.body : undefined) ?? Buffer.alloc(0);
    if (!opts.access.open) {
      const verdict = await authorizeInvoke(opts.access, { method: req.method, url: req.url, headers: req.headers, body }, opts.now());
      if (!verdict.ok) {
        done(verdict.status);
        return awsError(reply, verdict.status, verdict.type, verdict.message);
      }
    }
    if (!invoker.has(name)) {
      done(404);
      return awsError(reply, 404, 'ResourceNotFoundException', `Function not found: arn:aws:lambda:${opts.region}:${opts.accountId}:function:${name}`);
    }
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      done(400);
      return awsError(reply, 400, 'InvalidParameterValueException', `Unsupported invocation type: ${type}`);
    }
    const payload = body.length ? body : Buffer.from('{}');
    const notJson = payloadJsonError(payload);
    if (notJson) {
      done(400);
      return awsError(reply, 400, 'InvalidRequestContentException', notJson);
    }
    const trace = req.headers['x-amzn-trace-id'];
    const clientContext = req.headers['x-amz-client-context'];
    const context = {
      requestId,
      traceId: typeof trace === 'string' ? trace : undefined,
      clientContext: typeof clientContext === 'string' ? clientContext : undefined,
      // Lambda returns the log tail for synchronous invocations only.
      logTail: type === 'RequestResponse' && req.headers['x-amz-log-type'] === 'Tail',
    };
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
    let result;
    // A caller that hangs up while the request still waits for an instance is not invoked.
    const cancel = new InvocationCancel(reply.raw);
    try {
      result = await invoker.invoke(name, payload, new CancellableContext(context, cancel));
    } catch (err) {
      if (cancel.aborted) {
        done(499); // nginx's "client closed request": nobody is left to answer
        reply.hijack();
        return;
      }
      done(502);
      log.error({ function: name, requestId, err: (err as Error).message }, 'invoke failed: agent unavailable');
      return awsError(reply, 502, 'ServiceException', `agent unavailable: ${(err as Error).message}`);
    } finally {
      cancel.dispose();
    }
    reply.header('x-amz-executed-version', '$LATEST');
    if (result.logTail !== undefined) reply.header('x-amz-log-result', result.logTail);
    if (result.error) {
      switch (result.error.kind) {
        case 'UnknownFunction':
          done(404);
          return awsError(reply, 404, 'ResourceNotFoundException', `Function not found: arn:aws:lambda:${opts.region}:${opts.accountId}:function:${name}`);
        case 'Throttled':
          done(429);
          return awsError(reply, 429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
        case 'Unavailable':
          done(502);
          return awsError(reply, 502, 'ServiceException', result.error.message);
        default: {
          // FunctionError and Timeout: 200 with the error document, as Lambda answers.
          done(200);
          const doc = result.payload.length ? result.payload : Buffer.from(JSON.stringify({ errorMessage: result.error.message, errorType: result.error.kind }));
          return reply.code(200).header('x-amz-function-error', 'Unhandled').type('application/json').send(doc);
        }
      }
    }
    done(200);
    return reply.code(200).type('application/json').send(result.payload);
  });
}
