import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '@esb/contracts/testing';
import { KubeConfigError, loadKubeConfig } from './config.js';
import { statusMergePatch } from './store.js';

describe('statusMergePatch', () => {
  it('sets the given fields and nulls every other status field, so the patch replaces the status', () => {
    const patch = statusMergePatch({ observedGeneration: 3, conditions: [], configDir: '/c' });
    expect(patch).toEqual({
      status: { observedGeneration: 3, conditions: [], configDir: '/c', artifactDigest: null, functions: null, routes: null, resources: null },
    });
  });
});

describe('loadKubeConfig', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.removeAll());
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c1, cluster: {server: "https://127.0.0.1:1"}}, {name: c2, cluster: {server: "https://127.0.0.1:2"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: one, context: {cluster: c1, user: u}}, {name: two, context: {cluster: c2, user: u}}]
current-context: one
`;
  it('loads an explicit file and switches to the asked context', async () => {
    const file = path.join(await dirs.make('esb-kc-'), 'config');
    await writeFile(file, kubeconfig);
    expect(loadKubeConfig({ kubeconfig: file }).getCurrentCluster()?.server).toBe('https://127.0.0.1:1');
    expect(loadKubeConfig({ kubeconfig: file, context: 'two' }).getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
  });

  it('names the file and the context when the context does not exist', async () => {
    const file = path.join(await dirs.make('esb-kc-'), 'config');
    await writeFile(file, kubeconfig);
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'three' })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'three' })).toThrow(/three/);
  });

  it('fails with KubeConfigError naming the file when it cannot be read', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow(/\/nonexistent\/kubeconfig/);
  });
});
