// The gateway as a fastify app: one catch-all route over the current route table (swapped
// atomically on reload), the Lambda Invoke API, /health, and the access log. `buildGateway`
// returns the app without listening (tests use app.inject); server.ts listens.
import { FUNCTION_URL_HOST_SUFFIX, LOAD_BALANCER_HOST_SUFFIX, FUNCTIONS_CODEC, LOCAL_ACCOUNT_ID, LOCAL_REGION, ROUTING_CODEC, STACKS_CODEC, functionUrlLabel, STACK_PATH_PREFIX, stackHostLabel, type GatewayResponseType } from '@esb/contracts';
import { randomUUID } from 'node:crypto';
import { createServer, ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';
import { EMPTY_FUNCTIONS, EMPTY_ROUTING, newTraceId, sliceWaiting, type LoadBalancer, type FunctionsFile as FunctionsFileT, type RoutingFile as RoutingFileT, type StacksFile as StacksFileT } from '@esb/contracts';
import { HTTP_INTEGRATION_RESPONSE, type InvokeResult, type Invoker, type ResponseStream, type StreamFailure } from '@esb/contracts';
import { watchConfig, type ConfigFileError, type ConfigWatcher } from '@esb/contracts';
import { accessLog as accessLogFor } from './access-log.js';
import { CancellableContext, InvocationCancel } from './client-close.js';
import { DeadlineQueue } from './deadlines.js';
import { TurnBatch } from './turn-batch.js';
import { corsResponseHeaders, preflightHeaders, restCorsOptionsHeaders } from './cors.js';
import { AuthorizerEngine } from './auth/authorize.js';
import type { JwksCache } from './auth/jwt.js';
import { methodArn } from './auth/policy.js';
import { buildV1Event, buildV2Event, edgeHeaders, v1EventJson, v2EventJson, isTextContentType, matchesMediaType, type GatewayRequest, type V1Event, type V2Event } from './events.js';
import { registerInvokeApi } from './invoke-api.js';
import { registerDurableApi } from './durable-api.js';
import { authorizeSignedUrl, type InvokeApiAccess, OPEN_INVOKE_API } from './invoke-auth.js';
import { mapResponse, PreludeReader } from './response.js';
import { customizedAnswer } from './gateway-responses.js';
import { UsageMeter } from './usage-plans.js';
import { validationFailure } from './request-validation.js';
import { frontWay, readBody } from './front.js';
import { MAX_LAMBDA_BODY_BYTES, actionFor, albAnswer, albEvent, chooseTarget, listenerFor, redirectLocation, type AlbRequest } from './load-balancers.js';
import { createConfigParser } from './config-parse.js';
import { serveTlsOnSamePort, tlsFrontOptions, type TlsFrontOptions } from './tls-front.js';
import { WebSocketGateway, type WebSocketLimits } from './websocket/server.js';
import { registerManagementApi } from './websocket/management.js';
import { AppSyncRealtime, type AppSyncRealtimeLimits } from './appsync-realtime/server.js';
import { registerAppSyncPublish } from './appsync-realtime/publish.js';
import { apiKeyIdOf, compileRouteTable, compileRouteTableInSlices, corsOptionsHit, type CompiledRoute, type ResolvedApi, type RouteHit, type RouteMiss, type RouteTable } from './routes.js';

export const FUNCTIONS_FILE = FUNCTIONS_CODEC.name;
export const ROUTING_FILE = ROUTING_CODEC.name;
export const STACKS_FILE = STACKS_CODEC.name;
const LOCALHOST_SUFFIX = '.localhost';
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;
export const DEFAULT_RELOAD_INTERVAL_MS = 1_000;
export const MIN_RELOAD_INTERVAL_MS = 500;
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Reserved for the browser console: never an API route, whether a console is mounted or not. */
export const CONSOLE_PREFIX = '/_esb';

/** Told once per answered request that reached a function (the console's ring buffers; keep it O(1)). */
export type RequestObserver = (fn: string, route: string, method: string, path: string, status: number, durationMs: number, requestId: string) => void;

export interface GatewayOptions {
  invoker: Invoker;
  /** Folder holding functions.yml and routing.yml, watched for changes. */
  configDir?: string;
  /** Config to serve when there is no configDir (tests, embedding). */
  initialConfig?: { functions?: FunctionsFileT; routing?: RoutingFileT; stacks?: StacksFileT };
  /** Poll interval of the config watcher (default 1000; the CLI enforces a 500 ms minimum). */
  reloadIntervalMs?: number;
  /** Watch the folder with fs.watch in addition to polling (default true). */
  fsWatch?: boolean;
  /** API Gateway's integration timeout (default 29 s): 504 after it. */
  integrationTimeoutMs?: number;
  log?: Logger;
  /** Called with each new functions.yml (and once at start), e.g. agent.setFunctions. */
  onFunctions?: (functions: FunctionsFileT) => void | Promise<void>;
  /** Called after each route-table swap (tests, metrics). */
  onReload?: (table: RouteTable) => void;
  bodyLimit?: number;
  /** Injected clock (epoch ms) for event times. */
  now?: () => number;
  accountId?: string;
  region?: string;
  /** API keys accepted in x-api-key for routes with ApiKeyRequired (read on every such request). */
  apiKeys?: () => ReadonlySet<string>;
  /** JWKS fetching and caching for JWT authorizers (tests inject one). */
  jwks?: JwksCache;
  /** issuer -> JWKS URL or local JWKS file, instead of `<issuer>/.well-known/jwks.json`. */
  jwksLocations?: Record<string, string>;
  /** Cognito tokens of an issuer with no known keys are taken unverified (startGateway: on a loopback listener). */
  acceptUnverifiedCognito?: boolean;
  /** The browser console, mounted at /_esb/ (docs/console.md); without it /_esb/ answers 404. */
  console?: FastifyPluginAsync;
  /** Per-request hook for routed and Invoke API requests (the console's recorder). */
  onRequestDone?: RequestObserver;
  /** Who may call the Lambda Invoke API (default: anyone; startGateway closes it beyond loopback). */
  invokeApi?: InvokeApiAccess;
  /** HTTPS on the same port (docs/gateway.md): the local CA's folder (default `<configDir>/tls`, else a CA of the process's own); false: HTTP only. */
  tls?: TlsFrontOptions | false;
  /** WebSocket APIs (docs/gateway.md, "WebSocket APIs"): the host functions reach the gateway at (events' domainName) and limits. */
  websocket?: { domainName?: string; limits?: Partial<WebSocketLimits> };
  /** AppSync subscriptions' real-time endpoint (docs/appsync.md): its limits. */
  appsyncRealtime?: Partial<AppSyncRealtimeLimits>;
}

export interface Gateway {
  app: FastifyInstance;
  /** Re-reads the config folder now (a no-op without configDir). */
  reload(): Promise<void>;
  /** The route table in service. */
  table(): RouteTable;
  /** Stops watching, drains in-flight requests, closes the server. */
  close(): Promise<void>;
}

const JSON_CT = 'application/json';
// Buffers: fastify sends them as they are (a string JSON body would get "; charset=utf-8").
const MSG = {
  internal: Buffer.from('{"message":"Internal server error"}'),
  // An HTTP API words it in title case, with 500 (functionFailed).
  httpInternal: Buffer.from('{"message":"Internal Server Error"}'),
  timeout: Buffer.from('{"message":"Endpoint request timed out"}'),
  throttled: Buffer.from('{"message":"Too Many Requests"}'),
  unavailable: Buffer.from('{"message":"Service Unavailable"}'),
  tooLarge: Buffer.from('{"message":"Request Entity Too Large"}'),
  limitExceeded: Buffer.from('{"message":"Limit Exceeded"}'),
  urlForbidden: Buffer.from('{"Message":"Forbidden"}'),
  forbidden: Buffer.from('{"message":"Forbidden"}'),
};
const EMPTY_BODY = Buffer.alloc(0);
const DROPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/** A streamed response that came whole, as a stream. */
function wholeStream(contentType: string, payload: Buffer): ResponseStream {
  return {
    contentType,
    open(sink) {
      if (payload.length) sink.chunk(payload);
      sink.end();
    },
    cancel() {},
  };
}

/** The request id every routed response carries; an HTTP API's answers for its routes also carry `apigw-requestid`. */
function requestIdHeaders(requestId: string, httpApi: boolean): Record<string, string> {
  return httpApi ? { 'x-amzn-requestid': requestId, 'apigw-requestid': requestId } : { 'x-amzn-requestid': requestId };
}

export { newTraceId };

class IntegrationTimeout extends Error {
  constructor(ms: number) {
    super(`integration timeout after ${ms} ms`);
    this.name = 'IntegrationTimeout';
  }
}

/** Each stack's own route table (lower-cased stack name -> table), served at <stack>.localhost. */
function compileStackTables(stacks: StacksFileT | undefined, functions: FunctionsFileT): Map<string, RouteTable> {
  const out = new Map<string, RouteTable>();
  for (const [name, stack] of Object.entries(stacks?.stacks ?? {})) out.set(stackHostLabel(name), compileRouteTable(stack.routing, functions));
  return out;
}

/**
 * Each function URL's table (host label -> a table of one HTTP API with a `$default` route to
 * the function), served at <label>.lambda-url.localhost (docs/gateway.md, "Function URLs").
 */
function compileUrlTables(functions: FunctionsFileT): Map<string, RouteTable> {
  const out = new Map<string, RouteTable>();
  for (const [key, fn] of Object.entries(functions.functions)) {
    if (!fn.url) continue;
    const label = functionUrlLabel(key);
    const api = `${label}${FUNCTION_URL_HOST_SUFFIX}`;
    const urlTable = compileRouteTable(
      {
        routes: [{ path: '$default', method: 'ANY', function: key, api, ...(fn.url.auth_type === 'AWS_IAM' ? { auth: { authorizer: 'AWS_IAM' } } : {}) }],
        apis: { [api]: { type: 'http', stage: '$default', stage_variables: {}, binary_media_types: [], payload_format_version: '2.0', ...(fn.url.cors ? { cors: fn.url.cors } : {}) } },
      },
      functions,
    );
    (urlTable.apis[api] as ResolvedApi).functionUrl = true;
    if (fn.url.auth_type === 'AWS_IAM') (urlTable.apis[api] as ResolvedApi).iamAuth = true;
    if (fn.url.invoke_mode === 'RESPONSE_STREAM') (urlTable.apis[api] as ResolvedApi).responseStream = true;
    out.set(label, urlTable);
  }
  return out;
}

/** The same, each big table in slices with the event loop free in between (docs/gateway.md). */
async function compileStackTablesInSlices(stacks: StacksFileT | undefined, functions: FunctionsFileT): Promise<Map<string, RouteTable>> {
  const out = new Map<string, RouteTable>();
  for (const [name, stack] of Object.entries(stacks?.stacks ?? {})) out.set(stackHostLabel(name), await compileRouteTableInSlices(stack.routing, functions));
  return out;
}

/**
 * The CORS an API adds to its responses: an HTTP API's (and a function URL's) `CorsConfiguration`
 * does; a REST API's `Cors` is only its OPTIONS methods, and its functions set their own headers.
 */
function responseCors(api: ResolvedApi | undefined): ResolvedApi['cors'] {
  return api?.type === 'rest' ? undefined : api?.cors;
}

export async function buildGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? pino({ name: 'esb-gateway' });
  const invoker = opts.invoker;
  const integrationTimeoutMs = opts.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
  const now = opts.now ?? Date.now;
  const accountId = opts.accountId ?? LOCAL_ACCOUNT_ID;
  const region = opts.region ?? LOCAL_REGION;
  // Authorizer functions run through the same invoker as the routes' functions.
  const auth = new AuthorizerEngine({
    invoke: async (fn, payload) => {
      const result = await opts.invoker.invoke(fn, payload, {});
      return { payload: result.payload, error: result.error };
    },
    apiKeys: opts.apiKeys,
    jwks: opts.jwks,
    jwksLocations: opts.jwksLocations,
    acceptUnverifiedCognito: opts.acceptUnverifiedCognito,
    now,
  });

  let table: RouteTable = compileRouteTable(opts.initialConfig?.routing ?? EMPTY_ROUTING, opts.initialConfig?.functions ?? EMPTY_FUNCTIONS);
  let stackTables = compileStackTables(opts.initialConfig?.stacks, opts.initialConfig?.functions ?? EMPTY_FUNCTIONS);
  let urlTables = compileUrlTables(opts.initialConfig?.functions ?? EMPTY_FUNCTIONS);
  /** Application Load Balancers by host label (docs/gateway.md "Application Load Balancers"). */
  let loadBalancers: Readonly<Record<string, LoadBalancer>> = opts.initialConfig?.routing?.load_balancers ?? {};
  // A function URL host that names no function: nothing there (404).
  const noUrl = compileRouteTable(EMPTY_ROUTING, EMPTY_FUNCTIONS);
  let watcher: ConfigWatcher | undefined;
  /** The stacks.yml the tables above were compiled from: its digests are what /health reports as served. */
  let servedStacks = opts.initialConfig?.stacks;

  // Host <label>.lambda-url.localhost[:port]: that function's URL; <stack>.localhost[:port]: that
  // stack's own routes; any other host: the merged table.
  const tableFor = (host: string | undefined): RouteTable => {
    if ((stackTables.size === 0 && urlTables.size === 0) || !host) return table;
    const name = hostName(host);
    if (!name.endsWith(LOCALHOST_SUFFIX)) return table;
    if (name.endsWith(FUNCTION_URL_HOST_SUFFIX)) return urlTables.get(name.slice(0, -FUNCTION_URL_HOST_SUFFIX.length)) ?? noUrl;
    return stackTables.get(name.slice(0, -LOCALHOST_SUFFIX.length)) ?? table;
  };

  const swap = (next: RouteTable) => {
    table = next; // one assignment: requests already running keep the table they looked up
    auth.clear(); // authorizers may have changed: cached decisions go
    for (const w of next.warnings) log.warn({ warning: w }, 'routing');
    for (const r of next.routes) {
      if (r.resource === CONSOLE_PREFIX || r.resource.startsWith(`${CONSOLE_PREFIX}/`)) log.warn({ route: r.routeKey, function: r.function }, `route ${r.routeKey} is never reached: ${CONSOLE_PREFIX}/ is reserved for the esb console`);
    }
    opts.onReload?.(next);
  };

  const parser = createConfigParser();
  if (opts.configDir) {
    const configDir = opts.configDir;
    let first = true;
    watcher = watchConfig<unknown>({
      configDir,
      // stacks.yml before routing.yml: apply renames it last, so a stack's new digest read here
      // comes with the routing.yml written before it (docs/apply.md, "Stacks and owners").
      files: [FUNCTIONS_FILE, STACKS_FILE, ROUTING_FILE],
      intervalMs: opts.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS,
      fsWatch: opts.fsWatch,
      log,
      parse: (file, text) => parser.parse(`${configDir}/${file}`, text),
      onError: (err: ConfigFileError) => log.error({ err: err.message, file: err.file }, 'config reload failed; keeping the config in service'),
      onChange: async (parsed, changed) => {
        const functions = (parsed[FUNCTIONS_FILE] as FunctionsFileT | undefined) ?? EMPTY_FUNCTIONS;
        const routing = (parsed[ROUTING_FILE] as RoutingFileT | undefined) ?? EMPTY_ROUTING;
        if (first) {
          const missing = [FUNCTIONS_FILE, ROUTING_FILE].filter((f) => parsed[f] === undefined);
          if (missing.length) log.warn({ configDir, missing }, 'WARNING: No runtime config found. Using empty config. Deploy required (nothing is deployed yet).');
        }
        const t0 = performance.now();
        // Thousands of routes compile in slices: requests are served in between (docs/gateway.md).
        const next = await compileRouteTableInSlices(routing, functions);
        stackTables = await compileStackTablesInSlices(parsed[STACKS_FILE] as StacksFileT | undefined, functions);
        urlTables = compileUrlTables(functions);
        loadBalancers = routing.load_balancers ?? {};
        swap(next);
        servedStacks = parsed[STACKS_FILE] as StacksFileT | undefined;
        log.info({ routes: next.routes.length, functions: Object.keys(functions.functions).length, changed, ms: Math.round(performance.now() - t0) }, first ? 'config loaded' : 'config reloaded');
        if ((first || changed.includes(FUNCTIONS_FILE)) && opts.onFunctions) await opts.onFunctions(functions);
        first = false;
      },
    });
    await watcher.ready;
  } else if (opts.onFunctions) {
    await opts.onFunctions(table.functions);
  }

  const bodyLimit = opts.bodyLimit ?? BODY_LIMIT_BYTES;
  // Set once close starts: from then on every request goes to fastify, which answers 503.
  let closing = false;
  // Function routes skip fastify's per-request path (docs/gateway.md, "Request path").
  // `serveRoute` is defined below; the server only takes requests once the app listens.
  const front =
    (toFastify: RequestListener): RequestListener =>
    (req, res) => {
      const way = closing ? 'fastify' : frontWay(req, CONSOLE_PREFIX);
      if (way === 'bodyless') serveRoute(req, res, undefined);
      else if (way === 'body') readBody(req, bodyLimit, (err, body) => (err ? answerError(err, req, res, true) : serveRoute(req, res, body)));
      else toFastify(req, res);
    };

  const app = Fastify({
    // The server fastify would create (same timeouts), with the data plane's front as its handler.
    serverFactory: (handler, options) => {
      const o = options as unknown as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number };
      const server = createServer(front(handler as RequestListener));
      server.keepAliveTimeout = o.keepAliveTimeout;
      server.requestTimeout = o.requestTimeout;
      server.setTimeout(o.connectionTimeout);
      if (o.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = o.maxRequestsPerSocket;
      // TLS on the same port: the first byte tells (docs/gateway.md, "HTTPS on the same port").
      const tls = tlsFrontOptions(opts.tls, opts.configDir);
      if (tls) serveTlsOnSamePort(server, tls, log);
      return server;
    },
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger (a pino child per request showed in profiles): nothing logs through req.log.
    childLoggerFactory: (logger) => logger,
    bodyLimit,
    // A function's full ARN is a path parameter of the Invoke API: up to 140 characters, past find-my-way's default 100.
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    // Requests fastify rejects before routing (an invalid URL encoding): still the API's shape.
    frameworkErrors: (err, _req, rawReply) => {
      const reply = rawReply as FastifyReply;
      void reply
        .code(err.statusCode ?? 400)
        .header('x-amzn-RequestId', randomUUID())
        .type(JSON_CT)
        .send(Buffer.from(JSON.stringify({ message: err.statusCode && err.statusCode >= 500 ? 'Internal server error' : 'Bad Request' })));
    },
  }) as unknown as FastifyInstance;

  // However close starts (gw.close or app.close), fastify answers from then on.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  /** What an error answers (fastify's error handler and the front's raw twin give the same). */
  const errorAnswer = (err: Error & { statusCode?: number; code?: string }, method: string, url: string): { status: number; body: Buffer; requestId: string } => {
    const status = err.statusCode ?? 500;
    const requestId = randomUUID();
    log.info({ method, path: url.split('?')[0], status: status >= 400 && status < 500 ? status : 500, requestId, error: err.code ?? err.name }, 'request');
    if (status === 413) return { status, body: MSG.tooLarge, requestId };
    if (status >= 400 && status < 500) return { status, body: Buffer.from(JSON.stringify({ message: err.message })), requestId };
    log.error({ err, method, url, requestId }, 'gateway error');
    return { status: 500, body: MSG.internal, requestId };
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const a = errorAnswer(err, req.method, req.url);
    return reply.header('x-amzn-RequestId', a.requestId).code(a.status).type(JSON_CT).send(a.body);
  });

  /** The error handler's answer on a raw response; after a body error the connection closes (the client may still be sending), as fastify does. */
  function answerError(err: Error & { statusCode?: number; code?: string }, req: IncomingMessage, res: ServerResponse, bodyError = false): void {
    const a = errorAnswer(err, req.method ?? 'GET', req.url ?? '/');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const head: Record<string, string> = bodyError ? { connection: 'close' } : {};
    head['x-amzn-requestid'] = a.requestId;
    head['content-type'] = JSON_CT;
    head['content-length'] = String(a.body.length);
    res.writeHead(a.status, head);
    res.end(a.body);
  }

  app.get('/health', async (req, reply) => {
    reply.header('x-amzn-RequestId', randomUUID());
    const health: Record<string, unknown> = { status: 'ok', routes: table.routes.length, functions: Object.keys(table.functions.functions).length };
    // ?stack=<name>: the digest of that stack's artifact this gateway serves (null: none), for `esb deploy` to wait on.
    const stack = (req.query as Record<string, unknown>).stack;
    if (typeof stack === 'string') {
      const served = servedStacks?.stacks ?? {};
      health.stack = { name: stack, digest: (Object.hasOwn(served, stack) && served[stack].digest) || null };
    }
    return health;
  });

  const observe = opts.onRequestDone;
  const invokeAccess = opts.invokeApi ?? OPEN_INVOKE_API;
  registerInvokeApi(app, { invoker, log, accountId, region, now, onRequestDone: observe, access: invokeAccess, isDurable: (fn) => table.functions.functions[fn]?.durable !== undefined });
  registerDurableApi(app, { invoker, access: invokeAccess, now });
  const websockets = new WebSocketGateway({
    invoker,
    auth,
    log,
    now,
    tableFor,
    domainName: opts.websocket?.domainName,
    integrationTimeoutMs,
    accountId,
    region,
    limits: opts.websocket?.limits,
    onEvent: observe,
  });
  registerManagementApi(app, websockets, invokeAccess, now);
  // AppSync subscriptions (docs/appsync.md): their real-time paths before WebSocket APIs.
  const appsyncRealtime = new AppSyncRealtime({ log, now, tableFor, limits: opts.appsyncRealtime });
  registerAppSyncPublish(app, appsyncRealtime, invokeAccess, now);
  app.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (closing) socket.destroy();
    else if (WebSocketGateway.isWebSocketUpgrade(req)) {
      if (!appsyncRealtime.handleUpgrade(req, socket, head)) websockets.handleUpgrade(req, socket, head);
    }
    else serveIgnoringUpgrade(app.server, req, socket, head);
  });

  // The console's prefix is the gateway's own: a deployed route under it is never reached.
  if (opts.console) await app.register(opts.console, { prefix: CONSOLE_PREFIX });
  else {
    const notFound = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(404).type(JSON_CT).send(Buffer.from('{"message":"Not Found"}'));
    app.all(CONSOLE_PREFIX, notFound);
    app.all(`${CONSOLE_PREFIX}/*`, notFound);
  }

  const writeAccessLine = accessLogFor(log);
  function accessLog(method: string, path: string, route: string | undefined, fn: string | undefined, status: number, t0: number, requestId: string) {
    const durationMs = Math.round((performance.now() - t0) * 100) / 100;
    writeAccessLine({ method, path, route, function: fn, status, durationMs, requestId });
    if (observe !== undefined && fn !== undefined) observe(fn, route!, method, path, status, durationMs, requestId);
  }

  /**
   * Invokes under the integration timeout. A client that hangs up while its request still
   * waits for an instance cancels it ('gone'); one already running finishes, as on AWS.
   */
  const deadlines = new DeadlineQueue(integrationTimeoutMs);
  type Outcome = InvokeResult | 'timeout' | 'gone' | Error;
  function invokeWithTimeout(fn: string, payload: Buffer, requestId: string, traceId: string, res: ServerResponse, done: (outcome: Outcome) => void, acceptStream = false): void {
    const cancel = new InvocationCancel(res);
    const ctx = new CancellableContext(acceptStream ? { requestId, traceId, acceptStream } : { requestId, traceId }, cancel);
    let settled = false;
    const settle = (r: InvokeResult | Error | 'timeout') => {
      if (settled) return;
      settled = true;
      deadline.cancel();
      cancel.dispose();
      done(r instanceof Error && cancel.aborted ? (cancel.reason ?? 'timeout') : r);
    };
    const deadline = deadlines.add(() => {
      cancel.abort('timeout', new IntegrationTimeout(integrationTimeoutMs));
      settle('timeout');
    });
    try {
      invoker.invoke(fn, payload, ctx).then(settle, (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
    } catch (err) {
      settle(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // Answers go out together at the end of the turn their outcomes arrived in (docs/gateway.md,
  // "Speed"); at once while a slice of long work waits for that turn, not behind it.
  const answers = new TurnBatch<Exchange>((x) => x.answerNow(), sliceWaiting);

  /**
   * A routed request from lookup to answer. One object per request holds what answering needs
   * (no closures, no async function: a promise chain per request showed in profiles).
   */
  class Exchange {
    route: CompiledRoute | undefined = undefined;
    pathParameters: Record<string, string> | null = null;
    /** `$context.error.validationErrorString` of a request that failed validation. */
    validationError = '';
    constructor(
      readonly req: IncomingMessage,
      readonly res: ServerResponse,
      readonly t0: number,
      readonly requestId: string,
      readonly method: string,
      /** The path served: without the stage when the request named it (handle). */
      public rawPath: string,
      readonly origin: string | undefined,
    ) {}

    /** The answer of the OPTIONS MOCK SAM adds for a REST API's `Cors`. */
    answerCorsOptions(headers: Record<string, string>): void {
      this.res.writeHead(200, Object.assign(requestIdHeaders(this.requestId, false), { 'content-type': JSON_CT }, headers));
      this.res.end('{}');
      accessLog(this.method, this.rawPath, 'OPTIONS (Cors)', undefined, 200, this.t0, this.requestId);
    }

    /** Answers from the gateway itself (JSON bodies, `type` as in gateway responses), in one writeHead + end. */
    /**
     * The function failed or answered what cannot be mapped: a REST API says 502 `Internal
     * server error`, an HTTP API 500 `Internal Server Error` (docs/gateway.md).
     */
    functionFailed(api: ResolvedApi): void {
      if (api.type === 'http') this.sendJson(500, MSG.httpInternal, api, 'DEFAULT_5XX');
      else this.sendJson(502, MSG.internal, api, 'DEFAULT_5XX');
    }

    sendJson(status: number, body: Buffer, api: ResolvedApi | undefined, type: GatewayResponseType, errorType?: string): void {
      const route = this.route;
      const out: Record<string, string> = errorType === undefined ? {} : { 'x-amzn-errortype': errorType };
      Object.assign(out, requestIdHeaders(this.requestId, !!route && api?.type === 'http'));
      const cors = responseCors(api);
      if (cors && this.origin) Object.assign(out, corsResponseHeaders(cors, this.origin));
      out['content-type'] = JSON_CT;
      const custom = api?.gatewayResponses && customizedAnswer(api.gatewayResponses, type, status, body, this.answeredRequest(api));
      if (custom) {
        status = custom.status;
        body = custom.body;
        Object.assign(out, custom.headers);
      }
      out['content-length'] = String(body.length);
      this.res.writeHead(status, out);
      this.res.end(body);
      accessLog(this.method, this.rawPath, route?.routeKey, route?.function, status, this.t0, this.requestId);
    }

    /** The request as a gateway response's templates and header values see it. */
    private answeredRequest(api: ResolvedApi) {
      const { req, route } = this;
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const context = {
        requestId: this.requestId,
        extendedRequestId: this.requestId,
        accountId,
        apiId: api.apiId,
        stage: api.stage,
        httpMethod: this.method,
        path: `/${api.stage}${this.rawPath}`,
        resourcePath: route?.resource ?? this.rawPath,
        domainName: req.headers.host ?? '',
        identity: { sourceIp: sourceIpOf(req), userAgent: req.headers['user-agent'] ?? '' },
      };
      return { headers: req.headers, rawQueryString: q < 0 ? '' : url.slice(q + 1), pathParameters: this.pathParameters, stageVariables: api.stage_variables, context, validationErrorString: this.validationError };
    }

    /** Checks the request against the route's validation; answers 400 and says false when it fails. */
    valid(rawQueryString: string, body: Buffer | undefined): boolean {
      const route = this.route!;
      const failure = validationFailure(route.validation!, this.req.headers, rawQueryString, this.pathParameters, body);
      if (!failure) return true;
      this.validationError = failure.detail;
      this.sendJson(400, Buffer.from(JSON.stringify({ message: failure.message })), route.api, failure.type);
      return false;
    }

    private outcome: Outcome | undefined = undefined;

    /** Takes the invocation's outcome; it is answered at the end of this turn, with the others of the turn. */
    readonly answer = (outcome: Outcome): void => {
      this.outcome = outcome;
      answers.add(this);
    };

    /** The invocation's outcome as an HTTP answer; errors while answering are the error handler's. */
    answerNow(): void {
      try {
        this.answerWith(this.outcome!);
      } catch (err) {
        answerError(err as Error, this.req, this.res);
      }
    }

    streamAnswer(stream: ResponseStream): void {
      streamAnswer(this, stream);
    }

    private answerWith(result: Outcome): void {
      const route = this.route!;
      const api = route.api;
      const { method, rawPath, t0, requestId } = this;
      if (result === 'gone') {
        accessLog(method, rawPath, route.routeKey, route.function, 499, t0, requestId); // client closed request: not invoked
        return;
      }
      if (result === 'timeout') return this.sendJson(504, MSG.timeout, api, 'INTEGRATION_TIMEOUT');
      if (result instanceof Error) {
        log.error({ err: result.message, function: route.function, requestId }, 'invoke failed: agent unavailable');
        return this.sendJson(503, MSG.unavailable, api, 'DEFAULT_5XX');
      }
      if (result.error) {
        const kind = result.error.kind;
        // A function that ran past its own Timeout failed: API Gateway answers it as any function
        // error. Only its integration timeout (29 s, above) is a 504.
        // Lambda refused the invocation (throttled): an API answers it as an internal error, 500
        // (docs/gateway.md); a function URL passes Lambda's 429 on.
        if (kind === 'Throttled') {
          if (api.functionUrl) return this.sendJson(429, MSG.throttled, api, 'THROTTLED');
          return this.sendJson(500, api.type === 'http' ? MSG.httpInternal : MSG.internal, api, 'DEFAULT_5XX');
        }
        if (kind === 'Unavailable') return this.sendJson(503, MSG.unavailable, api, 'DEFAULT_5XX');
        log.warn({ function: route.function, kind, error: result.error.message, requestId }, 'function error');
        return this.functionFailed(api);
      }
      // A function URL in RESPONSE_STREAM mode: what the function streamed goes out as it comes
      // (taken whole when it came through an invoker that does not stream).
      if (api.responseStream || route.responseStream) {
        if (result.stream) return this.streamAnswer(result.stream);
        if (result.contentType !== undefined) return this.streamAnswer(wholeStream(result.contentType, result.payload));
      }
      const accept = this.req.headers.accept;
      const mapped = mapResponse(result.payload, {
        format: api.payloadFormat,
        decodeBase64:
          api.type === 'rest'
            ? (ct) => matchesMediaType(ct, api.binary_media_types) || matchesMediaType(accept, api.binary_media_types)
            : undefined,
      });
      if (!mapped.ok) {
        log.warn({ function: route.function, reason: mapped.reason, requestId }, 'malformed Lambda proxy response');
        return this.functionFailed(api);
      }
      const mres = mapped.response;
      const cors = responseCors(api);
      if (cors && this.origin) {
        for (const [k, v] of Object.entries(corsResponseHeaders(cors, this.origin))) if (mres.headers[k] === undefined) mres.headers[k] = v;
      }
      // The function's response goes out in one writeHead + end (no hooks, no serializer; the
      // content type always set by mapResponse).
      const out: Record<string, string | string[] | number> = requestIdHeaders(requestId, api.type === 'http');
      for (const k in mres.headers) if (!DROPPED_HEADERS.has(k)) out[k] = mres.headers[k];
      // No content (RFC 9110 §8.6): no body, no Content-Length or Content-Type, as fastify does.
      const noContent = mres.statusCode === 204 || mres.statusCode < 200;
      // A string body stays a string: node:http then sends the head and the body in one write
      // (a Buffer goes out as a second chunk of a writev).
      const payload = noContent ? undefined : mres.body;
      if (noContent) delete out['content-type'];
      else out['content-length'] = typeof payload === 'string' ? Buffer.byteLength(payload) : payload!.length;
      try {
        this.res.writeHead(mres.statusCode, out); // validates names and values; writes nothing when it throws
      } catch (err) {
        log.warn({ function: route.function, reason: (err as Error).message, requestId }, 'malformed Lambda proxy response');
        this.res.statusMessage = undefined as unknown as string; // the failed writeHead kept its reason phrase ("OK")
        return this.functionFailed(api);
      }
      this.res.end(payload);
      accessLog(method, rawPath, route.routeKey, route.function, mres.statusCode, t0, requestId);
    }
  }

  /**
   * Writes a response the function streams (docs/gateway.md "Function URLs"): the head at once,
   * or after the prelude of an HTTP integration response; then each chunk as it comes. A failure
   * after the head ends the connection without the last chunk, so the client sees it cut short.
   */
  function streamAnswer(x: Exchange, stream: ResponseStream): void {
    const { res, requestId } = x;
    const route = x.route!;
    const api = route.api;
    const head: Record<string, string | string[]> = requestIdHeaders(requestId, api.type === 'http');
    const cors = responseCors(api);
    if (cors && x.origin) Object.assign(head, corsResponseHeaders(cors, x.origin));
    let status = 200;
    let prelude = stream.contentType === HTTP_INTEGRATION_RESPONSE ? new PreludeReader() : undefined;
    const writeHead = (code: number, headers: Record<string, string | string[]>): boolean => {
      for (const k in headers) if (!DROPPED_HEADERS.has(k) && head[k] === undefined) head[k] = headers[k]!;
      try {
        res.writeHead(code, head);
      } catch (err) {
        log.warn({ function: route.function, reason: (err as Error).message, requestId }, 'malformed streamed response head');
        res.statusMessage = undefined as unknown as string;
        return false;
      }
      status = code;
      return true;
    };
    const fail = (reason: string) => {
      stream.cancel();
      log.warn({ function: route.function, reason, requestId }, 'malformed streamed response');
      x.sendJson(502, MSG.internal, api, 'DEFAULT_5XX');
    };
    if (!prelude && !writeHead(200, { 'content-type': stream.contentType })) return fail('bad content type');
    res.on('close', () => {
      if (!res.writableFinished) stream.cancel();
    });
    stream.open({
      chunk(bytes: Buffer) {
        if (res.destroyed) return;
        if (!prelude) return void res.write(bytes);
        const read = prelude.push(bytes);
        if (read === undefined) return;
        prelude = undefined;
        if (!read.ok) return fail(read.reason);
        if (!writeHead(read.statusCode, read.headers)) return fail('bad prelude headers');
        if (read.rest.length) res.write(read.rest);
      },
      end(failure?: StreamFailure) {
        if (res.destroyed) return;
        if (prelude) {
          prelude = undefined;
          if (!failure) return fail(PreludeReader.ENDED_INSIDE);
        }
        if (failure) {
          log.warn({ function: route.function, kind: failure.kind, error: failure.message, requestId }, 'function error while streaming');
          if (!res.headersSent) return x.functionFailed(api);
          // What was written still goes out; the connection then ends without the last chunk.
          res.write('', () => res.destroy());
        } else res.end();
        accessLog(x.method, x.rawPath, route.routeKey, route.function, status, x.t0, requestId);
      },
    });
  }

  /** Serves a function route on the raw request and response; answers every error itself. */
  function serveRoute(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    try {
      handle(req, res, body);
    } catch (err) {
      answerError(err as Error, req, res);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const t0 = performance.now();
    const timeEpoch = now();
    const requestId = randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let rawPath = q < 0 ? url : url.slice(0, q);
    const rawQueryString = q < 0 ? '' : url.slice(q + 1);
    const method = req.method!;
    const headers = req.headers;
    const rawTrace = headers['x-amzn-trace-id'];
    const traceId = typeof rawTrace === 'string' && rawTrace ? rawTrace : newTraceId(timeEpoch);
    const origin = headers.origin;
    const balancer = loadBalancerFor(headers.host);
    if (balancer) return serveLoadBalancer(balancer, req, res, body, { requestId, t0, traceId, method, rawPath, rawQueryString });
    let current = tableFor(headers.host);
    // `/_aws/execute-api/<stack>/...`: a stack's own API for clients that cannot resolve
    // `<stack>.localhost` (glibc without nss-myhostname, Node's fetch, the SDKs; docs/gateway.md).
    if (rawPath.startsWith(STACK_PATH_PREFIX)) {
      const slash = rawPath.indexOf('/', STACK_PATH_PREFIX.length);
      const label = rawPath.slice(STACK_PATH_PREFIX.length, slash < 0 ? undefined : slash).toLowerCase();
      const own = stackTables.get(label);
      if (!own) {
        res.writeHead(404, Object.assign(requestIdHeaders(requestId, false), { 'content-type': JSON_CT }));
        res.end(JSON.stringify({ message: `no stack "${label}" is deployed here` }));
        accessLog(method, rawPath, undefined, undefined, 404, t0, requestId);
        return;
      }
      current = own;
      rawPath = slash < 0 ? '/' : rawPath.slice(slash);
    }
    const x = new Exchange(req, res, t0, requestId, method, rawPath, origin);

    // The URL API Gateway gives (`/<stage>/path`, the one esb deploy prints, and how functions
    // reach their own API through its execute-api URL): when the first segment is the stage of an
    // API here, the path without it is tried first, so `/Prod/` is the root resource and not
    // `/{id}` with id "Prod" (docs/gateway.md, "Routing").
    const staged = current.withoutStage(rawPath);

    let hit: RouteHit | RouteMiss | undefined;
    if (method === 'OPTIONS') {
      // A REST API's `Cors` is the OPTIONS method SAM adds to each resource without one of its
      // own: a MOCK answering 200 with the configured headers, whatever the request says.
      const stagedAt = staged && current.resourceAt(staged.path);
      const at = stagedAt && stagedAt.api.stage === staged.stage ? stagedAt : current.resourceAt(rawPath);
      if (at?.api.type === 'rest' && at.api.cors && !at.methods.includes('OPTIONS')) {
        const corsHeaders = restCorsOptionsHeaders(at.api.cors, at.methods);
        const path = at === stagedAt ? staged!.path : rawPath;
        // SAM puts the API's DefaultAuthorizer and API key on that method too, unless told not to:
        // then it is authorized as any route first (docs/gateway.md, "CORS").
        const guarded = at.api.cors_preflight_auth && corsOptionsHit(current, at, path, corsHeaders);
        if (!guarded) return x.answerCorsOptions(corsHeaders);
        hit = guarded;
        rawPath = x.rawPath = path;
      }
      // An HTTP API (or function URL) answers a preflight itself, even when an OPTIONS route exists.
      else if (origin && headers['access-control-request-method']) {
        const api = (staged && current.apiForPath(staged.path)) || current.apiForPath(rawPath);
        if (api?.cors && api.type !== 'rest') {
          res.writeHead(204, Object.assign(requestIdHeaders(requestId, false), preflightHeaders(api.cors, origin, headers['access-control-request-headers'])));
          res.end();
          accessLog(method, rawPath, 'preflight', undefined, 204, t0, requestId);
          return;
        }
      }
    }

    if (!hit && staged) {
      const found = current.lookup(method, staged.path);
      if (found.route && found.route.api.stage === staged.stage) {
        hit = found;
        rawPath = staged.path;
        x.rawPath = rawPath;
      }
    }
    hit ??= current.lookup(method, rawPath);
    if (!hit.route) return x.sendJson(hit.statusCode, Buffer.from(JSON.stringify({ message: hit.message })), hit.api, hit.statusCode === 403 ? 'MISSING_AUTHENTICATION_TOKEN' : 'RESOURCE_NOT_FOUND');
    const { route } = hit;
    x.route = route;
    x.pathParameters = hit.pathParameters;
    const api = route.api;
    const contentType = headers['content-type'];
    const base64Body = !!body && body.length > 0 && (api.type === 'rest' ? matchesMediaType(contentType, api.binary_media_types) : !isTextContentType(contentType));
    const sourceIp = sourceIpOf(req);
    const rawHeaders = edgeHeaders(req.rawHeaders, {
      sourceIp,
      port: req.socket?.localPort ?? 0,
      proto: (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http',
      traceId: traceId === rawTrace ? undefined : traceId, // the client's own is among its headers already
      rest: api.type === 'rest',
    });
    const gwReq: GatewayRequest = {
      method,
      rawPath,
      rawQueryString,
      rawHeaders,
      body,
      sourceIp,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      timeEpoch,
    };
    const eventOptions = { base64Body, accountId };
    if (route.auth) {
      // Authorization first, then validation (authorizeThenInvoke), as API Gateway orders them.
      // Authorizers read the event and add to it: built as an object for them.
      const event = api.payloadFormat === '2.0' ? buildV2Event(gwReq, hit, eventOptions) : buildV1Event(gwReq, hit, eventOptions);
      authorizeThenInvoke(x, event, rawQueryString, body, traceId).catch((err: Error) => answerError(err, req, res));
      return;
    }
    if (route.validation && !x.valid(rawQueryString, body)) return;
    const eventJson = api.payloadFormat === '2.0' ? v2EventJson(gwReq, hit, eventOptions) : v1EventJson(gwReq, hit, eventOptions);
    invokeWithTimeout(route.function, Buffer.from(eventJson), requestId, traceId, res, x.answer, api.responseStream || route.responseStream);
  }

  const usage = new UsageMeter(now);

  /** The load balancer a Host names: <name>.elb.localhost[:port]. */
  function loadBalancerFor(host: string | undefined): { name: string; lb: LoadBalancer } | undefined {
    if (!host || !host.includes(LOAD_BALANCER_HOST_SUFFIX)) return undefined;
    const name = hostName(host);
    if (!name.endsWith(LOAD_BALANCER_HOST_SUFFIX)) return undefined;
    const label = name.slice(0, -LOAD_BALANCER_HOST_SUFFIX.length);
    return Object.hasOwn(loadBalancers, label) ? { name: label, lb: loadBalancers[label] } : undefined;
  }

  /** A request to a load balancer: its listener's rules decide; a Lambda target group invokes its function (docs/gateway.md "Application Load Balancers"). */
  function serveLoadBalancer(
    { name, lb }: { name: string; lb: LoadBalancer },
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    r: { requestId: string; t0: number; traceId: string; method: string; rawPath: string; rawQueryString: string },
  ): void {
    const route = `elb:${name}`;
    const send = (status: number, headers: Array<[string, string]>, payload: Buffer, fn?: string, reason?: string) => {
      if (res.headersSent || res.destroyed) return;
      if (reason) res.statusMessage = reason;
      res.writeHead(status, [...headers.filter(([k]) => !DROPPED_HEADERS.has(k.toLowerCase())), ['content-length', String(payload.length)]].flat());
      res.end(payload);
      accessLog(r.method, r.rawPath, route, fn, status, r.t0, r.requestId);
    };
    const plain = (status: number, text: string) => send(status, [['content-type', 'text/html']], Buffer.from(`<html><body><center><h1>${status} ${text}</h1></center></body></html>\n`));
    const https = !!(req.socket as { encrypted?: boolean } | undefined)?.encrypted;
    const listener = listenerFor(lb, https);
    if (!listener) return plain(503, 'Service Temporarily Unavailable');
    const albReq: AlbRequest = {
      method: r.method,
      rawPath: r.rawPath,
      rawQueryString: r.rawQueryString,
      rawHeaders: req.rawHeaders,
      host: hostName(req.headers.host ?? ''),
      sourceIp: sourceIpOf(req),
      https,
      port: req.socket?.localPort ?? 0,
      body,
    };
    const action = actionFor(listener, albReq);
    if (action.type === 'fixed-response') return send(action.status_code, [['content-type', action.content_type ?? 'text/plain']], Buffer.from(action.message_body ?? ''));
    if (action.type === 'redirect') return send(action.status_code === 'HTTP_301' ? 301 : 302, [['location', redirectLocation(action, albReq, lb, req.headers.host ?? '')]], Buffer.alloc(0));
    const target = chooseTarget(action.target_groups);
    if (!target.function) return plain(503, 'Service Temporarily Unavailable');
    if (body && body.length > MAX_LAMBDA_BODY_BYTES) return plain(413, 'Request Entity Too Large');
    const fn = target.function;
    const payload = Buffer.from(JSON.stringify(albEvent(albReq, target.arn, target.multi_value_headers, r.traceId)));
    invokeWithTimeout(fn, payload, r.requestId, r.traceId, res, (outcome) => {
      if (outcome === 'gone') return;
      if (outcome === 'timeout') return plain(504, 'Gateway Time-out');
      if (outcome instanceof Error || outcome.error) {
        log.warn({ function: fn, requestId: r.requestId, error: outcome instanceof Error ? outcome.message : outcome.error!.message }, 'load balancer target failed');
        return plain(502, 'Bad Gateway');
      }
      const answer = albAnswer(outcome.payload);
      if ('invalid' in answer) {
        log.warn({ function: fn, requestId: r.requestId, reason: answer.invalid }, 'load balancer target answered what a load balancer refuses');
        return plain(502, 'Bad Gateway');
      }
      send(answer.status, answer.headers, answer.body, fn, answer.reason);
    });
  }

  async function authorizeThenInvoke(x: Exchange, event: V1Event | V2Event, rawQueryString: string, body: Buffer | undefined, traceId: string): Promise<void> {
    const route = x.route!;
    const api = route.api;
    if (route.auth!.authorizer === 'AWS_IAM' && !api.iamAuth) {
      // IAM authorization: requests signed for execute-api by a key the gateway takes (docs/security.md "IAM authorization"); function URLs' (service lambda) below.
      const signed = await authorizeSignedUrl(invokeAccess, { method: x.method, url: x.req.url ?? '/', headers: x.req.headers, body: body ?? EMPTY_BODY }, now(), 'execute-api');
      if (!signed.ok) {
        log.info({ function: route.function, reason: signed.message, requestId: x.requestId }, 'request not signed for IAM authorization');
        if (api.type === 'http') return x.sendJson(403, MSG.forbidden, api, 'ACCESS_DENIED', 'AccessDeniedException');
        return x.sendJson(403, Buffer.from(JSON.stringify({ message: signed.message })), api, signed.type === 'MissingAuthenticationTokenException' ? 'MISSING_AUTHENTICATION_TOKEN' : 'INVALID_SIGNATURE');
      }
      withIamIdentity(event, signed.principal, accountId);
    }
    if (api.iamAuth) {
      const signed = await authorizeSignedUrl(invokeAccess, { method: x.method, url: x.req.url ?? '/', headers: x.req.headers, body: body ?? EMPTY_BODY }, now());
      if (!signed.ok) {
        log.info({ function: route.function, reason: signed.message, requestId: x.requestId }, 'function URL request not signed');
        return x.sendJson(403, MSG.urlForbidden, api, 'ACCESS_DENIED', 'AccessDeniedException');
      }
    }
    const decision = await auth.authorize(route.auth!, api.authorizers, {
      apiType: api.type,
      methodArn: methodArn({ region, accountId, apiId: api.apiId, stage: api.stage, method: x.method, path: x.rawPath }),
      apiId: api.apiId,
      event: event as unknown as Record<string, unknown>,
      headers: lowerCaseHeaders(x.req.headers),
      query: queryValues(rawQueryString),
      stageVariables: api.stage_variables,
      context: event.requestContext,
      apiKeys: api.apiKeySet,
    });
    if (!decision.ok) {
      log.info({ function: route.function, status: decision.status, reason: decision.reason, requestId: x.requestId }, 'request not authorized');
      const errorType = decision.status === 401 ? 'UnauthorizedException' : decision.status === 403 ? 'AccessDeniedException' : undefined;
      return x.sendJson(decision.status, Buffer.from(decision.body), api, decision.type, errorType);
    }
    if (decision.authorizer) event.requestContext.authorizer = decision.authorizer;
    const key = x.req.headers['x-api-key'];
    if (route.auth!.api_key_required && typeof key === 'string' && api.type === 'rest') {
      // The key's usage plan: its throttle and quota.
      const plan = api.usagePlanOf?.get(key);
      const verdict = plan ? usage.admit(plan, key, api.id, route.resource, [x.method, route.method]) : 'ok';
      if (verdict === 'throttled') return x.sendJson(429, MSG.throttled, api, 'THROTTLED');
      if (verdict === 'quota') return x.sendJson(429, MSG.limitExceeded, api, 'QUOTA_EXCEEDED');
      // A method that requires an API key tells the function which one came ($context.identity.apiKey, apiKeyId).
      const identity = event.requestContext.identity as Record<string, unknown>;
      identity.apiKey = key;
      identity.apiKeyId = apiKeyIdOf(key);
    }
    if (route.corsOptions) return x.answerCorsOptions(route.corsOptions);
    if (route.validation && !x.valid(rawQueryString, body)) return;
    invokeWithTimeout(route.function, Buffer.from(JSON.stringify(event)), x.requestId, traceId, x.res, x.answer, api.responseStream || route.responseStream);
  }

  // Requests fastify itself routes here (the front hands over those it cannot tell apart, and
  // app.inject goes straight to fastify): fastify has read the body, the same code answers.
  const viaFastify = (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    serveRoute(req.raw, reply.raw, req.body as Buffer | undefined);
  };
  app.all('/*', viaFastify);
  app.all('/', viaFastify);

  // Connections, to close at shutdown those without a request in progress: Node's
  // closeIdleConnections skips a connection that has not sent its first request yet.
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closeConnectionsWithoutRequest = () => {
    app.server.closeIdleConnections?.();
    // `_httpMessage` is the response in progress on a connection (node:http internals).
    for (const s of sockets) if (!(s as Socket & { _httpMessage?: unknown })._httpMessage) s.destroy();
  };

  return {
    app,
    reload: async () => {
      await watcher?.check();
    },
    table: () => table,
    close: async () => {
      watcher?.close();
      closing = true;
      await Promise.all([websockets.close(), appsyncRealtime.close()]);
      await parser.close();
      // fastify closes idle keep-alive connections once, when close starts; a connection that
      // finishes its in-flight request afterwards would keep the server open, so sweep again.
      const sweep = setInterval(closeConnectionsWithoutRequest, 50);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  };
}

/**
 * A request asking to upgrade to anything but a WebSocket (`Upgrade: h2c`) is answered as if it
 * had not asked, as node:http does when nothing listens for upgrades. Its body, if any, is what
 * followed the headers; the connection closes after the answer.
 */
function serveIgnoringUpgrade(server: import('node:http').Server, req: IncomingMessage, socket: Socket, head: Buffer): void {
  if (head.length > 0 || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => socket.end());
  req.push(null);
  server.emit('request', req, res);
}

/** The caller an IAM-authorized request carries: REST's requestContext.identity, HTTP APIs' requestContext.authorizer.iam. */
function withIamIdentity(event: V1Event | V2Event, accessKey: string | undefined, accountId: string): void {
  const userArn = `arn:aws:iam::${accountId}:user/${accessKey ?? 'unknown'}`;
  const context = event.requestContext as Record<string, unknown>;
  if ('identity' in context && context.identity && typeof context.identity === 'object') {
    Object.assign(context.identity as Record<string, unknown>, { accessKey: accessKey ?? null, accountId, caller: accessKey ?? null, user: accessKey ?? null, userArn });
  } else {
    context.authorizer = { iam: { accessKey: accessKey ?? null, accountId, callerId: accessKey ?? null, cognitoIdentity: null, principalOrgId: null, userArn, userId: accessKey ?? null } };
  }
}

/** A Host header's name, lower case, without its port ([::1]:3000 -> [::1]). */
function hostName(host: string): string {
  const colon = host.lastIndexOf(':');
  return (colon > host.lastIndexOf(']') ? host.slice(0, colon) : host).toLowerCase();
}

/** An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d; API Gateway reports a.b.c.d. */
function sourceIpOf(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

function lowerCaseHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

function queryValues(rawQueryString: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!rawQueryString) return out;
  for (const [k, v] of new URLSearchParams(rawQueryString)) (Object.hasOwn(out, k) ? out[k] : (out[k] = [])).push(v);
  return out;
}
