// Pure mapping from resources.yml (CloudFormation field names) to AWS SDK v3 inputs.
import type { CreateTableInput, KeySchemaElement, Projection } from '@aws-sdk/client-dynamodb';
import type { CreateStreamInput, StreamDescriptionSummary } from '@aws-sdk/client-kinesis';
import type { PutBucketLifecycleConfigurationRequest, LifecycleRule as SdkLifecycleRule } from '@aws-sdk/client-s3';
import type { DynamoTable, KinesisStream, S3Bucket } from '@esb/contracts';

/** Throughput given to a PROVISIONED table or GSI that declares none. */
export const DEFAULT_THROUGHPUT = { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } as const;

type DeclaredProjection = NonNullable<DynamoTable['GlobalSecondaryIndexes']>[number]['Projection'];

function projection(p: DeclaredProjection | undefined): Projection {
  const type = p?.ProjectionType ?? 'ALL';
  return type === 'INCLUDE' ? { ProjectionType: type, NonKeyAttributes: p?.NonKeyAttributes ?? [] } : { ProjectionType: type };
}

function keySchema(k: DynamoTable['KeySchema']): KeySchemaElement[] {
  return k.map((e) => ({ AttributeName: e.AttributeName, KeyType: e.KeyType }));
}

/**
 * BillingMode: as declared; when absent, PROVISIONED if throughput is declared, else
 * PAY_PER_REQUEST. PROVISIONED without throughput gets 1/1 (table and each GSI).
 */
export function toCreateTableInput(table: DynamoTable): CreateTableInput {
  const billing = table.BillingMode ?? (table.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST');
  const provisioned = billing === 'PROVISIONED';
  const tableThroughput = table.ProvisionedThroughput ?? DEFAULT_THROUGHPUT;
  const input: CreateTableInput = {
    TableName: table.TableName,
    KeySchema: keySchema(table.KeySchema),
    AttributeDefinitions: table.AttributeDefinitions.map((a) => ({ AttributeName: a.AttributeName, AttributeType: a.AttributeType })),
    BillingMode: billing,
  };
  if (provisioned) input.ProvisionedThroughput = { ...tableThroughput };
  if (table.GlobalSecondaryIndexes?.length) {
    input.GlobalSecondaryIndexes = table.GlobalSecondaryIndexes.map((g) => ({
      IndexName: g.IndexName,
      KeySchema: keySchema(g.KeySchema),
      Projection: projection(g.Projection),
      ...(provisioned ? { ProvisionedThroughput: { ...(g.ProvisionedThroughput ?? DEFAULT_THROUGHPUT) } } : {}),
    }));
  }
  if (table.LocalSecondaryIndexes?.length) {
    input.LocalSecondaryIndexes = table.LocalSecondaryIndexes.map((l) => ({
      IndexName: l.IndexName,
      KeySchema: keySchema(l.KeySchema),
      Projection: projection(l.Projection),
    }));
  }
  if (table.StreamSpecification) {
    input.StreamSpecification = { StreamEnabled: true, StreamViewType: table.StreamSpecification.StreamViewType };
  }
  return input;
}

export interface LifecycleMapping {
  /** Undefined when the bucket declares no rule with an action. */
  input: PutBucketLifecycleConfigurationRequest | undefined;
  warnings: string[];
}

/** Id -> ID, Prefix -> Filter.Prefix, ExpirationInDays -> Expiration.Days; rules without an action are skipped with a warning. */
export function toLifecycleInput(bucket: S3Bucket): LifecycleMapping {
  const warnings: string[] = [];
  const rules: SdkLifecycleRule[] = [];
  (bucket.LifecycleConfiguration?.Rules ?? []).forEach((rule, i) => {
    if (rule.ExpirationInDays === undefined) {
      warnings.push(`bucket "${bucket.BucketName}": lifecycle rule ${rule.Id ?? `#${i + 1}`} has no ExpirationInDays (the only action esb supports); skipped`);
      return;
    }
    rules.push({
      ...(rule.Id !== undefined ? { ID: rule.Id } : {}),
      Status: rule.Status,
      Filter: { Prefix: rule.Prefix ?? '' },
      Expiration: { Days: rule.ExpirationInDays },
    });
  });
  return {
    input: rules.length ? { Bucket: bucket.BucketName, LifecycleConfiguration: { Rules: rules } } : undefined,
    warnings,
  };
}

/** `pk HASH, sk RANGE` */
export function formatKeySchema(k: ReadonlyArray<{ AttributeName?: string; KeyType?: string }>): string {
  return k.map((e) => `${e.AttributeName} ${e.KeyType}`).join(', ');
}

export function sameKeySchema(
  a: ReadonlyArray<{ AttributeName?: string; KeyType?: string }>,
  b: ReadonlyArray<{ AttributeName?: string; KeyType?: string }>,
): boolean {
  return formatKeySchema([...a].sort(byKeyType)) === formatKeySchema([...b].sort(byKeyType));
}

function byKeyType(x: { KeyType?: string }, y: { KeyType?: string }): number {
  return (x.KeyType ?? '').localeCompare(y.KeyType ?? '');
}

/** Lifecycle rules compared the way the server returns them (order and empty fields ignored). */
export function sameLifecycleRules(a: ReadonlyArray<SdkLifecycleRule>, b: ReadonlyArray<SdkLifecycleRule>): boolean {
  const norm = (rules: ReadonlyArray<SdkLifecycleRule>) =>
    rules
      .map((r) => JSON.stringify([r.ID ?? '', r.Status ?? '', r.Filter?.Prefix ?? r.Prefix ?? '', r.Expiration?.Days ?? null]))
      .sort()
      .join('\n');
  return norm(a) === norm(b);
}

/** ShardCount makes a PROVISIONED stream; without one (or ON_DEMAND) it is ON_DEMAND, as Kinesis starts one (docs/kinesis.md). */
export function toCreateStreamInput(stream: KinesisStream): CreateStreamInput {
  if (stream.ShardCount !== undefined && stream.StreamModeDetails?.StreamMode !== 'ON_DEMAND') {
    return { StreamName: stream.Name, ShardCount: stream.ShardCount, StreamModeDetails: { StreamMode: 'PROVISIONED' } };
  }
  return { StreamName: stream.Name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } };
}

/** What to do about an existing stream that differs from its declaration. */
export interface StreamChanges {
  /** The declared RetentionPeriodHours, when the stream keeps records for another time. */
  retention?: { hours: number; longer: boolean };
  /** The open shards and the declared ShardCount, when they differ: only a warning, esb does not reshard. */
  shards?: { open: number; declared: number };
}

/**
 * How an existing stream differs from its declaration: what is not declared is left as it is
 * (an ON_DEMAND stream's shards are Kinesis' to choose).
 */
export function streamChanges(stream: KinesisStream, summary: Pick<StreamDescriptionSummary, 'RetentionPeriodHours' | 'OpenShardCount'>): StreamChanges {
  const changes: StreamChanges = {};
  const hours = stream.RetentionPeriodHours;
  if (hours !== undefined && summary.RetentionPeriodHours !== undefined && hours !== summary.RetentionPeriodHours) changes.retention = { hours, longer: hours > summary.RetentionPeriodHours };
  const declared = stream.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? undefined : stream.ShardCount;
  if (declared !== undefined && summary.OpenShardCount !== undefined && summary.OpenShardCount !== declared) changes.shards = { open: summary.OpenShardCount, declared };
  return changes;
}
