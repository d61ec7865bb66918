// The console mounted on a real gateway listening on every interface: who gets in, what the
// reserved prefix does without a console, and the live stream over real HTTP.
import { networkInterfaces } from 'node:os';
import { buildGateway, type Gateway } from '@esb/gateway';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsole, type EsbConsole } from './console.js';
import { functionInfos, routeInfos } from './views.js';

const functions = {
  defaults: { environment: {}, scaling: {} },
  functions: { hello: { runtime: 'nodejs20.x', handler: 'index.handler', timeout: 3, memory_size: 128, package_type: 'Zip' as const, environment: {}, scaling: {}, layers: [], events: [] } },
};
const routing = {
  apis: { Api: { type: 'http' as const, stage: '$default', stage_variables: {}, binary_media_types: [] } },
  routes: [
    { method: 'GET' as const, path: '/hello', function: 'hello', api: 'Api' },
    { method: 'GET' as const, path: '/_esb/api/state', function: 'hello', api: 'Api' },
  ],
};
// The function's answer, as a Lambda runtime would post it.
const invoker = {
  has: (name: string) => name === 'hello',
  invoke: async (_name: string, payload: Buffer, ctx?: { requestId?: string; traceId?: string }) => ({
    requestId: ctx?.requestId ?? 'r',
    durationMs: 1,
    payload: Buffer.from(JSON.stringify({ statusCode: 200, body: `from the function, path ${JSON.parse(payload.toString()).rawPath}` })),
  }),
};

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

async function start(withConsole: boolean, token?: string): Promise<{ gw: Gateway; url: string; port: number; esbConsole?: EsbConsole }> {
  let gw: Gateway | undefined;
  let url = '';
  const esbConsole = withConsole
    ? createConsole({
        token,
        sources: {
          deployments: async () => [],
          routes: () => (gw ? routeInfos(gw.table()) : []),
          functions: () => (gw ? functionInfos(gw.table(), {}) : []),
          gatewayUrl: () => url,
        },
      })
    : undefined;
  gw = await buildGateway({
    invoker: esbConsole ? esbConsole.wrapInvoker(invoker) : invoker,
    initialConfig: { functions, routing },
    log: pino({ level: 'silent' }),
    console: esbConsole?.plugin,
    onRequestDone: esbConsole?.observe,
  });
  await gw.app.listen({ host: '0.0.0.0', port: 0 });
  const port = (gw.app.server.address() as { port: number }).port;
  url = `http://127.0.0.1:${port}`;
  return { gw, url, port, esbConsole };
}

/** Reads Server-Sent Events from a stream until `done` says stop. */
async function readEvents(res: Response, done: (events: Array<{ event: string; data: any }>) => boolean): Promise<Array<{ event: string; data: any }>> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: any }> = [];
  let buffer = '';
  while (!done(events)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('the console on a gateway listening beyond loopback', () => {
  let running: Awaited<ReturnType<typeof start>> | undefined;
  afterEach(async () => {
    running?.esbConsole?.close();
    await running?.gw.close();
    running = undefined;
  });

  it('answers loopback clients, and never lets an API route take /_esb/', async () => {
    running = await start(true);
    const res = await fetch(`${running.url}/_esb/api/state`);
    expect(res.status).toBe(200);
    const state = (await res.json()) as { routes: Array<{ path: string }> };
    expect(state.routes.map((r) => r.path)).toEqual(['/hello', '/_esb/api/state']);
    expect((await fetch(`${running.url}/_esb/`)).headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${running.url}/_esb/no-such-page`)).status).toBe(404);
  });

  it.skipIf(!externalAddress)('refuses clients from another interface without a token', async () => {
    running = await start(true);
    const res = await fetch(`http://${externalAddress}:${running.port}/_esb/api/state`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toContain('loopback clients only');
    // The API itself still answers there.
    expect((await fetch(`http://${externalAddress}:${running.port}/hello`)).status).toBe(200);
  });

  it.skipIf(!externalAddress)('lets them in with ESB_CONSOLE_TOKEN: once in the query, then by cookie', async () => {
    running = await start(true, 'open-sesame');
    const base = `http://${externalAddress}:${running.port}/_esb`;
    expect((await fetch(`${base}/api/state`)).status).toBe(403);
    expect((await fetch(`${base}/api/state?token=wrong`)).status).toBe(403);
    const first = await fetch(`${base}/?token=open-sesame`);
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')!.split(';')[0];
    expect((await fetch(`${base}/api/state`, { headers: { cookie } })).status).toBe(200);
  });

  it('without a console, /_esb/ is still reserved: 404, not the route deployed there', async () => {
    running = await start(false);
    const res = await fetch(`${running.url}/_esb/api/state`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('{"message":"Not Found"}');
    expect(await (await fetch(`${running.url}/hello`)).text()).toBe('from the function, path /hello');
  });

  it('streams a snapshot, then each request to the open page, coalesced', async () => {
    running = await start(true);
    const stream = await fetch(`${running.url}/_esb/events?logs=hello`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const url = running.url;
    let sent = false;
    const events = await readEvents(stream, (evs) => {
      const topics = evs.map((e) => e.event);
      if (!sent && ['deployments', 'routes', 'traffic', 'functions'].every((t) => topics.includes(t))) {
        sent = true;
        // Three requests while the page is open.
        void Promise.all([1, 2, 3].map(() => fetch(`${url}/hello`)));
      }
      return evs.some((e) => e.event === 'traffic' && e.data.functions.hello?.count === 3);
    });
    expect(events.find((e) => e.event === 'functions')!.data).toMatchObject([{ name: 'hello', runtime: 'nodejs20.x' }]);
    expect(events.find((e) => e.event === 'traffic')!.data).toEqual({ routes: {}, functions: {} });
    const last = events.filter((e) => e.event === 'traffic').at(-1)!.data;
    expect(last.functions.hello.recent).toHaveLength(3);
    expect(last.functions.hello.recent[0]).toMatchObject({ function: 'hello', route: 'GET /hello', method: 'GET', path: '/hello', status: 200 });
    expect(last.routes['hello GET /hello']).toMatchObject({ count: 3, errors: 0 });
    expect(last.routes['hello GET /hello'].spark).toHaveLength(3);
    // One snapshot, then at most one push per request (coalesced ones make fewer).
    expect(events.filter((e) => e.event === 'traffic').length).toBeLessThanOrEqual(4);
  });
});
