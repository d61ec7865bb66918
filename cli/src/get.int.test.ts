// `esb get deployments` end to end: `esb dev` running, `esb get` as a subprocess with -o wide,
// -o json and -w (a row per change while B is deployed).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESB_BIN, esb } from '@esb/controller/testing';
import { EXAMPLES_DIR, startDev, type RunningDev } from './dev.js';
import { until } from '@esb/contracts/testing';

describe('esb get deployments (-o wide|json, -w) against esb dev', () => {
  let ws: string;
  let dev: RunningDev;

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-get-'));
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, console: false, log: pino({ level: 'silent' }) });
    await until(async () => {
      const r = await esb(['get', 'deployments', '--workspace', ws]);
      return /example-a\s+default\s+True\s+Ready/.test(r.stdout) ? r : undefined;
    }, 'example-a Ready');
  }, 90_000);

  afterAll(async () => {
    await dev?.close();
    await rm(ws, { recursive: true, force: true });
  });

  it('-o wide and -o json show generation, observedGeneration and what was deployed', async () => {
    const wide = await esb(['get', 'deployments', '-o', 'wide', '--workspace', ws]);
    expect(wide.code).toBe(0);
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+ENV\s+READY\s+REASON\s+AGE\s+PROJECT\s+GENERATION\s+OBSERVED\s+FUNCTIONS\s+ROUTES\s+RESOURCES\s+TEMPLATE$/);
    expect(wide.stdout).toMatch(/example-a\s+default\s+True\s+Ready\s+\S+\s+esb\s+1\s+1\s+3\s+6\s+2\s+\S*a\.yml/);
    const json = JSON.parse((await esb(['get', 'deployments', '-o', 'json', '--workspace', ws])).stdout) as { kind: string; items: Array<Record<string, any>> };
    expect(json.kind).toBe('List');
    expect(json.items[0]).toMatchObject({ apiVersion: 'esb.dev/v1alpha1', kind: 'Deployment', metadata: { name: 'example-a', namespace: 'default', generation: 1 }, status: { observedGeneration: 1 } });
    const bad = await esb(['get', 'deployments', '-o', 'xml', '--workspace', ws]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--output (-o): "xml" is not one of wide, yaml, json');
  }, 60_000);

  it('-w prints the list, then a new row each time a Deployment changes', async () => {
    const child = spawn(process.execPath, [ESB_BIN, 'get', 'deployments', '-w', '--workspace', ws], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => /example-a\s+default\s+True\s+Ready/.test(out), 'the first list');
      await writeFile(
        path.join(dev.paths.deploymentsDir, 'b.yaml'),
        `apiVersion: esb.dev/v1alpha1\nkind: Deployment\nmetadata: {name: b}\nspec: {template: ${path.join(EXAMPLES_DIR, 'b.yml')}}\n`,
      );
      await until(() => /^b\s+default\s+True\s+Ready/m.test(out), 'b Ready in the watch');
      const lines = out.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('NAME')).length).toBe(1);
      expect(lines[0]).toMatch(/^NAME\s+ENV\s+READY\s+REASON\s+AGE$/);
      const bRows = lines.filter((l) => /^b\s/.test(l));
      // The controller reports its progress: more than one row for b, the last one Ready.
      expect(bRows.length).toBeGreaterThan(1);
      expect(bRows.at(-1)).toMatch(/^b\s+default\s+True\s+Ready/);
      expect(bRows.slice(0, -1).some((l) => !/True\s+Ready/.test(l))).toBe(true);
      // example-a changes only when B takes over its GET /hello (last write wins), and says so.
      const aRows = lines.filter((l) => l.startsWith('example-a'));
      expect(aRows.length).toBeLessThanOrEqual(2);
      expect(aRows.slice(1).every((l) => /Ready,TakenOver/.test(l))).toBe(true);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    expect(child.exitCode === 0 || child.signalCode === 'SIGINT').toBe(true);
  }, 90_000);
});
