// A worker thread's entry when esb runs from its TypeScript sources (worker-entry.ts): the
// thread registers tsx's loader and the `esb-source` export condition itself (source-loader.mjs:
// a loader registered by the parent does not reach worker threads), then imports the module
// named by its first argument. See docs/design.md "Build".
import '../source-loader.mjs';

await import(process.argv[2]);
