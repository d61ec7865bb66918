import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ownerAlive, processStart, UidClaims } from './uid-claims.js';

describe('function uid claims (one machine, several esb processes)', () => {
  const dirs: string[] = [];
  const claimsDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'esb-uid-claims-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const live = new Set([101, 102]);
  const claims = (dir: string, pid: number, killed: Array<[number, number]> = []) =>
    new UidClaims({ dir, first: 5000, count: 600, blockSize: 256, self: { pid, start: 's' }, isAlive: (o) => live.has(o.pid), killLeftovers: (f, c) => killed.push([f, c]) });

  it('gives two processes different blocks, the last one short, and none once all are held', () => {
    const dir = claimsDir();
    const a = claims(dir, 101);
    const b = claims(dir, 102);
    expect(a.claim()).toEqual({ first: 5000, count: 256 });
    expect(b.claim()).toEqual({ first: 5256, count: 256 });
    expect(a.claim()).toEqual({ first: 5512, count: 88 });
    expect(b.claim()).toBeUndefined();
    expect(b.owners()).toEqual([101]);
    a.releaseAll();
    expect(b.claim()).toEqual({ first: 5000, count: 256 });
    expect(readdirSync(dir).sort()).toEqual(['5000', '5256']);
  });

  it("takes over the block of a process that is gone, after killing what it left under the block's uids", () => {
    const dir = claimsDir();
    writeFileSync(path.join(dir, '5000'), '999 old\n'); // a crashed esb
    writeFileSync(path.join(dir, '5256'), '102 s\n'); // a live one
    const killed: Array<[number, number]> = [];
    const a = claims(dir, 101, killed);
    expect(a.claim()).toEqual({ first: 5000, count: 256 });
    expect(killed).toEqual([[5000, 256]]);
    expect(a.claim()).toEqual({ first: 5512, count: 88 });
    expect(killed).toEqual([[5000, 256]]);
    expect(readdirSync(dir).sort()).toEqual(['5000', '5256', '5512']);
  });

  it('knows a live process from a later one with the same pid by its start time', () => {
    const start = processStart('self');
    expect(start).toMatch(/^\d+$/);
    expect(ownerAlive({ pid: process.pid, start: start! })).toBe(true);
    expect(ownerAlive({ pid: process.pid, start: `${start}1` })).toBe(false);
    expect(ownerAlive({ pid: 0x3fffffff, start: '' })).toBe(false);
  });

  it('makes its claims folder at the first claim', () => {
    const dir = path.join(claimsDir(), 'nested', 'claims');
    const a = new UidClaims({ dir, first: 1, count: 10 });
    expect(existsSync(dir)).toBe(false);
    expect(a.claim()).toEqual({ first: 1, count: 10 });
    expect(readdirSync(dir)).toEqual(['1']);
  });
});
