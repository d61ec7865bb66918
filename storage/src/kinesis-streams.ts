// The stream model behind the Kinesis Data Streams API of the storage's SQS port
// (docs/kinesis.md): streams, their shards and records, shard iterators, retention, tags and
// stream consumers, with the rules Kinesis applies to them. Plain data and an injected clock:
// no I/O, no timers, so its tests need no sleeping. The operations' wire shapes and input
// checks are kinesis-actions.ts; the HTTP adapter and the snapshot file are sqs-server.ts.
//
// How it maps Kinesis:
// - A stream keeps the shards it was created with (no resharding): shard i of n owns the hash
//   keys floor(i * 2^128 / n) .. floor((i + 1) * 2^128 / n) - 1, as Kinesis splits them. A
//   record goes to the shard holding MD5(PartitionKey) read as a 128-bit big-endian unsigned
//   integer, or its ExplicitHashKey.
// - Sequence numbers are 56 decimal digits: `4`, the stream's serial (10 digits: a stream
//   deleted and created again gets a new one), a stream-wide record counter (41 digits) and the
//   shard's index (4 digits). Per shard they strictly increase (text order is numeric order,
//   the width being fixed) and no two records of a stream share one.
// - A shard iterator is opaque text (base64url of a small JSON): stream, its serial, shard,
//   the counter of the next record to read, and when it was issued. It expires 5 minutes after
//   it was issued; one of a stream deleted since (or deleted and created again) is refused.
//
// Memory is bounded whatever the input (`KinesisLimits`, docs/kinesis.md "Limits"):
// - the bytes of records held by all streams together (data + partition key + a fixed overhead
//   per record; default 32 MiB): a put beyond it trims the oldest records of the stream written
//   first, then the oldest records of the other streams: the trim horizon moves, as if the
//   retention were shorter. One put larger than the whole limit is refused (LimitExceeded);
// - at most 1,000 streams (LimitExceeded on CreateStream), 64 shards a stream
//   (MAX_KINESIS_SHARDS), 100 consumers a stream, 50 tags a stream;
// - records older than the stream's RetentionPeriodHours are dropped (by `sweep`, and lazily
//   on each access to the stream). Iterators and pagination tokens are held by clients only.
import { createHash } from 'node:crypto';
import { KINESIS_STREAM_NAME, kinesisStreamArn, LOCAL_ACCOUNT_ID, LOCAL_REGION, MAX_KINESIS_SHARDS, ON_DEMAND_SHARDS, type KinesisRecord } from '@esb/contracts';
import { emptyDict, shortText, SNAPSHOT_FIELDS, SnapshotShapeError } from './sqs-queues.js';

/** Epoch milliseconds, injected (the SQS model's QueueClock fits). */
export interface StreamClock {
  now(): number;
}

export const systemStreamClock: StreamClock = { now: () => Date.now() };

// ---- errors ---------------------------------------------------------------------------------

/** The errors the API answers with (`__type` and `x-amzn-errortype`), and their HTTP status. */
export const KINESIS_ERRORS = {
  ResourceNotFoundException: 400,
  ResourceInUseException: 400,
  InvalidArgumentException: 400,
  ExpiredIteratorException: 400,
  ExpiredNextTokenException: 400,
  ValidationException: 400,
  LimitExceededException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  InternalFailure: 500,
} as const;
export type KinesisErrorCode = keyof typeof KINESIS_ERRORS;

export class KinesisError extends Error {
  readonly status: number;
  constructor(
    readonly code: KinesisErrorCode,
    message: string,
    status?: number,
  ) {
    super(message);
    this.name = 'KinesisError';
    this.status = status ?? KINESIS_ERRORS[code];
  }
}

/** Kinesis's wording for a value outside its model's constraints (`path` as Kinesis names fields: `records.2.member.data`). */
export function validationError(path: string, constraint: string, value?: unknown): KinesisError {
  const shown = value === undefined ? '' : value === null ? ' null' : ` '${shortText(value)}'`;
  return new KinesisError('ValidationException', `1 validation error detected: Value${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
}


// ---- constants ------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;
export const MIN_RETENTION_HOURS = 24;
export const MAX_RETENTION_HOURS = 8760;
export const DEFAULT_RETENTION_HOURS = 24;
/** Decoded bytes of one record's data. */
export const MAX_RECORD_DATA_BYTES = 1024 * 1024;
/** Records of one PutRecords. */
export const MAX_PUT_RECORDS = 500;
/** Data and partition keys of one PutRecords. */
export const MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;
/** Bytes of data (and partition keys) one GetRecords answers with at most. */
export const MAX_GET_RECORDS_BYTES = 10 * 1024 * 1024;
export const MAX_GET_RECORDS_LIMIT = 10_000;
/** A shard iterator is good for 5 minutes after it was issued. */
export const ITERATOR_TTL_MS = 5 * 60_000;
export const MAX_TAGS_PER_STREAM = 50;
/** Memory charged for a record beyond its data and partition key (sequence number, timestamps, the slot). */
const RECORD_OVERHEAD_BYTES = 128;
const HASH_KEY_MAX = (1n << 128n) - 1n;
const SHARD_METRICS = ['IncomingBytes', 'IncomingRecords', 'OutgoingBytes', 'OutgoingRecords', 'WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded', 'IteratorAgeMilliseconds'] as const;
export const SHARD_LEVEL_METRICS: readonly string[] = [...SHARD_METRICS, 'ALL'];

export interface KinesisLimits {
  /** Bytes of records all streams together hold (data + partition key + 128 a record); beyond it the oldest go. */
  maxRetainedBytes: number;
  maxStreams: number;
  maxConsumersPerStream: number;
}

export const DEFAULT_KINESIS_LIMITS: KinesisLimits = {
  maxRetainedBytes: 32 * 1024 * 1024,
  maxStreams: 1000,
  maxConsumersPerStream: 100,
};

// ---- the model ------------------------------------------------------------------------------

export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';
export type EncryptionType = 'NONE' | 'KMS';
export type ShardIteratorType = 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'AT_TIMESTAMP';
export const SHARD_ITERATOR_TYPES: readonly ShardIteratorType[] = ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP'];

interface StoredRecord {
  /** The stream-wide counter inside the sequence number. */
  counter: number;
  sequenceNumber: string;
  arrivalMs: number;
  partitionKey: string;
  data: Buffer;
  /** What the record is charged against maxRetainedBytes. */
  bytes: number;
}

/** A shard's records in order; trimming from the front is O(1) (the array is compacted now and then). */
class RecordLog {
  private items: (StoredRecord | undefined)[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }
  at(i: number): StoredRecord {
    return this.items[this.start + i]!;
  }
  first(): StoredRecord | undefined {
    return this.length > 0 ? this.items[this.start] : undefined;
  }
  last(): StoredRecord | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }
  push(record: StoredRecord): void {
    this.items.push(record);
  }
  shift(): StoredRecord | undefined {
    if (this.length === 0) return undefined;
    const record = this.items[this.start];
    this.items[this.start] = undefined;
    this.start += 1;
    if (this.start >= 1024 && this.start * 2 >= this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return record;
  }
  /** Index of the first record whose key is >= `value` (`length` when none), keys ascending. */
  lowerBound(value: number, key: (r: StoredRecord) => number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(this.at(mid)) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  *all(): Generator<StoredRecord> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}

interface Shard {
  index: number;
  id: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
  records: RecordLog;
}

interface Consumer {
  name: string;
  createdAt: number;
}

interface Stream {
  name: string;
  /** Store-wide number of this stream's creation: iterators and sequence numbers of an earlier stream of the same name do not fit it. */
  serial: number;
  createdAt: number;
  mode: StreamMode;
  retentionHours: number;
  encryptionType: EncryptionType;
  keyId?: string;
  shardLevelMetrics: string[];
  tags: Record<string, string>;
  consumers: Map<string, Consumer>;
  shards: Shard[];
  /** Counter of the next record put. */
  nextCounter: number;
  bytes: number;
}

export interface ShardInfo {
  shardId: string;
  startingHashKey: string;
  endingHashKey: string;
  startingSequenceNumber: string;
}

export interface StreamInfo {
  name: string;
  arn: string;
  createdAt: number;
  mode: StreamMode;
  retentionHours: number;
  encryptionType: EncryptionType;
  keyId?: string;
  shardLevelMetrics: string[];
  shards: ShardInfo[];
  consumerCount: number;
}

export interface ConsumerInfo {
  name: string;
  arn: string;
  createdAt: number;
  streamArn: string;
}

export interface PutEntry {
  partitionKey: string;
  data: Buffer;
  /** Decimal text, 0 .. 2^128 - 1: the hash key that picks the shard instead of the partition key's MD5. */
  explicitHashKey?: string;
}

export interface PutOutcome {
  results: Array<{ shardId: string; sequenceNumber: string }>;
  /** The stored records, as the agent is told of them. */
  records: KinesisRecord[];
  encryptionType: EncryptionType;
}

export interface ReadRecord {
  sequenceNumber: string;
  arrivalMs: number;
  partitionKey: string;
  data: Buffer;
}

export interface GetRecordsOutcome {
  records: ReadRecord[];
  nextShardIterator: string;
  millisBehindLatest: number;
}

export interface IteratorStart {
  type: ShardIteratorType;
  sequenceNumber?: string;
  /** Epoch ms, for AT_TIMESTAMP. */
  timestamp?: number;
}

export interface StreamStoreOptions {
  clock?: StreamClock;
  limits?: Partial<KinesisLimits>;
  account?: string;
  region?: string;
  /** Told of every change to a stream or its records (persistence). */
  onChange?: (streamName: string) => void;
}

export const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

export class StreamStore {
  readonly clock: StreamClock;
  readonly limits: KinesisLimits;
  readonly account: string;
  readonly region: string;
  onChange: (streamName: string) => void;
  private readonly streams = new Map<string, Stream>();
  private nextSerial = 1;
  private totalBytes = 0;

  constructor(options: StreamStoreOptions = {}) {
    this.clock = options.clock ?? systemStreamClock;
    this.limits = { ...DEFAULT_KINESIS_LIMITS, ...options.limits };
    this.account = options.account ?? LOCAL_ACCOUNT_ID;
    this.region = options.region ?? LOCAL_REGION;
    this.onChange = options.onChange ?? (() => {});
  }

  /** Bytes all streams' records are charged (see `KinesisLimits.maxRetainedBytes`). */
  get retainedBytes(): number {
    return this.totalBytes;
  }

  // -- streams --

  /** ON_DEMAND, or no shard count: ON_DEMAND_SHARDS shards (a shard count given with ON_DEMAND is not used). */
  createStream(name: string, options: { shardCount?: number; mode?: StreamMode; tags?: Record<string, string> } = {}): void {
    if (!KINESIS_STREAM_NAME.test(name)) throw validationError('streamName', 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length from 1 to 128', name);
    if (this.streams.has(name)) throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${this.account} already exists.`);
    if (this.streams.size >= this.limits.maxStreams) throw new KinesisError('LimitExceededException', `This server holds ${this.streams.size} streams, its limit (docs/kinesis.md "Limits"): delete one first.`);
    const mode = options.mode ?? (options.shardCount === undefined ? 'ON_DEMAND' : 'PROVISIONED');
    const count = mode === 'ON_DEMAND' || options.shardCount === undefined ? ON_DEMAND_SHARDS : options.shardCount;
    if (!Number.isInteger(count) || count < 1) throw validationError('shardCount', 'Member must have value greater than or equal to 1', count);
    if (count > MAX_KINESIS_SHARDS) throw new KinesisError('LimitExceededException', `A stream here has at most ${MAX_KINESIS_SHARDS} shards, not ${count} (docs/kinesis.md "Limits").`);
    const tags = options.tags ?? {};
    this.checkTags(name, tags, Object.keys(tags).length);
    const now = this.clock.now();
    const stream: Stream = {
      name,
      serial: this.nextSerial++,
      createdAt: now,
      mode,
      retentionHours: DEFAULT_RETENTION_HOURS,
      encryptionType: 'NONE',
      shardLevelMetrics: [],
      tags: Object.assign(emptyDict<string>(), tags),
      consumers: new Map(),
      shards: [],
      nextCounter: 1,
      bytes: 0,
    };
    stream.shards = makeShards(count);
    this.streams.set(name, stream);
    this.onChange(name);
  }

  /** Deletes a stream and its records; one with consumers only when `enforceConsumerDeletion`. */
  deleteStream(name: string, enforceConsumerDeletion = false): void {
    const stream = this.stream(name);
    if (stream.consumers.size > 0 && !enforceConsumerDeletion) {
      throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${this.account} has ${stream.consumers.size} registered consumers: deregister them, or pass EnforceConsumerDeletion.`);
    }
    this.totalBytes -= stream.bytes;
    this.streams.delete(name);
    this.onChange(name);
  }

  hasStream(name: string): boolean {
    return this.streams.has(name);
  }

  /** Names in text order. */
  streamNames(): string[] {
    return [...this.streams.keys()].sort();
  }

  describe(name: string): StreamInfo {
    const stream = this.stream(name);
    return {
      name,
      arn: this.arn(name),
      createdAt: stream.createdAt,
      mode: stream.mode,
      retentionHours: stream.retentionHours,
      encryptionType: stream.encryptionType,
      ...(stream.keyId !== undefined ? { keyId: stream.keyId } : {}),
      shardLevelMetrics: [...stream.shardLevelMetrics],
      shards: stream.shards.map((shard) => ({
        shardId: shard.id,
        startingHashKey: shard.startingHashKey.toString(),
        endingHashKey: shard.endingHashKey.toString(),
        startingSequenceNumber: sequenceNumber(stream.serial, 0, shard.index),
      })),
      consumerCount: stream.consumers.size,
    };
  }

  /** The creation number of a stream (pagination tokens carry it, so that one of a stream created again is refused). */
  serialOf(name: string): number {
    return this.stream(name).serial;
  }

  arn(name: string): string {
    return kinesisStreamArn(name, this.region, this.account);
  }

  setRetention(name: string, hours: number, change: 'increase' | 'decrease'): void {
    const stream = this.stream(name);
    if (!Number.isInteger(hours)) throw validationError('retentionPeriodHours', 'Member must be a whole number', hours);
    if (hours < MIN_RETENTION_HOURS) throw new KinesisError('InvalidArgumentException', `Minimum allowed retention period is ${MIN_RETENTION_HOURS} hours. Requested retention period (${hours} hours) is too short.`);
    if (hours > MAX_RETENTION_HOURS) throw new KinesisError('InvalidArgumentException', `Maximum allowed retention period is ${MAX_RETENTION_HOURS} hours. Requested retention period (${hours} hours) is too long.`);
    if (change === 'increase' && hours < stream.retentionHours) {
      throw new KinesisError('InvalidArgumentException', `Requested retention period (${hours} hours) for stream ${name} can not be shorter than existing retention period (${stream.retentionHours} hours). Use DecreaseRetentionPeriod API.`);
    }
    if (change === 'decrease' && hours > stream.retentionHours) {
      throw new KinesisError('InvalidArgumentException', `Requested retention period (${hours} hours) for stream ${name} can not be longer than existing retention period (${stream.retentionHours} hours). Use IncreaseRetentionPeriod API.`);
    }
    stream.retentionHours = hours;
    this.prune(stream, this.clock.now());
    this.onChange(name);
  }

  /** The mode is recorded; the shards stay as they are (no resharding here). */
  setMode(name: string, mode: StreamMode): void {
    this.stream(name).mode = mode;
    this.onChange(name);
  }

  /** Recorded and reported (PutRecord's EncryptionType, DescribeStream); the records are kept as they are. */
  setEncryption(name: string, type: EncryptionType, keyId?: string): void {
    const stream = this.stream(name);
    stream.encryptionType = type;
    if (type === 'KMS' && keyId !== undefined) stream.keyId = keyId;
    else delete stream.keyId;
    this.onChange(name);
  }

  /** Enables (or disables) shard-level metrics: recorded only. Answers the metrics before and after. */
  setShardLevelMetrics(name: string, metrics: readonly string[], enable: boolean): { current: string[]; desired: string[] } {
    const stream = this.stream(name);
    const current = [...stream.shardLevelMetrics];
    const named = new Set(metrics.includes('ALL') ? SHARD_METRICS : metrics);
    const desired = enable ? SHARD_METRICS.filter((m) => named.has(m) || current.includes(m)) : current.filter((m) => !named.has(m));
    stream.shardLevelMetrics = [...desired];
    this.onChange(name);
    return { current, desired };
  }

  // -- tags --

  addTags(name: string, tags: Record<string, string>): void {
    const stream = this.stream(name);
    const merged = Object.assign(emptyDict<string>(), stream.tags, tags);
    this.checkTags(name, tags, Object.keys(merged).length);
    stream.tags = merged;
    this.onChange(name);
  }

  removeTags(name: string, keys: readonly string[]): void {
    const stream = this.stream(name);
    for (const key of keys) delete stream.tags[key];
    this.onChange(name);
  }

  tags(name: string): Record<string, string> {
    return Object.assign(emptyDict<string>(), this.stream(name).tags);
  }

  // -- consumers --

  registerConsumer(name: string, consumerName: string): ConsumerInfo {
    const stream = this.stream(name);
    if (!CONSUMER_NAME.test(consumerName)) throw validationError('consumerName', 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length from 1 to 128', consumerName);
    if (stream.consumers.has(consumerName)) throw new KinesisError('ResourceInUseException', `Consumer ${consumerName} under stream ${name} under account ${this.account} already exists.`);
    if (stream.consumers.size >= this.limits.maxConsumersPerStream) {
      throw new KinesisError('LimitExceededException', `Stream ${name} has ${stream.consumers.size} registered consumers, the limit of a stream here (docs/kinesis.md "Limits").`);
    }
    const consumer = { name: consumerName, createdAt: this.clock.now() };
    stream.consumers.set(consumerName, consumer);
    this.onChange(name);
    return this.consumerInfo(stream, consumer);
  }

  /** A consumer by its name, or by its ARN (`arnSeconds`: the creation second the ARN ends with; a consumer registered again since has another ARN). */
  consumer(name: string, consumerName: string, arnSeconds?: number): ConsumerInfo {
    const stream = this.stream(name);
    const consumer = stream.consumers.get(consumerName);
    if (!consumer || (arnSeconds !== undefined && Math.floor(consumer.createdAt / 1000) !== arnSeconds)) {
      throw new KinesisError('ResourceNotFoundException', `Consumer ${consumerName} under stream ${name} under account ${this.account} not found.`);
    }
    return this.consumerInfo(stream, consumer);
  }

  /** Consumers in name order. */
  consumers(name: string): ConsumerInfo[] {
    const stream = this.stream(name);
    return [...stream.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((c) => this.consumerInfo(stream, c));
  }

  deregisterConsumer(name: string, consumerName: string, arnSeconds?: number): void {
    this.consumer(name, consumerName, arnSeconds);
    this.stream(name).consumers.delete(consumerName);
    this.onChange(name);
  }

  // -- records --

  /**
   * Stores records (one PutRecord: `batch` false; PutRecords: true, which names fields
   * `records.N.member.x` in errors). A record that breaks a rule fails the whole call, before
   * anything is stored. Beyond maxRetainedBytes the oldest records go first.
   */
  put(name: string, entries: readonly PutEntry[], batch = false): PutOutcome {
    const stream = this.stream(name);
    const field = (i: number, f: string) => (batch ? `records.${i + 1}.member.${f}` : f);
    if (batch && entries.length < 1) throw validationError('records', 'Member must have length greater than or equal to 1');
    if (batch && entries.length > MAX_PUT_RECORDS) throw validationError('records', `Member must have length less than or equal to ${MAX_PUT_RECORDS}`);
    let total = 0;
    const shards = entries.map((entry, i) => {
      const keyLength = [...entry.partitionKey].length;
      if (keyLength < 1) throw validationError(field(i, 'partitionKey'), 'Member must have length greater than or equal to 1', entry.partitionKey);
      if (keyLength > 256) throw validationError(field(i, 'partitionKey'), 'Member must have length less than or equal to 256', entry.partitionKey);
      if (entry.data.length > MAX_RECORD_DATA_BYTES) {
        throw validationError(field(i, 'data'), `Member must have length less than or equal to ${MAX_RECORD_DATA_BYTES} (the data has ${entry.data.length} bytes)`);
      }
      total += entry.data.length + Buffer.byteLength(entry.partitionKey);
      return this.shardFor(stream, entry, field(i, 'explicitHashKey'));
    });
    if (batch && total > MAX_PUT_RECORDS_BYTES) {
      throw new KinesisError('InvalidArgumentException', `Records size exceeds the limit of ${MAX_PUT_RECORDS_BYTES} bytes (5 MiB) of one PutRecords: these records have ${total} bytes of data and partition keys.`);
    }
    const now = this.clock.now();
    this.prune(stream, now);
    const charged = entries.map((entry) => entry.data.length + Buffer.byteLength(entry.partitionKey) + RECORD_OVERHEAD_BYTES);
    this.makeRoom(stream, charged.reduce((a, b) => a + b, 0));
    const outcome: PutOutcome = { results: [], records: [], encryptionType: stream.encryptionType };
    entries.forEach((entry, i) => {
      const shard = shards[i];
      const counter = stream.nextCounter++;
      const record: StoredRecord = {
        counter,
        sequenceNumber: sequenceNumber(stream.serial, counter, shard.index),
        arrivalMs: now,
        partitionKey: entry.partitionKey,
        // A copy: the caller's buffer may be a slice of a larger one (the request body).
        data: Buffer.from(entry.data),
        bytes: charged[i],
      };
      shard.records.push(record);
      stream.bytes += record.bytes;
      this.totalBytes += record.bytes;
      outcome.results.push({ shardId: shard.id, sequenceNumber: record.sequenceNumber });
      outcome.records.push({ stream: name, shardId: shard.id, sequenceNumber: record.sequenceNumber, partitionKey: record.partitionKey, data: record.data.toString('base64'), approximateArrivalTimestamp: now / 1000 });
    });
    this.onChange(name);
    return outcome;
  }

  /** A shard iterator: where to start reading one shard. */
  shardIterator(name: string, shardId: string, start: IteratorStart): string {
    const stream = this.stream(name);
    const shard = this.shard(stream, shardId);
    const now = this.clock.now();
    this.prune(stream, now);
    let position: number;
    switch (start.type) {
      case 'TRIM_HORIZON':
        position = 0;
        break;
      case 'LATEST':
        position = stream.nextCounter;
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        if (start.sequenceNumber === undefined) throw new KinesisError('InvalidArgumentException', `The StartingSequenceNumber field is required for ShardIteratorType ${start.type}.`);
        const counter = this.counterOf(stream, shard, start.sequenceNumber);
        position = start.type === 'AT_SEQUENCE_NUMBER' ? counter : counter + 1;
        break;
      }
      case 'AT_TIMESTAMP': {
        if (start.timestamp === undefined || !Number.isFinite(start.timestamp)) {
          throw new KinesisError('InvalidArgumentException', 'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.');
        }
        if (start.timestamp > now) {
          throw new KinesisError('InvalidArgumentException', `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${start.timestamp}, currentTimestampInMillis: ${now}`);
        }
        const at = shard.records.lowerBound(start.timestamp, (r) => r.arrivalMs);
        position = at < shard.records.length ? shard.records.at(at).counter : stream.nextCounter;
        break;
      }
      default:
        throw validationError('shardIteratorType', `Member must satisfy enum value set: [${SHARD_ITERATOR_TYPES.join(', ')}]`, start.type);
    }
    return encodeIterator({ s: stream.name, g: stream.serial, h: shard.index, p: position, i: now });
  }

  /** Up to `limit` records (and MAX_GET_RECORDS_BYTES) from an iterator, and the iterator to read on from. */
  getRecords(iterator: string, limit = MAX_GET_RECORDS_LIMIT): GetRecordsOutcome {
    if (!Number.isInteger(limit) || limit < 1) throw validationError('limit', 'Member must have value greater than or equal to 1', limit);
    if (limit > MAX_GET_RECORDS_LIMIT) throw validationError('limit', `Member must have value less than or equal to ${MAX_GET_RECORDS_LIMIT}`, limit);
    const state = decodeIterator(iterator);
    if (!state) throw new KinesisError('InvalidArgumentException', `Invalid ShardIterator: ${shortText(iterator)} is not a shard iterator of this server.`);
    const now = this.clock.now();
    const stream = this.streams.get(state.s);
    if (!stream) throw new KinesisError('ResourceNotFoundException', `Stream ${state.s} under account ${this.account} not found.`);
    if (stream.serial !== state.g) {
      throw new KinesisError('ExpiredIteratorException', `The shard iterator is of an earlier stream ${state.s}, deleted since (the stream of that name was created again): get a new one with GetShardIterator.`);
    }
    const shard = stream.shards[state.h];
    if (!shard) throw new KinesisError('ResourceNotFoundException', `Shard ${shardIdOf(state.h)} in stream ${state.s} under account ${this.account} does not exist`);
    if (now - state.i > ITERATOR_TTL_MS) {
      throw new KinesisError('ExpiredIteratorException', `Iterator expired. The iterator was created at time ${new Date(state.i).toISOString()} while right now it is ${new Date(now).toISOString()} which is further in the future than the tolerated delay of ${ITERATOR_TTL_MS} milliseconds.`);
    }
    this.prune(stream, now);
    const log = shard.records;
    let index = log.lowerBound(state.p, (r) => r.counter);
    const records: ReadRecord[] = [];
    let bytes = 0;
    let next = state.p;
    while (index < log.length && records.length < limit) {
      const record = log.at(index);
      const size = record.data.length + Buffer.byteLength(record.partitionKey);
      if (records.length > 0 && bytes + size > MAX_GET_RECORDS_BYTES) break;
      bytes += size;
      records.push({ sequenceNumber: record.sequenceNumber, arrivalMs: record.arrivalMs, partitionKey: record.partitionKey, data: record.data });
      next = record.counter + 1;
      index += 1;
    }
    const behind = index < log.length ? Math.max(0, now - log.at(index).arrivalMs) : 0;
    return { records, nextShardIterator: encodeIterator({ s: stream.name, g: stream.serial, h: shard.index, p: next, i: now }), millisBehindLatest: behind };
  }

  /** Drops the records past their retention in every stream. */
  sweep(): void {
    const now = this.clock.now();
    for (const stream of this.streams.values()) this.prune(stream, now);
  }

  /** Shards counted, for DescribeLimits. */
  counts(): { streams: number; onDemandStreams: number; shards: number } {
    let shards = 0;
    let onDemandStreams = 0;
    for (const stream of this.streams.values()) {
      shards += stream.shards.length;
      if (stream.mode === 'ON_DEMAND') onDemandStreams += 1;
    }
    return { streams: this.streams.size, onDemandStreams, shards };
  }

  // -- snapshot --

  toSnapshot(): KinesisSnapshot {
    return {
      version: 1,
      nextSerial: this.nextSerial,
      streams: [...this.streams.values()].map((s) => ({
        name: s.name,
        serial: s.serial,
        createdAt: s.createdAt,
        mode: s.mode,
        retentionHours: s.retentionHours,
        encryptionType: s.encryptionType,
        ...(s.keyId !== undefined ? { keyId: s.keyId } : {}),
        shardLevelMetrics: [...s.shardLevelMetrics],
        tags: { ...s.tags },
        consumers: [...s.consumers.values()].map((c) => ({ ...c })),
        nextCounter: s.nextCounter,
        shards: s.shards.map((shard) => ({
          records: [...shard.records.all()].map((r) => ({ sequenceNumber: r.sequenceNumber, arrivalMs: r.arrivalMs, partitionKey: r.partitionKey, data: r.data.toString('base64') })),
        })),
      })),
    };
  }

  /**
   * Replaces every stream with the snapshot's; a snapshot that does not have the expected shape
   * is an error saying where (nothing is replaced then). Records past their retention or beyond
   * maxRetainedBytes (a lower limit than the one they were written under) are dropped, oldest first.
   */
  loadSnapshot(data: unknown): void {
    const snapshot = readSnapshot(data);
    this.streams.clear();
    this.totalBytes = 0;
    this.nextSerial = snapshot.nextSerial;
    for (const s of snapshot.streams) {
      const { records: shardRecords, tags, consumers, ...rest } = s;
      const stream: Stream = { ...rest, tags: Object.assign(emptyDict<string>(), tags), consumers: new Map(consumers.map((c) => [c.name, c])), shards: makeShards(shardRecords.length), bytes: 0 };
      shardRecords.forEach((records, i) => {
        for (const record of records) {
          stream.shards[i].records.push(record);
          stream.bytes += record.bytes;
        }
      });
      this.totalBytes += stream.bytes;
      this.streams.set(stream.name, stream);
    }
    this.sweep();
    this.makeRoom(undefined, 0);
  }

  // -- internals --

  private stream(name: string): Stream {
    const stream = this.streams.get(name);
    if (!stream) throw new KinesisError('ResourceNotFoundException', `Stream ${name} under account ${this.account} not found.`);
    return stream;
  }

  /** A shard by `shardId-000000000001` (or `1`, `000000000001`, as Kinesis also takes). */
  private shard(stream: Stream, shardId: string): Shard {
    const m = /^(?:shardId-)?(\d{1,12})$/.exec(shardId);
    const shard = m ? stream.shards[Number(m[1])] : undefined;
    if (!shard) throw new KinesisError('ResourceNotFoundException', `Shard ${shortText(shardId)} in stream ${stream.name} under account ${this.account} does not exist`);
    return shard;
  }

  private shardFor(stream: Stream, entry: PutEntry, field: string): Shard {
    let hash: bigint;
    if (entry.explicitHashKey !== undefined) {
      if (!/^(0|[1-9]\d{0,38})$/.test(entry.explicitHashKey)) throw validationError(field, 'Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})', entry.explicitHashKey);
      hash = BigInt(entry.explicitHashKey);
      if (hash > HASH_KEY_MAX) {
        throw new KinesisError('InvalidArgumentException', `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${entry.explicitHashKey}`);
      }
    } else {
      hash = partitionKeyHash(entry.partitionKey);
    }
    return stream.shards.find((s) => hash >= s.startingHashKey && hash <= s.endingHashKey)!;
  }

  /** The counter of a sequence number given to GetShardIterator, checked against the stream and the shard. */
  private counterOf(stream: Stream, shard: Shard, text: string): number {
    const notOfStream = () =>
      new KinesisError('InvalidArgumentException', `StartingSequenceNumber ${shortText(text)} used in GetShardIterator on shard ${shard.id} in stream ${stream.name} under account ${this.account} is invalid because it did not come from this stream.`);
    const m = /^4(\d{10})(\d{41})(\d{4})$/.exec(text);
    if (!m || Number(m[1]) !== stream.serial) throw notOfStream();
    if (Number(m[3]) !== shard.index) {
      throw new KinesisError('InvalidArgumentException', `Invalid StartingSequenceNumber. It encodes ${shardIdOf(Number(m[3]))}, while it was used in a call to a shard with ${shard.id}`);
    }
    const counter = BigInt(m[2]);
    if (counter >= BigInt(stream.nextCounter)) throw notOfStream();
    return Number(counter);
  }

  private consumerInfo(stream: Stream, consumer: Consumer): ConsumerInfo {
    const streamArn = this.arn(stream.name);
    return { name: consumer.name, arn: `${streamArn}/consumer/${consumer.name}:${Math.floor(consumer.createdAt / 1000)}`, createdAt: consumer.createdAt, streamArn };
  }

  private checkTags(name: string, tags: Record<string, string>, total: number): void {
    for (const [key, value] of Object.entries(tags)) {
      if (key.length < 1 || key.length > 128) throw new KinesisError('InvalidArgumentException', `Tag key "${shortText(key)}" must be 1 to 128 characters.`);
      if (typeof value !== 'string' || value.length > 256) throw new KinesisError('InvalidArgumentException', `The value of tag "${shortText(key)}" must be text of at most 256 characters.`);
    }
    if (total > MAX_TAGS_PER_STREAM) {
      throw new KinesisError('LimitExceededException', `Failed to add tags to stream ${name} under account ${this.account} because a given stream cannot have more than ${MAX_TAGS_PER_STREAM} tags associated with it.`);
    }
  }

  /** Drops a stream's records past its retention period. */
  private prune(stream: Stream, now: number): void {
    const cutoff = now - stream.retentionHours * HOUR_MS;
    let dropped = false;
    for (const shard of stream.shards) {
      for (let head = shard.records.first(); head && head.arrivalMs <= cutoff; head = shard.records.first()) {
        this.drop(stream, shard);
        dropped = true;
      }
    }
    if (dropped) this.onChange(stream.name);
  }

  private drop(stream: Stream, shard: Shard): void {
    const record = shard.records.shift()!;
    stream.bytes -= record.bytes;
    this.totalBytes -= record.bytes;
  }

  /**
   * Trims records until `bytes` more fit in maxRetainedBytes: the oldest of `stream` (the one
   * written) first, then the oldest of all (by arrival). A put larger than the whole limit is refused.
   */
  private makeRoom(stream: Stream | undefined, bytes: number): void {
    const max = this.limits.maxRetainedBytes;
    if (bytes > max) {
      throw new KinesisError('LimitExceededException', `These records need ${bytes} bytes, more than the ${max} bytes all streams of this server may hold (docs/kinesis.md "Limits").`);
    }
    const touched = new Set<Stream>();
    while (this.totalBytes + bytes > max) {
      const victim = (stream && oldestShard([stream], (r) => r.counter)) ?? oldestShard(this.streams.values(), (r) => r.arrivalMs);
      if (!victim) break;
      this.drop(victim.stream, victim.shard);
      touched.add(victim.stream);
    }
    for (const s of touched) this.onChange(s.name);
  }
}

/** The shard among those of `streams` whose first record comes first by `key`. */
function oldestShard(streams: Iterable<Stream>, key: (r: StoredRecord) => number): { stream: Stream; shard: Shard } | undefined {
  let best: { stream: Stream; shard: Shard; key: number } | undefined;
  for (const stream of streams) {
    if (stream.bytes === 0) continue;
    for (const shard of stream.shards) {
      const head = shard.records.first();
      if (head && (!best || key(head) < best.key)) best = { stream, shard, key: key(head) };
    }
  }
  return best;
}

// ---- hash keys, shards, sequence numbers ----------------------------------------------------

/** MD5 of the partition key's UTF-8 bytes, read as a 128-bit big-endian unsigned integer (Kinesis's hash key). */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/** `count` shards splitting the hash keys 0 .. 2^128 - 1 evenly, as Kinesis does. */
function makeShards(count: number): Shard[] {
  const space = 1n << 128n;
  return Array.from({ length: count }, (_, i) => ({
    index: i,
    id: shardIdOf(i),
    startingHashKey: (space * BigInt(i)) / BigInt(count),
    endingHashKey: (space * BigInt(i + 1)) / BigInt(count) - 1n,
    records: new RecordLog(),
  }));
}

function sequenceNumber(serial: number, counter: number, shardIndex: number): string {
  return `4${String(serial).padStart(10, '0')}${String(counter).padStart(41, '0')}${String(shardIndex).padStart(4, '0')}`;
}

// ---- shard iterators ------------------------------------------------------------------------

interface IteratorState {
  /** stream */
  s: string;
  /** its serial */
  g: number;
  /** shard index */
  h: number;
  /** counter of the next record to read */
  p: number;
  /** issued at (epoch ms) */
  i: number;
}

function encodeIterator(state: IteratorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

function decodeIterator(text: string): IteratorState | undefined {
  if (text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof state !== 'object' || state === null) return undefined;
  const { s, g, h, p, i } = state as Record<string, unknown>;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (typeof s !== 'string' || !KINESIS_STREAM_NAME.test(s) || !whole(g) || !whole(h) || !whole(p) || !whole(i)) return undefined;
  return { s, g, h, p, i };
}

// ---- pagination tokens ----------------------------------------------------------------------

/** Opaque NextToken of a list: what it continues after (base64url of JSON). */
export function encodeToken(token: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

export function decodeToken(text: string): Record<string, unknown> | undefined {
  if (text.length > 1048 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ---- snapshot -------------------------------------------------------------------------------

export interface KinesisSnapshot {
  version: 1;
  nextSerial: number;
  streams: Array<{
    name: string;
    serial: number;
    createdAt: number;
    mode: StreamMode;
    retentionHours: number;
    encryptionType: EncryptionType;
    keyId?: string;
    shardLevelMetrics: string[];
    tags: Record<string, string>;
    consumers: Consumer[];
    nextCounter: number;
    shards: Array<{ records: Array<{ sequenceNumber: string; arrivalMs: number; partitionKey: string; /** base64 */ data: string }> }>;
  }>;
}

type LoadedStream = Omit<Stream, 'shards' | 'bytes' | 'consumers'> & { consumers: Consumer[]; records: StoredRecord[][] };

/** Checks a parsed snapshot field by field, so that a damaged file is an error naming the field, never a half-loaded store. */
function readSnapshot(data: unknown): { nextSerial: number; streams: LoadedStream[] } {
  const { object, array, text, number } = SNAPSHOT_FIELDS;
  const whole = (v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new SnapshotShapeError(where, `must be a whole number from ${min} to ${max}`);
    return v;
  };
  const oneOf = <T extends string>(v: unknown, where: string, allowed: readonly T[]): T => {
    if (!allowed.includes(v as T)) throw new SnapshotShapeError(where, `must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  const root = object(data, 'snapshot');
  if (root.version !== 1) throw new SnapshotShapeError('version', `must be 1, not ${shortText(root.version)}`);
  const nextSerial = whole(root.nextSerial, 'nextSerial', 1, 9_999_999_999);
  const names = new Set<string>();
  const streams = array(root.streams, 'streams').map((raw, i): LoadedStream => {
    const where = `streams[${i}]`;
    const s = object(raw, where);
    const name = text(s.name, `${where}.name`);
    if (!KINESIS_STREAM_NAME.test(name) || names.has(name)) throw new SnapshotShapeError(`${where}.name`, `"${shortText(name)}" is not a stream name or appears twice`);
    names.add(name);
    const serial = whole(s.serial, `${where}.serial`, 1, nextSerial - 1);
    const nextCounter = whole(s.nextCounter, `${where}.nextCounter`, 1);
    const tags = emptyDict<string>();
    for (const [k, v] of Object.entries(object(s.tags, `${where}.tags`))) tags[k] = text(v, `${where}.tags.${k}`);
    const consumers = array(s.consumers, `${where}.consumers`).map((c, j) => {
      const o = object(c, `${where}.consumers[${j}]`);
      const consumerName = text(o.name, `${where}.consumers[${j}].name`);
      if (!CONSUMER_NAME.test(consumerName)) throw new SnapshotShapeError(`${where}.consumers[${j}].name`, 'is not a consumer name');
      return { name: consumerName, createdAt: number(o.createdAt, `${where}.consumers[${j}].createdAt`) };
    });
    const shardList = array(s.shards, `${where}.shards`);
    if (shardList.length < 1 || shardList.length > MAX_KINESIS_SHARDS) throw new SnapshotShapeError(`${where}.shards`, `must hold 1 to ${MAX_KINESIS_SHARDS} shards`);
    const records = shardList.map((rawShard, h) => {
      const sw = `${where}.shards[${h}]`;
      let previous = 0;
      return array(object(rawShard, sw).records, `${sw}.records`).map((rawRecord, j): StoredRecord => {
        const rw = `${sw}.records[${j}]`;
        const r = object(rawRecord, rw);
        const seq = text(r.sequenceNumber, `${rw}.sequenceNumber`);
        const m = /^4(\d{10})(\d{41})(\d{4})$/.exec(seq);
        const counter = m ? Number(m[2]) : NaN;
        if (!m || Number(m[1]) !== serial || Number(m[3]) !== h || !(counter > previous) || counter >= nextCounter) {
          throw new SnapshotShapeError(`${rw}.sequenceNumber`, 'is not a sequence number of this stream and shard, after the one before it');
        }
        previous = counter;
        const partitionKey = text(r.partitionKey, `${rw}.partitionKey`);
        const base64 = text(r.data, `${rw}.data`);
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) throw new SnapshotShapeError(`${rw}.data`, 'must be base64');
        const data = Buffer.from(base64, 'base64');
        return { counter, sequenceNumber: seq, arrivalMs: number(r.arrivalMs, `${rw}.arrivalMs`), partitionKey, data, bytes: data.length + Buffer.byteLength(partitionKey) + RECORD_OVERHEAD_BYTES };
      });
    });
    const metrics = array(s.shardLevelMetrics, `${where}.shardLevelMetrics`).map((m, j) => oneOf(m, `${where}.shardLevelMetrics[${j}]`, SHARD_METRICS));
    const keyId = s.keyId === undefined ? undefined : text(s.keyId, `${where}.keyId`);
    return {
      name,
      serial,
      createdAt: number(s.createdAt, `${where}.createdAt`),
      mode: oneOf(s.mode, `${where}.mode`, ['PROVISIONED', 'ON_DEMAND'] as const),
      retentionHours: whole(s.retentionHours, `${where}.retentionHours`, MIN_RETENTION_HOURS, MAX_RETENTION_HOURS),
      encryptionType: oneOf(s.encryptionType, `${where}.encryptionType`, ['NONE', 'KMS'] as const),
      ...(keyId !== undefined ? { keyId } : {}),
      shardLevelMetrics: metrics,
      tags,
      consumers,
      nextCounter,
      records,
    };
  });
  return { nextSerial, streams };
}
