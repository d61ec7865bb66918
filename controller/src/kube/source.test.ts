// The Source adapter against an in-process fake of the list/watch endpoints, for what the real
// server will not do on demand: a 410 Gone ERROR event on an open watch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { Request } from '../reconcile/types.js';
import { createKubeSource, type KubeSource } from './source.js';
import { until } from '@esb/contracts/testing';

const obj = (name: string, rv: string) => ({ apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { namespace: 'default', name, resourceVersion: rv } });

interface Fake {
  url: string;
  lists: number;
  watches: URLSearchParams[];
  close(): Promise<void>;
}

/** Lists return `listsReturn[i]` (the last one repeats; `status` answers with that code); watch number i runs `watchScripts[i]`. */
async function fakeServer(listsReturn: Array<{ rv: string; names: string[]; status?: number; retryAfter?: string }>, watchScripts: Array<(res: http.ServerResponse) => void>): Promise<Fake> {
  const open = new Set<http.ServerResponse>();
  const fake: Fake = { url: '', lists: 0, watches: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    req.on('error', () => {}); // a client closing its watch aborts the request: not the fake's business
    const url = new URL(req.url!, 'http://x');
    if (url.pathname !== '/apis/esb.dev/v1alpha1/namespaces/default/deployments') {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      const script = watchScripts[fake.watches.length] ?? (() => {});
      fake.watches.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'application/json' });
      open.add(res);
      script(res);
      return;
    }
    const list = listsReturn[Math.min(fake.lists, listsReturn.length - 1)];
    fake.lists++;
    if (list.status) {
      res.writeHead(list.status, { 'content-type': 'application/json', ...(list.retryAfter ? { 'retry-after': list.retryAfter } : {}) });
      res.end(JSON.stringify({ kind: 'Status', code: list.status, message: 'busy' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'DeploymentList', metadata: { resourceVersion: list.rv }, items: list.names.map((n) => obj(n, list.rv)) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return fake;
}

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
    currentContext: 'fake',
  });
  return kc;
}

describe('KubeSource adapter', () => {
  let fake: Fake | undefined;
  let source: KubeSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await fake?.close();
  });

  it('GIVEN a watch that reports 410 Gone THEN it relists, enqueues what vanished, and watches from the new resourceVersion', async () => {
    fake = await fakeServer(
      [
        { rv: '10', names: ['a', 'b'] },
        { rv: '20', names: ['a'] },
      ],
      [
        (res) => {
          res.write(JSON.stringify({ type: 'ADDED', object: obj('c', '11') }) + '\n');
          setTimeout(() => res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 11 (15)' } }) + '\n'), 20);
        },
      ],
    );
    const enqueued: string[] = [];
    const logs: string[] = [];
    source = createKubeSource({ kubeConfig: kubeConfigFor(fake.url), namespace: 'default', resyncMs: 0, onLog: (_l, m) => logs.push(m) });
    await source.start((r: Request) => enqueued.push(`${r.namespace}/${r.name}`));
    expect(enqueued.slice(0, 2)).toEqual(['default/a', 'default/b']);

    await until(() => fake!.watches.length === 2, 'the second watch');
    expect(fake.lists).toBe(2);
    expect(fake.watches[0].get('resourceVersion')).toBe('10');
    expect(fake.watches[0].get('allowWatchBookmarks')).toBe('true');
    expect(fake.watches[1].get('resourceVersion')).toBe('20');
    // list 1 (a, b), ADDED c, relist: a, and b + c that vanished without a DELETED event.
    expect(enqueued[2]).toBe('default/c');
    expect(enqueued.slice(3).sort()).toEqual(['default/a', 'default/b', 'default/c']);
    expect(logs.some((m) => m.includes('410'))).toBe(true);
    expect([...source.current.known]).toEqual(['default/a']);
  });

  it('GIVEN the list keeps failing THEN start resolves after the first attempt and retries with backoff', async () => {
    const enqueued: string[] = [];
    const logs: string[] = [];
    // Nothing listens on this port (a server opened and closed).
    const dead = await fakeServer([{ rv: '1', names: [] }], []);
    const url = dead.url;
    await dead.close();
    source = createKubeSource({ kubeConfig: kubeConfigFor(url), namespace: 'default', resyncMs: 0, backoff: { initialMs: 20, maxMs: 40 }, onLog: (_l, m) => logs.push(m) });
    await source.start((r) => enqueued.push(r.name));
    await until(() => logs.length >= 3, 'three list retries');
    expect(logs[0]).toMatch(/list failed.*retrying in 20 ms/);
    expect(logs[1]).toMatch(/retrying in 40 ms/);
    expect(source.current.phase).toBe('listing');
    expect(enqueued).toEqual([]);
  });

  it('GIVEN a list answered 429 with Retry-After THEN the retry waits what the server said, not the backoff', async () => {
    fake = await fakeServer([{ rv: '1', names: [], status: 429, retryAfter: '0' }, { rv: '5', names: ['a'] }], []);
    const logs: string[] = [];
    const enqueued: string[] = [];
    // A backoff of an hour: only the Retry-After of 0 s can make the second list happen.
    source = createKubeSource({ kubeConfig: kubeConfigFor(fake.url), namespace: 'default', resyncMs: 0, backoff: { initialMs: 3_600_000, maxMs: 3_600_000 }, onLog: (_l, m) => logs.push(m) });
    await source.start((r) => enqueued.push(r.name));
    await until(() => enqueued.includes('a'), 'the second list');
    expect(fake.lists).toBe(2);
    expect(logs[0]).toMatch(/list failed \(429\).*retrying in 0 ms \(Retry-After\)/);
  });

  it('GIVEN a watch that stays silent past its timeout (half-open connection) THEN the watchdog closes it and watches again', async () => {
    // Watch 1: headers only, then nothing, never closed. Watch 2: an event.
    fake = await fakeServer([{ rv: '10', names: [] }], [(res) => res.flushHeaders(), (res) => res.write(JSON.stringify({ type: 'ADDED', object: obj('b', '11') }) + '\n')]);
    const enqueued: string[] = [];
    const logs: string[] = [];
    source = createKubeSource({ kubeConfig: kubeConfigFor(fake.url), namespace: 'default', resyncMs: 0, watchTimeoutSeconds: 0, watchdogGraceMs: 50, backoff: { initialMs: 1, maxMs: 1 }, onLog: (_l, m) => logs.push(m) });
    await source.start((r) => enqueued.push(r.name));
    await until(() => enqueued.includes('b'), 'the event of the second watch');
    expect(fake.watches[0].get('timeoutSeconds')).toBe('0');
    expect(fake.watches[1].get('resourceVersion')).toBe('10');
    expect(logs.some((m) => /watch silent for 50 ms/.test(m))).toBe(true);
  });
});
