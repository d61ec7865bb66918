// WebSocket APIs over real sockets: handshakes through $connect and its authorizer, route
// selection, two-way routes, the Management API through @aws-sdk/client-apigatewaymanagementapi,
// $disconnect, limits, and a reload that changes routes under open connections.
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { RoutingFile, WebSocketApi } from '@esb/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, type RunningGateway } from '../server.js';
import { functionsOf } from '../testing/config.js';
import { FakeInvoker } from '../testing/fake-invoker.js';
import { memoryLogger } from '../testing/log.js';

type Ev = { requestContext: Record<string, unknown>; body?: string; headers?: Record<string, string>; queryStringParameters?: Record<string, string>; isBase64Encoded: boolean };

const chatApi: WebSocketApi = {
  stage: 'prod',
  stage_variables: {},
  route_selection: '$request.body.action',
  routes: [
    { key: '$connect', function: 'onconnect', respond: false, auth: { authorizer: 'Auth' } },
    { key: '$disconnect', function: 'ondisconnect', respond: false },
    { key: 'echo', function: 'echo', respond: true },
    { key: 'quiet', function: 'echo', respond: false },
    { key: 'broadcast', function: 'broadcast', respond: false },
    { key: 'boom', function: 'boom', respond: true },
    { key: 'ping', respond: true, mock_response: '{"pong":true}' },
  ],
  authorizers: { Auth: { type: 'request', function: 'authorizer', identity_sources: ['method.request.querystring.token'], ttl_seconds: 0, payload_format_version: '1.0', simple_responses: false } },
};

const routing = (api: WebSocketApi): RoutingFile => ({ routes: [], apis: {}, websockets: { ChatApi: api } });

function open(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: string[]; next: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: string[] = [];
    const waiters: Array<(m: string) => void> = [];
    ws.on('message', (d) => {
      const text = d.toString();
      const w = waiters.shift();
      if (w) w(text);
      else messages.push(text);
    });
    ws.once('open', () => resolve({ ws, messages, next: () => (messages.length ? Promise.resolve(messages.shift()!) : new Promise((r) => waiters.push(r))) }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const closeAll = (list: Array<{ ws: WebSocket }>) => Promise.all(list.map((c) => new Promise((r) => (c.ws.once('close', r), c.ws.close()))));

/** Opens once the server has seen earlier connections go (a 429 until then). */
async function openWhenFree(url: string) {
  for (let i = 0; ; i++) {
    try {
      return await open(url);
    } catch (err) {
      if (i > 100 || !String(err).includes('429')) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('WebSocket APIs', () => {
  let gw: RunningGateway;
  let wsUrl: string;
  let mgmt: ApiGatewayManagementApiClient;
  const seen: Record<string, Ev[]> = { onconnect: [], ondisconnect: [], echo: [], broadcast: [], authorizer: [] };
  const invoker = new FakeInvoker({
    authorizer: (e: { queryStringParameters?: Record<string, string>; methodArn: string }) => {
      seen.authorizer.push(e as unknown as Ev);
      const allow = e.queryStringParameters?.token === 'good';
      return { principalId: 'user-1', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: allow ? 'Allow' : 'Deny', Resource: e.methodArn }] }, context: { team: 'blue' } };
    },
    onconnect: (e: Ev) => {
      seen.onconnect.push(e);
      return e.queryStringParameters?.refuse ? { statusCode: 401 } : { statusCode: 200 };
    },
    ondisconnect: (e: Ev) => {
      seen.ondisconnect.push(e);
      return { statusCode: 200 };
    },
    echo: (e: Ev) => {
      seen.echo.push(e);
      return { statusCode: 200, body: JSON.stringify({ got: JSON.parse(e.body!), route: e.requestContext.routeKey }) };
    },
    broadcast: async (e: Ev) => {
      seen.broadcast.push(e);
      const client = new ApiGatewayManagementApiClient({ endpoint: `http://${e.requestContext.domainName}/${e.requestContext.stage}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const { to } = JSON.parse(e.body!) as { to: string[] };
      for (const id of to) await client.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from(`from ${String(e.requestContext.connectionId)}`) }));
      client.destroy();
      return { statusCode: 200 };
    },
    boom: () => {
      throw new Error('kaput');
    },
  });

  beforeAll(async () => {
    gw = await startGateway({ invoker, host: '127.0.0.1', port: 0, log: memoryLogger().log, initialConfig: { routing: routing(chatApi), functions: functionsOf('onconnect', 'ondisconnect', 'echo', 'broadcast', 'boom', 'authorizer') } });
    wsUrl = `${gw.url.replace('http', 'ws')}/prod`;
    mgmt = new ApiGatewayManagementApiClient({ endpoint: `${gw.url}/prod`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    mgmt.destroy();
    await gw.close();
  });

  it('runs the authorizer and $connect before accepting, with the CONNECT event API Gateway sends', async () => {
    const c = await open(`${wsUrl}?token=good&room=a`, { 'X-Client': 'test' });
    const connect = seen.onconnect.at(-1)!;
    expect(connect.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', stage: 'prod', messageDirection: 'IN', domainName: new URL(gw.url).host });
    expect(connect.requestContext.connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(connect.requestContext.authorizer).toMatchObject({ principalId: 'user-1', team: 'blue' });
    expect(connect.queryStringParameters).toEqual({ token: 'good', room: 'a' });
    expect(connect.headers?.['X-Client']).toBe('test');
    expect(seen.authorizer.at(-1)).toMatchObject({ type: 'REQUEST', methodArn: expect.stringMatching(/\/prod\/\$connect$/) });
    c.ws.close();
  });

  it('refuses the handshake when the authorizer denies or $connect answers non-2xx', async () => {
    const before = seen.onconnect.length;
    await expect(open(`${wsUrl}?token=bad`)).rejects.toThrow('handshake answered 403');
    await expect(open(wsUrl)).rejects.toThrow('handshake answered 401');
    expect(seen.onconnect.length).toBe(before); // the function never ran
    await expect(open(`${wsUrl}?token=good&refuse=1`)).rejects.toThrow('handshake answered 401');
    await expect(open(`${gw.url.replace('http', 'ws')}/other-stage?token=good`)).rejects.toThrow('handshake answered 404');
  });

  it('routes messages by the selection expression; two-way routes answer, one-way routes do not', async () => {
    const c = await open(`${wsUrl}?token=good`);
    c.ws.send(JSON.stringify({ action: 'echo', n: 1 }));
    expect(JSON.parse(await c.next())).toEqual({ got: { action: 'echo', n: 1 }, route: 'echo' });
    const msg = seen.echo.at(-1)!;
    expect(msg.requestContext).toMatchObject({ eventType: 'MESSAGE', routeKey: 'echo', authorizer: { principalId: 'user-1', team: 'blue' } });
    expect(msg.isBase64Encoded).toBe(false);
    c.ws.send(JSON.stringify({ action: 'quiet' }));
    c.ws.send(JSON.stringify({ action: 'ping' }));
    expect(JSON.parse(await c.next())).toEqual({ pong: true }); // the quiet route sent nothing before it
    // No route and no $default: API Gateway's Forbidden; a failing integration: Internal server error.
    c.ws.send('not json');
    expect(JSON.parse(await c.next())).toMatchObject({ message: 'Forbidden', connectionId: msg.requestContext.connectionId });
    c.ws.send(JSON.stringify({ action: 'boom' }));
    expect(JSON.parse(await c.next())).toMatchObject({ message: 'Internal server error' });
    c.ws.close();
  });

  it('serves the Management API: functions post to other connections, get and delete them', async () => {
    const a = await open(`${wsUrl}?token=good`);
    const b = await open(`${wsUrl}?token=good`);
    const ids = seen.onconnect.slice(-2).map((e) => String(e.requestContext.connectionId));
    a.ws.send(JSON.stringify({ action: 'broadcast', to: [ids[1]] }));
    expect(await b.next()).toBe(`from ${ids[0]}`);

    await mgmt.send(new PostToConnectionCommand({ ConnectionId: ids[0], Data: Buffer.from('direct') }));
    expect(await a.next()).toBe('direct');
    const info = await mgmt.send(new GetConnectionCommand({ ConnectionId: ids[0] }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');

    const closed = new Promise<number>((r) => b.ws.once('close', (code) => r(code)));
    await mgmt.send(new DeleteConnectionCommand({ ConnectionId: ids[1] }));
    expect(await closed).toBe(1000);
    await until(() => seen.ondisconnect.some((e) => e.requestContext.connectionId === ids[1]));
    const gone = seen.ondisconnect.find((e) => e.requestContext.connectionId === ids[1])!;
    expect(gone.requestContext).toMatchObject({ eventType: 'DISCONNECT', routeKey: '$disconnect', disconnectStatusCode: 1000 });
    await expect(mgmt.send(new PostToConnectionCommand({ ConnectionId: ids[1], Data: Buffer.from('late') }))).rejects.toBeInstanceOf(GoneException);
    a.ws.close();
  });

  it('closes a connection whose message is over the size limit (1009), and runs $disconnect', async () => {
    const c = await open(`${wsUrl}?token=good`);
    const id = String(seen.onconnect.at(-1)!.requestContext.connectionId);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send(JSON.stringify({ action: 'echo', pad: 'x'.repeat(200 * 1024) }));
    expect(await closed).toBe(1009);
    await until(() => seen.ondisconnect.some((e) => e.requestContext.connectionId === id));
    expect(seen.ondisconnect.find((e) => e.requestContext.connectionId === id)!.requestContext.disconnectStatusCode).toBe(1009);
  });

  it('still serves plain HTTP requests that ask to upgrade to something else', async () => {
    const res = await fetch(`${gw.url}/health`, { headers: { Connection: 'Upgrade', Upgrade: 'h2c' } }).catch((e: Error) => e);
    // fetch (undici) refuses to send Upgrade itself; node:http shows the server's answer.
    if (res instanceof Error) {
      const http = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${gw.url}/health`, { headers: { Connection: 'Upgrade', Upgrade: 'h2c' } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } else expect(res.status).toBe(200);
  });
});

describe('WebSocket APIs: limits, reloads, stack hosts', () => {
  let dir: string;
  let gw: RunningGateway;
  let base: string;
  const releases: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  const invoker = new FakeInvoker({
    v1: (e: Ev) => ({ statusCode: 200, body: `v1:${e.body ?? ''}` }),
    v2: (e: Ev) => ({ statusCode: 200, body: `v2:${e.body ?? ''}` }),
    bin: (e: Ev) => ({ statusCode: 200, body: e.body, isBase64Encoded: e.isBase64Encoded }),
    // Held until released: how many run at once for one connection.
    hold: () =>
      new Promise((resolve) => {
        peak = Math.max(peak, ++running);
        releases.push(() => {
          running--;
          resolve({ statusCode: 200 });
        });
      }),
  });
  const api = (fn: string, extra: WebSocketApi['routes'] = []): WebSocketApi => ({ stage: 'live', stage_variables: {}, route_selection: '$request.body.action', routes: [{ key: '$default', function: fn, respond: true }, ...extra] });
  const write = async (file: string, data: unknown) => {
    const { writeFile, rename } = await import('node:fs/promises');
    const { stringify } = await import('yaml');
    await writeFile(join(dir, `${file}.tmp`), stringify(data));
    await rename(join(dir, `${file}.tmp`), join(dir, file));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-ws-'));
    await write('functions.yml', { functions: functionsOf('v1', 'v2', 'bin', 'hold').functions });
    await write('routing.yml', { routes: [], apis: {}, websockets: { Live: api('v1', [{ key: 'hold', function: 'hold', respond: false }]) } });
    await write('stacks.yml', { stacks: { other: { routing: { routes: [], apis: {}, websockets: { Other: { ...api('bin'), stage: 'live' } } } } } });
    gw = await startGateway({ invoker, configDir: dir, fsWatch: false, reloadIntervalMs: 60_000, host: '127.0.0.1', port: 0, log: memoryLogger().log, websocket: { limits: { maxConnections: 3, inFlightPerConnection: 2 } } });
    base = gw.url.replace('http', 'ws');
  });
  afterAll(async () => {
    await gw.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a reload changes the routes of connections already open', async () => {
    const c = await open(`${base}/live`);
    c.ws.send('a');
    expect(await c.next()).toBe('v1:a');
    await write('routing.yml', { routes: [], apis: {}, websockets: { Live: api('v2', [{ key: 'hold', function: 'hold', respond: false }]) } });
    await gw.reload();
    c.ws.send('b');
    expect(await c.next()).toBe('v2:b');
    c.ws.close();
  });

  it('a stack host serves that stack\'s own WebSocket API; binary frames go base64 both ways', async () => {
    const c = await open(`${base}/live`, { Host: `other.localhost:${new URL(gw.url).port}` });
    const got = new Promise<{ data: Buffer; binary: boolean }>((r) => c.ws.once('message', (data, binary) => r({ data: data as Buffer, binary })));
    c.ws.send(Buffer.from([1, 2, 255]), { binary: true });
    const { data, binary } = await got;
    expect(binary).toBe(true);
    expect([...data]).toEqual([1, 2, 255]);
    c.ws.close();
  });

  it('refuses handshakes past the connection limit with 429, and takes them again once one closes', async () => {
    const open3 = [await open(`${base}/live`), await open(`${base}/live`), await open(`${base}/live`)];
    await expect(open(`${base}/live`)).rejects.toThrow('handshake answered 429');
    await closeAll([open3[0]]);
    const again = await openWhenFree(`${base}/live`);
    await closeAll([again, ...open3.slice(1)]);
  });

  it('stops reading a connection that has as many messages in flight as allowed, and reads on once they finish', async () => {
    const c = await openWhenFree(`${base}/live`);
    for (let i = 0; i < 6; i++) c.ws.send(JSON.stringify({ action: 'hold' }));
    await until(() => running >= 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(running).toBe(2);
    let released = 0;
    while (released < 6) {
      await until(() => releases.length > 0);
      releases.shift()!();
      released++;
    }
    expect(peak).toBe(2);
    c.ws.close();
  });
});

describe('WebSocket APIs: idle connections', () => {
  it('closes a connection idle past the idle timeout with 1001 Going away, and runs $disconnect', async () => {
    const gone: Ev[] = [];
    const invoker = new FakeInvoker({ bye: (e: Ev) => void gone.push(e) });
    const api: WebSocketApi = { stage: 'prod', stage_variables: {}, route_selection: '$request.body.action', routes: [{ key: '$disconnect', function: 'bye', respond: false }] };
    const gw = await startGateway({ invoker, host: '127.0.0.1', port: 0, log: memoryLogger().log, initialConfig: { routing: routing(api), functions: functionsOf('bye') }, websocket: { limits: { idleTimeoutMs: 150 } } });
    try {
      const c = await open(`${gw.url.replace('http', 'ws')}/prod`);
      const code = await new Promise<number>((r) => c.ws.once('close', (n) => r(n)));
      expect(code).toBe(1001);
      await until(() => gone.length > 0);
      expect(gone[0]!.requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: 'Going away' });
    } finally {
      await gw.close();
    }
  });
});

describe('WebSocket Management API beyond loopback', () => {
  it('takes calls signed for execute-api by a configured key, and refuses unsigned and unknown ones', async () => {
    const KEY = { accessKeyId: 'AKIDESBWSTEST01', secretAccessKey: 'ws-secret-for-the-test' };
    const api: WebSocketApi = { stage: 'prod', stage_variables: {}, route_selection: '$request.body.action', routes: [] };
    const gw = await startGateway({
      invoker: new FakeInvoker({}),
      host: '0.0.0.0',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { routing: routing(api), functions: functionsOf() },
      invokeApi: { open: false, accessKeys: new Map([[KEY.accessKeyId, KEY.secretAccessKey]]), tokens: new Set() },
    });
    const local = gw.url.replace('0.0.0.0', '127.0.0.1');
    const client = (credentials: typeof KEY) => new ApiGatewayManagementApiClient({ endpoint: `${local}/prod`, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      const c = await open(`${local.replace('http', 'ws')}/prod`);
      const signed = client(KEY);
      await expect(signed.send(new GetConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=' }))).rejects.toBeInstanceOf(GoneException);
      const unsigned = await fetch(`${local}/prod/@connections/AAAAAAAAAAAAAAA%3D`, { method: 'POST', body: 'x' });
      expect(unsigned.status).toBe(403);
      const stranger = client({ accessKeyId: 'AKIDUNKNOWN00000', secretAccessKey: 'nope' });
      await expect(stranger.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: Buffer.from('x') }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      signed.destroy();
      stranger.destroy();
      c.ws.close();
    } finally {
      await gw.close();
    }
  });
});
