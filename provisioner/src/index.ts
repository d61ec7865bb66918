// The provisioner: creates the DynamoDB tables and S3 buckets of resources.yml (idempotent),
// and the embedded storage servers used by the embedded default and the tests.
export { provision, type ProvisionOptions, type ProvisionReport, type ProvisionLog, type Credentials, type TableStatus, type LifecycleStatus } from './provision.js';
export { ProvisionError, ProvisionAbortedError } from './errors.js';
export { configFromEnv, resourcesPath, loadResources, ResourcesPathError, DUMMY_CREDENTIALS, type EnvConfig, type LoadedResources } from './config.js';
export { toCreateTableInput, toLifecycleInput, formatKeySchema, sameKeySchema, DEFAULT_THROUGHPUT } from './mapping.js';
export { withRetry, isRetryable, DEFAULT_RETRY, type RetryPolicy, type Sleep } from './retry.js';
export { startEmbeddedStorage, StorageStartError, type EmbeddedStorage, type EmbeddedStorageOptions } from './storage/embedded.js';
export { AwsChunkedDecoder, AwsChunkedError, isAwsChunked } from './storage/aws-chunked.js';
