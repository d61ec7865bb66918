// An in-memory Store: the reconciler's tests run against it and assert the resulting state.
import type { Deployment, DeploymentStatus } from '@esb/contracts';
import { keyOf, type Request, type Store, type StoredDeployment } from './types.js';

export class MemoryStore implements Store {
  private readonly items = new Map<string, StoredDeployment>();
  readonly events: Array<{ key: string; type: string; reason: string; message: string }> = [];
  /** Every status written, in order (to check progress reporting). */
  readonly statusHistory: Array<{ key: string; status: DeploymentStatus }> = [];

  constructor(private readonly baseDir = '/workspace') {}

  put(deployment: Deployment): void {
    const key = keyOf({ namespace: deployment.metadata.namespace ?? 'default', name: deployment.metadata.name });
    const existing = this.items.get(key);
    const specChanged = existing && JSON.stringify(existing.deployment.spec) !== JSON.stringify(deployment.spec);
    const generation = existing ? (existing.deployment.metadata.generation ?? 1) + (specChanged ? 1 : 0) : 1;
    this.items.set(key, {
      deployment: { ...deployment, metadata: { ...deployment.metadata, generation }, status: existing?.deployment.status ?? deployment.status },
      baseDir: this.baseDir,
      source: `memory:${key}`,
    });
  }

  delete(request: Request): void {
    this.items.delete(keyOf(request));
  }

  async get(request: Request): Promise<StoredDeployment | undefined> {
    const item = this.items.get(keyOf(request));
    return item && structuredClone(item);
  }

  async list(): Promise<StoredDeployment[]> {
    return [...this.items.values()].map((item) => structuredClone(item));
  }

  async patchStatus(request: Request, status: DeploymentStatus): Promise<void> {
    const item = this.items.get(keyOf(request));
    this.statusHistory.push({ key: keyOf(request), status: structuredClone(status) });
    if (item) item.deployment.status = structuredClone(status);
  }

  async recordEvent(request: Request, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    this.events.push({ key: keyOf(request), type, reason, message });
  }

  status(request: Request): DeploymentStatus | undefined {
    return this.items.get(keyOf(request))?.deployment.status;
  }
}
