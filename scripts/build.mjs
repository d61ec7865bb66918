#!/usr/bin/env node
// Compiles every package's TypeScript sources (<pkg>/src/**/*.ts, tests left out) to
// <pkg>/dist/**/*.js, one file per source file with the same layout, so that paths computed from
// import.meta.url, worker entries and lazy import()s behave as in the sources. The libraries
// every command loads and that ship as many small modules (zod, yaml, js-yaml) are bundled once
// into crds/dist/vendor/<name>.js and imported from there: one file to read and compile instead
// of ~170. Run by `npm ci` (the root `prepare` script) and by `npm run build`; about a second.
// Then writes the stamp the bin checks before running dist/ (cli/bin/build-state.mjs;
// docs/design.md "Build").
import { existsSync, readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
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

/** Bundled into crds/dist/vendor/<name>.js; every other import stays as written. */
const VENDORED = ['zod', 'yaml', 'js-yaml'];
const VENDOR_DIR = path.join(ROOT, 'crds', 'dist', 'vendor');
// Bundled CommonJS code calls require() for Node's built-ins.
const REQUIRE_BANNER = "import { createRequire as __esbCreateRequire } from 'node:module'; const require = __esbCreateRequire(import.meta.url);";

/**
 * Per vendored library: the bundle as CommonJS (<name>.cjs), loaded through V8's code cache by
 * vendor-loader.cjs, and an ESM facade (<name>.js) that re-exports what the library exports.
 */
async function buildVendored() {
  await mkdir(VENDOR_DIR, { recursive: true });
  await copyFile(path.join(ROOT, 'scripts', 'vendor-loader.cjs'), path.join(VENDOR_DIR, 'load.cjs'));
  await Promise.all(
    VENDORED.map(async (name) => {
      const lib = await import(name);
      const exported = Object.keys(lib).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      await build({
        stdin: { contents: `export * from '${name}';${'default' in lib ? ` export { default } from '${name}';` : ''}`, resolveDir: ROOT, sourcefile: `vendor-${name}.js` },
        outfile: path.join(VENDOR_DIR, `${name}.cjs`),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        logLevel: 'warning',
      });
      await writeFile(
        path.join(VENDOR_DIR, `${name}.js`),
        [
          "import { createRequire as createVendorRequire } from 'node:module';",
          `const lib = createVendorRequire(import.meta.url)('./load.cjs').load(${JSON.stringify(name)});`,
          // Export names may be reserved words (zod's `enum`, `catch`): bound as e<i>, exported as named.
          ...exported.map((k, i) => `const e${i} = lib[${JSON.stringify(k)}];`),
          `export { ${exported.map((k, i) => `e${i} as ${k}`).join(', ')} };`,
          'default' in lib ? 'export default lib.default;' : '',
          '',
        ].join('\n'),
      );
    }),
  );
}

/** Code caches for the vendored bundles, taken after loading the schemas every command loads. */
async function writeVendorCaches() {
  const warm = `const l = (await import('node:module')).createRequire(${JSON.stringify(path.join(VENDOR_DIR, 'load.cjs'))})('./load.cjs'); await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'crds', 'dist', 'index.js')).href)}); l.writeCaches();`;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', warm], { cwd: ROOT });
}

/** Each source file compiled alone: its imports stay external, a vendored library's point at its bundle. */
function importsAsWritten(outDirOf) {
  return {
    name: 'imports-as-written',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (VENDORED.includes(args.path)) {
          const from = path.dirname(outDirOf(args.importer));
          let rel = path.relative(from, path.join(VENDOR_DIR, `${args.path}.js`)).split(path.sep).join('/');
          if (!rel.startsWith('.')) rel = `./${rel}`;
          return { path: rel, external: true };
        }
        return { path: args.path, external: true };
      });
    },
  };
}

const started = performance.now();
// Taken before compiling: a source edited while the build runs leaves the stamp stale.
const state = sourceState(ROOT);
await rm(path.join(ROOT, STAMP_FILE), { force: true });
let files = 0;
await rm(path.join(ROOT, 'crds', 'dist'), { recursive: true, force: true });
await buildVendored();
// A package whose sources are absent is left out (the image ships no browser console).
const present = PACKAGES.filter((pkg) => existsSync(path.join(ROOT, pkg, 'src')));
await Promise.all(
  present.map(async (pkg) => {
    const srcDir = path.join(ROOT, pkg, 'src');
    const outDir = path.join(ROOT, pkg, 'dist');
    const entryPoints = sources(srcDir);
    files += entryPoints.length;
    if (pkg !== 'crds') await rm(outDir, { recursive: true, force: true });
    await build({
      entryPoints,
      outbase: srcDir,
      outdir: outDir,
      bundle: true, // with every import external (the plugin): one output file per source file
      plugins: [importsAsWritten((file) => path.join(outDir, path.relative(srcDir, file)))],
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
  }),
);
await mkdir(path.dirname(path.join(ROOT, STAMP_FILE)), { recursive: true });
await writeVendorCaches();
await writeFile(path.join(ROOT, STAMP_FILE), `${JSON.stringify(state)}\n`);
process.stderr.write(`esb build: ${files} files of ${present.length} packages compiled to <package>/dist/ in ${Math.round(performance.now() - started)} ms\n`);
