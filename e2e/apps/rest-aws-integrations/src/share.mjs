// A NoteShared event (put on the bus by POST /notes-api/shares, no function in between) becomes a
// note of its own, so the API itself can read it back.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const db = new DynamoDBClient({});

export const handler = async (event) => {
  const { id, to } = event.detail;
  await db.send(
    new PutItemCommand({
      TableName: process.env.NOTES_TABLE,
      Item: { id: { S: `share-${id}` }, text: { S: `${id} shared with ${to}` }, created: { N: String(Date.parse(event.time)) } },
    }),
  );
};
