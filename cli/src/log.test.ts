import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FunctionsFile, RoutingFile } from '@esb/contracts';
import { buildGateway } from '@esb/gateway';
import { batchedDestination, createLogger, formatLine, formatRecordLine, recordJson } from './log.js';

const LOG_TS = fileURLToPath(new URL('./log.ts', import.meta.url));

describe('pretty log lines', () => {
  it('prints time, level, component, message and the other fields', () => {
    const line = formatLine({ level: 40, time: Date.UTC(2026, 10, 25, 10, 0, 1, 234), component: 'gateway', msg: 'config reload failed', file: 'routing.yml', routes: 3 });
    expect(line).toBe('10:00:01.234 WARN  [gateway] config reload failed file=routing.yml routes=3\n');
    expect(formatLine({ level: 30, time: Date.UTC(2026, 10, 25, 10, 0, 2, 5), msg: 'x' })).toBe('10:00:02.005 INFO  x\n');
  });

  it('prints numbers as their JSON (a non-finite one as null)', () => {
    const fields = { a: -0, b: 1e21, c: 0.1 + 0.2, d: Number.NaN, e: Number.POSITIVE_INFINITY, f: [1, 'x'] };
    const line = formatRecordLine(30, 0, {}, fields, 'm');
    expect(line).toBe('00:00:00.000 INFO  m a=0 b=1e+21 c=0.30000000000000004 d=null e=null f=[1,"x"]\n');
    expect(line).toBe(formatLine({ level: 30, time: 0, msg: 'm', ...JSON.parse(JSON.stringify(fields)) }));
  });

  it('writes the lines of a flush interval in one write, in order, formatted', async () => {
    const writes: string[] = [];
    const log = pino({ base: undefined, timestamp: () => `,"time":${Date.UTC(2026, 0, 1)}` }, batchedDestination({ write: (s) => writes.push(s) }, { pretty: true, flushMs: 30 }));
    log.info({ n: 1 }, 'one');
    await new Promise((r) => setTimeout(r, 5));
    log.warn({ n: 2 }, 'two');
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(writes).toEqual(['00:00:00.000 INFO  one n=1\n00:00:00.000 WARN  two n=2\n']);
    log.info('three');
    await new Promise((r) => setTimeout(r, 40));
    expect(writes).toHaveLength(2);
  });
});

describe('lines gathered between flushes', () => {
  it('come out whole and in order through a burst larger than one batch, multi-byte characters and an oversized line included', async () => {
    const writes: string[] = [];
    const dest = batchedDestination({ write: (s) => writes.push(s) }, { flushMs: 20 });
    const lines = Array.from({ length: 3000 }, (_, i) => `{"n":${i},"msg":"é ✓ 😀 ${'x'.repeat(i % 90)}"}\n`);
    lines.splice(1500, 0, `{"msg":"${'y'.repeat(100_000)}"}\n`);
    for (const line of lines) dest.write(line);
    // More than a batch holds: the full ones are written at once, not held until the flush.
    expect(writes.length).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(writes.join('')).toBe(lines.join(''));
    for (const w of writes) expect(w.endsWith('\n')).toBe(true);
  });
});

describe('records written as parts', () => {
  const time = Date.UTC(2026, 0, 1, 12, 30, 45, 67);
  const fields = { method: 'GET', path: '/a "b"', route: undefined, function: 'fn', status: 200, durationMs: 0.42, requestId: 'r-1' };

  it('come out as the exact JSON line pino writes for them, and as its pretty line', () => {
    const lines: string[] = [];
    const log = pino({ base: undefined, timestamp: () => `,"time":${time}` }, { write: (l: string) => lines.push(l) }).child({ component: 'gateway' });
    log.info(fields, 'request');
    expect(recordJson(30, time, { component: 'gateway' }, fields, 'request')).toBe(lines[0]);
    expect(formatRecordLine(30, time, { component: 'gateway' }, fields, 'request')).toBe(formatLine(JSON.parse(lines[0])));
    expect(formatRecordLine(30, time, { component: 'gateway' }, fields, 'request')).toBe('12:30:45.067 INFO  [gateway] request method=GET path=/a "b" function=fn status=200 durationMs=0.42 requestId=r-1\n');
  });

  it('stay in order with the lines pino writes, in one batch', async () => {
    const writes: string[] = [];
    const dest = batchedDestination({ write: (s) => writes.push(s) }, { flushMs: 10 });
    const log = pino({ base: undefined }, dest);
    log.info('first');
    dest.writeRecord(30, time, {}, { n: 2 }, 'second');
    log.warn('third');
    await new Promise((r) => setTimeout(r, 30));
    expect(writes).toHaveLength(1);
    expect(writes[0].trimEnd().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['first', 'second', 'third']);
  });

  it('are all written when the process exits before the next flush', async () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOG_TS)});
      const { accessLog } = await import(${JSON.stringify(fileURLToPath(new URL('../../gateway/src/access-log.ts', import.meta.url)))});
      const log = createLogger({ pretty: false, level: 'info', fd: 1 }).child({ component: 'gateway' });
      const write = accessLog(log);
      for (let i = 0; i < 500; i++) write({ method: 'GET', path: '/p/' + i, route: 'GET /p/{n}', function: 'f', status: 200, durationMs: 0.1, requestId: 'id-' + i });
      process.exit(0);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=esb-source', '--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, LOG_LEVEL: 'info' } });
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => l.requestId)).toEqual(Array.from({ length: 500 }, (_, i) => `id-${i}`));
    expect(lines[499]).toMatchObject({ level: 30, component: 'gateway', msg: 'request', method: 'GET', path: '/p/499', status: 200 });
  });
});

describe('the gateway access log through esb’s logger', () => {
  const routing = RoutingFile.parse({ routes: [{ method: 'GET', path: '/hello', function: 'hello', api: 'ServerlessRestApi' }], apis: { ServerlessRestApi: { type: 'rest', stage: 'Prod' } } });
  const functions = FunctionsFile.parse({ functions: { hello: { runtime: 'nodejs20.x', handler: 'index.handler', code: '/code' } } });
  const invoker = { has: () => true, invoke: async () => ({ requestId: '', durationMs: 0, payload: Buffer.from('{"statusCode":200,"body":"hi"}') }) };

  const gatewayWith = async (pretty: boolean, level: string) => {
    let text = '';
    const log = createLogger({ pretty, level, out: { write: (s) => (text += s) } }).child({ component: 'gateway' });
    const gw = await buildGateway({ invoker, log, initialConfig: { routing, functions } });
    return { gw, text: () => text };
  };
  const flushed = () => new Promise((r) => setTimeout(r, 60));

  it('writes one complete line per request, in order, with the same fields as before', async () => {
    const { gw, text } = await gatewayWith(false, 'info');
    const ids: string[] = [];
    for (const url of ['/hello', '/nope', '/hello?x=1']) ids.push(String((await gw.app.inject({ method: 'GET', url })).headers['x-amzn-requestid']));
    await flushed();
    const lines = text().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    expect(lines.map((l) => [l.path, l.status, l.requestId])).toEqual([['/hello', 200, ids[0]], ['/nope', 403, ids[1]], ['/hello', 200, ids[2]]]);
    expect(Object.keys(lines[0])).toEqual(['level', 'time', 'component', 'method', 'path', 'route', 'function', 'status', 'durationMs', 'requestId', 'msg']);
    expect(Object.keys(lines[1])).toEqual(['level', 'time', 'component', 'method', 'path', 'status', 'durationMs', 'requestId', 'msg']);
    await gw.close();
  });

  it('prints pretty lines in a terminal, and nothing at LOG_LEVEL=warn', async () => {
    const pretty = await gatewayWith(true, 'info');
    const id = (await pretty.gw.app.inject({ method: 'GET', url: '/hello' })).headers['x-amzn-requestid'];
    await flushed();
    expect(pretty.text()).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[gateway\\] request method=GET path=/hello route=GET /hello function=hello status=200 durationMs=[\\d.]+ requestId=${id}$`, 'm'));
    await pretty.gw.close();
    const quiet = await gatewayWith(true, 'warn');
    expect((await quiet.gw.app.inject({ method: 'GET', url: '/hello' })).statusCode).toBe(200);
    await flushed();
    expect(quiet.text()).not.toContain('request');
    await quiet.gw.close();
  });
});
