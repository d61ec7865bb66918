import { describe, expect, it } from 'vitest';
import { dockerOptions, ownIPv4 } from './agent.js';
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
