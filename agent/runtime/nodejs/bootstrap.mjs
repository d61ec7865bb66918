// esb's Lambda runtime interface client for nodejs* runtimes. Plain JS, no dependencies:
// it is on every invocation's hot path and in every cold start.
//   AWS_LAMBDA_RUNTIME_API=host:port  _HANDLER=dir/file.fn  LAMBDA_TASK_ROOT=/var/task
// Usage: node bootstrap.mjs [handler]   (an argument overrides _HANDLER, like AWS base images)
import net from 'node:net';
import { existsSync, readFileSync, readSync } from 'node:fs';
import Module, { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installHostLookups, installResponseUrlRedirect, installSdkV2Endpoints } from './sdk-endpoints.mjs';
import { installAwsLambdaGlobal, isStreamingHandler, runStreamingHandler } from './response-stream.mjs';
import { patchConsole } from './console-log.mjs';

// A spare runtime (docs/agent.md#spare-runtimes) is started before it knows its function: it
// waits for the agent's ASSIGN frame on the instance channel, then takes the instance's
// environment wholesale (nothing of the start-up one remains), its working folder and module
// search paths, and goes on as a runtime started for that function.
const EMPTY = Buffer.alloc(0);
let spareChannel;
let runtimeSecret;
/** A spare's ESM resolve hook, registered while it waits (starting it is most of an ESM handler's load): NODE_PATH goes here. */
let spareEsmPaths;
if (process.env.ESB_SPARE === '1') {
  spareEsmPaths = new SharedArrayBuffer(65536);
  register('./esm-resolve.mjs', import.meta.url, { data: { shared: spareEsmPaths } });
  const assignment = await new Promise((resolve, reject) => {
    spareChannel = new net.Socket({ fd: Number(process.env.ESB_RUNTIME_CHANNEL), readable: true, writable: true });
    // The first frame only; what follows it stays in the socket for openChannel's reader.
    const read = frameReader((kind, _meta, body) => {
      if (kind === 0x41) resolve(JSON.parse(body.toString('utf8')));
      else reject(new Error(`a spare runtime got frame ${kind} before its assignment`));
      return false;
    });
    const onData = (chunk) => {
      const rest = read(chunk);
      if (rest === undefined) return;
      spareChannel.pause();
      spareChannel.off('data', onData);
      spareChannel.off('close', idleEnd);
      if (rest.length) spareChannel.unshift(rest);
    };
    // The agent closed the channel before it needed this spare (shutdown): nothing to report.
    const idleEnd = () => process.exit(0);
    spareChannel.on('data', onData);
    spareChannel.on('close', idleEnd);
    spareChannel.on('error', () => {});
  });
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, assignment.env);
  if (assignment.cwd) process.chdir(assignment.cwd);
  runtimeSecret = assignment.secret;
  // NODE_PATH and HOME are read once at start-up for require's global folders: read them again.
  Module._initPaths();
}

// A container created ahead of its start (Docker runtime) cannot know its own Runtime API
// port and log stream: the agent writes them as one JSON line on stdin (ESB_ENV_STDIN=1).
// The process runtime sends the instance's Runtime API secret the same way: it is kept here,
// out of the environment that child processes would inherit.
if (process.env.ESB_ENV_STDIN === '1') {
  const chunks = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      // A non-blocking stdin with nothing yet: wait 2 ms (no busy loop), then read again.
      if (err.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    if (buf[n - 1] === 10) break;
  }
  delete process.env.ESB_ENV_STDIN;
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text) {
    for (const [k, v] of Object.entries(JSON.parse(text))) {
      if (k === 'ESB_RUNTIME_SECRET') runtimeSecret = String(v);
      else process.env[k] = String(v);
    }
  }
}
const api = process.env.AWS_LAMBDA_RUNTIME_API;
if (!api) {
  process.stderr.write('bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n');
  process.exit(1);
}
const colon = api.lastIndexOf(':');
const host = api.slice(0, colon);
const port = Number(api.slice(colon + 1));
// The runtime never ends by itself (a handler awaiting a promise that never settles must
// time out, not exit): hold the event loop open.
setInterval(() => {}, 1 << 30);
const base = '/2018-06-01/runtime';

// _X_AMZN_TRACE_ID, set for every invocation, kept out of the C library's environment
// (docs/agent.md, "Trace id"): glibc's setenv keeps every value it was ever given, so a new
// trace id per invocation grew the runtime by about 110 bytes each (a million invocations, most
// of a 128 MB function's memory). process.env becomes a view of the real environment that holds
// this one variable itself; code reading process.env, and child processes spawned with it (the
// default), see it as before.
const KEY = '_X_AMZN_TRACE_ID';

/** Installs the view; returns the setter of the trace id (undefined: not set). */
function traceIdInMemory() {
  const real = process.env;
  let traceId = real[KEY];
  delete real[KEY];
  const set = (value) => {
    traceId = value === undefined ? undefined : String(value);
  };
  process.env = new Proxy(real, {
    get: (target, key) => (key === KEY ? traceId : Reflect.get(target, key)),
    set: (target, key, value) => (key === KEY ? (set(value), true) : Reflect.set(target, key, value)),
    has: (target, key) => (key === KEY ? traceId !== undefined : Reflect.has(target, key)),
    deleteProperty: (target, key) => (key === KEY ? (set(undefined), true) : Reflect.deleteProperty(target, key)),
    defineProperty: (target, key, descriptor) => (key === KEY ? (set(descriptor.value), true) : Reflect.defineProperty(target, key, descriptor)),
    ownKeys: (target) => {
      const keys = Reflect.ownKeys(target).filter((key) => key !== KEY); // a name twice would throw
      if (traceId !== undefined) keys.push(KEY);
      return keys;
    },
    getOwnPropertyDescriptor: (target, key) =>
      key === KEY ? (traceId === undefined ? undefined : { value: traceId, writable: true, enumerable: true, configurable: true }) : Reflect.getOwnPropertyDescriptor(target, key),
  });
  return set;
}

/** In an in-process worker process.env is the worker's own object, never the C library's. */
function traceIdInWorkerEnv(value) {
  if (value === undefined) delete process.env[KEY];
  else process.env[KEY] = value;
}

const setTraceId = process.env.ESB_RUNTIME_CHANNEL === 'port' ? traceIdInWorkerEnv : traceIdInMemory();
const env = process.env;
const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? '';
const functionVersion = env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST';
const memoryLimitInMB = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128';
const logGroupName = env.AWS_LAMBDA_LOG_GROUP_NAME ?? '';
const logStreamName = env.AWS_LAMBDA_LOG_STREAM_NAME ?? '';

// A minimal HTTP/1.1 client on one keep-alive socket: node:http's client machinery (agents,
// parsers, streams) is pure overhead on every invoke. Handles Content-Length and chunked
// bodies, and pipelining: a result and the request for the next event leave in one write
// (answers come back in order), which saves the agent and this process a wake-up each.
let socket;
const pending = [];
let buffered = Buffer.alloc(0);

function failPending(err) {
  for (const p of pending.splice(0)) p.reject(err);
}

function connect() {
  buffered = Buffer.alloc(0);
  const s = net.connect({ host, port });
  s.setNoDelay(true);
  s.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (pending.length > 0 && parseResponse());
  });
  s.on('error', (err) => {
    if (socket === s) socket = undefined;
    failPending(err);
  });
  s.on('close', () => {
    if (socket === s) socket = undefined;
    failPending(new Error('the Runtime API closed the connection'));
  });
  return s;
}

/** Decodes a chunked body from `buf` starting at `from`: [body, end] or undefined when incomplete. */
function dechunk(buf, from) {
  const parts = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (buf.length < eol + 2 + size + 2) return undefined;
    if (size === 0) return [Buffer.concat(parts), eol + 4];
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Completes the oldest pending request if its whole answer is buffered; true if it did. */
function parseResponse() {
  const end = buffered.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const lines = buffered.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0].slice(9, 12));
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0) headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  let body;
  let next;
  if (headers['transfer-encoding'] === 'chunked') {
    const done = dechunk(buffered, end + 4);
    if (!done) return false;
    [body, next] = done;
  } else {
    const length = Number(headers['content-length'] ?? 0);
    if (buffered.length < end + 4 + length) return false;
    body = buffered.subarray(end + 4, end + 4 + length);
    next = end + 4 + length;
  }
  // Header values may be latin1-encoded UTF-8 (client context): re-decode.
  for (const k in headers) if (/[^\x00-\x7f]/.test(headers[k])) headers[k] = Buffer.from(headers[k], 'latin1').toString('utf8');
  buffered = buffered.subarray(next);
  const p = pending.shift();
  if (headers.connection === 'close') socket?.destroy();
  p.resolve({ status, headers, body });
  return true;
}

function encodeRequest(method, urlPath, body, headers) {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  let head = `${method} ${urlPath} HTTP/1.1\r\nhost: ${api}\r\n`;
  if (runtimeSecret) head += `x-esb-runtime-secret: ${runtimeSecret}\r\n`;
  for (const k in headers ?? {}) head += `${k}: ${headers[k]}\r\n`;
  head += `content-length: ${payload ? payload.length : 0}\r\n\r\n`;
  return payload ? [Buffer.from(head, 'latin1'), payload] : [Buffer.from(head, 'latin1')];
}

/** Sends requests ([method, path, body, headers] each) in one write; one promise per answer. */
function send(...requests) {
  if (!socket) socket = connect();
  const parts = [];
  const answers = requests.map(([method, urlPath, body, headers]) => {
    parts.push(...encodeRequest(method, urlPath, body, headers));
    return new Promise((resolve, reject) => pending.push({ resolve, reject }));
  });
  socket.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  return answers;
}

function request(method, urlPath, body, headers) {
  return send([method, urlPath, body, headers])[0];
}

const NEXT = `${base}/invocation/next`;

// The instance channel (process runtime, docs/agent.md#the-instance-channel): a socket pair
// on fd ESB_RUNTIME_CHANNEL that only this process holds, carrying length-prefixed frames
// (u32 length | u8 kind | u32 meta length | meta | body) instead of HTTP.
const channelFd = env.ESB_RUNTIME_CHANNEL;
delete env.ESB_RUNTIME_CHANNEL;
let channel;
let eventWaiter;
/**
 * EVENT frames that came while the handler ran: the agent may queue events behind the current
 * one (docs/agent.md#queued-in-the-instance); each is taken after the result before it.
 */
const queuedEvents = [];
/** When the current event reached this runtime (performance.now()). */
let eventAt = 0;

function openChannel(fd) {
  const s = spareChannel ?? new net.Socket({ fd, readable: true, writable: true });
  s.on('data', onChannelData);
  s.resume();
  const gone = (err) => {
    const w = eventWaiter;
    eventWaiter = undefined;
    w?.reject(err ?? new Error('the agent closed the instance channel'));
  };
  s.on('error', gone);
  s.on('close', () => gone());
  return s;
}

// In-process mode (docs/agent.md#in-process-node-instances): this runtime is a worker thread of
// the agent, and the channel is a MessagePort carrying the same frames, one per message.
function openPortChannel(port) {
  port.on('message', (m) => onChannelData(Buffer.from(m.buffer, m.byteOffset, m.byteLength)));
  port.on('close', () => {
    const w = eventWaiter;
    eventWaiter = undefined;
    w?.reject(new Error('the agent closed the instance channel'));
  });
  return {
    write(buf, cb) {
      // An exact-size copy, transferred: cloning a pooled Buffer would copy its whole pool.
      const own = new Uint8Array(buf);
      port.postMessage(own, [own.buffer]);
      cb?.();
    },
  };
}

/**
 * Reads the instance channel's frames (docs/agent.md#the-instance-channel) from its chunks:
 * `onFrame(kind, meta, body)` for each complete one. When onFrame returns false, reading stops
 * and the call gives back the bytes after that frame; otherwise it gives undefined.
 */
function frameReader(onFrame) {
  let buf = EMPTY;
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 9) {
      const length = buf.readUInt32BE(0);
      if (buf.length < 4 + length) break;
      const metaLength = buf.readUInt32BE(5);
      const kind = buf[4];
      const meta = buf.toString('utf8', 9, 9 + metaLength);
      const body = buf.subarray(9 + metaLength, 4 + length);
      buf = buf.length === 4 + length ? EMPTY : buf.subarray(4 + length);
      if (onFrame(kind, meta, body) === false) {
        const rest = buf;
        buf = EMPTY;
        return rest;
      }
    }
    return undefined;
  };
}

const onChannelData = frameReader((kind, meta, body) => {
  if (kind === 0x43) return recall(meta);
  if (kind !== 0x45) return;
  if (!eventWaiter) return void queuedEvents.push({ meta, body: Buffer.from(body) });
  const w = eventWaiter;
  eventWaiter = undefined;
  w.resolve(takeEvent(meta, body));
});

/**
 * RECALL: the agent takes a queued event back (the one running has run long). Dropped and
 * confirmed (RECALLED) unless it was already taken; the confirmation leaves before the running
 * event's result.
 */
function recall(id) {
  const at = queuedEvents.findIndex((e) => e.meta.slice(0, e.meta.indexOf('\0')) === id);
  if (at < 0) return;
  queuedEvents.splice(at, 1);
  writeFrame(0x42, id);
}

/**
 * The event this runtime starts now: its time limit counts from here. An event the agent queued
 * behind another for a function that prints (7th meta field "1") first gets a mark line on
 * stdout and stderr, so that the agent gives the lines after it to this event
 * (OUTPUT_MARK in agent/src/instance-channel.ts).
 */
function takeEvent(meta, body) {
  eventAt = performance.now();
  const headers = eventHeaders(meta);
  if (meta.endsWith('\u00001')) {
    const mark = `\u001eesb-event ${headers['lambda-runtime-aws-request-id']}\n`;
    process.stdout.write(mark);
    process.stderr.write(mark);
  }
  return { status: 200, headers, body };
}

/** An EVENT frame's meta (NUL-separated) as the Runtime API's headers; its deadline field is the time limit in ms from now. */
function eventHeaders(meta) {
  const [id, limitMs, arn, trace, clientContext, cognito] = meta.split('\0');
  const deadline = String(Date.now() + Number(limitMs));
  const h = { 'lambda-runtime-aws-request-id': id, 'lambda-runtime-deadline-ms': deadline, 'lambda-runtime-invoked-function-arn': arn };
  if (trace) h['lambda-runtime-trace-id'] = trace;
  if (clientContext) h['lambda-runtime-client-context'] = clientContext;
  if (cognito) h['lambda-runtime-cognito-identity'] = cognito;
  return h;
}

function writeFrame(kind, meta, body, cb) {
  const metaLength = Buffer.byteLength(meta);
  const bodyLength = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const out = Buffer.allocUnsafe(9 + metaLength + bodyLength);
  out.writeUInt32BE(5 + metaLength + bodyLength, 0);
  out[4] = kind;
  out.writeUInt32BE(metaLength, 5);
  out.write(meta, 9, 'utf8');
  if (typeof body === 'string') out.write(body, 9 + metaLength, 'utf8');
  else if (body) body.copy(out, 9 + metaLength);
  channel.write(out, cb);
}

function flushOutput() {
  const flushed = (stream) => new Promise((resolve) => (stream.writableLength > 0 ? stream.write('', () => resolve()) : resolve()));
  return Promise.all([flushed(process.stdout), flushed(process.stderr)]);
}

function channelEvent() {
  const queued = queuedEvents.shift();
  if (queued) return Promise.resolve(takeEvent(queued.meta, queued.body));
  return new Promise((resolve, reject) => (eventWaiter = { resolve, reject }));
}

/** The first event: NEXT over the channel, else GET .../invocation/next. */
function firstNext() {
  if (!channel) return request('GET', NEXT);
  writeFrame(0x4e, '');
  return channelEvent();
}

/** µs from the current event to now: what the result frames report as the runtime's own time. */
const eventMicros = () => Math.round((performance.now() - eventAt) * 1000);

/** Sends a result ('response') or an error document ('error', with its type) and asks for the next event. */
function resultThenNext(what, id, body, errorType) {
  if (channel) {
    // The time from the event to its result goes along (µs): what the agent's instance policy
    // counts as the instance's work, apart from waits in the agent (docs/agent.md#instance-policy).
    const us = eventMicros();
    const send = () => writeFrame(what === 'response' ? 0x52 : 0x46, what === 'response' ? `${id}\0${us}` : `${id}\0${errorType}\0${us}`, body);
    // What the handler printed reaches the agent before its result (its log lines are read as
    // this request's): wait only when stdout or stderr still holds queued output.
    if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) flushOutput().then(send);
    else send();
    return channelEvent();
  }
  const headers = what === 'response' ? JSON_CONTENT : { 'content-type': 'application/json', 'lambda-runtime-function-error-type': errorType };
  return postThenNext(`${base}/invocation/${id}/${what}`, body, headers);
}

/** Posts a result (or error) and asks for the next event in the same write; resolves with the next event. */
function postThenNext(urlPath, body, headers) {
  const [posted, next] = send(['POST', urlPath, body, headers], ['GET', NEXT]);
  posted.then(
    (r) => {
      if (r.status >= 300) process.stderr.write(`bootstrap: ${urlPath} answered ${r.status}: ${r.body.toString('utf8').slice(0, 500)}\n`);
    },
    () => {},
  );
  return next;
}

/**
 * A streaming handler's invocation (docs/agent.md "Response streaming"); resolves with the next
 * event. A handler that fails before writing anything answers with a plain error.
 */
async function streamResponse(handler, event, ctx, id) {
  const transport = channel ? channelStream(id) : httpStream(id);
  const { error, started } = await runStreamingHandler(handler, event, ctx, transport);
  if (error !== undefined && !started) return postError(id, error);
  if (error === undefined) return transport.finish();
  const doc = errorDoc(error);
  runtimeLog.logError('Invoke Error', error);
  return transport.finish(doc);
}

/** Frames of at most this size: the agent refuses bigger ones. */
const STREAM_FRAME_BYTES = 1024 * 1024;

/** A streamed response on the instance channel: STREAM_START, STREAM_CHUNKs, then RESPONSE or ERROR. */
function channelStream(id) {
  return {
    start: (contentType) => writeFrame(0x53, `${id}\0${contentType}`),
    chunk(bytes, cb) {
      if (bytes.length === 0) return cb();
      for (let at = 0; at < bytes.length; at += STREAM_FRAME_BYTES) {
        const last = at + STREAM_FRAME_BYTES >= bytes.length;
        writeFrame(0x44, id, bytes.subarray(at, at + STREAM_FRAME_BYTES), last ? () => cb() : undefined);
      }
    },
    finish: (doc) => (doc ? resultThenNext('error', id, JSON.stringify(doc), doc.errorType) : resultThenNext('response', id, EMPTY)),
  };
}

const headerSafe = (v) => String(v).replace(/[\r\n]+/g, ' ');

/**
 * A streamed response over the Runtime API, as Lambda's clients send it: POST .../response with
 * Lambda-Runtime-Function-Response-Mode: streaming and a chunked body; a failure goes in trailers.
 */
function httpStream(id) {
  let posted;
  return {
    start(contentType) {
      if (!socket) socket = connect();
      let head = `POST ${base}/invocation/${id}/response HTTP/1.1\r\nhost: ${api}\r\n`;
      if (runtimeSecret) head += `x-esb-runtime-secret: ${runtimeSecret}\r\n`;
      head += `lambda-runtime-function-response-mode: streaming\r\ncontent-type: ${headerSafe(contentType)}\r\ntransfer-encoding: chunked\r\n`;
      head += 'trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n';
      posted = new Promise((resolve, reject) => pending.push({ resolve, reject }));
      socket.write(head);
    },
    chunk(bytes, cb) {
      if (bytes.length === 0) return cb();
      socket.write(Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]), (err) => cb(err ?? undefined));
    },
    finish(doc) {
      let tail = '0\r\n';
      if (doc) tail += `lambda-runtime-function-error-type: ${headerSafe(doc.errorType)}\r\nlambda-runtime-function-error-body: ${Buffer.from(JSON.stringify(doc)).toString('base64')}\r\n`;
      socket.write(`${tail}\r\n`);
      posted.then(
        (r) => {
          if (r.status >= 300) process.stderr.write(`bootstrap: streamed response answered ${r.status}: ${r.body.toString('utf8').slice(0, 500)}\n`);
        },
        () => {},
      );
      return request('GET', NEXT);
    },
  };
}

function errorDoc(err) {
  if (err instanceof Error) {
    const stack = typeof err.stack === 'string' ? err.stack.split('\n').slice(1).map((l) => l.trim()) : [];
    return { errorType: err.name || 'Error', errorMessage: err.message, stackTrace: stack, trace: typeof err.stack === 'string' ? err.stack.split('\n') : [] };
  }
  return { errorType: typeof err, errorMessage: String(err), stackTrace: [] };
}

function fatal(err) {
  process.stderr.write(`bootstrap: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
}

async function initError(err, type) {
  const doc = errorDoc(err);
  if (type) doc.errorType = type;
  // Lambda's runtime logs a failed load as the uncaught error it is, before any request.
  if (runtimeLog) runtimeLog.logError('Uncaught Exception', err);
  else process.stderr.write(`${JSON.stringify(doc)}\n`);
  try {
    if (channel) return await new Promise((resolve) => writeFrame(0x49, doc.errorType, JSON.stringify(doc), resolve));
    await request('POST', `${base}/init/error`, JSON.stringify(doc), {
      'content-type': 'application/json',
      'lambda-runtime-function-error-type': doc.errorType,
    });
  } finally {
    process.exit(1);
  }
}

// Lambda decides a .js file's module type from its own code folder: the nearest package.json
// up to the task root, never a folder above it (the code may be copied under a project whose
// package.json says "type": "module"). No package.json: ESM syntax makes it ESM, else CommonJS.
const scopeTypes = new Map();
function packageTypeIn(root, dir) {
  let type = scopeTypes.get(dir);
  if (type !== undefined) return type;
  const pj = path.join(dir, 'package.json');
  if (existsSync(pj)) {
    try {
      type = JSON.parse(readFileSync(pj, 'utf8')).type === 'module' ? 'module' : 'commonjs';
    } catch {
      type = 'commonjs';
    }
  } else {
    const up = path.dirname(dir);
    type = dir === root || up === dir || !inside(root, up) ? null : packageTypeIn(root, up);
  }
  scopeTypes.set(dir, type);
  return type;
}

function moduleTypeIn(root, file) {
  const type = packageTypeIn(root, path.dirname(file));
  if (type) return type;
  return /^\s*(import\s*[\w{*'"]|export\s+(const|let|var|function|async|class|default|\{|\*))/m.test(readFileSync(file, 'utf8')) ? 'module' : 'commonjs';
}

const inside = (root, file) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

// CommonJS files of the task root load as CommonJS whatever a folder above the root says.
let cjsRoot;
function loadCommonJsFromRoot(root) {
  if (cjsRoot !== undefined) return;
  cjsRoot = root;
  const js = Module._extensions['.js'];
  Module._extensions['.js'] = function (module, filename) {
    if (inside(root, filename) && moduleTypeIn(root, filename) === 'commonjs') return module._compile(readFileSync(filename, 'utf8'), filename);
    return js.call(this, module, filename);
  };
}

// Lambda's resolution: "dir/file.fn.nested" -> file dir/file{.js,.mjs,.cjs}, property path fn.nested.
async function loadHandler(root, spec) {
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  if (dot < 0) {
    const e = new Error(`Bad handler ${spec}: expected module.function`);
    e.name = 'Runtime.MalformedHandlerName';
    throw e;
  }
  const modulePath = path.resolve(root, spec.slice(0, dot));
  const names = spec.slice(dot + 1).split('.');
  let file;
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (existsSync(modulePath + ext)) {
      file = modulePath + ext;
      break;
    }
  }
  if (!file) {
    const e = new Error(`Cannot find module '${spec.slice(0, dot)}'`);
    e.name = 'Runtime.ImportModuleError';
    throw e;
  }
  const esm = file.endsWith('.mjs') || (file.endsWith('.js') && moduleTypeIn(path.resolve(root), file) === 'module');
  let mod;
  try {
    if (esm) {
      // ESM ignores NODE_PATH: a resolve hook falls back to it for bare specifiers
      // (layers' nodejs/node_modules and the runtime-provided AWS SDK), as Lambda does.
      // ESB_NODE_ESM_HOOK=0: the image links the module folders into /var/task's parents instead.
      if (env.NODE_PATH && env.ESB_NODE_ESM_HOOK !== '0') {
        if (spareEsmPaths) {
          const bytes = new TextEncoder().encode(env.NODE_PATH);
          if (bytes.length > spareEsmPaths.byteLength - 4) throw new Error('NODE_PATH is over 64 KB');
          new Uint8Array(spareEsmPaths, 4).set(bytes);
          Atomics.store(new Int32Array(spareEsmPaths, 0, 1), 0, bytes.length);
        } else register('./esm-resolve.mjs', import.meta.url, { data: { paths: env.NODE_PATH.split(path.delimiter).filter(Boolean) } });
      }
      mod = await import(pathToFileURL(file).href);
    } else {
      loadCommonJsFromRoot(path.resolve(root));
      mod = createRequire(file)(file);
    }
  } catch (err) {
    if (err && (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND')) {
      const e = new Error(err.message);
      e.name = 'Runtime.ImportModuleError';
      e.stack = err.stack;
      throw e;
    }
    if (err instanceof SyntaxError) {
      const e = new Error(err.message);
      e.name = 'Runtime.UserCodeSyntaxError';
      e.stack = err.stack;
      throw e;
    }
    throw err;
  }
  let fn = mod;
  for (const n of names) fn = fn == null ? undefined : fn[n];
  if (fn === undefined && esm && mod.default) {
    fn = mod.default;
    for (const n of names) fn = fn == null ? undefined : fn[n];
  }
  if (typeof fn !== 'function') {
    const e = new Error(`${spec} is undefined or not exported`);
    e.name = 'Runtime.HandlerNotFound';
    throw e;
  }
  return fn;
}

function makeContext(h) {
  const deadline = Number(h['lambda-runtime-deadline-ms']);
  const ctx = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion,
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB,
    awsRequestId: h['lambda-runtime-aws-request-id'],
    logGroupName,
    logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  if (h['lambda-runtime-client-context']) {
    try {
      ctx.clientContext = JSON.parse(h['lambda-runtime-client-context']);
    } catch {}
  }
  if (h['lambda-runtime-cognito-identity']) {
    try {
      ctx.identity = JSON.parse(h['lambda-runtime-cognito-identity']);
    } catch {}
  }
  return ctx;
}

function runHandler(handler, event, ctx) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, value) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(value);
    };
    ctx.done = done;
    ctx.succeed = (v) => done(null, v);
    ctx.fail = (e) => done(e ?? new Error('handled'));
    let r;
    try {
      r = handler(event, ctx, done);
    } catch (err) {
      done(err);
      return;
    }
    if (r && typeof r.then === 'function') r.then((v) => done(null, v), (e) => done(e ?? new Error('rejected')));
    else if (handler.length < 3) done(null, r);
  });
}

/** The console as Lambda's runtime sets it up (console-log.mjs), from the start of main. */
let runtimeLog;

async function main() {
  runtimeLog = patchConsole(env);
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  const spec = process.argv[2] || env._HANDLER;
  installSdkV2Endpoints(env);
  installHostLookups(env);
  installResponseUrlRedirect(env);
  installAwsLambdaGlobal();
  if (channelFd === 'port') channel = openPortChannel((await import('node:worker_threads')).workerData.esbChannel);
  else if (channelFd) channel = openChannel(Number(channelFd));
  let handler;
  try {
    if (!spec) throw Object.assign(new Error('No handler specified'), { name: 'Runtime.MalformedHandlerName' });
    handler = await loadHandler(root, spec);
  } catch (err) {
    await initError(err);
    return;
  }
  handlerLoaded = true;
  let nextEvent = firstNext();
  for (;;) {
    running = undefined;
    const next = await nextEvent;
    if (next.status !== 200) throw new Error(`invocation/next answered ${next.status}`);
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    running = id;
    runtimeLog.setRequestId(id);
    setTraceId(h['lambda-runtime-trace-id'] || undefined);
    let event;
    try {
      event = next.body.length === 0 ? null : JSON.parse(next.body);
    } catch (err) {
      nextEvent = postError(id, err);
      continue;
    }
    if (isStreamingHandler(handler)) {
      // A stream may be half written: an uncaught error then only ends the runtime.
      running = undefined;
      nextEvent = streamResponse(handler, event, makeContext(h), id);
      continue;
    }
    let result;
    try {
      result = await runHandler(handler, event, makeContext(h));
    } catch (err) {
      nextEvent = postError(id, err);
      continue;
    }
    let body;
    try {
      body = result === undefined ? 'null' : JSON.stringify(result);
    } catch (err) {
      nextEvent = postError(id, err);
      continue;
    }
    nextEvent = resultThenNext('response', id, body);
  }
}

const JSON_CONTENT = { 'content-type': 'application/json' };

/** An allocation past MemorySize (RLIMIT_DATA): the runtime dies, as Lambda's does. */
function isOutOfMemory(err) {
  return err instanceof RangeError && /allocation failed/i.test(err.message);
}

function postError(id, err) {
  if (isOutOfMemory(err)) {
    // A worker thread (in-process mode) ends itself, never the agent's process.
    process.stderr.write(`Runtime.OutOfMemory: ${err.message}\n`, () => (channelFd === 'port' ? process.exit(1) : process.kill(process.pid, 'SIGKILL')));
    return new Promise(() => {});
  }
  const doc = errorDoc(err);
  runtimeLog.logError('Invoke Error', err);
  return resultThenNext('error', id, JSON.stringify(doc), doc.errorType);
}

/** The request id of the invocation whose handler runs now: an uncaught error is its answer. */
let running;
let handlerLoaded = false;

/**
 * An error nothing caught (thrown in a callback, a rejection no one handles) ends the runtime, as
 * Lambda's Node runtime does: it is the running invocation's error (on the channel the LAST_ERROR
 * frame, which asks for no other event), the exit status is 129 (128 for a rejection), and the
 * next event starts a new runtime (docs/agent.md, "Uncaught errors").
 */
function uncaught(err, exitCode) {
  if (!handlerLoaded) return void initError(err);
  const doc = errorDoc(err);
  runtimeLog.logError(exitCode === 128 ? 'Unhandled Promise Rejection' : 'Uncaught Exception', err);
  const exit = () => process.exit(exitCode);
  const id = running;
  running = undefined;
  if (id === undefined) return void flushOutput().then(exit);
  const body = JSON.stringify(doc);
  if (channel) {
    const us = eventMicros();
    return void flushOutput().then(() => writeFrame(0x58, `${id}\0${doc.errorType}\0${us}`, body, exit));
  }
  request('POST', `${base}/invocation/${id}/error`, body, { 'content-type': 'application/json', 'lambda-runtime-function-error-type': doc.errorType }).then(exit, exit);
}

/** A rejection's reason as Lambda's Node runtime reports it: Runtime.UnhandledPromiseRejection, the reason as its message. */
function rejectionError(reason) {
  const err = new Error(String(reason));
  err.name = 'Runtime.UnhandledPromiseRejection';
  const frames = reason instanceof Error && typeof reason.stack === 'string' ? reason.stack.split('\n').slice(1) : [];
  err.stack = [`${err.name}: ${err.message}`, ...frames].join('\n');
  return err;
}

process.on('uncaughtException', (err) => uncaught(err, 129));
process.on('unhandledRejection', (reason) => uncaught(rejectionError(reason), 128));
main().catch(fatal);
