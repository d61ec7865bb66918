// Each invocation counts itself, then sends the next message around the same loop.
import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const db = new DynamoDBClient({});
const sns = new SNSClient({});
const sqs = new SQSClient({});

const count = (id) => db.send(new UpdateItemCommand({ TableName: process.env.COUNTS_TABLE, Key: { id: { S: id } }, UpdateExpression: 'ADD invocations :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
const publish = () => sns.send(new PublishCommand({ TopicArn: process.env.LOOP_TOPIC, Message: 'again' }));
const enqueue = () => sqs.send(new SendMessageCommand({ QueueUrl: process.env.LOOP_QUEUE, MessageBody: 'again' }));

export const start = async (event) => {
  if (event.httpMethod === 'GET') {
    const items = (await db.send(new ScanCommand({ TableName: process.env.COUNTS_TABLE }))).Items ?? [];
    return { statusCode: 200, body: JSON.stringify(Object.fromEntries(items.map((i) => [i.id.S, Number(i.invocations.N)]))) };
  }
  await Promise.all([publish(), enqueue()]);
  return { statusCode: 202, body: '{}' };
};

export const again = async (event) => {
  const viaTopic = event.Records[0].EventSource === 'aws:sns';
  await count(viaTopic ? 'topic' : 'queue');
  await (viaTopic ? publish() : enqueue());
};
