// What a client of the controller reads and writes (`esb get`, `esb deploy`): workspace paths,
// Deployment manifests, status records and the inputs digest. Light to import: none of the
// reconcile pipeline's servers, clients or watchers (docs/design.md "Build").
export * from './workspace.js';
export * from './filebackend/manifests.js';
export * from './filebackend/store.js';
export { keyOf, type Request, type StoredDeployment } from './reconcile/types.js';
export { inspectInputs, inspectInputsFor, ownedPaths, type RuntimeKind } from './reconcile/inspect.js';
export { artifactOutDir } from './reconcile/deployment-reconciler.js';
