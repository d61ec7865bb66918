exports.handler = async () => ({
  statusCode: 200,
  body: JSON.stringify({ reports: ['daily', 'weekly'] }),
});
