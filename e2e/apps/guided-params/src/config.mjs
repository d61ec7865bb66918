// Reports the parameters it was deployed with, after storing a note in the bucket they name.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });

export const handler = async () => {
  const Bucket = process.env.BUCKET;
  await s3.send(new PutObjectCommand({ Bucket, Key: 'note.txt', Body: `notify ${process.env.EMAIL}` }));
  const note = await (await s3.send(new GetObjectCommand({ Bucket, Key: 'note.txt' }))).Body.transformToString();
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bucket: Bucket, note, stage: process.env.STAGE, retentionDays: Number(process.env.RETENTION_DAYS) }),
  };
};
