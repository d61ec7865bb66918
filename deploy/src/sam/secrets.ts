// Secrets Manager secrets and SSM parameters of a template (docs/secrets.md):
// AWS::SecretsManager::Secret read into resources.yml `secrets` (its value, or how to generate
// one: the provisioner makes it once, as CloudFormation does), AWS::SSM::Parameter into
// `parameters`, and the Secrets Manager resources that have nothing to run here (attachments,
// rotation schedules, resource policies), accepted with a warning. Pure: property values come
// in resolved.
import { MAX_ADVANCED_PARAMETER_BYTES, MAX_PASSWORD_LENGTH, MAX_SECRET_VALUE_BYTES, MAX_STANDARD_PARAMETER_BYTES, SECRET_NAME, javaRegexAsJs, parameterNameProblem, passwordCharacters, type GenerateSecretString, type SecretsManagerSecret, type SsmParameter } from '@esb/contracts';
import type { ApiReadContext } from './cfn-apis.js';
import { flag } from './delivery.js';
import { wholeSetting } from './mappings.js';
import { isRecord } from './resolver.js';

export const SECRET_TYPE = 'AWS::SecretsManager::Secret';
export const PARAMETER_TYPE = 'AWS::SSM::Parameter';

/** Secrets Manager resources accepted with a one-line warning: what of them does not happen here. */
export const UNEMULATED_SECRET_TYPES: ReadonlyMap<string, string> = new Map([
  ['AWS::SecretsManager::SecretTargetAttachment', 'the secret is not attached to a database: its value stays as the template made it'],
  ['AWS::SecretsManager::RotationSchedule', 'rotation is not run: the secret keeps its value until code puts a new one'],
  ['AWS::SecretsManager::ResourcePolicy', 'resource policies are not enforced: every function may read every secret'],
]);

type Ctx = Pick<ApiReadContext, 'fail' | 'warn'>;

const SECRET_PROPERTIES = new Set(['Name', 'Description', 'SecretString', 'GenerateSecretString', 'Tags']);
/** Accepted without a word: keys are not emulated and change nothing a function sees. */
const QUIET_SECRET_PROPERTIES = new Set(['KmsKeyId']);
const GENERATE_FIELDS = new Set(['SecretStringTemplate', 'GenerateStringKey', 'PasswordLength', 'ExcludeCharacters', 'ExcludeNumbers', 'ExcludePunctuation', 'ExcludeUppercase', 'ExcludeLowercase', 'IncludeSpace', 'RequireEachIncludedType']);
const PARAMETER_PROPERTIES = new Set(['Name', 'Type', 'Value', 'Description', 'AllowedPattern', 'DataType', 'Tier', 'Tags']);
const DATA_TYPES = new Set(['text', 'aws:ec2:image', 'aws:ssm:integration']);
const TIERS = new Set(['Standard', 'Advanced', 'Intelligent-Tiering']);

function text(ctx: Ctx, id: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') ctx.fail(id, field, `must be a string, not ${JSON.stringify(v)}`);
  return v;
}

/** An AWS::SecretsManager::Secret, its properties resolved; `name` is its Name (else the one esb makes). */
export function readSecret(ctx: Ctx, id: string, props: Record<string, unknown>, name: string): SecretsManagerSecret {
  if (!SECRET_NAME.test(name)) ctx.fail(id, 'Name', `"${name}" is not a valid secret name (1-512 of letters, digits and /_+=.@-)`);
  const secret: SecretsManagerSecret = { Name: name };
  const description = text(ctx, id, 'Description', props.Description);
  if (description !== undefined) {
    if (description.length > 2048) ctx.fail(id, 'Description', 'must be at most 2048 characters');
    secret.Description = description;
  }
  const value = text(ctx, id, 'SecretString', props.SecretString);
  if (value !== undefined) {
    if (value === '') ctx.fail(id, 'SecretString', 'must not be empty (leave it out for a secret without a value)');
    if (Buffer.byteLength(value) > MAX_SECRET_VALUE_BYTES) ctx.fail(id, 'SecretString', `must be at most ${MAX_SECRET_VALUE_BYTES} bytes`);
    secret.SecretString = value;
  }
  if (props.GenerateSecretString !== undefined) {
    if (value !== undefined) ctx.fail(id, 'GenerateSecretString', 'a secret takes SecretString or GenerateSecretString, not both');
    secret.GenerateSecretString = readGenerate(ctx, id, props.GenerateSecretString);
  }
  if (props.Tags !== undefined) secret.Tags = tagList(ctx, id, props.Tags);
  const unapplied = Object.keys(props).filter((k) => !SECRET_PROPERTIES.has(k) && !QUIET_SECRET_PROPERTIES.has(k));
  if (unapplied.length) ctx.warn(`${id}.${unapplied.join(', ')}: not applied by esb (docs/secrets.md)`);
  return secret;
}

function readGenerate(ctx: Ctx, id: string, raw: unknown): GenerateSecretString {
  const at = (f: string) => `GenerateSecretString.${f}`;
  if (!isRecord(raw)) ctx.fail(id, 'GenerateSecretString', 'must be a map of the password settings');
  const g: GenerateSecretString = {};
  const template = text(ctx, id, at('SecretStringTemplate'), raw.SecretStringTemplate);
  const key = text(ctx, id, at('GenerateStringKey'), raw.GenerateStringKey);
  if ((template === undefined) !== (key === undefined)) ctx.fail(id, at(template === undefined ? 'SecretStringTemplate' : 'GenerateStringKey'), 'missing: SecretStringTemplate and GenerateStringKey go together (the password is put under GenerateStringKey in the template\'s JSON object)');
  if (template !== undefined && key !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(template);
    } catch {
      parsed = undefined;
    }
    if (!isRecord(parsed)) ctx.fail(id, at('SecretStringTemplate'), `must be a JSON object, not ${JSON.stringify(template)}`);
    if (key === '') ctx.fail(id, at('GenerateStringKey'), 'must not be empty');
    g.SecretStringTemplate = template;
    g.GenerateStringKey = key;
  }
  const length = wholeSetting(ctx, id, at('PasswordLength'), raw.PasswordLength, 1, MAX_PASSWORD_LENGTH);
  if (length !== undefined) g.PasswordLength = length;
  const excluded = text(ctx, id, at('ExcludeCharacters'), raw.ExcludeCharacters);
  if (excluded !== undefined && excluded !== '') g.ExcludeCharacters = excluded;
  for (const f of ['ExcludeNumbers', 'ExcludePunctuation', 'ExcludeUppercase', 'ExcludeLowercase', 'IncludeSpace', 'RequireEachIncludedType'] as const) {
    const v = flag(ctx, id, at(f), raw[f]);
    if (v !== undefined) g[f] = v;
  }
  const chars = passwordCharacters(g);
  if ('problem' in chars) ctx.fail(id, 'GenerateSecretString', `no password can be generated: ${chars.problem}`);
  const unknown = Object.keys(raw).filter((k) => !GENERATE_FIELDS.has(k));
  if (unknown.length) ctx.warn(`${id}.GenerateSecretString.${unknown.join(', ')}: not applied by esb (docs/secrets.md)`);
  return g;
}

/** `[{Key, Value}]`, as Secrets Manager tags are written. */
function tagList(ctx: Ctx, id: string, raw: unknown): Array<{ Key: string; Value: string }> {
  if (!Array.isArray(raw)) ctx.fail(id, 'Tags', 'must be a list of {Key, Value}');
  return raw.map((t, i) => {
    if (!isRecord(t) || typeof t.Key !== 'string' || t.Key === '' || t.Key.length > 128) ctx.fail(id, `Tags[${i}].Key`, 'must be a string of 1-128 characters');
    const value = text(ctx, id, `Tags[${i}].Value`, t.Value) ?? '';
    if (value.length > 256) ctx.fail(id, `Tags[${i}].Value`, 'must be at most 256 characters');
    return { Key: t.Key, Value: value };
  });
}

/** An AWS::SSM::Parameter, its properties resolved; `name` is its Name (else the one esb makes). */
export function readParameter(ctx: Ctx, id: string, props: Record<string, unknown>, name: string): SsmParameter {
  const problem = parameterNameProblem(name);
  if (problem) ctx.fail(id, 'Name', `"${name}" is not a valid parameter name: ${problem}`);
  const type = props.Type;
  if (type === 'SecureString') ctx.fail(id, 'Type', 'CloudFormation does not create SecureString parameters: use String or StringList, or a Secrets Manager secret (docs/secrets.md)');
  if (type !== 'String' && type !== 'StringList') ctx.fail(id, 'Type', `must be String or StringList, not ${JSON.stringify(type)}`);
  // A list for a StringList is its comma-separated text, as the parameter holds it.
  const rawValue = type === 'StringList' && Array.isArray(props.Value) && props.Value.every((v) => typeof v === 'string') ? props.Value.join(',') : props.Value;
  const value = text(ctx, id, 'Value', rawValue);
  if (value === undefined || value === '') ctx.fail(id, 'Value', 'missing: a parameter needs a value');
  const parameter: SsmParameter = { Name: name, Type: type, Value: value };
  const tier = props.Tier;
  if (tier !== undefined) {
    if (typeof tier !== 'string' || !TIERS.has(tier)) ctx.fail(id, 'Tier', `must be Standard, Advanced or Intelligent-Tiering, not ${JSON.stringify(tier)}`);
    parameter.Tier = tier as SsmParameter['Tier'];
  }
  const max = tier === 'Advanced' || tier === 'Intelligent-Tiering' ? MAX_ADVANCED_PARAMETER_BYTES : MAX_STANDARD_PARAMETER_BYTES;
  if (Buffer.byteLength(value) > max) ctx.fail(id, 'Value', `must be at most ${max} bytes${max === MAX_STANDARD_PARAMETER_BYTES ? ' in the Standard tier (Tier: Advanced takes 8 KiB)' : ''}`);
  const description = text(ctx, id, 'Description', props.Description);
  if (description !== undefined) {
    if (description.length > 1024) ctx.fail(id, 'Description', 'must be at most 1024 characters');
    parameter.Description = description;
  }
  const pattern = text(ctx, id, 'AllowedPattern', props.AllowedPattern);
  if (pattern !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(javaRegexAsJs(pattern));
    } catch {
      ctx.fail(id, 'AllowedPattern', `${JSON.stringify(pattern)} is not a regular expression`);
    }
    if (!re.test(value)) ctx.fail(id, 'Value', `does not match AllowedPattern ${pattern}`);
    parameter.AllowedPattern = pattern;
  }
  const dataType = props.DataType;
  if (dataType !== undefined) {
    if (typeof dataType !== 'string' || !DATA_TYPES.has(dataType)) ctx.fail(id, 'DataType', `must be text, aws:ec2:image or aws:ssm:integration, not ${JSON.stringify(dataType)}`);
    parameter.DataType = dataType;
  }
  if (props.Tags !== undefined) parameter.Tags = tagMap(ctx, id, props.Tags);
  const unapplied = Object.keys(props).filter((k) => !PARAMETER_PROPERTIES.has(k));
  if (unapplied.length) ctx.warn(`${id}.${unapplied.join(', ')}: not applied by esb (docs/secrets.md)`);
  return parameter;
}

/** A parameter's Tags: a map (as CloudFormation writes them), or a `[{Key, Value}]` list. */
function tagMap(ctx: Ctx, id: string, raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const t of tagList(ctx, id, raw)) out[t.Key] = t.Value;
    return out;
  }
  if (!isRecord(raw)) ctx.fail(id, 'Tags', 'must be a map of tag keys to values');
  for (const [k, v] of Object.entries(raw)) out[k] = text(ctx, id, `Tags.${k}`, v) ?? '';
  return out;
}
