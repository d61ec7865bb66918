import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});

// Invoked by the reminder's schedule with its Input: {id, text}.
export const handler = async ({ id, text }) => {
  console.log(`reminder ${id}: ${text}`);
  await db.send(
    new UpdateItemCommand({
      TableName: process.env.TABLE,
      Key: { id: { S: id } },
      UpdateExpression: 'SET sent = :yes, sentAt = :now',
      ExpressionAttributeValues: { ':yes': { BOOL: true }, ':now': { S: new Date().toISOString() } },
    }),
  );
};
