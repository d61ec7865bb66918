// The controller's operations endpoint (docs/kube.md "Probes and metrics"): /healthz (the
// process answers: liveness), /readyz (its source is listing/watching, or it waits as a
// leader-election standby: readiness), /metrics (Prometheus text format, prom-client).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isTerminalReason } from '@esb/contracts';
import type { ReconcileResult, Reconciler, Request } from '../reconcile/types.js';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({ name: 'esb_controller_reconcile_total', help: 'Reconciles by result (success, error: retried with backoff, terminal: waits for a change).', labelNames: ['result'] as const, registers: [this.registry] });
  readonly duration = new Histogram({ name: 'esb_controller_reconcile_duration_seconds', help: 'Time per reconcile.', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [this.registry] });
  readonly leader = new Gauge({ name: 'esb_controller_leader', help: '1 while this replica holds the leader Lease (or runs without leader election).', registers: [this.registry] });
  readonly events = new Counter({ name: 'esb_controller_watch_events_total', help: 'Keys enqueued by the source.', registers: [this.registry] });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'esb_controller_' });
    for (const result of ['success', 'error', 'terminal']) this.reconciles.inc({ result }, 0);
  }

  /** The reconciler with every call counted and timed. */
  wrap(inner: Reconciler): Reconciler {
    return {
      reconcile: async (request: Request, signal: AbortSignal): Promise<ReconcileResult> => {
        const end = this.duration.startTimer();
        try {
          const out = await inner.reconcile(request, signal);
          this.reconciles.inc({ result: 'success' });
          return out;
        } catch (error) {
          this.reconciles.inc({ result: isTerminalReason((error as { conditionReason?: string }).conditionReason ?? '') ? 'terminal' : 'error' });
          throw error;
        } finally {
          end();
        }
      },
    };
  }
}

export interface HealthServerOptions {
  host?: string;
  port: number;
  metrics: ControllerMetrics;
  /** Why the controller is not ready, or undefined when it is. */
  notReady(): string | undefined;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    if (url === '/healthz' || url === '/livez') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (url === '/readyz') {
      const why = opts.notReady();
      return void res.writeHead(why ? 503 : 200, { 'content-type': 'text/plain' }).end(why ? `not ready: ${why}\n` : 'ok\n');
    }
    if (url === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(`${error.message}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /healthz, /readyz, /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
