// S3 events when storage and agent are separate services (compose, kind): `esb storage
// --events-url` posts each object event to the agent's /events/s3, which hands it to the agent
// (docs/agent.md, "S3 events"). Real S3 server, real HTTP, an agent that records what it got.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectsCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createAgentHttpServer } from '@esb/agent';
import type { ObjectEvent } from '@esb/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageFromArgs } from './commands/storage.js';

describe('S3 events between separate storage and agent services', () => {
  const delivered: ObjectEvent[] = [];
  let dir: string;
  let agentServer: Awaited<ReturnType<typeof createAgentHttpServer>>;
  let storage: Awaited<ReturnType<typeof startStorageFromArgs>>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'esb-s3-events-'));
    agentServer = await createAgentHttpServer({
      agent: { has: () => false, invoke: async () => ({ requestId: 'x', durationMs: 0, payload: Buffer.from('null') }), deliverObjectEvent: (e) => delivered.push(e) },
    });
    storage = await startStorageFromArgs({ dataDir: dir, host: '127.0.0.1', dynamodbPort: 0, s3Port: 0, only: 's3', createTableMs: 0, eventsUrl: `${agentServer.url}/events/s3` });
  });
  afterAll(async () => {
    await storage?.close();
    await agentServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers each object created or deleted, as the agent needs it', async () => {
    const s3 = new S3Client({ endpoint: storage.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'in/cat 1.jpg', Body: 'meow' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'in/cat 1.jpg' }));
    for (let i = 0; i < 100 && delivered.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const byName = Object.fromEntries(delivered.map((e) => [e.eventName, e]));
    expect(byName['ObjectCreated:Put']).toMatchObject({ bucket: 'photos', key: 'in/cat 1.jpg', size: 4, sourceIp: '127.0.0.1' });
    expect(byName['ObjectRemoved:Delete']).toMatchObject({ bucket: 'photos', key: 'in/cat 1.jpg' });
    expect(delivered).toHaveLength(2);
    s3.destroy();
  });

  it('names a completed multipart upload CompleteMultipartUpload, and reports each object a DeleteObjects call removed', async () => {
    delivered.length = 0;
    const s3 = new S3Client({ endpoint: storage.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'videos' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'videos', Key: 'big.mp4' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'videos', Key: 'big.mp4', UploadId, PartNumber: 1, Body: 'frames' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'videos', Key: 'big.mp4', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    await s3.send(new PutObjectCommand({ Bucket: 'videos', Key: 'small.mp4', Body: 'f' }));
    // One of the three keys does not exist: nothing is removed, nothing reported for it.
    await s3.send(new DeleteObjectsCommand({ Bucket: 'videos', Delete: { Objects: [{ Key: 'big.mp4' }, { Key: 'small.mp4' }, { Key: 'never.mp4' }] } }));
    for (let i = 0; i < 100 && delivered.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    expect(delivered.map((e) => `${e.eventName} ${e.key}`).sort()).toEqual([
      'ObjectCreated:CompleteMultipartUpload big.mp4',
      'ObjectCreated:Put small.mp4',
      'ObjectRemoved:Delete big.mp4',
      'ObjectRemoved:Delete small.mp4',
    ]);
    expect(delivered.find((e) => e.eventName === 'ObjectCreated:CompleteMultipartUpload')).toMatchObject({ bucket: 'videos', size: 6 });
    expect(delivered.find((e) => e.eventName === 'ObjectRemoved:Delete')).toMatchObject({ bucket: 'videos', sourceIp: '127.0.0.1' });
    s3.destroy();
  });

  it('refuses a body that is not an object event', async () => {
    const r = await fetch(`${agentServer.url}/events/s3`, { method: 'POST', body: '{"bucket": 1}' });
    expect(r.status).toBe(400);
    const big = await fetch(`${agentServer.url}/events/s3`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);
  });
});
