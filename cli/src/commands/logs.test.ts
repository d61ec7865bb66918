import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runLogs } from './logs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}

describe('esb logs', () => {
  it('prints the function log of the workspace', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'esb-logs-'));
    dirs.push(ws);
    mkdirSync(path.join(ws, '.esb', 'logs'), { recursive: true });
    writeFileSync(path.join(ws, '.esb', 'logs', 'hello.log'), 'T\tr1\tSTART RequestId: r1 Version: $LATEST\nT\tr1\thi\n');
    const c = capture();
    expect(await runLogs(['hello', '--workspace', ws], {}, c.out)).toBe(0);
    expect(c.text()).toBe('T\tr1\tSTART RequestId: r1 Version: $LATEST\nT\tr1\thi\n');
  });

  it('prints a multi-line event (one line of the file, its newlines written as carriage returns) on its lines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'esb-logs-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'fn.log'), 'T\tr1\tT\tr1\tERROR\tError: bad\r    at f (index.mjs:2:9)\nT\tr1\tEND RequestId: r1\n');
    const c = capture();
    expect(await runLogs(['fn', '--log-dir', dir], {}, c.out)).toBe(0);
    expect(c.text()).toBe('T\tr1\tT\tr1\tERROR\tError: bad\n    at f (index.mjs:2:9)\nT\tr1\tEND RequestId: r1\n');
  });

  it('fails for a function without logs, and follows new lines with -f', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'esb-logs-'));
    dirs.push(dir);
    expect(await runLogs(['nope', '--log-dir', dir], {}, capture().out)).toBe(1);
    const c = capture();
    const ac = new AbortController();
    const done = runLogs(['fn', '-f', '--log-dir', dir], {}, c.out, ac.signal);
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path.join(dir, 'fn.log'), 'line 1\n');
    const end = Date.now() + 3000;
    while (!c.text().includes('line 1') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    expect(await done).toBe(0);
    expect(c.text()).toBe('line 1\n');
  });

  it("takes a function's logical id in the stack named, as sam logs -n does", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'esb-logs-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'ts-intro-ListBucketsFunction.log'), 'T\tr1\tlisted\n');
    const c = capture();
    expect(await runLogs(['ListBucketsFunction', '--stack-name', 'ts-intro', '--log-dir', dir], {}, c.out)).toBe(0);
    expect(c.text()).toBe('T\tr1\tlisted\n');
    // The key itself, too; and a logical id of another stack has no log.
    expect(await runLogs(['ts-intro-ListBucketsFunction', '--stack-name', 'ts-intro', '--log-dir', dir], {}, capture().out)).toBe(0);
    expect(await runLogs(['ListBucketsFunction', '--stack-name', 'other', '--log-dir', dir], {}, capture().out)).toBe(1);
  });

  it('rejects a missing function name', async () => {
    await expect(runLogs([], {}, capture().out)).rejects.toThrow(/expected one function name/);
  });
});
