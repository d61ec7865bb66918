const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');

const s3 = new S3Client({ forcePathStyle: true });
const keyOf = (record) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));

// Each uploaded text file, upper-cased, into the results bucket.
exports.process = async (event) => {
  for (const record of event.Records) {
    const key = keyOf(record);
    const object = await s3.send(new GetObjectCommand({ Bucket: record.s3.bucket.name, Key: key }));
    const text = await object.Body.transformToString();
    const name = key.slice('incoming/'.length);
    await s3.send(new PutObjectCommand({ Bucket: process.env.RESULTS_BUCKET, Key: `processed/${name}`, Body: text.toUpperCase(), Metadata: { event: record.eventName, source: record.s3.bucket.name } }));
  }
};

// Each deletion from the audit bucket, noted in the results bucket.
exports.audit = async (event) => {
  for (const record of event.Records) {
    await s3.send(new PutObjectCommand({ Bucket: process.env.RESULTS_BUCKET, Key: `deleted/${keyOf(record)}`, Body: record.eventName }));
  }
};
