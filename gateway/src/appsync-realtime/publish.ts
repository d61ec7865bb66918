// Where an AppSync API's function hands a mutation's result to its subscribers (docs/appsync.md,
// "Subscriptions"): `POST /appsync-api/<id>/publish` with `{apiId, mutation, data}`. Open on a
// loopback listener; beyond it, signed (SigV4, service `appsync`) by a known key.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { authorizeManagementCall, type InvokeApiAccess } from '../invoke-auth.js';
import type { AppSyncRealtime } from './server.js';

/** The path's form; the front hands such paths to fastify. */
export const PUBLISH_PATH = /^\/appsync-api\/[^/]+\/publish$/;

function awsError(reply: FastifyReply, status: number, type: string, message: string) {
  return reply.code(status).header('x-amzn-ErrorType', type).type('application/json').send(JSON.stringify({ __type: type, message }));
}

export function registerAppSyncPublish(app: FastifyInstance, realtime: AppSyncRealtime, access: InvokeApiAccess, now: () => number): void {
  app.post('/appsync-api/:apiId/publish', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-amzn-RequestId', randomUUID());
    const { apiId } = req.params as { apiId: string };
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = await authorizeManagementCall(access, { method: req.method, url: req.url, headers: req.headers, body }, now(), 'appsync');
    if (!verdict.ok) return awsError(reply, verdict.status, verdict.type, verdict.message);
    let doc: { apiId?: unknown; mutation?: unknown; data?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      return awsError(reply, 400, 'BadRequestException', 'The body is not JSON.');
    }
    if (!doc || typeof doc !== 'object' || typeof doc.mutation !== 'string' || (doc.apiId !== undefined && doc.apiId !== apiId)) {
      return awsError(reply, 400, 'BadRequestException', 'The body must be {apiId, mutation, data} for the API of the path.');
    }
    const delivered = realtime.publish(apiId, doc.mutation, doc.data ?? null);
    return reply.code(200).type('application/json').send(JSON.stringify({ delivered }));
  });
}
