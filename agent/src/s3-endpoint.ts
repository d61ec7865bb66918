// The S3 endpoint functions get, as an IP address (docs/agent.md, "The S3 endpoint as an address").
// The AWS SDKs (JS v3, boto3) address a bucket as a host name under the endpoint's
// (virtual-hosted style: `<bucket>.s3-storage`, `<bucket>.esb-storage.esb-system.svc`), which no
// function resolves, unless the endpoint is an IP address: then they put the bucket in the path.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';

/** The host of `url` (brackets of an IPv6 literal removed), or undefined when it is no URL. */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** `url` with its host replaced by `address` (an IP address), the rest as it was. */
export function withHost(url: string, address: string): string {
  const u = new URL(url);
  u.hostname = isIP(address) === 6 ? `[${address}]` : address;
  const out = u.toString();
  // URL adds a "/" to a bare origin: keep the value's own form.
  return out.endsWith('/') && !url.endsWith('/') && u.pathname === '/' ? out.slice(0, -1) : out;
}

export type NameLookup = (name: string) => Promise<string | undefined>;

/**
 * The endpoint with a host name replaced by the address it resolves to here (the agent runs beside
 * the storage: compose's network, the cluster's DNS); loopback and addresses stay as they are.
 */
export async function s3EndpointByAddress(endpoint: string, resolve: NameLookup): Promise<string> {
  const host = hostOf(endpoint);
  if (!host || isIP(host) || isLoopback(host)) return endpoint;
  const address = await resolve(host);
  return address ? withHost(endpoint, address) : endpoint;
}

/** A lookup that asks DNS at most once a minute per name (a service's address changes only when it is recreated). */
export function cachedNameLookup(log: Logger | undefined, ask: (name: string) => Promise<string> = async (name) => (await lookup(name, { family: 4 })).address): NameLookup {
  const known = new Map<string, { address: string | undefined; at: number }>();
  return async (name) => {
    const hit = known.get(name);
    if (hit && Date.now() - hit.at < 60_000) return hit.address;
    const address = await ask(name).catch((err: unknown) => {
      log?.warn({ host: name, err: String(err) }, 'the S3 endpoint does not resolve here: functions get it by name (their S3 clients then need path-style addressing)');
      return undefined;
    });
    known.set(name, { address, at: Date.now() });
    return address;
  };
}
