// The function sets its own CORS header, as a Lambda proxy must: API Gateway adds none.
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'Access-Control-Allow-Origin': 'http://app.example', 'Content-Type': 'application/json' },
  body: JSON.stringify({ items: ['a', 'b'], path: event.path, by: event.requestContext.authorizer.principalId }),
});
