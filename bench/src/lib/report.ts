// The one shape every benchmark returns, and the table it is printed as. Pure: no I/O.
import { round, type Machine } from './stats.js';

export interface Row {
  /** Which benchmark produced it: throughput, deploy, scale, parts. */
  bench: string;
  /** What was measured: "esb process, Node hello", "bare fastify", "serverless-offline, Node hello". */
  subject: string;
  /** The figure: "rps c=32", "p50 c=1", "cold start", "RSS", ... */
  metric: string;
  value: number;
  unit: string;
  /** The baseline this figure is compared with, measured in the same run. */
  baseline?: { name: string; value: number };
  /** value / baseline.value. */
  ratio?: number;
  /** Human target, e.g. ">= 30% of fastify"; `met` when it can be judged. Not asserted. */
  target?: string;
  met?: boolean;
  /** Repeats behind the figure (the value is their median unless the metric says otherwise). */
  runs?: number;
  /** Secondary figures shown beside the value (e.g. latency percentiles beside rps). */
  detail?: string;
  note?: string;
}

export interface Skip {
  bench: string;
  subject: string;
  reason: string;
}

export interface BenchOutput {
  rows: Row[];
  skips: Skip[];
  /** Anything else worth keeping in the JSON (raw per-run numbers). */
  raw?: Record<string, unknown>;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  durationS: number;
  commit?: string;
  machine: Machine;
  loadavgEnd: [number, number, number];
  options: Record<string, unknown>;
  results: Record<string, BenchOutput | { error: string }>;
}

export function row(r: Row): Row {
  const out: Row = { ...r, value: round(r.value, 3) };
  if (r.baseline && Number.isFinite(r.baseline.value) && r.baseline.value !== 0 && r.ratio === undefined) {
    out.ratio = round(r.value / r.baseline.value, 3);
  }
  if (out.baseline) out.baseline = { ...out.baseline, value: round(out.baseline.value, 3) };
  return out;
}

export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  return x.toFixed(3);
}

function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '';
  return r >= 10 ? `${r.toFixed(1)}x` : r >= 0.1 ? `${r.toFixed(2)}x` : `${r.toFixed(3)}x`;
}

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells
    .map((c) =>
      c
        .map((x, i) => (i === 3 || i === 5 ? x.padStart(widths[i]) : x.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function header(m: Machine, extra: string[] = []): string {
  return [
    `esb benchmark — ${m.cpus} cores (${m.cpuModel}), ${m.memGb} GB, Node ${m.node}, ${m.platform}, load average ${m.loadavg.join(' / ')} (1/5/15 min)`,
    ...extra,
  ].join('\n');
}

/** One table: a line per row; ratios against the baseline named in the same row. */
export function table(rows: Row[], skips: Skip[] = []): string {
  const cells = [['bench', 'subject', 'metric', 'value', 'baseline (same run)', 'ratio', 'target', 'detail']];
  for (const r of rows) {
    cells.push([
      r.bench,
      r.subject,
      r.metric,
      `${fmtNum(r.value)} ${r.unit}`,
      r.baseline ? `${r.baseline.name} ${fmtNum(r.baseline.value)} ${r.unit}` : '',
      fmtRatio(r.ratio),
      r.target ? `${r.target}${r.met === undefined ? '' : r.met ? '  ok' : '  MISSED'}` : '',
      r.detail ?? '',
    ]);
  }
  const lines = [pad(cells)];
  for (const s of skips) lines.push(`SKIPPED ${s.bench} / ${s.subject}: ${s.reason}`);
  const notes = rows.filter((r) => r.note).map((r) => `  note (${r.bench} / ${r.subject} / ${r.metric}): ${r.note}`);
  if (notes.length) lines.push(...notes);
  return lines.join('\n');
}

/** The machine-readable line a benchmark prints when run with BENCH_JSON=1. */
export function benchResultLine(out: unknown): string {
  return `BENCH_RESULT ${JSON.stringify(out)}`;
}

export function parseBenchResult(stdout: string): unknown {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error('no BENCH_RESULT line in the output');
  return JSON.parse(line.slice('BENCH_RESULT '.length));
}
