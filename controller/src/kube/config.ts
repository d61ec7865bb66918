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
    if (typeof e.code === 'number') return e.code;
    if (typeof e.statusCode === 'number') return e.statusCode;
  }
  return undefined;
}
