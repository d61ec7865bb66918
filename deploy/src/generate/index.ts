// `esb artifact generate` as a library: the controller's reconciler calls generateArtifact and
// templateInputsDigest; the CLI command is a thin wrapper around them.
import { createHash } from 'node:crypto';
import { dirname, relative, resolve, sep } from 'node:path';
import { SamTemplateError } from '../sam/errors.js';
import { YamlSyntaxError } from '@esb/contracts';
import { defaultStackName } from '../sam/template.js';
import { parseTemplateFile, readCodeListing, readCodeListings, readTemplate, writeArtifactFiles } from './fs-adapter.js';
import { renderArtifact, type GenerateSummary, type ImageBuild } from './render.js';

export { renderArtifact, imageRepoName, baseImageFor, GENERATOR, DEFAULT_BASE_IMAGES } from './render.js';
export type { ArtifactFileSpec, CodeEntry, CodeListing, GenerateSummary, ImageBuild, RenderOptions, RenderResult } from './render.js';
export { ArtifactOutputError, writeArtifactFiles, readCodeListing } from './fs-adapter.js';
export { readZip, ZipFormatError } from './zip.js';
export { SamTemplateError } from '../sam/errors.js';
export { parseSamTemplate, defaultStackName, type SamOptions } from '../sam/template.js';
export type { SamModel } from '../sam/model.js';

export interface GenerateOptions {
  templatePath: string;
  /** Folder that receives artifact.yml. Default: ./.esb/artifacts/<stack> (relative to cwd). */
  outDir?: string;
  env?: string;
  project?: string;
  stackName?: string;
  parameterOverrides?: Record<string, string>;
  /** Base image per runtime ("python3.12") or family ("python3", "nodejs"). */
  baseImages?: Record<string, string>;
  region?: string;
  accountId?: string;
  importValues?: Record<string, string>;
  mode?: 'docker' | 'process';
  /** ISO time for artifact.yml's generated_at; omitted when absent (deterministic output). */
  generatedAt?: string;
}

export interface GenerateResult {
  artifactPath: string;
  outDir: string;
  digest: string;
  summary: GenerateSummary;
  warnings: string[];
  /** Images to build (zip functions and Dockerfile image functions), relative to the artifact root. */
  builds: ImageBuild[];
  /** Absolute folder of the artifact root (<outDir>/<stack>). */
  artifactRoot: string;
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
    region: options.region,
    accountId: options.accountId,
    importValues: options.importValues,
  };
  const model = parseTemplateFile(text, templatePath, samOptions);
  const code = await readCodeListings(dirname(templatePath), model.codeRefs, file);
  const outDir = resolve(options.outDir ?? defaultOutDir(stackName));
  const result = renderArtifact(model, {
    ...samOptions,
    project: options.project,
    env: options.env,
    mode: options.mode,
    baseImages: options.baseImages,
    code,
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
    warnings: result.warnings,
    builds: result.builds,
  };
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
  options: { stackName?: string; region?: string; accountId?: string } = {},
): Promise<TemplateInputs> {
  const abs = resolve(templatePath);
  const { text, bytes } = await readTemplate(abs);
  const h = createHash('sha256');
  h.update(bytes);
  const keys = Object.keys(parameterOverrides).sort();
  h.update(`\0overrides\0${JSON.stringify(keys.map((k) => [k, parameterOverrides[k]]))}\n`);
  h.update(`\0options\0${JSON.stringify([options.stackName ?? null, options.region ?? null, options.accountId ?? null])}\n`);
  const referencedPaths: string[] = [];
  let refs;
  try {
    refs = parseTemplateFile(text, abs, { file: templatePath, parameterOverrides, ...options }).codeRefs;
  } catch (err) {
    if (err instanceof SamTemplateError || err instanceof YamlSyntaxError) return { digest: `sha256:${h.digest('hex')}`, referencedPaths };
    throw err;
  }
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.uri)) continue;
    seen.add(ref.uri);
    referencedPaths.push(resolve(dirname(abs), ref.uri));
    h.update(`\0ref\0${ref.uri}\n`);
    try {
      const listing = await readCodeListing(dirname(abs), ref, templatePath);
      for (const e of listing.entries) h.update(`${e.path}\0${e.sha256}\n`);
    } catch (err) {
      if (!(err instanceof SamTemplateError)) throw err;
      h.update(`\0missing\0${err.reason}\n`);
    }
  }
  return { digest: `sha256:${h.digest('hex')}`, referencedPaths };
}
