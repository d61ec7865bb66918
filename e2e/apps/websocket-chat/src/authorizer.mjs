// Allows a connection whose ?token= is "letmein"; its user name reaches the routes as context.
export const handler = async (event) => {
  const token = event.queryStringParameters?.token;
  const user = event.queryStringParameters?.user ?? 'anonymous';
  return {
    principalId: user,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: token === 'letmein' ? 'Allow' : 'Deny', Resource: event.methodArn }] },
    context: { user },
  };
};
