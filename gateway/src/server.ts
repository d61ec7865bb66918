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
  const gw = await buildGateway({ ...opts, invokeApi, acceptUnverifiedCognito: opts.acceptUnverifiedCognito ?? isLoopbackHost(host) });
  try {
    const url = await gw.app.listen({ host, port: opts.port ?? 3000 });
    return { ...gw, url };
  } catch (err) {
    await gw.close();
    throw err;
  }
}

