// esb's local certificate authority (docs/gateway.md, "HTTPS on the same port"): one CA per folder,
// made once and shared by the processes that use the folder (the gateway serves a leaf it signs,
// the agent hands the CA to functions), and leaf certificates signed by it, made in memory.
// EC P-256 keys; the extensions OpenSSL's strict checks ask for (Python 3.13's default).
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Extension } from '@peculiar/x509';
import { tmpPathFor, writeFileAtomic } from './files/atomic.js';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
/** The CA followed by the machine's trusted roots, for clients whose one bundle file replaces their default trust (AWS_CA_BUNDLE). */
export const CA_BUNDLE_FILE = 'ca-bundle.pem';
export const CA_SUBJECT = 'CN=esb local CA';
/** Overrides the folder of the CA (default `<config dir>/tls`). */
export const TLS_DIR_ENV = 'ESB_TLS_DIR';

const CA_YEARS = 10;
const LEAF_DAYS = 730; // within the 825 days clients accept for a server certificate
const BACKDATE_MS = 60 * 60 * 1000; // clocks of containers and hosts differ a little
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const crypto = webcrypto as unknown as Crypto;

type X509 = typeof import('@peculiar/x509');
let x509: Promise<X509> | undefined;
/** Loaded on first use (it is big, and most processes that load the contracts never make a certificate); it needs the Reflect metadata polyfill first. */
function loadX509(): Promise<X509> {
  return (x509 ??= import('reflect-metadata').then(() => import('@peculiar/x509')));
}

export interface LocalCa {
  certPem: string;
  keyPem: string;
  /** `<dir>/ca.pem` */
  certPath: string;
  /** `<dir>/ca-bundle.pem` */
  bundlePath: string;
}

/** The CA's folder: `$ESB_TLS_DIR` of `env` (the CLI's), else `<configDir>/tls`, else none. */
export function localCaDir(configDir: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const fromEnv = env[TLS_DIR_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  return configDir ? path.resolve(configDir, 'tls') : undefined;
}

/**
 * The CA of `dir`, made when it has none. Safe when several processes start together: the key is
 * published first, then the certificate, each written to a temporary file and then hard-linked
 * into place, which fails when the name exists (no clobbering), so every process ends up with the
 * one pair on disk and `ca.pem` only ever names a complete certificate of a complete key. A key
 * without a certificate (its writer died in between) gets one from whoever comes next.
 */
export async function ensureLocalCa(dir: string): Promise<LocalCa> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const certPath = path.join(dir, CA_CERT_FILE);
  const keyPath = path.join(dir, CA_KEY_FILE);
  let keyPem = await readIfExists(keyPath);
  if (keyPem === undefined) {
    const made = await newCa();
    if (await publish(keyPath, made.keyPem, 0o600)) {
      await publish(certPath, made.certPem, 0o644);
    }
    keyPem = await readFile(keyPath, 'utf8');
  }
  let certPem = await readIfExists(certPath);
  if (certPem === undefined) {
    await publish(certPath, await caCertificateFor(keyPem), 0o644);
    certPem = await readFile(certPath, 'utf8');
  }
  checkPair(dir, certPem, keyPem);
  const bundlePath = path.join(dir, CA_BUNDLE_FILE);
  await writeBundle(bundlePath, certPem);
  return { certPem, keyPem, certPath, bundlePath };
}

/**
 * A server certificate signed by `ca` for `names` (DNS names and IP addresses, told apart), valid
 * for two years from an hour ago. Made in memory, never stored.
 */
export async function serverCertificate(ca: Pick<LocalCa, 'certPem' | 'keyPem'>, names: readonly string[]): Promise<{ certPem: string; keyPem: string }> {
  const { AuthorityKeyIdentifierExtension, BasicConstraintsExtension, ExtendedKeyUsage, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, SubjectAlternativeNameExtension, SubjectKeyIdentifierExtension, X509Certificate, X509CertificateGenerator } = await loadX509();
  const caCert = new X509Certificate(ca.certPem);
  const caKey = await importKey(ca.keyPem);
  const keys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const unique = [...new Set(names.map((n) => n.trim()).filter((n) => n.length > 0))];
  const altNames: Array<{ type: 'ip' | 'dns'; value: string }> = [];
  for (const n of unique) {
    if (isIP(n)) altNames.push({ type: 'ip', value: n });
    else if (validDnsName(n)) altNames.push({ type: 'dns', value: n.toLowerCase() });
  }
  const dns = altNames.find((a) => a.type === 'dns');
  const ski = caCert.getExtension(SubjectKeyIdentifierExtension);
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${dns?.value ?? 'esb'}`,
      issuer: caCert.subjectName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + LEAF_DAYS * 86_400_000),
      signingAlgorithm: SIGN,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension(altNames),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        ski ? new AuthorityKeyIdentifierExtension(ski.keyId) : await AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKey(keys.privateKey) };
}

async function newCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await crypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const keyPem = await exportKey(keys.privateKey);
  return { keyPem, certPem: await caCertificate(keys) };
}

/** A CA certificate for an existing key (its writer published the key and died before the certificate). */
async function caCertificateFor(keyPem: string): Promise<string> {
  const privateKey = await importKey(keyPem);
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const publicKey = await crypto.subtle.importKey('spki', spki, EC, true, ['verify']);
  return caCertificate({ privateKey, publicKey });
}

async function caCertificate(keys: CryptoKeyPair): Promise<string> {
  const { AuthorityKeyIdentifierExtension, BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, SubjectKeyIdentifierExtension, X509CertificateGenerator } = await loadX509();
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const extensions: Extension[] = [
    new BasicConstraintsExtension(true, 0, true),
    new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
    await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    await AuthorityKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  const cert = await X509CertificateGenerator.createSelfSigned({ serialNumber: serial(), name: CA_SUBJECT, notBefore, notAfter, signingAlgorithm: SIGN, keys, extensions }, crypto);
  return cert.toString('pem') + '\n';
}

/**
 * Puts `content` at `file` unless the name exists: a complete temporary file, hard-linked into
 * place (link fails with EEXIST rather than replace). True when this call put it there.
 */
async function publish(file: string, content: string, mode: number): Promise<boolean> {
  const tmp = tmpPathFor(file);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode); // whatever the umask
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The certificate must be a CA for the key beside it (a hand-placed pair that does not match is an error, not replaced). */
function checkPair(dir: string, certPem: string, keyPem: string): void {
  let ok = false;
  try {
    const cert = new NodeX509Certificate(certPem);
    ok = cert.ca && cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new Error(`${dir}: ${CA_CERT_FILE} or ${CA_KEY_FILE} cannot be read (${(err as Error).message}); remove both to get a new CA`);
  }
  if (!ok) throw new Error(`${dir}: ${CA_CERT_FILE} is not a CA certificate of ${CA_KEY_FILE}; remove both to get a new CA`);
}

/** `<dir>/ca-bundle.pem`: the CA, then the machine's bundle (when there is one); rewritten only when it changes. */
async function writeBundle(bundlePath: string, certPem: string): Promise<void> {
  let system = '';
  for (const p of SYSTEM_BUNDLES) {
    const text = await readFile(p, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      system = text;
      break;
    }
  }
  const content = system ? `${certPem.trimEnd()}\n${system.endsWith('\n') ? system : `${system}\n`}` : certPem;
  if ((await readIfExists(bundlePath)) === content) return;
  await writeFileAtomic(bundlePath, content, { durable: false });
  await chmod(bundlePath, 0o644).catch(() => {});
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  b[0] |= 0x01; // no leading zero byte
  return b.toString('hex');
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return crypto.subtle.importKey('pkcs8', der, EC, true, ['sign']);
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** A DNS name a certificate can carry: labels of letters, digits and '-', a leading '*.' allowed. */
function validDnsName(n: string): boolean {
  return n.length <= 253 && /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(n);
}
