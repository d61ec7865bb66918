// Hot reload under load: routing.yml changes 100 times while a client keeps sending requests.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildGateway } from './app.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INTERVAL = 500;

describe('hot reload', () => {
  let dir: string;
  const invoker = new FakeInvoker({
    stable: () => 'stable',
    version: (e: { rawPath: string }) => e.rawPath.slice(1),
    slow: async () => {
      await sleep(150);
      return 'slow-done';
    },
  });
  invoker.record = false;
  const write = async (file: string, data: unknown) => {
    const tmp = join(dir, `${file}.tmp`);
    await writeFile(tmp, stringify(data));
    await rename(tmp, join(dir, file));
  };
  const routing = (i: number, withSlow = true) => ({
    routes: [
      { path: '/stable', method: 'GET', function: 'stable', api: 'H' },
      { path: `/v${i}`, method: 'GET', function: 'version', api: 'H' },
      ...(withSlow ? [{ path: '/slow', method: 'GET', function: 'slow', api: 'H' }] : []),
    ],
    apis: { H: { type: 'http' } },
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-reload-'));
    await write('functions.yml', { functions: { stable: {}, version: {}, slow: {} } });
    await write('routing.yml', routing(0));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function run(fsWatch: boolean, changes: number) {
    const gw = await buildGateway({ invoker, configDir: dir, reloadIntervalMs: INTERVAL, fsWatch, log: memoryLogger('warn').log });
    let stop = false;
    const statuses = new Map<number, number>();
    const client = (async () => {
      while (!stop) {
        const res = await gw.app.inject({ method: 'GET', url: '/stable' });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        await sleep(1);
      }
    })();
    // How fast a change shows is measured in bench/ (gateway.bench.ts, reload); here: that each
    // one shows, and that no request fails while the table is swapped underneath it.
    for (let i = 1; i <= changes; i++) {
      await write('routing.yml', routing(i));
      for (;;) {
        const res = await gw.app.inject({ method: 'GET', url: `/v${i}` });
        if (res.statusCode === 200) {
          expect(res.body).toBe(`v${i}`);
          break;
        }
        await sleep(2);
      }
    }
    stop = true;
    await client;
    await gw.close();
    return { statuses };
  }

  it('100 changes with the watcher: zero failed requests, each change served', async () => {
    const { statuses } = await run(true, 100);
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(100);
  });

  it('polling only (no fs events): each change served, zero failed requests', async () => {
    const { statuses } = await run(false, 4);
    expect([...statuses.keys()]).toEqual([200]);
  });

  it('a reload never fails an in-flight request, even one whose route it removes', async () => {
    const gw = await buildGateway({ invoker, configDir: dir, reloadIntervalMs: INTERVAL, log: memoryLogger('warn').log });
    const inflight = gw.app.inject({ method: 'GET', url: '/slow' });
    await sleep(30);
    await write('routing.yml', routing(999, false));
    for (let i = 0; i < 100 && (await gw.app.inject({ method: 'GET', url: '/v999' })).statusCode !== 200; i++) await sleep(5);
    expect((await gw.app.inject({ method: 'GET', url: '/slow' })).statusCode).toBe(404);
    const res = await inflight;
    expect([res.statusCode, res.body]).toEqual([200, 'slow-done']);
    await gw.close();
  });
});
