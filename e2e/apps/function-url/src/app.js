exports.webhook = async (event) => ({
  statusCode: 202,
  body: JSON.stringify({ received: JSON.parse(event.body || '{}'), path: event.rawPath, routeKey: event.routeKey }),
});

// A function URL accepts the simple response form too: an object becomes a 200 JSON answer.
exports.report = async (event) => ({ report: 'daily', method: event.requestContext.http.method });

// The webhook's URL as the template gives it (https://<label>.lambda-url.<region>.on.aws/).
exports.relay = async (event) => {
  const res = await fetch(new URL('relayed', process.env.WEBHOOK_URL), { method: 'POST', body: event.body || '{}' });
  return { statusCode: 200, body: JSON.stringify({ via: process.env.WEBHOOK_URL, status: res.status, answer: await res.json() }) };
};
