// The signature of one version of a file, from its stat: what the config watch compares to see a
// change, and what the controller notes for the files it wrote so that their events are known as
// its own (docs/apply.md "Deploy to serve").
import type { BigIntStats } from 'node:fs';

/** What tells one version of a file from another: inode (an atomic rename gives a new one), mtime (ns), size. */
export function versionSignature(stats: BigIntStats): string {
  return `${stats.ino}:${stats.mtimeNs}:${stats.size}`;
}
