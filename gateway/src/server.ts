// Listens: buildGateway + app.listen. Separate from app.ts so tests can use app.inject.
import { buildGateway, type Gateway, type GatewayOptions } from './app.js';

export interface StartOptions extends GatewayOptions {
  host?: string;
  port?: number;
}

export interface RunningGateway extends Gateway {
  /** The address it listens on, e.g. http://127.0.0.1:3000 */
  url: string;
}

export async function startGateway(opts: StartOptions): Promise<RunningGateway> {
  const gw = await buildGateway(opts);
  try {
    const url = await gw.app.listen({ host: opts.host ?? '0.0.0.0', port: opts.port ?? 3000 });
    return { ...gw, url };
  } catch (err) {
    await gw.close();
    throw err;
  }
}

