// Puts clicks to the stream (PutRecords, the user as partition key) or one event on the default bus.
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const kinesis = new KinesisClient({});
const events = new EventBridgeClient({});

export const handler = async (event) => {
  const body = JSON.parse(event.body || '{}');
  if (event.path === '/clicks/event') {
    const out = await events.send(new PutEventsCommand({ Entries: [{ Source: 'app.clicks', DetailType: 'Click', Detail: JSON.stringify(body) }] }));
    return { statusCode: 202, body: JSON.stringify({ failed: out.FailedEntryCount }) };
  }
  const out = await kinesis.send(
    new PutRecordsCommand({
      StreamName: process.env.STREAM_NAME,
      Records: body.clicks.map((c) => ({ PartitionKey: c.user, Data: Buffer.from(JSON.stringify(c)) })),
    }),
  );
  return { statusCode: 200, body: JSON.stringify({ failed: out.FailedRecordCount, records: out.Records.map((r) => ({ shard: r.ShardId, sequence: r.SequenceNumber })) }) };
};
