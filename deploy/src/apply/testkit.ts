// Builds small artifact folders for tests and benchmarks, the way `esb artifact generate`
// lays them out (docs/apply.md), so apply's tests do not depend on the generator.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { stringifyRuntimeYaml } from '@esb/contracts';
import { artifactDigest } from './digest.js';

export interface TestStack {
  /** Folder name of the artifact root (`<stack>`). */
  name: string;
  defaults?: Record<string, unknown>;
  functions?: Record<string, Record<string, unknown>>;
  routes?: Record<string, unknown>[];
  apis?: Record<string, unknown>;
  resources?: Record<string, unknown>;
  /** The stack's Outputs (config/outputs.yml), e.g. `{ Table: { value: 't', export: 'shared-Table' } }`. */
  outputs?: Record<string, Record<string, unknown>>;
  /** Extra files under the artifact root, e.g. `{ 'functions/hello/index.js': '...' }`. */
  files?: Record<string, string>;
  /** `wrong`: record a digest that does not match; `none`: record none. Default: the right one. */
  digest?: 'right' | 'wrong' | 'none';
}

export interface WriteArtifactOptions {
  project?: string;
  env?: string;
  stacks: TestStack[];
  /** `runtime`: apply's fast format; `yaml`: block YAML from the `yaml` package. */
  format?: 'runtime' | 'yaml';
}

const ZERO = '0'.repeat(64);

/** Writes `<dir>/artifact.yml` and one `<dir>/<stack>/` per stack; returns the artifact.yml path. */
export async function writeArtifact(dir: string, opts: WriteArtifactOptions): Promise<string> {
  const fmt = (doc: Record<string, unknown>, depth: number) => (opts.format === 'yaml' ? stringify(doc) : stringifyRuntimeYaml(doc, { blockDepth: depth }));
  const entries: Record<string, unknown>[] = [];
  for (const s of opts.stacks) {
    const root = join(dir, s.name);
    const cfg = join(root, 'config');
    await mkdir(cfg, { recursive: true });
    const fnDoc: Record<string, unknown> = { functions: s.functions ?? {} };
    if (s.defaults) fnDoc.defaults = s.defaults;
    await writeFile(join(cfg, 'functions.yml'), fmt(fnDoc, 2));
    await writeFile(join(cfg, 'routing.yml'), fmt({ routes: s.routes ?? [], apis: s.apis ?? {} }, 2));
    await writeFile(join(cfg, 'resources.yml'), fmt({ resources: s.resources ?? {} }, 3));
    if (s.outputs) await writeFile(join(cfg, 'outputs.yml'), fmt({ outputs: s.outputs }, 2));
    for (const [rel, content] of Object.entries(s.files ?? {})) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), content);
    }
    const entry: Record<string, unknown> = {
      artifact_root: s.name,
      runtime_config_dir: `${s.name}/config`,
      source_template: { path: `${s.name}.yml`, sha256: ZERO },
    };
    if (s.digest !== 'none') entry.digest = s.digest === 'wrong' ? `sha256:${'f'.repeat(64)}` : await artifactDigest(root, { artifactRoot: s.name });
    entries.push(entry);
  }
  const file = join(dir, 'artifact.yml');
  await writeFile(
    file,
    stringify({
      schema_version: '1',
      project: opts.project ?? 'esb',
      env: opts.env ?? 'dev',
      mode: 'process',
      artifacts: entries,
      generated_at: '2026-01-01T00:00:00Z',
      generator: { name: 'testkit', version: '0' },
    }),
  );
  return file;
}

/** A function with its code folder, for `TestStack.functions` + `files`. */
export function codeFunction(name: string, body = 'exports.handler = async () => ({ statusCode: 200 });'): {
  fn: Record<string, unknown>;
  files: Record<string, string>;
} {
  return {
    fn: { runtime: 'nodejs20.x', handler: 'index.handler', code: `functions/${name}` },
    files: { [`functions/${name}/index.js`]: body },
  };
}
