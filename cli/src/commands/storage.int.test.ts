// `esb storage` as a process: prints its endpoints, serves, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/esb.js', import.meta.url));

it('esb storage --only s3 starts just the S3 server on a free port and exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'esb-storage-cmd-'));
  const child = spawn(process.execPath, [BIN, 'storage', '--only', 's3', '--s3-port', '0', '--data-dir', dir], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('data:')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before serving: ${out}`)));
    });
    const endpoint = /S3: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(endpoint).toBeDefined();
    expect(out).not.toContain('DynamoDB:');
    const res = await fetch(`${endpoint}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ListAllMyBucketsResult');
    expect((await stat(join(dir, 's3'))).isDirectory()).toBe(true);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
