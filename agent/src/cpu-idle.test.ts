import { describe, expect, it } from 'vitest';
import { cpuSaturation, idleShare, parseProcStat } from './cpu-idle.js';

const stat = (user: number, idle: number, iowait = 0) =>
  `cpu  ${user} 0 ${user / 2} ${idle} ${iowait} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 12345 0 1 2\nctxt 99\n`;

describe('parseProcStat', () => {
  it('reads idle (idle + iowait) and the total of the machine-wide cpu line', () => {
    expect(parseProcStat(stat(100, 1000, 20))).toEqual({ idle: 1020, total: 100 + 50 + 1000 + 20 });
  });
  it('is undefined without a machine-wide cpu line', () => {
    expect(parseProcStat('cpu0 1 2 3 4\n')).toBeUndefined();
    expect(parseProcStat('')).toBeUndefined();
  });
});

describe('idleShare', () => {
  it('is the idle part of the time that passed between two readings', () => {
    expect(idleShare({ idle: 100, total: 200 }, { idle: 150, total: 400 })).toBe(0.25);
    expect(idleShare({ idle: 100, total: 200 }, { idle: 100, total: 200 })).toBeUndefined();
  });
});

describe('cpuSaturation', () => {
  it('says saturated only when almost no CPU was idle since the last reading, read at most every everyMs', () => {
    let t = 0;
    let text = stat(0, 0);
    let reads = 0;
    const saturated = cpuSaturation({ everyMs: 100, now: () => t, read: () => (reads++, text) });
    expect(saturated()).toBe(false); // first look: nothing to compare with
    t = 100;
    text = stat(1000, 10); // busy: 10 idle jiffies of 1510
    expect(saturated()).toBe(true);
    t = 150;
    text = stat(1000, 1000); // not read again before 100 ms passed
    expect(saturated()).toBe(true);
    expect(reads).toBe(2);
    t = 200;
    expect(saturated()).toBe(false); // 990 idle of 990
  });
  it('does not compare with a reading from long ago: a quiet spell would be averaged in', () => {
    let t = 0;
    let text = stat(0, 0);
    const saturated = cpuSaturation({ everyMs: 100, now: () => t, read: () => text });
    saturated();
    t = 5000; // 50 x everyMs later
    text = stat(100_000, 10);
    expect(saturated()).toBe(false); // no recent base: unknown
    t = 5100;
    text = stat(101_000, 20);
    expect(saturated()).toBe(true); // 10 idle of 1010 since the last reading
  });
  it('counts as never saturated where /proc/stat cannot be read', () => {
    let reads = 0;
    const saturated = cpuSaturation({
      now: () => (reads += 1000),
      read: () => {
        throw new Error('ENOENT');
      },
    });
    expect(saturated()).toBe(false);
    expect(saturated()).toBe(false);
  });
});
