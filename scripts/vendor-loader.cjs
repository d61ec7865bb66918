// Loads a library bundled by scripts/build.mjs (crds/dist/vendor/<name>.cjs) through V8's code
// cache: Node 20 has no compile cache for modules, and compiling these bundles was most of a CLI
// command's start-up (docs/design.md "Build"). The cache is written by the build; a cache V8
// rejects (another Node version) is ignored and the bundle compiles as usual.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, wrap } = require('node:module');

const loaded = new Map();

/** The exports of the bundle `name`, evaluated once per thread. */
exports.load = function load(name) {
  const done = loaded.get(name);
  if (done) return done.exports;
  const file = path.join(__dirname, `${name}.cjs`);
  const cacheFile = path.join(__dirname, `${name}.v8-cache`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = { exports: {} };
  loaded.set(name, { script, cacheFile, exports: mod.exports });
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, __dirname);
  loaded.get(name).exports = mod.exports;
  return mod.exports;
};

/** Per bundle loaded so far: 'accepted', 'rejected' (V8 would not take the cache) or 'none'. */
exports.cacheUse = function cacheUse() {
  const use = {};
  for (const [name, { script }] of loaded) use[name] = script.cachedDataRejected === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return use;
};

/** Writes the code cache of every bundle loaded so far (run by the build after a warm-up). */
exports.writeCaches = function writeCaches() {
  for (const { script, cacheFile } of loaded.values()) fs.writeFileSync(cacheFile, script.createCachedData());
};
