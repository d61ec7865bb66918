// InstanceDriver for local processes (the embedded default): the runtime's bootstrap client
// runs as a child process in the function's code folder with only the Lambda environment.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InstanceDriver, InstanceHandle, InstanceSpec } from './driver.js';
import { isNodeRuntime, isPythonRuntime } from './env.js';
import { LineSplitter } from './lines.js';

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
  /** Grace between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
}

export interface PythonChoice {
  python: string;
  /** Whether it imports boto3, as Lambda's Python runtimes do. */
  boto3: boolean;
}

const chosen = new Map<string, PythonChoice>();

/** Every python3 in `searchPath` (a PATH value, in order), then /usr/bin/python3. */
export function pythonCandidates(searchPath = ''): string[] {
  const out: string[] = [];
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, 'python3');
    if (existsSync(p) && !out.includes(p)) out.push(p);
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

/** The command that runs an instance of `spec` in the process runtime. */
export function processCommand(spec: InstanceSpec, opts: { python: string; node: string }): { file: string; args: string[] } {
  if (isNodeRuntime(spec.runtime)) return { file: opts.node, args: [path.join(RUNTIME_DIR, 'nodejs', 'bootstrap.mjs')] };
  if (isPythonRuntime(spec.runtime)) return { file: opts.python, args: [path.join(RUNTIME_DIR, 'python', 'bootstrap.py')] };
  if ((spec.runtime ?? '').startsWith('provided') && spec.codeDir) return { file: path.join(spec.codeDir, 'bootstrap'), args: [] };
  throw new UnsupportedRuntimeError(
    spec.functionName,
    spec.runtime,
    `function ${spec.functionName}: runtime "${spec.runtime ?? '(none)'}" cannot run in the process runtime (nodejs*, python3.*, provided* with a bootstrap file)`,
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

export function createProcessDriver(opts: ProcessDriverOptions = {}): InstanceDriver {
  const python = opts.python ?? defaultPython();
  const node = opts.node ?? process.execPath;
  const nodeVersion = node === process.execPath ? process.versions.node : spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim();
  let machinePython: string | undefined | null = null; // null: not asked yet (costs a python start)
  const grace = opts.stopGraceMs ?? 300;
  const live = new Set<InstanceHandle>();
  return {
    kind: 'process',
    runtimeApiBindHost: '127.0.0.1',
    runtimeApiAdvertiseHost: '127.0.0.1',
    versionWarning(runtime) {
      if (isPythonRuntime(runtime) && machinePython === null) machinePython = pythonVersion(python);
      return runtimeVersionWarning(runtime, { node: nodeVersion, python: machinePython ?? undefined });
    },
    async start(spec, onLine) {
      const cmd = processCommand(spec, { python, node });
      const child = spawn(cmd.file, cmd.args, {
        cwd: spec.codeDir,
        env: spec.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group: stop() ends the handler's children too
      });
      const out = new LineSplitter((l) => onLine('stdout', l));
      const err = new LineSplitter((l) => onLine('stderr', l));
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        let done = false;
        const finish = (code: number | null, signal: string | null) => {
          if (done) return;
          done = true;
          out.end();
          err.end();
          live.delete(handle);
          resolve({ code, signal });
        };
        child.on('exit', (code, signal) => finish(code, signal));
        child.on('error', (e) => {
          onLine('stderr', `esb: cannot start ${cmd.file}: ${e.message}`);
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
      const handle: InstanceHandle = {
        id: spec.instanceId,
        exited,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          kill('SIGTERM');
          const t = setTimeout(() => kill('SIGKILL'), grace);
          await exited;
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
      live.add(handle);
      return handle;
    },
    async close() {
      await Promise.all([...live].map((h) => h.stop()));
    },
  };
}
