// WebSocket APIs (docs/gateway.md, "WebSocket APIs"): the gateway holds each client's
// connection, runs the $connect authorizer and route before it accepts the handshake, invokes a
// route's integration for each message (the route selection expression picks it), sends a
// two-way route's answer back, runs $disconnect when the connection ends, and serves what the
// Management API asks of a connection (post, get, delete).
import { WEBSOCKET_CONNECT, WEBSOCKET_DEFAULT, WEBSOCKET_DISCONNECT, newTraceId, type Invoker, type WebSocketRoute } from '@esb/contracts';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AuthorizerEngine } from '../auth/authorize.js';
import type { ResolvedWebSocketApi, RouteTable } from '../routes.js';
import { connectEvent, disconnectEvent, headerMaps, messageEvent, newConnectionId, selectRoute, type ConnectionFacts } from './events.js';

export interface WebSocketLimits {
  /** Open connections (and handshakes in progress) the gateway holds at once. */
  maxConnections: number;
  /** A message's size (API Gateway: 128 KB); larger closes the connection with 1009. */
  maxMessageBytes: number;
  /** A connection with no message either way for this long is closed (API Gateway: 10 minutes). */
  idleTimeoutMs: number;
  /** A connection lives at most this long (API Gateway: 2 hours). */
  maxLifetimeMs: number;
  /** Messages of one connection being handled at once; past it the gateway stops reading the connection. */
  inFlightPerConnection: number;
  /** Bytes waiting to be sent to a slow client; past it PostToConnection answers 429. */
  maxBufferedBytes: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  maxConnections: 10_000,
  maxMessageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60_000,
  maxLifetimeMs: 2 * 60 * 60_000,
  inFlightPerConnection: 32,
  maxBufferedBytes: 4 * 1024 * 1024,
};

/** Told once per handled connection event (the console's recorder): route key as the route, `WEBSOCKET` as the method. */
export type WebSocketObserver = (fn: string, routeKey: string, method: string, path: string, status: number, durationMs: number, requestId: string) => void;

export interface WebSocketGatewayOptions {
  invoker: Invoker;
  auth: AuthorizerEngine;
  log: Logger;
  now: () => number;
  /** The route table a Host is served from (stack hosts, docs/gateway.md). */
  tableFor: (host: string | undefined) => RouteTable;
  /** The host functions reach the gateway at, as events' domainName; default: the Host of the handshake. */
  domainName?: string;
  integrationTimeoutMs: number;
  accountId: string;
  region: string;
  limits?: Partial<WebSocketLimits>;
  onEvent?: WebSocketObserver;
}

interface Connection extends ConnectionFacts {
  ws: WebSocket;
  /** The API's id in routing.yml: each message uses its routes as they are now (reloads apply at once). */
  apiKey: string;
  host: string;
  lastActiveAt: number;
  inFlight: number;
  closing: boolean;
  /** Messages that arrived while inFlightPerConnection were being handled. */
  waiting: Array<{ body: Buffer; isBinary: boolean }>;
  /** The close code of a protocol error ws closed the connection for. */
  failure?: number;
}

/** What GetConnection answers. */
export interface ConnectionInfo {
  connectedAt: string;
  lastActiveAt: string;
  identity: { sourceIp: string; userAgent?: string };
}

export type PostOutcome = 'sent' | 'gone' | 'too-large' | 'limit';

const REASONS: Record<number, string> = {
  1000: 'Client-side close frame status set to normal closure',
  1001: 'Going away',
  1005: 'Client-side close frame status not set',
  1006: 'Connection closed abnormally',
  1009: 'Message too big',
};
const SWEEP_MS = 30_000;

/** The TCP socket under a ws connection (ws keeps it as `_socket`). */
const socketOf = (ws: WebSocket): Duplex | undefined => (ws as unknown as { _socket?: Duplex })._socket;

/** The API a handshake's path names: `/<stage>` of a WebSocket API of the table (the last written wins); `/` when the table has one. */
export function apiForPath(apis: readonly ResolvedWebSocketApi[], path: string): ResolvedWebSocketApi | undefined {
  const stage = decodeURIComponent(path.replace(/^\/+|\/+$/g, ''));
  if (stage === '') return apis.length === 1 ? apis[0] : undefined;
  for (let i = apis.length - 1; i >= 0; i--) if (apis[i]!.config.stage === stage) return apis[i];
  return undefined;
}

/** Ends a handshake with an HTTP answer instead of a WebSocket. */
function refuse(socket: Duplex, status: number, body: string, requestId?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${requestId ? `x-amzn-RequestId: ${requestId}\r\n` : ''}Connection: close\r\n\r\n${body}`;
  socket.end(text);
}
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 504: 'Gateway Timeout' };

/** A Lambda proxy answer: its statusCode, body and headers, when it is one. */
function proxyAnswer(payload: Buffer): { statusCode?: number; body?: Buffer | string; binary: boolean; headers: Record<string, string> } {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return { body: payload.toString('utf8'), binary: false, headers: {} };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { body: typeof doc === 'string' ? doc : JSON.stringify(doc), binary: false, headers: {} };
  const o = doc as Record<string, unknown>;
  const headers: Record<string, string> = {};
  if (o.headers && typeof o.headers === 'object') for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
  const statusCode = typeof o.statusCode === 'number' ? o.statusCode : typeof o.statusCode === 'string' && /^\d{3}$/.test(o.statusCode) ? Number(o.statusCode) : undefined;
  if (o.body === undefined || o.body === null) return { statusCode, binary: false, headers };
  const text = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  return o.isBase64Encoded === true ? { statusCode, body: Buffer.from(text, 'base64'), binary: true, headers } : { statusCode, body: text, binary: false, headers };
}

export class WebSocketGateway {
  private readonly connections = new Map<string, Connection>();
  private handshakes = 0;
  private readonly server: WebSocketServer;
  private readonly limits: WebSocketLimits;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: WebSocketGatewayOptions) {
    this.limits = { ...DEFAULT_WEBSOCKET_LIMITS, ...opts.limits };
    // The protocol $connect chose (its Sec-WebSocket-Protocol answer header), else the client's first.
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (offered, req) => (req as IncomingMessage & { esbProtocol?: string }).esbProtocol ?? offered.values().next().value ?? false,
    });
    this.sweeper = setInterval(() => this.sweep(), Math.min(SWEEP_MS, this.limits.idleTimeoutMs)).unref();
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /** Whether a request asks for a WebSocket. */
  static isWebSocketUpgrade(req: IncomingMessage): boolean {
    return req.method === 'GET' && (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  }

  /** The http server's 'upgrade' for a WebSocket handshake. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const requestId = randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const host = req.headers.host ?? '';
    let api: ResolvedWebSocketApi | undefined;
    try {
      api = apiForPath(this.opts.tableFor(host).websockets, path);
    } catch {
      api = undefined; // a path that does not decode names no stage
    }
    if (!api) return refuse(socket, 404, '{"message":"Not Found"}', requestId);
    if (this.connections.size + this.handshakes >= this.limits.maxConnections) return refuse(socket, 429, '{"message":"Limit Exceeded"}', requestId);
    this.handshakes++;
    void this.connect(api, req, socket, head, host, q < 0 ? '' : url.slice(q + 1), requestId).finally(() => this.handshakes--);
  }

  private async connect(api: ResolvedWebSocketApi, req: IncomingMessage, socket: Duplex, head: Buffer, host: string, rawQuery: string, requestId: string): Promise<void> {
    const now = this.opts.now();
    const facts: ConnectionFacts = {
      connectionId: newConnectionId(),
      apiId: api.apiId,
      stage: api.config.stage,
      domainName: this.opts.domainName ?? host,
      connectedAt: now,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: req.headers['user-agent'],
      stageVariables: api.config.stage_variables,
    };
    const connectRoute = api.routes.get(WEBSOCKET_CONNECT);
    let event = connectEvent(facts, { rawHeaders: req.rawHeaders, rawQueryString: rawQuery }, requestId, now);

    // The $connect route's authorizer (and API key) decide first, as API Gateway's do.
    const auth = connectRoute?.auth;
    if (auth && ((auth.authorizer && auth.authorizer !== 'NONE') || auth.api_key_required)) {
      const { headers } = headerMaps(req.rawHeaders);
      const lower: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
      const query: Record<string, string[]> = (event.multiValueQueryStringParameters as Record<string, string[]> | undefined) ?? {};
      const outcome = await this.opts.auth.authorize(auth, api.config.authorizers, {
        apiType: 'rest',
        methodArn: `arn:aws:execute-api:${this.opts.region}:${this.opts.accountId}:${api.apiId}/${api.config.stage}/${WEBSOCKET_CONNECT}`,
        apiId: api.apiId,
        event,
        headers: lower,
        query,
        stageVariables: api.config.stage_variables,
        context: event.requestContext as Record<string, unknown>,
        apiKeys: api.config.api_keys?.length ? new Set(api.config.api_keys) : undefined,
      });
      if (!outcome.ok) {
        this.opts.log.info({ api: api.id, reason: outcome.reason }, `WebSocket $connect refused (${outcome.status}): ${outcome.reason}`);
        return refuse(socket, outcome.status, outcome.body, requestId);
      }
      if (outcome.authorizer) {
        facts.authorizer = outcome.authorizer;
        event = connectEvent(facts, { rawHeaders: req.rawHeaders, rawQueryString: rawQuery }, requestId, now);
      }
    }

    if (connectRoute?.function) {
      const started = this.opts.now();
      const answer = await this.invoke(connectRoute.function, event, requestId);
      this.opts.onEvent?.(connectRoute.function, WEBSOCKET_CONNECT, 'WEBSOCKET', `/${api.config.stage}`, answer.status, this.opts.now() - started, requestId);
      if (answer.status < 200 || answer.status > 299) return refuse(socket, answer.status, answer.status >= 500 ? '{"message":"Internal server error"}' : '{"message":"Forbidden"}', requestId);
      const protocol = answer.headers['sec-websocket-protocol'];
      if (protocol) (req as IncomingMessage & { esbProtocol?: string }).esbProtocol = protocol.split(',')[0]!.trim();
    }
    if (socket.destroyed) return; // the client gave up while $connect ran: no connection, no $disconnect

    this.server.handleUpgrade(req, socket, head, (ws) => this.opened(ws, api, facts, host));
  }

  private opened(ws: WebSocket, api: ResolvedWebSocketApi, facts: ConnectionFacts, host: string): void {
    const conn: Connection = { ...facts, ws, apiKey: api.id, host, lastActiveAt: this.opts.now(), inFlight: 0, closing: false, waiting: [] };
    this.connections.set(conn.connectionId, conn);
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(conn, data, isBinary));
    // ws closes the connection itself after a protocol error (1009 for a message over the limit);
    // $disconnect reports that code, as API Gateway does, not the 1006 of the torn-down socket.
    ws.on('error', (err: Error & { code?: string }) => {
      conn.failure ??= err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1002;
    });
    ws.once('close', (code: number, reason: Buffer) => this.closed(conn, conn.failure ?? code, conn.failure ? '' : reason.toString('utf8')));
  }

  /** The API of a connection as the tables hold it now (a reload may have changed its routes). */
  private apiOf(conn: Connection): ResolvedWebSocketApi | undefined {
    return this.opts.tableFor(conn.host).websockets.find((a) => a.id === conn.apiKey);
  }

  private message(conn: Connection, data: RawData, isBinary: boolean): void {
    conn.lastActiveAt = this.opts.now();
    const body = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    // At the cap, later messages wait their turn and the socket is not read: what waits is only
    // what had already arrived, so a flooding client cannot grow it.
    if (conn.inFlight >= this.limits.inFlightPerConnection) {
      conn.waiting.push({ body, isBinary });
      socketOf(conn.ws)?.pause();
      return;
    }
    this.handle(conn, body, isBinary);
  }

  private handle(conn: Connection, body: Buffer, isBinary: boolean): void {
    const api = this.apiOf(conn);
    const requestId = randomUUID();
    const routeKey = api ? selectRoute(api.config.route_selection, isBinary ? undefined : body.toString('utf8'), api.routeKeys) : WEBSOCKET_DEFAULT;
    const route = api?.routes.get(routeKey);
    if (!route) {
      this.send(conn, JSON.stringify({ message: 'Forbidden', connectionId: conn.connectionId, requestId }), false);
      return;
    }
    conn.inFlight++;
    void this.route(conn, api!, route, body, isBinary, requestId).finally(() => {
      conn.inFlight--;
      const next = conn.waiting.shift();
      if (next) this.handle(conn, next.body, next.isBinary);
      else socketOf(conn.ws)?.resume();
    });
  }

  private async route(conn: Connection, api: ResolvedWebSocketApi, route: WebSocketRoute, body: Buffer, isBinary: boolean, requestId: string): Promise<void> {
    if (!route.function) {
      if (route.respond && route.mock_response !== undefined) this.send(conn, route.mock_response, false);
      return;
    }
    const started = this.opts.now();
    const event = messageEvent(conn, route.key, body, isBinary, requestId, started);
    const answer = await this.invoke(route.function, event, requestId);
    this.opts.onEvent?.(route.function, route.key, 'WEBSOCKET', `/${api.config.stage}`, answer.status, this.opts.now() - started, requestId);
    if (answer.failed) {
      this.send(conn, JSON.stringify({ message: 'Internal server error', connectionId: conn.connectionId, requestId }), false);
      return;
    }
    if (route.respond && answer.body !== undefined) this.send(conn, answer.body, answer.binary);
  }

  /** Invokes an integration; its answer as a proxy response (a failed or timed-out invocation is a 500 / 504). */
  private async invoke(fn: string, event: Record<string, unknown>, requestId: string): Promise<{ status: number; failed: boolean; body?: Buffer | string; binary: boolean; headers: Record<string, string> }> {
    try {
      const result = await this.opts.invoker.invoke(fn, Buffer.from(JSON.stringify(event)), { requestId, traceId: newTraceId(this.opts.now()), signal: AbortSignal.timeout(this.opts.integrationTimeoutMs) });
      if (result.error) {
        this.opts.log.warn({ function: fn, kind: result.error.kind }, `WebSocket integration ${fn} failed: ${result.error.message}`);
        return { status: result.error.kind === 'Timeout' ? 504 : 500, failed: true, binary: false, headers: {} };
      }
      const answer = proxyAnswer(result.payload);
      return { status: answer.statusCode ?? 200, failed: false, body: answer.body, binary: answer.binary, headers: answer.headers };
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      this.opts.log.warn({ function: fn }, `WebSocket integration ${fn} ${timedOut ? 'timed out' : `failed: ${String(err)}`}`);
      return { status: timedOut ? 504 : 500, failed: true, binary: false, headers: {} };
    }
  }

  private send(conn: Connection, data: Buffer | string, binary: boolean): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.lastActiveAt = this.opts.now();
    conn.ws.send(data, { binary });
  }

  private closed(conn: Connection, code: number, reason: string): void {
    this.connections.delete(conn.connectionId);
    const api = this.apiOf(conn);
    const route = api?.routes.get(WEBSOCKET_DISCONNECT);
    if (!route?.function) return;
    const requestId = randomUUID();
    const now = this.opts.now();
    const event = disconnectEvent(conn, conn.host, code, reason || REASONS[code] || '', requestId, now);
    const fn = route.function;
    void this.invoke(fn, event, requestId).then((answer) => this.opts.onEvent?.(fn, WEBSOCKET_DISCONNECT, 'WEBSOCKET', `/${conn.stage}`, answer.status, this.opts.now() - now, requestId));
  }

  /** PostToConnection: the data goes to the client as one message (text when it is UTF-8). */
  post(connectionId: string, data: Buffer): PostOutcome {
    const conn = this.connections.get(connectionId);
    if (!conn || conn.closing || conn.ws.readyState !== conn.ws.OPEN) return 'gone';
    if (data.length > this.limits.maxMessageBytes) return 'too-large';
    if (conn.ws.bufferedAmount + data.length > this.limits.maxBufferedBytes) return 'limit';
    const text = data.toString('utf8');
    const binary = !Buffer.from(text, 'utf8').equals(data);
    this.send(conn, binary ? data : text, binary);
    return 'sent';
  }

  /** GetConnection. */
  info(connectionId: string): ConnectionInfo | undefined {
    const conn = this.connections.get(connectionId);
    if (!conn || conn.closing) return undefined;
    const identity: ConnectionInfo['identity'] = { sourceIp: conn.sourceIp };
    if (conn.userAgent !== undefined) identity.userAgent = conn.userAgent;
    return { connectedAt: new Date(conn.connectedAt).toISOString(), lastActiveAt: new Date(conn.lastActiveAt).toISOString(), identity };
  }

  /** DeleteConnection: closes it (the client gets a close frame; $disconnect runs). */
  disconnect(connectionId: string): boolean {
    const conn = this.connections.get(connectionId);
    if (!conn || conn.closing) return false;
    this.end(conn, 1000, 'Goodbye');
    return true;
  }

  /** The stage a connection belongs to (the Management API's path names it). */
  stageOf(connectionId: string): string | undefined {
    return this.connections.get(connectionId)?.stage;
  }

  private end(conn: Connection, code: number, reason: string): void {
    conn.closing = true;
    conn.ws.close(code, reason);
    // A client that never answers the close frame is cut after a moment.
    setTimeout(() => conn.ws.terminate(), 5_000).unref();
  }

  private sweep(): void {
    const now = this.opts.now();
    for (const conn of this.connections.values()) {
      if (conn.closing) continue;
      if (now - conn.connectedAt >= this.limits.maxLifetimeMs || now - conn.lastActiveAt >= this.limits.idleTimeoutMs) this.end(conn, 1001, 'Going away');
    }
  }

  /** Closes every connection (each gets its $disconnect) and stops. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const conn of this.connections.values()) if (!conn.closing) this.end(conn, 1001, 'Going away');
    const deadline = Date.now() + 2_000;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.connections.values()) conn.ws.terminate();
    this.server.close();
  }
}
