// The AWS SDK as Lambda's Node runtimes provide it, for the process runtime (docs/agent.md,
// "The AWS SDK of Node functions"): nodejs18.x and later find the SDK v3 (`@aws-sdk/*`) and
// the packages it depends on, nodejs16.x and older the SDK v2 (`aws-sdk`) and its own. They are
// taken from esb's node_modules, but a function sees only those (and the two packages esb's own
// handlers import): not yaml, fastify or the rest of esb's dependencies, which Lambda does not
// have, so an app that would fail there for a missing package fails here too.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Packages esb's own handlers (deploy/runtime/: AWS integrations, AppSync) import besides the
 * SDK; they come with it, as in the nodejs runtime image (scripts/docker-base-image.sh).
 */
const BUILTIN_IMPORTS = ['velocityjs', 'graphql'];

/** Where each kind of runtime finds its SDK: node_modules folders for NODE_PATH. */
export interface RuntimeSdkFolders {
  /** `@aws-sdk/*` and what it depends on (nodejs18.x and later). */
  v3?: string;
  /** `aws-sdk` and what it depends on (nodejs16.x and older). */
  v2?: string;
}

/** The folder of `runtime`'s SDK, if there is one. */
export function sdkFolderFor(runtime: string | undefined, folders: RuntimeSdkFolders): string | undefined {
  const major = Number(/^nodejs(\d+)/.exec(runtime ?? '')?.[1]);
  return major > 0 && major < 18 ? folders.v2 : folders.v3;
}

/**
 * Folders under `tmp` of links to the packages of `nodeModules` the SDK needs: each SDK
 * package, then every package its dependencies reach through `nodeModules` itself (a package
 * nested deeper is found from the real path of the one that needs it, as Node resolves
 * symbolic links). Named by `nodeModules` and the lock npm writes there at each install, so
 * agents and processes share them and only the first walks the packages; made in a scratch
 * folder and renamed into place, so none is ever seen half made. Readable by every user
 * (functions may run as their own).
 */
export function linkRuntimeSdk(nodeModules: string, tmp: string): RuntimeSdkFolders {
  const lock = statSync(path.join(nodeModules, '.package-lock.json'), { throwIfNoEntry: false });
  const digest = createHash('sha256').update(JSON.stringify([nodeModules, lock?.mtimeMs ?? null, lock?.size ?? null])).digest('hex').slice(0, 16);
  const dir = path.join(tmp, `esb-node-sdk-${digest}`);
  if (!existsSync(dir)) {
    const scoped = path.join(nodeModules, '@aws-sdk');
    const v3 = existsSync(scoped) ? topLevelClosure(nodeModules, [...readdirSync(scoped).map((name) => `@aws-sdk/${name}`), ...BUILTIN_IMPORTS.filter((name) => existsSync(path.join(nodeModules, name, 'package.json')))]) : [];
    const v2 = existsSync(path.join(nodeModules, 'aws-sdk', 'package.json')) ? topLevelClosure(nodeModules, ['aws-sdk']) : [];
    const scratch = mkdtempSync(`${dir}-`);
    try {
      for (const [kind, names] of [['v3', v3], ['v2', v2]] as const) {
        for (const name of names) {
          const link = path.join(scratch, kind, 'node_modules', name);
          mkdirSync(path.dirname(link), { recursive: true });
          symlinkSync(path.join(nodeModules, name), link, 'dir');
        }
      }
      chmodSync(scratch, 0o755);
      renameSync(scratch, dir);
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      // Another process made the same folder meanwhile: it holds the same links.
      if (!existsSync(dir)) throw err;
    }
  }
  const folders: RuntimeSdkFolders = {};
  for (const kind of ['v3', 'v2'] as const) {
    const folder = path.join(dir, kind, 'node_modules');
    if (existsSync(folder)) folders[kind] = folder;
  }
  return folders;
}

/** The names in `nodeModules` (itself, not nested folders) that `roots` need, roots included. */
export function topLevelClosure(nodeModules: string, roots: string[]): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  const queue = roots.map((name) => path.join(nodeModules, name));
  for (const name of roots) names.add(name);
  while (queue.length) {
    const dir = queue.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const dep of dependenciesOf(dir)) {
      const found = resolvePackage(dir, dep, nodeModules);
      if (!found) continue; // an optional dependency not installed
      if (found === path.join(nodeModules, dep)) names.add(dep);
      queue.push(found);
    }
  }
  return [...names].sort();
}

function dependenciesOf(dir: string): string[] {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: object; optionalDependencies?: object; peerDependencies?: object };
    return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
  } catch {
    return [];
  }
}

/** The folder `name` resolves to from the package in `dir`: its own node_modules, then each one above, up to `nodeModules`. */
function resolvePackage(dir: string, name: string, nodeModules: string): string | undefined {
  for (let at = dir; at.startsWith(nodeModules); at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (at === nodeModules) break;
  }
  const top = path.join(nodeModules, name);
  return existsSync(path.join(top, 'package.json')) ? top : undefined;
}
