// The kube backend's Store: Deployments read from the API server (deployments.esb.dev), status
// written with a JSON merge patch to the status subresource (so it never bumps
// metadata.generation), transitions recorded as core/v1 Events, failing soft.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { Deployment, type DeploymentStatus } from '../../../crds/src/index.js';
import { TerminalError, type Request, type Store, type StoredDeployment } from '../reconcile/types.js';
import { API_VERSION, GROUP, KIND, loadKubeConfig, messageOf, PLURAL, statusOf, VERSION, type KubeConnectionOptions } from './config.js';

export interface KubeStoreOptions extends KubeConnectionOptions {
  /** Folder that relative spec paths (template, artifact) resolve against: the workspace. */
  workspace: string;
  /** Namespace that `list()` reads; undefined = all namespaces. */
  namespace?: string;
  /** Component name on Events and field manager on patches. Default `esb-controller`. */
  component?: string;
  now?(): Date;
  /** Where soft failures go (Event writes, objects that fail the schema in `list()`). */
  onWarning?(message: string, error?: unknown): void;
}

/** A call to the API server failed (not a 404 on get). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }
}

/** The stored object does not match the Deployment contract: not retried until it changes. */
export class KubeInvalidDeploymentError extends TerminalError {
  constructor(
    message: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'InvalidSpec', options);
    this.name = 'KubeInvalidDeploymentError';
  }
}

/** The merge patch that makes the stored status equal to `status`: absent fields are deleted (null). */
export function statusMergePatch(status: DeploymentStatus): { status: Record<string, unknown> } {
  const keys = ['observedGeneration', 'conditions', 'artifactDigest', 'configDir', 'functions', 'routes', 'resources'];
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...keys, ...Object.keys(status)])) {
    const value = (status as Record<string, unknown>)[key];
    patch[key] = value === undefined ? null : value;
  }
  return { status: patch };
}

function sourceOf(request: Request): string {
  return `kube:${request.namespace}/${request.name}`;
}

export class KubeStore implements Store {
  private readonly objects: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly now: () => Date;
  private readonly component: string;
  private eventSeq = 0;

  constructor(
    private readonly options: KubeStoreOptions,
    kubeConfig: KubeConfig = loadKubeConfig(options),
  ) {
    this.objects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.now = options.now ?? (() => new Date());
    this.component = options.component ?? 'esb-controller';
  }

  private toStored(raw: unknown, source: string): StoredDeployment {
    const parsed = Deployment.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new KubeInvalidDeploymentError(
        `${source}: ${issue ? `${issue.path.join('.') || '(object)'}: ${issue.message}` : 'invalid Deployment'}`,
        source,
        { cause: parsed.error },
      );
    }
    return { deployment: parsed.data, baseDir: this.options.workspace, source };
  }

  async get(request: Request): Promise<StoredDeployment | undefined> {
    const source = sourceOf(request);
    let raw: unknown;
    try {
      raw = await this.objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: request.namespace, name: request.name });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new KubeApiError(`${source}: get failed: ${messageOf(error)}`, source, statusOf(error), { cause: error });
    }
    return this.toStored(raw, source);
  }

  async list(): Promise<StoredDeployment[]> {
    const ns = this.options.namespace;
    const where = `kube:${ns ?? '*'}/${PLURAL}.${GROUP}`;
    let raw: { items?: unknown[] };
    try {
      raw = ns
        ? await this.objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns })
        : await this.objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
    } catch (error) {
      throw new KubeApiError(`${where}: list failed: ${messageOf(error)}`, where, statusOf(error), { cause: error });
    }
    const out: StoredDeployment[] = [];
    for (const item of raw.items ?? []) {
      const meta = (item as { metadata?: { namespace?: string; name?: string } }).metadata ?? {};
      const source = sourceOf({ namespace: meta.namespace ?? '', name: meta.name ?? '' });
      try {
        out.push(this.toStored(item, source));
      } catch (error) {
        // One bad object must not hide the others; get() reports it to its reconcile.
        this.options.onWarning?.(`${source}: skipped in list: ${(error as Error).message}`, error);
      }
    }
    return out;
  }

  async patchStatus(request: Request, status: DeploymentStatus): Promise<void> {
    const source = sourceOf(request);
    try {
      await this.objects.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: PLURAL, namespace: request.namespace, name: request.name, body: statusMergePatch(status), fieldManager: this.component },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw new KubeApiError(`${source}: status patch failed: ${messageOf(error)}`, source, statusOf(error), { cause: error });
    }
  }

  async recordEvent(request: Request, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = this.now();
    const time = now.toISOString();
    try {
      await this.core.createNamespacedEvent({
        namespace: request.namespace,
        body: {
          metadata: { name: `${request.name}.${now.getTime().toString(16)}${(this.eventSeq++ % 4096).toString(16).padStart(3, '0')}`, namespace: request.namespace },
          involvedObject: { apiVersion: API_VERSION, kind: KIND, namespace: request.namespace, name: request.name },
          type,
          reason,
          message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      // Events are best effort: a server without core/v1 (our test server) or RBAC without
      // events must not fail a reconcile.
      this.options.onWarning?.(`${sourceOf(request)}: event ${reason} not recorded (${time}): ${messageOf(error)}`, error);
    }
  }
}

export function createKubeStore(options: KubeStoreOptions): KubeStore {
  return new KubeStore(options);
}
