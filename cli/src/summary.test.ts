import { describe, expect, it } from 'vitest';
import { renderSummary, type SummaryInput } from './summary.js';

const now = new Date('2026-12-03T10:00:00Z');
const input: SummaryInput = {
  title: 'esb dev',
  links: [['gateway', 'http://127.0.0.1:3000']],
  deployments: [
    { namespace: 'default', name: 'a', env: 'default', generation: 1, observedGeneration: 1, createdAt: '2026-12-03T09:58:00Z', conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '' }], outputs: [] },
    {
      namespace: 'default',
      name: 'broken',
      env: 'default',
      generation: 2,
      observedGeneration: 2,
      createdAt: '2026-12-03T09:59:50Z',
      conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidTemplate', message: 't.yml:4:4: bad indentation' }],
      outputs: [],
      lastError: { condition: 'Generated', reason: 'InvalidTemplate', message: 't.yml:4:4: bad indentation', location: 't.yml:4:4' },
    },
  ],
  routes: Array.from({ length: 40 }, (_, i) => ({ api: 'Api', apiType: 'http' as const, method: 'GET', path: `/r${i}`, routeKey: `GET /r${i}`, function: 'fn', count: i, errors: 0, p50: 1.5, p95: 12, spark: [] })),
  recent: [{ time: Date.parse('2026-12-03T09:59:59Z'), function: 'fn', route: 'GET /r1', method: 'GET', path: '/r1', status: 502, durationMs: 3.25, requestId: 'req-1' }],
  log: ['10:00:00.000 INFO  hello'],
};

describe('the esb dev summary', () => {
  it('fits the screen: every section shows, long tables are cut with a count of the rest', () => {
    const screen = renderSummary(input, now, { width: 80, height: 30 }, false).split('\n');
    expect(screen.length).toBeLessThanOrEqual(30);
    expect(screen.every((l) => l.length <= 80)).toBe(true);
    const text = screen.join('\n');
    expect(text).toMatch(/a\s+default\s+True\s+Ready\s+1\/1\s+2m/);
    expect(text).toMatch(/broken\s+default\s+False\s+InvalidTemplate\s+2\/2\s+10s\s+t\.yml:4:4 bad indentation/);
    expect(text).toMatch(/… \d+ more/);
    expect(text).toMatch(/09:59:59\s+GET\s+\/r1\s+502\s+3\.3 ms\s+fn\s+req-1/);
    expect(text.split('\n').at(-1)).toBe('Ctrl-C stops esb dev');
  });

  it('colours status cells only when asked', () => {
    expect(renderSummary(input, now, { width: 120, height: 40 }, false)).not.toContain('\x1b[');
    expect(renderSummary(input, now, { width: 120, height: 40 }, true)).toContain('\x1b[31mFalse');
  });
});
