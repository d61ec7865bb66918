import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamTemplateError } from '../sam/errors.js';
import { parseSamTemplate } from '../sam/template.js';
import { BuildError, buildTemplate, type BuildProgress } from './build.js';
import { esbuildEnvironment, esbuildOptions, esbuildProperties, planBuilds } from './plan.js';

const fn = (id: string, props: string, meta = '') =>
  `  ${id}:\n    Type: AWS::Serverless::Function\n    Properties:\n${props
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n${meta ? `    Metadata:\n${meta.split('\n').map((l) => `      ${l}`).join('\n')}\n` : ''}`;
const template = (...resources: string[]) => `Transform: AWS::Serverless-2016-10-31\nResources:\n${resources.join('')}`;
const model = (text: string) => parseSamTemplate(text, { file: 'template.yaml', stackName: 'app' });

describe('planBuilds', () => {
  const has = (files: Record<string, string[]>) => (uri: string, file: string) => (files[uri] ?? []).includes(file);

  it('builds a code folder once for every function sharing it (npm), and one unit per esbuild entry set', () => {
    const m = model(
      template(
        fn('A', 'CodeUri: src/\nHandler: a.handler\nRuntime: nodejs20.x'),
        fn('B', 'CodeUri: src\nHandler: b.handler\nRuntime: nodejs20.x'),
        fn('T1', 'CodeUri: ts/\nHandler: one.handler\nRuntime: nodejs20.x', 'BuildMethod: esbuild\nBuildProperties:\n  EntryPoints: [one.ts]'),
        fn('T2', 'CodeUri: ts/\nHandler: two.handler\nRuntime: nodejs20.x', 'BuildMethod: esbuild\nBuildProperties:\n  EntryPoints: [two.ts]'),
        fn('P', 'CodeUri: py/\nHandler: app.handler\nRuntime: python3.12'),
        fn('Plain', 'CodeUri: plain/\nHandler: app.handler\nRuntime: python3.12'),
      ),
    );
    const units = planBuilds(m, has({ src: ['package.json'], py: ['requirements.txt'] }));
    expect(units.map((u) => [u.name, u.builder, u.members])).toEqual([
      ['A', 'npm', ['A', 'B']],
      ['T1', 'esbuild', ['T1']],
      ['T2', 'esbuild', ['T2']],
      ['P', 'pip', ['P']],
    ]);
  });

  it("builds a Java function's Maven project once for every function sharing it; a packaged zip or a folder of classes is not built", () => {
    const m = model(
      template(
        fn('Producer', 'CodeUri: OrderService\nHandler: com.example.Producer::handleRequest\nRuntime: java21'),
        fn('Consumer', 'CodeUri: OrderService/\nHandler: com.example.Consumer::handleRequest\nRuntime: java21'),
        fn('Zipped', 'CodeUri: target/sourceCode.zip\nHandler: com.example.App::handleRequest\nRuntime: java21'),
        fn('Classes', 'CodeUri: classes/\nHandler: com.example.App::handleRequest\nRuntime: java17'),
      ),
    );
    const units = planBuilds(m, has({ OrderService: ['pom.xml'], classes: [] }));
    expect(units.map((u) => [u.name, u.builder, u.members])).toEqual([['Producer', 'maven', ['Producer', 'Consumer']]]);
    const gradle = model(template(fn('G', 'CodeUri: GradleService\nHandler: com.example.App::handleRequest\nRuntime: java21')));
    expect(() => planBuilds(gradle, has({ GradleService: ['build.gradle.kts'] }))).toThrowError(/G\.CodeUri: "GradleService" is a Gradle project, which esb does not build .*run `gradle build` and point CodeUri at the zip or jar/);
  });

  it('builds layers with a BuildMethod into nodejs/ or python/, as Lambda reads them', () => {
    const layer = (id: string, method: string) => `  ${id}:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: ${id}/\n    Metadata:\n      BuildMethod: ${method}\n`;
    const units = planBuilds(model(template(layer('N', 'nodejs20.x'), layer('Py', 'python3.11'), layer('M', 'makefile'))), () => false);
    expect(units.map((u) => [u.name, u.builder, u.kind, u.layerPrefix])).toEqual([
      ['N', 'npm', 'layer', 'nodejs'],
      ['Py', 'pip', 'layer', 'python'],
      ['M', 'makefile', 'layer', ''],
    ]);
  });

  it('names the resource and field of a BuildMethod it cannot run', () => {
    const bad = model(template(fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', 'BuildMethod: rollup')));
    expect(() => planBuilds(bad, () => true)).toThrowError(SamTemplateError);
    expect(() => planBuilds(bad, () => true)).toThrowError('template.yaml: Fn.Metadata.BuildMethod: unsupported BuildMethod "rollup"');
    const py = model(template(fn('Py', 'CodeUri: src/\nHandler: app.handler\nRuntime: python3.12', 'BuildMethod: esbuild')));
    expect(() => planBuilds(py, () => true)).toThrowError('BuildMethod esbuild builds nodejs functions, not python3.12');
  });

  it('reads Metadata into the model; a non-map BuildProperties is an error naming the field', () => {
    const m = model(template(fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', 'BuildMethod: esbuild\nBuildProperties:\n  Minify: false\n  EntryPoints: [app.ts]')));
    expect(m.functions[0].build).toEqual({ method: 'esbuild', properties: { Minify: false, EntryPoints: ['app.ts'] } });
    expect(() => model(template(fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', 'BuildMethod: esbuild\nBuildProperties: [x]')))).toThrowError(
      'template.yaml: Fn.Metadata.BuildProperties: must be a map',
    );
  });
});

describe('esbuildOptions (SAM BuildProperties)', () => {
  const fail = (field: string, reason: string): never => {
    throw new Error(`${field}: ${reason}`);
  };
  it("uses sam build's defaults and maps the list forms", () => {
    expect(esbuildOptions({ EntryPoints: ['app.ts'] }, fail)).toMatchObject({ minify: true, target: 'es2020', format: 'cjs', sourcemap: false, platform: 'node', external: [] });
    expect(
      esbuildOptions({ EntryPoints: ['a.ts'], Format: 'esm', OutExtension: ['.js=.mjs'], Banner: ['js=// hi'], External: ['@aws-sdk/*'], MainFields: 'module,main', Loader: ['.png=file'], Sourcemap: 'true' }, fail),
    ).toMatchObject({ format: 'esm', outExtension: { '.js': '.mjs' }, banner: { js: '// hi' }, external: ['@aws-sdk/*'], mainFields: ['module', 'main'], loader: { '.png': 'file' }, sourcemap: true });
  });
  it('rejects what esbuild cannot take, naming the property', () => {
    expect(() => esbuildOptions({}, fail)).toThrowError('EntryPoints: esbuild needs at least one entry point');
    expect(() => esbuildOptions({ EntryPoints: ['a.ts'], Format: 'iife' }, fail)).toThrowError('Format: must be cjs or esm');
    expect(() => esbuildOptions({ EntryPoints: ['../a.ts'] }, fail)).toThrowError('EntryPoints: "../a.ts" must be a path inside CodeUri');
    expect(() => esbuildOptions({ EntryPoints: ['a.ts'], Minfy: true }, fail)).toThrowError('Minfy: unknown esbuild property');
  });
});

describe("esbuild's Sourcemap and NODE_OPTIONS, as sam build ties them", () => {
  it('Sourcemap adds --enable-source-maps to NODE_OPTIONS, after what it holds, once', () => {
    expect(esbuildEnvironment({ Sourcemap: true }, { A: '1' })).toEqual({ A: '1', NODE_OPTIONS: '--enable-source-maps' });
    expect(esbuildEnvironment({ Sourcemap: 'true' }, { NODE_OPTIONS: '--max-http-header-size=100' })).toEqual({ NODE_OPTIONS: '--max-http-header-size=100 --enable-source-maps' });
    expect(esbuildEnvironment({ Sourcemap: true }, { NODE_OPTIONS: '--enable-source-maps --no-warnings' })).toEqual({ NODE_OPTIONS: '--enable-source-maps --no-warnings' });
    // Only a word of its own counts.
    expect(esbuildEnvironment({ Sourcemap: true }, { NODE_OPTIONS: '--enable-source-maps-x' })).toEqual({ NODE_OPTIONS: '--enable-source-maps-x --enable-source-maps' });
    for (const off of [{}, { Sourcemap: false }, { Sourcemap: 'false' }]) expect(esbuildEnvironment(off, { A: '1' })).toEqual({ A: '1' });
  });

  it('NODE_OPTIONS with --enable-source-maps turns Sourcemap on where the properties leave it out, not where they say false', () => {
    const on = { NODE_OPTIONS: '--enable-source-maps' };
    expect(esbuildProperties({ EntryPoints: ['app.ts'] }, on)).toEqual({ EntryPoints: ['app.ts'], Sourcemap: true });
    expect(esbuildProperties({ EntryPoints: ['app.ts'], Sourcemap: false }, on)).toEqual({ EntryPoints: ['app.ts'], Sourcemap: false });
    expect(esbuildProperties({ EntryPoints: ['app.ts'] }, {})).toEqual({ EntryPoints: ['app.ts'] });
    // planBuilds builds what that says, Globals' NODE_OPTIONS included.
    const m = model(
      `Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Environment:\n      Variables:\n        NODE_OPTIONS: --enable-source-maps\nResources:\n${fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', 'BuildMethod: esbuild\nBuildProperties:\n  EntryPoints: [app.ts]')}`,
    );
    expect(planBuilds(m, () => false)[0].properties).toEqual({ EntryPoints: ['app.ts'], Sourcemap: true });
  });
});

describe('buildTemplate (real esbuild, npm, make, cargo, go)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-build-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (app: string, text: string, events: BuildProgress[] = []) =>
    buildTemplate({ model: parseSamTemplate(text, { file: `${app}/template.yaml`, stackName: 'app', templateDir: app }), templateDir: app, buildDir: path.join(app, '.esb', 'build'), onProgress: (e) => events.push(e) });

  it('esbuild: bundles, reuses an unchanged unit, rebuilds when a source or a property changes', async () => {
    const app = path.join(dir, 'ts');
    await mkdir(path.join(app, 'src', 'lib'), { recursive: true });
    await writeFile(path.join(app, 'src', 'app.ts'), "import { word } from './lib/word';\nexport const handler = async (): Promise<string> => word;\n");
    await writeFile(path.join(app, 'src', 'lib', 'word.ts'), "export const word: string = 'one';\n");
    const text = (minify: boolean) => template(fn('Fn', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', `BuildMethod: esbuild\nBuildProperties:\n  Minify: ${minify}\n  EntryPoints: [app.ts]`));
    const events: BuildProgress[] = [];
    const first = await run(app, text(false), events);
    const out = first.functions.get('Fn')!.dir;
    expect((await readdir(out)).sort()).toEqual(['app.js', 'package.json']);
    expect(JSON.parse(await readFile(path.join(out, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(await readFile(path.join(out, 'app.js'), 'utf8')).toContain('"one"');
    expect(events.map((e) => e.state)).toEqual(['building', 'built']);

    const again: BuildProgress[] = [];
    expect((await run(app, text(false), again)).units[0].cached).toBe(true);
    expect(again.map((e) => e.state)).toEqual(['cached']);

    await writeFile(path.join(app, 'src', 'lib', 'word.ts'), "export const word: string = 'two';\n");
    expect((await run(app, text(false))).units[0].cached).toBe(false);
    expect(await readFile(path.join(out, 'app.js'), 'utf8')).toContain('"two"');
    const minified = await run(app, text(true));
    expect(minified.units[0].cached).toBe(false);
  });

  it('esbuild: a syntax error is a BuildError naming the function, the builder and the file:line', async () => {
    const app = path.join(dir, 'ts-bad');
    await mkdir(path.join(app, 'src'), { recursive: true });
    await writeFile(path.join(app, 'src', 'app.ts'), 'export const handler = (\n');
    const err = await run(app, template(fn('Bad', 'CodeUri: src/\nHandler: app.handler\nRuntime: nodejs20.x', 'BuildMethod: esbuild\nBuildProperties:\n  EntryPoints: [app.ts]'))).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toMatch(/^Bad: esbuild build failed: app\.ts:2:0: /);
    expect(existsSync(path.join(app, '.esb', 'build', 'Bad'))).toBe(false);
  });

  it('npm: installs production dependencies only (a local tarball, no registry needed), once for two functions', async () => {
    const app = path.join(dir, 'npm');
    const pkg = async (name: string) => {
      const p = path.join(dir, 'pkgs', name);
      await mkdir(p, { recursive: true });
      await writeFile(path.join(p, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
      await writeFile(path.join(p, 'index.js'), `module.exports = ${JSON.stringify(name)};\n`);
      const { stdout } = await promisify(execFile)('npm', ['pack', '--silent', '--pack-destination', path.join(app, 'src', 'vendor')], { cwd: p });
      return `file:vendor/${stdout.trim()}`;
    };
    await mkdir(path.join(app, 'src', 'vendor'), { recursive: true });
    const prod = await pkg('prod-dep');
    const dev = await pkg('dev-dep');
    await writeFile(path.join(app, 'src', 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'prod-dep': prod }, devDependencies: { 'dev-dep': dev } }));
    await writeFile(path.join(app, 'src', 'index.js'), "exports.handler = async () => require('prod-dep');\n");
    // The user's own node_modules is never copied.
    await mkdir(path.join(app, 'src', 'node_modules', 'stale'), { recursive: true });
    await writeFile(path.join(app, 'src', 'node_modules', 'stale', 'index.js'), '');
    const text = template(fn('A', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x'), fn('B', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x'));
    const result = await run(app, text);
    expect(result.units).toHaveLength(1);
    const out = result.functions.get('B')!.dir;
    expect(out).toBe(result.functions.get('A')!.dir);
    expect((await readdir(path.join(out, 'node_modules'))).filter((n) => !n.startsWith('.'))).toEqual(['prod-dep']);
  }, 60_000);

  it('makefile: runs make build-<LogicalId> with ARTIFACTS_DIR (Makefile, makefile or GNUmakefile); a failing target carries make\'s message', async () => {
    const app = path.join(dir, 'make');
    await mkdir(path.join(app, 'src'), { recursive: true });
    await writeFile(path.join(app, 'src', 'Makefile'), 'build-Fn:\n\techo built > "$(ARTIFACTS_DIR)/out.txt"\n');
    const ok = await run(app, template(fn('Fn', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x', 'BuildMethod: makefile')));
    expect(await readFile(path.join(ok.functions.get('Fn')!.dir, 'out.txt'), 'utf8')).toBe('built\n');
    const err = await run(app, template(fn('Other', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x', 'BuildMethod: makefile'))).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toMatch(/^Other: makefile build failed: make -f .* build-Other exited with 2:\n.*No rule to make target 'build-Other'/s);
    // `makefile`, as GNU make also reads it (a project written on a case-insensitive disk).
    const lower = path.join(dir, 'make-lower');
    await mkdir(path.join(lower, 'src'), { recursive: true });
    await writeFile(path.join(lower, 'src', 'makefile'), 'build-Fn:\n\techo lower > "$(ARTIFACTS_DIR)/out.txt"\n');
    const built = await run(lower, template(fn('Fn', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x', 'BuildMethod: makefile')));
    expect(await readFile(path.join(built.functions.get('Fn')!.dir, 'out.txt'), 'utf8')).toBe('lower\n');
  });

  it('cargo (rust-cargolambda): the binary named by Binary, else the only one, becomes bootstrap; unchanged sources reuse it; a project of several binaries needs Binary', async () => {
    const app = path.join(dir, 'rust');
    await mkdir(path.join(app, 'src', 'bin'), { recursive: true });
    const bins = (names: string[]) => `[package]\nname = "fns"\nversion = "0.1.0"\nedition = "2021"\n${names.map((n) => `\n[[bin]]\nname = "${n}"\npath = "src/bin/${n}.rs"\n`).join('')}`;
    const source = (n: string) => writeFile(path.join(app, 'src', 'bin', `${n}.rs`), `fn main() { println!("${n}"); }\n`);
    await source('one');
    await writeFile(path.join(app, 'Cargo.toml'), bins(['one']));
    // As projects keep it (cargo writes one into a project without it: a source change, once).
    await promisify(execFile)('cargo', ['generate-lockfile', '--offline'], { cwd: app });
    const rustFn = (id: string, props = '') => fn(id, 'CodeUri: .\nHandler: bootstrap\nRuntime: provided.al2023', `BuildMethod: rust-cargolambda${props}`);
    const only = await run(app, template(rustFn('Fn')));
    const bootstrap = path.join(only.functions.get('Fn')!.dir, 'bootstrap');
    expect((await promisify(execFile)(bootstrap)).stdout).toBe('one\n');
    expect((await run(app, template(rustFn('Fn')))).units[0].cached).toBe(true);
    // The project's own target/ (cargo run by hand) is no source: it does not make a rebuild.
    await mkdir(path.join(app, 'target', 'debug'), { recursive: true });
    await writeFile(path.join(app, 'target', 'debug', 'junk'), 'x');
    expect((await run(app, template(rustFn('Fn')))).units[0].cached).toBe(true);

    await source('two');
    await writeFile(path.join(app, 'Cargo.toml'), bins(['one', 'two']));
    const named = await run(app, template(rustFn('Fn', '\nBuildProperties:\n  Binary: two')));
    expect((await promisify(execFile)(path.join(named.functions.get('Fn')!.dir, 'bootstrap'))).stdout).toBe('two\n');
    const unnamed = await run(app, template(rustFn('Fn'))).catch((e) => e);
    expect(unnamed).toBeInstanceOf(SamTemplateError);
    expect(unnamed.message).toMatch(/Fn\.Metadata\.BuildProperties\.Binary: the project has several binaries/);
    const python = model(template(fn('Py', 'CodeUri: .\nHandler: app.handler\nRuntime: python3.12', 'BuildMethod: rust-cargolambda')));
    expect(() => planBuilds(python, () => true)).toThrowError('BuildMethod rust-cargolambda builds provided.al2023 / provided.al2 functions, not python3.12');
  }, 60_000);

  it("go (go1.x): `go build` of the code folder, a package of the module above it, as bootstrap; a go1.x function's program is named by its Handler; unchanged sources reuse it", async () => {
    const app = path.join(dir, 'go');
    await mkdir(path.join(app, 'cmd', 'hello'), { recursive: true });
    await writeFile(path.join(app, 'go.mod'), 'module example.com/app\n\ngo 1.19\n');
    const program = (text: string) => writeFile(path.join(app, 'cmd', 'hello', 'main.go'), `package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("${text}") }\n`);
    await program('hello');
    const goFn = (id: string, handler: string, runtime: string, method = '') => fn(id, `CodeUri: cmd/hello/\nHandler: ${handler}\nRuntime: ${runtime}`, method);
    const built = await run(app, template(goFn('Fn', 'bootstrap', 'provided.al2023', 'BuildMethod: go1.x')));
    expect(built.units.map((u) => [u.builder, u.members])).toEqual([['go', ['Fn']]]);
    expect((await promisify(execFile)(path.join(built.functions.get('Fn')!.dir, 'bootstrap'))).stdout).toBe('hello\n');
    expect((await run(app, template(goFn('Fn', 'bootstrap', 'provided.al2023', 'BuildMethod: go1.x')))).units[0].cached).toBe(true);
    // A go1.x function's folder that is a module of its own is built; one that is not holds its program already.
    await mkdir(path.join(app, 'legacy'), { recursive: true });
    await writeFile(path.join(app, 'legacy', 'go.mod'), 'module example.com/legacy\n\ngo 1.19\n');
    await writeFile(path.join(app, 'legacy', 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("legacy") }\n');
    const legacy = await run(app, template(fn('Old', 'CodeUri: legacy/\nHandler: main\nRuntime: go1.x')));
    expect((await promisify(execFile)(path.join(legacy.functions.get('Old')!.dir, 'main'))).stdout).toBe('legacy\n');
    expect(planBuilds(model(template(goFn('Prebuilt', 'main', 'go1.x'))), (uri, file) => existsSync(path.join(app, uri, file)))).toEqual([]);
    const node = model(template(fn('Js', 'CodeUri: .\nHandler: app.handler\nRuntime: nodejs20.x', 'BuildMethod: go1.x')));
    expect(() => planBuilds(node, () => true)).toThrowError('BuildMethod go1.x builds provided.al2023 / provided.al2 (and go1.x) functions, not nodejs20.x');
    // Code that does not compile is the build's failure, with go's own message.
    await writeFile(path.join(app, 'cmd', 'hello', 'main.go'), 'package main\n\nfunc main() { undefinedCall() }\n');
    const failed = await run(app, template(goFn('Fn', 'bootstrap', 'provided.al2023', 'BuildMethod: go1.x'))).catch((e) => e);
    expect(failed.message).toMatch(/^Fn: go build failed: env GOOS=linux GOARCH=\w+ CGO_ENABLED=0 go build -tags lambda\.norpc -trimpath -o \S+ \. exited with 2:\n.*undefined: undefinedCall/s);
  }, 120_000);

  it('a symlink in the sources leading outside the template folder is not built, and the unit says so', async () => {
    const app = path.join(dir, 'links');
    const outside = path.join(dir, 'outside-links');
    await mkdir(path.join(app, 'src', 'lib'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'secret.pem'), 'PRIVATE KEY');
    await writeFile(path.join(app, 'src', 'lib', 'util.js'), 'export const x = 1;\n');
    await symlink(outside, path.join(app, 'src', 'certs'));
    await symlink(path.join(app, 'src', 'lib'), path.join(app, 'src', 'shared')); // inside: followed
    await writeFile(path.join(app, 'src', 'Makefile'), 'build-Fn:\n\tcp -rL . "$(ARTIFACTS_DIR)/"\n');
    const built = await run(app, template(fn('Fn', 'CodeUri: src/\nHandler: index.handler\nRuntime: nodejs20.x', 'BuildMethod: makefile')));
    const unit = built.functions.get('Fn')!;
    expect((await readdir(unit.dir)).sort()).toEqual(['Makefile', 'lib', 'shared']);
    expect(await readFile(path.join(unit.dir, 'shared', 'util.js'), 'utf8')).toContain('x = 1');
    expect(unit.skippedLinks).toEqual([`certs -> ${outside}`]);
  });
});
