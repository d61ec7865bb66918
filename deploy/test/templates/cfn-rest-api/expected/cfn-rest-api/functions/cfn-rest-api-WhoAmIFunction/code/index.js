exports.handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ authorizer: event.requestContext.authorizer, stage: event.requestContext.stage }),
});
