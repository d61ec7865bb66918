import { createServer, type Socket } from 'node:net';

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

/** A connection that sends nothing for this long is closed before it is handed on. */
export const FIRST_BYTES_TIMEOUT_MS = 60_000;

export interface FirstBytesSniffer {
  /** Reads `socket`'s first bytes until they tell where it goes, puts them back, and hands the socket on. */
  accept(socket: Socket): void;
  /** Destroys the connections still waiting for their first bytes. */
  destroyUndecided(): void;
}

/**
 * Tells connections apart by their first bytes (several protocols on one port): `decide` sees
 * what has arrived so far and returns where the connection goes, or undefined to wait for more;
 * the bytes read are unshifted before `handOff`, which so gets the socket as it came. Once per
 * connection, nothing left on the socket afterwards (listeners, timeout).
 */
export function firstBytesSniffer<T>(decide: (seen: Buffer) => T | undefined, handOff: (socket: Socket, verdict: T) => void, timeoutMs = FIRST_BYTES_TIMEOUT_MS): FirstBytesSniffer {
  const undecided = new Set<Socket>();
  return {
    accept(socket) {
      undecided.add(socket);
      const onTimeout = () => socket.destroy();
      const onError = () => socket.destroy();
      const onClose = () => undecided.delete(socket);
      socket.setTimeout(timeoutMs, onTimeout);
      socket.on('error', onError);
      socket.once('close', onClose);
      let seen: Buffer | undefined;
      const onReadable = () => {
        let chunk: Buffer | null;
        while ((chunk = socket.read() as Buffer | null) !== null) seen = seen ? Buffer.concat([seen, chunk]) : chunk;
        if (!seen) return;
        const verdict = decide(seen);
        if (verdict === undefined) return; // wait for more
        socket.off('readable', onReadable);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.setTimeout(0);
        socket.off('timeout', onTimeout);
        undecided.delete(socket);
        socket.unshift(seen);
        handOff(socket, verdict);
      };
      socket.on('readable', onReadable);
    },
    destroyUndecided() {
      for (const socket of undecided) socket.destroy();
      undecided.clear();
    },
  };
}
