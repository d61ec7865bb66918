exports.list = async (event) => ({
  statusCode: 200,
  headers: { 'Access-Control-Allow-Origin': '*' },
  body: JSON.stringify({ notes: ['first'], by: event.requestContext.authorizer.principalId }),
});

exports.broken = async () => {
  throw new Error('the notes store is unreachable');
};
