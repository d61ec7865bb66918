import { describe, expect, it } from 'vitest';
import { containerEnv } from './docker-driver.js';
import { baseInstanceEnv, buildInstanceEnv, type InstanceEnvInput, processRuntimePath, rebaseApiUrl, withLocalApiUrls, withLocalUrls } from './env.js';
import { spareStartEnv } from './process-driver.js';
import { spareMismatch } from './spares.js';

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

  it("sets what Lambda sets for every instance and esb can give: on-demand (the function cannot change it), X-Ray's LOG_ERROR (it can)", () => {
    for (const runtime of ['nodejs20.x', 'python3.12', 'java21', 'provided.al2023']) {
      expect(buildInstanceEnv({ ...base, runtime, functionEnv: {} })).toMatchObject({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR' });
    }
    const own = buildInstanceEnv({ ...base, functionEnv: { AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency', AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR' } });
    expect(own).toMatchObject({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR' });
    // An instance started ahead for min_capacity is Lambda's provisioned concurrency.
    expect(buildInstanceEnv({ ...base, functionEnv: {}, provisioned: true }).AWS_LAMBDA_INITIALIZATION_TYPE).toBe('provisioned-concurrency');
    // Nothing esb cannot honestly give: no X-Ray daemon, no session token of its own.
    expect(own.AWS_XRAY_DAEMON_ADDRESS).toBeUndefined();
    expect(own.AWS_SESSION_TOKEN).toBeUndefined();
    // Neither is read when a runtime starts: a spare still serves the instance.
    const node = '/usr/bin/node';
    const env = buildInstanceEnv({ ...base, path: processRuntimePath(node), home: undefined, functionEnv: {}, defaultsEnv: {} });
    expect(spareMismatch({ runtime: 'nodejs20.x', env, channel: true }, spareStartEnv('node', { node }))).toBeUndefined();
  });

  it('puts Python layers on PYTHONPATH with their site-packages', () => {
    const env = buildInstanceEnv({ ...base, runtime: 'python3.12', functionEnv: {} });
    expect(env.PYTHONPATH).toBe('/layers/a/python:/layers/a/python/lib/python3.12/site-packages:/layers/b/python:/layers/b/python/lib/python3.12/site-packages');
    expect(env.NODE_PATH).toBeUndefined();
    expect(env.PYTHONUNBUFFERED).toBe('1');
  });
});

describe('baseInstanceEnv and processRuntimePath', () => {
  it('gives PATH, HOME (/tmp unless given), locale and time zone, Python its output flags, and Node no AWS SDK notice about its own version', () => {
    expect(baseInstanceEnv({ runtime: 'nodejs20.x', path: '/bin' })).toEqual({ PATH: '/bin', HOME: '/tmp', LANG: 'C.UTF-8', TZ: ':UTC', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    expect(baseInstanceEnv({ runtime: 'python3.12', path: '/bin', home: '/own' })).toEqual({
      PATH: '/bin',
      HOME: '/own',
      LANG: 'C.UTF-8',
      TZ: ':UTC',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    });
  });

  it("is what every instance's environment starts with, unless the function sets a variable of it", () => {
    for (const runtime of ['nodejs20.x', 'python3.12', 'provided.al2023']) {
      const env = buildInstanceEnv({ ...base, runtime, home: undefined, functionEnv: {} });
      expect(env).toMatchObject(baseInstanceEnv({ runtime, path: base.path }));
    }
    expect(buildInstanceEnv({ ...base, runtime: 'python3.12', functionEnv: { PYTHONUNBUFFERED: '0' } }).PYTHONUNBUFFERED).toBe('0');
  });

  it("puts the node binary's folder first, then the system's, then each layer's bin", () => {
    expect(processRuntimePath('/opt/node/bin/node')).toBe('/opt/node/bin:/usr/local/bin:/usr/bin:/bin');
    expect(processRuntimePath('/opt/node/bin/node', ['/layers/a', '/layers/b'])).toBe('/opt/node/bin:/usr/local/bin:/usr/bin:/bin:/layers/a/bin:/layers/b/bin');
  });
});

describe('SQS: the endpoint and queue URLs of the template', () => {
  const sqs = { ...base, endpoints: { ...base.endpoints, sqs: 'http://127.0.0.1:9324' } };

  it('gives instances AWS_ENDPOINT_URL_SQS and puts queue URLs of the template (!Ref Queue) on it', () => {
    const env = buildInstanceEnv({
      ...sqs,
      defaultsEnv: { DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq' },
      functionEnv: {
        QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo',
        QUEUE_ARN: 'arn:aws:sqs:us-east-1:123456789012:jobs',
        OTHER_URL: 'https://example.com/123456789012/jobs',
        NOT_A_QUEUE: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs/extra',
      },
    });
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
      DLQ_URL: 'http://127.0.0.1:9324/123456789012/jobs-dlq',
      QUEUE_URL: 'http://127.0.0.1:9324/123456789012/jobs.fifo',
      QUEUE_ARN: 'arn:aws:sqs:us-east-1:123456789012:jobs',
      OTHER_URL: 'https://example.com/123456789012/jobs',
      NOT_A_QUEUE: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs/extra',
    });
  });

  it('points the services the SQS port serves at it: EventBridge, SNS, Step Functions, Kinesis, Firehose, Secrets Manager, SSM', () => {
    const env = buildInstanceEnv(sqs);
    // The names the SDKs read: AWS_ENDPOINT_URL_ and the service id, upper-cased, spaces as "_".
    for (const service of ['EVENTBRIDGE', 'SNS', 'SFN', 'KINESIS', 'FIREHOSE', 'SECRETS_MANAGER', 'SSM']) expect(env[`AWS_ENDPOINT_URL_${service}`]).toBe('http://127.0.0.1:9324');
    expect(buildInstanceEnv({ ...sqs, endpoints: { ...sqs.endpoints, firehose: 'http://elsewhere:1' } }).AWS_ENDPOINT_URL_FIREHOSE).toBe('http://elsewhere:1');
  });

  it('leaves queue URLs alone without an SQS endpoint', () => {
    const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs';
    const env = buildInstanceEnv({ ...base, functionEnv: { QUEUE_URL: url } });
    expect(env.QUEUE_URL).toBe(url);
    expect(env.AWS_ENDPOINT_URL_SQS).toBeUndefined();
  });

  it('in a container, a rebased queue URL follows its endpoint to the host gateway', () => {
    const env = buildInstanceEnv({ ...sqs, functionEnv: { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs', SELF: 'http://127.0.0.1:8080/x' } });
    const seen = Object.fromEntries(containerEnv(env).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    expect(seen).toMatchObject({
      AWS_ENDPOINT_URL_SQS: 'http://host.docker.internal:9324',
      QUEUE_URL: 'http://host.docker.internal:9324/123456789012/jobs',
      // Not under an endpoint: the function's own business.
      SELF: 'http://127.0.0.1:8080/x',
    });
    // An endpoint already reachable from containers (compose: a service name) stays as it is.
    const compose = buildInstanceEnv({ ...base, endpoints: { sqs: 'http://storage:9324' }, functionEnv: { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' } });
    expect(containerEnv(compose)).toContain('QUEUE_URL=http://storage:9324/123456789012/jobs');
  });
});

describe("esb's local CA (docs/gateway.md, \"HTTPS on the same port\")", () => {
  const trust = { cert: '/cfg/tls/ca.pem', bundle: '/cfg/tls/ca-bundle.pem' };

  it('tells every instance to trust it: Node, botocore, requests, OpenSSL (urllib, curl)', () => {
    for (const runtime of ['nodejs20.x', 'python3.12', 'provided.al2023']) {
      expect(buildInstanceEnv({ ...base, runtime, trust })).toMatchObject({
        NODE_EXTRA_CA_CERTS: '/cfg/tls/ca.pem',
        AWS_CA_BUNDLE: '/cfg/tls/ca-bundle.pem',
        REQUESTS_CA_BUNDLE: '/cfg/tls/ca-bundle.pem',
        SSL_CERT_FILE: '/cfg/tls/ca-bundle.pem',
      });
    }
    expect(buildInstanceEnv(base).NODE_EXTRA_CA_CERTS).toBeUndefined();
  });

  it("leaves the function's own values (its own or the template's Globals)", () => {
    const env = buildInstanceEnv({ ...base, trust, defaultsEnv: { AWS_CA_BUNDLE: '/g/bundle.pem' }, functionEnv: { NODE_EXTRA_CA_CERTS: '/mine.pem' } });
    expect(env).toMatchObject({ NODE_EXTRA_CA_CERTS: '/mine.pem', AWS_CA_BUNDLE: '/g/bundle.pem', REQUESTS_CA_BUNDLE: '/cfg/tls/ca-bundle.pem' });
  });

  it('spares start with the same variables, so that an instance still gets one (Node reads NODE_EXTRA_CA_CERTS at start)', () => {
    const node = '/usr/bin/node';
    const env = buildInstanceEnv({ ...base, trust, path: processRuntimePath(node), home: undefined, functionEnv: {}, defaultsEnv: {} });
    expect(spareMismatch({ runtime: 'nodejs20.x', env, channel: true }, spareStartEnv('node', { node, trust }))).toBeUndefined();
    expect(spareMismatch({ runtime: 'nodejs20.x', env, channel: true }, spareStartEnv('node', { node }))).toMatch(/^NODE_EXTRA_CA_CERTS/);
  });
});

describe('API Gateway URLs of the template on the gateway', () => {
  const gw = 'http://127.0.0.1:3000';

  it.each([
    ['https://abc123defg.execute-api.us-east-1.amazonaws.com/prod', 'https://127.0.0.1:3000/prod'],
    ['wss://abc123defg.execute-api.eu-west-1.amazonaws.com/dev', 'wss://127.0.0.1:3000/dev'],
    ['abc123defg.execute-api.us-east-1.amazonaws.com/prod', '127.0.0.1:3000/prod'],
    ['https://abc123defg.execute-api.us-east-1.amazonaws.com', 'https://127.0.0.1:3000'],
    ['https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/@connections/x?y=1', 'https://127.0.0.1:3000/prod/@connections/x?y=1'],
    ['http://abc.execute-api.cn-north-1.amazonaws.com.cn/v1', 'http://127.0.0.1:3000/v1'],
    ['https://ABC.execute-api.us-east-1.amazonaws.com:443/prod', 'https://127.0.0.1:3000/prod'],
    // AppSync: the path that names the API by id (docs/appsync.md).
    ['https://abcdefghijklmnopqrstuvwxyz.appsync-api.us-east-1.amazonaws.com/graphql', 'https://127.0.0.1:3000/appsync-api/abcdefghijklmnopqrstuvwxyz/graphql'],
    ['abc.appsync-api.eu-west-1.amazonaws.com/graphql', '127.0.0.1:3000/appsync-api/abc/graphql'],
    // A function URL: its label is the Host the gateway serves it by (the runtimes find that name).
    ['https://app-orders-notify.lambda-url.us-east-1.on.aws/', 'https://app-orders-notify.lambda-url.localhost:3000/'],
    ['https://Fn123.lambda-url.eu-west-1.on.aws/hook?x=1', 'https://fn123.lambda-url.localhost:3000/hook?x=1'],
  ])('%s -> %s', (value, local) => {
    expect(rebaseApiUrl(value, gw)).toBe(local);
  });

  it.each([
    'https://abc.execute-api.us-east-1.amazonaws.com.evil.example/prod',
    'https://api.example.com/prod',
    'ftp://abc.execute-api.us-east-1.amazonaws.com/prod',
    'see https://abc.execute-api.us-east-1.amazonaws.com/prod',
    'https://sqs.us-east-1.amazonaws.com/123456789012/q',
    'https://abc.appsync-api.us-east-1.amazonaws.com/other',
    'wss://abc.appsync-realtime-api.us-east-1.amazonaws.com/graphql',
    'https://abc.lambda-url.us-east-1.on.aws.evil.example/',
    '',
  ])('leaves %j alone', (value) => {
    expect(rebaseApiUrl(value, gw)).toBe(value);
  });

  it('takes the host and port functions reach the gateway at (compose: a service name; a default port spelled out)', () => {
    expect(rebaseApiUrl('https://abc.execute-api.us-east-1.amazonaws.com/prod', 'http://gateway:3000')).toBe('https://gateway:3000/prod');
    expect(rebaseApiUrl('https://abc.execute-api.us-east-1.amazonaws.com/prod', 'http://esb-gateway.esb-system.svc')).toBe('https://esb-gateway.esb-system.svc:80/prod');
    expect(rebaseApiUrl('wss://abc.execute-api.us-east-1.amazonaws.com/prod', 'http://[::1]:3000/')).toBe('wss://[::1]:3000/prod');
  });

  it('rewrites the variables of the function and of Globals in one pass with the queue URLs, and nothing else', () => {
    const vars = { WS: 'https://abc.execute-api.us-east-1.amazonaws.com/prod', Q: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs', OTHER: 'x' };
    expect(withLocalUrls(vars, 'http://127.0.0.1:9324', gw)).toEqual({ WS: 'https://127.0.0.1:3000/prod', Q: 'http://127.0.0.1:9324/123456789012/jobs', OTHER: 'x' });
    expect(withLocalApiUrls(vars, gw)).toEqual({ ...vars, WS: 'https://127.0.0.1:3000/prod' });
    const unchanged = { OTHER: 'x' };
    expect(withLocalApiUrls(unchanged, gw)).toBe(unchanged);
    expect(withLocalApiUrls(vars, undefined)).toBe(vars);
    const env = buildInstanceEnv({ ...base, endpoints: { lambda: gw }, defaultsEnv: { G: 'wss://g1.execute-api.us-east-1.amazonaws.com/dev' }, functionEnv: { WS_ENDPOINT: 'abc.execute-api.us-east-1.amazonaws.com/prod' } });
    expect(env).toMatchObject({ G: 'wss://127.0.0.1:3000/dev', WS_ENDPOINT: '127.0.0.1:3000/prod', AWS_ENDPOINT_URL_LAMBDA: gw });
  });

  it('in a container, follows the Lambda endpoint to the host gateway, whatever the scheme', () => {
    const env = buildInstanceEnv({ ...base, endpoints: { lambda: gw }, functionEnv: { A: 'https://abc.execute-api.us-east-1.amazonaws.com/prod', B: 'wss://abc.execute-api.us-east-1.amazonaws.com/prod', C: 'abc.execute-api.us-east-1.amazonaws.com/prod', D: 'https://127.0.0.1:4000/x' } });
    const seen = Object.fromEntries(containerEnv(env).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    expect(seen).toMatchObject({
      AWS_ENDPOINT_URL_LAMBDA: 'http://host.docker.internal:3000',
      A: 'https://host.docker.internal:3000/prod',
      B: 'wss://host.docker.internal:3000/prod',
      C: 'host.docker.internal:3000/prod',
      D: 'https://127.0.0.1:4000/x', // not on an endpoint's port
    });
  });
});
