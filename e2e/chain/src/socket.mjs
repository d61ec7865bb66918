// Answers on the caller's connection through the Management API, at the endpoint the event names.
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

export const handler = async (event) => {
  const { domainName, stage, connectionId } = event.requestContext;
  const client = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` });
  await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `node: ${JSON.parse(event.body).text}` }));
  return { statusCode: 200 };
};
