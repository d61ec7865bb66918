// Configuration from the environment (read in main, passed down) and the resources.yml file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseYaml, validate, ResourcesFile, ContractError } from '@esb/contracts';
import type { Credentials } from './provision.js';

export interface EnvConfig {
  dynamodbEndpoint: string | undefined;
  s3Endpoint: string | undefined;
  region: string;
  credentials: Credentials;
}

export const DUMMY_CREDENTIALS: Credentials = { accessKeyId: 'esb', secretAccessKey: 'esb' };

const nonEmpty = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

/** DYNAMODB_ENDPOINT / AWS_ENDPOINT_URL_DYNAMODB, S3_ENDPOINT / AWS_ENDPOINT_URL_S3 (then AWS_ENDPOINT_URL), region and credentials. */
export function configFromEnv(env: Record<string, string | undefined>): EnvConfig {
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  return {
    dynamodbEndpoint: nonEmpty(env.DYNAMODB_ENDPOINT) ?? nonEmpty(env.AWS_ENDPOINT_URL_DYNAMODB) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    s3Endpoint: nonEmpty(env.S3_ENDPOINT) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(nonEmpty(env.AWS_SESSION_TOKEN) ? { sessionToken: nonEmpty(env.AWS_SESSION_TOKEN) } : {}) }
        : DUMMY_CREDENTIALS,
  };
}

export class ResourcesPathError extends Error {
  constructor() {
    super('no resources.yml to read: set RESOURCES_YML or CONFIG_DIR, or pass --config-dir DIR');
    this.name = 'ResourcesPathError';
  }
}

/** --config-dir wins, then RESOURCES_YML, then ${CONFIG_DIR}/resources.yml. */
export function resourcesPath(env: Record<string, string | undefined>, configDir?: string): string {
  if (configDir) return join(configDir, 'resources.yml');
  const explicit = nonEmpty(env.RESOURCES_YML);
  if (explicit) return explicit;
  const dir = nonEmpty(env.CONFIG_DIR);
  if (dir) return join(dir, 'resources.yml');
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
