// Runs the controller: a Source feeding keys to the WorkQueue, the DeploymentReconciler doing
// the work through DeploySteps. The file backend here; the kube backend in kube/.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { stagingConfigDir } from '@esb/deploy';
import { FileSource } from './filebackend/source.js';
import { FileStore } from './filebackend/store.js';
import { DeploymentReconciler, type DeploySteps } from './reconcile/deployment-reconciler.js';
import { PathWatcher, withPathWatcher, type OwnWrite } from './reconcile/path-watcher.js';
import { WorkQueue } from './reconcile/queue.js';
import type { Source, Store } from './reconcile/types.js';
import type { WorkspacePaths } from './workspace.js';
import type { ControllerMetrics } from './ops/health-server.js';

export interface RunningController {
  store: Store;
  queue: WorkQueue;
  close(): Promise<void>;
  /** Why the controller is not ready (readiness probe), or undefined. */
  notReady?(): string | undefined;
}

export interface ControllerOptions {
  paths: WorkspacePaths;
  steps: DeploySteps;
  log: Logger;
  /** CONFIG_DIR of a (project, env); default the workspace's staging folder. */
  configDirFor?(project: string, env: string): string;
  concurrency?: number;
  usePolling?: boolean;
  /** File backend: enqueue every Deployment this often (ms); default 60 s, 0 turns it off. */
  resyncMs?: number;
  /** Told after each status write (the console's live Deployments page). */
  onStatusChange?(request: { namespace: string; name: string }): void;
  /** Counts and times reconciles (the /metrics endpoint). */
  metrics?: ControllerMetrics;
}

/** The store, telling `onChange` after each status it writes. */
export function observeStatus(store: Store, onChange: (request: { namespace: string; name: string }) => void): Store {
  return {
    get: (request) => store.get(request),
    list: () => store.list(),
    patchStatus: async (request, status) => {
      await store.patchStatus(request, status);
      onChange(request);
    },
    recordEvent: store.recordEvent && ((request, type, reason, message) => store.recordEvent!(request, type, reason, message)),
    forget:
      store.forget &&
      (async (request) => {
        await store.forget!(request);
        onChange(request);
      }),
  };
}

export async function startController(
  options: ControllerOptions & {
    store: Store;
    source: Source & { watchPaths?(r: { namespace: string; name: string }, p: string[], owned?: string[]): void; noteOwnWrites?(writes: readonly OwnWrite[]): void };
    deploymentsDir?: string;
  },
): Promise<RunningController> {
  const { source, log } = options;
  const store = options.onStatusChange ? observeStatus(options.store, options.onStatusChange) : options.store;
  const configDirFor = options.configDirFor ?? ((project: string, env: string) => stagingConfigDir({ workspace: options.paths.workspace, project, env }));
  const reconciler = new DeploymentReconciler({
    store,
    steps: options.steps,
    workspace: options.paths.workspace,
    configDirFor,
    deploymentsDir: options.deploymentsDir,
    onWatchPaths: source.watchPaths ? (request, paths, owned) => source.watchPaths!(request, paths, owned) : undefined,
    onOwnWrites: source.noteOwnWrites ? (written) => source.noteOwnWrites!(written) : undefined,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
  });
  const queue = new WorkQueue(options.metrics ? options.metrics.wrap(reconciler) : reconciler, {
    concurrency: options.concurrency ?? 4,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });
  await source.start((request) => {
    options.metrics?.events.inc();
    queue.add(request);
  });
  return {
    store,
    queue,
    async close() {
      await source.stop();
      await queue.stop();
    },
  };
}

export async function startFileController(options: ControllerOptions): Promise<RunningController> {
  await mkdir(options.paths.deploymentsDir, { recursive: true });
  const store = new FileStore({ deploymentsDir: options.paths.deploymentsDir, statusDir: options.paths.statusDir, onWarning: (m) => options.log.warn(m) });
  const source = new FileSource({ store, deploymentsDir: options.paths.deploymentsDir, usePolling: options.usePolling, resyncMs: options.resyncMs, log: options.log });
  options.log.info(`watching ${options.paths.deploymentsDir} for Deployment manifests`);
  return startController({ ...options, store, source, deploymentsDir: options.paths.deploymentsDir });
}

export interface KubeControllerOptions extends ControllerOptions {
  kubeconfig?: string;
  context?: string;
  /** Namespace to watch; undefined = all. */
  namespace?: string;
}

/**
 * The kube backend: list/watch of deployments.esb.dev, status through the status subresource.
 * Relative spec paths resolve against the workspace. Template and code paths are watched as
 * with the file backend (code hot reload), since the controller reads them from its own disk.
 */
export async function startKubeController(options: KubeControllerOptions): Promise<RunningController> {
  const { createKubeSource, createKubeStore } = await import('./kube/index.js');
  const { namespaceIsolatedSteps } = await import('./kube/tenancy.js');
  const connection = { kubeconfig: options.kubeconfig, context: options.context };
  const store = createKubeStore({
    ...connection,
    workspace: options.paths.workspace,
    namespace: options.namespace,
    onWarning: (message) => options.log.warn(message),
  });
  const kubeSource = createKubeSource({
    ...connection,
    namespace: options.namespace,
    onLog: (level, message) => options.log[level](message),
  });
  const source = withPathWatcher(kubeSource, new PathWatcher({ usePolling: options.usePolling, log: options.log }));
  options.log.info(`watching deployments.esb.dev in ${options.namespace ? `namespace ${options.namespace}` : 'all namespaces'}`);
  // All namespaces share the gateway: none may take another's functions or routes.
  const running = await startController({ ...options, steps: namespaceIsolatedSteps(options.steps), store, source });
  return {
    ...running,
    notReady: () => (kubeSource.current.phase === 'watching' ? undefined : `list/watch of deployments.esb.dev not established (${kubeSource.current.phase})`),
  };
}
