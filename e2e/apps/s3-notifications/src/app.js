const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');

const s3 = new S3Client({ forcePathStyle: true });

// Each message of the queue is S3's event for an upload: noted in the results bucket. The first
// one is S3's test message, sent when the notification was configured: skipped, as apps do.
exports.jobs = async (event) => {
  for (const message of event.Records) {
    const body = JSON.parse(message.body);
    if (body.Event === 's3:TestEvent') {
      await s3.send(new PutObjectCommand({ Bucket: process.env.RESULTS_BUCKET, Key: `tests/${body.Bucket}`, Body: message.body }));
      continue;
    }
    const record = body.Records[0];
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const note = { eventName: record.eventName, configurationId: record.s3.configurationId, bucket: record.s3.bucket.name, size: record.s3.object.size, queue: message.eventSourceARN };
    await s3.send(new PutObjectCommand({ Bucket: process.env.RESULTS_BUCKET, Key: `jobs/${key}`, Body: JSON.stringify(note) }));
  }
};
