import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';

const sns = new SNSClient({});

export const handler = async (event) => {
  const order = JSON.parse(event.body ?? '{}');
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn: process.env.TOPIC_ARN,
      Message: JSON.stringify(order),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: String(order.kind ?? 'other') },
        total: { DataType: 'Number', StringValue: String(order.total ?? 0) },
      },
    }),
  );
  return { statusCode: 202, body: JSON.stringify({ messageId: MessageId }) };
};
