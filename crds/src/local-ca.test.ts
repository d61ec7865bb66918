// esb's local CA: made once per folder whoever comes first, leaves that Node's TLS verifies.
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CA_BUNDLE_FILE, CA_CERT_FILE, CA_KEY_FILE, ensureLocalCa, localCaDir, serverCertificate } from './local-ca.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'esb-ca-test-'));
  dirs.push(d);
  return path.join(d, 'tls');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Connects to a TLS server that serves `leaf`, trusting only `caPem`; resolves with what the client saw. */
async function handshake(leaf: { certPem: string; keyPem: string }, caPem: string, target: { host: string; servername?: string }): Promise<{ authorized: boolean; error?: string }> {
  const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, target.host === '::1' ? '::1' : '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const s = connect({ host: target.host, port, ca: caPem, servername: target.servername }, () => {
        resolve({ authorized: s.authorized });
        s.destroy();
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve({ authorized: false, error: err.code ?? err.message }));
    });
  } finally {
    server.close();
  }
}

describe('ensureLocalCa', () => {
  it('makes ca.pem, ca-key.pem (0600) and ca-bundle.pem once, and gives the same CA every time after', async () => {
    const dir = newDir();
    const a = await ensureLocalCa(dir);
    expect(a.certPath).toBe(path.join(dir, CA_CERT_FILE));
    expect(a.bundlePath).toBe(path.join(dir, CA_BUNDLE_FILE));
    expect(statSync(path.join(dir, CA_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(a.certPath).mode & 0o777).toBe(0o644);
    const cert = new X509Certificate(a.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=esb local CA');
    expect(cert.issuer).toBe('CN=esb local CA');
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(readFileSync(a.certPath, 'utf8')).toBe(a.certPem);

    const b = await ensureLocalCa(dir);
    expect(b.certPem).toBe(a.certPem);
    expect(b.keyPem).toBe(a.keyPem);
    // Only the three files (temporary files are gone).
    expect(readdirSync(dir).sort()).toEqual([CA_BUNDLE_FILE, CA_KEY_FILE, CA_CERT_FILE].sort());
  });

  it("ca-bundle.pem is the CA followed by the machine's roots", async () => {
    const a = await ensureLocalCa(newDir());
    const bundle = readFileSync(a.bundlePath, 'utf8');
    expect(bundle.startsWith(a.certPem.trimEnd())).toBe(true);
    const system = '/etc/ssl/certs/ca-certificates.crt';
    if (existsSync(system)) expect(bundle.length).toBeGreaterThan(readFileSync(system, 'utf8').length);
  });

  it('yields one CA when several processes make it at the same time', async () => {
    const dir = newDir();
    const go = path.join(path.dirname(dir), 'go');
    const script = path.join(path.dirname(dir), 'make.mts');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';
import { ensureLocalCa } from ${JSON.stringify(path.join(HERE, 'local-ca.ts'))};
process.stdout.write('ready\\n');
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
const ca = await ensureLocalCa(${JSON.stringify(dir)});
process.stdout.write(JSON.stringify(ca) + '\\n');
`,
    );
    // Loaded and waiting before any starts, so that they race.
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const outputs = children.map(
      (c) =>
        new Promise<string[]>((resolve, reject) => {
          let text = '';
          c.stdout.on('data', (d: Buffer) => (text += d.toString()));
          c.on('exit', (code) => (code === 0 ? resolve(text.trim().split('\n')) : reject(new Error(`exit ${code}`))));
        }),
    );
    await Promise.all(children.map((c) => new Promise<void>((r) => c.stdout.once('data', () => r()))));
    writeFileSync(go, '');
    const cas = (await Promise.all(outputs)).map((lines) => JSON.parse(lines[lines.length - 1]) as { certPem: string; keyPem: string });
    const onDisk = readFileSync(path.join(dir, CA_CERT_FILE), 'utf8');
    for (const ca of cas) {
      expect(ca.certPem).toBe(onDisk);
      expect(ca.keyPem).toBe(readFileSync(path.join(dir, CA_KEY_FILE), 'utf8'));
    }
    expect(readdirSync(dir).sort()).toEqual([CA_BUNDLE_FILE, CA_KEY_FILE, CA_CERT_FILE].sort());
  }, 60_000);

  it('a key whose writer died before the certificate gets a certificate of that key', async () => {
    const dir = newDir();
    const first = await ensureLocalCa(dir);
    rmSync(path.join(dir, CA_CERT_FILE));
    const again = await ensureLocalCa(dir);
    expect(again.keyPem).toBe(first.keyPem);
    expect(new X509Certificate(again.certPem).checkPrivateKey(createPrivateKey(first.keyPem))).toBe(true);
  });

  it('refuses a certificate that is not a CA of the key beside it', async () => {
    const dir = newDir();
    await ensureLocalCa(dir);
    const other = await ensureLocalCa(newDir());
    writeFileSync(path.join(dir, CA_CERT_FILE), other.certPem);
    await expect(ensureLocalCa(dir)).rejects.toThrow(/not a CA certificate of ca-key\.pem; remove both/);
  });

  it('lives in ESB_TLS_DIR, else <config dir>/tls', () => {
    expect(localCaDir('/cfg', {})).toBe('/cfg/tls');
    expect(localCaDir('/cfg', { ESB_TLS_DIR: '/shared/tls' })).toBe('/shared/tls');
    expect(localCaDir(undefined, {})).toBeUndefined();
  });
});

describe('serverCertificate', () => {
  it('signs a leaf that Node verifies with the CA, for its DNS names and IP addresses only', async () => {
    const ca = await ensureLocalCa(newDir());
    const leaf = await serverCertificate(ca, ['localhost', '127.0.0.1', '::1', 'gateway', 'not a name', 'localhost']);
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subjectAltName?.split(', ')).toEqual(['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'DNS:gateway']);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(days).toBeLessThanOrEqual(825);
    expect(days).toBeGreaterThan(700);

    expect(await handshake(leaf, ca.certPem, { host: '127.0.0.1', servername: 'localhost' })).toEqual({ authorized: true });
    expect(await handshake(leaf, ca.certPem, { host: '127.0.0.1' })).toEqual({ authorized: true }); // the IP address itself
    expect(await handshake(leaf, ca.certPem, { host: '127.0.0.1', servername: 'gateway' })).toEqual({ authorized: true });
    // A name it does not carry, and another CA: refused.
    expect((await handshake(leaf, ca.certPem, { host: '127.0.0.1', servername: 'example.com' })).error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const other = await ensureLocalCa(newDir());
    expect((await handshake(leaf, other.certPem, { host: '127.0.0.1', servername: 'localhost' })).error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  // OpenSSL's strict checks (Python 3.13's default context): key identifiers, a critical keyUsage on the CA.
  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('passes openssl verify -x509_strict', async () => {
    const dir = newDir();
    const ca = await ensureLocalCa(dir);
    const leafPath = path.join(path.dirname(dir), 'leaf.pem');
    writeFileSync(leafPath, (await serverCertificate(ca, ['localhost'])).certPem);
    const out = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', ca.certPath, leafPath], { encoding: 'utf8' });
    expect(out.stdout + out.stderr).toContain(': OK');
    expect(out.status).toBe(0);
    const text = spawnSync('openssl', ['x509', '-in', ca.certPath, '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
  });
});
