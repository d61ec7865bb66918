// One pino logger per process. Services (compose) log JSON lines; `esb dev` and the CLI print
// short human lines instead (pino-pretty's job, done here in a few lines to spare a dependency).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

export function formatLine(record: Record<string, unknown>): string {
  const time = new Date(Number(record.time)).toISOString().slice(11, 23);
  const level = (LEVELS[Number(record.level)] ?? 'INFO').padEnd(5);
  const component = record.component ? `[${String(record.component)}] ` : '';
  const extra = Object.entries(record)
    .filter(([k]) => !OMITTED.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${component}${String(record.msg ?? '')}${extra ? ` ${extra}` : ''}\n`;
}

export function createLogger(options: { pretty?: boolean; level?: string; out?: NodeJS.WritableStream } = {}): Logger {
  const out = options.out ?? process.stderr;
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  if (!options.pretty) return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: false }));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          out.write(formatLine(JSON.parse(line) as Record<string, unknown>));
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
  return pino({ level, base: undefined }, stream);
}
