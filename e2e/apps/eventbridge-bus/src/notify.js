// CommonJS, as many published apps still are: records the flag the default bus carried.
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');

const db = new DynamoDBClient({});

exports.handler = async (event) => {
  await db.send(
    new PutItemCommand({
      TableName: process.env.ORDERS_TABLE,
      Item: { id: { S: `notified-${event.detail.orderId}` }, source: { S: event.source }, account: { S: event.account }, bus: { S: 'default' } },
    }),
  );
};

// An SNS message whose body is the whole EventBridge event the rule published.
exports.shipped = async (event) => {
  for (const record of event.Records) {
    const placed = JSON.parse(record.Sns.Message);
    await db.send(
      new PutItemCommand({
        TableName: process.env.ORDERS_TABLE,
        Item: { id: { S: `shipped-${placed.detail.id}` }, item: { S: placed.detail.item }, topic: { S: record.Sns.TopicArn.split(':').pop() } },
      }),
    );
  }
};
