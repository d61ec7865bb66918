// An order: declined ones fail (their record goes to the on-failure topic), others succeed.
export const handler = async (order) => {
  if (order.decline) throw new Error(`order ${order.id} declined`);
  return { accepted: order.id };
};
