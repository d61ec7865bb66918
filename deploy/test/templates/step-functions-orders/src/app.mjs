// Gives an order its reference: the state machine's first task.
export const handler = async (event) => ({ number: `R-${event.order?.id ?? 'unknown'}` });
