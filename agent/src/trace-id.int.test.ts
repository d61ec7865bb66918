// _X_AMZN_TRACE_ID in esb's own runtime clients (docs/agent.md, "Trace id"): each invocation's
// handler sees its own trace id in its environment, and none when the invocation has none; a
// Node handler's child process sees it too. Setting it does not go through the C library's
// setenv, which keeps every value it was ever given: the [heap] of an instance (what malloc
// holds, apart from the language's own heap) does not grow with the number of trace ids.
import { readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from './agent.js';
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
    it(`${fn}: each invocation sees its own trace id, and none when it has none`, async () => {
      for (const traceId of ['Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa', 'Root=1-00000002-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=53995c3f42cd8ad8;Sampled=1']) {
        expect(await call(fn, traceId)).toMatchObject({ trace: traceId, listed: true });
      }
      expect(await call(fn, undefined)).toMatchObject({ trace: null, listed: false });
      expect(await call(fn, 'Root=1-00000003-cccccccccccccccccccccccc')).toMatchObject({ trace: 'Root=1-00000003-cccccccccccccccccccccccc', listed: true });
    });

    it(`${fn}: 30,000 invocations with distinct trace ids leave malloc's heap where it was`, async () => {
      let seen = await call(fn, `Root=1-${randomUUID()}`);
      for (let i = 0; i < 1000; i++) seen = await call(fn, `Root=1-${randomUUID()}`); // warm
      const before = mallocHeap(seen.pid);
      for (let i = 0; i < 30_000; i += 8) {
        const ids = Array.from({ length: 8 }, () => `Root=1-${randomUUID()}`);
        const got = await Promise.all(ids.map((id) => call(fn, id)));
        expect(got.map((g) => g.trace)).toEqual(ids);
      }
      const after = await call(fn, 'Root=1-last');
      expect(after.pid, 'the same instance throughout').toBe(seen.pid);
      // glibc's setenv kept each value: about 3.4 MB here for 30,000 of them.
      expect(mallocHeap(after.pid) - before).toBeLessThan(512 * 1024);
    }, 120_000);
  }

  it("node: a child process the handler spawns with the default environment sees the invocation's trace id", async () => {
    const traceId = `Root=1-${randomUUID()}`;
    expect((await call('node', traceId, true)).child).toBe(traceId);
  });
});
