// Sends the message's `data` to every open connection.
const { DynamoDBClient, ScanCommand } = require('@aws-sdk/client-dynamodb');
const { ApiGatewayManagementApiClient, PostToConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi');

const db = new DynamoDBClient({});

exports.handler = async (event) => {
  const { domainName, stage } = event.requestContext;
  const api = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` });
  const data = JSON.parse(event.body || '{}').data ?? '';
  const { Items = [] } = await db.send(new ScanCommand({ TableName: process.env.TABLE_NAME, ProjectionExpression: 'connectionId' }));
  await Promise.all(Items.map((item) => api.send(new PostToConnectionCommand({ ConnectionId: item.connectionId.S, Data: data })).catch(() => undefined)));
  return { statusCode: 200 };
};
