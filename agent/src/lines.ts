// Splits a byte stream into lines; a line longer than maxLine is cut (a handler printing
// megabytes without a newline must not grow the agent's memory).
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private buf = '';
  private readonly decoder = new StringDecoder('utf8');
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = 256 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let text = this.buf + this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.onLine(text.slice(start, end));
      start = nl + 1;
    }
    text = start === 0 ? text : text.slice(start);
    while (text.length > this.maxLine) {
      this.onLine(text.slice(0, this.maxLine));
      text = text.slice(this.maxLine);
    }
    this.buf = text;
  }

  end(): void {
    const rest = this.buf + this.decoder.end();
    this.buf = '';
    if (rest.length) this.onLine(rest);
  }
}
