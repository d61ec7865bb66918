// A response the function streams (docs/agent.md "Response streaming"): chunks in as the runtime
// writes them, out to the caller that took the stream, or kept whole for a caller that did not.
import type { ResponseStream, StreamFailure, StreamSink } from '@esb/contracts';

/** Lambda's limit for a streamed response; past it the stream ends with Function.ResponseSizeTooLarge. */
export const MAX_STREAMED_BYTES = 20 * 1024 * 1024;
export const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';

export class InvocationStream implements ResponseStream {
  /** Chunks not yet given to a sink: all of them for a caller that takes the response whole. */
  private held: Buffer[] = [];
  private sink?: StreamSink;
  private cancelled = false;
  /** Set once the stream ended: undefined inside means it ended well. */
  private ending?: { failure?: StreamFailure };
  /** Bytes written so far. */
  size = 0;

  constructor(
    readonly contentType: string,
    readonly limit = MAX_STREAMED_BYTES,
  ) {}

  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** A chunk from the runtime; false (and nothing kept) once the stream is over its limit. */
  push(bytes: Buffer): boolean {
    if (this.ending) return true;
    this.size += bytes.length;
    if (this.size > this.limit) return false;
    if (bytes.length === 0 || this.cancelled) return true;
    if (this.sink) this.sink.chunk(bytes);
    else this.held.push(bytes);
    return true;
  }

  end(failure?: StreamFailure): void {
    if (this.ending) return;
    this.ending = { failure };
    if (this.sink && !this.cancelled) this.sink.end(failure);
  }

  open(sink: StreamSink): void {
    if (this.sink || this.cancelled) return;
    this.sink = sink;
    const held = this.held;
    this.held = [];
    for (const b of held) sink.chunk(b);
    if (this.ending) sink.end(this.ending.failure);
  }

  cancel(): void {
    this.cancelled = true;
    this.held = [];
  }

  /** Everything written, for a caller that takes the response whole (never opened). */
  whole(): Buffer {
    return this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
  }
}

/** Lambda's words for a response (streamed or not) past its limit. */
export function tooLargeMessage(limit: number): string {
  return `Response payload size exceeded maximum allowed payload size (${limit} bytes).`;
}
