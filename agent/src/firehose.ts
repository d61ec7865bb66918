// Firehose delivery streams of functions.yml (docs/firehose.md): records put with the API, by a
// Kinesis stream or by an SNS subscription are buffered per delivery stream; a buffer goes when
// it holds buffer_mb or buffer_seconds after its first record; with a processor the batch is
// first sent to the function as Firehose's transformation event and its answer read as Firehose
// reads it; the Ok records are concatenated (GZIP when asked) and written to the bucket as one
// object, records that failed go under the error prefix. Time is the injected clock's; the
// function and S3 are ports, so this is tested without either.
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  DELIVERY_STREAM_NAME,
  FIREHOSE_MAX_BATCH_BYTES,
  FIREHOSE_MAX_BATCH_RECORDS,
  FIREHOSE_MAX_RECORD_BYTES,
  LOCAL_ACCOUNT_ID,
  deliveryStreamArn,
  firehoseObjectNames,
  firehoseObjectSuffix,
  kinesisStreamArn,
  type ApiAnswer,
  type ApiCall,
  type Credentials,
  type DeliveryStream,
  type FirehoseObjectNames,
  type FunctionsFile,
  type InvokeResult,
  type KinesisRecord,
} from '@esb/contracts';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Clock } from './clock.js';

const gzipAsync = promisify(gzip);
const MiB = 1024 * 1024;
/** What a buffered record costs besides its data (the object, its id): many tiny records are not free. */
const RECORD_OVERHEAD = 200;

export interface FirehoseLimits {
  /** Records buffered over all delivery streams: past it the largest buffer is written early. */
  maxBufferedBytes: number;
  /** Records being transformed or written (retries included): past it puts are refused. */
  maxInFlightBytes: number;
  /** Attempts at writing an object before its records are given up. */
  writeAttempts: number;
  /** The first wait between two attempts at writing; it doubles up to maxRetryMs. */
  retryBaseMs: number;
  maxRetryMs: number;
  /** The wait between two attempts at invoking the processor. */
  invokeRetryMs: number;
  /** How long close() waits for deliveries under way. */
  closeGraceMs: number;
}

export const FIREHOSE_LIMITS: FirehoseLimits = {
  maxBufferedBytes: 32 * MiB,
  maxInFlightBytes: 32 * MiB,
  writeAttempts: 6,
  retryBaseMs: 1000,
  maxRetryMs: 30_000,
  invokeRetryMs: 1000,
  closeGraceMs: 5000,
};

export interface DeliveryStreamsOptions {
  region: string;
  clock: Clock;
  /** Invokes the processor function synchronously. */
  invoke(fn: string, payload: Buffer): Promise<InvokeResult>;
  functionArn(fn: string): string;
  /** Writes one object (S3 PutObject); absent when the agent has no S3 endpoint. */
  putObject?(bucket: string, key: string, body: Buffer): Promise<void>;
  /** Sends one request to an HTTP endpoint destination: its status and body (rejects when it does not answer). */
  post?(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }>;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  limits?: Partial<FirehoseLimits>;
  /** The uuid of an object's name and of an invocation (tests make them predictable). */
  uuid?: () => string;
  /** `!{firehose:random-string}`: 11 characters. */
  randomString?: () => string;
}

/** One record as Firehose holds it. */
interface BufferedRecord {
  id: string;
  data: Buffer;
  /** ms since epoch */
  arrival: number;
  kinesis?: { shardId: string; partitionKey: string; sequenceNumber: string; approximateArrivalTimestamp: number; subsequenceNumber: number };
}

interface FailedRecord {
  record: BufferedRecord;
  errorCode: string;
  errorMessage: string;
  attemptsMade: number;
  attemptEndingTimestamp: number;
}

interface Running {
  config: DeliveryStream;
  /** The config as text: a reload that changes nothing keeps the buffer. */
  key: string;
  names: FirehoseObjectNames;
  /** The object names of the source record backup (S3BackupMode Enabled). */
  backupNames?: FirehoseObjectNames;
  created: number;
  buffer: BufferedRecord[];
  /** The buffer's data, for buffer_mb. */
  bytes: number;
  /** What the buffer holds in memory, for the agent's limits. */
  memory: number;
  timer?: unknown;
  objects: number;
  delivered: number;
  failed: number;
  lost: number;
}

/** An error of the Firehose API, as Firehose names it. */
export class FirehoseApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'FirehoseApiError';
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface DeliveryStreamStats {
  deliveryStream: string;
  source: string;
  destination: string;
  processor?: string;
  bufferedRecords: number;
  bufferedBytes: number;
  objects: number;
  deliveredRecords: number;
  failedRecords: number;
  lostRecords: number;
}

export class DeliveryStreams {
  private streams = new Map<string, Running>();
  /** Kinesis stream -> the delivery streams it feeds. */
  private byKinesis = new Map<string, Running[]>();
  private readonly limits: FirehoseLimits;
  private buffered = 0;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly sleeps = new Set<{ handle: unknown; wake(): void }>();
  private closing = false;
  private overflowWarned = false;
  private refusing = false;
  private readonly quiet = new Set<string>();
  /** Record ids: 56 digits, as Firehose's, growing within this agent. */
  private readonly idBase = BigInt(`0x${randomBytes(14).toString('hex')}`).toString().padStart(36, '0').slice(0, 36);
  private seq = 0;
  private readonly uuid: () => string;
  private readonly randomString: () => string;

  constructor(private readonly o: DeliveryStreamsOptions) {
    this.limits = { ...FIREHOSE_LIMITS, ...o.limits };
    this.uuid = o.uuid ?? randomUUID;
    this.randomString = o.randomString ?? (() => randomUUID().slice(0, 11));
  }

  /** The delivery streams of functions.yml; a removed or changed one writes what it holds first, as it was. */
  setFunctions(file: FunctionsFile): void {
    const next = new Map<string, Running>();
    for (const [name, config] of Object.entries(file.delivery_streams ?? {})) {
      const key = JSON.stringify(config);
      const had = this.streams.get(name);
      if (had && had.key === key) {
        next.set(name, had);
        continue;
      }
      let names: FirehoseObjectNames;
      let backupNames: FirehoseObjectNames | undefined;
      try {
        names = firehoseObjectNames(config.destination.prefix, config.destination.error_output_prefix);
        if (config.destination.backup) backupNames = firehoseObjectNames(config.destination.backup.prefix, undefined);
      } catch (err) {
        this.o.warn({ deliveryStream: name }, `delivery stream ${name} is not run: ${(err as Error).message}`);
        continue;
      }
      next.set(name, { config, key, names, ...(backupNames ? { backupNames } : {}), created: had?.created ?? this.o.clock.now(), buffer: [], bytes: 0, memory: 0, objects: 0, delivered: 0, failed: 0, lost: 0 });
    }
    for (const [name, s] of this.streams) if (next.get(name) !== s) this.flush(s, 'reload');
    this.streams = next;
    this.byKinesis = new Map();
    for (const s of next.values()) {
      if (s.config.source.type !== 'kinesis') continue;
      const list = this.byKinesis.get(s.config.source.stream) ?? this.byKinesis.set(s.config.source.stream, []).get(s.config.source.stream)!;
      list.push(s);
    }
  }

  /** The records a Kinesis PutRecord(s) stored: the delivery streams reading that stream take them. */
  deliverKinesis(records: readonly KinesisRecord[]): void {
    for (const r of records) {
      const readers = this.byKinesis.get(r.stream);
      if (!readers) continue;
      const arrival = Math.round(r.approximateArrivalTimestamp * 1000);
      for (const s of readers) {
        if (!this.admit(s, `records of stream ${r.stream}`)) continue;
        this.add(s, [{ id: this.nextId(), data: Buffer.from(r.data, 'base64'), arrival, kinesis: { shardId: r.shardId, partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, approximateArrivalTimestamp: arrival, subsequenceNumber: 0 } }]);
      }
    }
  }

  /** Records put on behalf of another service (an SNS subscription); `what` names it in warnings. */
  put(name: string, data: readonly Buffer[], what: string): void {
    const s = this.streams.get(name);
    if (!s || s.config.source.type !== 'direct') {
      const key = `${name}\0${what}`;
      if (!this.quiet.has(key)) this.o.warn({ deliveryStream: name }, `${what} puts to delivery stream ${name}, which ${s ? 'reads a Kinesis stream and takes no other records' : 'is not deployed'}; its records are dropped`);
      this.quiet.add(key);
      return;
    }
    if (!this.admit(s, what)) return;
    const now = this.o.clock.now();
    this.add(
      s,
      data.map((d) => ({ id: this.nextId(), data: d, arrival: now })),
    );
  }

  /** One Firehose API call, answered as Firehose answers it. */
  async answer(call: ApiCall): Promise<ApiAnswer> {
    try {
      return { status: 200, body: this.act(call) };
    } catch (err) {
      const e = err instanceof FirehoseApiError ? err : new FirehoseApiError('ServiceUnavailableException', `esb's Firehose failed on this request: ${err instanceof Error ? err.message : String(err)}`, 500);
      return { status: e.status, body: { __type: e.code, message: e.message } };
    }
  }

  /** The delivery streams in force, for the agent's stats. */
  list(): DeliveryStreamStats[] {
    return [...this.streams.values()].map((s) => ({
      deliveryStream: s.config.name,
      source: s.config.source.type === 'kinesis' ? `kinesis:${s.config.source.stream}` : 'direct',
      destination: `s3://${s.config.destination.bucket}/${s.config.destination.prefix}`,
      ...(s.config.destination.processor ? { processor: s.config.destination.processor.function } : {}),
      bufferedRecords: s.buffer.length,
      bufferedBytes: s.bytes,
      objects: s.objects,
      deliveredRecords: s.delivered,
      failedRecords: s.failed,
      lostRecords: s.lost,
    }));
  }

  /** Resolves once the deliveries under way now (and those they lead to) are done. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Writes every buffer now and waits (closeGraceMs at most) for the deliveries under way; failed writes are not retried. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const s of this.streams.values()) this.flush(s, 'close');
    for (const sleep of this.sleeps) {
      this.o.clock.clearTimeout(sleep.handle);
      sleep.wake();
    }
    this.sleeps.clear();
    if (this.pending.size === 0) return;
    let grace: unknown;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.pending]).then(() => false),
      new Promise<boolean>((resolve) => {
        grace = this.o.clock.setTimeout(() => resolve(true), this.limits.closeGraceMs);
      }),
    ]);
    this.o.clock.clearTimeout(grace);
    if (timedOut) this.o.error({}, `delivery streams closed with ${this.pending.size} deliveries still under way (${this.inFlight} bytes of records): they may be LOST`);
  }

  // ------------------------------------------------------------ the API

  private act({ action, input }: ApiCall): Record<string, unknown> {
    const p = (input ?? {}) as Record<string, unknown>;
    switch (action) {
      case 'PutRecord': {
        const s = this.directStream(p);
        const record = p.Record;
        if (record === undefined || record === null) throw validation("Value null at 'record' failed to satisfy constraint: Member must not be null");
        const data = recordData(record, 'record.data');
        if (!this.admit(s)) throw new FirehoseApiError('ServiceUnavailableException', 'Slow down.', 500);
        const r: BufferedRecord = { id: this.nextId(), data, arrival: this.o.clock.now() };
        this.add(s, [r]);
        return { RecordId: r.id, Encrypted: false };
      }
      case 'PutRecordBatch': {
        const s = this.directStream(p);
        const records = p.Records;
        if (records === undefined || records === null) throw validation("Value null at 'records' failed to satisfy constraint: Member must not be null");
        if (!Array.isArray(records)) throw new FirehoseApiError('SerializationException', 'Records must be a list');
        if (records.length < 1) throw validation("Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1");
        if (records.length > FIREHOSE_MAX_BATCH_RECORDS) throw validation(`Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_MAX_BATCH_RECORDS}`);
        const datas = records.map((r, i) => recordData(r, `records.${i + 1}.member.data`));
        const total = datas.reduce((n, d) => n + d.length, 0);
        if (total > FIREHOSE_MAX_BATCH_BYTES) throw new FirehoseApiError('InvalidArgumentException', `The records hold ${total} bytes; a PutRecordBatch takes at most ${FIREHOSE_MAX_BATCH_BYTES} (4 MiB).`);
        // Backed up: every record of the batch is refused, as Firehose answers a throttled batch.
        if (!this.admit(s)) return { FailedPutCount: datas.length, Encrypted: false, RequestResponses: datas.map(() => ({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' })) };
        const now = this.o.clock.now();
        const accepted = datas.map((data) => ({ id: this.nextId(), data, arrival: now }));
        this.add(s, accepted);
        return { FailedPutCount: 0, Encrypted: false, RequestResponses: accepted.map((r) => ({ RecordId: r.id })) };
      }
      case 'DescribeDeliveryStream':
        return { DeliveryStreamDescription: this.describe(this.streamOf(p)) };
      case 'ListDeliveryStreams': {
        const limit = p.Limit === undefined ? 10 : p.Limit;
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) throw validation(`Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`);
        const type = p.DeliveryStreamType;
        const start = typeof p.ExclusiveStartDeliveryStreamName === 'string' ? p.ExclusiveStartDeliveryStreamName : undefined;
        const names = [...this.streams.values()]
          .filter((s) => type === undefined || streamType(s.config) === type)
          .map((s) => s.config.name)
          .sort()
          .filter((n) => start === undefined || n > start);
        return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
      }
      case 'ListTagsForDeliveryStream':
        this.streamOf(p);
        return { Tags: [], HasMoreTags: false };
      default:
        throw new FirehoseApiError('UnknownOperationException', `esb's Firehose does not take ${action.slice(0, 100)} (delivery streams come from the template, docs/firehose.md).`);
    }
  }

  private streamOf(p: Record<string, unknown>): Running {
    const name = p.DeliveryStreamName;
    if (name === undefined || name === null) throw validation("Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null");
    if (typeof name !== 'string') throw new FirehoseApiError('SerializationException', 'DeliveryStreamName must be a string');
    if (!DELIVERY_STREAM_NAME.test(name)) throw validation(`Value '${name.slice(0, 100)}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
    const s = this.streams.get(name);
    if (!s) throw new FirehoseApiError('ResourceNotFoundException', `Firehose ${name} under account ${LOCAL_ACCOUNT_ID} not found.`);
    return s;
  }

  private directStream(p: Record<string, unknown>): Running {
    const s = this.streamOf(p);
    if (s.config.source.type !== 'direct') throw new FirehoseApiError('InvalidArgumentException', 'This operation is not permitted on KinesisStreamAsSource delivery stream type.');
    return s;
  }

  private describe(s: Running): Record<string, unknown> {
    const c = s.config;
    const d = c.destination;
    const seconds = Math.floor(s.created / 1000);
    const processing = d.processor
      ? {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [
                { ParameterName: 'LambdaArn', ParameterValue: `${this.o.functionArn(d.processor.function)}:$LATEST` },
                { ParameterName: 'NumberOfRetries', ParameterValue: String(d.processor.retries) },
                { ParameterName: 'BufferSizeInMBs', ParameterValue: String(d.processor.buffer_mb) },
              ],
            },
          ],
        }
      : { Enabled: false, Processors: [] };
    const s3 = {
      BucketARN: `arn:aws:s3:::${d.bucket}`,
      Prefix: d.prefix,
      ...(d.error_output_prefix !== undefined ? { ErrorOutputPrefix: d.error_output_prefix } : {}),
      BufferingHints: { SizeInMBs: d.buffer_mb, IntervalInSeconds: d.buffer_seconds },
      CompressionFormat: d.compression,
      EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    };
    return {
      DeliveryStreamName: c.name,
      DeliveryStreamARN: deliveryStreamArn(c.name, this.o.region),
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
      DeliveryStreamType: streamType(c),
      VersionId: '1',
      CreateTimestamp: seconds,
      ...(c.source.type === 'kinesis' ? { Source: { KinesisStreamSourceDescription: { KinesisStreamARN: kinesisStreamArn(c.source.stream, this.o.region), DeliveryStartTimestamp: seconds } } } : {}),
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          S3DestinationDescription: s3,
          ExtendedS3DestinationDescription: { ...s3, ProcessingConfiguration: processing, S3BackupMode: 'Disabled', ...(d.file_extension !== undefined ? { FileExtension: d.file_extension } : {}) },
        },
      ],
      HasMoreDestinations: false,
    };
  }

  // ------------------------------------------------------------ buffering

  private nextId(): string {
    return `${this.idBase}${String(++this.seq).padStart(20, '0')}`;
  }

  /** Whether the deliveries under way leave room for more records; said once per backlog. */
  private admit(s: Running, what?: string): boolean {
    if (this.closing) return false;
    if (this.inFlight < this.limits.maxInFlightBytes) {
      this.refusing = false;
      return true;
    }
    if (!this.refusing) this.o.warn({ deliveryStream: s.config.name }, `delivery streams have ${this.inFlight} bytes of records being transformed or written (the limit is ${this.limits.maxInFlightBytes}): new records are refused${what ? `; ${what} are dropped` : ''} until they are written`);
    this.refusing = true;
    return false;
  }

  private add(s: Running, records: BufferedRecord[]): void {
    for (const r of records) {
      s.buffer.push(r);
      s.bytes += r.data.length;
      s.memory += r.data.length + RECORD_OVERHEAD;
      this.buffered += r.data.length + RECORD_OVERHEAD;
    }
    const d = s.config.destination;
    if (s.bytes >= d.buffer_mb * MiB) this.flush(s, 'size');
    else if (s.timer === undefined && s.buffer.length > 0) s.timer = this.o.clock.setTimeout(() => this.flush(s, 'time'), d.buffer_seconds * 1000);
    if (this.buffered <= this.limits.maxBufferedBytes) {
      if (this.buffered <= this.limits.maxBufferedBytes / 2) this.overflowWarned = false;
      return;
    }
    // Memory is bounded: the largest buffers go early.
    while (this.buffered > this.limits.maxBufferedBytes) {
      let largest: Running | undefined;
      for (const x of this.streams.values()) if (!largest || x.memory > largest.memory) largest = x;
      if (!largest || largest.memory === 0) break;
      if (!this.overflowWarned) this.o.warn({ deliveryStream: largest.config.name }, `delivery streams buffer more than ${this.limits.maxBufferedBytes} bytes of records: ${largest.config.name}'s buffer (${largest.buffer.length} records, ${largest.bytes} bytes) is written early`);
      this.overflowWarned = true;
      this.flush(largest, 'memory');
    }
  }

  private flush(s: Running, why: string): void {
    if (s.timer !== undefined) this.o.clock.clearTimeout(s.timer);
    s.timer = undefined;
    if (s.buffer.length === 0) return;
    const batch = s.buffer;
    const bytes = s.memory;
    s.buffer = [];
    s.bytes = 0;
    s.memory = 0;
    this.buffered -= bytes;
    this.inFlight += bytes;
    const p: Promise<void> = this.deliver(s, batch, why)
      .catch((err: unknown) => {
        s.lost += batch.length;
        this.o.error({ deliveryStream: s.config.name }, `LOST ${batch.length} records of delivery stream ${s.config.name}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        this.inFlight -= bytes;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  // ------------------------------------------------------------ delivery

  private async deliver(s: Running, batch: BufferedRecord[], why: string): Promise<void> {
    const c = s.config;
    let ok: Array<{ data: Buffer; arrival: number }> = batch;
    let failed: FailedRecord[] = [];
    const backup = c.destination.backup;
    if (backup && s.backupNames) {
      // The source records as they came, before the processor (S3BackupMode Enabled).
      const time = batch.reduce((t, r) => Math.min(t, r.arrival), Infinity);
      await this.write(s, s.backupNames.delivered(time, this.randomString), time, Buffer.concat(batch.map((r) => r.data)), batch.length, { bucket: backup.bucket, compression: backup.compression });
    }
    if (c.destination.processor) ({ ok, failed } = await this.transform(c, batch));
    this.o.info?.({ deliveryStream: c.name, records: batch.length, written: ok.length, failed: failed.length }, `delivery stream ${c.name}: ${batch.length} records (${why})`);
    if (ok.length && c.destination.http) await this.deliverToEndpoint(s, c.destination.http, ok);
    else if (ok.length) {
      const time = ok.reduce((t, r) => Math.min(t, r.arrival), Infinity);
      if (await this.write(s, s.names.delivered(time, this.randomString), time, Buffer.concat(ok.map((r) => r.data)), ok.length)) s.delivered += ok.length;
    }
    if (failed.length) {
      s.failed += failed.length;
      const time = failed.reduce((t, f) => Math.min(t, f.record.arrival), Infinity);
      const lambdaArn = `${this.o.functionArn(c.destination.processor!.function)}:$LATEST`;
      const lines = failed.map((f) =>
        JSON.stringify({ attemptsMade: f.attemptsMade, arrivalTimestamp: f.record.arrival, errorCode: f.errorCode, errorMessage: f.errorMessage, attemptEndingTimestamp: f.attemptEndingTimestamp, rawData: f.record.data.toString('base64'), lambdaArn }) + '\n',
      );
      this.o.warn({ deliveryStream: c.name, failed: failed.length }, `delivery stream ${c.name}: ${failed.length} records failed their transformation (${failed[0].errorCode}: ${failed[0].errorMessage}); they go under the error prefix`);
      await this.write(s, s.names.failed(time, 'processing-failed', this.randomString), time, Buffer.from(lines.join('')), failed.length);
    }
  }

  /**
   * The records to an HTTP endpoint destination, as Firehose sends them (docs/firehose.md "HTTP
   * endpoints"): one request `{requestId, timestamp, records: [{data}]}`, answered 200 with the
   * request's id; tried again for the destination's retry_seconds, then the records go to the
   * bucket under the error prefix (`http-endpoint-failed`). With backup_all the bucket gets them all too.
   */
  private async deliverToEndpoint(s: Running, http: NonNullable<DeliveryStream['destination']['http']>, records: Array<{ data: Buffer; arrival: number }>): Promise<void> {
    const c = s.config;
    const time = records.reduce((t, r) => Math.min(t, r.arrival), Infinity);
    if (http.backup_all) await this.write(s, s.names.delivered(time, this.randomString), time, Buffer.concat(records.map((r) => r.data)), records.length);
    const started = this.o.clock.now();
    let wait = this.limits.retryBaseMs;
    let attempts = 0;
    let failure = { code: '', message: '' };
    for (;;) {
      attempts++;
      const requestId = this.uuid();
      const json = JSON.stringify({ requestId, timestamp: this.o.clock.now(), records: records.map((r) => ({ data: r.data.toString('base64') })) });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-amz-firehose-protocol-version': '1.0',
        'x-amz-firehose-request-id': requestId,
        'x-amz-firehose-source-arn': deliveryStreamArn(c.name, this.o.region),
        ...(http.access_key !== undefined ? { 'x-amz-firehose-access-key': http.access_key } : {}),
        ...(Object.keys(http.common_attributes).length ? { 'x-amz-firehose-common-attributes': JSON.stringify({ commonAttributes: http.common_attributes }) } : {}),
        ...(http.gzip ? { 'content-encoding': 'gzip' } : {}),
      };
      try {
        if (!this.o.post) throw new Error('the agent cannot make HTTP requests');
        const answer = await this.o.post(http.url, headers, http.gzip ? await gzipAsync(json) : Buffer.from(json));
        let answeredId: unknown;
        try {
          answeredId = (JSON.parse(answer.body) as { requestId?: unknown }).requestId;
        } catch {
          answeredId = undefined;
        }
        if (answer.status === 200 && answeredId === requestId) {
          s.delivered += records.length;
          return;
        }
        failure = answer.status === 200 ? { code: 'HttpEndpoint.InvalidResponseFromDestination', message: `the answer does not name the request ${requestId}` } : { code: `HttpEndpoint.ResponseStatus${answer.status}`, message: `the endpoint answered ${answer.status}` };
      } catch (err) {
        failure = { code: 'HttpEndpoint.RequestFailed', message: err instanceof Error ? err.message : String(err) };
      }
      if (this.closing || this.o.clock.now() + wait - started >= http.retry_seconds * 1000) break;
      if (attempts === 1) this.o.warn({ deliveryStream: c.name, url: http.url }, `delivery stream ${c.name}: ${http.url}: ${failure.code}: ${failure.message}; trying again for up to ${http.retry_seconds} s`);
      await this.sleep(wait);
      wait = Math.min(wait * 2, this.limits.maxRetryMs);
    }
    s.failed += records.length;
    const now = this.o.clock.now();
    const lines = records.map((r) => JSON.stringify({ attemptsMade: attempts, arrivalTimestamp: r.arrival, errorCode: failure.code, errorMessage: failure.message, attemptEndingTimestamp: now, rawData: r.data.toString('base64'), EndpointUrl: http.url }) + '\n');
    this.o.warn({ deliveryStream: c.name, url: http.url, records: records.length }, `delivery stream ${c.name}: ${http.url} did not take ${records.length} records after ${attempts} attempts (${failure.code}: ${failure.message}); they go under the error prefix`);
    await this.write(s, s.names.failed(time, 'http-endpoint-failed', this.randomString), time, Buffer.from(lines.join('')), records.length);
  }

  /** The batch through the processor, in invocations of at most its buffer_mb; the Ok records in order, and those that failed. */
  private async transform(c: DeliveryStream, batch: BufferedRecord[]): Promise<{ ok: Array<{ data: Buffer; arrival: number }>; failed: FailedRecord[] }> {
    const processor = c.destination.processor!;
    const max = processor.buffer_mb * MiB;
    const chunks: BufferedRecord[][] = [];
    let chunk: BufferedRecord[] = [];
    let size = 0;
    for (const r of batch) {
      if (chunk.length && size + r.data.length > max) {
        chunks.push(chunk);
        chunk = [];
        size = 0;
      }
      chunk.push(r);
      size += r.data.length;
    }
    if (chunk.length) chunks.push(chunk);
    const ok: Array<{ data: Buffer; arrival: number }> = [];
    const failed: FailedRecord[] = [];
    for (const records of chunks) {
      const r = await this.transformChunk(c, records);
      ok.push(...r.ok);
      failed.push(...r.failed);
    }
    return { ok, failed };
  }

  private async transformChunk(c: DeliveryStream, records: BufferedRecord[]): Promise<{ ok: Array<{ data: Buffer; arrival: number }>; failed: FailedRecord[] }> {
    const processor = c.destination.processor!;
    const event = {
      invocationId: this.uuid(),
      ...(c.source.type === 'kinesis' ? { sourceKinesisStreamArn: kinesisStreamArn(c.source.stream, this.o.region) } : {}),
      deliveryStreamArn: deliveryStreamArn(c.name, this.o.region),
      region: this.o.region,
      records: records.map((r) => ({ recordId: r.id, approximateArrivalTimestamp: r.arrival, data: r.data.toString('base64'), ...(r.kinesis ? { kinesisRecordMetadata: r.kinesis } : {}) })),
    };
    const payload = Buffer.from(JSON.stringify(event));
    const allFailed = (errorCode: string, errorMessage: string, attemptsMade: number) => ({
      ok: [],
      failed: records.map((record) => ({ record, errorCode, errorMessage, attemptsMade, attemptEndingTimestamp: this.o.clock.now() })),
    });
    // A failed invocation is tried again (NumberOfRetries, 3), then its records fail.
    let result: InvokeResult | undefined;
    let attempts = 0;
    for (;;) {
      attempts++;
      result = await this.o.invoke(processor.function, payload);
      if (!result.error) break;
      if (attempts > processor.retries || this.closing) break;
      this.o.warn({ deliveryStream: c.name, fn: processor.function }, `delivery stream ${c.name}: the transformation function ${processor.function} failed (${result.error.kind}: ${result.error.message}); trying again`);
      await this.sleep(this.limits.invokeRetryMs);
    }
    if (result.error) return allFailed(INVOKE_ERROR_CODES[result.error.kind], result.error.message, attempts);
    let answer: unknown;
    try {
      answer = JSON.parse(result.payload.toString('utf8'));
    } catch {
      return allFailed('Lambda.JsonProcessingException', 'The function did not answer JSON.', attempts);
    }
    const list = answer && typeof answer === 'object' ? (answer as { records?: unknown }).records : undefined;
    if (!Array.isArray(list)) return allFailed('Lambda.JsonProcessingException', 'The answer has no records list.', attempts);
    const byId = new Map<string, unknown[]>();
    for (const item of list) {
      const id = item && typeof item === 'object' ? (item as { recordId?: unknown }).recordId : undefined;
      if (typeof id === 'string') (byId.get(id) ?? byId.set(id, []).get(id)!).push(item);
    }
    const now = this.o.clock.now();
    const ok: Array<{ data: Buffer; arrival: number }> = [];
    const failed: FailedRecord[] = [];
    const fail = (record: BufferedRecord, errorCode: string, errorMessage: string) => failed.push({ record, errorCode, errorMessage, attemptsMade: attempts, attemptEndingTimestamp: now });
    for (const record of records) {
      const answers = byId.get(record.id);
      if (!answers) {
        fail(record, 'Lambda.MissingRecordId', `The answer has no record of id ${record.id}.`);
        continue;
      }
      if (answers.length > 1) {
        fail(record, 'Lambda.DuplicatedRecordId', `The answer has ${answers.length} records of id ${record.id}.`);
        continue;
      }
      const a = answers[0] as { result?: unknown; data?: unknown };
      if (a.result === 'Dropped') continue;
      if (a.result === 'ProcessingFailed') fail(record, 'Lambda.ProcessingFailedStatus', 'ProcessingFailed status set for record');
      else if (a.result !== 'Ok') fail(record, 'Lambda.JsonProcessingException', `The record's result is ${JSON.stringify(a.result)}, not Ok, Dropped or ProcessingFailed.`);
      else if (typeof a.data !== 'string' || !BASE64.test(a.data)) fail(record, 'Lambda.JsonProcessingException', "An Ok record's data must be base64 text.");
      else ok.push({ data: Buffer.from(a.data, 'base64'), arrival: record.arrival });
    }
    return { ok, failed };
  }

  /** Writes one object, retried with backoff; false (the records lost, said loudly) once the attempts are spent. */
  private async write(s: Running, prefix: string, time: number, data: Buffer, records: number, to: { bucket: string; compression: 'UNCOMPRESSED' | 'GZIP'; file_extension?: string } = s.config.destination): Promise<boolean> {
    const c = s.config;
    const d = to;
    const gz = d.compression === 'GZIP';
    const key = `${prefix}${firehoseObjectSuffix(c.name, time, this.uuid(), d.file_extension ?? (gz ? '.gz' : ''))}`;
    const where = `s3://${d.bucket}/${key}`;
    if (!this.o.putObject) {
      s.lost += records;
      this.o.error({ deliveryStream: c.name }, `LOST ${records} records of delivery stream ${c.name}: the agent has no S3 endpoint (AWS_ENDPOINT_URL_S3) to write ${where}`);
      return false;
    }
    const body = gz ? await gzipAsync(data) : data;
    let wait = this.limits.retryBaseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.putObject(d.bucket, key, body);
        s.objects++;
        return true;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        if (attempt >= this.limits.writeAttempts || this.closing) {
          s.lost += records;
          this.o.error({ deliveryStream: c.name, bucket: d.bucket }, `LOST ${records} records of delivery stream ${c.name}: ${where} could not be written after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${why}`);
          return false;
        }
        this.o.warn({ deliveryStream: c.name, bucket: d.bucket }, `delivery stream ${c.name}: writing ${where} failed (${why}); trying again in ${wait} ms`);
        await this.sleep(wait);
        wait = Math.min(wait * 2, this.limits.maxRetryMs);
      }
    }
  }

  /** A wait on the clock that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        handle: undefined as unknown,
        wake: () => resolve(),
      };
      entry.handle = this.o.clock.setTimeout(() => {
        this.sleeps.delete(entry);
        resolve();
      }, ms);
      this.sleeps.add(entry);
    });
  }
}

/** How Firehose names a failed invocation of the processor in the error records. */
const INVOKE_ERROR_CODES: Record<NonNullable<InvokeResult['error']>['kind'], string> = {
  FunctionError: 'Lambda.FunctionError',
  Timeout: 'Lambda.FunctionTimedOut',
  Throttled: 'Lambda.InvokeLimitExceeded',
  UnknownFunction: 'Lambda.ResourceNotFound',
  Unavailable: 'Lambda.ServiceException',
};

function streamType(c: DeliveryStream): 'DirectPut' | 'KinesisStreamAsSource' {
  return c.source.type === 'kinesis' ? 'KinesisStreamAsSource' : 'DirectPut';
}

function validation(what: string): FirehoseApiError {
  return new FirehoseApiError('ValidationException', `1 validation error detected: ${what}`);
}

/** A record's Data (base64), checked as Firehose checks it. */
function recordData(record: unknown, field: string): Buffer {
  if (!record || typeof record !== 'object') throw new FirehoseApiError('SerializationException', `${field.replace(/\.data$/, '')} must be an object with Data`);
  const data = (record as { Data?: unknown }).Data;
  if (data === undefined || data === null) throw validation(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  if (typeof data !== 'string' || !BASE64.test(data)) throw new FirehoseApiError('SerializationException', `${field}: Data must be base64 text`);
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > FIREHOSE_MAX_RECORD_BYTES) throw validation(`Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_MAX_RECORD_BYTES}`);
  return bytes;
}

/** S3 PutObject on the agent's S3 endpoint (path-style, as the storage serves it), the client made on first use. */
export function createS3ObjectWriter(o: { endpoint: string; region: string; credentials: Credentials }): (bucket: string, key: string, body: Buffer) => Promise<void> {
  let loaded: Promise<{ sdk: typeof import('@aws-sdk/client-s3'); client: S3Client }> | undefined;
  return async (bucket, key, body) => {
    loaded ??= import('@aws-sdk/client-s3').then((sdk) => ({ sdk, client: new sdk.S3Client({ endpoint: o.endpoint, region: o.region, credentials: o.credentials, forcePathStyle: true, maxAttempts: 1 }) }));
    const { sdk, client } = await loaded.catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
}
