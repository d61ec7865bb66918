import { describe, expect, it } from 'vitest';
import { manifestTooLarge, nameFromFile, parseManifest } from './manifests.js';

const bomb = (levels = 10) =>
  ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...Array.from({ length: levels - 1 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)].join('\n');

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

  it.each([
    ['metadata.namespace', 'metadata: { name: ok, namespace: ../../../../tmp/x }'],
    ['metadata.name', 'metadata: { name: ../../x }'],
    ['metadata.name', 'metadata: { name: "a/b" }'],
  ])('refuses a path-like %s, naming the file and field, under a key made from the file name', (field, metadata) => {
    const [entry] = parseManifest(`apiVersion: esb.dev/v1alpha1\nkind: Deployment\n${metadata}\nspec: { template: a.yml }\n`, '/ws/deployments/Evil.App.yaml');
    expect(entry.request).toEqual({ namespace: 'default', name: 'evil.app' });
    expect('error' in entry && entry.error).toContain('/ws/deployments/Evil.App.yaml');
    expect('error' in entry && entry.error).toContain(`${field}: must be a DNS-1123`);
  });

  it('refuses an alias bomb with a clear error, without expanding it', () => {
    const text = `${bomb()}\napiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: b }\nspec: { template: a.yml, parameters: { X: *a9 } }\n`;
    const [entry] = parseManifest(text, '/ws/deployments/bomb.yaml');
    expect('error' in entry && entry.error).toMatch(/^\/ws\/deployments\/bomb\.yaml: YAML aliases expand to more than 1,000 values/);
  });

  it('refuses a manifest nested too deep and one too large, naming the file', () => {
    const [deep] = parseManifest(`spec: ${'['.repeat(40)}${']'.repeat(40)}\n`, '/m.yaml');
    expect('error' in deep && deep.error).toMatch(/^\/m\.yaml: spec.*nested more than 32 levels deep/);
    const [big] = manifestTooLarge('/ws/deployments/big.yaml', 5 * 1024 * 1024);
    expect(big.request.name).toBe('big');
    expect('error' in big && big.error).toContain('/ws/deployments/big.yaml: the file is 5,242,880 bytes, more than the limit of 1,048,576');
  });

  it('derives valid Kubernetes names from any file name', () => {
    expect(nameFromFile('/d/..x..yaml')).toBe('x');
    expect(nameFromFile('/d/My App_1.yml')).toBe('my-app-1');
    expect(nameFromFile('/d/___.yaml')).toBe('manifest');
  });
});

describe('parseManifest warnings (nothing is dropped silently)', () => {
  const file = '/ws/deployments/x.yaml';
  const parse = (text: string) => {
    const warnings: string[] = [];
    const entries = parseManifest(text, file, (m) => warnings.push(m));
    return { entries, warnings };
  };

  it('an empty file, another kind or apiVersion: a warning naming the file, no entry', () => {
    expect(parse('')).toEqual({ entries: [], warnings: [`${file}: empty file, no Deployment in it`] });
    expect(parse('# only a comment\n---\n')).toMatchObject({ entries: [], warnings: [`${file}: empty file, no Deployment in it`] });
    const other = parse('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n');
    expect(other.entries).toEqual([]);
    expect(other.warnings).toEqual([
      `${file} (document 1): v1 ConfigMap is not an esb.dev Deployment; ignored`,
      `${file} (document 2): apps/v1 Deployment is not an esb.dev Deployment; ignored`,
    ]);
  });

  it('unknown fields are named as kubectl names them, and the Deployment is still read', () => {
    const { entries, warnings } = parse('apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: a, labels: {x: y}, colour: red}\nspec: {template: a.yml, replicas: 3}\nextra: 1\n');
    expect(entries).toHaveLength(1);
    expect('deployment' in entries[0]).toBe(true);
    expect(warnings).toEqual([
      `${file}: unknown field "metadata.colour" (ignored)`,
      `${file}: unknown field "spec.replicas" (ignored)`,
      `${file}: unknown field "extra" (ignored)`,
    ]);
  });
});
