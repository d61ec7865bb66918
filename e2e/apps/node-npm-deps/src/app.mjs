import ms from 'ms';

/**
 * Says hello and how long this instance has been up, in words.
 */
export const lambdaHandler = async (event, context) => {
  const up = ms(Math.round(process.uptime() * 1000), { long: true });
  return {
    statusCode: 200,
    body: JSON.stringify({ message: 'hello world', uptime: up }),
  };
};
