import { describe, expect, it } from 'vitest';
import { hasReferences, parseSecretReference, resolveReferences, type ReferenceKind } from './dynamic-references.js';

describe('dynamic references in a function environment', () => {
  it('takes a secret reference apart as CloudFormation writes it, ARNs with their colons included', () => {
    expect(parseSecretReference('db-creds')).toEqual({ secretId: 'db-creds' });
    expect(parseSecretReference('db-creds:SecretString:password')).toEqual({ secretId: 'db-creds', jsonKey: 'password' });
    expect(parseSecretReference('db-creds::password')).toEqual({ secretId: 'db-creds', jsonKey: 'password' });
    expect(parseSecretReference('db-creds:SecretString:username::')).toEqual({ secretId: 'db-creds', jsonKey: 'username' });
    expect(parseSecretReference('arn:aws:secretsmanager:us-east-1:123456789012:secret:db-creds-AbCdEf:SecretString:password:AWSPREVIOUS')).toEqual({
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-creds-AbCdEf',
      jsonKey: 'password',
      versionStage: 'AWSPREVIOUS',
    });
    expect(() => parseSecretReference('db-creds:SecretBinary')).toThrow('only SecretString can be referenced, not SecretBinary');
  });

  it('replaces each reference inside any value, asking for each distinct one once', async () => {
    const asked: Array<[ReferenceKind, string]> = [];
    const lookup = async (kind: ReferenceKind, spec: string) => {
      asked.push([kind, spec]);
      return kind === 'ssm' ? `p(${spec})` : `s(${spec})`;
    };
    const vars = { URL: 'https://{{resolve:ssm:/app/host}}/v1', AGAIN: '{{resolve:ssm:/app/host}}', SECURE: '{{resolve:ssm-secure:/app/key:3}}', PASS: '{{resolve:secretsmanager:db:SecretString:password}}', PLAIN: 'no reference' };
    expect(hasReferences(vars)).toBe(true);
    expect(hasReferences({ PLAIN: 'x' })).toBe(false);
    expect(await resolveReferences(vars, lookup)).toEqual({ URL: 'https://p(/app/host)/v1', AGAIN: 'p(/app/host)', SECURE: 'p(/app/key:3)', PASS: 's(db:SecretString:password)', PLAIN: 'no reference' });
    expect(asked).toEqual([
      ['ssm', '/app/host'],
      ['ssm', '/app/key:3'],
      ['secretsmanager', 'db:SecretString:password'],
    ]);
  });

  it('rejects with the reference and the reason when one cannot be resolved', async () => {
    const lookup = async () => {
      throw new Error('ParameterNotFound: Parameter /nope not found.');
    };
    await expect(resolveReferences({ X: '{{resolve:ssm:/nope}}' }, lookup)).rejects.toThrow('cannot resolve {{resolve:ssm:/nope}}: ParameterNotFound: Parameter /nope not found.');
  });
});
