// SAM's builders (docs/build.md). The Docker image builder is the separate `@esb/deploy/build` entry.
export { buildTemplate, pythonFor, BuildError, formatBytes, describeProgress, describeBuild } from './build.js';
export type { BuildOptions, BuildProgress, BuildResult, UnitReport } from './build.js';
export { planBuilds, esbuildOptions } from './plan.js';
export type { BuildUnit, BuilderKind, EsbuildOptions, ManifestProbe } from './plan.js';
export { folderSize } from '../layout/walk.js';
