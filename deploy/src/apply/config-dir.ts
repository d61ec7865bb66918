// CONFIG_DIR on disk: its initial state (seed files copied once, or valid empty files and a
// warning that nothing is deployed yet), reading it, and writing merged files atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { EMPTY_FUNCTIONS, EMPTY_RESOURCES, EMPTY_ROUTING, ContractError, YamlSyntaxError } from '@esb/contracts';
import { cleanStaleTmp, writeFileAtomic } from '@esb/contracts';
import { withDeployLock, type DeployLockOptions } from './lock.js';
import { decodeRuntimeFile, encodeRuntimeFile, FUNCTIONS_CODEC, RESOURCES_CODEC, ROUTING_CODEC, type RuntimeFileCodec } from '@esb/contracts';
import { prepareConfigDir } from '../layout/index.js';
import { readRuntimeConfig, RUNTIME_FILES } from './artifact.js';
import { ConfigDirError } from './errors.js';
import type { RuntimeConfig } from './merge.js';

export interface ApplyLog {
  warn(message: string): void;
  info(message: string): void;
}

export const silentLog: ApplyLog = { warn() {}, info() {} };

const HEADER = 'Written by esb artifact apply: the merged runtime config of this env.\nEdits are kept, but the next apply merges into this file.';

export function serializeRuntimeConfig(config: RuntimeConfig): Record<keyof typeof RUNTIME_FILES, string> {
  return {
    functions: encodeRuntimeFile(FUNCTIONS_CODEC, config.functions, HEADER),
    routing: encodeRuntimeFile(ROUTING_CODEC, config.routing, HEADER),
    resources: encodeRuntimeFile(RESOURCES_CODEC, config.resources, HEADER),
  };
}

export const NOTHING_DEPLOYED = 'nothing is deployed yet: run `esb deploy` (or `esb artifact apply`)';

export type InitState = 'existing' | 'seeded' | 'empty';

/** Raw text of the three files (undefined when missing). */
export type RawRuntimeFiles = Record<keyof typeof RUNTIME_FILES, string | undefined>;

async function readRawFiles(configDir: string): Promise<RawRuntimeFiles> {
  const read = async (name: string) => {
    try {
      return await readFile(join(configDir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const [functions, routing, resources] = await Promise.all([
    read(RUNTIME_FILES.functions),
    read(RUNTIME_FILES.routing),
    read(RUNTIME_FILES.resources),
  ]);
  return { functions, routing, resources };
}

/** Validates a seed folder without touching anything (missing files are empty). */
export async function loadSeed(seedDir: string): Promise<RuntimeConfig> {
  return (await readRuntimeConfig(seedDir)).config;
}

/**
 * Initialises CONFIG_DIR when it holds none of the three files: copies the seed (if given)
 * or writes valid empty files. When only some files exist, the missing ones are written
 * empty. Call it holding the deploy lock. Returns the text of the three files as they now
 * are (what it read, or what it wrote), so that apply reads each file once under the lock.
 */
export async function initConfigDirLocked(configDir: string, seed: RuntimeConfig | undefined): Promise<{ state: InitState; raw: RawRuntimeFiles }> {
  await cleanStaleTmp(configDir);
  await cleanStaleTmp(join(configDir, 'code'));
  const raw = await readRawFiles(configDir);
  const missing = (Object.keys(RUNTIME_FILES) as (keyof typeof RUNTIME_FILES)[]).filter((k) => raw[k] === undefined);
  if (missing.length === 0) return { state: 'existing', raw };
  const all = missing.length === 3;
  const source: RuntimeConfig =
    all && seed ? seed : { functions: EMPTY_FUNCTIONS, routing: EMPTY_ROUTING, resources: EMPTY_RESOURCES };
  const text = serializeRuntimeConfig(source);
  for (const k of ['resources', 'functions', 'routing'] as const) {
    if (!missing.includes(k)) continue;
    await writeFileAtomic(join(configDir, RUNTIME_FILES[k]), text[k]);
    raw[k] = text[k];
  }
  if (!all) return { state: 'existing', raw };
  return { state: seed ? 'seeded' : 'empty', raw };
}

/**
 * CONFIG_DIR's files for a merge, decoded from the text initConfigDirLocked returned (a missing
 * file is empty, as in readRuntimeConfig); a file apply cannot parse is an error (nothing is written).
 */
export function decodeExistingConfig(configDir: string, raw: RawRuntimeFiles): RuntimeConfig {
  const decode = <S extends z.ZodType>(c: RuntimeFileCodec<S>, text: string | undefined): z.output<S> =>
    text === undefined ? c.empty : decodeRuntimeFile(c, text, join(configDir, c.name));
  try {
    return { functions: decode(FUNCTIONS_CODEC, raw.functions), routing: decode(ROUTING_CODEC, raw.routing), resources: decode(RESOURCES_CODEC, raw.resources) };
  } catch (err) {
    if (err instanceof ContractError || err instanceof YamlSyntaxError) {
      throw new ConfigDirError(
        (err as ContractError).file,
        `the existing runtime config is invalid, so apply will not merge into it (fix or remove the file): ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

export interface EnsureConfigDirOptions {
  seedDir?: string;
  log?: ApplyLog;
  lock?: DeployLockOptions;
}

/**
 * For the gateway/controller at start: makes CONFIG_DIR usable. `mkdir -p`, writable check,
 * then under the deploy lock: seed files copied once, or valid empty files; warns when
 * nothing is deployed yet.
 */
export async function ensureConfigDir(configDir: string, opts: EnsureConfigDirOptions = {}): Promise<{ state: InitState }> {
  const log = opts.log ?? silentLog;
  const seed = opts.seedDir ? await loadSeed(opts.seedDir) : undefined;
  await prepareConfigDir(configDir);
  const { state } = await withDeployLock(configDir, () => initConfigDirLocked(configDir, seed), opts.lock);
  if (state === 'seeded') log.info(`CONFIG_DIR ${configDir}: initialised from seed ${opts.seedDir}`);
  if (state === 'empty') {
    log.warn(`No runtime config found in ${configDir}: created empty functions.yml, routing.yml, resources.yml; ${NOTHING_DEPLOYED}`);
  } else {
    const { config } = await readRuntimeConfig(configDir);
    if (Object.keys(config.functions.functions).length === 0 && config.routing.routes.length === 0) {
      log.warn(`CONFIG_DIR ${configDir} holds no functions and no routes: ${NOTHING_DEPLOYED}`);
    }
  }
  return { state };
}
