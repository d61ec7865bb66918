// Kubeconfig loading and the constants of the Deployment resource on a cluster.
import { KubeConfig } from '@kubernetes/client-node';

export const GROUP = 'esb.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = 'deployments';
export const KIND = 'Deployment';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface KubeConnectionOptions {
  /** A ready KubeConfig (tests, embedding). Wins over `kubeconfig`/`context`. */
  kubeConfig?: KubeConfig;
  /**
   * Kubeconfig file. Without it: the usual places ($KUBECONFIG, ~/.kube/config), else the
   * in-cluster service account.
   */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
}

export class KubeConfigError extends Error {
  constructor(
    message: string,
    readonly file: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

export function loadKubeConfig(opts: KubeConnectionOptions = {}): KubeConfig {
  if (opts.kubeConfig) return opts.kubeConfig;
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (cause) {
    throw new KubeConfigError(`cannot load kubeconfig ${opts.kubeconfig ?? '(default locations)'}: ${(cause as Error).message}`, opts.kubeconfig, { cause });
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new KubeConfigError(`kubeconfig ${opts.kubeconfig ?? '(default)'} has no context "${opts.context}"`, opts.kubeconfig);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(`kubeconfig ${opts.kubeconfig ?? '(default locations)'} has no current cluster`, opts.kubeconfig);
  }
  return kc;
}

/** The HTTP status of an error from client-node (ApiException.code, Watch's statusCode). */
export function statusOf(error: unknown): number | undefined {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; statusCode?: unknown };
    // client-node's ApiException.code; our watch's WatchRefusedError.statusCode.
    if (typeof e.code === 'number') return e.code;
    if (typeof e.statusCode === 'number') return e.statusCode;
  }
  return undefined;
}

/**
 * One line about a failed API call: the Status message the server sent, else the error's first
 * line (client-node's ApiException message carries the whole body and headers).
 */
export function messageOf(error: unknown): string {
  const body = (error as { body?: unknown })?.body;
  let message: string | undefined;
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') message = (body as { message: string }).message;
  else if (typeof body === 'string' && body.length > 0) {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      /* not JSON */
    }
  }
  if (!message) message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const status = statusOf(error);
  return status !== undefined && !message.includes(String(status)) ? `${status} ${message}` : message;
}

/** The same failure as an Error with a one-line message (for logs), the original as its cause. */
export function conciseError(error: unknown): Error {
  const out = new Error(messageOf(error), { cause: error });
  const status = statusOf(error);
  if (status !== undefined) (out as Error & { statusCode?: number }).statusCode = status;
  return out;
}
