// Lets a connection in when its `token` query string parameter is the expected one.
exports.handler = async (event) => {
  const allowed = event.queryStringParameters?.token === process.env.EXPECTED_TOKEN;
  return {
    principalId: 'chat-user',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: event.methodArn }] },
    context: { room: 'lobby' },
  };
};
