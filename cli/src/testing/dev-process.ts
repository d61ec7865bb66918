// `esb dev` as a child process for end-to-end tests: started on free ports without the examples,
// ready once it writes <workspace>/.esb/dev.json, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ESB_BIN } from '@esb/controller/testing';

export interface DevProcess {
  child: ChildProcess;
  /** What dev.json says: the gateway's address and esb dev's pid. */
  info: { gateway: string; pid: number };
  /** Everything it printed so far. */
  log(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startDevProcess(workspace: string, env: NodeJS.ProcessEnv = {}): Promise<DevProcess> {
  const child = spawn(process.execPath, [ESB_BIN, 'dev', '--workspace', workspace, '--port', '0', '--dynamodb-port', '0', '--s3-port', '0', '--no-examples'], {
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
  const info = JSON.parse(await readFile(runtimeFile, 'utf8')) as { gateway: string; pid: number };
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
