exports.handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ usersTable: process.env.USERS_TABLE, ordersTable: process.env.ORDERS_TABLE, greeting: process.env.GREETING }),
});
