import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const events = new EventBridgeClient({});

export const handler = async (event) => {
  const order = JSON.parse(event.body ?? '{}');
  const out = await events.send(new PutEventsCommand({ Entries: [{ Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: JSON.stringify(order) }] }));
  return { statusCode: out.FailedEntryCount ? 500 : 202, body: JSON.stringify({ accepted: !out.FailedEntryCount }) };
};
