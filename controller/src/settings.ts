// Security settings, from esb's global settings (~/.esb/config.yaml) and the environment:
// - gateway: API keys and JWKS locations (`api_keys: [...]`, `jwks: {<issuer>: <url or file>}`;
//   ESB_API_KEYS="k1,k2", ESB_JWKS="<issuer>=<url or file>,...");
// - the Lambda Invoke API beyond loopback (`invoke_api: {enabled, access_keys, tokens}`;
//   ESB_INVOKE_API=on|off, ESB_INVOKE_API_KEYS="<key id>:<secret>,...", ESB_INVOKE_API_TOKENS="t1,t2");
// - the user function processes run as (ESB_FUNCTION_USER). See docs/security.md.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { type FunctionUsers, parseFunctionUsers } from '../../agent/src/index.js';
import { type InvokeApiAccess, isLoopbackHost } from '../../gateway/src/index.js';
import { readGlobalConfig } from './layout/index.js';

export interface GatewaySecurity {
  apiKeys: () => ReadonlySet<string>;
  jwksLocations: Record<string, string>;
}

export function parseJwksSetting(value: string | undefined, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    // The issuer is a URL itself: split at the last "=".
    const eq = item.lastIndexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new Error(`${source}: "${item}" is not <issuer>=<JWKS URL or file>`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export async function gatewaySecurity(environ: Record<string, string | undefined>, home = environ.HOME ?? os.homedir()): Promise<GatewaySecurity> {
  const settings = await readGlobalConfig(home);
  const keys = new Set<string>([...settings.api_keys, ...(environ.ESB_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean)]);
  return {
    apiKeys: () => keys,
    jwksLocations: { ...settings.jwks, ...parseJwksSetting(environ.ESB_JWKS, 'ESB_JWKS') },
  };
}

/** `<key id>:<secret>,...` -> key id -> secret. */
export function parseAccessKeys(value: string | undefined, source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.indexOf(':');
    if (colon <= 0 || colon === item.length - 1) throw new Error(`${source}: "${item.slice(0, 24)}..." is not <access key id>:<secret access key>`);
    out.set(item.slice(0, colon), item.slice(colon + 1));
  }
  return out;
}

/** Credentials for the platform's own functions, fresh per start (they sign their Invoke API calls with them). */
export function newFunctionCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `ESBF${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

/**
 * Who may call the gateway's Lambda Invoke API: anyone when it listens on loopback only; beyond
 * loopback, the platform's own functions (`functionCredentials`) and, when enabled, the
 * configured access keys (SigV4) and bearer tokens.
 */
export async function invokeApiAccess(
  environ: Record<string, string | undefined>,
  host: string,
  opts: { home?: string; functionCredentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): Promise<InvokeApiAccess> {
  if (isLoopbackHost(host)) return { open: true, accessKeys: new Map(), tokens: new Set() };
  const file = (await readGlobalConfig(opts.home ?? environ.HOME ?? os.homedir())).invoke_api;
  const flag = environ.ESB_INVOKE_API?.trim().toLowerCase();
  if (flag !== undefined && flag !== '' && !['on', 'off'].includes(flag)) throw new Error(`ESB_INVOKE_API: "${environ.ESB_INVOKE_API}" is not on or off`);
  const enabled = flag === 'on' || (flag !== 'off' && file.enabled);
  const accessKeys = new Map<string, string>();
  const tokens = new Set<string>();
  if (enabled) {
    for (const [id, secret] of Object.entries(file.access_keys)) accessKeys.set(id, secret);
    for (const [id, secret] of parseAccessKeys(environ.ESB_INVOKE_API_KEYS, 'ESB_INVOKE_API_KEYS')) accessKeys.set(id, secret);
    for (const t of [...file.tokens, ...(environ.ESB_INVOKE_API_TOKENS ?? '').split(',').map((s) => s.trim()).filter(Boolean)]) {
      if (t.length < 16) throw new Error('ESB_INVOKE_API_TOKENS: a token needs at least 16 characters');
      tokens.add(t);
    }
    if (accessKeys.size === 0 && tokens.size === 0) {
      throw new Error('the Lambda Invoke API is enabled beyond loopback but no credentials are configured: set ESB_INVOKE_API_KEYS or ESB_INVOKE_API_TOKENS, or invoke_api.access_keys / invoke_api.tokens in ~/.esb/config.yaml');
    }
  }
  if (opts.functionCredentials) accessKeys.set(opts.functionCredentials.accessKeyId, opts.functionCredentials.secretAccessKey);
  return { open: false, accessKeys, tokens };
}

/** The user function processes run as: ESB_FUNCTION_USER (default auto: a uid per instance when esb runs as root). */
export function functionUsersSetting(environ: Record<string, string | undefined>): FunctionUsers {
  return parseFunctionUsers(environ.ESB_FUNCTION_USER, 'ESB_FUNCTION_USER', process.getuid?.() === 0);
}
