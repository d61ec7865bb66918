// An Invoker over HTTP (the agent as a separate service), with keep-alive connections.
// has() answers from a cached function list, refreshed in the background.
import http from 'node:http';
import type { ApiAnswer, ApiCall, InvokeContext, InvokeErrorKind, InvokeResult, Invoker, ResponseStream, StreamFailure } from '@esb/contracts';

export interface HttpInvoker extends Invoker {
  invokeAsync(functionName: string, payload: Buffer, context?: InvokeContext): void;
  answerDurableApi(call: ApiCall): Promise<ApiAnswer>;
  /** Fetches the function list now (call once before relying on has()). */
  refresh(): Promise<void>;
  close(): void;
}

export function createHttpInvoker(opts: { url: string; refreshMs?: number; maxSockets?: number; /** Told of an Event invocation the agent did not take (unreachable). */ onAsyncError?: (fn: string, err: unknown) => void }): HttpInvoker {
  const base = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const refreshMs = opts.refreshMs ?? 1000;
  let names = new Set<string>();
  let fetchedAt = 0;
  let refreshing: Promise<void> | undefined;

  function request(method: string, path: string, body: Buffer | undefined, headers: Record<string, string>, signal?: AbortSignal) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; stream?: ResponseStream }>((resolve, reject) => {
      if (body) headers['content-length'] = String(body.length);
      const req = http.request({ host: base.hostname, port: base.port, method, path, headers, agent, signal }, (res) => {
        const streamType = res.headers[STREAM_CONTENT_TYPE];
        if (typeof streamType === 'string') return resolve({ status: res.statusCode ?? 0, headers: res.headers, body: EMPTY, stream: streamOf(res, streamType) });
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const refresh = (): Promise<void> => {
    refreshing ??= request('GET', '/functions', undefined, {})
      .then((r) => {
        if (r.status === 200) names = new Set(JSON.parse(r.body.toString('utf8')) as string[]);
        fetchedAt = Date.now();
      })
      .catch(() => {})
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  return {
    refresh,
    has(name) {
      if (Date.now() - fetchedAt > refreshMs) void refresh();
      return names.has(name);
    },
    invokeAsync(name: string, payload: Buffer, ctx: InvokeContext = {}): void {
      // The agent answers 202 at once and runs it with its retries and destinations.
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' };
      if (ctx.requestId) headers['x-esb-request-id'] = ctx.requestId;
      if (ctx.traceId) headers['x-amzn-trace-id'] = ctx.traceId;
      request('POST', `/invoke/${encodeURIComponent(name)}`, payload, headers).catch((err: unknown) => opts.onAsyncError?.(name, err));
    },
    async invoke(name: string, payload: Buffer, ctx: InvokeContext = {}): Promise<InvokeResult> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (ctx.requestId) headers['x-esb-request-id'] = ctx.requestId;
      if (ctx.traceId) headers['x-amzn-trace-id'] = ctx.traceId;
      if (ctx.clientContext) headers['x-amz-client-context'] = ctx.clientContext;
      if (ctx.cognitoIdentity) headers['x-esb-cognito-identity'] = ctx.cognitoIdentity;
      if (ctx.logTail) headers['x-amz-log-type'] = 'Tail';
      if (ctx.acceptStream) headers[ACCEPT_STREAM] = '1';
      if (ctx.durableExecutionName) headers[DURABLE_NAME] = ctx.durableExecutionName;
      let r;
      try {
        r = await request('POST', `/invoke/${encodeURIComponent(name)}`, payload, headers, ctx.signal);
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        const message = `agent at ${opts.url} unreachable: ${err instanceof Error ? err.message : String(err)}`;
        return { requestId: ctx.requestId ?? '', durationMs: 0, payload: Buffer.from(JSON.stringify({ errorType: 'Unavailable', errorMessage: message })), error: { kind: 'Unavailable', message } };
      }
      const kind = r.headers['x-esb-error-kind'] as InvokeErrorKind | undefined;
      const result: InvokeResult = {
        requestId: String(r.headers['x-esb-request-id'] ?? ctx.requestId ?? ''),
        durationMs: Number(r.headers['x-esb-duration-ms'] ?? 0),
        payload: r.body,
      };
      if (r.stream) result.stream = r.stream;
      const contentType = r.headers[RESULT_CONTENT_TYPE];
      if (typeof contentType === 'string') result.contentType = contentType;
      const tail = r.headers['x-esb-log-result'];
      if (typeof tail === 'string') result.logTail = tail;
      const durableArn = r.headers[DURABLE_ARN];
      if (typeof durableArn === 'string') result.durableExecutionArn = durableArn;
      if (kind) result.error = { kind, message: decodeURIComponent(String(r.headers['x-esb-error-message'] ?? '')) };
      else if (r.status !== 200) result.error = { kind: 'Unavailable', message: `agent answered ${r.status}: ${r.body.toString('utf8').slice(0, 200)}` };
      if (kind === 'UnknownFunction') names.delete(name);
      else names.add(name);
      return result;
    },
    async answerDurableApi(call: ApiCall): Promise<ApiAnswer> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (call.traceHeader) headers['x-amzn-trace-id'] = call.traceHeader;
      const r = await request('POST', `/durable/${encodeURIComponent(call.action)}`, Buffer.from(JSON.stringify(call.input ?? {})), headers);
      return { status: r.status, body: JSON.parse(r.body.toString('utf8')) as Record<string, unknown> };
    },
    close() {
      agent.destroy();
    },
  };
}

/** The durable execution an invocation starts (X-Amz-Durable-Execution-Name) and ran (-Arn), as Lambda's headers. */
export const DURABLE_NAME = 'x-amz-durable-execution-name';
export const DURABLE_ARN = 'x-amz-durable-execution-arn';

const EMPTY = Buffer.alloc(0);
/** Asks the agent for a streamed response (docs/agent.md "Response streaming"). */
export const ACCEPT_STREAM = 'x-esb-accept-stream';
/** Set on a streamed answer: the function's content type; the body is the stream, its failure in trailers. */
export const STREAM_CONTENT_TYPE = 'x-esb-stream-content-type';
/** The content type of a response the function streamed, given whole. */
export const RESULT_CONTENT_TYPE = 'x-esb-content-type';

/** A streamed answer of the agent as a ResponseStream: held (paused) until opened. */
function streamOf(res: http.IncomingMessage, contentType: string): ResponseStream {
  return {
    contentType,
    open(sink) {
      let ended = false;
      const end = (failure?: StreamFailure) => {
        if (ended) return;
        ended = true;
        sink.end(failure);
      };
      res.on('data', (c: Buffer) => sink.chunk(c));
      res.on('end', () => {
        const kind = res.trailers['x-esb-error-kind'] as InvokeErrorKind | undefined;
        if (!kind) return end();
        const message = decodeURIComponent(res.trailers['x-esb-error-message'] ?? '');
        end({ kind, message, payload: Buffer.from(res.trailers['x-esb-error-body'] ?? '', 'base64') });
      });
      res.on('close', () => end({ kind: 'Unavailable', message: 'the agent closed the stream', payload: Buffer.from('{"errorType":"Unavailable","errorMessage":"the agent closed the stream"}') }));
    },
    cancel() {
      res.destroy();
    },
  };
}
