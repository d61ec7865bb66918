// One pino logger per process. Services (compose) log JSON lines; `esb dev` and the CLI print
// short human lines instead. Both gather lines and write them every few milliseconds: the
// access log runs on every request, and a write per line (each one waking whoever reads the
// terminal, pipe or file), or a hop to a logging worker thread as a pino transport would be,
// cost more than the rest of the request's logging.
import { processSettings } from './settings.js';
import { pino, type DestinationStream, type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/** `HH:MM:SS.mmm LEVEL [component] message key=value ...` */
export function formatLine(record: Record<string, unknown>): string {
  const time = new Date(Number(record.time)).toISOString().slice(11, 23);
  const level = (LEVELS[Number(record.level)] ?? 'INFO').padEnd(5);
  const component = record.component ? `[${String(record.component)}] ` : '';
  let extra = '';
  for (const k in record) {
    if (OMITTED.has(k)) continue;
    const v = record[k];
    extra += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return `${time} ${level} ${component}${String(record.msg ?? '')}${extra}\n`;
}

/** How long a log line may wait to be written together with the next ones. */
export const LOG_FLUSH_MS = 20;

/**
 * Gathers lines and hands them to `out` at most every `flushMs` (and before the process exits);
 * `transform` turns one pino JSON line into what is printed.
 */
export function batchedDestination(out: { write(s: string): unknown; flushSync?(): void }, transform: (jsonLine: string) => string = (l) => l, flushMs = LOG_FLUSH_MS): DestinationStream {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  process.once('exit', () => {
    flush();
    try {
      out.flushSync?.();
    } catch {
      /* nothing more can be done at exit */
    }
  });
  return {
    write(line: string) {
      pending += transform(line);
      if (!scheduled) {
        scheduled = true;
        setTimeout(flush, flushMs).unref();
      }
    },
  };
}

function pretty(jsonLine: string): string {
  let text = '';
  for (const line of jsonLine.split('\n')) {
    if (!line) continue;
    try {
      text += formatLine(JSON.parse(line) as Record<string, unknown>);
    } catch {
      text += `${line}\n`;
    }
  }
  return text;
}

export function createLogger(options: { pretty?: boolean; level?: string; fd?: number } = {}): Logger {
  const level = options.level ?? processSettings().logLevel;
  const out = pino.destination({ fd: options.fd ?? 2, sync: false });
  return pino({ level, base: undefined }, batchedDestination(out, options.pretty ? pretty : undefined));
}
