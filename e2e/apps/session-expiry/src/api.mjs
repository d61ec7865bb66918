import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});
const json = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const handler = async (event) => {
  const id = event.pathParameters.id;
  const Key = { id: { S: id } };
  if (event.requestContext.http.method === 'PUT') {
    const { user, ttlSeconds = 3600 } = JSON.parse(event.body ?? '{}');
    const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
    await db.send(new PutItemCommand({ TableName: process.env.TABLE, Item: { ...Key, user: { S: user }, expiresAt: { N: String(expiresAt) } } }));
    return json(201, { id, expiresAt });
  }
  if (event.requestContext.http.method === 'DELETE') {
    await db.send(new DeleteItemCommand({ TableName: process.env.TABLE, Key }));
    return json(204, {});
  }
  const item = (await db.send(new GetItemCommand({ TableName: process.env.TABLE, Key }))).Item;
  return item ? json(200, { id, user: item.user.S }) : json(404, { message: 'no such session' });
};
