// The runtime images provide the AWS SDK as Lambda does: Node ESM and CJS handlers import
// @aws-sdk/client-dynamodb without bundling it, a Python handler uses boto3 without an
// endpoint_url, and all of them reach the embedded DynamoDB through AWS_ENDPOINT_URL_DYNAMODB
// alone. Real containers (createAgent runtime 'docker'), a real dynalite on 0.0.0.0.
// Without a Docker engine: a loud skip, except under CI=true, where it fails.
// The images are (re)built first by scripts/docker-base-image.sh (a no-op when up to date).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { type EmbeddedStorage, startEmbeddedStorage } from '@esb/storage';
import { type Agent, createAgent } from './agent.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const silent = pino({ level: 'silent' });
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const credentials = { accessKeyId: 'esb-local', secretAccessKey: 'esb-local' };

function engineMissing(): string | undefined {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return '`docker info` does not answer (run scripts/docker-up.sh)';
  }
}

const why = engineMissing();
const mustRun = process.env.CI === 'true';
if (why) {
  process.stderr.write(`\n!!!!!!!!!! ${mustRun ? 'FAILING (CI=true)' : 'SKIPPING'} the runtime image tests: ${why} !!!!!!!!!!\n\n`);
}

// CI installs the engine and builds the images (.ci/run): there, a missing one fails the file.
if (why && mustRun) throw new Error(`CI=true but the runtime image tests cannot run: ${why}`);

const ESM = `import { DynamoDBClient, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
const db = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(db);
export const handler = async (event) => {
  await db.send(new PutItemCommand({ TableName: process.env.TABLE, Item: { id: { S: event.id }, by: { S: 'esm' } } }));
  const got = await db.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: event.id } } }));
  const viaDoc = await doc.send(new GetCommand({ TableName: process.env.TABLE, Key: { id: event.id } }));
  return { node: process.version, sdk: import.meta.resolve('@aws-sdk/client-dynamodb'), item: got.Item, doc: viaDoc.Item };
};
`;
const CJS = `const { DynamoDBClient, PutItemCommand, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const db = new DynamoDBClient({});
exports.handler = async (event) => {
  await db.send(new PutItemCommand({ TableName: process.env.TABLE, Item: { id: { S: event.id }, by: { S: 'cjs' } } }));
  const got = await db.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: event.id } } }));
  return { node: process.version, sdk: require.resolve('@aws-sdk/client-dynamodb'), item: got.Item };
};
`;
const PY = `import os
import boto3
import botocore

db = boto3.client("dynamodb")


def handler(event, context):
    table = os.environ["TABLE"]
    db.put_item(TableName=table, Item={"id": {"S": event["id"]}, "by": {"S": "python"}})
    got = db.get_item(TableName=table, Key={"id": {"S": event["id"]}})
    return {"boto3": boto3.__version__, "botocore": botocore.__version__, "endpoint": db.meta.endpoint_url, "item": got["Item"], "tables": db.list_tables()["TableNames"]}
`;

describe.skipIf(why !== undefined)('runtime images: the AWS SDK is provided, endpoints come from AWS_ENDPOINT_URL_*', () => {
  const agentName = `esb-rtimg-${process.pid}`;
  const table = 'rt-items';
  let root: string;
  let storage: EmbeddedStorage;
  let agent: Agent;
  let hostDb: DynamoDBClient;

  beforeAll(async () => {
    // Builds or refreshes esb-base:* and esb-runtime:* (0.2 s when they are up to date).
    execFileSync('sh', [path.join(REPO, 'scripts', 'docker-base-image.sh')], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
    root = mkdtempSync(path.join(tmpdir(), 'esb-rtimg-'));
    for (const [dir, file, text] of [
      ['esm', 'index.mjs', ESM],
      ['cjs', 'index.js', CJS],
      ['py', 'app.py', PY],
    ] as const) {
      mkdirSync(path.join(root, dir));
      writeFileSync(path.join(root, dir, file), text);
    }
    writeFileSync(path.join(root, 'cjs', 'package.json'), '{"type":"commonjs"}');
    // 0.0.0.0 so that containers reach it through host.docker.internal.
    storage = await startEmbeddedStorage({ dataDir: path.join(root, 'data'), host: '0.0.0.0', dynamodbPort: 0, only: 'dynamodb', createTableMs: 0 });
    const port = new URL(storage.dynamodbEndpoint ?? '').port;
    const endpoint = `http://127.0.0.1:${port}`;
    hostDb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
    await hostDb.send(
      new CreateTableCommand({ TableName: table, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    agent = await createAgent({ runtime: 'docker', logDir: path.join(root, 'logs'), log: silent, docker: { agentName }, endpoints: { dynamodb: endpoint } });
    const common = { timeout: 20, environment: { TABLE: table } };
    agent.setFunctions(
      FunctionsFile.parse({
        functions: {
          esm: { runtime: 'nodejs20.x', handler: 'index.handler', code: path.join(root, 'esm'), ...common },
          cjs: { runtime: 'nodejs20.x', handler: 'index.handler', code: path.join(root, 'cjs'), ...common },
          py: { runtime: 'python3.13', handler: 'app.handler', code: path.join(root, 'py'), ...common },
        },
      }),
    );
  }, 600_000);

  afterAll(async () => {
    await agent?.close();
    hostDb?.destroy();
    await storage?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const stored = async (id: string) => (await hostDb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }))).Item;

  it('a Node ESM handler imports the runtime SDK (client-dynamodb, lib-dynamodb) on Node 20', async () => {
    const r = await agent.invoke('esm', Buffer.from('{"id":"esm-1"}'));
    expect(r.error, r.payload.toString()).toBeUndefined();
    const out = json(r.payload);
    expect(out.node).toMatch(/^v20\./);
    expect(out.sdk).toMatch(/^file:\/\/\/var\/runtime\/node_modules\/@aws-sdk\/client-dynamodb\//);
    expect(out.item).toEqual({ id: { S: 'esm-1' }, by: { S: 'esm' } });
    expect(out.doc).toEqual({ id: 'esm-1', by: 'esm' });
    expect(await stored('esm-1')).toEqual({ id: { S: 'esm-1' }, by: { S: 'esm' } });
  }, 60_000);

  it('a Node CJS handler requires the runtime SDK', async () => {
    const r = await agent.invoke('cjs', Buffer.from('{"id":"cjs-1"}'));
    expect(r.error, r.payload.toString()).toBeUndefined();
    const out = json(r.payload);
    expect(out.node).toMatch(/^v20\./);
    expect(out.sdk).toMatch(/^\/var\/runtime\/node_modules\/@aws-sdk\/client-dynamodb\//);
    expect(out.item).toEqual({ id: { S: 'cjs-1' }, by: { S: 'cjs' } });
    expect(await stored('cjs-1')).toEqual({ id: { S: 'cjs-1' }, by: { S: 'cjs' } });
  }, 60_000);

  it('a Python handler uses boto3 >= 1.28 (botocore >= 1.31 reads AWS_ENDPOINT_URL_DYNAMODB itself)', async () => {
    const r = await agent.invoke('py', Buffer.from('{"id":"py-1"}'));
    expect(r.error, r.payload.toString()).toBeUndefined();
    const out = json(r.payload);
    const [major, minor] = String(out.botocore).split('.').map(Number);
    expect(major > 1 || (major === 1 && minor >= 31), `botocore ${out.botocore}`).toBe(true);
    expect(out.endpoint).toMatch(/^http:\/\/host\.docker\.internal:\d+$/);
    expect(out.item).toEqual({ id: { S: 'py-1' }, by: { S: 'python' } });
    expect(out.tables).toContain(table);
    expect(await stored('py-1')).toEqual({ id: { S: 'py-1' }, by: { S: 'python' } });
  }, 60_000);
});
