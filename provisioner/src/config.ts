// Where resources.yml is, and reading it. (Endpoints, region and credentials are settings the
// CLI reads and passes to provision().)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseYaml, validate, ResourcesFile, ContractError } from '@esb/contracts';

export class ResourcesPathError extends Error {
  constructor() {
    super('no resources.yml to read: set RESOURCES_YML or CONFIG_DIR, or pass --config-dir DIR');
    this.name = 'ResourcesPathError';
  }
}

export interface ResourcesLocation {
  /** `--config-dir`: wins over everything. */
  configDirFlag?: string;
  /** RESOURCES_YML */
  resourcesYml?: string;
  /** CONFIG_DIR */
  configDir?: string;
}

/** --config-dir wins, then RESOURCES_YML, then ${CONFIG_DIR}/resources.yml. */
export function resourcesPath(where: ResourcesLocation): string {
  if (where.configDirFlag) return join(where.configDirFlag, 'resources.yml');
  if (where.resourcesYml) return where.resourcesYml;
  if (where.configDir) return join(where.configDir, 'resources.yml');
  throw new ResourcesPathError();
}

export interface LoadedResources {
  file: string;
  resources: ResourcesFile;
  /** The file does not exist (a warning and a no-op, not an error). */
  missing: boolean;
}

/** Reads and validates resources.yml; a missing file is an empty one. Bad YAML or shapes throw (naming file and field). */
export async function loadResources(file: string): Promise<LoadedResources> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file, resources: { resources: {} }, missing: true };
    throw new ContractError(file, [{ path: '', message: `cannot read (${code})` }], { cause });
  }
  return { file, resources: validate(ResourcesFile, parseYaml(text, file) ?? {}, file), missing: false };
}
