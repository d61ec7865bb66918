// Stores the connection and who it is.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});

export const handler = async (event) => {
  const { connectionId, authorizer } = event.requestContext;
  await db.send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { connectionId: { S: connectionId }, user: { S: authorizer?.user ?? 'anonymous' } } }));
  return { statusCode: 200, body: 'Connected.' };
};
