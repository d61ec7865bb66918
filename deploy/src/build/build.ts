// `sam build` for esb (docs/build.md): runs the npm, esbuild, pip, makefile, cargo, go and maven builders into a
// build folder, one folder per build unit, and skips a unit whose input digest is unchanged.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { folderSize, walkTree } from '../layout/walk.js';
import { codeRootOf } from '../generate/fs-adapter.js';
import { SamTemplateError } from '../sam/errors.js';
import type { SamModel } from '../sam/model.js';
import { esbuildOptions, planBuilds, type BuildUnit, type BuilderKind } from './plan.js';

/** A builder failed: names the unit's functions or layer, the builder and its own message. */
export class BuildError extends Error {
  /** The Deployment reason (docs/kube.md "Reasons"): only a change of the code fixes it. */
  readonly conditionReason = 'BuildFailed';
  constructor(
    readonly members: string[],
    readonly builder: BuilderKind,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${members.join(', ')}: ${builder} build failed: ${reason}`, options);
    this.name = 'BuildError';
  }
}

export interface BuildProgress {
  unit: string;
  builder: BuilderKind;
  members: string[];
  state: 'building' | 'built' | 'cached';
  /** Output size (built / cached). */
  bytes?: number;
  files?: number;
  ms?: number;
}

export interface UnitReport {
  name: string;
  builder: BuilderKind;
  kind: 'function' | 'layer';
  members: string[];
  /** Absolute output folder (what Lambda would see as /var/task, or the layer's /opt). */
  dir: string;
  cached: boolean;
  bytes: number;
  files: number;
  ms: number;
  /** Symlinks in the source that lead outside the template's folder: not copied. */
  skippedLinks?: string[];
}

export interface BuildResult {
  units: UnitReport[];
  /** Function logical id -> its unit; layer logical id -> its unit. */
  functions: Map<string, UnitReport>;
  layers: Map<string, UnitReport>;
}

export interface BuildOptions {
  model: SamModel;
  /** Folder CodeUri / ContentUri paths are relative to. */
  templateDir: string;
  /** The folder sources must stay in, when wider than templateDir (see codeRootOf). */
  codeRoot?: string;
  /** Where build units go (`.esb/build` for `esb build`). */
  buildDir: string;
  onProgress?(event: BuildProgress): void;
  signal?: AbortSignal;
  /** Environment of npm, pip and make; default: inherited, so the user's registry and index settings apply. */
  env?: NodeJS.ProcessEnv;
  /** The interpreter whose pip installs requirements.txt (default: pythonFor()). */
  python?: string;
}

/** Folders never copied from a code folder or hashed: VCS data, SAM's and esb's output, installed modules. */
const SKIP_DIRS = new Set(['.git', '.aws-sam', '.esb', 'node_modules', '__pycache__']);
/** Cargo's and Maven's own output (`target/`, when the user built there) is no source either. */
const TARGET_SKIP_DIRS = new Set([...SKIP_DIRS, 'target']);
const TARGET_BUILDERS = new Set(['cargo', 'maven']);
const BUILDER_VERSION = '1';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Plans and runs every build of a template. Units without changes since their last build are reused as they are. */
export async function buildTemplate(options: BuildOptions): Promise<BuildResult> {
  const { model, templateDir } = options;
  const units = planBuilds(model, (uri, file) => existsSync(join(resolve(templateDir, uri), file)));
  const result: BuildResult = { units: [], functions: new Map(), layers: new Map() };
  if (units.length === 0) return result;
  await mkdir(join(options.buildDir, '.cache'), { recursive: true });
  for (const unit of units) {
    options.signal?.throwIfAborted();
    const report = await buildUnit(unit, options);
    result.units.push(report);
    for (const id of unit.members) (unit.kind === 'function' ? result.functions : result.layers).set(id, report);
  }
  return result;
}

interface Stamp {
  digest: string;
  depsDigest?: string;
  bytes: number;
  files: number;
}

async function buildUnit(unit: BuildUnit, options: BuildOptions): Promise<UnitReport> {
  const started = Date.now();
  const sourceDir = resolve(options.templateDir, unit.source.uri);
  const outDir = join(options.buildDir, unit.name);
  const stampFile = join(options.buildDir, '.cache', `${unit.name}.json`);
  const { files: sourceFiles, skippedLinks } = await listSources(sourceDir, codeRootOf(options.templateDir, options.codeRoot), TARGET_BUILDERS.has(unit.builder) ? TARGET_SKIP_DIRS : SKIP_DIRS);
  const digest = await unitDigest(unit, sourceDir, sourceFiles);
  const previous = await readStamp(stampFile);
  const report = (cached: boolean, bytes: number, files: number): UnitReport => ({
    name: unit.name,
    builder: unit.builder,
    kind: unit.kind,
    members: unit.members,
    dir: outDir,
    cached,
    bytes,
    files,
    ms: Date.now() - started,
    ...(skippedLinks.length > 0 ? { skippedLinks } : {}),
  });
  if (previous?.digest === digest && existsSync(outDir)) {
    options.onProgress?.({ unit: unit.name, builder: unit.builder, members: unit.members, state: 'cached', bytes: previous.bytes, files: previous.files, ms: Date.now() - started });
    return report(true, previous.bytes, previous.files);
  }
  options.onProgress?.({ unit: unit.name, builder: unit.builder, members: unit.members, state: 'building' });
  // The old output may lend its node_modules below: it stops being a valid cache entry now.
  await rm(stampFile, { force: true });
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const ctx: UnitContext = { unit, options, sourceDir, sourceFiles, outDir, tmp, previous, env: options.env };
  let depsDigest: string | undefined;
  try {
    await mkdir(tmp, { recursive: true });
    depsDigest = await BUILDERS[unit.builder](ctx);
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof BuildError || err instanceof SamTemplateError) throw err;
    if ((err as Error).name === 'AbortError') throw err;
    throw new BuildError(unit.members, unit.builder, (err as Error).message, { cause: err });
  }
  const size = await folderSize(outDir);
  await writeFile(stampFile, JSON.stringify({ digest, depsDigest, ...size } satisfies Stamp));
  const done = report(false, size.bytes, size.files);
  options.onProgress?.({ unit: unit.name, builder: unit.builder, members: unit.members, state: 'built', bytes: size.bytes, files: size.files, ms: done.ms });
  return done;
}

async function readStamp(file: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** The digest of everything a unit's output depends on: builder, settings, runtime, source files. */
async function unitDigest(unit: BuildUnit, sourceDir: string, files: string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify([BUILDER_VERSION, unit.builder, unit.kind, unit.members, unit.runtime, unit.architecture, unit.properties, unit.layerPrefix, ...(unit.entry ? [unit.entry] : [])]));
  if (unit.builder === 'esbuild') h.update(`\0esbuild\0${esbuildVersion()}`);
  for (const f of files) h.update(`\0${f}\0${sha256(await readFile(join(sourceDir, f)))}`);
  return h.digest('hex');
}

/**
 * Files of a code folder (POSIX paths, sorted), without SKIP_DIRS. Symlinks are followed inside
 * the code root; one leading out is not copied (docs/security.md "Names and paths").
 */
async function listSources(sourceDir: string, codeRoot: string, skipDirs: ReadonlySet<string>): Promise<{ files: string[]; skippedLinks: string[] }> {
  const walk = await walkTree(sourceDir, { containIn: await realpath(codeRoot), skip: (name, _abs, isDir) => isDir && skipDirs.has(name) });
  return { files: walk.files.map((f) => f.path), skippedLinks: walk.escapes.map((e) => `${e.path} -> ${e.target}`) };
}

async function copyFiles(fromDir: string, files: string[], toDir: string): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) {
    const i = f.lastIndexOf('/');
    if (i > 0) dirs.add(f.slice(0, i));
  }
  await mkdir(toDir, { recursive: true });
  for (const d of [...dirs].sort()) await mkdir(join(toDir, d), { recursive: true });
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(8, files.length) }, async () => {
      while (next < files.length) {
        const f = files[next++];
        await copyFile(join(fromDir, f), join(toDir, f));
      }
    }),
  );
}


interface UnitContext {
  unit: BuildUnit;
  options: BuildOptions;
  sourceDir: string;
  sourceFiles: string[];
  /** The final output folder (may hold the previous build). */
  outDir: string;
  /** The folder being built; renamed to outDir on success. */
  tmp: string;
  previous?: Stamp;
  /** undefined: the tools inherit esb's environment. */
  env?: NodeJS.ProcessEnv;
}

/** Each builder fills ctx.tmp; returns the digest of its installed dependencies, if any. */
const BUILDERS: Record<BuilderKind, (ctx: UnitContext) => Promise<string | undefined>> = {
  npm: buildNpm,
  esbuild: buildEsbuild,
  pip: buildPip,
  makefile: buildMakefile,
  cargo: buildCargo,
  go: buildGo,
  maven: buildMaven,
};

// ------------------------------------------------------------------ npm

interface NodeManifest {
  hasDependencies: boolean;
  lockfile?: string;
  depsDigest: string;
}

async function readNodeManifest(ctx: UnitContext): Promise<NodeManifest | undefined> {
  const file = join(ctx.sourceDir, 'package.json');
  if (!existsSync(file)) return undefined;
  const text = await readFile(file, 'utf8');
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new BuildError(ctx.unit.members, ctx.unit.builder, `${file}: not valid JSON (${(err as Error).message})`);
  }
  const deps = pkg.dependencies;
  const hasDependencies = typeof deps === 'object' && deps !== null && Object.keys(deps).length > 0;
  const lockfile = ['npm-shrinkwrap.json', 'package-lock.json'].find((f) => existsSync(join(ctx.sourceDir, f)));
  const h = createHash('sha256').update(JSON.stringify([pkg.dependencies ?? {}, pkg.optionalDependencies ?? {}, pkg.overrides ?? {}, ctx.unit.runtime, ctx.unit.architecture]));
  if (lockfile) h.update(await readFile(join(ctx.sourceDir, lockfile)));
  return { hasDependencies, lockfile, depsDigest: h.digest('hex') };
}

/** npm ci (lockfile) or npm install, production dependencies only, in `dir` (which holds package.json). */
async function npmInstall(ctx: UnitContext, dir: string, manifest: NodeManifest): Promise<void> {
  const common = ['--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--no-update-notifier', '--loglevel=error'];
  const args = manifest.lockfile ? ['ci', ...common] : ['install', '--no-package-lock', ...common];
  await run(ctx, 'npm', args, { cwd: dir });
}

async function buildNpm(ctx: UnitContext): Promise<string | undefined> {
  const target = ctx.unit.layerPrefix ? join(ctx.tmp, ctx.unit.layerPrefix) : ctx.tmp;
  await copyFiles(ctx.sourceDir, ctx.sourceFiles, target);
  const manifest = await readNodeManifest(ctx);
  if (!manifest?.hasDependencies) return undefined;
  // Same dependencies as the last build: take its node_modules instead of installing again.
  const previousModules = join(ctx.unit.layerPrefix ? join(ctx.outDir, ctx.unit.layerPrefix) : ctx.outDir, 'node_modules');
  if (ctx.previous?.depsDigest === manifest.depsDigest && existsSync(previousModules)) {
    await rename(previousModules, join(target, 'node_modules'));
  } else {
    await npmInstall(ctx, target, manifest);
  }
  return manifest.depsDigest;
}

// ------------------------------------------------------------------ esbuild

let esbuildModule: typeof import('esbuild') | undefined;
async function loadEsbuild(): Promise<typeof import('esbuild')> {
  esbuildModule ??= await import('esbuild');
  return esbuildModule;
}

function esbuildVersion(): string {
  try {
    return (createRequire(import.meta.url)('esbuild/package.json') as { version: string }).version;
  } catch {
    return 'missing';
  }
}

async function buildEsbuild(ctx: UnitContext): Promise<string | undefined> {
  const { unit } = ctx;
  const file = ctx.options.model.file;
  const opts = esbuildOptions(unit.properties, (field, reason) => {
    throw new SamTemplateError(file, unit.members[0], `Metadata.BuildProperties.${field}`, reason);
  });
  for (const entry of opts.entryPoints) {
    if (!existsSync(join(ctx.sourceDir, entry))) throw new SamTemplateError(file, unit.members[0], 'Metadata.BuildProperties.EntryPoints', `"${entry}" does not exist in ${unit.source.uri}`);
  }
  // Production dependencies are installed beside the build (not into the output: esbuild bundles what is imported).
  const manifest = await readNodeManifest(ctx);
  const nodePaths: string[] = [];
  let depsDigest: string | undefined;
  if (manifest?.hasDependencies) {
    const depsDir = join(ctx.options.buildDir, '.deps', unit.name);
    const stamp = join(depsDir, '.esb-deps');
    if ((await readFile(stamp, 'utf8').catch(() => '')) !== manifest.depsDigest) {
      await rm(depsDir, { recursive: true, force: true });
      await mkdir(depsDir, { recursive: true });
      for (const f of ['package.json', manifest.lockfile].filter((f): f is string => !!f)) await copyFile(join(ctx.sourceDir, f), join(depsDir, f));
      await npmInstall(ctx, depsDir, manifest);
      await writeFile(stamp, manifest.depsDigest);
    }
    nodePaths.push(join(depsDir, 'node_modules'));
    depsDigest = manifest.depsDigest;
  }
  const esbuild = await loadEsbuild();
  try {
    await esbuild.build({
      absWorkingDir: ctx.sourceDir,
      entryPoints: opts.entryPoints,
      bundle: true,
      outdir: ctx.tmp,
      platform: opts.platform,
      format: opts.format,
      target: opts.target,
      minify: opts.minify,
      sourcemap: opts.sourcemap,
      external: opts.external,
      outExtension: opts.outExtension,
      banner: opts.banner,
      footer: opts.footer,
      loader: opts.loader as Record<string, import('esbuild').Loader>,
      ...(opts.mainFields ? { mainFields: opts.mainFields } : {}),
      ...(opts.sourcesContent !== undefined ? { sourcesContent: opts.sourcesContent } : {}),
      ...(opts.keepNames !== undefined ? { keepNames: opts.keepNames } : {}),
      nodePaths,
      logLevel: 'silent',
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors;
    const reason = errors?.length
      ? errors
          .slice(0, 5)
          .map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text))
          .join('; ')
      : (err as Error).message;
    throw new BuildError(unit.members, 'esbuild', trim(reason), { cause: err });
  }
  // The bundle's module type is decided here, not by whatever package.json sits above the folder it is copied to.
  await writeFile(join(ctx.tmp, 'package.json'), `${JSON.stringify({ type: opts.format === 'esm' ? 'module' : 'commonjs' })}\n`);
  return depsDigest;
}

// ------------------------------------------------------------------ pip

/** The interpreter whose pip installs a Python function's packages: the one the process runtime runs it with by default (docs/agent.md). */
export function pythonFor(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

async function scratchCopy(ctx: UnitContext): Promise<string> {
  const scratch = join(ctx.options.buildDir, '.scratch', `${ctx.unit.name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await copyFiles(ctx.sourceDir, ctx.sourceFiles, scratch);
  return scratch;
}

async function buildPip(ctx: UnitContext): Promise<string | undefined> {
  const target = ctx.unit.layerPrefix ? join(ctx.tmp, ctx.unit.layerPrefix) : ctx.tmp;
  await mkdir(target, { recursive: true });
  // pip runs in a copy, so local packages named by path build there and never write into the user's folder.
  const scratch = await scratchCopy(ctx);
  try {
    if (existsSync(join(scratch, 'requirements.txt'))) {
      const python = ctx.options.python ?? pythonFor();
      await run(ctx, python, ['-m', 'pip', 'install', '-r', 'requirements.txt', '-t', target, '--disable-pip-version-check', '--no-input', '--no-compile', '--no-warn-script-location', '--quiet'], {
        cwd: scratch,
        hint: (out) => (/No module named pip/.test(out) ? `${python} has no pip: install it (Debian: python3-pip)` : undefined),
      });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await copyFiles(ctx.sourceDir, ctx.sourceFiles, target);
  return undefined;
}

// ------------------------------------------------------------------ makefile

/** The names GNU make looks for, in its order: a project written on a case-insensitive disk may say `makefile`. */
const MAKEFILE_NAMES = ['GNUmakefile', 'makefile', 'Makefile'];

async function buildMakefile(ctx: UnitContext): Promise<string | undefined> {
  const logicalId = ctx.unit.members[0];
  const makefile = MAKEFILE_NAMES.find((name) => existsSync(join(ctx.sourceDir, name)));
  if (makefile === undefined) {
    throw new SamTemplateError(ctx.options.model.file, logicalId, 'Metadata.BuildMethod', `makefile: no Makefile in ${ctx.unit.source.uri}`);
  }
  const scratch = await scratchCopy(ctx);
  try {
    // A command-line variable is also exported to the recipes' environment, as SAM's ARTIFACTS_DIR is.
    await run(ctx, 'make', ['-f', join(scratch, makefile), `build-${logicalId}`, `ARTIFACTS_DIR=${ctx.tmp}`], { cwd: scratch });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return undefined;
}

// ------------------------------------------------------------------ cargo

/**
 * SAM's rust-cargolambda builder (docs/build.md): `cargo lambda build --release [--arm64] [--bin
 * <Binary>]` when Cargo Lambda is installed, as SAM runs it; otherwise `cargo build --release
 * [--bin <Binary>]`. Either way for this machine, where the process and Docker runtimes run the program. Built
 * in the code folder (a workspace's path dependencies stay reachable), with the target folder (--target-dir) in
 * the build cache; the program becomes `bootstrap`.
 */
async function buildCargo(ctx: UnitContext): Promise<string | undefined> {
  const logicalId = ctx.unit.members[0];
  const fail = (field: string, reason: string): never => {
    throw new SamTemplateError(ctx.options.model.file, logicalId, field, reason);
  };
  if (!existsSync(join(ctx.sourceDir, 'Cargo.toml'))) fail('Metadata.BuildMethod', `rust-cargolambda: no Cargo.toml in ${ctx.unit.source.uri}`);
  const named = ctx.unit.properties.Binary;
  if (named !== undefined && (typeof named !== 'string' || !/^[A-Za-z0-9_-]+$/.test(named))) fail('Metadata.BuildProperties.Binary', `must be the name of a binary of the Cargo project, got ${JSON.stringify(named)}`);
  const binary = typeof named === 'string' ? named : undefined;
  // One target folder per Cargo project: functions built from its binaries share what is compiled.
  const targetDir = join(ctx.options.buildDir, '.cargo-target', sha256(ctx.sourceDir).slice(0, 16));
  const bin = binary === undefined ? [] : ['--bin', binary];
  const target = ['--target-dir', targetDir];
  let program: string;
  if (await hasCargoLambda(ctx.env)) {
    // For this machine's architecture, whatever the template declares: the runtimes run the program here.
    await run(ctx, 'cargo', ['lambda', 'build', '--release', ...(process.arch === 'arm64' ? ['--arm64'] : []), ...target, ...bin], { cwd: ctx.sourceDir });
    const built = join(targetDir, 'lambda');
    const names = await readdir(built);
    const name = binary ?? (names.length === 1 ? names[0]! : fail('Metadata.BuildProperties.Binary', `the project builds several binaries (${built}); name the function's with Binary`));
    program = join(built, name, 'bootstrap');
  } else {
    await run(ctx, 'cargo', ['build', '--release', ...target, ...bin], { cwd: ctx.sourceDir });
    const name = binary ?? (await onlyBinaryOf(ctx, () => fail('Metadata.BuildProperties.Binary', 'the project has several binaries (or none); name the function\'s with Binary')));
    program = join(targetDir, 'release', name);
  }
  if (!existsSync(program)) throw new BuildError(ctx.unit.members, ctx.unit.builder, `cargo built no ${program}`);
  await copyFile(program, join(ctx.tmp, 'bootstrap'));
  await chmod(join(ctx.tmp, 'bootstrap'), 0o755);
  return undefined;
}

/**
 * SAM's go1.x builder: `go build` of the code folder (its module may be a folder above) for
 * Linux on this machine's architecture, without cgo, as the program the function starts.
 */
async function buildGo(ctx: UnitContext): Promise<string | undefined> {
  const entry = ctx.unit.entry ?? 'bootstrap';
  // Through env(1): the target is set on top of the environment the tools get, whatever it is.
  const target = ['GOOS=linux', `GOARCH=${process.arch === 'arm64' ? 'arm64' : 'amd64'}`, 'CGO_ENABLED=0'];
  await run(ctx, 'env', [...target, 'go', 'build', '-tags', 'lambda.norpc', '-trimpath', '-o', join(ctx.tmp, entry), '.'], {
    cwd: ctx.sourceDir,
    hint: (output) => (/env: .?go.?: No such file/.test(output) ? 'go is not installed (Debian: apt-get install golang-go)' : undefined),
  });
  if (!existsSync(join(ctx.tmp, entry))) throw new BuildError(ctx.unit.members, ctx.unit.builder, `go build wrote no ${entry}`);
  await chmod(join(ctx.tmp, entry), 0o755);
  return undefined;
}

// ------------------------------------------------------------------ maven

/**
 * SAM's JavaMaven workflow: `mvn clean install` in a copy of the project, then `mvn
 * dependency:copy-dependencies -DincludeScope=runtime`; the function gets `target/classes` at its
 * root and the runtime libraries in `lib/`, the layout Lambda's Java runtimes load (docs/build.md).
 */
async function buildMaven(ctx: UnitContext): Promise<string | undefined> {
  const scratch = await scratchCopy(ctx);
  const hint = (output: string) =>
    /could not be resolved|Could not (resolve|transfer)|Cannot access .* in offline mode|Non-resolvable/.test(output)
      ? 'Maven could not fetch a dependency or plugin: it needs its repository (Maven Central, or a mirror in ~/.m2/settings.xml)'
      : undefined;
  try {
    await run(ctx, 'mvn', ['-B', '-q', 'clean', 'install'], { cwd: scratch, hint });
    await run(ctx, 'mvn', ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', '-Dmdep.prependGroupId=true'], { cwd: scratch, hint });
    const classes = join(scratch, 'target', 'classes');
    if (!existsSync(classes)) throw new BuildError(ctx.unit.members, ctx.unit.builder, `mvn clean install wrote no target/classes in ${ctx.unit.source.uri}`);
    await cp(classes, ctx.tmp, { recursive: true });
    const deps = join(scratch, 'target', 'dependency');
    if (existsSync(deps)) await cp(deps, join(ctx.tmp, 'lib'), { recursive: true });
  } catch (e) {
    throw e instanceof BuildError ? await keepTestReports(ctx, scratch, e) : e;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return undefined;
}

/**
 * A failing test's reports outlive the scratch copy they were written in: kept in
 * `<build-dir>/.reports/<unit>/`, where the error, which Maven wrote with the scratch path, now points.
 */
async function keepTestReports(ctx: UnitContext, scratch: string, err: BuildError): Promise<BuildError> {
  const reports = join(scratch, 'target', 'surefire-reports');
  if (!existsSync(reports)) return err;
  const kept = join(ctx.options.buildDir, '.reports', ctx.unit.name);
  await rm(kept, { recursive: true, force: true });
  await cp(reports, kept, { recursive: true });
  return new BuildError(err.members, err.builder, err.reason.split(reports).join(kept), { cause: err.cause });
}

const execFileAsync = promisify(execFile);

/** Whether `cargo lambda` answers (Cargo Lambda installed as a cargo subcommand). */
function hasCargoLambda(env: NodeJS.ProcessEnv | undefined): Promise<boolean> {
  return execFileAsync('cargo', ['lambda', '--version'], env ? { env } : {}).then(
    () => true,
    () => false,
  );
}

/** The one binary target of the package in the code folder (`cargo metadata`, no dependencies resolved). */
async function onlyBinaryOf(ctx: UnitContext, several: () => never): Promise<string> {
  const { stdout } = await execFileAsync('cargo', ['metadata', '--no-deps', '--format-version', '1', '--offline'], { cwd: ctx.sourceDir, maxBuffer: 16 * 1024 * 1024, ...(ctx.env ? { env: ctx.env } : {}) });
  const meta = JSON.parse(stdout) as { packages: Array<{ manifest_path: string; targets: Array<{ name: string; kind: string[] }> }> };
  const manifest = join(ctx.sourceDir, 'Cargo.toml');
  const pkg = meta.packages.find((p) => p.manifest_path === manifest) ?? (meta.packages.length === 1 ? meta.packages[0] : undefined);
  const bins = (pkg?.targets ?? []).filter((t) => t.kind.includes('bin')).map((t) => t.name);
  return bins.length === 1 ? bins[0]! : several();
}

// ------------------------------------------------------------------ processes

/** The last lines of a tool's output: its own error message, without the noise before it. */
function trim(text: string, maxLines = 12, maxChars = 1500): string {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  let out = lines.slice(-maxLines).join('\n');
  if (out.length > maxChars) out = `…${out.slice(-maxChars)}`;
  return out;
}

function run(ctx: UnitContext, command: string, args: string[], opts: { cwd: string; hint?(output: string): string | undefined }): Promise<void> {
  const shown = `${command} ${args.filter((a) => (!a.startsWith('--') || a === '--omit=dev') && !a.startsWith('ARTIFACTS_DIR=')).join(' ')}`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, ...(ctx.env ? { env: ctx.env } : {}), stdio: ['ignore', 'pipe', 'pipe'], signal: ctx.options.signal });
    let stdout = '';
    let stderr = '';
    const keep = (s: string, chunk: Buffer) => (s + chunk.toString('utf8')).slice(-64_000);
    child.stdout.on('data', (c: Buffer) => (stdout = keep(stdout, c)));
    child.stderr.on('data', (c: Buffer) => (stderr = keep(stderr, c)));
    child.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new BuildError(ctx.unit.members, ctx.unit.builder, `${command} not found on PATH`, { cause: err }));
      else reject(err);
    });
    child.on('close', (code, sig) => {
      if (code === 0) return resolvePromise();
      // Maven writes its errors to stdout, and to stderr only color codes.
      // Maven also ends every failure with the same advice lines; the error is the line before them.
      const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/^\[ERROR\] *(To see the full stack trace|Re-run Maven|For more information about the errors|\[Help \d+\]).*$|^\[ERROR\] *$/gm, '');
      const errors = plain(stderr);
      const output = errors.trim() ? errors : plain(stdout);
      const hint = opts.hint?.(output);
      reject(new BuildError(ctx.unit.members, ctx.unit.builder, `${shown} exited with ${code ?? sig}${hint ? ` (${hint})` : ''}:\n${trim(output)}`));
    });
  });
}

// ------------------------------------------------------------------ reporting

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** One line per progress event: which unit, which builder, and (when done) size and time. */
export function describeProgress(e: BuildProgress): string {
  const who = `${e.members.join(', ')} (${e.builder})`;
  if (e.state === 'building') return `${who}: building`;
  const size = `${formatBytes(e.bytes ?? 0)}, ${e.files ?? 0} files`;
  return e.state === 'cached' ? `${who}: unchanged, cached (${size})` : `${who}: built in ${((e.ms ?? 0) / 1000).toFixed(2)}s (${size})`;
}

/** The summary of a whole build: "built 2 (1 cached): A npm 12.0 MB 3.20s, B esbuild 2.1 KB cached". */
export function describeBuild(result: BuildResult): string | undefined {
  if (result.units.length === 0) return undefined;
  const cached = result.units.filter((u) => u.cached).length;
  const parts = result.units.map((u) => `${u.members.join('+')} ${u.builder} ${formatBytes(u.bytes)} ${u.cached ? 'cached' : `${(u.ms / 1000).toFixed(2)}s`}`);
  return `built ${result.units.length}${cached ? ` (${cached} cached)` : ''}: ${parts.join(', ')}`;
}
