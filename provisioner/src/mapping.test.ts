import { describe, expect, it } from 'vitest';
import { DynamoTable, KinesisStream, S3Bucket } from '@esb/contracts';
import { formatKeySchema, sameKeySchema, sameLifecycleRules, streamChanges, toCreateStreamInput, toCreateTableInput, toLifecycleInput } from './mapping.js';

const table = (extra: Record<string, unknown> = {}) =>
  DynamoTable.parse({
    TableName: 'orders',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'g', AttributeType: 'N' },
    ],
    ...extra,
  });

describe('toCreateTableInput', () => {
  it('copies key schema and attribute definitions; no billing declared and no throughput -> PAY_PER_REQUEST', () => {
    const input = toCreateTableInput(table());
    expect(input).toEqual({
      TableName: 'orders',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'N' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('PROVISIONED without throughput gets 1/1 on the table and on each GSI', () => {
    const input = toCreateTableInput(
      table({ BillingMode: 'PROVISIONED', GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }] }] }),
    );
    expect(input.BillingMode).toBe('PROVISIONED');
    expect(input.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 1, WriteCapacityUnits: 1 });
    expect(input.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byG',
        KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
      },
    ]);
  });

  it('declared throughput without BillingMode means PROVISIONED with that throughput; a GSI keeps its own', () => {
    const input = toCreateTableInput(
      table({
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 3 },
        GlobalSecondaryIndexes: [
          { IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 } },
        ],
      }),
    );
    expect(input.BillingMode).toBe('PROVISIONED');
    expect(input.ProvisionedThroughput).toEqual({ ReadCapacityUnits: 5, WriteCapacityUnits: 3 });
    expect(input.GlobalSecondaryIndexes?.[0].ProvisionedThroughput).toEqual({ ReadCapacityUnits: 2, WriteCapacityUnits: 2 });
  });

  it('PAY_PER_REQUEST drops every throughput (AWS rejects it there)', () => {
    const input = toCreateTableInput(
      table({
        BillingMode: 'PAY_PER_REQUEST',
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 3 },
        GlobalSecondaryIndexes: [
          { IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 } },
        ],
      }),
    );
    expect(input.ProvisionedThroughput).toBeUndefined();
    expect(input.GlobalSecondaryIndexes?.[0]).not.toHaveProperty('ProvisionedThroughput');
  });

  it('maps LSIs (no throughput), INCLUDE projections with their attributes, and streams', () => {
    const input = toCreateTableInput(
      table({
        BillingMode: 'PROVISIONED',
        LocalSecondaryIndexes: [
          {
            IndexName: 'byG',
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'g', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'b'] },
          },
        ],
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    expect(input.LocalSecondaryIndexes).toEqual([
      {
        IndexName: 'byG',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'g', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'b'] },
      },
    ]);
    expect(input.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('drops NonKeyAttributes unless the projection is INCLUDE', () => {
    const input = toCreateTableInput(
      table({ GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY', NonKeyAttributes: ['x'] } }] }),
    );
    expect(input.GlobalSecondaryIndexes?.[0].Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
  });
});

describe('toLifecycleInput', () => {
  it('maps Id -> ID, Prefix -> Filter.Prefix, ExpirationInDays -> Expiration.Days, Status default Enabled', () => {
    const bucket = S3Bucket.parse({
      BucketName: 'uploads',
      LifecycleConfiguration: { Rules: [{ Id: 'tmp', Prefix: 'tmp/', ExpirationInDays: 7 }, { Status: 'Disabled', ExpirationInDays: 30 }] },
    });
    expect(toLifecycleInput(bucket)).toEqual({
      input: {
        Bucket: 'uploads',
        LifecycleConfiguration: {
          Rules: [
            { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } },
            { Status: 'Disabled', Filter: { Prefix: '' }, Expiration: { Days: 30 } },
          ],
        },
      },
      warnings: [],
    });
  });

  it('no lifecycle: no input; a rule without an action: skipped with a warning naming bucket and rule', () => {
    expect(toLifecycleInput(S3Bucket.parse({ BucketName: 'plain' }))).toEqual({ input: undefined, warnings: [] });
    const out = toLifecycleInput(S3Bucket.parse({ BucketName: 'logs', LifecycleConfiguration: { Rules: [{ Id: 'noop', Prefix: 'x/' }] } }));
    expect(out.input).toBeUndefined();
    expect(out.warnings).toEqual([expect.stringMatching(/bucket "logs".*rule noop.*ExpirationInDays/)]);
  });
});

describe('key schema and lifecycle comparison', () => {
  it('compares key schemas regardless of order, and formats them for messages', () => {
    const a = [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ];
    expect(sameKeySchema(a, [...a].reverse())).toBe(true);
    expect(sameKeySchema(a, [{ AttributeName: 'pk', KeyType: 'HASH' }])).toBe(false);
    expect(sameKeySchema([{ AttributeName: 'id', KeyType: 'HASH' }], [{ AttributeName: 'pk', KeyType: 'HASH' }])).toBe(false);
    expect(formatKeySchema(a)).toBe('pk HASH, sk RANGE');
  });

  it('compares lifecycle rules as the server returns them', () => {
    const wanted = [{ ID: 'a', Status: 'Enabled' as const, Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }];
    expect(sameLifecycleRules([{ Expiration: { Days: 1 }, ID: 'a', Filter: { Prefix: 'tmp/' }, Status: 'Enabled' }], wanted)).toBe(true);
    expect(sameLifecycleRules([{ ...wanted[0], Expiration: { Days: 2 } }], wanted)).toBe(false);
    expect(sameLifecycleRules([], wanted)).toBe(false);
  });
});

describe('toCreateStreamInput', () => {
  const stream = (extra: Record<string, unknown> = {}) => KinesisStream.parse({ Name: 'clicks', ...extra });

  it('ShardCount makes a PROVISIONED stream; without one, or ON_DEMAND, the stream is ON_DEMAND', () => {
    expect(toCreateStreamInput(stream({ ShardCount: 3 }))).toEqual({ StreamName: 'clicks', ShardCount: 3, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    expect(toCreateStreamInput(stream({ ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } }))).toEqual({ StreamName: 'clicks', ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    expect(toCreateStreamInput(stream())).toEqual({ StreamName: 'clicks', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    expect(toCreateStreamInput(stream({ StreamModeDetails: { StreamMode: 'ON_DEMAND' } }))).toEqual({ StreamName: 'clicks', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    // A ShardCount beside ON_DEMAND (a hand-written resources.yml) is not sent: CreateStream refuses both.
    expect(toCreateStreamInput(stream({ ShardCount: 2, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }))).toEqual({ StreamName: 'clicks', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
  });
});

describe('streamChanges', () => {
  const stream = (extra: Record<string, unknown> = {}) => KinesisStream.parse({ Name: 'clicks', ...extra });

  it('a declared retention that differs is set, longer or shorter; an undeclared one is left as it is', () => {
    expect(streamChanges(stream({ RetentionPeriodHours: 48 }), { RetentionPeriodHours: 24, OpenShardCount: 4 })).toEqual({ retention: { hours: 48, longer: true } });
    expect(streamChanges(stream({ RetentionPeriodHours: 24 }), { RetentionPeriodHours: 168, OpenShardCount: 4 })).toEqual({ retention: { hours: 24, longer: false } });
    expect(streamChanges(stream({ RetentionPeriodHours: 24 }), { RetentionPeriodHours: 24, OpenShardCount: 4 })).toEqual({});
    expect(streamChanges(stream(), { RetentionPeriodHours: 168, OpenShardCount: 4 })).toEqual({});
  });

  it('a declared ShardCount that differs from the open shards is reported (esb does not reshard); ON_DEMAND shards are not compared', () => {
    expect(streamChanges(stream({ ShardCount: 2 }), { RetentionPeriodHours: 24, OpenShardCount: 3 })).toEqual({ shards: { open: 3, declared: 2 } });
    expect(streamChanges(stream({ ShardCount: 2 }), { RetentionPeriodHours: 24, OpenShardCount: 2 })).toEqual({});
    expect(streamChanges(stream(), { RetentionPeriodHours: 24, OpenShardCount: 7 })).toEqual({});
    expect(streamChanges(stream({ ShardCount: 2, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }), { RetentionPeriodHours: 24, OpenShardCount: 4 })).toEqual({});
    expect(streamChanges(stream({ ShardCount: 1, RetentionPeriodHours: 72 }), { RetentionPeriodHours: 24, OpenShardCount: 2 })).toEqual({ retention: { hours: 72, longer: true }, shards: { open: 2, declared: 1 } });
  });
});
