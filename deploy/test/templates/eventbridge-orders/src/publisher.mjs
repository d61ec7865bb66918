import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const client = new EventBridgeClient({});

export const handler = async (event) => {
  const order = JSON.parse(event.body ?? '{}');
  const out = await client.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: process.env.BUS_NAME, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: JSON.stringify(order) }],
    }),
  );
  return { statusCode: out.FailedEntryCount ? 502 : 202, body: JSON.stringify({ eventId: out.Entries?.[0]?.EventId }) };
};
