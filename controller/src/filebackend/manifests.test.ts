import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifests.js';

describe('parseManifest', () => {
  it('reads several Deployments from one file, with defaults applied', () => {
    const text = `apiVersion: esb.dev/v1alpha1
kind: Deployment
metadata: { name: deploy-a }
spec: { template: ./a.yml, env: prod }
---
apiVersion: esb.dev/v1alpha1
kind: Deployment
metadata: { name: deploy-b, namespace: team }
spec: { template: ./b.yml }
`;
    const entries = parseManifest(text, '/ws/deployments/app.yaml');
    expect(entries.map((e) => [e.request.namespace, e.request.name, 'deployment' in e ? e.deployment.spec.env : e.error])).toEqual([
      ['default', 'deploy-a', 'prod'],
      ['team', 'deploy-b', 'default'],
    ]);
  });

  it('names the file and the field of an invalid document and keeps the valid ones', () => {
    const text = `apiVersion: esb.dev/v1alpha1
kind: Deployment
metadata: { name: bad }
spec: { env: prod }
---
apiVersion: esb.dev/v1alpha1
kind: Deployment
metadata: { name: good }
spec: { template: ./a.yml }
`;
    const [bad, good] = parseManifest(text, '/ws/deployments/app.yaml');
    expect(bad).toMatchObject({ request: { name: 'bad' } });
    expect('error' in bad && bad.error).toContain('/ws/deployments/app.yaml (document 1)');
    expect('error' in bad && bad.error).toContain('exactly one of spec.template or spec.artifact');
    expect('deployment' in good).toBe(true);
  });

  it('reports a YAML syntax error with file:line:col under a name derived from the file', () => {
    const [entry] = parseManifest('spec:\n  template: [a\n', '/ws/deployments/Broken_App.yml');
    expect(entry.request.name).toBe('broken-app');
    expect('error' in entry && entry.error).toMatch(/^\/ws\/deployments\/Broken_App\.yml:\d+:\d+: /);
  });

  it('reports a bad field type with its path', () => {
    const [entry] = parseManifest('apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: a.yml, parameters: {N: 3}}\n', '/m.yaml');
    expect('error' in entry && entry.error).toContain('spec.parameters.N');
  });

  it('ignores documents of other kinds and empty documents', () => {
    expect(parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n', '/m.yaml')).toEqual([]);
  });
});
