// The Kinesis Data Streams operations over the stream model (docs/kinesis.md "Operations"): each
// takes the request's fields as AWS JSON 1.1 carries them (blobs base64, timestamps epoch
// seconds), checks them with Kinesis's errors naming the field, calls the model and answers in
// the API's shape. No HTTP here (sqs-server.ts serves it on the SQS port).
import { kinesisStreamNameOf, MAX_KINESIS_SHARDS, type KinesisRecord } from '@esb/contracts';
import { emptyDict } from './sqs-queues.js';
import {
  CONSUMER_NAME,
  decodeToken,
  encodeToken,
  KinesisError,
  SHARD_ITERATOR_TYPES,
  SHARD_LEVEL_METRICS,
  validationError,
  type ConsumerInfo,
  type PutEntry,
  type ShardInfo,
  type ShardIteratorType,
  type StreamInfo,
  type StreamMode,
  type StreamStore,
} from './kinesis-streams.js';
import { RequestFields, shortText } from './sqs-queues.js';

export type KinesisOutput = Record<string, unknown>;

export interface KinesisActionOutcome {
  output: KinesisOutput;
  /** The records a PutRecord / PutRecords stored (empty for every other operation). */
  accepted: KinesisRecord[];
}

type Handler = (store: StreamStore, input: Fields) => KinesisOutput | KinesisActionOutcome;

const DOCS = 'docs/kinesis.md';

/** Operations of the API this server does not emulate, and why. */
const NOT_EMULATED: Record<string, string> = {
  UpdateShardCount: `esb does not reshard streams: a stream keeps the shards it was created with (${DOCS}).`,
  MergeShards: `esb does not reshard streams: a stream keeps the shards it was created with (${DOCS}).`,
  SplitShard: `esb does not reshard streams: a stream keeps the shards it was created with (${DOCS}).`,
  SubscribeToShard: `esb does not push records to stream consumers (enhanced fan-out): read them with GetShardIterator and GetRecords (${DOCS}).`,
};

/** Runs one operation (`action`: the part of X-Amz-Target after `Kinesis_20131202.`). */
export function runKinesisAction(store: StreamStore, action: string, input: unknown): KinesisActionOutcome {
  const reason = Object.hasOwn(NOT_EMULATED, action) ? NOT_EMULATED[action] : undefined;
  if (reason) throw new KinesisError('InvalidArgumentException', reason);
  const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!handler) throw new KinesisError('UnknownOperationException', `esb's Kinesis does not serve the operation ${shortText(action)} (${DOCS} lists the ones it does).`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new KinesisError('SerializationException', 'The request body must be a JSON object.');
  const result = handler(store, new Fields(input as Record<string, unknown>));
  return 'output' in result && 'accepted' in result ? (result as KinesisActionOutcome) : { output: result, accepted: [] };
}

// ---- fields ---------------------------------------------------------------------------------

interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** The pattern as Kinesis words it. */
  patternText?: string;
}

const STREAM_NAME_RULE: StringRule = { min: 1, max: 128, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' };
const STREAM_ARN_RULE: StringRule = { min: 1, max: 2048, pattern: /^arn:aws[a-z-]*:kinesis:[a-z0-9-]*:\d{12}:stream\/[a-zA-Z0-9_.-]+$/, patternText: 'arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+' };
const CONSUMER_ARN = /^(arn:aws[a-z-]*:kinesis:[a-z0-9-]*:\d{12}:stream\/[a-zA-Z0-9_.-]{1,128})\/consumer\/([a-zA-Z0-9_.-]{1,128}):(\d{1,12})$/;
const SEQUENCE_RULE: StringRule = { pattern: /^(0|[1-9]\d{0,128})$/, patternText: '0|([1-9]\\d{0,128})' };
const SHARD_ID_RULE: StringRule = { min: 1, max: 128, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One request's (or list member's) fields; every refusal names the field as Kinesis does (`records.2.member.partitionKey`). */
class Fields extends RequestFields {
  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  private wrongType(name: string, value: unknown, expected: string): KinesisError {
    return new KinesisError('SerializationException', `Value ${shortText(value)} at '${this.path(name)}' must be ${expected}, not ${Array.isArray(value) ? 'a list' : typeof value}.`);
  }

  string(name: string, rule: StringRule = {}): string {
    const value = this.optString(name, rule);
    if (value === undefined) throw validationError(this.path(name), 'Member must not be null', null);
    return value;
  }

  optString(name: string, rule: StringRule = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.wrongType(name, value, 'a string');
    return checkString(this.path(name), value, rule);
  }

  optInteger(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw this.wrongType(name, value, 'a whole number');
    if (value < min) throw validationError(this.path(name), `Member must have value greater than or equal to ${min}`, value);
    if (value > max) throw validationError(this.path(name), `Member must have value less than or equal to ${max}`, value);
    return value;
  }

  integer(name: string, min: number, max: number): number {
    const value = this.optInteger(name, min, max);
    if (value === undefined) throw validationError(this.path(name), 'Member must not be null', null);
    return value;
  }

  boolean(name: string): boolean {
    const value = this.raw(name);
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw this.wrongType(name, value, 'true or false');
    return value;
  }

  optEnum<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.optString(name);
    if (value !== undefined && !allowed.includes(value as T)) throw validationError(this.path(name), `Member must satisfy enum value set: [${allowed.join(', ')}]`, value);
    return value as T | undefined;
  }

  enumOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.optEnum(name, allowed);
    if (value === undefined) throw validationError(this.path(name), 'Member must not be null', null);
    return value;
  }

  /** A blob: base64 text in JSON. */
  blob(name: string): Buffer {
    const value = this.raw(name);
    if (value === undefined) throw validationError(this.path(name), 'Member must not be null', null);
    if (typeof value !== 'string') throw this.wrongType(name, value, 'base64 text');
    if (!BASE64.test(value) || value.length % 4 === 1) throw new KinesisError('SerializationException', `The value at '${this.path(name)}' is not base64 (a blob is sent as base64 text).`);
    return Buffer.from(value, 'base64');
  }

  /** A timestamp: epoch seconds (what the SDKs send), or ISO 8601 text. Epoch milliseconds. */
  optTimestamp(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) throw this.wrongType(name, value, 'a timestamp (epoch seconds)');
    return ms;
  }

  stringList(name: string, min: number, max: number, rule: StringRule = {}): string[] {
    const value = this.raw(name);
    if (value === undefined) throw validationError(this.path(name), 'Member must not be null', null);
    if (!Array.isArray(value)) throw this.wrongType(name, value, 'a list of strings');
    if (value.length < min) throw validationError(this.path(name), `Member must have length greater than or equal to ${min}`);
    if (value.length > max) throw validationError(this.path(name), `Member must have length less than or equal to ${max}`);
    return value.map((v, i) => {
      const path = `${this.path(name)}.${i + 1}.member`;
      if (typeof v !== 'string') throw new KinesisError('SerializationException', `Value ${shortText(v)} at '${path}' must be a string.`);
      return checkString(path, v, rule);
    });
  }

  /** A map of text to text (tags). */
  stringMap(name: string): Record<string, string> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.wrongType(name, value, 'a map of strings');
    const out = emptyDict<string>();
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string') throw new KinesisError('SerializationException', `Value ${shortText(v)} at '${this.path(name)}.${key}' must be a string.`);
      out[key] = v;
    }
    return out;
  }

  /** A list of structures, each read with its own field prefix (`records.1.member.`). */
  members(name: string): Fields[] {
    const value = this.raw(name);
    if (value === undefined) throw validationError(this.path(name), 'Member must not be null', null);
    if (!Array.isArray(value)) throw this.wrongType(name, value, 'a list');
    return value.map((member, i) => {
      const prefix = `${this.path(name)}.${i + 1}.member`;
      if (typeof member !== 'object' || member === null || Array.isArray(member)) throw new KinesisError('SerializationException', `Value ${shortText(member)} at '${prefix}' must be a structure.`);
      return new Fields(member as Record<string, unknown>, `${prefix}.`);
    });
  }

  structure(name: string): Fields | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.wrongType(name, value, 'a structure');
    return new Fields(value as Record<string, unknown>, `${this.path(name)}.`);
  }
}

function checkString(path: string, value: string, rule: StringRule): string {
  if (rule.min !== undefined && value.length < rule.min) throw validationError(path, `Member must have length greater than or equal to ${rule.min}`, value);
  if (rule.max !== undefined && value.length > rule.max) throw validationError(path, `Member must have length less than or equal to ${rule.max}`, value);
  if (rule.pattern && !rule.pattern.test(value)) throw validationError(path, `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`, value);
  return value;
}

/** The stream a request names: StreamName or StreamARN (both: they must agree). */
function streamOf(input: Fields): string {
  const name = input.optString('StreamName', STREAM_NAME_RULE);
  const arn = input.optString('StreamARN', STREAM_ARN_RULE);
  const fromArn = arn === undefined ? undefined : kinesisStreamNameOf(arn);
  if (arn !== undefined && fromArn === undefined) throw validationError('streamARN', `Member must satisfy regular expression pattern: ${STREAM_ARN_RULE.patternText}`, arn);
  if (name !== undefined && fromArn !== undefined && name !== fromArn) throw new KinesisError('InvalidArgumentException', `StreamARN ${arn} and StreamName ${name} name different streams.`);
  const stream = name ?? fromArn;
  if (stream === undefined) throw new KinesisError('InvalidArgumentException', 'Either StreamName or StreamARN should be provided.');
  return stream;
}

/** A consumer by ConsumerARN, or by StreamARN and ConsumerName. */
function consumerOf(input: Fields): { stream: string; consumer: string; arnSeconds?: number } {
  const arn = input.optString('ConsumerARN', { min: 1, max: 2048 });
  if (arn !== undefined) {
    const m = CONSUMER_ARN.exec(arn);
    const stream = m ? kinesisStreamNameOf(m[1]) : undefined;
    if (!m || stream === undefined) throw validationError('consumerARN', 'Member must satisfy regular expression pattern: ^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+', arn);
    return { stream, consumer: m[2], arnSeconds: Number(m[3]) };
  }
  const consumer = input.optString('ConsumerName', { min: 1, max: 128, pattern: CONSUMER_NAME, patternText: '[a-zA-Z0-9_.-]+' });
  if (consumer === undefined || !(input.has('StreamARN') || input.has('StreamName'))) throw new KinesisError('InvalidArgumentException', 'Either ConsumerARN, or StreamARN and ConsumerName, should be provided.');
  return { stream: streamOf(input), consumer };
}

function tagsOf(input: Fields, name: string): Record<string, string> {
  const tags = input.stringMap(name);
  if (tags === undefined) throw validationError(input.path(name), 'Member must not be null', null);
  if (Object.keys(tags).length < 1) throw validationError(input.path(name), 'Member must have length greater than or equal to 1');
  return tags;
}

// ---- output shapes --------------------------------------------------------------------------

const seconds = (ms: number) => ms / 1000;

function shardOutput(shard: ShardInfo) {
  return {
    ShardId: shard.shardId,
    HashKeyRange: { StartingHashKey: shard.startingHashKey, EndingHashKey: shard.endingHashKey },
    SequenceNumberRange: { StartingSequenceNumber: shard.startingSequenceNumber },
  };
}

function summaryOutput(info: StreamInfo) {
  return {
    StreamName: info.name,
    StreamARN: info.arn,
    StreamStatus: 'ACTIVE',
    StreamModeDetails: { StreamMode: info.mode },
    StreamCreationTimestamp: seconds(info.createdAt),
  };
}

function consumerOutput(consumer: ConsumerInfo, withStream = false) {
  return {
    ConsumerName: consumer.name,
    ConsumerARN: consumer.arn,
    ConsumerStatus: 'ACTIVE',
    ConsumerCreationTimestamp: seconds(consumer.createdAt),
    ...(withStream ? { StreamARN: consumer.streamArn } : {}),
  };
}

/** Items after `after` (exclusive), at most `limit`, and whether more follow. */
function page<T>(items: readonly T[], key: (item: T) => string, after: string | undefined, limit: number): { items: T[]; more: boolean } {
  const start = after === undefined ? 0 : items.findIndex((item) => key(item) > after);
  const rest = start < 0 ? [] : items.slice(start);
  return { items: rest.slice(0, limit), more: rest.length > limit };
}

function badToken(field = 'NextToken'): KinesisError {
  return new KinesisError('InvalidArgumentException', `The ${field} is not one this server gave out (or its stream was deleted since).`);
}

// ---- operations -----------------------------------------------------------------------------

function putEntry(fields: Fields): PutEntry {
  const data = fields.blob('Data');
  const partitionKey = fields.string('PartitionKey');
  const explicitHashKey = fields.optString('ExplicitHashKey');
  return { data, partitionKey, ...(explicitHashKey !== undefined ? { explicitHashKey } : {}) };
}

const ACTIONS: Record<string, Handler> = {
  CreateStream(store, input) {
    const name = input.string('StreamName', STREAM_NAME_RULE);
    const shardCount = input.optInteger('ShardCount', 1, Number.MAX_SAFE_INTEGER);
    const mode = input.structure('StreamModeDetails')?.enumOf<StreamMode>('StreamMode', ['PROVISIONED', 'ON_DEMAND']);
    const tags = input.stringMap('Tags');
    store.createStream(name, { ...(shardCount !== undefined ? { shardCount } : {}), ...(mode ? { mode } : {}), ...(tags ? { tags } : {}) });
    return {};
  },

  DeleteStream(store, input) {
    store.deleteStream(streamOf(input), input.boolean('EnforceConsumerDeletion'));
    return {};
  },

  DescribeStream(store, input) {
    const info = store.describe(streamOf(input));
    const limit = input.optInteger('Limit', 1, 10_000) ?? 100;
    const after = input.optString('ExclusiveStartShardId', SHARD_ID_RULE);
    const shards = page(info.shards, (s) => s.shardId, after, limit);
    return {
      StreamDescription: {
        ...summaryOutput(info),
        Shards: shards.items.map(shardOutput),
        HasMoreShards: shards.more,
        RetentionPeriodHours: info.retentionHours,
        EnhancedMonitoring: [{ ShardLevelMetrics: info.shardLevelMetrics }],
        EncryptionType: info.encryptionType,
        ...(info.keyId !== undefined ? { KeyId: info.keyId } : {}),
      },
    };
  },

  DescribeStreamSummary(store, input) {
    const info = store.describe(streamOf(input));
    return {
      StreamDescriptionSummary: {
        ...summaryOutput(info),
        RetentionPeriodHours: info.retentionHours,
        EnhancedMonitoring: [{ ShardLevelMetrics: info.shardLevelMetrics }],
        EncryptionType: info.encryptionType,
        ...(info.keyId !== undefined ? { KeyId: info.keyId } : {}),
        OpenShardCount: info.shards.length,
        ConsumerCount: info.consumerCount,
      },
    };
  },

  ListStreams(store, input) {
    const limit = input.optInteger('Limit', 1, 10_000) ?? 100;
    let after = input.optString('ExclusiveStartStreamName', STREAM_NAME_RULE);
    const token = input.optString('NextToken', { min: 1, max: 1048 });
    if (token !== undefined) {
      const decoded = decodeToken(token);
      if (typeof decoded?.after !== 'string') throw badToken();
      after = decoded.after;
    }
    const names = page(store.streamNames(), (n) => n, after, limit);
    return {
      StreamNames: names.items,
      HasMoreStreams: names.more,
      StreamSummaries: names.items.map((n) => summaryOutput(store.describe(n))),
      ...(names.more ? { NextToken: encodeToken({ after: names.items[names.items.length - 1] }) } : {}),
    };
  },

  ListShards(store, input) {
    const token = input.optString('NextToken', { min: 1, max: 1048 });
    const maxResults = input.optInteger('MaxResults', 1, 10_000) ?? 1000;
    let stream: string;
    let after: string | undefined;
    if (token !== undefined) {
      if (input.has('StreamName') || input.has('StreamARN') || input.has('ExclusiveStartShardId')) {
        throw new KinesisError('InvalidArgumentException', 'NextToken and StreamName (or StreamARN, ExclusiveStartShardId) cannot be provided together.');
      }
      const decoded = decodeToken(token);
      if (typeof decoded?.stream !== 'string' || typeof decoded.after !== 'string' || typeof decoded.serial !== 'number') throw badToken();
      stream = decoded.stream;
      if (store.hasStream(stream) && store.serialOf(stream) !== decoded.serial) throw badToken();
      after = decoded.after;
    } else {
      stream = streamOf(input);
      after = input.optString('ExclusiveStartShardId', SHARD_ID_RULE);
      const filter = input.structure('ShardFilter');
      if (filter) {
        const type = filter.enumOf('Type', ['AFTER_SHARD_ID', 'AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON', 'AT_LATEST', 'AT_TIMESTAMP', 'FROM_TIMESTAMP']);
        // Every shard here is open from the stream's creation on: each filter keeps them all, but AFTER_SHARD_ID.
        if (type === 'AFTER_SHARD_ID') after = filter.string('ShardId', SHARD_ID_RULE);
      }
    }
    const info = store.describe(stream);
    const shards = page(info.shards, (s) => s.shardId, after, maxResults);
    return {
      Shards: shards.items.map(shardOutput),
      ...(shards.more ? { NextToken: encodeToken({ stream, serial: store.serialOf(stream), after: shards.items[shards.items.length - 1].shardId }) } : {}),
    };
  },

  PutRecord(store, input) {
    const stream = streamOf(input);
    input.optString('SequenceNumberForOrdering', SEQUENCE_RULE); // records of a shard are in order anyway
    const outcome = store.put(stream, [putEntry(input)]);
    const [result] = outcome.results;
    return { output: { ShardId: result.shardId, SequenceNumber: result.sequenceNumber, EncryptionType: outcome.encryptionType }, accepted: outcome.records };
  },

  PutRecords(store, input) {
    const stream = streamOf(input);
    const members = input.members('Records');
    const outcome = store.put(stream, members.map(putEntry), true);
    return {
      output: { FailedRecordCount: 0, Records: outcome.results.map((r) => ({ ShardId: r.shardId, SequenceNumber: r.sequenceNumber })), EncryptionType: outcome.encryptionType },
      accepted: outcome.records,
    };
  },

  GetShardIterator(store, input) {
    const stream = streamOf(input);
    const shardId = input.string('ShardId', SHARD_ID_RULE);
    const type = input.enumOf<ShardIteratorType>('ShardIteratorType', SHARD_ITERATOR_TYPES);
    const sequenceNumber = input.optString('StartingSequenceNumber', SEQUENCE_RULE);
    const timestamp = input.optTimestamp('Timestamp');
    const iterator = store.shardIterator(stream, shardId, { type, ...(sequenceNumber !== undefined ? { sequenceNumber } : {}), ...(timestamp !== undefined ? { timestamp } : {}) });
    return { ShardIterator: iterator };
  },

  GetRecords(store, input) {
    const iterator = input.string('ShardIterator', { min: 1, max: 512 });
    const limit = input.optInteger('Limit', 1, 10_000);
    input.optString('StreamARN', STREAM_ARN_RULE);
    const outcome = store.getRecords(iterator, limit);
    return {
      Records: outcome.records.map((r) => ({ SequenceNumber: r.sequenceNumber, ApproximateArrivalTimestamp: seconds(r.arrivalMs), Data: r.data.toString('base64'), PartitionKey: r.partitionKey })),
      NextShardIterator: outcome.nextShardIterator,
      MillisBehindLatest: outcome.millisBehindLatest,
    };
  },

  AddTagsToStream(store, input) {
    store.addTags(streamOf(input), tagsOf(input, 'Tags'));
    return {};
  },

  RemoveTagsFromStream(store, input) {
    store.removeTags(streamOf(input), input.stringList('TagKeys', 1, 50, { min: 1, max: 128 }));
    return {};
  },

  ListTagsForStream(store, input) {
    const tags = store.tags(streamOf(input));
    const limit = input.optInteger('Limit', 1, 50) ?? 50;
    const after = input.optString('ExclusiveStartTagKey', { min: 1, max: 128 });
    const keys = page(Object.keys(tags).sort(), (k) => k, after, limit);
    return { Tags: keys.items.map((Key) => ({ Key, Value: tags[Key] })), HasMoreTags: keys.more };
  },

  TagResource(store, input) {
    store.addTags(resourceStream(input), tagsOf(input, 'Tags'));
    return {};
  },

  UntagResource(store, input) {
    store.removeTags(resourceStream(input), input.stringList('TagKeys', 1, 50, { min: 1, max: 128 }));
    return {};
  },

  ListTagsForResource(store, input) {
    const tags = store.tags(resourceStream(input));
    return { Tags: Object.keys(tags).sort().map((Key) => ({ Key, Value: tags[Key] })) };
  },

  IncreaseStreamRetentionPeriod(store, input) {
    store.setRetention(streamOf(input), input.integer('RetentionPeriodHours', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), 'increase');
    return {};
  },

  DecreaseStreamRetentionPeriod(store, input) {
    store.setRetention(streamOf(input), input.integer('RetentionPeriodHours', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), 'decrease');
    return {};
  },

  UpdateStreamMode(store, input) {
    const details = input.structure('StreamModeDetails');
    if (!details) throw validationError('streamModeDetails', 'Member must not be null', null);
    store.setMode(streamOf(input), details.enumOf<StreamMode>('StreamMode', ['PROVISIONED', 'ON_DEMAND']));
    return {};
  },

  StartStreamEncryption(store, input) {
    const stream = streamOf(input);
    input.enumOf('EncryptionType', ['KMS']);
    store.setEncryption(stream, 'KMS', input.string('KeyId', { min: 1, max: 2048 }));
    return {};
  },

  StopStreamEncryption(store, input) {
    const stream = streamOf(input);
    input.enumOf('EncryptionType', ['KMS']);
    input.string('KeyId', { min: 1, max: 2048 });
    store.setEncryption(stream, 'NONE');
    return {};
  },

  EnableEnhancedMonitoring(store, input) {
    return monitoring(store, input, true);
  },

  DisableEnhancedMonitoring(store, input) {
    return monitoring(store, input, false);
  },

  DescribeLimits(store) {
    const counts = store.counts();
    return {
      ShardLimit: store.limits.maxStreams * MAX_KINESIS_SHARDS,
      OpenShardCount: counts.shards,
      OnDemandStreamCount: counts.onDemandStreams,
      OnDemandStreamCountLimit: store.limits.maxStreams,
    };
  },

  RegisterStreamConsumer(store, input) {
    const stream = streamOf(input);
    const consumer = store.registerConsumer(stream, input.string('ConsumerName', { min: 1, max: 128, pattern: CONSUMER_NAME, patternText: '[a-zA-Z0-9_.-]+' }));
    return { Consumer: consumerOutput(consumer) };
  },

  DescribeStreamConsumer(store, input) {
    const { stream, consumer, arnSeconds } = consumerOf(input);
    return { ConsumerDescription: consumerOutput(store.consumer(stream, consumer, arnSeconds), true) };
  },

  ListStreamConsumers(store, input) {
    const stream = streamOf(input);
    const maxResults = input.optInteger('MaxResults', 1, 10_000) ?? 100;
    input.optTimestamp('StreamCreationTimestamp');
    const token = input.optString('NextToken', { min: 1, max: 1048 });
    let after: string | undefined;
    if (token !== undefined) {
      const decoded = decodeToken(token);
      if (decoded?.stream !== stream || typeof decoded.after !== 'string' || decoded.serial !== store.serialOf(stream)) throw badToken();
      after = decoded.after;
    }
    const consumers = page(store.consumers(stream), (c) => c.name, after, maxResults);
    return {
      Consumers: consumers.items.map((c) => consumerOutput(c)),
      ...(consumers.more ? { NextToken: encodeToken({ stream, serial: store.serialOf(stream), after: consumers.items[consumers.items.length - 1].name }) } : {}),
    };
  },

  DeregisterStreamConsumer(store, input) {
    const { stream, consumer, arnSeconds } = consumerOf(input);
    store.deregisterConsumer(stream, consumer, arnSeconds);
    return {};
  },
};

function monitoring(store: StreamStore, input: Fields, enable: boolean): KinesisOutput {
  const stream = streamOf(input);
  const metrics = input.stringList('ShardLevelMetrics', 1, 7);
  metrics.forEach((m, i) => {
    if (!SHARD_LEVEL_METRICS.includes(m)) throw validationError(`shardLevelMetrics.${i + 1}.member`, `Member must satisfy enum value set: [${SHARD_LEVEL_METRICS.join(', ')}]`, m);
  });
  const { current, desired } = store.setShardLevelMetrics(stream, metrics, enable);
  return { StreamName: stream, StreamARN: store.arn(stream), CurrentShardLevelMetrics: current, DesiredShardLevelMetrics: desired };
}

/** The stream of a ResourceARN (TagResource and the like): tags are kept for streams only. */
function resourceStream(input: Fields): string {
  const arn = input.string('ResourceARN', { min: 1, max: 2048 });
  const stream = kinesisStreamNameOf(arn);
  if (stream === undefined || arn.includes('/consumer/')) throw new KinesisError('InvalidArgumentException', `esb keeps tags of streams only: ${shortText(arn)} is not a stream ARN (${DOCS}).`);
  return stream;
}
