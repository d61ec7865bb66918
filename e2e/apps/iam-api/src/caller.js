// Who signed the request: REST APIs put it in requestContext.identity, HTTP APIs in
// requestContext.authorizer.iam.
exports.handler = async (event) => {
  const context = event.requestContext;
  const caller = context.identity?.userArn ? { accessKey: context.identity.accessKey, userArn: context.identity.userArn } : context.authorizer?.iam ? { accessKey: context.authorizer.iam.accessKey, userArn: context.authorizer.iam.userArn } : null;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: event.path ?? event.rawPath, caller }) };
};
