// The order workflow: a durable function. Each step's result is checkpointed; after the wait
// and while the approval is pending the function is not running, and it is invoked again
// (replaying the steps from their checkpoints) when the wait ends or the callback is answered.
const { withDurableExecution, createRetryStrategy } = require('@aws/durable-execution-sdk-js');
const { updateOrder } = require('./orders');

exports.handler = withDurableExecution(async (event, context) => {
  const order = event.body ?? event;
  const orderId = order.orderId ?? event.orderId;

  const validated = await context.step('validate-order', async () => {
    if (!Array.isArray(order.items) || order.items.length === 0) throw new Error(`order ${orderId} has no items`);
    await updateOrder(orderId, { status: 'validated', items: order.items.length });
    return { orderId, items: order.items };
  });

  const price = await context.invoke('price-order', process.env.PRICING_FUNCTION, { items: validated.items });

  // The card service refuses the first attempt of a "flaky" order: the step is retried.
  const payment = await context.step(
    'charge-card',
    async () => {
      if (order.flaky && !(await alreadyFailed(orderId))) {
        await updateOrder(orderId, { chargeFailedOnce: true });
        throw new Error('card service unavailable');
      }
      if (order.declined) throw new Error(`card declined for ${orderId}`);
      await updateOrder(orderId, { status: 'paid', charged: price.total });
      return { charged: price.total };
    },
    { retryStrategy: createRetryStrategy({ maxAttempts: 2, initialDelay: { seconds: 1 }, jitter: 'NONE' }) },
  );

  await context.wait({ seconds: 1 });

  const [label, receipt] = (
    await context.parallel('prepare-shipment', [
      async (branch) => branch.step('print-label', async () => `LABEL-${orderId}`),
      async (branch) => branch.step('email-receipt', async () => `RECEIPT-${orderId}-${payment.charged}`),
    ])
  ).getResults();

  const decision = await context.waitForCallback(
    'manager-approval',
    async (callbackId) => {
      await updateOrder(orderId, { status: 'awaiting-approval', callbackId });
    },
    { timeout: { minutes: 10 } },
  );
  const approval = typeof decision === 'string' ? JSON.parse(decision) : decision;

  await context.step('complete-order', async () => {
    await updateOrder(orderId, { status: 'completed', approvedBy: approval.approver, label, receipt });
  });
  return { orderId, total: price.total, approvedBy: approval.approver, label, receipt };
});

async function alreadyFailed(orderId) {
  const { getOrder } = require('./orders');
  const item = await getOrder(orderId);
  return Boolean(item && item.chargeFailedOnce);
}
