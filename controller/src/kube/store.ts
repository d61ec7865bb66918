// The kube backend's Store: Deployments read from the API server (deployments.esb.dev), status
// written with a JSON merge patch to the status subresource (so it never bumps
// metadata.generation), transitions recorded as core/v1 Events, failing soft.
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { Deployment, type DeploymentStatus } from '@esb/contracts';
import { TerminalError, type Request, type Store, type StoredDeployment } from '../reconcile/types.js';
import { API_VERSION, GROUP, KIND, loadKubeConfig, messageOf, PLURAL, statusOf, VERSION, type KubeConnectionOptions } from './config.js';

export interface KubeStoreOptions extends KubeConnectionOptions {
  /** Folder that relative spec paths (template, artifact) resolve against: the workspace. */
  workspace: string;
  /** Namespace that `list()` reads; undefined = all namespaces. */
  namespace?: string;
  /** Component name on Events and field manager on patches. Default `esb-controller`. */
  component?: string;
  /** Events' reportingInstance (default: the host name, i.e. the pod's name). */
  instance?: string;
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

/** The metav1.Status an API error carries (client-node gives it parsed or as a string). */
function statusBodyOf(error: unknown): { message?: string; details?: { kind?: string } } | undefined {
  const body = (error as { body?: unknown })?.body;
  if (body && typeof body === 'object') return body as { details?: { kind?: string } };
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { details?: { kind?: string } };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Events' time fields are MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * A spec path (template, artifact) must name something inside the workspace: relative, no `..`
 * out of it, no symlink out of it. Returns the reason it does not, or undefined.
 */
export function outsideWorkspace(workspace: string, specPath: string): string | undefined {
  if (path.isAbsolute(specPath)) return `"${specPath}" is absolute: paths are relative to the controller's workspace`;
  const resolved = path.resolve(workspace, specPath);
  const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  if (!inside(path.resolve(workspace), resolved)) return `"${specPath}" leaves the workspace ${workspace}`;
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(workspace);
    real = realpathSync(resolved);
  } catch {
    return undefined; // missing: the reconciler reports TemplateNotFound
  }
  if (!inside(realRoot, real)) return `"${specPath}" resolves (through a symlink) to ${real}, outside the workspace ${workspace}`;
  return undefined;
}

interface EventSeries {
  name: string;
  count: number;
}

export class KubeStore implements Store {
  private readonly objects: CustomObjectsApi;
  private readonly now: () => Date;
  private readonly component: string;
  private readonly instance: string;
  private eventSeq = 0;
  /** One Event per (object, reason): later occurrences raise its series count. */
  private readonly series = new Map<string, EventSeries>();
  /** Set once the server says it has no events.k8s.io/v1 Events: Events are then off, silently. */
  private eventsUnavailable = false;
  private readonly uids = new Map<string, string>();

  constructor(
    private readonly options: KubeStoreOptions,
    kubeConfig: KubeConfig = loadKubeConfig(options),
  ) {
    this.objects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.now = options.now ?? (() => new Date());
    this.component = options.component ?? 'esb-controller';
    this.instance = options.instance ?? os.hostname();
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
    for (const field of ['template', 'artifact'] as const) {
      const value = parsed.data.spec[field];
      const why = value !== undefined ? outsideWorkspace(this.options.workspace, value) : undefined;
      if (why) throw new KubeInvalidDeploymentError(`${source}: spec.${field}: ${why}`, source);
    }
    const uid = (raw as { metadata?: { uid?: string } }).metadata?.uid;
    if (uid) this.uids.set(source, uid);
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

  /**
   * Records an events.k8s.io/v1 Event about the Deployment (what `kubectl describe` shows). A
   * reason seen before for the same object raises that Event's `series.count` instead of adding
   * an Event. Never throws: without the Events API (404 on the resource) Events are turned off
   * after one warning; other failures (RBAC) are one-line warnings.
   */
  async recordEvent(request: Request, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (this.eventsUnavailable) return;
    const now = this.now();
    const source = sourceOf(request);
    const key = `${request.namespace}/${request.name}/${reason}`;
    const note = message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
    const api = { group: 'events.k8s.io', version: 'v1', plural: 'events', namespace: request.namespace };
    try {
      const seen = this.series.get(key);
      if (seen) {
        try {
          await this.objects.patchNamespacedCustomObject(
            { ...api, name: seen.name, body: { note, series: { count: seen.count + 1, lastObservedTime: microTime(now) } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
          seen.count++;
          return;
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
          this.series.delete(key); // expired (Events live an hour): start a new one
        }
      }
      const name = `${request.name}.${now.getTime().toString(16)}${(this.eventSeq++ % 4096).toString(16).padStart(3, '0')}`;
      const uid = this.uids.get(source);
      await this.objects.createNamespacedCustomObject({
        ...api,
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace: request.namespace },
          eventTime: microTime(now),
          regarding: { apiVersion: API_VERSION, kind: KIND, namespace: request.namespace, name: request.name, ...(uid ? { uid } : {}) },
          reportingController: `${GROUP}/${this.component}`,
          reportingInstance: this.instance,
          action: 'Reconcile',
          type,
          reason,
          note,
        },
      });
      this.series.set(key, { name, count: 1 });
    } catch (error) {
      const status = statusOf(error);
      const details = statusBodyOf(error)?.details;
      if (status === 404 && details?.kind !== 'namespaces') {
        this.eventsUnavailable = true;
        this.options.onWarning?.(`${source}: this API server serves no events.k8s.io/v1 Events (404): Events are off; conditions in status still say everything`, error);
        return;
      }
      this.options.onWarning?.(`${source}: event ${reason} not recorded: ${messageOf(error)}`, error);
    }
  }
}

export function createKubeStore(options: KubeStoreOptions): KubeStore {
  return new KubeStore(options);
}
