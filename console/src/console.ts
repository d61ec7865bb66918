// The browser console: a fastify plugin the gateway mounts at /_esb/ (docs/console.md). It
// serves the page (Preact + htm as ES modules straight from node_modules, no bundler), JSON for
// the pages, and one Server-Sent Events stream per open page; changes are coalesced into at
// most one push per topic every PUSH_DELAY_MS, whatever the traffic.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { decideAccess } from './access.js';
import { InvocationCapture, type InvokeResultLike, type InvokerLike } from './capture.js';
import { Recorder, type InvocationView, type LogLineView } from './recorder.js';
import { StorageQueryError, type StorageBrowser } from './storage.js';
import { functionViews, routeViews, traffic, type DeploymentView, type FunctionInfo, type FunctionView, type RouteInfo, type RouteView } from './views.js';

export const CONSOLE_PREFIX = '/_esb';
export const PUSH_DELAY_MS = 150;
export const SLOW_PUSH_MS = 1_000;
/** While a page is open, pool states (instances starting, reaped) are re-sent this often. */
export const REFRESH_MS = 5_000;
const HEARTBEAT_MS = 15_000;

export interface ConsoleSources {
  deployments(): Promise<DeploymentView[]>;
  routes(): RouteInfo[];
  functions(): FunctionInfo[];
  storage?: StorageBrowser;
  /** The EventBridge rules, SNS subscriptions and state machines in force, and where each sends (the agent's). */
  eventRoutes?(): EventRoutes;
  /** Where "try it" sends its requests: the gateway's own address. */
  gatewayUrl(): string;
}

export interface EventRoutes {
  rules: Array<{ rule: string; bus: string; targets: string[] }>;
  subscriptions: Array<{ topic: string; subscription: string; target: string }>;
  /** Step Functions state machines, with the executions running and kept. */
  stateMachines?: Array<{ stateMachine: string; type: string; running: number; executions: number }>;
  /** Kinesis stream mappings: the function reading each stream and the records waiting for it. */
  streamReaders?: Array<{ functionName: string; mapping: string; source: string; queued: number }>;
  /** Durable functions with executions: running, kept, and the latest (name, status, start in ms). */
  durableFunctions?: Array<{ function: string; running: number; executions: number; latest: Array<{ name: string; status: string; startedAt: number }> }>;
}

export interface ConsoleOptions {
  sources: ConsoleSources;
  /** ESB_CONSOLE_TOKEN: lets non-loopback clients in with this token. */
  token?: string;
  now?: () => number;
}

// `routes` and `functions` are the route table and the functions with their pools; `traffic`
// the latency and latest requests of the routes and functions that had requests. Requests make
// `traffic` dirty (small) and `functions` (pool counts) at most once per SLOW_PUSH_MS, so a
// 5,000-route, 1,000-function config is not re-sent per request.
type Topic = 'deployments' | 'routes' | 'traffic' | 'functions' | 'logs';
const TOPICS: Topic[] = ['deployments', 'routes', 'traffic', 'functions', 'logs'];

interface Client {
  res: ServerResponse;
  logsOf?: string;
  lastLogSeq: number;
}

export interface ConsoleState {
  deployments: DeploymentView[];
  routes: RouteView[];
  functions: FunctionView[];
}

export interface EsbConsole {
  /** Mount with `app.register(plugin, { prefix: CONSOLE_PREFIX })` (the gateway's `console` option). */
  plugin: FastifyPluginAsync;
  /** The gateway's per-request hook (O(1): a ring-buffer write). */
  observe: Recorder['observe'];
  /** An agent log sink. */
  logSink: Recorder['logSink'];
  recorder: Recorder;
  /** Wraps the gateway's invoker so "try it" can show the event a function received. */
  wrapInvoker<R extends InvokeResultLike, C extends { traceId?: string }>(invoker: InvokerLike<R, C>): InvokerLike<R, C>;
  /** Something changed in a part: the open pages get it (coalesced). */
  changed(topic: 'deployments' | 'routes' | 'functions'): void;
  state(): Promise<ConsoleState>;
  recent(limit: number): InvocationView[];
  close(): void;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC_DIR = path.resolve(here, '..', 'public');
const require = createRequire(import.meta.url);

/** Browser modules served from node_modules: URL name -> file. */
function vendorFiles(): Record<string, string> {
  // Package roots from their main entries (htm's exports do not include package.json).
  const packageRoot = (name: string) => {
    let dir = path.dirname(require.resolve(name));
    while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') dir = path.dirname(dir);
    return dir;
  };
  const preactDir = packageRoot('preact');
  const htmDir = packageRoot('htm');
  return {
    'preact.mjs': path.join(preactDir, 'dist', 'preact.mjs'),
    'hooks.mjs': path.join(preactDir, 'hooks', 'dist', 'hooks.mjs'),
    'htm.mjs': path.join(htmDir, 'dist', 'htm.mjs'),
  };
}

const STATIC: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'index.html': 'text/html; charset=utf-8',
};

export function createConsole(opts: ConsoleOptions): EsbConsole {
  const { sources } = opts;
  const clients = new Set<Client>();
  const dirty = new Set<Topic>();
  let pushTimer: NodeJS.Timeout | undefined;
  let slowTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const markDirty = (topic: Topic, slow = false) => {
    if (clients.size === 0) return; // nobody watching: nothing to do, nothing scheduled
    if (slow) {
      slowTimer ??= setTimeout(() => {
        slowTimer = undefined;
        markDirty(topic);
      }, SLOW_PUSH_MS);
      return;
    }
    dirty.add(topic);
    pushTimer ??= setTimeout(flush, PUSH_DELAY_MS);
  };
  const recorder = new Recorder((topic) => {
    if (topic === 'logs') markDirty('logs');
    else {
      markDirty('traffic');
      markDirty('functions', true);
    }
  }, opts.now);
  const capture = new InvocationCapture();

  const snapshot = async (topic: Exclude<Topic, 'logs'>): Promise<unknown> => {
    if (topic === 'deployments') return sources.deployments();
    if (topic === 'routes') return sources.routes();
    if (topic === 'traffic') return traffic(recorder);
    return sources.functions();
  };

  const send = (client: Client, event: string, data: unknown) => {
    client.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const sendLogs = (client: Client) => {
    if (!client.logsOf) return;
    const lines = recorder.logsOf(client.logsOf, client.lastLogSeq);
    if (lines.length === 0) return;
    client.lastLogSeq = lines[lines.length - 1].seq;
    send(client, 'logs', { function: client.logsOf, lines });
  };

  async function flush(): Promise<void> {
    pushTimer = undefined;
    const topics = [...dirty];
    dirty.clear();
    for (const topic of topics) {
      if (topic === 'logs') {
        for (const c of clients) sendLogs(c);
        continue;
      }
      let data: unknown;
      try {
        data = await snapshot(topic);
      } catch (err) {
        data = undefined;
        for (const c of clients) send(c, 'problem', { topic, message: err instanceof Error ? err.message : String(err) });
      }
      if (data !== undefined) for (const c of clients) send(c, topic, data);
    }
  }

  const startTimers = () => {
    refreshTimer ??= setInterval(() => {
      markDirty('functions');
      markDirty('deployments');
    }, REFRESH_MS);
    heartbeatTimer ??= setInterval(() => {
      for (const c of clients) c.res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    refreshTimer.unref();
    heartbeatTimer.unref();
  };
  const stopTimersIfIdle = () => {
    if (clients.size > 0) return;
    clearInterval(refreshTimer);
    clearInterval(heartbeatTimer);
    clearTimeout(pushTimer);
    clearTimeout(slowTimer);
    refreshTimer = heartbeatTimer = pushTimer = slowTimer = undefined;
    dirty.clear();
  };

  const closeClients = () => {
    for (const c of clients) c.res.end();
    clients.clear();
    stopTimersIfIdle();
  };

  const state = async (): Promise<ConsoleState> => {
    const t = traffic(recorder);
    return { deployments: await sources.deployments(), routes: routeViews(sources.routes(), t), functions: functionViews(sources.functions(), t) };
  };

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    const vendor = vendorFiles();

    app.addHook('onRequest', async (req, reply) => {
      const query = req.query as Record<string, string | undefined>;
      const decision = decideAccess(
        {
          remoteAddress: req.raw.socket.remoteAddress,
          host: req.headers.host,
          cookie: req.headers.cookie,
          authorization: req.headers.authorization,
          queryToken: typeof query?.token === 'string' ? query.token : undefined,
        },
        opts.token,
      );
      if (!decision.ok) return reply.code(403).type('application/json').send(JSON.stringify({ message: decision.reason }));
      if (decision.setCookie) reply.header('set-cookie', decision.setCookie);
    });
    app.addHook('preClose', async () => closeClients());
    app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      return reply.code(status).type('application/json').send(JSON.stringify({ message: err.message }));
    });
    app.setNotFoundHandler((_req, reply) => reply.code(404).type('application/json').send(JSON.stringify({ message: 'Not Found' })));

    const sendFile = async (reply: FastifyReply, file: string, type: string) => {
      reply.header('cache-control', 'no-cache').type(type);
      return reply.send(await readFile(file));
    };
    app.get('/', async (_req, reply) => sendFile(reply, path.join(PUBLIC_DIR, 'index.html'), STATIC['index.html']));
    app.get('/:file', async (req, reply) => {
      const { file } = req.params as { file: string };
      if (!STATIC[file] || file === 'index.html') return reply.callNotFound();
      return sendFile(reply, path.join(PUBLIC_DIR, file), STATIC[file]);
    });
    app.get('/vendor/:file', async (req, reply) => {
      const file = vendor[(req.params as { file: string }).file];
      if (!file) return reply.callNotFound();
      return sendFile(reply, file, 'text/javascript; charset=utf-8');
    });

    app.get('/api/state', async () => state());

    app.get('/api/logs/:fn', async (req) => {
      const { fn } = req.params as { fn: string };
      const { request } = req.query as { request?: string };
      const lines: LogLineView[] = recorder.logsOf(fn);
      return { function: fn, lines: request ? lines.filter((l) => l.requestId === request) : lines };
    });

    // One stream per open page: a snapshot of everything, then changes.
    app.get('/events', async (req, reply) => {
      const { logs } = req.query as { logs?: string };
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write('retry: 1000\n\n');
      const client: Client = { res, logsOf: logs || undefined, lastLogSeq: 0 };
      clients.add(client);
      startTimers();
      res.on('close', () => {
        clients.delete(client);
        stopTimersIfIdle();
      });
      for (const topic of TOPICS) {
        if (topic === 'logs') sendLogs(client);
        else {
          try {
            send(client, topic, await snapshot(topic));
          } catch (err) {
            send(client, 'problem', { topic, message: err instanceof Error ? err.message : String(err) });
          }
        }
      }
    });

    app.post('/api/try', async (req, reply) => {
      const input = parseTryInput(req);
      const traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
      const url = `${sources.gatewayUrl()}${input.path}${input.query ? `?${input.query}` : ''}`;
      const headers: Record<string, string> = { ...input.headers, 'x-amzn-trace-id': traceId };
      const capturing = capture.start(traceId);
      const t0 = performance.now();
      let res: Response;
      try {
        res = await fetch(url, { method: input.method, headers, body: input.method === 'GET' || input.method === 'HEAD' ? undefined : input.body });
      } catch (err) {
        capturing.stop();
        return reply.code(502).send({ message: `the gateway did not answer: ${err instanceof Error ? err.message : String(err)}` });
      }
      const body = Buffer.from(await res.arrayBuffer());
      const durationMs = Math.round((performance.now() - t0) * 100) / 100;
      const invocations = capturing.stop().map((c) => ({
        function: c.function,
        event: parseJsonOr(c.event),
        result: c.result && { requestId: c.result.requestId, durationMs: c.result.durationMs, error: c.result.error, payload: parseJsonOr(c.result.payload) },
      }));
      return {
        request: { method: input.method, url, headers },
        response: { status: res.status, headers: Object.fromEntries(res.headers), body: textOrBase64(body, res.headers.get('content-type')) },
        requestId: res.headers.get('x-amzn-requestid') ?? undefined,
        durationMs,
        invocations,
      };
    });

    const storage = sources.storage;
    app.get('/api/storage', async () => {
      const routes = { stateMachines: [], streamReaders: [], durableFunctions: [], ...(sources.eventRoutes?.() ?? { rules: [], subscriptions: [] }) };
      if (!storage) return { tables: [], buckets: [], queues: [], streams: [], ...routes };
      const [tables, buckets, queues, streams] = await Promise.all([storage.tables(), storage.buckets(), storage.queues(), storage.streams()]);
      return { tables, buckets, queues, streams, ...routes };
    });
    // A scan by default; `pk` (and `sk`, a sort key prefix) make it a query by primary key.
    app.get('/api/storage/tables/:name', async (req, reply) => {
      const { name } = req.params as { name: string };
      const { limit, after, pk, sk } = req.query as { limit?: string; after?: string; pk?: string; sk?: string };
      if (!storage) return { items: [] };
      const pageSize = Math.min(Math.max(Number(limit) || 50, 1), 500);
      try {
        return pk !== undefined && pk !== '' ? await storage.query(name, { partition: pk, ...(sk ? { sortPrefix: sk } : {}) }, pageSize, after || undefined) : await storage.scan(name, pageSize, after || undefined);
      } catch (error) {
        if (error instanceof StorageQueryError) return reply.code(400).send({ message: error.message });
        throw error;
      }
    });
    app.get('/api/storage/buckets/:name', async (req) => {
      const { name } = req.params as { name: string };
      const { prefix } = req.query as { prefix?: string };
      return { objects: storage ? await storage.objects(name, prefix || undefined) : [] };
    });
    app.get('/api/storage/buckets/:name/download', async (req, reply) => {
      const { name } = req.params as { name: string };
      const { key } = req.query as { key?: string };
      if (!storage || !key) return reply.code(400).send({ message: 'query parameter "key" is required' });
      const object = await storage.download(name, key);
      reply.header('content-disposition', `attachment; filename="${path.basename(key).replace(/["\\\r\n]/g, '_')}"`);
      reply.type(object.contentType ?? 'application/octet-stream');
      if (object.contentLength !== undefined) reply.header('content-length', object.contentLength);
      return reply.send(object.body);
    });
  };

  return {
    plugin,
    observe: recorder.observe,
    logSink: recorder.logSink,
    recorder,
    wrapInvoker: (invoker) => capture.wrap(invoker),
    changed: (topic) => {
      if (!closed) markDirty(topic);
    },
    state,
    recent: (limit) => recorder.recent(limit),
    close() {
      closed = true;
      closeClients();
      sources.storage?.close();
    },
  };
}

interface TryInput {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

/** The "try it" form: {method, path, query?, headers?, body?}; a clear error for each bad field. */
export function parseTryInput(req: FastifyRequest): TryInput {
  const raw = req.body as Buffer | undefined;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(raw?.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    throw badRequest('try: the request body is not JSON');
  }
  const method = String(data.method ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) throw badRequest(`try: field "method": "${method}" is not one of ${[...METHODS].join(', ')}`);
  const p = data.path;
  if (typeof p !== 'string' || !p.startsWith('/')) throw badRequest('try: field "path": must be a string starting with "/"');
  if (p.startsWith(`${CONSOLE_PREFIX}/`) || p === CONSOLE_PREFIX) throw badRequest(`try: field "path": ${CONSOLE_PREFIX}/ is the console, not an API route`);
  const headers: Record<string, string> = {};
  if (data.headers !== undefined) {
    if (!data.headers || typeof data.headers !== 'object' || Array.isArray(data.headers)) throw badRequest('try: field "headers": must be an object of strings');
    for (const [k, v] of Object.entries(data.headers as Record<string, unknown>)) {
      if (typeof v !== 'string') throw badRequest(`try: field "headers.${k}": must be a string`);
      headers[k.toLowerCase()] = v;
    }
  }
  if (data.body !== undefined && typeof data.body !== 'string') throw badRequest('try: field "body": must be a string');
  const query = data.query === undefined ? '' : String(data.query).replace(/^\?/, '');
  return { method, path: p, query, headers, body: data.body as string | undefined };
}

function parseJsonOr(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function textOrBase64(buf: Buffer, contentType: string | null): { text?: string; base64?: string } {
  if (!contentType || /^(text\/|application\/(json|xml|javascript)|[^;]*\+json)/.test(contentType)) return { text: buf.toString('utf8') };
  return { base64: buf.toString('base64') };
}
