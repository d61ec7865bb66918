// The file backend's Store: desired state from manifests in a watched folder, status in
// `<workspace>/.esb/status/<namespace>/<name>.yaml` (never in the user's file), written
// atomically. A manifest file has no generation, so the status record keeps one that is
// bumped whenever the spec changes, as the Kubernetes API server does.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { DeploymentStatus } from '@esb/contracts';
import { writeFileAtomic } from '@esb/contracts';
import { keyOf, TerminalError, type Request, type Store, type StoredDeployment } from '../reconcile/types.js';
import { isManifestFile, parseManifest, specDigest, type ManifestEntry } from './manifests.js';

export interface StatusRecord {
  manifest?: string;
  generation?: number;
  specDigest?: string;
  env?: string;
  createdAt?: string;
  status?: DeploymentStatus;
  recentErrors?: Array<{ time: string; message: string }>;
}

export interface FileStoreOptions {
  deploymentsDir: string;
  statusDir: string;
  now?(): Date;
}

const MAX_RECENT_ERRORS = 5;

export class FileStore implements Store {
  private readonly entries = new Map<string, ManifestEntry>();
  private readonly fileKeys = new Map<string, Set<string>>();
  private scanned = false;
  private readonly now: () => Date;

  constructor(private readonly options: FileStoreOptions) {
    this.now = options.now ?? (() => new Date());
  }

  statusFile(request: Request): string {
    return path.join(this.options.statusDir, request.namespace, `${request.name}.yaml`);
  }

  /** Re-reads one manifest file; returns every key it held before or holds now. */
  async refreshFile(file: string): Promise<Request[]> {
    const before = this.fileKeys.get(file) ?? new Set<string>();
    const affected = new Map<string, Request>();
    for (const key of before) {
      const entry = this.entries.get(key);
      if (entry) affected.set(key, entry.request);
      if (entry?.file === file) this.entries.delete(key);
    }
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      text = undefined; // removed
    }
    const now = new Set<string>();
    if (text !== undefined) {
      for (const entry of parseManifest(text, file)) {
        const key = keyOf(entry.request);
        const other = this.entries.get(key);
        if (other && other.file !== file) {
          // The same Deployment in two files: the later file (by name) wins, deterministically.
          if (other.file > file) continue;
        }
        this.entries.set(key, entry);
        now.add(key);
        affected.set(key, entry.request);
      }
    }
    if (now.size) this.fileKeys.set(file, now);
    else this.fileKeys.delete(file);
    return [...affected.values()];
  }

  async refreshAll(): Promise<Request[]> {
    this.scanned = true;
    const files = await listManifests(this.options.deploymentsDir);
    const requests: Request[] = [];
    for (const file of new Set([...files, ...this.fileKeys.keys()])) requests.push(...(await this.refreshFile(file)));
    return requests;
  }

  async readRecord(request: Request): Promise<StatusRecord> {
    try {
      return (parse(await readFile(this.statusFile(request), 'utf8')) as StatusRecord) ?? {};
    } catch {
      return {};
    }
  }

  private async writeRecord(request: Request, record: StatusRecord): Promise<void> {
    const file = this.statusFile(request);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, stringify(record));
  }

  async get(request: Request): Promise<StoredDeployment | undefined> {
    if (!this.scanned) await this.refreshAll();
    const entry = this.entries.get(keyOf(request));
    if (!entry) return undefined;
    if ('error' in entry) throw new TerminalError(entry.error, 'InvalidSpec');
    const record = await this.readRecord(request);
    const digest = specDigest(entry.deployment);
    let generation = record.generation ?? 0;
    if (record.specDigest !== digest || generation === 0) {
      generation += 1;
      await this.writeRecord(request, {
        ...record,
        manifest: entry.file,
        generation,
        specDigest: digest,
        env: entry.deployment.spec.env,
        createdAt: record.createdAt ?? this.now().toISOString(),
      });
    }
    const deployment = structuredClone(entry.deployment);
    deployment.metadata.generation = generation;
    deployment.metadata.creationTimestamp = record.createdAt ?? this.now().toISOString();
    if (record.status) deployment.status = record.status;
    return { deployment, baseDir: path.dirname(entry.file), source: entry.file };
  }

  async list(): Promise<StoredDeployment[]> {
    if (!this.scanned) await this.refreshAll();
    const out: StoredDeployment[] = [];
    for (const entry of this.entries.values()) {
      if ('deployment' in entry) {
        const stored = await this.get(entry.request);
        if (stored) out.push(stored);
      }
    }
    return out;
  }

  async patchStatus(request: Request, status: DeploymentStatus): Promise<void> {
    const record = await this.readRecord(request);
    const entry = this.entries.get(keyOf(request));
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    let recentErrors = record.recentErrors ?? [];
    if (ready?.status === 'False' && ready.message && recentErrors.at(-1)?.message !== ready.message && isFailure(ready.reason)) {
      recentErrors = [...recentErrors, { time: this.now().toISOString(), message: ready.message }].slice(-MAX_RECENT_ERRORS);
    }
    await this.writeRecord(request, {
      ...record,
      manifest: entry?.file ?? record.manifest,
      env: entry && 'deployment' in entry ? entry.deployment.spec.env : record.env,
      createdAt: record.createdAt ?? this.now().toISOString(),
      status,
      recentErrors,
    });
  }
}

// Progress reasons are not errors.
function isFailure(reason: string): boolean {
  return !['Generating', 'BuildingImages', 'Applying', 'Provisioning', 'Pending'].includes(reason);
}

export async function listManifests(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names.filter(isManifestFile).sort().map((name) => path.join(dir, name));
}

/** Every status record under the status folder (for `esb get` / `esb describe`). */
export async function listStatusRecords(statusDir: string): Promise<Array<{ request: Request; record: StatusRecord }>> {
  const out: Array<{ request: Request; record: StatusRecord }> = [];
  let namespaces: string[];
  try {
    namespaces = await readdir(statusDir);
  } catch {
    return out;
  }
  for (const namespace of namespaces.sort()) {
    let files: string[];
    try {
      files = await readdir(path.join(statusDir, namespace));
    } catch {
      continue;
    }
    for (const file of files.filter((f) => f.endsWith('.yaml')).sort()) {
      try {
        const record = (parse(await readFile(path.join(statusDir, namespace, file), 'utf8')) as StatusRecord) ?? {};
        out.push({ request: { namespace, name: file.slice(0, -'.yaml'.length) }, record });
      } catch {
        // a record being replaced right now: skip it this time
      }
    }
  }
  return out;
}
