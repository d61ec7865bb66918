// A big CONFIG_DIR (thousands of functions and routes) is parsed on the gateway's parse thread and
// compiled in slices (docs/gateway.md "Config and hot reload"): the gateway serves it the same
// way, a bad big file is reported with its name, and requests are answered while it loads.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { buildGateway } from './app.js';
import { OFF_THREAD_BYTES, createConfigParser, sliceDocument, SLICE_ENTRIES } from './config-parse.js';
import { COMPILE_SLICE } from './routes.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

const N = 3000;

describe('big configs: parsed off the event loop, compiled in slices', () => {
  let dir: string;
  const write = async (file: string, text: string) => {
    await writeFile(join(dir, `${file}.tmp`), text);
    await rename(join(dir, `${file}.tmp`), join(dir, file));
  };
  const functions = Object.fromEntries(Array.from({ length: N }, (_, i) => [`fn${i}`, { environment: { INDEX: String(i) } }]));
  const routes = Array.from({ length: N }, (_, i) => ({ path: `/r${i}/{id}`, method: 'GET', function: `fn${i}`, api: 'H' }));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-big-config-'));
    await write('functions.yml', stringify({ functions: { small: {} } }));
    await write('routing.yml', stringify({ routes: [{ path: '/small', method: 'GET', function: 'small', api: 'H' }], apis: { H: { type: 'http' } } }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('slices a document and puts it back together in order', async () => {
    const doc = { functions, defaults: { environment: {} } };
    const messages = [...sliceDocument(1, doc)];
    expect(messages.length).toBe(Math.ceil(N / SLICE_ENTRIES) + 1);
    const parser = createConfigParser({ offThreadBytes: 0 });
    try {
      const parsed = (await parser.parse(join(dir, 'functions.yml'), stringify(doc))) as { functions: Record<string, { environment: Record<string, string> }> };
      expect(Object.keys(parsed.functions)).toEqual(Object.keys(functions));
      expect(parsed.functions[`fn${N - 1}`].environment).toEqual({ INDEX: String(N - 1) });
      await expect(parser.parse(join(dir, 'routing.yml'), stringify({ routes: 'not a list' }))).rejects.toThrow(/routing\.yml/);
    } finally {
      await parser.close();
    }
  });

  it('ends an idle parse thread, and a later big file starts a new one', async () => {
    const parser = createConfigParser({ offThreadBytes: 0, idleMs: 50 });
    const text = stringify({ functions });
    try {
      expect(parser.threadRunning()).toBe(false);
      const first = parser.parse(join(dir, 'functions.yml'), text);
      expect(parser.threadRunning()).toBe(true);
      expect(Object.keys(((await first) as { functions: object }).functions)).toHaveLength(N);
      await vi.waitFor(() => expect(parser.threadRunning()).toBe(false), { timeout: 10_000, interval: 20 });
      // The ended thread's exit fails nothing that came after it.
      const again = (await parser.parse(join(dir, 'functions.yml'), text)) as { functions: Record<string, { environment: Record<string, string> }> };
      expect(again.functions[`fn${N - 1}`].environment).toEqual({ INDEX: String(N - 1) });
      await expect(parser.parse(join(dir, 'routing.yml'), stringify({ routes: 'not a list' }))).rejects.toThrow(/routing\.yml/);
    } finally {
      await parser.close();
    }
    expect(parser.threadRunning()).toBe(false);
  });

  it('serves a reload of thousands of routes, answering requests while it loads', async () => {
    const invoker = new FakeInvoker({ small: () => 'small', [`fn${N - 1}`]: () => 'last' });
    invoker.record = false;
    const { log, lines } = memoryLogger('info');
    const gw = await buildGateway({ invoker, configDir: dir, reloadIntervalMs: 500, log });
    try {
      expect((await gw.app.inject({ method: 'GET', url: '/small' })).statusCode).toBe(200);
      const functionsText = stringify({ functions: { small: {}, ...functions } });
      const routingText = stringify({ routes: [{ path: '/small', method: 'GET', function: 'small', api: 'H' }, ...routes], apis: { H: { type: 'http' } } });
      expect(Buffer.byteLength(functionsText)).toBeGreaterThan(OFF_THREAD_BYTES);
      expect(routes.length).toBeGreaterThan(COMPILE_SLICE);
      await write('functions.yml', functionsText);
      await write('routing.yml', routingText);
      const reload = gw.reload();
      let answeredWhileLoading = 0;
      let loaded = false;
      void reload.then(() => (loaded = true));
      while (!loaded) {
        const res = await gw.app.inject({ method: 'GET', url: '/small' });
        expect(res.statusCode).toBe(200);
        if (!loaded) answeredWhileLoading++;
        await new Promise((r) => setImmediate(r));
      }
      await reload;
      expect(answeredWhileLoading).toBeGreaterThan(0);
      const last = await gw.app.inject({ method: 'GET', url: `/r${N - 1}/7` });
      expect(last.statusCode).toBe(200);
      expect(gw.table().routes.length).toBe(N + 1);

      // A bad big file: the error names it, the loaded table stays in service.
      await write('routing.yml', `${routingText}\n  - bad: [\n`);
      await gw.reload();
      expect(lines.some((l) => String(l.msg).includes('config reload failed') && String(l.file).endsWith('routing.yml'))).toBe(true);
      expect((await gw.app.inject({ method: 'GET', url: `/r${N - 1}/7` })).statusCode).toBe(200);
    } finally {
      await gw.close();
    }
  }, 120_000);
});
