// Puts the posted orders (one object or a list) on the queue in one batch.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});

export const handler = async (event) => {
  const posted = JSON.parse(event.body || '[]');
  const orders = Array.isArray(posted) ? posted : [posted];
  const result = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: process.env.QUEUE_URL,
      Entries: orders.map((order, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(order),
        MessageAttributes: { source: { DataType: 'String', StringValue: 'api' } },
      })),
    }),
  );
  return {
    statusCode: 202,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ queued: (result.Successful ?? []).length, failed: (result.Failed ?? []).length }),
  };
};
