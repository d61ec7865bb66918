// PathWatcher with real files and chokidar: owners of a changed path are enqueued, paths no
// longer reported stop enqueueing, ignored folders never enqueue, esb's own writes enqueue no one.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathWatcher, withPathWatcher } from './path-watcher.js';
import { fileSignature } from './own-writes.js';
import { writeFileAtomic } from '@esb/contracts';
import type { Request, Source } from './types.js';
import { until } from '@esb/contracts/testing';

describe('PathWatcher (real files)', () => {
  let dir: string;
  let watcher: PathWatcher;
  const enqueued: Request[] = [];
  const names = () => enqueued.map((r) => r.name).sort();
  const a = { namespace: 'default', name: 'a' };
  const b = { namespace: 'default', name: 'b' };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-pw-'));
    await mkdir(path.join(dir, 'src/node_modules'), { recursive: true });
    await writeFile(path.join(dir, 't.yml'), 'one');
    await writeFile(path.join(dir, 'src/h.mjs'), 'one');
    enqueued.length = 0;
    watcher = new PathWatcher();
  });

  afterEach(async () => {
    await watcher.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('enqueues every owner of a changed file or folder; a path dropped from the set stops enqueueing', async () => {
    // Reported before start (the first reconciles can run before the watcher is up).
    watcher.watchPaths(a, [path.join(dir, 't.yml'), path.join(dir, 'src')]);
    await watcher.start((r) => enqueued.push(r));
    watcher.watchPaths(b, [path.join(dir, 'src')]);
    await new Promise((r) => setTimeout(r, 300)); // chokidar's initial scan

    await writeFile(path.join(dir, 'src/h.mjs'), 'two');
    await until(() => names().includes('a') && names().includes('b'), 'a and b enqueued for src/h.mjs');

    enqueued.length = 0;
    await writeFile(path.join(dir, 'src/node_modules/x.js'), 'ignored');
    await writeFile(path.join(dir, 't.yml'), 'two');
    await until(() => names().includes('a'), 'a enqueued for t.yml');
    expect(names()).toEqual(['a']);

    // a no longer reads src/: only b is enqueued for it.
    watcher.watchPaths(a, [path.join(dir, 't.yml')]);
    expect(watcher.watched().sort()).toEqual([path.join(dir, 'src'), path.join(dir, 't.yml')]);
    enqueued.length = 0;
    await writeFile(path.join(dir, 'src/new.mjs'), 'x');
    await until(() => names().includes('b'), 'b enqueued for src/new.mjs');
    await new Promise((r) => setTimeout(r, 200));
    expect(names().every((n) => n === 'b')).toBe(true);
  });

  it("esb's own write of a CONFIG_DIR file enqueues no one; another writer's version of it does", async () => {
    const configDir = path.join(dir, 'staging/config');
    await mkdir(configDir, { recursive: true });
    const functions = path.join(configDir, 'functions.yml');
    await writeFile(functions, 'one');
    watcher.watchPaths(a, [functions], [configDir]);
    await watcher.start((r) => enqueued.push(r));
    await new Promise((r) => setTimeout(r, 300)); // chokidar's initial scan

    // esb's apply: an atomic replace, then the signature of what it wrote.
    await writeFileAtomic(functions, 'two');
    watcher.noteOwnWrites([{ path: functions, signature: fileSignature(functions)! }]);
    // A change of another watched file in the same folder shows the watch is live meanwhile.
    const routing = path.join(configDir, 'routing.yml');
    watcher.watchPaths(b, [routing], [configDir]);
    await writeFile(routing, 'x');
    await until(() => names().includes('b'), 'b enqueued for routing.yml');
    await new Promise((r) => setTimeout(r, 300));
    expect(names()).not.toContain('a');

    // Someone else writes functions.yml: a's owner is enqueued (it may be damage).
    enqueued.length = 0;
    await writeFile(functions, 'three, by hand');
    await until(() => names().includes('a'), 'a enqueued for a version esb did not write');
  });

  it('withPathWatcher starts both, stops the watcher when the source fails to start', async () => {
    const failing: Source = {
      start: async () => {
        throw new Error('no API server');
      },
      stop: async () => {},
    };
    const combined = withPathWatcher(failing, watcher);
    await expect(combined.start((r) => enqueued.push(r))).rejects.toThrow('no API server');
    // Stopped: a later change enqueues nothing.
    combined.watchPaths(a, [path.join(dir, 't.yml')]);
    await new Promise((r) => setTimeout(r, 200)); // time for a (wrongly) live watcher to pick the path up
    await writeFile(path.join(dir, 't.yml'), 'three');
    await new Promise((r) => setTimeout(r, 300));
    expect(enqueued).toEqual([]);
  });
});
