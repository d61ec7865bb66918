// What a client of the controller needs from the contracts (`esb get`, `esb deploy`, the file
// store): the Deployment schemas, input limits, reasons and safe file writes. Light to import:
// none of the artifact's schemas, which cost a CLI command tens of milliseconds of start-up
// (docs/design.md, "Build"). The same modules as the full entry, so classes compare equal.
export * from './deployment.js';
export * from './reasons.js';
export * from './defaults.js';
export { ContractError, YamlSyntaxError, formatPath, yamlDocumentToJS, type ContractIssue } from './validate.js';
export { InputLimitError, TEMPLATE_LIMITS, MANIFEST_LIMITS, CONFIG_LIMITS, checkSize, checkTree, loadCoreYaml, loadYamlWithLimits, type InputLimits } from './limits.js';
export { PathEscapeError, isInside, joinInside, realPathOf, realPathInside } from './files/paths.js';
export { writeFileAtomic, writeFilesAtomic, type AtomicWriteOptions } from './files/atomic.js';
