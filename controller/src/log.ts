// One pino logger per process. Services (compose) log JSON lines; `esb dev` and the CLI print
// short human lines instead — formatted by a pino transport in a worker thread
// (log-pretty.mjs), so that the request path only serialises JSON.
import { pino, type Logger } from 'pino';

const PRETTY_TRANSPORT = new URL('./log-pretty.mjs', import.meta.url).pathname;

export function createLogger(options: { pretty?: boolean; level?: string } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  if (!options.pretty) return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: false }));
  return pino({ level, base: undefined }, pino.transport({ target: PRETTY_TRANSPORT, options: { fd: 2 } }));
}
