import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContractError, FunctionsFile, parseYaml, readRuntimeFile, ResourcesFile, RoutingFile, STACKS_CODEC } from '@esb/contracts';
import { tempDirs } from '@esb/contracts/testing';
import { ConfigDirNotWritableError } from '../layout/index.js';
import { applyArtifact, ArtifactError, ConfigDirError, DigestMismatchError, ensureConfigDir, ExportConflictError, SecretMissingError } from './index.js';
import { codeFunction, writeArtifact, type TestStack } from './testkit.js';

const dirs = tempDirs();
afterAll(() => dirs.removeAll());
const tmp = (p = 'esb-apply-') => dirs.make(p);

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, pre: string) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name), `${pre}${e.name}/`);
      else out[`${pre}${e.name}`] = await readFile(join(d, e.name), 'utf8');
    }
  };
  await walk(dir, '');
  return out;
}

async function readConfig(dir: string) {
  const r = async (f: string) => parseYaml(await readFile(join(dir, f), 'utf8'), f);
  return {
    functions: FunctionsFile.parse(await r('functions.yml')),
    routing: RoutingFile.parse(await r('routing.yml')),
    resources: ResourcesFile.parse(await r('resources.yml')),
  };
}

const route = (path: string, fn: string, method = 'GET') => ({ path, method, function: fn, api: 'ServerlessHttpApi' });

function stackA(extra: Partial<TestStack> = {}): TestStack {
  const hello = codeFunction('hello', 'A');
  const base: TestStack = {
    name: 'stack-a',
    functions: { hello: hello.fn, worker: { image: 'worker:1' } },
    routes: [route('/hello', 'hello'), route('/work', 'worker', 'POST')],
    apis: { ServerlessHttpApi: { type: 'http' } },
    resources: {
      dynamodb: [{ TableName: 'items', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] }],
      layers: [{ Name: 'common', ContentUri: 'layers/common' }],
    },
    ...extra,
  };
  return { ...base, files: { ...hello.files, 'layers/common/lib.js': 'lib', ...(extra.files ?? {}) } };
}

describe('applyArtifact', () => {
  it('merges into an empty CONFIG_DIR and rewrites code/layer paths to absolute paths inside it', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [stackA()] });
    const configDir = join(work, 'cfg');
    const report = await applyArtifact({ artifactPath: artifact, configDir });
    expect(report.initial).toBe('empty');
    expect(report.written.sort()).toEqual(['functions.yml', 'resources.yml', 'routing.yml', 'stacks.yml']);
    expect(report.entries[0].changes.functions.added).toEqual(['hello', 'worker']);
    const cfg = await readConfig(configDir);
    const code = cfg.functions.functions.hello.code!;
    expect(code).toMatch(new RegExp(`^${configDir}/code/functions_hello-[0-9a-f]{16}$`));
    expect(report.entries[0].code).toEqual({ copied: 2, reused: 0 });
    expect(await readFile(join(code, 'index.js'), 'utf8')).toBe('A');
    expect(await readFile(join(cfg.resources.resources.layers![0].ContentUri, 'lib.js'), 'utf8')).toBe('lib');
    expect(cfg.routing.routes.map((r) => r.path)).toEqual(['/hello', '/work']);
    // The stack's record carries the digest of the entry applied (what a gateway reports serving).
    const stacks = parseYaml(await readFile(join(configDir, 'stacks.yml'), 'utf8'), 'stacks.yml') as { stacks: Record<string, { digest?: string }> };
    expect(report.entries[0].digest).toMatch(/^sha256:/);
    expect(stacks.stacks[report.entries[0].artifact_root].digest).toBe(report.entries[0].digest);
  });

  it('a file it had to create empty is written once: not again when the merge leaves it empty', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [stackA({ resources: undefined })] });
    const configDir = join(work, 'cfg');
    const report = await applyArtifact({ artifactPath: artifact, configDir });
    expect(report.initial).toBe('empty');
    expect(report.written.sort()).toEqual(['functions.yml', 'routing.yml', 'stacks.yml']);
    expect((await readConfig(configDir)).resources.resources).toEqual({});
  });

  it('applying the same artifact twice changes nothing (files not even rewritten)', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [stackA()] });
    const configDir = join(work, 'cfg');
    await applyArtifact({ artifactPath: artifact, configDir });
    const before = await snapshot(configDir);
    const mtime = (await stat(join(configDir, 'functions.yml'))).mtimeMs;
    const again = await applyArtifact({ artifactPath: artifact, configDir });
    expect(again.changed).toBe(false);
    expect(again.entries[0].changes.functions.unchanged).toEqual(['hello', 'worker']);
    expect(await snapshot(configDir)).toEqual(before);
    expect((await stat(join(configDir, 'functions.yml'))).mtimeMs).toBe(mtime);
  });

  it('a runtime file is compared by its text: stacks.yml with the same content in another form is rewritten in apply\'s form', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [stackA()] });
    const configDir = join(work, 'cfg');
    await applyArtifact({ artifactPath: artifact, configDir });
    const stacksFile = join(configDir, 'stacks.yml');
    const applied = await readFile(stacksFile, 'utf8');
    // The same document as JSON (which is YAML too), as a hand edit or another tool might leave it.
    await writeFile(stacksFile, JSON.stringify(parseYaml(applied, stacksFile), null, 2));
    const again = await applyArtifact({ artifactPath: artifact, configDir });
    expect(again.written).toEqual(['stacks.yml']);
    expect(again.changed).toBe(false);
    expect(await readFile(stacksFile, 'utf8')).toBe(applied);
  });

  it('deploys A then B: last write wins, nothing of A is deleted', async () => {
    const work = await tmp();
    const configDir = join(work, 'cfg');
    const a = await writeArtifact(join(work, 'a'), { stacks: [stackA()] });
    const helloB = codeFunction('hello', 'B');
    const b = await writeArtifact(join(work, 'b'), {
      stacks: [{ name: 'stack-b', functions: { hello: helloB.fn, other: { image: 'o:1' } }, files: helloB.files, routes: [route('/hello', 'hello'), route('/other', 'other')] }],
    });
    await applyArtifact({ artifactPath: a, configDir });
    const r = await applyArtifact({ artifactPath: b, configDir });
    expect(r.entries[0].changes.functions).toMatchObject({ added: ['other'], replaced: ['hello'], kept: ['worker'] });
    expect(r.entries[0].changes.routes).toMatchObject({ added: ['GET /other'], kept: ['POST /work'] });
    const cfg = await readConfig(configDir);
    expect(await readFile(join(cfg.functions.functions.hello.code!, 'index.js'), 'utf8')).toBe('B');
    expect(Object.keys(cfg.functions.functions).sort()).toEqual(['hello', 'other', 'worker']);
    expect(cfg.routing.routes.map((x) => `${x.method} ${x.path}`)).toEqual(['GET /hello', 'POST /work', 'GET /other']);
    expect(cfg.resources.resources.dynamodb![0].TableName).toBe('items');
  });

  it('copies a code folder once: unchanged code is reused, changed code gets a new folder', async () => {
    const work = await tmp();
    const configDir = join(work, 'cfg');
    await applyArtifact({ artifactPath: await writeArtifact(join(work, 'a1'), { stacks: [stackA()] }), configDir });
    // same code, another route: nothing copied
    const r2 = await applyArtifact({ artifactPath: await writeArtifact(join(work, 'a2'), { stacks: [stackA({ routes: [route('/x', 'hello')] })] }), configDir });
    expect(r2.entries[0].code).toEqual({ copied: 0, reused: 2 });
    // the function's code changes: one new folder, the layer reused; the old folder is kept
    const r3 = await applyArtifact({
      artifactPath: await writeArtifact(join(work, 'a3'), { stacks: [stackA({ files: { 'functions/hello/index.js': 'A2' } })] }),
      configDir,
    });
    expect(r3.entries[0].code).toEqual({ copied: 1, reused: 1 });
    expect((await readdir(join(configDir, 'code'))).filter((n) => n.startsWith('functions_hello-'))).toHaveLength(2);
    expect(await readFile(join((await readConfig(configDir)).functions.functions.hello.code!, 'index.js'), 'utf8')).toBe('A2');
  });

  it('applies several entries of one artifact in order', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), {
      stacks: [
        { name: 's1', functions: { f: { image: 'one' } }, routes: [route('/f', 'f')] },
        { name: 's2', functions: { f: { image: 'two' }, g: { image: 'g' } } },
      ],
    });
    const configDir = join(work, 'cfg');
    const r = await applyArtifact({ artifactPath: artifact, configDir });
    expect(r.entries.map((e) => e.artifact_root)).toEqual(['s1', 's2']);
    expect((await readConfig(configDir)).functions.functions.f.image).toBe('two');
  });

  it('fills ${KEY} placeholders from --secret-env and never logs the value', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), {
      stacks: [{ name: 's', functions: { f: { image: 'i', environment: { DSN: 'pg://u:${DB_PASSWORD}@db', OTHER: '${MISSING}' } } } }],
    });
    const env = join(work, 'secrets.env');
    await writeFile(env, '# secrets\nexport DB_PASSWORD="hunter2"\n');
    const logs: string[] = [];
    const log = { warn: (m: string) => logs.push(m), info: (m: string) => logs.push(m) };
    const configDir = join(work, 'cfg');
    const r = await applyArtifact({ artifactPath: artifact, configDir, secretEnvFile: env, log });
    expect((await readConfig(configDir)).functions.functions.f.environment).toEqual({ DSN: 'pg://u:hunter2@db', OTHER: '${MISSING}' });
    expect(logs.join('\n')).toMatch(/functions\.f\.environment\.OTHER: no value for \$\{MISSING\}/);
    expect(JSON.stringify({ logs, r })).not.toContain('hunter2');
  });

  it('leaves the mapping templates of built-in functions alone: their ${...} is Velocity, not a secret', async () => {
    const work = await tmp();
    const template = '{"requestTemplates":{"application/json":"#set($dq = \'\\"\') ${dq}id${dq}: ${!dq}"}}';
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [{ name: 's', functions: { f: { image: 'i', environment: { ESB_AWS_INTEGRATION: template } } } }] });
    const logs: string[] = [];
    const configDir = join(work, 'cfg');
    await applyArtifact({ artifactPath: artifact, configDir, strict: true, log: { warn: (m: string) => logs.push(m), info: () => {} } });
    expect((await readConfig(configDir)).functions.functions.f.environment).toEqual({ ESB_AWS_INTEGRATION: template });
    expect(logs.filter((l) => l.includes('no value'))).toEqual([]);
  });

  it('under --strict, a placeholder with no value is an error and CONFIG_DIR is untouched', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [{ name: 's', functions: { f: { image: 'i', environment: { P: '${NOPE}' } } } }] });
    const configDir = join(work, 'cfg');
    const err = await applyArtifact({ artifactPath: artifact, configDir, strict: true }).catch((e) => e);
    expect(err).toBeInstanceOf(SecretMissingError);
    expect(err.message).toMatch(/functions\.f\.environment\.P/);
    expect(await snapshot(configDir)).toEqual({});
  });

  it('copies seed files into an empty CONFIG_DIR once, then merges', async () => {
    const work = await tmp();
    const seed = join(work, 'seed');
    await mkdir(seed);
    await writeFile(join(seed, 'functions.yml'), 'functions:\n  seeded:\n    image: s:1\n');
    await writeFile(join(seed, 'routing.yml'), 'routes:\n  - {path: /s, method: GET, function: seeded, api: X}\n');
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [{ name: 's', functions: { f: { image: 'i' } } }] });
    const configDir = join(work, 'cfg');
    const r = await applyArtifact({ artifactPath: artifact, configDir, seedDir: seed });
    expect(r.initial).toBe('seeded');
    let cfg = await readConfig(configDir);
    expect(Object.keys(cfg.functions.functions)).toEqual(['seeded', 'f']);
    // once: a later apply with another seed does not copy it again
    await writeFile(join(seed, 'functions.yml'), 'functions:\n  again:\n    image: a:1\n');
    expect((await applyArtifact({ artifactPath: artifact, configDir, seedDir: seed })).initial).toBe('existing');
    cfg = await readConfig(configDir);
    expect(Object.keys(cfg.functions.functions)).toEqual(['seeded', 'f']);
  });

  it('digest: a mismatch is an error under --strict, a warning otherwise', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [{ name: 's', functions: { f: { image: 'i' } }, digest: 'wrong' }] });
    const configDir = join(work, 'cfg');
    const err = await applyArtifact({ artifactPath: artifact, configDir, strict: true }).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toMatch(/artifacts\[0\]\.digest: digest mismatch/);
    expect(await snapshot(configDir)).toEqual({});
    const r = await applyArtifact({ artifactPath: artifact, configDir });
    expect(r.warnings.join('\n')).toMatch(/digest mismatch/);
  });

  it('digest: a right digest passes --strict; editing a file afterwards breaks it', async () => {
    const work = await tmp();
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [stackA()] });
    const configDir = join(work, 'cfg');
    await applyArtifact({ artifactPath: artifact, configDir, strict: true });
    await writeFile(join(work, 'out', 'stack-a', 'functions', 'hello', 'index.js'), 'tampered');
    await expect(applyArtifact({ artifactPath: artifact, configDir, strict: true })).rejects.toBeInstanceOf(DigestMismatchError);
  });
});

describe('applyArtifact: bad input leaves CONFIG_DIR exactly as it was', () => {
  async function setup() {
    const work = await tmp();
    const configDir = join(work, 'cfg');
    await applyArtifact({ artifactPath: await writeArtifact(join(work, 'good'), { stacks: [stackA()] }), configDir });
    return { work, configDir, before: await snapshot(configDir) };
  }

  it('missing artifact.yml', async () => {
    const { work, configDir, before } = await setup();
    const err = await applyArtifact({ artifactPath: join(work, 'nope', 'artifact.yml'), configDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err.message).toMatch(/artifact\.yml not found/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('invalid artifact.yml names the field', async () => {
    const { work, configDir, before } = await setup();
    const file = join(work, 'artifact.yml');
    await writeFile(file, 'schema_version: "2"\nproject: esb\nenv: dev\nartifacts: []\ngenerator: {name: x, version: "1"}\n');
    const err = await applyArtifact({ artifactPath: file, configDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err.message).toMatch(/schema_version/);
    expect(err.message).toMatch(/artifacts/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it.each([
    ['artifact_root', '../outside'],
    ['artifact_root', '/etc'],
    ['runtime_config_dir', 'stack-a/../../x'],
  ])('%s escaping the artifact folder (%s)', async (field, value) => {
    const { work, configDir, before } = await setup();
    const file = await writeArtifact(join(work, 'bad'), { stacks: [stackA()] });
    const text = (await readFile(file, 'utf8')).replace(`${field}: ${field === 'artifact_root' ? 'stack-a' : 'stack-a/config'}`, `${field}: ${value}`);
    await writeFile(file, text);
    const err = await applyArtifact({ artifactPath: file, configDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err.message).toContain(`artifacts[0].${field}`);
    expect(err.message).toMatch(/no "\.\."|not absolute/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('function code escaping the artifact root', async () => {
    const { work, configDir, before } = await setup();
    const file = await writeArtifact(join(work, 'bad'), { stacks: [{ name: 's', functions: { f: { runtime: 'nodejs20.x', handler: 'i.h', code: '../../etc' } } }] });
    const err = await applyArtifact({ artifactPath: file, configDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err.message).toMatch(/functions\.yml: functions\.f\.code: "\.\.\/\.\.\/etc" must be a relative path/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('a code folder that does not exist, or a symlink leading out of the artifact', async () => {
    const { work, configDir, before } = await setup();
    const missing = await writeArtifact(join(work, 'm'), { stacks: [{ name: 's', functions: { f: { code: 'functions/nope' } } }] });
    await expect(applyArtifact({ artifactPath: missing, configDir })).rejects.toThrow(/functions\.f\.code: folder "functions\/nope" not found/);
    const esc = await writeArtifact(join(work, 'e'), { stacks: [{ name: 's', functions: { f: { image: 'i' } } }] });
    await symlink('/etc', join(work, 'e', 's', 'etc'));
    await expect(applyArtifact({ artifactPath: esc, configDir })).rejects.toThrow(/symlink "etc" leads outside the artifact root/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('a schema violation in a runtime config file: file, field path and reason', async () => {
    const { work, configDir, before } = await setup();
    const file = await writeArtifact(join(work, 'bad'), {
      stacks: [stackA({ routes: [route('/ok', 'hello'), { path: '/x', method: 'FETCH', function: 'hello', api: 'A' }] })],
    });
    const err = await applyArtifact({ artifactPath: file, configDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err.file).toMatch(/stack-a\/config\/routing\.yml$/);
    expect(err.message).toMatch(/routes\[1\]\.method: /);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('a YAML syntax error names file:line:column', async () => {
    const { work, configDir, before } = await setup();
    const file = await writeArtifact(join(work, 'bad'), { stacks: [stackA()] });
    await writeFile(join(work, 'bad', 'stack-a', 'config', 'functions.yml'), 'functions:\n  a: [unclosed\n');
    const err = await applyArtifact({ artifactPath: file, configDir }).catch((e) => e);
    expect(err.name).toBe('YamlSyntaxError');
    expect(err.message).toMatch(/functions\.yml:\d+:\d+/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('an invalid file already in CONFIG_DIR is not merged into or overwritten', async () => {
    const { work, configDir } = await setup();
    await writeFile(join(configDir, 'routing.yml'), 'routes: 7\n');
    const before = await snapshot(configDir);
    const err = await applyArtifact({ artifactPath: await writeArtifact(join(work, 'b'), { stacks: [stackA()] }), configDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigDirError);
    expect(err.message).toMatch(/routing\.yml.*routes/);
    expect(await snapshot(configDir)).toEqual(before);
  });

  it('an invalid functions.yml or a YAML syntax error already in CONFIG_DIR: the error names the file and the field or line:column', async () => {
    const { work, configDir } = await setup();
    const artifactPath = await writeArtifact(join(work, 'b'), { stacks: [stackA()] });
    const functionsFile = join(configDir, 'functions.yml');
    const refused = async (text: string): Promise<string> => {
      await writeFile(functionsFile, text);
      const before = await snapshot(configDir);
      const err = await applyArtifact({ artifactPath, configDir }).catch((e) => e);
      expect(err).toBeInstanceOf(ConfigDirError);
      expect(err.file).toBe(functionsFile);
      expect(await snapshot(configDir)).toEqual(before);
      const head = `${functionsFile}: the existing runtime config is invalid, so apply will not merge into it (fix or remove the file): ${functionsFile}`;
      expect(err.message.slice(0, head.length)).toBe(head);
      return err.message.slice(head.length);
    };
    expect(await refused('functions:\n  hello: {timeout: soon}\n')).toMatch(/^: functions\.hello\.timeout: \S/);
    expect(await refused('functions:\n  hello: [unclosed\n')).toMatch(/^:\d+:\d+: \S/);
  });

  it("an export name another stack exports: refused before anything is copied, naming both stacks; the stack's Outputs are recorded otherwise", async () => {
    const { work, configDir } = await setup();
    const exporting = (name: string, value: string, extra: Partial<TestStack> = {}): TestStack => ({ name, outputs: { Table: { value, description: 'the table', export: 'shared-table' } }, ...extra });
    await applyArtifact({ artifactPath: await writeArtifact(join(work, 'shared'), { stacks: [exporting('shared', 'shared-Table')] }), configDir, owner: { deployment: 'default/shared-default' } });
    // Read back as the gateway and the CLI read it (apply's own format).
    const stacks = (await readRuntimeFile(STACKS_CODEC, configDir)).value;
    expect(stacks.stacks.shared.outputs).toEqual({ Table: { value: 'shared-Table', description: 'the table', export: 'shared-table' } });
    // Stack a's record (applied by setup) is kept as it was: no outputs.
    expect(stacks.stacks['stack-a'].outputs).toBeUndefined();
    const before = await snapshot(configDir);
    const hello = codeFunction('other-hello', 'B');
    const clash = await writeArtifact(join(work, 'clash'), { stacks: [exporting('other', 'other-Table', { functions: { 'other-hello': hello.fn }, files: hello.files })] });
    const err = await applyArtifact({ artifactPath: clash, configDir, owner: { deployment: 'default/other-default' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ExportConflictError);
    expect(err.message).toContain('stack other exports "shared-table" (output Table), which stack shared already exports (output Table, deployment default/shared-default)');
    expect(await snapshot(configDir)).toEqual(before);
    // The stack that has it may export it again.
    await applyArtifact({ artifactPath: await writeArtifact(join(work, 'shared2'), { stacks: [exporting('shared', 'shared-Table-2')] }), configDir });
    expect((await readRuntimeFile(STACKS_CODEC, configDir)).value.stacks.shared.outputs?.Table.value).toBe('shared-Table-2');
  });

  it('a CONFIG_DIR that cannot be written', async () => {
    const work = await tmp();
    await writeFile(join(work, 'file'), '');
    const artifact = await writeArtifact(join(work, 'out'), { stacks: [stackA()] });
    await expect(applyArtifact({ artifactPath: artifact, configDir: join(work, 'file', 'cfg') })).rejects.toBeInstanceOf(ConfigDirNotWritableError);
  });
});

describe('ensureConfigDir', () => {
  it('creates valid empty files and warns that nothing is deployed yet', async () => {
    const configDir = join(await tmp(), 'new', 'config');
    const warnings: string[] = [];
    const r = await ensureConfigDir(configDir, { log: { warn: (m) => warnings.push(m), info() {} } });
    expect(r.state).toBe('empty');
    const cfg = await readConfig(configDir);
    expect(cfg.functions.functions).toEqual({});
    expect(cfg.routing.routes).toEqual([]);
    expect(cfg.resources.resources).toEqual({});
    expect(warnings.join('\n')).toMatch(/nothing is deployed yet/);
    expect((await ensureConfigDir(configDir)).state).toBe('existing');
  });
});
