// The provisioner: creates the DynamoDB tables and S3 buckets of resources.yml (idempotent).
export { provision, type ProvisionOptions, type ProvisionReport, type ProvisionLog, type Credentials, type TableStatus, type LifecycleStatus } from './provision.js';
export { ProvisionError, ProvisionAbortedError } from './errors.js';
export { resourcesPath, loadResources, ResourcesPathError, type ResourcesLocation, type LoadedResources } from './config.js';
export { toCreateTableInput, toLifecycleInput, formatKeySchema, sameKeySchema, DEFAULT_THROUGHPUT } from './mapping.js';
export { withRetry, isRetryable, DEFAULT_RETRY, type RetryPolicy, type Sleep } from './retry.js';
