// Holds its instance for a while so concurrent requests must queue for one of 2 instances.
import { hostname } from 'node:os';

let served = 0;
export const handler = async (event) => {
  await new Promise((r) => setTimeout(r, 400));
  served++;
  return { statusCode: 200, body: JSON.stringify({ n: event.pathParameters.n, instance: hostname(), served }) };
};
