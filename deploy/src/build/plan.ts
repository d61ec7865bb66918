// Which SAM builder builds what (docs/build.md). Pure: the adapter says which manifest files
// exist in a code folder; nothing here touches the disk.
import { customRuntimeEntry } from '@esb/contracts';
import { SamTemplateError } from '../sam/errors.js';
import type { BuildMetadata, CodeRef, SamModel } from '../sam/model.js';
import { runtimeFamily } from '../sam/template.js';

export type BuilderKind = 'npm' | 'esbuild' | 'pip' | 'makefile' | 'cargo' | 'go' | 'maven';

/** One build: a code folder built once for every function (or the layer) that shares it. */
export interface BuildUnit {
  /** Folder name under the build dir: the first member's logical id, as `sam build` names it. */
  name: string;
  builder: BuilderKind;
  kind: 'function' | 'layer';
  /** Logical ids built by this unit (functions sharing CodeUri, runtime and build settings). */
  members: string[];
  source: CodeRef;
  runtime?: string;
  architecture: string;
  properties: Record<string, unknown>;
  /**
   * Layers only: the folder under the layer root the builder fills, as Lambda reads layers
   * (`nodejs` for node_modules, `python` for packages); '' for a makefile (it lays out ARTIFACTS_DIR itself).
   */
  layerPrefix: string;
  /** The go builder: the program it writes (bootstrap, or a go1.x function's Handler). */
  entry?: string;
}

/** Whether `file` exists in the code folder `uri` (relative to the template's folder). */
export type ManifestProbe = (uri: string, file: string) => boolean;

const NODE_MANIFEST = 'package.json';
const PYTHON_MANIFEST = 'requirements.txt';
/** A go1.x function is built from sources when its folder is a Go module (else it holds the program already). */
const GO_MANIFEST = 'go.mod';
/** A java* function whose folder is a Maven project is built as SAM's JavaMaven workflow builds it. */
const MAVEN_MANIFEST = 'pom.xml';
const GRADLE_MANIFESTS = ['build.gradle', 'build.gradle.kts'];

export function planBuilds(model: SamModel, has: ManifestProbe): BuildUnit[] {
  const units = new Map<string, BuildUnit>();
  const add = (unit: Omit<BuildUnit, 'name' | 'members'>, logicalId: string, groupable: boolean) => {
    const key = groupable ? JSON.stringify([unit.builder, unit.kind, unit.source.uri, unit.runtime, unit.architecture, unit.properties]) : `${unit.kind}:${logicalId}`;
    const found = units.get(key);
    if (found) found.members.push(logicalId);
    else units.set(key, { ...unit, name: logicalId, members: [logicalId] });
  };
  const fail = (logicalId: string, reason: string): never => {
    throw new SamTemplateError(model.file, logicalId, 'Metadata.BuildMethod', reason);
  };

  for (const layer of model.layers) {
    if (!layer.build?.method || layer.content.kind !== 'dir') continue;
    const method = layer.build.method;
    const base = { kind: 'layer' as const, source: layer.content, architecture: 'x86_64', properties: layer.build.properties, runtime: undefined as string | undefined };
    if (method === 'makefile') add({ ...base, builder: 'makefile', layerPrefix: '' }, layer.logicalId, false);
    else if (runtimeFamily(method) === 'nodejs') add({ ...base, builder: 'npm', runtime: method, layerPrefix: 'nodejs' }, layer.logicalId, false);
    else if (runtimeFamily(method) === 'python3') add({ ...base, builder: 'pip', runtime: method, layerPrefix: 'python' }, layer.logicalId, false);
    else fail(layer.logicalId, `unsupported BuildMethod "${method}" for a layer (makefile, nodejsNN.x or python3.N)`);
  }

  for (const fn of model.functions) {
    if (fn.packageType !== 'Zip' || fn.code?.kind !== 'ref' || fn.code.ref.kind !== 'dir' || !fn.runtime) continue;
    const source = fn.code.ref;
    const family = runtimeFamily(fn.runtime);
    const meta: BuildMetadata = fn.build ?? { properties: {} };
    const base = { kind: 'function' as const, source, runtime: fn.runtime, architecture: fn.architectures?.[0] ?? 'x86_64', properties: meta.properties, layerPrefix: '' };
    const method = meta.method === fn.runtime ? undefined : meta.method;
    if (method === 'esbuild') {
      if (family !== 'nodejs') fail(fn.logicalId, `BuildMethod esbuild builds nodejs functions, not ${fn.runtime}`);
      add({ ...base, properties: esbuildProperties(meta.properties, fn.environment), builder: 'esbuild' }, fn.logicalId, true);
    } else if (method === 'makefile') {
      add({ ...base, builder: 'makefile' }, fn.logicalId, false);
    } else if (method === 'rust-cargolambda') {
      if (family !== 'provided') fail(fn.logicalId, `BuildMethod rust-cargolambda builds provided.al2023 / provided.al2 functions, not ${fn.runtime}`);
      add({ ...base, builder: 'cargo' }, fn.logicalId, true);
    } else if (method === 'go1.x' || (method === undefined && fn.runtime === 'go1.x' && has(source.uri, GO_MANIFEST))) {
      const entry = family === 'provided' ? customRuntimeEntry(fn.runtime, fn.handler) : undefined;
      if (!entry) fail(fn.logicalId, `BuildMethod go1.x builds provided.al2023 / provided.al2 (and go1.x) functions, not ${fn.runtime}`);
      add({ ...base, builder: 'go', entry }, fn.logicalId, false);
    } else if (method !== undefined) {
      fail(fn.logicalId, `unsupported BuildMethod "${method}" (esbuild, makefile, rust-cargolambda, go1.x, or the function's runtime)`);
    } else if (family === 'nodejs' && has(source.uri, NODE_MANIFEST)) {
      add({ ...base, builder: 'npm' }, fn.logicalId, true);
    } else if (family === 'python3' && has(source.uri, PYTHON_MANIFEST)) {
      add({ ...base, builder: 'pip' }, fn.logicalId, true);
    } else if (family === 'java' && has(source.uri, MAVEN_MANIFEST)) {
      add({ ...base, builder: 'maven' }, fn.logicalId, true);
    } else if (family === 'java' && GRADLE_MANIFESTS.some((f) => has(source.uri, f))) {
      // Deployed as it is, its sources would fail every invocation with ClassNotFoundException.
      throw new SamTemplateError(
        model.file,
        fn.logicalId,
        'CodeUri',
        `"${source.uri}" is a Gradle project, which esb does not build (it builds Maven projects, as sam build's JavaMaven workflow): run \`gradle build\` and point CodeUri at the zip or jar it writes (classes at the root, libraries in lib/)`,
      );
    }
  }
  return [...units.values()];
}

/** The Node option that makes stack traces follow source maps. */
const SOURCE_MAPS_OPTION = '--enable-source-maps';

const enablesSourceMaps = (environment: Record<string, string>): boolean => (environment.NODE_OPTIONS ?? '').split(/\s+/).includes(SOURCE_MAPS_OPTION);

/** BuildProperties.Sourcemap, undefined when left out (another value: esbuildOptions says so). */
const sourcemapOf = (props: Record<string, unknown>): boolean | undefined => (props.Sourcemap === true || props.Sourcemap === 'true' ? true : props.Sourcemap === false || props.Sourcemap === 'false' ? false : undefined);

/**
 * What esbuild builds for a function, as `sam build` decides it (docs/build.md): NODE_OPTIONS
 * holding --enable-source-maps turns Sourcemap on when the properties leave it out.
 */
export function esbuildProperties(props: Record<string, unknown>, environment: Record<string, string>): Record<string, unknown> {
  return props.Sourcemap === undefined && enablesSourceMaps(environment) ? { ...props, Sourcemap: true } : props;
}

/**
 * The environment of a function esbuild built, as `sam build` writes it (docs/build.md): with
 * Sourcemap, NODE_OPTIONS gets --enable-source-maps after what it holds, unless it has it already.
 */
export function esbuildEnvironment(props: Record<string, unknown>, environment: Record<string, string>): Record<string, string> {
  if (sourcemapOf(props) !== true || enablesSourceMaps(environment)) return environment;
  const given = environment.NODE_OPTIONS?.trim();
  return { ...environment, NODE_OPTIONS: given ? `${given} ${SOURCE_MAPS_OPTION}` : SOURCE_MAPS_OPTION };
}

export interface EsbuildOptions {
  entryPoints: string[];
  minify: boolean;
  target: string;
  sourcemap: boolean;
  format: 'cjs' | 'esm';
  external: string[];
  outExtension: Record<string, string>;
  banner: Record<string, string>;
  footer: Record<string, string>;
  mainFields?: string[];
  loader: Record<string, string>;
  platform: 'node' | 'neutral' | 'browser';
  sourcesContent?: boolean;
  keepNames?: boolean;
}

/**
 * SAM's esbuild BuildProperties -> esbuild options. Defaults as `sam build`: Minify true,
 * Target es2020, Format cjs, Platform node. `field` errors name Metadata.BuildProperties.<Key>.
 */
export function esbuildOptions(props: Record<string, unknown>, fail: (field: string, reason: string) => never): EsbuildOptions {
  const list = (key: string): string[] => {
    const v = props[key];
    if (v === undefined) return [];
    if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(key, 'must be a list of strings');
    return v as string[];
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = props[key];
    if (v === undefined) return dflt;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return fail(key, `must be true or false (got ${JSON.stringify(v)})`);
  };
  // "OutExtension: ['.js=.mjs']", "Banner: ['js=...']" or "Loader: ['.png=file']".
  const pairs = (key: string, stripDot: boolean): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const item of list(key)) {
      const eq = item.indexOf('=');
      if (eq <= 0) fail(key, `"${item}" is not KEY=VALUE`);
      const k = item.slice(0, eq).trim();
      out[stripDot ? k.replace(/^\./, '') : k] = item.slice(eq + 1);
    }
    return out;
  };
  const known = new Set(['EntryPoints', 'Minify', 'Target', 'Sourcemap', 'Format', 'External', 'OutExtension', 'Banner', 'Footer', 'MainFields', 'Loader', 'Platform', 'SourcesContent', 'KeepNames', 'UseNpmCi']);
  for (const k of Object.keys(props)) if (!known.has(k)) fail(k, `unknown esbuild property (known: ${[...known].join(', ')})`);
  const entryPoints = list('EntryPoints');
  if (entryPoints.length === 0) fail('EntryPoints', 'esbuild needs at least one entry point (e.g. [app.ts])');
  for (const e of entryPoints) if (e.startsWith('/') || e.split(/[\\/]/).includes('..')) fail('EntryPoints', `"${e}" must be a path inside CodeUri`);
  const format = props.Format === undefined ? 'cjs' : props.Format;
  if (format !== 'cjs' && format !== 'esm') fail('Format', `must be cjs or esm (got ${JSON.stringify(format)})`);
  const platform = props.Platform === undefined ? 'node' : props.Platform;
  if (platform !== 'node' && platform !== 'neutral' && platform !== 'browser') fail('Platform', `must be node, neutral or browser`);
  if (props.Target !== undefined && typeof props.Target !== 'string') fail('Target', 'must be a string such as es2020 or node20');
  const opts: EsbuildOptions = {
    entryPoints,
    minify: bool('Minify', true),
    target: (props.Target as string | undefined) ?? 'es2020',
    sourcemap: bool('Sourcemap', false),
    format: format as 'cjs' | 'esm',
    external: list('External'),
    outExtension: pairs('OutExtension', false),
    banner: pairs('Banner', true),
    footer: pairs('Footer', true),
    loader: pairs('Loader', false),
    platform: platform as EsbuildOptions['platform'],
  };
  if (props.MainFields !== undefined) opts.mainFields = list('MainFields');
  if (props.SourcesContent !== undefined) opts.sourcesContent = bool('SourcesContent', true);
  if (props.KeepNames !== undefined) opts.keepNames = bool('KeepNames', false);
  return opts;
}
