// A plain (not durable) function the workflow calls with context.invoke.
exports.handler = async (event) => {
  const items = Array.isArray(event.items) ? event.items : [];
  const subtotal = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
  return { subtotal, shipping: subtotal >= 100 ? 0 : 7, total: subtotal >= 100 ? subtotal : subtotal + 7 };
};
