import { describe, expect, it } from 'vitest';
import { dockerOptions, HELP, ownIPv4 } from './agent.js';
import { loadSettings } from '../settings.js';

describe('esb agent: Docker options from the environment (compose)', () => {
  it('nothing set: the driver keeps its defaults (bridge network, bridge gateway address)', () => {
    expect(dockerOptions(loadSettings({}).agent)).toBeUndefined();
  });

  it('a network: function containers join it and call the agent on its own address there', () => {
    const opts = dockerOptions(loadSettings({ ESB_DOCKER_NETWORK: 'esb', ESB_AGENT_NAME: 'esb-compose', IMAGE_PULL_POLICY: 'always' }).agent);
    expect(opts).toMatchObject({ network: 'esb', agentName: 'esb-compose', pullPolicy: 'always' });
    expect(opts?.runtimeApiHost).toBe(ownIPv4());
  });

  it('an explicit Runtime API host wins over the detected address', () => {
    expect(dockerOptions(loadSettings({ ESB_DOCKER_NETWORK: 'esb', ESB_RUNTIME_API_HOST: 'agent' }).agent)).toEqual({ network: 'esb', runtimeApiHost: 'agent' });
  });

  it('empty values count as unset', () => {
    expect(dockerOptions(loadSettings({ ESB_DOCKER_NETWORK: '', ESB_RUNTIME_API_HOST: '', ESB_AGENT_NAME: '' }).agent)).toBeUndefined();
  });
});

describe('esb agent: endpoints handed to functions', () => {
  const endpoints = (env: Record<string, string>) => loadSettings(env).endpoints;

  it('SQS: AWS_ENDPOINT_URL_SQS, else SQS_ENDPOINT, else AWS_ENDPOINT_URL, next to the others', () => {
    expect(endpoints({ AWS_ENDPOINT_URL_SQS: 'http://storage:9324', SQS_ENDPOINT: 'http://old:1', AWS_ENDPOINT_URL_DYNAMODB: 'http://storage:8000' })).toEqual({
      sqs: 'http://storage:9324',
      dynamodb: 'http://storage:8000',
      s3: undefined,
      lambda: undefined,
    });
    expect(endpoints({ SQS_ENDPOINT: 'http://old:1' })).toMatchObject({ sqs: 'http://old:1', dynamodb: undefined });
    expect(endpoints({ SQS_ENDPOINT: 'http://old:1', AWS_ENDPOINT_URL: 'http://all:4566' }).sqs).toBe('http://old:1');
    expect(endpoints({ AWS_ENDPOINT_URL: 'http://all:4566' }).sqs).toBe('http://all:4566');
  });

  it('SQS: none configured (or empty): no sqs endpoint, so SQS event sources are skipped', () => {
    expect(endpoints({}).sqs).toBeUndefined();
    expect(endpoints({ AWS_ENDPOINT_URL_SQS: ' ' }).sqs).toBeUndefined();
    expect(HELP).toContain('AWS_ENDPOINT_URL_SQS (or SQS_ENDPOINT)');
  });
});
