// The agent with real processes (process runtime): Node and Python handlers, reuse, the
// concurrency cap, scale to zero, timeouts, crashes, init errors, logs, schedules.
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@esb/contracts/testing';
import { FunctionsFile } from '@esb/contracts';
import { type Agent, createAgent } from './agent.js';
import type { Clock } from './clock.js';
import { createAgentHttpServer } from './http-server.js';
import { createHttpInvoker } from './http-client.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');
const silent = pino({ level: 'silent' });
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const ev = (v: unknown) => Buffer.from(JSON.stringify(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const UNTIL = { timeoutMs: 5_000, everyMs: 20 };

const node = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'nodejs20.x', handler, code: `${FIX}/node-esm`, ...extra });
const nodeLayer = [{ name: 'lib', path: `${FIX}/layer-node` }];

const FUNCTIONS = {
  echo: node('index.handler', { environment: { MY_VAR: 'mine' }, memory_size: 256 }),
  sdk: node('index.sdk', { layers: nodeLayer }),
  mjs: node('other.handler'),
  cjs: { runtime: 'nodejs18.x', handler: 'index.handler', code: `${FIX}/node-cjs` },
  cjsfail: { runtime: 'nodejs18.x', handler: 'index.failing', code: `${FIX}/node-cjs` },
  cjsnested: { runtime: 'nodejs18.x', handler: 'index.nested.deep', code: `${FIX}/node-cjs` },
  cjsfile: { runtime: 'nodejs20.x', handler: 'lib.handler', code: `${FIX}/node-cjs`, layers: nodeLayer },
  fail: node('index.fail'),
  big: node('index.big'),
  logs: node('index.logs'),
  flood: node('index.flood', { timeout: 20 }),
  crash: node('index.crash'),
  never: node('index.never', { timeout: 0.4 }),
  single: node('index.sleepy', { scaling: { max_capacity: 1 } }),
  initerr: { runtime: 'nodejs20.x', handler: 'index.handler', code: `${FIX}/node-init-error` },
  py: { runtime: 'python3.11', handler: 'app.handler', code: `${FIX}/python`, layers: [{ name: 'py', path: `${FIX}/layer-py` }] },
  pynested: { runtime: 'python3.12', handler: 'pkg/mod.handler', code: `${FIX}/python`, layers: [{ name: 'py', path: `${FIX}/layer-py` }] },
  pyfail: { runtime: 'python3.11', handler: 'app.fail', code: `${FIX}/python`, layers: [{ name: 'py', path: `${FIX}/layer-py` }] },
  pyboto: { runtime: 'python3.11', handler: 'app.boto', code: `${FIX}/python`, layers: [{ name: 'py', path: `${FIX}/layer-py` }] },
  pyiniterr: { runtime: 'python3.11', handler: 'app.handler', code: `${FIX}/python-init-error` },
  image: { package_type: 'Image', image: 'x:1' },
  nocode: { runtime: 'nodejs20.x', handler: 'index.handler', code: `${FIX}/does-not-exist` },
};

describe('agent, process runtime', () => {
  let agent: Agent;
  let logDir: string;
  const file = (extra: Record<string, unknown> = {}, defaults: Record<string, unknown> = {}) =>
    FunctionsFile.parse({ defaults: { scaling: { acquire_timeout: 5 }, ...defaults }, functions: { ...FUNCTIONS, ...extra } });

  beforeAll(async () => {
    logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-logs-'));
    process.env.ESB_AGENT_SECRET = 'must-not-leak';
    agent = await createAgent({
      runtime: 'process',
      logDir,
      log: silent,
      endpoints: { s3: 'http://127.0.0.1:4569', dynamodb: 'http://127.0.0.1:4567' },
      region: 'eu-west-1',
      initBackoffMs: 60_000,
    });
    agent.setFunctions(file());
  });
  afterAll(async () => {
    await agent?.close();
    delete process.env.ESB_AGENT_SECRET;
    rmSync(logDir, { recursive: true, force: true });
  });

  it('runs an ESM async handler with Lambda context and only the Lambda environment, and reuses the warm instance', async () => {
    const a = await agent.invoke('echo', ev({ hello: 1 }), { requestId: 'req-1', traceId: 'Root=1-abc' });
    expect(a.error).toBeUndefined();
    const body = json(a.payload);
    expect(body.event).toEqual({ hello: 1 });
    expect(body.requestId).toBe('req-1');
    expect(body.functionName).toBe('echo');
    expect(body.memory).toBe('256');
    expect(body.arn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:echo');
    expect(body.remaining).toBeGreaterThan(2000);
    expect(body.remaining).toBeLessThanOrEqual(3000);
    expect(body.trace).toMatch(/^Root=1-abc;Parent=[0-9a-f]{16};Sampled=0$/); // completed as Lambda does (docs/agent.md "Trace id")
    expect(body.env).toMatchObject({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569', MY_VAR: 'mine', _HANDLER: 'index.handler', ESB_AGENT_SECRET: null, HOME: '/tmp', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    expect(body.env.LAMBDA_TASK_ROOT).toBe(`${FIX}/node-esm`);
    expect(body.env.AWS_LAMBDA_RUNTIME_API).toMatch(/^127\.0\.0\.1:\d+$/);
    const b = await agent.invoke('echo', ev({ hello: 2 }));
    expect(json(b.payload).pid).toBe(body.pid);
    expect(agent.stats().functions.echo).toMatchObject({ coldStarts: 1, invocations: 2, idle: 1 });
  });

  it('gives Node handlers the AWS SDK and their layers (ESM import, CommonJS require), and resolves .mjs/.cjs files', async () => {
    expect(json((await agent.invoke('sdk', ev({}))).payload)).toEqual({ s3: 'function', layer: 'from layer' });
    expect(json((await agent.invoke('mjs', ev(1))).payload)).toEqual({ kind: 'mjs', event: 1 });
    expect(json((await agent.invoke('cjsfile', ev(2))).payload)).toEqual({ kind: 'cjs-file', event: 2, layer: 'from layer' });
  });

  it('runs CommonJS callback handlers, nested handler names, and reports their errors', async () => {
    const ok = await agent.invoke('cjs', ev({ x: 1 }), { requestId: 'cb-1' });
    expect(json(ok.payload)).toEqual({ kind: 'cjs-callback', event: { x: 1 }, requestId: 'cb-1' });
    expect(json((await agent.invoke('cjsnested', ev(null))).payload)).toBe('nested ok');
    const bad = await agent.invoke('cjsfail', ev({}));
    expect(bad.error?.kind).toBe('FunctionError');
    expect(json(bad.payload)).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of range' });
  });

  it('reports a thrown error with errorType, errorMessage and stackTrace; the instance stays warm', async () => {
    const r = await agent.invoke('fail', ev({}));
    expect(r.error).toEqual({ kind: 'FunctionError', message: 'TypeError: bad input' });
    const doc = json(r.payload);
    expect(doc).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
    expect(doc.stackTrace.join('\n')).toContain('index.js');
    await agent.invoke('fail', ev({}));
    expect(agent.stats().functions.fail.coldStarts).toBe(1);
  });

  it('runs Python handlers with context, layers on the path, packages, and errors', async () => {
    const r = await agent.invoke('py', ev({ q: 'x' }), { requestId: 'py-1' });
    expect(r.error).toBeUndefined();
    expect(json(r.payload)).toMatchObject({ event: { q: 'x' }, request_id: 'py-1', function_name: 'py', memory: '128', layer: 'from python layer', secret: null });
    expect(json(r.payload).remaining).toBeGreaterThan(2000);
    expect(json((await agent.invoke('pynested', ev({}))).payload)).toEqual({ nested: true, name: 'pynested' });
    const f = await agent.invoke('pyfail', ev({}));
    expect(f.error?.kind).toBe('FunctionError');
    expect(json(f.payload)).toMatchObject({ errorType: 'ValueError', errorMessage: 'no good', requestId: f.requestId });
    expect(json(f.payload).stackTrace.join('')).toContain('app.py');
  });

  it('gives Python handlers boto3 (Debian python3-boto3) pointed at the local endpoints', async (ctx) => {
    const r = await agent.invoke('pyboto', ev({}));
    if (r.error && json(r.payload).errorMessage?.includes("No module named 'boto3'")) {
      process.stderr.write('\n!!!!!!!!!! SKIPPING the boto3 test: /usr/bin/python3 has no boto3 (apt-get install -y python3-boto3) !!!!!!!!!!\n\n');
      ctx.skip();
    }
    expect(r.error).toBeUndefined();
    const body = json(r.payload);
    expect(body).toMatchObject({ s3: 'http://127.0.0.1:4569', dynamodb: 'http://127.0.0.1:4567' });
    expect(body.sqs).not.toContain('127.0.0.1'); // no endpoint given for SQS: the default stays
  });

  it('reports init errors once per attempt and then backs off instead of restarting in a loop', async () => {
    const a = await agent.invoke('initerr', ev({}));
    expect(a.error?.kind).toBe('FunctionError');
    expect(json(a.payload)).toMatchObject({ errorType: 'Error', errorMessage: 'boom at init' });
    const b = await agent.invoke('initerr', ev({}));
    expect(b.error?.kind).toBe('FunctionError');
    const c = await agent.invoke('initerr', ev({}));
    expect(c.error?.kind).toBe('Unavailable');
    expect(c.error?.message).toMatch(/init failed 2 times/);
    expect(json(c.payload).errorMessage).toBe('boom at init');
    expect(agent.stats().functions.initerr.coldStarts).toBe(2);
    const p = await agent.invoke('pyiniterr', ev({}));
    expect(json(p.payload)).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect(json(p.payload).errorMessage).toContain('module_that_does_not_exist');
  });

  it('fails a crashed invocation with Runtime.ExitError and replaces the instance', async () => {
    const r = await agent.invoke('crash', ev({}));
    expect(r.error?.kind).toBe('FunctionError');
    expect(json(r.payload).errorType).toBe('Runtime.ExitError');
    const again = await agent.invoke('crash', ev({}));
    expect(json(again.payload).errorType).toBe('Runtime.ExitError');
    expect(agent.stats().functions.crash.coldStarts).toBe(2);
  });

  it('times out an invocation past Timeout, as Lambda words it, and replaces the instance', async () => {
    const t0 = Date.now();
    const r = await agent.invoke('never', ev({}));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(r.error).toEqual({ kind: 'Timeout', message: 'Task timed out after 0.40 seconds' });
    expect(json(r.payload).errorMessage).toContain('Task timed out after 0.40 seconds');
    await until(() => agent.stats().functions.never.busy + agent.stats().functions.never.stopping === 0, 'no instance of never busy or stopping', UNTIL);
  });

  it('refuses a response over 6 MB', async () => {
    const r = await agent.invoke('big', ev({}));
    expect(r.error?.kind).toBe('FunctionError');
    expect(json(r.payload).errorType).toBe('Function.ResponseSizeTooLarge');
  });

  it('caps concurrency at max_capacity and queues the rest on the warm instance', async () => {
    const t0 = Date.now();
    const [a, b] = await Promise.all([agent.invoke('single', ev({ ms: 200 })), agent.invoke('single', ev({ ms: 200 }))]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(json(a.payload).pid).toBe(json(b.payload).pid);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(agent.stats().functions.single.coldStarts).toBe(1);
  });

  it('answers UnknownFunction for unknown names and explains that Image functions need Docker', async () => {
    expect(agent.has('echo')).toBe(true);
    expect(agent.has('nope')).toBe(false);
    const r = await agent.invoke('nope', ev({}));
    expect(r.error?.kind).toBe('UnknownFunction');
    const i = await agent.invoke('image', ev({}));
    expect(i.error?.kind).toBe('Unavailable');
    expect(i.error?.message).toMatch(/needs the Docker runtime/);
    const c = await agent.invoke('nocode', ev({}));
    expect(c.error?.kind).toBe('Unavailable');
    expect(c.error?.message).toMatch(/does-not-exist does not exist \(function nocode/);
  });

  it('writes the function log with request ids and START/END/REPORT lines', async () => {
    const r = await agent.invoke('logs', ev({ n: 7 }), { requestId: 'log-req-1' });
    expect(json(r.payload)).toBe('logged');
    const text = () => {
      try {
        return readFileSync(path.join(logDir, 'logs.log'), 'utf8');
      } catch {
        return ''; // written in batches: not there yet
      }
    };
    await until(() => text().includes('REPORT RequestId: log-req-1'), 'the REPORT line of log-req-1', UNTIL);
    const lines = text().split('\n').filter((l) => l.includes('log-req-1'));
    expect(lines[0]).toMatch(/\tlog-req-1\tSTART RequestId: log-req-1 Version: \$LATEST$/);
    // Node's console writes Lambda's own line: time, request id, level, text (docs/agent.md, "Log lines").
    expect(lines.some((l) => /^\S+Z\tlog-req-1\t\S+Z\tlog-req-1\tINFO\thello from the handler$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\S+Z\tlog-req-1\t\S+Z\tlog-req-1\tERROR\tstderr line 7$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('END RequestId: log-req-1'))).toBe(true);
    expect(lines.at(-1)).toMatch(/REPORT RequestId: log-req-1\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms/);
  });

  it('keeps serving other functions while one floods its output', async () => {
    const flood = agent.invoke('flood', ev({}));
    let floodDone = false;
    void flood.then(() => (floodDone = true));
    const quick = await agent.invoke('echo', ev({ during: 'flood' }));
    expect(json(quick.payload).event).toEqual({ during: 'flood' });
    // Served while the flood still runs, not after it.
    expect(floodDone).toBe(false);
    expect(json((await flood).payload)).toBe('flooded');
  });

  it('gives a changed function fresh instances and stops the old ones', async () => {
    const before = json((await agent.invoke('echo', ev({}))).payload);
    agent.setFunctions(file({ echo: { ...FUNCTIONS.echo, digest: 'sha256:2', environment: { MY_VAR: 'changed' } } }));
    const after = json((await agent.invoke('echo', ev({}))).payload);
    expect(after.env.MY_VAR).toBe('changed');
    expect(after.pid).not.toBe(before.pid);
    await until(() => !alive(before.pid), 'the old instance to exit', UNTIL);
    // Unchanged functions keep their instances.
    expect(agent.stats().functions.py.coldStarts).toBe(1);
  });

  it('lets in-flight work of a changed function finish on its old instance, then stops it', async () => {
    const slow = agent.invoke('single', ev({ ms: 400 }));
    await sleep(150);
    agent.setFunctions(file({ single: { ...FUNCTIONS.single, digest: 'sha256:new' } }));
    const fresh = await agent.invoke('single', ev({ ms: 1 }));
    const old = await slow;
    expect(old.error).toBeUndefined();
    expect(json(old.payload).slept).toBe(400);
    expect(json(fresh.payload).pid).not.toBe(json(old.payload).pid);
    await until(() => !alive(json(old.payload).pid), 'the old instance to exit', UNTIL);
  });

  it('serves the same invoker over HTTP (keep-alive client)', async () => {
    const server = await createAgentHttpServer({ agent });
    const client = createHttpInvoker({ url: server.url });
    try {
      await client.refresh();
      expect(client.has('echo')).toBe(true);
      const r = await client.invoke('echo', ev({ via: 'http' }), { requestId: 'http-1' });
      expect(r.requestId).toBe('http-1');
      expect(json(r.payload).event).toEqual({ via: 'http' });
      const f = await client.invoke('fail', ev({}));
      expect(f.error).toEqual({ kind: 'FunctionError', message: 'TypeError: bad input' });
      const u = await client.invoke('nope', ev({}));
      expect(u.error?.kind).toBe('UnknownFunction');
      // X-Amz-Log-Type: Tail travels over HTTP too (the compose gateway uses this client).
      const t = await client.invoke('logs', ev({ n: 5 }), { logTail: true });
      const tail = Buffer.from(t.logTail!, 'base64').toString('utf8');
      expect(tail).toMatch(new RegExp(`^START RequestId: ${t.requestId}`));
      expect(tail).toMatch(new RegExp(`\\n\\S+Z\\t${t.requestId}\\tINFO\\thello from the handler\\n\\S+Z\\t${t.requestId}\\tERROR\\tstderr line 5\\n`));
      expect(tail).toMatch(new RegExp(`REPORT RequestId: ${t.requestId}\\t.*\\n$`));
      const py = await agent.invoke('py', ev({}), { logTail: true });
      expect(Buffer.from(py.logTail!, 'base64').toString('utf8')).toContain('python says hi');
      expect((await client.invoke('logs', ev({}))).logTail).toBeUndefined();
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('agent scaling and schedules', () => {
  it('throttles past acquire_timeout, scales to zero after idle_timeout and starts min_capacity ahead', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-logs-'));
    const agent = await createAgent({ runtime: 'process', logDir, log: silent });
    try {
      agent.setFunctions(
        FunctionsFile.parse({
          defaults: { scaling: { acquire_timeout: 0.05, idle_timeout: 0.3 } },
          functions: {
            one: node('index.sleepy', { scaling: { max_capacity: 1 } }),
            warm: { runtime: 'python3.11', handler: 'app.hello', code: `${FIX}/python`, layers: [{ name: 'py', path: `${FIX}/layer-py` }], scaling: { min_capacity: 1 } },
            provisioned: node('index.handler', { scaling: { min_capacity: 1 } }),
          },
        }),
      );
      const slow = agent.invoke('one', ev({ ms: 300 }));
      await sleep(50);
      const throttled = await agent.invoke('one', ev({ ms: 1 }));
      expect(throttled.error?.kind).toBe('Throttled');
      const pid = json((await slow).payload).pid;
      expect(alive(pid)).toBe(true);
      await until(() => agent.stats().functions.one.idle === 0 && !alive(pid), 'the idle instance of one to be reaped', UNTIL);
      // min_capacity: started ahead, and kept past idle_timeout.
      await until(() => agent.stats().functions.warm.idle === 1, 'one idle instance of warm', UNTIL);
      await sleep(400);
      expect(agent.stats().functions.warm).toMatchObject({ idle: 1, coldStarts: 1 });
      expect(json((await agent.invoke('warm', ev({}))).payload)).toBe('hello');
      expect(agent.stats().functions.warm.coldStarts).toBe(1);
      // Its instance says what Lambda's provisioned concurrency says (Powertools counts no cold start for it).
      await until(() => agent.stats().functions.provisioned.idle === 1, 'one idle instance of provisioned', UNTIL);
      expect(json((await agent.invoke('provisioned', ev({}))).payload).env.AWS_LAMBDA_INITIALIZATION_TYPE).toBe('provisioned-concurrency');
    } finally {
      await agent.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('instance policy: a handler that waits (its own reported time) gets more instances past warmInstances; none while the CPU is saturated', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-logs-'));
    let saturated = false;
    const agent = await createAgent({ runtime: 'process', logDir, log: silent, warmInstances: 1, cpuSaturated: () => saturated });
    try {
      agent.setFunctions(FunctionsFile.parse({ functions: { io: node('index.sleepy'), io2: node('index.sleepy') } }));
      // One warm instance and a measured invocation time (300 ms, as the runtime reports it).
      for (const fn of ['io', 'io2']) for (let i = 0; i < 2; i++) await agent.invoke(fn, ev({ ms: 300 }));
      expect(agent.stats().functions.io.coldStarts).toBe(1);
      const pids = (fn: string) => Promise.all([1, 2, 3, 4].map(() => agent.invoke(fn, ev({ ms: 300 })))).then((rs) => new Set(rs.map((r) => json(r.payload).pid)));
      // Queued behind 300 ms invocations is worth a cold start: more instances serve them.
      expect((await pids('io')).size).toBeGreaterThan(1);
      expect(agent.stats().functions.io.coldStarts).toBeGreaterThan(1);
      // With no idle CPU one more instance would only share the cores: the four queue on one.
      saturated = true;
      expect((await pids('io2')).size).toBe(1);
      expect(agent.stats().functions.io2.coldStarts).toBe(1);
    } finally {
      await agent.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('close() stops instances that are still starting, leaving no process behind', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-logs-'));
    const code = path.join(logDir, 'code');
    cpSync(`${FIX}/python`, code, { recursive: true });
    const agent = await createAgent({ runtime: 'process', logDir, log: silent });
    try {
      agent.setFunctions(FunctionsFile.parse({ functions: { w: { runtime: 'python3.11', handler: 'app.hello', code, scaling: { min_capacity: 3 } } } }));
      await sleep(30); // some instances listening, some spawned
    } finally {
      await agent.close();
    }
    const inCode = readdirSync('/proc').filter((p) => {
      try {
        return /^\d+$/.test(p) && readlinkSync(`/proc/${p}/cwd`) === code;
      } catch {
        return false;
      }
    });
    expect(inCode).toEqual([]);
    rmSync(logDir, { recursive: true, force: true });
  });

  it('fires a rate schedule on time with an EventBridge event, and a scheduled rule to its target through its input transformer', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-logs-'));
    // A clock 150 ms before a minute boundary: rate(1 minute) fires almost at once.
    const offset = 60_000 - (Date.now() % 60_000) - 150;
    const clock: Clock = {
      now: () => Date.now() + offset,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const agent = await createAgent({ runtime: 'process', logDir, log: silent, clock });
    try {
      agent.setFunctions(
        FunctionsFile.parse({
          functions: {
            tick: node('index.logs', { events: [{ type: 'schedule', schedule: 'rate(1 minute)', name: 'every-minute' }] }),
            custom: node('index.logs', { events: [{ type: 'schedule', schedule: 'rate(1 minute)', input: '{"n":42}' }] }),
            ruled: node('index.logs'),
          },
          rules: { 'default/hourly-report': { name: 'hourly-report', schedule: 'rate(1 minute)', targets: [{ id: 'r', function: 'ruled', input_transformer: { paths: { t: '$.time' }, template: '{"n": 7, "at": <t>}' } }] } },
        }),
      );
      expect(agent.stats().schedules.map((s) => s.ruleName).sort()).toEqual(['custom-schedule-1', 'every-minute', 'hourly-report']);
      const read = (f: string) => {
        try {
          return readFileSync(path.join(logDir, f), 'utf8');
        } catch {
          return '';
        }
      };
      await until(() => read('tick.log').includes('REPORT') && read('custom.log').includes('REPORT') && read('ruled.log').includes('REPORT'), 'REPORT lines of the scheduled runs', UNTIL);
      expect(read('custom.log')).toContain('stderr line 42');
      expect(read('ruled.log')).toContain('stderr line 7');
      expect(agent.stats().functions.tick.invocations).toBe(1);
    } finally {
      await agent.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});

describe('agent: thousands of functions are set up in slices (docs/agent.md)', () => {
  it('setFunctions returns before all are set up, an invoke of one not reached yet sets it up first, and all are there when its promise resolves', async () => {
    const logDir = mkdtempSync(path.join(tmpdir(), 'esb-agent-slices-'));
    const agent = await createAgent({ runtime: 'process', logDir, log: silent });
    try {
      const n = 3000;
      const functions = Object.fromEntries(Array.from({ length: n }, (_, i) => [`fn${i}`, node('index.handler', { environment: { INDEX: String(i) } })]));
      const applying = agent.setFunctions(FunctionsFile.parse({ functions }));
      expect(applying).toBeInstanceOf(Promise);
      // The last one is far past the first slice: invoked now, it is set up on the spot and runs.
      const res = await agent.invoke(`fn${n - 1}`, Buffer.from('{}'));
      expect(res.error).toBeUndefined();
      await applying;
      expect(Object.keys(agent.stats().functions)).toHaveLength(n);
      expect(agent.has('fn0') && agent.has(`fn${n - 1}`)).toBe(true);
    } finally {
      await agent.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
