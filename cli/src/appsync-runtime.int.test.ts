// The AppSync built-in function (deploy/runtime/appsync.mjs, docs/appsync.md) driven in process:
// DynamoDB data sources against the embedded DynamoDB, Lambda data sources and authorizers
// against a small Invoke API server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { readBuiltinCode } from '@esb/deploy';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { startEmbeddedStorage, type EmbeddedStorage } from '@esb/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

type Handler = (event: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
type Answer = { status: number; body: { data?: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> } };

const credentials = { accessKeyId: 'AKLOCAL', secretAccessKey: 'secret' };
const API_KEY = 'da2-localkey';

/** Functions of the stub Invoke API: a payload in, `{payload}` or `{error: {errorMessage, errorType}}` out. */
const functions: Record<string, (payload: unknown) => { payload?: unknown; error?: { errorMessage: string; errorType: string } }> = {};
const invocations: Array<{ name: string; payload: unknown }> = [];
/** What the built-in POSTed to the gateway's publish path (subscriptions), and how the stub answers. */
const published: Array<{ url: string; authorization: string; body: unknown }> = [];
let publishStatus = 200;

let storage: EmbeddedStorage;
let lambdaServer: Server;
let dataDir: string;
const saved = { ...process.env };
/** The folders the built-in writes APPSYNC_JS modules to (a worker may end before its exit hook). */
const codeDirs = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('esb-appsync-code-'));
let codeDirsBefore: string[];

beforeAll(async () => {
  codeDirsBefore = await codeDirs();
  dataDir = await mkdtemp(join(tmpdir(), 'esb-appsync-'));
  storage = await startEmbeddedStorage({ dataDir, only: 'dynamodb' });
  lambdaServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url?.startsWith('/appsync-api/')) {
        published.push({ url: req.url, authorization: String(req.headers.authorization), body: JSON.parse(body) });
        return res.writeHead(publishStatus, { 'content-type': 'application/json' }).end('{"delivered":1}');
      }
      const name = decodeURIComponent(/^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '')?.[1] ?? '');
      const fn = functions[name];
      if (req.method !== 'POST' || !fn) return res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }).end(JSON.stringify({ message: `Function not found: ${name}` }));
      const payload = JSON.parse(body);
      invocations.push({ name, payload });
      const out = fn(payload);
      if (out.error) return res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify(out.error));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out.payload ?? null));
    });
  });
  await new Promise<void>((done) => lambdaServer.listen(0, '127.0.0.1', done));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: storage.dynamodbEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambdaServer.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
  const ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials });
  await ddb.send(new CreateTableCommand({ TableName: 'Notes', KeySchema: [{ AttributeName: 'NoteId', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'NoteId', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  await ddb.send(
    new CreateTableCommand({
      TableName: 'Items',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['PK', 'SK', 'parentPK', 'parentSK'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'ParentGSI',
          KeySchema: [
            { AttributeName: 'parentPK', KeyType: 'HASH' },
            { AttributeName: 'parentSK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (const TableName of ['Notes', 'Items']) await waitUntilTableExists({ client: ddb, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.2 }, { TableName });
  ddb.destroy();
});

afterAll(async () => {
  process.env = saved;
  await new Promise((done) => lambdaServer.close(done));
  await storage.close();
  await rm(dataDir, { recursive: true, force: true });
  for (const dir of await codeDirs()) if (!codeDirsBefore.includes(dir)) await rm(join(tmpdir(), dir), { recursive: true, force: true });
  if (codeFolder) await rm(await codeFolder, { recursive: true, force: true });
});

let logged: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  invocations.length = 0;
  logged = vi.spyOn(console, 'error').mockImplementation(() => {});
  return () => logged.mockRestore();
});

/** The built-in's code folder as a deploy ships it (appsync.mjs and the runtime files it imports), made once. */
let codeFolder: Promise<string> | undefined;
const shippedCode = () =>
  (codeFolder ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esb-appsync-builtin-'));
    const listing = (await readBuiltinCode([{ code: { kind: 'builtin', file: 'appsync.mjs', handler: 'appsync.handler' } } as never]))['appsync.mjs']!;
    for (const e of listing.entries) await copyFile((e.source as { copyFrom: string }).copyFrom, join(dir, e.path));
    return dir;
  })());

/** The handler as a fresh function instance loads it, with this API. */
async function handlerOf(api: Record<string, unknown>): Promise<Handler> {
  process.env.ESB_APPSYNC = JSON.stringify({ name: 'TestApi', api_id: 'testapi', auth: [{ type: 'API_KEY' }], api_keys: [API_KEY], ...api });
  vi.resetModules();
  const runtime = pathToFileURL(join(await shippedCode(), 'appsync.mjs')).href;
  return ((await import(/* @vite-ignore */ runtime)) as { handler: Handler }).handler;
}

/** An HTTP API payload 2.0 event for POST /graphql. */
function event(body: unknown, headers: Record<string, string> = { 'x-api-key': API_KEY }, base64 = false) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: 'POST /graphql',
    rawPath: '/graphql',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: { http: { method: 'POST', path: '/graphql', sourceIp: '10.0.0.1' }, requestId: 'req-1' },
    body: base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: base64,
  };
}

async function call(handler: Handler, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<Answer> {
  const res = await handler(event({ query, variables }, headers));
  expect(res.headers['content-type']).toBe('application/json');
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

// ------------------------------------------------------------------ the Notes API (VTL on DynamoDB)

const NOTES_SCHEMA = `
type Note { NoteId: ID! title: String content: String }
type PaginatedNotes { notes: [Note!]! nextToken: String }
type Query { allNotes(limit: Int, nextToken: String): PaginatedNotes! getNote(NoteId: ID!): Note }
type Mutation { saveNote(NoteId: ID!, title: String!, content: String!): Note deleteNote(NoteId: ID!): Note }
type Schema { query: Query mutation: Mutation }
`;
const key = '"key": { "NoteId": $util.dynamodb.toDynamoDBJson($ctx.args.NoteId) }';
const NOTES = {
  schema: NOTES_SCHEMA,
  data_sources: { NotesDataSource: { type: 'AMAZON_DYNAMODB', table: 'Notes' } },
  resolvers: [
    {
      type_name: 'Query',
      field_name: 'allNotes',
      data_source: 'NotesDataSource',
      request_template: '{\n  "version": "2017-02-28",\n  "operation": "Scan",\n  "limit": $util.defaultIfNull(${ctx.args.limit},20),\n  "nextToken": $util.toJson(${ctx.args.nextToken})\n}',
      response_template: '{\n  "notes": $util.toJson($ctx.result.items),\n  "nextToken": $util.toJson(${ctx.args.nextToken})\n}',
    },
    { type_name: 'Query', field_name: 'getNote', data_source: 'NotesDataSource', request_template: `{ "version": "2018-05-29", "operation": "GetItem", ${key} }`, response_template: '$util.toJson($ctx.result)' },
    {
      type_name: 'Mutation',
      field_name: 'saveNote',
      data_source: 'NotesDataSource',
      request_template: `{ "version": "2018-05-29", "operation": "PutItem", ${key}, "attributeValues": { "title": $util.dynamodb.toDynamoDBJson($ctx.args.title), "content": $util.dynamodb.toDynamoDBJson($ctx.args.content) } }`,
      response_template: '$util.toJson($ctx.result)',
    },
    { type_name: 'Mutation', field_name: 'deleteNote', data_source: 'NotesDataSource', request_template: `{ "version": "2018-05-29", "operation": "DeleteItem", ${key} }`, response_template: '$util.toJson($ctx.result)' },
  ],
};

describe('Velocity resolvers on a DynamoDB table (the Notes API)', () => {
  it('saves, reads, lists and deletes notes in the table', async () => {
    const handler = await handlerOf(NOTES);
    const saved = await call(handler, 'mutation Save($id: ID!) { saveNote(NoteId: $id, title: "First", content: "hello") { NoteId title content } }', { id: 'n1' });
    expect(saved).toEqual({ status: 200, body: { data: { saveNote: { NoteId: 'n1', title: 'First', content: 'hello' } } } });
    await call(handler, 'mutation { saveNote(NoteId: "n2", title: "Second", content: "world") { NoteId } }');

    const ddb = new DynamoDBClient({ endpoint: storage.dynamodbEndpoint, region: 'us-east-1', credentials });
    expect((await ddb.send(new GetItemCommand({ TableName: 'Notes', Key: { NoteId: { S: 'n1' } } }))).Item).toEqual({ NoteId: { S: 'n1' }, title: { S: 'First' }, content: { S: 'hello' } });
    ddb.destroy();

    expect((await call(handler, '{ getNote(NoteId: "n1") { title content } }')).body).toEqual({ data: { getNote: { title: 'First', content: 'hello' } } });
    const all = await call(handler, 'query { allNotes { notes { NoteId } nextToken } }');
    expect((all.body.data!.allNotes as { notes: Array<{ NoteId: string }> }).notes.map((n) => n.NoteId).sort()).toEqual(['n1', 'n2']);
    expect(await call(handler, 'query { allNotes(limit: 1) { notes { NoteId } } }')).toMatchObject({ body: { data: { allNotes: { notes: [{}] } } } });

    expect((await call(handler, 'mutation { deleteNote(NoteId: "n1") { NoteId title } }')).body).toEqual({ data: { deleteNote: { NoteId: 'n1', title: 'First' } } });
    expect((await call(handler, '{ getNote(NoteId: "n1") { title } }')).body).toEqual({ data: { getNote: null } });
  });

  it('answers a missing non-null argument with a validation error and no data', async () => {
    const handler = await handlerOf(NOTES);
    const res = await call(handler, '{ getNote { title } }');
    expect(res.body.data).toBeNull();
    expect(res.body.errors![0]).toMatchObject({ errorType: 'ValidationError', path: null });
  });

  it('raises $util.error and keeps $util.appendError beside the data', async () => {
    const handler = await handlerOf({
      schema: 'type Query { boom: String fine: String }',
      data_sources: { none: { type: 'NONE' } },
      resolvers: [
        { type_name: 'Query', field_name: 'boom', data_source: 'none', request_template: '{"version":"2018-05-29","payload":{}}', response_template: '$util.error("It broke", "Custom:Broken", {"a": 1}, {"b": 2})' },
        { type_name: 'Query', field_name: 'fine', data_source: 'none', request_template: '{"version":"2018-05-29","payload":"ok"}', response_template: '$util.appendError("careful", "Warn")$util.toJson($ctx.result)' },
      ],
    });
    const res = await call(handler, '{ boom fine }');
    expect(res.body.data).toEqual({ boom: null, fine: 'ok' });
    expect(res.body.errors).toEqual([
      { path: ['boom'], data: { a: 1 }, errorType: 'Custom:Broken', errorInfo: { b: 2 }, locations: [{ line: 1, column: 3, sourceName: null }], message: 'It broke' },
      { path: ['fine'], data: null, errorType: 'Warn', errorInfo: null, locations: [{ line: 1, column: 8, sourceName: null }], message: 'careful' },
    ]);
  });

  it('ends a template at #return and renders Java methods, $util.qr and $util.time', async () => {
    const handler = await handlerOf({
      schema: 'type Query { early: String list(n: Int): [String] }',
      data_sources: { none: { type: 'NONE' } },
      resolvers: [
        { type_name: 'Query', field_name: 'early', data_source: 'none', request_template: '#return("short")\n{"payload": "never"}', response_template: '"not this"' },
        {
          type_name: 'Query',
          field_name: 'list',
          data_source: 'none',
          request_template: '#set($out = [])\n#foreach($i in [1..$ctx.args.n])\n$util.qr($out.add("item-$i"))\n#end\n$util.qr($ctx.stash.put("now", $util.time.nowEpochSeconds()))\n{"payload": $util.toJson($out)}',
          response_template: '#if($ctx.stash.now > 0 && $ctx.result.size() == $ctx.args.n)$util.toJson($ctx.result)#else"none"#end',
        },
      ],
    });
    expect((await call(handler, '{ early list(n: 3) }')).body).toEqual({ data: { early: 'short', list: ['item-1', 'item-2', 'item-3'] } });
  });
});

// ------------------------------------------------------------------ APPSYNC_JS on a single table

const imports = "import { util } from '@aws-appsync/utils';\n";
const JS = {
  getParent: `${imports}export function request(ctx) { const { PK, SK } = ctx.args; return { operation: 'GetItem', key: util.dynamodb.toMapValues({ PK, SK }) }; }
export function response(ctx) { ctx.stash.parent = ctx.result; return ctx.result; }`,
  getParentChildren: `${imports}export function request(ctx) {
  const { PK, SK } = ctx.args;
  return { operation: 'Query', index: 'ParentGSI', query: { expression: 'parentPK = :parentPK and parentSK = :parentSK', expressionValues: { ':parentPK': util.dynamodb.toDynamoDB(PK), ':parentSK': util.dynamodb.toDynamoDB(SK) } } };
}
export function response(ctx) { ctx.stash.children = ctx.result?.items; return ctx.result?.items; }`,
  createParent: `${imports}export function request(ctx) { const { PK, SK, ...values } = ctx.arguments; return { operation: 'PutItem', key: util.dynamodb.toMapValues({ PK, SK }), attributeValues: util.dynamodb.toMapValues({ ...values, type: 'Parent' }) }; }
export function response(ctx) { return ctx.result; }`,
  createChild: `${imports}export function request(ctx) { const { PK, SK, ...values } = ctx.arguments; return { operation: 'PutItem', key: util.dynamodb.toMapValues({ PK, SK }), attributeValues: util.dynamodb.toMapValues({ ...values, type: 'Child' }) }; }
export function response(ctx) { return ctx.result; }`,
  getParentWithChildren: `export function request(_) { return {}; }
export function response(ctx) { if (!ctx.stash.parent) return; return { ...ctx.stash.parent, children: ctx.stash.children }; }`,
};
const js = (code: string) => ({ data_source: 'ItemsDataSource', js: code });
const SINGLE_TABLE = {
  schema: `
type Item { PK: String! SK: String! type: String name: String parentPK: String parentSK: String }
type ParentWithChildren { PK: String! SK: String! type: String name: String children: [Item] }
type Query { getParentWithChildren(PK: String!, SK: String!): ParentWithChildren }
type Mutation {
  createParentItem(PK: String!, SK: String!, name: String): Item
  createChildItem(PK: String!, SK: String!, parentPK: String!, parentSK: String!, name: String): Item
}`,
  data_sources: { ItemsDataSource: { type: 'AMAZON_DYNAMODB', table: 'Items' } },
  functions: { getParentFunction: js(JS.getParent), getParentChildrenFunction: js(JS.getParentChildren), createParentFunction: js(JS.createParent), createChildFunction: js(JS.createChild) },
  resolvers: [
    { type_name: 'Query', field_name: 'getParentWithChildren', kind: 'PIPELINE', js: JS.getParentWithChildren, functions: ['getParentFunction', 'getParentChildrenFunction'] },
    { type_name: 'Mutation', field_name: 'createParentItem', kind: 'PIPELINE', functions: ['createParentFunction'] },
    { type_name: 'Mutation', field_name: 'createChildItem', kind: 'PIPELINE', functions: ['createChildFunction'] },
  ],
};

describe('APPSYNC_JS resolvers on a single table', () => {
  it('creates a parent and its children and reads them back through a pipeline', async () => {
    const handler = await handlerOf(SINGLE_TABLE);
    expect((await call(handler, 'mutation { createParentItem(PK: "P#1", SK: "META", name: "parent") { PK SK type name } }')).body).toEqual({ data: { createParentItem: { PK: 'P#1', SK: 'META', type: 'Parent', name: 'parent' } } });
    for (const n of [1, 2]) {
      const res = await call(handler, 'mutation C($sk: String!) { createChildItem(PK: "C", SK: $sk, parentPK: "P#1", parentSK: "META", name: "child") { SK type } }', { sk: `C#${n}` });
      expect(res.body).toEqual({ data: { createChildItem: { SK: `C#${n}`, type: 'Child' } } });
    }
    const res = await call(handler, '{ getParentWithChildren(PK: "P#1", SK: "META") { name type children { SK type parentPK } } }');
    (res.body.data!.getParentWithChildren as { children: Array<{ SK: string }> }).children.sort((a, b) => a.SK.localeCompare(b.SK));
    expect(res.body).toEqual({ data: { getParentWithChildren: { name: 'parent', type: 'Parent', children: [{ SK: 'C#1', type: 'Child', parentPK: 'P#1' }, { SK: 'C#2', type: 'Child', parentPK: 'P#1' }] } } });
    expect((await call(handler, '{ getParentWithChildren(PK: "P#none", SK: "META") { name } }')).body).toEqual({ data: { getParentWithChildren: null } });
  });

  it('builds requests with @aws-appsync/utils/dynamodb, raises util.error and stops at runtime.earlyReturn', async () => {
    const handler = await handlerOf({
      schema: 'type Item { PK: String! SK: String! n: Int tags: [String] } type Query { item(PK: String!, SK: String!): Item children(parent: String!): [Item] } type Mutation { bump(PK: String!, SK: String!): Item create(PK: String!, SK: String!): Item }',
      data_sources: { ItemsDataSource: { type: 'AMAZON_DYNAMODB', table: 'Items' } },
      resolvers: [
        {
          type_name: 'Query',
          field_name: 'item',
          data_source: 'ItemsDataSource',
          js: "import { runtime } from '@aws-appsync/utils';\nimport { get } from '@aws-appsync/utils/dynamodb';\nexport function request(ctx) { if (ctx.args.PK === 'early') runtime.earlyReturn({ PK: 'early', SK: 'x' }); return get({ key: { PK: ctx.args.PK, SK: ctx.args.SK } }); }\nexport const response = (ctx) => ctx.result;",
        },
        {
          type_name: 'Mutation',
          field_name: 'create',
          data_source: 'ItemsDataSource',
          js: "import { util } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\nexport function request(ctx) { return ddb.put({ key: ctx.args, item: { n: 1, tags: ['a'], parentPK: 'Q' }, condition: { PK: { attributeExists: false } } }); }\nexport function response(ctx) { if (ctx.error) util.error(ctx.error.message, ctx.error.type); return ctx.result; }",
        },
        {
          type_name: 'Mutation',
          field_name: 'bump',
          data_source: 'ItemsDataSource',
          js: "import { update, operations } from '@aws-appsync/utils/dynamodb';\nexport const request = (ctx) => update({ key: ctx.args, update: { n: operations.increment(2), tags: operations.append(['b']) } });\nexport const response = (ctx) => ctx.result;",
        },
        {
          type_name: 'Query',
          field_name: 'children',
          data_source: 'ItemsDataSource',
          js: "import { util } from '@aws-appsync/utils';\nimport { query } from '@aws-appsync/utils/dynamodb';\nexport const request = (ctx) => query({ index: 'ParentGSI', query: { parentPK: { eq: ctx.args.parent }, parentSK: { beginsWith: 'M' } }, filter: { type: { eq: 'Child' } } });\nexport const response = (ctx) => (ctx.error ? util.error(ctx.error.message, ctx.error.type) : ctx.result.items);",
        },
      ],
    });
    expect((await call(handler, 'mutation { create(PK: "J", SK: "1") { PK n tags } }')).body).toEqual({ data: { create: { PK: 'J', n: 1, tags: ['a'] } } });
    const again = await call(handler, 'mutation { create(PK: "J", SK: "1") { PK } }');
    expect(again.body.data).toEqual({ create: null });
    expect(again.body.errors![0]).toMatchObject({ path: ['create'], errorType: 'DynamoDB:ConditionalCheckFailedException' });
    expect((await call(handler, 'mutation { bump(PK: "J", SK: "1") { n tags } }')).body).toEqual({ data: { bump: { n: 3, tags: ['a', 'b'] } } });
    expect((await call(handler, '{ item(PK: "J", SK: "1") { n } early: item(PK: "early", SK: "?") { PK SK } }')).body).toEqual({ data: { item: { n: 3 }, early: { PK: 'early', SK: 'x' } } });
    // The children of P#1 from the test above (a filter on their type).
    const children = await call(handler, '{ children(parent: "P#1") { SK } }');
    expect(children.body.errors).toBeUndefined();
    expect((children.body.data!.children as Array<{ SK: string }>).map((c) => c.SK).sort()).toEqual(['C#1', 'C#2']);
  });
});

// ------------------------------------------------------------------ pipelines, direct Lambda, auth

describe('pipelines and Lambda', () => {
  it('runs a Velocity pipeline: its before and after templates around its functions, one stash, ctx.prev.result', async () => {
    const handler = await handlerOf({
      schema: 'type Query { greet(name: String!): String }',
      data_sources: { none: { type: 'NONE' } },
      functions: {
        first: { data_source: 'none', request_template: '{"payload": "$ctx.prev.result.greeting, $ctx.args.name"}', response_template: '$util.qr($ctx.stash.put("seen", 1))$util.toJson($ctx.result)' },
        second: { data_source: 'none', js: 'export const request = (ctx) => ({ payload: ctx.prev.result + "!" });\nexport const response = (ctx) => { ctx.stash.seen += 1; return ctx.result; };' },
      },
      resolvers: [
        {
          type_name: 'Query',
          field_name: 'greet',
          kind: 'PIPELINE',
          functions: ['first', 'second'],
          request_template: '$util.qr($ctx.stash.put("start", "yes"))\n{"greeting": "Hello"}',
          response_template: '#if($ctx.stash.seen == 2 && $ctx.stash.start == "yes")$util.toJson($ctx.prev.result)#else"wrong"#end',
        },
      ],
    });
    expect((await call(handler, '{ greet(name: "Ada") }')).body).toEqual({ data: { greet: 'Hello, Ada!' } });
  });

  it('sends an HTTP data source on Step Functions\' API to esb\'s endpoint, signed for states', async () => {
    const seen: Array<{ url?: string; target?: string; auth?: string; body: string }> = [];
    const sfn = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url, target: req.headers['x-amz-target'] as string, auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ status: 'SUCCEEDED', output: '{"sum":3}' }));
      });
    });
    await new Promise<void>((done) => sfn.listen(0, '127.0.0.1', done));
    process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`;
    try {
      const handler = await handlerOf({
        schema: 'type Query { add(a: Int!, b: Int!): Int }',
        data_sources: { states: { type: 'HTTP', endpoint: 'https://sync-states.us-east-1.amazonaws.com/', signing: { region: 'us-east-1', service: 'states' } } },
        resolvers: [
          {
            type_name: 'Query',
            field_name: 'add',
            data_source: 'states',
            request_template: '{ "version": "2018-05-29", "method": "POST", "resourcePath": "/", "params": { "headers": { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AWSStepFunctions.StartSyncExecution" }, "body": { "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:add", "input": "{\\"a\\": $ctx.args.a, \\"b\\": $ctx.args.b}" } } }',
            response_template: '$util.parseJson($util.parseJson($ctx.result.body).output).sum',
          },
        ],
      });
      expect((await call(handler, '{ add(a: 1, b: 2) }')).body).toEqual({ data: { add: 3 } });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ url: '/', target: 'AWSStepFunctions.StartSyncExecution', auth: expect.stringMatching(/\/us-east-1\/states\/aws4_request/) });
      expect(JSON.parse(seen[0]!.body)).toEqual({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:add', input: '{"a": 1, "b": 2}' });
    } finally {
      delete process.env.AWS_ENDPOINT_URL_SFN;
      await new Promise((done) => sfn.close(done));
    }
  });

  it('invokes a direct Lambda resolver with AppSync’s event, and reports its failure', async () => {
    functions.notes = (p) => {
      const e = p as { arguments: { id: string } };
      return e.arguments.id === 'bad' ? { error: { errorMessage: 'no such note', errorType: 'Error' } } : { payload: { id: e.arguments.id, title: 'from lambda', meta: { n: 1 } } };
    };
    const handler = await handlerOf({
      schema: 'type Note { id: ID! title: String meta: AWSJSON } type Query { note(id: ID!): Note }',
      data_sources: { fn: { type: 'AWS_LAMBDA', function: 'notes' } },
      resolvers: [{ type_name: 'Query', field_name: 'note', data_source: 'fn' }],
    });
    const ok = await call(handler, 'query Q($id: ID!) { note(id: $id) { id title meta ...F } } fragment F on Note { __typename }', { id: 'n1' });
    expect(ok.body).toEqual({ data: { note: { id: 'n1', title: 'from lambda', meta: '{"n":1}', __typename: 'Note' } } });
    expect(invocations).toHaveLength(1);
    expect(invocations[0].payload).toMatchObject({
      arguments: { id: 'n1' },
      identity: null,
      source: null,
      request: { headers: { 'x-api-key': API_KEY } },
      info: { fieldName: 'note', parentTypeName: 'Query', variables: { id: 'n1' }, selectionSetList: ['id', 'title', 'meta'] },
      stash: {},
    });
    const bad = await call(handler, '{ note(id: "bad") { id } }');
    expect(bad.body.data).toEqual({ note: null });
    expect(bad.body.errors![0]).toMatchObject({ path: ['note'], errorType: 'Lambda:Unhandled', message: 'no such note' });
  });

  it('sends a template’s Invoke payload to the function', async () => {
    functions.echo = (p) => ({ payload: p });
    const handler = await handlerOf({
      schema: 'type Query { echo(v: AWSJSON): AWSJSON }',
      data_sources: { fn: { type: 'AWS_LAMBDA', function: 'echo' } },
      resolvers: [{ type_name: 'Query', field_name: 'echo', data_source: 'fn', request_template: '{"version": "2018-05-29", "operation": "Invoke", "payload": {"got": $util.toJson($ctx.args.v)}}', response_template: '$util.toJson($ctx.result)' }],
    });
    expect((await call(handler, 'query ($v: AWSJSON) { echo(v: $v) }', { v: '{"a":[1,2]}' })).body).toEqual({ data: { echo: '{"got":{"a":[1,2]}}' } });
    const invalid = await call(handler, 'query ($v: AWSJSON) { echo(v: $v) }', { v: '{not json' });
    expect(invalid.body.data).toBeNull();
    expect(invalid.body.errors).toHaveLength(1);
  });
});

describe('subscriptions', () => {
  const SUBSCRIBED = { ...NOTES, schema: `${NOTES_SCHEMA}\ntype Subscription { onSave(NoteId: ID): Note @aws_subscribe(mutations: ["saveNote"]) }` };

  it('publishes the results of subscribed mutations to the gateway, signed for appsync, and never fails a mutation for it', async () => {
    published.length = 0;
    const handler = await handlerOf(SUBSCRIBED);
    const r = await call(handler, 'mutation { saved: saveNote(NoteId: "s1", title: "T", content: "C") { NoteId title } deleteNote(NoteId: "none") { NoteId } }');
    expect(r.body.errors).toBeUndefined();
    expect(published).toEqual([{ url: '/appsync-api/testapi/publish', authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKLOCAL\/\d{8}\/us-east-1\/appsync\/aws4_request/), body: { apiId: 'testapi', mutation: 'saveNote', data: { NoteId: 's1', title: 'T' } } }]);
    // A query publishes nothing; a publish the gateway refuses is logged, the mutation answers.
    await call(handler, '{ getNote(NoteId: "s1") { title } }');
    expect(published).toHaveLength(1);
    publishStatus = 500;
    try {
      const again = await call(handler, 'mutation { saveNote(NoteId: "s2", title: "U", content: "D") { NoteId } }');
      expect(again.body).toEqual({ data: { saveNote: { NoteId: 's2' } } });
      expect(published).toHaveLength(2);
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('publishing saveNote to subscribers failed: 500'));
    } finally {
      publishStatus = 200;
    }
  });
});

describe('auth', () => {
  const SCHEMA = 'type Secret @aws_iam { value: String } type Profile @aws_api_key @aws_iam { name: String email: String @aws_iam } type Query { me: Profile @aws_api_key @aws_iam secret: Secret @aws_iam open: String }';
  const mixed = () =>
    handlerOf({
      schema: SCHEMA,
      auth: [{ type: 'API_KEY' }, { type: 'AWS_IAM' }],
      data_sources: { none: { type: 'NONE' } },
      resolvers: [
        { type_name: 'Query', field_name: 'me', data_source: 'none', js: 'export const request = () => ({ payload: { name: "Ada", email: "ada@example.com" } });\nexport const response = (ctx) => ctx.result;' },
        { type_name: 'Query', field_name: 'secret', data_source: 'none', js: 'export const request = (ctx) => ({ payload: { value: ctx.identity.userArn } });\nexport const response = (ctx) => ctx.result;' },
        { type_name: 'Query', field_name: 'open', data_source: 'none', js: 'export const request = () => ({ payload: "open" });\nexport const response = (ctx) => ctx.result;' },
      ],
    });
  const SIGV4 = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDCALLER/20240101/us-east-1/appsync/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc' };

  it('takes a known API key and refuses an unknown or missing one', async () => {
    const handler = await mixed();
    expect((await call(handler, '{ open }')).body).toEqual({ data: { open: 'open' } });
    expect(await call(handler, '{ open }', undefined, { 'x-api-key': 'da2-wrong' })).toEqual({ status: 401, body: { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] } });
    expect(await call(handler, '{ open }', undefined, {})).toEqual({ status: 401, body: { errors: [{ errorType: 'UnauthorizedException', message: 'Valid authorization header not provided.' }] } });
  });

  it('denies fields whose directives leave out the request’s mode, as AppSync does', async () => {
    const handler = await mixed();
    const byKey = await call(handler, '{ open me { name email } secret { value } }');
    expect(byKey.body.data).toEqual({ open: 'open', me: { name: 'Ada', email: null }, secret: null });
    expect(byKey.body.errors).toEqual([
      expect.objectContaining({ path: ['secret'], errorType: 'Unauthorized', message: 'Not Authorized to access secret on type Query' }),
      expect.objectContaining({ path: ['me', 'email'], errorType: 'Unauthorized', message: 'Not Authorized to access email on type Profile' }),
    ]);
    const byIam = await call(handler, '{ me { name email } secret { value } open }', undefined, SIGV4);
    expect(byIam.body.data).toEqual({ me: { name: 'Ada', email: 'ada@example.com' }, secret: { value: 'arn:aws:iam::123456789012:user/AKIDCALLER' }, open: null });
    expect(byIam.body.errors).toEqual([expect.objectContaining({ path: ['open'], errorType: 'Unauthorized' })]);
  });

  it('asks a Lambda authorizer and gives resolvers its resolverContext', async () => {
    functions.authorizer = (p) => {
      const e = p as { authorizationToken: string; requestContext: { apiId: string } };
      return { payload: { isAuthorized: e.authorizationToken === 'let-me-in' && e.requestContext.apiId === 'testapi', resolverContext: { user: 'u1' }, deniedFields: ['Query.hidden'] } };
    };
    const handler = await handlerOf({
      schema: 'type Query { who: String hidden: String }',
      auth: [{ type: 'AWS_LAMBDA', function: 'authorizer', ttl_seconds: 0 }],
      data_sources: { none: { type: 'NONE' } },
      resolvers: [
        { type_name: 'Query', field_name: 'who', data_source: 'none', request_template: '{"payload": $util.toJson($ctx.identity.resolverContext.user)}', response_template: '$util.toJson($ctx.result)' },
        { type_name: 'Query', field_name: 'hidden', data_source: 'none', request_template: '{"payload": "x"}', response_template: '$util.toJson($ctx.result)' },
      ],
    });
    const ok = await call(handler, '{ who hidden }', undefined, { authorization: 'let-me-in' });
    expect(ok.body.data).toEqual({ who: 'u1', hidden: null });
    expect(ok.body.errors).toEqual([expect.objectContaining({ path: ['hidden'], errorType: 'Unauthorized' })]);
    expect((await call(handler, '{ who }', undefined, { authorization: 'nope' })).status).toBe(401);
  });

  it('reads a user pool token’s claims and refuses an expired one', async () => {
    const jwt = (claims: Record<string, unknown>) => ['{"alg":"none"}', JSON.stringify(claims)].map((s) => Buffer.from(s).toString('base64url')).join('.') + '.';
    const handler = await handlerOf({
      schema: 'type Query { me: String admin: String @aws_cognito_user_pools(cognito_groups: ["admins"]) }',
      auth: [{ type: 'AMAZON_COGNITO_USER_POOLS', user_pool_id: 'us-east-1_pool' }],
      data_sources: { none: { type: 'NONE' } },
      resolvers: [
        { type_name: 'Query', field_name: 'me', data_source: 'none', js: 'export const request = (ctx) => ({ payload: ctx.identity.username + ":" + ctx.identity.sub });\nexport const response = (ctx) => ctx.result;' },
        { type_name: 'Query', field_name: 'admin', data_source: 'none', js: 'export const request = () => ({ payload: "yes" });\nexport const response = (ctx) => ctx.result;' },
      ],
    });
    const iss = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool';
    const user = jwt({ sub: 's-1', iss, 'cognito:username': 'ada', 'cognito:groups': ['users'], exp: Math.floor(Date.now() / 1000) + 3600 });
    const res = await call(handler, '{ me admin }', undefined, { authorization: user });
    expect(res.body.data).toEqual({ me: 'ada:s-1', admin: null });
    expect(res.body.errors![0]).toMatchObject({ errorType: 'Unauthorized' });
    const admin = jwt({ sub: 's-2', iss, 'cognito:username': 'root', 'cognito:groups': ['admins'] });
    expect((await call(handler, '{ admin }', undefined, { authorization: admin })).body).toEqual({ data: { admin: 'yes' } });
    const expired = jwt({ sub: 's-1', iss, exp: 1 });
    expect((await call(handler, '{ me }', undefined, { authorization: expired })).status).toBe(401);
  });
});

describe('requests', () => {
  it('answers introspection, with AppSync’s scalars and directives in the schema', async () => {
    const handler = await handlerOf(NOTES);
    const res = await call(handler, '{ __schema { queryType { name } mutationType { name } types { name } directives { name } } __type(name: "Note") { fields { name } } __typename }');
    const schema = res.body.data!.__schema as { queryType: { name: string }; mutationType: { name: string }; types: Array<{ name: string }>; directives: Array<{ name: string }> };
    expect(schema.queryType.name).toBe('Query');
    expect(schema.mutationType.name).toBe('Mutation');
    expect(schema.types.map((t) => t.name)).toEqual(expect.arrayContaining(['Note', 'AWSJSON', 'AWSDateTime', 'AWSTimestamp']));
    expect(schema.directives.map((d) => d.name)).toEqual(expect.arrayContaining(['aws_api_key', 'aws_iam', 'aws_cognito_user_pools', 'aws_subscribe', 'deprecated']));
    expect(res.body.data!.__type).toEqual({ fields: [{ name: 'NoteId' }, { name: 'title' }, { name: 'content' }] });
    expect(res.body.data!.__typename).toBe('Query');
  });

  it('refuses a body that is not JSON, has no query, or is over 1 MiB, and reads a base64 body', async () => {
    const handler = await handlerOf(NOTES);
    const notJson = await handler(event('{"query": '));
    expect(notJson.statusCode).toBe(400);
    expect(JSON.parse(notJson.body).errors[0]).toMatchObject({ errorType: 'MalformedHttpRequestException' });
    const noQuery = await handler(event({ variables: {} }));
    expect(noQuery.statusCode).toBe(400);
    expect(JSON.parse(noQuery.body).errors[0].errorType).toBe('MalformedHttpRequestException');
    expect((await handler(event({ query: `{ __typename } #${'x'.repeat(1024 * 1024)}` }))).statusCode).toBe(413);
    const b64 = await handler(event({ query: '{ __typename }' }, { 'x-api-key': API_KEY }, true));
    expect(JSON.parse(b64.body)).toEqual({ data: { __typename: 'Query' } });
    const syntax = JSON.parse((await handler(event({ query: '{ getNote(' }))).body);
    expect(syntax.data).toBeNull();
    expect(syntax.errors[0].errorType).toBe('InvalidSyntax');
  });

  it('picks the operation by operationName and refuses subscriptions over HTTP', async () => {
    const handler = await handlerOf({
      schema: 'type Query { a: String b: String } type Mutation { post(v: String): String } type Subscription { onPost: String @aws_subscribe(mutations: ["post"]) }',
      data_sources: { none: { type: 'NONE' } },
      resolvers: [
        { type_name: 'Query', field_name: 'a', data_source: 'none', js: 'export const request = () => ({ payload: "A" }); export const response = (ctx) => ctx.result;' },
        { type_name: 'Mutation', field_name: 'post', data_source: 'none', js: 'export const request = (ctx) => ({ payload: ctx.args.v }); export const response = (ctx) => ctx.result;' },
      ],
    });
    const res = await handler(event({ query: 'query One { a } query Two { b } mutation Three { post(v: "x") }', operationName: 'One' }));
    expect(JSON.parse(res.body)).toEqual({ data: { a: 'A' } });
    expect(JSON.parse((await handler(event({ query: 'mutation { post(v: "hi") }' }))).body)).toEqual({ data: { post: 'hi' } });
    const sub = JSON.parse((await handler(event({ query: 'subscription { onPost }' }))).body);
    expect(sub.data).toBeNull();
    expect(sub.errors[0].message).toMatch(/not served over HTTP/);
  });

  it('answers every request with an error when the schema does not build, and says why once', async () => {
    const handler = await handlerOf({ schema: 'type Query { a: Missing }' });
    const first = await handler(event({ query: '{ a }' }));
    const second = await handler(event({ query: '{ a }' }));
    expect(first.statusCode).toBe(400);
    expect(JSON.parse(second.body).errors[0].message).toMatch(/Missing/);
    expect(logged.mock.calls.filter((c) => /schema does not build/.test(String(c[0])))).toHaveLength(1);
  });

  it('checks AppSync scalars on input', async () => {
    const handler = await handlerOf({
      schema: 'type Query { at(t: AWSDateTime!, ts: AWSTimestamp, mail: AWSEmail): String }',
      data_sources: { none: { type: 'NONE' } },
      resolvers: [{ type_name: 'Query', field_name: 'at', data_source: 'none', js: 'export const request = (ctx) => ({ payload: `${ctx.args.t}|${ctx.args.ts}` }); export const response = (ctx) => ctx.result;' }],
    });
    expect((await call(handler, '{ at(t: "2024-01-02T03:04:05Z", ts: 1700000000, mail: "a@b.c") }')).body).toEqual({ data: { at: '2024-01-02T03:04:05Z|1700000000' } });
    const bad = await call(handler, '{ at(t: "yesterday") }');
    expect(bad.body.data).toBeNull();
    expect(String(bad.body.errors![0].message)).toMatch(/AWSDateTime/);
  });
});
