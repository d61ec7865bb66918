// Items in DynamoDB. The SDK finds the local endpoint through AWS_ENDPOINT_URL_DYNAMODB,
// which esb sets for every instance: the same code runs on AWS unchanged.
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});
const table = process.env.TABLE_NAME;

export const handler = async (event) => {
  const id = event.pathParameters.id;
  if (event.httpMethod === 'PUT') {
    await db.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, body: { S: event.body ?? '' } } }));
    return { statusCode: 201, body: JSON.stringify({ id, stored: true }) };
  }
  const { Item } = await db.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
  if (!Item) return { statusCode: 404, body: JSON.stringify({ message: `no item ${id}` }) };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, body: Item.body.S }) };
};
