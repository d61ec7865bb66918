// HTTPS on the gateway's own port (docs/gateway.md, "HTTPS on the same port"): real sockets, real TLS.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './server.js';
import { apiOf, functionsOf, routingOf } from './testing/config.js';
import { FakeInvoker } from './testing/fake-invoker.js';
import { memoryLogger } from './testing/log.js';
import { gatewayCertificateNames, serveTlsOnSamePort } from './tls-front.js';

const execFileAsync = promisify(execFile);
const root = mkdtempSync(path.join(tmpdir(), 'esb-tls-front-'));
const caDir = path.join(root, 'tls');
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Answer {
  status: number;
  body: string;
  /** The client's local port: the same one twice means the connection was kept. */
  localPort: number;
}

function get(url: string, opts: { agent?: HttpAgent; ca?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { agent: opts.agent, ca: opts.ca, headers: opts.headers }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, localPort: res.socket?.localPort ?? req.socket?.localPort ?? -1 }));
    });
    req.on('error', reject);
    req.end();
  });
}

const waitClosed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

describe('the gateway: http and https on one port', () => {
  let gw: RunningGateway;
  let port: number;
  let ca: string;
  const invoker = new FakeInvoker({
    hello: (e: { requestContext: { domainName?: string }; headers: Record<string, string> }) => ({ statusCode: 200, body: JSON.stringify({ hello: 'world', host: e.headers.Host ?? e.headers.host }) }),
  });

  beforeAll(async () => {
    gw = await startGateway({
      invoker,
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      tls: { caDir },
      initialConfig: { routing: routingOf([['GET', '/hello', 'hello']], { ServerlessRestApi: apiOf('rest') }), functions: functionsOf('hello') },
    });
    port = Number(new URL(gw.url).port);
    // The CA is made once the gateway listens; an https request waits for it.
    await get(`https://127.0.0.1:${port}/health`, { ca: await waitForFile(path.join(caDir, 'ca.pem')) });
    ca = readFileSync(path.join(caDir, 'ca.pem'), 'utf8');
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers a route over http and over https (verified with the CA alone), the same answer', async () => {
    const plain = await get(`http://127.0.0.1:${port}/hello`);
    const secure = await get(`https://127.0.0.1:${port}/hello`, { ca });
    const byName = await get(`https://localhost:${port}/hello`, { ca });
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.body)).toMatchObject({ hello: 'world' });
    expect(secure).toMatchObject({ status: 200 });
    expect(JSON.parse(secure.body)).toEqual(JSON.parse(plain.body));
    expect(byName.status).toBe(200);
    // Without the CA the certificate is not trusted.
    await expect(get(`https://127.0.0.1:${port}/hello`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('keeps connections alive on both', async () => {
    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const p = [await get(`http://127.0.0.1:${port}/hello`, { agent: httpAgent }), await get(`http://127.0.0.1:${port}/hello`, { agent: httpAgent }), await get(`http://127.0.0.1:${port}/health`, { agent: httpAgent })];
      const s = [await get(`https://127.0.0.1:${port}/hello`, { agent: httpsAgent }), await get(`https://127.0.0.1:${port}/hello`, { agent: httpsAgent }), await get(`https://127.0.0.1:${port}/health`, { agent: httpsAgent })];
      for (const a of [...p, ...s]) expect(a.status).toBe(200);
      expect(new Set(p.map((a) => a.localPort)).size).toBe(1);
      expect(new Set(s.map((a) => a.localPort)).size).toBe(1);
    } finally {
      httpAgent.destroy();
      httpsAgent.destroy();
    }
  });

  it('carries the names functions and containers reach the gateway by', () => {
    const names = gatewayCertificateNames(['extra.example']);
    for (const n of ['localhost', '*.localhost', '*.lambda-url.localhost', '*.elb.localhost', '127.0.0.1', '::1', 'gateway', 'esb-gateway.esb-system.svc.cluster.local', 'host.docker.internal', 'extra.example']) expect(names).toContain(n);
  });

  // Python's ssl (OpenSSL 3) with the strict checks that Python 3.13 turns on by default.
  it.skipIf(spawnSync('python3', ['--version']).status !== 0)('Python urllib with cafile=ca-bundle.pem gets an answer', async () => {
    const script = [
      'import json, ssl, sys, urllib.request',
      'ctx = ssl.create_default_context(cafile=sys.argv[1])',
      'ctx.verify_flags |= ssl.VERIFY_X509_STRICT',
      'r = urllib.request.urlopen(sys.argv[2], context=ctx, timeout=10)',
      'print(r.status, json.loads(r.read())["hello"])',
    ].join('\n');
    for (const url of [`https://127.0.0.1:${port}/hello`, `https://localhost:${port}/hello`]) {
      // Not spawnSync: the gateway answering it runs on this thread.
      const out = await execFileAsync('python3', ['-c', script, path.join(caDir, 'ca-bundle.pem'), url], { encoding: 'utf8', timeout: 20_000 });
      expect(out.stderr).toBe('');
      expect(out.stdout.trim()).toBe('200 world');
    }
  });
});

describe('serveTlsOnSamePort on a node:http server', () => {
  let server: Server;
  let port: number;
  let ca: string;
  const upgrades: Array<{ url: string; encrypted: boolean }> = [];

  beforeAll(async () => {
    server = createHttpServer((req, res) => res.end(`${(req.socket as Socket & { encrypted?: boolean }).encrypted ? 'https' : 'http'} ${req.url}`));
    server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      upgrades.push({ url: req.url ?? '', encrypted: (socket as Socket & { encrypted?: boolean }).encrypted === true });
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    serveTlsOnSamePort(server, { caDir });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    ca = await waitForFile(path.join(caDir, 'ca.pem'));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('hands plain connections over as they came and TLS ones after the handshake', async () => {
    expect((await get(`http://127.0.0.1:${port}/a`)).body).toBe('http /a');
    expect((await get(`https://127.0.0.1:${port}/b`, { ca })).body).toBe('https /b');
  });

  it("a WebSocket upgrade over TLS reaches the server's 'upgrade' event", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
        s.write(`GET /chat HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(upgrades).toContainEqual({ url: '/chat', encrypted: true });
  });

  it('a client that sends its first bytes in pieces is still told apart', async () => {
    const s = netConnect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('GE');
    await new Promise((r) => setTimeout(r, 30));
    s.write('T /pieces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await new Promise<string>((r) => {
      let t = '';
      s.on('data', (d) => (t += d.toString()));
      s.on('close', () => r(t));
    });
    expect(text).toMatch(/^HTTP\/1\.1 200 [\s\S]*http \/pieces$/);
  });
});

describe('a gateway without a config folder', () => {
  it('serves https with a CA of its own, made at the first TLS connection', async () => {
    const gw = await startGateway({
      invoker: new FakeInvoker({ hello: () => ({ statusCode: 200, body: 'hi' }) }),
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      initialConfig: { routing: routingOf([['GET', '/hello', 'hello']], { ServerlessRestApi: apiOf('rest') }), functions: functionsOf('hello') },
    });
    try {
      const answer = await new Promise<{ status: number; issuer: string }>((resolve, reject) => {
        const req = httpsRequest(`${gw.url.replace('http:', 'https:')}/hello`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, issuer: String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().issuer.CN) });
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer).toEqual({ status: 200, issuer: 'esb local CA' });
    } finally {
      await gw.close();
    }
  });

  it('with tls: false, a TLS client gets no handshake', async () => {
    const gw = await startGateway({ invoker: new FakeInvoker({}), host: '127.0.0.1', port: 0, log: memoryLogger().log, tls: false });
    try {
      await expect(get(`${gw.url.replace('http:', 'https:')}/health`)).rejects.toBeDefined();
      expect((await get(`${gw.url}/health`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('closing', () => {
  it('closes idle TLS connections, ones mid-handshake and ones that sent nothing yet; a request in flight finishes', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const gw = await startGateway({
      invoker: new FakeInvoker({
        hello: () => ({ statusCode: 200, body: 'hi' }),
        slow: async () => {
          await held;
          return { statusCode: 200, body: 'drained' };
        },
      }),
      host: '127.0.0.1',
      port: 0,
      log: memoryLogger().log,
      tls: { caDir },
      initialConfig: { routing: routingOf([['GET', '/hello', 'hello'], ['GET', '/slow', 'slow']], { ServerlessRestApi: apiOf('rest') }), functions: functionsOf('hello', 'slow') },
    });
    const port = Number(new URL(gw.url).port);
    const ca = await waitForFile(path.join(caDir, 'ca.pem'));
    // Idle after a request, over TLS.
    const agent = new HttpsAgent({ keepAlive: true, ca });
    expect((await get(`https://127.0.0.1:${port}/hello`, { agent })).status).toBe(200);
    const idleTls = [...Object.values(agent.freeSockets)].flat()[0] as Socket;
    expect(idleTls).toBeDefined();
    // Undecided: connected, nothing sent.
    const silent = netConnect(port, '127.0.0.1');
    await new Promise((r) => silent.once('connect', r));
    // Mid-handshake: the first byte of a TLS record, then nothing.
    const halfway = netConnect(port, '127.0.0.1');
    await new Promise((r) => halfway.once('connect', r));
    halfway.write(Buffer.from([0x16, 0x03, 0x01]));
    for (const s of [silent, halfway]) s.on('error', () => {});
    // In flight over TLS.
    const slow = get(`https://127.0.0.1:${port}/slow`, { ca });
    await new Promise((r) => setTimeout(r, 100));

    const t0 = Date.now();
    const closed = gw.close();
    await Promise.all([waitClosed(idleTls), waitClosed(silent), waitClosed(halfway)]);
    release();
    expect(await slow).toMatchObject({ status: 200, body: 'drained' });
    await closed;
    expect(Date.now() - t0).toBeLessThan(5_000);
    agent.destroy();
  });
});

async function waitForFile(file: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`${file} did not appear`);
}
