// The controller: reconciles Deployment resources (file or kube backend) through the deploy
// pipeline and reports status conditions. See docs/design.md and docs/kube.md.
export * from './controller.js';
export * from './reconcile/types.js';
export * from './reconcile/conditions.js';
export * from './reconcile/deployment-reconciler.js';
export * from './reconcile/inspect.js';
export * from './reconcile/steps.js';
export * from './reconcile/queue.js';
export * from './reconcile/memory-store.js';
export * from './reconcile/path-watcher.js';
export * from './filebackend/manifests.js';
export * from './filebackend/store.js';
export * from './filebackend/source.js';
export * from './workspace.js';
export * from './ops/health-server.js';
export * from './reconcile/worker-steps.js';
