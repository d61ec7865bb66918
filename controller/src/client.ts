// What a client of the controller reads and writes (`esb get`, `esb deploy`): workspace paths,
// Deployment manifests and status records. Light to import: none of the reconcile pipeline's
// servers, clients or watchers, nor the deploy pipeline (docs/design.md "Build").
export * from './workspace.js';
export * from './filebackend/manifests.js';
export * from './filebackend/store.js';
export { keyOf, type Request, type StoredDeployment } from './reconcile/types.js';
