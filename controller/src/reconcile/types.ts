// The reconciler's ports (docs/design.md, "Conventions"): a request is a key, never an event; a
// Store per backend (file, kube) so the reconciler never knows which backend it runs on.
import { ReasonError, type Deployment, type DeploymentStatus } from '@esb/contracts/client';

export interface Request {
  namespace: string;
  name: string;
}

export function keyOf(request: Request): string {
  return `${request.namespace}/${request.name}`;
}

export interface StoredDeployment {
  deployment: Deployment;
  /**
   * Folder that relative paths in the spec resolve against: the manifest's folder (file
   * backend) or the workspace (kube backend).
   */
  baseDir: string;
  /** Where the desired state came from, for error messages (a file path, or `kube:ns/name`). */
  source: string;
}

export interface Store {
  /** The current desired state; `undefined` when the resource no longer exists. */
  get(request: Request): Promise<StoredDeployment | undefined>;
  list(): Promise<StoredDeployment[]>;
  /** Replaces the status (file backend: a status file; kube: merge patch of the status subresource). */
  patchStatus(request: Request, status: DeploymentStatus): Promise<void>;
  /** The resource is gone: drop what the store kept about it (file backend: the status record). */
  forget?(request: Request): Promise<void>;
  /** Records a transition users should see (kube: an Event). Must never throw. */
  recordEvent?(request: Request, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface ReconcileResult {
  /** Reconcile again after this many ms even without a change. */
  requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(request: Request, signal: AbortSignal): Promise<ReconcileResult>;
}

/**
 * An error carrying the reason it fails the Deployment with. Whether it is retried follows
 * the reason table of @esb/contracts (docs/kube.md "Reasons"), not the class.
 */
export const TerminalError = ReasonError;
export type TerminalError = ReasonError;

/** A source of requests: it only enqueues keys (chokidar for files, list/watch for kube). */
export interface Source {
  start(enqueue: (request: Request) => void): Promise<void>;
  stop(): Promise<void>;
}
