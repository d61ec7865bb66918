// The orders pipe's enrichment: gets the batch (each order as the pipe's input template made it)
// and answers the batch the workflow starts with.
export const handler = async (orders) => orders.map((o) => ({ ...o, total: o.qty * 3, pricedBy: 'price-function' }));
