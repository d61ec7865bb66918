// What a cached authorizer decision costs on the request path (docs/security.md "Tests and
// speed"; target under 0.2 ms at p50): AuthorizerEngine.authorize with the decision in cache (identity
// lookup, cache hit, IAM policy evaluation against the method ARN), against the same request
// with no auth. Prints percentiles; `BENCH_JSON=1` adds a BENCH_RESULT line.
import type { Authorizer } from '@esb/contracts';
import { AuthorizerEngine, type AuthRequest } from '@esb/gateway';
import { firstNumber } from './lib/args.js';

const N = firstNumber(process.argv.slice(2), 50_000);
const authorizers: Record<string, Authorizer> = { T: { type: 'token', function: 'auth', identity_source: 'method.request.header.Authorization', ttl_seconds: 300 } };
const policy = { principalId: 'u', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:*:*:api1/Prod/GET/*' }] }, context: { tenant: 't' } };
let invocations = 0;
const engine = new AuthorizerEngine({
  invoke: async () => {
    invocations++;
    return { payload: Buffer.from(JSON.stringify(policy)) };
  },
});
const request = (i: number): AuthRequest => ({
  apiType: 'rest',
  methodArn: `arn:aws:execute-api:us-east-1:123456789012:api1/Prod/GET/items/${i % 100}`,
  apiId: 'api1',
  event: {},
  headers: { authorization: 'token-1' },
  query: {},
  stageVariables: {},
  context: {},
});

async function measure(route: { authorizer?: string }): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const req = request(i);
    const t0 = process.hrtime.bigint();
    const outcome = await engine.authorize(route, authorizers, req);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!outcome.ok) throw new Error('denied');
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
await measure({ authorizer: 'T' }); // warm up (and fill the cache)
const none = await measure({});
const cached = await measure({ authorizer: 'T' });
const row = (name: string, t: number[]) => `${name.padEnd(22)} p50 ${(pct(t, 50) * 1000).toFixed(1)} µs   p90 ${(pct(t, 90) * 1000).toFixed(1)} µs   p99 ${(pct(t, 99) * 1000).toFixed(1)} µs`;
console.log(`authorizer decision cost, ${N} requests (node ${process.version})`);
console.log(row('no auth', none));
console.log(row('cached TOKEN decision', cached));
const added = pct(cached, 50) - pct(none, 50);
console.log(`added at p50: ${(added * 1000).toFixed(1)} µs (target < 200 µs); authorizer invoked ${invocations} time(s)`);
if (process.env.BENCH_JSON === '1') {
  console.log(`BENCH_RESULT ${JSON.stringify({ name: 'auth', p50NoAuthMs: pct(none, 50), p50CachedMs: pct(cached, 50), addedP50Ms: added, authorizerInvocations: invocations })}`);
}
