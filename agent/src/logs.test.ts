import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.js';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileLogSink, formatLogLine, isoTime, logFileName, logTail, reportLine, VictoriaLogsSink } from './logs.js';

describe('LineSplitter', () => {
  it('splits across chunks, strips CR, cuts overlong lines and flushes the tail', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 8);
    s.push(Buffer.from('ab'));
    s.push(Buffer.from('c\r\nde\nfghijklmnopq'));
    s.push(Buffer.from([0xe2, 0x82])); // half of "€"
    s.push(Buffer.from([0xac, 0x0a]));
    s.push(Buffer.from('tail'));
    s.end();
    expect(lines).toEqual(['abc', 'de', 'fghijklm', 'nopq€', 'tail']);
  });
});

describe('log lines', () => {
  it('writes times as toISOString does, for any time and in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -62_167_219_200_000 - 10_000, max: 253_402_300_799_999 + 10_000 }), { minLength: 1, maxLength: 20 }), fc.boolean(), (times, close) => {
        // `close`: times within a few seconds of each other, as a busy function's lines are.
        const all = close ? times.map((t, i) => times[0] + (t % 3000) + i) : times;
        for (const t of all) expect(isoTime(t)).toBe(new Date(t).toISOString());
      }),
    );
  });

  it('formats file lines and REPORT like Lambda', () => {
    expect(formatLogLine({ time: 0, function: 'f', instance: 'i', requestId: 'r', stream: 'stdout', message: 'hi' })).toBe('1970-01-01T00:00:00.000Z\tr\thi\n');
    expect(reportLine({ requestId: 'r', durationMs: 1.234, memoryMb: 128, maxMemoryMb: 40, initDurationMs: 99.5 })).toBe(
      'REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 99.50 ms',
    );
  });
});

describe('FileLogSink', () => {
  it('writes every function its own lines whole and in order, across full buffers, overlong lines and flushes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'esb-file-log-'));
    try {
      const sink = new FileLogSink(dir, 5);
      const expected = new Map<string, string[]>();
      const write = (fn: string, message: string) => {
        const rec = { time: 1_700_000_000_000 + expected.size, function: fn, instance: 'i', requestId: 'r', stream: 'stdout' as const, message };
        sink.write(rec);
        let e = expected.get(fn);
        if (!e) expected.set(fn, (e = []));
        e.push(formatLogLine(rec));
      };
      // Interleaved functions, multi-byte characters, several buffers' worth (64 KB each),
      // lines longer than a buffer, and a pause that lets the timer flush.
      for (let i = 0; i < 3000; i++) {
        const fn = ['a', 'b/c', 'a', 'd'][i % 4];
        write(fn, `line ${i} ${'€✓'.repeat(i % 50)}`);
        if (i % 1000 === 999) write('b/c', `long ${'x'.repeat(100_000)} ${i}`);
        if (i === 1500) await new Promise((r) => setTimeout(r, 20));
      }
      await sink.close();
      for (const [fn, lines] of expected) expect(await readFile(path.join(dir, logFileName(fn)), 'utf8')).toBe(lines.join(''));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writes the lines of a function whose LoggingConfig names a log group to the group's file too, beside other functions of the group", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'esb-file-log-'));
    try {
      const sink = new FileLogSink(dir, 5);
      const rec = (fn: string, message: string, group?: string) => ({ time: 1_700_000_000_000, function: fn, instance: 'i', requestId: 'r', stream: 'stdout' as const, message, ...(group ? { group } : {}) });
      sink.write(rec('shop-Api', 'api 1', '/aws/lambda/shop'));
      sink.write(rec('shop-Worker', 'worker 1', '/aws/lambda/shop'));
      sink.write(rec('other', 'other 1'));
      sink.write(rec('shop-Api', 'api 2', '/aws/lambda/shop'));
      await sink.close();
      const text = (name: string) => readFile(path.join(dir, logFileName(name)), 'utf8');
      const messages = async (name: string) => (await text(name)).trimEnd().split('\n').map((l) => l.split('\t')[2]);
      expect(await messages('/aws/lambda/shop')).toEqual(['api 1', 'worker 1', 'api 2']);
      expect(await messages('shop-Api')).toEqual(['api 1', 'api 2']);
      expect(await messages('other')).toEqual(['other 1']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('VictoriaLogsSink', () => {
  it('ships batches of JSON lines without blocking writes, and drops the oldest when the server is down', async () => {
    const bodies: string[] = [];
    let fail = false;
    const fetchFn = (async (url: string, init: { body: string }) => {
      expect(url).toBe('http://vl:9428/insert/jsonline?_stream_fields=function&_msg_field=_msg&_time_field=_time');
      if (fail) throw new Error('down');
      bodies.push(init.body);
      return { ok: true, status: 204 };
    }) as unknown as typeof fetch;
    const errors: unknown[] = [];
    const sink = new VictoriaLogsSink({ url: 'http://vl:9428/', maxBatch: 2, maxBuffered: 3, flushMs: 10_000, fetch: fetchFn, onError: (e) => errors.push(e) });
    sink.write({ time: 0, function: 'f', instance: 'i', requestId: 'r1', stream: 'stdout', message: 'one' });
    sink.write({ time: 0, function: 'f', instance: 'i', requestId: 'r2', stream: 'stderr', message: 'two' });
    await sink.flush();
    expect(bodies).toHaveLength(1);
    const lines = bodies[0].trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { _time: '1970-01-01T00:00:00.000Z', _msg: 'one', function: 'f', instance: 'i', request_id: 'r1', stream: 'stdout' },
      { _time: '1970-01-01T00:00:00.000Z', _msg: 'two', function: 'f', instance: 'i', request_id: 'r2', stream: 'stderr' },
    ]);
    fail = true;
    for (let i = 0; i < 3; i++) sink.write({ time: 0, function: 'f', instance: 'i', stream: 'stdout', message: `x${i}` });
    await sink.flush();
    expect(errors).toHaveLength(1);
    await sink.close();
  });
});

describe('log tail (X-Amz-Log-Result)', () => {
  it('is the base64 of the last 4 KB of the lines, never cut inside a UTF-8 character', () => {
    expect(Buffer.from(logTail(['START', 'hi', 'END']), 'base64').toString()).toBe('START\nhi\nEND\n');
    const lines = ['x'.repeat(5000), `${'é'.repeat(10)}`, 'last'];
    const tail = Buffer.from(logTail(lines, 16), 'base64');
    expect(tail.length).toBeLessThanOrEqual(16);
    expect(tail.toString('utf8')).toBe('éééééé\nlast\n'.slice(-tail.toString('utf8').length));
    expect(tail.toString('utf8')).not.toContain('\ufffd');
    expect(tail.toString('utf8').endsWith('\nlast\n')).toBe(true);
  });
});
