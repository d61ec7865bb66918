// The Secrets Manager (`secretsmanager.<Action>`) and SSM Parameter Store (`AmazonSSM.<Action>`)
// operations over the secrets model (docs/secrets.md): each takes the request's fields as AWS
// JSON 1.1 carries them (blobs base64, timestamps epoch seconds), checks them with the
// services' errors naming the field, calls the model and answers in the API's shape. No HTTP
// here (sqs-server.ts serves both on the SQS port).
import { MAX_PASSWORD_LENGTH, MAX_SECRET_VALUE_BYTES, SECRET_NAME, SECRETS_MANAGER_TARGET_PREFIX, SSM_TARGET_PREFIX, makePassword, passwordCharacters, type PasswordOptions } from '@esb/contracts';
import { SecretsError, type ParameterTier, type ParameterType, type ParameterView, type SecretInfo, type SecretStore, type SecretValue, type Tag } from './secrets.js';
import { RequestFields, shortText } from './sqs-queues.js';

export type SecretsOutput = Record<string, unknown>;
type Handler = (store: SecretStore, input: Fields) => SecretsOutput;

const DOCS = 'docs/secrets.md';

/** Runs one operation of either API (`target`: the request's X-Amz-Target). */
export function runSecretsAction(store: SecretStore, target: string, input: unknown): SecretsOutput {
  const ssm = target.startsWith(SSM_TARGET_PREFIX);
  const action = target.slice((ssm ? SSM_TARGET_PREFIX : SECRETS_MANAGER_TARGET_PREFIX).length);
  const actions = ssm ? SSM_ACTIONS : SECRETS_MANAGER_ACTIONS;
  const notEmulated = ssm ? undefined : Object.hasOwn(SECRETS_MANAGER_NOT_EMULATED, action) ? SECRETS_MANAGER_NOT_EMULATED[action] : undefined;
  if (notEmulated) throw new SecretsError('InvalidRequestException', `${notEmulated} (${DOCS}).`);
  const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (!handler) throw new SecretsError('UnknownOperationException', `esb's ${ssm ? 'SSM Parameter Store' : 'Secrets Manager'} does not serve the operation ${shortText(action)} (${DOCS} lists the ones it does).`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SecretsError('SerializationException', 'The request body must be a JSON object.');
  return handler(store, new Fields(input as Record<string, unknown>));
}

/** Whether an X-Amz-Target names one of these two APIs. */
export function isSecretsTarget(target: string): boolean {
  return target.startsWith(SECRETS_MANAGER_TARGET_PREFIX) || target.startsWith(SSM_TARGET_PREFIX);
}


// ---- fields ---------------------------------------------------------------------------------

function invalid(path: string, constraint: string, value?: unknown): SecretsError {
  const shown = value === undefined ? '' : value === null ? ' null' : ` '${shortText(value)}'`;
  return new SecretsError('ValidationException', `1 validation error detected: Value${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
}

/** One request's fields; refusals name the field as the services do (`secretId`). */
class Fields extends RequestFields {
  private wrongType(name: string, value: unknown, expected: string): SecretsError {
    return new SecretsError('SerializationException', `Value ${shortText(value)} at '${this.path(name)}' must be ${expected}.`);
  }

  optString(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw this.wrongType(name, v, 'a string');
    if (v.length < min) throw invalid(this.path(name), `Member must have length greater than or equal to ${min}`, v);
    if (v.length > max) throw invalid(this.path(name), `Member must have length less than or equal to ${max}`, v);
    return v;
  }

  string(name: string, min = 1, max = Number.MAX_SAFE_INTEGER): string {
    const v = this.optString(name, min, max);
    if (v === undefined) throw invalid(this.path(name), 'Member must not be null', null);
    return v;
  }

  optInteger(name: string, min: number, max: number): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.wrongType(name, v, 'a whole number');
    if (v < min) throw invalid(this.path(name), `Member must have value greater than or equal to ${min}`, v);
    if (v > max) throw invalid(this.path(name), `Member must have value less than or equal to ${max}`, v);
    return v;
  }

  optBoolean(name: string): boolean | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.wrongType(name, v, 'true or false');
    return v;
  }

  optBlob(name: string): Buffer | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) throw this.wrongType(name, v, 'base64 text');
    return Buffer.from(v, 'base64');
  }

  optStrings(name: string, min: number, max: number, itemMax = Number.MAX_SAFE_INTEGER): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw this.wrongType(name, v, 'a list of strings');
    if (v.length < min) throw invalid(this.path(name), `Member must have length greater than or equal to ${min}`);
    if (v.length > max) throw invalid(this.path(name), `Member must have length less than or equal to ${max}`);
    return v.map((x, i) => {
      if (typeof x !== 'string') throw new SecretsError('SerializationException', `Value ${shortText(x)} at '${this.path(name)}.${i + 1}.member' must be a string.`);
      if (x.length < 1 || x.length > itemMax) throw invalid(`${this.path(name)}.${i + 1}.member`, `Member must have length between 1 and ${itemMax}`, x);
      return x;
    });
  }

  strings(name: string, min: number, max: number, itemMax?: number): string[] {
    const v = this.optStrings(name, min, max, itemMax);
    if (v === undefined) throw invalid(this.path(name), 'Member must not be null', null);
    return v;
  }

  /** A list of structures, each read with its own field prefix (`filters.1.member.`). */
  members(name: string): Fields[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.wrongType(name, v, 'a list');
    return v.map((m, i) => {
      const prefix = `${this.path(name)}.${i + 1}.member`;
      if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SecretsError('SerializationException', `Value ${shortText(m)} at '${prefix}' must be a structure.`);
      return new Fields(m as Record<string, unknown>, `${prefix}.`);
    });
  }

  /** `[{Key, Value}]` tags. */
  tags(name: string): Tag[] | undefined {
    if (this.raw(name) === undefined) return undefined;
    return this.members(name).map((t) => ({ Key: t.string('Key', 1, 128), Value: t.optString('Value', 0, 256) ?? '' }));
  }
}

const seconds = (ms: number) => ms / 1000;

/** Opaque NextToken: the key of the last item answered, and its place. */
function page<T>(items: T[], keyOf: (item: T) => string, token: string | undefined, max: number, invalidToken: () => SecretsError): { items: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    let parsed: { k?: unknown; o?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; o?: unknown };
    } catch {
      throw invalidToken();
    }
    if (typeof parsed?.k !== 'string' || typeof parsed.o !== 'number') throw invalidToken();
    const at = items.findIndex((i) => keyOf(i) === parsed.k);
    start = at >= 0 ? at + 1 : Math.min(parsed.o, items.length);
  }
  const slice = items.slice(start, start + max);
  const more = start + max < items.length;
  return { items: slice, ...(more ? { next: Buffer.from(JSON.stringify({ k: keyOf(slice.at(-1)!), o: start + slice.length }), 'utf8').toString('base64url') } : {}) };
}

// ---- Secrets Manager ------------------------------------------------------------------------

const SECRETS_MANAGER_NOT_EMULATED: Record<string, string> = {
  RotateSecret: 'esb does not run rotation: rotation functions and schedules are not emulated; write a new value with PutSecretValue',
  CancelRotateSecret: 'esb does not run rotation',
  PutResourcePolicy: 'esb does not emulate resource policies (every caller may read every secret)',
  DeleteResourcePolicy: 'esb does not emulate resource policies',
  ValidateResourcePolicy: 'esb does not emulate resource policies',
  ReplicateSecretToRegions: 'esb has one region: secrets are not replicated',
  RemoveRegionsFromReplication: 'esb has one region: secrets are not replicated',
  StopReplicationToReplica: 'esb has one region: secrets are not replicated',
};

function secretId(f: Fields): string {
  return f.string('SecretId', 1, 2048);
}

/** SecretString or SecretBinary (at most one, each at most 64 KiB); undefined for neither. */
function secretValue(f: Fields): SecretValue | undefined {
  const string = f.optString('SecretString', 1);
  const binary = f.optBlob('SecretBinary');
  if (string !== undefined && binary !== undefined) throw new SecretsError('InvalidParameterException', "You can't specify both a binary secret value and a string secret value in the same secret.");
  const value: SecretValue | undefined = string !== undefined ? { string } : binary !== undefined ? { binary } : undefined;
  if (value && ('string' in value ? Buffer.byteLength(value.string) : value.binary.length) > MAX_SECRET_VALUE_BYTES) {
    throw new SecretsError('InvalidParameterException', `The secret value is larger than ${MAX_SECRET_VALUE_BYTES} bytes, the limit of Secrets Manager.`);
  }
  return value;
}

function versionToken(f: Fields): string | undefined {
  return f.optString('ClientRequestToken', 32, 64);
}

function valueFields(value: SecretValue): Record<string, string> {
  return 'string' in value ? { SecretString: value.string } : { SecretBinary: value.binary.toString('base64') };
}

function describeOutput(s: SecretInfo, versionsField: 'VersionIdsToStages' | 'SecretVersionsToStages'): SecretsOutput {
  return {
    ARN: s.arn,
    Name: s.name,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    ...(s.kmsKeyId !== undefined ? { KmsKeyId: s.kmsKeyId } : {}),
    RotationEnabled: false,
    LastChangedDate: seconds(s.changed),
    ...(s.accessed !== undefined ? { LastAccessedDate: seconds(s.accessed) } : {}),
    ...(s.deletedAt !== undefined ? { DeletedDate: seconds(s.deletedAt) } : {}),
    ...(s.tags.length ? { Tags: s.tags } : {}),
    [versionsField]: s.versions,
    CreatedDate: seconds(s.created),
  };
}

/** ListSecrets' and BatchGetSecretValue's Filters: each a key and values (begins-with, `!` negates); all must hold. */
function secretFilter(filters: Fields[]): (s: SecretInfo) => boolean {
  const KEYS = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'];
  const checks = filters.map((f) => {
    const key = f.string('Key');
    if (!KEYS.includes(key)) throw invalid(f.path('Key'), `Member must satisfy enum value set: [${KEYS.join(', ')}]`, key);
    const values = f.optStrings('Values', 1, 10, 512) ?? [];
    return (s: SecretInfo) => {
      const fields = key === 'name' ? [s.name] : key === 'description' ? [s.description ?? ''] : key === 'tag-key' ? s.tags.map((t) => t.Key) : key === 'tag-value' ? s.tags.map((t) => t.Value) : key === 'all' ? [s.name, s.description ?? '', ...s.tags.flatMap((t) => [t.Key, t.Value])] : [];
      const positive = values.filter((v) => !v.startsWith('!'));
      const negative = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
      if (negative.some((v) => fields.some((x) => x.startsWith(v)))) return false;
      return positive.length === 0 || positive.some((v) => fields.some((x) => x.startsWith(v)));
    };
  });
  return (s) => checks.every((c) => c(s));
}

const SECRETS_MANAGER_ACTIONS: Record<string, Handler> = {
  CreateSecret(store, f) {
    const name = f.string('Name', 1, 512);
    if (!SECRET_NAME.test(name)) throw new SecretsError('ValidationException', `Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@! (not ${shortText(name)})`);
    const out = store.createSecret({ name, description: f.optString('Description', 0, 2048), kmsKeyId: f.optString('KmsKeyId', 0, 2048), value: secretValue(f), tags: f.tags('Tags'), versionId: versionToken(f) });
    return { ARN: out.arn, Name: out.name, ...(out.versionId ? { VersionId: out.versionId } : {}) };
  },
  GetSecretValue(store, f) {
    const v = store.getSecretValue(secretId(f), { versionId: f.optString('VersionId', 32, 64), stage: f.optString('VersionStage', 1, 256) });
    return { ARN: v.arn, Name: v.name, VersionId: v.versionId, ...valueFields(v.value), VersionStages: v.stages, CreatedDate: seconds(v.created) };
  },
  PutSecretValue(store, f) {
    const value = secretValue(f);
    if (!value) throw new SecretsError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
    const out = store.putSecretValue(secretId(f), { value, versionId: versionToken(f), stages: f.optStrings('VersionStages', 1, 20, 256) });
    return { ARN: out.arn, Name: out.name, VersionId: out.versionId, VersionStages: out.stages };
  },
  UpdateSecret(store, f) {
    const out = store.updateSecret(secretId(f), { description: f.optString('Description', 0, 2048), kmsKeyId: f.optString('KmsKeyId', 0, 2048), value: secretValue(f), versionId: versionToken(f) });
    return { ARN: out.arn, Name: out.name, ...(out.versionId ? { VersionId: out.versionId } : {}) };
  },
  DescribeSecret(store, f) {
    return describeOutput(store.describeSecret(secretId(f)), 'VersionIdsToStages');
  },
  ListSecrets(store, f) {
    const max = f.optInteger('MaxResults', 1, 100) ?? 100;
    const order = f.optString('SortOrder');
    if (order !== undefined && order !== 'asc' && order !== 'desc') throw invalid(f.path('SortOrder'), 'Member must satisfy enum value set: [asc, desc]', order);
    const matches = secretFilter(f.members('Filters'));
    const all = store.listSecrets(f.optBoolean('IncludePlannedDeletion') ?? false).filter(matches);
    if (order !== 'asc') all.reverse();
    const { items, next } = page(all, (s) => s.arn, f.optString('NextToken'), max, () => new SecretsError('InvalidNextTokenException', 'The NextToken value is not valid.'));
    return { SecretList: items.map((s) => describeOutput(s, 'SecretVersionsToStages')), ...(next ? { NextToken: next } : {}) };
  },
  DeleteSecret(store, f) {
    const id = secretId(f);
    const days = f.optInteger('RecoveryWindowInDays', 7, 30);
    const force = f.optBoolean('ForceDeleteWithoutRecovery') ?? false;
    if (force && days !== undefined) throw new SecretsError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    const out = store.deleteSecret(id, { force, recoveryDays: days });
    return { ARN: out.arn, Name: out.name, DeletionDate: seconds(out.deletionDate) };
  },
  RestoreSecret(store, f) {
    const out = store.restoreSecret(secretId(f));
    return { ARN: out.arn, Name: out.name };
  },
  GetRandomPassword(store, f) {
    const options: PasswordOptions = {
      PasswordLength: f.optInteger('PasswordLength', 1, MAX_PASSWORD_LENGTH),
      ExcludeCharacters: f.optString('ExcludeCharacters', 0, 4096),
      ExcludeNumbers: f.optBoolean('ExcludeNumbers'),
      ExcludePunctuation: f.optBoolean('ExcludePunctuation'),
      ExcludeUppercase: f.optBoolean('ExcludeUppercase'),
      ExcludeLowercase: f.optBoolean('ExcludeLowercase'),
      IncludeSpace: f.optBoolean('IncludeSpace'),
      RequireEachIncludedType: f.optBoolean('RequireEachIncludedType'),
    };
    const chars = passwordCharacters(options);
    if ('problem' in chars) throw new SecretsError('InvalidParameterException', `The password cannot be generated: ${chars.problem}.`);
    return { RandomPassword: makePassword(options, (max) => store.randomInt(max)) };
  },
  TagResource(store, f) {
    store.tagSecret(secretId(f), f.tags('Tags') ?? []);
    return {};
  },
  UntagResource(store, f) {
    store.untagSecret(secretId(f), f.strings('TagKeys', 0, 50, 128));
    return {};
  },
  ListSecretVersionIds(store, f) {
    const max = f.optInteger('MaxResults', 1, 100) ?? 100;
    const out = store.listSecretVersionIds(secretId(f), f.optBoolean('IncludeDeprecated') ?? false);
    const { items, next } = page(out.versions, (v) => v.id, f.optString('NextToken'), max, () => new SecretsError('InvalidNextTokenException', 'The NextToken value is not valid.'));
    return { ARN: out.arn, Name: out.name, Versions: items.map((v) => ({ VersionId: v.id, VersionStages: v.stages, CreatedDate: seconds(v.created) })), ...(next ? { NextToken: next } : {}) };
  },
  UpdateSecretVersionStage(store, f) {
    const out = store.updateSecretVersionStage(secretId(f), f.string('VersionStage', 1, 256), { removeFrom: f.optString('RemoveFromVersionId', 32, 64), moveTo: f.optString('MoveToVersionId', 32, 64) });
    return { ARN: out.arn, Name: out.name };
  },
  GetResourcePolicy(store, f) {
    // No policies here: the secret has none (PutResourcePolicy says it is not emulated).
    const s = store.describeSecret(secretId(f));
    return { ARN: s.arn, Name: s.name };
  },
  BatchGetSecretValue(store, f) {
    const ids = f.optStrings('SecretIdList', 1, 20, 2048);
    const filters = f.members('Filters');
    if (ids && filters.length) throw new SecretsError('InvalidParameterException', 'Either SecretIdList or Filters must be given, not both.');
    if (!ids && !filters.length) throw new SecretsError('InvalidParameterException', 'Either SecretIdList or Filters must be given.');
    const max = f.optInteger('MaxResults', 1, 20) ?? 20;
    const values: SecretsOutput[] = [];
    const errors: SecretsOutput[] = [];
    const read = (id: string) => {
      try {
        const v = store.getSecretValue(id);
        values.push({ ARN: v.arn, Name: v.name, VersionId: v.versionId, ...valueFields(v.value), VersionStages: v.stages, CreatedDate: seconds(v.created) });
      } catch (err) {
        if (!(err instanceof SecretsError)) throw err;
        errors.push({ SecretId: id, ErrorCode: err.code, Message: err.message });
      }
    };
    if (ids) {
      for (const id of ids) read(id);
      return { SecretValues: values, Errors: errors };
    }
    const all = store.listSecrets().filter(secretFilter(filters));
    const { items, next } = page(all, (s) => s.arn, f.optString('NextToken'), max, () => new SecretsError('InvalidNextTokenException', 'The NextToken value is not valid.'));
    for (const s of items) read(s.arn);
    return { SecretValues: values, Errors: errors, ...(next ? { NextToken: next } : {}) };
  },
};

// ---- SSM Parameter Store --------------------------------------------------------------------

const PARAMETER_TYPES: readonly ParameterType[] = ['String', 'StringList', 'SecureString'];
const TIERS: readonly ParameterTier[] = ['Standard', 'Advanced', 'Intelligent-Tiering'];
const LAST_MODIFIED_USER = (store: SecretStore) => `arn:aws:iam::${store.account}:user/esb-local`;

function parameterOutput(p: ParameterView): SecretsOutput {
  return { Name: p.name, Type: p.type, Value: p.value, Version: p.version, ...(p.selector ? { Selector: p.selector } : {}), LastModifiedDate: seconds(p.modified), ARN: p.arn, DataType: p.dataType };
}

function parameterMetadata(store: SecretStore, p: ParameterView): SecretsOutput {
  return {
    Name: p.name,
    ARN: p.arn,
    Type: p.type,
    ...(p.keyId !== undefined ? { KeyId: p.keyId } : {}),
    LastModifiedDate: seconds(p.modified),
    LastModifiedUser: LAST_MODIFIED_USER(store),
    ...(p.description !== undefined ? { Description: p.description } : {}),
    ...(p.allowedPattern !== undefined ? { AllowedPattern: p.allowedPattern } : {}),
    Version: p.version,
    Tier: p.tier,
    Policies: [],
    DataType: p.dataType,
  };
}

function enumOf<T extends string>(f: Fields, name: string, allowed: readonly T[]): T | undefined {
  const v = f.optString(name);
  if (v !== undefined && !allowed.includes(v as T)) throw invalid(f.path(name), `Member must satisfy enum value set: [${allowed.join(', ')}]`, v);
  return v as T | undefined;
}

/** A hierarchy path: starts with "/". */
function pathOf(f: Fields, name: string): string {
  const path = f.string(name, 1, 2048);
  if (!path.startsWith('/')) throw new SecretsError('ValidationException', `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". (${shortText(path)})`);
  return path;
}

/** ParameterFilters (Name, Type, KeyId, Path, Label, DataType, Tier, tag:<key>): all must hold. */
function parameterFilter(store: SecretStore, filters: Fields[], allowPath: boolean): (p: ParameterView) => boolean {
  const checks = filters.map((f) => {
    const key = f.string('Key', 1, 132);
    const option = f.optString('Option', 1, 10);
    const values = f.optStrings('Values', 1, 50, 1024) ?? [];
    const known = ['Name', 'Type', 'KeyId', 'Label', 'DataType', 'Tier', ...(allowPath ? ['Path'] : [])];
    if (!known.includes(key) && !key.startsWith('tag:')) throw new SecretsError('InvalidFilterKey', `The filter key ${shortText(key)} is not valid here.`);
    const options = key === 'Path' ? ['Recursive', 'OneLevel'] : key === 'Name' || key.startsWith('tag:') ? ['Equals', 'BeginsWith', 'Contains'] : ['Equals'];
    if (option !== undefined && !options.includes(option)) throw new SecretsError('InvalidFilterOption', `The filter option ${shortText(option)} is not valid for key ${key}; valid options: ${options.join(', ')}.`);
    const op = option ?? (key === 'Path' ? 'OneLevel' : 'Equals');
    const test = (x: string) => values.some((v) => (op === 'BeginsWith' ? x.startsWith(v) : op === 'Contains' ? x.includes(v) : x === v));
    if (key === 'Path') {
      for (const v of values) if (!v.startsWith('/')) throw new SecretsError('InvalidFilterValue', `The Path filter value ${shortText(v)} must begin with "/".`);
      return (p: ParameterView) => values.some((v) => {
        const prefix = v === '/' ? '/' : `${v.replace(/\/$/, '')}/`;
        const name = p.name.startsWith('/') ? p.name : `/${p.name}`;
        return name.startsWith(prefix) && (op === 'Recursive' || !name.slice(prefix.length).includes('/'));
      });
    }
    if (key.startsWith('tag:')) {
      const tagKey = key.slice(4);
      return (p: ParameterView) => store.parameterTagsOf(p.name).some((t) => t.Key === tagKey && (values.length === 0 || test(t.Value)));
    }
    return (p: ParameterView) => {
      const field = key === 'Name' ? [p.name] : key === 'Type' ? [p.type] : key === 'KeyId' ? [p.keyId ?? ''] : key === 'Label' ? p.labels : key === 'DataType' ? [p.dataType] : [p.tier];
      return field.some(test);
    };
  });
  return (p) => checks.every((c) => c(p));
}

const ssmToken = () => new SecretsError('InvalidNextToken', 'The specified token isn\'t valid.');

const SSM_ACTIONS: Record<string, Handler> = {
  GetParameter(store, f) {
    const name = f.string('Name', 1, 2048);
    f.optBoolean('WithDecryption');
    return { Parameter: parameterOutput(store.getParameter(name)) };
  },
  GetParameters(store, f) {
    const names = f.strings('Names', 1, 10, 2048);
    f.optBoolean('WithDecryption');
    const found: SecretsOutput[] = [];
    const missing: string[] = [];
    for (const name of names) {
      try {
        found.push(parameterOutput(store.getParameter(name)));
      } catch (err) {
        if (!(err instanceof SecretsError) || (err.code !== 'ParameterNotFound' && err.code !== 'ParameterVersionNotFound')) throw err;
        missing.push(name);
      }
    }
    return { Parameters: found, InvalidParameters: missing };
  },
  GetParametersByPath(store, f) {
    const path = pathOf(f, 'Path');
    const recursive = f.optBoolean('Recursive') ?? false;
    f.optBoolean('WithDecryption');
    const max = f.optInteger('MaxResults', 1, 10) ?? 10;
    const matches = parameterFilter(store, f.members('ParameterFilters'), false);
    const all = store.parametersByPath(path, recursive).filter(matches);
    const { items, next } = page(all, (p) => p.name, f.optString('NextToken'), max, ssmToken);
    return { Parameters: items.map(parameterOutput), ...(next ? { NextToken: next } : {}) };
  },
  PutParameter(store, f) {
    const out = store.putParameter({
      name: f.string('Name', 1, 2048),
      value: f.string('Value', 1),
      type: enumOf(f, 'Type', PARAMETER_TYPES),
      description: f.optString('Description', 0, 1024),
      keyId: f.optString('KeyId', 1, 256),
      overwrite: f.optBoolean('Overwrite') ?? false,
      allowedPattern: f.optString('AllowedPattern', 0, 1024),
      tags: f.tags('Tags'),
      tier: enumOf(f, 'Tier', TIERS),
      dataType: f.optString('DataType', 0, 128),
    });
    return { Version: out.version, Tier: out.tier };
  },
  DeleteParameter(store, f) {
    store.deleteParameter(f.string('Name', 1, 2048));
    return {};
  },
  DeleteParameters(store, f) {
    const deleted: string[] = [];
    const missing: string[] = [];
    for (const name of f.strings('Names', 1, 10, 2048)) {
      if (store.hasParameter(name)) {
        store.deleteParameter(name);
        deleted.push(name);
      } else missing.push(name);
    }
    return { DeletedParameters: deleted, InvalidParameters: missing };
  },
  DescribeParameters(store, f) {
    const max = f.optInteger('MaxResults', 1, 50) ?? 50;
    // The older Filters (Name, Type, KeyId) read as ParameterFilters: Name begins with, the others equal.
    const legacy = f.members('Filters').map((x) => {
      const key = x.string('Key');
      if (!['Name', 'Type', 'KeyId'].includes(key)) throw new SecretsError('InvalidFilterKey', `The filter key ${shortText(key)} is not valid.`);
      return new Fields({ Key: key, Option: key === 'Name' ? 'BeginsWith' : 'Equals', Values: x.strings('Values', 1, 50, 1024) });
    });
    const matches = parameterFilter(store, [...legacy, ...f.members('ParameterFilters')], true);
    const all = store.listParameters().filter(matches);
    const { items, next } = page(all, (p) => p.name, f.optString('NextToken'), max, ssmToken);
    return { Parameters: items.map((p) => parameterMetadata(store, p)), ...(next ? { NextToken: next } : {}) };
  },
  GetParameterHistory(store, f) {
    const name = f.string('Name', 1, 2048);
    f.optBoolean('WithDecryption');
    const max = f.optInteger('MaxResults', 1, 50) ?? 50;
    const { items, next } = page(store.parameterHistory(name), (p) => String(p.version), f.optString('NextToken'), max, ssmToken);
    return { Parameters: items.map((p) => ({ ...parameterMetadata(store, p), Value: p.value, Labels: p.labels })), ...(next ? { NextToken: next } : {}) };
  },
  LabelParameterVersion(store, f) {
    const out = store.labelParameterVersion(f.string('Name', 1, 2048), f.strings('Labels', 1, 10, 100), f.optInteger('ParameterVersion', 1, Number.MAX_SAFE_INTEGER));
    return { InvalidLabels: out.invalid, ParameterVersion: out.version };
  },
  UnlabelParameterVersion(store, f) {
    const version = f.optInteger('ParameterVersion', 1, Number.MAX_SAFE_INTEGER);
    if (version === undefined) throw invalid(f.path('ParameterVersion'), 'Member must not be null', null);
    const out = store.unlabelParameterVersion(f.string('Name', 1, 2048), version, f.strings('Labels', 1, 10, 100));
    return { RemovedLabels: out.removed, InvalidLabels: out.invalid };
  },
  AddTagsToResource(store, f) {
    tagResourceType(f);
    store.tagParameter(f.string('ResourceId', 1, 2048), f.tags('Tags') ?? []);
    return {};
  },
  RemoveTagsFromResource(store, f) {
    tagResourceType(f);
    store.untagParameter(f.string('ResourceId', 1, 2048), f.strings('TagKeys', 0, 50, 128));
    return {};
  },
  ListTagsForResource(store, f) {
    tagResourceType(f);
    const id = f.string('ResourceId', 1, 2048);
    if (!store.hasParameter(id)) throw new SecretsError('InvalidResourceId', 'The resource ID is not valid. Verify that you entered the correct ID and try again.');
    return { TagList: store.parameterTagsOf(id) };
  },
};

/** Tags are served for parameters only (the other SSM resource types are not emulated). */
function tagResourceType(f: Fields): void {
  const type = f.string('ResourceType');
  if (type !== 'Parameter') throw new SecretsError('InvalidResourceType', `esb's SSM keeps tags of parameters only, not of ${shortText(type)} (${DOCS}).`);
}
