// Reading Deployment manifests from a folder (the file backend's desired state). Pure parsing
// over text; one bad document never hides the others in the same file.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ContractError, Deployment, DeploymentSpec, formatPath } from '@esb/contracts';
import type { Request } from '../reconcile/types.js';

export type ManifestEntry =
  | { request: Request; file: string; index: number; deployment: Deployment }
  | { request: Request; file: string; index: number; error: string };

export function isManifestFile(file: string): boolean {
  return /\.ya?ml$/i.test(file) && !path.basename(file).startsWith('.');
}

// Fields a Deployment may carry; anything else is reported as kubectl's strict field
// validation warns (`unknown field "spec.replicas"`) and then dropped.
const OBJECT_META = ['generateName', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers', 'managedFields'];
const KNOWN_FIELDS: Record<string, Set<string>> = {
  '': new Set(Object.keys(Deployment.shape)),
  metadata: new Set([...Object.keys(Deployment.shape.metadata.shape), ...OBJECT_META]),
  spec: new Set(Object.keys(DeploymentSpec.shape)),
};

/** Fields of a manifest that the Deployment schema does not know, as `spec.replicas`. */
export function unknownFields(raw: unknown): string[] {
  const out: string[] = [];
  const visit = (value: unknown, at: string) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      const field = at ? `${at}.${key}` : key;
      if (!KNOWN_FIELDS[at].has(key)) out.push(field);
      else if (field in KNOWN_FIELDS) visit((value as Record<string, unknown>)[key], field);
    }
  };
  visit(raw, '');
  return out;
}

/**
 * Parses every document of one manifest file. Documents that are not Deployments of esb.dev,
 * empty files and unknown fields are skipped with a warning through `warn` naming the file.
 */
export function parseManifest(text: string, file: string, warn: (message: string) => void = () => {}): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  if (list.every((doc) => doc.errors.length === 0 && (doc.toJS() ?? undefined) === undefined)) warn(`${file}: empty file, no Deployment in it`);
  list.forEach((doc, index) => {
    const fallbackName = `${path.basename(file).replace(/\.ya?ml$/i, '').toLowerCase().replace(/[^a-z0-9.-]/g, '-')}${list.length > 1 ? `-${index}` : ''}`;
    const syntax = doc.errors[0];
    if (syntax) {
      const pos = syntax.linePos?.[0];
      entries.push({
        request: { namespace: 'default', name: fallbackName },
        file,
        index,
        error: `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${syntax.message.split('\n')[0]}`,
      });
      return;
    }
    const raw = doc.toJS() as unknown;
    if (raw === null || raw === undefined) return; // empty document (e.g. a trailing ---)
    const object = (typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const where = list.length > 1 ? ` (document ${index + 1})` : '';
    const otherKind = object.kind !== undefined && object.kind !== 'Deployment';
    const otherApi = typeof object.apiVersion === 'string' && !object.apiVersion.startsWith('esb.dev/');
    if (otherKind || otherApi) {
      warn(`${file}${where}: ${String(object.apiVersion ?? '<no apiVersion>')} ${String(object.kind ?? '<no kind>')} is not an esb.dev Deployment; ignored`);
      return;
    }
    const metadata = (typeof object.metadata === 'object' && object.metadata) as Record<string, unknown> | false;
    const request: Request = {
      namespace: metadata && typeof metadata.namespace === 'string' ? metadata.namespace : 'default',
      name: metadata && typeof metadata.name === 'string' && metadata.name ? metadata.name : fallbackName,
    };
    const parsed = Deployment.safeParse(raw);
    if (!parsed.success) {
      const error = new ContractError(
        `${file}${where}`,
        parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      );
      entries.push({ request, file, index, error: error.message });
      return;
    }
    for (const field of unknownFields(raw)) warn(`${file}${where}: unknown field "${field}" (ignored)`);
    const deployment = parsed.data;
    deployment.metadata.namespace = request.namespace;
    delete deployment.status; // status lives beside the manifest, never in the user's file
    entries.push({ request, file, index, deployment });
  });
  return entries;
}

export function specDigest(deployment: Deployment): string {
  return createHash('sha256').update(JSON.stringify(deployment.spec)).digest('hex').slice(0, 16);
}
