// `esb dev` as a user runs it, in a real pseudo-terminal (util-linux `script`): the one-screen
// summary redraws with deployments, routes and the last requests, the log goes to .esb/dev.log,
// Ctrl-C restores the terminal. Without a terminal, today's log lines and no escape codes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESB_BIN } from '@esb/controller/testing';

const SCRIPT = '/usr/bin/script';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../e2e/artifacts/console');
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
const devArgs = (ws: string) => ['dev', '--workspace', ws, '--port', '0', '--dynamodb-port', '0', '--s3-port', '0', '--sqs-port', '0'];

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, seen?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await probe();
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still waiting for ${what} after ${timeoutMs} ms${seen ? `; output:\n${seen().slice(-3000)}` : ''}`);
}

describe.skipIf(!existsSync(SCRIPT))('esb dev in a terminal: the one-screen summary', () => {
  let ws: string;
  let child: ChildProcessWithoutNullStreams;
  let out = '';

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-summary-'));
    await mkdir(ARTIFACTS, { recursive: true });
    const command = `stty cols 140 rows 45; exec ${[process.execPath, ESB_BIN, ...devArgs(ws)].map((a) => `'${a}'`).join(' ')}`;
    child = spawn(SCRIPT, ['-qefc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(ws, { recursive: true, force: true });
  });

  it('shows deployments, routes and each request as it comes, and no log lines', async () => {
    const screen = () => plain(out);
    await until('example-a Ready on the summary', () => (/example-a\s+default\s+True\s+Ready/.test(screen()) ? true : undefined), 90_000, screen);
    const gateway = /gateway (http:\/\/127\.0\.0\.1:\d+)/.exec(screen())![1];
    expect(screen()).toContain(`console ${gateway}/_esb/`);
    expect(screen()).toMatch(/ROUTES[\s\S]*GET\s+\/hello\s+hello/);
    const res = await fetch(`${gateway}/hello`);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-amzn-requestid')!;
    await until('the request on the summary', () => (screen().includes(requestId) ? true : undefined), 30_000, screen);
    const row = screen().split('\n').filter((l) => l.includes(requestId)).at(-1)!;
    expect(row).toMatch(/\d\d:\d\d:\d\d\s+GET\s+\/hello\s+200\s+[\d.]+ ms\s+hello\s+/);
    // The alternate screen, redrawn in place; log lines only in the LOG part of a frame.
    expect(out).toContain('\x1b[?1049h');
    const frames = out.split('\x1b[H\x1b[2J');
    expect(plain(frames[0])).not.toMatch(/INFO\s+\[/);
    for (const frame of frames.slice(1).map(plain)) {
      const lines = frame.split('\n');
      const logAt = lines.indexOf('LOG');
      lines.forEach((l, i) => {
        if (/^\d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR)/.test(l)) expect(logAt >= 0 && i > logAt).toBe(true);
      });
      expect(lines.length).toBeLessThanOrEqual(45);
    }
    await writeFile(path.join(ARTIFACTS, 'esb-dev-summary.txt'), plain(frames.at(-1)!));
    const logFile = path.join(ws, '.esb', 'dev.log');
    expect(await readFile(logFile, 'utf8')).toMatch(/INFO\s+\[gateway\] config (loaded|reloaded)/);
  }, 120_000);

  it('Ctrl-C stops it and gives the terminal back', async () => {
    child.stdin.write('\x03');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('\x1b[?1049l');
    expect(plain(out)).toContain('esb dev stopped');
  }, 60_000);
});

describe('esb dev without a terminal', () => {
  it('prints the addresses and log lines, no escape codes', async () => {
    const ws = await mkdtemp(path.join(tmpdir(), 'esb-nosummary-'));
    const child = spawn(process.execPath, [ESB_BIN, ...devArgs(ws), '--no-examples'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until('the banner', () => (stdout.includes('Deploy more') ? true : undefined), 90_000, () => stdout + stderr);
      expect(stdout).toMatch(/console\s+http:\/\/127\.0\.0\.1:\d+\/_esb\//);
      expect(stdout).not.toContain('\x1b[');
      expect(stderr).toMatch(/INFO\s+\[gateway\] config loaded/);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      await rm(ws, { recursive: true, force: true });
    }
  }, 120_000);
});
