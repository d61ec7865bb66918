// Publishes each posted order to the topic, its kind as a message attribute (filter policies read it).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

const sns = new SNSClient({});

export const handler = async (event) => {
  const posted = JSON.parse(event.body || '[]');
  const orders = Array.isArray(posted) ? posted : [posted];
  for (const order of orders) {
    await sns.send(
      new PublishCommand({
        TopicArn: process.env.TOPIC_ARN,
        Subject: `order ${order.id}`,
        Message: JSON.stringify(order),
        MessageAttributes: { kind: { DataType: 'String', StringValue: order.kind } },
      }),
    );
  }
  return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ published: orders.length }) };
};
