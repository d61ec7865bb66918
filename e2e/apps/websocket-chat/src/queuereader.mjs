// Answers each queued message on the connection that sent it (its id came as a message attribute).
const { ApiGatewayManagementApiClient, PostToConnectionCommand } = await import('@aws-sdk/client-apigatewaymanagementapi');

const client = new ApiGatewayManagementApiClient({ endpoint: `https://${process.env.APIG_ENDPOINT}` });

export const handler = async (event) => {
  for (const record of event.Records) {
    const message = JSON.parse(record.body);
    const connectionId = record.messageAttributes.connectionId.stringValue;
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ queued: message.text, room: message.room }) }));
  }
};
