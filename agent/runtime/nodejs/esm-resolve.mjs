// Resolve hook for ESM handlers: a bare specifier that Node cannot find from the handler's
// folder is looked up in NODE_PATH's folders (layers, the runtime-provided AWS SDK).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** NODE_PATH's folders. */
let folders = [];
/** A spare runtime registers this hook before it knows NODE_PATH: it is written here later (u32 length | UTF-8). */
let shared;

export function initialize(data) {
  folders = data?.paths ?? [];
  shared = data?.shared;
}

/** The NODE_PATH folders a spare was given, once it was assigned (read once). */
function sharedFolders() {
  const length = Atomics.load(new Int32Array(shared, 0, 1), 0);
  if (length === 0) return folders;
  const text = new TextDecoder().decode(new Uint8Array(shared, 4, length).slice());
  shared = undefined;
  folders = text.split(path.delimiter).filter(Boolean);
  return folders;
}

/** `@scope/name` or `name` of a bare specifier. */
const packageName = (specifier) => specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/');

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\.|\/|file:|node:|data:)/.test(specifier)) throw err;
    const name = packageName(specifier);
    for (const folder of shared ? sharedFolders() : folders) {
      // As NODE_PATH: the package in the folder itself. Resolving from a file there would also
      // walk up to the node_modules of the folders above, which are not the function's.
      if (!existsSync(path.join(folder, name))) continue;
      try {
        return await nextResolve(specifier, { ...context, parentURL: pathToFileURL(path.join(folder, name, 'noop.js')).href });
      } catch {}
    }
    throw err;
  }
}
