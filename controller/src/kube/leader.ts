// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// one controller replica reconciles, the others wait and take over when the Lease is not
// renewed for its duration (docs/kube.md "Leader election"). Expiry is judged on our own clock
// from when we last saw the record change, never from the holder's timestamps (clock skew).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig, messageOf, statusOf, type KubeConnectionOptions } from './config.js';
import { microTime } from './store.js';
import type { Timers } from './source.js';

export interface LeaderElectionOptions extends KubeConnectionOptions {
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This replica (the pod name). */
  identity: string;
  /** How long a Lease holds without renewal. Default 15 s. */
  leaseDurationSeconds?: number;
  /** A leader that could not renew for this long steps down. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  timers?: Timers;
  now?(): number;
  onLog?(level: 'info' | 'warn', message: string): void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

const API = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };

export class LeaderElector {
  private readonly api: CustomObjectsApi;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly duration: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { resourceVersion?: string; holder?: string; at: number } | undefined;
  private leading = false;
  private stopped = false;
  private timer: unknown;
  private lastRenew = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly options: LeaderElectionOptions,
    kubeConfig: KubeConfig = loadKubeConfig(options),
  ) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.now = options.now ?? Date.now;
    this.duration = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get lease(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  /**
   * Resolves once this replica holds the Lease (false if stopped first); then renews it every
   * retry period and calls `onLost` if it cannot for the renew deadline.
   */
  async acquire(onLost: (reason: string) => void): Promise<boolean> {
    let reported = false;
    while (!this.stopped) {
      const got = await this.tryAcquireOrRenew();
      if (got) {
        this.leading = true;
        this.lastRenew = this.now();
        this.options.onLog?.('info', `leader election: ${this.options.identity} leads (Lease ${this.lease})`);
        this.scheduleRenew(onLost);
        return true;
      }
      if (!reported) {
        this.options.onLog?.('info', `leader election: Lease ${this.lease} is held by ${this.observed?.holder ?? '?'}; waiting`);
        reported = true;
      }
      await this.sleep(this.retryPeriodMs);
    }
    return false;
  }

  /** Stops renewing; a leader gives the Lease up at once (the next replica takes over without waiting for expiry). */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.get();
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      const at = microTime(new Date(this.now()));
      await this.api.replaceNamespacedCustomObject({
        ...API,
        namespace: this.options.namespace,
        name: this.options.name,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: at } },
      });
    } catch (error) {
      this.options.onLog?.('warn', `leader election: could not release Lease ${this.lease}: ${messageOf(error)}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.timers.setTimeout(resolve, ms);
    });
  }

  private scheduleRenew(onLost: (reason: string) => void): void {
    this.timer = this.timers.setTimeout(async () => {
      if (this.stopped || !this.leading) return;
      const ok = await this.tryAcquireOrRenew();
      if (this.stopped) return;
      if (ok) this.lastRenew = this.now();
      else if (this.now() - this.lastRenew >= this.renewDeadlineMs) {
        this.leading = false;
        const reason = `could not renew Lease ${this.lease} for ${this.renewDeadlineMs} ms (holder now: ${this.observed?.holder ?? 'unknown'})`;
        this.options.onLog?.('warn', `leader election: lost: ${reason}`);
        onLost(reason);
        return;
      }
      this.scheduleRenew(onLost);
    }, this.retryPeriodMs);
  }

  private async get(): Promise<Lease | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...API, namespace: this.options.namespace, name: this.options.name })) as Lease;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** One attempt: create the Lease, renew ours, or take an expired one (optimistic concurrency). */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity, namespace, name } = this.options;
    const nowMs = this.now();
    const at = microTime(new Date(nowMs));
    try {
      const lease = await this.get();
      if (!lease) {
        await this.api.createNamespacedCustomObject({
          ...API,
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: this.duration, acquireTime: at, renewTime: at, leaseTransitions: 0 },
          },
        });
        this.observed = { holder: identity, at: nowMs };
        return true;
      }
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity || undefined;
      if (this.observed?.resourceVersion !== lease.metadata.resourceVersion) {
        this.observed = { resourceVersion: lease.metadata.resourceVersion, holder, at: nowMs };
      }
      const duration = (spec.leaseDurationSeconds ?? this.duration) * 1000;
      const expired = nowMs >= (this.observed?.at ?? nowMs) + duration;
      if (holder && holder !== identity && !expired) return false;
      const taking = holder !== identity;
      const body: Lease & { apiVersion: string; kind: string } = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: lease.metadata,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: this.duration,
          acquireTime: taking ? at : spec.acquireTime ?? at,
          renewTime: at,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder ? 1 : 0),
        },
      };
      const updated = (await this.api.replaceNamespacedCustomObject({ ...API, namespace, name, body })) as Lease;
      this.observed = { resourceVersion: updated.metadata?.resourceVersion, holder: identity, at: nowMs };
      return true;
    } catch (error) {
      // 409: someone else wrote the Lease first; anything else: try again next period.
      if (statusOf(error) !== 409) this.options.onLog?.('warn', `leader election: Lease ${this.lease}: ${messageOf(error)}`);
      return false;
    }
  }
}
