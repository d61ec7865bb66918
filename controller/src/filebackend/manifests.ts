// Reading Deployment manifests from a folder (the file backend's desired state). Pure parsing
// over text; one bad document never hides the others in the same file.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { isScalar, parseAllDocuments } from 'yaml';
import { checkSize, ContractError, Deployment, DeploymentSpec, DNS1123_LABEL, DNS1123_SUBDOMAIN, formatPath, InputLimitError, MANIFEST_LIMITS, yamlDocumentToJS } from '@esb/contracts/client';
import type { Request } from '../reconcile/types.js';

export type ManifestEntry =
  | { request: Request; file: string; index: number; deployment: Deployment }
  | { request: Request; file: string; index: number; error: string };

export function isManifestFile(file: string): boolean {
  return /\.ya?ml$/i.test(file) && !path.basename(file).startsWith('.');
}

/** A file name as a Deployment name (the key of a document whose own name is missing or invalid). */
export function nameFromFile(file: string): string {
  const base = path.basename(file).replace(/\.ya?ml$/i, '').toLowerCase();
  const labels = base
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((l) => l.replace(/^-+|-+$/g, ''))
    .filter(Boolean);
  return labels.join('.').slice(0, 200).replace(/[.-]+$/, '') || 'manifest';
}

/** The entry of a manifest file over MANIFEST_LIMITS.maxBytes (reported without reading it). */
export function manifestTooLarge(file: string, size: number): ManifestEntry[] {
  let error = `${file}: too large`;
  try {
    checkSize(size, file, MANIFEST_LIMITS);
  } catch (err) {
    error = (err as Error).message;
  }
  return [{ request: { namespace: 'default', name: nameFromFile(file) }, file, index: 0, error }];
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
 * Parses every document of one manifest file, within MANIFEST_LIMITS. Documents that are not
 * Deployments of esb.dev, empty files and unknown fields are skipped with a warning through
 * `warn` naming the file. A document's key (namespace/name) is taken from it only when both
 * are valid Kubernetes names; otherwise the error is filed under a key made from the file
 * name, so no path is ever built from an invalid name.
 */
export function parseManifest(text: string, file: string, warn: (message: string) => void = () => {}): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const fileKey = (suffix: string): Request => ({ namespace: 'default', name: `${nameFromFile(file)}${suffix}` });
  let list;
  try {
    checkSize(text, file, MANIFEST_LIMITS);
    const documents = parseAllDocuments(text, { uniqueKeys: true });
    list = Array.isArray(documents) ? documents : [documents];
  } catch (err) {
    const message = err instanceof InputLimitError ? err.message : `${file}: cannot be parsed (${(err as Error).message})`;
    return [{ request: fileKey(''), file, index: 0, error: message }];
  }
  // Empty without converting the document (an alias bomb must not be expanded to tell).
  if (list.every((doc) => doc.errors.length === 0 && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value == null)))) warn(`${file}: empty file, no Deployment in it`);
  list.forEach((doc, index) => {
    const suffix = list.length > 1 ? `-${index}` : '';
    const where = list.length > 1 ? ` (document ${index + 1})` : '';
    const syntax = doc.errors[0];
    if (syntax) {
      const pos = syntax.linePos?.[0];
      entries.push({ request: fileKey(suffix), file, index, error: `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${syntax.message.split('\n')[0]}` });
      return;
    }
    let raw: unknown;
    try {
      raw = yamlDocumentToJS(doc, `${file}${where}`, MANIFEST_LIMITS);
    } catch (err) {
      if (!(err instanceof InputLimitError)) throw err;
      entries.push({ request: fileKey(suffix), file, index, error: err.message });
      return;
    }
    if (raw === null || raw === undefined) return; // empty document (e.g. a trailing ---)
    const object = (typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const otherKind = object.kind !== undefined && object.kind !== 'Deployment';
    const otherApi = typeof object.apiVersion === 'string' && !object.apiVersion.startsWith('esb.dev/');
    if (otherKind || otherApi) {
      warn(`${file}${where}: ${String(object.apiVersion ?? '<no apiVersion>')} ${String(object.kind ?? '<no kind>')} is not an esb.dev Deployment; ignored`);
      return;
    }
    const metadata = (typeof object.metadata === 'object' && object.metadata) as Record<string, unknown> | false;
    const name = metadata ? metadata.name : undefined;
    const namespace = metadata ? (metadata.namespace ?? 'default') : 'default';
    const validKey = typeof name === 'string' && name.length <= 253 && DNS1123_SUBDOMAIN.test(name) && typeof namespace === 'string' && namespace.length <= 63 && DNS1123_LABEL.test(namespace);
    const request: Request = validKey ? { namespace, name } : fileKey(suffix);
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
