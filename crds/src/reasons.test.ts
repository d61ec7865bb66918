import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Condition, ConditionType } from './contracts.js';
import { isFailureReason, isProgressReason, isTerminalReason, REASON_TABLE, ReasonError, reasonOf } from './reasons.js';
import { ContractError, YamlSyntaxError } from './validate.js';

describe('the reason table', () => {
  it('holds each reason once, on a real condition, in the CamelCase a condition accepts; only failures are terminal', () => {
    expect(new Set(REASON_TABLE.map((r) => r.reason)).size).toBe(REASON_TABLE.length);
    for (const row of REASON_TABLE) {
      expect(ConditionType.safeParse(row.phase).success).toBe(true);
      expect(Condition.safeParse({ type: row.phase, status: 'False', reason: row.reason, message: '', lastTransitionTime: '' }).success).toBe(true);
      if (row.terminal) expect(row.kind).toBe('failure');
    }
    expect(isProgressReason('Applying')).toBe(true);
    expect(isFailureReason('Applying')).toBe(false);
    expect(isFailureReason('SomethingElse')).toBe(true);
    expect(isTerminalReason('SomethingElse')).toBe(false);
  });

  it('reasonOf: a declared reason wins; bad YAML or schema is the input\'s fault; anything else is the step\'s retried failure', () => {
    expect(reasonOf(new ReasonError('t.yml: template not found', 'TemplateNotFound'), { step: 'Generated' })).toBe('TemplateNotFound');
    expect(reasonOf(new YamlSyntaxError('t.yml', 3, 1, 'bad'), { step: 'Generated', invalidInput: 'InvalidTemplate' })).toBe('InvalidTemplate');
    expect(reasonOf(new ContractError('artifact.yml', []), { step: 'Applied', invalidInput: 'InvalidArtifact' })).toBe('InvalidArtifact');
    const emfile = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    expect(reasonOf(emfile, { step: 'Generated', invalidInput: 'InvalidTemplate' })).toBe('GenerateFailed');
    expect(isTerminalReason(reasonOf(emfile, { step: 'Generated' }))).toBe(false);
    expect(reasonOf(new Error('ECONNREFUSED'), { step: 'Provisioned' })).toBe('ProvisionFailed');
    // A reason the table does not know is not trusted.
    expect(reasonOf(Object.assign(new Error('x'), { conditionReason: 'Whatever' }), { step: 'Applied' })).toBe('ApplyFailed');
  });

  it('docs/kube.md "Reasons" lists every reason with its terminal column', () => {
    const doc = readFileSync(new URL('../../docs/kube.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Reasons'), doc.indexOf('## Self-heal'));
    for (const row of REASON_TABLE) {
      const line = section.split('\n').find((l) => l.startsWith('|') && l.split('|')[1].includes(`\`${row.reason}\``));
      expect(line, row.reason).toBeDefined();
      expect(line!.split('|')[4].trim(), row.reason).toBe(row.terminal ? 'yes' : row.kind === 'failure' ? 'no' : '—');
    }
  });
});
