// Where a worker thread's module is (docs/design.md "Build"): the compiled `.js` sibling when
// there is one, else the TypeScript source run through tsx. A loader the parent registered does
// not reach worker threads, so the source is started by ts-worker.mjs, which registers tsx in
// the thread first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WorkerEntry {
  /** What `new Worker` runs. */
  url: URL;
  /** Worker `argv` that goes with it (the TypeScript module ts-worker.mjs imports). */
  argv: string[];
}

/** The entry of the worker module `name` that lives beside the module at `moduleUrl`. */
export function workerEntry(moduleUrl: string, name: string): WorkerEntry {
  const js = new URL(`./${name}.js`, moduleUrl);
  if (existsSync(fileURLToPath(js))) return { url: js, argv: [] };
  return { url: new URL('./ts-worker.mjs', import.meta.url), argv: [new URL(`./${name}.ts`, moduleUrl).href] };
}
