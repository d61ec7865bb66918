// Spare runtimes with real processes (docs/agent.md#spare-runtimes): a cold start handed to a
// pre-started Node or Python bootstrap gets exactly the environment, working folder, TMPDIR and
// uid a process started for it would have; what a spare cannot take stays on a fresh process;
// timeouts, out-of-memory, logs behave as for any instance; nothing is left after close.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { until } from '@esb/contracts/testing';
import { type Agent, createAgent } from './agent.js';
import { DEFAULT_FUNCTION_UIDS, type FunctionUsers } from './isolation.js';
import type { LogRecord } from './logs.js';
import { RESERVED_HEADROOM_MB } from './process-driver.js';

const isRoot = process.getuid?.() === 0;
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const ev = (v: unknown) => Buffer.from(JSON.stringify(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const UNTIL = { timeoutMs: 15_000, everyMs: 25 };

/** The environment a process started with (/proc/<pid>/environ), or undefined when it is gone. */
function startEnvOf(pid: number): Record<string, string> | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return Object.fromEntries(text.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } catch {
    return undefined;
  }
}

/** Processes this test process started that began as spares, with the MemorySize their data limit is for. */
/** Child processes of this one; a child just forked (not yet exec'd) is among them. */
function childPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Spare runtimes among the children: only once exec'd does a child show a spare's environment and limits. */
function sparesOfThisProcess(): Array<{ pid: number; memoryMb: number; tmp?: string }> {
  const out: Array<{ pid: number; memoryMb: number; tmp?: string }> = [];
  for (const pid of childPids()) {
    const name = String(pid);
    try {
      const env = startEnvOf(Number(name));
      if (env?.ESB_SPARE !== '1') continue;
      const limit = /Max data size\s+(\d+)/.exec(readFileSync(`/proc/${name}/limits`, 'utf8'));
      out.push({ pid: Number(name), memoryMb: limit ? Number(limit[1]) / 1024 / 1024 - RESERVED_HEADROOM_MB : 0, tmp: env.TMPDIR });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const NODE_CODE = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const startEnv = () => readFileSync('/proc/self/environ', 'utf8').split('\\0').filter(Boolean);
export const look = async () => ({
  env: { ...process.env },
  cwd: process.cwd(),
  uid: process.getuid(),
  pid: process.pid,
  fromSpare: startEnv().includes('ESB_SPARE=1'),
  globalPaths: createRequire(import.meta.url)('module').globalPaths,
  stackTraceLimit: Error.stackTraceLimit,
  tz: new Date(0).toString(),
  layer: (await import('esb-layer-lib')).default?.hello ?? null,
});
export const never = () => new Promise(() => {});
export const hog = async () => {
  const keep = [];
  for (let i = 0; i < 60; i++) keep.push(Buffer.alloc(10 * 1024 * 1024, 1));
  return keep.length;
};
`;

const PY_CODE = `
import os, sys
def look(event, context):
    with open("/proc/self/environ", "rb") as f:
        start = f.read().split(b"\\0")
    import greeting  # from the layer, through PYTHONPATH
    return {"env": dict(os.environ), "cwd": os.getcwd(), "uid": os.getuid(), "pid": os.getpid(),
            "fromSpare": b"ESB_SPARE=1" in start, "path": sys.path, "layer": greeting.hello()}
`;

// Each instance's own, and each invocation's own trace header.
const IGNORED = ['AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_RUNTIME_API', 'TMPDIR', 'HOME', '_X_AMZN_TRACE_ID'];
const comparable = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !IGNORED.includes(k)));

describe('spare runtimes, process runtime', () => {
  let dir: string;
  const records: LogRecord[] = [];
  const agents: Agent[] = [];
  const users: FunctionUsers | undefined = isRoot ? { kind: 'range', ...DEFAULT_FUNCTION_UIDS } : undefined;

  /** The functions; `gen` changes b's and py's code version (their next invoke is a cold start). */
  const functions = (gen = 0) =>
    FunctionsFile.parse({
      defaults: { environment: { SHARED_DEFAULT: 'd' } },
      functions: {
        a: { runtime: 'nodejs20.x', handler: 'index.look', code: path.join(dir, 'node'), layers: [{ name: 'l', path: path.join(dir, 'layer-node') }], environment: { ONLY_A: 'a-value' }, memory_size: 256 },
        b: { runtime: 'nodejs18.x', handler: 'index.look', code: path.join(dir, 'node'), layers: [{ name: 'l', path: path.join(dir, 'layer-node') }], environment: { ONLY_B: 'b-value', TZ: 'Asia/Tokyo' }, memory_size: 256, digest: `b${gen}` },
        opts: { runtime: 'nodejs20.x', handler: 'index.look', code: path.join(dir, 'node'), layers: [{ name: 'l', path: path.join(dir, 'layer-node') }], environment: { NODE_OPTIONS: '--stack-trace-limit=7' }, memory_size: 256 },
        py: { runtime: 'python3.12', handler: 'app.look', code: path.join(dir, 'closed', 'py'), layers: [{ name: 'l', path: path.join(dir, 'layer-py') }], environment: { ONLY_PY: 'p' }, digest: `py${gen}` },
        never: { runtime: 'nodejs20.x', handler: 'index.never', code: path.join(dir, 'node'), timeout: 0.5 },
        hog: { runtime: 'nodejs20.x', handler: 'index.hog', code: path.join(dir, 'node'), timeout: 20 },
      },
    });

  const start = async (spareRuntimes: number) => {
    const agent = await createAgent({
      runtime: 'process',
      logDir: path.join(dir, `logs-${agents.length}`),
      log: pino({ level: 'silent' }),
      schedules: false,
      pinoFunctionLogs: false,
      logSinks: [{ write: (r) => records.push(r), close: async () => {} }],
      functionUsers: users,
      spareRuntimes,
    });
    agents.push(agent);
    agent.setFunctions(functions());
    return agent;
  };

  let plain: Agent;
  let spared: Agent;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'esb-spares-'));
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'node'));
    writeFileSync(path.join(dir, 'node', 'index.mjs'), NODE_CODE);
    mkdirSync(path.join(dir, 'layer-node', 'nodejs', 'node_modules', 'esb-layer-lib'), { recursive: true });
    writeFileSync(path.join(dir, 'layer-node', 'nodejs', 'node_modules', 'esb-layer-lib', 'index.js'), "module.exports = { hello: 'from the layer' };\n");
    // Python code in a folder only root can enter (as root): it runs from a readable copy.
    mkdirSync(path.join(dir, 'closed', 'py'), { recursive: true });
    if (isRoot) chmodSync(path.join(dir, 'closed'), 0o700);
    writeFileSync(path.join(dir, 'closed', 'py', 'app.py'), PY_CODE);
    mkdirSync(path.join(dir, 'layer-py', 'python'), { recursive: true });
    writeFileSync(path.join(dir, 'layer-py', 'python', 'greeting.py'), 'def hello():\n    return "py layer"\n');
    plain = await start(0);
    spared = await start(3); // keys: Node 128 MB (default), Node 256 MB, Python 128 MB
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands a cold start to a spare: its own environment exactly, its code folder, TMPDIR and uid', async () => {
    // First cold starts of a key (Node 256 MB) start processes; spares of that key follow.
    const aFresh = json((await plain.invoke('a', ev({}))).payload);
    expect(aFresh.fromSpare).toBe(false);
    expect(json((await spared.invoke('b', ev({}))).payload).fromSpare).toBe(false);
    await until(() => sparesOfThisProcess().some((s) => s.memoryMb === 256), 'a 256 MB spare', UNTIL);

    const childrenBefore = new Set(childPids());
    const a = json((await spared.invoke('a', ev({}))).payload);
    expect(a.fromSpare).toBe(true);
    // Its replacement started once it had answered, not the pool's delay later: forked by the
    // next turn of the event loop (a spare's environment shows only once it has exec'd).
    await new Promise((r) => setImmediate(r));
    const started = childPids().filter((pid) => !childrenBefore.has(pid));
    expect(started).toHaveLength(1);
    await until(() => sparesOfThisProcess().some((s) => s.pid === started[0]), 'the replacement spare', UNTIL);
    // Exactly the environment a process started for it gets: nothing of the spare's start-up
    // environment, nothing of another function's.
    expect(comparable(a.env)).toEqual(comparable(aFresh.env));
    expect(a.env.ONLY_A).toBe('a-value');
    expect(a.env.AWS_LAMBDA_INITIALIZATION_TYPE).toBe('on-demand'); // Powertools' cold start, as in a fresh process
    expect(a.env.ONLY_B).toBeUndefined();
    expect(Object.keys(a.env).filter((k) => k.startsWith('ESB_'))).toEqual([]);
    // require's global folders (from HOME, its own TMPDIR here, and NODE_PATH) as at start-up.
    const home = (paths: string[], h: string) => paths.map((p) => p.replace(h, '<home>'));
    expect(home(a.globalPaths, a.env.HOME)).toEqual(home(aFresh.globalPaths, aFresh.env.HOME));
    expect(a.layer).toBe('from the layer'); // NODE_PATH from its layer, in ESM (the resolve hook)
    expect(a.cwd).toBe(path.join(dir, 'node'));
    expect(a.env.TMPDIR).toBeTruthy();
    if (isRoot) {
      expect(a.uid).toBeGreaterThanOrEqual(DEFAULT_FUNCTION_UIDS.first);
      expect(a.env.HOME).toBe(a.env.TMPDIR);
      // The spare's TMPDIR is its instance's, owned by its uid.
      expect(startEnvOf(a.pid)?.TMPDIR).toBe(a.env.TMPDIR);
    }

    // The next spare of the key serves another function: its variables, not a's; its time
    // zone (TZ is applied after start).
    await until(() => sparesOfThisProcess().some((s) => s.memoryMb === 256 && s.pid !== a.pid), 'a new 256 MB spare', UNTIL);
    spared.setFunctions(functions(1));
    const b = json((await spared.invoke('b', ev({}))).payload);
    expect(b.fromSpare).toBe(true);
    expect(b.env.ONLY_B).toBe('b-value');
    expect(b.env.ONLY_A).toBeUndefined();
    expect(b.env.AWS_EXECUTION_ENV).toBe('AWS_Lambda_nodejs18.x');
    expect(b.tz).toContain('GMT+0900');
    expect(b.pid).not.toBe(a.pid);
  });

  it('hands a Python cold start to a spare: environment, PYTHONPATH, code copy, uid', async () => {
    const fresh = json((await plain.invoke('py', ev({}))).payload);
    expect(fresh.fromSpare).toBe(false);
    // The first Python cold start of the spared agent makes Python a recent key.
    json((await spared.invoke('py', ev({}))).payload);
    await until(() => sparesOfThisProcess().some((s) => s.memoryMb === 128 && startEnvOf(s.pid)?.PYTHONUNBUFFERED === '1'), 'a 128 MB Python spare', UNTIL);
    spared.setFunctions(functions(2));
    await sleep(100);
    const p = json((await spared.invoke('py', ev({}))).payload);
    expect(p.fromSpare).toBe(true);
    // The task root is a code copy of each agent's own when esb is root, and so is the runtime: compared apart.
    const root = (v: { env: Record<string, string>; path: string[] }) => ({
      env: comparable({ ...v.env, LAMBDA_TASK_ROOT: '<root>' }),
      path: v.path.map((p) => (p === v.env.LAMBDA_TASK_ROOT ? '<root>' : p.replace(/esb-instances-\w+/, '<each agent>'))),
    });
    expect(root(p)).toEqual(root(fresh));
    expect(p.layer).toBe('py layer');
    expect(p.cwd).toBe(p.env.LAMBDA_TASK_ROOT);
    if (isRoot) {
      expect(p.uid).toBeGreaterThanOrEqual(DEFAULT_FUNCTION_UIDS.first);
      expect(p.cwd).not.toBe(path.join(dir, 'closed', 'py')); // the readable copy
    }
  });

  it('starts a function whose NODE_OPTIONS a spare could not apply as its own process', async () => {
    await until(() => sparesOfThisProcess().some((s) => s.memoryMb === 256), 'a 256 MB spare', UNTIL);
    const r = json((await spared.invoke('opts', ev({}))).payload);
    expect(r.fromSpare).toBe(false);
    expect(r.stackTraceLimit).toBe(7);
    expect(r.env.NODE_OPTIONS).toBe('--stack-trace-limit=7');
  });

  it('times out and runs out of memory on a spare-born instance as on any other', async () => {
    const node128 = () => sparesOfThisProcess().find((s) => s.memoryMb === 128 && startEnvOf(s.pid)?.PYTHONUNBUFFERED === undefined);
    // The spare ends with the instance it became: proof that it served it.
    const first = await until(node128, 'a 128 MB Node spare', UNTIL);
    const t = await spared.invoke('never', ev({}));
    expect(t.error).toEqual({ kind: 'Timeout', message: 'Task timed out after 0.50 seconds' });
    await until(() => !existsSync(`/proc/${first.pid}/status`) || readFileSync(`/proc/${first.pid}/status`, 'utf8').includes('zombie'), 'the first spare to exit', UNTIL);
    const second = await until(
      () => {
        const spare = node128();
        return spare && spare.pid !== first.pid ? spare : undefined;
      },
      'another 128 MB Node spare',
      UNTIL,
    );
    const h = await spared.invoke('hog', ev({}));
    expect(h.error?.kind).toBe('FunctionError');
    expect(json(h.payload).errorType).toBe('Runtime.OutOfMemory');
    await until(() => !existsSync(`/proc/${second.pid}/status`) || readFileSync(`/proc/${second.pid}/status`, 'utf8').includes('zombie'), 'the second spare to exit', UNTIL);
    // The timed-out invocation's REPORT comes with Max Memory Used, as for any instance.
    const reports = records.filter((r) => r.function === 'never' && r.message.startsWith('REPORT'));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toMatch(/Memory Size: 128 MB\tMax Memory Used: \d+ MB/);
  });

  it('replaces a spare that died while idle', async () => {
    const before = await until(() => sparesOfThisProcess().find((s) => s.memoryMb === 128 && startEnvOf(s.pid)?.PYTHONUNBUFFERED === undefined), 'a 128 MB Node spare', UNTIL);
    process.kill(before.pid, 'SIGKILL');
    const after = await until(() => sparesOfThisProcess().find((s) => s.memoryMb === 128 && s.pid !== before.pid && startEnvOf(s.pid)?.PYTHONUNBUFFERED === undefined), 'a new 128 MB Node spare', UNTIL);
    expect(after.pid).not.toBe(before.pid);
  });

  it('kills its spares on close and removes their TMPDIRs', async () => {
    const idle = sparesOfThisProcess();
    expect(idle.length).toBeGreaterThan(0);
    await spared.close();
    for (const s of idle) {
      expect(existsSync(`/proc/${s.pid}`) && !readFileSync(`/proc/${s.pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
      if (s.tmp) expect(existsSync(s.tmp)).toBe(false);
    }
    expect(sparesOfThisProcess()).toEqual([]);
  });
});
