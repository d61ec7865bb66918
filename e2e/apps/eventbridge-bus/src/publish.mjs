// Publishes the posted orders (one object or a list) as OrderPlaced events on the orders bus.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const events = new EventBridgeClient({});

export const handler = async (event) => {
  const posted = JSON.parse(event.body || '[]');
  const orders = Array.isArray(posted) ? posted : [posted];
  const result = await events.send(
    new PutEventsCommand({
      Entries: orders.map((order) => ({
        EventBusName: process.env.BUS_NAME,
        Source: 'shop.orders',
        DetailType: 'OrderPlaced',
        Detail: JSON.stringify(order),
      })),
    }),
  );
  return {
    statusCode: 202,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ published: orders.length - (result.FailedEntryCount ?? 0), failed: result.FailedEntryCount ?? 0 }),
  };
};
