import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TEMPLATES } from '@esb/deploy/testing';
import { generateArtifact } from '@esb/deploy';
import { main } from '../main.js';
import { buildImages, ImageBuildUnavailableError, parseGenerateArgs, UsageError } from './artifact-generate.js';

let work: string;
let out: string[];
let err: string[];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'esb-cli-gen-'));
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(work, { recursive: true, force: true });
});

describe('esb artifact generate', () => {
  it('prints a summary and, with --json, a machine-readable one', async () => {
    const t = join(TEMPLATES, 'rest-path-params/template.yaml');
    expect(await main(['artifact', 'generate', '-t', t, '-o', join(work, 'a'), '-p', 'shop', '-e', 'prod'])).toBe(0);
    expect(out.join('')).toContain('stack rest-path-params: 2 functions, 5 routes, 0 tables, 0 buckets, 0 queues, 0 layers, 0 warnings');
    out.length = 0;
    expect(await main(['artifact', 'generate', '-t', t, '-o', join(work, 'b'), '--json', '--stack-name', 'items'])).toBe(0);
    const summary = JSON.parse(out.join(''));
    expect(summary).toMatchObject({ artifact: join(work, 'b', 'artifact.yml'), summary: { stack: 'items', functions: 2, routes: 5 }, warnings: [], images_built: false });
    expect(summary.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(readFileSync(join(work, 'a/artifact.yml'), 'utf8')).toContain('project: shop');
  });

  it('reports a bad template with file, resource and field, and exits 1', async () => {
    const code = await main(['artifact', 'generate', '-t', join(TEMPLATES, 'invalid-missing-handler/template.yaml'), '-o', join(work, 'x')]);
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/invalid-missing-handler\/template.yaml: HelloFunction.Handler: missing Handler/);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });

  it('rejects usage errors with exit 2', async () => {
    expect(await main(['artifact', 'generate'])).toBe(2);
    expect(await main(['artifact', 'generate', '-t', 'x.yml', '--bogus'])).toBe(2);
    expect(err.join('')).toContain('unknown option --bogus');
  });

  it('--build-images hands the build plan to the image builder, and fails clearly without one', async () => {
    const result = await generateArtifact({ templatePath: join(TEMPLATES, 'layers/template.yaml'), outDir: join(work, 'img') });
    const calls: unknown[][] = [];
    const fake = async () => ({
      buildArtifactImages: async (...args: unknown[]) => {
        calls.push(args);
        return { built: 2, reused: 0, images: [] };
      },
    });
    expect(await buildImages(result, () => {}, fake)).toMatchObject({ built: 2 });
    expect(calls[0][0]).toBe(join(work, 'img', 'layers'));
    expect((calls[0][1] as Array<{ dockerfile: string }>).map((b) => b.dockerfile)).toEqual(['functions/layers-UsesLayersFunction/Dockerfile', 'functions/layers-ZippedCodeFunction/Dockerfile']);
    const missing = () => Promise.reject(new Error('Cannot find module'));
    await expect(buildImages(result, () => {}, missing)).rejects.toThrow(ImageBuildUnavailableError);
    await expect(buildImages(result, () => {}, missing)).rejects.toThrow(/image building needs the Docker runtime part/);
  });
});

describe('CLI arguments', () => {
  it('parses flags, several overrides and base images', () => {
    const a = parseGenerateArgs(['-t', 't.yml', '-e', 'prod', '--parameter-overrides', 'A=1', 'B=x=y', '--base-image', 'python3.12=img:1', '--json', '--parameter-overrides=C=3 D=4']);
    expect(a).toMatchObject({ template: 't.yml', env: 'prod', json: true, parameterOverrides: { A: '1', B: 'x=y', C: '3', D: '4' }, baseImages: { 'python3.12': 'img:1' } });
    expect(parseGenerateArgs(['--parameter-overrides', 'ParameterKey=Env,ParameterValue=prod']).parameterOverrides).toEqual({ Env: 'prod' });
    expect(() => parseGenerateArgs(['--nope'])).toThrow(UsageError);
    expect(() => parseGenerateArgs(['--parameter-overrides', 'novalue'])).toThrow(UsageError);
  });
});
