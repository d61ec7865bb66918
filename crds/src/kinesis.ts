// The names of a Kinesis data stream in each form code meets them (docs/kinesis.md): a template's
// `!Ref Stream` is its name and `!GetAtt Stream.Arn` its ARN; the API takes either (StreamName
// or StreamARN). The API is served on the storage's SQS port (AWS JSON 1.1, X-Amz-Target
// `Kinesis_20131202.<Action>`).
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

export const KINESIS_TARGET_PREFIX = 'Kinesis_20131202.';
export const KINESIS_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** A stream name as Kinesis takes it: 1-128 letters, digits, `_`, `.` and `-`. */
export const KINESIS_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** Shards a stream may have here: each is an ordered queue of the agent's, a few are plenty locally. */
export const MAX_KINESIS_SHARDS = 64;

/** Shards of an ON_DEMAND stream (and of a stream created without ShardCount), as Kinesis starts one. */
export const ON_DEMAND_SHARDS = 4;

/** `arn:aws:kinesis:<region>:<account>:stream/<name>`: what a template's `!GetAtt Stream.Arn` gives. */
export function kinesisStreamArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${name}`;
}

/**
 * The stream a stream ARN or a stream consumer's ARN
 * (`arn:aws:kinesis:<region>:<account>:stream/<name>/consumer/<consumer>:<time>`) names;
 * undefined for anything else.
 */
export function kinesisStreamNameOf(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]*:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})(?:\/consumer\/[^/]+)?$/.exec(arn);
  return m?.[1];
}
