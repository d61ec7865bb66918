// Where things live on disk (docs/design.md, "Layout on disk"): global settings in ~/.esb/config.yaml, the merged
// runtime config of one project/env in <workspace>/.esb/staging/<project>/<env>/config/
// (no hashes in paths; removing <project>/<env> cleans one env). CONFIG_DIR overrides it.
import { access, constants, mkdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseYaml, validate } from '@esb/contracts';
import { writeFileAtomic } from '@esb/contracts';
import { stringify } from 'yaml';

export class LayoutError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'LayoutError';
  }
}

export class ConfigDirNotWritableError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`CONFIG_DIR ${dir} is not writable: ${reason}`, options);
    this.name = 'ConfigDirNotWritableError';
  }
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function segment(value: string, field: string): string {
  if (!SEGMENT.test(value) || value === '.' || value === '..') {
    throw new LayoutError(`${field} "${value}" cannot be used as a folder name (letters, digits, "-", "_", ".")`, field);
  }
  return value;
}

export interface StagingKey {
  workspace: string;
  project: string;
  env: string;
}

/** `<workspace>/.esb/staging/<project>/<env>/config`: the default CONFIG_DIR of one env. */
export function stagingConfigDir({ workspace, project, env }: StagingKey): string {
  return join(resolve(workspace), '.esb', 'staging', segment(project, 'project'), segment(env, 'env'), 'config');
}

/** `<workspace>/.esb/staging/<project>/<env>`: remove it to clean one env. */
export function stagingEnvDir(key: StagingKey): string {
  return resolve(stagingConfigDir(key), '..');
}

export interface ResolveConfigDirInput extends StagingKey {
  /** An explicit folder (`--out`); wins over everything. */
  out?: string;
  /** `CONFIG_DIR` from the settings: overrides the staging path. */
  configDirOverride?: string;
  /** Folder relative paths resolve against; default the workspace. */
  cwd?: string;
}

export interface ResolvedConfigDir {
  configDir: string;
  source: 'flag' | 'env' | 'staging';
}

/** `--out` > `CONFIG_DIR` > `<workspace>/.esb/staging/<project>/<env>/config`. */
export function resolveConfigDir(input: ResolveConfigDirInput): ResolvedConfigDir {
  const base = input.cwd ?? input.workspace;
  if (input.out) return { configDir: resolve(base, input.out), source: 'flag' };
  if (input.configDirOverride) return { configDir: resolve(base, input.configDirOverride), source: 'env' };
  return { configDir: stagingConfigDir(input), source: 'staging' };
}

/** `mkdir -p` the folder and check that we can write in it; a clear error otherwise. */
export async function prepareConfigDir(dir: string): Promise<void> {
  if (!isAbsolute(dir)) dir = resolve(dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied creating it'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'a part of the path is a file, not a folder'
          : code === 'EROFS'
            ? 'read-only file system'
            : `cannot create it (${code})`;
    throw new ConfigDirNotWritableError(dir, why, { cause });
  }
  const st = await stat(dir);
  if (!st.isDirectory()) throw new ConfigDirNotWritableError(dir, 'it is a file, not a folder');
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (cause) {
    throw new ConfigDirNotWritableError(dir, `permission denied (${(cause as NodeJS.ErrnoException).code})`, { cause });
  }
}

// ---------------------------------------------------------------- ~/.esb/config.yaml

export const GlobalConfig = z
  .object({
    recent_templates: z.array(z.string()).default([]),
    // Keys the gateway accepts in x-api-key for routes with ApiKeyRequired.
    api_keys: z.array(z.string().min(1)).default([]),
    // JWT authorizers: issuer -> JWKS URL or local JWKS file (instead of <issuer>/.well-known/jwks.json).
    jwks: z.record(z.string(), z.string().min(1)).default({}),
    defaults: z
      .object({ env: z.string().optional(), project: z.string().optional(), mode: z.enum(['docker', 'process']).optional() })
      .passthrough()
      .default({}),
  })
  .passthrough();
export type GlobalConfig = z.infer<typeof GlobalConfig>;

/** `$HOME/.esb` — `home` is passed in (tests override HOME). */
export function globalDir(home: string): string {
  return join(home, '.esb');
}

export function globalConfigPath(home: string): string {
  return join(globalDir(home), 'config.yaml');
}

export async function readGlobalConfig(home: string): Promise<GlobalConfig> {
  const file = globalConfigPath(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return validate(GlobalConfig, {}, file);
    throw err;
  }
  return validate(GlobalConfig, parseYaml(text, file) ?? {}, file);
}

export async function writeGlobalConfig(home: string, config: GlobalConfig): Promise<void> {
  await mkdir(globalDir(home), { recursive: true });
  await writeFileAtomic(globalConfigPath(home), stringify(config));
}

/** Puts `template` first in recent_templates (absolute, no duplicates, at most `max`). */
export async function rememberTemplate(home: string, template: string, max = 10): Promise<GlobalConfig> {
  const config = await readGlobalConfig(home);
  const abs = resolve(template);
  config.recent_templates = [abs, ...config.recent_templates.filter((t) => t !== abs)].slice(0, max);
  await writeGlobalConfig(home, config);
  return config;
}
