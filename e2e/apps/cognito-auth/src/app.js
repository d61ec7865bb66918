exports.me = async (event) => {
  const claims = event.requestContext.authorizer ? event.requestContext.authorizer.claims : null;
  if (!claims) return { statusCode: 200, body: JSON.stringify({ ok: true }) };
  return { statusCode: 200, body: JSON.stringify({ user: claims.sub, email: claims.email, groups: claims['cognito:groups'] }) };
};
