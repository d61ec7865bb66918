// The file backend's Store: desired state from manifests in a watched folder, status in
// `<workspace>/.esb/status/<namespace>/<name>.yaml` (never in the user's file), written
// atomically. A manifest file has no generation, so the status record keeps one that is
// bumped whenever the spec changes, as the Kubernetes API server does. The controller's store is
// the only writer of its records: it keeps the latest of each in memory and writes them one
// after the other per Deployment, so a reconcile never waits for a re-read.
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { isFailureReason, type DeploymentStatus } from '@esb/contracts/client';
import { CONFIG_LIMITS, joinInside, loadCoreYaml, MANIFEST_LIMITS, realPathInside, writeFileAtomic } from '@esb/contracts/client';
import { keyOf, TerminalError, type Request, type Store, type StoredDeployment } from '../reconcile/types.js';
import { isManifestFile, manifestTooLarge, parseManifest, specDigest, type ManifestEntry } from './manifests.js';

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
  /** Told about what a manifest holds that is not used (other kinds, unknown fields, empty files). */
  onWarning?(message: string): void;
}

const MAX_RECENT_ERRORS = 5;

export class FileStore implements Store {
  private readonly entries = new Map<string, ManifestEntry>();
  private readonly fileKeys = new Map<string, Set<string>>();
  private scanned = false;
  private readonly now: () => Date;
  /** The latest record of each key (written, or queued to be). */
  private readonly records = new Map<string, StatusRecord>();
  /** The last write queued for each key. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly options: FileStoreOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** `<statusDir>/<namespace>/<name>.yaml`; throws PathEscapeError for a name that is not a plain segment. */
  statusFile(request: Request): string {
    return joinInside(this.options.statusDir, request.namespace, `${request.name}.yaml`);
  }

  /** The status file, checked with symlinks followed before it is read or written. */
  private async checkedStatusFile(request: Request): Promise<string> {
    const file = this.statusFile(request);
    await realPathInside(this.options.statusDir, file, 'status record');
    return file;
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
    let parsed: ManifestEntry[] | undefined;
    try {
      // A manifest over the size limit is reported, never read.
      const size = (await stat(file)).size;
      parsed = size > MANIFEST_LIMITS.maxBytes ? manifestTooLarge(file, size) : parseManifest(await readFile(file, 'utf8'), file, this.options.onWarning);
    } catch (err) {
      if (!isGone(err)) throw err;
      parsed = undefined; // removed
    }
    const now = new Set<string>();
    if (parsed !== undefined) {
      for (const entry of parsed) {
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

  /** The manifest files that declare something now. */
  declaringFiles(): string[] {
    return [...this.fileKeys.keys()];
  }

  /** What one manifest file declares now (valid or not); empty when it declares nothing. */
  entriesOf(file: string): ManifestEntry[] {
    const out: ManifestEntry[] = [];
    for (const key of this.fileKeys.get(file) ?? []) {
      const entry = this.entries.get(key);
      if (entry?.file === file) out.push(entry);
    }
    return out;
  }

  /** Every Deployment the manifests declare now (valid or not). */
  known(): Request[] {
    return [...this.entries.values()].map((e) => e.request);
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
      const file = await this.checkedStatusFile(request);
      return (readStatusRecord(await readFile(file, 'utf8'), file) as StatusRecord) ?? {};
    } catch {
      return {};
    }
  }

  /** The latest record of a key: from memory, else from its file. */
  private async latest(request: Request): Promise<StatusRecord> {
    const key = keyOf(request);
    const known = this.records.get(key);
    if (known) return known;
    const read = await this.readRecord(request);
    // A record set while the file was read is newer.
    const now = this.records.get(key);
    if (now) return now;
    this.records.set(key, read);
    return read;
  }

  /** Makes `record` the latest of its key and writes it after the writes queued before it. */
  private put(request: Request, record: StatusRecord): Promise<void> {
    const key = keyOf(request);
    this.records.set(key, record);
    const write = (this.writes.get(key) ?? Promise.resolve()).catch(() => {}).then(() => this.writeRecord(request, record));
    this.writes.set(key, write);
    void write.finally(() => {
      if (this.writes.get(key) === write) this.writes.delete(key);
    }).catch(() => {});
    return write;
  }

  private async writeRecord(request: Request, record: StatusRecord): Promise<void> {
    const file = await this.checkedStatusFile(request);
    await mkdir(path.dirname(file), { recursive: true });
    // Not fsynced: a status lost to a power cut is rebuilt by the next reconcile (docs/apply.md).
    await writeFileAtomic(file, stringify(record), { durable: false });
  }

  async get(request: Request): Promise<StoredDeployment | undefined> {
    if (!this.scanned) await this.refreshAll();
    const entry = this.entries.get(keyOf(request));
    if (!entry) return undefined;
    if ('error' in entry) throw new TerminalError(entry.error, 'InvalidSpec');
    let record = await this.latest(request);
    const digest = specDigest(entry.deployment);
    let generation = record.generation ?? 0;
    if (record.specDigest !== digest || generation === 0) {
      generation += 1;
      record = { ...record, manifest: entry.file, generation, specDigest: digest, env: entry.deployment.spec.env, createdAt: record.createdAt ?? this.now().toISOString() };
      // Not waited for: the reconcile's first status write queues behind it.
      this.put(request, record).catch((err) => this.options.onWarning?.(`${keyOf(request)}: could not write its status record: ${String(err)}`));
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

  /** The manifest is gone: its status record goes too (what it deployed stays). */
  async forget(request: Request): Promise<void> {
    const key = keyOf(request);
    if (this.entries.has(key)) return;
    this.records.delete(key);
    await this.writes.get(key)?.catch(() => {});
    await rm(this.statusFile(request), { force: true });
  }

  async patchStatus(request: Request, status: DeploymentStatus): Promise<void> {
    const record = await this.latest(request);
    const entry = this.entries.get(keyOf(request));
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    let recentErrors = record.recentErrors ?? [];
    if (ready?.status === 'False' && ready.message && recentErrors.at(-1)?.message !== ready.message && isFailureReason(ready.reason)) {
      recentErrors = [...recentErrors, { time: this.now().toISOString(), message: ready.message }].slice(-MAX_RECENT_ERRORS);
    }
    await this.put(request, {
      ...record,
      manifest: entry?.file ?? record.manifest,
      env: entry && 'deployment' in entry ? entry.deployment.spec.env : record.env,
      createdAt: record.createdAt ?? this.now().toISOString(),
      status,
      recentErrors,
    });
  }
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
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

/** A status record's text as written by `stringify` (YAML 1.2 core), read back within limits. */
export function readStatusRecord(text: string, file: string): unknown {
  return loadCoreYaml(text, file, CONFIG_LIMITS);
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
        const full = path.join(statusDir, namespace, file);
        const record = (readStatusRecord(await readFile(full, 'utf8'), full) as StatusRecord) ?? {};
        out.push({ request: { namespace, name: file.slice(0, -'.yaml'.length) }, record });
      } catch {
        // a record being replaced right now: skip it this time
      }
    }
  }
  return out;
}
