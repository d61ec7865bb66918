// Host-based stack routing (docs/gateway.md, "One API per stack"): <stack>.localhost serves that
// stack's own routes; any other host serves the merged, last-write-wins table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from './app.js';
import { apiOf, functionsOf, routingOf } from './testing/config.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';

describe('stack hosts', () => {
  let gw: Gateway;
  beforeAll(async () => {
    const invoker = new FakeInvoker({
      'one-Hello': () => ({ statusCode: 200, body: 'one' }),
      'two-Hello': () => ({ statusCode: 200, body: 'two' }),
      'two-Only': () => ({ statusCode: 200, body: 'only two' }),
    });
    const api = { ServerlessRestApi: apiOf('rest') };
    const one = routingOf([['GET', '/hello', 'one-Hello']], api);
    const two = routingOf([['GET', '/hello', 'two-Hello'], ['GET', '/only', 'two-Only']], api);
    gw = await buildGateway({
      invoker,
      log: memoryLogger().log,
      initialConfig: {
        functions: functionsOf('one-Hello', 'two-Hello', 'two-Only'),
        // The merged table: two deployed last, so its GET /hello won.
        routing: routingOf([['GET', '/hello', 'two-Hello'], ['GET', '/only', 'two-Only']], api),
        stacks: { stacks: { one: { routing: one }, Two: { routing: two } }, owners: { functions: {}, routes: {}, tables: {}, buckets: {}, queues: {}, rules: {}, subscriptions: {}, state_machines: {}, streams: {}, delivery_streams: {}, bucket_notifications: {}, secrets: {}, parameters: {} } },
      },
    });
  });
  afterAll(() => gw.close());

  const get = async (url: string, host: string) => {
    const r = await gw.app.inject({ method: 'GET', url, headers: { host } });
    return { status: r.statusCode, body: r.body };
  };

  it('serves each stack alone at <stack>.localhost, whatever the port and case', async () => {
    expect(await get('/hello', 'one.localhost:3000')).toEqual({ status: 200, body: 'one' });
    expect(await get('/hello', 'TWO.localhost')).toEqual({ status: 200, body: 'two' });
    expect((await get('/only', 'one.localhost:3000')).status).toBe(403);
    expect(await get('/only', 'two.localhost:3000')).toEqual({ status: 200, body: 'only two' });
  });

  it('serves each stack alone at /_aws/execute-api/<stack>/ on any host, for clients that cannot resolve *.localhost; an unknown stack is a 404 naming it', async () => {
    expect(await get('/_aws/execute-api/one/hello', '127.0.0.1:3000')).toEqual({ status: 200, body: 'one' });
    expect(await get('/_aws/execute-api/one/Prod/hello', '127.0.0.1:3000')).toEqual({ status: 200, body: 'one' });
    expect(await get('/_aws/execute-api/Two/only?x=1', 'localhost')).toEqual({ status: 200, body: 'only two' });
    expect((await get('/_aws/execute-api/one/only', '127.0.0.1:3000')).status).toBe(403);
    expect(await get('/_aws/execute-api/three/hello', '127.0.0.1:3000')).toEqual({ status: 404, body: '{"message":"no stack \\"three\\" is deployed here"}' });
  });

  it('serves the merged table on the bare host and on hosts that name no stack', async () => {
    expect(await get('/hello', '127.0.0.1:3000')).toEqual({ status: 200, body: 'two' });
    expect(await get('/hello', 'other.localhost:3000')).toEqual({ status: 200, body: 'two' });
    expect(await get('/only', 'localhost:3000')).toEqual({ status: 200, body: 'only two' });
  });
});
