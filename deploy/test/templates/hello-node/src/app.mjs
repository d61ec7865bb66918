export const handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ message: `${process.env.GREETING} ${event.pathParameters?.name ?? 'world'}` }),
});
