// A small zip reader (stored and deflated entries), enough for Lambda deployment packages and
// layer archives. Pure: bytes in, entries out.
import { inflateRawSync } from 'node:zlib';

export class ZipFormatError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ZipFormatError';
  }
}

export interface ZipEntry {
  path: string;
  data: Buffer;
  /** Unix mode bits when the archive recorded them (e.g. 0o755), else undefined. */
  mode?: number;
}

/** Reads every file entry; directories are implied by paths. Rejects entries escaping the root. */
export function readZip(buf: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let off = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || off === 0xffffffff) throw new ZipFormatError('zip64 archives are not supported');
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (off + 46 > buf.length || buf.readUInt32LE(off) !== 0x02014b50) throw new ZipFormatError('corrupt central directory');
    const method = buf.readUInt16LE(off + 10);
    const compSize = buf.readUInt32LE(off + 20);
    const size = buf.readUInt32LE(off + 24);
    const nameLen = buf.readUInt16LE(off + 28);
    const extraLen = buf.readUInt16LE(off + 30);
    const commentLen = buf.readUInt16LE(off + 32);
    const madeBy = buf.readUInt16LE(off + 4) >> 8;
    const external = buf.readUInt32LE(off + 38);
    const local = buf.readUInt32LE(off + 42);
    const name = buf.toString('utf8', off + 46, off + 46 + nameLen).replace(/\\/g, '/');
    off += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    const parts = name.split('/');
    if (name.startsWith('/') || parts.includes('..') || /^[A-Za-z]:/.test(name)) throw new ZipFormatError(`entry "${name}" escapes the archive`);
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new ZipFormatError(`corrupt local header for "${name}"`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new ZipFormatError(`entry "${name}" uses unsupported compression method ${method}`);
    if (data.length !== size) throw new ZipFormatError(`entry "${name}" has the wrong size`);
    const mode = madeBy === 3 ? (external >>> 16) & 0o777 : undefined;
    out.push({ path: parts.filter((p) => p !== '' && p !== '.').join('/'), data, mode: mode || undefined });
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}
