// AppSync subscriptions over the real-time protocol, on real sockets (docs/appsync.md,
// "Subscriptions"): connection_init/ack and keep-alives, start/start_ack against the schema and
// auth, mutation results POSTed to the publish path and delivered to matching subscribers only,
// projection onto the subscription's selection, stop/complete, and the limits.
import type { AppSyncApi, RoutingFile } from '@esb/contracts';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildGateway } from '../app.js';
import { NodeSha256 } from '../invoke-auth.js';
import { startGateway, type RunningGateway } from '../server.js';
import { functionsOf } from '../testing/config.js';
import { FakeInvoker } from '../testing/fake-invoker.js';
import { memoryLogger } from '../testing/log.js';

const API_ID = 'notesapi123';
const KEY = 'da2-goodkey';
const api: AppSyncApi = {
  name: 'notes',
  api_id: API_ID,
  schema: `
    type Author { name: String }
    type Note { id: ID! title: String body: String author: Author tags: [String] }
    type Query { getNote(id: ID!): Note }
    type Mutation { createNote(title: String!, body: String): Note  updateNote(id: ID!, title: String): Note }
    type Subscription {
      onCreateNote(title: String): Note @aws_subscribe(mutations: ["createNote"])
      onChange(id: ID): Note @aws_subscribe(mutations: ["createNote", "updateNote"])
      onIamOnly: Note @aws_subscribe(mutations: ["createNote"]) @aws_iam
    }`,
  auth: [{ type: 'API_KEY' }, { type: 'AWS_IAM' }],
  api_keys: [KEY],
  data_sources: {},
  functions: {},
  resolvers: [],
};

function config(): { functions: ReturnType<typeof functionsOf>; routing: RoutingFile } {
  const functions = functionsOf('notes-Api');
  functions.functions['notes-Api']!.environment = { ESB_APPSYNC: JSON.stringify(api) };
  const routing: RoutingFile = {
    routes: [
      { method: 'POST', path: '/graphql', function: 'notes-Api', api: 'Http' },
      { method: 'POST', path: `/appsync-api/${API_ID}/graphql`, function: 'notes-Api', api: 'Http' },
    ],
    apis: { Http: { type: 'http', stage: '$default', stage_variables: {}, binary_media_types: [] } },
  };
  return { functions, routing };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

interface Client {
  ws: WebSocket;
  next(ms?: number): Promise<Record<string, any>>;
  /** Resolves when nothing arrives for this long (fails with what did arrive). */
  quiet(ms?: number): Promise<void>;
  send(msg: unknown): void;
  closed: Promise<number>;
}

function open(base: string, path = '/graphql/realtime', headers: unknown = { host: 'x', 'x-api-key': KEY }): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${path}?header=${encodeURIComponent(b64(headers))}&payload=e30=`, 'graphql-ws');
    const messages: Array<Record<string, any>> = [];
    const waiters: Array<(m: Record<string, any>) => void> = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Record<string, any>;
      if (m.type === 'ka') return; // keep-alives are checked on their own
      const w = waiters.shift();
      if (w) w(m);
      else messages.push(m);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const client: Client = {
      ws,
      closed,
      send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
      next: (ms = 2_000) =>
        messages.length
          ? Promise.resolve(messages.shift()!)
          : new Promise((r, j) => {
              const t = setTimeout(() => j(new Error('no message')), ms);
              waiters.push((m) => (clearTimeout(t), r(m)));
            }),
      quiet: async (ms = 150) => {
        await new Promise((r) => setTimeout(r, ms));
        if (messages.length) throw new Error(`unexpected ${JSON.stringify(messages)}`);
      },
    };
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function connected(base: string, path?: string): Promise<Client> {
  const c = await open(base, path);
  c.send({ type: 'connection_init' });
  expect(await c.next()).toEqual({ type: 'connection_ack', payload: { connectionTimeoutMs: 300000 } });
  return c;
}

const start = (c: Client, id: string, query: string, variables: Record<string, unknown> = {}, authorization: Record<string, string> = { host: 'x', 'x-api-key': KEY }) =>
  c.send({ id, type: 'start', payload: { data: JSON.stringify({ query, variables }), extensions: { authorization } } });

describe('AppSync real-time subscriptions', () => {
  let gw: RunningGateway;
  let base: string;
  const publish = async (mutation: string, data: unknown, apiId = API_ID) => {
    const r = await fetch(`${gw.url}/appsync-api/${apiId}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiId, mutation, data }) });
    expect(r.status).toBe(200);
    return ((await r.json()) as { delivered: number }).delivered;
  };

  beforeAll(async () => {
    gw = await startGateway({
      invoker: new FakeInvoker({}),
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      initialConfig: config(),
      appsyncRealtime: { keepAliveMs: 100, maxSubscriptionsPerConnection: 3, idleWithoutSubscriptionMs: 400 },
    });
    base = gw.url.replace('http', 'ws');
  });
  afterAll(async () => {
    await gw.close();
  });

  it('acknowledges connection_init with the connection timeout, then sends ka on its timer', async () => {
    const c = await open(base);
    expect(c.ws.protocol).toBe('graphql-ws');
    const kas: number[] = [];
    c.ws.on('message', (d) => JSON.parse(d.toString()).type === 'ka' && kas.push(Date.now()));
    c.send({ type: 'connection_init' });
    expect(await c.next()).toEqual({ type: 'connection_ack', payload: { connectionTimeoutMs: 300000 } });
    await new Promise((r) => setTimeout(r, 350));
    expect(kas.length).toBeGreaterThanOrEqual(3);
    c.ws.close();
  });

  it('delivers a published mutation result to the subscriptions it matches, by argument, and only to them', async () => {
    const c = await connected(base);
    start(c, 'all', 'subscription { onCreateNote { id title } }');
    expect(await c.next()).toEqual({ id: 'all', type: 'start_ack' });
    start(c, 'a', 'subscription ($t: String) { onCreateNote(title: $t) { id title } }', { t: 'a' });
    expect(await c.next()).toEqual({ id: 'a', type: 'start_ack' });
    const other = await connected(base, `/appsync-api/${API_ID}/graphql/realtime`);
    start(other, 'b', 'subscription { onCreateNote(title: "b") { title } }');
    expect(await other.next()).toEqual({ id: 'b', type: 'start_ack' });

    expect(await publish('createNote', { id: '1', title: 'a', body: 'x' })).toBe(2);
    const got = [await c.next(), await c.next()].sort((x, y) => String(x.id).localeCompare(String(y.id)));
    expect(got).toEqual([
      { id: 'a', type: 'data', payload: { data: { onCreateNote: { id: '1', title: 'a' } } } },
      { id: 'all', type: 'data', payload: { data: { onCreateNote: { id: '1', title: 'a' } } } },
    ]);
    await other.quiet();

    // Another mutation, or another API, reaches none of them.
    expect(await publish('updateNote', { id: '1', title: 'a' })).toBe(0);
    expect(await publish('createNote', { id: '1', title: 'a' }, 'otherapi')).toBe(0);
    await c.quiet();

    expect(await publish('createNote', { id: '2', title: 'b' })).toBe(2);
    expect(await other.next()).toEqual({ id: 'b', type: 'data', payload: { data: { onCreateNote: { title: 'b' } } } });
    expect(await c.next()).toMatchObject({ id: 'all', payload: { data: { onCreateNote: { id: '2' } } } });
    await c.quiet();
    c.ws.close();
    other.ws.close();
  });

  it('projects the result onto the selection: aliases, nested objects and lists, __typename, fragments; unselected fields are null', async () => {
    const c = await connected(base);
    start(
      c,
      'p',
      `subscription S { changed: onChange(id: "7") { noteId: id __typename title author { name } tags ...More ... on Note { heading: title } } }
       fragment More on Note { body }`,
    );
    expect(await c.next()).toEqual({ id: 'p', type: 'start_ack' });
    await publish('updateNote', { id: 7, title: 'seven', tags: ['x', 'y'], author: { name: 'ann', extra: 1 } });
    expect(await c.next()).toEqual({
      id: 'p',
      type: 'data',
      payload: { data: { changed: { noteId: 7, __typename: 'Note', title: 'seven', author: { name: 'ann' }, tags: ['x', 'y'], body: null, heading: 'seven' } } },
    });
    // The mutation did not select the argument's field: no match.
    expect(await publish('updateNote', { title: 'no id' })).toBe(0);
    c.ws.close();
  });

  it('stop answers complete and ends the subscription', async () => {
    const c = await connected(base);
    start(c, 's', 'subscription { onCreateNote { id } }');
    expect(await c.next()).toEqual({ id: 's', type: 'start_ack' });
    c.send({ id: 's', type: 'stop' });
    expect(await c.next()).toEqual({ id: 's', type: 'complete' });
    expect(await publish('createNote', { id: '3' })).toBe(0);
    await c.quiet();
    c.ws.close();
  });

  it('answers errors for a bad API key, an unknown field, a field of another auth mode, a query, and bad messages', async () => {
    const c = await connected(base);
    start(c, 'k', 'subscription { onCreateNote { id } }', {}, { host: 'x', 'x-api-key': 'da2-wrong' });
    expect(await c.next()).toEqual({ id: 'k', type: 'error', payload: { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] } });
    start(c, 'f', 'subscription { onNothing { id } }');
    expect(await c.next()).toMatchObject({ id: 'f', type: 'error', payload: { errors: [{ errorType: 'ValidationError', message: expect.stringContaining('onNothing') }] } });
    start(c, 'g', 'subscription { onCreateNote { nope } }');
    expect(await c.next()).toMatchObject({ id: 'g', type: 'error', payload: { errors: [{ errorType: 'ValidationError' }] } });
    start(c, 'i', 'subscription { onIamOnly { id } }');
    expect(await c.next()).toMatchObject({ id: 'i', type: 'error', payload: { errors: [{ errorType: 'UnauthorizedException' }] } });
    start(c, 'q', '{ getNote(id: "1") { id } }');
    expect(await c.next()).toMatchObject({ id: 'q', type: 'error', payload: { errors: [{ errorType: 'UnsupportedOperation' }] } });
    c.send('not json');
    expect(await c.next()).toMatchObject({ type: 'error', payload: { errors: [{ errorType: 'UnsupportedOperation' }] } });
    c.send({ id: 'z', type: 'bogus' });
    expect(await c.next()).toMatchObject({ id: 'z', type: 'error' });
    // IAM callers (a SigV4 Authorization) may subscribe to the IAM field.
    start(c, 'iam', 'subscription { onIamOnly { id } }', {}, { host: 'x', Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/appsync/aws4_request, SignedHeaders=host, Signature=abc', 'x-amz-date': '20240101T000000Z' });
    expect(await c.next()).toEqual({ id: 'iam', type: 'start_ack' });
    // Errors registered nothing.
    expect(await publish('createNote', { id: '4' })).toBe(1);
    c.ws.close();
  });

  it('refuses a connection whose header carries a bad key, and handshakes for no API', async () => {
    const c = await open(base, '/graphql/realtime', { host: 'x', 'x-api-key': 'da2-wrong' });
    c.send({ type: 'connection_init' });
    expect(await c.next()).toEqual({ type: 'connection_error', payload: { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] } });
    expect(await c.closed).toBe(1000);
    await expect(open(base, '/appsync-api/unknown/graphql/realtime')).rejects.toThrow('handshake answered 404');
  });

  it('holds the limits: subscriptions per connection, message size, idle connections', async () => {
    const c = await connected(base);
    for (const id of ['1', '2', '3']) {
      start(c, id, 'subscription { onCreateNote { id } }');
      expect(await c.next()).toEqual({ id, type: 'start_ack' });
    }
    start(c, '4', 'subscription { onCreateNote { id } }');
    expect(await c.next()).toMatchObject({ id: '4', type: 'error', payload: { errors: [{ errorType: 'MaxSubscriptionsReachedError' }] } });
    start(c, '1', 'subscription { onCreateNote { id } }');
    expect(await c.next()).toMatchObject({ id: '1', type: 'error' });

    // A connection with subscriptions stays past the idle time; one without is closed.
    const idle = await connected(base);
    const idleClosed = await Promise.race([idle.closed, new Promise((r) => setTimeout(() => r('open'), 2_000))]);
    expect(idleClosed).toBe(1000);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    // Over 200 KiB: closed with 1009.
    c.send({ type: 'start', id: 'big', payload: { data: 'x'.repeat(201 * 1024) } });
    expect(await c.closed).toBe(1009);
    expect(await publish('createNote', { id: '5' })).toBe(0); // its subscriptions went with it
  });

  it('has its own connection cap', async () => {
    const small = await startGateway({ invoker: new FakeInvoker({}), host: '127.0.0.1', port: 0, log: memoryLogger().log, initialConfig: config(), appsyncRealtime: { maxConnections: 1 } });
    try {
      const first = await open(small.url.replace('http', 'ws'));
      await expect(open(small.url.replace('http', 'ws'))).rejects.toThrow('handshake answered 429');
      first.ws.close();
    } finally {
      await small.close();
    }
  });

  it('takes publishes beyond loopback only signed for appsync by a known key', async () => {
    const keys = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'secret' };
    const gw2 = await buildGateway({ invoker: new FakeInvoker({}), log: memoryLogger().log, initialConfig: config(), invokeApi: { open: false, accessKeys: new Map([[keys.accessKeyId, keys.secretAccessKey]]), tokens: new Set() } });
    try {
      const body = JSON.stringify({ apiId: API_ID, mutation: 'createNote', data: { id: '1' } });
      const signed = async (service: string) => {
        const signer = new SignatureV4({ credentials: keys, region: 'us-east-1', service, sha256: NodeSha256 });
        const req = await signer.sign({ method: 'POST', protocol: 'http:', hostname: 'gw.test', path: `/appsync-api/${API_ID}/publish`, headers: { host: 'gw.test', 'content-type': 'application/json' }, body });
        return gw2.app.inject({ method: 'POST', url: `/appsync-api/${API_ID}/publish`, headers: req.headers, payload: body });
      };
      expect((await gw2.app.inject({ method: 'POST', url: `/appsync-api/${API_ID}/publish`, headers: { 'content-type': 'application/json' }, payload: body })).statusCode).toBe(403);
      expect((await signed('lambda')).statusCode).toBe(403);
      const ok = await signed('appsync');
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ delivered: 0 });
    } finally {
      await gw2.close();
    }
  });
});
