// What identifies the generator itself: a hash of this package's code and of the built-in
// functions' code it puts into artifacts (runtime/). It enters a deploy's input digest, so that
// a newer esb regenerates an unchanged template instead of keeping what the older one generated.
// Tests and the templates they read (src/**/*.test.ts, test/) are not the generator.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: Promise<string> | undefined;

/** The generator's fingerprint (computed once per process: a few ms). */
export function generatorFingerprint(): Promise<string> {
  cached ??= compute();
  return cached;
}

async function compute(): Promise<string> {
  // This module is <package>/<src|dist>/generate/. The sources are hashed whichever of the two
  // runs, so that a process running the sources (tests) and one running the build (the esb bin)
  // agree; dist/ only when there are no sources.
  const packageDir = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
  const sources = path.join(packageDir, 'src');
  const codeDir = (await stat(sources).catch(() => undefined))?.isDirectory() ? sources : path.join(packageDir, 'dist');
  const hash = createHash('sha256');
  for (const dir of [codeDir, path.join(packageDir, 'runtime')]) {
    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.endsWith('.map') && !e.name.endsWith('.test.ts'))
      .map((e) => path.join((e as { parentPath?: string; path?: string }).parentPath ?? (e as { path: string }).path, e.name))
      .sort();
    for (const file of files) hash.update(path.relative(packageDir, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
