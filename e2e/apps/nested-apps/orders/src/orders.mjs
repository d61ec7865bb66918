import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});

// An order names a user of the users service, whose table this service was given.
export const handler = async (event) => {
  const { id, user, currency } = JSON.parse(event.body);
  if (!process.env.CURRENCIES.split(',').includes(currency)) return { statusCode: 400, body: JSON.stringify({ message: `currency ${currency} is not taken` }) };
  const found = await db.send(new GetItemCommand({ TableName: process.env.USERS_TABLE, Key: { id: { S: user } } }));
  if (!found.Item) return { statusCode: 404, body: JSON.stringify({ message: `no user ${user}` }) };
  await db.send(new PutItemCommand({ TableName: process.env.ORDERS_TABLE, Item: { id: { S: id }, user: { S: user }, currency: { S: currency } } }));
  return { statusCode: 201, body: JSON.stringify({ id, user: found.Item.name.S, currency }) };
};
