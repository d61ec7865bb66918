import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { batchedDestination, formatLine } from './log.js';

describe('pretty log lines', () => {
  it('prints time, level, component, message and the other fields', () => {
    const line = formatLine({ level: 40, time: Date.UTC(2026, 10, 25, 10, 0, 1, 234), component: 'gateway', msg: 'config reload failed', file: 'routing.yml', routes: 3 });
    expect(line).toBe('10:00:01.234 WARN  [gateway] config reload failed file=routing.yml routes=3\n');
  });

  it('writes the lines of a flush interval in one write, in order, formatted', async () => {
    const writes: string[] = [];
    const log = pino({ base: undefined, timestamp: () => `,"time":${Date.UTC(2026, 0, 1)}` }, batchedDestination({ write: (s) => writes.push(s) }, (l) => formatLine(JSON.parse(l)), 30));
    log.info({ n: 1 }, 'one');
    await new Promise((r) => setTimeout(r, 5));
    log.warn({ n: 2 }, 'two');
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(writes).toEqual(['00:00:00.000 INFO  one n=1\n00:00:00.000 WARN  two n=2\n']);
    log.info('three');
    await new Promise((r) => setTimeout(r, 40));
    expect(writes).toHaveLength(2);
  });
});
