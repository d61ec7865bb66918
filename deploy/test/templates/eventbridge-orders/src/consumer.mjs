export const handler = async (event) => {
  console.log(`big order ${event.orderId}: ${event.total}`);
};
