// CloudFormation's dynamic references in a function's environment (docs/secrets.md, "Dynamic
// references"): `{{resolve:ssm:name}}`, `{{resolve:ssm:name:version}}`, `{{resolve:ssm-secure:...}}`
// and `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}` are
// resolved when an instance starts (CloudFormation resolves them at deploy; here the values may
// be made by the same deploy's provisioning), from esb's SSM and Secrets Manager on the storage.

const REFERENCE = /\{\{resolve:(ssm|ssm-secure|secretsmanager):([^{}]+)\}\}/g;

export type ReferenceKind = 'ssm' | 'secretsmanager';

/** A secret reference taken apart; empty parts are absent (the defaults: the whole SecretString, AWSCURRENT). */
export interface SecretReference {
  secretId: string;
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
}

export function hasReferences(vars: Record<string, string>): boolean {
  for (const v of Object.values(vars)) if (v.includes('{{resolve:')) return true;
  return false;
}

/** `secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]`; a secret id may be an ARN (with its own colons). */
export function parseSecretReference(spec: string): SecretReference {
  const parts = spec.split(':');
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>: seven parts.
  const idParts = parts[0] === 'arn' ? 7 : 1;
  const secretId = parts.slice(0, idParts).join(':');
  const [field, jsonKey, versionStage, versionId] = parts.slice(idParts);
  if (field !== undefined && field !== '' && field !== 'SecretString') throw new Error(`only SecretString can be referenced, not ${field}`);
  return { secretId, ...(jsonKey ? { jsonKey } : {}), ...(versionStage ? { versionStage } : {}), ...(versionId ? { versionId } : {}) };
}

/**
 * The variables with every reference replaced by its value. `lookup` answers one reference
 * (the same text is asked once per call); a reference that cannot be resolved rejects with its
 * text and the reason.
 */
export async function resolveReferences(vars: Record<string, string>, lookup: (kind: ReferenceKind, spec: string) => Promise<string>): Promise<Record<string, string>> {
  const wanted = new Map<string, Promise<string>>();
  for (const v of Object.values(vars)) {
    for (const m of v.matchAll(REFERENCE)) {
      const kind: ReferenceKind = m[1] === 'secretsmanager' ? 'secretsmanager' : 'ssm';
      if (!wanted.has(m[0])) wanted.set(m[0], lookup(kind, m[2]).catch((err: unknown) => Promise.reject(new Error(`cannot resolve ${m[0]}: ${err instanceof Error ? err.message : String(err)}`))));
    }
  }
  if (wanted.size === 0) return vars;
  const values = new Map<string, string>();
  for (const [text, value] of wanted) values.set(text, await value);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = v.replace(REFERENCE, (text) => values.get(text)!);
  return out;
}

/** One AWS JSON 1.1 call to the storage's SQS port; rejects with the service's message. */
async function call(endpoint: string, target: string, input: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body: JSON.stringify(input) });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${String(body.__type ?? res.status)}: ${String(body.message ?? body.Message ?? '')}`);
  return body;
}

/** Looks references up in esb's SSM and Secrets Manager at `endpoint` (the SQS port). */
export function storageLookup(endpoint: string): (kind: ReferenceKind, spec: string) => Promise<string> {
  return async (kind, spec) => {
    if (kind === 'ssm') {
      // `name:version` selects a version, as GetParameter's Name does.
      const out = await call(endpoint, 'AmazonSSM.GetParameter', { Name: spec, WithDecryption: true });
      return String((out.Parameter as { Value?: unknown } | undefined)?.Value ?? '');
    }
    const ref = parseSecretReference(spec);
    const out = await call(endpoint, 'secretsmanager.GetSecretValue', { SecretId: ref.secretId, ...(ref.versionStage ? { VersionStage: ref.versionStage } : {}), ...(ref.versionId ? { VersionId: ref.versionId } : {}) });
    const text = typeof out.SecretString === 'string' ? out.SecretString : '';
    if (!ref.jsonKey) return text;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`the secret ${ref.secretId} is not JSON, so it has no key ${ref.jsonKey}`);
    }
    const value = json !== null && typeof json === 'object' ? (json as Record<string, unknown>)[ref.jsonKey] : undefined;
    if (value === undefined) throw new Error(`the secret ${ref.secretId} has no key ${ref.jsonKey}`);
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}
