exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ caughtBy: 'quick', routeKey: event.routeKey, path: event.rawPath }) });
