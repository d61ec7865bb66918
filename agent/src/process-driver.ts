// InstanceDriver for local processes (the embedded default): the runtime's bootstrap client
// runs as a child process in the function's code folder with only the Lambda environment,
// as its own unprivileged user when esb runs as root, under MemorySize (docs/security.md).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { customRuntimeEntry, isJavaRuntime } from '@esb/contracts';
import type { InstanceDriver, InstanceHandle, InstanceSpec } from './driver.js';
import { baseInstanceEnv, isNodeRuntime, isPythonRuntime, processRuntimePath, type TrustFiles, trustEnv } from './env.js';
import { type FunctionUsers, LAMBDA_MAX_FILES, LAMBDA_MAX_PROCESSES, ReadableCopies, readProblem, rewritePaths, UidPool } from './isolation.js';
import { LineSplitter } from './lines.js';
import { UidClaims } from './uid-claims.js';
import { lambdaNodeOptions } from './node-options.js';
import { CHANNEL_ENV, CHANNEL_FD, encodeFrame, FRAME_ASSIGN, SPARE_ENV } from './instance-channel.js';
import { chooseJavaHome, findJavaHomes, javaClientClasses, javaCommand, type JavaHome, prebuiltJavaClasses } from './java-runtime.js';
import { type SpareKey, SparePool, type SpareRuntime, spareMismatch, spareRuntimeName, spareRuntimeOf } from './spares.js';
import type { Duplex, Readable } from 'node:stream';

export const RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'runtime');

export class UnsupportedRuntimeError extends Error {
  override name = 'UnsupportedRuntimeError';
  constructor(
    readonly functionName: string,
    readonly runtime: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface ProcessDriverOptions {
  /** Python interpreter (the CLI passes choosePython's); default /usr/bin/python3 when it exists, else python3 on PATH. */
  python?: string;
  /** Node binary; default the agent's own. */
  node?: string;
  /** JDK or JRE for java* functions (ESB_JAVA_HOME); default the best fit in /usr/lib/jvm (java-runtime.ts). */
  javaHome?: string;
  /** Grace between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
  /** Which user instances run as (default: none, esb's own; see isolation.ts). */
  users?: FunctionUsers;
  /** Where this esb claims its blocks of a uid range (default: uid-claims.ts's UID_CLAIMS_DIRS). */
  uidClaimsDir?: string;
  /** prlimit (util-linux), which applies MemorySize and Lambda's quotas; default the one on PATH. */
  prlimit?: string;
  /** Told once when a limit cannot be applied. */
  warn?: (message: string) => void;
  /**
   * esb's Node and Python clients take their events over the instance channel (default true;
   * false: the HTTP Runtime API, as custom runtimes always do). docs/agent.md#the-instance-channel
   */
  runtimeChannel?: boolean;
  /**
   * Pre-started Node/Python runtimes that cold starts are handed to (docs/agent.md#spare-runtimes):
   * at most `max` idle (0: none), one per runtime and MemorySize recently started.
   */
  spares?: { max: number; runtimes?: SpareRuntime[] };
  /** esb's local CA files, which every instance is told to trust: spares start with them too (Node reads them at start). */
  trustFiles?: TrustFiles;
}

/** The first of `candidates` that exists, else undefined. */
function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((c) => existsSync(c));
}

/** Lines a runtime writes when it runs out of memory (V8's fatal error, esb's bootstraps). */
const OUT_OF_MEMORY_LINE = /JavaScript heap out of memory|Fatal process out of memory|^Runtime\.OutOfMemory:/;
export interface PythonChoice {
  python: string;
  /** Whether it imports boto3, as Lambda's Python runtimes do. */
  boto3: boolean;
}

const chosen = new Map<string, PythonChoice>();

/**
 * Whether any user may run `file`: functions run as their own unprivileged users when esb is
 * root (docs/security.md), so an interpreter under /root (pyenv, a venv) would not start.
 */
export function runnableByOthers(file: string): boolean {
  try {
    const real = realpathSync(file);
    if ((statSync(real).mode & 0o001) === 0) return false;
    for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === path.dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}

/**
 * Every python3 in `searchPath` (a PATH value, in order), then /usr/bin/python3; only those
 * other users can run, and, behind a pyenv-style shim, only interpreters reached directly.
 */
export function pythonCandidates(searchPath = ''): string[] {
  const out: string[] = [];
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, 'python3');
    // As root, functions run as other users (docs/security.md): their interpreter must be runnable by them.
    if (existsSync(p) && !out.includes(p) && (process.getuid?.() !== 0 || runnableByOthers(p))) out.push(p);
  }
  if (existsSync('/usr/bin/python3') && !out.includes('/usr/bin/python3')) out.push('/usr/bin/python3');
  return out;
}

/**
 * The interpreter of the process runtime: `explicit` (ESB_PYTHON) when given, else the first
 * python3 of `searchPath` (PATH) that has boto3 (Lambda's Python runtimes include it), else the
 * first python3 found, flagged so deploys can say what to install (docs/agent.md). Probed once.
 */
export function choosePython(opts: { explicit?: string; searchPath?: string } = {}): PythonChoice {
  const key = `${opts.explicit ?? ''}\0${opts.searchPath ?? ''}`;
  const known = chosen.get(key);
  if (known) return known;
  const has = (python: string) => spawnSync(python, ['-c', 'import boto3'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  let choice: PythonChoice | undefined;
  if (opts.explicit) choice = { python: opts.explicit, boto3: has(opts.explicit) };
  const candidates = choice ? [] : pythonCandidates(opts.searchPath);
  for (const python of candidates) {
    if (has(python)) {
      choice = { python, boto3: true };
      break;
    }
  }
  choice ??= { python: candidates[0] ?? 'python3', boto3: false };
  chosen.set(key, choice);
  return choice;
}

/** What to say when the process runtime's Python lacks boto3 (undefined when it has it). */
export function pythonBoto3Note(choice: PythonChoice): string | undefined {
  if (choice.boto3) return undefined;
  return `${choice.python} has no boto3 (Lambda's Python runtime has it): install it with \`${choice.python} -m pip install boto3\` (Debian: \`apt-get install python3-boto3\`), or name an interpreter that has it in ESB_PYTHON`;
}

export function defaultPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * What RLIMIT_DATA allows beyond MemorySize. It counts reserved writable memory, not resident
 * pages: a Node instance reserves about 45 MB it never touches (thread stacks, the loader
 * thread's heap), so a Node function using the S3 client (82 MB resident) reached 127.5 of 128 MB
 * and died now and then where Lambda, which counts resident memory, runs it.
 */
export const RESERVED_HEADROOM_MB = 64;

/**
 * prlimit arguments for an instance: RLIMIT_DATA = MemorySize + RESERVED_HEADROOM_MB (the heap
 * and every private writable mapping: an allocation past it fails, and the runtime dies as
 * Lambda's does), no core files, and Lambda's process and file-descriptor quotas when the
 * instance has a uid of its own (RLIMIT_NPROC counts every process of a uid).
 */
export function limitArgs(memoryMb: number, ownUid: boolean): string[] {
  const bytes = (memoryMb + RESERVED_HEADROOM_MB) * 1024 * 1024;
  const args = [`--data=${bytes}:${bytes}`, '--core=0:0', `--nofile=${LAMBDA_MAX_FILES}:${LAMBDA_MAX_FILES}`];
  if (ownUid) args.push(`--nproc=${LAMBDA_MAX_PROCESSES}:${LAMBDA_MAX_PROCESSES}`);
  return args;
}

/** The command that runs an instance of `spec` in the process runtime. */
export function processCommand(
  spec: InstanceSpec,
  opts: { python: string; node: string; runtimeDir?: string; java?: { java: string; classes: string; channel: boolean } },
): { file: string; args: string[] } {
  const runtimeDir = opts.runtimeDir ?? RUNTIME_DIR;
  if (isNodeRuntime(spec.runtime)) return { file: opts.node, args: [...lambdaNodeOptions(spec.memoryMb), path.join(runtimeDir, 'nodejs', 'bootstrap.mjs')] };
  if (isPythonRuntime(spec.runtime)) return { file: opts.python, args: [path.join(runtimeDir, 'python', 'bootstrap.py')] };
  if (isJavaRuntime(spec.runtime) && opts.java) return javaCommand(spec, opts.java.java, opts.java.classes, opts.java.channel);
  const entry = customRuntimeEntry(spec.runtime, spec.handler);
  if (entry && spec.codeDir) return { file: path.join(spec.codeDir, entry), args: [] };
  throw new UnsupportedRuntimeError(
    spec.functionName,
    spec.runtime,
    `function ${spec.functionName}: runtime "${spec.runtime ?? '(none)'}" cannot run in the process runtime (nodejs*, python3.*, java*, provided* with a bootstrap file, go1.x with its Handler executable)`,
  );
}

/**
 * The warning for a function whose runtime names another version than the interpreter that
 * runs it here (`nodejs18.x` on Node 20, `python3.11` on Python 3.13); undefined when they agree
 * or a version is unknown.
 */
export function runtimeVersionWarning(runtime: string | undefined, machine: { node?: string; python?: string }): string | undefined {
  const nodeWanted = /^nodejs(\d+)\.x$/.exec(runtime ?? '')?.[1];
  if (nodeWanted && machine.node) {
    const have = machine.node.replace(/^v/, '').split('.')[0];
    if (have !== nodeWanted) return `runtime ${runtime} runs on this machine's Node.js ${machine.node.replace(/^v/, '')} (process runtime)`;
  }
  const pythonWanted = /^python(3\.\d+)$/.exec(runtime ?? '')?.[1];
  if (pythonWanted && machine.python && machine.python !== pythonWanted) {
    return `runtime ${runtime} runs on this machine's Python ${machine.python} (process runtime)`;
  }
  return undefined;
}

/** `major.minor` of a Python interpreter, or undefined when it does not run. */
function pythonVersion(python: string): string | undefined {
  const r = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

const READ_NOW = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a child's output pipe synchronously until it is empty (it is non-blocking: EAGAIN), ahead
 * of the stream's own reads, so that its lines are split in order before what comes next.
 */
function readNow(stream: Readable | null, lines: LineSplitter): void {
  const fd = (stream as { _handle?: { fd?: number } } | null)?._handle?.fd;
  if (fd === undefined || fd < 0) return;
  // The read that finds the pipe empty throws, once per invocation: an error without a stack
  // trace costs about half as much (walking the optimized frames was most of it).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (;;) {
      const n = readSync(fd, READ_NOW, 0, READ_NOW.length, null);
      if (n <= 0) return;
      lines.push(READ_NOW.subarray(0, n)); // decoded at once: the buffer is free again after
    }
  } catch {
    return; // EAGAIN: nothing more now (or the pipe is closed)
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** What the driver tells a process about the instance it serves: through stdin, or the assignment of a spare. */
interface RunningProcess {
  readonly identity?: { uid: number; gid: number };
  readonly tmp?: string;
  /** Released when the process is gone (code copies). */
  readonly staged: Array<{ release(): void }>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  readonly channel?: Duplex;
  /** Where output lines go (a spare's change when it is assigned). */
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  outOfMemory(): boolean;
  /** Reads stdout and stderr as far as they go now, into their lines (see InstanceHandle.readOutput). */
  readOutput(): void;
  gone(): boolean;
  stop(): Promise<void>;
  maxMemoryUsedMb(): number | undefined;
}

/** The environment a spare starts with: what every instance of its runtime starts with (baseInstanceEnv), nothing of a function. */
export function spareStartEnv(runtime: SpareRuntime, opts: { node: string; tmp?: string; trust?: TrustFiles }): Record<string, string> {
  const env = baseInstanceEnv({ runtime: spareRuntimeName(runtime), path: processRuntimePath(opts.node), home: opts.tmp });
  if (opts.tmp) env.TMPDIR = opts.tmp;
  if (opts.trust) Object.assign(env, trustEnv(opts.trust));
  return { ...env, [CHANNEL_ENV]: String(CHANNEL_FD), [SPARE_ENV]: '1' };
}

/** Placeholder for the instance's own TMPDIR/HOME when comparing environments (each spare has its own). */
const OWN_TMP = '\0own-tmp';

export function createProcessDriver(opts: ProcessDriverOptions = {}): InstanceDriver {
  const python = opts.python ?? defaultPython();
  const node = opts.node ?? process.execPath;
  const nodeVersion = node === process.execPath ? process.versions.node : spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim();
  let machinePython: string | undefined | null = null; // null: not asked yet (costs a python start)
  const grace = opts.stopGraceMs ?? 300;
  const live = new Set<InstanceHandle>();
  const users: FunctionUsers = opts.users ?? { kind: 'none' };
  const uidClaims = users.kind === 'range' ? new UidClaims({ first: users.first, count: users.count, ...(opts.uidClaimsDir ? { dir: opts.uidClaimsDir } : {}) }) : undefined;
  const uids = uidClaims ? new UidPool(() => uidClaims.claim()) : undefined;
  /** Leftover sweeps still running: a claim is released only after them (its uids may go to another esb). */
  const sweeps = new Set<Promise<void>>();
  const prlimit = opts.prlimit ?? firstExisting(['/usr/bin/prlimit', '/bin/prlimit']);
  const killer = firstExisting(['/usr/bin/kill', '/bin/kill']);
  if (!prlimit) opts.warn?.('prlimit (util-linux) not found: MemorySize is not enforced in the process runtime');
  const channelOn = opts.runtimeChannel !== false;
  let javaHomes: JavaHome[] | undefined; // looked up at the first Java function
  let javaClasses: Promise<string> | undefined; // the image's prebuilt classes, else compiled once
  /** The JVM and the compiled client for a java* function. */
  const javaFor = async (spec: InstanceSpec): Promise<{ java: string; classes: string }> => {
    javaHomes ??= findJavaHomes(opts.javaHome);
    const chosen = chooseJavaHome(spec.runtime!, javaHomes);
    if (!chosen) {
      throw new UnsupportedRuntimeError(spec.functionName, spec.runtime, `function ${spec.functionName}: runtime ${spec.runtime} needs a Java runtime: none found in ${opts.javaHome ?? '/usr/lib/jvm'} (Debian: apt-get install default-jdk-headless; or set ESB_JAVA_HOME)`);
    }
    javaClasses ??= javaClassesFor(spec, javaHomes);
    return { java: path.join(chosen.home.home, 'bin', 'java'), classes: await javaClasses };
  };
  const javaClassesFor = (spec: InstanceSpec, homes: JavaHome[]): Promise<string> => {
    const prebuilt = prebuiltJavaClasses();
    if (prebuilt) return Promise.resolve(prebuilt);
    const jdk = [...homes].sort((a, b) => b.major - a.major).find((h) => h.javac);
    if (!jdk) throw new UnsupportedRuntimeError(spec.functionName, spec.runtime, `function ${spec.functionName}: esb's Java runtime client is compiled once with javac, and no JDK was found (Debian: apt-get install default-jdk-headless)`);
    const compiling = javaClientClasses(path.join(jdk.home, 'bin', 'javac'));
    compiling.catch(() => {
      if (javaClasses === compiling) javaClasses = undefined; // asked again at the next start
    });
    return compiling;
  };
  // Private /tmp folders of instances that run as other users: in a root-owned folder they can
  // pass through but not list. The runtime clients are copied next to them, so that they stay
  // readable wherever esb is installed (a home folder is often closed to others).
  let tmpRoot: string | undefined;
  let codeCopies: ReadableCopies | undefined;
  const isolationRoot = (): string => {
    if (!tmpRoot) {
      tmpRoot = mkdtempSync(path.join(tmpdir(), 'esb-instances-'));
      chmodSync(tmpRoot, 0o711);
      for (const rt of ['nodejs', 'python']) {
        cpSync(path.join(RUNTIME_DIR, rt), path.join(tmpRoot, 'runtime', rt), { recursive: true });
      }
      chmodSync(path.join(tmpRoot, 'runtime'), 0o755);
    }
    return tmpRoot;
  };
  const instanceTmp = (id: string, uid: number, gid: number): string => {
    const dir = path.join(isolationRoot(), id);
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, uid, gid);
    return dir;
  };
  const takeIdentity = (): { uid: number; gid: number } | undefined => {
    if (users.kind === 'fixed') return { uid: users.uid, gid: users.gid };
    if (!uids) return undefined;
    const uid = uids.take();
    if (uid === undefined) {
      const others = uidClaims!.owners();
      throw new Error(
        `no function uid is free: the ${uids.held} this esb holds are in use${others.length ? `, and other esb processes (pid ${others.join(', ')}) hold the rest of the range` : ''} (ESB_FUNCTION_USER chooses the range)`,
      );
    }
    return { uid, gid: uid };
  };
  const releaseUid = (identity: { uid: number } | undefined) => {
    if (identity && uids) uids.release(identity.uid);
  };
  /** The runtime command as `identity` runs it, checked readable by that user. */
  const commandFor = (spec: InstanceSpec, identity: { uid: number; gid: number } | undefined, java?: { java: string; classes: string; channel: boolean }) => {
    const runtimeDir = users.kind === 'none' ? undefined : path.join(isolationRoot(), 'runtime');
    const cmd = processCommand(spec, { python, node, runtimeDir, java });
    if (identity) {
      for (const p of [cmd.file, ...cmd.args].filter((a) => path.isAbsolute(a))) {
        const problem = readProblem(p, identity.uid, identity.gid);
        if (problem) {
          throw new Error(
            `function ${spec.functionName} runs as uid ${identity.uid} (esb runs functions as an unprivileged user, docs/security.md), which cannot read ${p}: ${problem}. ` +
              "Install it where others can read it, or set ESB_FUNCTION_USER=none to run functions as esb's own user",
          );
        }
      }
    }
    return cmd;
  };
  /** Code and layers the instance's user cannot reach where they are run from a readable copy. */
  const stageCode = async (spec: InstanceSpec, identity: { uid: number; gid: number }, env: Record<string, string>, staged: Array<{ release(): void }>) => {
    const copies = (codeCopies ??= new ReadableCopies(path.join(isolationRoot(), 'task')));
    let cwd = spec.codeDir;
    const layerDirs: string[] = [];
    for (const src of [spec.codeDir, ...spec.layerDirs]) {
      if (!src) continue;
      const copy = await copies.acquire(src, spec.codeVersion ?? spec.instanceId, identity.uid, identity.gid);
      staged.push(copy);
      rewritePaths(env, src, copy.dir);
      if (src === spec.codeDir) cwd = copy.dir;
      else layerDirs.push(copy.dir);
    }
    return { cwd, layerDirs };
  };

  /** Starts a process (under prlimit, as `identity`); nothing awaited, so that its handle can be attached at once. */
  const spawnProcess = (p: {
    cmd: { file: string; args: string[] };
    cwd?: string;
    env: Record<string, string>;
    memoryMb: number;
    identity?: { uid: number; gid: number };
    tmp?: string;
    staged: Array<{ release(): void }>;
    stdinLine?: string;
    channel: boolean;
    onLine: RunningProcess['onLine'];
  }): RunningProcess => {
    const { cmd, identity, tmp, staged } = p;
    const file = prlimit ? prlimit : cmd.file;
    const args = prlimit ? [...limitArgs(p.memoryMb, users.kind === 'range'), '--', cmd.file, ...cmd.args] : cmd.args;
    const child = spawn(file, args, {
      cwd: p.cwd,
      env: p.env,
      // fd 3: the instance channel, a socket pair only this process (and what it starts) holds.
      stdio: [p.stdinLine !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(p.channel ? (['pipe'] as const) : [])],
      detached: true, // own process group: stop() ends the handler's children too
      ...(identity ?? {}),
    });
    if (child.stdin) {
      // The secret goes through a pipe, not the environment (/proc/<pid>/environ).
      child.stdin.on('error', () => {});
      child.stdin.end(p.stdinLine);
    }
    let outOfMemory = false;
    const proc: RunningProcess = {
      identity,
      tmp,
      staged,
      onLine: p.onLine,
      channel: p.channel ? (child.stdio[CHANNEL_FD] as Duplex) : undefined,
      outOfMemory: () => outOfMemory,
      readOutput: () => {
        // Only once it has printed: a function that never does pays no read per invocation.
        if (printed) {
          readNow(child.stdout, out);
          readNow(child.stderr, err);
        }
      },
      gone: () => child.exitCode !== null || child.signalCode !== null || done,
      exited: undefined as unknown as RunningProcess['exited'],
      async stop() {
        if (proc.gone()) return;
        kill('SIGTERM');
        const t = setTimeout(() => kill('SIGKILL'), grace);
        await proc.exited;
        clearTimeout(t);
      },
      maxMemoryUsedMb() {
        if (!child.pid) return undefined;
        // /proc reads cost tens of µs: at most every 500 ms per instance (VmHWM only grows).
        const now = performance.now();
        if (now - readAt < 500 && peakKb) return Math.ceil(peakKb / 1024);
        readAt = now;
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) peakKb = Math.max(peakKb, Number(m[1]));
        } catch {
          /* exited or no procfs */
        }
        return peakKb ? Math.ceil(peakKb / 1024) : undefined;
      },
    };
    const out = new LineSplitter((l) => proc.onLine('stdout', l));
    const err = new LineSplitter((l) => {
      if (OUT_OF_MEMORY_LINE.test(l)) outOfMemory = true;
      proc.onLine('stderr', l);
    });
    let printed = false;
    child.stdout!.on('data', (c: Buffer) => {
      printed = true;
      out.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      printed = true;
      err.push(c);
    });
    let done = false;
    (proc as { exited: RunningProcess['exited'] }).exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: string | null) => {
        if (done) return;
        done = true;
        out.end();
        err.end();
        resolve({ code, signal });
        for (const c of staged.splice(0)) c.release();
        if (identity && uids) {
          // A process the instance left behind in another session dies with it, before its
          // uid serves another instance (kill -1 as that uid reaches that uid's processes only).
          if (killer) {
            const sweep = spawn(killer, ['-KILL', '--', '-1'], { stdio: 'ignore', uid: identity.uid, gid: identity.gid });
            const swept = new Promise<void>((resolve) => {
              sweep.on('error', () => resolve());
              sweep.on('exit', () => resolve());
            }).then(() => {
              releaseUid(identity);
              sweeps.delete(swept);
            });
            sweeps.add(swept);
          } else releaseUid(identity);
        }
        // Off the event loop: a big TMPDIR took hundreds of ms to remove synchronously.
        if (tmp) void rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      };
      child.on('exit', (code, signal) => finish(code, signal));
      child.on('error', (e) => {
        proc.onLine('stderr', `esb: cannot start ${cmd.file}: ${e.message}`);
        finish(127, null);
      });
    });
    let peakKb = 0;
    let readAt = 0;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    return proc;
  };

  /** The instance's handle on a running process (one started for it, or a spare it was given). */
  const handleOf = (id: string, proc: RunningProcess, served?: () => void): InstanceHandle => {
    const handle: InstanceHandle = {
      id,
      exited: proc.exited,
      runtimeApiUid: proc.identity?.uid ?? process.getuid?.(),
      outOfMemory: proc.outOfMemory,
      readOutput: proc.readOutput,
      channel: proc.channel,
      stop: proc.stop,
      maxMemoryUsedMb: proc.maxMemoryUsedMb,
      served,
    };
    live.add(handle);
    void proc.exited.then(() => live.delete(handle));
    return handle;
  };

  // Spare runtimes (docs/agent.md#spare-runtimes): started ahead as an instance would be, but
  // with no function's environment; each serves one instance and is never returned.
  interface Spare {
    key: SpareKey;
    proc: RunningProcess;
    /** Its last output lines (a spare that dies idle says why). */
    lines: string[];
  }
  const sparesWanted = (opts.spares?.max ?? 0) > 0 && channelOn;
  const spareRuntimes = new Set(opts.spares?.runtimes ?? ['node', 'python']);
  let spareSeq = 0;
  const pendingSpareExits = new Set<Promise<unknown>>();
  const spares = sparesWanted
    ? new SparePool<Spare>(
        {
          maxTotal: opts.spares!.max,
          perKey: 1,
          defaults: spareRuntimes.has('node') ? [{ runtime: 'node', memoryMb: 128 }] : [],
          replaceDelayMs: 1000,
          backoffMs: 1000,
          maxBackoffMs: 60_000,
        },
        {
          spawn(key) {
            const identity = takeIdentity();
            try {
              const id = `spare-${process.pid}-${++spareSeq}`;
              const cmd = commandFor({ functionName: `(spare ${key.runtime})`, instanceId: id, runtime: spareRuntimeName(key.runtime), layerDirs: [], memoryMb: key.memoryMb, env: {} }, identity);
              const tmp = identity ? instanceTmp(id, identity.uid, identity.gid) : undefined;
              const lines: string[] = [];
              const proc = spawnProcess({
                cmd,
                cwd: tmp ?? '/',
                env: spareStartEnv(key.runtime, { node, tmp, trust: opts.trustFiles }),
                memoryMb: key.memoryMb,
                identity,
                tmp,
                staged: [],
                channel: true,
                onLine: (stream, line) => {
                  lines.push(`${stream}: ${line}`);
                  if (lines.length > 10) lines.shift();
                },
              });
              const spare: Spare = { key, proc, lines };
              void proc.exited.then(({ code, signal }) => spares!.died(key, spare, `it exited (${signal ?? `code ${code}`})${lines.length ? `: ${lines.join(' | ')}` : ''}`));
              return spare;
            } catch (err) {
              releaseUid(identity);
              throw err;
            }
          },
          kill(spare) {
            const stopping = spare.proc.stop();
            pendingSpareExits.add(stopping);
            void stopping.finally(() => pendingSpareExits.delete(stopping));
          },
          failed(key, why, retryInMs) {
            opts.warn?.(`spare ${key.runtime} runtime (${key.memoryMb} MB) failed: ${why}; next try in ${Math.round(retryInMs / 1000)} s`);
          },
        },
        { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) },
      )
    : undefined;
  spares?.start();

  // What a cold start's environment is compared with, once per driver: isolated instances and
  // spares each have a TMPDIR/HOME of their own, compared as one placeholder.
  const isolated = users.kind !== 'none';
  const own: Record<string, string> = isolated ? { HOME: OWN_TMP, TMPDIR: OWN_TMP } : {};
  const startEnvOf = (runtime: SpareRuntime) => spareStartEnv(runtime, { node, tmp: isolated ? OWN_TMP : undefined, trust: opts.trustFiles });
  const startEnvs: Record<SpareRuntime, Record<string, string>> = { node: startEnvOf('node'), python: startEnvOf('python') };

  /** A spare of the runtime and MemorySize of `spec`, when one may serve it. */
  const spareFor = (spec: InstanceSpec): Spare | undefined => {
    const runtime = spareRuntimeOf(spec.runtime);
    if (!spares || !runtime || !spareRuntimes.has(runtime)) return undefined;
    if (spareMismatch({ runtime: spec.runtime, env: { ...spec.env, ...own }, channel: channelOn }, startEnvs[runtime])) return undefined;
    for (;;) {
      const spare = spares.take({ runtime, memoryMb: spec.memoryMb });
      if (!spare || !spare.proc.gone()) return spare;
    }
  };

  const assigning = new Set<RunningProcess>();
  /** Makes a spare the instance of `spec`: its code, environment and working folder, over the channel. */
  const assign = async (spare: Spare, spec: InstanceSpec, onLine: RunningProcess['onLine']): Promise<InstanceHandle> => {
    const { proc } = spare;
    const env = { ...spec.env };
    let cwd = spec.codeDir;
    assigning.add(proc); // neither idle nor an instance yet: close() must still end it
    try {
      if (proc.identity) {
        ({ cwd } = await stageCode(spec, proc.identity, env, proc.staged));
        env.TMPDIR = proc.tmp!;
        env.HOME = proc.tmp!;
      }
    } catch (err) {
      void proc.stop();
      throw err;
    } finally {
      assigning.delete(proc);
    }
    env[CHANNEL_ENV] = String(CHANNEL_FD);
    proc.onLine = onLine;
    for (const l of spare.lines) onLine('stderr', `(before this instance) ${l}`);
    proc.channel!.write(encodeFrame(FRAME_ASSIGN, '', Buffer.from(JSON.stringify({ env, cwd, secret: spec.runtimeApiSecret }))));
    // Its replacement starts once this instance has answered its first event (or after the
    // pool's delay), off the cold start's path: starting a process blocks the event loop.
    let replaced = false;
    return handleOf(spec.instanceId, proc, () => {
      if (replaced) return;
      replaced = true;
      setImmediate(() => spares?.replaceNow(spare.key));
    });
  };

  return {
    kind: 'process',
    runtimeApiBindHost: '127.0.0.1',
    runtimeApiAdvertiseHost: '127.0.0.1',
    versionWarning(runtime) {
      if (isJavaRuntime(runtime)) return chooseJavaHome(runtime!, (javaHomes ??= findJavaHomes(opts.javaHome)))?.warning;
      if (isPythonRuntime(runtime) && machinePython === null) machinePython = pythonVersion(python);
      return runtimeVersionWarning(runtime, { node: nodeVersion, python: machinePython ?? undefined });
    },
    async start(spec, onLine) {
      const spare = spareFor(spec);
      if (spare) return assign(spare, spec, onLine);
      const ours = isNodeRuntime(spec.runtime) || isPythonRuntime(spec.runtime);
      // esb's Java client takes the channel on its standard input; without it, HTTP with the secret.
      const java = isJavaRuntime(spec.runtime) ? { ...(await javaFor(spec)), channel: channelOn } : undefined;
      const identity = takeIdentity();
      const staged: Array<{ release(): void }> = [];
      const release = () => {
        for (const s of staged.splice(0)) s.release();
        releaseUid(identity);
      };
      const env = { ...spec.env };
      let cwd = spec.codeDir;
      let cmd: { file: string; args: string[] };
      let tmp: string | undefined;
      try {
        if (!identity) cmd = commandFor(spec, undefined, java);
        else {
          const code = await stageCode(spec, identity, env, staged);
          cwd = code.cwd;
          cmd = commandFor({ ...spec, codeDir: cwd, layerDirs: code.layerDirs }, identity, java);
          tmp = instanceTmp(spec.instanceId, identity.uid, identity.gid);
          env.TMPDIR = tmp;
          env.HOME = tmp;
        }
      } catch (e) {
        release();
        throw e;
      }
      const withSecret = (ours || (java !== undefined && !java.channel)) && spec.runtimeApiSecret !== undefined;
      if (withSecret) env.ESB_ENV_STDIN = '1';
      const channel = (ours || java !== undefined) && channelOn;
      if (ours && channelOn) env[CHANNEL_ENV] = String(CHANNEL_FD);
      // Nothing is awaited from here until the handle is returned: the pool attaches it before
      // any connection of the instance can reach its Runtime API.
      const proc = spawnProcess({
        cmd,
        cwd,
        env,
        memoryMb: spec.memoryMb,
        identity,
        tmp,
        staged,
        stdinLine: withSecret ? `${JSON.stringify({ ESB_RUNTIME_SECRET: spec.runtimeApiSecret })}\n` : undefined,
        channel,
        onLine,
      });
      return handleOf(spec.instanceId, proc);
    },
    async close() {
      spares?.close(); // kills the idle spares: their exits are in pendingSpareExits
      await Promise.all([...[...live].map((h) => h.stop()), ...[...assigning].map((p) => p.stop()), ...pendingSpareExits]);
      await Promise.all(sweeps);
      uidClaims?.releaseAll();
      if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
    },
  };
}
