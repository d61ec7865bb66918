// The data plane's front (docs/gateway.md, "Request path"): node:http's request handler serves
// function routes itself and hands everything else to fastify. A request goes to fastify whenever
// the front cannot tell for sure that fastify would route it to the catch-all route and read its
// body the usual way; fastify's catch-all then serves it with the same code, so handing over is
// always correct, only slower.
import type { IncomingMessage } from 'node:http';
import { errorCodes } from 'fastify';

/** How the front takes a request: served without a body, served after reading its body, or fastify's. */
export type FrontWay = 'bodyless' | 'body' | 'fastify';

/** A content type fastify surely parses as valid (anything else goes to fastify, which may answer 415). */
const PLAIN_CONTENT_TYPE = /^[\w!#$&'*+.^`|~-]+\/[\w!#$&'*+.^`|~-]+(?:; ?[\w!#$&'*+.^`|~-]+=[\w!#$&'*+.^`|~-]+)?$/;

/**
 * Paths fastify serves itself: /health, the Lambda Invoke API (and InvokeWithResponseStream), the WebSocket Management API
 * (`/<stage>/@connections/<id>`), AppSync's publish (`/appsync-api/<id>/publish`) and the console's prefix. Also any
 * path fastify's router reads differently from the raw one: an absolute URL, a percent-encoded
 * or a `#` character (fastify decodes and cuts there before matching).
 */
export function isFastifyPath(url: string, consolePrefix: string): boolean {
  if (url.charCodeAt(0) !== 47 /* / */) return true;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path === '/health' || path.startsWith(consolePrefix) || path.startsWith('/2015-03-31/') || path.startsWith('/2025-12-01/') || (path.startsWith('/2021-11-15/') && path.endsWith('/response-streaming-invocations')) || path.includes('%') || path.includes('#') || path.includes('/@connections/') || (path.endsWith('/publish') && path.startsWith('/appsync-api/'));
}

/** Which way the front takes a request (the same split fastify makes between methods with and without bodies). */
export function frontWay(req: IncomingMessage, consolePrefix: string): FrontWay {
  if (isFastifyPath(req.url ?? '', consolePrefix)) return 'fastify';
  switch (req.method) {
    case 'GET':
    case 'HEAD':
    case 'TRACE':
      return 'bodyless'; // fastify reads no body for these
    case 'DELETE':
    case 'OPTIONS':
    case 'PATCH':
    case 'PUT':
    case 'POST': {
      const headers = req.headers;
      const contentType = headers['content-type'];
      if (contentType === undefined) {
        const length = headers['content-length'];
        return headers['transfer-encoding'] === undefined && (length === undefined || length === '0') ? 'bodyless' : 'body';
      }
      return PLAIN_CONTENT_TYPE.test(contentType) ? 'body' : 'fastify';
    }
    default:
      return 'fastify'; // other methods: fastify's 404, QUERY's own rules
  }
}

/**
 * Reads a request body as fastify's buffer parser does, with the same limit and the same errors
 * (413 before reading when Content-Length is over the limit or once the bytes are; 400 when the
 * bytes do not match Content-Length or the stream fails).
 */
export function readBody(req: IncomingMessage, limit: number, done: (err: (Error & { statusCode?: number }) | null, body?: Buffer) => void): void {
  const contentLength = Number(req.headers['content-length']);
  if (contentLength > limit) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  let received = 0;
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      stop();
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (err?: Error & { statusCode?: number }) => {
    stop();
    if (err != null) {
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      done(err);
      return;
    }
    if (!Number.isNaN(contentLength) && received !== contentLength) {
      done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      return;
    }
    done(null, Buffer.concat(chunks, received));
  };
  const stop = () => {
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onEnd);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onEnd);
  req.resume();
}
