// TOKEN authorizer: "Bearer reader" may call the whole API; anything else is a 401.
exports.handler = async (event) => {
  if (event.authorizationToken !== 'Bearer reader') throw new Error('Unauthorized');
  const api = event.methodArn.split('/').slice(0, 2).join('/');
  return {
    principalId: 'reader',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${api}/*` }] },
  };
};
