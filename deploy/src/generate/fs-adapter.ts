// The I/O around the pure core: reads the template and the folders / zips it points at,
// writes the artifact atomically (temp folder beside the output, then rename).
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SamTemplateError } from '../sam/errors.js';
import type { CodeRef, SamModel } from '../sam/model.js';
import { parseSamTemplate, type SamOptions } from '../sam/template.js';
import type { ArtifactFileSpec, CodeEntry, CodeListing } from './render.js';
import { readZip, ZipFormatError } from './zip.js';

export class ArtifactOutputError extends Error {
  constructor(
    readonly outDir: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${outDir}: ${reason}`, options);
    this.name = 'ArtifactOutputError';
  }
}

const sha256hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export async function readTemplate(templatePath: string): Promise<{ text: string; bytes: Buffer }> {
  try {
    const bytes = await readFile(templatePath);
    return { text: bytes.toString('utf8'), bytes };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SamTemplateError(templatePath, undefined, undefined, code === 'ENOENT' ? 'template not found' : `cannot read the template (${code})`, { cause });
  }
}

/** Parses a template file with the options the adapter derives from its path. */
export function parseTemplateFile(text: string, templatePath: string, options: SamOptions): SamModel {
  const abs = resolve(templatePath);
  return parseSamTemplate(text, { ...options, file: options.file ?? templatePath, templateDir: dirname(abs).split(sep).join('/') });
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  const dir = rel ? join(root, rel) : root;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      // Never copy VCS data, SAM's build output or esb's own output (which may live inside a CodeUri).
      if (e.name === '.git' || e.name === '.aws-sam' || e.name === '.esb') continue;
      await walk(root, r, out);
    } else if (e.isFile()) out.push(r);
    else if (e.isSymbolicLink()) {
      const s = await stat(join(root, r)).catch(() => undefined);
      if (s?.isFile()) out.push(r);
      else if (s?.isDirectory()) await walk(root, r, out);
    }
  }
}

/** Lists (and hashes) a CodeRef: a folder's files, or a zip's entries. */
export async function readCodeListing(templateDir: string, ref: CodeRef, file: string): Promise<CodeListing> {
  const abs = resolve(templateDir, ref.uri);
  const fail = (reason: string, cause?: unknown): never => {
    throw new SamTemplateError(file, ref.logicalId, ref.field, reason, { cause });
  };
  const st = await stat(abs).catch((cause: NodeJS.ErrnoException) => fail(cause.code === 'ENOENT' ? `"${ref.uri}" does not exist` : `cannot read "${ref.uri}" (${cause.code})`, cause));
  if (st.isDirectory()) {
    const paths: string[] = [];
    await walk(abs, '', paths);
    paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const entries: CodeEntry[] = [];
    for (const p of paths) {
      const full = join(abs, p);
      const data = await readFile(full);
      entries.push({ path: p, sha256: sha256hex(data), source: { copyFrom: full } });
    }
    return { entries };
  }
  if (st.isFile() && /\.zip$/i.test(ref.uri)) {
    try {
      const zip = readZip(await readFile(abs));
      return { entries: zip.map((z) => ({ path: z.path, sha256: sha256hex(z.data), source: z.mode ? { content: z.data, mode: z.mode } : { content: z.data } })) };
    } catch (cause) {
      if (cause instanceof ZipFormatError) return fail(`"${ref.uri}": ${cause.message}`, cause);
      throw cause;
    }
  }
  return fail(`"${ref.uri}" must be a folder or a .zip file`);
}

/** Reads every distinct CodeRef of a model (each once). */
export async function readCodeListings(templateDir: string, refs: CodeRef[], file: string): Promise<Record<string, CodeListing>> {
  const out: Record<string, CodeListing> = {};
  const seen = new Map<string, Promise<CodeListing>>();
  for (const ref of refs) if (!seen.has(ref.uri)) seen.set(ref.uri, readCodeListing(templateDir, ref, file));
  for (const [uri, p] of seen) out[uri] = await p;
  return out;
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<unknown>, width = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/**
 * Writes `files` into `outDir` atomically: everything goes to a temp folder beside it, which
 * replaces `outDir` only once complete. A non-empty outDir that is not an artifact is refused.
 */
export async function writeArtifactFiles(outDir: string, files: ArtifactFileSpec[]): Promise<void> {
  const target = resolve(outDir);
  const existing = await readdir(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new ArtifactOutputError(outDir, `cannot read the output folder (${e.code})`, { cause: e });
  });
  if (existing && existing.length > 0 && !existing.includes('artifact.yml')) {
    throw new ArtifactOutputError(outDir, 'the output folder is not empty and holds no artifact.yml; refusing to replace it');
  }
  const parent = dirname(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (cause) {
    throw new ArtifactOutputError(outDir, `cannot create the parent folder (${(cause as NodeJS.ErrnoException).code})`, { cause });
  }
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = `${target}.tmp-${suffix}`;
  const old = `${target}.old-${suffix}`;
  try {
    const dirs = new Set<string>();
    for (const f of files) {
      const dest = join(tmp, f.path);
      const rel = relative(tmp, dest);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new ArtifactOutputError(outDir, `file "${f.path}" escapes the artifact`);
      dirs.add(dirname(dest));
    }
    // Folders (mkdir -p tolerates the races between parents and children), then the files, a few at a time.
    await inBatches([...dirs], (d) => mkdir(d, { recursive: true }));
    await inBatches(files, (f) => ('copyFrom' in f ? copyFile(f.copyFrom, join(tmp, f.path)) : writeFile(join(tmp, f.path), f.content, f.mode ? { mode: f.mode } : {})));
    await mkdir(tmp, { recursive: true });
    if (existing) await rename(target, old);
    try {
      await rename(tmp, target);
    } catch (cause) {
      if (existing) await rename(old, target).catch(() => undefined);
      throw cause;
    }
    if (existing) await rm(old, { recursive: true, force: true });
  } catch (cause) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (cause instanceof ArtifactOutputError) throw cause;
    throw new ArtifactOutputError(outDir, `cannot write the artifact (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
  }
}
