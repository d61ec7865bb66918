// Golden tests over the template corpus in deploy/test/templates/<case>/. Each valid case
// has expected/ (generated text files, files.txt listing every output with a short sha256,
// warnings.txt); each invalid-* case has expected/error.txt. UPDATE_GOLDEN=1 rewrites them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCase, TEMPLATES } from './corpus.js';
import type { RenderResult } from './render.js';

function goldenFiles(result: RenderResult): Record<string, string> {
  const out: Record<string, string> = {};
  const listing: string[] = [];
  for (const f of result.files) {
    const bytes = 'copyFrom' in f ? readFileSync(f.copyFrom) : typeof f.content === 'string' ? Buffer.from(f.content) : Buffer.from(f.content);
    listing.push(`${f.path}  ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`);
    // Generated text (config, Dockerfiles, inline code) is kept whole; copied code by hash.
    if ('content' in f && typeof f.content === 'string') out[f.path] = f.content;
  }
  out['files.txt'] = `${listing.sort().join('\n')}\n`;
  out['warnings.txt'] = result.warnings.map((w) => `${w}\n`).join('');
  out['summary.json'] = `${JSON.stringify({ ...result.summary, digest: result.digest }, null, 2)}\n`;
  return out;
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));
}

function check(caseDir: string, files: Record<string, string>): void {
  const UPDATE = process.env.UPDATE_GOLDEN === '1';
  const expectedDir = join(caseDir, 'expected');
  if (UPDATE) {
    rmSync(expectedDir, { recursive: true, force: true });
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(expectedDir, p)), { recursive: true });
      writeFileSync(join(expectedDir, p), c);
    }
    return;
  }
  expect(listFiles(expectedDir).sort(), `expected/ of ${caseDir} (run with UPDATE_GOLDEN=1)`).toEqual(Object.keys(files).sort());
  for (const [p, c] of Object.entries(files)) expect(c, p).toBe(readFileSync(join(expectedDir, p), 'utf8'));
}

const cases = readdirSync(TEMPLATES).filter((n) => statSync(join(TEMPLATES, n)).isDirectory()).sort();

describe('golden artifacts', () => {
  it('has a corpus of at least 12 valid templates', () => {
    expect(cases.filter((c) => !c.startsWith('invalid-')).length).toBeGreaterThanOrEqual(12);
  });
  for (const name of cases.filter((c) => !c.startsWith('invalid-'))) {
    it(`renders ${name}`, async () => {
      const result = await renderCase(name);
      check(join(TEMPLATES, name), goldenFiles(result));
    });
  }
});

describe('invalid templates: one clear error each', () => {
  for (const name of cases.filter((c) => c.startsWith('invalid-'))) {
    it(`rejects ${name}`, async () => {
      const err = await renderCase(name).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err, 'generation must fail').toBeInstanceOf(Error);
      check(join(TEMPLATES, name), { 'error.txt': `${(err as Error).name}: ${(err as Error).message}\n` });
    });
  }
});
