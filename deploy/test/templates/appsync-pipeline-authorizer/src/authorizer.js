// AppSync Lambda authorizer: a token "Bearer <user>" is allowed, and the user reaches resolvers.
exports.handler = async (event) => {
  const user = event.authorizationToken.replace(/^Bearer /, '');
  return { isAuthorized: user !== 'nobody', resolverContext: { user }, ttlOverride: 60 };
};
