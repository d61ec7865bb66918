// The Lambda durable execution API (docs/durable-functions.md "The API"): the REST calls the
// durable execution SDKs make to AWS_ENDPOINT_URL_LAMBDA (checkpoints, state) and the ones apps
// make (callbacks, Get/List/Stop). The gateway reads each into an action and its input; the
// agent, which holds the executions, answers.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiCall, Invoker } from '@esb/contracts';
import { authorizeInvoke, type InvokeApiAccess } from './invoke-auth.js';
import { awsError } from './invoke-api.js';

export const DURABLE_API_PREFIX = '/2025-12-01/';

/** The action and input of a durable API request, or undefined when the path names none. */
export function durableCallOf(method: string, url: string, body: Buffer): ApiCall | { error: string } | undefined {
  const [path, query = ''] = url.split('?', 2);
  const params = Object.fromEntries(new URLSearchParams(query));
  let segments: string[];
  try {
    segments = path.slice(DURABLE_API_PREFIX.length).split('/').map((s) => decodeURIComponent(s));
  } catch {
    return { error: 'the path is not valid percent-encoding' };
  }
  const withBody = (action: string, base: Record<string, unknown>, key?: string): ApiCall | { error: string } => {
    if (body.length === 0) return { action, input: base };
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return { error: `the body is not JSON: ${(err as Error).message}` };
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { error: 'the body must be a JSON object' };
    // `key`: the body is that one member (an httpPayload), else it holds the input's members.
    return { action, input: key ? { ...base, [key]: doc } : { ...doc, ...base } };
  };
  const [kind, id, sub, more] = segments;
  if (more !== undefined || !id) return undefined;
  if (kind === 'durable-executions') {
    const base = { DurableExecutionArn: id, ...params };
    if (method === 'POST' && sub === 'checkpoint') return withBody('CheckpointDurableExecution', base);
    if (method === 'POST' && sub === 'stop') return withBody('StopDurableExecution', base, 'Error');
    if (method === 'GET' && sub === 'state') return { action: 'GetDurableExecutionState', input: base };
    if (method === 'GET' && sub === 'history') return { action: 'GetDurableExecutionHistory', input: base };
    if (method === 'GET' && sub === undefined) return { action: 'GetDurableExecution', input: base };
    return undefined;
  }
  if (kind === 'durable-execution-callbacks' && method === 'POST') {
    const base = { CallbackId: id };
    // Success carries the result as raw bytes (the SDKs send the JSON text of the value).
    if (sub === 'succeed') return { action: 'SendDurableExecutionCallbackSuccess', input: { ...base, Result: body.toString('base64') } };
    if (sub === 'fail') return withBody('SendDurableExecutionCallbackFailure', base, 'Error');
    if (sub === 'heartbeat') return { action: 'SendDurableExecutionCallbackHeartbeat', input: base };
    return undefined;
  }
  if (kind === 'functions' && sub === 'durable-executions' && method === 'GET') {
    const statuses = new URLSearchParams(query).getAll('Statuses');
    return { action: 'ListDurableExecutionsByFunction', input: { ...params, FunctionName: id, ...(statuses.length ? { Statuses: statuses } : {}) } };
  }
  return undefined;
}

export function registerDurableApi(app: FastifyInstance, opts: { invoker: Invoker; access: InvokeApiAccess; now: () => number }): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-amzn-RequestId', randomUUID());
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!opts.access.open) {
      const verdict = await authorizeInvoke(opts.access, { method: req.method, url: req.url, headers: req.headers, body }, opts.now());
      if (!verdict.ok) return awsError(reply, verdict.status, verdict.type, verdict.message);
    }
    const call = durableCallOf(req.method, req.url, body);
    if (!call) return awsError(reply, 404, 'UnknownOperationException', `no durable execution API operation is ${req.method} ${req.url.split('?')[0]}`);
    if ('error' in call) return awsError(reply, 400, 'InvalidRequestContentException', call.error);
    if (!opts.invoker.answerDurableApi) return awsError(reply, 501, 'ServiceException', 'this gateway\'s agent does not answer the durable execution API');
    const trace = req.headers['x-amzn-trace-id'];
    const answer = await opts.invoker.answerDurableApi({ ...call, ...(typeof trace === 'string' ? { traceHeader: trace } : {}) }).catch((err: unknown) => ({ status: 502, body: { __type: 'ServiceException', message: `agent unavailable: ${(err as Error).message}` } }));
    if (answer.status >= 400) return awsError(reply, answer.status, String(answer.body.__type ?? 'ServiceException'), String(answer.body.message ?? ''));
    return reply.code(answer.status).type('application/json').send(JSON.stringify(answer.body));
  };
  app.post(`${DURABLE_API_PREFIX}*`, handler);
  app.get(`${DURABLE_API_PREFIX}*`, handler);
}
