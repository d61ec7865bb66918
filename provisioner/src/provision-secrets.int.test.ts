// Secrets and SSM parameters of resources.yml against the storage's SQS server, which serves both
// APIs on its port (docs/secrets.md): generated values made once and kept, existing secrets left
// as they are, parameters set back to their declared value, idempotent runs.
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourcesFile } from '@esb/contracts';
import { startSqsServer, type RunningSqsServer } from '@esb/storage';
import { ProvisionError, provision, type ProvisionOptions } from './index.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe("provision: secrets and parameters on the storage's SQS port", () => {
  let server: RunningSqsServer;
  let sm: SecretsManagerClient;
  let ssm: SSMClient;
  let opts: ProvisionOptions;

  const resources = (url = 'https://a.example'): ResourcesFile => ({
    resources: {
      secrets: [
        { Name: 'app/db', Description: 'db user', GenerateSecretString: { SecretStringTemplate: '{"username":"admin"}', GenerateStringKey: 'password', PasswordLength: 30, ExcludeCharacters: '"@/\\' }, Tags: [{ Key: 'app', Value: 'shop' }] },
        { Name: 'app/token', GenerateSecretString: { PasswordLength: 16, ExcludePunctuation: true } },
        { Name: 'app/webhook', SecretString: 'whsec_123' },
        { Name: 'app/empty' },
      ],
      parameters: [
        { Name: '/app/url', Type: 'String', Value: url, Description: 'the url', Tags: { team: 'web' } },
        { Name: '/app/hosts', Type: 'StringList', Value: 'a,b' },
      ],
    },
  });
  const value = async (id: string) => (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;

  beforeAll(async () => {
    server = await startSqsServer({ port: 0 });
    sm = new SecretsManagerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    ssm = new SSMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    opts = { sqsEndpoint: server.endpoint, credentials, retry: { attempts: 3, baseDelayMs: 10 } };
  });
  afterAll(async () => {
    sm?.destroy();
    ssm?.destroy();
    await server?.close();
  });

  it('creates secrets (generated as CloudFormation makes them, given, or without a value) and parameters', async () => {
    const lines: string[] = [];
    const report = await provision(resources(), { ...opts, log: { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) } });
    expect(report.secrets).toEqual(['app/db', 'app/empty', 'app/token', 'app/webhook'].map((name) => ({ name, status: 'created' })));
    expect(report.parameters).toEqual([
      { name: '/app/hosts', status: 'created' },
      { name: '/app/url', status: 'created' },
    ]);
    expect(report.warnings).toEqual([]);
    expect(lines).toContain('created secret "app/db"');
    expect(lines.at(-1)).toMatch(/0 stream\(s\), 4 secret\(s\) and 2 parameter\(s\): 6 created, 0 already there/);

    const db = JSON.parse((await value('app/db'))!);
    expect(Object.keys(db)).toEqual(['username', 'password']);
    expect(db.username).toBe('admin');
    expect(db.password).toHaveLength(30);
    expect(db.password).not.toMatch(/["@/\\]/);
    expect(await value('app/token')).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(await value('app/webhook')).toBe('whsec_123');
    await expect(value('app/empty')).rejects.toThrow(/staging label: AWSCURRENT/);
    expect(await sm.send(new DescribeSecretCommand({ SecretId: 'app/db' }))).toMatchObject({ Description: 'db user', Tags: [{ Key: 'app', Value: 'shop' }] });
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/url' }))).Parameter).toMatchObject({ Value: 'https://a.example', Type: 'String', Version: 1 });
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/hosts' }))).Parameter).toMatchObject({ Value: 'a,b', Type: 'StringList' });
  });

  it('a second run changes nothing: a generated secret is never made again, a rotated one never overwritten', async () => {
    const generated = await value('app/db');
    await sm.send(new PutSecretValueCommand({ SecretId: 'app/webhook', SecretString: 'rotated' }));
    const report = await provision(resources(), opts);
    expect(report.secrets.map((s) => s.status)).toEqual(['exists', 'exists', 'exists', 'exists']);
    expect(report.parameters.map((p) => p.status)).toEqual(['exists', 'exists']);
    expect(await value('app/db')).toBe(generated);
    expect(await value('app/webhook')).toBe('rotated');
  });

  it('a parameter whose value differs from the declared one (changed in the template, or by code) is set to it again', async () => {
    const changed = await provision(resources('https://b.example'), opts);
    expect(changed.parameters).toEqual([
      { name: '/app/hosts', status: 'exists' },
      { name: '/app/url', status: 'updated' },
    ]);
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/url' }))).Parameter).toMatchObject({ Value: 'https://b.example', Version: 2 });
    await ssm.send(new PutParameterCommand({ Name: '/app/hosts', Value: 'c', Type: 'StringList', Overwrite: true }));
    const again = await provision(resources('https://b.example'), opts);
    expect(again.parameters.map((p) => p.status)).toEqual(['updated', 'exists']);
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/hosts' }))).Parameter).toMatchObject({ Value: 'a,b', Version: 3 });
  });

  it('an unreachable storage fails naming the secret and the endpoint', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const err = await provision({ resources: { secrets: [{ Name: 'x', SecretString: 'v' }] } }, { sqsEndpoint: `http://127.0.0.1:${port}`, credentials, retry: { attempts: 2, baseDelayMs: 5 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as Error).message).toMatch(new RegExp(`secret "x" at http://127.0.0.1:${port}: unreachable or failing after 2 attempts`));
  });
});
