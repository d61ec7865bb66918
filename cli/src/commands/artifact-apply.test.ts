import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { tempDirs } from '@esb/contracts/testing';
import { main } from '../main.js';
import { writeArtifact } from '@esb/deploy/testing';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('esb artifact apply', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.removeAll());

  it('prints what changed, and the same as data with --json (no secret values)', async () => {
    const work = await dirs.make('esb-cli-apply-');
    const artifact = await writeArtifact(join(work, 'out'), {
      stacks: [{ name: 's', functions: { f: { image: 'i', environment: { P: '${PW}' } } }, routes: [{ path: '/f', method: 'GET', function: 'f', api: 'A' }], resources: { firehose: [] } }],
    });
    await writeFile(join(work, 'sec.env'), 'PW=topsecret\n');
    const cfg = join(work, 'cfg');
    let io = capture();
    expect(await main(['artifact', 'apply', '--artifact', artifact, '--out', cfg, '--secret-env', join(work, 'sec.env')])).toBe(0);
    expect(io.out()).toMatch(/functions: 1 added, 0 replaced, 0 unchanged, 0 kept\n\s+added: f/);
    expect(io.out()).toMatch(/routes: 1 added.*\n\s+added: GET \/f/);
    expect(io.out()).toMatch(/wrote functions\.yml, routing\.yml, stacks\.yml\n/); // resources.yml: still empty, not rewritten
    expect(io.err()).toMatch(/warning: .*unknown resource kind "firehose"/);
    vi.restoreAllMocks();

    io = capture();
    expect(await main(['artifact', 'apply', '--artifact', artifact, '--out', cfg, '--secret-env', join(work, 'sec.env'), '--json'])).toBe(0);
    const report = JSON.parse(io.out());
    expect(report.changed).toBe(false);
    expect(report.entries[0].changes.functions.unchanged).toEqual(['f']);
    expect(io.out() + io.err()).not.toContain('topsecret');
  });

  it('uses CONFIG_DIR, else the staging folder of the artifact project/env, when --out is absent', async () => {
    const work = await dirs.make('esb-cli-apply-');
    const artifact = await writeArtifact(join(work, 'out'), { project: 'shop', env: 'prod', stacks: [{ name: 's', functions: { f: { image: 'i' } } }] });
    const cwd = process.cwd();
    const saved = process.env.CONFIG_DIR;
    delete process.env.CONFIG_DIR;
    process.chdir(work);
    try {
      const io = capture();
      expect(await main(['artifact', 'apply', '--artifact', artifact])).toBe(0);
      expect(io.out()).toContain(join(work, '.esb', 'staging', 'shop', 'prod', 'config'));
      vi.restoreAllMocks();
      process.env.CONFIG_DIR = join(work, 'envdir');
      const io2 = capture();
      expect(await main(['artifact', 'apply', '--artifact', artifact])).toBe(0);
      expect(io2.out()).toContain(`to ${join(work, 'envdir')}`);
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.CONFIG_DIR;
      else process.env.CONFIG_DIR = saved;
    }
  });

  it('exits 2 on a usage error and 1 with a clear message on bad input', async () => {
    let io = capture();
    expect(await main(['artifact', 'apply'])).toBe(2);
    expect(io.err()).toMatch(/--artifact is required/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['artifact', 'apply', '--artifact', '/nonexistent/artifact.yml', '--out', '/tmp/x'])).toBe(1);
    expect(io.err()).toMatch(/esb artifact apply: \/nonexistent\/artifact\.yml: artifact\.yml not found/);
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['artifact', 'apply', '--artifact', '/nonexistent/artifact.yml'])).toBe(1);
    expect(io.err()).toMatch(/artifact\.yml not found/);
  });
});
