// Counts clicks per user in order; a record it cannot read is reported as failed (ReportBatchItemFailures).
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});

export const handler = async (event) => {
  for (const record of event.Records) {
    let click;
    try {
      click = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString());
    } catch {
      return { batchItemFailures: [{ itemIdentifier: record.kinesis.sequenceNumber }] };
    }
    await db.send(
      new UpdateItemCommand({
        TableName: process.env.CLICKS_TABLE,
        Key: { id: { S: `audit-${click.user}` } },
        UpdateExpression: 'ADD clicks :one SET #order = list_append(if_not_exists(#order, :empty), :id)',
        ExpressionAttributeNames: { '#order': 'order' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':empty': { L: [] }, ':id': { L: [{ S: click.id }] } },
      }),
    );
  }
  return { batchItemFailures: [] };
};
