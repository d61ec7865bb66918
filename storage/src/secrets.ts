// The model behind the Secrets Manager and SSM Parameter Store APIs of the storage's SQS port
// (docs/secrets.md): secrets with their versions and staging labels, parameters with their
// versions and labels, tags, and the rules both services apply to them. Plain data, an injected
// clock and randomness: no I/O, no timers. The wire shapes and input checks are
// secrets-actions.ts; the HTTP adapter and the snapshot file (`secrets.json`) are sqs-server.ts.
//
// Memory is bounded whatever the input (`SecretLimits`, docs/secrets.md "Limits"):
// - at most 10,000 secrets and parameters together (LimitExceededException / ParameterLimitExceeded);
// - a value is at most 64 KiB (a secret) or 4 KiB / 8 KiB (a Standard / Advanced parameter), as AWS;
// - at most 100 versions a secret or parameter: a secret's oldest versions without a staging
//   label go first (as Secrets Manager drops deprecated versions), a parameter's oldest
//   version goes unless it has a label (ParameterMaxVersionLimitExceeded, as SSM);
// - at most 32 MiB of values and descriptions over all versions: past that the oldest
//   unlabeled old versions of any secret or parameter go first; a write that still does not fit
//   is refused;
// - 50 tags a secret or parameter, 20 staging labels a secret version, 10 labels a parameter version.
import { randomInt, randomUUID } from 'node:crypto';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  MAX_ADVANCED_PARAMETER_BYTES,
  MAX_SECRET_VALUE_BYTES,
  MAX_STANDARD_PARAMETER_BYTES,
  SECRET_NAME,
  javaRegexAsJs,
  parameterArn,
  parameterArnTail,
  parameterNameProblem,
  secretArn,
  secretArnTail,
} from '@esb/contracts';
import { SNAPSHOT_FIELDS, SnapshotShapeError } from './sqs-queues.js';

/** Epoch milliseconds, injected. */
export interface SecretClock {
  now(): number;
}

/** Randomness, injected for tests (node:crypto's by default). */
export interface SecretRandom {
  /** A whole number from 0 to max - 1. */
  int(max: number): number;
  uuid(): string;
}

export const systemSecretRandom: SecretRandom = { int: (max) => randomInt(max), uuid: () => randomUUID() };

// ---- errors ---------------------------------------------------------------------------------

/** Errors of both APIs (`__type` and `x-amzn-errortype`); all answered with status 400 but InternalFailure. */
export type SecretsErrorCode =
  | 'ResourceNotFoundException'
  | 'ResourceExistsException'
  | 'InvalidParameterException'
  | 'InvalidRequestException'
  | 'InvalidNextTokenException'
  | 'LimitExceededException'
  | 'ValidationException'
  | 'ParameterNotFound'
  | 'ParameterAlreadyExists'
  | 'ParameterVersionNotFound'
  | 'ParameterLimitExceeded'
  | 'ParameterMaxVersionLimitExceeded'
  | 'ParameterVersionLabelLimitExceeded'
  | 'ParameterPatternMismatchException'
  | 'InvalidAllowedPatternException'
  | 'UnsupportedParameterType'
  | 'InvalidFilterKey'
  | 'InvalidFilterOption'
  | 'InvalidFilterValue'
  | 'InvalidNextToken'
  | 'InvalidResourceId'
  | 'InvalidResourceType'
  | 'TooManyTagsError'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'InternalFailure';

export class SecretsError extends Error {
  readonly status: number;
  constructor(
    readonly code: SecretsErrorCode,
    message: string,
    status?: number,
  ) {
    super(message);
    this.name = 'SecretsError';
    this.status = status ?? (code === 'InternalFailure' ? 500 : 400);
  }
}

// ---- limits ---------------------------------------------------------------------------------

export interface SecretLimits {
  /** Secrets and parameters together. */
  maxEntries: number;
  /** Versions kept a secret or parameter. */
  maxVersions: number;
  /** Bytes of values and descriptions over all versions of everything (plus 256 a version). */
  maxTotalBytes: number;
}

export const DEFAULT_SECRET_LIMITS: SecretLimits = { maxEntries: 10_000, maxVersions: 100, maxTotalBytes: 32 * 1024 * 1024 };

export const MAX_TAGS = 50;
export const MAX_STAGES_PER_VERSION = 20;
export const MAX_LABELS_PER_PARAMETER_VERSION = 10;
/** Memory charged for a version beyond its value and description. */
const VERSION_OVERHEAD_BYTES = 256;
const DAY_MS = 86_400_000;
export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';

// ---- secrets --------------------------------------------------------------------------------

export type SecretValue = { string: string } | { binary: Buffer };

export interface Tag {
  Key: string;
  Value: string;
}

interface SecretVersion {
  id: string;
  value: SecretValue;
  stages: string[];
  created: number;
  bytes: number;
}

interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  /** In the order they were made. */
  versions: Map<string, SecretVersion>;
  created: number;
  changed: number;
  /** The day (epoch ms at midnight UTC) it was last read. */
  accessed?: number;
  /** Marked for deletion: when, and when it goes for good. */
  deleted?: { at: number; until: number };
}

/** What DescribeSecret and ListSecrets tell of a secret. */
export interface SecretInfo {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  created: number;
  changed: number;
  accessed?: number;
  deletedAt?: number;
  versions: Record<string, string[]>;
}

/** One version's value, as GetSecretValue answers it. */
export interface SecretVersionValue {
  arn: string;
  name: string;
  versionId: string;
  value: SecretValue;
  stages: string[];
  created: number;
}

// ---- parameters -----------------------------------------------------------------------------

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type ParameterTier = 'Standard' | 'Advanced' | 'Intelligent-Tiering';

interface ParameterVersion {
  version: number;
  value: string;
  type: ParameterType;
  description?: string;
  keyId?: string;
  allowedPattern?: string;
  dataType: string;
  tier: 'Standard' | 'Advanced';
  labels: string[];
  modified: number;
  bytes: number;
}

interface Parameter {
  name: string;
  tags: Tag[];
  /** Oldest first; the last is the current one. */
  versions: ParameterVersion[];
}

/** A parameter at one version, as GetParameter and GetParameterHistory answer it. */
export interface ParameterView {
  name: string;
  arn: string;
  type: ParameterType;
  value: string;
  version: number;
  modified: number;
  dataType: string;
  tier: 'Standard' | 'Advanced';
  labels: string[];
  description?: string;
  keyId?: string;
  allowedPattern?: string;
  /** `:<version>` or `:<label>` when the name asked for one. */
  selector?: string;
}

export interface PutParameterInput {
  name: string;
  value: string;
  type?: ParameterType;
  description?: string;
  keyId?: string;
  overwrite?: boolean;
  allowedPattern?: string;
  tags?: Tag[];
  tier?: ParameterTier;
  dataType?: string;
}

export interface SecretStoreOptions {
  clock?: SecretClock;
  random?: SecretRandom;
  limits?: Partial<SecretLimits>;
  region?: string;
  account?: string;
  onChange?: () => void;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A parameter label: 1-100 letters, digits, `.`, `-`, `_`, not starting with a digit, "aws" or "ssm". */
const PARAMETER_LABEL = /^(?![0-9])(?![aA][wW][sS])(?![sS][sS][mM])[a-zA-Z0-9_.-]{1,100}$/;

export function valueBytes(value: SecretValue): number {
  return 'string' in value ? Buffer.byteLength(value.string) : value.binary.length;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if ('string' in a && 'string' in b) return a.string === b.string;
  if ('binary' in a && 'binary' in b) return a.binary.equals(b.binary);
  return false;
}

export class SecretStore {
  readonly clock: SecretClock;
  readonly limits: SecretLimits;
  readonly region: string;
  readonly account: string;
  onChange: () => void;
  private readonly random: SecretRandom;
  private readonly secrets = new Map<string, Secret>();
  private readonly parameters = new Map<string, Parameter>();
  private totalBytes = 0;

  constructor(options: SecretStoreOptions = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.random = options.random ?? systemSecretRandom;
    this.limits = { ...DEFAULT_SECRET_LIMITS, ...options.limits };
    this.region = options.region ?? LOCAL_REGION;
    this.account = options.account ?? LOCAL_ACCOUNT_ID;
    this.onChange = options.onChange ?? (() => {});
  }

  /** Bytes charged against maxTotalBytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  randomInt(max: number): number {
    return this.random.int(max);
  }

  // -- secrets --

  createSecret(input: { name: string; description?: string; kmsKeyId?: string; value?: SecretValue; tags?: Tag[]; versionId?: string }): { arn: string; name: string; versionId?: string } {
    this.purgeExpired();
    const existing = this.secrets.get(input.name);
    if (existing?.deleted) throw new SecretsError('InvalidRequestException', `You can't create this secret because a secret with the name ${input.name} is already scheduled for deletion.`);
    if (existing) throw new SecretsError('ResourceExistsException', `The operation failed because the secret ${input.name} already exists.`);
    this.checkEntries('LimitExceededException');
    checkTags(input.tags ?? []);
    const now = this.clock.now();
    const arns = new Set([...this.secrets.values()].map((s) => s.arn));
    let arn: string;
    do {
      let suffix = '';
      for (let i = 0; i < 6; i++) suffix += ALPHANUMERIC[this.random.int(ALPHANUMERIC.length)];
      arn = secretArn(input.name, suffix, this.region, this.account);
    } while (arns.has(arn));
    const secret: Secret = { name: input.name, arn, tags: [...(input.tags ?? [])], versions: new Map(), created: now, changed: now };
    if (input.description !== undefined) secret.description = input.description;
    if (input.kmsKeyId !== undefined) secret.kmsKeyId = input.kmsKeyId;
    this.totalBytes += Buffer.byteLength(secret.description ?? '');
    let versionId: string | undefined;
    if (input.value) {
      this.makeRoom(valueBytes(input.value) + VERSION_OVERHEAD_BYTES);
      versionId = this.addVersion(secret, input.value, input.versionId, [CURRENT]).id;
    }
    this.secrets.set(secret.name, secret);
    this.onChange();
    return { arn, name: secret.name, ...(versionId ? { versionId } : {}) };
  }

  getSecretValue(id: string, select: { versionId?: string; stage?: string } = {}): SecretVersionValue {
    const secret = this.liveSecret(id);
    let version: SecretVersion | undefined;
    if (select.versionId !== undefined) {
      version = secret.versions.get(select.versionId);
      if (!version || (select.stage !== undefined && !version.stages.includes(select.stage))) {
        throw new SecretsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${select.versionId}${select.stage !== undefined ? ` and staging label: ${select.stage}` : ''}`);
      }
    } else {
      const stage = select.stage ?? CURRENT;
      version = this.versionWithStage(secret, stage);
      if (!version) throw new SecretsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    }
    // LastAccessedDate is a day: at most one change a day, so reading never costs a snapshot write.
    const today = Math.floor(this.clock.now() / DAY_MS) * DAY_MS;
    if (secret.accessed !== today) {
      secret.accessed = today;
      this.onChange();
    }
    return { arn: secret.arn, name: secret.name, versionId: version.id, value: version.value, stages: [...version.stages], created: version.created };
  }

  putSecretValue(id: string, input: { value: SecretValue; versionId?: string; stages?: string[] }): { arn: string; name: string; versionId: string; stages: string[] } {
    const secret = this.liveSecret(id);
    const stages = input.stages ?? [CURRENT];
    const existing = input.versionId !== undefined ? secret.versions.get(input.versionId) : undefined;
    if (existing) {
      // A retried request (the same ClientRequestToken and value) changes nothing.
      if (!sameValue(existing.value, input.value)) throw new SecretsError('ResourceExistsException', `You can't modify an existing version, you can only create new versions. The version ${existing.id} already exists with another value.`);
      return { arn: secret.arn, name: secret.name, versionId: existing.id, stages: [...existing.stages] };
    }
    this.makeRoom(valueBytes(input.value) + VERSION_OVERHEAD_BYTES, stages.includes(CURRENT) ? secret : undefined);
    const version = this.addVersion(secret, input.value, input.versionId, stages);
    this.onChange();
    return { arn: secret.arn, name: secret.name, versionId: version.id, stages: [...version.stages] };
  }

  updateSecret(id: string, input: { description?: string; kmsKeyId?: string; value?: SecretValue; versionId?: string }): { arn: string; name: string; versionId?: string } {
    const secret = this.liveSecret(id);
    if (input.description !== undefined) {
      this.totalBytes += Buffer.byteLength(input.description) - Buffer.byteLength(secret.description ?? '');
      secret.description = input.description;
    }
    if (input.kmsKeyId !== undefined) secret.kmsKeyId = input.kmsKeyId;
    secret.changed = this.clock.now();
    let versionId: string | undefined;
    if (input.value) versionId = this.putSecretValue(id, { value: input.value, versionId: input.versionId }).versionId;
    this.onChange();
    return { arn: secret.arn, name: secret.name, ...(versionId ? { versionId } : {}) };
  }

  describeSecret(id: string): SecretInfo {
    return this.info(this.secret(id));
  }

  /** Every secret (those marked for deletion when `includeDeleted`), oldest first. */
  listSecrets(includeDeleted = false): SecretInfo[] {
    this.purgeExpired();
    return [...this.secrets.values()].filter((s) => includeDeleted || !s.deleted).sort((a, b) => a.created - b.created || (a.name < b.name ? -1 : 1)).map((s) => this.info(s));
  }

  deleteSecret(id: string, options: { force?: boolean; recoveryDays?: number } = {}): { arn: string; name: string; deletionDate: number } {
    const secret = this.secret(id);
    const now = this.clock.now();
    if (options.force) {
      this.drop(secret);
      this.onChange();
      return { arn: secret.arn, name: secret.name, deletionDate: now };
    }
    if (secret.deleted) throw markedForDeletion();
    secret.deleted = { at: now, until: now + (options.recoveryDays ?? 30) * DAY_MS };
    this.onChange();
    return { arn: secret.arn, name: secret.name, deletionDate: secret.deleted.until };
  }

  restoreSecret(id: string): { arn: string; name: string } {
    const secret = this.secret(id);
    if (secret.deleted) {
      delete secret.deleted;
      this.onChange();
    }
    return { arn: secret.arn, name: secret.name };
  }

  tagSecret(id: string, tags: Tag[]): void {
    const secret = this.secret(id);
    secret.tags = mergeTags(secret.tags, tags);
    this.onChange();
  }

  untagSecret(id: string, keys: string[]): void {
    const secret = this.secret(id);
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    this.onChange();
  }

  listSecretVersionIds(id: string, includeDeprecated = false): { arn: string; name: string; versions: Array<{ id: string; stages: string[]; created: number }> } {
    const secret = this.secret(id);
    const versions = [...secret.versions.values()].filter((v) => includeDeprecated || v.stages.length > 0).map((v) => ({ id: v.id, stages: [...v.stages], created: v.created }));
    return { arn: secret.arn, name: secret.name, versions };
  }

  /** Moves (or removes) a staging label, as rotation code does; AWSCURRENT leaves AWSPREVIOUS behind it. */
  updateSecretVersionStage(id: string, stage: string, options: { removeFrom?: string; moveTo?: string }): { arn: string; name: string } {
    const secret = this.liveSecret(id);
    const holder = this.versionWithStage(secret, stage);
    for (const v of [options.removeFrom, options.moveTo]) {
      if (v !== undefined && !secret.versions.has(v)) throw new SecretsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret version: ${v}`);
    }
    if (options.moveTo !== undefined) {
      if (holder && holder.id !== options.moveTo && options.removeFrom !== holder.id) {
        throw new SecretsError('InvalidParameterException', `The staging label ${stage} is attached to version ${holder.id}: name that version in RemoveFromVersionId to move the label.`);
      }
      this.attach(secret, secret.versions.get(options.moveTo)!, stage);
    } else if (options.removeFrom !== undefined) {
      if (stage === CURRENT) throw new SecretsError('InvalidParameterException', 'You can only move staging label AWSCURRENT to a different secret version. It can\'t be completely removed.');
      const from = secret.versions.get(options.removeFrom)!;
      if (!from.stages.includes(stage)) throw new SecretsError('InvalidParameterException', `The staging label ${stage} is not attached to version ${from.id}.`);
      from.stages = from.stages.filter((s) => s !== stage);
    } else throw new SecretsError('InvalidParameterException', 'You must name a version in RemoveFromVersionId or MoveToVersionId.');
    secret.changed = this.clock.now();
    this.trimVersions(secret);
    this.onChange();
    return { arn: secret.arn, name: secret.name };
  }

  // -- parameters --

  putParameter(input: PutParameterInput): { version: number; tier: 'Standard' | 'Advanced' } {
    const problem = parameterNameProblem(input.name);
    if (problem) throw new SecretsError('ValidationException', problem);
    const existing = this.parameters.get(input.name);
    if (existing && !input.overwrite) throw new SecretsError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    if (input.overwrite && input.tags?.length) throw new SecretsError('ValidationException', 'Invalid request: tags and overwrite can\'t be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.');
    const current = existing?.versions.at(-1);
    const type = input.type ?? current?.type;
    if (!type) throw new SecretsError('ValidationException', 'A parameter type is required when you create a parameter.');
    const allowedPattern = input.allowedPattern ?? current?.allowedPattern;
    if (allowedPattern !== undefined) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(javaRegexAsJs(allowedPattern));
      } catch {
        throw new SecretsError('InvalidAllowedPatternException', `The allowed pattern ${allowedPattern} is not a valid regular expression.`);
      }
      if (!pattern.test(input.value)) throw new SecretsError('ParameterPatternMismatchException', `Parameter value, cannot be validated against allowedPattern: ${allowedPattern}`);
    }
    const bytes = Buffer.byteLength(input.value);
    const wanted = input.tier ?? 'Standard';
    // A parameter never goes back to the Standard tier once Advanced (as SSM).
    let tier: 'Standard' | 'Advanced' = current?.tier === 'Advanced' || wanted === 'Advanced' ? 'Advanced' : 'Standard';
    if (wanted === 'Intelligent-Tiering' && bytes > MAX_STANDARD_PARAMETER_BYTES) tier = 'Advanced';
    if (tier === 'Standard' && bytes > MAX_STANDARD_PARAMETER_BYTES) throw new SecretsError('ValidationException', `Standard tier parameters support a maximum parameter value of ${MAX_STANDARD_PARAMETER_BYTES} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`);
    if (bytes > MAX_ADVANCED_PARAMETER_BYTES) throw new SecretsError('ValidationException', `Advanced tier parameters support a maximum parameter value of ${MAX_ADVANCED_PARAMETER_BYTES} characters.`);
    if (!existing) this.checkEntries('ParameterLimitExceeded');
    checkTags(input.tags ?? []);
    const description = input.description ?? current?.description;
    const version: ParameterVersion = {
      version: (current?.version ?? 0) + 1,
      value: input.value,
      type,
      ...(description !== undefined ? { description } : {}),
      ...(type === 'SecureString' ? { keyId: input.keyId ?? current?.keyId ?? 'alias/aws/ssm' } : {}),
      ...(allowedPattern !== undefined ? { allowedPattern } : {}),
      dataType: input.dataType ?? current?.dataType ?? 'text',
      tier,
      labels: [],
      modified: this.clock.now(),
      bytes: bytes + Buffer.byteLength(description ?? '') + VERSION_OVERHEAD_BYTES,
    };
    const parameter = existing ?? { name: input.name, tags: [...(input.tags ?? [])], versions: [] };
    if (parameter.versions.length >= this.limits.maxVersions) {
      const oldest = parameter.versions[0];
      if (oldest.labels.length) {
        throw new SecretsError('ParameterMaxVersionLimitExceeded', `You attempted to create a new version of ${input.name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`);
      }
    }
    this.makeRoom(version.bytes, parameter);
    if (parameter.versions.length >= this.limits.maxVersions) this.totalBytes -= parameter.versions.shift()!.bytes;
    parameter.versions.push(version);
    this.totalBytes += version.bytes;
    this.parameters.set(parameter.name, parameter);
    this.onChange();
    return { version: version.version, tier };
  }

  /** A parameter by name or ARN, at its current version or `name:<version>` / `name:<label>`. */
  getParameter(nameOrArn: string): ParameterView {
    // Names hold no ":" (nor do ARNs after `parameter/`): one there starts a selector.
    const isArn = nameOrArn.startsWith('arn:');
    const tail = isArn ? parameterArnTail(nameOrArn) : nameOrArn;
    const at = tail === undefined ? -1 : tail.lastIndexOf(':');
    const base = tail === undefined ? undefined : at > 0 ? tail.slice(0, at) : tail;
    const selector = tail !== undefined && at > 0 ? tail.slice(at + 1) : undefined;
    const parameter = base === undefined ? undefined : isArn ? (this.parameters.get(base) ?? this.parameters.get(`/${base}`)) : this.parameters.get(base);
    if (!parameter) throw parameterNotFound(nameOrArn);
    let version = parameter.versions.at(-1)!;
    if (selector !== undefined) {
      const found = /^\d+$/.test(selector) ? parameter.versions.find((v) => v.version === Number(selector)) : parameter.versions.find((v) => v.labels.includes(selector!));
      if (!found) throw new SecretsError('ParameterVersionNotFound', `Systems Manager could not find version ${selector} of ${parameter.name}. Verify the version and try again.`);
      version = found;
    }
    return { ...this.view(parameter, version), ...(selector !== undefined ? { selector: `:${selector}` } : {}) };
  }

  /** The parameters under a path (`/a/b`): its direct children, or every level below when `recursive`; by name. */
  parametersByPath(path: string, recursive: boolean): ParameterView[] {
    const prefix = path === '/' ? '/' : `${path.replace(/\/$/, '')}/`;
    const out: ParameterView[] = [];
    for (const p of this.parameters.values()) {
      const name = p.name.startsWith('/') ? p.name : `/${p.name}`;
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      if (rest === '' || (!recursive && rest.includes('/'))) continue;
      out.push(this.view(p, p.versions.at(-1)!));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every parameter at its current version, by name. */
  listParameters(): ParameterView[] {
    return [...this.parameters.values()].map((p) => this.view(p, p.versions.at(-1)!)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  parameterHistory(nameOrArn: string): ParameterView[] {
    const parameter = this.findParameter(nameOrArn);
    if (!parameter) throw parameterNotFound(nameOrArn);
    return parameter.versions.map((v) => this.view(parameter, v));
  }

  parameterTagsOf(name: string): Tag[] {
    return [...(this.findParameter(name)?.tags ?? [])];
  }

  deleteParameter(nameOrArn: string): void {
    const parameter = this.findParameter(nameOrArn);
    if (!parameter) throw parameterNotFound(nameOrArn);
    for (const v of parameter.versions) this.totalBytes -= v.bytes;
    this.parameters.delete(parameter.name);
    this.onChange();
  }

  hasParameter(nameOrArn: string): boolean {
    return this.findParameter(nameOrArn) !== undefined;
  }

  /** Attaches labels to a version (the current one by default), moving them from other versions; invalid labels are answered, not attached. */
  labelParameterVersion(nameOrArn: string, labels: string[], versionNumber?: number): { invalid: string[]; version: number } {
    const parameter = this.findParameter(nameOrArn);
    if (!parameter) throw parameterNotFound(nameOrArn);
    const version = versionNumber === undefined ? parameter.versions.at(-1)! : parameter.versions.find((v) => v.version === versionNumber);
    if (!version) throw new SecretsError('ParameterVersionNotFound', `Systems Manager could not find version ${versionNumber} of ${parameter.name}. Verify the version and try again.`);
    const invalid = labels.filter((l) => !PARAMETER_LABEL.test(l));
    const valid = labels.filter((l) => PARAMETER_LABEL.test(l) && !version.labels.includes(l));
    if (version.labels.length + valid.length > MAX_LABELS_PER_PARAMETER_VERSION) throw new SecretsError('ParameterVersionLabelLimitExceeded', `A parameter version can have at most ${MAX_LABELS_PER_PARAMETER_VERSION} labels.`);
    for (const label of valid) {
      for (const v of parameter.versions) v.labels = v.labels.filter((l) => l !== label);
      version.labels.push(label);
    }
    if (valid.length) this.onChange();
    return { invalid, version: version.version };
  }

  unlabelParameterVersion(nameOrArn: string, versionNumber: number, labels: string[]): { removed: string[]; invalid: string[] } {
    const parameter = this.findParameter(nameOrArn);
    if (!parameter) throw parameterNotFound(nameOrArn);
    const version = parameter.versions.find((v) => v.version === versionNumber);
    if (!version) throw new SecretsError('ParameterVersionNotFound', `Systems Manager could not find version ${versionNumber} of ${parameter.name}. Verify the version and try again.`);
    const removed = labels.filter((l) => version.labels.includes(l));
    version.labels = version.labels.filter((l) => !labels.includes(l));
    if (removed.length) this.onChange();
    return { removed, invalid: labels.filter((l) => !removed.includes(l)) };
  }

  tagParameter(nameOrArn: string, tags: Tag[]): void {
    const parameter = this.findParameter(nameOrArn);
    if (!parameter) throw new SecretsError('InvalidResourceId', 'The resource ID is not valid. Verify that you entered the correct ID and try again.');
    parameter.tags = mergeTags(parameter.tags, tags);
    this.onChange();
  }

  untagParameter(nameOrArn: string, keys: string[]): void {
    const parameter = this.findParameter(nameOrArn);
    if (!parameter) throw new SecretsError('InvalidResourceId', 'The resource ID is not valid. Verify that you entered the correct ID and try again.');
    parameter.tags = parameter.tags.filter((t) => !keys.includes(t.Key));
    this.onChange();
  }

  /** Drops secrets whose recovery window has ended. */
  sweep(): void {
    if (this.purgeExpired()) this.onChange();
  }

  counts(): { secrets: number; parameters: number } {
    return { secrets: this.secrets.size, parameters: this.parameters.size };
  }

  // -- snapshot --

  toSnapshot(): SecretsSnapshot {
    return {
      version: 1,
      secrets: [...this.secrets.values()].map((s) => ({
        name: s.name,
        arn: s.arn,
        ...(s.description !== undefined ? { description: s.description } : {}),
        ...(s.kmsKeyId !== undefined ? { kmsKeyId: s.kmsKeyId } : {}),
        tags: s.tags.map((t) => ({ ...t })),
        created: s.created,
        changed: s.changed,
        ...(s.accessed !== undefined ? { accessed: s.accessed } : {}),
        ...(s.deleted ? { deleted: { ...s.deleted } } : {}),
        versions: [...s.versions.values()].map((v) => ({ id: v.id, ...('string' in v.value ? { string: v.value.string } : { binary: v.value.binary.toString('base64') }), stages: [...v.stages], created: v.created })),
      })),
      parameters: [...this.parameters.values()].map((p) => ({
        name: p.name,
        tags: p.tags.map((t) => ({ ...t })),
        versions: p.versions.map(({ bytes: _, labels, ...v }) => ({ ...v, labels: [...labels] })),
      })),
    };
  }

  /** Replaces everything with the snapshot's; a snapshot of another shape is an error saying where (nothing is replaced then). */
  loadSnapshot(data: unknown): void {
    const { secrets, parameters } = readSnapshot(data);
    this.secrets.clear();
    this.parameters.clear();
    this.totalBytes = 0;
    for (const s of secrets) {
      this.secrets.set(s.name, s);
      this.totalBytes += Buffer.byteLength(s.description ?? '');
      for (const v of s.versions.values()) this.totalBytes += v.bytes;
    }
    for (const p of parameters) {
      this.parameters.set(p.name, p);
      for (const v of p.versions) this.totalBytes += v.bytes;
    }
    this.purgeExpired();
  }

  // -- internals --

  /** A secret by name, full ARN, partial ARN (no suffix), or an ARN whose suffix differs (a template's, docs/secrets.md "ARNs"). */
  private findSecret(id: string): Secret | undefined {
    this.purgeExpired();
    const tail = id.startsWith('arn:') ? secretArnTail(id) : undefined;
    if (tail === undefined) return id.startsWith('arn:') ? undefined : this.secrets.get(id);
    for (const s of this.secrets.values()) if (s.arn === id) return s;
    const named = this.secrets.get(tail);
    if (named) return named;
    const m = /^(.+)-[A-Za-z0-9]{6}$/.exec(tail);
    return m ? this.secrets.get(m[1]) : undefined;
  }

  private secret(id: string): Secret {
    const secret = this.findSecret(id);
    if (!secret) throw new SecretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** A secret not marked for deletion. */
  private liveSecret(id: string): Secret {
    const secret = this.secret(id);
    if (secret.deleted) throw markedForDeletion();
    return secret;
  }

  private findParameter(nameOrArn: string): Parameter | undefined {
    if (nameOrArn.startsWith('arn:')) {
      const tail = parameterArnTail(nameOrArn);
      if (tail === undefined) return undefined;
      return this.parameters.get(tail) ?? this.parameters.get(`/${tail}`);
    }
    return this.parameters.get(nameOrArn);
  }

  private view(p: Parameter, v: ParameterVersion): ParameterView {
    return {
      name: p.name,
      arn: parameterArn(p.name, this.region, this.account),
      type: v.type,
      value: v.value,
      version: v.version,
      modified: v.modified,
      dataType: v.dataType,
      tier: v.tier,
      labels: [...v.labels],
      ...(v.description !== undefined ? { description: v.description } : {}),
      ...(v.keyId !== undefined ? { keyId: v.keyId } : {}),
      ...(v.allowedPattern !== undefined ? { allowedPattern: v.allowedPattern } : {}),
    };
  }

  private info(s: Secret): SecretInfo {
    const versions: Record<string, string[]> = {};
    for (const v of s.versions.values()) if (v.stages.length) versions[v.id] = [...v.stages];
    return {
      arn: s.arn,
      name: s.name,
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.kmsKeyId !== undefined ? { kmsKeyId: s.kmsKeyId } : {}),
      tags: s.tags.map((t) => ({ ...t })),
      created: s.created,
      changed: s.changed,
      ...(s.accessed !== undefined ? { accessed: s.accessed } : {}),
      ...(s.deleted ? { deletedAt: s.deleted.at } : {}),
      versions,
    };
  }

  private versionWithStage(secret: Secret, stage: string): SecretVersion | undefined {
    for (const v of secret.versions.values()) if (v.stages.includes(stage)) return v;
    return undefined;
  }

  /** Puts `stage` on `version` alone; AWSCURRENT moving away leaves AWSPREVIOUS on the version it left. */
  private attach(secret: Secret, version: SecretVersion, stage: string): void {
    if (version.stages.includes(stage)) return;
    const holder = this.versionWithStage(secret, stage);
    if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
    if (version.stages.length >= MAX_STAGES_PER_VERSION) throw new SecretsError('LimitExceededException', `A secret version can have at most ${MAX_STAGES_PER_VERSION} staging labels.`);
    version.stages.push(stage);
    if (stage === CURRENT && holder) {
      const previous = this.versionWithStage(secret, PREVIOUS);
      if (previous) previous.stages = previous.stages.filter((s) => s !== PREVIOUS);
      holder.stages.push(PREVIOUS);
    }
  }

  private addVersion(secret: Secret, value: SecretValue, versionId: string | undefined, stages: string[]): SecretVersion {
    const now = this.clock.now();
    const version: SecretVersion = { id: versionId ?? this.random.uuid(), value, stages: [], created: now, bytes: valueBytes(value) + VERSION_OVERHEAD_BYTES };
    secret.versions.set(version.id, version);
    this.totalBytes += version.bytes;
    for (const stage of stages) this.attach(secret, version, stage);
    secret.changed = now;
    this.trimVersions(secret);
    return version;
  }

  /** Past maxVersions, the oldest versions without a staging label go. */
  private trimVersions(secret: Secret): void {
    for (const v of [...secret.versions.values()]) {
      if (secret.versions.size <= this.limits.maxVersions) break;
      if (v.stages.length === 0) {
        secret.versions.delete(v.id);
        this.totalBytes -= v.bytes;
      }
    }
  }

  /**
   * Frees room for `needed` more bytes: the oldest old versions go first (a secret's without a
   * label, a parameter's but its current one and labeled ones; a parameter being written keeps
   * its own; a secret getting a new AWSCURRENT may lose its AWSPREVIOUS, which that new version
   * would leave without a label); a write that still does not fit is refused.
   */
  private makeRoom(needed: number, writing?: Parameter | Secret): void {
    while (this.totalBytes + needed > this.limits.maxTotalBytes) {
      let oldest: { at: number; drop: () => void } | undefined;
      for (const s of this.secrets.values()) {
        for (const v of s.versions.values()) {
          const deprecated = v.stages.length === 0 || (s === writing && v.stages.length === 1 && v.stages[0] === PREVIOUS);
          if (deprecated && (!oldest || v.created < oldest.at)) oldest = { at: v.created, drop: () => s.versions.delete(v.id) && (this.totalBytes -= v.bytes) };
        }
      }
      for (const p of this.parameters.values()) {
        if ((p as Parameter | Secret) === writing) continue;
        for (const v of p.versions.slice(0, -1)) {
          if (v.labels.length === 0 && (!oldest || v.modified < oldest.at)) oldest = { at: v.modified, drop: () => p.versions.splice(p.versions.indexOf(v), 1) && (this.totalBytes -= v.bytes) };
        }
      }
      if (!oldest) {
        const max = this.limits.maxTotalBytes;
        const size = max >= 1024 * 1024 ? `${Math.round(max / 1024 / 1024)} MiB` : `${max} bytes`;
        throw new SecretsError(writing && !('arn' in writing) ? 'ParameterLimitExceeded' : 'LimitExceededException', `esb holds at most ${size} of secret and parameter values; delete some to make room (docs/secrets.md "Limits").`);
      }
      oldest.drop();
    }
  }

  private checkEntries(code: 'LimitExceededException' | 'ParameterLimitExceeded'): void {
    if (this.secrets.size + this.parameters.size >= this.limits.maxEntries) {
      throw new SecretsError(code, `esb holds at most ${this.limits.maxEntries} secrets and parameters together (docs/secrets.md "Limits").`);
    }
  }

  private drop(secret: Secret): void {
    this.secrets.delete(secret.name);
    this.totalBytes -= Buffer.byteLength(secret.description ?? '');
    for (const v of secret.versions.values()) this.totalBytes -= v.bytes;
  }

  private purgeExpired(): boolean {
    const now = this.clock.now();
    let purged = false;
    for (const s of [...this.secrets.values()]) {
      if (s.deleted && s.deleted.until <= now) {
        this.drop(s);
        purged = true;
      }
    }
    return purged;
  }
}

function markedForDeletion(): SecretsError {
  return new SecretsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
}

function parameterNotFound(name: string): SecretsError {
  return new SecretsError('ParameterNotFound', `Parameter ${name} not found.`);
}

function checkTags(tags: Tag[]): void {
  if (tags.length > MAX_TAGS) throw new SecretsError('ValidationException', `A resource can have at most ${MAX_TAGS} tags.`);
}

/** Tags by key: the new value wins, at most MAX_TAGS. */
function mergeTags(current: Tag[], added: Tag[]): Tag[] {
  const out = current.map((t) => ({ ...t }));
  for (const t of added) {
    const at = out.findIndex((x) => x.Key === t.Key);
    if (at >= 0) out[at] = { ...t };
    else out.push({ ...t });
  }
  checkTags(out);
  return out;
}

// ---- snapshot -------------------------------------------------------------------------------

export interface SecretsSnapshot {
  version: 1;
  secrets: Array<{
    name: string;
    arn: string;
    description?: string;
    kmsKeyId?: string;
    tags: Tag[];
    created: number;
    changed: number;
    accessed?: number;
    deleted?: { at: number; until: number };
    versions: Array<{ id: string; string?: string; /** base64 */ binary?: string; stages: string[]; created: number }>;
  }>;
  parameters: Array<{ name: string; tags: Tag[]; versions: Array<Omit<ParameterVersion, 'bytes'>> }>;
}

/** Checks a parsed snapshot field by field, so that a damaged file is an error naming the field, never a half-loaded store. */
function readSnapshot(data: unknown): { secrets: Secret[]; parameters: Parameter[] } {
  const { object, array, text, number } = SNAPSHOT_FIELDS;
  const optText = (v: unknown, where: string): string | undefined => (v === undefined ? undefined : text(v, where));
  const texts = (v: unknown, where: string): string[] => array(v, where).map((x, i) => text(x, `${where}[${i}]`));
  const tags = (v: unknown, where: string): Tag[] => array(v, where).map((t, i) => ({ Key: text(object(t, `${where}[${i}]`).Key, `${where}[${i}].Key`), Value: text((t as Record<string, unknown>).Value, `${where}[${i}].Value`) }));
  const root = object(data, 'snapshot');
  if (root.version !== 1) throw new SnapshotShapeError('version', 'must be 1');
  const secretNames = new Set<string>();
  const secrets = array(root.secrets, 'secrets').map((raw, i): Secret => {
    const where = `secrets[${i}]`;
    const s = object(raw, where);
    const name = text(s.name, `${where}.name`);
    if (!SECRET_NAME.test(name) || secretNames.has(name)) throw new SnapshotShapeError(`${where}.name`, 'is not a secret name or appears twice');
    secretNames.add(name);
    const arn = text(s.arn, `${where}.arn`);
    if (secretArnTail(arn) === undefined) throw new SnapshotShapeError(`${where}.arn`, 'is not a secret ARN');
    const versions = new Map<string, SecretVersion>();
    array(s.versions, `${where}.versions`).forEach((rawVersion, j) => {
      const vw = `${where}.versions[${j}]`;
      const v = object(rawVersion, vw);
      const id = text(v.id, `${vw}.id`);
      const value: SecretValue = v.binary !== undefined ? { binary: Buffer.from(text(v.binary, `${vw}.binary`), 'base64') } : { string: text(v.string, `${vw}.string`) };
      if (valueBytes(value) > MAX_SECRET_VALUE_BYTES) throw new SnapshotShapeError(vw, 'holds a value larger than 64 KiB');
      versions.set(id, { id, value, stages: texts(v.stages, `${vw}.stages`), created: number(v.created, `${vw}.created`), bytes: valueBytes(value) + VERSION_OVERHEAD_BYTES });
    });
    const deleted = s.deleted === undefined ? undefined : object(s.deleted, `${where}.deleted`);
    const description = optText(s.description, `${where}.description`);
    const kmsKeyId = optText(s.kmsKeyId, `${where}.kmsKeyId`);
    return {
      name,
      arn,
      ...(description !== undefined ? { description } : {}),
      ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
      tags: tags(s.tags, `${where}.tags`),
      versions,
      created: number(s.created, `${where}.created`),
      changed: number(s.changed, `${where}.changed`),
      ...(s.accessed !== undefined ? { accessed: number(s.accessed, `${where}.accessed`) } : {}),
      ...(deleted ? { deleted: { at: number(deleted.at, `${where}.deleted.at`), until: number(deleted.until, `${where}.deleted.until`) } } : {}),
    };
  });
  const parameterNames = new Set<string>();
  const parameters = array(root.parameters, 'parameters').map((raw, i): Parameter => {
    const where = `parameters[${i}]`;
    const p = object(raw, where);
    const name = text(p.name, `${where}.name`);
    if (parameterNameProblem(name) || parameterNames.has(name)) throw new SnapshotShapeError(`${where}.name`, 'is not a parameter name or appears twice');
    parameterNames.add(name);
    const versions = array(p.versions, `${where}.versions`).map((rawVersion, j): ParameterVersion => {
      const vw = `${where}.versions[${j}]`;
      const v = object(rawVersion, vw);
      const type = text(v.type, `${vw}.type`);
      if (type !== 'String' && type !== 'StringList' && type !== 'SecureString') throw new SnapshotShapeError(`${vw}.type`, 'must be String, StringList or SecureString');
      const tier = text(v.tier, `${vw}.tier`);
      if (tier !== 'Standard' && tier !== 'Advanced') throw new SnapshotShapeError(`${vw}.tier`, 'must be Standard or Advanced');
      const value = text(v.value, `${vw}.value`);
      if (Buffer.byteLength(value) > MAX_ADVANCED_PARAMETER_BYTES) throw new SnapshotShapeError(`${vw}.value`, 'is larger than 8 KiB');
      const description = optText(v.description, `${vw}.description`);
      const keyId = optText(v.keyId, `${vw}.keyId`);
      const allowedPattern = optText(v.allowedPattern, `${vw}.allowedPattern`);
      return {
        version: number(v.version, `${vw}.version`),
        value,
        type,
        ...(description !== undefined ? { description } : {}),
        ...(keyId !== undefined ? { keyId } : {}),
        ...(allowedPattern !== undefined ? { allowedPattern } : {}),
        dataType: text(v.dataType, `${vw}.dataType`),
        tier,
        labels: texts(v.labels, `${vw}.labels`),
        modified: number(v.modified, `${vw}.modified`),
        bytes: Buffer.byteLength(value) + Buffer.byteLength(description ?? '') + VERSION_OVERHEAD_BYTES,
      };
    });
    if (versions.length === 0) throw new SnapshotShapeError(`${where}.versions`, 'must hold at least one version');
    return { name, tags: tags(p.tags, `${where}.tags`), versions };
  });
  return { secrets, parameters };
}
