// Logs each event the API put on the bus.
export const handler = async (event) => {
  console.log('event', event['detail-type'], JSON.stringify(event.detail));
};
