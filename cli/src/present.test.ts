import { describe, expect, it } from 'vitest';
import { alignedRow, columnWidths, deploymentList, deploymentsTable, describeDeployment, formatAge, localApiUrl, outputLine, parseOutputFormat, watchKey, type DeploymentRow } from './present.js';

const now = new Date('2026-11-25T12:00:00Z');

describe('presentation', () => {
  it('formats ages as kubectl does', () => {
    expect(formatAge('2026-11-25T11:59:15Z', now)).toBe('45s');
    expect(formatAge('2026-11-25T11:48:00Z', now)).toBe('12m');
    expect(formatAge('2026-11-25T09:00:00Z', now)).toBe('3h');
    expect(formatAge('2026-11-20T12:00:00Z', now)).toBe('5d');
  });

  it('prints NAME ENV READY REASON AGE aligned', () => {
    const out = deploymentsTable(
      [
        { namespace: 'default', name: 'deploy-a', env: 'prod', createdAt: '2026-11-25T11:59:00Z', status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: '' }] } },
        { namespace: 'default', name: 'b', env: 'dev', createdAt: '2026-11-25T11:00:00Z', status: { conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidTemplate', message: 'x', lastTransitionTime: '' }] } },
      ],
      now,
    );
    expect(out.split('\n')).toEqual([
      'NAME       ENV    READY   REASON            AGE',
      'deploy-a   prod   True    Ready             60s',
      'b          dev    False   InvalidTemplate   60m',
    ]);
  });

  it('describes conditions and recent errors', () => {
    const out = describeDeployment(
      {
        namespace: 'default',
        name: 'b',
        env: 'dev',
        status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidTemplate', message: 't.yml:3:1: bad', lastTransitionTime: '2026-11-25T11:59:00Z' }] },
        recentErrors: [{ time: '2026-11-25T11:59:00Z', message: 't.yml:3:1: bad' }],
      },
      now,
    );
    expect(out).toContain('Observed generation:  2');
    expect(out).toMatch(/Ready\s+False\s+InvalidTemplate\s+60s\s+t\.yml:3:1: bad/);
    expect(out).toContain('2026-11-25T11:59:00Z  t.yml:3:1: bad');
  });

  it("describes the stack's Outputs: key, value (or why it has none), export and description; and who applied them when another Deployment did", () => {
    const row: DeploymentRow = { namespace: 'default', name: 'cognito-default', status: { stackName: 'cognito' } };
    const outputs = [
      { key: 'UserPool', value: 'UserPool', description: 'the  user\npool', export: 'cognito-UserPool' },
      { key: 'Label', problem: '!GetAtt T.Label: unknown' },
    ];
    const out = describeDeployment(row, now, { stack: 'cognito', deployment: 'default/cognito-default', outputs }).split('\n');
    const at = out.indexOf('Outputs:');
    expect(out.slice(at, at + 4)).toEqual([
      'Outputs:',
      '  Key        Value                              Export             Description',
      '  UserPool   UserPool                           cognito-UserPool   the user pool',
      '  Label      <none: !GetAtt T.Label: unknown>',
    ]);
    expect(describeDeployment(row, now)).toMatch(/Outputs:\n  <none>\n/);
    expect(describeDeployment(row, now, { stack: 'cognito', deployment: 'default/other', outputs: [] })).toContain('Outputs:\n  (stack cognito was last applied by deployment default/other)\n  <none>');
  });

  it("prints an output as `Key = value (export Name)`, an API's execute-api URL with where this gateway serves it", () => {
    const own = 'http://api.localhost:3000';
    expect(outputLine({ key: 'UserPool', value: 'p-1', export: 'cognito-UserPool' }, own)).toBe('UserPool = p-1 (export cognito-UserPool)');
    expect(outputLine({ key: 'Label', problem: 'not here' }, own)).toBe('Label has no value here (not here)');
    expect(outputLine({ key: 'ApiUrl', value: 'https://ServerlessRestApi.execute-api.us-east-1.amazonaws.com/Prod/hello/' }, own)).toBe('ApiUrl = https://ServerlessRestApi.execute-api.us-east-1.amazonaws.com/Prod/hello/ (here: http://api.localhost:3000/Prod/hello/)');
    expect(localApiUrl('wss://ChatApi.execute-api.us-east-1.amazonaws.com/Stage', own)).toBe('ws://api.localhost:3000/Stage');
    expect(localApiUrl('https://abc.execute-api.eu-west-1.amazonaws.com', own)).toBe('http://api.localhost:3000/');
    expect(localApiUrl('https://example.com/x', own)).toBeUndefined();
  });

  const ready = (status: 'True' | 'False', reason: string) => [{ type: 'Ready' as const, status, reason, message: '', lastTransitionTime: '' }];
  const rowA: DeploymentRow = {
    namespace: 'default',
    name: 'deploy-a',
    env: 'prod',
    createdAt: '2026-11-25T11:59:00Z',
    generation: 3,
    spec: { template: 'a.yml', env: 'prod', project: 'shop' },
    status: { observedGeneration: 2, functions: 3, routes: 6, resources: 2, conditions: ready('True', 'Ready') },
  };

  it('-o wide adds project, generation, observed generation, what was deployed and the template', () => {
    expect(deploymentsTable([rowA], now, false, true).split('\n')).toEqual([
      'NAME       ENV    READY   REASON   AGE   PROJECT   GENERATION   OBSERVED   FUNCTIONS   ROUTES   RESOURCES   TEMPLATE',
      'deploy-a   prod   True    Ready    60s   shop      3            2          3           6        2           a.yml',
    ]);
  });

  it('-o yaml|json print a v1 List of Deployment resources, as kubectl does', () => {
    expect(deploymentList([rowA])).toEqual({
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '' },
      items: [
        {
          apiVersion: 'esb.dev/v1alpha1',
          kind: 'Deployment',
          metadata: { name: 'deploy-a', namespace: 'default', generation: 3, creationTimestamp: '2026-11-25T11:59:00Z' },
          spec: { template: 'a.yml', env: 'prod', project: 'shop' },
          status: rowA.status,
        },
      ],
    });
  });

  it('-o takes wide, yaml or json only, and says so', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('wide')).toBe('wide');
    expect(() => parseOutputFormat('xml')).toThrow('--output (-o): "xml" is not one of wide, yaml, json');
  });

  it('-w: a change of status is a change, the passing of time is not; rows stay under the header', () => {
    const later = { ...rowA, createdAt: '2026-11-25T10:00:00Z' };
    expect(watchKey(later)).toBe(watchKey({ ...rowA, createdAt: '2026-11-25T10:00:00Z' }));
    expect(watchKey({ ...rowA, status: { ...rowA.status, conditions: ready('False', 'ApplyFailed') } })).not.toBe(watchKey(rowA));
    const widths = columnWidths([['NAME', 'READY'], ['a', 'True']]);
    expect(alignedRow(['NAME', 'READY'], widths)).toBe('NAME   READY');
    expect(alignedRow(['a-much-longer-name', 'False'], widths)).toBe('a-much-longer-name   False');
  });
});
