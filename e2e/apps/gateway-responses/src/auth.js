// TOKEN authorizer: "Bearer writer" may call everything, "Bearer guest" nothing; no token is a 401.
exports.handler = async (event) => {
  const token = (event.authorizationToken || '').replace(/^Bearer /, '');
  if (token !== 'writer' && token !== 'guest') throw new Error('Unauthorized');
  // The whole API (arn:...:<api>/<stage>/*): the decision is cached per token and reused on other methods.
  const api = event.methodArn.split('/').slice(0, 2).join('/');
  return {
    principalId: token,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: token === 'writer' ? 'Allow' : 'Deny', Resource: `${api}/*` }],
    },
  };
};
