// Whether the compiled JavaScript (<package>/dist/, written by scripts/build.mjs) matches the
// TypeScript sources, read by the bin on every start: it must never run old code
// (docs/design.md "Build"). Plain JavaScript: it runs before anything is compiled or loaded.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The packages compiled to dist/ (folders under the repository root). */
export const PACKAGES = ['crds', 'states', 'deploy', 'controller', 'gateway', 'agent', 'provisioner', 'console', 'storage', 'cli'];
/** The build's stamp, relative to the repository root: the state of the sources it compiled. */
export const STAMP_FILE = 'cli/dist/build-stamp.json';

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

/**
 * What the compiled output depends on, cheaply: how many source files, a hash of their paths
 * (a rename changes it), and the newest modification time (an edit changes it). Stat calls only.
 */
export function sourceState(root) {
  const names = [];
  let newest = 0;
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a package without sources (an image that ships dist/ alone)
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'fixtures' && entry.name !== 'node_modules') walk(full);
      } else if (isSource(entry.name)) {
        names.push(full.slice(root.length));
        newest = Math.max(newest, statSync(full).mtimeMs);
      }
    }
  };
  for (const pkg of PACKAGES) walk(path.join(root, pkg, 'src'));
  return { files: names.length, names: createHash('sha1').update(names.sort().join('\n')).digest('hex'), newest };
}

/**
 * 'fresh' when dist/ was built from the sources as they are now; else why not ('missing': no
 * build; 'stale': a source was added, removed, renamed or edited since). Sources absent
 * altogether (dist/ shipped alone) count as fresh.
 */
export function buildState(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, STAMP_FILE), 'utf8'));
  } catch {
    return 'missing';
  }
  const now = sourceState(root);
  if (now.files === 0) return 'fresh';
  return now.files === stamp.files && now.names === stamp.names && now.newest <= stamp.newest ? 'fresh' : 'stale';
}
