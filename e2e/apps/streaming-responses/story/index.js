// A page written in parts (as lambda-streaming-ttfb-write-sam does): the head and the first part
// go out at once; the rest waits until the object named by ?gate= exists in the gate bucket.
const { S3Client, HeadObjectCommand } = require('@aws-sdk/client-s3');

const s3 = new S3Client({});

async function waitFor(key) {
  let last;
  for (let i = 0; i < 400; i++) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: process.env.GATE_BUCKET, Key: key }));
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`gate ${key} never opened (${last?.name})`);
}

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'Content-Type': 'text/html', 'X-Story': 'told in parts' },
    cookies: ['chapter=1; Path=/'],
  });
  responseStream.write('<p>first part</p>');
  await waitFor(event.queryStringParameters.gate);
  responseStream.write('<p>second part</p>');
  responseStream.end();
});
