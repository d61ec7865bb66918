// DynamoDB Streams for the embedded DynamoDB server (docs/agent.md, "DynamoDB streams"). dynalite
// drops a table's StreamSpecification and has no streams: here CreateTable keeps the
// specification (DescribeTable then shows it with LatestStreamArn / LatestStreamLabel, as DynamoDB
// does), and every write to a table whose stream is on becomes a change record with the images
// its StreamViewType asks for.
//
// The hook is dynalite's item store: PutItem, UpdateItem, DeleteItem and BatchWriteItem all write
// an item with its `put` / `del` while holding dynalite's lock on that item's key, so reading the
// old item just before the write gives the exact old image, with no race against another writer.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { canonicalJson, StreamViewType, type AttributeValueJson, type StreamRecord } from '@esb/contracts';
import { TTL_ACTIONS, takeTtlDelete, timeToLiveAction } from './dynamodb-ttl.js';

const require = createRequire(import.meta.url);

const HOOKED = Symbol('esb-streams');

type Callback<T = unknown> = (err: (Error & { name: string }) | null | undefined, value?: T) => void;
type Item = Record<string, AttributeValueJson>;

interface SubDb {
  get(key: string, cb: Callback<unknown>): void;
  put(key: string, value: unknown, cb: Callback): void;
  del(key: string, cb: Callback): void;
  [HOOKED]?: true;
}

interface TableRecord {
  TableName: string;
  TableArn: string;
  TableStatus?: string;
  KeySchema: Array<{ AttributeName: string }>;
  StreamSpecification?: { StreamEnabled?: boolean; StreamViewType?: StreamViewType };
  LatestStreamLabel?: string;
  LatestStreamArn?: string;
  /** Kinesis data streams the table's changes also go to (EnableKinesisStreamingDestination). */
  KinesisDataStreamDestinations?: KinesisDestination[];
}

interface KinesisDestination {
  StreamArn: string;
  DestinationStatus: 'ACTIVE' | 'DISABLED';
  ApproximateCreationDateTimePrecision?: 'MILLISECOND' | 'MICROSECOND';
}

/** A change as DynamoDB writes it to a Kinesis data stream: the record's data, keyed by the item's keys. */
export interface KinesisDestinationRecord {
  streamArn: string;
  partitionKey: string;
  data: string;
}

interface DynaliteStore {
  tableDb: SubDb & { createValueStream(): AsyncIterable<unknown> };
  getItemDb(name: string): SubDb;
}

/** The table records of the store dynalite was started with (for the time-to-live sweeper). */
export function tableRecordsOf(dynaliteOptions: Record<string, unknown>): (() => AsyncIterable<unknown>) | undefined {
  const store = dynaliteOptions[STORE_OPTION] as DynaliteStore | undefined;
  return store ? () => store.tableDb.createValueStream() : undefined;
}

/** The dynalite option that carries where records go (dynalite hands its options to its store). */
export const STREAM_RECORDS_OPTION = 'esbOnStreamRecord';
/** The dynalite option that carries where changes for a Kinesis streaming destination go. */
export const KINESIS_DESTINATION_OPTION = 'esbOnKinesisDestination';
/** Where the patched store creation leaves the store, for the UpdateTable of streams. */
const STORE_OPTION = 'esbStore';
/** UpdateTable bodies read here (a table's update is small; dynalite's own cap is 16 MB). */
const MAX_UPDATE_TABLE_BYTES = 1024 * 1024;

let installed = false;

/**
 * Patches dynalite once per process: CreateTable keeps StreamSpecification (and the table gets
 * its stream's ARN and label), and a store created with the STREAM_RECORDS_OPTION reports its
 * stream records to that function.
 */
export function installDynamoDBStreams(): void {
  if (installed) return;
  installed = true;
  const fromDynalite = createRequire(require.resolve('dynalite'));
  const createTable = fromDynalite('./validations/createTable') as { types: Record<string, unknown> };
  createTable.types.StreamSpecification = {
    type: 'FieldStruct<StreamSpecification>',
    children: {
      StreamEnabled: { type: 'Boolean', notNull: true },
      StreamViewType: { type: 'String', enum: StreamViewType.options },
    },
  };
  const db = fromDynalite('./db') as { create(options: Record<string, unknown>): DynaliteStore };
  const create = db.create;
  db.create = (options) => {
    const store = create(options);
    hookStore(store, options[STREAM_RECORDS_OPTION] as ((record: StreamRecord) => void) | undefined, options[KINESIS_DESTINATION_OPTION] as ((record: KinesisDestinationRecord) => void) | undefined);
    options[STORE_OPTION] = store;
    return store;
  };
}

function hookStore(store: DynaliteStore, onStreamRecord: ((record: StreamRecord) => void) | undefined, onKinesis: ((record: KinesisDestinationRecord) => void) | undefined): void {
  const tables = new Map<string, TableRecord | null>();
  const tableDb = store.tableDb;
  const putTable = tableDb.put.bind(tableDb);
  const delTable = tableDb.del.bind(tableDb);
  tableDb.put = (name, value, cb) => {
    tables.delete(name);
    const table = value as TableRecord;
    if (table.StreamSpecification?.StreamEnabled && !table.LatestStreamLabel) {
      // The stream's label is the time it was turned on, as DynamoDB names it.
      table.LatestStreamLabel = new Date().toISOString().slice(0, -1);
      table.LatestStreamArn = `${table.TableArn}/stream/${table.LatestStreamLabel}`;
    }
    putTable(name, value, cb);
  };
  tableDb.del = (name, cb) => {
    tables.delete(name);
    delTable(name, cb);
  };
  if (!onStreamRecord && !onKinesis) return;
  const tableOf = (name: string, cb: (table: TableRecord | null) => void) => {
    const known = tables.get(name);
    if (known !== undefined) return cb(known);
    tableDb.get(name, (err, value) => {
      const table = !err && value && typeof value === 'object' ? (value as TableRecord) : null;
      // Only a settled answer is kept: a table still being created is asked again.
      if (!table || table.TableStatus === 'ACTIVE') tables.set(name, table);
      cb(table);
    });
  };

  let sequence = BigInt(Date.now()) * 1_000_000n;
  const getItemDb = store.getItemDb.bind(store);
  store.getItemDb = (name) => {
    const itemDb = getItemDb(name);
    if (itemDb[HOOKED]) return itemDb;
    itemDb[HOOKED] = true;
    const get = itemDb.get.bind(itemDb);
    const put = itemDb.put.bind(itemDb);
    const del = itemDb.del.bind(itemDb);
    // Writes to a table without a stream go straight through (one cached lookup).
    const write = (key: string, newImage: Item | undefined, doWrite: (cb: Callback) => void, cb: Callback) =>
      tableOf(name, (table) => {
        const view = onStreamRecord && table?.StreamSpecification?.StreamEnabled ? table.StreamSpecification.StreamViewType ?? 'NEW_AND_OLD_IMAGES' : undefined;
        const destinations = onKinesis ? (table?.KinesisDataStreamDestinations ?? []).filter((d) => d.DestinationStatus === 'ACTIVE') : [];
        if (!table || (!view && destinations.length === 0)) return doWrite(cb);
        get(key, (err, old) => {
          if (err && err.name !== 'NotFoundError') return cb(err);
          const oldImage = !err && old && typeof old === 'object' ? (old as Item) : undefined;
          doWrite((writeErr) => {
            // A write that leaves the item as it was writes no record, as in DynamoDB.
            if (!writeErr && (oldImage || newImage) && !(oldImage && newImage && sameItem(oldImage, newImage))) {
              sequence += 1n;
              // A delete the time-to-live sweeper made is DynamoDB's own (docs/provisioner.md, "Time to live").
              const byTtl = !newImage && takeTtlDelete(name, canonicalJson(keysOf(table, oldImage!)));
              const withIdentity = (r: StreamRecord): StreamRecord => (byTtl ? { ...r, userIdentity: TTL_IDENTITY } : r);
              if (view) onStreamRecord!(withIdentity(streamRecord(table, view, oldImage, newImage, sequence)));
              // A Kinesis destination always gets both images (docs/kinesis.md, "From DynamoDB").
              if (destinations.length) {
                const change = withIdentity(streamRecord(table, 'NEW_AND_OLD_IMAGES', oldImage, newImage, sequence));
                for (const d of destinations) onKinesis!(kinesisDestinationRecord(change, d));
              }
            }
            cb(writeErr);
          });
        });
      });
    itemDb.put = (key, value, cb) => write(key, value as Item, (done) => put(key, value, done), cb);
    itemDb.del = (key, cb) => write(key, undefined, (done) => del(key, done), cb);
    return itemDb;
  };
}

function sameItem(a: Item, b: Item): boolean {
  return canonicalJson(a) === canonicalJson(b);
}


const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/** The key attributes of an item. */
function keysOf(table: TableRecord, image: Item): Item {
  const Keys: Item = {};
  for (const k of table.KeySchema) if (image[k.AttributeName] !== undefined) Keys[k.AttributeName] = image[k.AttributeName];
  return Keys;
}

function streamRecord(table: TableRecord, view: StreamViewType, oldImage: Item | undefined, newImage: Item | undefined, sequence: bigint): StreamRecord {
  const Keys = keysOf(table, (newImage ?? oldImage)!);
  const dynamodb: StreamRecord['dynamodb'] = {
    ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
    Keys,
    SequenceNumber: sequence.toString().padStart(21, '0'),
    SizeBytes: 0,
    StreamViewType: view,
  };
  if (newImage && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) dynamodb.NewImage = newImage;
  if (oldImage && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) dynamodb.OldImage = oldImage;
  dynamodb.SizeBytes = Buffer.byteLength(JSON.stringify([dynamodb.Keys, dynamodb.NewImage ?? null, dynamodb.OldImage ?? null]));
  return {
    table: table.TableName,
    streamArn: table.LatestStreamArn ?? `${table.TableArn}/stream/1970-01-01T00:00:00.000`,
    eventID: randomUUID().replace(/-/g, ''),
    eventName: !newImage ? 'REMOVE' : oldImage ? 'MODIFY' : 'INSERT',
    dynamodb,
  };
}

/**
 * The data DynamoDB puts to a Kinesis streaming destination for a change: the change record
 * with the table's name and `recordFormat`, `ApproximateCreationDateTime` in milliseconds (or
 * microseconds), keyed by the item's keys.
 */
function kinesisDestinationRecord(change: StreamRecord, d: KinesisDestination): KinesisDestinationRecord {
  const { ApproximateCreationDateTime: _seconds, SequenceNumber: _sequence, StreamViewType: _view, ...images } = change.dynamodb;
  const now = Date.now();
  const data = {
    awsRegion: /^arn:aws[a-z-]*:kinesis:([a-z0-9-]*):/.exec(d.StreamArn)?.[1] ?? '',
    eventID: change.eventID,
    eventName: change.eventName,
    userIdentity: change.userIdentity ?? null,
    recordFormat: 'application/json',
    tableName: change.table,
    dynamodb: { ApproximateCreationDateTime: d.ApproximateCreationDateTimePrecision === 'MICROSECOND' ? now * 1000 : now, ...images },
    eventSource: 'aws:dynamodb',
  };
  return { streamArn: d.StreamArn, partitionKey: canonicalJson(change.dynamodb.Keys).slice(0, 256), data: JSON.stringify(data) };
}

/**
 * UpdateTable with StreamSpecification, which dynalite does not take: turns a table's stream on
 * (with a new label, as DynamoDB does) or off. Other UpdateTable calls go to dynalite as they came.
 */
export function serveStreamUpdates(server: Server, dynaliteOptions: Record<string, unknown>): void {
  const store = dynaliteOptions[STORE_OPTION] as DynaliteStore | undefined;
  const [dynalite] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (!store || !dynalite) return;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = req.headers['x-amz-target'];
    const action = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : '';
    if (action !== 'UpdateTable' && !KINESIS_DESTINATION_ACTIONS.has(action) && !TTL_ACTIONS.has(action)) return dynalite(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_UPDATE_TABLE_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let data: Record<string, unknown> | undefined;
      try {
        data = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        data = undefined;
      }
      if (KINESIS_DESTINATION_ACTIONS.has(action)) return kinesisDestination(store, action, size > MAX_UPDATE_TABLE_BYTES ? undefined : data, res);
      if (TTL_ACTIONS.has(action)) return timeToLiveAction(store.tableDb, action, size > MAX_UPDATE_TABLE_BYTES ? undefined : data, answerer(res));
      const spec = data?.StreamSpecification as TableRecord['StreamSpecification'] | undefined;
      if (size > MAX_UPDATE_TABLE_BYTES || !data || spec === undefined) {
        // Handed to dynalite as if it came straight from the socket.
        const replay = Object.assign(new PassThrough(), { headers: req.headers, method: req.method, url: req.url });
        dynalite(replay as unknown as IncomingMessage, res);
        replay.end(size > MAX_UPDATE_TABLE_BYTES ? Buffer.alloc(MAX_UPDATE_TABLE_BYTES + 1) : body);
        return;
      }
      updateStream(store, String(data.TableName ?? ''), spec, Object.keys(data).filter((k) => k !== 'TableName' && k !== 'StreamSpecification'), res);
    });
  });
}

/** The Kinesis streaming destination actions dynalite lacks, served here on the table's record. */
const KINESIS_DESTINATION_ACTIONS = new Set(['EnableKinesisStreamingDestination', 'DisableKinesisStreamingDestination', 'DescribeKinesisStreamingDestination']);

function answerer(res: ServerResponse) {
  const answer = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text), 'x-amzn-RequestId': randomUUID() });
    res.end(text);
  };
  const invalid = (message: string) => answer(400, { __type: 'com.amazon.coral.validate#ValidationException', message });
  const missing = (name: string) => answer(400, { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: `Requested resource not found: Table: ${name} not found` });
  return { answer, invalid, missing };
}

/**
 * Enable/Disable/DescribeKinesisStreamingDestination: the table's record keeps its destinations
 * (enabling one already active answers as DynamoDB does, so a second provisioning is harmless).
 */
function kinesisDestination(store: DynaliteStore, action: string, data: Record<string, unknown> | undefined, res: ServerResponse): void {
  const { answer, invalid, missing } = answerer(res);
  const name = typeof data?.TableName === 'string' ? data.TableName : '';
  if (!data || name === '') return invalid('TableName is required');
  const streamArn = typeof data.StreamArn === 'string' ? data.StreamArn : '';
  if (action !== 'DescribeKinesisStreamingDestination' && !/^arn:aws[a-z-]*:kinesis:[a-z0-9-]*:\d{12}:stream\/[a-zA-Z0-9_.-]{1,128}$/.test(streamArn)) return invalid(`StreamArn must be a Kinesis data stream's ARN, not ${JSON.stringify(data.StreamArn)}`);
  const precision = (data.EnableKinesisStreamingConfiguration as { ApproximateCreationDateTimePrecision?: unknown } | undefined)?.ApproximateCreationDateTimePrecision;
  if (precision !== undefined && precision !== 'MILLISECOND' && precision !== 'MICROSECOND') return invalid('EnableKinesisStreamingConfiguration.ApproximateCreationDateTimePrecision must be MILLISECOND or MICROSECOND');
  store.tableDb.get(name, (err, value) => {
    const table = !err && value && typeof value === 'object' ? (value as TableRecord) : undefined;
    if (!table) return missing(name);
    const destinations = table.KinesisDataStreamDestinations ?? [];
    if (action === 'DescribeKinesisStreamingDestination') return answer(200, { TableName: name, KinesisDataStreamDestinations: destinations });
    const existing = destinations.find((d) => d.StreamArn === streamArn);
    if (action === 'DisableKinesisStreamingDestination') {
      if (!existing || existing.DestinationStatus !== 'ACTIVE') return invalid(`Table ${name} does not stream to ${streamArn}`);
      existing.DestinationStatus = 'DISABLED';
    } else if (existing?.DestinationStatus === 'ACTIVE') {
      return answer(200, { TableName: name, StreamArn: streamArn, DestinationStatus: 'ACTIVE' });
    } else {
      const d: KinesisDestination = { StreamArn: streamArn, DestinationStatus: 'ACTIVE', ...(precision ? { ApproximateCreationDateTimePrecision: precision } : {}) };
      table.KinesisDataStreamDestinations = [...destinations.filter((x) => x.StreamArn !== streamArn), d];
    }
    store.tableDb.put(name, table, (putErr) => {
      if (putErr) return answer(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(putErr) });
      answer(200, { TableName: name, StreamArn: streamArn, DestinationStatus: action === 'DisableKinesisStreamingDestination' ? 'DISABLED' : 'ACTIVE', ...(precision ? { EnableKinesisStreamingConfiguration: { ApproximateCreationDateTimePrecision: precision } } : {}) });
    });
  });
}

function updateStream(store: DynaliteStore, name: string, spec: NonNullable<TableRecord['StreamSpecification']>, others: string[], res: ServerResponse): void {
  const { answer, invalid, missing } = answerer(res);
  if (others.length > 0) return invalid(`esb's embedded DynamoDB takes StreamSpecification in an UpdateTable of its own, not with ${others.join(', ')}`);
  if (typeof spec.StreamEnabled !== 'boolean') return invalid('StreamSpecification.StreamEnabled must be true or false');
  if (spec.StreamEnabled && !StreamViewType.safeParse(spec.StreamViewType).success) return invalid(`StreamSpecification.StreamViewType must be one of ${StreamViewType.options.join(', ')}`);
  store.tableDb.get(name, (err, value) => {
    const table = !err && value && typeof value === 'object' ? (value as TableRecord) : undefined;
    if (!table) return missing(name);
    if (spec.StreamEnabled) {
      if (table.StreamSpecification?.StreamEnabled) return invalid(`Table already has an enabled stream: ${table.LatestStreamArn}`);
      table.StreamSpecification = { StreamEnabled: true, StreamViewType: spec.StreamViewType };
      delete table.LatestStreamLabel;
      delete table.LatestStreamArn;
    } else {
      if (!table.StreamSpecification?.StreamEnabled) return invalid('Table does not have a stream to disable');
      delete table.StreamSpecification;
    }
    store.tableDb.put(name, table, (putErr) => {
      if (putErr) return answer(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(putErr) });
      answer(200, { TableDescription: table });
    });
  });
}
