// The servers the benchmarks compare, each started as a child process:
//   bare fastify (the ceiling), `esb dev` (process or Docker runtime), serverless-offline (peer).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import http from 'node:http';
import { promisify } from 'node:util';
import { freePort, startServer, timedGet, waitFor, type Server } from './servers.js';
import type { FloorKind } from '../hop-floor.js';

const run = promisify(execFile);
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO = path.resolve(BENCH_DIR, '..');
export const FIXTURES = path.join(BENCH_DIR, 'fixtures');
export const PEER_DIR = path.join(BENCH_DIR, 'peer');
/** deploy-stall: a warm route's p99 while a 5,000-function template deploys (docs/apply.md "Off the serving loop"). */
export const DEPLOY_STALL_P99_TARGET_MS = 50;
/** The `esb` bin users run: compiled JavaScript when the build is fresh (docs/design.md "Build"). */
export const ESB_BIN = path.join(REPO, 'cli', 'bin', 'esb.js');

const { buildState } = (await import(pathToFileURL(path.join(REPO, 'cli', 'bin', 'build-state.mjs')).href)) as { buildState(root: string): string };

/**
 * How a bench child loads esb's packages: the compiled JavaScript when the build is fresh, as the
 * `esb` bin runs it (docs/design.md "Build"), else the TypeScript sources through tsx. Read when a
 * child starts. tsx keeps function names by wrapping every closure it creates, a cost per
 * request on a hot path that the compiled build does not have.
 */
export function esbCode(): { fresh: boolean; execArgv: string[]; from: string } {
  return buildState(REPO) === 'fresh'
    ? { fresh: true, execArgv: ['--import', 'tsx'], from: 'compiled JavaScript' }
    : { fresh: false, execArgv: ['--conditions=esb-source', '--import', 'tsx'], from: 'TypeScript sources (the build is missing or stale: npm run build)' };
}

export interface Started {
  server: Server;
  url: string;
  /** Spawn -> answering HTTP, ms. */
  startMs: number;
}

async function answering(url: string, ok: (status: number) => boolean): Promise<true | undefined> {
  const r = await timedGet(url, 2000);
  return ok(r.status) ? true : undefined;
}

export async function startFastify(logDir: string): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  const server = startServer({
    name: 'fastify',
    cmd: process.execPath,
    args: ['--conditions=esb-source', '--conditions=esb-source', '--import', 'tsx', path.join(BENCH_DIR, 'src', 'baseline-fastify.ts'), String(port)],
    cwd: REPO,
    logFile: path.join(logDir, 'fastify.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('bare fastify', () => answering(`${url}/hello/x`, (s) => s === 200), 60_000);
  } catch (err) {
    await server.stop();
    throw new Error(`${String(err)}\n${await server.tail()}`);
  }
  return { server, url, startMs: performance.now() - t0 };
}

/** The floors' hello URL: the design floors route `/hello/node` as esb's gateway does. */
export function floorUrl(url: string, kind: FloorKind): string {
  return `${url}/hello/${kind === 'design' || kind === 'lambda' ? 'node' : 'x'}`;
}

/**
 * The hop floor (bench/src/hop-floor.ts): fastify handing an esb-sized event to one child
 * process over a Unix socket, or to one worker thread, and answering when the result comes back.
 */
export async function startHopFloor(logDir: string, kind: FloorKind): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  const server = startServer({
    name: `hop floor (${kind})`,
    cmd: process.execPath,
    args: [...esbCode().execArgv, path.join(BENCH_DIR, 'src', 'hop-floor.ts'), String(port), kind],
    cwd: REPO,
    logFile: path.join(logDir, `hop-floor-${kind}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`hop floor (${kind})`, () => answering(floorUrl(url, kind), (s) => s === 200), 60_000);
  } catch (err) {
    await server.stop();
    throw new Error(`${String(err)}\n${await server.tail()}`);
  }
  return { server, url, startMs: performance.now() - t0 };
}

/**
 * The targets the throughput and scale rows are judged against (reported, never asserted).
 * "esb" is the process runtime's warm Node hello; "floor" the Unix-socket hop floor.
 */
export const TARGETS = {
  /** esb req/s at c=32 against bare fastify. */
  esbVsFastifyC32: { text: '>= 30% of fastify', met: (ratio: number) => ratio >= 0.3 },
  /** esb mean latency at c=1 over bare fastify's, ms. */
  esbAddedOverFastifyC1: { text: '< 0.2 ms', met: (addedMs: number) => addedMs < 0.2 },
  /** esb req/s at c=32 against the hop floor. */
  esbVsFloorC32: { text: '>= 0.8x of the floor', met: (ratio: number) => ratio >= 0.8 },
  /** esb mean latency at c=1 over the hop floor's, ms. */
  esbAddedOverFloorC1: { text: '<= 0.05 ms', met: (addedMs: number) => addedMs <= 0.05 },
  /** esb req/s at c=32 against serverless-offline. */
  esbVsPeerC32: { text: '>= 3x serverless-offline', met: (ratio: number) => ratio >= 3 },
  /** The gateway alone (trivial in-process invoker, access log on) at c=32 against bare fastify. */
  gatewayAloneVsFastifyC32: { text: '>= 0.6x of fastify', met: (ratio: number) => ratio >= 0.6 },
} as const;

export interface EsbDev extends Started {
  workspace: string;
  /** Writes a Deployment manifest for `template` (atomic rename into deployments/); returns when written. */
  deploy(name: string, template: string): Promise<void>;
}

export async function startEsbDev(opts: { workspace: string; runtime: 'process' | 'docker'; logDir: string; env?: NodeJS.ProcessEnv; /** Flags for node itself (e.g. --cpu-prof). */ nodeArgs?: string[] }): Promise<EsbDev> {
  const port = await freePort();
  await mkdir(path.join(opts.workspace, 'deployments'), { recursive: true });
  const t0 = performance.now();
  const server = startServer({
    name: `esb dev (${opts.runtime})`,
    cmd: process.execPath,
    args: [...(opts.nodeArgs ?? []), ESB_BIN, 'dev', '--workspace', opts.workspace, '--port', String(port), '--no-examples', '--dynamodb-port', '0', '--s3-port', '0', '--sqs-port', '0', '--runtime', opts.runtime],
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    logFile: path.join(opts.logDir, `esb-dev-${opts.runtime}.log`),
    graceMs: 15_000,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`esb dev (${opts.runtime}) /health`, () => answering(`${url}/health`, (s) => s === 200), 90_000, 50);
    // The gateway answers before the controller watches deployments/: dev.json is written last.
    await waitFor(`esb dev (${opts.runtime}) .esb/dev.json`, async () => (existsSync(path.join(opts.workspace, '.esb', 'dev.json')) ? true : undefined), 60_000, 20);
  } catch (err) {
    await server.stop();
    throw new Error(`${String(err)}\n${await server.tail()}`);
  }
  const startMs = performance.now() - t0;
  const deploy = async (name: string, template: string) => {
    const manifest = `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template: ${template}\n  project: esb\n  env: default\n`;
    const tmp = path.join(opts.workspace, `.${name}.yaml.tmp`);
    await writeFile(tmp, manifest);
    await rename(tmp, path.join(opts.workspace, 'deployments', `${name}.yaml`));
  };
  return { server, url, startMs, workspace: opts.workspace, deploy };
}

/** Waits until GET url answers 200 (404 while the route is not served yet); returns the answering request. */
export async function firstOk(url: string, timeoutMs: number, everyMs = 10, server?: Server): Promise<{ at: number; ms: number }> {
  try {
    return await firstOkInner(url, timeoutMs, everyMs);
  } catch (err) {
    if (!server) throw err;
    const tail = (await server.tail(200_000)).split('\n').filter((l) => !l.includes('status=404') && !l.includes('status=503')).slice(-25).join('\n');
    throw new Error(`${String(err)}\n--- ${server.name} log (tail, 404/503 lines left out) ---\n${tail}`);
  }
}

function firstOkInner(url: string, timeoutMs: number, everyMs: number): Promise<{ at: number; ms: number }> {
  return waitFor(
    `${url} to answer 200`,
    async () => {
      const r = await timedGet(url, timeoutMs);
      if (r.status === 200) return { at: performance.now(), ms: r.ms };
      if (r.status !== 404 && r.status !== 502 && r.status !== 503) throw new Error(`${url}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      return undefined;
    },
    timeoutMs,
    everyMs,
  );
}

/** `docker info` answers and the esb runtime images exist; else the reason to skip. */
export async function dockerAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
  } catch (err) {
    return { ok: false, reason: `no Docker engine answers \`docker info\` (${String((err as Error).message).split('\n')[0]})` };
  }
  for (const image of ['esb-runtime:nodejs', 'esb-runtime:python3']) {
    try {
      await run('docker', ['image', 'inspect', image], { timeout: 15_000 });
    } catch {
      return { ok: false, reason: `the Docker engine answers but the runtime image ${image} is missing (build it: scripts/docker-base-image.sh, see docs/agent.md)` };
    }
  }
  return { ok: true };
}

/** Installs bench/peer (serverless + serverless-offline, pinned by its lock) unless already installed from this lock. */
export async function ensurePeer(log: (line: string) => void): Promise<void> {
  const lock = await readFile(path.join(PEER_DIR, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = path.join(PEER_DIR, 'node_modules', '.esb-bench-lock-sha256');
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')).trim() === digest && existsSync(path.join(PEER_DIR, 'node_modules', 'serverless-offline'))) return;
  log('installing the peer (npm ci --prefix bench/peer: serverless 3 + serverless-offline 13); cached afterwards');
  await run('npm', ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund', '--workspaces=false'], { cwd: PEER_DIR, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  await writeFile(stamp, `${digest}\n`);
}

/** serverless-offline with bench/peer/serverless.yml; ready when its HTTP server answers (any status). */
export async function startServerlessOffline(logDir: string, tag: string): Promise<Started> {
  const [port, lambdaPort] = [await freePort(), await freePort()];
  const t0 = performance.now();
  const server = startServer({
    name: 'serverless-offline',
    cmd: process.execPath,
    args: [path.join(PEER_DIR, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--host', '127.0.0.1', '--httpPort', String(port), '--lambdaPort', String(lambdaPort)],
    cwd: PEER_DIR,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' },
    logFile: path.join(logDir, `serverless-offline-${tag}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('serverless-offline to listen', () => answering(`${url}/__not_a_route`, () => true), 120_000, 50);
  } catch (err) {
    await server.stop();
    throw new Error(`${String(err)}\n${await server.tail()}`);
  }
  return { server, url, startMs: performance.now() - t0 };
}

const SCRIPT_PARTS = new Set(['auth']);

/** Runs a per-part benchmark in a child (bench/src/lib/part.ts) and returns its result. */
export async function runPart<T>(name: string, opts: { quick?: boolean; timeoutMs?: number } = {}): Promise<T> {
  const { parseBenchResult } = await import('./report.js');
  try {
    // Scripts without an exported entry point print BENCH_RESULT themselves when BENCH_JSON=1.
    const script = SCRIPT_PARTS.has(name);
    const args = script ? [path.join(BENCH_DIR, 'src', `${name}.bench.ts`)] : [path.join(BENCH_DIR, 'src', 'lib', 'part.ts'), name, ...(opts.quick ? ['--quick'] : [])];
    const { stdout } = await run(process.execPath, ['--conditions=esb-source', '--conditions=esb-source', '--import', 'tsx', ...args], {
      cwd: REPO,
      env: { ...process.env, BENCH_JSON: '1' },
      timeout: opts.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return parseBenchResult(stdout) as T;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const lines = (e.stderr || e.message).trim().split('\n');
    const message = lines.find((l) => /Error\b.*:/.test(l) && !/^\s+at /.test(l)) ?? lines.at(-1);
    throw new Error(`${name} benchmark failed: ${message}`);
  }
}

/** `esb agent` alone on a CONFIG_DIR (the split topology's agent), for its RSS; invoke() runs a function once. */
export async function startEsbAgent(configDir: string, logDir: string): Promise<Started & { invoke(fn: string): Promise<number> }> {
  const port = await freePort();
  const t0 = performance.now();
  const server = startServer({
    name: 'esb agent',
    cmd: process.execPath,
    args: [ESB_BIN, 'agent', '--config-dir', configDir, '--port', String(port), '--log-dir', path.join(logDir, 'agent-logs')],
    cwd: REPO,
    logFile: path.join(logDir, 'esb-agent.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('esb agent /healthz', () => answering(`${url}/healthz`, (s) => s === 200), 60_000, 50);
  } catch (err) {
    await server.stop();
    throw new Error(`${String(err)}\n${await server.tail()}`);
  }
  const invoke = (fn: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/invoke/${fn}`, { method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end('{}');
    });
  return { server, url, startMs: performance.now() - t0, invoke };
}

/**
 * Wall times of `esb <args>` and of `node -e 0` (the floor of any Node command), run alternately
 * `runs` times each so that both see the same machine load. Says whether the bin ran the
 * compiled JavaScript (docs/design.md "Build").
 */
export async function timeCliAgainstNode(args: string[], runs: number, opts: { cwd?: string } = {}): Promise<{ esb: number[]; node: number[]; from: string }> {
  const { from } = esbCode();
  const esb: number[] = [];
  const node: number[] = [];
  const timed = async (argv: string[]) => {
    const t0 = performance.now();
    await run(process.execPath, argv, { cwd: opts.cwd ?? REPO, timeout: 120_000 });
    return performance.now() - t0;
  };
  for (let i = 0; i < runs; i++) {
    node.push(await timed(['-e', '0']));
    esb.push(await timed([ESB_BIN, ...args]));
  }
  return { esb, node, from };
}
