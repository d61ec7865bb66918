// One port that speaks HTTP/1.1 and HTTP/2 without TLS (h2c with prior knowledge), for the
// storage's SQS port: @aws-sdk/client-kinesis v3 talks HTTP/2 by default (its handler is
// NodeHttp2Handler), every other client HTTP/1.1. Each connection's first bytes tell them
// apart: the HTTP/2 connection preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) goes to an HTTP/2
// server, anything else to an HTTP/1 server; both call the same handler (HTTP/2 through Node's
// compatibility API, whose request and response have what the handler uses of IncomingMessage
// and ServerResponse).
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, Http2ServerResponse, type Http2Session } from 'node:http2';
import { createServer as createNetServer, type Server } from 'node:net';
import { firstBytesSniffer } from '@esb/contracts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface HttpFront {
  /** Listens; its connections go to the HTTP/1 or the HTTP/2 server. */
  server: Server;
  /** Cuts every connection (HTTP/1 keep-alive, HTTP/2 sessions, ones not yet told apart). */
  closeAllConnections(): void;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpFront(handler: Handler): HttpFront {
  const http1 = createHttp1Server(handler);
  // It never listens itself: 'listening' sets up what Node's HTTP server does for the connections
  // it is given (their tracking for closeAllConnections, the headersTimeout / requestTimeout checks).
  http1.emit('listening');
  const http2 = createHttp2Server();
  http2.on('request', (req, res) => handler(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  const sessions = new Set<Http2Session>();
  http2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sniffer = firstBytesSniffer(
    (seen) => {
      const n = Math.min(seen.length, PREFACE.length);
      const maybeHttp2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (maybeHttp2 && seen.length < PREFACE.length) return undefined; // wait for the rest of the preface
      return maybeHttp2 ? http2 : http1;
    },
    (socket, to) => to.emit('connection', socket),
  );
  const server = createNetServer((socket) => sniffer.accept(socket));

  return {
    server,
    closeAllConnections() {
      http1.closeAllConnections();
      http1.close(); // stops the timeout checks (it was never listening: nothing else to close)
      for (const session of sessions) session.destroy();
      sniffer.destroyUndecided();
    },
  };
}

/** Whether the answer goes out over HTTP/2 (which forbids connection headers such as `connection: close`). */
export function isHttp2(res: ServerResponse): boolean {
  return (res as unknown) instanceof Http2ServerResponse;
}

/** Whether the answer can no longer be sent (the client went away). */
export function responseGone(res: ServerResponse): boolean {
  return isHttp2(res) ? (res as unknown as Http2ServerResponse).stream.destroyed : res.destroyed;
}
