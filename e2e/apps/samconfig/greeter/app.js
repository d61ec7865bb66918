exports.lambdaHandler = async () => ({
  statusCode: 200,
  body: JSON.stringify({ greeting: process.env.GREETING, stage: process.env.STAGE, audience: process.env.AUDIENCE }),
});
