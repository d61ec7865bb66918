#!/usr/bin/env node
// Compiles every package's TypeScript sources (<pkg>/src/**/*.ts, tests left out) to
// <pkg>/dist/**/*.js, one file per source file with the same layout, so that paths computed from
// import.meta.url and lazy import()s behave as in the sources. Run by `npm ci` (the root
// `prepare` script) and by `npm run build`; takes well under a second. Then writes the stamp the
// bin checks before running dist/ (cli/bin/build-state.mjs; docs/design.md "Build").
import { readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PACKAGES, STAMP_FILE, sourceState } from '../cli/bin/build-state.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Source files of one package: .ts under src/, tests and test fixtures left out. */
function sources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'fixtures' && entry.name !== 'node_modules') out.push(...sources(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const started = performance.now();
// Taken before compiling: a source edited while the build runs leaves the stamp stale.
const state = sourceState(ROOT);
await rm(path.join(ROOT, STAMP_FILE), { force: true });
let files = 0;
await Promise.all(
  PACKAGES.map(async (pkg) => {
    const srcDir = path.join(ROOT, pkg, 'src');
    const outDir = path.join(ROOT, pkg, 'dist');
    const entryPoints = sources(srcDir);
    files += entryPoints.length;
    await rm(outDir, { recursive: true, force: true });
    await build({
      entryPoints,
      outbase: srcDir,
      outdir: outDir,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
  }),
);
await mkdir(path.dirname(path.join(ROOT, STAMP_FILE)), { recursive: true });
await writeFile(path.join(ROOT, STAMP_FILE), `${JSON.stringify(state)}\n`);
process.stderr.write(`esb build: ${files} files of ${PACKAGES.length} packages compiled to <package>/dist/ in ${Math.round(performance.now() - started)} ms\n`);
