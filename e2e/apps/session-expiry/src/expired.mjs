// Told of the sessions DynamoDB's time to live deleted (the stream filter lets only those through).
export const handler = async (event) => {
  for (const record of event.Records) {
    const old = record.dynamodb.OldImage;
    console.log(`session ${old.id.S} of ${old.user.S} expired (${record.userIdentity.principalId})`);
  }
};
