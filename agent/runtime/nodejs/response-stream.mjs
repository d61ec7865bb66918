// Response streaming for esb's Node.js runtime client (docs/agent.md "Response streaming"): the
// `awslambda` global of Lambda's Node.js runtime (streamifyResponse, HttpResponseStream), and the
// writable stream a streaming handler writes its response to. How the bytes travel (instance
// channel frames or the Runtime API's chunked POST) is the bootstrap's `transport`.
import { Writable } from 'node:stream';

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const HTTP_INTEGRATION_RESPONSE = 'application/vnd.awslambda.http-integration-response';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

class HttpResponseStream {
  /** The response starts with its status, headers and cookies: JSON, then 8 NUL bytes. */
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_RESPONSE);
    const json = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(json);
      write(new Uint8Array(8));
    };
    return underlyingStream;
  }
}

export function installAwsLambdaGlobal() {
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[STREAMING] = 'response';
      if (options?.highWaterMark) handler[HIGH_WATER_MARK] = options.highWaterMark;
      return handler;
    },
    HttpResponseStream,
  };
}

export function isStreamingHandler(handler) {
  return handler[STREAMING] === 'response';
}

/**
 * Runs a streaming handler: `handler(event, responseStream, context)`. The stream's bytes go to
 * `transport` ({start(contentType), chunk(bytes, cb), end(cb)}), started at the first write or
 * at the end, so that the content type can be set first. Resolves when the handler has settled
 * and the stream has finished: {started} on success, or {error, started} when the handler failed
 * (`started`: bytes already went out, so the failure is mid-stream).
 */
export async function runStreamingHandler(handler, event, context, transport) {
  let contentType = DEFAULT_CONTENT_TYPE;
  let started = false;
  let wrote = false;
  const start = () => {
    if (started) return;
    started = true;
    transport.start(contentType);
  };
  const stream = new Writable({
    highWaterMark: handler[HIGH_WATER_MARK],
    write(chunk, _encoding, cb) {
      start();
      transport.chunk(chunk, cb);
    },
    final(cb) {
      start();
      cb();
    },
  });
  const write = stream.write.bind(stream);
  const beforeFirstWrite = () => {
    if (wrote) return;
    wrote = true;
    if (typeof stream._onBeforeFirstWrite === 'function') stream._onBeforeFirstWrite((b) => write(b));
  };
  // As Lambda's: any value that is not bytes or text is written as JSON.
  stream.write = (chunk, encoding, cb) => {
    beforeFirstWrite();
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    return write(data, encoding, cb);
  };
  const end = stream.end.bind(stream);
  stream.end = (chunk, encoding, cb) => {
    if (typeof chunk === 'function') {
      beforeFirstWrite();
      return end(chunk);
    }
    if (chunk !== undefined && chunk !== null) stream.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    else beforeFirstWrite();
    return end(typeof encoding === 'function' ? encoding : cb);
  };
  stream.setContentType = (type) => {
    if (started || wrote) throw Object.assign(new Error('Cannot set content-type, too late.'), { name: 'Runtime.InvalidStreamingOperation' });
    contentType = String(type);
  };
  const finished = new Promise((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  try {
    const result = handler(event, stream, context);
    if (!result || typeof result.then !== 'function') throw new Error('Streaming does not support non-async handlers.');
    if ((await result) !== undefined) console.warn('Streaming handlers ignore return values.');
    // A handler that returns before ending its stream: the response goes on until it ends (or the function times out).
    await finished;
    return { started };
  } catch (error) {
    return { error, started };
  }
}
