// Property tests with resource caps: any manifest text (valid ones mutated, random metadata,
// alias bombs) gives entries whose keys are valid Kubernetes names, whose status file stays
// inside the status folder, and whose errors name the file; parseManifest never throws.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '@esb/contracts';
import { FileStore } from './store.js';
import { parseManifest } from './manifests.js';

const FILE = '/ws/deployments/fuzz.yaml';
const store = new FileStore({ deploymentsDir: '/ws/deployments', statusDir: '/ws/.esb/status' });

function check(text: string): void {
  const entries = parseManifest(text, FILE);
  for (const e of entries) {
    expect(e.request.namespace).toMatch(DNS1123_LABEL);
    expect(e.request.name).toMatch(DNS1123_SUBDOMAIN);
    expect(e.request.name.length).toBeLessThanOrEqual(253);
    const status = store.statusFile(e.request);
    expect(path.relative('/ws/.esb/status', status).startsWith('..')).toBe(false);
    if ('error' in e) expect(e.error).toContain(FILE);
  }
}

const hostileName = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('../../x', '../../../../tmp/x', '/etc', 'a/b', '.', '..', 'a..b', '-a', 'A', '', ' ', 'a'.repeat(300), 'x\u0000y', '${HOME}', '*alias'),
  fc.stringMatching(/^[a-z0-9.-]{1,12}$/),
);

const TOKENS = ['&a ', '*a', '<<: *a\n', '[', ']', '{', '}', ': ', '- ', '\n', '\n  ', '---\n', '...\n', '"', "'", '#', '|', '!!binary ', '!!js/function ', '~', '\t', '%YAML 1.1\n'];

describe('manifest fuzzing (bounded runs)', () => {
  it('random metadata names and namespaces never become keys or paths', () => {
    fc.assert(
      fc.property(hostileName, fc.option(hostileName), (name, namespace) => {
        const metadata = JSON.stringify(namespace === null ? { name } : { name, namespace });
        check(`apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: ${metadata}\nspec: { template: a.yml }\n`);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated manifests: entries or errors naming the file, never a throw', () => {
    const valid = 'apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: team\nspec:\n  template: ./a.yml\n  env: prod\n  parameters: { Stage: prod }\n---\napiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: other }\nspec: { artifact: out/artifact.yml }\n';
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })), fc.nat({ max: 20 })), { minLength: 1, maxLength: 8 }), (edits) => {
        let text = valid;
        for (const [at, insert, remove] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + remove);
        }
        check(text);
      }),
      { numRuns: 400 },
    );
  });

  it('alias bombs of any shape in a manifest are refused naming the file', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }), (width, levels) => {
        const anchors = [`a0: &a0 [${Array(width).fill('lol').join(', ')}]`];
        for (let i = 1; i < levels; i++) anchors.push(`a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(', ')}]`);
        const text = `${anchors.join('\n')}\napiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: b }\nspec: { template: a.yml, parameters: { X: *a${levels - 1} } }\n`;
        check(text);
        const [entry] = parseManifest(text, FILE);
        // Parameters must be strings: with or without a limit, this is an error naming the file.
        expect('error' in entry).toBe(true);
        if (width ** levels > 10_000) expect('error' in entry && entry.error).toMatch(/YAML aliases expand|values in the document/);
      }),
      { numRuns: 100 },
    );
  });
});
