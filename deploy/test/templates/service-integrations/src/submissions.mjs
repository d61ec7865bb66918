// Logs each submission the API sent to the queue.
export const handler = async (event) => {
  for (const record of event.Records) console.log('submission', record.messageId, record.body);
  return {};
};
