// An EventBridge rule's AppSync target (docs/eventbridge.md, docs/appsync.md): the event, or what
// the target's input fields make of it, is the variables of the target's GraphQL operation, run
// by the API on the gateway (its by-id path), signed for `appsync` with the agent's credentials
// as EventBridge signs with the target's role.
import { appSyncApiPath, NodeSha256, type Credentials } from '@esb/contracts';
import { SignatureV4 } from '@smithy/signature-v4';

export interface GraphqlCallerOptions {
  /** Where the gateway is (the functions' Lambda endpoint). */
  gateway: string;
  region: string;
  credentials: Credentials;
}

/** What an operation answered: its `data` and `errors` (as the API gave them), or why it could not run. */
export type GraphqlOutcome = { ok: true; errors?: unknown[] } | { ok: false; reason: string };

export function createGraphqlCaller(o: GraphqlCallerOptions): (api: string, operation: string, variables: string) => Promise<GraphqlOutcome> {
  const signer = new SignatureV4({ credentials: o.credentials, region: o.region, service: 'appsync', sha256: NodeSha256 });
  return async (api, operation, variables) => {
    let vars: unknown;
    try {
      vars = JSON.parse(variables);
    } catch {
      return { ok: false, reason: 'the input is not JSON (the variables of the operation)' };
    }
    const url = new URL(`${o.gateway.replace(/\/+$/, '')}${appSyncApiPath(api)}`);
    const body = JSON.stringify({ query: operation, variables: vars !== null && typeof vars === 'object' && !Array.isArray(vars) ? vars : {} });
    const signed = await signer.sign({ method: 'POST', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: {}, headers: { host: url.host, 'content-type': 'application/json' }, body });
    const headers = { ...signed.headers } as Record<string, string>;
    delete headers.host;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      return { ok: false, reason: `${url.href}: ${(err as Error).message}` };
    }
    const text = await res.text();
    if (res.status !== 200) return { ok: false, reason: `${url.href} answered ${res.status}: ${text.slice(0, 300)}` };
    try {
      const answer = JSON.parse(text) as { errors?: unknown[] };
      return answer.errors?.length ? { ok: true, errors: answer.errors } : { ok: true };
    } catch {
      return { ok: false, reason: `${url.href} answered with no JSON` };
    }
  };
}
