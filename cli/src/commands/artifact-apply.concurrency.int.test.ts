// 20 applies of 20 different artifacts started at once into one CONFIG_DIR, through the real
// `node cli/bin/esb.js artifact apply` entry point, while a reader parses the files the
// whole time: all 20 artifacts' functions and routes end up there, and no read ever fails.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionsFile, parseYaml, ResourcesFile, RoutingFile, validate } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';
import { codeFunction, writeArtifact } from '@esb/deploy/testing';

const ESB = resolve(import.meta.dirname, '../../bin/esb.js');
const N = 20;
const children = new Set<ReturnType<typeof spawn>>();
const dirs = tempDirs();
// The children first: the folders are theirs to write in until they are gone.
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await dirs.removeAll();
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [ESB, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      children.delete(child);
      res({ code, stdout, stderr });
    });
  });
}

describe('concurrent applies into one CONFIG_DIR', () => {
  it(`${N} processes at once: every artifact lands, readers never see a broken file`, async () => {
    const work = await dirs.make('esb-conc-');
    const configDir = join(work, 'cfg');
    const artifacts: string[] = [];
    for (let i = 0; i < N; i++) {
      const f = codeFunction(`fn${i}`, `exports.i = ${i};`);
      artifacts.push(
        await writeArtifact(join(work, `a${i}`), {
          stacks: [
            {
              name: `stack${i}`,
              functions: { [`fn${i}`]: f.fn, shared: { image: `shared:${i}` } },
              files: f.files,
              routes: [
                { path: `/r${i}`, method: 'GET', function: `fn${i}`, api: 'ServerlessHttpApi' },
                { path: '/shared', method: 'GET', function: 'shared', api: 'ServerlessHttpApi' },
              ],
              resources: { dynamodb: [{ TableName: `table${i}`, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] }] },
            },
          ],
        }),
      );
    }

    const failures: string[] = [];
    let reads = 0;
    let reading = true;
    const seen = new Set<string>();
    const schemas = { 'functions.yml': FunctionsFile, 'routing.yml': RoutingFile, 'resources.yml': ResourcesFile };
    const reader = (async () => {
      while (reading) {
        for (const [f, schema] of Object.entries(schemas)) {
          let text: string;
          try {
            text = await readFile(join(configDir, f), 'utf8');
          } catch (err) {
            // Not created yet by the first apply; once a file exists it must never vanish.
            if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !seen.has(f)) continue;
            failures.push(`${f}: ${(err as Error).message}`);
            continue;
          }
          seen.add(f);
          try {
            validate(schema, parseYaml(text, f), f);
          } catch (err) {
            failures.push(`${f}: ${(err as Error).message}`);
          }
        }
        reads++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const results = await Promise.all(artifacts.map((a) => run(['artifact', 'apply', '--artifact', a, '--out', configDir, '--strict', '--json', '--lock-timeout', '120'])));
    reading = false;
    await reader;

    // Only the take-over notices of last-write-wins (several applies name the same function).
    for (const r of results) expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('warning: took over'))).toEqual([]);
    expect(results.map((r) => r.code)).toEqual(Array(N).fill(0));
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(N);
    expect(seen.size).toBe(3);

    const fns = FunctionsFile.parse(parseYaml(await readFile(join(configDir, 'functions.yml'), 'utf8'), 'f'));
    const routes = RoutingFile.parse(parseYaml(await readFile(join(configDir, 'routing.yml'), 'utf8'), 'r'));
    const res = ResourcesFile.parse(parseYaml(await readFile(join(configDir, 'resources.yml'), 'utf8'), 'r'));
    for (let i = 0; i < N; i++) {
      expect(fns.functions[`fn${i}`]?.code).toMatch(/\/code\/functions_fn\d+-[0-9a-f]{16}$/);
      expect(routes.routes.some((r) => r.path === `/r${i}`)).toBe(true);
      expect(res.resources.dynamodb!.some((t) => t.TableName === `table${i}`)).toBe(true);
    }
    // one /shared route, owned by whichever apply ran last
    expect(routes.routes.filter((r) => r.path === '/shared')).toHaveLength(1);
    expect(routes.routes).toHaveLength(N + 1);
    const reports = results.map((r) => JSON.parse(r.stdout) as { changed: boolean });
    expect(reports.every((r) => r.changed)).toBe(true);
    expect((await readdir(configDir)).filter((n) => n.endsWith('.tmp') || n === '.deploy.lock')).toEqual([]);
  }, 120_000);
});
