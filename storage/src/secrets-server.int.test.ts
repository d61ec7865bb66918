// The Secrets Manager and SSM Parameter Store APIs on the SQS server's port, over real HTTP:
// @aws-sdk/client-secrets-manager and @aws-sdk/client-ssm as functions use them (errors as the
// SDKs' exception classes), a client built from AWS_ENDPOINT_URL_* alone, persistence across a
// restart, a damaged snapshot, and boto3 where a Python has it.
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  DeleteSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, SSMClient, paginateGetParametersByPath } from '@aws-sdk/client-ssm';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsSnapshotError, startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'any-secret' };
const tempDir = () => mkdtemp(join(tmpdir(), 'esb-secrets-'));

describe('Secrets Manager and SSM on the SQS port', () => {
  let dir: string;
  let server: RunningSqsServer;
  let sm: SecretsManagerClient;
  let ssm: SSMClient;

  beforeAll(async () => {
    dir = await tempDir();
    server = await startSqsServer({ port: 0, directory: dir, snapshotDelayMs: 5 });
    sm = new SecretsManagerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    ssm = new SSMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  });

  afterAll(async () => {
    sm?.destroy();
    ssm?.destroy();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a secret: create, read by name and ARN, rotate with PutSecretValue, read AWSPREVIOUS; errors as the SDK\'s classes', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'shop/db', SecretString: JSON.stringify({ user: 'admin', password: 'one' }), Tags: [{ Key: 'app', Value: 'shop' }] }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:shop\/db-[A-Za-z0-9]{6}$/);
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(JSON.parse(byArn.SecretString!)).toEqual({ user: 'admin', password: 'one' });
    expect(byArn.CreatedDate).toBeInstanceOf(Date);
    await sm.send(new PutSecretValueCommand({ SecretId: 'shop/db', SecretString: JSON.stringify({ user: 'admin', password: 'two' }) }));
    expect(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'shop/db' }))).SecretString!).password).toBe('two');
    expect(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'shop/db', VersionStage: 'AWSPREVIOUS' }))).SecretString!).password).toBe('one');
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'shop/db' }));
    expect(Object.values(described.VersionIdsToStages!).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    expect(described.Tags).toEqual([{ Key: 'app', Value: 'shop' }]);
    expect((await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['shop/'] }] }))).SecretList?.map((s) => s.Name)).toEqual(['shop/db']);

    await expect(sm.send(new CreateSecretCommand({ Name: 'shop/db', SecretString: 'x' }))).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'missing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'x' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'doomed' }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).rejects.toBeInstanceOf(InvalidRequestException);
    const password = (await sm.send(new GetRandomPasswordCommand({ PasswordLength: 24, ExcludeCharacters: '"@/\\' }))).RandomPassword!;
    expect(password).toHaveLength(24);
    expect(password).not.toMatch(/["@/\\]/);
  });

  it('parameters: put, overwrite, by path (paginated), errors as the SDK\'s classes', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/shop/config/url', Value: 'http://a', Type: 'String' }));
    await ssm.send(new PutParameterCommand({ Name: '/shop/config/hosts', Value: 'a,b', Type: 'StringList' }));
    await ssm.send(new PutParameterCommand({ Name: '/shop/config/key', Value: 'k1', Type: 'SecureString' }));
    for (let i = 0; i < 12; i++) await ssm.send(new PutParameterCommand({ Name: `/shop/flags/f${String(i).padStart(2, '0')}`, Value: String(i), Type: 'String' }));
    await expect(ssm.send(new PutParameterCommand({ Name: '/shop/config/url', Value: 'http://b', Type: 'String' }))).rejects.toBeInstanceOf(ParameterAlreadyExists);
    expect((await ssm.send(new PutParameterCommand({ Name: '/shop/config/url', Value: 'http://b', Type: 'String', Overwrite: true }))).Version).toBe(2);
    expect((await ssm.send(new GetParameterCommand({ Name: '/shop/config/key', WithDecryption: true }))).Parameter).toMatchObject({ Value: 'k1', Type: 'SecureString', Version: 1 });
    const config = await ssm.send(new GetParametersByPathCommand({ Path: '/shop/config', WithDecryption: true }));
    expect(Object.fromEntries(config.Parameters!.map((p) => [p.Name, p.Value]))).toEqual({ '/shop/config/hosts': 'a,b', '/shop/config/key': 'k1', '/shop/config/url': 'http://b' });
    const all: string[] = [];
    for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: '/shop', Recursive: true })) all.push(...page.Parameters!.map((p) => p.Name!));
    expect(all).toHaveLength(15);
    await expect(ssm.send(new GetParameterCommand({ Name: '/shop/none' }))).rejects.toBeInstanceOf(ParameterNotFound);
  });

  it('sends errors as {__type, message} with x-amzn-errortype, status 400', async () => {
    const res = await fetch(server.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' }, body: JSON.stringify({ Name: '/nope' }) });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ParameterNotFound');
    expect(await res.json()).toEqual({ __type: 'ParameterNotFound', message: 'Parameter /nope not found.' });
  });

  it('functions\' clients: built with no endpoint, they follow AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_SSM', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint, AWS_ENDPOINT_URL_SSM: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
    try {
      const fnSm = new SecretsManagerClient({});
      const fnSsm = new SSMClient({});
      expect((await fnSm.send(new GetSecretValueCommand({ SecretId: 'shop/db' }))).Name).toBe('shop/db');
      expect((await fnSsm.send(new GetParameterCommand({ Name: '/shop/config/url' }))).Parameter?.Value).toBe('http://b');
      fnSm.destroy();
      fnSsm.destroy();
    } finally {
      for (const k of ['AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_SSM', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('a restart on the same folder keeps secrets (their ARNs and versions) and parameters', async () => {
    const before = await sm.send(new DescribeSecretCommand({ SecretId: 'shop/db' }));
    await server.close();
    sm.destroy();
    ssm.destroy();
    server = await startSqsServer({ port: 0, directory: dir });
    sm = new SecretsManagerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    ssm = new SSMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    const after = await sm.send(new DescribeSecretCommand({ SecretId: 'shop/db' }));
    expect([after.ARN, after.VersionIdsToStages]).toEqual([before.ARN, before.VersionIdsToStages]);
    expect(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'shop/db', VersionStage: 'AWSPREVIOUS' }))).SecretString!).password).toBe('one');
    expect((await ssm.send(new GetParameterCommand({ Name: '/shop/config/url' }))).Parameter).toMatchObject({ Value: 'http://b', Version: 2 });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).rejects.toBeInstanceOf(InvalidRequestException);
  });
});

describe('a damaged secrets snapshot', () => {
  it('is an error naming the file and the field', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir, 'secrets.json'), JSON.stringify({ version: 1, secrets: [{ name: 'a', arn: 'nope' }], parameters: [] }));
      const err = await startSqsServer({ port: 0, directory: dir }).then(
        (s) => s.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SecretsSnapshotError);
      expect((err as Error).message).toMatch(/secrets\.json cannot be loaded: secrets\[0\]\.arn: is not a secret ARN/);
      // The lock was given back: the folder works once the file is moved away.
      await rm(join(dir, 'secrets.json'));
      const ok = await startSqsServer({ port: 0, directory: dir });
      await ok.close();
      expect(JSON.parse(await readFile(join(dir, 'queues.json'), 'utf8').catch(() => '{}'))).toBeDefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- boto3 ----

const BOTO3_SCRIPT = `
import boto3, json, sys
endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s')
sm = boto3.client('secretsmanager', **kw)
ssm = boto3.client('ssm', **kw)
out = {}
arn = sm.create_secret(Name='py/secret', SecretString='one')['ARN']
sm.put_secret_value(SecretId=arn, SecretString='two')
out['current'] = sm.get_secret_value(SecretId='py/secret')['SecretString']
out['previous'] = sm.get_secret_value(SecretId=arn, VersionStage='AWSPREVIOUS')['SecretString']
sm.create_secret(Name='py/bin', SecretBinary=b'\\x00\\x01')
out['binary'] = list(sm.get_secret_value(SecretId='py/bin')['SecretBinary'])
try:
    sm.get_secret_value(SecretId='py/none')
except sm.exceptions.ResourceNotFoundException as e:
    out['sm_error'] = e.response['Error']['Code']
ssm.put_parameter(Name='/py/a', Value='1', Type='String')
ssm.put_parameter(Name='/py/b/c', Value='2', Type='SecureString')
ssm.put_parameter(Name='/py/a', Value='3', Type='String', Overwrite=True)
out['by_path'] = sorted((p['Name'], p['Value'], p['Version']) for p in ssm.get_parameters_by_path(Path='/py', Recursive=True, WithDecryption=True)['Parameters'])
try:
    ssm.get_parameter(Name='/py/none')
except ssm.exceptions.ParameterNotFound as e:
    out['ssm_error'] = e.response['Error']['Code']
print(json.dumps(out))
`;

/** Pythons to drive the server with: Debian's (an older boto3) and the one on PATH (often a newer one). */
const PYTHONS = [...new Set([process.env.ESB_BOTO3_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p))].map((python) => {
  const probe = spawnSync(python, ['-c', 'import boto3; print(boto3.__version__)'], { encoding: 'utf8' });
  return { python, version: probe.status === 0 ? probe.stdout.trim() : undefined };
});

describe('boto3', () => {
  for (const { python, version } of PYTHONS) {
    it.skipIf(!version)(`boto3 of ${python} (${version ?? 'not installed'}): secrets with stages and binary values, parameters by path, errors`, async () => {
      const server = await startSqsServer({ port: 0 });
      try {
        const { stdout } = await promisify(execFile)(python, ['-c', BOTO3_SCRIPT, server.endpoint], { encoding: 'utf8' });
        expect(JSON.parse(stdout)).toEqual({
          current: 'two',
          previous: 'one',
          binary: [0, 1],
          sm_error: 'ResourceNotFoundException',
          by_path: [
            ['/py/a', '3', 2],
            ['/py/b/c', '2', 1],
          ],
          ssm_error: 'ParameterNotFound',
        });
      } finally {
        await server.close();
      }
    });
  }
});
