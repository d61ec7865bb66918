// Answers each queued message on the connection that sent it.
const { ApiGatewayManagementApiClient, PostToConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi');

const api = new ApiGatewayManagementApiClient({ endpoint: process.env.API_ENDPOINT });

exports.handler = async (event) => {
  for (const record of event.Records) {
    const connectionId = record.messageAttributes.connectionId?.stringValue;
    if (connectionId) await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `received: ${record.body}` }));
  }
};
