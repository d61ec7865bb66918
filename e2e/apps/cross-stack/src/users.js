// The users' profiles, in the table the shared stack exports; the user pool and admin group it
// exports too, as the environment of the function receives them.
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, PutCommand } = require('@aws-sdk/lib-dynamodb');

const docs = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const json = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

exports.handler = async (event) => {
  if (event.routeKey === 'GET /config') {
    return json(200, { userPoolId: process.env.USER_POOL_ID, adminGroup: process.env.ADMIN_GROUP_NAME, usersTable: process.env.USERS_TABLE });
  }
  const userid = event.pathParameters.userid;
  if (event.requestContext.http.method === 'PUT') {
    const profile = JSON.parse(event.body);
    await docs.send(new PutCommand({ TableName: process.env.USERS_TABLE, Item: { ...profile, userid } }));
    return json(200, { userid, stored: true });
  }
  const { Item } = await docs.send(new GetCommand({ TableName: process.env.USERS_TABLE, Key: { userid } }));
  return Item ? json(200, Item) : json(404, { message: 'no such user' });
};
