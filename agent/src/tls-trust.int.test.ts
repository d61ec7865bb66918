// Functions trust esb's local CA (docs/gateway.md, "HTTPS on the same port"): real Node and Python
// instances of the process runtime (spares included; as other users when this runs as root) call
// an https server whose certificate the CA signed, with no CA in their code.
import { ensureLocalCa, FunctionsFile, serverCertificate } from '@esb/contracts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from './agent.js';
import { DEFAULT_FUNCTION_UIDS } from './isolation.js';

const isRoot = process.getuid?.() === 0;

describe('instances trust the local CA', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'esb-trust-')); // 0700: isolated instances read copies
  const caDir = path.join(root, 'tls');
  const code = path.join(root, 'code');
  let server: Server;
  let agent: Agent;
  let url: string;

  beforeAll(async () => {
    const leaf = await serverCertificate(await ensureLocalCa(caDir), ['localhost', '127.0.0.1']);
    server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (_req, res) => res.end('trusted'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    rmSync(code, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(code, { recursive: true });
    writeFileSync(
      path.join(code, 'index.mjs'),
      `import { get } from 'node:https';
export const handler = () => new Promise((resolve) => {
  get(process.env.TARGET, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve({ body: b, ca: process.env.NODE_EXTRA_CA_CERTS })); })
    .on('error', (err) => resolve({ error: err.code ?? err.message, ca: process.env.NODE_EXTRA_CA_CERTS }));
});
`,
    );
    writeFileSync(
      path.join(code, 'app.py'),
      `import os, ssl, urllib.request
def handler(event, context):
    ctx = ssl.create_default_context(cafile=os.environ['REQUESTS_CA_BUNDLE'])
    body = urllib.request.urlopen(os.environ['TARGET'], context=ctx, timeout=10).read().decode()
    return {'body': body, 'bundle': os.environ['AWS_CA_BUNDLE']}
`,
    );
    agent = await createAgent({
      runtime: 'process',
      logDir: path.join(root, 'logs'),
      log: pino({ level: 'silent' }),
      functionUsers: isRoot ? { kind: 'range', ...DEFAULT_FUNCTION_UIDS } : { kind: 'none' },
      tls: { caDir },
    });
    const fn = (extra: Record<string, unknown>) => ({ code, memory_size: 256, environment: { TARGET: url }, ...extra });
    await agent.setFunctions(
      FunctionsFile.parse({
        defaults: { scaling: {} },
        functions: {
          node: fn({ runtime: 'nodejs20.x', handler: 'index.handler' }),
          py: fn({ runtime: 'python3.11', handler: 'app.handler' }),
          own: fn({ runtime: 'nodejs20.x', handler: 'index.handler', environment: { TARGET: url, NODE_EXTRA_CA_CERTS: '/nowhere.pem' } }),
        },
      }),
    );
  });
  afterAll(async () => {
    await agent?.close();
    server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const call = async (name: string) => {
    const r = await agent.invoke(name, Buffer.from('{}'));
    expect(r.error).toBeUndefined();
    return JSON.parse(r.payload.toString('utf8')) as Record<string, string>;
  };

  it('Node (NODE_EXTRA_CA_CERTS), on a spare runtime and on one of its own', async () => {
    for (let i = 0; i < 2; i++) {
      const out = await call('node');
      expect(out.body).toBe('trusted');
      expect(out.ca).toMatch(/ca\.pem$/);
      if (isRoot) expect(out.ca.startsWith(caDir)).toBe(false); // a copy its user can read
    }
  });

  it.runIf(process.platform === 'linux')('Python (REQUESTS_CA_BUNDLE / AWS_CA_BUNDLE: the CA and the machine roots)', async () => {
    const out = await call('py');
    expect(out.body).toBe('trusted');
    expect(out.bundle).toMatch(/ca-bundle\.pem$/);
  });

  it("a function's own NODE_EXTRA_CA_CERTS wins (and then the CA is not trusted)", async () => {
    const out = await call('own');
    expect(out.ca).toBe('/nowhere.pem');
    expect(out.error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});
