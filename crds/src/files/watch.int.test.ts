import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchConfig, type ConfigFileError, type ConfigWatcher } from './watch.js';
import { until } from '../testing/until.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
describe('watchConfig', () => {
  let dir: string;
  let w: ConfigWatcher | undefined;
  const parseJson = (_f: string, text: string) => JSON.parse(text) as { v: number };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-watch-'));
  });
  afterEach(async () => {
    w?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const atomicWrite = async (file: string, text: string) => {
    await writeFile(join(dir, `${file}.tmp`), text);
    await rename(join(dir, `${file}.tmp`), join(dir, file));
  };

  it('reports missing files as undefined at start, then picks up an atomic write at once (fs.watch)', async () => {
    const seen: Array<Record<string, unknown>> = [];
    w = watchConfig({ configDir: dir, files: ['a.json', 'b.json'], intervalMs: 60_000, parse: parseJson, onChange: (p) => void seen.push(p) });
    await w.ready;
    expect(seen).toEqual([{ 'a.json': undefined, 'b.json': undefined }]);
    await atomicWrite('a.json', '{"v":1}');
    // The poll interval is a minute: seeing the change at all means fs.watch delivered it.
    await until(() => seen.length === 2, 'two changes seen');
    expect(seen[1]).toEqual({ 'a.json': { v: 1 }, 'b.json': undefined });
  });

  it('polls mtime+size when fs events are off', async () => {
    await atomicWrite('a.json', '{"v":1}');
    const seen: Array<Record<string, unknown>> = [];
    const changes: string[][] = [];
    w = watchConfig({ configDir: dir, files: ['a.json'], intervalMs: 100, fsWatch: false, parse: parseJson, onChange: (p, c) => void (seen.push(p), changes.push(c)) });
    await w.ready;
    await writeFile(join(dir, 'a.json'), '{"v":22}');
    await until(() => seen.length === 2, 'two changes seen');
    expect(seen[1]).toEqual({ 'a.json': { v: 22 } });
    expect(changes).toEqual([['a.json'], ['a.json']]);
    await sleep(250);
    expect(seen).toHaveLength(2); // unchanged files do not fire
  });

  it('retries a file that fails to parse (a partial write) with a short backoff', async () => {
    const seen: unknown[] = [];
    const errors: ConfigFileError[] = [];
    await writeFile(join(dir, 'a.json'), '{"v":');
    setTimeout(() => void writeFile(join(dir, 'a.json'), '{"v":3}'), 10);
    w = watchConfig({ configDir: dir, files: ['a.json'], intervalMs: 60_000, fsWatch: false, parse: parseJson, onChange: (p) => void seen.push(p['a.json']), onError: (e) => void errors.push(e) });
    await w.ready;
    expect(seen).toEqual([{ v: 3 }]);
    expect(errors).toEqual([]);
  });

  it('keeps the old value and reports the error when a file stays broken; a new write recovers', async () => {
    await atomicWrite('a.json', '{"v":1}');
    const seen: unknown[] = [];
    const errors: ConfigFileError[] = [];
    w = watchConfig({ configDir: dir, files: ['a.json'], intervalMs: 60_000, fsWatch: false, retryDelaysMs: [5, 5], parse: parseJson, onChange: (p) => void seen.push(p['a.json']), onError: (e) => void errors.push(e) });
    await w.ready;
    await atomicWrite('a.json', 'nope');
    await w.check();
    expect(seen).toEqual([{ v: 1 }]);
    expect(errors).toHaveLength(1);
    expect(errors[0].file).toBe(join(dir, 'a.json'));
    expect(errors[0].message).toMatch(/a\.json: .*JSON/);
    await w.check(); // same broken version: not retried every tick
    expect(errors).toHaveLength(1);
    await atomicWrite('a.json', '{"v":2}');
    await w.check();
    expect(seen).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('keeps the last value of a file that disappears', async () => {
    await atomicWrite('a.json', '{"v":1}');
    const seen: unknown[] = [];
    const warnings: unknown[] = [];
    const log = { info: () => {}, error: () => {}, warn: (o: object) => void warnings.push(o) };
    w = watchConfig({ configDir: dir, files: ['a.json'], intervalMs: 60_000, fsWatch: false, log, parse: parseJson, onChange: (p) => void seen.push(p['a.json']) });
    await w.ready;
    await rm(join(dir, 'a.json'));
    await w.check();
    await w.check();
    expect(seen).toEqual([{ v: 1 }]);
    expect(warnings).toHaveLength(1);
  });

  it('works when the folder does not exist yet (polling)', async () => {
    const sub = join(dir, 'later');
    const seen: unknown[] = [];
    w = watchConfig({ configDir: sub, files: ['a.json'], intervalMs: 50, parse: parseJson, onChange: (p) => void seen.push(p['a.json']) });
    await w.ready;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(sub);
    await writeFile(join(sub, 'a.json'), '{"v":9}');
    await until(() => seen.length === 2, 'two changes seen');
    expect(seen).toEqual([undefined, { v: 9 }]);
  });
});
