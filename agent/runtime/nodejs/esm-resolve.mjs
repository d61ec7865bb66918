// Resolve hook for ESM handlers: a bare specifier that Node cannot find from the handler's
// folder is looked up in NODE_PATH's folders (layers, the runtime-provided AWS SDK).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let parents = [];

export function initialize(data) {
  parents = (data?.paths ?? []).map((p) => pathToFileURL(path.join(p, 'noop.js')).href);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\.|\/|file:|node:|data:)/.test(specifier)) throw err;
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {}
    }
    throw err;
  }
}
