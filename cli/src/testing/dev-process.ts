// `esb dev` as a child process for end-to-end tests: started on free ports without the examples,
// ready once it writes <workspace>/.esb/dev.json, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ESB_BIN, esb } from '@esb/controller/testing';

export interface DevProcess {
  child: ChildProcess;
  /** What dev.json says: the gateway's and the SQS server's addresses, and esb dev's pid. */
  info: { gateway: string; sqs: string; pid: number };
  /** Everything it printed so far. */
  log(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startDevProcess(workspace: string, env: NodeJS.ProcessEnv = {}): Promise<DevProcess> {
  const child = spawn(process.execPath, [ESB_BIN, 'dev', '--workspace', workspace, '--port', '0', '--dynamodb-port', '0', '--s3-port', '0', '--sqs-port', '0', '--no-examples'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const runtimeFile = path.join(workspace, '.esb', 'dev.json');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`esb dev exited (${child.exitCode}): ${out}`);
    if (existsSync(runtimeFile)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = JSON.parse(await readFile(runtimeFile, 'utf8')) as DevProcess['info'];
  return {
    child,
    info,
    log: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface DevApp {
  /** The workspace; the app's files are under its app/ folder. */
  ws: string;
  dev: DevProcess;
  gateway: string;
  /** Stops esb dev and removes the workspace. */
  stop(): Promise<void>;
}

/**
 * A new workspace holding `files` (paths relative to its app/ folder, app/template.yml among
 * them), `esb dev` started on it with `env`, and the template deployed with `esb deploy`.
 */
export async function startDevWithApp(prefix: string, files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<DevApp> {
  const ws = await mkdtemp(path.join(tmpdir(), prefix));
  const app = path.join(ws, 'app');
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(app, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  const dev = await startDevProcess(ws, env);
  const stop = async () => {
    await dev.stop();
    await rm(ws, { recursive: true, force: true });
  };
  const r = await esb(['deploy', '-t', path.join(app, 'template.yml'), '--workspace', ws, '--timeout', '90s']);
  if (r.code !== 0) {
    await stop();
    throw new Error(`esb deploy failed (${r.code}): ${r.stdout}${r.stderr}`);
  }
  return { ws, dev, gateway: dev.info.gateway, stop };
}
