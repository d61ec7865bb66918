// The embedded DynamoDB- and S3-compatible servers of `esb dev` and `esb storage`.
export { startEmbeddedStorage, StorageStartError, type EmbeddedStorage, type EmbeddedStorageOptions } from './embedded.js';
export { AwsChunkedDecoder, AwsChunkedError, isAwsChunked } from './aws-chunked.js';
