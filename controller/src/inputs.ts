// The digest of what a Deployment deploys and where its artifact goes, for `esb deploy` to know
// when the controller is done with exactly its input; loads the deploy pipeline's template
// reader, none of the controller's servers or clients (docs/design.md "Build").
export { inspectInputs, inspectInputsFor, ownedPaths, type RuntimeKind } from './reconcile/inspect.js';
export { artifactOutDir } from './reconcile/deployment-reconciler.js';
export { generatorFingerprint } from '@esb/deploy';
