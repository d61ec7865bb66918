// Remembers the new connection.
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');

const db = new DynamoDBClient({});

exports.handler = async (event) => {
  const { connectionId } = event.requestContext;
  await db.send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { connectionId: { S: connectionId } } }));
  return { statusCode: 200 };
};
