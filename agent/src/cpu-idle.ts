// Whether the machine has CPU to spare, for the instance policy (docs/agent.md#instance-policy):
// when no core has been idle lately, one more instance runs no sooner than the ones there are;
// it only adds a process that shares the same CPU.
import { readFileSync } from 'node:fs';

/** Jiffies a `/proc/stat` "cpu" line counts: idle (idle + iowait) and in all. */
export interface CpuTimes {
  idle: number;
  total: number;
}

/** Reads the machine-wide "cpu" line of `/proc/stat` (Linux); undefined when it is not there. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = /^cpu +([\d ]+)$/m.exec(text);
  if (!line) return undefined;
  const f = line[1].trim().split(/ +/).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle: f[3] + (f[4] ?? 0), total };
}

/** The idle share of the CPU between two readings (0..1), undefined when no time passed. */
export function idleShare(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : undefined;
}

/** Below this idle share the machine counts as saturated (5 %: less than a twentieth of its CPU free). */
export const SATURATED_IDLE_SHARE = 0.05;
/** A previous reading older than this many `everyMs` is no base for a comparison. */
const STALE_READINGS = 10;

/**
 * A `saturated()` check that reads the CPU counters at most every `everyMs` and compares them with
 * the previous reading. Unknown (no /proc/stat, first look, a previous reading more than
 * STALE_READINGS × everyMs old, which would average a quiet spell in) counts as not saturated:
 * the policy then behaves as it does without this signal.
 */
export function cpuSaturation(opts: { everyMs?: number; now?: () => number; read?: () => string } = {}): () => boolean {
  const everyMs = opts.everyMs ?? 100;
  const now = opts.now ?? (() => performance.now());
  const read = opts.read ?? (() => readFileSync('/proc/stat', 'latin1'));
  let last: CpuTimes | undefined;
  let lastAt = -Infinity;
  let saturated = false;
  let unavailable = false;
  return () => {
    if (unavailable) return false;
    const t = now();
    if (t - lastAt < everyMs) return saturated;
    let times: CpuTimes | undefined;
    try {
      times = parseProcStat(read());
    } catch {
      times = undefined;
    }
    if (!times) {
      unavailable = true;
      return (saturated = false);
    }
    const share = last && t - lastAt <= STALE_READINGS * everyMs ? idleShare(last, times) : undefined;
    saturated = share !== undefined && share < SATURATED_IDLE_SHARE;
    last = times;
    lastAt = t;
    return saturated;
  };
}
