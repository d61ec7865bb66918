// Decoding of the `aws-chunked` content encoding that AWS SDKs use for streaming uploads
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]):
//
//   <hex-size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer-name>:<value>\r\n ...]\r\n
//
// s3rver 3.7.1 stores that framing as the object's content; this decoder gives back the
// bytes the client meant, checks them against x-amz-decoded-content-length and, when the
// trailer carries a CRC32 / SHA-1 / SHA-256 checksum, against that checksum.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

export class AwsChunkedError extends Error {
  constructor(
    message: string,
    readonly code: 'IncompleteBody' | 'BadDigest' | 'InvalidRequest',
  ) {
    super(message);
    this.name = 'AwsChunkedError';
  }
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** True when a request body is aws-chunked framed (by content-encoding or by the payload hash mode). */
export function isAwsChunked(headers: Headers): boolean {
  const encoding = header(headers, 'content-encoding') ?? '';
  if (encoding.split(',').some((e) => e.trim().toLowerCase() === 'aws-chunked')) return true;
  return (header(headers, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
}

/** The headers a request has once its body is decoded: real length, no aws-chunked encoding. */
export function decodedHeaders(headers: Headers, decodedLength: number): Headers {
  const out: Headers = { ...headers };
  out['content-length'] = String(decodedLength);
  delete out['x-amz-decoded-content-length'];
  delete out['transfer-encoding'];
  const rest = (header(headers, 'content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e && e.toLowerCase() !== 'aws-chunked');
  if (rest.length) out['content-encoding'] = rest.join(',');
  else delete out['content-encoding'];
  return out;
}

interface Checksum {
  update(data: Buffer): void;
  digest(): string;
}

function checksumFor(trailerName: string | undefined): Checksum | undefined {
  switch (trailerName?.trim().toLowerCase()) {
    case 'x-amz-checksum-crc32': {
      const crc32 = (zlib as unknown as { crc32?: (d: Buffer, v?: number) => number }).crc32;
      if (!crc32) return undefined;
      let value = 0;
      return {
        update: (d) => (value = crc32(d, value)),
        digest: () => {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(value >>> 0);
          return b.toString('base64');
        },
      };
    }
    case 'x-amz-checksum-sha1':
    case 'x-amz-checksum-sha256': {
      const hash: Hash = createHash(trailerName!.trim().toLowerCase().endsWith('sha1') ? 'sha1' : 'sha256');
      return { update: (d) => hash.update(d), digest: () => hash.digest('base64') };
    }
    default:
      return undefined; // crc32c, crc64nvme: not verified
  }
}

const MAX_LINE = 8 * 1024;
const CRLF = Buffer.from('\r\n');

export interface AwsChunkedDecoderOptions {
  /** x-amz-decoded-content-length, when the client sent it. */
  expectedLength?: number;
  /** x-amz-trailer: the name of the trailing checksum header. */
  trailer?: string;
}

export class AwsChunkedDecoder extends Transform {
  private state: 'header' | 'data' | 'data-crlf' | 'trailer' | 'done' = 'header';
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private readonly checksum: Checksum | undefined;
  readonly trailers: Record<string, string> = {};
  decodedLength = 0;

  constructor(private readonly options: AwsChunkedDecoderOptions = {}) {
    super();
    this.checksum = checksumFor(options.trailer);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // A client may end the body right after the last trailer line without the final CRLF.
    if (this.state === 'trailer' && this.pending.length === 0) this.state = 'done';
    if (this.state !== 'done') {
      callback(new AwsChunkedError(`aws-chunked body ended early (in ${this.state}, ${this.decodedLength} bytes decoded)`, 'IncompleteBody'));
      return;
    }
    try {
      this.verify();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(input: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, input]) : input;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length);
        const data = buf.subarray(0, n);
        this.checksum?.update(data);
        this.decodedLength += n;
        this.push(data);
        this.remaining -= n;
        buf = buf.subarray(n);
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      if (this.state === 'done') {
        if (buf.toString('latin1').trim() !== '') throw new AwsChunkedError('data after the end of an aws-chunked body', 'InvalidRequest');
        return;
      }
      const eol = buf.indexOf(CRLF);
      if (eol < 0) {
        if (buf.length > MAX_LINE) throw new AwsChunkedError('aws-chunked line too long', 'InvalidRequest');
        this.pending = Buffer.from(buf);
        return;
      }
      const line = buf.subarray(0, eol).toString('latin1');
      buf = buf.subarray(eol + 2);
      if (this.state === 'data-crlf') {
        if (line !== '') throw new AwsChunkedError('aws-chunked chunk not followed by CRLF', 'InvalidRequest');
        this.state = 'header';
      } else if (this.state === 'header') {
        const sizeText = line.split(';')[0].trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new AwsChunkedError(`bad aws-chunked chunk header "${line.slice(0, 80)}"`, 'InvalidRequest');
        const size = parseInt(sizeText, 16);
        if (size === 0) this.state = 'trailer';
        else {
          this.remaining = size;
          this.state = 'data';
        }
      } else if (this.state === 'trailer') {
        if (line === '') this.state = 'done';
        else {
          const colon = line.indexOf(':');
          if (colon > 0) this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
      }
    }
  }

  private verify(): void {
    const { expectedLength, trailer } = this.options;
    if (expectedLength !== undefined && expectedLength !== this.decodedLength) {
      throw new AwsChunkedError(`aws-chunked body holds ${this.decodedLength} bytes, x-amz-decoded-content-length says ${expectedLength}`, 'IncompleteBody');
    }
    if (this.checksum && trailer) {
      const sent = this.trailers[trailer.trim().toLowerCase()];
      if (sent !== undefined && sent !== this.checksum.digest()) {
        throw new AwsChunkedError(`${trailer} mismatch: the body does not match the checksum the client sent`, 'BadDigest');
      }
    }
  }
}

export function decoderOptionsFrom(headers: Headers): AwsChunkedDecoderOptions {
  const len = header(headers, 'x-amz-decoded-content-length');
  return {
    expectedLength: len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined,
    trailer: header(headers, 'x-amz-trailer'),
  };
}
