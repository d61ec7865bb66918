import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '@esb/contracts';
import { configFromEnv, DUMMY_CREDENTIALS, loadResources, resourcesPath, ResourcesPathError } from './config.js';

describe('configFromEnv', () => {
  it('defaults for local use: us-east-1, dummy credentials, no endpoints', () => {
    expect(configFromEnv({})).toEqual({ dynamodbEndpoint: undefined, s3Endpoint: undefined, region: 'us-east-1', credentials: DUMMY_CREDENTIALS });
  });

  it('DYNAMODB_ENDPOINT / S3_ENDPOINT win over the AWS_ENDPOINT_URL_* variables, which win over AWS_ENDPOINT_URL', () => {
    expect(
      configFromEnv({ DYNAMODB_ENDPOINT: 'http://database:8000', AWS_ENDPOINT_URL_DYNAMODB: 'http://x:1', S3_ENDPOINT: 'http://s3-storage:9000', AWS_ENDPOINT_URL_S3: 'http://y:2' }),
    ).toMatchObject({ dynamodbEndpoint: 'http://database:8000', s3Endpoint: 'http://s3-storage:9000' });
    expect(configFromEnv({ AWS_ENDPOINT_URL_DYNAMODB: 'http://x:1', AWS_ENDPOINT_URL_S3: 'http://y:2', AWS_ENDPOINT_URL: 'http://z:3' })).toMatchObject({
      dynamodbEndpoint: 'http://x:1',
      s3Endpoint: 'http://y:2',
    });
    expect(configFromEnv({ AWS_ENDPOINT_URL: 'http://z:3' })).toMatchObject({ dynamodbEndpoint: 'http://z:3', s3Endpoint: 'http://z:3' });
  });

  it('region and credentials from the usual variables', () => {
    expect(configFromEnv({ AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(configFromEnv({ AWS_REGION: 'ap-northeast-1', AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('ap-northeast-1');
    expect(configFromEnv({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_SESSION_TOKEN: 'T' }).credentials).toEqual({
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      sessionToken: 'T',
    });
    // half a key pair is not a key pair
    expect(configFromEnv({ AWS_ACCESS_KEY_ID: 'AK' }).credentials).toEqual(DUMMY_CREDENTIALS);
  });
});

describe('resourcesPath', () => {
  it('--config-dir, then RESOURCES_YML, then CONFIG_DIR; none is a clear error', () => {
    expect(resourcesPath({ RESOURCES_YML: '/r.yml', CONFIG_DIR: '/c' }, '/flag')).toBe('/flag/resources.yml');
    expect(resourcesPath({ RESOURCES_YML: '/r.yml', CONFIG_DIR: '/c' })).toBe('/r.yml');
    expect(resourcesPath({ CONFIG_DIR: '/c' })).toBe('/c/resources.yml');
    expect(() => resourcesPath({})).toThrow(ResourcesPathError);
  });
});

describe('loadResources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-prov-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a missing file is empty and flagged missing', async () => {
    await expect(loadResources(join(dir, 'nope.yml'))).resolves.toMatchObject({ missing: true, resources: { resources: {} } });
  });

  it('an empty file is valid and empty', async () => {
    await writeFile(join(dir, 'empty.yml'), '');
    await expect(loadResources(join(dir, 'empty.yml'))).resolves.toMatchObject({ missing: false, resources: { resources: {} } });
  });

  it('a bad field is a ContractError naming the file and the field', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'resources:\n  dynamodb:\n    - TableName: ab\n      KeySchema: []\n');
    const err = await loadResources(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('resources.dynamodb[0].TableName');
  });
});
