// The log lines of real Node and Python instances (docs/agent.md, "Log lines"): the runtimes'
// own text and JSON formats, levels, multi-line messages kept as one event, error lines, and
// Lambda's START/END/REPORT or their JSON records, as LoggingConfig asks.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@esb/contracts/testing';
import { FunctionsFile } from '@esb/contracts';
import { type Agent, createAgent } from './agent.js';
import { compileAgainstCore, JAVA_CORE_SOURCES } from './java-runtime.js';
import { logFileName } from './logs.js';

const NODE = `console.log('loaded');
export const text = async () => {
  console.log('one\\ntwo');
  console.warn('careful');
  console.debug({ a: 1 });
  console.error(new Error('bad thing'));
  return 'ok';
};
export const fail = async () => { throw new TypeError('nope'); };
export const env = async () => ({ format: process.env.AWS_LAMBDA_LOG_FORMAT ?? null, level: process.env.AWS_LAMBDA_LOG_LEVEL ?? null, group: process.env.AWS_LAMBDA_LOG_GROUP_NAME });
`;

const PYTHON = `import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)
logging.basicConfig(format="%(message)s")  # does nothing: the root logger has Lambda's handler


def text(event, context):
    logger.info("hello %s", "py")
    logger.debug("hidden")
    logger.warning("two\\nlines")
    logger.info("café ☕")
    logging.getLogger("orders").error("from a named logger", extra={"orderId": 7})
    print("plain print")
    return "ok"


def fail(event, context):
    raise ValueError("nope")
`;

const JAVA = `package logs;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.util.Map;

public class Logs {
    private static final LambdaLogger RUNTIME = LambdaRuntime.getLogger();
    static { RUNTIME.log("loaded"); }

    public String text(Map<String, Object> event, Context context) {
        LambdaLogger log = context.getLogger();
        log.log("one\\ntwo");
        log.log("careful", LogLevel.WARN);
        log.log("hidden", LogLevel.DEBUG);
        RUNTIME.log("via the runtime", LogLevel.INFO);
        log.log("bytes".getBytes());
        System.out.println("plain print");
        return "ok";
    }

    public String fail(Map<String, Object> event, Context context) {
        throw new IllegalStateException("nope", new IllegalArgumentException("the cause"));
    }
}
`;

const ev = (v: unknown) => Buffer.from(JSON.stringify(v));
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const UNTIL = { timeoutMs: 10_000, everyMs: 20 };

describe('log lines of the runtimes, process runtime', () => {
  let agent: Agent;
  let dir: string;
  let logDir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'esb-log-lines-'));
    logDir = path.join(dir, 'logs');
    mkdirSync(path.join(dir, 'node'));
    writeFileSync(path.join(dir, 'node', 'index.mjs'), NODE);
    mkdirSync(path.join(dir, 'py'));
    writeFileSync(path.join(dir, 'py', 'app.py'), PYTHON);
    const javaSource = path.join(dir, 'java-src', 'logs', 'Logs.java');
    mkdirSync(path.dirname(javaSource), { recursive: true });
    writeFileSync(javaSource, JAVA);
    compileAgainstCore(path.join(dir, 'java'), [javaSource]);
    // A function packaging an aws-lambda-java-core whose LambdaLogger has a method esb's logger lacks ...
    const newerLogger = path.join(dir, 'java-newer-src', 'com', 'amazonaws', 'services', 'lambda', 'runtime', 'LambdaLogger.java');
    mkdirSync(path.dirname(newerLogger), { recursive: true });
    writeFileSync(newerLogger, readFileSync(path.join(JAVA_CORE_SOURCES, 'com', 'amazonaws', 'services', 'lambda', 'runtime', 'LambdaLogger.java'), 'utf8').replace(/}\s*$/, '    String name();\n}\n'));
    // ... and its own LambdaRuntime, whose logger prints without a newline: esb's is loaded instead, as Lambda's runtime's is.
    const ownRuntime = path.join(path.dirname(newerLogger), 'LambdaRuntime.java');
    writeFileSync(ownRuntime, 'package com.amazonaws.services.lambda.runtime;\npublic final class LambdaRuntime {\n    private static volatile LambdaLogger logger = new LambdaLogger() {\n        public void log(String m) { System.out.print(m); }\n        public void log(byte[] m) { System.out.print(new String(m)); }\n        public String name() { return "own"; }\n    };\n    public static LambdaLogger getLogger() { return logger; }\n}\n');
    compileAgainstCore(path.join(dir, 'java-newer'), [javaSource, newerLogger, ownRuntime]);
    const node = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'nodejs20.x', handler, code: path.join(dir, 'node'), ...extra });
    const py = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'python3.11', handler, code: path.join(dir, 'py'), ...extra });
    const java = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'java21', handler, code: path.join(dir, 'java'), ...extra });
    const json = { format: 'JSON' };
    agent = await createAgent({ runtime: 'process', logDir, log: pino({ level: 'silent' }), endpoints: {}, region: 'us-east-1' });
    agent.setFunctions(
      FunctionsFile.parse({
        functions: {
          nodetext: node('index.text'),
          nodefail: node('index.fail'),
          nodeenv: node('index.env'),
          nodejson: node('index.text', { logging: { ...json, application_level: 'WARN' } }),
          nodejsonenv: node('index.env', { logging: { ...json, log_group: '/shop/app' } }),
          nodequiet: node('index.text', { logging: { ...json, system_level: 'WARN' } }),
          pytext: py('app.text'),
          pyfail: py('app.fail'),
          pyjson: py('app.text', { logging: json }),
          javatext: java('logs.Logs::text'),
          javafail: java('logs.Logs::fail'),
          javajson: java('logs.Logs::text', { logging: { ...json, application_level: 'WARN' } }),
          javajsonfail: java('logs.Logs::fail', { logging: json }),
          javanewer: java('logs.Logs::text', { code: path.join(dir, 'java-newer') }),
        },
      }),
    );
  });
  afterAll(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The messages of a function's log lines for one request (time and request id stripped), once its last line is written. */
  const messagesOf = async (fn: string, requestId: string, last: RegExp): Promise<string[]> => {
    const file = path.join(logDir, logFileName(fn));
    const read = () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    };
    const lines = await until(() => {
      const mine = read()
        .split('\n')
        .filter((l) => l.split('\t')[1] === requestId)
        .map((l) => l.split('\t').slice(2).join('\t'));
      return mine.some((m) => last.test(m)) ? mine : undefined;
    }, `the last line of ${requestId} in ${fn}'s log`, UNTIL);
    return lines;
  };

  it("writes Node's console as Lambda's runtime does: time, request id, level, text; a multi-line message is one event", async () => {
    const r = await agent.invoke('nodetext', ev({}), { requestId: 'node-text-1', logTail: true });
    expect(json(r.payload)).toBe('ok');
    const lines = await messagesOf('nodetext', 'node-text-1', /^REPORT /);
    const id = 'node-text-1';
    const stamp = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    // The module's own line came before the request: Lambda's runtime had no request id for it ("undefined").
    expect(lines[0]).toMatch(new RegExp(`^${stamp}\\tundefined\\tINFO\\tloaded$`));
    expect(lines[1]).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${stamp}\\t${id}\\tINFO\\tone\\rtwo$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${stamp}\\t${id}\\tWARN\\tcareful$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${stamp}\\t${id}\\tDEBUG\\t\\{ a: 1 \\}$`)));
    // The stack of an Error is one event, not a line per frame.
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${stamp}\\t${id}\\tERROR\\tError: bad thing\\r    at text \\(file://`)));
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
    expect(lines.at(-2)).toBe(`END RequestId: ${id}`);
    // LogType Tail shows the event's newlines.
    expect(Buffer.from(r.logTail!, 'base64').toString('utf8')).toMatch(new RegExp(`\\tINFO\\tone\\ntwo\\n`));
  });

  it("logs a Node handler's error as Lambda's runtime does: Invoke Error and the error's JSON, stack as lines", async () => {
    const r = await agent.invoke('nodefail', ev({}), { requestId: 'node-fail-1' });
    expect(json(r.payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'nope' });
    const lines = await messagesOf('nodefail', 'node-fail-1', /^REPORT /);
    const error = lines.find((l) => l.includes('\tERROR\t'));
    expect(error).toMatch(/^\S+Z\tnode-fail-1\tERROR\tInvoke Error \t\{/);
    const doc = JSON.parse(error!.slice(error!.indexOf('\t{') + 1));
    expect(doc).toMatchObject({ errorType: 'TypeError', errorMessage: 'nope' });
    expect(doc.stack[0]).toBe('TypeError: nope');
    expect(doc.stack[1]).toMatch(/^ {4}at fail /);
  });

  const readGroup = () => {
    try {
      return readFileSync(path.join(logDir, logFileName('/shop/app')), 'utf8');
    } catch {
      return '';
    }
  };

  it('sets no log format for Text, and JSON with the application level and the log group for JSON', async () => {
    expect(json((await agent.invoke('nodeenv', ev({}))).payload)).toEqual({ format: null, level: null, group: '/aws/lambda/nodeenv' });
    expect(json((await agent.invoke('nodejsonenv', ev({}), { requestId: 'node-group-1' })).payload)).toEqual({ format: 'JSON', level: 'INFO', group: '/shop/app' });
    // The group's own file holds its functions' lines (`esb logs /shop/app`).
    await until(() => readGroup().includes('"platform.report","record":{"requestId":"node-group-1"'), "node-group-1's report in /shop/app's log", UNTIL);
    expect(readGroup()).toContain('"platform.start","record":{"requestId":"node-group-1"');
  });

  it("writes JSON lines at or above the application level, and Lambda's platform records, with LogFormat JSON", async () => {
    await agent.invoke('nodejson', ev({}), { requestId: 'node-json-1' });
    const lines = (await messagesOf('nodejson', 'node-json-1', /"platform\.report"/)).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type ?? l.level)).toEqual(['platform.start', 'WARN', 'ERROR', 'platform.runtimeDone', 'platform.report']);
    expect(lines[0]).toEqual({ time: expect.stringMatching(/Z$/), type: 'platform.start', record: { requestId: 'node-json-1', version: '$LATEST' } });
    expect(lines[1]).toEqual({ timestamp: expect.stringMatching(/Z$/), level: 'WARN', requestId: 'node-json-1', message: 'careful' });
    expect(lines[2].message).toMatchObject({ errorType: 'Error', errorMessage: 'bad thing' });
    expect(lines[2].message.stackTrace[0]).toBe('Error: bad thing');
    expect(lines[3].record).toMatchObject({ requestId: 'node-json-1', status: 'success', metrics: { durationMs: expect.any(Number) } });
    expect(lines[4].record).toMatchObject({ requestId: 'node-json-1', status: 'success', metrics: { billedDurationMs: expect.any(Number), memorySizeMB: 128, maxMemoryUsedMB: expect.any(Number), initDurationMs: expect.any(Number) } });
  });

  it('leaves out the platform records when SystemLogLevel is WARN', async () => {
    await agent.invoke('nodequiet', ev({}), { requestId: 'node-quiet-1' });
    const lines = await messagesOf('nodequiet', 'node-quiet-1', /"level":"ERROR"/);
    const records = lines.map((l) => JSON.parse(l));
    expect(records.filter((r) => r.type !== undefined)).toEqual([]);
    expect(records.filter((r) => r.requestId === 'node-quiet-1').map((r) => r.level)).toEqual(['INFO', 'WARN', 'ERROR']);
  });

  it("gives Python's root logger Lambda's handler: [LEVEL], time, request id, message; basicConfig does nothing; a multi-line record is one event", async () => {
    await agent.invoke('pytext', ev({}), { requestId: 'py-text-1' });
    const lines = await messagesOf('pytext', 'py-text-1', /^REPORT /);
    const stamp = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[INFO\\]\\t${stamp}\\tpy-text-1\\thello py$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[WARNING\\]\\t${stamp}\\tpy-text-1\\ttwo\\rlines$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[ERROR\\]\\t${stamp}\\tpy-text-1\\tfrom a named logger$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^\[INFO\]\t\S+Z\tpy-text-1\tcafé ☕$/));
    expect(lines).toContain('plain print');
    expect(lines.join('\n')).not.toContain('hidden');
    expect(lines).not.toContain('hello py'); // basicConfig's own format would print this
  });

  it("logs a Python handler's error as Lambda's runtime does: [ERROR] type: message and the traceback, one event", async () => {
    await agent.invoke('pyfail', ev({}), { requestId: 'py-fail-1' });
    const lines = await messagesOf('pyfail', 'py-fail-1', /^REPORT /);
    const error = lines.find((l) => l.startsWith('[ERROR]'));
    const parts = error!.split('\r');
    expect(parts[0]).toBe('[ERROR] ValueError: nope');
    expect(parts[1]).toBe('Traceback (most recent call last):');
    expect(parts[2]).toMatch(/^\u00a0\u00a0File ".*app\.py", line \d+, in fail$/);
  });

  it("writes Python's records as JSON with LogFormat JSON, with the logger's name and extra fields", async () => {
    await agent.invoke('pyjson', ev({}), { requestId: 'py-json-1' });
    const lines = (await messagesOf('pyjson', 'py-json-1', /"platform\.report"/)).filter((l) => l.startsWith('{"timestamp"')).map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['INFO', 'hello py'],
      ['WARNING', 'two\nlines'],
      ['INFO', 'café ☕'],
      ['ERROR', 'from a named logger'],
    ]);
    expect(lines[0]).toEqual({ timestamp: expect.stringMatching(/Z$/), level: 'INFO', message: 'hello py', logger: 'root', requestId: 'py-json-1' });
    expect(lines[3]).toMatchObject({ logger: 'orders', orderId: 7 });
    // Text as it is, not escaped to ASCII, as Lambda's runtime writes it.
    expect(readFileSync(path.join(logDir, logFileName('pyjson')), 'utf8')).toContain('"message": "café ☕"');
  });

  it("writes LambdaLogger's lines as Lambda's Java runtime does: one event per call, [LEVEL] before a leveled one; LambdaRuntime.getLogger() writes alike", async () => {
    const r = await agent.invoke('javatext', ev({}), { requestId: 'java-text-1' });
    expect(json(r.payload)).toBe('ok');
    const lines = await messagesOf('javatext', 'java-text-1', /^REPORT /);
    // The handler class's static initializer logged before the request.
    expect(lines[0]).toBe('loaded');
    expect(lines[1]).toBe('START RequestId: java-text-1 Version: $LATEST');
    expect(lines.slice(2, -2)).toEqual(['one\rtwo', '[WARN] careful', '[DEBUG] hidden', '[INFO] via the runtime', 'bytes', 'plain print']);
  });

  it("logs a Java handler's error as Lambda's runtime does: message: type and the stack trace without the runtime's frames, one event", async () => {
    const r = await agent.invoke('javafail', ev({}), { requestId: 'java-fail-1' });
    expect(json(r.payload)).toMatchObject({ errorType: 'java.lang.IllegalStateException', errorMessage: 'nope', cause: { errorMessage: 'the cause' } });
    const lines = await messagesOf('javafail', 'java-fail-1', /^REPORT /);
    const error = lines.find((l) => l.startsWith('nope: '));
    const parts = error!.split('\r');
    expect(parts.slice(0, 2)).toEqual(['nope: java.lang.IllegalStateException', 'java.lang.IllegalStateException: nope']);
    expect(parts[2]).toMatch(/^\tat logs\.Logs\.fail\(Logs\.java:\d+\)$/);
    expect(parts).toContainEqual(expect.stringMatching(/^Caused by: java\.lang\.IllegalArgumentException: the cause$/));
    expect(error).not.toMatch(/esb\.runtime|java\.lang\.reflect|jdk\.internal/);
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
  });

  it('writes LambdaLogger lines as JSON records at or above the application level with LogFormat JSON; bytes and System.out as written', async () => {
    await agent.invoke('javajson', ev({}), { requestId: 'java-json-1' });
    const lines = await messagesOf('javajson', 'java-json-1', /"platform\.report"/);
    const records = lines.filter((l) => l.startsWith('{"timestamp"')).map((l) => JSON.parse(l));
    expect(records).toEqual([
      { timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), message: 'loaded', level: 'UNDEFINED' },
      { timestamp: expect.stringMatching(/Z$/), message: 'one\ntwo', level: 'UNDEFINED', AWSRequestId: 'java-json-1' },
      { timestamp: expect.stringMatching(/Z$/), message: 'careful', level: 'WARN', AWSRequestId: 'java-json-1' },
    ]);
    expect(lines).toContain('bytes');
    expect(lines).toContain('plain print');
    expect(lines.join('\n')).not.toMatch(/hidden|via the runtime/);

    await agent.invoke('javajsonfail', ev({}), { requestId: 'java-json-fail-1' });
    const failed = (await messagesOf('javajsonfail', 'java-json-fail-1', /"platform\.report"/)).filter((l) => l.startsWith('{"timestamp"')).map((l) => JSON.parse(l));
    const error = failed.find((r) => r.level === 'ERROR');
    expect(error).toMatchObject({ AWSRequestId: 'java-json-fail-1', message: expect.stringMatching(/^nope: java\.lang\.IllegalStateException\njava\.lang\.IllegalStateException: nope\n\tat logs\.Logs\.fail/) });
  });

  it("answers through a proxy calling esb's logger when the function's LambdaLogger has a method esb's lacks; LambdaRuntime is esb's even when the function packages its own", async () => {
    const r = await agent.invoke('javanewer', ev({}), { requestId: 'java-newer-1' });
    expect(json(r.payload)).toBe('ok');
    const lines = await messagesOf('javanewer', 'java-newer-1', /^REPORT /);
    expect(lines.slice(2, -2)).toEqual(['one\rtwo', '[WARN] careful', '[DEBUG] hidden', '[INFO] via the runtime', 'bytes', 'plain print']);
  });
});
