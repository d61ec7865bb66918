// Log lines copied as they come into one reused buffer, written out later in one go: kept as
// strings until the write, they lived through the young generation's collections and cost more
// than formatting them (docs/gateway.md, "Speed"). Used by esb's own log and the function logs.

/** Bytes gathered before a write. */
export const GATHER_BYTES = 64 * 1024;

export class Gather {
  bytes: Buffer;
  used = 0;
  constructor(readonly size = GATHER_BYTES) {
    this.bytes = Buffer.allocUnsafeSlow(size);
  }

  /** Whether `text` may not fit after what is gathered (a UTF-16 unit is at most 3 bytes of UTF-8: checked against that, a line is never cut). */
  mayOverflow(text: string): boolean {
    return this.used + text.length * 3 > this.size;
  }

  /** Whether `text` may not fit even into an empty buffer: it is written alone. */
  tooLong(text: string): boolean {
    return text.length * 3 > this.size;
  }

  /** Copies `text` in (it must fit: see mayOverflow); returns where it starts. */
  append(text: string): number {
    const start = this.used;
    this.used += this.bytes.write(text, start, 'utf8');
    return start;
  }
}
