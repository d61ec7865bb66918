// Which file a worker thread (or a child process) runs for a module of esb (docs/design.md
// "Build"). Compiled (dist/*.js): the compiled module itself. From the TypeScript sources: the
// `<name>-entry.mjs` shim next to it, which imports `@esb/contracts/source-loader` (tsx and the
// esb-source condition: a loader registered in one thread does not reach another on Node 20)
// and then `./<name>.ts`.

/** The entry file for `name` (a module next to the caller, without extension), from the caller's import.meta.url. */
export function workerEntryUrl(callerUrl: string, name: string): URL {
  return /\.[cm]?ts$/.test(new URL(callerUrl).pathname) ? new URL(`./${name}-entry.mjs`, callerUrl) : new URL(`./${name}.js`, callerUrl);
}
