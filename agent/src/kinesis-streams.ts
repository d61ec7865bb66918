// Kinesis data streams of functions.yml (docs/kinesis.md): the storage reports each record put
// to a stream; the mappings of that stream get it as Lambda's event source mapping reads shards
// (stream-delivery.ts): each shard is a lane, or `parallelization_factor` lanes split by
// partition key, so records of one key keep their order.
import { KINESIS_CONTENT_TYPE, KINESIS_TARGET_PREFIX, kinesisStreamArn, LOCAL_ACCOUNT_ID, type KinesisRecord, type KinesisStreamEvent } from '@esb/contracts';
import type { StreamKind } from './stream-delivery.js';

/** The record as Lambda hands it to the function. */
export interface LambdaKinesisRecord {
  kinesis: {
    kinesisSchemaVersion: '1.0';
    partitionKey: string;
    sequenceNumber: string;
    data: string;
    approximateArrivalTimestamp: number;
  };
  eventSource: 'aws:kinesis';
  eventVersion: '1.0';
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

export function lambdaKinesisRecord(r: KinesisRecord, region: string): LambdaKinesisRecord {
  return {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: r.data, approximateArrivalTimestamp: r.approximateArrivalTimestamp },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${r.shardId}:${r.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/esb-function`,
    awsRegion: region,
    eventSourceARN: kinesisStreamArn(r.stream, region),
  };
}

/**
 * What FilterCriteria see, as Lambda filters Kinesis records: `data` decoded and parsed when it
 * is JSON, else left as it is (a pattern on its fields then takes nothing).
 */
function filterInput(record: LambdaKinesisRecord): unknown {
  const text = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return record.kinesis;
  try {
    return { ...record.kinesis, data: JSON.parse(text) };
  } catch {
    return record.kinesis;
  }
}

/** FNV-1a: spreads partition keys over a shard's lanes, the same key always to the same lane. */
function laneHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const LANE_SEPARATOR = '#';

export const kinesisStreams: StreamKind<KinesisStreamEvent, KinesisRecord, LambdaKinesisRecord> = {
  label: 'Kinesis stream',
  mappingOf: (event) => (event.type === 'kinesis' ? (event as KinesisStreamEvent) : undefined),
  sourceOf: (event) => event.stream,
  changeSource: (change) => change.stream,
  toLambda: lambdaKinesisRecord,
  laneOf: (change, event) => (event.parallelization_factor > 1 ? `${change.shardId}${LANE_SEPARATOR}${laneHash(change.partitionKey) % event.parallelization_factor}` : change.shardId),
  shardOfLane: (lane) => lane.split(LANE_SEPARATOR)[0],
  sequenceOf: (record) => record.kinesis.sequenceNumber,
  sizeOf: (change) => change.data.length + change.partitionKey.length + 384,
  filterInput,
  streamArnOf: (record) => record.eventSourceARN,
  batchInfoKey: 'KinesisBatchInfo',
};

/**
 * PutRecord on a Kinesis endpoint (the storage's SQS port), for targets that put records: a
 * rule's Kinesis stream. Rejects with Kinesis's error message.
 */
export function createKinesisPutter(endpoint: string): (stream: string, data: string, partitionKey: string) => Promise<void> {
  return async (stream, data, partitionKey) => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': KINESIS_CONTENT_TYPE, 'x-amz-target': `${KINESIS_TARGET_PREFIX}PutRecord` },
      body: JSON.stringify({ StreamName: stream, PartitionKey: partitionKey, Data: Buffer.from(data).toString('base64') }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(((JSON.parse(text || '{}') as { message?: string }).message ?? text) || `status ${res.status}`);
  };
}
