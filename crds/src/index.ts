export * from './contracts.js';
export * from './validate.js';
export * from './invoker.js';
export { freePort } from './net.js';
export { writeFileAtomic, cleanStaleTmp, isPidAlive, fsyncDir, tmpPathFor } from './files/atomic.js';
export { stringifyRuntimeYaml, parseRuntimeYaml, parseRuntimeYamlFast } from './files/runtime-yaml.js';
export * from './defaults.js';
