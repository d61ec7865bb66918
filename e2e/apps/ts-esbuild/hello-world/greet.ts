import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { greeting, shout } from './lib/greeting';

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const name = event.pathParameters?.name ?? 'nobody';
    const loud = event.queryStringParameters?.loud === 'true';
    return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: loud ? shout(greeting(name)) : greeting(name), module: import.meta.url.endsWith('.mjs') ? 'esm' : 'other' }),
    };
};
