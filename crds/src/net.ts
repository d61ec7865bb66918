import { createServer } from 'node:net';

/** A TCP port free right now on `host` (for servers whose URL must be known before they listen). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}
