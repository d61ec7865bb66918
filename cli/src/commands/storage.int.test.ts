// `esb storage` as a process: prints its endpoints, serves, and stops cleanly on SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/esb.js', import.meta.url));

/** Starts `esb storage` with `args` and resolves with what it printed once it serves. */
async function startStorage(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; out: string }> {
  const child = spawn(process.execPath, [BIN, 'storage', ...args], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['pipe', 'pipe', 'pipe'], // pipes all round: the child's streams are typed non-null
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('data:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before serving: ${out}`)));
  });
  return { child, out };
}

it('esb storage --only s3 starts just the S3 server on a free port and exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'esb-storage-cmd-'));
  let child: ChildProcessWithoutNullStreams | undefined;
  try {
    const started = await startStorage(['--only', 's3', '--s3-port', '0', '--data-dir', dir]);
    child = started.child;
    const { out } = started;
    const endpoint = /S3: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(endpoint).toBeDefined();
    expect(out).not.toContain('DynamoDB:');
    expect(out).not.toContain('SQS:');
    const res = await fetch(`${endpoint}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ListAllMyBucketsResult');
    expect((await stat(join(dir, 's3'))).isDirectory()).toBe(true);
    const exit = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

it('esb storage --only sqs serves SQS on a free port, keeps the queues in the data folder, and exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'esb-storage-cmd-'));
  let child: ChildProcessWithoutNullStreams | undefined;
  try {
    const started = await startStorage(['--only', 'sqs', '--sqs-port', '0', '--data-dir', dir]);
    child = started.child;
    const endpoint = /SQS: +(http:\/\/127\.0\.0\.1:\d+)/.exec(started.out)?.[1];
    expect(endpoint).toBeDefined();
    expect(started.out).not.toContain('S3:');
    const res = await fetch(`${endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=CreateQueue&QueueName=jobs' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<QueueUrl>${endpoint}/123456789012/jobs</QueueUrl>`);
    const exit = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    // Written on close at the latest.
    expect(JSON.parse(await readFile(join(dir, 'sqs', 'queues.json'), 'utf8')).queues.map((q: { name: string }) => q.name)).toEqual(['jobs']);
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
