// What a template's Lambda event source mappings share (SAM's SQS, DynamoDB and Kinesis events,
// AWS::Lambda::EventSourceMapping): whole-number settings, FunctionResponseTypes, FilterCriteria,
// and the settings DynamoDB and Kinesis stream mappings have alike (docs/agent.md "DynamoDB
// streams", docs/kinesis.md). Pure: values come in resolved.
import type { DynamoDBStreamEvent, KinesisStreamEvent, StreamFailureDestination } from '@esb/contracts';
import { destinationOf, flag, patternText, warnIfElsewhere, type DeliveryContext } from './delivery.js';
import { isRecord } from './resolver.js';

type Fail = Pick<DeliveryContext, 'fail'>;

/** A DynamoDB stream's ARN (what !GetAtt Table.StreamArn gives); group 1 is the table's name. */
export const DYNAMODB_STREAM_ARN = /^arn:aws[\w-]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\/.+$/;

/**
 * Where a mapping's properties are written, for errors and warnings: a prefix
 * (`Events.Clicks.Properties`; '' for a resource's own), or a function naming each property's
 * field (a pipe's, whose settings lie in several places: docs/pipes.md).
 */
export type MappingFields = string | ((f: string) => string);

/** The function naming each property's field. */
export function fieldsOf(fields: MappingFields): (f: string) => string {
  return typeof fields === 'function' ? fields : (f) => (fields ? `${fields}.${f}` : f);
}

/** A whole number setting of a mapping (a number or its text); undefined when absent. */
export function wholeSetting(ctx: Fail, id: string, field: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) ctx.fail(id, field, `must be a whole number from ${min} to ${max}`);
  return n;
}

/** FunctionResponseTypes of a mapping: `[ReportBatchItemFailures]` or empty. */
export function reportsBatchItemFailures(ctx: Fail, id: string, field: string, types: unknown): boolean {
  if (types === undefined) return false;
  if (!Array.isArray(types) || types.some((t) => t !== 'ReportBatchItemFailures')) ctx.fail(id, field, 'must be [ReportBatchItemFailures] or empty');
  return types.length > 0;
}

/** FilterCriteria.Filters[].Pattern of a mapping, each checked and kept as JSON text. */
export function filterPatterns(ctx: Fail, id: string, field: string, criteria: unknown): string[] | undefined {
  if (criteria === undefined) return undefined;
  const filters = isRecord(criteria) ? criteria.Filters : undefined;
  if (!Array.isArray(filters)) ctx.fail(id, `${field}.Filters`, 'must be a list of {Pattern: <JSON text>}');
  return filters.map((f, i) => patternText(ctx, id, `${field}.Filters[${i}].Pattern`, isRecord(f) ? f.Pattern : undefined));
}

/** The settings DynamoDB and Kinesis stream mappings share (KinesisStreamEvent has them alike). */
export type StreamSettings = Pick<
  DynamoDBStreamEvent,
  'batch_size' | 'batching_window_seconds' | 'maximum_retry_attempts' | 'maximum_record_age_seconds' | 'report_batch_item_failures' | 'bisect_batch_on_function_error' | 'on_failure' | 'filters' | 'enabled'
>;

/** What kind of stream a mapping reads, for its messages. */
export interface StreamKind {
  /** `a DynamoDB stream`, ... */
  label: string;
  /** Settings read but not applied: a warning names them. */
  unapplied: readonly string[];
  /** The doc a warning points at. */
  doc: string;
}

/**
 * The shared settings of a stream mapping (`at` makes a property's field) and its
 * StartingPosition (required); settings of `kind.unapplied` that are set are one warning.
 */
export function streamSettings(ctx: DeliveryContext, id: string, at: (f: string) => string, p: Record<string, unknown>, kind: StreamKind): { position: KinesisStreamEvent['starting_position']; settings: StreamSettings } {
  const position = p.StartingPosition;
  if (position !== 'TRIM_HORIZON' && position !== 'LATEST' && position !== 'AT_TIMESTAMP') ctx.fail(id, at('StartingPosition'), `must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (${kind.label} needs one)`);
  const whole = (f: string, min: number, max: number, fallback: number) => wholeSetting(ctx, id, at(f), p[f], min, max) ?? fallback;
  const settings: StreamSettings = {
    batch_size: whole('BatchSize', 1, 10_000, 100),
    batching_window_seconds: whole('MaximumBatchingWindowInSeconds', 0, 300, 0),
    maximum_retry_attempts: whole('MaximumRetryAttempts', -1, 10_000, -1),
    maximum_record_age_seconds: whole('MaximumRecordAgeInSeconds', -1, 604_800, -1),
    report_batch_item_failures: reportsBatchItemFailures(ctx, id, at('FunctionResponseTypes'), p.FunctionResponseTypes),
    bisect_batch_on_function_error: flag(ctx, id, at('BisectBatchOnFunctionError'), p.BisectBatchOnFunctionError) ?? false,
    enabled: p.Enabled !== false && p.Enabled !== 'false',
  };
  if (settings.maximum_record_age_seconds !== -1 && settings.maximum_record_age_seconds < 60) ctx.fail(id, at('MaximumRecordAgeInSeconds'), 'must be -1 or from 60 to 604800');
  const onFailure = failureDestination(ctx, id, at('DestinationConfig'), p.DestinationConfig);
  if (onFailure) settings.on_failure = onFailure;
  const filters = filterPatterns(ctx, id, at('FilterCriteria'), p.FilterCriteria);
  if (filters) settings.filters = filters;
  const unapplied = kind.unapplied.filter((f) => p[f] !== undefined && p[f] !== false);
  if (unapplied.length) ctx.warn(`${id}.${at(unapplied.join(', '))}: not applied by esb (${kind.doc})`);
  return { position, settings };
}

/** DestinationConfig of a stream mapping: OnFailure only, an SQS queue or an SNS topic. */
function failureDestination(ctx: DeliveryContext, id: string, field: string, config: unknown): StreamFailureDestination | undefined {
  if (config === undefined) return undefined;
  if (!isRecord(config)) ctx.fail(id, field, 'must be a map with OnFailure');
  const other = Object.keys(config).find((k) => k !== 'OnFailure');
  if (other !== undefined) ctx.fail(id, `${field}.${other}`, 'a stream mapping takes OnFailure only');
  const d = config.OnFailure;
  if (d === undefined) return undefined;
  if (!isRecord(d)) ctx.fail(id, `${field}.OnFailure`, 'must be a map with Destination (an SQS queue or SNS topic ARN)');
  const destination = destinationOf(ctx, id, `${field}.OnFailure`, d, ['SQS', 'SNS'] as const);
  if (destination.type === 'SQS') warnIfElsewhere(ctx, `${id}.${field}.OnFailure.Destination`, { queue: destination.target }, "the failed batches' details");
  return destination;
}
