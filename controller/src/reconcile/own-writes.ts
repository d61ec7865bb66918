// Files esb writes itself (CONFIG_DIR's runtime files after an apply), told apart from other
// writers' versions by their signature, so that esb's own apply is not taken for damage
// (docs/kube.md "Self-heal").
import { statSync } from 'node:fs';
import { versionSignature } from '@esb/contracts';

/** A file esb itself wrote, by path and the signature of the version it wrote. */
export interface OwnWrite {
  path: string;
  signature: string;
}

/** The signature of the file's current version (versionSignature); undefined when it is missing. */
export function fileSignature(file: string): string | undefined {
  const s = statSync(file, { bigint: true, throwIfNoEntry: false });
  return s && versionSignature(s);
}
