// The kube backend: a Store and a Source over deployments.esb.dev.
export { API_VERSION, GROUP, KIND, PLURAL, VERSION, KubeConfigError, loadKubeConfig, type KubeConnectionOptions } from './config.js';
export { createKubeStore, KubeApiError, KubeInvalidDeploymentError, KubeStore, statusMergePatch, type KubeStoreOptions } from './store.js';
export { createKubeSource, DEFAULT_RESYNC_MS, KubeSource, type KubeSourceOptions, type Timers } from './source.js';
export { DEFAULT_BACKOFF, type BackoffOptions } from './watch-core.js';
export { contextNamespace, writeDeployment, type DeploymentWrite } from './deployments.js';
export { LeaderElector, type LeaderElectionOptions } from './leader.js';
export { namespaceIsolatedSteps } from './tenancy.js';
