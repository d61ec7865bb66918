// Listens: buildGateway + app.listen. Separate from app.ts so tests can use app.inject.
import { buildGateway, type Gateway, type GatewayOptions } from './app.js';
import { isLoopbackHost } from './invoke-auth.js';

export interface StartOptions extends GatewayOptions {
  host?: string;
  port?: number;
}

export interface RunningGateway extends Gateway {
  /** The address it listens on, e.g. http://127.0.0.1:3000 */
  url: string;
}

export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const host = opts.host ?? '0.0.0.0';
  // Beyond loopback the Invoke API needs credentials, and has none unless given (docs/security.md).
  const invokeApi = opts.invokeApi ?? { open: isLoopbackHost(host), accessKeys: new Map(), tokens: new Set() };
  const gw = await buildGateway({ ...opts, invokeApi });
  try {
    const url = await gw.app.listen({ host, port: opts.port ?? 3000 });
    return { ...gw, url };
  } catch (err) {
    await gw.close();
    throw err;
  }
}

/**
 * CONFIG_RELOAD_INTERVAL: a duration with a unit (`500ms`, `2s`) or a bare number: seconds up
 * to 60 (`1`, `0.5`, as the seed writes it), milliseconds above (`1000`, as `esb agent` reads
 * it). Default 1 s, minimum 0.5 s.
 */
export function parseReloadInterval(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(value);
  if (!m) throw new Error(`CONFIG_RELOAD_INTERVAL: "${value}" is not a duration (e.g. 1, 0.5, 500ms, 2s)`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' || (m[2] === undefined && n > 60) ? n : n * 1000;
  return Math.max(500, ms);
}
