// Who may call the Lambda Invoke API (docs/security.md, "The Lambda Invoke API"): anyone on a
// loopback listener; beyond loopback, requests signed with Signature Version 4 by a configured
// access key (as the AWS SDKs sign), or carrying a configured bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { NodeSha256 } from '@esb/contracts';
import { SignatureV4 } from '@smithy/signature-v4';

export interface InvokeApiAccess {
  /** No credentials needed (the gateway listens on loopback only). */
  open: boolean;
  /** Access key id -> secret access key, for SigV4-signed requests. */
  accessKeys: ReadonlyMap<string, string>;
  /** Bearer tokens (`Authorization: Bearer <token>`). */
  tokens: ReadonlySet<string>;
}

export const OPEN_INVOKE_API: InvokeApiAccess = { open: true, accessKeys: new Map(), tokens: new Set() };

export type InvokeAuthVerdict = { ok: true; principal?: string } | { ok: false; status: number; type: string; message: string };

export interface SignedRequest {
  method: string;
  /** The request target as received (path and query, still percent-encoded). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** How far X-Amz-Date may be from the gateway's clock, as AWS allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** True for host settings that only loopback clients reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

export { NodeSha256 };

const deny = (status: number, type: string, message: string): InvokeAuthVerdict => ({ ok: false, status, type, message });
const MISSING = deny(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
const BAD_SIGNATURE = deny(
  403,
  'InvalidSignatureException',
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
);
const UNKNOWN_KEY = deny(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** 20240102T030405Z -> Date, or undefined. */
export function parseAmzDate(v: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v ?? '');
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Decides whether a request may use the Invoke API. */
export async function authorizeInvoke(access: InvokeApiAccess, req: SignedRequest, nowMs: number): Promise<InvokeAuthVerdict> {
  if (access.open) return { ok: true };
  const auth = header(req.headers, 'authorization');
  if (!auth) return MISSING;
  if (/^bearer\s/i.test(auth)) {
    const token = auth.replace(/^bearer\s+/i, '').trim();
    for (const t of access.tokens) if (sameSecret(t, token)) return { ok: true, principal: 'token' };
    return UNKNOWN_KEY;
  }
  if (auth.startsWith('AWS4-HMAC-SHA256 ')) return verifySigV4(access, req, auth, nowMs);
  return deny(400, 'IncompleteSignatureException', 'Authorization header requires AWS4-HMAC-SHA256 or Bearer');
}

/**
 * A function URL with AuthType AWS_IAM (docs/gateway.md, "Function URLs"; service lambda), or an
 * API route with AWS_IAM authorization (docs/security.md "IAM authorization"; service
 * execute-api): the request must be signed (SigV4). The signature is checked against the
 * configured keys and the functions' own credentials; on a loopback listener, a signature by a
 * key esb does not know (the caller's own profile) is let through, as the Invoke API is open
 * there. `principal` is the signing access key.
 */
export async function authorizeSignedUrl(access: InvokeApiAccess, req: SignedRequest, nowMs: number, service = 'lambda'): Promise<InvokeAuthVerdict> {
  const auth = header(req.headers, 'authorization');
  if (!auth?.startsWith('AWS4-HMAC-SHA256 ')) return MISSING;
  const keyId = /Credential=([^/,\s]+)\//.exec(auth)?.[1];
  if (access.open && (keyId === undefined || !access.accessKeys.has(keyId))) return { ok: true, ...(keyId ? { principal: keyId } : {}) };
  return verifySigV4(access, req, auth, nowMs, service);
}

/**
 * A WebSocket API's Management API (docs/gateway.md, "WebSocket APIs"): the same access as the
 * Invoke API, with requests signed for the service `execute-api`, as the SDKs sign them; the
 * same for other gateway calls signed for another service (AppSync's publish: `appsync`).
 */
export async function authorizeManagementCall(access: InvokeApiAccess, req: SignedRequest, nowMs: number, service = 'execute-api'): Promise<InvokeAuthVerdict> {
  if (access.open) return { ok: true };
  const auth = header(req.headers, 'authorization');
  if (auth?.startsWith('AWS4-HMAC-SHA256 ')) return verifySigV4(access, req, auth, nowMs, service);
  return authorizeInvoke(access, req, nowMs);
}

async function verifySigV4(access: InvokeApiAccess, req: SignedRequest, auth: string, nowMs: number, expectedService = 'lambda'): Promise<InvokeAuthVerdict> {
  const fields: Record<string, string> = {};
  for (const part of auth.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const credential = fields.Credential?.split('/');
  const signedHeaders = fields.SignedHeaders?.split(';');
  const signature = fields.Signature;
  if (!credential || credential.length !== 5 || credential[4] !== 'aws4_request' || !signedHeaders?.length || !signature) {
    return deny(400, 'IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature');
  }
  const [accessKeyId, day, region, service] = credential as [string, string, string, string];
  const secret = access.accessKeys.get(accessKeyId);
  if (secret === undefined) return UNKNOWN_KEY;
  if (service !== expectedService) return deny(403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${expectedService}'.`);
  if (!signedHeaders.includes('host')) return deny(403, 'InvalidSignatureException', "'Host' must be a signed header.");
  const date = parseAmzDate(header(req.headers, 'x-amz-date'));
  if (!date || !signedHeaders.includes('x-amz-date')) return deny(400, 'IncompleteSignatureException', 'a signed X-Amz-Date header is required');
  if (Math.abs(date.getTime() - nowMs) > MAX_CLOCK_SKEW_MS) return deny(403, 'InvalidSignatureException', 'Signature expired: the X-Amz-Date is more than 15 minutes from the server time.');
  if (!date.toISOString().replace(/-/g, '').startsWith(day)) return BAD_SIGNATURE;

  // The body must be the one signed for: a declared payload hash is checked, never trusted.
  const declared = header(req.headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== createHash('sha256').update(req.body).digest('hex')) return BAD_SIGNATURE;

  const q = req.url.indexOf('?');
  const pathPart = q < 0 ? req.url : req.url.slice(0, q);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const v = header(req.headers, name);
    if (v === undefined) return BAD_SIGNATURE;
    headers[name] = v;
  }
  // Recompute the signature (canonical request, string to sign, signing key) with the AWS
  // SDK's own signer over exactly the headers the client signed. The path goes in as received:
  // the SDK signs the path it sends, encoded, and the signer encodes it once more on both sides.
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret, sessionToken: header(req.headers, 'x-amz-security-token') },
    region,
    service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  let expected: string | undefined;
  try {
    const signed = await signer.sign(
      { method: req.method, protocol: 'http:', hostname: headers.host!, path: pathPart, query, headers, body: req.body },
      { signingDate: date, signingRegion: region, signingService: service, signableHeaders: new Set(signedHeaders) },
    );
    expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
  } catch {
    return BAD_SIGNATURE;
  }
  if (!expected || !sameSecret(expected, signature)) return BAD_SIGNATURE;
  return { ok: true, principal: accessKeyId };
}
