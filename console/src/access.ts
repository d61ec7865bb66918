// Who may open the console (docs/console.md): clients on the loopback interface, asking for a
// loopback host name (so a DNS-rebound page cannot read it), or anyone presenting the token set
// with ESB_CONSOLE_TOKEN (as `?token=`, once, then a cookie; or `Authorization: Bearer`).
import { timingSafeEqual } from 'node:crypto';

export const TOKEN_COOKIE = 'esb_console_token';

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || isLoopbackAddress(host);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export type AccessDecision = { ok: true; setCookie?: string } | { ok: false; reason: string };

export interface AccessRequest {
  remoteAddress?: string;
  host?: string;
  cookie?: string;
  authorization?: string;
  /** The `token` query parameter, if any. */
  queryToken?: string;
}

export function decideAccess(req: AccessRequest, token: string | undefined): AccessDecision {
  if (token) {
    const bearer = req.authorization?.startsWith('Bearer ') ? req.authorization.slice(7) : undefined;
    if (req.queryToken !== undefined && sameSecret(req.queryToken, token)) {
      return { ok: true, setCookie: `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/_esb; HttpOnly; SameSite=Strict` };
    }
    const given = bearer ?? cookieValue(req.cookie, TOKEN_COOKIE);
    if (given !== undefined && sameSecret(given, token)) return { ok: true };
  }
  if (isLoopbackAddress(req.remoteAddress) && isLoopbackHost(req.host)) return { ok: true };
  return {
    ok: false,
    reason: token
      ? 'the esb console needs its token (open /_esb/?token=<ESB_CONSOLE_TOKEN>)'
      : 'the esb console answers loopback clients only (set ESB_CONSOLE_TOKEN to open it to others with a token)',
  };
}
