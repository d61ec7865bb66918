// Hostile input through the real entry points: `esb artifact generate`, and `esb dev` (a
// subprocess with a capped heap, so unbounded memory would kill it) fed an alias bomb and
// manifests whose names climb out of the workspace, state machines that loop forever or
// multiply their data, and a flood of Kinesis records for a function that always fails. Each fails its own Deployment or execution with a reason; the platform
// stays up and keeps serving.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient, ListDurableExecutionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { parse } from 'yaml';
import { esb, eventually } from '@esb/controller/testing';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { startDevProcess, type DevProcess } from './testing/dev-process.js';

// 10 levels of 10 aliases: 10^10 values once expanded, from under a kilobyte of YAML.
const BOMB_ANCHORS = [
  'x-bomb:',
  '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from({ length: 9 }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`),
].join('\n');

const bombTemplate = `Transform: AWS::Serverless-2016-10-31
${BOMB_ANCHORS}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          X: *a9
`;

const goodTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Still:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Get: { Type: HttpApi, Properties: { Path: /still-serving, Method: get } }
`;

// A heap this size holds esb dev comfortably; an expanded bomb does not fit.
const CAPPED_HEAP = { NODE_OPTIONS: '--max-old-space-size=384' };

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await listTree(p)));
  }
  return out;
}

describe('hostile input (esb artifact generate, esb deploy, esb dev)', () => {
  let parent: string;
  let ws: string;
  let app: string;
  let dev: DevProcess;
  let gateway: string;

  beforeAll(async () => {
    // The workspace sits alone in its own folder: anything written next to it escaped.
    parent = await mkdtemp(path.join(tmpdir(), 'esb-hostile-'));
    ws = path.join(parent, 'ws');
    app = path.join(ws, 'app');
    await mkdir(path.join(app, 'src'), { recursive: true });
    await writeFile(path.join(app, 'src', 'app.py'), 'def handler(event, context):\n    return {"statusCode": 200, "body": "still here"}\n');
    await writeFile(path.join(app, 'bomb.yml'), bombTemplate);
    await writeFile(path.join(app, 'good.yml'), goodTemplate);
    dev = await startDevProcess(ws, CAPPED_HEAP);
    gateway = dev.info.gateway;
  }, 120_000);

  afterAll(async () => {
    await dev?.stop();
    await rm(parent, { recursive: true, force: true });
  });

  const alive = () => dev.alive();

  it('`esb artifact generate` refuses the 818-byte alias bomb with the file and the reason, in a capped heap', async () => {
    const out = path.join(parent, 'gen-out');
    const r = await esb(['artifact', 'generate', '-t', path.join(app, 'bomb.yml'), '-o', out], CAPPED_HEAP);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bomb.yml');
    expect(r.stderr).toMatch(/YAML aliases expand to more than 100,000 values/);
    expect(r.stderr).not.toMatch(/heap out of memory/i);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('`esb deploy` of the bomb fails its Deployment with InvalidTemplate; esb dev survives and serves', async () => {
    const r = await esb(['deploy', '-t', path.join(app, 'bomb.yml'), '--workspace', ws, '--timeout', '60s'], CAPPED_HEAP);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/bomb\.yml.*YAML aliases expand/);
    const described = await esb(['describe', 'deployment', 'bomb-default', '--workspace', ws]);
    expect(described.stdout).toMatch(/Ready\s+False\s+InvalidTemplate/);
    expect(alive()).toBe(true);
    expect((await fetch(`${gateway}/health`)).status).toBe(200);
    // Still deploying and serving after it.
    const good = await esb(['deploy', '-t', path.join(app, 'good.yml'), '--workspace', ws, '--timeout', '90s']);
    expect(good.code).toBe(0);
    expect(await eventually(`${gateway}/still-serving`, (s) => s === 200)).toBe('still here');
    expect(alive()).toBe(true);
  }, 240_000);

  it('an alias bomb in a dropped manifest fails that Deployment with InvalidSpec naming the file', async () => {
    await writeFile(
      path.join(ws, 'deployments', 'bomb-manifest.yaml'),
      `${BOMB_ANCHORS}\napiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: bomb-manifest }\nspec: { template: ../app/good.yml, parameters: { X: *a9 } }\n`,
    );
    const status = path.join(ws, '.esb', 'status', 'default', 'bomb-manifest.yaml');
    for (;;) {
      if (existsSync(status) && (await readFile(status, 'utf8')).includes('InvalidSpec')) break;
      expect(alive()).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    const described = await esb(['describe', 'deployment', 'bomb-manifest', '--workspace', ws]);
    expect(described.stdout).toContain('bomb-manifest.yaml: YAML aliases expand to more than 1,000 values');
    expect(alive()).toBe(true);
    expect((await fetch(`${gateway}/still-serving`)).status).toBe(200);
  }, 120_000);

  it('state machines that loop forever or multiply their data end with an error; esb dev keeps its memory and serves', async () => {
    // A Pass loop that carries 20 KB round and round, and states that array their input ten times over each.
    const machines = `Transform: AWS::Serverless-2016-10-31
Resources:
  Forever:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Spin
        States:
          Spin: {Type: Pass, Next: Again}
          Again: {Type: Choice, Choices: [{Variable: $.never, IsPresent: true, Next: Done}], Default: Spin}
          Done: {Type: Succeed}
  Multiply:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A: {Type: Pass, Parameters: {'x.$': 'States.Array($, $, $, $, $, $, $, $, $, $)'}, Next: B}
          B: {Type: Pass, Parameters: {'x.$': 'States.Array($, $, $, $, $, $, $, $, $, $)'}, Next: C}
          C: {Type: Pass, Parameters: {'x.$': 'States.Array($, $, $, $, $, $, $, $, $, $)'}, Next: D}
          D: {Type: Pass, Parameters: {'x.$': 'States.Array($, $, $, $, $, $, $, $, $, $)'}, Next: E}
          E: {Type: Pass, Parameters: {'x.$': 'States.Array($, $, $, $, $, $, $, $, $, $)'}, End: true}
`;
    await writeFile(path.join(app, 'machines.yml'), machines);
    const deployed = await esb(['deploy', '-t', path.join(app, 'machines.yml'), '--workspace', ws, '--timeout', '90s']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const sfn = new SFNClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    const arn = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:machines-${name}`;
    const big = JSON.stringify({ pad: 'x'.repeat(20_000) });
    const started = await Promise.all([
      ...Array.from({ length: 4 }, () => sfn.send(new StartExecutionCommand({ stateMachineArn: arn('Forever'), input: big }))),
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn('Multiply'), input: big })),
    ]);
    // Requests are answered while they run.
    expect((await fetch(`${gateway}/still-serving`)).status).toBe(200);
    const ends = [];
    for (const s of started) {
      for (;;) {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: s.executionArn }));
        if (d.status !== 'RUNNING') {
          ends.push([d.status, d.error]);
          break;
        }
        expect(alive()).toBe(true);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(ends).toEqual([...Array(4).fill(['FAILED', 'States.Runtime']), ['FAILED', 'States.DataLimitExceeded']]);
    expect(alive()).toBe(true);
    expect((await fetch(`${gateway}/still-serving`)).status).toBe(200);
  }, 240_000);

  it('a flood of Kinesis records for a function that always fails stays within the storage\'s and the agent\'s bounds; esb dev keeps its memory and serves', async () => {
    await writeFile(path.join(app, 'src', 'fails.py'), 'def handler(event, context):\n    raise ValueError("never done")\n');
    const stream = `Transform: AWS::Serverless-2016-10-31
Resources:
  Flood: {Type: AWS::Kinesis::Stream, Properties: {Name: flood, ShardCount: 2}}
  Sink:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: fails.handler
      CodeUri: src/
      Events:
        Records: {Type: Kinesis, Properties: {Stream: !GetAtt Flood.Arn, StartingPosition: LATEST, BatchSize: 1000}}
`;
    await writeFile(path.join(app, 'stream.yml'), stream);
    const deployed = await esb(['deploy', '-t', path.join(app, 'stream.yml'), '--workspace', ws, '--timeout', '90s']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const kinesis = new KinesisClient({ endpoint: dev.info.sqs, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    // 160 MiB in 1 MiB records, five to a call: several times what the storage keeps and the agent queues.
    const record = (i: number) => ({ PartitionKey: `k${i}`, Data: Buffer.alloc(1024 * 1024 - 64, i % 251) });
    let first: string | undefined;
    for (let call = 0; call < 32; call++) {
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'flood', Records: Array.from({ length: 5 }, (_, j) => record(call * 5 + j)) }));
      expect(out.FailedRecordCount).toBe(0);
      first ??= out.Records![0].SequenceNumber;
      expect(alive()).toBe(true);
    }
    expect((await fetch(`${gateway}/still-serving`)).status).toBe(200);
    // What the stream still holds is within its bound: the oldest records went.
    let held = 0;
    let oldest: string | undefined;
    for (const ShardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'flood', ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of got.Records ?? []) {
        held += r.Data!.length;
        if (r.SequenceNumber === first) oldest = first;
      }
    }
    kinesis.destroy();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(oldest).toBeUndefined();
    expect(alive()).toBe(true);
    expect((await fetch(`${gateway}/still-serving`)).status).toBe(200);
  }, 240_000);

  it('runaway durable executions (2 MB more at every replay) end ExecutionTooLarge within the agent\'s bounds; garbage checkpoints are refused; esb dev keeps its memory and serves', async () => {
    // A durable function without the SDK: every invocation checkpoints a 2 MB step and a 0-second wait, for ever.
    const runaway = [
      'exports.handler = async (e) => {',
      '  const url = `${process.env.AWS_ENDPOINT_URL_LAMBDA}/2025-12-01/durable-executions/${encodeURIComponent(e.DurableExecutionArn)}/checkpoint`;',
      '  const id = `${Date.now()}-${Math.random()}`;',
      "  const Updates = [{ Id: `s${id}`, Type: 'STEP', Action: 'SUCCEED', Payload: 'x'.repeat(2 * 1024 * 1024) }, { Id: `w${id}`, Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 0 } }];",
      "  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ CheckpointToken: e.CheckpointToken, Updates }) });",
      "  return r.ok ? { Status: 'PENDING' } : { Status: 'FAILED', Error: { ErrorType: 'Refused', ErrorMessage: (await r.text()).slice(0, 300) } };",
      '};',
    ].join('\n');
    await writeFile(path.join(app, 'src', 'runaway.js'), runaway);
    await writeFile(
      path.join(app, 'durable.yml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Runaway:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: nodejs20.x, Handler: runaway.handler, CodeUri: src/, Timeout: 30, DurableConfig: {ExecutionTimeout: 600}}\n',
    );
    const deployed = await esb(['deploy', '-t', path.join(app, 'durable.yml'), '--workspace', ws, '--timeout', '90s']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const lambda = new LambdaClient({ endpoint: gateway, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' }, maxAttempts: 1 });
    // Twelve at once: 192 MB if each reached the 16 MB of one execution, past the 128 MB of all.
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => lambda.send(new InvokeCommand({ FunctionName: 'durable-Runaway', Qualifier: '$LATEST', DurableExecutionName: `runaway-${i}`, Payload: Buffer.from('{}') }))));
    for (const run of runs) {
      expect(run.FunctionError).toBe('Unhandled');
      expect(JSON.parse(Buffer.from(run.Payload!).toString())).toMatchObject({ errorType: 'ExecutionTooLarge' });
    }
    expect(alive()).toBe(true);
    // Ended executions were forgotten, oldest first, to keep all within their bound; some are kept.
    const kept = (await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'durable-Runaway' }))).DurableExecutions ?? [];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(12);
    // Checkpoints that are not checkpoints: a clear 400 each, nothing else.
    const checkpoint = (body: string) => fetch(`${gateway}/2025-12-01/durable-executions/${encodeURIComponent(kept[0].DurableExecutionArn!)}/checkpoint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [body, message] of [
      ['{not json', /^the body is not JSON/],
      ['{"CheckpointToken": 7, "Updates": []}', /^Invalid Checkpoint Token/],
      [JSON.stringify({ CheckpointToken: 'x', Updates: [{ Id: {}, Type: 'STEP', Action: 'START' }] }), /^Invalid Checkpoint Token/],
    ] as const) {
      const res = await checkpoint(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    lambda.destroy();
    expect(alive()).toBe(true);
    expect((await fetch(`${gateway}/still-serving`)).status).toBe(200);
  }, 240_000);

  it('manifests whose namespace or name climb out of the workspace are refused, and nothing is written outside', async () => {
    const before = await listTree(parent);
    await writeFile(
      path.join(ws, 'deployments', 'evil-namespace.yaml'),
      'apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: x, namespace: ../../../escaped-ns }\nspec: { template: ../app/good.yml }\n',
    );
    await writeFile(
      path.join(ws, 'deployments', 'evil-name.yaml'),
      'apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: { name: ../../../../escaped-name }\nspec: { template: ../app/good.yml }\n',
    );
    const statusOf = (name: string) => path.join(ws, '.esb', 'status', 'default', `${name}.yaml`);
    for (const name of ['evil-namespace', 'evil-name']) {
      for (;;) {
        if (existsSync(statusOf(name)) && (await readFile(statusOf(name), 'utf8')).includes('InvalidSpec')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const readyMessage = async (name: string) =>
      (parse(await readFile(statusOf(name), 'utf8')) as { status: { conditions: Array<{ type: string; message: string }> } }).status.conditions.find((c) => c.type === 'Ready')?.message;
    expect(await readyMessage('evil-namespace')).toContain('evil-namespace.yaml: metadata.namespace: must be a DNS-1123 label');
    expect(await readyMessage('evil-name')).toContain('evil-name.yaml: metadata.name: must be a DNS-1123 subdomain');
    // Nothing next to the workspace, and nothing named after the hostile names anywhere in it.
    expect((await readdir(parent)).filter((n) => n !== 'ws' && n !== 'gen-out')).toEqual([]);
    const added = (await listTree(parent)).filter((p) => !before.includes(p));
    expect(added.filter((p) => /escaped/.test(p))).toEqual([]);
    expect(added.filter((p) => !p.startsWith(`${ws}${path.sep}`))).toEqual([]);
    expect(alive()).toBe(true);
  }, 120_000);
});
