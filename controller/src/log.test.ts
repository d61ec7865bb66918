import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module (it runs in pino's worker thread without a TS loader)
import { formatLine } from './log-pretty.mjs';

describe('pretty log lines', () => {
  it('prints time, level, component, message and the other fields', () => {
    const line = formatLine({ level: 40, time: Date.UTC(2026, 10, 25, 10, 0, 1, 234), component: 'gateway', msg: 'config reload failed', file: 'routing.yml', routes: 3 });
    expect(line).toBe('10:00:01.234 WARN  [gateway] config reload failed file=routing.yml routes=3\n');
  });
});
