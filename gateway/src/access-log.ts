// The access log: one info line `request` per answered request, with method, path, route,
// function, status, durationMs and requestId (docs/gateway.md). When the logger's destination
// takes records as parts (`writeRecord`, as esb's own logger does), the line goes there and is
// formatted once; otherwise through pino as any other line.
import { pino, type Logger } from 'pino';

const INFO = 30;

interface RecordStream {
  writeRecord(level: number, time: number, bindings: Record<string, unknown>, fields: Record<string, unknown>, msg: string): void;
}

export interface AccessEntry {
  method: string;
  path: string;
  route: string | undefined;
  function: string | undefined;
  status: number;
  durationMs: number;
  requestId: string;
}

export type AccessLog = (entry: AccessEntry) => void;

export function accessLog(log: Logger): AccessLog {
  const stream = (log as unknown as Record<symbol, Partial<RecordStream> | undefined>)[pino.symbols.streamSym];
  if (typeof stream?.writeRecord !== 'function') {
    return (entry) => log.info(entry, 'request');
  }
  const records = stream as RecordStream;
  const bindings = log.bindings();
  return (entry) => {
    // The level is read per line: it may be changed while the gateway runs.
    if (log.levelVal <= INFO) records.writeRecord(INFO, Date.now(), bindings, entry as unknown as Record<string, unknown>, 'request');
  };
}
