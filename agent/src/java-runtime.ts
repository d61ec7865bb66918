// Java functions in the process runtime (docs/agent.md, "Java"): which JVM runs a javaNN
// function, the command that starts esb's Java runtime client on it, and that client's classes,
// compiled from agent/runtime/java once per machine and version of its sources.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { javaVersionOf } from '@esb/contracts';

/** A JDK or JRE on this machine. */
export interface JavaHome {
  home: string;
  /** Feature version: 8, 11, 17, 21, 25. */
  major: number;
  /** Whether it has javac (a JDK), which compiles the runtime client. */
  javac: boolean;
}

/** The feature version in a JDK's `release` file (JAVA_VERSION="17.0.15", "1.8.0_392" -> 8). */
export function majorOfRelease(text: string): number | undefined {
  const m = /^JAVA_VERSION="([^"]+)"/m.exec(text);
  if (!m) return undefined;
  const parts = m[1].split(/[._+-]/).map(Number);
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return Number.isInteger(major) && major! > 0 ? major : undefined;
}

/**
 * The JVM for a runtime: the oldest installed at or above its version (classes compiled for
 * Java 21 need 21 or newer), else the newest there is, with the warning that classes built for
 * the newer one will not load.
 */
export function chooseJavaHome(runtime: string, homes: JavaHome[]): { home: JavaHome; warning?: string } | undefined {
  if (homes.length === 0) return undefined;
  const wanted = javaVersionOf(runtime) ?? 0;
  const sorted = [...homes].sort((a, b) => a.major - b.major);
  const fit = sorted.find((h) => h.major >= wanted);
  if (fit) return { home: fit, ...(fit.major !== wanted ? { warning: `runtime ${runtime} runs on this machine's Java ${fit.major} (${fit.home}; process runtime)` } : {}) };
  const newest = sorted[sorted.length - 1]!;
  return { home: newest, warning: `runtime ${runtime} runs on this machine's Java ${newest.major} (${newest.home}; process runtime): classes compiled for Java ${wanted} will not load; install a JDK ${wanted} or set ESB_JAVA_HOME` };
}

/** JDKs and JREs found: `explicit` (ESB_JAVA_HOME) alone when given, else every folder of /usr/lib/jvm with a `release` file and bin/java. */
export function findJavaHomes(explicit?: string, root = '/usr/lib/jvm'): JavaHome[] {
  const candidates = explicit ? [explicit] : existsSync(root) ? readdirSync(root).map((d) => path.join(root, d)) : [];
  const seen = new Set<string>();
  const out: JavaHome[] = [];
  for (const dir of candidates) {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      continue;
    }
    if (seen.has(real) || !existsSync(path.join(real, 'bin', 'java'))) continue;
    seen.add(real);
    let major: number | undefined;
    try {
      major = majorOfRelease(readFileSync(path.join(real, 'release'), 'utf8'));
    } catch {
      major = undefined;
    }
    if (major === undefined) continue;
    out.push({ home: real, major, javac: existsSync(path.join(real, 'bin', 'javac')) });
  }
  return out;
}

/** agent/runtime: esb's runtime clients. */
const RUNTIME_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'runtime');
/** esb's Java runtime client, as sources. */
export const JAVA_CLIENT_SOURCES = path.join(RUNTIME_ROOT, 'java');
/** esb's copy of the aws-lambda-java-core interfaces, put after a function's own classpath. */
export const JAVA_CORE_SOURCES = path.join(RUNTIME_ROOT, 'java-core');
/**
 * The client and interfaces compiled ahead (`client/`, `core/`), where an image carries them
 * (compose/Dockerfile: a JRE and no javac); never in a checkout, where they are compiled at the
 * first Java cold start.
 */
export const JAVA_PREBUILT_CLASSES = path.join(RUNTIME_ROOT, 'java-classes');

/**
 * Compiles a function's `sources` into `out` against esb's copy of the aws-lambda-java-core
 * interfaces, which stay out of `out`: the runtime provides them, as Maven's `provided` scope
 * expects (for tests and benchmarks).
 */
export function compileAgainstCore(out: string, sources: string[]): void {
  execFileSync('javac', ['--release', '17', '-d', out, '-sourcepath', JAVA_CORE_SOURCES, '-implicit:none', ...sources], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `dir` when it holds the compiled client and interfaces, else undefined. */
function compiledJavaClasses(dir: string): string | undefined {
  return existsSync(path.join(dir, 'client', 'esb', 'runtime', 'Bootstrap.class')) && existsSync(path.join(dir, 'core')) ? dir : undefined;
}

export function prebuiltJavaClasses(dir = JAVA_PREBUILT_CLASSES): string | undefined {
  return compiledJavaClasses(dir);
}

/**
 * JVM options of an instance, as Lambda sets them for its Java runtimes: the heap at 85 % of
 * MemorySize, a serial collector and the quick first compiler tier (cold starts). The
 * function's own JAVA_TOOL_OPTIONS come on top (the JVM reads them itself).
 */
export function jvmOptions(memoryMb: number): string[] {
  const heapMb = Math.max(16, Math.floor(memoryMb * 0.85));
  return [`-XX:MaxHeapSize=${heapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-XX:-UsePerfData', '-Djava.net.preferIPv4Stack=true'];
}

/**
 * The command of a Java instance: the client's main class (from `classes`/client; it finds the
 * interfaces in `classes`/core itself), the code folder, then the layers. With `channel`, the
 * instance channel goes to the JVM's standard input (withChannelOnStdin) and a system property,
 * not the function's environment, tells the client so.
 */
export function javaCommand(spec: { memoryMb: number; codeDir?: string; layerDirs: string[] }, java: string, classes: string, channel = false): { file: string; args: string[] } {
  const cmd = { file: java, args: [...jvmOptions(spec.memoryMb), ...(channel ? [`-D${JAVA_CHANNEL_PROPERTY}=stdin`] : []), '-cp', path.join(classes, 'client'), 'esb.runtime.Bootstrap', spec.codeDir ?? '.', ...spec.layerDirs] };
  return channel ? withChannelOnStdin(cmd) : cmd;
}

/** The system property that tells esb's Java client where its instance channel is. */
export const JAVA_CHANNEL_PROPERTY = 'esb.runtime.channel';

/**
 * `cmd` with the instance channel moved from fd 3 (where the driver hands it to every runtime)
 * to the standard input, where esb's Java client takes it: Java opens no other inherited file
 * descriptor (docs/agent.md, "Java").
 */
export function withChannelOnStdin(cmd: { file: string; args: string[] }): { file: string; args: string[] } {
  return { file: '/bin/sh', args: ['-c', 'exec "$@" <&3 3<&-', 'sh', cmd.file, ...cmd.args] };
}

const execFileAsync = promisify(execFile);

/**
 * The compiled client (`client/`) and interfaces (`core/`): a folder anyone may read (functions
 * may run as other users), named after the digest of their sources, compiled for Java 8 (runs on
 * every Java runtime) the first time.
 */
export async function javaClientClasses(javac: string, sources = { client: JAVA_CLIENT_SOURCES, core: JAVA_CORE_SOURCES }, cacheRoot = tmpdir()): Promise<string> {
  const h = createHash('sha256');
  const files = { client: listJava(sources.client), core: listJava(sources.core) };
  for (const part of ['client', 'core'] as const) {
    for (const f of files[part]) h.update(`${part}/${path.relative(sources[part], f)}\0${readFileSync(f, 'utf8')}\0`);
  }
  const dir = path.join(cacheRoot, `esb-java-runtime-${h.digest('hex').slice(0, 16)}`);
  if (compiledJavaClasses(dir)) return dir;
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    for (const part of ['core', 'client'] as const) {
      await execFileAsync(javac, ['--release', '8', '-nowarn', '-Xlint:-options', '-encoding', 'UTF-8', '-d', path.join(tmp, part), ...files[part]], { timeout: 120_000 });
    }
    chmodSync(tmp, 0o755);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another agent compiled it at the same time: theirs is as good.
      if (!compiledJavaClasses(dir)) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as { stderr?: string; message: string };
    throw new Error(`compiling esb's Java runtime client with ${javac} failed: ${(err.stderr || err.message).trim().slice(0, 1500)}`);
  }
  return dir;
}

/** The .java files under `dir`, sorted. */
export function listJava(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listJava(p));
    else if (e.name.endsWith('.java')) out.push(p);
  }
  return out.sort();
}
