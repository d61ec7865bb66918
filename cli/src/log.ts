// One pino logger per process. Services (compose) log JSON lines; `esb dev` and the CLI print
// short human lines instead. Both gather lines and write them every few milliseconds: the
// access log runs on every request, and a write per line (each one waking whoever reads the
// terminal, pipe or file), or a hop to a logging worker thread as a pino transport would be,
// cost more than the rest of the request's logging.
// The destination also takes records already split into fields (`writeRecord`, used by the
// gateway's access log, docs/gateway.md): each is formatted once, as a pretty line or as the
// JSON line pino would write, without pino writing JSON that the pretty format parses back.
import { Gather, millisText, oncePerSecond } from '@esb/contracts';
import { processSettings } from './settings.js';
import { pino, type DestinationStream, type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

const clockPrefix = oncePerSecond((second) => new Date(second * 1000).toISOString().slice(11, 20));
/** `HH:MM:SS.mmm` (UTC). */
const clock = (time: number): string => clockPrefix(time) + millisText(time);

/** A value's JSON; a finite number's is its String(), which is cheaper (status and durationMs on every access line). */
const jsonOf = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : JSON.stringify(v));
const text = (v: unknown) => (typeof v === 'string' ? v : jsonOf(v));

/** `HH:MM:SS.mmm LEVEL [component] message key=value ...` */
export function formatLine(record: Record<string, unknown>): string {
  let extra = '';
  for (const k in record) {
    if (OMITTED.has(k)) continue;
    extra += ` ${k}=${text(record[k])}`;
  }
  const component = record.component ? `[${String(record.component)}] ` : '';
  return `${clock(Number(record.time))} ${LEVELS[Number(record.level)] ?? 'INFO '} ${component}${String(record.msg ?? '')}${extra}\n`;
}

/** The pretty line of a record given as its parts (the same text formatLine gives for pino's JSON of it). */
export function formatRecordLine(level: number, time: number, bindings: Record<string, unknown>, fields: Record<string, unknown>, msg: string): string {
  let extra = '';
  for (const k in bindings) if (!OMITTED.has(k) && bindings[k] !== undefined) extra += ` ${k}=${text(bindings[k])}`;
  for (const k in fields) if (fields[k] !== undefined) extra += ` ${k}=${text(fields[k])}`;
  const component = bindings.component ? `[${String(bindings.component)}] ` : '';
  return `${clock(time)} ${LEVELS[level] ?? 'INFO '} ${component}${msg}${extra}\n`;
}

/** The JSON line pino writes for this record (logger without `base`): level, time, bindings, fields, msg. Keys come from code, never from input. */
export function recordJson(level: number, time: number, bindings: Record<string, unknown>, fields: Record<string, unknown>, msg: string): string {
  let out = `{"level":${level},"time":${time}`;
  for (const k in bindings) if (bindings[k] !== undefined) out += `,"${k}":${JSON.stringify(bindings[k])}`;
  for (const k in fields) {
    const v = fields[k];
    if (v !== undefined) out += `,"${k}":${jsonOf(v)}`;
  }
  return `${out},"msg":${JSON.stringify(msg)}}\n`;
}

/** How long a log line may wait to be written together with the next ones. */
export const LOG_FLUSH_MS = 20;

/** A pino destination that also takes records as parts (see the top of this file). */
export interface RecordDestination extends DestinationStream {
  writeRecord(level: number, time: number, bindings: Record<string, unknown>, fields: Record<string, unknown>, msg: string): void;
}

/**
 * Gathers lines and hands them to `out` at most every `flushMs` (and before the process exits),
 * in the order they were written. `pretty`: pino's JSON lines are printed as formatLine does.
 * Lines are copied into one reused buffer as they come (Gather); a burst that fills it is
 * written at once.
 */
export function batchedDestination(out: { write(s: string): unknown; flushSync?(): void }, options: { pretty?: boolean; flushMs?: number } = {}): RecordDestination {
  const flushMs = options.flushMs ?? LOG_FLUSH_MS;
  const gathered = new Gather();
  let scheduled = false;
  const writeGathered = () => {
    if (gathered.used === 0) return;
    const chunk = gathered.bytes.toString('utf8', 0, gathered.used);
    gathered.used = 0;
    out.write(chunk);
  };
  const flush = () => {
    scheduled = false;
    writeGathered();
  };
  const add = (lines: string) => {
    if (gathered.mayOverflow(lines)) {
      writeGathered();
      if (gathered.tooLong(lines)) {
        out.write(lines);
        return;
      }
    }
    gathered.append(lines);
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, flushMs).unref();
    }
  };
  process.once('exit', () => {
    flush();
    try {
      out.flushSync?.();
    } catch {
      /* nothing more can be done at exit */
    }
  });
  const record = options.pretty ? formatRecordLine : recordJson;
  return {
    write: options.pretty ? (line: string) => add(pretty(line)) : add,
    writeRecord: (level, time, bindings, fields, msg) => add(record(level, time, bindings, fields, msg)),
  };
}

function pretty(jsonLine: string): string {
  let lines = '';
  for (const line of jsonLine.split('\n')) {
    if (!line) continue;
    try {
      lines += formatLine(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines += `${line}\n`;
    }
  }
  return lines;
}

export function createLogger(options: { pretty?: boolean; level?: string; fd?: number; out?: { write(s: string): unknown; flushSync?(): void } } = {}): Logger {
  const level = options.level ?? processSettings().logLevel;
  // Synchronous writes, one per batch: what is gathered when the process exits is written before
  // it ends (an asynchronous write started in the 'exit' handler was lost, most often at shutdown).
  const out = options.out ?? pino.destination({ fd: options.fd ?? 2, sync: true });
  return pino({ level, base: undefined }, batchedDestination(out, { pretty: options.pretty }));
}
