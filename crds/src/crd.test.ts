import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Deployment, DeploymentOutput, DeploymentStatus } from './contracts.js';

// GIVEN the CRD's OpenAPI schema and the zod contract, WHEN both judge the same objects,
// THEN they agree: the file backend (zod) and the kube API server (OpenAPI) accept the same
// Deployments.
const crd = parse(readFileSync(new URL('../deployment.yaml', import.meta.url), 'utf8'));
const openApi = crd.spec.versions[0].schema.openAPIV3Schema;
const ajv = new Ajv({ strict: false, validateFormats: false });
const crdAccepts = ajv.compile(openApi);

const base = { apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { name: 'deploy-a' } };
const now = '2026-11-25T10:00:00Z';
const samples: Array<[string, Record<string, unknown>, boolean]> = [
  ['template only', { spec: { template: './a.yml', env: 'prod', project: 'esb' } }, true],
  ['artifact only', { spec: { artifact: './out/artifact.yml' } }, true],
  ['parameters as strings', { spec: { template: 'a.yml', parameters: { Stage: 'prod' } } }, true],
  ['neither template nor artifact', { spec: { env: 'prod' } }, false],
  ['both template and artifact', { spec: { template: 'a.yml', artifact: 'b.yml' } }, false],
  ['empty template', { spec: { template: '' } }, false],
  ['upper-case env', { spec: { template: 'a.yml', env: 'Prod' } }, false],
  ['env with a space', { spec: { template: 'a.yml', env: 'my env' } }, false],
  ['numeric parameter', { spec: { template: 'a.yml', parameters: { Count: 3 } } }, false],
  ['template not a string', { spec: { template: 42 } }, false],
  ['no spec', {}, false],
  [
    'full status',
    {
      spec: { template: 'a.yml' },
      status: {
        observedGeneration: 2,
        artifactDigest: 'sha256:abc',
        functions: 2,
        routes: 3,
        resources: 1,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: 'ok', lastTransitionTime: now }],
        outputs: [{ key: 'ApiUrl', value: 'https://x.execute-api.us-east-1.amazonaws.com/Prod/', exportName: 'shared-api' }, { key: 'Arn', problem: 'no value here', description: 'd' }],
      },
    },
    true,
  ],
  ['an output without its key', { spec: { template: 'a.yml' }, status: { outputs: [{ value: 'v' }] } }, false],
  [
    'condition status not True/False/Unknown',
    { spec: { template: 'a.yml' }, status: { conditions: [{ type: 'Ready', status: 'Yes', reason: 'Applied', message: '', lastTransitionTime: now }] } },
    false,
  ],
  [
    'reason not CamelCase',
    { spec: { template: 'a.yml' }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'all good', message: '', lastTransitionTime: now }] } },
    false,
  ],
  [
    'unknown condition type',
    { spec: { template: 'a.yml' }, status: { conditions: [{ type: 'Happy', status: 'True', reason: 'Ok', message: '', lastTransitionTime: now }] } },
    false,
  ],
  [
    'condition without reason',
    { spec: { template: 'a.yml' }, status: { conditions: [{ type: 'Ready', status: 'True', message: '', lastTransitionTime: now }] } },
    false,
  ],
  ['name with dots (a DNS-1123 subdomain)', { metadata: { name: 'api.v2-prod' }, spec: { template: 'a.yml' } }, true],
  ['name climbing folders', { metadata: { name: '../../x' }, spec: { template: 'a.yml' } }, false],
  ['name with a slash', { metadata: { name: 'a/b' }, spec: { template: 'a.yml' } }, false],
  ['name with an empty dot segment', { metadata: { name: 'a..b' }, spec: { template: 'a.yml' } }, false],
  ['name of 254 characters', { metadata: { name: 'a'.repeat(254) }, spec: { template: 'a.yml' } }, false],
  ['upper-case name', { metadata: { name: 'Deploy' }, spec: { template: 'a.yml' } }, false],
  ['negative function count', { spec: { template: 'a.yml' }, status: { functions: -1 } }, false],
];

describe('Deployment CRD schema and zod contract', () => {
  it.each(samples)('%s', (_label, sample, valid) => {
    const object = { ...base, ...sample };
    expect(crdAccepts(object), JSON.stringify(crdAccepts.errors)).toBe(valid);
    expect(Deployment.safeParse(object).success).toBe(valid);
  });

  // The API server checks namespaces itself (a CRD cannot narrow them); the file backend has
  // only zod, which applies the same DNS-1123 label rule.
  it.each([
    ['prod', true],
    ['team-a', true],
    ['../../../../tmp/x', false],
    ['a.b', false],
    ['a'.repeat(64), false],
  ] as const)('namespace %s: %s', (namespace, valid) => {
    expect(Deployment.safeParse({ ...base, metadata: { name: 'x', namespace }, spec: { template: 'a.yml' } }).success).toBe(valid);
  });

  // The API server prunes what a structural schema does not declare: a status field the
  // contract has and the CRD lacks would be dropped from every kube Deployment without a word.
  it('declares every status field of the contract, and every field of an output', () => {
    const status = openApi.properties.status.properties;
    expect(Object.keys(status).sort()).toEqual(Object.keys(DeploymentStatus.shape).sort());
    expect(Object.keys(status.outputs.items.properties).sort()).toEqual(Object.keys(DeploymentOutput.shape).sort());
  });

  it('declares the printer columns users read', () => {
    const columns = crd.spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['Ready', 'Reason', 'Age']));
    expect(crd.spec.versions[0].subresources).toHaveProperty('status');
    expect(crd.spec.scope).toBe('Namespaced');
  });
});
