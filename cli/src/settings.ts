// Gateway security settings: API keys and JWKS locations, from esb's global settings
// (~/.esb/config.yaml: `api_keys: [...]`, `jwks: {<issuer>: <url or file>}`) and the
// environment (ESB_API_KEYS="k1,k2", ESB_JWKS="<issuer>=<url or file>,...").
import os from 'node:os';
import { readGlobalConfig } from '@esb/deploy';

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
