// Reading Deployment manifests from a folder (the file backend's desired state). Pure parsing
// over text; one bad document never hides the others in the same file.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ContractError, Deployment, formatPath } from '@esb/contracts';
import type { Request } from '../reconcile/types.js';

export type ManifestEntry =
  | { request: Request; file: string; index: number; deployment: Deployment }
  | { request: Request; file: string; index: number; error: string };

export function isManifestFile(file: string): boolean {
  return /\.ya?ml$/i.test(file) && !path.basename(file).startsWith('.');
}

/** Parses every document of one manifest file. Documents that are not Deployments of esb.dev are ignored. */
export function parseManifest(text: string, file: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
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
    if (object.kind !== undefined && object.kind !== 'Deployment') return;
    if (object.apiVersion !== undefined && typeof object.apiVersion === 'string' && !object.apiVersion.startsWith('esb.dev/')) return;
    const metadata = (typeof object.metadata === 'object' && object.metadata) as Record<string, unknown> | false;
    const request: Request = {
      namespace: metadata && typeof metadata.namespace === 'string' ? metadata.namespace : 'default',
      name: metadata && typeof metadata.name === 'string' && metadata.name ? metadata.name : fallbackName,
    };
    const parsed = Deployment.safeParse(raw);
    if (!parsed.success) {
      const where = list.length > 1 ? ` (document ${index + 1})` : '';
      const error = new ContractError(
        `${file}${where}`,
        parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      );
      entries.push({ request, file, index, error: error.message });
      return;
    }
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
