// The I/O around the pure core: reads the template and the folders / zips it points at,
// writes the artifact atomically (temp folder beside the output, then rename).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkSize, isInside, PathEscapeError, realPathInside, realPathOf, TEMPLATE_LIMITS, type InputLimits } from '@esb/contracts';
import { walkTree } from '../layout/walk.js';
import { SamTemplateError } from '../sam/errors.js';
import type { CodeRef, FunctionModel, SamModel } from '../sam/model.js';
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

export async function readTemplate(templatePath: string, limits: InputLimits = TEMPLATE_LIMITS): Promise<{ text: string; bytes: Buffer }> {
  const size = await stat(templatePath).then((s) => s.size, () => 0);
  // Refused before it is read: a huge file never reaches memory.
  checkSize(size, templatePath, limits);
  try {
    const bytes = await readFile(templatePath);
    return { text: bytes.toString('utf8'), bytes };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // A missing file is the input's fault; EMFILE or EACCES is retried (docs/kube.md "Reasons").
    if (code === 'ENOENT') throw new SamTemplateError(templatePath, undefined, undefined, 'template not found', { cause, conditionReason: 'TemplateNotFound' });
    throw new SamTemplateError(templatePath, undefined, undefined, `cannot read the template (${code})`, { cause, conditionReason: null });
  }
}

/**
 * Parses a template file with the options the adapter derives from its path. Local documents
 * (DefinitionUri, AWS::Include) are read only inside the code root, symlinks followed.
 */
export function parseTemplateFile(text: string, templatePath: string, options: SamOptions): SamModel {
  const abs = resolve(templatePath);
  const dir = dirname(abs);
  const root = codeRootOf(dir, options.codeRoot);
  let realRoot: string | undefined;
  const readLocalFile = (rel: string) => {
    const real = realpathSync(resolve(dir, rel));
    realRoot ??= realpathSync(root);
    if (!isInside(realRoot, real)) throw new Error(`resolves to ${real} through a symlink, outside ${root}`);
    return readFileSync(real, 'utf8');
  };
  const posixPath = (p: string) => p.split(sep).join('/');
  return parseSamTemplate(text, { readLocalFile, ...options, file: options.file ?? templatePath, templateDir: posixPath(dir), codeRoot: posixPath(root) });
}

/** The folder code may come from: `codeRoot` when it holds the template's folder, else that folder. */
export function codeRootOf(templateDir: string, codeRoot: string | undefined): string {
  return codeRoot !== undefined && isInside(resolve(codeRoot), resolve(templateDir)) ? resolve(codeRoot) : resolve(templateDir);
}

/**
 * Folders that are never function code although they may lie inside a CodeUri: esb's own
 * output (the Deployment manifests, CONFIG_DIR, artifacts) when a template at the workspace
 * root says `CodeUri: .`. Copying them would make every deploy change the code it deploys.
 */
export type ExcludedPaths = readonly string[];

function isExcluded(abs: string, exclude: ExcludedPaths): boolean {
  return exclude.some((x) => abs === x || abs.startsWith(x + sep));
}

/** Folders never copied from a code folder: VCS data, SAM's build output, esb's own output. */
const NEVER_CODE = new Set(['.git', '.aws-sam', '.esb']);

/** Where code is read from, besides the template's folder. */
export interface CodeScope {
  /** esb's own folders, never code (see ExcludedPaths). */
  exclude?: ExcludedPaths;
  /** esb's build folders: a build output is checked against its own root. */
  trustedRoots?: readonly string[];
  /** The folder code must stay in (see codeRootOf); default the template's folder. */
  codeRoot?: string;
}

/**
 * Lists (and hashes) a CodeRef: a folder's files, or a zip's entries. The path is resolved
 * with symlinks followed and must stay inside the code root (the template's folder unless
 * the scope widens it); symlinks inside a code folder that lead out of it are left out (listed
 * in `skipped`). A build output (under one of the scope's `trustedRoots`) is checked against
 * its own root instead.
 */
export async function readCodeListing(templateDir: string, ref: CodeRef, file: string, scope: CodeScope = {}): Promise<CodeListing> {
  const { exclude = [], trustedRoots = [] } = scope;
  const abs = resolve(templateDir, ref.uri);
  const fail = (reason: string, cause?: unknown, retried = false): never => {
    throw new SamTemplateError(file, ref.logicalId, ref.field, reason, { cause, ...(retried ? { conditionReason: null } : {}) });
  };
  const trusted = trustedRoots.find((root) => isInside(resolve(root), abs));
  const codeRoot = codeRootOf(templateDir, scope.codeRoot);
  const realRoot = await realPathOf(trusted ?? codeRoot);
  let real: string;
  try {
    real = await realPathInside(realRoot, abs, `"${ref.uri}"`);
  } catch (cause) {
    if (!(cause instanceof PathEscapeError)) throw cause;
    const where = trusted || codeRoot === resolve(templateDir) ? "the template's folder" : 'the workspace';
    return fail(`"${ref.uri}" resolves to ${await realPathOf(abs)} through a symlink, outside ${where} ${realRoot}`, cause);
  }
  const st = await stat(real).catch((cause: NodeJS.ErrnoException) =>
    cause.code === 'ENOENT' ? fail(`"${ref.uri}" does not exist`, cause) : fail(`cannot read "${ref.uri}" (${cause.code})`, cause, true),
  );
  if (st.isDirectory()) {
    const excluded = await Promise.all(exclude.map((x) => realPathOf(resolve(x)).catch(() => resolve(x))));
    const walk = await walkTree(real, {
      containIn: realRoot,
      skip: (name, abs, isDir) => (isDir && NEVER_CODE.has(name)) || (excluded.length > 0 && isExcluded(abs, excluded)),
    });
    const skipped = walk.escapes.map((e) => `${e.path} -> ${e.target}`);
    const entries: CodeEntry[] = [];
    for (const f of walk.files) {
      const data = await readFile(f.real);
      entries.push({ path: f.path, sha256: sha256hex(data), source: { copyFrom: f.real } });
    }
    return skipped.length ? { entries, skipped } : { entries };
  }
  if (st.isFile() && ref.kind === 'zip') {
    try {
      const zip = readZip(await readFile(real));
      return { entries: zip.map((z) => ({ path: z.path, sha256: sha256hex(z.data), source: z.mode ? { content: z.data, mode: z.mode } : { content: z.data } })) };
    } catch (cause) {
      if (cause instanceof ZipFormatError) return fail(`"${ref.uri}": ${cause.message}`, cause);
      throw cause;
    }
  }
  // One file is the whole package, at its root (sam deploy zips it so: docs/generate.md).
  if (st.isFile()) {
    const data = await readFile(real);
    return { entries: [{ path: basename(abs), sha256: sha256hex(data), source: { copyFrom: real } }] };
  }
  return fail(`"${ref.uri}" must be a folder, a .zip or .jar file, or one file`);
}

/** Warnings for the symlinks a listing left out. */
export function skippedLinkWarnings(refs: CodeRef[], listings: Record<string, CodeListing>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const skipped = listings[ref.uri]?.skipped;
    if (!skipped || seen.has(ref.uri)) continue;
    seen.add(ref.uri);
    for (const link of skipped) out.push(`${ref.logicalId}.${ref.field}: symlink ${ref.uri}/${link} leads outside the template's folder; not copied`);
  }
  return out;
}

/** Reads every distinct CodeRef of a model (each once). */
export async function readCodeListings(templateDir: string, refs: CodeRef[], file: string, scope: CodeScope = {}): Promise<Record<string, CodeListing>> {
  const out: Record<string, CodeListing> = {};
  const seen = new Map<string, Promise<CodeListing>>();
  for (const ref of refs) if (!seen.has(ref.uri)) seen.set(ref.uri, readCodeListing(templateDir, ref, file, scope));
  // All awaited together: a failure of one is reported, and the others' outcomes are handled.
  const listings = await Promise.all(seen.values());
  [...seen.keys()].forEach((uri, i) => (out[uri] = listings[i]));
  return out;
}

/** deploy/runtime/: the handlers esb ships (the same folder from src/generate and dist/generate). */
export const BUILTIN_DIR = fileURLToPath(new URL('../../runtime/', import.meta.url));

/** The built-in handlers `functions` use (code of kind `builtin`), each listed as a one-file code folder. */
export async function readBuiltinCode(functions: FunctionModel[]): Promise<Record<string, CodeListing>> {
  const out: Record<string, CodeListing> = {};
  for (const fn of functions) {
    if (fn.code?.kind !== 'builtin' || out[fn.code.file]) continue;
    out[fn.code.file] = { entries: await builtinFiles(fn.code.file) };
  }
  return out;
}

/** Runtime files built-ins import that the contracts package holds (the gateway uses them too). */
const CONTRACTS_RUNTIME: Record<string, string> = { 'appsync-schema.mjs': createRequire(import.meta.url).resolve('@esb/contracts/appsync-schema') };

/** A built-in file and the runtime files it imports (`from './x.mjs'`: deploy/runtime/, or CONTRACTS_RUNTIME), which ship beside it. */
async function builtinFiles(file: string): Promise<CodeListing['entries']> {
  const entries: CodeListing['entries'] = [];
  const pending = [file];
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (entries.some((e) => e.path === name)) continue;
    const path = CONTRACTS_RUNTIME[name] ?? join(BUILTIN_DIR, name);
    const bytes = await readFile(path);
    entries.push({ path: name, sha256: sha256hex(bytes), source: { copyFrom: path } });
    for (const m of bytes.toString('utf8').matchAll(/\bfrom '\.\/([\w.-]+\.mjs)'/g)) pending.push(m[1]!);
  }
  return entries;
}

async function inBatches<T>(items: T[], fn: (item: T) => Promise<unknown>, width = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Build outputs are esb's own files, replaced whole on rebuild: a hard link costs no space (a copy across file systems). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
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
    await inBatches(files, (f) => ('copyFrom' in f ? (f.link ? linkOrCopy(f.copyFrom, join(tmp, f.path)) : copyFile(f.copyFrom, join(tmp, f.path))) : writeFile(join(tmp, f.path), f.content, f.mode ? { mode: f.mode } : {})));
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
