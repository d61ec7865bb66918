// The instance channel with real processes (docs/agent.md#the-instance-channel): esb's Node,
// Python and Java clients take their events over a socket pair only the instance holds (no other
// process can open it: it has no address), with the whole Lambda context; custom runtimes keep
// HTTP on AWS_LAMBDA_RUNTIME_API; runtimeChannel: false puts esb's own clients back on HTTP.
// The Java functions need a JDK (CI installs one: .ci/run).
import { existsSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { type Agent, createAgent } from './agent.js';
import { logFileName } from './logs.js';
import { compileAgainstCore } from './java-runtime.js';
import { codeFolder, processAgent } from './testing/process-agent.js';
import { until } from '@esb/contracts/testing';

const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const ev = (v: unknown) => Buffer.from(JSON.stringify(v));

const NODE = `
import { readFileSync, readlinkSync } from 'node:fs';
// What fd 3 is: 'unix' (a Unix socket, the channel), else its link or error.
const fd3 = () => {
  let link;
  try { link = readlinkSync('/proc/self/fd/3'); } catch (e) { return e.code; }
  const inode = /^socket:\\[(\\d+)\\]$/.exec(link)?.[1];
  return inode && readFileSync('/proc/self/net/unix', 'utf8').split('\\n').some((l) => l.split(/\\s+/)[6] === inode) ? 'unix' : link;
};
export const probe = async (event, context) => ({
  event, pid: process.pid, fd3: fd3(), channelEnv: process.env.ESB_RUNTIME_CHANNEL ?? null,
  requestId: context.awsRequestId, arn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis(),
  clientContext: context.clientContext ?? null, identity: context.identity ?? null, trace: process.env._X_AMZN_TRACE_ID ?? null,
});
export const fail = async () => { const e = new Error('bad thing'); e.name = 'MyError'; throw e; };
// Errors nothing catches: thrown in a timer, or a rejection no one handles. pid: process and thread.
export const uncaught = async (event) => {
  if (event.throwLater) setTimeout(() => { throw new TypeError('thrown in a timer'); }, 1);
  if (event.rejectLater) Promise.reject(new Error('yikes'));
  if (event.throwLater || event.rejectLater) await new Promise(() => {});
  return { n: event.n, pid: process.pid + ':' + (await import('node:worker_threads')).threadId };
};
`;

const PY = `
import os
def probe(event, context):
    try:
        fd3 = os.readlink("/proc/self/fd/3")
        if fd3.startswith("socket:["):
            inode = fd3[8:-1]
            with open("/proc/self/net/unix") as f:
                if any(line.split()[6:7] == [inode] for line in f):
                    fd3 = "unix"
    except OSError as e:
        fd3 = "ENOENT" if e.errno == 2 else str(e.errno)
    return {"event": event, "pid": os.getpid(), "fd3": fd3, "channelEnv": os.environ.get("ESB_RUNTIME_CHANNEL"),
            "requestId": context.aws_request_id, "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis(), "clientContext": context.client_context,
            "identity": context.identity, "trace": os.environ.get("_X_AMZN_TRACE_ID")}
def fail(event, context):
    raise ValueError("py bad thing")
`;

// A custom runtime: plain HTTP on AWS_LAMBDA_RUNTIME_API, as any Lambda runtime client does.
const CUSTOM = `#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read() or b"null")
    body = json.dumps({"custom": True, "event": event, "fd3": os.path.exists("/proc/self/fd/3"), "channelEnv": os.environ.get("ESB_RUNTIME_CHANNEL")}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
    if os.environ.get("ONE_EVENT"):
        break
`;

// The Java probe: the channel is its standard input (fd 0), where a JVM can take a socket
// (events queued in a Java instance, below, come only over the channel).
const JAVA = `
package probe;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

import com.amazonaws.services.lambda.runtime.Context;

public class Probe {
    /** What fd 0 is: "unix" (a Unix socket, the channel), else its link or error. */
    static String fd0() {
        try {
            String link = Files.readSymbolicLink(Paths.get("/proc/self/fd/0")).toString();
            if (link.startsWith("socket:[")) {
                String inode = link.substring(8, link.length() - 1);
                for (String line : Files.readAllLines(Paths.get("/proc/self/net/unix"))) {
                    String[] f = line.trim().split("\\\\s+");
                    if (f.length > 6 && f[6].equals(inode)) return "unix";
                }
            }
            return link;
        } catch (Exception e) {
            return e.getClass().getSimpleName();
        }
    }

    public static Map<String, Object> probe(Map<String, Object> event, Context context) throws Exception {
        Map<String, Object> out = new HashMap<>();
        out.put("event", event);
        out.put("pid", ProcessHandle.current().pid());
        out.put("fd0", fd0());
        out.put("stdin", System.in.read());
        out.put("channelEnv", System.getenv("ESB_RUNTIME_CHANNEL"));
        out.put("channelProperty", System.getProperty("esb.runtime.channel"));
        out.put("requestId", context.getAwsRequestId());
        out.put("arn", context.getInvokedFunctionArn());
        out.put("remaining", context.getRemainingTimeInMillis());
        out.put("clientContext", context.getClientContext() == null ? null : context.getClientContext().getCustom());
        out.put("identity", context.getIdentity() == null ? null : context.getIdentity().getIdentityId());
        return out;
    }

    public static Map<String, Object> quick(Map<String, Object> event, Context context) {
        Map<String, Object> out = new HashMap<>();
        out.put("n", event.get("n"));
        out.put("pid", ProcessHandle.current().pid());
        out.put("id", context.getAwsRequestId());
        out.put("remaining", context.getRemainingTimeInMillis());
        return out;
    }

    public static Map<String, Object> chatty(Map<String, Object> event, Context context) {
        System.out.println("printed by " + context.getAwsRequestId());
        Map<String, Object> out = new HashMap<>();
        out.put("n", event.get("n"));
        out.put("pid", ProcessHandle.current().pid());
        return out;
    }

    public static Map<String, Object> stall(Map<String, Object> event, Context context) throws Exception {
        Files.write(Paths.get(System.getenv("RAN_LOG")), (context.getAwsRequestId() + "\\n").getBytes(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        Object stall = event.get("stall");
        if (stall != null) Thread.sleep(((Number) stall).longValue());
        Map<String, Object> out = new HashMap<>();
        out.put("n", event.get("n"));
        out.put("pid", ProcessHandle.current().pid());
        return out;
    }

    public static Map<String, Object> fail(Map<String, Object> event) {
        throw new IllegalStateException("java bad thing");
    }

    static int depth(int n) {
        return n == Integer.MIN_VALUE ? n : depth(n + 1) + 1;
    }

    /** A StackOverflowError (a VirtualMachineError) when the event asks for one. */
    public static Map<String, Object> overflow(Map<String, Object> event) {
        if (Boolean.TRUE.equals(event.get("overflow"))) depth(0);
        Map<String, Object> out = new HashMap<>();
        out.put("n", event.get("n"));
        out.put("pid", ProcessHandle.current().pid());
        return out;
    }
}
`;

/** The Java probe compiled into `dir`/java (the aws-lambda-java-core interfaces come from the runtime). */
function compileJavaProbe(dir: string): string {
  const out = path.join(dir, 'java');
  compileAgainstCore(out, [path.join(dir, 'java-src', 'probe', 'Probe.java')]);
  return out;
}

describe('the instance channel, process runtime', () => {
  let dir: string;
  const agents: Agent[] = [];
  const start = async (runtimeChannel?: boolean) => {
    const agent = await createAgent({ runtime: 'process', logDir: path.join(dir, `logs-${agents.length}`), log: pino({ level: 'silent' }), schedules: false, pinoFunctionLogs: false, runtimeChannel });
    agents.push(agent);
    agent.setFunctions(
      FunctionsFile.parse({
        functions: {
          node: { runtime: 'nodejs20.x', handler: 'index.probe', code: path.join(dir, 'node') },
          nodefail: { runtime: 'nodejs20.x', handler: 'index.fail', code: path.join(dir, 'node') },
          py: { runtime: 'python3.12', handler: 'app.probe', code: path.join(dir, 'py') },
          pyfail: { runtime: 'python3.12', handler: 'app.fail', code: path.join(dir, 'py') },
          custom: { runtime: 'provided.al2023', handler: 'unused', code: path.join(dir, 'custom') },
          customonce: { runtime: 'provided.al2023', handler: 'unused', code: path.join(dir, 'custom'), environment: { ONE_EVENT: '1' }, scaling: { max_capacity: 1 } },
          java: { runtime: 'java21', handler: 'probe.Probe::probe', code: javaClasses },
          javafail: { runtime: 'java21', handler: 'probe.Probe::fail', code: javaClasses },
          javaoverflow: { runtime: 'java21', handler: 'probe.Probe::overflow', code: javaClasses, scaling: { max_capacity: 1 } },
          nodeuncaught: { runtime: 'nodejs20.x', handler: 'index.uncaught', code: path.join(dir, 'node'), scaling: { max_capacity: 1 } },
        },
      }),
    );
    return agent;
  };
  let javaClasses: string;

  beforeAll(() => {
    dir = codeFolder('esb-channel-', { 'node/index.mjs': NODE, 'py/app.py': PY, 'custom/bootstrap': CUSTOM, 'java-src/probe/Probe.java': JAVA });
    javaClasses = compileJavaProbe(dir);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("carries esb's Node and Python clients' events, with the whole context, over a socket only the instance holds", async () => {
    const agent = await start();
    const cc = Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64');
    for (const fn of ['node', 'py']) {
      const r = await agent.invoke(fn, ev({ n: 1, s: 'é' }), { requestId: `req-${fn}`, traceId: 'Root=1-x;Parent=53995c3f42cd8ad8;Sampled=1', clientContext: cc, cognitoIdentity: '{"cognitoIdentityId":"id-1"}' });
      expect(r.error, fn).toBeUndefined();
      const body = json(r.payload);
      expect(body, fn).toMatchObject({
        event: { n: 1, s: 'é' },
        requestId: `req-${fn}`,
        arn: `arn:aws:lambda:us-east-1:123456789012:function:${fn}`,
        clientContext: { custom: { k: 'v' } },
        identity: { cognitoIdentityId: 'id-1' },
        trace: 'Root=1-x;Parent=53995c3f42cd8ad8;Sampled=1',
        channelEnv: null,
      });
      expect(body.remaining, fn).toBeGreaterThan(1000);
      expect(body.fd3, fn).toBe('unix');
      // Another process (this one, the agent's own user) cannot open it: a socket pair has no address.
      let code: string | undefined;
      try {
        openSync(`/proc/${body.pid}/fd/3`, 'r+');
      } catch (e) {
        code = (e as NodeJS.ErrnoException).code;
      }
      expect(code, fn).toBe('ENXIO');
      // The agent's end is the other half of the pair, not something listening.
      expect(readlinkSync(`/proc/${body.pid}/fd/3`)).toMatch(/^socket:/);
      // Warm reuse over the same channel.
      const again = json((await agent.invoke(fn, ev({ n: 2 }))).payload);
      expect(again.pid, fn).toBe(body.pid);
      expect(again.event, fn).toEqual({ n: 2 });
    }
  });

  it("carries esb's Java client's events on the JVM's standard input, a socket only the instance holds, with the whole context", async () => {
    const agent = agents[0] ?? (await start());
    const cc = Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64');
    const r = await agent.invoke('java', ev({ n: 1, s: 'é' }), { requestId: 'req-java', clientContext: cc, cognitoIdentity: '{"cognitoIdentityId":"id-1"}' });
    expect(r.error).toBeUndefined();
    const body = json(r.payload);
    expect(body).toMatchObject({
      event: { n: 1, s: 'é' },
      requestId: 'req-java',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:java',
      clientContext: { k: 'v' },
      identity: 'id-1',
      fd0: 'unix',
      // Told by a system property: the function's environment holds nothing of esb's.
      channelEnv: null,
      channelProperty: 'stdin',
      // The handler reads an empty standard input, not the channel.
      stdin: -1,
    });
    expect(body.remaining).toBeGreaterThan(1000);
    let code: string | undefined;
    try {
      openSync(`/proc/${body.pid}/fd/0`, 'r+');
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('ENXIO');
    const again = json((await agent.invoke('java', ev({ n: 2 }))).payload);
    expect(again).toMatchObject({ pid: body.pid, event: { n: 2 } });
    const failed = await agent.invoke('javafail', ev({}));
    expect(failed.error).toMatchObject({ kind: 'FunctionError', message: 'java.lang.IllegalStateException: java bad thing' });
    expect(json(failed.payload)).toMatchObject({ errorType: 'java.lang.IllegalStateException', errorMessage: 'java bad thing' });
  }, 60_000);

  it('reports handler errors with their type over the channel, and the instance stays warm', async () => {
    const agent = agents[0] ?? (await start());
    const n = await agent.invoke('nodefail', ev({}));
    expect(n.error).toMatchObject({ kind: 'FunctionError', message: 'MyError: bad thing' });
    expect(json(n.payload)).toMatchObject({ errorType: 'MyError', errorMessage: 'bad thing' });
    const p = await agent.invoke('pyfail', ev({}));
    expect(p.error).toMatchObject({ kind: 'FunctionError', message: 'ValueError: py bad thing' });
    expect((await agent.invoke('nodefail', ev({}))).error?.kind).toBe('FunctionError');
    expect(agent.stats().functions.nodefail).toMatchObject({ coldStarts: 1, invocations: 2 });
  });

  it('leaves a custom runtime on the HTTP Runtime API: no channel, no channel variable', async () => {
    const agent = agents[0] ?? (await start());
    const r = await agent.invoke('custom', ev({ c: 1 }));
    expect(r.error).toBeUndefined();
    expect(json(r.payload)).toEqual({ custom: true, event: { c: 1 }, fd3: false, channelEnv: null });
  });

  it('gives the events a custom runtime that exits after one event never asked for to new instances: none is lost', async () => {
    const agent = agents[0] ?? (await start());
    const results = await Promise.all([1, 2, 3, 4].map((n) => agent.invoke('customonce', ev({ n }))));
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(results.map((r) => json(r.payload).event.n)).toEqual([1, 2, 3, 4]);
    expect(agent.stats().functions.customonce!.coldStarts).toBe(4);
  });

  it("runtimeChannel: false puts esb's own clients back on HTTP", async () => {
    const agent = await start(false);
    for (const fn of ['node', 'py']) {
      const body = json((await agent.invoke(fn, ev({ h: 1 }), { requestId: `http-${fn}` })).payload);
      expect(body, fn).toMatchObject({ event: { h: 1 }, requestId: `http-${fn}`, channelEnv: null });
      expect(body.fd3, fn).not.toBe('unix');
    }
    const java = json((await agent.invoke('java', ev({ h: 1 }), { requestId: 'http-java' })).payload);
    // Standard input is then the pipe that carried the Runtime API secret (a socket too, closed).
    expect(java).toMatchObject({ event: { h: 1 }, requestId: 'http-java', channelEnv: null, channelProperty: null, stdin: -1 });
  }, 60_000);

  it("ends a Java instance after a VirtualMachineError, as Lambda's Java runtime does, and no other event is lost to it (channel and HTTP)", async () => {
    for (const agent of [agents[0] ?? (await start()), await start(false)]) {
      await lastErrorEndsTheInstance(agent, 'javaoverflow', { overflow: true }, 'java.lang.StackOverflowError');
    }
  }, 120_000);

  it("makes an uncaught Node error the running invocation's error and ends the runtime, as Lambda's Node runtime does (channel, HTTP, in-process worker)", async () => {
    const workers = await createAgent({ runtime: 'process', nodeWorkers: true, logDir: path.join(dir, 'logs-uncaught-workers'), log: pino({ level: 'silent' }), schedules: false, pinoFunctionLogs: false });
    agents.push(workers);
    workers.setFunctions(FunctionsFile.parse({ functions: { nodeuncaught: { runtime: 'nodejs20.x', handler: 'index.uncaught', code: path.join(dir, 'node'), scaling: { max_capacity: 1 } } } }));
    for (const agent of [agents[0] ?? (await start()), await start(false), workers]) {
      const thrown = await lastErrorEndsTheInstance(agent, 'nodeuncaught', { throwLater: true }, 'TypeError');
      expect(thrown).toMatchObject({ errorMessage: 'thrown in a timer' });
      const rejected = await lastErrorEndsTheInstance(agent, 'nodeuncaught', { rejectLater: true }, 'Runtime.UnhandledPromiseRejection');
      expect(rejected).toMatchObject({ errorMessage: 'Error: yikes' });
      expect(rejected.trace[0]).toBe('Runtime.UnhandledPromiseRejection: Error: yikes');
    }
  }, 120_000);
});

/**
 * `fn` (one instance at most) answers `{n, pid}`, and fails `failing` with an error of
 * `errorType` after which its runtime ends: that invocation gets the error document (given
 * back), and the events sent beside it, whichever instance they were given to, run in a new
 * runtime, none lost.
 */
async function lastErrorEndsTheInstance(agent: Agent, fn: string, failing: object, errorType: string): Promise<Record<string, any>> {
  const first = json((await agent.invoke(fn, ev({ n: 0 }))).payload);
  const coldStarts = agent.stats().functions[fn]!.coldStarts;
  const [failed, ...others] = await Promise.all([agent.invoke(fn, ev(failing)), ...[1, 2, 3, 4].map((n) => agent.invoke(fn, ev({ n })))]);
  expect(failed.error).toMatchObject({ kind: 'FunctionError', message: expect.stringMatching(new RegExp(`^${errorType.replace(/\./g, '\\.')}`)) });
  const doc = json(failed.payload);
  expect(doc).toMatchObject({ errorType });
  const bodies = others.map((r) => {
    expect(r.error).toBeUndefined();
    return json(r.payload);
  });
  expect(bodies.map((b) => b.n)).toEqual([1, 2, 3, 4]);
  // Events that ran before the error may have shared its JVM; the next one runs in a new JVM.
  const after = json((await agent.invoke(fn, ev({ n: 5 }))).payload);
  expect(after.pid).not.toBe(first.pid);
  expect(agent.stats().functions[fn]!.coldStarts).toBeGreaterThan(coldStarts);
  return doc;
}

// Queued in the instance (docs/agent.md#queued-in-the-instance): past the instances there are,
// a short function's next event goes down the channel behind the running one.
const QUICK_NODE = `
export const quick = async (event, context) => ({ n: event.n, pid: process.pid, id: context.awsRequestId, remaining: context.getRemainingTimeInMillis() });
export const crashy = async (event) => {
  if (event.die) { setTimeout(() => process.exit(3), 3); await new Promise(() => {}); }
  return { n: event.n, pid: process.pid };
};
export const slow = async (event) => { await new Promise((r) => setTimeout(r, 20)); return { n: event.n, pid: process.pid }; };
// Appends its request id to RAN_LOG (each run leaves one line), stalls when asked.
export const stall = async (event, context) => {
  (await import('node:fs')).appendFileSync(process.env.RAN_LOG, context.awsRequestId + '\\n');
  if (event.stall) await new Promise((r) => setTimeout(r, event.stall));
  return { n: event.n, pid: process.pid };
};
export const chatty = async (event, context) => { console.log('printed by ' + context.awsRequestId); return { n: event.n, pid: process.pid }; };
`;
const QUICK_PY = `
import os
def quick(event, context):
    return {"n": event["n"], "pid": os.getpid(), "id": context.aws_request_id, "remaining": context.get_remaining_time_in_millis()}
def stall(event, context):
    with open(os.environ["RAN_LOG"], "a") as f:
        f.write(context.aws_request_id + "\\n")
    if event.get("stall"):
        import time
        time.sleep(event["stall"] / 1000)
    return {"n": event.get("n"), "pid": os.getpid()}
def chatty(event, context):
    print("printed by " + context.aws_request_id)
    return {"n": event["n"], "pid": os.getpid()}
`;

describe('events queued in an instance behind the running one, process runtime', () => {
  let dir: string;
  let agent: Agent;
  const one = { scaling: { max_capacity: 1 } };

  let javaClasses: string;

  beforeAll(async () => {
    dir = codeFolder('esb-queued-', { 'node/index.mjs': QUICK_NODE, 'py/app.py': QUICK_PY, 'java-src/probe/Probe.java': JAVA });
    javaClasses = compileJavaProbe(dir);
    agent = await processAgent(dir, {
      java: { runtime: 'java21', handler: 'probe.Probe::quick', code: javaClasses, timeout: 30, ...one },
      javachatty: { runtime: 'java21', handler: 'probe.Probe::chatty', code: javaClasses, ...one },
      javaoverflow: { runtime: 'java21', handler: 'probe.Probe::overflow', code: javaClasses, timeout: 30, ...one },
      node: { runtime: 'nodejs20.x', handler: 'index.quick', code: path.join(dir, 'node'), timeout: 30, ...one },
      py: { runtime: 'python3.12', handler: 'app.quick', code: path.join(dir, 'py'), timeout: 30, ...one },
      crashy: { runtime: 'nodejs20.x', handler: 'index.crashy', code: path.join(dir, 'node'), ...one },
      slow: { runtime: 'nodejs20.x', handler: 'index.slow', code: path.join(dir, 'node'), ...one },
      chatty: { runtime: 'nodejs20.x', handler: 'index.chatty', code: path.join(dir, 'node'), ...one },
      pychatty: { runtime: 'python3.12', handler: 'app.chatty', code: path.join(dir, 'py'), ...one },
    });
  });
  afterAll(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sequential invocations, so the pool has measured the function as short. */
  const warm = async (fn: string, times = 30, on = agent) => {
    for (let i = 0; i < times; i++) expect((await on.invoke(fn, ev({ n: -1 }))).error).toBeUndefined();
  };
  const queued = (fn: string, on = agent) => on.stats().functions[fn]!.queuedInInstances;

  /**
   * After a warm-up, bursts of 40 (`${fn}-${burst}-${i}`, event {n: i}) at one instance until some
   * event was queued in it, at least `atLeast` of them; each burst's answers go to `check`,
   * whatever path they took. Gives every request id sent.
   */
  const burstsUntilQueued = async (on: Agent, fn: string, check: (ids: string[], bodies: Array<Record<string, unknown>>) => void, atLeast = 1) => {
    await warm(fn, 30, on);
    const sent: string[] = [];
    for (let burst = 0; burst < 20 && (burst < atLeast || queued(fn, on) === 0); burst++) {
      const ids = Array.from({ length: 40 }, (_, i) => `${fn}-${burst}-${i}`);
      sent.push(...ids);
      const results = await Promise.all(ids.map((requestId, n) => on.invoke(fn, ev({ n }), { requestId })));
      const bodies = results.map((r) => {
        expect(r.error, fn).toBeUndefined();
        return json(r.payload) as Record<string, unknown>;
      });
      expect(bodies.map((b) => b.n), fn).toEqual(ids.map((_, n) => n));
      check(ids, bodies);
    }
    expect(queued(fn, on), fn).toBeGreaterThan(0);
    return sent;
  };

  /** Each answer is its own request's, all from one instance, each with its whole time limit. */
  const queuesOnce = async (on: Agent, fn: string) => {
    await burstsUntilQueued(on, fn, (ids, bodies) => {
      expect(bodies.map((b) => b.id), fn).toEqual(ids);
      expect(new Set(bodies.map((b) => b.pid)).size, fn).toBe(1);
      // 30 s limit: the deadline counts from when the runtime takes the event.
      for (const b of bodies) expect(b.remaining, fn).toBeGreaterThan(29_000);
    });
    expect(on.stats().functions[fn], fn).toMatchObject({ coldStarts: 1 });
  };

  it('runs every queued event once, in one instance, each with its whole time limit (Node, Python and Java processes)', async () => {
    await queuesOnce(agent, 'node');
    await queuesOnce(agent, 'py');
    await queuesOnce(agent, 'java');
  }, 60_000);

  it('queues the same way in an in-process Node worker (ESB_NODE_WORKERS), printed lines with their requests', async () => {
    const workers = await createAgent({ runtime: 'process', nodeWorkers: true, logDir: path.join(dir, 'logs-workers'), log: pino({ level: 'silent' }), schedules: false, pinoFunctionLogs: false });
    try {
      workers.setFunctions(
        FunctionsFile.parse({
          functions: {
            node: { runtime: 'nodejs20.x', handler: 'index.quick', code: path.join(dir, 'node'), timeout: 30, ...one },
            chatty: { runtime: 'nodejs20.x', handler: 'index.chatty', code: path.join(dir, 'node'), ...one },
          },
        }),
      );
      await queuesOnce(workers, 'node');
      await linesStayWithTheirRequests(workers, 'chatty', path.join(dir, 'logs-workers'));
    } finally {
      await workers.close();
    }
  });

  it('gives an event queued behind one whose instance dies to a new instance: it never ran, so it runs once, there', async () => {
    await warm('crashy');
    let before = queued('crashy');
    for (let attempt = 0; attempt < 10; attempt++) {
      before = queued('crashy');
      const [died, next] = await Promise.all([agent.invoke('crashy', ev({ die: true })), agent.invoke('crashy', ev({ n: 7 }))]);
      expect(died.error?.message).toMatch(/Runtime\.ExitError: .*exit status 3/);
      expect(next.error).toBeUndefined();
      expect(json(next.payload)).toMatchObject({ n: 7 });
      if (queued('crashy') > before) break;
      await warm('crashy', 10);
    }
    expect(queued('crashy')).toBeGreaterThan(before);
  });

  it('gives the events queued in a Java instance that ends after a VirtualMachineError to a new JVM: none is lost', async () => {
    await warm('javaoverflow');
    let before = queued('javaoverflow');
    for (let attempt = 0; attempt < 10; attempt++) {
      before = queued('javaoverflow');
      await lastErrorEndsTheInstance(agent, 'javaoverflow', { overflow: true }, 'java.lang.StackOverflowError');
      if (queued('javaoverflow') > before) break;
      await warm('javaoverflow', 10);
    }
    expect(queued('javaoverflow')).toBeGreaterThan(before);
  }, 120_000);

  it('keeps the events of a function that is not short in the pool queue, where any instance may take them', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => agent.invoke('slow', ev({ n }))));
    expect(results.map((r) => json(r.payload).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(agent.stats().functions.slow).toMatchObject({ queuedInInstances: 0, invocations: 8 });
  });

  /** Bursts of 40 at one instance of a printing function until some queued; then every printed line must be its own request's. */
  const linesStayWithTheirRequests = async (on: Agent, fn: string, logDir: string) => {
    const ids = await burstsUntilQueued(on, fn, () => {}, 3);
    const logFile = path.join(logDir, logFileName(fn));
    const printed = await until(() => {
      const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes(`printed by ${fn}-`)) : [];
      return lines.length >= ids.length ? lines : undefined;
    }, `every line ${fn} printed, in its log`);
    expect(printed).toHaveLength(ids.length);
    for (const line of printed) {
      // time, request id, then what was printed: Node's console adds its own time, request id and level.
      const fields = line.split('\t');
      const requestId = fields[1];
      expect(fields.at(-1), fn).toBe(`printed by ${requestId}`);
      if (fields.length > 3) expect(fields.slice(3, 5), fn).toEqual([requestId, 'INFO']);
    }
    // The marks are not output: no line of the log holds one.
    expect(readFileSync(logFile, 'utf8')).not.toContain('esb-event');
  };

  it('queues in the instances of a function that prints, and each line stays with the invocation that printed it (Node, Python and Java)', async () => {
    await linesStayWithTheirRequests(agent, 'chatty', path.join(dir, 'logs'));
    await linesStayWithTheirRequests(agent, 'pychatty', path.join(dir, 'logs'));
    await linesStayWithTheirRequests(agent, 'javachatty', path.join(dir, 'logs'));
  }, 60_000);

  it('asks back what is queued behind an invocation that runs long: it runs once, on another instance (Node, unless the CPU is saturated) or after it (Python, Java)', async () => {
    // One warm instance, room for a second: a request queues in the first, then is recalled and
    // waits in the pool's queue, which starts another instance behind a held-up one.
    const solo = await createAgent({ runtime: 'process', warmInstances: 1, logDir: path.join(dir, 'logs-recall'), log: pino({ level: 'silent' }), schedules: false, pinoFunctionLogs: false });
    try {
      const ranLog = (fn: string) => path.join(dir, `ran-${fn}.log`);
      const two = { scaling: { max_capacity: 2 }, timeout: 10 };
      // Each attempt on a changed config: its instances from before stop, so that it starts with
      // one (a second one left idle by a failed attempt would take every later `next` at once).
      const configure = (attempt: number) =>
        solo.setFunctions(
          FunctionsFile.parse({
            functions: {
              stall: { runtime: 'nodejs20.x', handler: 'index.stall', code: path.join(dir, 'node'), environment: { RAN_LOG: ranLog('stall'), ATTEMPT: String(attempt) }, ...two },
              pystall: { runtime: 'python3.12', handler: 'app.stall', code: path.join(dir, 'py'), environment: { RAN_LOG: ranLog('pystall'), ATTEMPT: String(attempt) }, ...two },
              javastall: { runtime: 'java21', handler: 'probe.Probe::stall', code: javaClasses, environment: { RAN_LOG: ranLog('javastall'), ATTEMPT: String(attempt) }, ...two },
            },
          }),
        );
      for (const fn of ['stall', 'pystall', 'javastall']) {
        const recalled = () => solo.stats().functions[fn]?.recalledFromInstances ?? 0;
        for (let attempt = 0; attempt < 5 && recalled() === 0; attempt++) {
          await configure(attempt);
          // Short again in the pool's moving average (a long invocation before, a busy machine
          // now: then nothing queues, and the attempt is made again).
          await warm(fn, 40, solo);
          let longDone = false;
          const long = solo.invoke(fn, ev({ stall: 1500, n: 0 }), { requestId: `${fn}-long-${attempt}` }).then((r) => ((longDone = true), r));
          const next = await solo.invoke(fn, ev({ n: 1 }), { requestId: `${fn}-next-${attempt}` });
          expect(next.error, fn).toBeUndefined();
          expect(json(next.payload).n, fn).toBe(1);
          // Node drops it while the long one waits; Python and Java (their handlers block) just before that one's result.
          // Back in the pool's queue it runs on a new instance before the long one ends, or, when the
          // CPU is saturated (the pool then starts none), on the first instance after it.
          if (fn === 'stall' && recalled() > 0) {
            const longDoneFirst = longDone;
            const elsewhere = json(next.payload).pid !== json((await long).payload).pid;
            expect(longDoneFirst, fn).toBe(!elsewhere);
          }
          expect((await long).error, fn).toBeUndefined();
        }
        expect(recalled(), fn).toBeGreaterThan(0);
        // Each request ran once: one line per request id in what the handler appended.
        const ran = readFileSync(ranLog(fn), 'utf8').split('\n').filter((l) => l.includes(`${fn}-`));
        expect(ran.length, fn).toBe(new Set(ran).size);
        expect(ran.filter((l) => l.includes('-next-')).length, fn).toBeGreaterThan(0);
      }
    } finally {
      await solo.close();
    }
  }, 120_000);
});
