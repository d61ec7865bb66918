// AppSync subscriptions over AppSync's real-time WebSocket protocol (docs/appsync.md,
// "Subscriptions"): `/graphql/realtime` (the API of the Host's `POST /graphql`) and
// `/appsync-api/<id>/graphql/realtime`, subprotocol `graphql-ws`. connection_init -> connection_ack
// and `ka` keep-alives; start -> checked against the schema and the caller's auth -> start_ack;
// stop -> complete; a mutation result published to the gateway (publish()) goes to the
// subscriptions of its field as `data`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type SelectionSetNode,
} from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { RouteTable } from '../routes.js';
import { ApiCache, authenticate, fieldAllowed, isRealtimePath, type ServedApi } from './apis.js';
import { matchesArguments, project, type Selection } from './project.js';

export interface AppSyncRealtimeLimits {
  /** Open real-time connections the gateway holds at once (its own cap, beside WebSocket APIs'). */
  maxConnections: number;
  /** Subscriptions of one connection. */
  maxSubscriptionsPerConnection: number;
  /** A client message's size; larger closes the connection (1009). */
  maxMessageBytes: number;
  /** A connection with no subscription for this long is closed. */
  idleWithoutSubscriptionMs: number;
  /** How often `ka` is sent. */
  keepAliveMs: number;
}

export const DEFAULT_APPSYNC_REALTIME_LIMITS: AppSyncRealtimeLimits = {
  maxConnections: 10_000,
  maxSubscriptionsPerConnection: 100,
  maxMessageBytes: 200 * 1024,
  idleWithoutSubscriptionMs: 5 * 60_000,
  keepAliveMs: 60_000,
};

/** What connection_ack tells the client: it may consider the connection dead after this long without `ka`. */
const CONNECTION_TIMEOUT_MS = 300_000;
const SWEEP_MS = 30_000;
const PROTOCOL = 'graphql-ws';

export interface AppSyncRealtimeOptions {
  log: Logger;
  now: () => number;
  /** The route table a Host is served from. */
  tableFor: (host: string | undefined) => RouteTable;
  limits?: Partial<AppSyncRealtimeLimits>;
}

interface Subscription {
  conn: Connection;
  id: string;
  apiId: string;
  /** The response key (alias or field name) data goes out under. */
  key: string;
  mutations: ReadonlySet<string>;
  args: Record<string, unknown>;
  type: GraphQLOutputType;
  selectionSet?: SelectionSetNode;
  selection: Selection;
}

interface Connection {
  ws: WebSocket;
  host: string;
  path: string;
  /** The auth headers of the handshake's `header` parameter (undefined: missing or not base64 JSON). */
  headers?: Record<string, unknown>;
  acked: boolean;
  subscriptions: Map<string, Subscription>;
  /** Since when it has had no subscription. */
  idleSince: number;
  keepAlive?: NodeJS.Timeout;
  closing: boolean;
}

type ErrorEntry = { errorType: string; message: string };

/** Ends a handshake with an HTTP answer. */
function refuse(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = status === 404 ? 'Not Found' : status === 429 ? 'Too Many Requests' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The `header` query parameter: base64 JSON of the auth headers. */
function decodeHeader(value: string | null): Record<string, unknown> | undefined {
  if (!value) return undefined;
  try {
    const doc: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class AppSyncRealtime {
  private readonly connections = new Set<Connection>();
  /** Subscriptions by API id: what a publish looks through. */
  private readonly byApi = new Map<string, Set<Subscription>>();
  private readonly server: WebSocketServer;
  private readonly limits: AppSyncRealtimeLimits;
  private readonly apis: ApiCache;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: AppSyncRealtimeOptions) {
    this.limits = { ...DEFAULT_APPSYNC_REALTIME_LIMITS, ...opts.limits };
    this.apis = new ApiCache((m) => opts.log.warn(m));
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
    });
    this.sweeper = setInterval(() => this.sweep(), Math.min(SWEEP_MS, this.limits.idleWithoutSubscriptionMs)).unref();
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * The http server's 'upgrade' for a WebSocket handshake: true when the path is a real-time
   * endpoint's (this takes it), false to leave it to WebSocket APIs.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!isRealtimePath(path)) return false;
    socket.on('error', () => socket.destroy());
    const host = req.headers.host ?? '';
    if (!this.apis.resolve(this.opts.tableFor(host), path)) {
      refuse(socket, 404, '{"message":"Not Found"}');
      return true;
    }
    if (this.connections.size >= this.limits.maxConnections) {
      refuse(socket, 429, '{"message":"Limit Exceeded"}');
      return true;
    }
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const headers = decodeHeader(query.get('header'));
    this.server.handleUpgrade(req, socket, head, (ws) => this.opened(ws, host, path, headers));
    return true;
  }

  private opened(ws: WebSocket, host: string, path: string, headers: Record<string, unknown> | undefined): void {
    const conn: Connection = { ws, host, path, headers, acked: false, subscriptions: new Map(), idleSince: this.opts.now(), closing: false };
    this.connections.add(conn);
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(conn, data, isBinary));
    ws.on('error', () => {}); // ws closes the connection itself (1009 for a message over the limit)
    ws.once('close', () => this.closed(conn));
  }

  private send(conn: Connection, message: Record<string, unknown>): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(message));
  }

  private error(conn: Connection, id: string | undefined, errors: ErrorEntry[]): void {
    this.send(conn, { ...(id === undefined ? {} : { id }), type: 'error', payload: { errors } });
  }

  private message(conn: Connection, data: RawData, isBinary: boolean): void {
    const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
    let msg: Record<string, unknown>;
    try {
      const doc: unknown = isBinary ? undefined : JSON.parse(text);
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
      msg = doc as Record<string, unknown>;
    } catch {
      this.error(conn, undefined, [{ errorType: 'UnsupportedOperation', message: 'The message is not a JSON object.' }]);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    switch (msg.type) {
      case 'connection_init':
        return this.init(conn);
      case 'start':
        return this.start(conn, id, msg.payload);
      case 'stop': {
        if (id === undefined) return this.error(conn, undefined, [{ errorType: 'UnsupportedOperation', message: 'stop needs the id of a subscription.' }]);
        this.unsubscribe(conn, id);
        this.send(conn, { id, type: 'complete' });
        return;
      }
      default:
        this.error(conn, id, [{ errorType: 'UnsupportedOperation', message: `Unsupported operation ${JSON.stringify(msg.type ?? null)}.` }]);
    }
  }

  private init(conn: Connection): void {
    const served = this.apis.resolve(this.opts.tableFor(conn.host), conn.path);
    const auth = served && conn.headers ? authenticate(served.api, conn.headers) : { ok: false as const, errorType: 'UnauthorizedException', message: 'Valid authorization header not provided.' };
    if (!auth.ok) {
      this.send(conn, { type: 'connection_error', payload: { errors: [{ errorType: auth.errorType, message: auth.message }] } });
      this.end(conn, 1000, 'Unauthorized');
      return;
    }
    if (conn.acked) return;
    conn.acked = true;
    this.send(conn, { type: 'connection_ack', payload: { connectionTimeoutMs: CONNECTION_TIMEOUT_MS } });
    conn.keepAlive = setInterval(() => this.send(conn, { type: 'ka' }), this.limits.keepAliveMs).unref();
    this.send(conn, { type: 'ka' });
  }

  private start(conn: Connection, id: string | undefined, payload: unknown): void {
    if (id === undefined || id === '') return this.error(conn, undefined, [{ errorType: 'UnsupportedOperation', message: 'start needs an id.' }]);
    if (!conn.acked) return this.error(conn, id, [{ errorType: 'UnsupportedOperation', message: 'connection_init must come first.' }]);
    if (conn.subscriptions.has(id)) return this.error(conn, id, [{ errorType: 'DuplicatedOperationError', message: `A subscription with id ${id} is already started.` }]);
    if (conn.subscriptions.size >= this.limits.maxSubscriptionsPerConnection) {
      return this.error(conn, id, [{ errorType: 'MaxSubscriptionsReachedError', message: `Max number of ${this.limits.maxSubscriptionsPerConnection} subscriptions reached` }]);
    }
    const served = this.apis.resolve(this.opts.tableFor(conn.host), conn.path);
    if (!served) return this.error(conn, id, [{ errorType: 'NotFoundException', message: 'The API is no longer served.' }]);
    const p = (payload ?? {}) as { data?: unknown; extensions?: { authorization?: unknown } };
    const authHeaders = p.extensions?.authorization && typeof p.extensions.authorization === 'object' ? (p.extensions.authorization as Record<string, unknown>) : conn.headers;
    const auth = authHeaders ? authenticate(served.api, authHeaders) : { ok: false as const, errorType: 'UnauthorizedException', message: 'Valid authorization header not provided.' };
    if (!auth.ok) return this.error(conn, id, [{ errorType: auth.errorType, message: auth.message }]);

    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      request = typeof p.data === 'string' ? JSON.parse(p.data) : (p.data as typeof request);
      if (!request || typeof request !== 'object' || typeof request.query !== 'string') throw new Error('no query');
    } catch {
      return this.error(conn, id, [{ errorType: 'MalformedHttpRequestException', message: 'payload.data must be the JSON of {query, variables}.' }]);
    }
    const made = this.subscription(conn, id, served, request as { query: string; variables?: unknown; operationName?: unknown }, auth);
    if ('errors' in made) return this.error(conn, id, made.errors);
    conn.subscriptions.set(id, made);
    let set = this.byApi.get(made.apiId);
    if (!set) this.byApi.set(made.apiId, (set = new Set()));
    set.add(made);
    this.send(conn, { id, type: 'start_ack' });
  }

  /** A subscription of this request, checked against the schema and the caller's auth. */
  private subscription(conn: Connection, id: string, served: ServedApi, request: { query: string; variables?: unknown; operationName?: unknown }, auth: { mode: ServedApi['api']['auth'][number]['type']; groups?: string[] }): Subscription | { errors: ErrorEntry[] } {
    const { schema, api } = served;
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (err) {
      return { errors: [{ errorType: 'InvalidSyntax', message: (err as Error).message }] };
    }
    const invalid = validate(schema, document, specifiedRules);
    if (invalid.length) return { errors: invalid.map((e) => ({ errorType: 'ValidationError', message: e.message })) };
    const operation = getOperationAST(document, typeof request.operationName === 'string' ? request.operationName : undefined);
    if (!operation) return { errors: [{ errorType: 'ValidationError', message: 'Must provide operation name if query contains multiple operations.' }] };
    const subscriptionType = schema.getSubscriptionType();
    if (operation.operation !== 'subscription' || !subscriptionType) return { errors: [{ errorType: 'UnsupportedOperation', message: `Only subscriptions are served here, not a ${operation.operation}.` }] };
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const inputs = request.variables && typeof request.variables === 'object' && !Array.isArray(request.variables) ? (request.variables as Record<string, unknown>) : {};
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
    if (coerced.errors) return { errors: coerced.errors.map((e) => ({ errorType: 'ValidationError', message: e.message })) };
    const field = rootField(operation.selectionSet, fragments);
    if (!field) return { errors: [{ errorType: 'ValidationError', message: 'A subscription selects one field.' }] };
    const def = subscriptionType.getFields()[field.name.value]!;
    if (!fieldAllowed(api, subscriptionType, def.name, auth)) return { errors: [{ errorType: 'UnauthorizedException', message: `Not Authorized to access ${def.name} on type ${subscriptionType.name}` }] };
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(def, field, coerced.coerced);
    } catch (err) {
      return { errors: [{ errorType: 'ValidationError', message: (err as Error).message }] };
    }
    return {
      conn,
      id,
      apiId: api.api_id,
      key: field.alias?.value ?? field.name.value,
      mutations: new Set(served.subscribed.get(def.name) ?? []),
      args,
      type: def.type,
      selectionSet: field.selectionSet,
      selection: { schema, fragments, variables: coerced.coerced },
    };
  }

  /**
   * A mutation's result handed over by the API's function: sent to each subscription of this API
   * whose field subscribes to the mutation and whose arguments match. Returns how many got it.
   */
  publish(apiId: string, mutation: string, data: unknown): number {
    let sent = 0;
    for (const sub of this.byApi.get(apiId) ?? []) {
      if (!sub.mutations.has(mutation) || !matchesArguments(sub.args, data)) continue;
      const value = project(sub.selection, sub.type, data, sub.selectionSet);
      this.send(sub.conn, { id: sub.id, type: 'data', payload: { data: { [sub.key]: value } } });
      sent++;
    }
    return sent;
  }

  private unsubscribe(conn: Connection, id: string): void {
    const sub = conn.subscriptions.get(id);
    if (!sub) return;
    conn.subscriptions.delete(id);
    const set = this.byApi.get(sub.apiId);
    set?.delete(sub);
    if (set?.size === 0) this.byApi.delete(sub.apiId);
    if (conn.subscriptions.size === 0) conn.idleSince = this.opts.now();
  }

  private closed(conn: Connection): void {
    clearInterval(conn.keepAlive);
    for (const id of [...conn.subscriptions.keys()]) this.unsubscribe(conn, id);
    this.connections.delete(conn);
  }

  private end(conn: Connection, code: number, reason: string): void {
    if (conn.closing) return;
    conn.closing = true;
    clearInterval(conn.keepAlive);
    conn.ws.close(code, reason);
    setTimeout(() => conn.ws.terminate(), 5_000).unref();
  }

  private sweep(): void {
    const now = this.opts.now();
    for (const conn of this.connections) {
      if (!conn.closing && conn.subscriptions.size === 0 && now - conn.idleSince >= this.limits.idleWithoutSubscriptionMs) this.end(conn, 1000, 'Idle');
    }
  }

  /** Closes every connection and stops. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const conn of this.connections) this.end(conn, 1001, 'Going away');
    const deadline = Date.now() + 2_000;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.connections) conn.ws.terminate();
    this.server.close();
  }
}

/** The one top-level field of a subscription (validation allows one). */
function rootField(selectionSet: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>): FieldNode | undefined {
  for (const sel of selectionSet.selections) {
    if (sel.kind === Kind.FIELD) return sel;
    const inner = sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : fragments[sel.name.value]?.selectionSet;
    const found = inner ? rootField(inner, fragments) : undefined;
    if (found) return found;
  }
  return undefined;
}
