import { describe, expect, it } from 'vitest';
import { containerEnv, LABEL_ENV_STDIN, spareKey, splitInstanceEnv, takesEnvOnStdin, trustBinds } from './docker-driver.js';

const env = (api: string, stream: string, extra: Record<string, string> = {}) => ({
  AWS_LAMBDA_FUNCTION_NAME: 'f',
  AWS_LAMBDA_RUNTIME_API: api,
  AWS_LAMBDA_LOG_STREAM_NAME: stream,
  PYTHONPATH: '/var/runtime',
  ...extra,
});

describe('docker driver, pure parts', () => {
  it('splits what differs per instance (Runtime API, log stream) from what a pre-created container carries', () => {
    expect(splitInstanceEnv(env('172.17.0.1:4000', 's1'))).toEqual({
      shared: { AWS_LAMBDA_FUNCTION_NAME: 'f', PYTHONPATH: '/var/runtime' },
      perInstance: { AWS_LAMBDA_RUNTIME_API: '172.17.0.1:4000', AWS_LAMBDA_LOG_STREAM_NAME: 's1' },
    });
  });

  it('gives two instances of one config the same spare key, whatever their port, log stream or variable order', () => {
    const base = { image: 'i:1', handler: 'app.h', memoryMb: 128, binds: [] };
    const a = spareKey({ ...base, env: env('h:1', 's1', { A: '1', B: '2' }) });
    expect(spareKey({ ...base, env: { B: '2', ...env('h:2', 's2'), A: '1' } })).toBe(a);
    expect(spareKey({ ...base, env: env('h:1', 's1', { A: '1', B: '3' }) })).not.toBe(a);
    expect(spareKey({ ...base, memoryMb: 256, env: env('h:1', 's1', { A: '1', B: '2' }) })).not.toBe(a);
    expect(spareKey({ ...base, image: 'i:2', env: env('h:1', 's1', { A: '1', B: '2' }) })).not.toBe(a);
    expect(spareKey({ ...base, handler: 'app.other', env: env('h:1', 's1', { A: '1', B: '2' }) })).not.toBe(a);
    expect(spareKey({ ...base, binds: ['/c:/var/task:ro'], env: env('h:1', 's1', { A: '1', B: '2' }) })).not.toBe(a);
  });

  it('pre-creates only for images whose entrypoint is the bootstrap that reads the stdin line', () => {
    const entrypoint = ['/usr/bin/python3', '/var/runtime/bootstrap.py'];
    expect(takesEnvOnStdin({ Labels: { [LABEL_ENV_STDIN]: '1' }, Entrypoint: entrypoint })).toBe(true);
    expect(takesEnvOnStdin({ Labels: {}, Entrypoint: entrypoint })).toBe(false); // an older runtime image
    expect(takesEnvOnStdin({ Labels: { [LABEL_ENV_STDIN]: '1' }, Entrypoint: ['/app/main'] })).toBe(false); // inherited label, own entrypoint
    expect(takesEnvOnStdin({ Labels: null, Entrypoint: null })).toBe(false);
    expect(takesEnvOnStdin(undefined)).toBe(false);
  });

  it('points loopback endpoints at the host gateway', () => {
    expect(containerEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:8000/', X: 'http://127.0.0.1' })).toEqual([
      'AWS_ENDPOINT_URL_S3=http://host.docker.internal:9000',
      'AWS_ENDPOINT_URL_DYNAMODB=http://host.docker.internal:8000/',
      'X=http://127.0.0.1',
    ]);
  });

  it("gives a loopback S3 endpoint as the network's gateway address, so that SDKs address buckets by path", () => {
    expect(containerEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324' }, '172.18.0.1')).toEqual([
      'AWS_ENDPOINT_URL_S3=http://172.18.0.1:9000',
      'AWS_ENDPOINT_URL_SQS=http://host.docker.internal:9324',
    ]);
    // An address or a name (compose: the agent gave its address already) stays; no gateway (host network) either.
    expect(containerEnv({ AWS_ENDPOINT_URL_S3: 'http://10.0.5.7:9000/' }, '172.18.0.1')).toEqual(['AWS_ENDPOINT_URL_S3=http://10.0.5.7:9000/']);
    expect(containerEnv({ AWS_ENDPOINT_URL_S3: 'http://localhost:9000' })).toEqual(['AWS_ENDPOINT_URL_S3=http://host.docker.internal:9000']);
  });

  it("mounts the local CA's certificate and bundle read-only where the instance's variables say, never its key", () => {
    expect(trustBinds({ cert: '/cfg/tls/ca.pem', bundle: '/cfg/tls/ca-bundle.pem' })).toEqual(['/cfg/tls/ca.pem:/etc/esb/tls/ca.pem:ro', '/cfg/tls/ca-bundle.pem:/etc/esb/tls/ca-bundle.pem:ro']);
    expect(trustBinds(undefined)).toEqual([]);
  });
});
