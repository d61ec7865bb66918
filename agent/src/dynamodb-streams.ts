// DynamoDB streams of functions.yml (docs/agent.md, "DynamoDB streams"): the embedded DynamoDB
// server reports each change of an item in a table whose stream is on; the mappings of that
// table get it as Lambda's event source mapping reads a stream (stream-delivery.ts). A table's
// stream is one lane here: its records keep the order they were written in.
import { LOCAL_ACCOUNT_ID, type DynamoDBStreamEvent, type StreamRecord } from '@esb/contracts';
import type { StreamKind } from './stream-delivery.js';

/** The record as Lambda hands it to the function. */
export interface LambdaStreamRecord {
  eventID: string;
  eventName: StreamRecord['eventName'];
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: StreamRecord['dynamodb'];
  eventSourceARN: string;
  /** On a delete by time to live only: DynamoDB itself (a filter can pick these out). */
  userIdentity?: StreamRecord['userIdentity'];
}

export function lambdaStreamRecord(r: StreamRecord, region: string): LambdaStreamRecord {
  // The stream's ARN in the region and account esb reports everywhere (what !GetAtt T.StreamArn gives).
  const label = r.streamArn.slice(r.streamArn.lastIndexOf('/stream/') + 8);
  return {
    eventID: r.eventID,
    eventName: r.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: r.dynamodb,
    eventSourceARN: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${r.table}/stream/${label}`,
    ...(r.userIdentity ? { userIdentity: r.userIdentity } : {}),
  };
}

/** The one shard a table's stream is read as. */
const TABLE_SHARD = 'shardId-00000000000000000000-00000000';

export const dynamodbStreams: StreamKind<DynamoDBStreamEvent, StreamRecord, LambdaStreamRecord> = {
  label: 'DynamoDB stream',
  mappingOf: (event) => (event.type === 'dynamodb' ? (event as DynamoDBStreamEvent) : undefined),
  sourceOf: (event) => event.table,
  changeSource: (change) => change.table,
  toLambda: lambdaStreamRecord,
  laneOf: () => TABLE_SHARD,
  shardOfLane: (lane) => lane,
  sequenceOf: (record) => record.dynamodb.SequenceNumber,
  sizeOf: (change) => change.dynamodb.SizeBytes + 256,
  filterInput: (record) => record,
  streamArnOf: (record) => record.eventSourceARN,
  batchInfoKey: 'DDBStreamBatchInfo',
};
