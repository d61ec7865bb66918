import { describe, expect, it } from 'vitest';
import { benchResultLine, parseBenchResult, row, table } from './report.js';
import { median, medianBy, pct } from './stats.js';
import { component, summarize } from '../profile-hot-path.js';
import { TARGETS } from './targets.js';

describe('stats', () => {
  it('takes nearest-rank percentiles and the median run as a whole', () => {
    expect(pct([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(pct([1, 2, 3, 4], 50)).toBe(2);
    expect(pct(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(Number.isNaN(median([]))).toBe(true);
    const runs = [{ rps: 30, p50: 9 }, { rps: 10, p50: 1 }, { rps: 20, p50: 5 }];
    expect(medianBy(runs, (r) => r.rps)).toEqual({ rps: 20, p50: 5 });
  });
});

describe('report', () => {
  it('computes the ratio against the baseline of the same row', () => {
    const r = row({ bench: 'throughput', subject: 'esb', metric: 'req/s c=32', value: 300, unit: 'req/s', baseline: { name: 'fastify', value: 1000 } });
    expect(r.ratio).toBe(0.3);
    expect(row({ bench: 'x', subject: 'y', metric: 'z', value: 1, unit: 'ms' }).ratio).toBeUndefined();
  });

  it('prints targets, skips and notes in the table', () => {
    const out = table(
      [row({ bench: 'deploy', subject: 'esb', metric: 'p50', value: 612, unit: 'ms', target: '< 500 ms', met: false, note: 'includes a cold start' })],
      [{ bench: 'throughput', subject: 'docker', reason: 'no engine' }],
    );
    expect(out).toMatch(/< 500 ms {2}MISSED/);
    expect(out).toContain('SKIPPED throughput / docker: no engine');
    expect(out).toContain('includes a cold start');
  });

  it('judges the targets at their edges (floor ratio, added latency, peer, gateway alone)', () => {
    expect([TARGETS.esbVsFloorC32.met(0.8), TARGETS.esbVsFloorC32.met(0.79)]).toEqual([true, false]);
    expect([TARGETS.esbAddedOverFloorC1.met(0.05), TARGETS.esbAddedOverFloorC1.met(0.051)]).toEqual([true, false]);
    expect([TARGETS.esbVsPeerC32.met(3), TARGETS.esbVsPeerC32.met(2.9)]).toEqual([true, false]);
    expect([TARGETS.gatewayAloneVsFastifyC32.met(0.6), TARGETS.gatewayAloneVsFastifyC32.met(0.59)]).toEqual([true, false]);
    const r = row({ bench: 'throughput', subject: 'esb vs hop floor', metric: 'req/s c=32', value: 900, unit: 'req/s', baseline: { name: 'floor (Unix socket)', value: 1000 }, target: TARGETS.esbVsFloorC32.text, met: TARGETS.esbVsFloorC32.met(0.9) });
    expect(table([r])).toMatch(/floor \(Unix socket\) 1000 req\/s +0\.90x +>= 0\.8x of the floor {2}ok/);
  });

  it('round-trips the BENCH_RESULT line and takes the last one', () => {
    const text = `human output\n${benchResultLine({ a: 1 })}\nmore\n${benchResultLine({ a: 2 })}\n`;
    expect(parseBenchResult(text)).toEqual({ a: 2 });
    expect(() => parseBenchResult('nothing here')).toThrow(/no BENCH_RESULT/);
  });
});

describe('profile summary', () => {
  it('charges samples to the innermost matching activity, within the window only', () => {
    const profile = {
      startTime: 0,
      endTime: 4000,
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 4] },
        { id: 2, callFrame: { functionName: 'deliver', url: 'file:///x/agent/src/instance.ts', lineNumber: 0 }, children: [3] },
        { id: 3, callFrame: { functionName: 'writev', url: '', lineNumber: 0 } },
        { id: 4, callFrame: { functionName: 'write', url: 'file:///x/cli/src/log.ts', lineNumber: 0 } },
      ],
      samples: [3, 3, 4, 3],
      timeDeltas: [1000, 1000, 1000, 1000],
    };
    const all = summarize(profile);
    expect(all.byActivity[0][0]).toMatch(/Runtime API/);
    expect(all.byActivity[0][1]).toBeCloseTo(3 * all.byActivity[1][1]);
    const windowed = summarize(profile, 15, [2500, 4000]);
    expect(windowed.byActivity[0][1]).toBeCloseTo(windowed.byActivity[1][1]);
    expect(windowed.byActivity.map(([a]) => a).sort()).toEqual(['agent: Runtime API server (instance <-> agent HTTP)', 'logging (pino, esb log formatting, function log capture)'].sort());
    expect(component('node:internal/streams/writable', 'clearBuffer')).toBe('node: internal/streams');
    expect(component('file:///a/node_modules/@fastify/x/y.js', 'f')).toBe('npm: @fastify/x');
  });
});
