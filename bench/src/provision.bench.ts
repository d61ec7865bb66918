// Provisioning speed on the embedded servers: 50 tables (one with a GSI each) and 50 buckets
// (half with a lifecycle rule), first run (all created) and second run (all existing, target
// under 1 s). Run: node --conditions=esb-source --import tsx bench/src/provision.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourcesFile } from '@esb/contracts';
import { provision } from '@esb/provisioner';
import { startEmbeddedStorage } from '@esb/storage';

export interface ProvisionBenchResult {
  tables: number;
  buckets: number;
  startMs: number;
  firstRunMs: number;
  secondRunMs: number;
  secondRunUnder1s: boolean;
}

export function benchResources(count: number): ResourcesFile {
  return {
    resources: {
      dynamodb: Array.from({ length: count }, (_, i) => ({
        TableName: `bench-table-${i}`,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' as const },
          { AttributeName: 'sk', KeyType: 'RANGE' as const },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' as const },
          { AttributeName: 'sk', AttributeType: 'S' as const },
          { AttributeName: 'g', AttributeType: 'S' as const },
        ],
        GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' as const }], Projection: { ProjectionType: 'ALL' as const } }],
        BillingMode: i % 2 ? ('PROVISIONED' as const) : ('PAY_PER_REQUEST' as const),
      })),
      s3: Array.from({ length: count }, (_, i) => ({
        BucketName: `bench-bucket-${i}`,
        ...(i % 2 ? { LifecycleConfiguration: { Rules: [{ Id: 'tmp', Status: 'Enabled' as const, Prefix: 'tmp/', ExpirationInDays: 1 }] } } : {}),
      })),
    },
  };
}

export async function runProvisionBench(count = 50): Promise<ProvisionBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'esb-bench-provision-'));
  try {
    let t = performance.now();
    // createTableMs 0: what the embedded default uses (dynalite's own default keeps each new table CREATING for 500 ms).
    const storage = await startEmbeddedStorage({ dataDir: dir, createTableMs: 0 });
    const startMs = performance.now() - t;
    try {
      const options = { dynamodbEndpoint: storage.dynamodbEndpoint, s3Endpoint: storage.s3Endpoint };
      const resources = benchResources(count);
      t = performance.now();
      const first = await provision(resources, options);
      const firstRunMs = performance.now() - t;
      if (first.tables.some((x) => x.status !== 'created') || first.buckets.some((x) => x.status !== 'created')) throw new Error('first run: not everything was created');
      t = performance.now();
      const second = await provision(resources, options);
      const secondRunMs = performance.now() - t;
      if (second.tables.some((x) => x.status !== 'exists') || second.buckets.some((x) => x.status !== 'exists')) throw new Error('second run: something was created again');
      return { tables: count, buckets: count, startMs, firstRunMs, secondRunMs, secondRunUnder1s: secondRunMs < 1000 };
    } finally {
      await storage.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runProvisionBench(Number(process.env.BENCH_COUNT ?? 50));
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  process.stdout.write(
    [
      `provision bench: ${r.tables} tables (GSI each) + ${r.buckets} buckets (half with lifecycle) on the embedded servers`,
      `  storage start: ${ms(r.startMs)}`,
      `  first run (all created): ${ms(r.firstRunMs)}`,
      `  second run (all existing): ${ms(r.secondRunMs)} — ${r.secondRunUnder1s ? 'under 1 s: OK' : 'NOT under 1 s'}`,
    ].join('\n') + '\n',
  );
  if (!r.secondRunUnder1s) process.exitCode = 1;
}
