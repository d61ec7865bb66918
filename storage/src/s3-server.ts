// The embedded S3-compatible server: s3rver 3.7.1 (filesystem store, so objects survive a
// restart) with a koa middleware in front of its routes that fixes what it gets wrong:
//  - aws-chunked request bodies (the AWS SDKs' default streaming uploads) are decoded before
//    s3rver sees them (s3rver would store the chunk framing: data loss);
//  - CreateBucket of an existing bucket answers BucketAlreadyOwnedByYou, as S3 does for the owner;
//  - bucket lifecycle configuration (PUT/GET/DELETE ?lifecycle), which s3rver lacks, is stored
//    beside the bucket's other subresources;
//  - ListObjectsV2 pagination works (s3rver makes continuation tokens with DES, which the
//    OpenSSL 3 of Node 17+ refuses: every truncated listing was an InternalError);
//  - any access key is accepted (s3rver only knows "S3RVER"), like other local emulators.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder, AwsChunkedError, decodedHeaders, decoderOptionsFrom, isAwsChunked } from './aws-chunked.js';
import type { ObjectEvent } from '@esb/contracts';

const require = createRequire(import.meta.url);

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  req: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> };
  status: number;
  body: unknown;
  ip: string;
  type: string;
  set(name: string, value: string): void;
  querystring: string;
}
type Next = () => Promise<void>;
type Middleware = (ctx: KoaContext, next: Next) => Promise<void>;

interface S3rverStore {
  getBucket(name: string): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<unknown>;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
}
interface S3rverApp {
  middleware: Middleware[];
  store: S3rverStore;
  callback(): (req: unknown, res: unknown) => void;
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3ErrorCtor = new (code: string, message: string, detail?: Record<string, string>) => Error;
interface AccountModule {
  registry: Map<string, unknown>;
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
}

export interface S3ServerOptions {
  /** Folder holding buckets and objects (s3rver's store). */
  directory: string;
  /** Folder for decoded upload bodies while they are handed to the store. */
  tmpDirectory: string;
  host: string;
  port: number;
  /** Told of each object created or deleted (bucket notifications, docs/agent.md "S3 events"). */
  onObjectEvent?: (event: ObjectEvent) => void;
}

export interface RunningS3Server {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

const BUCKET_PATH = /^\/([^/]+)\/?$/;

/** Accepts any access key id (registers it on s3rver's dummy account on first sight). */
function acceptAnyAccessKey(accounts: AccountModule): Middleware {
  return async (ctx, next) => {
    const auth = String(ctx.headers.authorization ?? '');
    const fromHeader = /Credential=([^/,\s]+)/.exec(auth)?.[1] ?? /^AWS ([^:]+):/.exec(auth)?.[1];
    const q = ctx.query['X-Amz-Credential'] ?? ctx.query.AWSAccessKeyId;
    const fromQuery = typeof q === 'string' ? q.split('/')[0] : undefined;
    const id = fromHeader ?? fromQuery;
    if (id && !accounts.registry.has(id)) accounts.DUMMY_ACCOUNT.createKeyPair(id, id);
    await next();
  };
}

function decodeAwsChunked(tmpDirectory: string, S3Error: S3ErrorCtor): Middleware {
  return async (ctx, next) => {
    if (!isAwsChunked(ctx.headers) || (ctx.method !== 'PUT' && ctx.method !== 'POST')) return next();
    await mkdir(tmpDirectory, { recursive: true });
    const tmp = join(tmpDirectory, `upload-${randomUUID()}`);
    const decoder = new AwsChunkedDecoder(decoderOptionsFrom(ctx.headers));
    try {
      await pipeline(ctx.req, decoder, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof AwsChunkedError) throw new S3Error(err.code, err.message);
      throw err;
    }
    const fixed = decodedHeaders(ctx.req.headers, decoder.decodedLength);
    for (const key of Object.keys(ctx.req.headers)) delete ctx.req.headers[key];
    Object.assign(ctx.req.headers, fixed);
    (ctx as { req: unknown }).req = Object.assign(createReadStream(tmp), { headers: ctx.req.headers });
    try {
      await next();
    } finally {
      await rm(tmp, { force: true });
    }
  };
}

async function readBody(ctx: KoaContext): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

/** CreateBucket answers for the owner, and ?lifecycle is stored rather than NotImplemented. */
function bucketFixes(store: S3rverStore, S3Error: S3ErrorCtor): Middleware {
  return async (ctx, next) => {
    const m = BUCKET_PATH.exec(ctx.path);
    if (!m) return next();
    const bucket = decodeURIComponent(m[1]);
    const queryKeys = Object.keys(ctx.query);
    if (ctx.method === 'PUT' && queryKeys.length === 0 && (await store.getBucket(bucket))) {
      throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket });
    }
    if (!queryKeys.includes('lifecycle')) return next();
    if (!(await store.getBucket(bucket))) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    }
    const file = store.getResourcePath(bucket, undefined, 'lifecycle.xml');
    if (ctx.method === 'PUT') {
      const xml = await readBody(ctx);
      if (!/<LifecycleConfiguration[\s>]/.test(xml) || !/<Rule>/.test(xml)) {
        throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
      }
      await writeFile(file, xml);
      ctx.status = 200;
      ctx.body = '';
    } else if (ctx.method === 'GET') {
      let xml: string;
      try {
        xml = await readFile(file, 'utf8');
      } catch {
        throw new S3Error('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', { BucketName: bucket });
      }
      ctx.type = 'application/xml';
      ctx.body = xml;
    } else if (ctx.method === 'DELETE') {
      await rm(file, { force: true });
      ctx.status = 204;
      ctx.body = '';
    } else {
      return next();
    }
  };
}

const encodeToken = (bucket: string, key: string) => Buffer.from(JSON.stringify([bucket, key])).toString('base64url');

function decodeToken(token: string, bucket: string): string | undefined {
  try {
    const [b, key] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    return b === bucket && typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ListObjectsV2 served by s3rver's V1 listing (marker = the token's last key) and the answer
 * rewritten into the V2 shape with esb's own continuation tokens.
 */
function listObjectsV2(S3Error: S3ErrorCtor): Middleware {
  return async (ctx, next) => {
    const m = BUCKET_PATH.exec(ctx.path);
    if (!m || ctx.method !== 'GET' || ctx.query['list-type'] !== '2') return next();
    const bucket = decodeURIComponent(m[1]);
    const q = { ...ctx.query };
    const token = typeof q['continuation-token'] === 'string' ? q['continuation-token'] : undefined;
    const startAfter = typeof q['start-after'] === 'string' ? q['start-after'] : undefined;
    if ('marker' in q) throw new S3Error('InvalidArgument', 'Marker unsupported with REST.GET.BUCKET in list-type=2', { ArgumentName: 'marker' });
    let marker = startAfter;
    if (token) {
      marker = decodeToken(token, bucket);
      if (marker === undefined) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
    }
    const fetchOwner = q['fetch-owner'] === 'true';
    delete q['list-type'];
    delete q['continuation-token'];
    delete q['start-after'];
    delete q['fetch-owner'];
    if (marker !== undefined) q.marker = marker;
    (ctx as { query: unknown }).query = q;
    await next();
    const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
    if (!result) return;
    const contents = (result.Contents as Array<{ Key: string; Owner?: unknown }>) ?? [];
    const last = contents.at(-1)?.Key;
    ctx.body = {
      ListBucketResult: {
        '@': result['@'],
        Name: result.Name,
        Prefix: result.Prefix,
        StartAfter: token ? undefined : startAfter,
        ContinuationToken: token,
        NextContinuationToken: result.IsTruncated && last !== undefined ? encodeToken(bucket, last) : undefined,
        KeyCount: contents.length,
        MaxKeys: result.MaxKeys,
        Delimiter: result.Delimiter,
        IsTruncated: result.IsTruncated,
        Contents: contents.map((c) => (fetchOwner ? c : { ...c, Owner: undefined })),
        CommonPrefixes: result.CommonPrefixes,
      },
    };
  };
}

export async function startS3Server(options: S3ServerOptions): Promise<RunningS3Server> {
  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => S3rverApp;
  const S3Error = require('s3rver/lib/models/error') as S3ErrorCtor;
  const accounts = require('s3rver/lib/models/account') as AccountModule;
  await mkdir(options.directory, { recursive: true });
  const app = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.directory,
    silent: true,
    // Path-style only: with vhost buckets on, a hostname endpoint such as
    // http://s3-storage:9000 would be taken for a bucket named "s3-storage".
    vhostBuckets: false,
  });
  // Just before s3rver's router, so that its XML rendering (an outer middleware) still turns
  // plain-object bodies into XML. Koa composes the list when the server starts.
  const onObjectEvent = options.onObjectEvent;
  const notices = onObjectEvent ? objectEventNotices(app, onObjectEvent) : undefined;
  app.middleware.splice(
    app.middleware.length - 1,
    0,
    ...(notices ? [notices] : []),
    acceptAnyAccessKey(accounts),
    decodeAwsChunked(options.tmpDirectory, S3Error),
    bucketFixes(app.store, S3Error),
    listObjectsV2(S3Error),
  );
  const address = await app.run();
  const server = app.httpServer!;
  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    endpoint: `http://${hostForUrl(options.host)}:${address.port}`,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** The S3 calls whose events s3rver names wrongly or does not send. */
type NoticeCall = { call: 'CompleteMultipartUpload' | 'DeleteObjects'; sourceIp: string };

/**
 * Object events as S3 sends them (docs/agent.md "S3 events"): s3rver's own, except that a
 * completed multipart upload is `ObjectCreated:CompleteMultipartUpload` (s3rver says Post), and
 * a DeleteObjects call gives one `ObjectRemoved:Delete` per object it removed (s3rver gives
 * none). The middleware marks the request's async context with the call, which both the event
 * listener and the store's delete read, so concurrent requests never mix.
 */
function objectEventNotices(app: S3rverApp, onObjectEvent: (event: ObjectEvent) => void): Middleware {
  const calls = new AsyncLocalStorage<NoticeCall>();
  (app as unknown as NodeJS.EventEmitter).on('event', (e: unknown) => {
    const event = objectEventOf(e);
    if (calls.getStore()?.call === 'CompleteMultipartUpload' && event.eventName === 'ObjectCreated:Post') event.eventName = 'ObjectCreated:CompleteMultipartUpload';
    onObjectEvent(event);
  });
  const store = app.store;
  const deleteObject = store.deleteObject.bind(store);
  store.deleteObject = async (bucket, key) => {
    const result = await deleteObject(bucket, key);
    const call = calls.getStore();
    if (call?.call === 'DeleteObjects') onObjectEvent({ bucket, key, eventName: 'ObjectRemoved:Delete', time: Date.now(), ...sourceIpOf(call.sourceIp) });
    return result;
  };
  return async (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const call = 'uploadId' in ctx.query ? 'CompleteMultipartUpload' : 'delete' in ctx.query ? 'DeleteObjects' : undefined;
    return call ? calls.run({ call, sourceIp: ctx.ip }, next) : next();
  };
}

/** s3rver's event (an S3 notification of its own making) as what happened; the agent writes the record Lambda gets. */
function objectEventOf(e: unknown): ObjectEvent {
  const r = (e as { Records: Array<{ eventName: string; requestParameters?: { sourceIPAddress?: string }; s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } } }> }).Records[0];
  const out: ObjectEvent = { bucket: r.s3.bucket.name, key: r.s3.object.key, eventName: r.eventName, time: Date.now(), ...sourceIpOf(r.requestParameters?.sourceIPAddress) };
  if (r.s3.object.size !== undefined) out.size = r.s3.object.size;
  if (r.s3.object.eTag !== undefined) out.eTag = r.s3.object.eTag;
  return out;
}

function sourceIpOf(ip: string | undefined): { sourceIp?: string } {
  if (!ip) return {};
  return { sourceIp: ip.startsWith('::ffff:') ? ip.slice(7) : ip };
}

export function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
