// Logs one JSON line per item of the request, at the level the item says.
exports.handler = async (event) => {
  const items = JSON.parse(event.body);
  for (const item of items) console.log(JSON.stringify({ level: item.level, message: item.message }));
  return { statusCode: 202, body: JSON.stringify({ logged: items.length }) };
};
