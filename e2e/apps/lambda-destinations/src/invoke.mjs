// POST /destinations/{order|audit} invokes that function asynchronously (InvocationType Event)
// with the body; GET /destinations lists the records the destinations brought.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

const lambda = new LambdaClient({});
const ddb = new DynamoDBClient({});

export const handler = async (event) => {
  if (event.httpMethod === 'GET') {
    const { Items } = await ddb.send(new ScanCommand({ TableName: process.env.RESULTS_TABLE }));
    const records = Items.map((i) => ({ id: i.id.S, condition: i.condition.S, function: i.function.S, response: JSON.parse(i.response.S) })).sort((a, b) => a.id.localeCompare(b.id));
    return { statusCode: 200, body: JSON.stringify(records) };
  }
  const target = event.pathParameters.target === 'audit' ? process.env.AUDIT_FUNCTION : process.env.ORDER_FUNCTION;
  const out = await lambda.send(new InvokeCommand({ FunctionName: target, InvocationType: 'Event', Payload: event.body }));
  return { statusCode: 200, body: JSON.stringify({ status: out.StatusCode }) };
};
