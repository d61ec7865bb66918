// POST /fh-events: the events (and raw texts) to the delivery stream with PutRecordBatch;
// POST /fh-notify: a message to the topic; POST /fh-clicks: clicks to the Kinesis stream (PutRecords);
// GET /fh-stream: DescribeDeliveryStream.
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

const firehose = new FirehoseClient({});
const kinesis = new KinesisClient({});
const sns = new SNSClient({});
const answer = (body, statusCode = 200) => ({ statusCode, body: JSON.stringify(body) });

export const handler = async (event) => {
  const name = process.env.DELIVERY_STREAM_NAME;
  if (event.httpMethod === 'GET') {
    const d = (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;
    return answer({ name: d.DeliveryStreamName, arn: d.DeliveryStreamARN, status: d.DeliveryStreamStatus, type: d.DeliveryStreamType, bucket: d.Destinations[0].ExtendedS3DestinationDescription.BucketARN });
  }
  const body = JSON.parse(event.body || '{}');
  if (event.path === '/fh-clicks') {
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: process.env.STREAM_NAME, Records: body.clicks.map((c) => ({ PartitionKey: c.user, Data: Buffer.from(`${JSON.stringify(c)}\n`) })) }));
    return answer({ failed: out.FailedRecordCount });
  }
  if (event.path === '/fh-notify') {
    const out = await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN, Message: body.message }));
    return answer({ messageId: out.MessageId });
  }
  const records = [...(body.events ?? []).map((e) => JSON.stringify(e)), ...(body.raw ?? [])].map((text) => ({ Data: Buffer.from(text) }));
  const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records }));
  return answer({ failed: out.FailedPutCount, ids: out.RequestResponses.map((r) => r.RecordId) });
};
