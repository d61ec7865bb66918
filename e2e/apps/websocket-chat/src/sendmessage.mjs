// Posts the message to every stored connection; a gone one is removed.
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});

export const handler = async (event) => {
  const { domainName, stage, authorizer } = event.requestContext;
  const client = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` });
  const { data } = JSON.parse(event.body);
  const { Items } = await db.send(new ScanCommand({ TableName: process.env.TABLE_NAME, ProjectionExpression: 'connectionId' }));
  await Promise.all(
    Items.map(async ({ connectionId }) => {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId.S, Data: `${authorizer.user}: ${data}` }));
      } catch (err) {
        if (err.$metadata?.httpStatusCode !== 410) throw err;
        await db.send(new DeleteItemCommand({ TableName: process.env.TABLE_NAME, Key: { connectionId } }));
      }
    }),
  );
  return { statusCode: 200, body: 'Data sent.' };
};
