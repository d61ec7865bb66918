// Small pure helpers shared by the benchmark scripts: percentiles, medians, machine facts.
import { cpus, loadavg, totalmem } from 'node:os';

/** The p-th percentile (nearest rank) of xs; NaN when xs is empty. */
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (xs: readonly number[]): number => pct(xs, 50);

/** The element of `items` whose `key` is the median (so its other fields stay consistent). */
export function medianBy<T>(items: readonly T[], key: (t: T) => number): T {
  const s = [...items].sort((a, b) => key(a) - key(b));
  return s[Math.floor((s.length - 1) / 2)];
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memGb: number;
  node: string;
  platform: string;
  loadavg: [number, number, number];
}

export function machine(): Machine {
  const c = cpus();
  const [a, b, d] = loadavg();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    memGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg: [round(a, 2), round(b, 2), round(d, 2)],
  };
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
