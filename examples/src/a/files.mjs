// Files in S3, through AWS_ENDPOINT_URL_S3 set by esb.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });
const bucket = process.env.BUCKET_NAME;

export const handler = async (event) => {
  if (!event.pathParameters?.name) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return { statusCode: 200, body: JSON.stringify((listed.Contents ?? []).map((o) => o.Key)) };
  }
  const key = event.pathParameters.name;
  if (event.httpMethod === 'PUT') {
    const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body ?? '';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { statusCode: 201, body: JSON.stringify({ key, stored: true }) };
  }
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: await object.Body.transformToString() };
  } catch (err) {
    if (err.name === 'NoSuchKey') return { statusCode: 404, body: JSON.stringify({ message: `no file ${key}` }) };
    throw err;
  }
};
