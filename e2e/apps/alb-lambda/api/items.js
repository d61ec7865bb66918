// A target group with multi-value headers: every value of a repeated header or parameter.
exports.handler = async (event) => ({
  statusCode: 201,
  statusDescription: '201 Created',
  multiValueHeaders: { 'content-type': ['application/json'], 'set-cookie': ['a=1', 'b=2'] },
  body: JSON.stringify({
    query: event.multiValueQueryStringParameters,
    tags: event.multiValueHeaders['x-tag'],
    base64: event.isBase64Encoded,
    body: event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('hex') : event.body,
  }),
  isBase64Encoded: false,
});
