import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, AwsChunkedError, decodedHeaders, decoderOptionsFrom, isAwsChunked } from './aws-chunked.js';

const crc32 = (data: Buffer) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE((zlib as unknown as { crc32(d: Buffer): number }).crc32(data) >>> 0);
  return b.toString('base64');
};

/** STREAMING-UNSIGNED-PAYLOAD-TRAILER framing, as the JS SDK v3 sends it. */
function unsignedTrailer(data: Buffer, chunk: number, checksum = crc32(data)): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) {
    const piece = data.subarray(i, i + chunk);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`));
  return Buffer.concat(parts);
}

/** STREAMING-AWS4-HMAC-SHA256-PAYLOAD framing (signatures are not checked by local servers). */
function signed(data: Buffer, chunk: number): Buffer {
  const sig = 'a'.repeat(64);
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) {
    const piece = data.subarray(i, i + chunk);
    parts.push(Buffer.from(`${piece.length.toString(16)};chunk-signature=${sig}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`0;chunk-signature=${sig}\r\n\r\n`));
  return Buffer.concat(parts);
}

async function decode(body: Buffer, options: ConstructorParameters<typeof AwsChunkedDecoder>[0], pieceSize = body.length): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += pieceSize) pieces.push(body.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  const decoder = new AwsChunkedDecoder(options);
  decoder.on('data', (d: Buffer) => out.push(d));
  await pipeline(Readable.from(pieces), decoder);
  return Buffer.concat(out);
}

describe('AwsChunkedDecoder', () => {
  const data = randomBytes(70_000);

  it('decodes unsigned-trailer framing and checks the CRC32 trailer, whatever the network splits', async () => {
    const body = unsignedTrailer(data, 16_384);
    for (const piece of [body.length, 8192, 1000, 13]) {
      const got = await decode(body, { expectedLength: data.length, trailer: 'x-amz-checksum-crc32' }, piece);
      expect(got.equals(data)).toBe(true);
    }
  });

  it('decodes signed (chunk-signature) framing', async () => {
    expect((await decode(signed(data, 8192), { expectedLength: data.length }, 333)).equals(data)).toBe(true);
    const small = randomBytes(300);
    expect((await decode(signed(small, 64), { expectedLength: 300 }, 1)).equals(small)).toBe(true);
  });

  it('checks SHA-256 trailers too', async () => {
    const sha = createHash('sha256').update(data).digest('base64');
    const body = Buffer.concat([unsignedTrailer(data, 65_536).subarray(0, -(`0\r\nx-amz-checksum-crc32:${crc32(data)}\r\n\r\n`.length)), Buffer.from(`0\r\nx-amz-checksum-sha256:${sha}\r\n\r\n`)]);
    expect((await decode(body, { trailer: 'x-amz-checksum-sha256' })).equals(data)).toBe(true);
  });

  it('decodes an empty body', async () => {
    expect((await decode(Buffer.from('0\r\n\r\n'), { expectedLength: 0 })).length).toBe(0);
  });

  it('rejects a body whose checksum does not match (BadDigest)', async () => {
    const err = await decode(unsignedTrailer(data, 8192, crc32(Buffer.from('other'))), { trailer: 'x-amz-checksum-crc32' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsChunkedError);
    expect((err as AwsChunkedError).code).toBe('BadDigest');
  });

  it('rejects a truncated body and a length that disagrees with x-amz-decoded-content-length (IncompleteBody)', async () => {
    const body = unsignedTrailer(data, 8192);
    const truncated = await decode(body.subarray(0, 20_000), {}).catch((e: unknown) => e);
    expect((truncated as AwsChunkedError).code).toBe('IncompleteBody');
    const wrongLength = await decode(body, { expectedLength: data.length + 1 }).catch((e: unknown) => e);
    expect((wrongLength as AwsChunkedError).code).toBe('IncompleteBody');
  });

  it('rejects framing that is not aws-chunked', async () => {
    const err = await decode(Buffer.from('hello world\r\n'), {}).catch((e: unknown) => e);
    expect((err as AwsChunkedError).code).toBe('InvalidRequest');
  });
});

describe('aws-chunked headers', () => {
  it('recognises the encoding by content-encoding or by the streaming payload mode', () => {
    expect(isAwsChunked({ 'content-encoding': 'aws-chunked' })).toBe(true);
    expect(isAwsChunked({ 'content-encoding': 'gzip, aws-chunked' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-encoding': 'gzip' })).toBe(false);
  });

  it('rewrites the headers to describe the decoded body', () => {
    const h = {
      'content-encoding': 'gzip,aws-chunked',
      'content-length': '70100',
      'transfer-encoding': 'chunked',
      'x-amz-decoded-content-length': '70000',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    expect(decoderOptionsFrom(h)).toEqual({ expectedLength: 70_000, trailer: 'x-amz-checksum-crc32' });
    expect(decodedHeaders(h, 70_000)).toEqual({ 'content-encoding': 'gzip', 'content-length': '70000', 'x-amz-trailer': 'x-amz-checksum-crc32' });
    expect(decodedHeaders({ 'content-encoding': 'aws-chunked' }, 5)).toEqual({ 'content-length': '5' });
  });
});
