// A manager's decision on an order: answers the workflow's pending callback.
const { LambdaClient, SendDurableExecutionCallbackSuccessCommand, SendDurableExecutionCallbackFailureCommand } = require('@aws-sdk/client-lambda');
const { getOrder } = require('./orders');

const lambda = new LambdaClient({});

exports.handler = async (event) => {
  const orderId = event.pathParameters.orderId;
  const body = JSON.parse(event.body || '{}');
  const order = await getOrder(orderId);
  if (!order || !order.callbackId) return { statusCode: 409, body: JSON.stringify({ message: `order ${orderId} is not waiting for approval` }) };
  if (body.approve) {
    await lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: order.callbackId, Result: JSON.stringify({ approver: body.approver }) }));
  } else {
    await lambda.send(new SendDurableExecutionCallbackFailureCommand({ CallbackId: order.callbackId, Error: { ErrorType: 'Rejected', ErrorMessage: `rejected by ${body.approver}` } }));
  }
  return { statusCode: 200, body: JSON.stringify({ orderId, decision: body.approve ? 'approved' : 'rejected' }) };
};
