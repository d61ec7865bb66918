// The provisioner: creates the DynamoDB tables, S3 buckets, SQS queues and Kinesis streams of resources.yml (idempotent).
export { provision, type ProvisionOptions, type ProvisionReport, type ProvisionLog, type Credentials, type TableStatus, type LifecycleStatus, type StreamStatus } from './provision.js';
export { ProvisionError, ProvisionAbortedError, CustomResourceError } from './errors.js';
export { resourcesPath, loadResources, ResourcesPathError, type ResourcesLocation, type LoadedResources } from './config.js';
export { toCreateTableInput, toLifecycleInput, toCreateStreamInput, streamChanges, formatKeySchema, sameKeySchema, DEFAULT_THROUGHPUT, type StreamChanges } from './mapping.js';
export { withRetry, isRetryable, DEFAULT_RETRY, type RetryPolicy, type Sleep } from './retry.js';
export { runCustomResources, CUSTOM_RESOURCE_BUCKET, MAX_RESPONSE_BYTES, type CustomResourceOutcome, type CustomResourceStatus } from './custom-resources.js';
export { readParameterValues } from './parameter-values.js';
