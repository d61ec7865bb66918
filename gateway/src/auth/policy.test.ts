import { describe, expect, it } from 'vitest';
import { evaluatePolicy, methodArn, wildcardMatch } from './policy.js';

const arn = methodArn({ region: 'us-east-1', accountId: '123456789012', apiId: 'abc123', stage: 'Prod', method: 'GET', path: '/items/42' });

const allow = (Resource: string | string[]) => ({ Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource }] });

describe('methodArn', () => {
  it('builds the ARN API Gateway passes to authorizers', () => {
    expect(arn).toBe('arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/42');
  });
});

describe('wildcardMatch', () => {
  it('treats * as any run (across /) and ? as one character, everything else literally', () => {
    expect(wildcardMatch('arn:aws:execute-api:*:*:abc123/*', arn)).toBe(true);
    expect(wildcardMatch('arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/4?', arn)).toBe(true);
    expect(wildcardMatch('arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*', arn)).toBe(false);
    expect(wildcardMatch('arn.aws', 'arnXaws')).toBe(false);
  });
});

describe('evaluatePolicy', () => {
  it('allows an exact or wildcard Allow', () => {
    expect(evaluatePolicy(allow(arn), arn)).toBe('Allow');
    expect(evaluatePolicy(allow('*'), arn)).toBe('Allow');
    expect(evaluatePolicy(allow(['arn:aws:execute-api:us-east-1:123456789012:other/*', 'arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/*']), arn)).toBe('Allow');
  });

  it('denies implicitly when nothing matches, explicitly when a Deny matches even with an Allow', () => {
    expect(evaluatePolicy(allow('arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*'), arn)).toBe('ImplicitDeny');
    expect(
      evaluatePolicy(
        { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }, { Action: 'execute-api:*', Effect: 'Deny', Resource: '*/GET/items/*' }] },
        arn,
      ),
    ).toBe('ExplicitDeny');
  });

  it('ignores statements for other actions and accepts a single statement object', () => {
    expect(evaluatePolicy({ Statement: [{ Action: 's3:GetObject', Effect: 'Allow', Resource: '*' }] }, arn)).toBe('ImplicitDeny');
    expect(evaluatePolicy({ Statement: { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' } }, arn)).toBe('Allow');
    expect(evaluatePolicy({ Statement: [{ Action: '*', Effect: 'Allow', Resource: '*' }] }, arn)).toBe('Allow');
  });
});
