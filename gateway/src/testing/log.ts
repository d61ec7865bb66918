// A pino logger whose lines land in an array (tests assert on the access log and warnings).
import { pino, type Logger } from 'pino';

export function memoryLogger(level = 'info'): { log: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}
