import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deployMemoryMbOf, gatewaySecurity, invokeApiAccess, loadSettings, parseDuration, parseJwksSetting, SettingsError } from './settings.js';
import { LOCAL_CREDENTIALS } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describe('gateway security settings', () => {
  it('merges API keys and JWKS locations from ~/.esb/config.yaml and the environment', async () => {
    const home = await dirs.make('esb-home-');
    await mkdir(path.join(home, '.esb'));
    await writeFile(path.join(home, '.esb', 'config.yaml'), 'api_keys: [from-file]\njwks:\n  https://a.test: /keys/a.json\n');
    const security = await gatewaySecurity({ ...loadSettings({ ESB_API_KEYS: 'k1, k2', ESB_JWKS: 'https://b.test/=https://b.test/keys' }), home });
    expect([...security.apiKeys()].sort()).toEqual(['from-file', 'k1', 'k2']);
    expect(security.jwksLocations).toEqual({ 'https://a.test': '/keys/a.json', 'https://b.test/': 'https://b.test/keys' });
  });

  it('names the variable of a malformed JWKS setting', () => {
    expect(() => parseJwksSetting('https://a.test', 'ESB_JWKS')).toThrow('ESB_JWKS: "https://a.test" is not <issuer>=<JWKS URL or file>');
  });
});

describe('loadSettings', () => {
  it('defaults for local use: the local region and credentials, no endpoints, reload every second', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS, endpoints: {}, reloadIntervalMs: 1000, logLevel: 'info', debug: false });
  });

  it('one endpoint precedence for every part: AWS_ENDPOINT_URL_<SERVICE>, then <SERVICE>_ENDPOINT, then AWS_ENDPOINT_URL', () => {
    expect(loadSettings({ DYNAMODB_ENDPOINT: 'http://database:8000', AWS_ENDPOINT_URL_DYNAMODB: 'http://x:1', S3_ENDPOINT: 'http://s3:9000', AWS_ENDPOINT_URL_S3: 'http://y:2' }).endpoints).toMatchObject({
      dynamodb: 'http://x:1',
      s3: 'http://y:2',
    });
    expect(loadSettings({ DYNAMODB_ENDPOINT: 'http://database:8000', AWS_ENDPOINT_URL: 'http://z:3' }).endpoints).toMatchObject({ dynamodb: 'http://database:8000', s3: 'http://z:3' });
    expect(loadSettings({ AWS_ENDPOINT_URL: 'http://z:3' }).endpoints).toEqual({ dynamodb: 'http://z:3', s3: 'http://z:3', sqs: 'http://z:3', eventbridge: 'http://z:3', sns: 'http://z:3', stepfunctions: 'http://z:3', lambda: undefined });
    expect(loadSettings({ SQS_ENDPOINT: 'http://queues:9324', AWS_ENDPOINT_URL_SQS: 'http://q:4' }).endpoints.sqs).toBe('http://q:4');
    // Unset, functions get the SQS endpoint for EventBridge (the same port takes PutEvents).
    expect(loadSettings({ AWS_ENDPOINT_URL_SQS: 'http://q:4' }).endpoints.eventbridge).toBeUndefined();
    expect(loadSettings({ EVENTBRIDGE_ENDPOINT: 'http://bus:1', AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://bus:2' }).endpoints.eventbridge).toBe('http://bus:2');
  });

  it('region and credentials from the usual variables; half a key pair is not a key pair', () => {
    expect(loadSettings({ AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(loadSettings({ AWS_REGION: 'ap-northeast-1', AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('ap-northeast-1');
    expect(loadSettings({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_SESSION_TOKEN: 'T' }).credentials).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'T' });
    expect(loadSettings({ AWS_ACCESS_KEY_ID: 'AK' }).credentials).toEqual(LOCAL_CREDENTIALS);
  });

  it('CONFIG_RELOAD_INTERVAL means the same to every part: units, bare seconds (milliseconds above 60), at least 0.5 s', () => {
    const reload = (v: string) => loadSettings({ CONFIG_RELOAD_INTERVAL: v }).reloadIntervalMs;
    expect(reload('2')).toBe(2000);
    expect(reload('0.75')).toBe(750);
    expect(reload('600ms')).toBe(600);
    expect(reload('0.1')).toBe(500);
    expect(reload('1500')).toBe(1500);
    expect(reload('2s')).toBe(2000);
    expect(() => reload('soon')).toThrow(SettingsError);
    expect(() => reload('soon')).toThrow(/^CONFIG_RELOAD_INTERVAL: "soon" is not a duration/);
  });

  it('durations, ports and runtimes are checked, naming the variable', () => {
    expect(parseDuration('1.5m', 'X')).toBe(90_000);
    expect(loadSettings({ INTEGRATION_TIMEOUT: '10' }).integrationTimeoutMs).toBe(10_000);
    expect(() => loadSettings({ PORT: '70000' })).toThrow(/^PORT: "70000" is not a port number/);
    expect(() => loadSettings({ ESB_RUNTIME: 'podman' })).toThrow(/^ESB_RUNTIME: "podman" is not process or docker/);
    expect(loadSettings({ ESB_RUNTIME: 'docker', AGENT_PORT: '9100' })).toMatchObject({ runtime: 'docker', agent: { port: 9100 } });
  });

  it('ESB_DEPLOY_MEMORY_MB: the deploy workers\' heap cap in whole MB, at least 16; unset leaves the default', () => {
    expect(loadSettings({}).deployMemoryMb).toBeUndefined();
    expect(loadSettings({ ESB_DEPLOY_MEMORY_MB: '2048' }).deployMemoryMb).toBe(2048);
    expect(() => loadSettings({ ESB_DEPLOY_MEMORY_MB: '1.5g' })).toThrow(/^ESB_DEPLOY_MEMORY_MB: "1.5g" is not a whole number of MB \(at least 16\)/);
    expect(() => loadSettings({ ESB_DEPLOY_MEMORY_MB: '8' })).toThrow(SettingsError);
    expect(() => deployMemoryMbOf('0', '--deploy-memory-mb')).toThrow(/^--deploy-memory-mb: "0"/);
  });
});

describe('Invoke API settings', () => {
  const home = async (yaml?: string) => {
    const h = await dirs.make('esb-home-');
    if (yaml) {
      await mkdir(path.join(h, '.esb'));
      await writeFile(path.join(h, '.esb', 'config.yaml'), yaml);
    }
    return h;
  };
  const fn = { accessKeyId: 'ESBFUNC', secretAccessKey: 'function-secret' };

  it('is open on loopback, whatever is configured', async () => {
    const access = await invokeApiAccess({ ...loadSettings({ ESB_INVOKE_API: 'off' }), home: await home() }, '127.0.0.1');
    expect(access.open).toBe(true);
    expect((await invokeApiAccess({ ...loadSettings({}), home: await home() }, '::1')).open).toBe(true);
  });

  it("beyond loopback: off unless enabled (only the platform's functions get in), then the keys and tokens of the file and the environment", async () => {
    const off = await invokeApiAccess({ ...loadSettings({ ESB_INVOKE_API_KEYS: 'AK1:s1' }), home: await home() }, '0.0.0.0', fn);
    expect(off).toEqual({ open: false, accessKeys: new Map([['ESBFUNC', 'function-secret']]), tokens: new Set() });
    const h = await home('invoke_api:\n  enabled: true\n  access_keys: {AKFILE: file-secret}\n  tokens: [token-from-the-file-0001]\n');
    const on = await invokeApiAccess({ ...loadSettings({ ESB_INVOKE_API_KEYS: 'AK1:s1, AK2:s:2', ESB_INVOKE_API_TOKENS: 'token-from-the-env-00001' }), home: h }, '10.0.0.5');
    expect(on.open).toBe(false);
    expect([...on.accessKeys]).toEqual([['AKFILE', 'file-secret'], ['AK1', 's1'], ['AK2', 's:2']]);
    expect([...on.tokens]).toEqual(['token-from-the-file-0001', 'token-from-the-env-00001']);
    // The environment turns off what the file enables.
    const envOff = await invokeApiAccess({ ...loadSettings({ ESB_INVOKE_API: 'off' }), home: h }, '0.0.0.0');
    expect(envOff.accessKeys.size + envOff.tokens.size).toBe(0);
  });

  it('names the variable of a bad value, and refuses an enabled API without credentials', async () => {
    expect(() => loadSettings({ ESB_INVOKE_API: 'yes' })).toThrow('ESB_INVOKE_API: "yes" is not on or off');
    expect(() => loadSettings({ ESB_INVOKE_API_KEYS: 'nocolon' })).toThrow(/^ESB_INVOKE_API_KEYS: .* is not <access key id>:<secret access key>/);
    expect(() => loadSettings({ ESB_INVOKE_API_TOKENS: 'short' })).toThrow('ESB_INVOKE_API_TOKENS: a token needs at least 16 characters');
    await expect(invokeApiAccess({ ...loadSettings({ ESB_INVOKE_API: 'on' }), home: await home() }, '0.0.0.0')).rejects.toThrow(/ESB_INVOKE_API: .*enabled beyond loopback but has no credentials/);
  });

  it('reads ESB_FUNCTION_USER, naming it when it is wrong', () => {
    expect(loadSettings({ ESB_FUNCTION_USER: 'none' }).functionUsers).toEqual({ kind: 'none' });
    expect(() => loadSettings({ ESB_FUNCTION_USER: 'somebody' })).toThrow(/^ESB_FUNCTION_USER: "somebody" is not a uid setting/);
  });

  it('reads ESB_WARM_INSTANCES and ESB_NODE_WORKERS, naming them when they are wrong', () => {
    expect(loadSettings({ ESB_WARM_INSTANCES: '4' }).agent.warmInstances).toBe(4);
    expect(loadSettings({}).agent.warmInstances).toBeUndefined();
    expect(() => loadSettings({ ESB_WARM_INSTANCES: '0' })).toThrow(/^ESB_WARM_INSTANCES: "0" is not a whole number of at least 1/);
    expect(loadSettings({ ESB_NODE_WORKERS: 'on' }).agent.nodeWorkers).toBe(true);
    expect(() => loadSettings({ ESB_NODE_WORKERS: 'yes' })).toThrow(/^ESB_NODE_WORKERS: "yes" is not on or off/);
  });

  it('reads ESB_SPARE_RUNTIMES (0 turns spares off), naming it when it is wrong', () => {
    expect(loadSettings({ ESB_SPARE_RUNTIMES: '0' }).agent.spareRuntimes).toBe(0);
    expect(loadSettings({ ESB_SPARE_RUNTIMES: '4' }).agent.spareRuntimes).toBe(4);
    expect(loadSettings({}).agent.spareRuntimes).toBeUndefined();
    expect(() => loadSettings({ ESB_SPARE_RUNTIMES: '-1' })).toThrow(/^ESB_SPARE_RUNTIMES: "-1" is not a whole number of at least 0/);
    expect(() => loadSettings({ ESB_SPARE_RUNTIMES: 'many' })).toThrow(/^ESB_SPARE_RUNTIMES: "many" is not a whole number/);
  });

  it('reads ESB_DURABLE_TIME_SCALE, a factor in (0, 1], naming it when it is wrong', () => {
    expect(loadSettings({ ESB_DURABLE_TIME_SCALE: '0.01' }).agent.durableTimeScale).toBe(0.01);
    expect(loadSettings({}).agent.durableTimeScale).toBeUndefined();
    for (const bad of ['0', '2', '-0.5', 'fast']) expect(() => loadSettings({ ESB_DURABLE_TIME_SCALE: bad })).toThrow(new RegExp(`^ESB_DURABLE_TIME_SCALE: "${bad}" is not a number greater than 0 and at most 1`));
  });
});
