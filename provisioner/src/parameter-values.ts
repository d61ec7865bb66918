// The values of Parameter Store parameters a template's `AWS::SSM::Parameter::Value<...>`
// parameters name, read from the storage's SSM before the template is read, as CloudFormation
// reads them when it deploys (docs/generate.md "Parameters").
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import type { Credentials } from '@esb/contracts';

/** GetParameters takes at most this many names at once. */
const NAMES_PER_CALL = 10;

/** Each name's value (a StringList's as its comma-separated text); names Parameter Store does not have are left out. */
export async function readParameterValues(names: readonly string[], options: { sqsEndpoint?: string; region?: string; credentials?: Credentials; signal?: AbortSignal }): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (names.length === 0) return out;
  const ssm = new SSMClient({
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? { accessKeyId: 'esb', secretAccessKey: 'esb' },
    maxAttempts: 1,
    ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}),
  });
  try {
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += NAMES_PER_CALL) {
      const batch = unique.slice(i, i + NAMES_PER_CALL);
      const answer = await withRetry(() => ssm.send(new GetParametersCommand({ Names: batch, WithDecryption: true }), { abortSignal: options.signal }), DEFAULT_RETRY, { signal: options.signal });
      for (const p of answer.Parameters ?? []) if (p.Name !== undefined && p.Value !== undefined) out[p.Name] = p.Value;
    }
  } finally {
    ssm.destroy();
  }
  return out;
}
