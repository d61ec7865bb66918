// Builds function images from an artifact's build contexts with dockerode (classic builder):
// context and Dockerfile as images.yml lists them (for zip functions: context = artifact root,
// dockerfile = functions/<Fn>/Dockerfile, FROM ${BASE_IMAGE}). The tag carries the content
// digest, so an image that exists is up to date: only what changed is built — unless its base
// image (FROM, e.g. esb-runtime:nodejs) was rebuilt since: the label dev.esb.base-image-id
// records the base's image id, and a function image built on another one is rebuilt.
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ArtifactFile, decodeRuntimeFile, IMAGES_CODEC, parseYaml, validate, type FunctionsFile } from '@esb/contracts';

export type { ImageBuild } from '../generate/render.js';
import type { ImageBuild } from '../generate/render.js';
import { walkTree } from '../layout/walk.js';

export interface BuildImagesOptions {
  docker?: Docker;
  signal?: AbortSignal;
  /** BASE_IMAGE build argument, when set (else the Dockerfile's default, esb-runtime:<family>). */
  baseImage?: string;
  /** Build even when the tag exists. */
  force?: boolean;
  log?: { info(msg: string): void };
}

export interface BuildReport {
  built: number;
  reused: number;
  images: Array<{ function: string; image: string; status: 'built' | 'reused' }>;
}

export class ImageBuildError extends Error {
  override name = 'ImageBuildError';
  constructor(
    readonly functionName: string,
    readonly image: string,
    readonly dockerfile: string,
    readonly step: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`function ${functionName}: building ${image} from ${dockerfile} failed${step ? ` at "${step}"` : ''}: ${message}`, options);
  }
}


const BASE_ID_LABEL = 'dev.esb.base-image-id';

/** The image's labels, or undefined when it does not exist. */
async function imageLabels(docker: Docker, image: string): Promise<Record<string, string> | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Config?.Labels ?? {};
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

async function imageId(docker: Docker, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** The first FROM of the Dockerfile, with ${ARG} taken from the build args or the ARG defaults. */
export function baseImageOf(dockerfileText: string, buildargs: Record<string, string>): string | undefined {
  const defaults: Record<string, string> = {};
  for (const raw of dockerfileText.split('\n')) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/i.exec(line);
    if (arg) {
      if (arg[2] !== undefined) defaults[arg[1]] = arg[2].replace(/^["']|["']$/g, '');
      continue;
    }
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)/i.exec(line);
    if (from) {
      const image = from[1].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => buildargs[n] ?? defaults[n] ?? '');
      return image && image !== 'scratch' ? image : undefined;
    }
  }
  return undefined;
}

/** Builds the listed images under `artifactRoot`; existing tags are reused. */
export async function buildImages(artifactRoot: string, builds: ImageBuild[], opts: BuildImagesOptions = {}): Promise<BuildReport> {
  const docker = opts.docker ?? new Docker();
  const report: BuildReport = { built: 0, reused: 0, images: [] };
  for (const b of builds) {
    opts.signal?.throwIfAborted();
    const context = path.resolve(artifactRoot, b.context);
    const dockerfile = path.relative(context, path.resolve(artifactRoot, b.dockerfile)).split(path.sep).join('/');
    const buildargs: Record<string, string> = { ...(b.build_args ?? {}) };
    if (opts.baseImage) buildargs.BASE_IMAGE = opts.baseImage;
    const dockerfileText = existsSync(path.join(context, dockerfile)) ? readFileSync(path.join(context, dockerfile), 'utf8') : undefined;
    const base = dockerfileText === undefined ? undefined : baseImageOf(dockerfileText, buildargs);
    const baseId = base ? await imageId(docker, base) : undefined;
    const labels = opts.force ? undefined : await imageLabels(docker, b.image);
    if (labels && (baseId === undefined || labels[BASE_ID_LABEL] === baseId)) {
      report.reused++;
      report.images.push({ function: b.function, image: b.image, status: 'reused' });
      continue;
    }
    if (dockerfileText === undefined) throw new ImageBuildError(b.function, b.image, b.dockerfile, undefined, 'the Dockerfile does not exist');
    if (labels) opts.log?.info(`${b.image}: its base image ${base} changed since it was built`);
    opts.log?.info(`building ${b.image} (function ${b.function})`);
    let step: string | undefined;
    let failure: string | undefined;
    const tail: string[] = [];
    try {
      const stream = await docker.buildImage({ context, src: (await walkTree(context, { links: 'keep' })).files.map((f) => f.path) }, { t: b.image, dockerfile, buildargs, labels: { 'dev.esb.function': b.function, ...(baseId ? { [BASE_ID_LABEL]: baseId } : {}) }, rm: true, forcerm: true, abortSignal: opts.signal } as Docker.ImageBuildOptions);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (ev: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
            if (ev.stream) {
              for (const line of ev.stream.split('\n')) {
                if (/^Step \d+\/\d+ : /.test(line)) step = line.trim();
                if (line.trim()) tail.push(line.trim());
              }
              if (tail.length > 10) tail.splice(0, tail.length - 10);
            }
            if (ev.error) failure = ev.errorDetail?.message ?? ev.error;
          },
        ),
      );
    } catch (err) {
      throw new ImageBuildError(b.function, b.image, b.dockerfile, step, err instanceof Error ? err.message : String(err), { cause: err });
    }
    if (failure) throw new ImageBuildError(b.function, b.image, b.dockerfile, step, `${failure}${tail.length ? `\n  ${tail.join('\n  ')}` : ''}`);
    report.built++;
    report.images.push({ function: b.function, image: b.image, status: 'built' });
  }
  return report;
}

function readImagesYml(root: string): ImageBuild[] | undefined {
  const f = path.join(root, 'images.yml');
  if (!existsSync(f)) return undefined;
  return decodeRuntimeFile(IMAGES_CODEC, readFileSync(f, 'utf8'), f).images;
}

/** Builds the images of the functions of `functionsFile` found in the artifact root (images.yml, else functions/<Fn>/Dockerfile). */
export async function buildFunctionImages(artifactRoot: string, functionsFile: FunctionsFile, opts: BuildImagesOptions = {}): Promise<BuildReport> {
  const listed = readImagesYml(artifactRoot);
  const builds: ImageBuild[] = [];
  for (const [name, fc] of Object.entries(functionsFile.functions)) {
    if (!fc.image) continue;
    const entry = listed?.find((b) => b.function === name);
    if (entry) builds.push(entry);
    else if (existsSync(path.join(artifactRoot, 'functions', name, 'Dockerfile'))) builds.push({ function: name, image: fc.image, context: '.', dockerfile: `functions/${name}/Dockerfile`, build_args: {} });
  }
  return buildImages(artifactRoot, builds, opts);
}

/**
 * The controller's entry point. `target` is artifact.yml (every artifact it lists) or an
 * artifact root; `second` is the list of builds (else images.yml) or the options.
 */
export async function buildArtifactImages(target: string, second?: ImageBuild[] | BuildImagesOptions, third?: BuildImagesOptions): Promise<BuildReport> {
  const opts = (Array.isArray(second) ? third : second) ?? {};
  const given = Array.isArray(second) ? second : undefined;
  if (statSync(target).isDirectory()) return buildImages(target, given ?? readImagesYml(target) ?? [], opts);
  const artifact = validate(ArtifactFile, parseYaml(readFileSync(target, 'utf8'), target), target);
  const total: BuildReport = { built: 0, reused: 0, images: [] };
  for (const a of artifact.artifacts) {
    const root = path.resolve(path.dirname(target), a.artifact_root);
    const r = await buildImages(root, given ?? readImagesYml(root) ?? [], opts);
    total.built += r.built;
    total.reused += r.reused;
    total.images.push(...r.images);
  }
  return total;
}
