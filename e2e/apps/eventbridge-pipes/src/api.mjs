// Puts orders on the queue, items in the table and clicks on the stream; reads back what arrived.
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBClient, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';

const sqs = new SQSClient({});
const dynamodb = new DynamoDBClient({});
const kinesis = new KinesisClient({});
const reply = (body) => ({ statusCode: 200, body: JSON.stringify(body) });
/** An attribute value as plain JSON (the types the records use). */
const plain = (v) => ('S' in v ? v.S : 'N' in v ? Number(v.N) : 'L' in v ? v.L.map(plain) : 'BOOL' in v ? v.BOOL : null);

export const handler = async (event) => {
  const body = JSON.parse(event.body || '[]');
  switch (event.path) {
    case '/pipe-orders':
      for (const o of body) await sqs.send(new SendMessageCommand({ QueueUrl: process.env.ORDERS_QUEUE_URL, MessageBody: JSON.stringify(o) }));
      return reply({ sent: body.length });
    case '/pipe-items':
      for (const i of body) {
        if (i.rename) await dynamodb.send(new UpdateItemCommand({ TableName: process.env.ITEMS_TABLE, Key: { id: { S: i.id } }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': { S: i.rename } } }));
        else await dynamodb.send(new PutItemCommand({ TableName: process.env.ITEMS_TABLE, Item: { id: { S: i.id }, name: { S: i.name } } }));
      }
      return reply({ written: body.length });
    case '/pipe-clicks': {
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: process.env.STREAM_NAME, Records: body.map((c) => ({ PartitionKey: c.user, Data: Buffer.from(JSON.stringify(c)) })) }));
      return reply({ failed: out.FailedRecordCount });
    }
    default: {
      const out = await dynamodb.send(new ScanCommand({ TableName: process.env.RECORDS_TABLE }));
      return reply(out.Items.map((i) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, plain(v)]))).sort((a, b) => a.id.localeCompare(b.id)));
    }
  }
};
