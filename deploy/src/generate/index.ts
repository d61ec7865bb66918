// `esb artifact generate` as a library: the controller's reconciler calls generateArtifact and
// templateInputsDigest; the CLI command is a thin wrapper around them.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { SamTemplateError } from '../sam/errors.js';
import { ContractError, InputLimitError, readRuntimeFile, STACKS_CODEC, YamlSyntaxError } from '@esb/contracts';
import { ConfigDirError } from '../apply/errors.js';
import { exportTable } from '../apply/stacks.js';
import { defaultStackName } from '../sam/template.js';
import { parameterDefinitions, ssmParameterNames, type ParameterDefinition } from '../sam/parameters.js';
import { parseTemplateText } from '../sam/yaml.js';
import { parseTemplateFile, readBuiltinCode, readCodeListing, readCodeListings, readTemplate, skippedLinkWarnings, writeArtifactFiles, type ExcludedPaths } from './fs-adapter.js';
import { renderArtifact, type CodeListing, type GenerateSummary, type ImageBuild } from './render.js';
import { buildTemplate, type BuildProgress, type BuildResult } from '../build/build.js';
import { esbuildEnvironment } from '../build/plan.js';
import type { CodeRef, SamModel, StackExport } from '../sam/model.js';
import type { RuntimeConfig } from '../apply/merge.js';

export { renderArtifact, imageRepoName, baseImageFor, GENERATOR, DEFAULT_BASE_IMAGES } from './render.js';
export type { ArtifactFileSpec, CodeEntry, CodeListing, GenerateSummary, ImageBuild, RenderOptions, RenderResult } from './render.js';
export { ArtifactOutputError, writeArtifactFiles, readBuiltinCode, readCodeListing, readTemplate, parseTemplateFile, codeRootOf, type CodeScope, type ExcludedPaths } from './fs-adapter.js';
export { readZip, ZipFormatError } from './zip.js';
export { SamTemplateError } from '../sam/errors.js';
export { parseSamTemplate, defaultStackName, type SamOptions } from '../sam/template.js';
export { checkParameterValue, isListParameter, type ParameterCheck, type ParameterDefinition } from '../sam/parameters.js';
export type { SamModel } from '../sam/model.js';

/** The Parameters a template file declares (what `esb deploy --guided` asks for). */
export async function readTemplateParameters(templatePath: string): Promise<ParameterDefinition[]> {
  const { text } = await readTemplate(templatePath);
  const doc = parseTemplateText(text, templatePath);
  return parameterDefinitions(doc, (name, field, reason) => {
    throw new SamTemplateError(templatePath, name, field, reason);
  });
}

export interface GenerateOptions {
  templatePath: string;
  /** Folder that receives artifact.yml. Default: ./.esb/artifacts/<stack> (relative to cwd). */
  outDir?: string;
  env?: string;
  project?: string;
  stackName?: string;
  parameterOverrides?: Record<string, string>;
  /** SAM CLI's --env-vars (see SamOptions.envVars). */
  envVars?: Record<string, Record<string, string>>;
  /** Base image per runtime ("python3.12") or family ("python3", "nodejs"). */
  baseImages?: Record<string, string>;
  region?: string;
  accountId?: string;
  /** Values for !ImportValue by export name; they win over the exports of `configDir`. */
  importValues?: Record<string, string>;
  /** The CONFIG_DIR the artifact is for: the exports of the other stacks applied there answer !ImportValue (docs/generate.md "Outputs and exports"). */
  configDir?: string;
  /** Reads Parameter Store (the storage's SSM) for `AWS::SSM::Parameter::Value<...>` parameters; without it they fail (docs/generate.md "Parameters"). */
  readParameterStore?(names: string[]): Promise<Record<string, string>>;
  mode?: 'docker' | 'process';
  /** ISO time for artifact.yml's generated_at; omitted when absent (deterministic output). */
  generatedAt?: string;
  /** Runs SAM's builders (docs/build.md) into this folder first; without it, code folders are copied as they are. */
  buildDir?: string;
  onBuildProgress?(event: BuildProgress): void;
  signal?: AbortSignal;
  /** Folders left out of every code folder (esb's own output; see ExcludedPaths). */
  exclude?: ExcludedPaths;
  /** The folder the template's paths must stay in, when wider than its own (see codeRootOf). */
  codeRoot?: string;
}

export interface GenerateResult {
  artifactPath: string;
  outDir: string;
  digest: string;
  summary: GenerateSummary;
  /** The runtime config of the artifact's stack (RenderResult.config). */
  config: RuntimeConfig;
  warnings: string[];
  /** Images to build (zip functions and Dockerfile image functions), relative to the artifact root. */
  builds: ImageBuild[];
  /** Absolute folder of the artifact root (<outDir>/<stack>). */
  artifactRoot: string;
  /** What the builders did (when buildDir was given). */
  build?: BuildResult;
}

/** The Parameter Store values the template's `AWS::SSM::Parameter::Value<...>` parameters name, when it has some and a reader is given. */
async function parameterStoreValues(text: string, templatePath: string, options: GenerateOptions): Promise<{ ssmParameterValues?: Record<string, string> }> {
  if (!options.readParameterStore || !text.includes('AWS::SSM::Parameter::Value')) return {};
  let names: string[];
  try {
    names = ssmParameterNames(parseTemplateText(text, templatePath), options.parameterOverrides);
  } catch {
    return {}; // the template reader says what is wrong with it
  }
  return names.length ? { ssmParameterValues: await options.readParameterStore(names) } : {};
}

export function defaultOutDir(stack: string, cwd = process.cwd()): string {
  return resolve(cwd, '.esb', 'artifacts', stack);
}

const toPosix = (p: string) => p.split(sep).join('/');

export async function generateArtifact(options: GenerateOptions): Promise<GenerateResult> {
  const templatePath = resolve(options.templatePath);
  const { text, bytes } = await readTemplate(templatePath);
  const file = options.templatePath;
  const stackName = options.stackName ?? defaultStackName(templatePath);
  const samOptions = {
    file,
    stackName,
    parameterOverrides: options.parameterOverrides,
    envVars: options.envVars,
    region: options.region,
    accountId: options.accountId,
    importValues: options.importValues,
    ...(options.configDir ? { exports: await readExports(options.configDir, stackName) } : {}),
    ...(await parameterStoreValues(text, templatePath, options)),
    nodeVersion: process.versions.node,
    codeRoot: options.codeRoot,
  };
  const parsed = parseTemplateFile(text, templatePath, samOptions);
  let model = parsed;
  let build: BuildResult | undefined;
  if (options.buildDir) {
    build = await buildTemplate({ model: parsed, templateDir: dirname(templatePath), codeRoot: options.codeRoot, buildDir: resolve(options.buildDir), onProgress: options.onBuildProgress, signal: options.signal });
    model = withBuildOutputs(parsed, build);
  }
  const outDir = resolve(options.outDir ?? defaultOutDir(stackName));
  // The output folder itself is never code, wherever it lies.
  const code = await readCodeListings(dirname(templatePath), model.codeRefs, file, {
    exclude: [...(options.exclude ?? []), outDir],
    trustedRoots: options.buildDir ? [resolve(options.buildDir)] : [],
    codeRoot: options.codeRoot,
  });
  if (build) markBuildListings(code, build);
  const result = renderArtifact(model, {
    ...samOptions,
    project: options.project,
    env: options.env,
    mode: options.mode,
    baseImages: options.baseImages,
    code,
    builtins: await readBuiltinCode(model.functions),
    templatePath: toPosix(relative(outDir, templatePath)),
    templateSha256: createHash('sha256').update(bytes).digest('hex'),
    generatedAt: options.generatedAt,
  });
  await writeArtifactFiles(outDir, result.files);
  return {
    artifactPath: resolve(outDir, 'artifact.yml'),
    outDir,
    artifactRoot: resolve(outDir, result.stackName),
    digest: result.digest,
    summary: result.summary,
    config: result.config,
    warnings: [...result.warnings, ...skippedLinkWarnings(model.codeRefs, code), ...(build ? buildLinkWarnings(build) : [])],
    builds: result.builds,
    ...(build ? { build } : {}),
  };
}

/** Warnings for the symlinks builds left out of their sources. */
function buildLinkWarnings(build: BuildResult): string[] {
  return build.units.flatMap((u) => (u.skippedLinks ?? []).map((link) => `${u.members.join(', ')}: symlink ${link} leads outside the template's folder; not built`));
}

/** The model with built functions and layers pointing at their build output instead of their source folder. */
export function withBuildOutputs(model: SamModel, build: BuildResult): SamModel {
  const replaced = new Map<CodeRef, CodeRef>();
  const outputRef = (ref: CodeRef, dir: string): CodeRef => {
    const out: CodeRef = { ...ref, uri: toPosix(dir), kind: 'dir' };
    replaced.set(ref, out);
    return out;
  };
  const functions = model.functions.map((fn) => {
    const unit = build.functions.get(fn.logicalId);
    if (!unit || fn.code?.kind !== 'ref') return fn;
    const environment = unit.builder === 'esbuild' ? esbuildEnvironment(fn.build?.properties ?? {}, fn.environment) : fn.environment;
    return { ...fn, environment, code: { kind: 'ref' as const, ref: outputRef(fn.code.ref, unit.dir) } };
  });
  const layers = model.layers.map((layer) => {
    const unit = build.layers.get(layer.logicalId);
    return unit ? { ...layer, content: outputRef(layer.content, unit.dir) } : layer;
  });
  return { ...model, functions, layers, codeRefs: model.codeRefs.map((r) => replaced.get(r) ?? r) };
}

/** Build outputs are written once per unit (shared by its functions) and hard-linked into the artifact. */
function markBuildListings(code: Record<string, CodeListing>, build: BuildResult): void {
  for (const unit of build.units) {
    const listing = code[toPosix(unit.dir)];
    if (!listing) continue;
    if (unit.kind === 'function') listing.shared = unit.name;
    listing.entries = listing.entries.map((e) => ('copyFrom' in e.source ? { ...e, source: { copyFrom: e.source.copyFrom, link: true } } : e));
  }
}

/**
 * The exports of the stacks applied to `configDir` but `stack` (its stacks.yml; none yet: none),
 * by export name (docs/generate.md "Outputs and exports").
 */
export async function readExports(configDir: string, stack: string): Promise<Record<string, StackExport>> {
  try {
    return exportTable((await readRuntimeFile(STACKS_CODEC, configDir)).value, stack);
  } catch (err) {
    if (err instanceof ContractError || err instanceof YamlSyntaxError) throw new ConfigDirError(err.file, `its stacks' exports cannot be read (fix or remove the file): ${err.message}`, { cause: err });
    throw err;
  }
}

export interface TemplateInputs {
  /** "sha256:<hex>" over the template bytes, the overrides and every referenced folder / zip. */
  digest: string;
  /** Absolute paths of the folders and zips the template points at (to watch). */
  referencedPaths: string[];
}

/**
 * Cheap change detection for the controller: same digest, nothing to regenerate. A template
 * that does not parse still gets a digest (of its bytes), so a bad template is not retried
 * until it changes.
 */
export async function templateInputsDigest(
  templatePath: string,
  parameterOverrides: Record<string, string> = {},
  options: { stackName?: string; region?: string; accountId?: string; exclude?: ExcludedPaths; codeRoot?: string; configDir?: string } = {},
): Promise<TemplateInputs> {
  const abs = resolve(templatePath);
  const { text, bytes } = await readTemplate(abs);
  const h = createHash('sha256');
  h.update(bytes);
  const keys = Object.keys(parameterOverrides).sort();
  h.update(`\0overrides\0${JSON.stringify(keys.map((k) => [k, parameterOverrides[k]]))}\n`);
  h.update(`\0options\0${JSON.stringify([options.stackName ?? null, options.region ?? null, options.accountId ?? null])}\n`);
  const referencedPaths: string[] = [];
  const { configDir, ...samOptions } = options;
  const imported = new Set<string>();
  let model: SamModel;
  try {
    model = parseTemplateFile(text, abs, { file: templatePath, parameterOverrides, ...samOptions, ssmParameterNamesAsValues: true, onImport: (name) => imported.add(name) });
  } catch (err) {
    if (err instanceof SamTemplateError || err instanceof YamlSyntaxError || err instanceof InputLimitError) return { digest: `sha256:${h.digest('hex')}`, referencedPaths };
    throw err;
  }
  const { codeRefs: refs, localFiles, functions } = model;
  // What the deploy reads of the other stacks: the value of each import, and who else has each
  // of its export names (a deploy that failed on them runs again once they change).
  const exported = Object.values(model.outputs).flatMap((o) => (o.export === undefined ? [] : [o.export]));
  if (configDir && (imported.size > 0 || exported.length > 0)) {
    const table = await readExports(configDir, model.stackName);
    const imports = [...imported].sort().map((name) => [name, table[name]?.value ?? null, table[name]?.problem ?? null, table[name]?.placeholder ?? null]);
    const taken = exported.sort().map((name) => [name, table[name]?.stack ?? null]);
    h.update(`\0exports\0${JSON.stringify([imports, taken])}\n`);
  }
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.uri)) continue;
    seen.add(ref.uri);
    referencedPaths.push(resolve(dirname(abs), ref.uri));
    h.update(`\0ref\0${ref.uri}\n`);
    try {
      const listing = await readCodeListing(dirname(abs), ref, templatePath, { exclude: options.exclude, codeRoot: options.codeRoot });
      for (const e of listing.entries) h.update(`${e.path}\0${e.sha256}\n`);
    } catch (err) {
      // Missing code is part of the digest (generate reports it); EMFILE or EACCES is retried.
      if (!(err instanceof SamTemplateError) || err.conditionReason === undefined) throw err;
      h.update(`\0missing\0${err.reason}\n`);
    }
  }
  for (const rel of localFiles) {
    referencedPaths.push(resolve(dirname(abs), rel));
    h.update(`\0file\0${rel}\0${createHash('sha256').update(await readFile(resolve(dirname(abs), rel))).digest('hex')}\n`);
  }
  // A built-in handler is code of the artifact too: a new one is a new artifact.
  for (const [file, listing] of Object.entries(await readBuiltinCode(functions))) h.update(`\0builtin\0${file}\0${listing.entries.map((e) => `${e.path}:${e.sha256}`).join(',')}\n`);
  return { digest: `sha256:${h.digest('hex')}`, referencedPaths };
}

export { generatorFingerprint } from './fingerprint.js';
