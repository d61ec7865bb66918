// Benchmark: `esb artifact apply` of a 1,000-function, 5,000-route artifact onto a CONFIG_DIR
// of the same size (half the functions and routes replaced, half added). Target: under 500 ms.
// Prints the median of several runs, in ms, for: image functions; functions with a code
// folder each (digest + copy into CONFIG_DIR); and an artifact written as block YAML by the
// `yaml` package (the general-parser path, for comparison).
// Run: node --conditions=esb-source --import tsx bench/src/apply.bench.ts [runs]
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { applyArtifact } from '@esb/deploy';
import { writeArtifact, type TestStack } from '@esb/deploy/testing';
import { firstNumber } from './lib/args.js';

const FUNCTIONS = 1000;
const ROUTES = 5000;
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

function stack(name: string, offset: number, withCode: boolean): TestStack {
  const functions: Record<string, Record<string, unknown>> = {};
  const files: Record<string, string> = {};
  for (let i = offset; i < offset + FUNCTIONS; i++) {
    functions[`${'fn'}-${i}`] = {
      image: `esb-esb-fn-${i}:0123456789ab`,
      runtime: 'python3.12',
      handler: `app.handler_${i}`,
      timeout: 10,
      memory_size: 256,
      environment: { INDEX: String(i), TABLE: 'data', STAGE: name, SELF_ARN: `arn:aws:lambda:us-east-1:123456789012:function:fn-${i}` },
      layers: [],
      ...(withCode ? { code: `functions/fn-${i}/code` } : {}),
    };
    if (withCode) files[`functions/fn-${i}/code/app.py`] = `def handler_${i}(event, context):\n    return {"statusCode": 200, "body": "${name}"}\n`;
  }
  const routes = [];
  for (let i = offset * 5; i < offset * 5 + ROUTES; i++) {
    const fn = Math.floor(i / 5);
    routes.push({ path: `/items/${fn}/{id}`, method: methods[i % 5], function: `fn-${fn}`, api: 'Api' });
  }
  return {
    name,
    functions,
    files,
    routes,
    apis: { Api: { type: 'rest', stage: 'dev', cors: { allow_origins: ['*'] } } },
    resources: { dynamodb: [{ TableName: `${name}-data`, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }] },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function scenario(label: string, work: string, withCode: boolean, format: 'runtime' | 'yaml', runs: number, codePresent = false): Promise<number> {
  const dir = join(work, label.replace(/[^a-z0-9]+/gi, '-'));
  // The existing CONFIG_DIR: 1,000 functions and 5,000 routes applied by apply itself.
  const base = join(dir, 'base-config');
  await applyArtifact({ artifactPath: await writeArtifact(join(dir, 'old'), { stacks: [stack('old', 0, withCode)], format }), configDir: base });
  // The new artifact: functions 500..1499 (500 replaced, 500 added), routes 2500..7499.
  const artifact = await writeArtifact(join(dir, 'new'), { stacks: [stack('new', FUNCTIONS / 2, withCode)], format });
  if (codePresent) {
    // A redeploy whose code folders are already in CONFIG_DIR (only the config changed).
    const saved = join(dir, 'saved');
    await cp(base, saved, { recursive: true });
    await applyArtifact({ artifactPath: artifact, configDir: base });
    for (const f of ['functions.yml', 'routing.yml', 'resources.yml']) await cp(join(saved, f), join(base, f));
  }
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const configDir = join(dir, `config-${r}`);
    await cp(base, configDir, { recursive: true });
    const t0 = performance.now();
    const report = await applyArtifact({ artifactPath: artifact, configDir, strict: true });
    times.push(performance.now() - t0);
    const c = report.entries[0].changes;
    if (c.functions.added.length !== 500 || c.functions.replaced.length !== 500 || c.routes.added.length !== 2500) {
      throw new Error(`unexpected report: ${JSON.stringify({ f: c.functions.added.length, r: c.routes.added.length })}`);
    }
    await rm(configDir, { recursive: true, force: true });
  }
  const m = median(times);
  console.log(`apply ${label}: median ${m.toFixed(0)} ms over ${runs} runs [${times.map((t) => t.toFixed(0)).join(', ')}]`);
  return m;
}

export async function benchApply(runs = 5): Promise<Record<string, number>> {
  const work = await mkdtemp(join(tmpdir(), 'esb-bench-apply-'));
  try {
    return {
      images: await scenario('1000 image functions + 5000 routes', work, false, 'runtime', runs),
      code: await scenario('1000 functions with code + 5000 routes (1000 code folders copied)', work, true, 'runtime', runs),
      codePresent: await scenario('1000 functions with code + 5000 routes (code already in CONFIG_DIR)', work, true, 'runtime', runs, true),
      yaml: await scenario('same, artifact in yaml-package block style', work, false, 'yaml', Math.min(runs, 3)),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Math.max(3, firstNumber(process.argv.slice(2), 5));
  const r = await benchApply(runs);
  console.log(`target < 500 ms (config merge of 1,000 functions / 5,000 routes): ${r.images < 500 ? 'met' : 'NOT met'} (${r.images.toFixed(0)} ms)`);
}
