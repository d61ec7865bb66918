// A pino transport (it runs in a worker thread, off the request path): JSON log records in,
// short human lines out — `HH:MM:SS.mmm LEVEL [component] message key=value ...`.
// Plain JavaScript because pino loads transports in a worker without esb's TypeScript loader.
import { Writable } from 'node:stream';

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/** @param {Record<string, unknown>} record */
export function formatLine(record) {
  const time = new Date(Number(record.time)).toISOString().slice(11, 23);
  const level = (LEVELS[Number(record.level)] ?? 'INFO').padEnd(5);
  const component = record.component ? `[${String(record.component)}] ` : '';
  const extra = Object.entries(record)
    .filter(([k]) => !OMITTED.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${component}${String(record.msg ?? '')}${extra ? ` ${extra}` : ''}\n`;
}

/** The transport: pino calls it with the options given in `pino.transport({ options })`. */
export default function prettyTransport(options = {}) {
  const out = options.fd === 1 ? process.stdout : process.stderr;
  let rest = '';
  return new Writable({
    write(chunk, _encoding, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      let text = '';
      for (const line of lines) {
        if (!line) continue;
        try {
          text += formatLine(JSON.parse(line));
        } catch {
          text += `${line}\n`;
        }
      }
      if (text) out.write(text, done);
      else done();
    },
  });
}
