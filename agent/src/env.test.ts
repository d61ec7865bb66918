import { describe, expect, it } from 'vitest';
import { buildInstanceEnv, type InstanceEnvInput } from './env.js';

const base: InstanceEnvInput = {
  functionName: 'fn',
  instanceId: 'abcdef0123',
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  memoryMb: 512,
  region: 'eu-central-1',
  credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
  endpoints: { dynamodb: 'http://db:8000', s3: 'http://s3:9000', lambda: 'http://gw:3000' },
  runtimeApi: '127.0.0.1:4000',
  taskRoot: '/code',
  runtimeDir: '/rt',
  layerDirs: ['/layers/a', '/layers/b'],
  nodePathExtra: ['/proj/node_modules'],
  path: '/usr/bin:/bin',
  home: '/tmp',
  defaultsEnv: { SHARED: 'd', OVERRIDE: 'd' },
  functionEnv: { OVERRIDE: 'f', AWS_LAMBDA_FUNCTION_NAME: 'hijack', AWS_REGION: 'ap-south-1' },
  now: Date.parse('2026-03-04T05:06:07Z'),
};

describe('buildInstanceEnv', () => {
  it('holds the Lambda variables, endpoints, layers on NODE_PATH and nothing else', () => {
    const env = buildInstanceEnv(base);
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/03/04/[$LATEST]abcdef0123',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:4000',
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: '/code',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://db:8000',
      AWS_ENDPOINT_URL_S3: 'http://s3:9000',
      AWS_ENDPOINT_URL_LAMBDA: 'http://gw:3000',
      NODE_PATH: '/layers/a/nodejs/node20/node_modules:/layers/a/nodejs/node_modules:/layers/b/nodejs/node20/node_modules:/layers/b/nodejs/node_modules:/proj/node_modules',
      SHARED: 'd',
      OVERRIDE: 'f',
      // The function may set ordinary AWS variables, not the ones that make it an instance.
      AWS_REGION: 'ap-south-1',
    });
    expect(env.PYTHONPATH).toBeUndefined();
    expect(Object.keys(env).filter((k) => !/^(AWS_|LAMBDA_|_HANDLER|NODE_PATH|PATH|HOME|LANG|TZ|SHARED|OVERRIDE)/.test(k))).toEqual([]);
  });

  it('puts Python layers on PYTHONPATH with their site-packages', () => {
    const env = buildInstanceEnv({ ...base, runtime: 'python3.12', functionEnv: {} });
    expect(env.PYTHONPATH).toBe('/layers/a/python:/layers/a/python/lib/python3.12/site-packages:/layers/b/python:/layers/b/python/lib/python3.12/site-packages');
    expect(env.NODE_PATH).toBeUndefined();
    expect(env.PYTHONUNBUFFERED).toBe('1');
  });
});
