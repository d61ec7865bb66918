// Helpers for the Docker end-to-end suite: run docker / docker compose / esb as child
// processes, bring the compose stack (compose/docker-compose.yml) up under a project of its
// own, deploy templates with `esb deploy`, poll HTTP. No global state: a Stack is a value.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@esb/contracts';

export { freePort };

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const E2E_DIR = path.join(REPO, 'e2e');
export const COMPOSE_FILE = path.join(REPO, 'compose', 'docker-compose.yml');
export const ESB_BIN = path.join(REPO, 'cli', 'bin', 'esb.js');

/** What the global setup hands to the scenarios (vitest provide/inject). */
export interface StackInfo {
  project: string;
  workspace: string;
  configDir: string;
  gatewayUrl: string;
  network: string;
  agentName: string;
  /** The environment every `docker compose` call of this stack needs. */
  env: Record<string, string>;
}

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} exited with ${code}:\n${(stderr || stdout).trim().split('\n').slice(-30).join('\n')}`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with CommandError on a non-zero exit unless `allowFail`. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; allowFail?: boolean; timeoutMs?: number; echo?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
      if (opts.echo) process.stderr.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
      if (opts.echo) process.stderr.write(c);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { code, stdout, stderr };
      if (code !== 0 && !opts.allowFail) reject(new CommandError(`${cmd} ${args.join(' ')}`, code, stdout, stderr));
      else resolve(r);
    });
  });
}

/** Whether a Docker engine answers (`docker info`), with the reason when not. */
export async function dockerEngine(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { allowFail: true, timeoutMs: 15_000 });
    if (r.code === 0) return { ok: true, version: r.stdout.trim() };
    return { ok: false, reason: (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ') || `docker version exited with ${r.code}` };
  } catch (err) {
    return { ok: false, reason: `the docker CLI cannot run: ${err instanceof Error ? err.message : String(err)}` };
  }
}


/** Scenario folders (those holding a template) copied into a fresh workspace. */
export function makeWorkspace(prefix = 'esb-e2e-'): string {
  const ws = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const entry of readdirSync(E2E_DIR)) {
    const dir = path.join(E2E_DIR, entry);
    if (!statSync(dir).isDirectory() || entry === 'src' || entry === 'node_modules') continue;
    if (!readdirSync(dir).some((f) => /^template.*\.ya?ml$/.test(f))) continue;
    cpSync(dir, path.join(ws, entry), { recursive: true, filter: (src) => !/\.e2e\.test\.ts$/.test(src) });
  }
  mkdirSync(path.join(ws, 'deployments'), { recursive: true });
  return ws;
}

export function composeArgs(stack: Pick<StackInfo, 'project'>, args: string[]): string[] {
  return ['compose', '-f', COMPOSE_FILE, '-p', stack.project, ...args];
}

export function compose(stack: Pick<StackInfo, 'project' | 'env'>, args: string[], opts: { allowFail?: boolean; timeoutMs?: number; echo?: boolean } = {}) {
  return run('docker', composeArgs(stack, args), { env: stack.env, ...opts });
}

/** Stack settings for one run: its own project, network, agent label, ports and workspace. */
export async function planStack(id: string): Promise<StackInfo> {
  const project = `esb-e2e-${id}`;
  const workspace = makeWorkspace();
  const configDir = path.join(workspace, '.esb', 'staging', 'esb', 'e2e', 'config');
  mkdirSync(configDir, { recursive: true });
  const [gw, ddb, s3] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ESB_WORKSPACE: workspace,
    CONFIG_DIR: configDir,
    ESB_NETWORK: project,
    ESB_AGENT_NAME: project,
    ESB_GATEWAY_PORT: String(gw),
    ESB_DYNAMODB_PORT: String(ddb),
    ESB_S3_PORT: String(s3),
  };
  return { project, workspace, configDir, gatewayUrl: `http://127.0.0.1:${gw}`, network: project, agentName: project, env };
}

/** Base images (debootstrap base, function runtimes, Node base) and compose v2: cached, idempotent. */
export async function prepareImages(echo = true): Promise<void> {
  await run('sh', [path.join(REPO, 'scripts', 'compose-install.sh')], { echo });
  await run('sh', [path.join(REPO, 'scripts', 'compose-base-image.sh')], { echo });
}

export async function stackUp(stack: StackInfo, echo = true): Promise<void> {
  await compose(stack, ['build'], { echo, timeoutMs: 15 * 60_000 });
  await compose(stack, ['up', '-d', '--wait'], { echo, timeoutMs: 10 * 60_000 });
}

/** Containers started by this stack's agent (function instances). */
/** The agent's function containers (`running`: only started ones, not the driver's pre-created spares). */
export async function functionContainers(stack: Pick<StackInfo, 'agentName'>, fn?: string, opts: { running?: boolean } = {}): Promise<Array<{ id: string; name: string; function: string; created: number }>> {
  const filters = ['--filter', `label=dev.esb.agent=${stack.agentName}`, ...(fn ? ['--filter', `label=dev.esb.function=${fn}`] : []), ...(opts.running ? ['--filter', 'status=running'] : [])];
  const r = await run('docker', ['ps', '-a', '--no-trunc', ...filters, '--format', '{{.ID}}\t{{.Names}}\t{{.Label "dev.esb.function"}}\t{{.CreatedAt}}']);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, f, created] = line.split('\t');
      return { id: id!, name: name!, function: f!, created: Date.parse(created!.replace(/ \+0000 UTC$/, 'Z').replace(' ', 'T')) };
    });
}

export async function stackDown(stack: StackInfo, opts: { keepWorkspace?: boolean; echo?: boolean } = {}): Promise<void> {
  await compose(stack, ['--profile', 'deploy', '--profile', 'logs', 'down', '--volumes', '--remove-orphans', '--timeout', '5'], { allowFail: true, echo: opts.echo, timeoutMs: 5 * 60_000 });
  // Function containers are the agent's, not compose's: remove any the agent left behind.
  const left = await functionContainers(stack).catch(() => []);
  if (left.length) await run('docker', ['rm', '-f', ...left.map((c) => c.id)], { allowFail: true });
  await run('docker', ['network', 'rm', stack.network], { allowFail: true });
  if (!opts.keepWorkspace) rmSync(stack.workspace, { recursive: true, force: true });
}

export interface DeployResult {
  name: string;
  ready: boolean;
  seconds?: number;
  reason?: string;
  message?: string;
  warnings?: string[];
}

/** `esb deploy -t <workspace>/<template> -m docker --workspace <ws> -e e2e --json`. */
export async function deploy(stack: StackInfo, template: string, opts: { env?: string; name?: string; timeout?: string } = {}): Promise<DeployResult> {
  const args = [ESB_BIN, 'deploy', '-t', path.join(stack.workspace, template), '-m', 'docker', '--workspace', stack.workspace, '-e', opts.env ?? 'e2e', '--timeout', opts.timeout ?? '300s', '--json'];
  if (opts.name) args.push('--name', opts.name);
  // ESB_GATEWAY_PORT: the CLI waits until this stack's gateway serves the deploy.
  const r = await run(process.execPath, args, { env: { ESB_GATEWAY_PORT: stack.env.ESB_GATEWAY_PORT }, allowFail: true, timeoutMs: 400_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: DeployResult | undefined;
  try {
    parsed = JSON.parse(last) as DeployResult;
  } catch {
    /* not JSON: reported below */
  }
  if (r.code !== 0 || !parsed?.ready) throw new CommandError(`esb deploy ${template}`, r.code, r.stdout, r.stderr);
  return parsed;
}

export interface HttpAnswer {
  status: number;
  text: string;
  json?: unknown;
}

export async function http(url: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(60_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Polls `check` every `everyMs` until it returns true or `withinMs` passes; returns the last answer. */
export async function pollUntil<T>(probe: () => Promise<T>, check: (v: T) => boolean, opts: { everyMs?: number; withinMs?: number } = {}): Promise<{ ok: boolean; last: T | Error; tries: number; ms: number }> {
  const every = opts.everyMs ?? 1000;
  const within = opts.withinMs ?? 30_000;
  const started = Date.now();
  let last: T | Error = new Error('never probed');
  let tries = 0;
  for (;;) {
    tries++;
    try {
      last = await probe();
      if (check(last)) return { ok: true, last, tries, ms: Date.now() - started };
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
    if (Date.now() - started + every > within) return { ok: false, last, tries, ms: Date.now() - started };
    await new Promise((r) => setTimeout(r, every));
  }
}
