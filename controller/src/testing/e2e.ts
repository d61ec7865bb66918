// Helpers of the end-to-end tests that drive esb through its real entry points.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ESB_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../cli/bin/esb.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `esb <args>` as a subprocess (the user's entry point); never throws on a non-zero exit. */
export async function esb(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000, cwd?: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ESB_BIN, ...args], { timeout: timeoutMs, env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs `esb <args>` with `input` on its standard input (answers to its questions), as `esb` does. */
export function esbWithInput(args: string[], input: string, cwd?: string, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ESB_BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** Polls `url` every 100 ms up to 30 s until `check` passes; returns the body. */
export async function eventually(url: string, check: (status: number, body: string) => boolean): Promise<string> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      const body = await res.text();
      last = `${res.status} ${body}`;
      if (check(res.status, body)) return body;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: still "${last}" after 30 s`);
}
