exports.handler = async (event) => {
  if (event.requestContext.http.method === 'POST') return { statusCode: 201, body: JSON.stringify({ added: JSON.parse(event.body || '{}'), version: event.version }) };
  return { statusCode: 200, body: JSON.stringify({ id: event.pathParameters.id, routeKey: event.routeKey, version: event.version }) };
};
