// HTTPS on the gateway's own port (docs/gateway.md, "HTTPS on the same port"): functions call the
// API Gateway Management API over https, and that must reach this port unchanged. Each
// connection's first byte tells: 0x16 (a TLS handshake record) goes through a server-side TLS
// handshake, and the secure socket is handed to the same node:http server (routes, fastify,
// 'upgrade' alike); anything else goes to it as it came. The http server keeps listening and closing as fastify
// drives it: only its 'connection' listeners are moved behind the sniff.
import { ensureLocalCa, firstBytesSniffer, serverCertificate } from '@esb/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';

/** The first byte of a TLS connection: a handshake record (ClientHello). */
const TLS_HANDSHAKE = 0x16;
const HANDSHAKE_TIMEOUT_MS = 60_000;

/** Names every gateway certificate carries: loopback, this machine, and how compose, kind and containers reach the gateway. */
export const GATEWAY_CERT_NAMES = [
  'localhost',
  '*.localhost',
  // A wildcard covers one label: function URLs and load balancers have their own.
  '*.lambda-url.localhost',
  '*.elb.localhost',
  '127.0.0.1',
  '::1',
  'gateway',
  'esb-gateway',
  'esb-gateway.esb-system.svc',
  'esb-gateway.esb-system.svc.cluster.local',
  'host.docker.internal',
] as const;

export interface TlsFrontOptions {
  /** Where the local CA lives (created there when missing). */
  caDir: string;
  /** More names for the certificate (DNS names or IP addresses). */
  extraNames?: string[];
}

/** The certificate's names: the fixed ones, this machine's host name and every local address, then `extra`. */
export function gatewayCertificateNames(extra: readonly string[] = []): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return [...new Set([...GATEWAY_CERT_NAMES, hostname(), ...addresses, ...extra].filter(Boolean))];
}

/** A CA of the process's own, made at the first TLS connection and kept in memory only (nobody outside could trust it anyway). */
export const TEMPORARY_CA = 'temporary';

/** The front's options from GatewayOptions.tls: off with `false`, else `<configDir>/tls` by default, or a temporary CA. */
export function tlsFrontOptions(tls: TlsFrontOptions | false | undefined, configDir: string | undefined): TlsFrontOptions | typeof TEMPORARY_CA | undefined {
  if (tls === false) return undefined;
  return tls ?? (configDir ? { caDir: path.resolve(configDir, 'tls') } : TEMPORARY_CA);
}

/** One secure context per CA folder and names, per process: made once, shared by the gateways of the process. */
const contexts = new Map<string, Promise<SecureContext>>();
function secureContextFor(opts: TlsFrontOptions | typeof TEMPORARY_CA): Promise<SecureContext> {
  const names = gatewayCertificateNames(opts === TEMPORARY_CA ? [] : opts.extraNames);
  const key = `${opts === TEMPORARY_CA ? TEMPORARY_CA : path.resolve(opts.caDir)}\0${names.join(',')}`;
  let context = contexts.get(key);
  if (!context) {
    context = (async () => {
      const dir = opts === TEMPORARY_CA ? await mkdtemp(path.join(tmpdir(), 'esb-tls-')) : opts.caDir;
      try {
        const leaf = await serverCertificate(await ensureLocalCa(dir), names);
        return createSecureContext({ key: leaf.keyPem, cert: leaf.certPem });
      } finally {
        if (opts === TEMPORARY_CA) await rm(dir, { recursive: true, force: true });
      }
    })();
    contexts.set(key, context);
    context.catch(() => contexts.delete(key));
  }
  return context;
}

/**
 * Serves TLS on `server`'s own port from the moment it listens: its 'connection' listeners then
 * (Node's HTTP handling, and any other added before listen) get each connection once its first
 * byte has told plain from TLS: the raw socket, or the TLS socket after its handshake.
 * `server.close()` also ends the connections not handed over yet (undecided, mid-handshake).
 */
export function serveTlsOnSamePort(server: HttpServer, opts: TlsFrontOptions | typeof TEMPORARY_CA, log?: Logger): void {
  let listeners: Array<(socket: Socket) => void> = [];
  const handOn = (socket: Socket) => {
    for (const l of listeners) l.call(server, socket);
  };
  const handshaking = new Set<Socket>();
  let context: SecureContext | undefined;
  let contextReady: Promise<SecureContext | undefined> | undefined;
  const prepare = () =>
    (contextReady ??= (async () => {
      const caDir = opts === TEMPORARY_CA ? undefined : opts.caDir;
      try {
        return (context = await secureContextFor(opts));
      } catch (err) {
        log?.error({ err: String(err), caDir }, `HTTPS is off on this port: the local CA${caDir ? ` in ${caDir}` : ''} could not be made or read`);
        return undefined;
      }
    })());

  const handshake = (raw: Socket, secureContext: SecureContext | undefined) => {
    if (!secureContext || raw.destroyed) return void raw.destroy();
    const s = new TLSSocket(raw, { isServer: true, secureContext });
    handshaking.add(s);
    const drop = () => s.destroy();
    s.setTimeout(HANDSHAKE_TIMEOUT_MS, drop);
    s.on('error', drop);
    s.once('close', () => handshaking.delete(s));
    s.once('secure', () => {
      s.setTimeout(0);
      s.off('timeout', drop);
      s.off('error', drop);
      if (!handshaking.delete(s)) return; // closed meanwhile
      handOn(s);
    });
  };
  const sniffer = firstBytesSniffer(
    (seen) => seen[0] === TLS_HANDSHAKE,
    (socket, isTls) => {
      if (!isTls) handOn(socket);
      else if (context) handshake(socket, context);
      else {
        // The certificate is not ready yet (the first moments after listen; a temporary CA: made now).
        handshaking.add(socket);
        const drop = () => socket.destroy();
        socket.on('error', drop);
        void prepare().then((c) => {
          socket.off('error', drop);
          if (handshaking.delete(socket)) handshake(socket, c);
        });
      }
    },
  );

  server.once('listening', () => {
    listeners = server.listeners('connection') as typeof listeners;
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => sniffer.accept(socket));
    // A CA in a known folder is there as soon as the port is (for clients to trust it).
    if (opts !== TEMPORARY_CA) void prepare();
  });

  const close = server.close;
  server.close = function (this: HttpServer, ...args: Parameters<HttpServer['close']>) {
    sniffer.destroyUndecided();
    for (const s of handshaking) s.destroy();
    handshaking.clear();
    return close.apply(this, args);
  } as HttpServer['close'];
}
