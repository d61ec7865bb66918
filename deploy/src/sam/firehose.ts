// Firehose delivery streams of a template (docs/firehose.md): AWS::KinesisFirehose::DeliveryStream
// to Amazon S3 (ExtendedS3DestinationConfiguration or S3DestinationConfiguration) or to an HTTP
// endpoint (HttpEndpointDestinationConfiguration, its failures to S3), fed directly
// (PutRecord, PutRecordBatch, SNS) or by a Kinesis stream, read into functions.yml
// `delivery_streams`. Other destinations and sources are a warning, and the stream is not run.
// Pure: property values come in resolved.
import { DELIVERY_STREAM_NAME, FirehosePrefixError, firehoseObjectNames, kinesisStreamNameOf, type DeliveryStream } from '@esb/contracts';
import { flag, functionOfArn, warnIfElsewhere, type DeliveryContext } from './delivery.js';
import { wholeSetting } from './mappings.js';
import { isRecord } from './resolver.js';

export const DELIVERY_STREAM_TYPE = 'AWS::KinesisFirehose::DeliveryStream';
const DOC = 'docs/firehose.md';
const S3_DESTINATIONS = ['ExtendedS3DestinationConfiguration', 'S3DestinationConfiguration'] as const;
/** Destinations Firehose has and esb does not deliver to. */
const OTHER_DESTINATIONS = [
  'AmazonopensearchserviceDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'RedshiftDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'SnowflakeDestinationConfiguration',
  'IcebergDestinationConfiguration',
];
const SOURCE_TYPES = ['DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource'];
/** Top-level properties read, or with no local meaning (encryption, tags, throughput hints). */
const HTTP_DESTINATION = 'HttpEndpointDestinationConfiguration';
/** HTTP endpoint destination properties read, or with no local meaning. */
const HTTP_PROPERTIES = new Set(['EndpointConfiguration', 'RequestConfiguration', 'RetryOptions', 'S3BackupMode', 'S3Configuration', 'BufferingHints', 'ProcessingConfiguration', 'RoleARN', 'CloudWatchLoggingOptions', 'SecretsManagerConfiguration']);
const STREAM_PROPERTIES = new Set(['DeliveryStreamName', 'DeliveryStreamType', 'KinesisStreamSourceConfiguration', ...S3_DESTINATIONS, HTTP_DESTINATION, ...OTHER_DESTINATIONS, 'MSKSourceConfiguration', 'DatabaseSourceConfiguration', 'DeliveryStreamEncryptionConfigurationInput', 'DirectPutSourceConfiguration', 'Tags']);
/** S3 destination properties read, or with no local meaning (roles, encryption, logging). */
const DESTINATION_PROPERTIES = new Set(['BucketARN', 'Prefix', 'ErrorOutputPrefix', 'BufferingHints', 'CompressionFormat', 'FileExtension', 'CustomTimeZone', 'ProcessingConfiguration', 'RoleARN', 'EncryptionConfiguration', 'CloudWatchLoggingOptions', 'DataFormatConversionConfiguration', 'DynamicPartitioningConfiguration', 'S3BackupMode', 'S3BackupConfiguration']);
const BUCKET_ARN = /^arn:aws[\w-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const FILE_EXTENSION = /^$|^\.[0-9a-z!\-_.*'()]+$/;
/** Compressions Firehose has that esb writes uncompressed. */
const UNCOMPRESSED_HERE = ['ZIP', 'Snappy', 'HADOOP_SNAPPY'];

export interface FirehoseReadContext extends DeliveryContext {
  /** Whether an active AWS::Kinesis::Stream of the template has this name. */
  streamDeclared(name: string): boolean;
  /** Whether an active AWS::S3::Bucket of the template has this name. */
  bucketDeclared(name: string): boolean;
}

/**
 * An AWS::KinesisFirehose::DeliveryStream, its properties resolved; `name` is its
 * DeliveryStreamName (else the one esb makes). Undefined, with a warning, when esb does not run it.
 */
export function readDeliveryStream(ctx: FirehoseReadContext, id: string, props: Record<string, unknown>, name: string): DeliveryStream | undefined {
  if (!DELIVERY_STREAM_NAME.test(name)) ctx.fail(id, 'DeliveryStreamName', `"${name}" is not a valid delivery stream name (1-64 of letters, digits, "_", "." and "-")`);
  const notRun = (field: string, what: string): undefined => {
    ctx.warn(`${id}.${field}: ${what}; this delivery stream is not run (${DOC})`);
    return undefined;
  };

  const type = props.DeliveryStreamType ?? 'DirectPut';
  if (typeof type !== 'string' || !SOURCE_TYPES.includes(type)) ctx.fail(id, 'DeliveryStreamType', `must be one of ${SOURCE_TYPES.join(', ')}, not ${JSON.stringify(type)}`);
  if (type === 'MSKAsSource' || type === 'DatabaseAsSource') return notRun('DeliveryStreamType', `${type} delivery streams are not emulated; esb runs DirectPut and KinesisStreamAsSource`);
  let source: DeliveryStream['source'] = { type: 'direct' };
  const kinesis = props.KinesisStreamSourceConfiguration;
  if (type === 'KinesisStreamAsSource') {
    const arn = isRecord(kinesis) ? kinesis.KinesisStreamARN : undefined;
    const stream = typeof arn === 'string' && !arn.includes('/consumer/') ? kinesisStreamNameOf(arn) : undefined;
    if (stream === undefined) ctx.fail(id, 'KinesisStreamSourceConfiguration.KinesisStreamARN', `must be the ARN of a Kinesis stream (!GetAtt Stream.Arn), not ${JSON.stringify(arn)}`);
    if (!ctx.streamDeclared(stream)) ctx.warn(`${id}.KinesisStreamSourceConfiguration.KinesisStreamARN: stream "${stream}" is not declared in this template; its records are delivered once a deployed template declares it`);
    source = { type: 'kinesis', stream };
  } else if (kinesis !== undefined) ctx.fail(id, 'KinesisStreamSourceConfiguration', 'applies only to DeliveryStreamType KinesisStreamAsSource');

  const other = OTHER_DESTINATIONS.find((d) => props[d] !== undefined);
  if (other !== undefined) return notRun(other, 'esb delivers to Amazon S3 (ExtendedS3DestinationConfiguration, S3DestinationConfiguration) and HTTP endpoints (HttpEndpointDestinationConfiguration) only');
  const given = [...S3_DESTINATIONS, HTTP_DESTINATION].filter((d) => props[d] !== undefined);
  if (given.length > 1) ctx.fail(id, given[1], `a delivery stream has one destination; ${given[0]} is given too`);
  if (given.length === 0) return notRun('ExtendedS3DestinationConfiguration', 'missing: the delivery stream has no destination');
  if (given[0] === HTTP_DESTINATION) return readHttpDestination(ctx, id, props, name, source);
  const field = given[0];
  const d = props[field];
  if (!isRecord(d)) ctx.fail(id, field, 'must be a map with BucketARN');
  const at = (f: string) => `${field}.${f}`;

  const bucketArn = d.BucketARN;
  const bucket = typeof bucketArn === 'string' ? BUCKET_ARN.exec(bucketArn)?.[1] : undefined;
  if (bucket === undefined) ctx.fail(id, at('BucketARN'), `must be the ARN of an S3 bucket (!GetAtt Bucket.Arn), not ${JSON.stringify(bucketArn)}`);
  if (!ctx.bucketDeclared(bucket)) ctx.warn(`${id}.${at('BucketARN')}: bucket "${bucket}" is not declared in this template; objects are written to it once it exists`);

  const text = (f: string): string | undefined => {
    const v = d[f];
    if (v !== undefined && typeof v !== 'string') ctx.fail(id, at(f), `must be a string, not ${JSON.stringify(v)}`);
    return v;
  };
  const prefix = text('Prefix') ?? '';
  const errorOutputPrefix = text('ErrorOutputPrefix');
  let partitioned: boolean;
  try {
    partitioned = firehoseObjectNames(prefix, errorOutputPrefix).partitioned;
  } catch (err) {
    if (!(err instanceof FirehosePrefixError)) throw err;
    ctx.fail(id, at((err as FirehosePrefixError & { field?: string }).field ?? 'Prefix'), err.message);
  }
  const dynamic = isRecord(d.DynamicPartitioningConfiguration) && flag(ctx, id, at('DynamicPartitioningConfiguration.Enabled'), d.DynamicPartitioningConfiguration.Enabled) === true;
  if (dynamic || partitioned) return notRun(dynamic ? at('DynamicPartitioningConfiguration') : at('Prefix'), 'dynamic partitioning (partitionKeyFromQuery, partitionKeyFromLambda) is not emulated');

  const destination: DeliveryStream['destination'] = { bucket, prefix, buffer_seconds: 300, buffer_mb: 5, compression: 'UNCOMPRESSED' };
  if (errorOutputPrefix !== undefined && errorOutputPrefix !== '') destination.error_output_prefix = errorOutputPrefix;
  const hints = d.BufferingHints;
  if (hints !== undefined) {
    if (!isRecord(hints)) ctx.fail(id, at('BufferingHints'), 'must be a map with IntervalInSeconds and SizeInMBs');
    destination.buffer_seconds = wholeSetting(ctx, id, at('BufferingHints.IntervalInSeconds'), hints.IntervalInSeconds, 0, 900) ?? 300;
    destination.buffer_mb = wholeSetting(ctx, id, at('BufferingHints.SizeInMBs'), hints.SizeInMBs, 1, 128) ?? 5;
  }
  const compression = d.CompressionFormat;
  if (compression === 'GZIP') destination.compression = 'GZIP';
  else if (typeof compression === 'string' && UNCOMPRESSED_HERE.includes(compression)) ctx.warn(`${id}.${at('CompressionFormat')}: ${compression} is not applied; objects are written uncompressed (${DOC})`);
  else if (compression !== undefined && compression !== 'UNCOMPRESSED') ctx.fail(id, at('CompressionFormat'), `must be one of UNCOMPRESSED, GZIP, ${UNCOMPRESSED_HERE.join(', ')}, not ${JSON.stringify(compression)}`);
  const extension = text('FileExtension');
  if (extension !== undefined) {
    if (!FILE_EXTENSION.test(extension)) ctx.fail(id, at('FileExtension'), `must be empty or "." and lower-case letters, digits or !-_.*'(), not ${JSON.stringify(extension)}`);
    destination.file_extension = extension;
  }
  const zone = d.CustomTimeZone;
  if (zone !== undefined && zone !== 'UTC') ctx.warn(`${id}.${at('CustomTimeZone')}: not applied; object names use UTC (${DOC})`);

  const processor = readProcessing(ctx, id, at('ProcessingConfiguration'), d.ProcessingConfiguration);
  if (processor) destination.processor = processor;

  const unapplied: string[] = [];
  if (isRecord(d.DataFormatConversionConfiguration) && d.DataFormatConversionConfiguration.Enabled !== false && d.DataFormatConversionConfiguration.Enabled !== 'false') unapplied.push(at('DataFormatConversionConfiguration'));
  const backup = readBackup(ctx, id, at, d.S3BackupMode, d.S3BackupConfiguration);
  if (backup) destination.backup = backup;
  unapplied.push(...Object.keys(d).filter((k) => !DESTINATION_PROPERTIES.has(k)).map(at));
  unapplied.push(...Object.keys(props).filter((k) => !STREAM_PROPERTIES.has(k)));
  if (unapplied.length) ctx.warn(`${id}.${unapplied.join(', ')}: not applied by esb; records are written as they come (${DOC})`);
  return { name, source, destination };
}

/**
 * HttpEndpointDestinationConfiguration (docs/firehose.md "HTTP endpoints"): the endpoint's Url and
 * AccessKey, the request's ContentEncoding and CommonAttributes, RetryOptions, and the
 * S3Configuration bucket that gets what the endpoint did not take (every record with AllData).
 */
function readHttpDestination(ctx: FirehoseReadContext, id: string, props: Record<string, unknown>, name: string, source: DeliveryStream['source']): DeliveryStream {
  const d = props[HTTP_DESTINATION];
  const at = (f: string) => `${HTTP_DESTINATION}.${f}`;
  if (!isRecord(d)) return ctx.fail(id, HTTP_DESTINATION, 'must be a map with EndpointConfiguration and S3Configuration');
  const endpoint = isRecord(d.EndpointConfiguration) ? d.EndpointConfiguration : undefined;
  const url = endpoint?.Url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return ctx.fail(id, at('EndpointConfiguration.Url'), `must be the endpoint's http(s) URL, not ${JSON.stringify(url)}`);
  const http: NonNullable<DeliveryStream['destination']['http']> = { url, gzip: false, common_attributes: {}, retry_seconds: 300, backup_all: false };
  if (typeof endpoint?.AccessKey === 'string') http.access_key = endpoint.AccessKey;
  const request = isRecord(d.RequestConfiguration) ? d.RequestConfiguration : {};
  if (request.ContentEncoding !== undefined && request.ContentEncoding !== 'NONE' && request.ContentEncoding !== 'GZIP') ctx.fail(id, at('RequestConfiguration.ContentEncoding'), `must be NONE or GZIP, not ${JSON.stringify(request.ContentEncoding)}`);
  http.gzip = request.ContentEncoding === 'GZIP';
  for (const [i, a] of (Array.isArray(request.CommonAttributes) ? request.CommonAttributes : []).entries()) {
    if (!isRecord(a) || typeof a.AttributeName !== 'string' || typeof a.AttributeValue !== 'string') ctx.fail(id, at(`RequestConfiguration.CommonAttributes[${i}]`), 'must be {AttributeName, AttributeValue}');
    http.common_attributes[a.AttributeName as string] = a.AttributeValue as string;
  }
  if (isRecord(d.RetryOptions)) http.retry_seconds = wholeSetting(ctx, id, at('RetryOptions.DurationInSeconds'), d.RetryOptions.DurationInSeconds, 0, 7200) ?? 300;
  if (d.S3BackupMode !== undefined && d.S3BackupMode !== 'FailedDataOnly' && d.S3BackupMode !== 'AllData') ctx.fail(id, at('S3BackupMode'), `must be FailedDataOnly or AllData, not ${JSON.stringify(d.S3BackupMode)}`);
  http.backup_all = d.S3BackupMode === 'AllData';
  const s3 = d.S3Configuration;
  if (!isRecord(s3)) return ctx.fail(id, at('S3Configuration'), 'is required: the bucket that gets what the endpoint does not take (a map with BucketARN)');
  const bucket = typeof s3.BucketARN === 'string' ? BUCKET_ARN.exec(s3.BucketARN)?.[1] : undefined;
  if (bucket === undefined) return ctx.fail(id, at('S3Configuration.BucketARN'), `must be the ARN of an S3 bucket (!GetAtt Bucket.Arn), not ${JSON.stringify(s3.BucketARN)}`);
  if (!ctx.bucketDeclared(bucket)) ctx.warn(`${id}.${at('S3Configuration.BucketARN')}: bucket "${bucket}" is not declared in this template; objects are written to it once it exists`);
  const destination: DeliveryStream['destination'] = { bucket, prefix: typeof s3.Prefix === 'string' ? s3.Prefix : '', buffer_seconds: 300, buffer_mb: 5, compression: s3.CompressionFormat === 'GZIP' ? 'GZIP' : 'UNCOMPRESSED', http };
  if (typeof s3.ErrorOutputPrefix === 'string' && s3.ErrorOutputPrefix !== '') destination.error_output_prefix = s3.ErrorOutputPrefix;
  try {
    firehoseObjectNames(destination.prefix, destination.error_output_prefix);
  } catch (err) {
    if (!(err instanceof FirehosePrefixError)) throw err;
    ctx.fail(id, at('S3Configuration.Prefix'), err.message);
  }
  if (isRecord(d.BufferingHints)) {
    destination.buffer_seconds = wholeSetting(ctx, id, at('BufferingHints.IntervalInSeconds'), d.BufferingHints.IntervalInSeconds, 0, 900) ?? 300;
    destination.buffer_mb = wholeSetting(ctx, id, at('BufferingHints.SizeInMBs'), d.BufferingHints.SizeInMBs, 1, 128) ?? 5;
  }
  const processor = readProcessing(ctx, id, at('ProcessingConfiguration'), d.ProcessingConfiguration);
  if (processor) destination.processor = processor;
  const unapplied = [...Object.keys(d).filter((k) => !HTTP_PROPERTIES.has(k)).map(at), ...Object.keys(props).filter((k) => !STREAM_PROPERTIES.has(k))];
  if (unapplied.length) ctx.warn(`${id}.${unapplied.join(', ')}: not applied by esb; records are written as they come (${DOC})`);
  return { name, source, destination };
}

/** S3BackupMode Enabled with its S3BackupConfiguration (BucketARN, Prefix, CompressionFormat): where the source records are kept too. */
function readBackup(ctx: FirehoseReadContext, id: string, at: (f: string) => string, mode: unknown, config: unknown): DeliveryStream['destination']['backup'] {
  if (mode === undefined || mode === 'Disabled') return undefined;
  if (mode !== 'Enabled') ctx.fail(id, at('S3BackupMode'), `must be Disabled or Enabled, not ${JSON.stringify(mode)}`);
  if (!isRecord(config)) return ctx.fail(id, at('S3BackupConfiguration'), 'is required with S3BackupMode Enabled: a map with BucketARN');
  const bucket = typeof config.BucketARN === 'string' ? BUCKET_ARN.exec(config.BucketARN)?.[1] : undefined;
  if (bucket === undefined) return ctx.fail(id, at('S3BackupConfiguration.BucketARN'), `must be the ARN of an S3 bucket (!GetAtt Bucket.Arn), not ${JSON.stringify(config.BucketARN)}`);
  if (!ctx.bucketDeclared(bucket)) ctx.warn(`${id}.${at('S3BackupConfiguration.BucketARN')}: bucket "${bucket}" is not declared in this template; objects are written to it once it exists`);
  const prefix = config.Prefix === undefined ? '' : String(config.Prefix);
  try {
    firehoseObjectNames(prefix, undefined);
  } catch (err) {
    if (!(err instanceof FirehosePrefixError)) throw err;
    ctx.fail(id, at('S3BackupConfiguration.Prefix'), err.message);
  }
  return { bucket, prefix, compression: config.CompressionFormat === 'GZIP' ? 'GZIP' : 'UNCOMPRESSED' };
}

/** ProcessingConfiguration: the Lambda processor (one), its retries and buffer size; other processors are warned about. */
function readProcessing(ctx: FirehoseReadContext, id: string, field: string, pc: unknown): DeliveryStream['destination']['processor'] {
  if (pc === undefined) return undefined;
  if (!isRecord(pc)) ctx.fail(id, field, 'must be a map with Enabled and Processors');
  if (flag(ctx, id, `${field}.Enabled`, pc.Enabled) === false) return undefined;
  const processors = pc.Processors ?? [];
  if (!Array.isArray(processors)) ctx.fail(id, `${field}.Processors`, 'must be a list of {Type, Parameters}');
  let out: DeliveryStream['destination']['processor'];
  for (const [i, p] of processors.entries()) {
    const at = `${field}.Processors[${i}]`;
    if (!isRecord(p)) ctx.fail(id, at, 'must be a map with Type and Parameters');
    if (p.Type !== 'Lambda') {
      ctx.warn(`${id}.${at}: a ${String(p.Type)} processor is not applied; records pass it unchanged (${DOC})`);
      continue;
    }
    if (out) ctx.fail(id, `${at}.Type`, 'a delivery stream has one Lambda processor');
    const params = p.Parameters ?? [];
    if (!Array.isArray(params)) ctx.fail(id, `${at}.Parameters`, 'must be a list of {ParameterName, ParameterValue}');
    const values = new Map<string, { value: unknown; at: string }>();
    for (const [j, param] of params.entries()) {
      if (!isRecord(param) || typeof param.ParameterName !== 'string') ctx.fail(id, `${at}.Parameters[${j}]`, 'must be a map with ParameterName and ParameterValue');
      values.set(param.ParameterName, { value: param.ParameterValue, at: `${at}.Parameters[${j}].ParameterValue` });
    }
    const arn = values.get('LambdaArn');
    const fn = typeof arn?.value === 'string' ? functionOfArn(arn.value) : undefined;
    if (fn === undefined) ctx.fail(id, arn?.at ?? `${at}.Parameters`, `LambdaArn must be the ARN of a function (!GetAtt Function.Arn), not ${JSON.stringify(arn?.value)}`);
    warnIfElsewhere(ctx, `${id}.${arn!.at}`, { function: fn }, 'records');
    out = { function: fn, retries: 3, buffer_mb: 1 };
    const retries = values.get('NumberOfRetries');
    if (retries) out.retries = wholeSetting(ctx, id, retries.at, retries.value, 0, 300) ?? 3;
    const size = values.get('BufferSizeInMBs');
    if (size) {
      const n = typeof size.value === 'string' && size.value.trim() !== '' ? Number(size.value) : size.value;
      if (typeof n !== 'number' || !(n >= 0.2 && n <= 3)) ctx.fail(id, size.at, 'must be a number from 0.2 to 3');
      out.buffer_mb = n;
    }
    const ignored = [...values.keys()].filter((k) => !['LambdaArn', 'NumberOfRetries', 'BufferSizeInMBs', 'RoleArn'].includes(k));
    if (ignored.length) ctx.warn(`${id}.${at}.Parameters (${ignored.join(', ')}): not applied; the function gets each batch as it is written (${DOC})`);
  }
  return out;
}
