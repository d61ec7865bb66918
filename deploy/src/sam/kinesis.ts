// Kinesis data streams of a template (docs/kinesis.md): AWS::Kinesis::Stream read into
// resources.yml `kinesis`, AWS::Kinesis::StreamConsumer (an ARN only: a mapping of a consumer
// reads the consumer's stream, enhanced fan-out being a delivery detail), and the mappings of
// functions reading a stream (SAM's `Type: Kinesis`, AWS::Lambda::EventSourceMapping). Pure:
// property values come in resolved.
import { KINESIS_STREAM_NAME, MAX_KINESIS_SHARDS, ON_DEMAND_SHARDS, kinesisStreamNameOf, type KinesisStream, type KinesisStreamEvent } from '@esb/contracts';
import type { DeliveryContext } from './delivery.js';
import { fieldsOf, streamSettings, wholeSetting, type MappingFields, type StreamKind } from './mappings.js';
import { isRecord } from './resolver.js';

export const KINESIS_STREAM_TYPE = 'AWS::Kinesis::Stream';
export const STREAM_CONSUMER_TYPE = 'AWS::Kinesis::StreamConsumer';
/** Stream properties with no local meaning: accepted without a word. */
const QUIET_STREAM_PROPERTIES = new Set(['StreamEncryption', 'Tags', 'DesiredShardLevelMetrics']);
const STREAM_PROPERTIES = new Set(['Name', 'ShardCount', 'StreamModeDetails', 'RetentionPeriodHours']);
/** The creation time a consumer's ARN ends with: Kinesis puts the real one there, any fixed one does here. */
const CONSUMER_CREATED = 1_700_000_000;
const KINESIS: StreamKind = { label: 'a Kinesis stream mapping', unapplied: ['TumblingWindowInSeconds', 'MetricsConfig', 'KmsKeyArn'], doc: 'docs/kinesis.md' };

export interface KinesisReadContext extends DeliveryContext {
  /** Whether an active AWS::Kinesis::Stream of the template has this name. */
  streamDeclared(name: string): boolean;
}

/** What `!Ref Consumer` and `!GetAtt Consumer.ConsumerARN` give. */
export function consumerArn(streamArn: string, consumerName: string): string {
  return `${streamArn}/consumer/${consumerName}:${CONSUMER_CREATED}`;
}

/** An AWS::Kinesis::Stream, its properties resolved; `name` is its Name (else the one esb makes). */
export function readKinesisStream(ctx: Pick<DeliveryContext, 'fail' | 'warn'>, id: string, props: Record<string, unknown>, name: string): KinesisStream {
  if (!KINESIS_STREAM_NAME.test(name)) ctx.fail(id, 'Name', `"${name}" is not a valid stream name (1-128 of letters, digits, "_", "." and "-")`);
  const stream: KinesisStream = { Name: name };
  const modeDetails = props.StreamModeDetails;
  let mode: string | undefined;
  if (modeDetails !== undefined) {
    mode = isRecord(modeDetails) ? (modeDetails.StreamMode as string | undefined) : undefined;
    if (mode !== 'PROVISIONED' && mode !== 'ON_DEMAND') ctx.fail(id, 'StreamModeDetails.StreamMode', `must be PROVISIONED or ON_DEMAND, not ${JSON.stringify(mode)}`);
    stream.StreamModeDetails = { StreamMode: mode };
  }
  const shards = wholeSetting(ctx, id, 'ShardCount', props.ShardCount, 1, MAX_KINESIS_SHARDS);
  if (shards !== undefined && mode === 'ON_DEMAND') ctx.warn(`${id}.ShardCount: an ON_DEMAND stream takes no ShardCount; it starts with ${ON_DEMAND_SHARDS} shards here (docs/kinesis.md)`);
  else if (shards !== undefined) stream.ShardCount = shards;
  else if (mode === 'PROVISIONED') ctx.fail(id, 'ShardCount', 'missing: a PROVISIONED stream needs one');
  const retention = wholeSetting(ctx, id, 'RetentionPeriodHours', props.RetentionPeriodHours, 24, 8760);
  if (retention !== undefined) stream.RetentionPeriodHours = retention;
  const unapplied = Object.keys(props).filter((k) => !STREAM_PROPERTIES.has(k) && !QUIET_STREAM_PROPERTIES.has(k));
  if (unapplied.length) ctx.warn(`${id}.${unapplied.join(', ')}: not applied by esb (docs/kinesis.md)`);
  return stream;
}

/** An AWS::Kinesis::StreamConsumer, its properties resolved: checked, nothing to run. */
export function readStreamConsumer(ctx: KinesisReadContext, id: string, props: Record<string, unknown>): void {
  const arn = props.StreamARN;
  const stream = typeof arn === 'string' && !arn.includes('/consumer/') ? kinesisStreamNameOf(arn) : undefined;
  if (stream === undefined) ctx.fail(id, 'StreamARN', `must be the ARN of a Kinesis stream (!GetAtt Stream.Arn), not ${JSON.stringify(arn)}`);
  if (typeof props.ConsumerName !== 'string' || !KINESIS_STREAM_NAME.test(props.ConsumerName)) ctx.fail(id, 'ConsumerName', `must be 1-128 of letters, digits, "_", "." and "-", not ${JSON.stringify(props.ConsumerName)}`);
  if (!ctx.streamDeclared(stream)) ctx.warn(`${id}.StreamARN: stream "${stream}" is not declared in this template; its consumers read it once a deployed template declares it`);
}

/**
 * A Kinesis mapping: SAM's `Type: Kinesis` event or an AWS::Lambda::EventSourceMapping
 * (`arnField`: Stream / EventSourceArn), of a stream or of a stream consumer; a pipe's source
 * too (docs/pipes.md).
 */
export function kinesisMapping(ctx: KinesisReadContext, id: string, fields: MappingFields, name: string, p: Record<string, unknown>, arnField: string): KinesisStreamEvent {
  const at = fieldsOf(fields);
  const arn = p[arnField];
  const stream = typeof arn === 'string' ? kinesisStreamNameOf(arn) : undefined;
  if (stream === undefined) ctx.fail(id, at(arnField), `must be the ARN of a Kinesis stream or stream consumer (!GetAtt Stream.Arn, !Ref Consumer), not ${JSON.stringify(arn)}`);
  if (!ctx.streamDeclared(stream)) ctx.warn(`${id}.${at(arnField)}: stream "${stream}" is not declared in this template; it is read once a deployed template declares it`);
  const { position, settings } = streamSettings(ctx, id, at, p, KINESIS);
  const e: KinesisStreamEvent = {
    type: 'kinesis',
    name,
    stream,
    starting_position: position,
    ...settings,
    parallelization_factor: wholeSetting(ctx, id, at('ParallelizationFactor'), p.ParallelizationFactor, 1, 10) ?? 1,
  };
  const timestamp = p.StartingPositionTimestamp;
  if (timestamp !== undefined) {
    if (position !== 'AT_TIMESTAMP') ctx.fail(id, at('StartingPositionTimestamp'), 'applies only with StartingPosition AT_TIMESTAMP');
    const seconds = typeof timestamp === 'string' && timestamp.trim() !== '' ? Number(timestamp) : timestamp;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) ctx.fail(id, at('StartingPositionTimestamp'), `must be a time in seconds since 1970, not ${JSON.stringify(timestamp)}`);
    e.starting_position_timestamp = seconds;
  } else if (position === 'AT_TIMESTAMP') ctx.fail(id, at('StartingPositionTimestamp'), 'missing: StartingPosition AT_TIMESTAMP reads from this time (seconds since 1970)');
  return e;
}
