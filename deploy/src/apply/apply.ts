// `esb artifact apply` as a library call: validate everything, then under the deploy lock
// merge each artifact entry into CONFIG_DIR and write the changed files atomically.
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, sep } from 'node:path';
import { encodeRuntimeFile, readRuntimeFile, STACKS_CODEC, tmpPathFor, writeFilesAtomic } from '@esb/contracts';
import { recordStack, type StackOwner, type Takeover } from './stacks.js';
import { withDeployLock } from './lock.js';
import { prepareConfigDir } from '../layout/index.js';
import { loadArtifact, refKey, rewritePaths, RUNTIME_FILES, type LoadedArtifact, type LoadedEntry } from './artifact.js';
import { decodeExistingConfig, initConfigDirLocked, loadSeed, serializeRuntimeConfig, silentLog, type ApplyLog, type InitState } from './config-dir.js';
import { folderHash, hashArtifact } from './digest.js';
import { DigestMismatchError, SecretMissingError } from './errors.js';
import { mergeConfig, type MergeReport, type RuntimeConfig } from './merge.js';
import { fillSecrets, readSecretEnv } from './secrets.js';

export interface ApplyOptions {
  /** Path of artifact.yml. */
  artifactPath: string;
  /** The CONFIG_DIR to merge into (created with mkdir -p). */
  configDir: string;
  /** dotenv-style file whose values fill `${KEY}` placeholders in function environments. */
  secretEnvFile?: string;
  /** More placeholder values (win over the file's). */
  secrets?: Record<string, string>;
  /** Digest mismatch and unfilled placeholders are errors (warnings otherwise). */
  strict?: boolean;
  /** Copied into CONFIG_DIR once, when it holds no config yet. */
  seedDir?: string;
  /** How long to wait for another apply's lock; default 30 s. */
  lockTimeoutMs?: number;
  log?: ApplyLog;
  /** Who applies (recorded in stacks.yml, named in take-over warnings). */
  owner?: StackOwner;
  /** `loadArtifact(artifactPath)`, when the caller has it already (it is not changed). */
  loaded?: LoadedArtifact;
  /** Called once the changed runtime files are renamed into place (readers see them), before the lock is released. */
  onWritten?(written: string[]): void;
}

export const STACKS_FILE = STACKS_CODEC.name;
const STACKS_HEADER = "Written by esb artifact apply: each stack's own routes and Outputs, and who owns what (docs/apply.md).";

export interface EntryReport {
  artifact_root: string;
  digest: string;
  /** Code/layer folders copied into CONFIG_DIR/code, and those already there (same content). */
  code: { copied: number; reused: number };
  changes: MergeReport;
}

export interface ApplyReport {
  artifact: string;
  project: string;
  env: string;
  configDir: string;
  /** How CONFIG_DIR was found: with config, initialised from the seed, or empty. */
  initial: InitState;
  entries: EntryReport[];
  /** Files rewritten (names); empty when applying changed nothing. */
  written: string[];
  changed: boolean;
  warnings: string[];
  /** What this apply took over from other stacks (routes, functions, tables, buckets). */
  takeovers: Takeover[];
}

/** Where a code/layer folder is copied in CONFIG_DIR: named by its content, never overwritten. */
export function codeDirFor(configDir: string, refKey: string, hash: string): string {
  const name = (refKey || 'root').replace(/[^A-Za-z0-9_.-]+/g, '_');
  return join(configDir, 'code', `${name}-${hash.slice(0, 16)}`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies `files` (relative to `rootDir`, all under `key`) to `dest` via a tmp folder +
 * rename, so `dest` is complete or absent. Returns false when `dest` already exists (same
 * content). (fs.cp is ~20x slower on thousands of small files.)
 */
async function copyFolder(rootDir: string, key: string, files: string[], dest: string): Promise<boolean> {
  if (await exists(dest)) return false;
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tmpPathFor(dest);
  const pre = key === '' ? 0 : key.length + 1;
  try {
    // Folders level by level (parents first), each level in parallel: mkdir -p per file is slow.
    const dirs = new Set<string>();
    for (const f of files) for (let d = posix.dirname(f.slice(pre)); d !== '.' && !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
    await mkdir(tmp);
    const byDepth: string[][] = [];
    for (const d of dirs) (byDepth[d.split('/').length - 1] ??= []).push(d);
    for (const level of byDepth) if (level) await Promise.all(level.map((d) => mkdir(join(tmp, d))));
    const LANES = 8;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(LANES, files.length) }, async () => {
        while (next < files.length) {
          const f = files[next++];
          await copyFile(join(rootDir, f), join(tmp, f.slice(pre)), constants.COPYFILE_FICLONE);
        }
      }),
    );
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!(await exists(dest))) throw err;
  }
  return true;
}

export async function applyArtifact(opts: ApplyOptions): Promise<ApplyReport> {
  const log = opts.log ?? silentLog;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    log.warn(m);
  };

  // 1. Validate everything before touching CONFIG_DIR.
  const secrets = { ...(opts.secretEnvFile ? await readSecretEnv(opts.secretEnvFile) : {}), ...(opts.secrets ?? {}) };
  const loaded = opts.loaded ?? (await loadArtifact(opts.artifactPath));
  const seed = opts.seedDir ? await loadSeed(opts.seedDir) : undefined;
  const prepared: { entry: LoadedEntry; digest: string; hashes: Map<string, string>; config: RuntimeConfig }[] = [];
  for (const e of loaded.entries) {
    const field = `artifacts[${e.index}].digest`;
    // The root's digest, leaving out artifact.yml itself when it lies inside the root.
    const selfRel = relative(e.rootDir, loaded.file).split(sep).join('/');
    const { digest, hashes } = await hashArtifact(e.rootDir, { artifactRoot: e.entry.artifact_root, exclude: [selfRel], files: e.files });
    if (e.entry.digest && e.entry.digest !== digest) {
      if (opts.strict) throw new DigestMismatchError(loaded.file, field, e.entry.digest, digest);
      warn(`${loaded.file}: ${field}: digest mismatch (artifact.yml says ${e.entry.digest}, files hash to ${digest}); applying anyway (use --strict to refuse)`);
    } else if (!e.entry.digest && opts.strict) {
      warn(`${loaded.file}: ${field}: no digest recorded, nothing to check`);
    }
    const cfgFile = join(e.runtimeConfigDir, RUNTIME_FILES.functions);
    const filled = fillSecrets(e.config.functions, secrets);
    if (filled.missing.length > 0) {
      if (opts.strict) throw new SecretMissingError(cfgFile, filled.missing);
      for (const m of filled.missing) warn(`${cfgFile}: ${m.field}: no value for \${${m.key}}; left as is (pass it in --secret-env)`);
    }
    prepared.push({ entry: e, digest, hashes, config: { ...e.config, functions: filled.functions } });
  }

  // 2. CONFIG_DIR: mkdir -p, writable, then everything else under the lock.
  const configDir = opts.configDir;
  await prepareConfigDir(configDir);
  return withDeployLock(
    configDir,
    async () => {
      const { state: initial, raw: rawBefore } = await initConfigDirLocked(configDir, seed);
      if (initial === 'seeded') log.info(`CONFIG_DIR ${configDir}: initialised from seed ${opts.seedDir}`);
      let current = decodeExistingConfig(configDir, rawBefore);
      const stacksBefore = await readRuntimeFile(STACKS_CODEC, configDir);
      // Each stack's record first (its routes, owners and Outputs; code paths play no part): an
      // export name another stack has fails the apply before anything is copied.
      let stacks = stacksBefore.value;
      const recorded = prepared.map((p) => {
        const update = recordStack(stacks, p.entry.entry.artifact_root, p.config, opts.owner, { digest: p.digest, ...(p.entry.outputs ? { outputs: p.entry.outputs } : {}) }, current);
        stacks = update.stacks;
        return update;
      });
      const takeovers: Takeover[] = [];
      const entries: EntryReport[] = [];
      for (const [i, p] of prepared.entries()) {
        let incoming = p.config;
        const code = { copied: 0, reused: 0 };
        if (p.entry.refs.length > 0) {
          const dests = new Map<string, string>();
          const jobs: { key: string; files: string[]; dest: string }[] = [];
          for (const rel of p.entry.refs) {
            const key = refKey(rel);
            if (dests.has(key)) continue;
            const { hash, files } = folderHash(key, p.entry.files, p.hashes);
            const dest = codeDirFor(configDir, key, hash);
            dests.set(key, dest);
            jobs.push({ key, files, dest });
          }
          // One readdir instead of a stat per folder: which copies exist already.
          const present = new Set(await readdir(join(configDir, 'code')).catch(() => [] as string[]));
          const todo = jobs.filter((j) => !present.has(basename(j.dest)));
          code.reused = jobs.length - todo.length;
          let next = 0;
          await Promise.all(
            Array.from({ length: Math.min(8, todo.length) }, async () => {
              while (next < todo.length) {
                const j = todo[next++];
                if (await copyFolder(p.entry.rootDir, j.key, j.files, j.dest)) code.copied++;
                else code.reused++;
              }
            }),
          );
          incoming = rewritePaths(incoming, (rel) => dests.get(refKey(rel))!);
        }
        const result = mergeConfig(current, incoming);
        for (const w of result.warnings) warn(w);
        takeovers.push(...recorded[i].takeovers);
        for (const w of recorded[i].warnings) warn(w);
        current = result.merged;
        entries.push({ artifact_root: p.entry.entry.artifact_root, digest: p.digest, code, changes: result.report });
      }
      const names = { ...RUNTIME_FILES, stacks: STACKS_FILE };
      const before = { ...rawBefore, stacks: stacksBefore.text };
      const text = { ...serializeRuntimeConfig(current), stacks: encodeRuntimeFile(STACKS_CODEC, stacks, STACKS_HEADER) };
      const writes: { name: string; content: string }[] = [];
      // resources first, then functions.yml: no route (routing.yml's or a stack's own) names a
      // function not yet written; stacks.yml last: a gateway that reads a stack's new digest there
      // (it reads stacks.yml before routing.yml) serves its merged routes too. A file whose text is
      // unchanged is not rewritten: an unchanged re-apply must not make the gateway reload.
      for (const k of ['resources', 'functions', 'routing', 'stacks'] as const) {
        if (before[k] !== text[k]) writes.push({ name: names[k], content: text[k] });
      }
      // Written together (one fsync wait), renamed in the order above.
      const written = writes.map((w) => w.name);
      await writeFilesAtomic(
        writes.map((w) => ({ file: join(configDir, w.name), content: w.content })),
        { onRenamed: () => opts.onWritten?.(written) },
      );
      return {
        artifact: loaded.file,
        project: loaded.artifact.project,
        env: loaded.artifact.env,
        configDir,
        initial,
        entries,
        written,
        changed: written.some((f) => f !== STACKS_FILE),
        warnings,
        takeovers,
      } satisfies ApplyReport;
    },
    {
      timeoutMs: opts.lockTimeoutMs,
      onWait: (h) => log.info(`waiting for the deploy lock of ${configDir}${h ? ` (held by pid ${h.pid} on ${h.host} since ${h.since})` : ''}`),
      onTakeOver: (h) => log.info(`taking over a stale deploy lock of ${configDir}${h ? ` (pid ${h.pid} on ${h.host} is gone)` : ''}`),
    },
  );
}
