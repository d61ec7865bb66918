import { Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FunctionsFile } from '@esb/contracts';
import { createAgent } from './agent.js';
import { runtimeVersionWarning } from './process-driver.js';

describe('runtime versions in the process runtime', () => {
  it('warns when the function names another Node major or Python minor than the machine has', () => {
    const machine = { node: '20.20.2', python: '3.13' };
    expect(runtimeVersionWarning('nodejs20.x', machine)).toBeUndefined();
    expect(runtimeVersionWarning('python3.13', machine)).toBeUndefined();
    expect(runtimeVersionWarning('nodejs18.x', machine)).toMatch(/runtime nodejs18\.x runs on this machine's Node\.js 20\.20\.2/);
    expect(runtimeVersionWarning('python3.11', machine)).toMatch(/runtime python3\.11 runs on this machine's Python 3\.13/);
    expect(runtimeVersionWarning('python3.11', { node: '20.0.0' })).toBeUndefined(); // no python3 here: nothing to compare
    expect(runtimeVersionWarning('provided.al2023', machine)).toBeUndefined();
  });

  it('the agent logs the warning once per function and runtime', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const logDir = mkdtempSync(path.join(tmpdir(), 'esb-versions-'));
    const agent = await createAgent({ runtime: 'process', logDir, log: pino({ level: 'warn' }, sink), schedules: false, pinoFunctionLogs: false });
    try {
      const other = `nodejs${Number(process.versions.node.split('.')[0]) - 2}.x`;
      const file = (digest: string) =>
        FunctionsFile.parse({ functions: { old: { runtime: other, handler: 'index.handler', code: logDir, digest }, same: { runtime: `nodejs${process.versions.node.split('.')[0]}.x`, handler: 'index.handler', code: logDir } } });
      agent.setFunctions(file('a'));
      agent.setFunctions(file('b')); // redeployed: no second warning
      await new Promise((r) => setImmediate(r));
      const warnings = lines.filter((l) => /runs on this machine's/.test(l.msg)).map((l) => l.msg);
      expect(warnings).toEqual([`function old: runtime ${other} runs on this machine's Node.js ${process.versions.node} (process runtime)`]);
    } finally {
      await agent.close();
    }
  });
});
