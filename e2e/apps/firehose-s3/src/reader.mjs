// GET /objects: every object of the bucket, its key and its text (gunzipped when it ends in .gz).
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });

export const handler = async () => {
  const Bucket = process.env.BUCKET;
  const listed = (await s3.send(new ListObjectsV2Command({ Bucket }))).Contents ?? [];
  const objects = [];
  for (const { Key } of listed) {
    const bytes = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body.transformToByteArray());
    objects.push({ key: Key, body: (Key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8') });
  }
  return { statusCode: 200, body: JSON.stringify(objects) };
};
