exports.handler = async () => ({ statusCode: 200, body: process.env.LOG_LEVEL });
