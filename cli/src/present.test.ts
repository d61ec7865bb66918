import { describe, expect, it } from 'vitest';
import { deploymentsTable, describeDeployment, formatAge } from './present.js';

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
});
