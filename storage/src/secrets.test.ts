// The secrets model and its operations, without HTTP: versions and staging labels, ARNs and how a
// secret is found, deletion and restore, generated passwords, parameters with versions, labels,
// paths and tags, the errors both services answer with, the bounds, and the snapshot.
import { describe, expect, it } from 'vitest';
import { makePassword, passwordCharacters, secretArn, templateSecretSuffix } from '@esb/contracts';
import { runSecretsAction } from './secrets-actions.js';
import { SecretStore, SecretsError, type SecretRandom } from './secrets.js';

function setup(limits = {}) {
  let now = Date.UTC(2026, 0, 2, 12);
  let n = 0;
  const random: SecretRandom = { int: (max) => n++ % max, uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
  const store = new SecretStore({ clock: { now: () => now }, random, limits });
  let changes = 0;
  store.onChange = () => changes++;
  const sm = (action: string, input: Record<string, unknown> = {}) => runSecretsAction(store, `secretsmanager.${action}`, input) as Record<string, any>;
  const ssm = (action: string, input: Record<string, unknown> = {}) => runSecretsAction(store, `AmazonSSM.${action}`, input) as Record<string, any>;
  return { store, sm, ssm, advance: (ms: number) => (now += ms), changes: () => changes };
}

function fails(fn: () => unknown): SecretsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretsError) return err;
    throw err;
  }
  throw new Error('did not fail');
}

describe('secrets', () => {
  it('creates a secret with an ARN of its name and 6 characters, its value AWSCURRENT', () => {
    const { sm } = setup();
    const created = sm('CreateSecret', { Name: 'db/password', SecretString: 's3cret', Description: 'the db', Tags: [{ Key: 'app', Value: 'shop' }] });
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:db\/password-[A-Za-z0-9]{6}$/);
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    const value = sm('GetSecretValue', { SecretId: 'db/password' });
    expect(value).toMatchObject({ ARN: created.ARN, Name: 'db/password', VersionId: created.VersionId, SecretString: 's3cret', VersionStages: ['AWSCURRENT'] });
    const described = sm('DescribeSecret', { SecretId: created.ARN });
    expect(described).toMatchObject({ Name: 'db/password', Description: 'the db', RotationEnabled: false, Tags: [{ Key: 'app', Value: 'shop' }], VersionIdsToStages: { [created.VersionId]: ['AWSCURRENT'] } });
    expect(described.LastAccessedDate).toBe(Date.UTC(2026, 0, 2) / 1000);
  });

  it('finds a secret by name, full ARN, partial ARN, and an ARN of its name with another suffix (a template\'s !Ref)', () => {
    const { sm } = setup();
    const { ARN } = sm('CreateSecret', { Name: 'api-key', SecretString: 'k' });
    const partial = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key';
    const template = secretArn('api-key', templateSecretSuffix('api-key'));
    for (const id of ['api-key', ARN, partial, template]) expect(sm('GetSecretValue', { SecretId: id }).SecretString).toBe('k');
    expect(templateSecretSuffix('api-key')).toBe(templateSecretSuffix('api-key'));
    expect(templateSecretSuffix('api-key')).toMatch(/^[A-Za-z0-9]{6}$/);
    expect(fails(() => sm('GetSecretValue', { SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf' }))).toMatchObject({ code: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  });

  it('PutSecretValue moves AWSCURRENT to the new version and AWSPREVIOUS to the one it left; a retried token changes nothing', () => {
    const { sm } = setup();
    const first = sm('CreateSecret', { Name: 's', SecretString: 'one' }).VersionId;
    const token = 'a'.repeat(32);
    const second = sm('PutSecretValue', { SecretId: 's', SecretString: 'two', ClientRequestToken: token });
    expect(second).toMatchObject({ VersionId: token, VersionStages: ['AWSCURRENT'] });
    expect(sm('PutSecretValue', { SecretId: 's', SecretString: 'two', ClientRequestToken: token }).VersionId).toBe(token);
    expect(fails(() => sm('PutSecretValue', { SecretId: 's', SecretString: 'other', ClientRequestToken: token })).code).toBe('ResourceExistsException');
    expect(sm('GetSecretValue', { SecretId: 's' }).SecretString).toBe('two');
    expect(sm('GetSecretValue', { SecretId: 's', VersionStage: 'AWSPREVIOUS' })).toMatchObject({ SecretString: 'one', VersionId: first });
    expect(sm('GetSecretValue', { SecretId: 's', VersionId: first }).SecretString).toBe('one');
    const third = sm('PutSecretValue', { SecretId: 's', SecretString: 'three' }).VersionId;
    expect(sm('DescribeSecret', { SecretId: 's' }).VersionIdsToStages).toEqual({ [token]: ['AWSPREVIOUS'], [third]: ['AWSCURRENT'] });
    // A version with no label left is deprecated: listed only when asked.
    expect(sm('ListSecretVersionIds', { SecretId: 's' }).Versions.map((v: { VersionId: string }) => v.VersionId)).toEqual([token, third]);
    expect(sm('ListSecretVersionIds', { SecretId: 's', IncludeDeprecated: true }).Versions).toHaveLength(3);
    // A custom label, then moved by UpdateSecretVersionStage as rotation code does.
    const pending = sm('PutSecretValue', { SecretId: 's', SecretString: 'four', VersionStages: ['AWSPENDING'] }).VersionId;
    expect(sm('GetSecretValue', { SecretId: 's' }).SecretString).toBe('three');
    expect(fails(() => sm('UpdateSecretVersionStage', { SecretId: 's', VersionStage: 'AWSCURRENT', MoveToVersionId: pending })).code).toBe('InvalidParameterException');
    sm('UpdateSecretVersionStage', { SecretId: 's', VersionStage: 'AWSCURRENT', MoveToVersionId: pending, RemoveFromVersionId: third });
    expect(sm('GetSecretValue', { SecretId: 's' }).SecretString).toBe('four');
    expect(sm('GetSecretValue', { SecretId: 's', VersionStage: 'AWSPREVIOUS' }).SecretString).toBe('three');
  });

  it('holds SecretBinary as base64 on the wire, and refuses both kinds at once', () => {
    const { sm } = setup();
    sm('CreateSecret', { Name: 'bin', SecretBinary: Buffer.from([0, 1, 2, 255]).toString('base64') });
    expect(sm('GetSecretValue', { SecretId: 'bin' }).SecretBinary).toBe('AAEC/w==');
    expect(fails(() => sm('CreateSecret', { Name: 'both', SecretString: 'a', SecretBinary: 'AA==' })).code).toBe('InvalidParameterException');
  });

  it('a secret without a value has no AWSCURRENT; UpdateSecret gives it one', () => {
    const { sm } = setup();
    const created = sm('CreateSecret', { Name: 'empty' });
    expect(created.VersionId).toBeUndefined();
    expect(fails(() => sm('GetSecretValue', { SecretId: 'empty' }))).toMatchObject({ code: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" });
    sm('UpdateSecret', { SecretId: 'empty', SecretString: 'now', Description: 'filled' });
    expect(sm('GetSecretValue', { SecretId: 'empty' }).SecretString).toBe('now');
    expect(sm('DescribeSecret', { SecretId: 'empty' }).Description).toBe('filled');
  });

  it('refuses a second secret of a name, and size and name violations, as Secrets Manager', () => {
    const { sm } = setup();
    sm('CreateSecret', { Name: 'x', SecretString: 'a' });
    expect(fails(() => sm('CreateSecret', { Name: 'x', SecretString: 'b' }))).toMatchObject({ code: 'ResourceExistsException', message: 'The operation failed because the secret x already exists.' });
    expect(fails(() => sm('CreateSecret', { Name: 'bad name', SecretString: 'b' })).code).toBe('ValidationException');
    expect(fails(() => sm('CreateSecret', { Name: 'big', SecretString: 'x'.repeat(65_537) })).code).toBe('InvalidParameterException');
    expect(fails(() => sm('GetSecretValue', {}))).toMatchObject({ code: 'ValidationException', message: expect.stringContaining("at 'secretId' failed to satisfy constraint: Member must not be null") });
    expect(fails(() => sm('RotateSecret', { SecretId: 'x' }))).toMatchObject({ code: 'InvalidRequestException', message: expect.stringContaining('rotation') });
    expect(fails(() => sm('Nope')).code).toBe('UnknownOperationException');
  });

  it('DeleteSecret marks a secret deleted (its value unreadable, its name taken) until RestoreSecret; force removes it; the window ends it', () => {
    const { sm, advance } = setup();
    sm('CreateSecret', { Name: 'gone', SecretString: 'v' });
    const deleted = sm('DeleteSecret', { SecretId: 'gone', RecoveryWindowInDays: 7 });
    expect(deleted.DeletionDate).toBe((Date.UTC(2026, 0, 2, 12) + 7 * 86_400_000) / 1000);
    expect(fails(() => sm('GetSecretValue', { SecretId: 'gone' }))).toMatchObject({ code: 'InvalidRequestException', message: "You can't perform this operation on the secret because it was marked for deletion." });
    expect(fails(() => sm('CreateSecret', { Name: 'gone', SecretString: 'w' })).code).toBe('InvalidRequestException');
    expect(sm('DescribeSecret', { SecretId: 'gone' }).DeletedDate).toBe(Date.UTC(2026, 0, 2, 12) / 1000);
    expect(sm('ListSecrets').SecretList).toEqual([]);
    expect(sm('ListSecrets', { IncludePlannedDeletion: true }).SecretList).toHaveLength(1);
    sm('RestoreSecret', { SecretId: 'gone' });
    expect(sm('GetSecretValue', { SecretId: 'gone' }).SecretString).toBe('v');
    expect(fails(() => sm('DeleteSecret', { SecretId: 'gone', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })).code).toBe('InvalidParameterException');
    sm('DeleteSecret', { SecretId: 'gone', ForceDeleteWithoutRecovery: true });
    expect(fails(() => sm('DescribeSecret', { SecretId: 'gone' })).code).toBe('ResourceNotFoundException');
    sm('CreateSecret', { Name: 'later', SecretString: 'v' });
    sm('DeleteSecret', { SecretId: 'later' });
    advance(30 * 86_400_000);
    expect(fails(() => sm('DescribeSecret', { SecretId: 'later' })).code).toBe('ResourceNotFoundException');
  });

  it('ListSecrets filters by name prefix (! negates), pages, and sorts by creation', () => {
    const { sm, advance } = setup();
    for (const name of ['app/a', 'app/b', 'app/c', 'other']) {
      sm('CreateSecret', { Name: name, SecretString: 'v', Tags: [{ Key: 'team', Value: name.startsWith('app') ? 'a' : 'b' }] });
      advance(1000);
    }
    const names = (out: Record<string, any>) => out.SecretList.map((s: { Name: string }) => s.Name);
    expect(names(sm('ListSecrets', { Filters: [{ Key: 'name', Values: ['app/'] }], SortOrder: 'asc' }))).toEqual(['app/a', 'app/b', 'app/c']);
    expect(names(sm('ListSecrets', { Filters: [{ Key: 'name', Values: ['!app/'] }] }))).toEqual(['other']);
    expect(names(sm('ListSecrets', { Filters: [{ Key: 'tag-value', Values: ['b'] }] }))).toEqual(['other']);
    const first = sm('ListSecrets', { MaxResults: 3, SortOrder: 'asc' });
    expect(names(first)).toEqual(['app/a', 'app/b', 'app/c']);
    expect(names(sm('ListSecrets', { MaxResults: 3, SortOrder: 'asc', NextToken: first.NextToken }))).toEqual(['other']);
    expect(first.SecretList[0].SecretVersionsToStages).toBeDefined();
  });

  it('BatchGetSecretValue reads several, each missing one an error entry', () => {
    const { sm } = setup();
    sm('CreateSecret', { Name: 'a', SecretString: '1' });
    sm('CreateSecret', { Name: 'b', SecretString: '2' });
    const out = sm('BatchGetSecretValue', { SecretIdList: ['a', 'b', 'c'] });
    expect(out.SecretValues.map((v: { SecretString: string }) => v.SecretString)).toEqual(['1', '2']);
    expect(out.Errors).toEqual([{ SecretId: 'c', ErrorCode: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." }]);
    expect(sm('BatchGetSecretValue', { Filters: [{ Key: 'name', Values: ['b'] }] }).SecretValues.map((v: { Name: string }) => v.Name)).toEqual(['b']);
  });

  it('tags and untags', () => {
    const { sm } = setup();
    sm('CreateSecret', { Name: 't', SecretString: 'v', Tags: [{ Key: 'a', Value: '1' }] });
    sm('TagResource', { SecretId: 't', Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] });
    sm('UntagResource', { SecretId: 't', TagKeys: ['b'] });
    expect(sm('DescribeSecret', { SecretId: 't' }).Tags).toEqual([{ Key: 'a', Value: '2' }]);
  });

  it('keeps at most maxVersions versions, the oldest deprecated ones going first', () => {
    const { sm } = setup({ maxVersions: 3 });
    sm('CreateSecret', { Name: 'v', SecretString: '0' });
    for (let i = 1; i <= 5; i++) sm('PutSecretValue', { SecretId: 'v', SecretString: String(i) });
    const versions = sm('ListSecretVersionIds', { SecretId: 'v', IncludeDeprecated: true }).Versions;
    expect(versions).toHaveLength(3);
    expect(sm('GetSecretValue', { SecretId: 'v', VersionStage: 'AWSPREVIOUS' }).SecretString).toBe('4');
  });

  it('bounds the entries and the bytes held', () => {
    const few = setup({ maxEntries: 2 });
    few.sm('CreateSecret', { Name: 'a', SecretString: 'v' });
    few.ssm('PutParameter', { Name: 'p', Value: 'v', Type: 'String' });
    expect(few.ssm('PutParameter', { Name: 'p', Value: 'w', Type: 'String', Overwrite: true }).Version).toBe(2);
    expect(fails(() => few.sm('CreateSecret', { Name: 'b', SecretString: 'v' })).code).toBe('LimitExceededException');
    expect(fails(() => few.ssm('PutParameter', { Name: 'q', Value: 'v', Type: 'String' })).code).toBe('ParameterLimitExceeded');
    // Old unlabeled versions make room for new values; a value that cannot fit is refused.
    const small = setup({ maxTotalBytes: 3000 });
    small.sm('CreateSecret', { Name: 'a', SecretString: 'x'.repeat(1000) });
    for (let i = 0; i < 5; i++) small.sm('PutSecretValue', { SecretId: 'a', SecretString: String(i).repeat(1000) });
    expect(small.store.bytes).toBeLessThanOrEqual(3000);
    expect(small.sm('GetSecretValue', { SecretId: 'a', VersionStage: 'AWSPREVIOUS' }).SecretString).toBe('3'.repeat(1000));
    expect(fails(() => small.sm('CreateSecret', { Name: 'b', SecretString: 'y'.repeat(2000) })).code).toBe('LimitExceededException');
  });
});

describe('GetRandomPassword', () => {
  it('draws from the included types, one of each by default, never an excluded character', () => {
    const { sm } = setup();
    const password = sm('GetRandomPassword', { PasswordLength: 40, ExcludeCharacters: 'abc"@/\\' }).RandomPassword as string;
    expect(password).toHaveLength(40);
    expect(password).not.toMatch(/[abc"@/\\]/);
    for (const type of [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/]) expect(password).toMatch(type);
    expect(sm('GetRandomPassword', { ExcludePunctuation: true, ExcludeUppercase: true, ExcludeNumbers: true }).RandomPassword).toMatch(/^[a-z]{32}$/);
    expect(fails(() => sm('GetRandomPassword', { ExcludePunctuation: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludeLowercase: true })).code).toBe('InvalidParameterException');
    expect(fails(() => sm('GetRandomPassword', { PasswordLength: 3 })).code).toBe('InvalidParameterException');
    expect(sm('GetRandomPassword', { PasswordLength: 3, RequireEachIncludedType: false }).RandomPassword).toHaveLength(3);
  });

  it('with node:crypto, every included type shows up, spaces only when asked', () => {
    const random = (max: number) => Math.floor(Math.random() * max);
    for (let i = 0; i < 50; i++) {
      const p = makePassword({ PasswordLength: 4, ExcludeCharacters: ' ' }, random);
      for (const type of [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/]) expect(p).toMatch(type);
      expect(makePassword({ PasswordLength: 20, ExcludePunctuation: true }, random)).not.toContain(' ');
    }
    expect(passwordCharacters({ IncludeSpace: true })).toMatchObject({ all: expect.stringContaining(' ') });
  });
});

describe('parameters', () => {
  it('PutParameter creates version 1; Overwrite adds versions; without it ParameterAlreadyExists', () => {
    const { ssm } = setup();
    expect(ssm('PutParameter', { Name: '/app/db/host', Value: 'db.local', Type: 'String' })).toEqual({ Version: 1, Tier: 'Standard' });
    expect(fails(() => ssm('PutParameter', { Name: '/app/db/host', Value: 'other', Type: 'String' }))).toMatchObject({ code: 'ParameterAlreadyExists' });
    expect(ssm('PutParameter', { Name: '/app/db/host', Value: 'db2.local', Overwrite: true }).Version).toBe(2);
    const got = ssm('GetParameter', { Name: '/app/db/host' }).Parameter;
    expect(got).toMatchObject({ Name: '/app/db/host', Type: 'String', Value: 'db2.local', Version: 2, ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host', DataType: 'text' });
    expect(ssm('GetParameter', { Name: '/app/db/host:1' }).Parameter).toMatchObject({ Value: 'db.local', Version: 1, Selector: ':1' });
    expect(ssm('GetParameter', { Name: 'arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host' }).Parameter.Value).toBe('db2.local');
    expect(ssm('GetParameterHistory', { Name: '/app/db/host' }).Parameters.map((p: { Value: string; Version: number }) => [p.Version, p.Value])).toEqual([[1, 'db.local'], [2, 'db2.local']]);
    expect(fails(() => ssm('GetParameter', { Name: '/app/db/host:9' })).code).toBe('ParameterVersionNotFound');
    expect(fails(() => ssm('GetParameter', { Name: '/nope' })).code).toBe('ParameterNotFound');
  });

  it('SecureString is stored as given and read back with or without decryption; StringList as its text', () => {
    const { ssm } = setup();
    ssm('PutParameter', { Name: 'token', Value: 'p@ss', Type: 'SecureString' });
    ssm('PutParameter', { Name: 'hosts', Value: 'a,b,c', Type: 'StringList' });
    expect(ssm('GetParameter', { Name: 'token', WithDecryption: true }).Parameter).toMatchObject({ Type: 'SecureString', Value: 'p@ss' });
    expect(ssm('GetParameters', { Names: ['token', 'hosts', 'missing'] })).toMatchObject({ Parameters: [{ Name: 'token' }, { Name: 'hosts', Value: 'a,b,c', Type: 'StringList' }], InvalidParameters: ['missing'] });
    expect(ssm('DescribeParameters', { ParameterFilters: [{ Key: 'Name', Values: ['token'] }] }).Parameters[0]).toMatchObject({ Name: 'token', Type: 'SecureString', KeyId: 'alias/aws/ssm', Tier: 'Standard' });
  });

  it('GetParametersByPath: one level, or recursive; paged by 10 at most', () => {
    const { ssm } = setup();
    for (const name of ['/cfg/a', '/cfg/b', '/cfg/sub/c', '/cfg/sub/deep/d', '/cfgx/e', '/other/f']) ssm('PutParameter', { Name: name, Value: name, Type: 'String' });
    const names = (out: Record<string, any>) => out.Parameters.map((p: { Name: string }) => p.Name);
    expect(names(ssm('GetParametersByPath', { Path: '/cfg' }))).toEqual(['/cfg/a', '/cfg/b']);
    expect(names(ssm('GetParametersByPath', { Path: '/cfg/', Recursive: true }))).toEqual(['/cfg/a', '/cfg/b', '/cfg/sub/c', '/cfg/sub/deep/d']);
    const first = ssm('GetParametersByPath', { Path: '/', Recursive: true, MaxResults: 4 });
    expect(names(first)).toHaveLength(4);
    expect(names(ssm('GetParametersByPath', { Path: '/', Recursive: true, MaxResults: 4, NextToken: first.NextToken }))).toEqual(['/cfgx/e', '/other/f']);
    expect(fails(() => ssm('GetParametersByPath', { Path: 'cfg' })).code).toBe('ValidationException');
    expect(fails(() => ssm('GetParametersByPath', { Path: '/cfg', MaxResults: 11 })).code).toBe('ValidationException');
    expect(names(ssm('DescribeParameters', { ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: ['/cfg/sub'] }] }))).toEqual(['/cfg/sub/c', '/cfg/sub/deep/d']);
  });

  it('checks names, types, sizes and allowed patterns as SSM', () => {
    const { ssm } = setup();
    expect(fails(() => ssm('PutParameter', { Name: 'a/b', Value: 'v', Type: 'String' })).code).toBe('ValidationException');
    expect(fails(() => ssm('PutParameter', { Name: '/aws/x', Value: 'v', Type: 'String' })).code).toBe('ValidationException');
    expect(fails(() => ssm('PutParameter', { Name: 'x', Value: 'v' }))).toMatchObject({ code: 'ValidationException', message: 'A parameter type is required when you create a parameter.' });
    expect(fails(() => ssm('PutParameter', { Name: 'x', Value: 'v', Type: 'Number' })).code).toBe('ValidationException');
    expect(fails(() => ssm('PutParameter', { Name: 'big', Value: 'x'.repeat(4097), Type: 'String' })).code).toBe('ValidationException');
    expect(ssm('PutParameter', { Name: 'big', Value: 'x'.repeat(4097), Type: 'String', Tier: 'Advanced' }).Tier).toBe('Advanced');
    expect(ssm('PutParameter', { Name: 'auto', Value: 'x'.repeat(5000), Type: 'String', Tier: 'Intelligent-Tiering' }).Tier).toBe('Advanced');
    expect(fails(() => ssm('PutParameter', { Name: 'huge', Value: 'x'.repeat(8193), Type: 'String', Tier: 'Advanced' })).code).toBe('ValidationException');
    expect(fails(() => ssm('PutParameter', { Name: 'num', Value: 'abc', Type: 'String', AllowedPattern: '^\\d+$' })).code).toBe('ParameterPatternMismatchException');
    expect(fails(() => ssm('PutParameter', { Name: 'tagged', Value: 'v', Type: 'String', Overwrite: true, Tags: [{ Key: 'a', Value: 'b' }] })).code).toBe('ValidationException');
  });

  it('labels select versions and move between them; the oldest labeled version blocks the 101st', () => {
    const { ssm } = setup({ maxVersions: 3 });
    ssm('PutParameter', { Name: 'p', Value: 'v1', Type: 'String' });
    expect(ssm('LabelParameterVersion', { Name: 'p', Labels: ['prod', '1bad'] })).toEqual({ InvalidLabels: ['1bad'], ParameterVersion: 1 });
    ssm('PutParameter', { Name: 'p', Value: 'v2', Overwrite: true });
    expect(ssm('GetParameter', { Name: 'p:prod' }).Parameter).toMatchObject({ Value: 'v1', Selector: ':prod' });
    ssm('PutParameter', { Name: 'p', Value: 'v3', Overwrite: true });
    expect(fails(() => ssm('PutParameter', { Name: 'p', Value: 'v4', Overwrite: true })).code).toBe('ParameterMaxVersionLimitExceeded');
    ssm('LabelParameterVersion', { Name: 'p', Labels: ['prod'], ParameterVersion: 3 });
    expect(ssm('PutParameter', { Name: 'p', Value: 'v4', Overwrite: true }).Version).toBe(4);
    expect(ssm('GetParameterHistory', { Name: 'p' }).Parameters.map((v: { Version: number; Labels: string[] }) => [v.Version, v.Labels])).toEqual([[2, []], [3, ['prod']], [4, []]]);
    expect(ssm('UnlabelParameterVersion', { Name: 'p', ParameterVersion: 3, Labels: ['prod', 'x'] })).toEqual({ RemovedLabels: ['prod'], InvalidLabels: ['x'] });
  });

  it('deletes one or several; tags of parameters', () => {
    const { ssm } = setup();
    ssm('PutParameter', { Name: 'a', Value: 'v', Type: 'String', Tags: [{ Key: 'team', Value: 'x' }] });
    ssm('PutParameter', { Name: 'b', Value: 'v', Type: 'String' });
    ssm('AddTagsToResource', { ResourceType: 'Parameter', ResourceId: 'a', Tags: [{ Key: 'env', Value: 'dev' }] });
    expect(ssm('ListTagsForResource', { ResourceType: 'Parameter', ResourceId: 'a' }).TagList).toEqual([{ Key: 'team', Value: 'x' }, { Key: 'env', Value: 'dev' }]);
    expect(ssm('DescribeParameters', { ParameterFilters: [{ Key: 'tag:env', Values: ['dev'] }] }).Parameters.map((p: { Name: string }) => p.Name)).toEqual(['a']);
    expect(fails(() => ssm('ListTagsForResource', { ResourceType: 'Document', ResourceId: 'a' })).code).toBe('InvalidResourceType');
    expect(ssm('DeleteParameters', { Names: ['a', 'zz'] })).toEqual({ DeletedParameters: ['a'], InvalidParameters: ['zz'] });
    ssm('DeleteParameter', { Name: 'b' });
    expect(fails(() => ssm('DeleteParameter', { Name: 'b' })).code).toBe('ParameterNotFound');
  });
});

describe('snapshot', () => {
  it('round-trips every secret, version, label, parameter and tag; a damaged one names the field', () => {
    const { store, sm, ssm } = setup();
    sm('CreateSecret', { Name: 'a', SecretString: 'one', Tags: [{ Key: 'k', Value: 'v' }] });
    sm('PutSecretValue', { SecretId: 'a', SecretString: 'two' });
    sm('CreateSecret', { Name: 'bin', SecretBinary: 'AAEC' });
    sm('CreateSecret', { Name: 'del', SecretString: 'x' });
    sm('DeleteSecret', { SecretId: 'del' });
    ssm('PutParameter', { Name: '/p', Value: '1', Type: 'String', Description: 'd' });
    ssm('PutParameter', { Name: '/p', Value: '2', Overwrite: true });
    ssm('LabelParameterVersion', { Name: '/p', Labels: ['l'], ParameterVersion: 1 });
    const snapshot = JSON.parse(JSON.stringify(store.toSnapshot()));
    const copy = new SecretStore({ clock: store.clock });
    copy.loadSnapshot(snapshot);
    expect(copy.toSnapshot()).toEqual(snapshot);
    expect(copy.bytes).toBe(store.bytes);
    expect(copy.describeSecret('a').arn).toBe(store.describeSecret('a').arn);
    expect(copy.getSecretValue('a', { stage: 'AWSPREVIOUS' }).value).toEqual({ string: 'one' });
    expect(copy.getParameter('/p:l').value).toBe('1');
    expect(() => copy.loadSnapshot({ ...snapshot, parameters: [{ name: '/p', tags: [], versions: [{ ...snapshot.parameters[0].versions[0], type: 'Number' }] }] })).toThrow(/parameters\[0\]\.versions\[0\]\.type/);
    expect(copy.getParameter('/p').value).toBe('2');
  });
});
