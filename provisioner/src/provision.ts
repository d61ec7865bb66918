// Creates the DynamoDB tables, S3 buckets, SQS queues, Kinesis streams, secrets and SSM parameters
// of resources.yml, idempotently: an existing table, bucket, queue, stream, secret or parameter is
// success, nothing is ever deleted, and nothing is updated in place except what CloudFormation
// also updates without replacing: bucket lifecycle rules, queue attributes, a stream's retention
// a table's time to live and a parameter's value are applied when they differ. A secret is never overwritten: its value
// (generated once, as CloudFormation does) may have been rotated since.
import {
  CreateTableCommand,
  EnableKinesisStreamingDestinationCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  ListBucketsCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import { CreateSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient, type Parameter } from '@aws-sdk/client-ssm';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient, type QueueAttributeName } from '@aws-sdk/client-sqs';
import type { Credentials } from '@esb/contracts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, isMissingQueue } from '@esb/contracts';
import { ConflictException, CreateScheduleCommand, CreateScheduleGroupCommand, GetScheduleCommand, ResourceNotFoundException, SchedulerClient, UpdateScheduleCommand, type CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { ResourcesFile, canonicalJson, generatedSecretString, validate, type DynamoTable, type KinesisStream, type S3Bucket, type ScheduleGroupResource, type SchedulerScheduleResource, type SecretsManagerSecret, type SqsQueue, type SsmParameter } from '@esb/contracts';
import { ProvisionAbortedError, ProvisionError, errorText } from './errors.js';
import { runCustomResources, type CustomResourceOutcome } from './custom-resources.js';
import { formatKeySchema, sameKeySchema, sameLifecycleRules, streamChanges, toCreateStreamInput, toCreateTableInput, toLifecycleInput } from './mapping.js';
import { DEFAULT_RETRY, isRetryable, sleep as realSleep, withRetry, type RetryPolicy, type Sleep } from './retry.js';

export type { Credentials };

export interface ProvisionLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface ProvisionOptions {
  /** Undefined: the SDK's default (AWS itself). */
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  /** SQS, Kinesis, Secrets Manager, SSM and EventBridge Scheduler: the storage serves them on its SQS port (docs/kinesis.md, docs/secrets.md, docs/eventbridge.md). */
  sqsEndpoint?: string;
  /** Default us-east-1. */
  region?: string;
  /** Default: dummy credentials (local servers accept any). */
  credentials?: Credentials;
  log?: ProvisionLog;
  /** Retries while a server is still starting. Default 8 attempts from 200 ms, doubling, capped at 5 s. */
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Resources created at once per service. Default 8. */
  concurrency?: number;
  /** How long a table or stream may stay CREATING. Default 120 s. */
  activeTimeoutMs?: number;
  /** Injected for tests. */
  sleep?: Sleep;
  /** Where the resources came from, for error messages. Default "resources.yml". */
  source?: string;
  /** The Lambda Invoke API that custom resources' functions are invoked through (the gateway); without it they are not run, with a warning. */
  lambdaEndpoint?: string;
  /** Credentials the Invoke API takes. Default: `credentials`. */
  lambdaCredentials?: Credentials;
  /** The S3 endpoint as functions reach it, for custom resources' ResponseURL. Default: s3Endpoint. */
  responseS3Endpoint?: string;
}

export type TableStatus = 'created' | 'exists' | 'key-schema-mismatch';
export type LifecycleStatus = 'none' | 'applied' | 'unchanged' | 'unsupported';
/** `updated`: it existed with another retention, which was set to the declared one. */
export type StreamStatus = 'created' | 'exists' | 'updated';

export interface ProvisionReport {
  tables: Array<{ name: string; status: TableStatus }>;
  buckets: Array<{ name: string; status: 'created' | 'exists'; lifecycle: LifecycleStatus }>;
  /** `updated`: it existed with other attributes, which were set to the declared ones. */
  queues: Array<{ name: string; status: 'created' | 'exists' | 'updated' }>;
  /** Kinesis data streams. */
  streams: Array<{ name: string; status: StreamStatus }>;
  /** Secrets Manager secrets: an existing one is left as it is (its value is never regenerated or overwritten). */
  secrets: Array<{ name: string; status: 'created' | 'exists' }>;
  /** SSM parameters; `updated`: it existed with another value, which was set to the declared one. */
  parameters: Array<{ name: string; status: 'created' | 'exists' | 'updated' }>;
  /** EventBridge Scheduler schedule groups. */
  scheduleGroups: Array<{ name: string; status: 'created' | 'exists' }>;
  /** EventBridge Scheduler schedules (`<group>/<name>`); `updated`: it existed with another definition, which was replaced by the declared one. */
  schedules: Array<{ name: string; status: 'created' | 'exists' | 'updated' }>;
  /** Custom resources (`<stack>/<LogicalResourceId>`), in creation order: `exists` was not invoked (same properties as last answered). */
  customResources: CustomResourceOutcome[];
  warnings: string[];
  durationMs: number;
}

const silentLog: ProvisionLog = { info() {}, warn() {} };
const KNOWN_KINDS = new Set(['dynamodb', 's3', 'sqs', 'kinesis', 'secrets', 'parameters', 'schedule_groups', 'schedules', 'layers', 'custom_resources']);

/** Runs tasks with bounded concurrency; stops starting new ones after the first failure and throws it once all running ones settle. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

export async function provision(resources: ResourcesFile, options: ProvisionOptions = {}): Promise<ProvisionReport> {
  const started = Date.now();
  const log = options.log ?? silentLog;
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log.warn(message);
  };
  const report: ProvisionReport = { tables: [], buckets: [], queues: [], streams: [], secrets: [], parameters: [], scheduleGroups: [], schedules: [], customResources: [], warnings, durationMs: 0 };
  const parsed = validate(ResourcesFile, resources, options.source ?? 'resources.yml');

  for (const kind of Object.keys(parsed.resources)) {
    if (!KNOWN_KINDS.has(kind)) warn(`unknown resource kind "${kind}" in ${options.source ?? 'resources.yml'}: skipped`);
  }
  const tables = parsed.resources.dynamodb ?? [];
  const buckets = parsed.resources.s3 ?? [];
  const queues = parsed.resources.sqs ?? [];
  const streams = parsed.resources.kinesis ?? [];
  const secrets = parsed.resources.secrets ?? [];
  const parameters = parsed.resources.parameters ?? [];
  const scheduleGroups = parsed.resources.schedule_groups ?? [];
  const schedules = parsed.resources.schedules ?? [];
  const declaredCustom = parsed.resources.custom_resources ?? [];
  let customResources = declaredCustom;
  if (customResources.length && !options.lambdaEndpoint) {
    warn(`custom resources not run (no Lambda endpoint to invoke their functions through; set AWS_ENDPOINT_URL_LAMBDA): ${customResources.map((r) => r.Name).join(', ')}`);
    customResources = [];
  }
  if (tables.length === 0 && buckets.length === 0 && queues.length === 0 && streams.length === 0 && secrets.length === 0 && parameters.length === 0 && scheduleGroups.length === 0 && schedules.length === 0 && customResources.length === 0) {
    // Most stacks have nothing to provision: that is no warning (docs/provisioner.md).
    if (declaredCustom.length === 0) log.info(`nothing to provision in ${options.source ?? 'resources.yml'}`);
    report.durationMs = Date.now() - started;
    return report;
  }

  const region = options.region ?? LOCAL_REGION;
  // A copy: the SDK marks the credentials object it is given (a frozen one makes every call fail).
  const credentials = { ...(options.credentials ?? LOCAL_CREDENTIALS) };
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? realSleep;
  const signal = options.signal;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const retry = <T>(fn: () => Promise<T>) => withRetry(fn, policy, { sleep, signal });
  // The SDK's own retries are off: ours (above) count attempts and name the endpoint.
  const common = { region, credentials, maxAttempts: 1, requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 } };

  const ddbEndpoint = options.dynamodbEndpoint ?? `the AWS DynamoDB endpoint of ${region}`;
  const s3Endpoint = options.s3Endpoint ?? `the AWS S3 endpoint of ${region}`;
  const sqsEndpoint = options.sqsEndpoint ?? `the AWS SQS endpoint of ${region}`;
  const kinesisEndpoint = options.sqsEndpoint ?? `the AWS Kinesis endpoint of ${region}`;
  const secretsEndpoint = options.sqsEndpoint ?? `the AWS Secrets Manager endpoint of ${region}`;
  const ssmEndpoint = options.sqsEndpoint ?? `the AWS SSM endpoint of ${region}`;
  const schedulerEndpoint = options.sqsEndpoint ?? `the AWS EventBridge Scheduler endpoint of ${region}`;
  const fail = (resource: string, endpoint: string, err: unknown): never => {
    if (err instanceof ProvisionError || err instanceof ProvisionAbortedError) throw err;
    if (signal?.aborted) throw new ProvisionAbortedError({ cause: err });
    const attempts = (err as { attempts?: number } | undefined)?.attempts ?? 1;
    const reason = isRetryable(err) ? `unreachable or failing after ${attempts} attempt${attempts === 1 ? '' : 's'} (${errorText(err)})` : errorText(err);
    throw new ProvisionError(resource, endpoint, reason, { cause: err });
  };

  const ddb = tables.length ? new DynamoDBClient({ ...common, ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}) }) : undefined;
  const s3 = buckets.length || customResources.length
    ? new S3Client({ ...common, forcePathStyle: true, ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}) })
    : undefined;
  const sqs = queues.length ? new SQSClient({ ...common, ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}) }) : undefined;
  const kinesis = streams.length ? new KinesisClient({ ...common, ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}) }) : undefined;
  const secretsManager = secrets.length ? new SecretsManagerClient({ ...common, ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}) }) : undefined;
  const ssm = parameters.length || customResources.length ? new SSMClient({ ...common, ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}) }) : undefined;
  const scheduler = scheduleGroups.length || schedules.length ? new SchedulerClient({ ...common, ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}) }) : undefined;

  const waitActive = async (name: string, first: TableDescription | undefined): Promise<TableDescription> => {
    const deadline = Date.now() + (options.activeTimeoutMs ?? 120_000);
    let desc = first;
    let delay = 20;
    for (;;) {
      if (desc && desc.TableStatus === 'ACTIVE' && (desc.GlobalSecondaryIndexes ?? []).every((g) => !g.IndexStatus || g.IndexStatus === 'ACTIVE')) return desc;
      if (Date.now() > deadline) throw new ProvisionError(`table "${name}"`, ddbEndpoint, `still ${desc?.TableStatus ?? 'not described'} after ${options.activeTimeoutMs ?? 120_000} ms`);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 500);
      desc = (await retry(() => ddb!.send(new DescribeTableCommand({ TableName: name }), { abortSignal: signal }))).Table;
    }
  };

  const provisionTable = async (table: DynamoTable) => {
    const resource = `table "${table.TableName}"`;
    try {
      // DescribeTable first: an existing table is never sent a CreateTable (whose validation
      // could fail on a changed declaration); ResourceInUseException still covers a race.
      let status: TableStatus = 'exists';
      let desc: TableDescription | undefined = await retry(() => ddb!.send(new DescribeTableCommand({ TableName: table.TableName }), { abortSignal: signal }))
        .then((r) => r.Table)
        .catch((err: Error) => {
          if (err.name === 'ResourceNotFoundException') return undefined;
          throw err;
        });
      if (!desc) {
        try {
          desc = (await retry(() => ddb!.send(new CreateTableCommand(toCreateTableInput(table)), { abortSignal: signal }))).TableDescription;
          status = 'created';
        } catch (err) {
          if ((err as Error).name !== 'ResourceInUseException') throw err;
        }
      }
      desc = await waitActive(table.TableName, desc);
      if (status === 'exists' && desc.KeySchema && !sameKeySchema(desc.KeySchema, table.KeySchema)) {
        status = 'key-schema-mismatch';
        warn(
          `${resource} exists at ${ddbEndpoint} with key schema [${formatKeySchema(desc.KeySchema)}] but ${options.source ?? 'resources.yml'} declares [${formatKeySchema(table.KeySchema)}]: left as it is (no update, no delete)`,
        );
      }
      // A table made before its template asked for a stream (or before esb kept streams) gets it now.
      const view = table.StreamSpecification?.StreamViewType;
      if (status === 'exists' && view && !desc.StreamSpecification?.StreamEnabled) {
        await retry(() => ddb!.send(new UpdateTableCommand({ TableName: table.TableName, StreamSpecification: { StreamEnabled: true, StreamViewType: view } }), { abortSignal: signal }));
        log.info(`turned on the stream of ${resource} (${view})`);
      } else if (view && desc.StreamSpecification?.StreamEnabled && desc.StreamSpecification.StreamViewType !== view) {
        warn(`${resource} has a ${desc.StreamSpecification.StreamViewType} stream but ${options.source ?? 'resources.yml'} declares ${view}: left as it is (a stream's view type changes only by turning it off and on)`);
      }
      // A Kinesis streaming destination (docs/kinesis.md, "From DynamoDB"); a server without the
      // action (DynamoDB Local) keeps the table, with a warning.
      const destination = table.KinesisStreamSpecification;
      if (destination) {
        const precision = destination.ApproximateCreationDateTimePrecision;
        await retry(() => ddb!.send(new EnableKinesisStreamingDestinationCommand({ TableName: table.TableName, StreamArn: destination.StreamArn, ...(precision ? { EnableKinesisStreamingConfiguration: { ApproximateCreationDateTimePrecision: precision } } : {}) }), { abortSignal: signal })).catch((err: Error) =>
          warn(`${resource} at ${ddbEndpoint} could not stream to ${destination.StreamArn}: ${err.name}: ${err.message}`),
        );
      }
      // Time to live: set when it differs from the declaration (a server without it keeps the table, with a warning).
      const ttl = table.TimeToLiveSpecification;
      if (ttl) {
        await retry(async () => {
          const current = (await ddb!.send(new DescribeTimeToLiveCommand({ TableName: table.TableName }), { abortSignal: signal })).TimeToLiveDescription;
          const on = current?.TimeToLiveStatus === 'ENABLED' || current?.TimeToLiveStatus === 'ENABLING';
          if (on === ttl.Enabled && (!on || current?.AttributeName === ttl.AttributeName)) return;
          // An attribute is changed by turning time to live off first, as DynamoDB asks.
          if (on && ttl.Enabled) await ddb!.send(new UpdateTimeToLiveCommand({ TableName: table.TableName, TimeToLiveSpecification: { AttributeName: current!.AttributeName!, Enabled: false } }), { abortSignal: signal });
          await ddb!.send(new UpdateTimeToLiveCommand({ TableName: table.TableName, TimeToLiveSpecification: ttl }), { abortSignal: signal });
          log.info(`${ttl.Enabled ? `turned on time to live (${ttl.AttributeName})` : 'turned off time to live'} of ${resource}`);
        }).catch((err: Error) => warn(`${resource} at ${ddbEndpoint} could not set its time to live: ${err.name}: ${err.message}`));
      }
      report.tables.push({ name: table.TableName, status });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, ddbEndpoint, err);
    }
  };

  // One ListBuckets instead of a CreateBucket per existing bucket (it lists only the caller's
  // own buckets). Where it is not allowed, every bucket goes through CreateBucket.
  let owned: Set<string> | undefined;
  const listOwnedBuckets = async () => {
    try {
      const r = await retry(() => s3!.send(new ListBucketsCommand({}), { abortSignal: signal }));
      owned = new Set((r.Buckets ?? []).map((b) => b.Name ?? ''));
    } catch (err) {
      if (isRetryable(err) || signal?.aborted) fail(`bucket "${buckets[0].BucketName}"`, s3Endpoint, err);
      owned = undefined;
    }
  };

  const provisionBucket = async (bucket: S3Bucket) => {
    const resource = `bucket "${bucket.BucketName}"`;
    try {
      let status: 'created' | 'exists' = 'created';
      if (owned?.has(bucket.BucketName)) status = 'exists';
      else {
        try {
          await retry(() =>
            s3!.send(
              new CreateBucketCommand({
                Bucket: bucket.BucketName,
                ...(region !== 'us-east-1' /* S3 rejects a LocationConstraint naming us-east-1 */ ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}),
              }),
              { abortSignal: signal },
            ),
          );
        } catch (err) {
          const name = (err as Error).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
          status = 'exists';
        }
      }
      const lifecycle = toLifecycleInput(bucket);
      lifecycle.warnings.forEach(warn);
      let lifecycleStatus: LifecycleStatus = 'none';
      if (lifecycle.input) {
        const wanted = lifecycle.input.LifecycleConfiguration!.Rules ?? [];
        try {
          let current: typeof wanted | undefined;
          if (status === 'exists') {
            current = await retry(() => s3!.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket.BucketName }), { abortSignal: signal }))
              .then((r) => r.Rules ?? [])
              .catch((err: Error) => {
                if (err.name === 'NoSuchLifecycleConfiguration') return undefined;
                throw err;
              });
          }
          if (current && sameLifecycleRules(current, wanted)) lifecycleStatus = 'unchanged';
          else {
            const input = lifecycle.input;
            await retry(() => s3!.send(new PutBucketLifecycleConfigurationCommand(input), { abortSignal: signal }));
            lifecycleStatus = 'applied';
          }
        } catch (err) {
          const e = err as Error & { $metadata?: { httpStatusCode?: number } };
          if (e.name !== 'NotImplemented' && e.$metadata?.httpStatusCode !== 501) throw err;
          lifecycleStatus = 'unsupported';
          warn(`${resource}: the S3 server at ${s3Endpoint} does not support lifecycle configuration (NotImplemented); ${wanted.length} rule(s) not applied`);
        }
      }
      report.buckets.push({ name: bucket.BucketName, status, lifecycle: lifecycleStatus });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, s3Endpoint, err);
    }
  };

  const provisionQueue = async (queue: SqsQueue) => {
    const resource = `queue "${queue.QueueName}"`;
    try {
      const wanted = queueAttributes(queue);
      const url = await retry(() => sqs!.send(new GetQueueUrlCommand({ QueueName: queue.QueueName }), { abortSignal: signal }))
        .then((r) => r.QueueUrl)
        .catch((err: Error) => {
          if (isMissingQueue(err)) return undefined;
          throw err;
        });
      let status: 'created' | 'exists' | 'updated' = 'exists';
      if (!url) {
        await retry(() => sqs!.send(new CreateQueueCommand({ QueueName: queue.QueueName, Attributes: wanted }), { abortSignal: signal }));
        status = 'created';
      } else {
        const names = Object.keys(wanted) as QueueAttributeName[];
        const current: Record<string, string | undefined> = names.length ? ((await retry(() => sqs!.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }), { abortSignal: signal }))).Attributes ?? {}) : {};
        const changed: Record<string, string> = {};
        for (const [k, v] of Object.entries(wanted)) if (k !== 'FifoQueue' && !sameAttribute(current[k], v)) changed[k] = v;
        if (wanted.FifoQueue !== (current.FifoQueue === 'true' ? 'true' : undefined)) warn(`${resource} exists at ${sqsEndpoint} ${current.FifoQueue === 'true' ? 'as' : 'not as'} a FIFO queue, unlike ${options.source ?? 'resources.yml'}: left as it is`);
        if (Object.keys(changed).length) {
          await retry(() => sqs!.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changed }), { abortSignal: signal }));
          status = 'updated';
          log.info(`set ${Object.keys(changed).join(', ')} of ${resource}`);
        }
      }
      report.queues.push({ name: queue.QueueName, status });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, sqsEndpoint, err);
    }
  };
  const describeStream = (name: string) =>
    retry(() => kinesis!.send(new DescribeStreamSummaryCommand({ StreamName: name }), { abortSignal: signal })).then((r) => r.StreamDescriptionSummary);

  /** Kinesis creates (and updates) a stream asynchronously: its retention changes once it is ACTIVE. */
  const waitStreamActive = async (name: string, first: StreamDescriptionSummary | undefined): Promise<StreamDescriptionSummary> => {
    const deadline = Date.now() + (options.activeTimeoutMs ?? 120_000);
    let summary = first;
    let delay = 20;
    for (;;) {
      if (summary?.StreamStatus === 'ACTIVE') return summary;
      if (Date.now() > deadline) throw new ProvisionError(`stream "${name}"`, kinesisEndpoint, `still ${summary?.StreamStatus ?? 'not described'} after ${options.activeTimeoutMs ?? 120_000} ms`);
      if (summary) {
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 500);
      }
      summary = await describeStream(name);
    }
  };

  const provisionStream = async (stream: KinesisStream) => {
    const resource = `stream "${stream.Name}"`;
    try {
      // DescribeStreamSummary first, as for tables: an existing stream is never sent a CreateStream.
      let status: StreamStatus = 'exists';
      let summary = await describeStream(stream.Name).catch((err: Error) => {
        if (err.name === 'ResourceNotFoundException') return undefined;
        throw err;
      });
      if (!summary) {
        try {
          await retry(() => kinesis!.send(new CreateStreamCommand(toCreateStreamInput(stream)), { abortSignal: signal }));
          status = 'created';
        } catch (err) {
          if ((err as Error).name !== 'ResourceInUseException') throw err;
        }
      }
      summary = await waitStreamActive(stream.Name, summary);
      const changes = streamChanges(stream, summary);
      if (changes.retention) {
        const { hours, longer } = changes.retention;
        const Command = longer ? IncreaseStreamRetentionPeriodCommand : DecreaseStreamRetentionPeriodCommand;
        await retry(() => kinesis!.send(new Command({ StreamName: stream.Name, RetentionPeriodHours: hours }), { abortSignal: signal }));
        if (status === 'exists') status = 'updated';
        log.info(`set the retention of ${resource} to ${hours} hours`);
      }
      if (changes.shards && status !== 'created') {
        warn(`${resource} exists at ${kinesisEndpoint} with ${changes.shards.open} open shard(s) but ${options.source ?? 'resources.yml'} declares ShardCount ${changes.shards.declared}: left as it is (esb does not reshard)`);
      }
      report.streams.push({ name: stream.Name, status });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, kinesisEndpoint, err);
    }
  };

  /** A GenerateSecretString's value, made as CloudFormation makes it: a password from GetRandomPassword, alone or in the template's JSON. */
  const generatedValue = async (secret: SecretsManagerSecret): Promise<string | undefined> => {
    if (secret.SecretString !== undefined) return secret.SecretString;
    const g = secret.GenerateSecretString;
    if (!g) return undefined;
    const { SecretStringTemplate: template, GenerateStringKey: key, ...password } = g;
    const made = await retry(() => secretsManager!.send(new GetRandomPasswordCommand(password), { abortSignal: signal }));
    return generatedSecretString(template, key, made.RandomPassword ?? '');
  };

  const provisionSecret = async (secret: SecretsManagerSecret) => {
    const resource = `secret "${secret.Name}"`;
    try {
      // DescribeSecret first: an existing secret is left as it is, its value never made again.
      const described = await retry(() => secretsManager!.send(new DescribeSecretCommand({ SecretId: secret.Name }), { abortSignal: signal })).catch((err: Error) => {
        if (err.name === 'ResourceNotFoundException') return undefined;
        throw err;
      });
      let status: 'created' | 'exists' = 'exists';
      if (described?.DeletedDate) warn(`${resource} is marked for deletion at ${secretsEndpoint}: left as it is (RestoreSecret brings it back)`);
      if (!described) {
        const value = await generatedValue(secret);
        try {
          await retry(() =>
            secretsManager!.send(
              new CreateSecretCommand({ Name: secret.Name, ...(secret.Description !== undefined ? { Description: secret.Description } : {}), ...(value !== undefined ? { SecretString: value } : {}), ...(secret.Tags?.length ? { Tags: secret.Tags } : {}) }),
              { abortSignal: signal },
            ),
          );
          status = 'created';
        } catch (err) {
          if ((err as Error).name !== 'ResourceExistsException') throw err;
        }
      }
      report.secrets.push({ name: secret.Name, status });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, secretsEndpoint, err);
    }
  };

  const provisionParameter = async (parameter: SsmParameter) => {
    const resource = `parameter "${parameter.Name}"`;
    const settings = {
      Name: parameter.Name,
      Value: parameter.Value,
      Type: parameter.Type,
      ...(parameter.Description !== undefined ? { Description: parameter.Description } : {}),
      ...(parameter.AllowedPattern !== undefined ? { AllowedPattern: parameter.AllowedPattern } : {}),
      ...(parameter.DataType !== undefined ? { DataType: parameter.DataType } : {}),
      ...(parameter.Tier !== undefined ? { Tier: parameter.Tier } : {}),
    };
    try {
      const current: Parameter | undefined = await retry(() => ssm!.send(new GetParameterCommand({ Name: parameter.Name }), { abortSignal: signal }))
        .then((r) => r.Parameter)
        .catch((err: Error) => {
          if (err.name === 'ParameterNotFound') return undefined;
          throw err;
        });
      let status: 'created' | 'exists' | 'updated' = 'exists';
      if (!current) {
        try {
          const tags = Object.entries(parameter.Tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
          await retry(() => ssm!.send(new PutParameterCommand({ ...settings, ...(tags.length ? { Tags: tags } : {}) }), { abortSignal: signal }));
          status = 'created';
        } catch (err) {
          if ((err as Error).name !== 'ParameterAlreadyExists') throw err;
        }
      } else if (current.Value !== parameter.Value || current.Type !== parameter.Type) {
        // The template owns a parameter's value, as CloudFormation does: a changed one is written again.
        await retry(() => ssm!.send(new PutParameterCommand({ ...settings, Overwrite: true }), { abortSignal: signal }));
        status = 'updated';
        log.info(`set ${resource} to its declared value (version ${(current.Version ?? 0) + 1})`);
      }
      report.parameters.push({ name: parameter.Name, status });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, ssmEndpoint, err);
    }
  };

  const provisionScheduleGroup = async (group: ScheduleGroupResource) => {
    const resource = `schedule group "${group.Name}"`;
    try {
      let status: 'created' | 'exists' = 'created';
      await retry(() => scheduler!.send(new CreateScheduleGroupCommand({ Name: group.Name, ...(group.Tags?.length ? { Tags: group.Tags } : {}) }), { abortSignal: signal })).catch((err: Error) => {
        if (!(err instanceof ConflictException)) throw err;
        status = 'exists';
      });
      report.scheduleGroups.push({ name: group.Name, status });
      if (status === 'created') log.info(`created ${resource}`);
    } catch (err) {
      fail(resource, schedulerEndpoint, err);
    }
  };

  // The template owns a schedule's definition, as CloudFormation does: a changed one is written again.
  const provisionSchedule = async (schedule: SchedulerScheduleResource) => {
    const key = `${schedule.GroupName}/${schedule.Name}`;
    const resource = `schedule "${key}"`;
    const input = scheduleInput(schedule);
    try {
      const current = await retry(() => scheduler!.send(new GetScheduleCommand({ Name: schedule.Name, GroupName: schedule.GroupName }), { abortSignal: signal })).catch((err: Error) => {
        if (err instanceof ResourceNotFoundException) return undefined;
        throw err;
      });
      let status: 'created' | 'exists' | 'updated' = 'exists';
      if (!current) {
        await retry(() => scheduler!.send(new CreateScheduleCommand(input), { abortSignal: signal }));
        status = 'created';
        log.info(`created ${resource}`);
      } else if (!sameSchedule(current as unknown as Record<string, unknown>, input)) {
        await retry(() => scheduler!.send(new UpdateScheduleCommand(input), { abortSignal: signal }));
        status = 'updated';
        log.info(`set ${resource} to its declared definition`);
      }
      report.schedules.push({ name: key, status });
    } catch (err) {
      fail(resource, schedulerEndpoint, err);
    }
  };

  // Dead-letter queues first: SQS checks that a RedrivePolicy's target exists.
  const redriving = queues.filter((q) => q.RedrivePolicy);
  const plainQueues = queues.filter((q) => !q.RedrivePolicy);

  try {
    const results = await Promise.allSettled([
      pool(tables, concurrency, provisionTable),
      buckets.length ? listOwnedBuckets().then(() => pool(buckets, concurrency, provisionBucket)) : Promise.resolve(),
      pool(plainQueues, concurrency, provisionQueue).then(() => pool(redriving, concurrency, provisionQueue)),
      pool(streams, concurrency, provisionStream),
      pool(secrets, concurrency, provisionSecret),
      pool(parameters, concurrency, provisionParameter),
      // Groups first: a schedule names its group.
      pool(scheduleGroups, concurrency, provisionScheduleGroup).then(() => pool(schedules, concurrency, provisionSchedule)),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Last, one at a time: their functions may read and write every resource above.
    if (customResources.length) {
      report.customResources = await runCustomResources(customResources, {
        s3: s3!,
        s3Endpoint,
        ssm: ssm!,
        ssmEndpoint,
        responseEndpoint: options.responseS3Endpoint ?? options.s3Endpoint ?? `https://s3.${region}.amazonaws.com`,
        lambdaEndpoint: options.lambdaEndpoint!,
        lambdaCredentials: options.lambdaCredentials ?? credentials,
        credentials,
        region,
        retry: policy,
        sleep,
        signal,
        info: (m) => log.info(m),
        warn,
        fail,
      });
    }
  } finally {
    ddb?.destroy();
    s3?.destroy();
    sqs?.destroy();
    kinesis?.destroy();
    secretsManager?.destroy();
    ssm?.destroy();
    scheduler?.destroy();
  }
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  report.tables.sort(byName);
  report.buckets.sort(byName);
  report.queues.sort(byName);
  report.streams.sort(byName);
  report.secrets.sort(byName);
  report.parameters.sort(byName);
  report.scheduleGroups.sort(byName);
  report.schedules.sort(byName);
  report.durationMs = Date.now() - started;
  const created = [...report.tables, ...report.buckets, ...report.queues, ...report.streams, ...report.secrets, ...report.parameters, ...report.scheduleGroups, ...report.schedules].filter((r) => r.status === 'created').length;
  const all = tables.length + buckets.length + queues.length + streams.length + secrets.length + parameters.length + scheduleGroups.length + schedules.length;
  const scheduled = scheduleGroups.length || schedules.length ? `, ${scheduleGroups.length} schedule group(s) and ${schedules.length} schedule(s)` : '';
  const custom = report.customResources.length ? `; custom resources: ${report.customResources.map((r) => `${r.name} ${r.status}`).join(', ')}` : '';
  log.info(`provisioned ${tables.length} table(s), ${buckets.length} bucket(s), ${queues.length} queue(s), ${streams.length} stream(s), ${secrets.length} secret(s) and ${parameters.length} parameter(s)${scheduled}: ${created} created, ${all - created} already there${custom} (${report.durationMs} ms)`);
  return report;
}

/** A declared schedule as CreateSchedule's (and UpdateSchedule's) input. */
export function scheduleInput(s: SchedulerScheduleResource): CreateScheduleCommandInput {
  return {
    Name: s.Name,
    GroupName: s.GroupName,
    ScheduleExpression: s.ScheduleExpression,
    ...(s.ScheduleExpressionTimezone !== undefined ? { ScheduleExpressionTimezone: s.ScheduleExpressionTimezone } : {}),
    ...(s.StartDate !== undefined ? { StartDate: new Date(s.StartDate) } : {}),
    ...(s.EndDate !== undefined ? { EndDate: new Date(s.EndDate) } : {}),
    ...(s.Description !== undefined ? { Description: s.Description } : {}),
    State: s.State,
    FlexibleTimeWindow: s.FlexibleTimeWindow,
    ...(s.ActionAfterCompletion !== undefined ? { ActionAfterCompletion: s.ActionAfterCompletion } : {}),
    Target: s.Target as CreateScheduleCommandInput['Target'],
  };
}

/** Whether what GetSchedule gave is the declared definition (dates compared as instants). */
function sameSchedule(current: Record<string, unknown>, input: CreateScheduleCommandInput): boolean {
  const time = (d: unknown) => (d instanceof Date ? d.getTime() : undefined);
  // Keys sorted: the SDK writes and reads a target's fields in its own order.
  const pick = (x: Record<string, unknown>) => canonicalJson([x.ScheduleExpression, x.ScheduleExpressionTimezone, time(x.StartDate), time(x.EndDate), x.Description, x.State, x.FlexibleTimeWindow, x.ActionAfterCompletion ?? 'NONE', x.Target]);
  return pick(current) === pick({ ...input, ActionAfterCompletion: input.ActionAfterCompletion ?? 'NONE' } as Record<string, unknown>);
}

/** A queue's declared settings as SQS attributes (strings; RedrivePolicy as its JSON). */
export function queueAttributes(queue: SqsQueue): Record<string, string> {
  const out: Record<string, string> = {};
  if (queue.FifoQueue) out.FifoQueue = 'true';
  if (queue.ContentBasedDeduplication) out.ContentBasedDeduplication = 'true';
  for (const k of ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout'] as const) {
    if (queue[k] !== undefined) out[k] = String(queue[k]);
  }
  if (queue.RedrivePolicy) out.RedrivePolicy = JSON.stringify(queue.RedrivePolicy);
  return out;
}

/** Attribute values compared as SQS writes them (RedrivePolicy's JSON may differ in spacing and number form). */
function sameAttribute(current: string | undefined, wanted: string): boolean {
  if (current === wanted) return true;
  if (current === undefined) return false;
  try {
    const a = JSON.parse(current) as unknown;
    const b = JSON.parse(wanted) as unknown;
    if (typeof a === 'object' && a && typeof b === 'object' && b) {
      const ra = a as Record<string, unknown>;
      const rb = b as Record<string, unknown>;
      return Object.keys(rb).every((k) => String(ra[k]) === String(rb[k]));
    }
  } catch {
    /* not JSON: compared as text above */
  }
  return false;
}
