// Resolve hook for ESM handlers: a bare specifier that Node cannot find from the handler's
// folder is looked up in NODE_PATH's folders (layers, the runtime-provided AWS SDK).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let parents = [];
/** A spare runtime registers this hook before it knows NODE_PATH: it is written here later (u32 length | UTF-8). */
let shared;

const parentsOf = (paths) => paths.map((p) => pathToFileURL(path.join(p, 'noop.js')).href);

export function initialize(data) {
  parents = parentsOf(data?.paths ?? []);
  shared = data?.shared;
}

/** The NODE_PATH folders a spare was given, once it was assigned (read once). */
function sharedParents() {
  const length = Atomics.load(new Int32Array(shared, 0, 1), 0);
  if (length === 0) return parents;
  const text = new TextDecoder().decode(new Uint8Array(shared, 4, length).slice());
  shared = undefined;
  parents = parentsOf(text.split(path.delimiter).filter(Boolean));
  return parents;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\.|\/|file:|node:|data:)/.test(specifier)) throw err;
    for (const parentURL of shared ? sharedParents() : parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {}
    }
    throw err;
  }
}
