// A real Kubernetes API server for tests: etcd + kube-test-apiserver (built by
// scripts/kube-test-apiserver/build.sh into ~/.cache/esb/kube-test-apiserver) on free loopback
// ports with a temp data dir, a kubeconfig, readiness wait, `kubectl apply -k crds/`, and a
// clean stop. Used by the *.int.test.ts files and scripts/kube-test-apiserver/start.sh.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '@esb/contracts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BUILD_SCRIPT = path.join(REPO, 'scripts/kube-test-apiserver/build.sh');
export const CRDS_DIR = path.join(REPO, 'crds');
/** Test-only CRDs standing in for built-in APIs the server lacks: coordination.k8s.io Leases, events.k8s.io Events. */
export const STAND_IN_CRDS_DIR = path.join(REPO, 'controller/src/kube/testing/crds');

export interface TestServerBinaries {
  apiserver: string;
  etcd: string;
  kubectl: string;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ESB_KUBE_CACHE ?? path.join(os.homedir(), '.cache/esb/kube-test-apiserver');
}

/** The built binaries, if the cache holds them. */
export function cachedBinaries(env: NodeJS.ProcessEnv = process.env): TestServerBinaries | undefined {
  const bin = path.join(cacheDir(env), 'bin');
  const b = { apiserver: path.join(bin, 'kube-test-apiserver'), etcd: path.join(bin, 'etcd'), kubectl: path.join(bin, 'kubectl') };
  return existsSync(b.apiserver) && existsSync(b.etcd) && existsSync(b.kubectl) ? b : undefined;
}

export type KubeTestMode = { run: true; build: boolean } | { run: false; reason: string };

/**
 * ESB_KUBE_TESTS=1: run, building first (seconds when cached) — never skip (CI).
 * Otherwise: run when the cache holds a built server, else skip (with a reason to print).
 */
export function kubeTestMode(env: NodeJS.ProcessEnv = process.env): KubeTestMode {
  if (env.ESB_KUBE_TESTS === '1' || env.ESB_KUBE_TESTS === 'true') return { run: true, build: true };
  if (cachedBinaries(env)) return { run: true, build: false };
  return {
    run: false,
    reason:
      `KUBE INTEGRATION TESTS SKIPPED: no test API server in ${cacheDir(env)}. ` +
      `Build it once with scripts/kube-test-apiserver/build.sh (~4 min cold, offline from Debian packages), ` +
      `or set ESB_KUBE_TESTS=1 to build and run (CI).`,
  };
}

/** Runs build.sh (idempotent: seconds when cached) and returns the binaries it printed. */
export async function buildTestServer(): Promise<TestServerBinaries> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(BUILD_SCRIPT, [], { maxBuffer: 64 * 1024 * 1024 }, (error, out, err) => {
      if (error) reject(new Error(`${BUILD_SCRIPT} failed: ${error.message}\n${err.slice(-4000)}`, { cause: error }));
      else resolve(out);
    });
  });
  const vars = Object.fromEntries(stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { apiserver: vars.KUBE_TEST_APISERVER, etcd: vars.KUBE_TEST_ETCD, kubectl: vars.KUBE_TEST_KUBECTL };
}

export interface TestApiServer {
  /** https://127.0.0.1:<port> */
  server: string;
  port: number;
  token: string;
  kubeconfigPath: string;
  dir: string;
  kubeConfig(): KubeConfig;
  /** Runs our kubectl against this server. Rejects with stderr on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Kills the API server (etcd keeps the data), waits `downMs`, starts it again on the same port: open watches drop. */
  restartApiServer(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}


function startProcess(bin: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function get(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(url, { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

async function tail(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).slice(-3000);
}

export interface StartOptions {
  binaries?: TestServerBinaries;
  /** Apply crds/ once ready (default true). */
  applyCrds?: boolean;
  /** Also serve Leases and Events through the stand-in CRDs (default false). */
  standInApis?: boolean;
  /** Address to listen on (default 127.0.0.1); containers reach a Docker network's gateway address. */
  bindAddress?: string;
  /** Serving certificate (PEM files) instead of the server's self-signed one for localhost. */
  tls?: { certFile: string; keyFile: string };
  /** Extra server flags (e.g. --audit-log-path, --audit-policy-file). */
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

export async function startTestApiServer(opts: StartOptions = {}): Promise<TestApiServer> {
  const bins = opts.binaries ?? cachedBinaries() ?? (await buildTestServer());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'esb-kube-'));
  const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(16).toString('hex');
  const etcdLog = path.join(dir, 'etcd.log');
  const apiLog = path.join(dir, 'apiserver.log');
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killAll);

  const stop = async () => {
    process.removeListener('exit', killAll);
    for (const child of [...children].reverse()) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    children.push(
      startProcess(
        bins.etcd,
        [
          '--name=default',
          `--data-dir=${path.join(dir, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${clientPort}`,
          `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        etcdLog,
      ),
    );
    const apiArgs = [
      `--etcd-servers=http://127.0.0.1:${clientPort}`,
      `--bind-address=${opts.bindAddress ?? '127.0.0.1'}`,
      `--secure-port=${securePort}`,
      `--cert-dir=${path.join(dir, 'certs')}`,
      ...(opts.tls ? [`--tls-cert-file=${opts.tls.certFile}`, `--tls-private-key-file=${opts.tls.keyFile}`] : []),
      ...(opts.extraArgs ?? []),
      `--token=${token}`,
      '-v=0',
    ];
    children.push(startProcess(bins.apiserver, apiArgs, apiLog));
    const server = `https://${opts.bindAddress && opts.bindAddress !== '0.0.0.0' ? opts.bindAddress : '127.0.0.1'}:${securePort}`;
    const waitReady = async () => {
      const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
      while ((await get(`${server}/readyz`, token)) !== 200) {
        for (const c of children) {
          if (c.exitCode !== null) throw new Error(`${c.spawnfile} exited with ${c.exitCode}\netcd:\n${await tail(etcdLog)}\napiserver:\n${await tail(apiLog)}`);
        }
        if (Date.now() > deadline) throw new Error(`test API server not ready within ${opts.readyTimeoutMs ?? 30_000} ms\n${await tail(apiLog)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitReady();

    const kubeconfigPath = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: esb-test, cluster: {server: "' + server + '", insecure-skip-tls-verify: true}}]',
        'users: [{name: esb-test-admin, user: {token: "' + token + '"}}]',
        'contexts: [{name: esb-test, context: {cluster: esb-test, user: esb-test-admin, namespace: default}}]',
        'current-context: esb-test',
        '',
      ].join('\n'),
    );

    const kubectl = (args: string[], input?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile(bins.kubectl, [`--kubeconfig=${kubeconfigPath}`, ...args], { env: { ...process.env, KUBECONFIG: kubeconfigPath } }, (error, out, err) => {
          if (error) reject(new Error(`kubectl ${args.join(' ')}: ${err || error.message}`, { cause: error }));
          else resolve(out);
        });
        if (input !== undefined) child.stdin?.end(input);
      });

    if (opts.applyCrds !== false) {
      await kubectl(['apply', '-k', CRDS_DIR]);
      await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/deployments.esb.dev']);
    }
    if (opts.standInApis) {
      await kubectl(['apply', '-f', STAND_IN_CRDS_DIR]);
      await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/leases.coordination.k8s.io', 'crd/events.events.k8s.io']);
    }

    return {
      server,
      port: securePort,
      token,
      kubeconfigPath,
      dir,
      kubeConfig() {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        return kc;
      },
      kubectl,
      async restartApiServer(downMs = 0) {
        const old = children.pop()!;
        await stopProcess(old, 0); // a crash, not a graceful shutdown: connections just drop
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        children.push(startProcess(bins.apiserver, apiArgs, apiLog));
        await waitReady();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
