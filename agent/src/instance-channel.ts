// The instance channel: how esb's own Node and Python runtime clients talk to the agent in the
// process runtime (docs/agent.md#the-instance-channel). A socket pair the driver hands the child
// as a file descriptor (only that process holds it, so only it can take its events and answer
// them), carrying length-prefixed frames instead of HTTP: no request line, no headers to parse
// on either side. Custom runtimes and the Docker runtime keep the HTTP Runtime API.
//
// A frame: u32 BE length of what follows | u8 kind | u32 BE meta length | meta (UTF-8) | body.
// Agent -> instance: EVENT (meta: request id, time limit ms, function ARN, trace id, client
// context, Cognito identity, and "1" when the runtime must mark where the event's output starts
// (OUTPUT_MARK), separated by NUL; body: the event).
// Instance -> agent: NEXT (init is over, waiting for the first event), RESPONSE (meta: request
// id NUL µs from event to result; body: the result) and ERROR (meta: request id NUL error type
// NUL µs; body: the error document),
// each of which also asks for the next event, INIT_ERROR (meta: error type), and LAST_ERROR (meta
// as ERROR): an error document after which the runtime ends, without asking for another event
// (docs/agent.md#uncaught-errors).
// Events queued behind the running one (docs/agent.md#queued-in-the-instance): RECALL (agent ->
// instance; meta: request id) asks the runtime not to run a queued event; RECALLED (instance ->
// agent; meta: request id) says it has dropped it, sent before the running event's result. An
// event the runtime has already taken is not recalled: it runs and is answered as usual.
// A streamed response (docs/agent.md "Response streaming"): STREAM_START (instance -> agent;
// meta: request id NUL content type), then STREAM_CHUNK frames (meta: request id; body: bytes
// as written), ended by the request's RESPONSE (empty body) or ERROR (a failure mid-stream).
// A spare runtime (docs/agent.md#spare-runtimes) first waits for ASSIGN (agent -> instance; body:
// JSON {env, cwd, secret}): it takes that environment and working folder, then runs as above.

export const FRAME_NEXT = 0x4e; // N
export const FRAME_EVENT = 0x45; // E
export const FRAME_RESPONSE = 0x52; // R
export const FRAME_ERROR = 0x46; // F
export const FRAME_INIT_ERROR = 0x49; // I
export const FRAME_LAST_ERROR = 0x58; // X
export const FRAME_ASSIGN = 0x41; // A
export const FRAME_RECALL = 0x43; // C
export const FRAME_RECALLED = 0x42; // B
export const FRAME_STREAM_START = 0x53; // S
export const FRAME_STREAM_CHUNK = 0x44; // D

const HEAD = 9;
const EMPTY = Buffer.alloc(0);

/**
 * The line a runtime client writes to stdout and stderr before the output of an event the agent
 * queued behind another (docs/agent.md#queued-in-the-instance), followed by the request id: the
 * agent reads the output on pipes, apart from the results, and may read the event's lines
 * before it learns that the event started.
 */
export const OUTPUT_MARK = '\u001eesb-event ';

/** The file descriptor number of the channel in the child, and the variable that names it. */
export const CHANNEL_FD = 3;
export const CHANNEL_ENV = 'ESB_RUNTIME_CHANNEL';
/** Set (to 1) in a spare runtime's start-up environment: wait for ASSIGN before anything else. */
export const SPARE_ENV = 'ESB_SPARE';

export function encodeFrame(kind: number, meta: string, body?: Buffer): Buffer {
  const metaLength = Buffer.byteLength(meta);
  const bodyLength = body ? body.length : 0;
  const out = Buffer.allocUnsafe(HEAD + metaLength + bodyLength);
  out.writeUInt32BE(5 + metaLength + bodyLength, 0);
  out[4] = kind;
  out.writeUInt32BE(metaLength, 5);
  out.write(meta, HEAD, 'utf8');
  if (body) body.copy(out, HEAD + metaLength);
  return out;
}

export interface Frame {
  kind: number;
  meta: string;
  body: Buffer;
  /** The body was over the limit: `body` is empty and its bytes were skipped. */
  tooLarge: boolean;
}

/** Incremental frame reader (pure: bytes in, frames out); bodies over `bodyLimit` are skipped, not kept. */
export class FrameDecoder {
  private buf: Buffer = EMPTY;
  /** Bytes of an oversized body still to skip, and its frame, reported once skipped. */
  private skipping = 0;
  private skipped?: Frame;
  failed?: string;

  constructor(private readonly bodyLimit: number) {}

  push(chunk: Buffer, onFrame: (f: Frame) => void): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.buf.length);
        this.skipping -= n;
        this.buf = this.buf.subarray(n);
        if (this.skipping > 0) return;
        const f = this.skipped!;
        this.skipped = undefined;
        onFrame(f);
        continue;
      }
      if (this.buf.length < HEAD) return;
      const length = this.buf.readUInt32BE(0);
      const kind = this.buf[4]!;
      const metaLength = this.buf.readUInt32BE(5);
      if (length < 5 || metaLength > length - 5 || metaLength > 1024 * 1024) {
        this.failed = `bad frame (length ${length}, meta ${metaLength})`;
        return;
      }
      const bodyLength = length - 5 - metaLength;
      if (bodyLength > this.bodyLimit) {
        if (this.buf.length < HEAD + metaLength) return;
        const meta = this.buf.toString('utf8', HEAD, HEAD + metaLength);
        this.buf = this.buf.subarray(HEAD + metaLength);
        this.skipping = bodyLength;
        this.skipped = { kind, meta, body: EMPTY, tooLarge: true };
        continue;
      }
      const total = 4 + length;
      if (this.buf.length < total) return;
      const meta = metaLength === 0 ? '' : this.buf.toString('utf8', HEAD, HEAD + metaLength);
      // A copy unless the frame is the whole buffer: a view would keep a larger socket buffer alive.
      const whole = total === this.buf.length;
      const body = whole ? this.buf.subarray(HEAD + metaLength) : Buffer.from(this.buf.subarray(HEAD + metaLength, total));
      this.buf = whole ? EMPTY : this.buf.subarray(total);
      onFrame({ kind, meta, body, tooLarge: false });
    }
  }
}
