exports.webhook = async (event) => ({
  statusCode: 202,
  body: JSON.stringify({ received: JSON.parse(event.body || '{}'), path: event.rawPath, routeKey: event.routeKey }),
});

// A function URL accepts the simple response form too: an object becomes a 200 JSON answer.
exports.report = async (event) => ({ report: 'daily', method: event.requestContext.http.method });
