// _X_AMZN_TRACE_ID in esb's own runtime clients (docs/agent.md, "Trace id"): every invocation's
// handler sees a trace header of its own in its environment, as Lambda completes the caller's
// (its root, a parent, Sampled by the function's tracing), or a new one when the caller gave
// none; a Node handler's child process sees it too. Setting it does not go through the C
// library's setenv, which keeps every value it was ever given: the [heap] of an instance (what
// malloc holds, apart from the language's own heap) does not grow with the number of trace ids.
// An asynchronous invocation keeps its request id and trace header through its retries.
import { readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@esb/contracts/testing';
import type { Agent } from './agent.js';
import { ASYNC_RETRY_DELAYS_MS } from './async-invoke.js';
import { type Clock, systemClock } from './clock.js';
import { codeFolder, processAgent } from './testing/process-agent.js';

const NODE = `import { execFileSync } from 'node:child_process';
export const handler = async (event) => ({
  trace: process.env._X_AMZN_TRACE_ID ?? null,
  listed: Object.keys(process.env).includes('_X_AMZN_TRACE_ID'),
  child: event.child ? execFileSync('/bin/sh', ['-c', 'printf %s "$_X_AMZN_TRACE_ID"']).toString() : null,
  pid: process.pid,
});
`;
const PY = `import os
def handler(event, context):
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID"), "listed": "_X_AMZN_TRACE_ID" in dict(os.environ), "pid": os.getpid()}
`;

/** Bytes of the process's [heap] mapping: what malloc holds (V8's and Python's object heaps live elsewhere). */
function mallocHeap(pid: number): number {
  const line = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.endsWith('[heap]'));
  if (!line) return 0;
  const [start, end] = line.split(' ')[0].split('-').map((x) => parseInt(x, 16));
  return end - start;
}

/** A trace header as Lambda gives it to a function: `root` (`Root=1-...`, letters, digits and dashes) and the sampling decision. */
const completed = (root: string, sampled: 0 | 1) => new RegExp(`^${root};Parent=[0-9a-f]{16};Sampled=${sampled}$`);
const NEW_ROOT = 'Root=1-[0-9a-f]{8}-[0-9a-f]{24}';

interface Seen {
  trace: string | null;
  listed: boolean;
  child?: string | null;
  pid: number;
}

describe('the trace id in the environment of esb runtime clients (process runtime)', () => {
  let dir: string;
  let agent: Agent;

  beforeAll(async () => {
    dir = codeFolder('esb-trace-', { 'node/index.mjs': NODE, 'py/app.py': PY });
    agent = await processAgent(dir, {
      // One instance each: its heap is measured over all the invocations.
      node: { runtime: 'nodejs20.x', handler: 'index.handler', code: path.join(dir, 'node'), scaling: { max_capacity: 1 } },
      py: { runtime: 'python3.11', handler: 'app.handler', code: path.join(dir, 'py'), scaling: { max_capacity: 1 } },
      nodeActive: { runtime: 'nodejs20.x', handler: 'index.handler', code: path.join(dir, 'node'), tracing: 'Active' },
      pyActive: { runtime: 'python3.11', handler: 'app.handler', code: path.join(dir, 'py'), tracing: 'Active' },
    });
  });

  afterAll(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (fn: string, traceId: string | undefined, child = false): Promise<Seen> => {
    const r = await agent.invoke(fn, Buffer.from(JSON.stringify({ child })), traceId === undefined ? {} : { traceId });
    expect(r.error, fn).toBeUndefined();
    return JSON.parse(r.payload.toString('utf8')) as Seen;
  };

  for (const fn of ['node', 'py']) {
    it(`${fn}: each invocation sees its own trace header, the caller's completed, a new one when it has none`, async () => {
      expect(await call(fn, 'Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa')).toMatchObject({ trace: expect.stringMatching(completed('Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa', 0)), listed: true });
      const full = 'Root=1-00000002-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=53995c3f42cd8ad8;Sampled=1';
      expect(await call(fn, full)).toMatchObject({ trace: full, listed: true });
      const made = await call(fn, undefined);
      expect(made).toMatchObject({ trace: expect.stringMatching(new RegExp(`^${NEW_ROOT};Parent=[0-9a-f]{16};Sampled=0$`)), listed: true });
      expect((await call(fn, undefined)).trace).not.toBe(made.trace);
    });

    it(`${fn}: with Tracing: Active an invocation nobody decided for is sampled; a caller's decision stands`, async () => {
      expect((await call(`${fn}Active`, undefined)).trace).toMatch(new RegExp(`^${NEW_ROOT};Parent=[0-9a-f]{16};Sampled=1$`));
      expect((await call(`${fn}Active`, 'Root=1-00000003-cccccccccccccccccccccccc')).trace).toMatch(completed('Root=1-00000003-cccccccccccccccccccccccc', 1));
      expect((await call(`${fn}Active`, 'Root=1-00000004-dddddddddddddddddddddddd;Sampled=0')).trace).toMatch(completed('Root=1-00000004-dddddddddddddddddddddddd', 0));
    });

    it(`${fn}: 30,000 invocations with distinct trace ids leave malloc's heap where it was`, async () => {
      let seen = await call(fn, `Root=1-${randomUUID()}`);
      for (let i = 0; i < 1000; i++) seen = await call(fn, `Root=1-${randomUUID()}`); // warm
      const before = mallocHeap(seen.pid);
      for (let i = 0; i < 30_000; i += 8) {
        const ids = Array.from({ length: 8 }, () => `Root=1-${randomUUID()}`);
        const got = await Promise.all(ids.map((id) => call(fn, id)));
        expect(got.map((g) => g.trace?.split(';')[0])).toEqual(ids);
      }
      const after = await call(fn, 'Root=1-last;Parent=53995c3f42cd8ad8;Sampled=0');
      expect(after.pid, 'the same instance throughout').toBe(seen.pid);
      // glibc's setenv kept each value: about 3.4 MB here for 30,000 of them.
      expect(mallocHeap(after.pid) - before).toBeLessThan(512 * 1024);
    }, 120_000);
  }

  it("node: a child process the handler spawns with the default environment sees the invocation's trace id", async () => {
    const seen = await call('node', `Root=1-${randomUUID()}`, true);
    expect(seen.child).toBe(seen.trace);
  });
});

describe("an asynchronous invocation's retries (process runtime)", () => {
  let dir: string;
  let agent: Agent;
  // Retries come at once: what is asserted is what each attempt gets, not when it runs.
  const clock: Clock = { ...systemClock, setTimeout: (fn, ms) => systemClock.setTimeout(fn, (ASYNC_RETRY_DELAYS_MS as readonly number[]).includes(ms) ? 0 : ms) };

  beforeAll(async () => {
    dir = codeFolder('esb-async-ids-', {
      'index.mjs': `export const handler = async (event, context) => {
  console.log(\`attempt \${context.awsRequestId} \${process.env._X_AMZN_TRACE_ID}\`);
  throw new Error(\`\${event.name} fails\`);
};
`,
    });
    agent = await processAgent(dir, { flaky: { runtime: 'nodejs20.x', handler: 'index.handler', code: dir } }, { clock });
  });

  afterAll(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The attempts the function's log shows, as [request id, trace header]. */
  const attempts = (): string[][] => {
    let text = '';
    try {
      text = readFileSync(path.join(dir, 'logs', 'flaky.log'), 'utf8');
    } catch {
      /* not written yet */
    }
    return [...text.matchAll(/\tattempt (\S+) (\S+)/g)].map((m) => [m[1], m[2]]);
  };

  it('runs every attempt with the request id it came with (the Invoke API\'s), else one made when it came, and one trace root', async () => {
    agent.invokeAsync!('flaky', Buffer.from('{"name":"given"}'), { requestId: 'invoke-api-request-id' });
    await until(() => attempts().length === 3, 'three attempts', { timeoutMs: 15_000, everyMs: 25 });
    const given = attempts();
    expect(given.map(([id]) => id)).toEqual(['invoke-api-request-id', 'invoke-api-request-id', 'invoke-api-request-id']);
    const roots = new Set(given.map(([, trace]) => trace.split(';')[0]));
    expect(roots.size).toBe(1);
    for (const [, trace] of given) expect(trace).toMatch(completed([...roots][0], 0));

    agent.invokeAsync!('flaky', Buffer.from('{"name":"made"}'));
    await until(() => attempts().length === 6, 'three more attempts', { timeoutMs: 15_000, everyMs: 25 });
    const made = attempts().slice(3);
    expect(made[0][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(made.map(([id]) => id)).toEqual([made[0][0], made[0][0], made[0][0]]);
    expect(new Set(made.map(([, trace]) => trace.split(';')[0])).size).toBe(1);
  });
});
