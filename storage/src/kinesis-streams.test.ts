// The Kinesis stream model on a fake clock: shard choice (MD5 of the partition key, explicit
// hash keys), sequence numbers, every shard iterator type, iterator expiry, retention, the byte
// limit, consumers, the snapshot; and the operations' input checks (kinesis-actions.ts).
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { runKinesisAction } from './kinesis-actions.js';
import { ITERATOR_TTL_MS, KinesisError, StreamStore, type KinesisLimits, type KinesisSnapshot } from './kinesis-streams.js';

class FakeClock {
  t = Date.UTC(2024, 0, 1);
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const HOUR = 3_600_000;

/** The KinesisError thrown by `fn` (fails when it throws nothing or something else). */
function errorOf(fn: () => unknown): KinesisError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KinesisError) return err;
    throw err;
  }
  throw new Error('expected a KinesisError');
}

let clock: FakeClock;
let store: StreamStore;
const make = (limits: Partial<KinesisLimits> = {}) => new StreamStore({ clock, limits });
const put = (stream: string, partitionKey: string, data: string | Buffer, explicitHashKey?: string) =>
  store.put(stream, [{ partitionKey, data: Buffer.isBuffer(data) ? data : Buffer.from(data), ...(explicitHashKey !== undefined ? { explicitHashKey } : {}) }]).results[0];
/** The data of every record from an iterator on, as text. */
const readAll = (iterator: string, s = store) => s.getRecords(iterator).records.map((r) => r.data.toString());

beforeEach(() => {
  clock = new FakeClock();
  store = make();
});

describe('streams and shards', () => {
  it('splits the hash keys 0 .. 2^128-1 evenly, as Kinesis does', () => {
    store.createStream('three', { shardCount: 3 });
    const shards = store.describe('three').shards;
    expect(shards.map((s) => s.shardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    // Kinesis's own ranges of a 3-shard stream.
    expect(shards[0]).toMatchObject({ startingHashKey: '0', endingHashKey: '113427455640312821154458202477256070484' });
    expect(shards[1]).toMatchObject({ startingHashKey: '113427455640312821154458202477256070485', endingHashKey: '226854911280625642308916404954512140969' });
    expect(shards[2]).toMatchObject({ startingHashKey: '226854911280625642308916404954512140970', endingHashKey: String((1n << 128n) - 1n) });
  });

  it('ON_DEMAND, or no shard count, is 4 shards; an existing name is ResourceInUse; a missing one ResourceNotFound', () => {
    store.createStream('auto');
    store.createStream('od', { mode: 'ON_DEMAND' });
    store.createStream('prov', { shardCount: 2 });
    expect(store.describe('auto')).toMatchObject({ mode: 'ON_DEMAND', retentionHours: 24, encryptionType: 'NONE' });
    expect(store.describe('auto').shards).toHaveLength(4);
    expect(store.describe('od').shards).toHaveLength(4);
    expect(store.describe('prov')).toMatchObject({ mode: 'PROVISIONED', arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/prov' });
    expect(errorOf(() => store.createStream('prov', { shardCount: 1 }))).toMatchObject({ code: 'ResourceInUseException', message: 'Stream prov under account 123456789012 already exists.' });
    expect(errorOf(() => store.describe('nope'))).toMatchObject({ code: 'ResourceNotFoundException', message: 'Stream nope under account 123456789012 not found.' });
    expect(errorOf(() => store.createStream('big', { shardCount: 65 }))).toMatchObject({ code: 'LimitExceededException', message: expect.stringContaining('64 shards') });
    expect(errorOf(() => store.createStream('bad name!'))).toMatchObject({ code: 'ValidationException', message: expect.stringContaining("at 'streamName'") });
  });

  it('at most maxStreams streams', () => {
    store = make({ maxStreams: 2 });
    store.createStream('a', { shardCount: 1 });
    store.createStream('b', { shardCount: 1 });
    expect(errorOf(() => store.createStream('c', { shardCount: 1 })).code).toBe('LimitExceededException');
    store.deleteStream('a');
    store.createStream('c', { shardCount: 1 });
    expect(store.streamNames()).toEqual(['b', 'c']);
  });
});

describe('putting records', () => {
  beforeEach(() => store.createStream('orders', { shardCount: 4 }));

  it('a record goes to the shard whose range holds MD5(PartitionKey) as a 128-bit big-endian number', () => {
    const shards = store.describe('orders').shards;
    for (const key of ['user-42', 'order#7', 'ünïcode-ключ', 'x']) {
      const hash = BigInt(`0x${createHash('md5').update(Buffer.from(key, 'utf8')).digest('hex')}`);
      const expected = shards.find((s) => BigInt(s.startingHashKey) <= hash && hash <= BigInt(s.endingHashKey))!.shardId;
      expect(put('orders', key, 'd').shardId).toBe(expected);
    }
    // One worked by hand: MD5("user-42") = 0x7631bc07..., its top two bits 01: the second quarter of the hash keys.
    const hash = createHash('md5').update('user-42').digest();
    expect(hash.toString('hex')).toBe('7631bc07a1cc8fcd56e70fc6b2fb4a43');
    expect(hash.readUInt32BE(0) >>> 30).toBe(1);
    expect(put('orders', 'user-42', 'd').shardId).toBe('shardId-000000000001');
  });

  it('ExplicitHashKey picks the shard instead; one beyond 2^128-1 or not decimal is refused', () => {
    const shards = store.describe('orders').shards;
    expect(put('orders', 'k', 'd', '0').shardId).toBe('shardId-000000000000');
    expect(put('orders', 'k', 'd', shards[2].startingHashKey).shardId).toBe('shardId-000000000002');
    expect(put('orders', 'k', 'd', shards[1].endingHashKey).shardId).toBe('shardId-000000000001');
    expect(put('orders', 'k', 'd', String((1n << 128n) - 1n)).shardId).toBe('shardId-000000000003');
    expect(errorOf(() => put('orders', 'k', 'd', String(1n << 128n)))).toMatchObject({ code: 'InvalidArgumentException', message: expect.stringContaining('ExplicitHashKey must be in the range') });
    expect(errorOf(() => put('orders', 'k', 'd', '0x10'))).toMatchObject({ code: 'ValidationException', message: expect.stringContaining("at 'explicitHashKey'") });
  });

  it('sequence numbers: 56 digits, strictly increasing per shard (as text and as numbers), unique in the stream', () => {
    const all: string[] = [];
    const byShard = new Map<string, string[]>();
    for (let i = 0; i < 200; i++) {
      const r = put('orders', `key-${i % 13}`, String(i));
      all.push(r.sequenceNumber);
      byShard.set(r.shardId, [...(byShard.get(r.shardId) ?? []), r.sequenceNumber]);
    }
    expect(new Set(all).size).toBe(200);
    for (const seq of all) expect(seq).toMatch(/^\d{56}$/);
    expect(byShard.size).toBeGreaterThan(1);
    for (const seqs of byShard.values()) {
      for (let i = 1; i < seqs.length; i++) {
        expect(seqs[i] > seqs[i - 1]).toBe(true);
        expect(BigInt(seqs[i]) > BigInt(seqs[i - 1])).toBe(true);
      }
    }
    // The shard's starting sequence number comes before its records.
    for (const shard of store.describe('orders').shards) for (const seq of byShard.get(shard.shardId) ?? []) expect(seq > shard.startingSequenceNumber).toBe(true);
  });

  it('a record of one key keeps its order; GetRecords returns data, key and arrival', () => {
    for (let i = 0; i < 5; i++) {
      put('orders', 'same', `m${i}`);
      clock.advance(10);
    }
    const shardId = put('orders', 'same', 'last').shardId;
    const { records } = store.getRecords(store.shardIterator('orders', shardId, { type: 'TRIM_HORIZON' }));
    expect(records.map((r) => r.data.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'last']);
    expect(records[1]).toMatchObject({ partitionKey: 'same', arrivalMs: Date.UTC(2024, 0, 1) + 10 });
  });

  it('checks each record of a batch before storing any: data over 1 MiB, keys of 0 or 257 characters, more than 500 or 5 MiB', () => {
    const ok = { partitionKey: 'k', data: Buffer.from('fine') };
    expect(errorOf(() => store.put('orders', [ok, { partitionKey: 'k', data: Buffer.alloc(1024 * 1024 + 1) }], true))).toMatchObject({
      code: 'ValidationException',
      message: expect.stringMatching(/at 'records\.2\.member\.data' failed to satisfy constraint: Member must have length less than or equal to 1048576/),
    });
    expect(errorOf(() => store.put('orders', [{ partitionKey: '', data: Buffer.alloc(1) }])).message).toMatch(/at 'partitionKey'.*greater than or equal to 1/);
    expect(errorOf(() => store.put('orders', [{ partitionKey: 'k'.repeat(257), data: Buffer.alloc(1) }])).message).toMatch(/less than or equal to 256/);
    expect(errorOf(() => store.put('orders', Array.from({ length: 501 }, () => ok), true)).message).toMatch(/at 'records'.*less than or equal to 500/);
    expect(errorOf(() => store.put('orders', [], true)).code).toBe('ValidationException');
    const mib = { partitionKey: 'k', data: Buffer.alloc(1024 * 1024) };
    expect(errorOf(() => store.put('orders', [mib, mib, mib, mib, mib], true))).toMatchObject({ code: 'InvalidArgumentException', message: expect.stringContaining('5 MiB') });
    expect(store.retainedBytes).toBe(0);
    // Exactly 1 MiB of data is fine.
    expect(store.put('orders', [{ partitionKey: 'k', data: Buffer.alloc(1024 * 1024) }]).results).toHaveLength(1);
  });

  it('answers the stored records as the agent is told of them', () => {
    clock.t = 1_700_000_000_123;
    const outcome = store.put('orders', [{ partitionKey: 'p', data: Buffer.from([0, 1, 2]) }]);
    expect(outcome.records).toEqual([
      { stream: 'orders', shardId: outcome.results[0].shardId, sequenceNumber: outcome.results[0].sequenceNumber, partitionKey: 'p', data: 'AAEC', approximateArrivalTimestamp: 1_700_000_000.123 },
    ]);
    expect(outcome.encryptionType).toBe('NONE');
    store.setEncryption('orders', 'KMS', 'alias/aws/kinesis');
    expect(store.put('orders', [{ partitionKey: 'p', data: Buffer.from('x') }]).encryptionType).toBe('KMS');
  });
});

describe('shard iterators', () => {
  let shardId: string;
  const seqs: string[] = [];
  beforeEach(() => {
    store.createStream('s', { shardCount: 1 });
    shardId = 'shardId-000000000000';
    seqs.length = 0;
    for (const d of ['a', 'b', 'c']) {
      seqs.push(put('s', 'k', d).sequenceNumber);
      clock.advance(1000);
    }
  });

  it('TRIM_HORIZON reads from the oldest, LATEST only what comes after', () => {
    const latest = store.shardIterator('s', shardId, { type: 'LATEST' });
    expect(readAll(store.shardIterator('s', shardId, { type: 'TRIM_HORIZON' }))).toEqual(['a', 'b', 'c']);
    expect(readAll(latest)).toEqual([]);
    put('s', 'k', 'd');
    expect(readAll(latest)).toEqual(['d']);
  });

  it('AT_SEQUENCE_NUMBER includes the record, AFTER_SEQUENCE_NUMBER starts after it', () => {
    expect(readAll(store.shardIterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: seqs[1] }))).toEqual(['b', 'c']);
    expect(readAll(store.shardIterator('s', shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqs[1] }))).toEqual(['c']);
    expect(readAll(store.shardIterator('s', shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqs[2] }))).toEqual([]);
    const start = store.describe('s').shards[0].startingSequenceNumber;
    expect(readAll(store.shardIterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: start }))).toEqual(['a', 'b', 'c']);
    expect(errorOf(() => store.shardIterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER' })).code).toBe('InvalidArgumentException');
  });

  it('a sequence number of another shard, another stream or from the future is refused', () => {
    store.createStream('two', { shardCount: 2 });
    const other = put('two', 'k', 'x', '0'); // shard 0
    expect(errorOf(() => store.shardIterator('two', 'shardId-000000000001', { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: other.sequenceNumber }))).toMatchObject({
      code: 'InvalidArgumentException',
      message: 'Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001',
    });
    expect(errorOf(() => store.shardIterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: other.sequenceNumber })).message).toMatch(/did not come from this stream/);
    const future = `${seqs[2].slice(0, 11)}${'9'.repeat(41)}0000`;
    expect(errorOf(() => store.shardIterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: future })).code).toBe('InvalidArgumentException');
    expect(errorOf(() => store.shardIterator('s', 'shardId-000000000009', { type: 'LATEST' }))).toMatchObject({ code: 'ResourceNotFoundException', message: expect.stringContaining('shardId-000000000009') });
  });

  it('AT_TIMESTAMP starts at the first record that arrived then or later; a time to come is refused', () => {
    const t0 = Date.UTC(2024, 0, 1);
    expect(readAll(store.shardIterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: t0 + 1000 }))).toEqual(['b', 'c']);
    expect(readAll(store.shardIterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: t0 + 1 }))).toEqual(['b', 'c']);
    expect(readAll(store.shardIterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: t0 - 5000 }))).toEqual(['a', 'b', 'c']);
    const atNow = store.shardIterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: clock.now() });
    expect(readAll(atNow)).toEqual([]);
    put('s', 'k', 'd');
    expect(readAll(atNow)).toEqual(['d']);
    expect(errorOf(() => store.shardIterator('s', shardId, { type: 'AT_TIMESTAMP', timestamp: clock.now() + 1 })).message).toMatch(/cannot be greater than the currentTimestampInMillis/);
    expect(errorOf(() => store.shardIterator('s', shardId, { type: 'AT_TIMESTAMP' })).code).toBe('InvalidArgumentException');
  });

  it('GetRecords pages by Limit; NextShardIterator goes on; MillisBehindLatest tells how far behind', () => {
    const first = store.getRecords(store.shardIterator('s', shardId, { type: 'TRIM_HORIZON' }), 2);
    expect(first.records.map((r) => r.data.toString())).toEqual(['a', 'b']);
    // The next unread record (c) arrived 1 s before now.
    expect(first.millisBehindLatest).toBe(1000);
    const second = store.getRecords(first.nextShardIterator, 2);
    expect(second.records.map((r) => r.data.toString())).toEqual(['c']);
    expect(second.millisBehindLatest).toBe(0);
    const third = store.getRecords(second.nextShardIterator);
    expect(third.records).toEqual([]);
    put('s', 'k', 'd');
    expect(readAll(third.nextShardIterator)).toEqual(['d']);
    expect(errorOf(() => store.getRecords(third.nextShardIterator, 10_001)).code).toBe('ValidationException');
  });

  it('an iterator expires 5 minutes after it was issued; a NextShardIterator is new', () => {
    const iterator = store.shardIterator('s', shardId, { type: 'TRIM_HORIZON' });
    clock.advance(ITERATOR_TTL_MS);
    const { nextShardIterator } = store.getRecords(iterator);
    clock.advance(1);
    expect(errorOf(() => store.getRecords(iterator))).toMatchObject({ code: 'ExpiredIteratorException', message: expect.stringContaining('Iterator expired') });
    expect(store.getRecords(nextShardIterator).records).toEqual([]);
  });

  it('an iterator that does not parse is InvalidArgument; one of a deleted stream fails, also when the stream is created again', () => {
    expect(errorOf(() => store.getRecords('not-an-iterator'))).toMatchObject({ code: 'InvalidArgumentException', message: expect.stringContaining('Invalid ShardIterator') });
    expect(errorOf(() => store.getRecords(Buffer.from('{"s":1}').toString('base64url'))).code).toBe('InvalidArgumentException');
    const iterator = store.shardIterator('s', shardId, { type: 'TRIM_HORIZON' });
    store.deleteStream('s');
    expect(errorOf(() => store.getRecords(iterator)).code).toBe('ResourceNotFoundException');
    store.createStream('s', { shardCount: 1 });
    put('s', 'k', 'new');
    expect(errorOf(() => store.getRecords(iterator))).toMatchObject({ code: 'ExpiredIteratorException', message: expect.stringContaining('created again') });
    // And its sequence numbers are not of the new stream.
    expect(errorOf(() => store.shardIterator('s', shardId, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: seqs[0] })).message).toMatch(/did not come from this stream/);
  });
});

describe('retention and the byte limit', () => {
  it('records older than the retention period are trimmed, by a sweep and on access', () => {
    const changed: string[] = [];
    store = new StreamStore({ clock, onChange: (name) => changed.push(name) });
    store.createStream('r', { shardCount: 1 });
    store.createStream('long', { shardCount: 1 });
    store.setRetention('long', 48, 'increase');
    put('r', 'k', 'old');
    put('long', 'k', 'old');
    clock.advance(12 * HOUR);
    put('r', 'k', 'newer');
    clock.advance(12 * HOUR);
    // Exactly 24 h after "old": gone on access.
    expect(readAll(store.shardIterator('r', '0', { type: 'TRIM_HORIZON' }))).toEqual(['newer']);
    expect(readAll(store.shardIterator('long', '0', { type: 'TRIM_HORIZON' }))).toEqual(['old']);
    clock.advance(24 * HOUR);
    changed.length = 0;
    store.sweep();
    expect(changed.sort()).toEqual(['long', 'r']);
    expect(store.retainedBytes).toBe(0);
  });

  it('retention changes: 24..8760 hours, Increase only up, Decrease only down (trimming at once)', () => {
    store.createStream('r', { shardCount: 1 });
    expect(errorOf(() => store.setRetention('r', 23, 'decrease')).message).toMatch(/Minimum allowed retention period is 24 hours/);
    expect(errorOf(() => store.setRetention('r', 8761, 'increase')).message).toMatch(/Maximum allowed retention period is 8760 hours/);
    store.setRetention('r', 100, 'increase');
    expect(errorOf(() => store.setRetention('r', 50, 'increase')).message).toMatch(/can not be shorter than existing retention period \(100 hours\)/);
    expect(errorOf(() => store.setRetention('r', 200, 'decrease')).code).toBe('InvalidArgumentException');
    put('r', 'k', 'x');
    clock.advance(30 * HOUR);
    store.setRetention('r', 24, 'decrease');
    expect(store.retainedBytes).toBe(0);
  });

  it('beyond maxRetainedBytes the oldest records of the stream written go first, then the oldest of the others', () => {
    const record = 1000 + 1 + 128; // data + key + overhead
    store = make({ maxRetainedBytes: record * 10 });
    store.createStream('a', { shardCount: 2 });
    store.createStream('b', { shardCount: 1 });
    const data = (label: string) => Buffer.concat([Buffer.from(label), Buffer.alloc(1000 - label.length)]);
    const label = (r: { data: Buffer }) => r.data.subarray(0, 2).toString();
    for (let i = 0; i < 4; i++) {
      store.put('b', [{ partitionKey: 'k', data: data(`b${i}`) }]);
      clock.advance(1);
    }
    for (let i = 0; i < 6; i++) {
      store.put('a', [{ partitionKey: String(i % 2), data: data(`a${i}`) }]);
      clock.advance(1);
    }
    expect(store.retainedBytes).toBe(record * 10);
    // Two more in a: a0 and a1 (the oldest of a, across its shards) go, b keeps all.
    store.put('a', [{ partitionKey: '0', data: data('a6') }, { partitionKey: '1', data: data('a7') }], true);
    const inA = (shard: string) => store.getRecords(store.shardIterator('a', shard, { type: 'TRIM_HORIZON' })).records.map(label);
    const inB = () => store.getRecords(store.shardIterator('b', '0', { type: 'TRIM_HORIZON' })).records.map(label);
    expect([...inA('0'), ...inA('1')].sort()).toEqual(['a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    expect(inB()).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(store.retainedBytes).toBeLessThanOrEqual(record * 10);
    // Seven into b: b's own four go first, then the three oldest of a.
    store.put('b', Array.from({ length: 7 }, (_, i) => ({ partitionKey: 'k', data: data(`c${i}`) })), true);
    expect(inB()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect([...inA('0'), ...inA('1')].sort()).toEqual(['a5', 'a6', 'a7']);
    expect(store.retainedBytes).toBe(record * 10);
    // A put larger than the whole limit is refused, nothing trimmed for it.
    expect(errorOf(() => store.put('a', Array.from({ length: 11 }, () => ({ partitionKey: 'k', data: data('zz') })), true))).toMatchObject({ code: 'LimitExceededException', message: expect.stringContaining('docs/kinesis.md') });
    expect(inB()).toHaveLength(7);
    expect(store.retainedBytes).toBe(record * 10);
  });

  it('a TRIM_HORIZON iterator issued before a trim starts at the new trim horizon', () => {
    store = make({ maxRetainedBytes: 3 * (1 + 1 + 128) });
    store.createStream('t', { shardCount: 1 });
    const iterator = store.shardIterator('t', '0', { type: 'TRIM_HORIZON' });
    for (const d of ['1', '2', '3', '4', '5']) put('t', 'k', d);
    expect(readAll(iterator)).toEqual(['3', '4', '5']);
  });
});

describe('tags, consumers, mode, metrics', () => {
  beforeEach(() => store.createStream('s', { shardCount: 1, tags: { team: 'shop' } }));

  it('tags: added, removed, at most 50', () => {
    store.addTags('s', { env: 'dev' });
    store.removeTags('s', ['team']);
    expect(store.tags('s')).toEqual({ env: 'dev' });
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(errorOf(() => store.addTags('s', many))).toMatchObject({ code: 'LimitExceededException', message: expect.stringContaining('more than 50 tags') });
  });

  it('consumers: ARN <streamArn>/consumer/<name>:<creation seconds>, ACTIVE, at most 100; a stream with consumers is deleted only when enforced', () => {
    clock.t = 1_700_000_000_500;
    const c = store.registerConsumer('s', 'reader');
    expect(c).toEqual({ name: 'reader', arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/reader:1700000000', createdAt: 1_700_000_000_500, streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' });
    expect(errorOf(() => store.registerConsumer('s', 'reader')).code).toBe('ResourceInUseException');
    expect(store.consumer('s', 'reader', 1_700_000_000)).toEqual(c);
    expect(errorOf(() => store.consumer('s', 'reader', 1_600_000_000)).code).toBe('ResourceNotFoundException');
    expect(errorOf(() => store.deleteStream('s')).code).toBe('ResourceInUseException');
    for (let i = 1; i < 100; i++) store.registerConsumer('s', `c${i}`);
    expect(errorOf(() => store.registerConsumer('s', 'one-more')).code).toBe('LimitExceededException');
    expect(store.consumers('s')).toHaveLength(100);
    store.deregisterConsumer('s', 'reader');
    expect(store.describe('s').consumerCount).toBe(99);
    store.deleteStream('s', true);
    expect(store.hasStream('s')).toBe(false);
  });

  it('mode, encryption and shard-level metrics are recorded', () => {
    store.setMode('s', 'ON_DEMAND');
    store.setEncryption('s', 'KMS', 'key-1');
    expect(store.setShardLevelMetrics('s', ['IncomingBytes'], true)).toEqual({ current: [], desired: ['IncomingBytes'] });
    expect(store.setShardLevelMetrics('s', ['ALL'], true).desired).toHaveLength(7);
    expect(store.setShardLevelMetrics('s', ['ALL'], false).desired).toEqual([]);
    expect(store.describe('s')).toMatchObject({ mode: 'ON_DEMAND', encryptionType: 'KMS', keyId: 'key-1', shards: [{ shardId: 'shardId-000000000000' }] });
    store.setEncryption('s', 'NONE');
    expect(store.describe('s').keyId).toBeUndefined();
  });
});

describe('snapshot', () => {
  it('round trip: streams, shards, records (binary data), tags, consumers, settings, counters; iterators still work', () => {
    store.createStream('a', { shardCount: 3, tags: { t: '1' } });
    store.createStream('b', { mode: 'ON_DEMAND' });
    store.setRetention('a', 72, 'increase');
    store.setEncryption('a', 'KMS', 'k');
    store.setShardLevelMetrics('a', ['IncomingRecords'], true);
    store.registerConsumer('a', 'reader');
    const put1 = store.put('a', [{ partitionKey: 'p1', data: Buffer.from([0, 255, 10]) }, { partitionKey: 'p2', data: Buffer.from('two') }], true);
    const iterator = store.shardIterator('a', put1.results[0].shardId, { type: 'TRIM_HORIZON' });
    const json = JSON.parse(JSON.stringify(store.toSnapshot())) as KinesisSnapshot;

    const restored = make();
    restored.loadSnapshot(json);
    expect(restored.toSnapshot()).toEqual(json);
    expect(restored.describe('a')).toEqual(store.describe('a'));
    expect(restored.tags('a')).toEqual({ t: '1' });
    expect(restored.consumers('a')).toEqual(store.consumers('a'));
    expect(restored.retainedBytes).toBe(store.retainedBytes);
    const read = restored.getRecords(iterator).records;
    expect(read[0]).toMatchObject({ sequenceNumber: put1.results[0].sequenceNumber, partitionKey: 'p1' });
    expect([...read[0].data]).toEqual([0, 255, 10]);
    // Counters go on: later records sort after the restored ones; a stream created again is a new one.
    const next = restored.put('a', [{ partitionKey: 'p1', data: Buffer.from('3') }]).results[0];
    expect(next.sequenceNumber > put1.results[0].sequenceNumber).toBe(true);
    restored.deleteStream('a', true);
    restored.createStream('a', { shardCount: 3 });
    expect(errorOf(() => restored.getRecords(iterator)).code).toBe('ExpiredIteratorException');
  });

  it('a damaged snapshot is an error naming the field, and leaves the store as it was', () => {
    store.createStream('keep', { shardCount: 1 });
    put('keep', 'k', 'v');
    const good = store.toSnapshot();
    const target = make();
    target.createStream('mine', { shardCount: 1 });
    const bad = (mutate: (s: KinesisSnapshot) => void) => {
      const s = JSON.parse(JSON.stringify(good)) as KinesisSnapshot;
      mutate(s);
      return s;
    };
    const message = (data: unknown) => {
      try {
        target.loadSnapshot(data);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected the load to fail');
    };
    expect(message(null)).toMatch(/snapshot: must be an object/);
    expect(message(bad((s) => ((s as { version: number }).version = 2)))).toMatch(/version: must be 1/);
    expect(message(bad((s) => ((s.streams[0] as { name: unknown }).name = 5)))).toMatch(/streams\[0\]\.name: must be text/);
    expect(message(bad((s) => (s.streams[0].shards[0].records[0].data = '!!')))).toMatch(/streams\[0\]\.shards\[0\]\.records\[0\]\.data: must be base64/);
    expect(message(bad((s) => (s.streams[0].shards[0].records[0].sequenceNumber = '123')))).toMatch(/records\[0\]\.sequenceNumber/);
    expect(message(bad((s) => (s.streams[0].retentionHours = 5)))).toMatch(/streams\[0\]\.retentionHours/);
    expect(message(bad((s) => (s.streams[0].shards = [])))).toMatch(/streams\[0\]\.shards: must hold 1 to 64 shards/);
    expect(message(bad((s) => s.streams.push({ ...s.streams[0] })))).toMatch(/streams\[1\]\.name: "keep" is not a stream name or appears twice/);
    expect(target.streamNames()).toEqual(['mine']);
  });

  it('records beyond a lower byte limit than they were written under are trimmed at load, oldest first', () => {
    store.createStream('s', { shardCount: 1 });
    for (const d of ['1', '2', '3']) {
      put('s', 'k', d);
      clock.advance(1);
    }
    const small = make({ maxRetainedBytes: 2 * (1 + 1 + 128) });
    small.loadSnapshot(JSON.parse(JSON.stringify(store.toSnapshot())));
    expect(readAll(small.shardIterator('s', '0', { type: 'TRIM_HORIZON' }), small)).toEqual(['2', '3']);
  });
});

describe('operations: input checks and shapes (kinesis-actions.ts)', () => {
  const run = (action: string, input: unknown) => runKinesisAction(store, action, input).output as Record<string, any>;
  const fails = (action: string, input: unknown) => errorOf(() => runKinesisAction(store, action, input));

  it('names the field of a value out of its constraints, as Kinesis does', () => {
    expect(fails('CreateStream', {}).message).toBe("1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null");
    expect(fails('CreateStream', { StreamName: 'x', ShardCount: 0 })).toMatchObject({ code: 'ValidationException', message: expect.stringContaining("at 'shardCount'") });
    expect(fails('CreateStream', { StreamName: 'x', ShardCount: 'two' })).toMatchObject({ code: 'SerializationException', message: expect.stringContaining("'shardCount'") });
    run('CreateStream', { StreamName: 'x', ShardCount: 1 });
    expect(fails('PutRecords', { StreamName: 'x', Records: [{ Data: 'AA==', PartitionKey: 'k' }, { Data: 'AA==' }] }).message).toMatch(/at 'records\.2\.member\.partitionKey'/);
    expect(fails('PutRecord', { StreamName: 'x', Data: '###', PartitionKey: 'k' })).toMatchObject({ code: 'SerializationException', message: expect.stringContaining("'data' is not base64") });
    expect(fails('GetShardIterator', { StreamName: 'x', ShardId: '0', ShardIteratorType: 'OLDEST' }).message).toMatch(/at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set/);
    expect(fails('DescribeStream', {})).toMatchObject({ code: 'InvalidArgumentException', message: 'Either StreamName or StreamARN should be provided.' });
    expect(fails('DescribeStream', { StreamName: 'x', StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/y' }).code).toBe('InvalidArgumentException');
    expect(fails('DescribeStream', null).code).toBe('SerializationException');
  });

  it('resharding and SubscribeToShard say why, naming docs/kinesis.md; an unknown operation is UnknownOperation', () => {
    expect(fails('UpdateShardCount', { StreamName: 'x', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' })).toMatchObject({ code: 'InvalidArgumentException', message: expect.stringMatching(/does not reshard.*docs\/kinesis\.md/) });
    expect(fails('SubscribeToShard', {}).message).toMatch(/does not push records to stream consumers.*docs\/kinesis\.md/);
    expect(fails('Frobnicate', {})).toMatchObject({ code: 'UnknownOperationException', message: expect.stringContaining('docs/kinesis.md') });
  });

  it('a stream is named by StreamName or StreamARN; timestamps are epoch seconds; blobs base64', () => {
    clock.t = 1_700_000_000_250;
    run('CreateStream', { StreamName: 'x', ShardCount: 2 });
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/x';
    const described = run('DescribeStream', { StreamARN: arn }).StreamDescription;
    expect(described).toMatchObject({ StreamName: 'x', StreamARN: arn, StreamStatus: 'ACTIVE', StreamCreationTimestamp: 1_700_000_000.25, HasMoreShards: false, EnhancedMonitoring: [{ ShardLevelMetrics: [] }], EncryptionType: 'NONE', StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    const { ShardId, SequenceNumber } = run('PutRecord', { StreamARN: arn, Data: Buffer.from('hi').toString('base64'), PartitionKey: 'k' });
    const iterator = run('GetShardIterator', { StreamName: 'x', ShardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: 1_700_000_000 }).ShardIterator;
    expect(run('GetRecords', { ShardIterator: iterator })).toMatchObject({ Records: [{ SequenceNumber, Data: 'aGk=', PartitionKey: 'k', ApproximateArrivalTimestamp: 1_700_000_000.25 }], MillisBehindLatest: 0 });
    expect(run('DescribeStream', { StreamName: 'x', Limit: 1 }).StreamDescription).toMatchObject({ Shards: [{ ShardId: 'shardId-000000000000' }], HasMoreShards: true });
  });

  it('lists page with their tokens', () => {
    for (const name of ['c', 'a', 'b']) run('CreateStream', { StreamName: name, ShardCount: 3 });
    const first = run('ListStreams', { Limit: 2 });
    expect(first).toMatchObject({ StreamNames: ['a', 'b'], HasMoreStreams: true });
    expect(run('ListStreams', { NextToken: first.NextToken })).toMatchObject({ StreamNames: ['c'], HasMoreStreams: false });
    expect(run('ListStreams', { ExclusiveStartStreamName: 'a' }).StreamNames).toEqual(['b', 'c']);
    const shards = run('ListShards', { StreamName: 'a', MaxResults: 2 });
    expect(shards.Shards.map((s: { ShardId: string }) => s.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    expect(run('ListShards', { NextToken: shards.NextToken }).Shards.map((s: { ShardId: string }) => s.ShardId)).toEqual(['shardId-000000000002']);
    expect(fails('ListShards', { NextToken: shards.NextToken, StreamName: 'a' }).code).toBe('InvalidArgumentException');
    expect(fails('ListShards', { NextToken: 'garbage' }).code).toBe('InvalidArgumentException');
    run('AddTagsToStream', { StreamName: 'a', Tags: { b: '2', a: '1' } });
    expect(run('ListTagsForStream', { StreamName: 'a', Limit: 1 })).toEqual({ Tags: [{ Key: 'a', Value: '1' }], HasMoreTags: true });
    expect(run('DescribeLimits', {})).toMatchObject({ OpenShardCount: 9, ShardLimit: 64_000 });
  });
});
