// Reading an artifact: artifact.yml and every runtime config file it points at, validated
// with the zod contracts, paths checked (nothing may escape the artifact folder). No access
// to the template or the repository is needed.
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import {
  ArtifactFile,
  EMPTY_FUNCTIONS,
  EMPTY_RESOURCES,
  EMPTY_ROUTING,
  FunctionsFile,
  ResourcesFile,
  RoutingFile,
  ContractError,
  validate,
  parseYaml,
  type ArtifactEntry,
  type StackOutput,
} from '@esb/contracts';
import { FUNCTIONS_CODEC, OUTPUTS_CODEC, readRuntimeFile, RESOURCES_CODEC, ROUTING_CODEC } from '@esb/contracts';
import { scanTree } from './digest.js';
import { ArtifactError } from './errors.js';
import type { RuntimeConfig } from './merge.js';

export const RUNTIME_FILES = { functions: FUNCTIONS_CODEC.name, routing: ROUTING_CODEC.name, resources: RESOURCES_CODEC.name } as const;

export interface LoadedEntry {
  index: number;
  entry: ArtifactEntry;
  /** Absolute, real path of the artifact root. */
  rootDir: string;
  /** Absolute path of the runtime config folder. */
  runtimeConfigDir: string;
  /** Validated runtime config; code/layer paths still relative to the artifact root. */
  config: RuntimeConfig;
  /** The stack's Outputs (outputs.yml of the runtime config folder; absent: the template has none). */
  outputs?: Record<string, StackOutput>;
  /** Relative paths (to the root) the config refers to: function code, layer folders. */
  refs: string[];
  /** Every file under the root ("/"-separated, relative, sorted). */
  files: string[];
}

export interface LoadedArtifact {
  file: string;
  dir: string;
  artifact: ArtifactFile;
  entries: LoadedEntry[];
}

/** Whether `p` is a relative path that stays inside its base (no "..", not absolute). */
export function isContainedRelative(p: string): boolean {
  if (p.includes('\0') || isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p)) return false;
  const n = normalize(p);
  return !(n === '..' || n.startsWith(`..${sep}`) || n.startsWith('../'));
}

async function realInside(base: string, target: string): Promise<string | undefined> {
  const real = await realpath(target);
  const rel = relative(base, real);
  return rel === '' || isContainedRelative(rel) ? real : undefined;
}

/** Reads functions.yml, routing.yml and resources.yml of a folder; a missing file is empty. */
export async function readRuntimeConfig(dir: string): Promise<{ config: RuntimeConfig; present: string[] }> {
  const [f, r, s] = await Promise.all([readRuntimeFile(FUNCTIONS_CODEC, dir), readRuntimeFile(ROUTING_CODEC, dir), readRuntimeFile(RESOURCES_CODEC, dir)]);
  const present: string[] = [];
  if (f.present) present.push(RUNTIME_FILES.functions);
  if (r.present) present.push(RUNTIME_FILES.routing);
  if (s.present) present.push(RUNTIME_FILES.resources);
  return { config: { functions: f.value, routing: r.value, resources: s.value }, present };
}

async function checkDir(base: string, rel: string, file: string, field: string): Promise<string> {
  if (!isContainedRelative(rel)) {
    throw new ArtifactError(file, field, `"${rel}" must be a relative path inside the artifact folder (no "..", not absolute)`);
  }
  const abs = resolve(base, rel);
  let real: string | undefined;
  try {
    real = await realInside(base, abs);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ArtifactError(file, field, code === 'ENOENT' ? `folder "${rel}" not found` : `cannot open "${rel}" (${code})`, { cause });
  }
  if (!real) throw new ArtifactError(file, field, `"${rel}" resolves (through a symlink) outside the artifact folder`);
  if (!(await stat(real)).isDirectory()) throw new ArtifactError(file, field, `"${rel}" is not a folder`);
  return real;
}

/** Loads and validates an artifact completely, touching nothing. */
export async function loadArtifact(artifactPath: string): Promise<LoadedArtifact> {
  const file = resolve(artifactPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ArtifactError(file, '', code === 'ENOENT' ? 'artifact.yml not found' : code === 'EISDIR' ? 'is a folder; pass the path of artifact.yml' : `cannot read (${code})`, {
      cause,
    });
  }
  const artifact = validate(ArtifactFile, parseYaml(text, file) ?? {}, file);
  const dir = await realpath(dirname(file));

  const entries: LoadedEntry[] = [];
  for (const [index, entry] of artifact.artifacts.entries()) {
    const rootDir = await checkDir(dir, entry.artifact_root, file, `artifacts[${index}].artifact_root`);
    const runtimeConfigDir = await checkDir(dir, entry.runtime_config_dir, file, `artifacts[${index}].runtime_config_dir`);
    const [{ config, present }, outputs] = await Promise.all([readRuntimeConfig(runtimeConfigDir), readRuntimeFile(OUTPUTS_CODEC, runtimeConfigDir)]);
    if (present.length === 0) {
      throw new ArtifactError(file, `artifacts[${index}].runtime_config_dir`, `no functions.yml, routing.yml or resources.yml in ${runtimeConfigDir}`);
    }
    const tree = await scanTree(rootDir);
    if (tree.escapes.length > 0) {
      throw new ArtifactError(file, `artifacts[${index}].artifact_root`, `symlink "${tree.escapes[0]}" leads outside the artifact root`);
    }
    const refs = new Set<string>();
    const ref = (rel: string, cfgFile: string, field: string) => {
      const where = join(runtimeConfigDir, cfgFile);
      if (!isContainedRelative(rel)) throw new ArtifactError(where, field, `"${rel}" must be a relative path inside the artifact root (no "..", not absolute)`);
      const key = refKey(rel);
      if (!tree.dirs.has(key)) {
        throw new ArtifactError(where, field, tree.files.includes(key) ? `"${rel}" is not a folder` : `folder "${rel}" not found in the artifact root`);
      }
      refs.add(rel);
    };
    for (const [name, fn] of Object.entries(config.functions.functions)) {
      if (fn.code !== undefined) ref(fn.code, RUNTIME_FILES.functions, `functions.${name}.code`);
      fn.layers.forEach((l, i) => ref(l.path, RUNTIME_FILES.functions, `functions.${name}.layers[${i}].path`));
    }
    (config.resources.resources.layers ?? []).forEach((l, i) => ref(l.ContentUri, RUNTIME_FILES.resources, `resources.layers[${i}].ContentUri`));
    entries.push({ index, entry, rootDir, runtimeConfigDir, config, ...(outputs.present ? { outputs: outputs.value.outputs } : {}), refs: [...refs], files: tree.files });
  }
  return { file, dir, artifact, entries };
}

/** "/"-separated, normalised form of a relative folder path ("" for the root). */
export function refKey(rel: string): string {
  const key = normalize(rel).split(sep).join('/').replace(/\/+$/, '');
  return key === '.' ? '' : key;
}

/** Rewrites code/layer paths (relative to the artifact root) to absolute paths: `dest(ref)`. Pure. */
export function rewritePaths(config: RuntimeConfig, dest: (rel: string) => string): RuntimeConfig {
  const abs = dest;
  const functions: FunctionsFile['functions'] = {};
  for (const [name, fn] of Object.entries(config.functions.functions)) {
    const next = { ...fn, layers: fn.layers.map((l) => ({ ...l, path: abs(l.path) })) };
    if (fn.code !== undefined) next.code = abs(fn.code);
    Object.defineProperty(functions, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  const res = config.resources.resources;
  const resources: ResourcesFile = {
    ...config.resources,
    resources: res.layers ? { ...res, layers: res.layers.map((l) => ({ ...l, ContentUri: abs(l.ContentUri) })) } : res,
  };
  return { functions: { ...config.functions, functions }, routing: config.routing, resources };
}
