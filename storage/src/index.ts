// The embedded DynamoDB-, S3- and SQS-compatible servers of `esb dev` and `esb storage`.
export { startEmbeddedStorage, StorageStartError, type EmbeddedStorage, type EmbeddedStorageOptions, type StorageService } from './embedded.js';
export { startSqsServer, SqsSnapshotError, KinesisSnapshotError, SecretsSnapshotError, SQS_SNAPSHOT_FILE, KINESIS_SNAPSHOT_FILE, SECRETS_SNAPSHOT_FILE, SQS_MAX_BODY_BYTES, KINESIS_MAX_BODY_BYTES, type RunningSqsServer, type SqsServerOptions } from './sqs-server.js';
export { SecretStore, SecretsError, DEFAULT_SECRET_LIMITS, type SecretLimits, type SecretStoreOptions } from './secrets.js';
export { StreamStore, KinesisError, DEFAULT_KINESIS_LIMITS, type KinesisLimits, type StreamClock, type StreamStoreOptions } from './kinesis-streams.js';
export { QueueStore, SqsError, DEFAULT_QUEUE_LIMITS, md5OfAttributes, type QueueClock, type QueueLimits, type QueueStoreOptions } from './sqs-queues.js';
export { AwsChunkedDecoder, AwsChunkedError, isAwsChunked } from './aws-chunked.js';
export { DeliveryQueue, DEFAULT_DELIVERY_LIMITS, type DeliveryIo, type DeliveryLimits } from './delivery-queue.js';
