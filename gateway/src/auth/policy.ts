// IAM policy evaluation for Lambda authorizers, as API Gateway does it: the policy returned by
// the authorizer is matched against the method ARN of the request; an explicit Deny wins over
// any Allow; no matching Allow is an implicit deny (API Gateway words the two differently). Pure.

export interface PolicyStatement {
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{resource path without the leading /}` */
export function methodArn(parts: { region: string; accountId: string; apiId: string; stage: string; method: string; path: string }): string {
  return `arn:aws:execute-api:${parts.region}:${parts.accountId}:${parts.apiId}/${parts.stage}/${parts.method}/${parts.path.replace(/^\//, '')}`;
}

/** IAM wildcard match: `*` any run of characters (across `/` too), `?` one character. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return regex.test(value);
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function actionMatches(action: string | string[] | undefined): boolean {
  return asList(action).some((a) => wildcardMatch(a.toLowerCase(), 'execute-api:invoke'));
}

function resourceMatches(statement: PolicyStatement, arn: string): boolean {
  if (statement.NotResource !== undefined) return !asList(statement.NotResource).some((r) => wildcardMatch(r, arn));
  return asList(statement.Resource).some((r) => wildcardMatch(r, arn));
}

export type PolicyDecision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Allow when a statement allows `execute-api:Invoke` on `arn` and none denies it. */
export function evaluatePolicy(policy: PolicyDocument, arn: string): PolicyDecision {
  let allowed = false;
  for (const statement of asList(policy.Statement as never) as unknown as PolicyStatement[]) {
    if (!actionMatches(statement.Action) || !resourceMatches(statement, arn)) continue;
    const effect = String(statement.Effect).toLowerCase();
    if (effect === 'deny') return 'ExplicitDeny';
    if (effect === 'allow') allowed = true;
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
