// The first step of the order workflow: an order needs items; its total is computed here.
export const handler = async (order) => {
  if (!order?.id || !Array.isArray(order.items) || order.items.length === 0) {
    const error = new Error(`order ${order?.id ?? '?'} has no items`);
    error.name = 'InvalidOrder';
    throw error;
  }
  const total = order.items.reduce((sum, item) => sum + item.price * item.qty, 0);
  return { ...order, flaky: order.flaky === true, total };
};
