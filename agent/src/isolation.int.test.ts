// Function isolation in the process runtime (docs/security.md), with real processes: each
// instance runs as its own uid, cannot read esb's or another instance's environment, keeps its
// Runtime API to itself, and dies when it allocates past MemorySize, as on Lambda.
// Starting processes as other users needs root: the suite says so loudly when it cannot run.
import { chmodSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { type Agent, createAgent } from './agent.js';
import { DEFAULT_FUNCTION_UIDS } from './isolation.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: function isolation tests need root (processes started as other users)');

const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const ev = (v: unknown) => Buffer.from(JSON.stringify(v));

const NODE_HANDLERS = `
import { closeSync, openSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import net from 'node:net';
export const whoami = async () => {
  const tmp = process.env.TMPDIR;
  writeFileSync(tmp + '/mine.txt', 'x');
  const st = statSync(tmp);
  return { uid: process.getuid(), gid: process.getgid(), pid: process.pid, tmp, tmpMode: (st.mode & 0o777).toString(8), tmpOwner: st.uid, runtimeApi: process.env.AWS_LAMBDA_RUNTIME_API, secretInEnv: Object.keys(process.env).filter((k) => /SECRET/.test(k) && k !== 'AWS_SECRET_ACCESS_KEY') };
};
export const readEnviron = async (event) => {
  try {
    return { ok: true, text: readFileSync('/proc/' + event.pid + '/environ', 'latin1') };
  } catch (err) {
    return { ok: false, code: err.code };
  }
};
export const exiter = async () => {
  process.exit(1);
};
export const slow = async (event) => {
  await new Promise((r) => setTimeout(r, event.ms));
  return { by: 'victim', runtimeApi: process.env.AWS_LAMBDA_RUNTIME_API };
};
// A raw HTTP exchange with a Runtime API, as a foreign process would try it.
export const forge = async (event) => new Promise((resolve) => {
  const [host, port] = event.target.split(':');
  const s = net.connect({ host, port: Number(port) });
  let data = '';
  s.on('data', (c) => (data += c));
  s.on('error', (e) => resolve({ error: e.code }));
  s.on('close', () => resolve({ answer: data.split('\\r\\n')[0] }));
  s.write(event.request);
  setTimeout(() => s.destroy(), 3000);
});
// Opens another process's fd (the instance channel is fd 3), as a foreign process would try.
export const openFd = async (event) => {
  try {
    closeSync(openSync('/proc/' + event.pid + '/fd/3', 'r+'));
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code };
  }
};
export const hog = async () => {
  const keep = [];
  for (let i = 0; i < 60; i++) keep.push(Buffer.alloc(10 * 1024 * 1024, 1));
  return { allocatedMb: keep.length * 10 };
};
export const heapHog = async () => {
  const keep = [];
  for (let i = 0; i < 600; i++) keep.push(new Array(131072).fill(i + 0.5));
  return { arrays: keep.length };
};
`;

const PY_HANDLERS = `
def hog(event, context):
    data = bytearray(600 * 1024 * 1024)
    return {"allocatedMb": len(data) // (1024 * 1024)}

def hello(event, context):
    import os
    return {"hello": "py", "root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd()}
`;

// A custom runtime (provided.al2): its own Runtime API client, which knows nothing of esb's secret.
const CUSTOM_BOOTSTRAP = `#!/usr/bin/python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read() or b"null")
    body = json.dumps({"custom": True, "uid": os.getuid(), "event": event}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
`;

describe.runIf(isRoot)('function isolation, process runtime (esb as root)', () => {
  let agent: Agent;
  let dir: string;

  beforeAll(async () => {
    // Code in a folder other users can read, as the unprivileged function users need.
    dir = mkdtempSync(path.join(tmpdir(), 'esb-isolation-'));
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'node'));
    writeFileSync(path.join(dir, 'node', 'index.mjs'), NODE_HANDLERS);
    // Python code in a folder only root can enter: it runs from a readable copy.
    mkdirSync(path.join(dir, 'closed', 'py'), { recursive: true });
    chmodSync(path.join(dir, 'closed'), 0o700);
    writeFileSync(path.join(dir, 'closed', 'py', 'app.py'), PY_HANDLERS, { mode: 0o600 });
    mkdirSync(path.join(dir, 'custom'));
    writeFileSync(path.join(dir, 'custom', 'bootstrap'), CUSTOM_BOOTSTRAP, { mode: 0o755 });
    process.env.ESB_ISOLATION_TEST_SECRET = 'platform-secret-value';
    agent = await createAgent({
      runtime: 'process',
      logDir: path.join(dir, 'logs'),
      log: pino({ level: 'silent' }),
      schedules: false,
      pinoFunctionLogs: false,
      functionUsers: { kind: 'range', ...DEFAULT_FUNCTION_UIDS },
    });
    const node = (handler: string, extra: Record<string, unknown> = {}) => ({ runtime: 'nodejs20.x', handler, code: path.join(dir, 'node'), ...extra });
    agent.setFunctions(
      FunctionsFile.parse({
        defaults: { scaling: { acquire_timeout: 5 } },
        functions: {
          whoami: node('index.whoami'),
          victim: node('index.slow', { environment: { VICTIM_API_KEY: 'victim-key-123' }, timeout: 10 }),
          spy: node('index.readEnviron'),
          forger: node('index.forge', { timeout: 10 }),
          opener: node('index.openFd'),
          hog: node('index.hog', { memory_size: 128, timeout: 20 }),
          heaphog: node('index.heapHog', { memory_size: 128, timeout: 20 }),
          pyhog: { runtime: 'python3.12', handler: 'app.hog', code: path.join(dir, 'closed', 'py'), memory_size: 128, timeout: 20 },
          pyhello: { runtime: 'python3.12', handler: 'app.hello', code: path.join(dir, 'closed', 'py'), memory_size: 128 },
          custom: { runtime: 'provided.al2', handler: 'unused', code: path.join(dir, 'custom') },
        },
      }),
    );
  });
  afterAll(async () => {
    await agent?.close();
    delete process.env.ESB_ISOLATION_TEST_SECRET;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("another esb on the machine (a second agent) hands out other uids: its ended instances' sweeps never reach this one's live instance", async () => {
    const other = await createAgent({
      runtime: 'process',
      logDir: path.join(dir, 'logs-other'),
      log: pino({ level: 'silent' }),
      schedules: false,
      pinoFunctionLogs: false,
      functionUsers: { kind: 'range', ...DEFAULT_FUNCTION_UIDS },
    });
    const code = path.join(dir, 'node');
    other.setFunctions(FunctionsFile.parse({ functions: { exiter: { runtime: 'nodejs20.x', handler: 'index.exiter', code }, who: { runtime: 'nodejs20.x', handler: 'index.whoami', code } } }));
    try {
      const running = agent.invoke('victim', ev({ ms: 4000 }));
      const mine = json((await agent.invoke('whoami', ev({}))).payload).uid;
      const theirs = json((await other.invoke('who', ev({}))).payload).uid;
      const block = (uid: number) => Math.floor((uid - DEFAULT_FUNCTION_UIDS.first) / 256);
      expect(block(theirs)).not.toBe(block(mine));
      // Each exit ends an instance, and its uid's leftovers are swept (kill -1 as that uid).
      for (let i = 0; i < 12; i++) expect((await other.invoke('exiter', ev({}))).error?.message).toMatch(/Runtime\.ExitError/);
      const survived = await running;
      expect(survived.error).toBeUndefined();
      expect(json(survived.payload).by).toBe('victim');
    } finally {
      await other.close();
    }
  });

  it('runs each instance as its own unprivileged uid with a private TMPDIR, and no secret in its environment', async () => {
    const a = json((await agent.invoke('whoami', ev({}))).payload);
    const b = json((await agent.invoke('victim', ev({ ms: 0 }))).payload);
    expect(a.uid).toBeGreaterThanOrEqual(DEFAULT_FUNCTION_UIDS.first);
    expect(a.uid).toBeLessThan(DEFAULT_FUNCTION_UIDS.first + DEFAULT_FUNCTION_UIDS.count);
    expect(a.gid).toBe(a.uid);
    expect(a.tmpMode).toBe('700');
    expect(a.tmpOwner).toBe(a.uid);
    expect(a.secretInEnv).toEqual([]);
    // Another function's instance: another uid, another Runtime API.
    const again = json((await agent.invoke('whoami', ev({}))).payload);
    expect(again.uid).toBe(a.uid); // the warm instance again
    expect(b.runtimeApi).not.toBe(a.runtimeApi);
  });

  it("cannot read esb's environment nor another function's through /proc/<pid>/environ", async () => {
    const victim = json((await agent.invoke('whoami', ev({}))).payload);
    const ownPid = json((await agent.invoke('spy', ev({ pid: 'self' }))).payload);
    expect(ownPid.ok).toBe(true); // the method works: a process reads its own
    // (a spare-born instance's shows the spare's start-up environment: docs/agent.md#spare-runtimes)
    expect(ownPid.text).toMatch(/AWS_LAMBDA_FUNCTION_NAME=spy|ESB_SPARE=1/);

    const esb = json((await agent.invoke('spy', ev({ pid: process.pid }))).payload);
    expect(esb).toEqual({ ok: false, code: 'EACCES' });
    const other = json((await agent.invoke('spy', ev({ pid: victim.pid }))).payload);
    expect(other).toEqual({ ok: false, code: 'EACCES' });
  });

  it("refuses another process on an instance's Runtime API: no event taken, no answer forged", async () => {
    const inflight = agent.invoke('victim', ev({ ms: 1500 }), { requestId: 'victim-req-1' });
    // Learn the victim's Runtime API address the way an attacker could (it is no secret).
    const { runtimeApi } = json((await agent.invoke('victim', ev({ ms: 0 }))).payload);
    const next = `GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\n\r\n`;
    const forged = 'FORGED BY ATTACKER';
    const answer = `POST /2018-06-01/runtime/invocation/victim-req-1/response HTTP/1.1\r\nhost: x\r\ncontent-length: ${forged.length}\r\n\r\n${forged}`;
    const guessedSecret = `GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\nx-esb-runtime-secret: ${'0'.repeat(48)}\r\n\r\n`;

    // Another function (another uid) and esb's own user (root) are both foreign to the instance.
    for (const request of [next, answer, guessedSecret]) {
      const fromFunction = json((await agent.invoke('forger', ev({ target: runtimeApi, request }))).payload);
      expect(fromFunction.answer).toMatch(/^HTTP\/1\.1 403/);
      const fromRoot = await rawExchange(runtimeApi, request);
      expect(fromRoot).toMatch(/^HTTP\/1\.1 403/);
    }
    const r = await inflight;
    expect(r.error).toBeUndefined();
    expect(json(r.payload).by).toBe('victim');
  });

  it("keeps an instance's channel (fd 3) out of reach of another function and of esb's own user", async () => {
    const victim = json((await agent.invoke('whoami', ev({}))).payload);
    const fromFunction = json((await agent.invoke('opener', ev({ pid: victim.pid }))).payload);
    expect(fromFunction).toEqual({ ok: false, code: 'EACCES' });
    let code: string | undefined;
    try {
      openSync(`/proc/${victim.pid}/fd/3`, 'r+');
    } catch (e) {
      code = (e as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('ENXIO'); // root may look, but a socket pair cannot be opened
    expect((await agent.invoke('whoami', ev({}))).error).toBeUndefined();
  });

  it("runs code its user cannot reach where it lies (a 0700 folder) from a readable copy", async () => {
    const r = json((await agent.invoke('pyhello', ev({}))).payload);
    expect(r.hello).toBe('py');
    expect(r.root).not.toContain(path.join(dir, 'closed'));
    expect(r.cwd).toBe(r.root);
  });

  it('serves a custom runtime, which has no secret, on the strength of its uid', async () => {
    const r = await agent.invoke('custom', ev({ n: 1 }));
    expect(r.error).toBeUndefined();
    const body = json(r.payload);
    expect(body).toMatchObject({ custom: true, event: { n: 1 } });
    expect(body.uid).toBeGreaterThanOrEqual(DEFAULT_FUNCTION_UIDS.first);
  });

  it('kills a function that allocates 600 MB under MemorySize 128, as Lambda does (Node buffers, Node heap, Python)', async () => {
    for (const fn of ['hog', 'heaphog', 'pyhog']) {
      const r = await agent.invoke(fn, ev({}));
      expect(r.error?.kind, fn).toBe('FunctionError');
      const doc = json(r.payload);
      expect(doc.errorType, fn).toBe('Runtime.OutOfMemory');
      expect(doc.errorMessage, fn).toMatch(/^RequestId: \S+ Error: Runtime exited with error: signal: (killed|aborted)$/);
    }
    // The limit leaves room for ordinary work, and a new instance replaces the dead one.
    const ok = json((await agent.invoke('pyhello', ev({}))).payload);
    expect(ok.hello).toBe('py');
  });
});

/** One raw HTTP request to host:port; the status line of the answer (or the error). */
function rawExchange(address: string, request: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) });
    let data = '';
    s.on('data', (c) => (data += c));
    s.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    s.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    s.write(request);
    setTimeout(() => s.destroy(), 3000).unref();
  });
}
