// Secrets Manager secrets and SSM parameters in each form code meets them (docs/secrets.md): the
// APIs' target prefixes (both AWS JSON 1.1, served on the storage's SQS port), names and ARNs,
// and the character sets of generated passwords (GetRandomPassword, a template's
// GenerateSecretString), shared by the template reader and the storage.
import { createHash } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

export const SECRETS_MANAGER_TARGET_PREFIX = 'secretsmanager.';
export const SSM_TARGET_PREFIX = 'AmazonSSM.';
export const SECRETS_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** A secret's name as Secrets Manager takes it: 1-512 of letters, digits and `/_+=.@-`. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** The largest SecretString or SecretBinary (64 KiB, as Secrets Manager). */
export const MAX_SECRET_VALUE_BYTES = 65_536;

/** A parameter's name: letters, digits, `_`, `.`, `-` and `/` between the levels of a hierarchy. */
export const PARAMETER_NAME = /^[a-zA-Z0-9_.\-/]{1,1011}$/;
/** A String / StringList / SecureString value of the Standard tier (4 KiB), and of the Advanced tier (8 KiB). */
export const MAX_STANDARD_PARAMETER_BYTES = 4096;
export const MAX_ADVANCED_PARAMETER_BYTES = 8192;
export const MAX_PARAMETER_LEVELS = 15;

/** Why a parameter name is refused, as SSM says it; undefined for a good name. */
export function parameterNameProblem(name: string): string | undefined {
  if (!PARAMETER_NAME.test(name)) return 'Parameter name: can only contain letters, numbers, and the symbols ".-_/" (at most 1011 characters)';
  if (/^\/?(aws|ssm)/i.test(name)) return 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).';
  if (name.includes('/') && !name.startsWith('/')) return 'Parameter name must be a fully qualified name: a hierarchy starts with "/".';
  if (name.includes('//') || (name.length > 1 && name.endsWith('/'))) return 'Parameter name must not have an empty level or end with "/".';
  if (name.split('/').length - 1 > MAX_PARAMETER_LEVELS) return `Parameter name: a hierarchy has at most ${MAX_PARAMETER_LEVELS} levels.`;
  return undefined;
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>` (Secrets Manager adds 6 random characters). */
export function secretArn(name: string, suffix: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The suffix of a template's `!Ref Secret`: made from the name, so each deploy (and each stack
 * naming the same secret) gives the same ARN. The storage finds a secret by the name part of
 * any ARN of it (docs/secrets.md "ARNs"), so this ARN reaches the secret whatever suffix it got.
 */
export function templateSecretSuffix(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  let out = '';
  for (let i = 0; i < 6; i++) out += ALPHANUMERIC[digest[i] % ALPHANUMERIC.length];
  return out;
}

/** The part after `secret:` of a Secrets Manager secret ARN (a full or partial one); undefined for anything else. */
export function secretArnTail(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]*:\d{12}:secret:(.+)$/.exec(arn);
  return m?.[1];
}

/** `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`. */
export function parameterArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`;
}

/** The part after `parameter/` of a parameter ARN; undefined for anything else. */
export function parameterArnTail(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:ssm:[a-z0-9-]*:\d{12}:parameter\/(.+)$/.exec(arn);
  return m?.[1];
}

// ---------------------------------------------------------------- generated passwords

/** GetRandomPassword's options (and a template's GenerateSecretString's, but for its JSON fields). */
export interface PasswordOptions {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
}

export const DEFAULT_PASSWORD_LENGTH = 32;
export const MAX_PASSWORD_LENGTH = 4096;
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * The characters a password is drawn from, by type (one required of each type when
 * RequireEachIncludedType), the space apart; or why no password can be made.
 */
export function passwordCharacters(o: PasswordOptions): { types: string[]; all: string } | { problem: string } {
  const length = o.PasswordLength ?? DEFAULT_PASSWORD_LENGTH;
  const excluded = new Set(o.ExcludeCharacters ?? '');
  const keep = (set: string) => [...set].filter((c) => !excluded.has(c)).join('');
  const types = [
    o.ExcludeUppercase ? '' : keep('ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    o.ExcludeLowercase ? '' : keep('abcdefghijklmnopqrstuvwxyz'),
    o.ExcludeNumbers ? '' : keep('0123456789'),
    o.ExcludePunctuation ? '' : keep(PUNCTUATION),
  ].filter((t) => t.length > 0);
  const all = types.join('') + (o.IncludeSpace && !excluded.has(' ') ? ' ' : '');
  if (!Number.isInteger(length) || length < 1 || length > MAX_PASSWORD_LENGTH) return { problem: `PasswordLength must be a whole number from 1 to ${MAX_PASSWORD_LENGTH}` };
  if (all.length === 0) return { problem: 'no character is left to make a password of once the exclusions are applied' };
  if ((o.RequireEachIncludedType ?? true) && length < types.length) return { problem: `a password of ${length} character(s) cannot hold one of each of the ${types.length} included character types (RequireEachIncludedType)` };
  return { types, all };
}

/**
 * A password from `randomInt(max)` (node:crypto's in the storage): one character of each
 * included type first when RequireEachIncludedType (the default), the rest from every allowed
 * character, then shuffled.
 */
export function makePassword(o: PasswordOptions, randomInt: (max: number) => number): string {
  const chars = passwordCharacters(o);
  if ('problem' in chars) throw new Error(chars.problem);
  const length = o.PasswordLength ?? DEFAULT_PASSWORD_LENGTH;
  const out: string[] = [];
  if (o.RequireEachIncludedType ?? true) for (const t of chars.types) out.push(t[randomInt(t.length)]);
  while (out.length < length) out.push(chars.all[randomInt(chars.all.length)]);
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join('');
}

/**
 * A template's GenerateSecretString value, as CloudFormation makes it: the password alone, or
 * SecretStringTemplate's JSON object with the password under GenerateStringKey.
 */
export function generatedSecretString(template: string | undefined, key: string | undefined, password: string): string {
  if (template === undefined || key === undefined) return password;
  const object = JSON.parse(template) as Record<string, unknown>;
  return JSON.stringify({ ...object, [key]: password });
}
