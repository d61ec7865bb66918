// The transport of the Lambda Runtime API: a small HTTP/1.1 server on node:net, because it sits
// on every invocation's path twice (the event out, the result in). node:http costs two
// wake-ups and two writes per invocation here: the runtime posts its result, waits for the
// 202, then asks for the next event. This server reads pipelined requests (our bootstraps
// send POST .../response and GET .../next in one write) and sends everything a connection has
// to say in one write, at the end of the event-loop turn: the 202 and the next event together.
// It speaks enough HTTP/1.1 for any Runtime API client (custom runtimes: curl, Go, Rust):
// Content-Length and chunked bodies, Expect: 100-continue, keep-alive, Connection: close, HTTP/1.0.
import net from 'node:net';

export interface RuntimeRequest {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The body was over the limit: `body` is empty and the bytes were discarded. */
  tooLarge: boolean;
  /** The body went chunk by chunk to the taker of its head (`StreamHandler`): `body` is empty. */
  streamed?: boolean;
  /** Trailer fields of a chunked body (lower-case names). */
  trailers?: Record<string, string>;
}

/** A request's head, before its body. */
export interface StreamHead {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * Offered the head of each request sent in Lambda's streaming response mode: a function taking
 * its body's bytes as they arrive (no body limit then), or undefined to read the body whole.
 */
export type StreamHandler = (head: StreamHead) => ((bytes: Buffer) => void) | undefined;

/** Lambda-Runtime-Function-Response-Mode: streaming. */
export function isStreamingMode(headers: Record<string, string>): boolean {
  return headers['lambda-runtime-function-response-mode']?.toLowerCase() === 'streaming';
}

export interface RuntimeResponder {
  /** Answers the request (once); responses go out in request order. */
  send(status: number, headers: Record<string, string | number>, body: Buffer | string): void;
  /** Drops the connection (a parked /next whose instance is going away). */
  destroy(): void;
  /** Called when the connection closes before this request was answered. */
  onClose(cb: () => void): void;
}

export type RuntimeRequestHandler = (req: RuntimeRequest, res: RuntimeResponder) => void;

/**
 * Decides, at a connection's first request, whether the connection may use this Runtime API
 * (docs/security.md): true/false now, or later. A refused connection gets a 403 and is closed.
 */
export type RuntimeAdmission = (req: RuntimeRequest, socket: net.Socket) => boolean | Promise<boolean>;

export interface ParseError {
  status: number;
  message: string;
}

const MAX_HEAD_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

type State =
  | { kind: 'head' }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' };

/** Shared: the parser returns to it after every request (no allocation per request). */
const HEAD_STATE: State = { kind: 'head' };

interface Pending {
  method: string;
  url: string;
  headers: Record<string, string>;
  httpVersion: string;
  chunks: Buffer[];
  size: number;
  tooLarge: boolean;
  streamTo?: (bytes: Buffer) => void;
  trailers?: Record<string, string>;
}

export interface ParsedRequest extends RuntimeRequest {
  /** HTTP/1.0, or Connection: close: the connection ends after the answer. */
  close: boolean;
}

/**
 * Incremental HTTP/1.1 request parser (pure: bytes in, requests out). `onContinue` is called
 * when a request's head asks for `Expect: 100-continue`.
 */
export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = HEAD_STATE;
  private cur?: Pending;
  failed?: ParseError;

  constructor(
    private readonly bodyLimit: number,
    private readonly onContinue: () => void = () => {},
    private readonly onStreamHead?: StreamHandler,
  ) {}

  /** Feeds bytes; returns the requests completed by them (stops at the first error: see `failed`). */
  push(chunk: Buffer): ParsedRequest[] {
    const out: ParsedRequest[] = [];
    if (this.failed) return out;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const st = this.state;
      if (st.kind === 'head') {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buf.length > MAX_HEAD_BYTES) this.fail(431, 'request header fields too large');
          break;
        }
        if (end > MAX_HEAD_BYTES) {
          this.fail(431, 'request header fields too large');
          break;
        }
        const head = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        if (!this.startRequest(head)) break;
      } else if (st.kind === 'body') {
        const n = Math.min(st.remaining, this.buf.length);
        if (n > 0) this.take(n);
        st.remaining -= n;
        if (st.remaining > 0) break;
        out.push(this.complete());
      } else if (st.kind === 'chunk-size') {
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) {
          if (this.buf.length > 1024) this.fail(400, 'bad chunk size line');
          break;
        }
        const line = this.buf.toString('latin1', 0, eol);
        this.buf = this.buf.subarray(eol + 2);
        const hex = line.split(';')[0]!.trim(); // chunk extensions after ";" are ignored
        if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) {
          this.fail(400, `bad chunk size "${line.slice(0, 40)}"`);
          break;
        }
        const size = parseInt(hex, 16);
        this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size };
      } else if (st.kind === 'chunk-data') {
        const n = Math.min(st.remaining, this.buf.length);
        if (n > 0) this.take(n);
        st.remaining -= n;
        if (st.remaining > 0) break;
        this.state = { kind: 'chunk-end' };
      } else if (st.kind === 'chunk-end') {
        if (this.buf.length < 2) break;
        if (this.buf[0] !== 13 || this.buf[1] !== 10) {
          this.fail(400, 'chunk data not followed by CRLF');
          break;
        }
        this.buf = this.buf.subarray(2);
        this.state = { kind: 'chunk-size' };
      } else {
        // Trailer fields up to an empty line (kept within the head's size limit).
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) {
          if (this.buf.length > MAX_HEAD_BYTES) this.fail(431, 'trailer fields too large');
          break;
        }
        const line = this.buf.toString('latin1', 0, eol);
        this.buf = this.buf.subarray(eol + 2);
        if (eol === 0) out.push(this.complete());
        else this.trailer(line);
      }
      if (this.failed) break;
    }
    return out;
  }

  private trailer(line: string): void {
    const cur = this.cur!;
    const c = line.indexOf(':');
    if (c <= 0) return;
    const trailers = (cur.trailers ??= {});
    if (Object.keys(trailers).length >= 32) return;
    trailers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }

  private fail(status: number, message: string): void {
    this.failed = { status, message };
  }

  private startRequest(head: string): boolean {
    const lines = head.split('\r\n');
    const m = /^([A-Z]+) (\S+) HTTP\/(1\.[01])$/.exec(lines[0]!);
    if (!m) {
      this.fail(400, `bad request line "${lines[0]!.slice(0, 80)}"`);
      return false;
    }
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const c = line.indexOf(':');
      if (c <= 0) {
        this.fail(400, `bad header line "${line.slice(0, 80)}"`);
        return false;
      }
      const k = line.slice(0, c).trim().toLowerCase();
      const v = line.slice(c + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    this.cur = { method: m[1]!, url: m[2]!, headers, httpVersion: m[3]!, chunks: [], size: 0, tooLarge: false };
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined) {
      if (te.toLowerCase() !== 'chunked') {
        this.fail(501, `transfer-encoding "${te}" is not supported`);
        return false;
      }
      this.state = { kind: 'chunk-size' };
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) {
        this.fail(400, `bad content-length "${cl}"`);
        return false;
      }
      const length = Number(cl);
      this.state = { kind: 'body', remaining: length };
      if (length > this.bodyLimit) this.cur.tooLarge = true;
    } else {
      this.state = { kind: 'body', remaining: 0 };
    }
    if (this.onStreamHead && isStreamingMode(headers)) {
      this.cur.streamTo = this.onStreamHead({ method: this.cur.method, url: this.cur.url, headers });
      if (this.cur.streamTo) this.cur.tooLarge = false;
    }
    if (headers.expect?.toLowerCase() === '100-continue' && !this.cur.tooLarge) this.onContinue();
    return true;
  }

  /** Moves n body bytes from the buffer into the current request (or drops them past the limit). */
  private take(n: number): void {
    const cur = this.cur!;
    const part = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    // Copies: `part` is a view of a socket buffer that may be large and long-lived.
    if (cur.streamTo) return cur.streamTo(Buffer.from(part));
    cur.size += n;
    if (cur.size > this.bodyLimit) cur.tooLarge = true;
    if (cur.tooLarge) cur.chunks.length = 0;
    else cur.chunks.push(Buffer.from(part));
  }

  private complete(): ParsedRequest {
    const cur = this.cur!;
    this.cur = undefined;
    this.state = HEAD_STATE;
    const connection = (cur.headers.connection ?? '').toLowerCase();
    const close = cur.httpVersion === '1.0' ? connection !== 'keep-alive' : connection === 'close';
    const body = cur.tooLarge || cur.chunks.length === 0 ? Buffer.alloc(0) : cur.chunks.length === 1 ? cur.chunks[0]! : Buffer.concat(cur.chunks);
    const req: ParsedRequest = { method: cur.method, url: cur.url, headers: cur.headers, body, tooLarge: cur.tooLarge, close };
    if (cur.streamTo) req.streamed = true;
    if (cur.trailers) req.trailers = cur.trailers;
    return req;
  }
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/** One serialised HTTP/1.1 response. */
export function formatResponse(status: number, headers: Record<string, string | number>, body: Buffer, close: boolean): Buffer {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\n`;
  for (const k in headers) {
    if (k === 'content-length' || k === 'connection') continue;
    // Values can come from callers (a decoded client context): no line breaks into the head.
    const v = String(headers[k]);
    head += `${k}: ${/[\r\n]/.test(v) ? v.replace(/[\r\n]+/g, ' ') : v}\r\n`;
  }
  head += `content-length: ${body.length}\r\n`;
  if (close) head += 'connection: close\r\n';
  head += '\r\n';
  // Header values may carry UTF-8 (a client context): encode the head as UTF-8, as node:http does for such values.
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

/** One client connection: requests answered strictly in order, writes gathered per event-loop turn. */
class Connection {
  private readonly parser: RequestParser;
  private readonly queue: ParsedRequest[] = [];
  /** The request being answered (a parked GET /next waits here). */
  private current?: { req: ParsedRequest; closeCbs?: Array<() => void>; answered: boolean };
  private out: Buffer[] = [];
  private flushScheduled = false;
  private ending = false;
  private closed = false;
  /** undefined: not decided yet; 'pending': the admission is being looked up. */
  private admitted: boolean | 'pending' | undefined;

  constructor(
    private readonly socket: net.Socket,
    bodyLimit: number,
    private readonly handler: RuntimeRequestHandler,
    private readonly admit?: RuntimeAdmission,
    streamHandler?: StreamHandler,
  ) {
    if (!admit) this.admitted = true;
    socket.setNoDelay(true);
    // Only a connection already admitted streams: another's body is read whole, then refused.
    const onStreamHead: StreamHandler | undefined = streamHandler && ((head) => (this.admitted === true ? streamHandler(head) : undefined));
    this.parser = new RequestParser(bodyLimit, () => this.write(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n')), onStreamHead);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.onClosed());
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    const reqs = this.parser.push(chunk);
    for (const r of reqs) this.queue.push(r);
    this.next();
    if (this.parser.failed && !this.current) this.failAndEnd(this.parser.failed);
  }

  private failAndEnd(e: ParseError): void {
    this.write(formatResponse(e.status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ errorType: 'BadRequest', errorMessage: e.message })), true));
    this.end();
  }

  /** Settles the connection's admission with its first request; false while it is not admitted. */
  private mayDispatch(req: ParsedRequest): boolean {
    if (this.admitted === true) return true;
    if (this.admitted === 'pending') return false;
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.admit!(req, this.socket);
    } catch {
      verdict = false;
    }
    if (verdict === true || verdict === false) return this.decide(verdict);
    this.admitted = 'pending';
    verdict.then(
      (ok) => {
        this.decide(ok);
        if (ok) this.next();
      },
      () => this.decide(false),
    );
    return false;
  }

  private decide(ok: boolean): boolean {
    this.admitted = ok;
    if (!ok) {
      const body = JSON.stringify({ errorType: 'AccessDenied', errorMessage: 'this Runtime API belongs to another instance' });
      this.queue.length = 0;
      this.write(formatResponse(403, { 'content-type': 'application/json' }, Buffer.from(body), true));
      this.end();
    }
    return ok;
  }

  /** Dispatches queued requests until one is left waiting for its answer. */
  private next(): void {
    while (!this.current && this.queue.length && !this.ending) {
      if (!this.mayDispatch(this.queue[0]!)) return;
      const req = this.queue.shift()!;
      const slot: { req: ParsedRequest; closeCbs?: Array<() => void>; answered: boolean } = { req, answered: false };
      this.current = slot;
      const responder: RuntimeResponder = {
        send: (status, headers, body) => {
          if (slot.answered || this.closed) return;
          slot.answered = true;
          this.write(formatResponse(status, headers, typeof body === 'string' ? Buffer.from(body) : body, req.close));
          if (this.current === slot) this.current = undefined;
          if (req.close) return this.end();
          this.next();
          if (!this.current && this.parser.failed) this.failAndEnd(this.parser.failed);
        },
        destroy: () => this.socket.destroy(),
        onClose: (cb) => (slot.closeCbs ??= []).push(cb),
      };
      this.handler(req, responder);
    }
  }

  private write(b: Buffer): void {
    if (this.closed) return;
    this.out.push(b);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the I/O callbacks of this turn: the 202 for a result and the next event (assigned
      // by the pool in promise callbacks after the result came in) leave in one write.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    // A request the client pipelined behind what we answered still waits (a parked /next):
    // hold the answers until it can go with them. The client already asked for the next
    // event, so nothing waits for the 202 alone, and the runtime wakes once per invocation.
    if (this.current && !this.current.answered) return;
    if (this.closed || this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    if (this.ending) this.socket.end(data);
    else this.socket.write(data);
  }

  private end(): void {
    this.ending = true;
    if (!this.flushScheduled) this.socket.end();
  }

  private onClosed(): void {
    this.closed = true;
    const cur = this.current;
    this.current = undefined;
    if (cur && !cur.answered) for (const cb of cur.closeCbs ?? []) cb();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class RuntimeApiServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();

  constructor(handler: RuntimeRequestHandler, bodyLimit: number, admit?: RuntimeAdmission, streamHandler?: StreamHandler) {
    this.server = net.createServer((socket) => {
      const c = new Connection(socket, bodyLimit, handler, admit, streamHandler);
      this.connections.add(c);
      socket.on('close', () => this.connections.delete(c));
    });
  }

  /** Listens on an ephemeral port of `host`; rejects if closed before it listened. */
  listen(host: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const closed = () => reject(new Error('instance stopped while starting'));
      this.server.once('error', reject);
      this.server.once('close', closed);
      this.server.listen(0, host, () => {
        this.server.off('error', reject);
        this.server.off('close', closed);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops listening and drops every connection. */
  close(): void {
    this.server.close();
    for (const c of this.connections) c.destroy();
  }
}
