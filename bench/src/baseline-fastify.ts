// The throughput baseline: a bare fastify "hello" (no logging, one route). The gateway bench
// compares requests/s against it. Run alone: node --conditions=esb-source --import tsx bench/src/baseline-fastify.ts [port]
import Fastify, { type FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';

export async function startBaseline(port = 0, host = '127.0.0.1'): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.get('/hello/:name', async () => 'hello');
  const url = await app.listen({ port, host });
  return { app, url };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startBaseline(Number(process.argv[2] ?? 0));
  process.stdout.write(`READY ${url}\n`);
  process.send?.({ ready: url });
  process.on('message', (m: { rss?: boolean }) => m.rss && process.send?.({ rss: process.memoryUsage().rss }));
}
