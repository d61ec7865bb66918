// AWS::KinesisFirehose::DeliveryStream read into functions.yml `delivery_streams` (docs/firehose.md):
// each field, each warning and error naming the resource and the field, SNS subscriptions of
// protocol firehose, and the shapes of the public serverless-patterns apps.
import { describe, expect, it } from 'vitest';
import { firehoseObjectNames } from '@esb/contracts';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const BASE = `
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: sink}
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {Name: clicks, ShardCount: 1}
  Transform:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: transform, Runtime: nodejs20.x, Handler: index.handler, CodeUri: src/}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: orders}
`;

const parse = (resources: string) => parseSamTemplate(`Transform: AWS::Serverless-2016-10-31\nResources:${BASE}${resources}`, { file: 't.yml', stackName: 's' });
const stream = (props: string, extra = '') => parse(`  Hose:\n    Type: AWS::KinesisFirehose::DeliveryStream\n    Properties:\n${props.replace(/^/gm, '      ')}\n${extra}`);
const failure = (props: string) => {
  const err = templateErrorOf(() => stream(props));
  return [err.logicalId, err.field, err.reason];
};
const S3 = 'ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn}';

describe('delivery streams of a template', () => {
  it('reads a DirectPut stream to S3 with its defaults; !Ref is the name, !GetAtt .Arn the ARN; the name defaults to <stack>-<LogicalId>', () => {
    const m = stream(S3, `  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: nodejs20.x, Handler: a.h, CodeUri: src/, Environment: {Variables: {NAME: !Ref Hose, ARN: !GetAtt Hose.Arn}}, Events: {A: {Type: Api, Properties: {Path: /a, Method: get}}}}`);
    expect(m.deliveryStreams).toEqual([{ name: 's-Hose', source: { type: 'direct' }, destination: { bucket: 'sink', prefix: '', buffer_seconds: 300, buffer_mb: 5, compression: 'UNCOMPRESSED' } }]);
    expect(m.functions.find((f) => f.logicalId === 'Fn')!.environment).toEqual({ NAME: 's-Hose', ARN: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s-Hose' });
    expect(m.warnings).toEqual([]);
  });

  it('reads every field it applies: name, Kinesis source, prefixes, buffering hints, compression, file extension, the Lambda processor', () => {
    const m = stream(`DeliveryStreamName: clicks-to-s3
DeliveryStreamType: KinesisStreamAsSource
KinesisStreamSourceConfiguration: {KinesisStreamARN: !GetAtt Clicks.Arn, RoleARN: arn:aws:iam::123456789012:role/r}
ExtendedS3DestinationConfiguration:
  BucketARN: !GetAtt Bucket.Arn
  Prefix: "raw/!{timestamp:yyyy-MM-dd}/"
  ErrorOutputPrefix: "errors/!{firehose:error-output-type}/"
  BufferingHints: {IntervalInSeconds: 0, SizeInMBs: 128}
  CompressionFormat: GZIP
  FileExtension: .json.gz
  CustomTimeZone: UTC
  RoleARN: arn:aws:iam::123456789012:role/r
  EncryptionConfiguration: {NoEncryptionConfig: NoEncryption}
  CloudWatchLoggingOptions: {Enabled: true}
  S3BackupMode: Disabled
  ProcessingConfiguration:
    Enabled: true
    Processors:
      - Type: Lambda
        Parameters:
          - {ParameterName: LambdaArn, ParameterValue: !GetAtt Transform.Arn}
          - {ParameterName: NumberOfRetries, ParameterValue: "5"}
          - {ParameterName: BufferSizeInMBs, ParameterValue: "0.5"}
          - {ParameterName: RoleArn, ParameterValue: arn:aws:iam::123456789012:role/r}`);
    expect(m.deliveryStreams).toEqual([
      {
        name: 'clicks-to-s3',
        source: { type: 'kinesis', stream: 'clicks' },
        destination: { bucket: 'sink', prefix: 'raw/!{timestamp:yyyy-MM-dd}/', error_output_prefix: 'errors/!{firehose:error-output-type}/', buffer_seconds: 0, buffer_mb: 128, compression: 'GZIP', file_extension: '.json.gz', processor: { function: 'transform', retries: 5, buffer_mb: 0.5 } },
      },
    ]);
    // The processor is reached by the stream: no UNREACHABLE or NO ROUTES warning.
    expect(m.warnings).toEqual([]);
  });

  it('reads S3DestinationConfiguration as the plain S3 destination', () => {
    const m = stream('S3DestinationConfiguration: {BucketARN: "arn:aws:s3:::sink", Prefix: logs/, BufferingHints: {IntervalInSeconds: 60, SizeInMBs: 1}}');
    expect(m.deliveryStreams[0].destination).toEqual({ bucket: 'sink', prefix: 'logs/', buffer_seconds: 60, buffer_mb: 1, compression: 'UNCOMPRESSED' });
  });

  it('warns, naming the field, of destinations and sources it does not run, and leaves the stream out', () => {
    const other = stream(`DeliveryStreamName: search
AmazonOpenSearchServerlessDestinationConfiguration:
  IndexName: i
  S3Configuration: {BucketARN: !GetAtt Bucket.Arn}`);
    expect(other.deliveryStreams).toEqual([]);
    expect(other.warnings).toEqual(['Hose.AmazonOpenSearchServerlessDestinationConfiguration: esb delivers to Amazon S3 (ExtendedS3DestinationConfiguration, S3DestinationConfiguration) and HTTP endpoints (HttpEndpointDestinationConfiguration) only; this delivery stream is not run (docs/firehose.md)']);
    for (const field of ['RedshiftDestinationConfiguration', 'SplunkDestinationConfiguration', 'SnowflakeDestinationConfiguration', 'IcebergDestinationConfiguration', 'AmazonopensearchserviceDestinationConfiguration']) {
      expect(stream(`${field}: {}`).warnings).toEqual([expect.stringMatching(new RegExp(`^Hose\\.${field}: esb delivers to Amazon S3 .* only; .*docs/firehose\\.md\\)$`))]);
    }
    expect(stream(`DeliveryStreamType: MSKAsSource\n${S3}`).warnings).toEqual(['Hose.DeliveryStreamType: MSKAsSource delivery streams are not emulated; esb runs DirectPut and KinesisStreamAsSource; this delivery stream is not run (docs/firehose.md)']);
    expect(stream('DeliveryStreamName: bare').warnings).toEqual(['Hose.ExtendedS3DestinationConfiguration: missing: the delivery stream has no destination; this delivery stream is not run (docs/firehose.md)']);
    const dynamic = stream('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: "k=!{partitionKeyFromQuery:id}/", ErrorOutputPrefix: "e/!{firehose:error-output-type}/", DynamicPartitioningConfiguration: {Enabled: false}}');
    expect(dynamic.warnings).toEqual(['Hose.ExtendedS3DestinationConfiguration.Prefix: dynamic partitioning (partitionKeyFromQuery, partitionKeyFromLambda) is not emulated; this delivery stream is not run (docs/firehose.md)']);
    expect(stream('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, DynamicPartitioningConfiguration: {Enabled: true}}').warnings).toEqual([expect.stringContaining('Hose.ExtendedS3DestinationConfiguration.DynamicPartitioningConfiguration: dynamic partitioning')]);
  });

  it('warns of what it reads but does not apply, naming the fields; the stream still runs', () => {
    const m = stream(`ExtendedS3DestinationConfiguration:
  BucketARN: !GetAtt Bucket.Arn
  CompressionFormat: Snappy
  CustomTimeZone: Asia/Tokyo
  DataFormatConversionConfiguration: {Enabled: true}
  ProcessingConfiguration:
    Processors:
      - {Type: AppendDelimiterToRecord, Parameters: []}
      - Type: Lambda
        Parameters:
          - {ParameterName: LambdaArn, ParameterValue: !GetAtt Transform.Arn}
          - {ParameterName: BufferIntervalInSeconds, ParameterValue: "60"}
  Mystery: 1
Tags: [{Key: a, Value: b}]
Extra: 2`);
    expect(m.deliveryStreams).toHaveLength(1);
    expect(m.deliveryStreams[0].destination).toMatchObject({ compression: 'UNCOMPRESSED', processor: { function: 'transform', retries: 3, buffer_mb: 1 } });
    expect(m.warnings).toEqual([
      'Hose.ExtendedS3DestinationConfiguration.CompressionFormat: Snappy is not applied; objects are written uncompressed (docs/firehose.md)',
      'Hose.ExtendedS3DestinationConfiguration.CustomTimeZone: not applied; object names use UTC (docs/firehose.md)',
      'Hose.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0]: a AppendDelimiterToRecord processor is not applied; records pass it unchanged (docs/firehose.md)',
      'Hose.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[1].Parameters (BufferIntervalInSeconds): not applied; the function gets each batch as it is written (docs/firehose.md)',
      'Hose.ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration, ExtendedS3DestinationConfiguration.Mystery, Extra: not applied by esb; records are written as they come (docs/firehose.md)',
    ]);
  });

  it('reads an HTTP endpoint destination: Url, AccessKey, ContentEncoding, CommonAttributes, RetryOptions, and the S3Configuration that gets what it does not take; the Url and S3Configuration are required', () => {
    const m = stream(`HttpEndpointDestinationConfiguration:
  EndpointConfiguration: {Url: "https://api.example.test/ingest", Name: partner, AccessKey: k-1}
  RequestConfiguration: {ContentEncoding: GZIP, CommonAttributes: [{AttributeName: env, AttributeValue: dev}]}
  RetryOptions: {DurationInSeconds: 60}
  BufferingHints: {IntervalInSeconds: 5, SizeInMBs: 1}
  S3BackupMode: AllData
  RoleARN: arn:aws:iam::123456789012:role/r
  S3Configuration: {BucketARN: !GetAtt Bucket.Arn, Prefix: failed/, RoleARN: arn:aws:iam::123456789012:role/r}`);
    expect(m.deliveryStreams[0].destination).toMatchObject({ prefix: 'failed/', buffer_seconds: 5, buffer_mb: 1, http: { url: 'https://api.example.test/ingest', access_key: 'k-1', gzip: true, common_attributes: { env: 'dev' }, retry_seconds: 60, backup_all: true } });
    expect(m.warnings).toEqual([]);
    const noUrl = templateErrorOf(() => stream('HttpEndpointDestinationConfiguration: {EndpointConfiguration: {}, S3Configuration: {BucketARN: !GetAtt Bucket.Arn}}'));
    expect(noUrl.field).toBe('HttpEndpointDestinationConfiguration.EndpointConfiguration.Url');
    const noBucket = templateErrorOf(() => stream('HttpEndpointDestinationConfiguration: {EndpointConfiguration: {Url: "http://x.test"}}'));
    expect(noBucket.field).toBe('HttpEndpointDestinationConfiguration.S3Configuration');
  });

  it('reads S3BackupMode Enabled with its S3BackupConfiguration as where the source records are kept too; Enabled without one fails naming it', () => {
    const m = stream(`ExtendedS3DestinationConfiguration:
  BucketARN: !GetAtt Bucket.Arn
  S3BackupMode: Enabled
  S3BackupConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: source/, CompressionFormat: GZIP, RoleARN: arn:aws:iam::123456789012:role/r}`);
    expect(m.deliveryStreams[0].destination.backup).toEqual({ bucket: m.deliveryStreams[0].destination.bucket, prefix: 'source/', compression: 'GZIP' });
    expect(m.warnings).toEqual([]);
    expect(stream('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, S3BackupMode: Disabled}').deliveryStreams[0].destination.backup).toBeUndefined();
    const e = templateErrorOf(() => stream('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, S3BackupMode: Enabled}'));
    expect([e.field, e.reason]).toEqual(['ExtendedS3DestinationConfiguration.S3BackupConfiguration', 'is required with S3BackupMode Enabled: a map with BucketARN']);
  });

  it('warns of a bucket, stream or processor this template does not declare, and keeps the stream', () => {
    const m = stream(`DeliveryStreamType: KinesisStreamAsSource
KinesisStreamSourceConfiguration: {KinesisStreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/elsewhere"}
ExtendedS3DestinationConfiguration:
  BucketARN: "arn:aws:s3:::other-bucket"
  ProcessingConfiguration:
    Enabled: true
    Processors: [{Type: Lambda, Parameters: [{ParameterName: LambdaArn, ParameterValue: "arn:aws:lambda:us-east-1:123456789012:function:other-fn:live"}]}]`);
    expect(m.deliveryStreams[0]).toMatchObject({ source: { type: 'kinesis', stream: 'elsewhere' }, destination: { bucket: 'other-bucket', processor: { function: 'other-fn' } } });
    expect(m.warnings).toEqual([
      'Hose.KinesisStreamSourceConfiguration.KinesisStreamARN: stream "elsewhere" is not declared in this template; its records are delivered once a deployed template declares it',
      'Hose.ExtendedS3DestinationConfiguration.BucketARN: bucket "other-bucket" is not declared in this template; objects are written to it once it exists',
      'Hose.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue: function "other-fn" is not defined in this template; it is invoked once a deployed template defines it',
    ]);
    // Enabled: false turns the processor off.
    expect(stream('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, ProcessingConfiguration: {Enabled: false, Processors: [{Type: Lambda, Parameters: []}]}}').deliveryStreams[0].destination.processor).toBeUndefined();
  });

  it('refuses what Firehose refuses, naming the resource and the field', () => {
    expect(failure(`DeliveryStreamName: "bad name"\n${S3}`)).toEqual(['Hose', 'DeliveryStreamName', '"bad name" is not a valid delivery stream name (1-64 of letters, digits, "_", "." and "-")']);
    expect(failure(`DeliveryStreamType: Pigeon\n${S3}`)).toEqual(['Hose', 'DeliveryStreamType', 'must be one of DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource, not "Pigeon"']);
    expect(failure(`DeliveryStreamType: KinesisStreamAsSource\n${S3}`)).toEqual(['Hose', 'KinesisStreamSourceConfiguration.KinesisStreamARN', 'must be the ARN of a Kinesis stream (!GetAtt Stream.Arn), not undefined']);
    expect(failure(`KinesisStreamSourceConfiguration: {KinesisStreamARN: !GetAtt Clicks.Arn}\n${S3}`)).toEqual(['Hose', 'KinesisStreamSourceConfiguration', 'applies only to DeliveryStreamType KinesisStreamAsSource']);
    expect(failure(`${S3}\nS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn}`)).toEqual(['Hose', 'S3DestinationConfiguration', 'a delivery stream has one destination; ExtendedS3DestinationConfiguration is given too']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !Ref Bucket}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.BucketARN', 'must be the ARN of an S3 bucket (!GetAtt Bucket.Arn), not "sink"']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, BufferingHints: {IntervalInSeconds: 901}}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds', 'must be a whole number from 0 to 900']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, BufferingHints: {SizeInMBs: 0}}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs', 'must be a whole number from 1 to 128']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, CompressionFormat: BZIP}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.CompressionFormat', 'must be one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY, not "BZIP"']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, FileExtension: json}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.FileExtension', expect.stringContaining('must be empty or "."')]);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: "d=!{timestamp:yyyy}/"}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.ErrorOutputPrefix', 'missing: Firehose needs one when Prefix has expressions']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: "x/", ErrorOutputPrefix: "e/!{timestamp:yyyy}/"}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.ErrorOutputPrefix', '"e/!{timestamp:yyyy}/": an ErrorOutputPrefix with expressions must hold !{firehose:error-output-type}']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: "!{firehose:error-output-type}/"}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.Prefix', '"!{firehose:error-output-type}/": !{firehose:error-output-type} may appear in ErrorOutputPrefix only']);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: "!{timestamp:yyyy QQ}", ErrorOutputPrefix: "e/!{firehose:error-output-type}"}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.Prefix', expect.stringContaining('the pattern letter "Q" is not one esb evaluates')]);
    expect(failure('ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, Prefix: "!{nope:x}", ErrorOutputPrefix: "e/!{firehose:error-output-type}"}')).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.Prefix', expect.stringContaining('!{nope:...} is not a namespace Firehose knows')]);
    const lambda = (params: string) => `ExtendedS3DestinationConfiguration: {BucketARN: !GetAtt Bucket.Arn, ProcessingConfiguration: {Enabled: true, Processors: [{Type: Lambda, Parameters: [${params}]}]}}`;
    expect(failure(lambda('{ParameterName: LambdaArn, ParameterValue: !Ref Transform}'))).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue', 'LambdaArn must be the ARN of a function (!GetAtt Function.Arn), not "transform"']);
    expect(failure(lambda(''))).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters', 'LambdaArn must be the ARN of a function (!GetAtt Function.Arn), not undefined']);
    expect(failure(lambda('{ParameterName: LambdaArn, ParameterValue: !GetAtt Transform.Arn}, {ParameterName: NumberOfRetries, ParameterValue: "301"}'))).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[1].ParameterValue', 'must be a whole number from 0 to 300']);
    expect(failure(lambda('{ParameterName: LambdaArn, ParameterValue: !GetAtt Transform.Arn}, {ParameterName: BufferSizeInMBs, ParameterValue: "4"}'))).toEqual(['Hose', 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[1].ParameterValue', 'must be a number from 0.2 to 3']);
    const two = templateErrorOf(() =>
      parse(`  A:\n    Type: AWS::KinesisFirehose::DeliveryStream\n    Properties: {DeliveryStreamName: same, ${S3}}\n  B:\n    Type: AWS::KinesisFirehose::DeliveryStream\n    Properties: {DeliveryStreamName: same, ${S3}}\n`),
    );
    expect([two.logicalId, two.field, two.reason]).toEqual(['B', 'DeliveryStreamName', '"same" is the name of another delivery stream of this template']);
  });
});

describe('SNS subscriptions of protocol firehose', () => {
  const sub = (props: string, hose = S3) => parse(`  Hose:\n    Type: AWS::KinesisFirehose::DeliveryStream\n    Properties: {DeliveryStreamName: hose, ${hose}}\n  Sub:\n    Type: AWS::SNS::Subscription\n    Properties: {TopicArn: !Ref Topic, Protocol: firehose, Endpoint: !GetAtt Hose.Arn, SubscriptionRoleArn: "arn:aws:iam::123456789012:role/sns", ${props}}\n`);

  it('puts each message to the delivery stream: RawMessageDelivery decides the record', () => {
    expect(sub('RawMessageDelivery: true').subscriptions).toEqual([{ topic: 'orders', id: 'Sub', delivery_stream: 'hose', filter_scope: 'MessageAttributes', raw: true }]);
    const m = sub('FilterPolicy: {kind: [book]}');
    expect(m.subscriptions).toEqual([{ topic: 'orders', id: 'Sub', delivery_stream: 'hose', filter_policy: '{"kind":["book"]}', filter_scope: 'MessageAttributes', raw: false }]);
    expect(m.warnings).toEqual([]);
  });

  it('warns of a stream it does not run or that is not in the template; refuses an Endpoint that is no delivery stream', () => {
    const unrun = sub('RawMessageDelivery: false', 'SplunkDestinationConfiguration: {}');
    expect(unrun.subscriptions).toEqual([]);
    expect(unrun.warnings).toEqual([expect.stringContaining('Hose.SplunkDestinationConfiguration: esb delivers to Amazon S3'), 'Sub: delivery stream "hose" is not run by esb (see its warning); the subscription delivers nothing (docs/firehose.md)']);
    const elsewhere = parse('  Sub:\n    Type: AWS::SNS::Subscription\n    Properties: {TopicArn: !Ref Topic, Protocol: firehose, Endpoint: "arn:aws:firehose:us-east-1:123456789012:deliverystream/other"}\n');
    expect(elsewhere.subscriptions).toEqual([{ topic: 'orders', id: 'Sub', delivery_stream: 'other', filter_scope: 'MessageAttributes', raw: false }]);
    expect(elsewhere.warnings).toEqual(['Sub.Endpoint: delivery stream "other" is not declared in this template; it receives messages once a deployed template declares it']);
    const err = templateErrorOf(() => parse('  Sub:\n    Type: AWS::SNS::Subscription\n    Properties: {TopicArn: !Ref Topic, Protocol: firehose, Endpoint: !GetAtt Bucket.Arn}\n'));
    expect([err.logicalId, err.field, err.reason]).toEqual(['Sub', 'Endpoint', 'must be the ARN of a Firehose delivery stream (!GetAtt DeliveryStream.Arn) for protocol firehose, not "arn:aws:s3:::sink"']);
  });
});

describe('object names (Prefix, ErrorOutputPrefix)', () => {
  const at = Date.UTC(2018, 7, 27, 10, 30, 5, 123);
  const random = () => '5abf82daaa5';

  it('appends yyyy/MM/dd/HH/ to a Prefix without a timestamp expression; no ErrorOutputPrefix means <Prefix>processing-failed/yyyy/MM/dd/HH/', () => {
    const plain = firehoseObjectNames('', undefined);
    expect([plain.delivered(at, random), plain.failed(at, 'processing-failed', random)]).toEqual(['2018/08/27/10/', 'processing-failed/2018/08/27/10/']);
    const prefixed = firehoseObjectNames('myFirehosePrefix/', undefined);
    expect([prefixed.delivered(at, random), prefixed.failed(at, 'processing-failed', random)]).toEqual(['myFirehosePrefix/2018/08/27/10/', 'myFirehosePrefix/processing-failed/2018/08/27/10/']);
    // A static ErrorOutputPrefix: the error type and the time follow it.
    expect(firehoseObjectNames('raw/', 'error/').failed(at, 'processing-failed', random)).toBe('error/processing-failed/2018/08/27/10/');
  });

  it('evaluates timestamp and firehose expressions as Firehose documents them', () => {
    const n = firehoseObjectNames('myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}', 'myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}');
    expect([n.delivered(at, random), n.failed(at, 'processing-failed', random)]).toEqual(['myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5', 'myFirehoseFailures/processing-failed/2018/anyMonth/27']);
    const t = firehoseObjectNames("!{timestamp:yy-M-d H:mm:ss.SSS DDD 'at' h a EEE MMM MMMM '''x''' ''}", 'e/!{firehose:error-output-type}');
    expect(t.delivered(at, random)).toBe("18-8-27 10:30:05.123 239 at 10 AM Mon Aug August 'x' '");
    expect(firehoseObjectNames('', 'e/!{firehose:error-output-type}/').partitioned).toBe(false);
    expect(firehoseObjectNames('p=!{partitionKeyFromLambda:id}/', 'e/!{firehose:error-output-type}/').partitioned).toBe(true);
  });
});

describe('the public serverless-patterns shapes', () => {
  it('firehose-transformation-sam: a DirectPut stream with a Lambda processor, policies and roles, reads with no warning', () => {
    const m = parseSamTemplate(
      `Transform: AWS::Serverless-2016-10-31
Parameters:
  DestinationBucketName: {Type: String, Default: dest-bucket}
Resources:
  TransformationLambdaFunction:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: TransformationFunction, Handler: index.handler, Runtime: nodejs24.x, CodeUri: src/, Timeout: 90}
  DestinationBucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Ref DestinationBucketName}
  DeliveryStream:
    Type: AWS::KinesisFirehose::DeliveryStream
    DependsOn: [DeliveryStreamPolicy]
    Properties:
      DeliveryStreamType: "DirectPut"
      ExtendedS3DestinationConfiguration:
        BucketARN: !GetAtt DestinationBucket.Arn
        BufferingHints: {SizeInMBs: 1, IntervalInSeconds: 60}
        CloudWatchLoggingOptions: {Enabled: true, LogGroupName: "/aws/kinesisfirehose/ibcd", LogStreamName: "S3Delivery"}
        EncryptionConfiguration: {NoEncryptionConfig: "NoEncryption"}
        Prefix: ""
        RoleARN: !GetAtt DeliveryStreamRole.Arn
        ProcessingConfiguration:
          Enabled: true
          Processors:
            - Type: Lambda
              Parameters:
                - ParameterName: LambdaArn
                  ParameterValue: !GetAtt TransformationLambdaFunction.Arn
  DeliveryStreamPolicy:
    Type: AWS::IAM::Policy
    Properties: {Roles: [!Ref DeliveryStreamRole], PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: ['s3:PutObject'], Resource: [!Sub 'arn:aws:s3:::\${DestinationBucket}/*', !GetAtt DeliveryStream.Arn]}]}}
  DeliveryStreamRole:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: firehose.amazonaws.com}, Action: sts:AssumeRole}]}}
`,
      { file: 'template.yaml', stackName: 'firehose-transformation-sam' },
    );
    expect(m.deliveryStreams).toEqual([
      { name: 'firehose-transformation-sam-DeliveryStream', source: { type: 'direct' }, destination: { bucket: 'dest-bucket', prefix: '', buffer_seconds: 60, buffer_mb: 1, compression: 'UNCOMPRESSED', processor: { function: 'TransformationFunction', retries: 3, buffer_mb: 1 } } },
    ]);
    expect(m.warnings.filter((w) => !w.includes('runs on this machine'))).toEqual([]);
  });
});
