// The package layering of docs/design.md, checked on every import: a package imports only the
// packages below it, only by package name through their `exports`, and test helpers only from
// tests. A forbidden import fails here with the file, the line and the rule it breaks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Folder -> package name and the packages its runtime code may import (the layering). */
const LAYERS: Record<string, { name: string; uses: string[]; testsAlsoUse?: string[] }> = {
  crds: { name: '@esb/contracts', uses: [] },
  // The States Language interpreter: pure, no esb package (docs/step-functions.md).
  states: { name: '@esb/states', uses: [] },
  storage: { name: '@esb/storage', uses: ['@esb/contracts'] },
  deploy: { name: '@esb/deploy', uses: ['@esb/contracts', '@esb/states'] },
  provisioner: { name: '@esb/provisioner', uses: ['@esb/contracts'], testsAlsoUse: ['@esb/storage'] },
  agent: { name: '@esb/agent', uses: ['@esb/contracts', '@esb/states'], testsAlsoUse: ['@esb/storage', '@esb/deploy', '@esb/provisioner'] },
  gateway: { name: '@esb/gateway', uses: ['@esb/contracts'], testsAlsoUse: ['@esb/agent'] },
  controller: { name: '@esb/controller', uses: ['@esb/contracts', '@esb/deploy', '@esb/provisioner'] },
  // The browser console imports no esb package: the cli hands it the parts' state (docs/console.md).
  console: { name: '@esb/console', uses: [], testsAlsoUse: ['@esb/gateway'] },
  cli: { name: '@esb/cli', uses: ['@esb/contracts', '@esb/storage', '@esb/deploy', '@esb/provisioner', '@esb/agent', '@esb/gateway', '@esb/controller', '@esb/console'] },
};
/** Harnesses on top of everything: they may import any package, still only by name. */
const HARNESSES = ['e2e', 'bench'];

interface Import {
  file: string;
  line: number;
  spec: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts)$/.test(entry)) out.push(full);
  }
  return out;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (const m of text.matchAll(re)) {
    out.push({ file: path.relative(ROOT, file), line: text.slice(0, m.index).split('\n').length, spec: m[2]! });
  }
  return out;
}

const isTest = (file: string) => /\.test\.ts$/.test(file) || /(^|\/)testing(\/|\.ts$)/.test(file);
const packageOf = (spec: string) => spec.split('/').slice(0, 2).join('/');

function exportsOf(folder: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, folder, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  return Object.keys(pkg.exports);
}

const FOLDER_OF = new Map(Object.entries(LAYERS).map(([folder, l]) => [l.name, folder]));

/** What is wrong with one import of a file of `folder` (undefined: nothing). */
function checkImport(folder: string, absFile: string, imp: Import): string | undefined {
  const layer = LAYERS[folder];
  const test = isTest(path.relative(ROOT, absFile));
  const where = `${imp.file}:${imp.line} imports '${imp.spec}'`;
  if (imp.spec.startsWith('.')) {
    const target = path.relative(ROOT, path.resolve(path.dirname(absFile), imp.spec));
    return target.split(path.sep)[0] === folder ? undefined : `${where}: a relative import into another package (import it by name)`;
  }
  if (!imp.spec.startsWith('@esb/')) return undefined;
  const pkg = packageOf(imp.spec);
  const targetFolder = FOLDER_OF.get(pkg);
  if (!targetFolder) return HARNESSES.some((h) => pkg === `@esb/${h}`) ? undefined : `${where}: no such package`;
  const subpath = `.${imp.spec.slice(pkg.length)}`;
  if (!exportsOf(targetFolder).includes(subpath)) return `${where}: '${subpath}' is not in ${pkg}'s exports`;
  if (subpath === './testing' && !test && !HARNESSES.includes(folder)) return `${where}: test helpers are for tests only`;
  if (!layer || targetFolder === folder) return undefined;
  const allowed = test ? [...layer.uses, ...(layer.testsAlsoUse ?? [])] : layer.uses;
  return allowed.includes(pkg) ? undefined : `${where}: ${layer.name} may not use ${pkg} (docs/design.md, "Layout")`;
}

function violations(): string[] {
  const out: string[] = [];
  for (const folder of [...Object.keys(LAYERS), ...HARNESSES]) {
    for (const file of sourceFiles(path.join(ROOT, folder, 'src'))) {
      for (const imp of importsOf(file)) {
        const problem = checkImport(folder, file, imp);
        if (problem) out.push(problem);
      }
    }
  }
  return out;
}

describe('package layering', () => {
  it('every import follows the layering of docs/design.md', () => {
    expect(violations()).toEqual([]);
  });

  it('only the CLI reads the process environment (the others get typed settings)', () => {
    const readers: string[] = [];
    for (const folder of Object.keys(LAYERS).filter((f) => f !== 'cli')) {
      for (const file of sourceFiles(path.join(ROOT, folder, 'src'))) {
        if (isTest(path.relative(ROOT, file))) continue;
        const text = readFileSync(file, 'utf8');
        text.split('\n').forEach((line, i) => {
          if (/\bprocess\.env\b/.test(line.replace(/\/\/.*$/, ''))) readers.push(`${path.relative(ROOT, file)}:${i + 1}`);
        });
      }
    }
    expect(readers).toEqual([]);
  });

  it('the layering itself has no cycle: each package uses only packages listed before it', () => {
    const order = Object.values(LAYERS).map((l) => l.name);
    for (const [i, layer] of Object.values(LAYERS).entries()) {
      for (const used of layer.uses) expect(order.indexOf(used), `${layer.name} uses ${used}`).toBeLessThan(i);
    }
  });

  it('reports the imports the layering forbids', () => {
    const file = path.join(ROOT, 'gateway', 'src', 'app.ts');
    const at = (spec: string) => checkImport('gateway', file, { file: 'gateway/src/app.ts', line: 1, spec });
    expect(at('@esb/contracts')).toBeUndefined();
    expect(at('@esb/controller')).toMatch(/@esb\/gateway may not use @esb\/controller/);
    expect(at('@esb/deploy/src/apply/merge.js')).toMatch(/not in @esb\/deploy's exports/);
    expect(at('@esb/gateway/testing')).toMatch(/tests only/);
    expect(at('../../agent/src/pool.js')).toMatch(/relative import into another package/);
    const test = path.join(ROOT, 'gateway', 'src', 'app.int.test.ts');
    expect(checkImport('gateway', test, { file: 'gateway/src/app.int.test.ts', line: 1, spec: '@esb/agent' })).toBeUndefined();
  });
});
