#!/usr/bin/env node
// The `esb` command. Runs the compiled JavaScript (<package>/dist/, built by `npm ci` through the
// root `prepare` script, or `npm run build`) when it matches the sources; otherwise the
// TypeScript sources through tsx, so that a missing or stale build never runs old code.
// ESB_RUN_FROM=dist insists on the build (a clear error instead), =source forces the sources.
// See docs/design.md "Build".
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildState } from './build-state.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The AWS SDK warns on every client about Node 20's end of support in 2027; esb targets Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const wanted = process.env.ESB_RUN_FROM ?? '';
if (!['', 'auto', 'dist', 'source'].includes(wanted)) {
  process.stderr.write(`esb: ESB_RUN_FROM: "${wanted}" is not dist, source or auto\n`);
  process.exit(2);
}
const state = wanted === 'source' ? 'skipped' : buildState(ROOT);
if (wanted === 'dist' && state !== 'fresh') {
  const why = state === 'missing' ? 'there is no build (cli/dist/build-stamp.json is missing)' : 'the build is older than the sources (a source file was added, removed, renamed or edited since)';
  process.stderr.write(`esb: ESB_RUN_FROM=dist, but ${why}; run \`npm run build\`, or unset ESB_RUN_FROM to run the sources through tsx\n`);
  process.exit(1);
}
let main;
if (state === 'fresh') {
  ({ main } = await import('../dist/main.js'));
} else {
  try {
    await import('@esb/contracts/source-loader');
  } catch (err) {
    process.stderr.write(`esb: the build is ${state} and the sources cannot run (${err instanceof Error ? err.message : String(err)}); run \`npm run build\`\n`);
    process.exit(1);
  }
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
