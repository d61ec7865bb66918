// `esb build` through the real entry point, on the TypeScript + esbuild app of e2e/apps.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esb } from '@esb/controller/testing';

const TS_APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../e2e/apps/ts-esbuild/template.yaml');

describe('esb build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-build-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds into <build-dir>/<LogicalId>/, then finds nothing changed', async () => {
    const buildDir = path.join(dir, 'build');
    const first = await esb(['build', '-t', TS_APP, '--build-dir', buildDir]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ok {3}HelloWorldFunction \(esbuild\): built in \d+\.\d\ds \([\d.]+ KB, 3 files\)/);
    expect(first.stdout).toMatch(/built 2: HelloWorldFunction esbuild .*, GreetFunction esbuild/);
    expect((await readdir(path.join(buildDir, 'HelloWorldFunction'))).sort()).toEqual(['app.js', 'app.js.map', 'package.json']);
    expect((await readdir(path.join(buildDir, 'GreetFunction'))).sort()).toEqual(['greet.mjs', 'package.json']);

    const second = await esb(['build', '-t', TS_APP, '--build-dir', buildDir, '--json']);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as { units: Array<{ name: string; cached: boolean }> };
    expect(report.units.map((u) => [u.name, u.cached])).toEqual([
      ['HelloWorldFunction', true],
      ['GreetFunction', true],
    ]);
  }, 60_000);

  it('a missing template is an error naming the file', async () => {
    const result = await esb(['build', '-t', path.join(dir, 'missing.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.yaml: template not found');
    expect(existsSync(path.join(dir, '.esb'))).toBe(false);
  });
});
