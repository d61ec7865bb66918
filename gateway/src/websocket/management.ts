// The API Gateway Management API of WebSocket APIs (docs/gateway.md, "WebSocket APIs"):
// POST / GET / DELETE /<stage>/@connections/<id>, as @aws-sdk/client-apigatewaymanagementapi,
// aws-sdk v2 and boto3 call it at https://<domainName>/<stage>.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { authorizeManagementCall, type InvokeApiAccess } from '../invoke-auth.js';
import type { WebSocketGateway } from './server.js';

/** The path of every Management API call; the front hands such paths to fastify. */
export const CONNECTIONS_SEGMENT = '/@connections/';

function awsError(reply: FastifyReply, status: number, type: string, message: string) {
  return reply.code(status).header('x-amzn-ErrorType', type).type('application/json').send(JSON.stringify({ message }));
}

export function registerManagementApi(app: FastifyInstance, ws: WebSocketGateway, access: InvokeApiAccess, now: () => number): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-amzn-RequestId', randomUUID());
    const { stage, connectionId } = req.params as { stage: string; connectionId: string };
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = await authorizeManagementCall(access, { method: req.method, url: req.url, headers: req.headers, body }, now());
    if (!verdict.ok) return awsError(reply, verdict.status, verdict.type, verdict.message);
    const owner = ws.stageOf(connectionId);
    if (owner === undefined) return awsError(reply, 410, 'GoneException', `Connection ${connectionId} is gone`);
    if (owner !== stage) return awsError(reply, 403, 'ForbiddenException', `Connection ${connectionId} belongs to stage ${owner}, not ${stage}`);
    switch (req.method) {
      case 'POST': {
        const outcome = ws.post(connectionId, body);
        if (outcome === 'gone') return awsError(reply, 410, 'GoneException', `Connection ${connectionId} is gone`);
        if (outcome === 'too-large') return awsError(reply, 413, 'PayloadTooLargeException', 'Message too long');
        if (outcome === 'limit') return awsError(reply, 429, 'LimitExceededException', 'The client is not reading its messages fast enough');
        return reply.code(200).send();
      }
      case 'GET': {
        const info = ws.info(connectionId);
        if (!info) return awsError(reply, 410, 'GoneException', `Connection ${connectionId} is gone`);
        return reply.code(200).type('application/json').send(JSON.stringify(info));
      }
      default:
        if (!ws.disconnect(connectionId)) return awsError(reply, 410, 'GoneException', `Connection ${connectionId} is gone`);
        return reply.code(204).send();
    }
  };
  const url = '/:stage/@connections/:connectionId';
  app.post(url, handler);
  app.get(url, handler);
  app.delete(url, handler);
}
